"""In-memory data products and their changelogs, changed only through the API operations.

Products are stored as the JSON objects GET returns. Every operation validates first and then
changes the state in one step, so a rejected request leaves no trace.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._errors import ApiError
from ._quality import derive_quality, derive_trust_score
from ._validation import check_consumable_subset

__all__ = ["EmulatorState", "seed_items"]

_LIST_FIELDS = (
    "tags",
    "datasetIds",
    "glossaryIds",
    "keyContacts",
    "activatedOn",
    "apiConsumableDatasetIds",
)
# Order in which create records the fields it set.
_CREATE_FIELDS = (
    "name",
    "description",
    "readMe",
    "spaceId",
    "tags",
    "datasetIds",
    "glossaryIds",
    "keyContacts",
    "apiConsumableDatasetIds",
)

Product = dict[str, Any]


class EmulatorState:
    """Data products by id, each with its changelog."""

    def __init__(
        self,
        *,
        tenant_id: str,
        default_user_id: str,
        now: Callable[[], str],
        new_id: Callable[[], str],
        max_products: int | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.default_user_id = default_user_id
        self.max_products = max_products
        self._now = now
        self._new_id = new_id
        self._products: dict[str, Product] = {}
        # Changelog entries as (sequence number, entry): the number breaks createdAt ties.
        self._changelogs: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self._sequence = itertools.count()

    def __len__(self) -> int:
        return len(self._products)

    def __repr__(self) -> str:
        return f"<EmulatorState products={len(self._products)}>"

    # -- inspection -------------------------------------------------------------------------

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Return deep copies of all products by id."""
        return copy.deepcopy(self._products)

    def changelog(self, product_id: str) -> list[dict[str, Any]]:
        """Return deep copies of a product's changelog entries, oldest first.

        Raises:
            KeyError: no product has this id.
        """
        if product_id not in self._products:
            raise KeyError(product_id)
        return [copy.deepcopy(entry) for _, entry in self._changelogs[product_id]]

    def seed(self, products: Iterable[Mapping[str, Any]]) -> list[str]:
        """Load products shaped like GET responses, filling missing server fields.

        A product whose id already exists replaces it, and its changelog starts empty.
        Returns the ids in input order.

        Raises:
            ValueError: an item is not an object, has no string `name` or a non-string `id`.
        """
        loaded: list[Product] = []
        for index, item in enumerate(products):
            if not isinstance(item, Mapping):
                raise ValueError(f"seed item {index} must be an object, got {type(item).__name__}")
            if not isinstance(item.get("name"), str):
                raise ValueError(f"seed item {index} must have a string 'name'")
            if "id" in item and not (isinstance(item["id"], str) and item["id"]):
                raise ValueError(f"seed item {index} has an 'id' that is not a non-empty string")
            loaded.append(self._fill_seeded(copy.deepcopy(dict(item))))
        for product in loaded:
            self._products[product["id"]] = product
            self._changelogs[product["id"]] = []
        return [product["id"] for product in loaded]

    def _fill_seeded(self, product: Product) -> Product:
        now = self._now()
        product_id = product.get("id") or self._unused_id()
        product["id"] = product_id
        product.setdefault("qri", f"qri:data-product://{product_id}")
        product.setdefault("tenantId", self.tenant_id)
        product.setdefault("createdAt", now)
        product.setdefault("updatedAt", product["createdAt"])
        product.setdefault("createdBy", self.default_user_id)
        product.setdefault("updatedBy", product["createdBy"])
        product.setdefault("ownerId", product["createdBy"])
        for field in _LIST_FIELDS:
            product.setdefault(field, [])
        product.setdefault("activated", False)
        product.setdefault("pendingChangesCount", 0)
        if "quality" not in product and "trustScore" not in product:
            self._derive_scores(product)
        return product

    # -- helpers ----------------------------------------------------------------------------

    def _unused_id(self) -> str:
        while True:
            candidate = self._new_id()
            if candidate not in self._products:
                return candidate

    def _require(self, product_id: str) -> Product:
        product = self._products.get(product_id)
        if product is None:
            raise ApiError(404, f"Data product {product_id!r} was not found.")
        return product

    def _check_name_free(self, name: str, space_id: str | None, product_id: str | None) -> None:
        for other in self._products.values():
            if (
                other["id"] != product_id
                and other["name"] == name
                and (other.get("spaceId") == space_id)
            ):
                where = f"space {space_id!r}" if space_id is not None else "the personal space"
                raise ApiError(
                    409,
                    f"A data product named {name!r} already exists in {where} "
                    f"(id {other['id']!r}). Choose another name or space.",
                )

    def _record(self, product_id: str, user_id: str, changes: list[dict[str, Any]]) -> None:
        entry = {
            "id": self._new_id(),
            "changes": copy.deepcopy(changes),
            "createdAt": self._now(),
            "createdBy": user_id,
        }
        self._changelogs[product_id].append((next(self._sequence), entry))

    @staticmethod
    def _derive_scores(product: Product) -> None:
        quality = derive_quality(product["datasetIds"])
        trust_score = derive_trust_score(product["datasetIds"])
        if quality is None:
            product.pop("quality", None)
        else:
            product["quality"] = quality
        if trust_score is None:
            product.pop("trustScore", None)
        else:
            product["trustScore"] = trust_score

    def _touch(self, product: Product, user_id: str) -> None:
        product["updatedAt"] = self._now()
        product["updatedBy"] = user_id

    # -- operations -------------------------------------------------------------------------

    def ensure_exists(self, product_id: str) -> None:
        """Raise ApiError(404) unless a product has this id."""
        self._require(product_id)

    def get(self, product_id: str) -> Product:
        """Return a copy of one product."""
        return copy.deepcopy(self._require(product_id))

    def create(self, fields: Mapping[str, Any], user_id: str) -> Product:
        """Create a product from validated fields and return a copy of it."""
        if self.max_products is not None and len(self._products) >= self.max_products:
            raise ApiError(
                422,
                f"The data product limit of {self.max_products} has been exceeded for this "
                "tenant. Delete a data product first.",
            )
        self._check_name_free(fields["name"], fields.get("spaceId"), None)

        product_id = self._unused_id()
        now = self._now()
        product: Product = {
            "id": product_id,
            "qri": f"qri:data-product://{product_id}",
            "tenantId": self.tenant_id,
            "name": fields["name"],
            "createdAt": now,
            "createdBy": user_id,
            "updatedAt": now,
            "updatedBy": user_id,
            "ownerId": user_id,
            "activated": False,
            "pendingChangesCount": 0,
        }
        for field in ("description", "readMe", "spaceId"):
            if field in fields:
                product[field] = fields[field]
        for field in _LIST_FIELDS:
            product[field] = copy.deepcopy(fields.get(field, []))
        self._derive_scores(product)

        self._products[product_id] = product
        self._changelogs[product_id] = []
        changes = [
            {"path": f"/{field}", "value": fields[field], "operator": "add"}
            for field in _CREATE_FIELDS
            if field in fields
        ]
        self._record(product_id, user_id, changes)
        return copy.deepcopy(product)

    def patch(self, product_id: str, operations: list[tuple[str, object]], user_id: str) -> None:
        """Apply validated replace operations all at once, or none of them.

        An empty list changes nothing and records no changelog entry.
        """
        product = self._require(product_id)
        if not operations:
            return
        candidate = copy.deepcopy(product)
        for path, value in operations:
            field = path[1:]
            if value is None:
                candidate.pop(field, None)
            else:
                candidate[field] = copy.deepcopy(value)

        problems: list[str] = []
        check_consumable_subset(
            problems, candidate["apiConsumableDatasetIds"], candidate["datasetIds"]
        )
        if problems:
            raise ApiError(400, problems)
        if candidate["name"] != product["name"]:
            self._check_name_free(candidate["name"], candidate.get("spaceId"), product_id)

        if candidate["datasetIds"] != product["datasetIds"]:
            self._derive_scores(candidate)
        self._touch(candidate, user_id)
        if candidate.get("activated"):
            candidate["pendingChangesCount"] = candidate.get("pendingChangesCount", 0) + len(
                operations
            )
        self._products[product_id] = candidate
        changes = [
            {"path": path, "value": value, "operator": "replace"} for path, value in operations
        ]
        self._record(product_id, user_id, changes)

    def delete(self, product_id: str) -> None:
        """Delete a product that is not activated, with its changelog."""
        product = self._require(product_id)
        if product.get("activated"):
            raise ApiError(
                409,
                f"Data product {product_id!r} is activated. Deactivate it before deleting it.",
            )
        del self._products[product_id]
        del self._changelogs[product_id]

    def activate(self, product_id: str, fields: Mapping[str, Any], user_id: str) -> Product:
        """Activate a product on a managed space and return a copy of it.

        `name`, `description` and `tags` from the request replace the product's values.
        Without `spaceId`, or with an empty one, the product keeps its current managed space,
        or gets one derived from its id on first activation.
        """
        product = self._require(product_id)
        candidate = copy.deepcopy(product)
        changes: list[dict[str, Any]] = []
        for field in ("name", "description", "tags"):
            if field in fields and candidate.get(field) != fields[field]:
                candidate[field] = copy.deepcopy(fields[field])
                changes.append({"path": f"/{field}", "value": fields[field], "operator": "replace"})
        if candidate["name"] != product["name"]:
            self._check_name_free(candidate["name"], candidate.get("spaceId"), product_id)

        managed_space = fields.get("spaceId") or None
        if managed_space is None and candidate["activatedOn"]:
            activated_on = candidate["activatedOn"]
        else:
            activated_on = [managed_space or _managed_space_id(product_id)]
        candidate["activated"] = True
        candidate["activatedOn"] = activated_on
        candidate["activatedAt"] = self._now()
        candidate["pendingChangesCount"] = 0
        self._touch(candidate, user_id)

        self._products[product_id] = candidate
        changes.insert(0, {"path": "/activatedOn", "value": activated_on, "operator": "add"})
        self._record(product_id, user_id, changes)
        return copy.deepcopy(candidate)

    def deactivate(self, product_id: str, user_id: str) -> None:
        """Deactivate an activated product."""
        product = self._require(product_id)
        if not product.get("activated"):
            raise ApiError(409, f"Data product {product_id!r} is not activated.")
        previous = product["activatedOn"]
        product["activated"] = False
        product["activatedOn"] = []
        product["pendingChangesCount"] = 0
        self._touch(product, user_id)
        self._record(
            product_id, user_id, [{"path": "/activatedOn", "value": previous, "operator": "remove"}]
        )

    def move(self, product_id: str, space_id: str, user_id: str) -> None:
        """Move a product to another space."""
        product = self._require(product_id)
        if product.get("spaceId") == space_id:
            raise ApiError(409, f"Data product {product_id!r} is already in space {space_id!r}.")
        self._check_name_free(product["name"], space_id, product_id)
        product["spaceId"] = space_id
        self._touch(product, user_id)
        change = {"path": "/spaceId", "value": space_id, "operator": "replace"}
        self._record(product_id, user_id, [change])

    def changelog_page(
        self, product_id: str, *, page: int, limit: int, sort: str
    ) -> tuple[list[dict[str, Any]], int]:
        """Return one page of changelog entries and the total number of entries."""
        self._require(product_id)
        entries = sorted(
            self._changelogs[product_id],
            key=lambda item: (item[1]["createdAt"], item[0]),
            reverse=sort == "-createdAt",
        )
        start = (page - 1) * limit
        selected = [copy.deepcopy(entry) for _, entry in entries[start : start + limit]]
        return selected, len(entries)

    def compute_data_quality(self, product_id: str) -> dict[str, Any]:
        """Return the 202 body of a data quality computation request for every dataset."""
        product = self._require(product_id)
        return {
            "batchComputationId": self._new_id(),
            "datasetResponses": [
                {"datasetId": dataset_id, "status": "REQUESTED", "computationId": self._new_id()}
                for dataset_id in product["datasetIds"]
            ],
        }


def _managed_space_id(product_id: str) -> str:
    """Derive the managed space a product is activated on when the request names none."""
    return hashlib.sha256(f"managed-space:{product_id}".encode()).hexdigest()[:24]


def seed_items(document: object) -> list[Any]:
    """Return the products of a seed document: a JSON list, or an object of products by id.

    Raises:
        ValueError: the document is neither.
    """
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        return [
            {"id": key, **value} if isinstance(value, dict) else value
            for key, value in document.items()
        ]
    raise ValueError(
        "a seed document must be a JSON list of products or an object of products by id"
    )
