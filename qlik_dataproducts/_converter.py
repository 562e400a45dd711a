"""The cattrs converter between the models and the JSON of the Data products API."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar, cast, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ClassValidationError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._errors import DecodeError
from ._models import ChangeValue, KeyContact, PatchValue, Replace, json_key
from ._timestamps import format_timestamp, parse_timestamp

__all__ = ["converter", "decode", "encode", "make_converter"]

T = TypeVar("T")

# Exceptions that mean "the payload does not match the model", as opposed to a bug in a hook.
_DECODE_FAILURES = (BaseValidationError, KeyError, TypeError, ValueError, OverflowError)


class _ShapeError(TypeError):
    """A JSON value of the wrong type for its field."""


def make_converter() -> cattrs.Converter:
    """Build the converter that structures JSON into models and unstructures models into JSON.

    Hooks, both directions unless stated:

    - attrs classes: camelCase JSON keys (``read_me`` is ``readMe``, ``self_`` is ``self``).
      Structuring ignores unknown keys and rejects a value that is not a JSON object.
      Unstructuring leaves out fields that are None and default to None, so a ``Replace``
      (whose ``value`` has no default) always sends ``"value"``, even as ``null``.
    - ``Replace``: unstructuring includes ``op``. Structuring rejects an ``op`` other than
      ``"replace"`` and reads a missing ``value`` as null, as JSON Patch allows.
    - ``str`` and ``bool``: structuring accepts only that JSON type (no ``str(5)``).
    - ``int``: structuring accepts integers and integral numbers such as ``42.0``, and rejects
      ``42.5``, strings and booleans.
    - ``float``: structuring accepts any number and rejects strings and booleans.
    - ``datetime``: ``parse_timestamp`` when structuring and ``format_timestamp`` when
      unstructuring.
    - ``tuple[X, ...]``: structuring accepts only a JSON array, so a string is never split into
      characters, and reads null as an empty tuple. Unstructuring gives a list.
    - ``ChangeValue`` and ``PatchValue``: the value keeps its shape. A string stays a string,
      an array of strings becomes a tuple of strings and an array of objects a tuple of
      ``KeyContact``. Null gives None, and anything else (a number, a boolean, an object or an
      array that mixes strings and objects) is rejected.
    """
    converter = cattrs.Converter(forbid_extra_keys=False)

    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(datetime, format_timestamp)

    converter.register_structure_hook_factory(
        _is_tuple, lambda type_: _make_tuple_structure(converter, type_)
    )
    converter.register_unstructure_hook_factory(
        _is_tuple, lambda type_: _make_tuple_unstructure(converter, type_)
    )

    converter.register_structure_hook_func(
        _is_value_union, lambda value, _: _structure_value(converter, value)
    )
    converter.register_unstructure_hook_func(
        _is_value_union, lambda value: _unstructure_value(converter, value)
    )

    converter.register_structure_hook_factory(
        attrs.has, lambda cls: _make_attrs_structure(converter, cls)
    )
    converter.register_unstructure_hook_factory(
        attrs.has, lambda cls: _make_attrs_unstructure(converter, cls)
    )
    return converter


def _describe(value: object) -> str:
    """Describe a JSON value for an error message: its type and a short excerpt."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        excerpt = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {excerpt!r}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return f"a {type(value).__name__}"


def _mismatch(expected: str, value: object) -> _ShapeError:
    return _ShapeError(f"expected {expected}, received {_describe(value)}")


def _structure_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise _mismatch("a string", value)
    return value


def _structure_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise _mismatch("a boolean", value)
    return value


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _mismatch("an integer", value)


def _structure_float(value: object, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _mismatch("a number", value)
    try:
        return float(value)
    except OverflowError:
        raise _mismatch("a number within the float range", value) from None


def _structure_datetime(value: object, _: type) -> datetime:
    if not isinstance(value, str):
        raise _mismatch("an RFC 3339 timestamp string", value)
    return parse_timestamp(value)


def _is_tuple(type_: Any) -> bool:
    """Match ``tuple`` and ``tuple[X, ...]``, the types of every list field."""
    if type_ is tuple:
        return True
    arguments = get_args(type_)
    return get_origin(type_) is tuple and len(arguments) == 2 and arguments[1] is Ellipsis


def _add_note(error: Exception, note: str) -> Exception:
    # Python 3.10 has no add_note(), so set __notes__ directly as cattrs does; setattr keeps
    # mypy, which checks against 3.10, from rejecting the undeclared attribute.
    notes: list[str] = [*getattr(error, "__notes__", []), note]
    setattr(error, "__notes__", notes)  # noqa: B010
    return error


def _with_index(error: Exception, index: int, type_: Any) -> Exception:
    note = IterableValidationNote(f"Structuring {type_!r} @ index {index}", index, type_)
    return _add_note(error, note)


def _make_tuple_structure(
    converter: cattrs.Converter, type_: Any
) -> Callable[[object, Any], tuple[Any, ...]]:
    element_type = get_args(type_)[0] if type_ is not tuple else Any

    def structure(value: object, _: Any) -> tuple[Any, ...]:
        if value is None:
            return ()
        if not isinstance(value, list | tuple):
            raise _mismatch("an array", value)
        items: list[Any] = []
        errors: list[Exception] = []
        for index, item in enumerate(value):
            try:
                items.append(converter.structure(item, element_type))
            except Exception as exc:
                errors.append(_with_index(exc, index, element_type))
        if errors:
            raise IterableValidationError(f"While structuring {type_!r}", errors, type_)
        return tuple(items)

    return structure


def _make_tuple_unstructure(
    converter: cattrs.Converter, type_: Any
) -> Callable[[tuple[Any, ...]], list[Any]]:
    if type_ is tuple:
        return lambda value: [converter.unstructure(item) for item in value]
    element_type = get_args(type_)[0]
    return lambda value: [converter.unstructure(item, element_type) for item in value]


def _is_value_union(type_: Any) -> bool:
    return bool(type_ == ChangeValue or type_ == PatchValue)


def _structure_value(converter: cattrs.Converter, value: object) -> ChangeValue:
    """Structure a change or patch value without changing its shape."""
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, list | tuple):
        raise _mismatch("a string, an array or null", value)
    if not value:
        return ()

    first = value[0]
    if isinstance(first, Mapping):
        for index, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise _item_error(index, _mismatch("a key contact object like item 0", item))
        return converter.structure(value, tuple[KeyContact, ...])
    if isinstance(first, str):
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise _item_error(index, _mismatch("a string like item 0", item))
        return tuple(value)
    raise _item_error(0, _mismatch("a string or a key contact object", first))


def _item_error(index: int, error: Exception) -> IterableValidationError:
    type_ = tuple[str, ...]
    return IterableValidationError(
        "While structuring a change value", [_with_index(error, index, type_)], type_
    )


def _unstructure_value(converter: cattrs.Converter, value: PatchValue) -> Any:
    if value is None or isinstance(value, str):
        return value
    return [converter.unstructure(item) for item in value]


def _make_attrs_structure(converter: cattrs.Converter, cls: type[T]) -> Callable[[object, Any], T]:
    fields = attrs.fields(cast("type[attrs.AttrsInstance]", cls))
    renames: dict[str, Any] = {
        field.name: override(rename=json_key(field.name)) for field in fields
    }
    generated = make_dict_structure_fn(cls, converter, **renames)

    def structure(value: object, _: Any) -> T:
        if not isinstance(value, Mapping):
            raise _mismatch("an object", value)
        if cls is Replace:
            value = _prepare_replace(value)
        return generated(value, cls)

    return structure


def _prepare_replace(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """Check a patch operation's ``op`` and fill in a missing ``value`` with null."""
    op = value.get("op", "replace")
    if op != "replace":
        error = _mismatch("'replace', the only operation the service accepts", op)
        note = AttributeValidationNote("Structuring Replace @ attribute op", "op", str)
        raise ClassValidationError("While structuring Replace", [_add_note(error, note)], Replace)
    if "value" not in value:
        return {**value, "value": None}
    return value


def _make_attrs_unstructure(
    converter: cattrs.Converter, cls: type[Any]
) -> Callable[[Any], dict[str, Any]]:
    overrides: dict[str, Any] = {
        field.name: override(rename=json_key(field.name), omit_if_default=field.default is None)
        for field in attrs.fields(cls)
    }
    return make_dict_unstructure_fn(cls, converter, _cattrs_include_init_false=True, **overrides)


def _locate(error: BaseException) -> tuple[str, BaseException]:
    """Follow the first failure through cattrs' exception groups to its JSON path and cause."""
    path = "$"
    while isinstance(error, BaseValidationError):
        inner = error.exceptions[0]
        for note in reversed(getattr(inner, "__notes__", [])):
            if isinstance(note, AttributeValidationNote):
                path += "." + json_key(note.name)
                break
            if isinstance(note, IterableValidationNote):
                path += f"[{note.index}]"
                break
        error = inner
    return path, error


def _count_failures(error: BaseException) -> int:
    if isinstance(error, BaseValidationError):
        return sum(_count_failures(inner) for inner in error.exceptions)
    return 1


def _explain(error: BaseException, path: str) -> str:
    if isinstance(error, KeyError):
        return f"required field {path.rsplit('.', 1)[-1]} is missing"
    return str(error)


converter = make_converter()


def decode(cls: type[T], data: object, *, operation: str | None = None) -> T:
    """Structure parsed JSON into ``cls``.

    Raises:
        DecodeError: the data does not match ``cls``. Its ``path`` is the JSON path of the
            first failing field (``$.keyContacts[0].userId``), and the message states what was
            expected and what was received.
    """
    try:
        return converter.structure(data, cls)
    except _DECODE_FAILURES as exc:
        path, cause = _locate(exc)
        message = _explain(cause, path)
        others = _count_failures(exc) - 1
        if others:
            message += f" (and {others} more invalid field{'s' if others > 1 else ''})"
        raise DecodeError(message, path=path, operation=operation) from exc


def encode(obj: object) -> Any:
    """Unstructure a model, or a list of models, into JSON-ready dicts and lists."""
    return converter.unstructure(obj)
