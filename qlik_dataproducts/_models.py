"""Request and response models of the Data products API.

Every model is a frozen, slotted attrs class with snake_case fields, and the converter maps them
to the camelCase JSON keys. Lists are tuples so that every model is hashable. Path and operator
values stay plain strings because the service adds new values (``/semanticModel`` is one). The
``Literal`` aliases and tuples below list the documented values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, cast

import attrs

from ._errors import ErrorEntry, ValidationError

__all__ = [
    "CHANGE_OPERATORS",
    "CHANGE_PATHS",
    "COMPUTATION_STATUSES",
    "PATCH_PATHS",
    "ActivateDataProductRequest",
    "Change",
    "ChangeOperator",
    "ChangePath",
    "ChangeValue",
    "ChangelogEntry",
    "ChangelogPage",
    "ComputationStatus",
    "CreateDataProductRequest",
    "DataProduct",
    "DatasetComputation",
    "DatasetsComputation",
    "ErrorEntry",
    "ErrorResponse",
    "KeyContact",
    "Link",
    "MoveDataProductRequest",
    "PageLinks",
    "PatchPath",
    "PatchValue",
    "ProviderUrl",
    "Quality",
    "Replace",
    "TrustScore",
    "TrustScoreDimension",
]

PatchPath = Literal[
    "/name",
    "/description",
    "/datasetIds",
    "/glossaryIds",
    "/readMe",
    "/keyContacts",
    "/tags",
    "/apiConsumableDatasetIds",
]
PATCH_PATHS: tuple[PatchPath, ...] = (
    "/name",
    "/description",
    "/datasetIds",
    "/glossaryIds",
    "/readMe",
    "/keyContacts",
    "/tags",
    "/apiConsumableDatasetIds",
)

ChangePath = Literal[
    "/name",
    "/description",
    "/spaceId",
    "/datasetIds",
    "/glossaryIds",
    "/readMe",
    "/keyContacts",
    "/tags",
    "/activatedOn",
    "/apiConsumableDatasetIds",
    "/semanticModel",
]
CHANGE_PATHS: tuple[ChangePath, ...] = (
    "/name",
    "/description",
    "/spaceId",
    "/datasetIds",
    "/glossaryIds",
    "/readMe",
    "/keyContacts",
    "/tags",
    "/activatedOn",
    "/apiConsumableDatasetIds",
    "/semanticModel",
)

ChangeOperator = Literal["replace", "add", "remove"]
CHANGE_OPERATORS: tuple[ChangeOperator, ...] = ("replace", "add", "remove")

ComputationStatus = Literal["REQUESTED", "FAILED"]
COMPUTATION_STATUSES: tuple[ComputationStatus, ...] = ("REQUESTED", "FAILED")


@attrs.frozen
class KeyContact:
    """A person to contact about a data product, with an optional role."""

    user_id: str
    role: str | None = None


# The value of a changelog change or a patch operation. It is a string for /name, /description,
# /readMe and /spaceId, a list of strings for the id and tag lists, and a list of key contacts
# for /keyContacts. It is null when the field was cleared, and always null for /semanticModel.
ChangeValue = str | tuple[str, ...] | tuple[KeyContact, ...] | None
PatchValue = str | Sequence[str] | Sequence[KeyContact] | None


def _to_str_tuple(value: Iterable[str] | None) -> tuple[str, ...] | None:
    """Copy a list of strings into a tuple; see ``_copy_list`` for other shapes."""
    return cast("tuple[str, ...] | None", _copy_list(value))


def _to_contact_tuple(value: Iterable[KeyContact] | None) -> tuple[KeyContact, ...] | None:
    """Copy a list of key contacts into a tuple; see ``_copy_list`` for other shapes."""
    return cast("tuple[KeyContact, ...] | None", _copy_list(value))


def _copy_list(value: object) -> object:
    """Copy a list or other iterable into a tuple.

    Anything that is not a list of values (a string, a mapping, a number) comes back unchanged
    so that ``_require_list`` can reject it by field name instead of splitting a string into
    characters or a mapping into its keys.
    """
    if _is_list_like(value):
        return tuple(cast("Iterable[object]", value))
    return value


def _to_patch_value(value: PatchValue) -> PatchValue:
    """Copy a list value into a tuple so the operation stays hashable; keep a string whole.

    Other shapes come back unchanged for ``validate_patch`` to reject with the operation's index.
    """
    return cast("PatchValue", _copy_list(value))


def _is_list_like(value: object) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping)


def _require_list(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Raise ValidationError unless a list field is None or a tuple after conversion."""
    if value is None or isinstance(value, tuple):
        return
    field = json_key(attribute.name)
    if isinstance(value, str):
        rule = "must be a list, not a single string; wrap it in a list, for example [value]"
    else:
        rule = f"must be a list (got {type(value).__name__}); pass a list or tuple"
    raise ValidationError(field, value, rule)


def json_key(field_name: str) -> str:
    """Return the JSON key of a model field: ``read_me`` gives ``readMe``, ``self_`` ``self``."""
    head, *rest = field_name.rstrip("_").split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


@attrs.frozen
class Quality:
    """Data quality ratios of a data product."""

    validity: float
    completeness: float


@attrs.frozen
class TrustScoreDimension:
    """One dimension of a trust score, such as ``USAGE`` or ``VALIDITY``."""

    id: str
    applicable_datasets: float
    score: float | None = None
    previous_score: float | None = None


@attrs.frozen
class TrustScore:
    """Trust score of a data product and its dimensions."""

    score: float
    applicable_datasets: float
    dimensions: tuple[TrustScoreDimension, ...] | None = None
    previous_score: float | None = None


@attrs.frozen
class DataProduct:
    """A data product as the service returns it from get, create and activate."""

    id: str
    qri: str
    name: str
    tags: tuple[str, ...]
    owner_id: str
    tenant_id: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    dataset_ids: tuple[str, ...]
    activated_on: tuple[str, ...]
    glossary_ids: tuple[str, ...]
    key_contacts: tuple[KeyContact, ...]
    api_consumable_dataset_ids: tuple[str, ...]
    main_id: str | None = None
    read_me: str | None = None
    quality: Quality | None = None
    space_id: str | None = None
    activated: bool | None = None
    trust_score: TrustScore | None = None
    activated_at: datetime | None = None
    description: str | None = None
    pending_changes_count: int | None = None


@attrs.frozen
class Change:
    """One change inside a changelog entry."""

    path: str | None = None
    operator: str | None = None
    value: ChangeValue = None


@attrs.frozen
class ChangelogEntry:
    """One changelog entry: the changes a user made at one time."""

    id: str | None = None
    changes: tuple[Change, ...] = ()
    created_at: datetime | None = None
    created_by: str | None = None


@attrs.frozen
class Link:
    """A pagination link."""

    href: str | None = None


@attrs.frozen
class PageLinks:
    """Links to neighbouring pages; ``self_`` is the JSON key ``self``."""

    self_: Link | None = None
    first: Link | None = None
    last: Link | None = None
    prev: Link | None = None
    next: Link | None = None


@attrs.frozen
class ChangelogPage:
    """One page of changelog entries."""

    data: tuple[ChangelogEntry, ...] = ()
    page: int | None = None
    limit: int | None = None
    pages: int | None = None
    total: int | None = None
    links: PageLinks | None = None


@attrs.frozen
class ProviderUrl:
    """URL of a third-party provider's user interface for a dataset."""

    url: str


@attrs.frozen
class DatasetComputation:
    """Result of requesting a data quality computation for one dataset."""

    dataset_id: str
    status: str
    computation_id: str
    error: str | None = None


@attrs.frozen
class DatasetsComputation:
    """Response of compute-datasets-data-quality.

    ``location`` comes from the response's ``location`` header, not from the body, and
    names the batch computation's status resource.
    """

    batch_computation_id: str
    dataset_responses: tuple[DatasetComputation, ...]
    location: str | None = None


@attrs.frozen
class ErrorResponse:
    """Body of an error response."""

    errors: tuple[ErrorEntry, ...] = ()
    trace_id: str | None = None


@attrs.frozen
class CreateDataProductRequest:
    """Body of a create request; call ``validate_create`` to check the documented limits."""

    name: str
    tags: tuple[str, ...] | None = attrs.field(
        default=None, converter=_to_str_tuple, validator=_require_list
    )
    read_me: str | None = None
    space_id: str | None = None
    dataset_ids: tuple[str, ...] | None = attrs.field(
        default=None, converter=_to_str_tuple, validator=_require_list
    )
    description: str | None = None
    glossary_ids: tuple[str, ...] | None = attrs.field(
        default=None, converter=_to_str_tuple, validator=_require_list
    )
    key_contacts: tuple[KeyContact, ...] | None = attrs.field(
        default=None, converter=_to_contact_tuple, validator=_require_list
    )
    api_consumable_dataset_ids: tuple[str, ...] | None = attrs.field(
        default=None, converter=_to_str_tuple, validator=_require_list
    )


@attrs.frozen
class ActivateDataProductRequest:
    """Body of an activate request."""

    name: str
    tags: tuple[str, ...] | None = attrs.field(
        default=None, converter=_to_str_tuple, validator=_require_list
    )
    space_id: str | None = None
    description: str | None = None


@attrs.frozen
class MoveDataProductRequest:
    """Body of a move request."""

    space_id: str


@attrs.frozen
class Replace:
    """One patch operation, which replaces the whole value at ``path``.

    ``op`` is always ``"replace"``, the only operation the service accepts. A ``None`` value
    clears the field and is sent as JSON ``null``.
    """

    op: Literal["replace"] = attrs.field(default="replace", init=False)
    path: str = attrs.field()
    value: PatchValue = attrs.field(converter=_to_patch_value)
