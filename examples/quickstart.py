"""Create, read, change, document and delete a data product against a local emulator.

    python examples/quickstart.py

The emulator runs in this process on 127.0.0.1 with a random port, so nothing leaves the
machine. Against a tenant, pass its URL and an API key to ``DataProductsClient`` instead.
"""

from __future__ import annotations

import asyncio

from qlik_dataproducts import DataProductsClient, KeyContact, Replace
from qlik_dataproducts.emulator import Emulator


async def main() -> None:
    """Walk through the main operations of the client."""
    async with (
        Emulator() as emulator,
        DataProductsClient(emulator.base_url, api_key=emulator.api_key) as client,
    ):
        product = await client.create(
            name="Sales Pipeline EMEA",
            tags=["sales", "emea"],
            read_me="# Sales Pipeline EMEA\n\nOpen opportunities, refreshed nightly.",
            space_id="64866fb0b4178eb9cca78dc8",
            dataset_ids=["ds-opportunities", "ds-accounts"],
            description="Open opportunities by stage and owner.",
            key_contacts=[KeyContact(user_id="59ce883678ad88f3cd050b47", role="Data Steward")],
            api_consumable_dataset_ids=["ds-opportunities"],
        )
        print(f"created {product.id}: {product.name}")

        fetched = await client.get(product.id)
        print(f"tags: {', '.join(fetched.tags)}")

        # A replace overwrites the whole list, so send every tag that should remain.
        await client.patch(
            product.id,
            [
                Replace("/description", "Open opportunities by stage, owner and region."),
                Replace("/tags", ["sales", "emea", "pipeline"]),
            ],
        )

        print("changelog, newest first:")
        async for entry in client.changelogs(product.id):
            paths = ", ".join(change.path or "?" for change in entry.changes)
            print(f"  {entry.created_at}: {paths}")

        markdown = await client.export_documentation(product.id)
        print(markdown.splitlines()[0])

        await client.delete(product.id)
        print(f"deleted {product.id}")


if __name__ == "__main__":
    asyncio.run(main())
