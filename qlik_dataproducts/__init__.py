"""Asyncio client for the Qlik Cloud Data products API."""
