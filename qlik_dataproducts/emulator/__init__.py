"""In-memory emulator of the Qlik Cloud Data products API."""
