"""Keep Qlik data products in step with a local catalogue: the code under test of this suite.

A catalogue maps a stable key to the wanted name, description, tags and dataset ids. A lock
dict maps each key to the id of the product created for it. `sync_catalogue` creates the
products that are missing, replaces the fields that drifted, and requests a data quality
computation for every product whose datasets changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from qlik_dataproducts import DataProduct, DataProductsClient, NotFoundError, Replace


@dataclass(frozen=True)
class Entry:
    """The wanted state of one data product."""

    name: str
    description: str = ""
    tags: tuple[str, ...] = ()
    dataset_ids: tuple[str, ...] = ()


@dataclass
class SyncReport:
    """Catalogue keys by outcome, and the data quality batch id of each key that got one."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    quality_batches: dict[str, str] = field(default_factory=dict)


async def sync_catalogue(
    client: DataProductsClient, catalogue: Mapping[str, Entry], lock: dict[str, str]
) -> SyncReport:
    """Bring every product of the catalogue up to date, recording new ids in `lock`."""
    report = SyncReport()
    for key, entry in catalogue.items():
        product = await _find(client, lock.get(key))
        if product is None:
            created = await client.create(
                name=entry.name,
                description=entry.description or None,
                tags=entry.tags,
                dataset_ids=entry.dataset_ids,
            )
            lock[key] = created.id
            report.created.append(key)
            datasets_changed = bool(entry.dataset_ids)
        else:
            operations = _drift(product, entry)
            if operations:
                await client.patch(product.id, operations)
                report.updated.append(key)
            else:
                report.unchanged.append(key)
            datasets_changed = product.dataset_ids != entry.dataset_ids

        if datasets_changed:
            computation = await client.compute_datasets_data_quality(lock[key])
            report.quality_batches[key] = computation.batch_computation_id
    return report


async def _find(client: DataProductsClient, product_id: str | None) -> DataProduct | None:
    if product_id is None:
        return None
    try:
        return await client.get(product_id)
    except NotFoundError:
        return None


def _drift(product: DataProduct, entry: Entry) -> list[Replace]:
    operations = []
    if product.name != entry.name:
        operations.append(Replace("/name", entry.name))
    if (product.description or "") != entry.description:
        operations.append(Replace("/description", entry.description or None))
    if product.tags != entry.tags:
        operations.append(Replace("/tags", list(entry.tags)))
    if product.dataset_ids != entry.dataset_ids:
        operations.append(Replace("/datasetIds", list(entry.dataset_ids)))
    return operations
