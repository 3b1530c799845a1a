"""Turn pydantic validation errors into user-facing :class:`~finops_model.errors.Problem` records.

Every assumption file of the workbench is validated by a pydantic v2 model. Pydantic's own
messages ("Input should be a valid number, unable to parse string as a number") name neither the
file nor, for a reader of YAML, the field in a familiar form. :func:`problems_from_validation_error`
rewrites each error as ``Problem(file, "models.gpt-4o.prices.0.input_per_mtok",
"expected a number ≥ 0, found -1")``:

* ``extra_forbidden`` → ``unknown field 'x'`` plus a did-you-mean against the field names of the
  model at that place (pass ``model=`` so that the converter can find them);
* ``missing`` → ``expected a value, found nothing``;
* type errors → ``expected <type>, found <value>``;
* bounds (``ge``, ``gt``, ``le``, ``lt``, lengths) → ``expected a number ≥ 0, found -1``;
* ``literal_error`` → ``expected one of 'a', 'b', found 'c'`` plus a did-you-mean;
* ``ValueError`` / ``AssertionError`` raised in validators → their message, passed through;
* :func:`rule_error` (a ``PydanticCustomError`` carrying a ``field`` in its context) → its message,
  at the path of the validated object extended by ``field``. Cross-field rules use this to point
  at the exact field that is wrong.

The converter is generic: it knows nothing of the price catalog and is reused for every kind of
assumption file.
"""

from __future__ import annotations

import collections.abc
import datetime as _dt
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from finops_model.errors import Problem, did_you_mean

__all__ = ["describe_value", "problems_from_validation_error", "rule_error"]

#: Error type of :func:`rule_error`.
RULE_ERROR_TYPE = "rule"

_EXPECTED_TYPE = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "int_parsing_size": "a whole number of reasonable size",
    "decimal_type": "a number",
    "decimal_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "string_unicode": "text",
    "bytes_type": "text",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "a date (YYYY-MM-DD)",
    "datetime_type": "a date and time (YYYY-MM-DDTHH:MM:SS)",
    "datetime_parsing": "a date and time (YYYY-MM-DDTHH:MM:SS)",
    "datetime_from_date_parsing": "a date and time (YYYY-MM-DDTHH:MM:SS)",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "dataclass_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "frozen_set_type": "a list",
    "iterable_type": "a list",
    "none_required": "nothing (null)",
    "finite_number": "a finite number",
    "url_type": "a URL",
    "url_parsing": "a URL",
}

_BOUNDS = {
    "greater_than_equal": ("ge", "≥"),
    "greater_than": ("gt", ">"),
    "less_than_equal": ("le", "≤"),
    "less_than": ("lt", "<"),
}


def rule_error(field: str, message: str) -> PydanticCustomError:
    """An error for a cross-field rule that points at one field.

    Raise it from a ``model_validator``: :func:`problems_from_validation_error` reports
    ``message`` at the path of the validated object extended by ``field`` (dotted, relative).

    Parameters
    ----------
    field : str
        Dotted path of the offending field, relative to the validated object ("" for itself).
    message : str
        What was expected and what was found.
    """
    return PydanticCustomError(RULE_ERROR_TYPE, "{message}", {"field": field, "message": message})


def describe_value(value: Any, limit: int = 60) -> str:
    """Short, YAML-flavoured description of a value found in an input file."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= limit else text[: limit - 4] + "...'"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, collections.abc.Mapping):
        keys = ", ".join(repr(str(k)) for k in list(value)[:5])
        more = ", ..." if len(value) > 5 else ""
        return f"a mapping with keys {keys}{more}" if value else "an empty mapping"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    return f"a {type(value).__name__}"


# --------------------------------------------------------------------------------------------
# walking a model's type annotations along an error location
# --------------------------------------------------------------------------------------------


def _candidates(tp: Any) -> list[Any]:
    """The alternatives of a type annotation, with ``Annotated`` and unions unwrapped."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _candidates(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(tp):
            if arg is not type(None):
                out.extend(_candidates(arg))
        return out
    return [tp]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _field_lookup(model: type[BaseModel], name: str) -> Any | None:
    for field_name, info in model.model_fields.items():
        if name in (field_name, info.alias, info.validation_alias):
            return info.annotation
    return None


def _type_label(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _step(current: list[Any], part: Any) -> tuple[list[Any], bool]:
    """Follow one location part; return (new candidates, whether ``part`` is a real path part)."""
    # a union-member tag such as 'float' or 'ProviderDiscount' (unions of several members) or
    # 'function-after[...]' / 'list[float]' (validators and generic members)
    if isinstance(part, str) and len(current) > 1:
        tagged = [t for t in current if _type_label(t) == part]
        if tagged:
            return tagged, False
    if isinstance(part, str) and "[" in part:
        return current, False
    nxt: list[Any] = []
    for tp in current:
        if _is_model(tp):
            ann = _field_lookup(tp, str(part))
            if ann is not None:
                nxt.extend(_candidates(ann))
            continue
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin in (dict, collections.abc.Mapping, collections.abc.MutableMapping) and args:
            nxt.extend(_candidates(args[-1]))
        elif origin in (list, tuple, set, frozenset, collections.abc.Sequence) and args:
            nxt.extend(_candidates(args[0]))
    return nxt, True


def _walk(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> tuple[list[Any], list[str]]:
    """Candidates at the end of ``loc`` and the cleaned, user-facing path parts."""
    current: list[Any] = [model] if model is not None else []
    path: list[str] = []
    for part in loc:
        if part == "[key]":
            continue
        if current:
            current, real = _step(current, part)
        else:
            real = not (isinstance(part, str) and "[" in part)
        if real:
            path.append(str(part))
    return current, path


def _field_names(candidates: list[Any]) -> list[str]:
    names: list[str] = []
    for tp in candidates:
        if _is_model(tp):
            for field_name, info in tp.model_fields.items():
                names.append(info.alias or field_name)
    return names


def _literal_choices(expected: str) -> list[str]:
    return re.findall(r"'([^']*)'", expected)


def _message(err: dict[str, Any], candidates_parent: list[Any]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    found = describe_value(value)
    loc = err.get("loc") or ()
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else "?"
        names = _field_names(candidates_parent)
        hint = did_you_mean(name, names)
        listing = f"; expected one of {', '.join(names)}" if names and not hint else ""
        return f"unknown field {name!r}{hint}{listing}"
    if kind == "missing":
        return "expected a value, found nothing"
    if kind in _BOUNDS:
        key, sign = _BOUNDS[kind]
        bound = ctx.get(key)
        what = "a number" if isinstance(bound, int | float) else "a value"
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        return f"expected {what} {sign} {bound}, found {found}"
    if kind == "literal_error" or kind == "enum":
        expected = str(ctx.get("expected", ""))
        hint = (
            did_you_mean(str(value), _literal_choices(expected)) if isinstance(value, str) else ""
        )
        return f"expected one of {expected}, found {found}{hint}"
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        if n == 1:
            return f"expected non-empty text, found {found}"
        return f"expected text of at least {n} characters, found {found}"
    if kind == "string_too_long":
        return f"expected text of at most {ctx.get('max_length')} characters, found {found}"
    if kind == "too_short":
        n = ctx.get("min_length")
        return (
            f"expected at least {n} item{'s' if n != 1 else ''}, found {ctx.get('actual_length')}"
        )
    if kind == "too_long":
        n = ctx.get("max_length")
        return f"expected at most {n} item{'s' if n != 1 else ''}, found {ctx.get('actual_length')}"
    if kind == "multiple_of":
        return f"expected a multiple of {ctx.get('multiple_of')}, found {found}"
    if kind in ("value_error", "assertion_error"):
        error = ctx.get("error")
        return str(error) if error is not None else str(err.get("msg", ""))
    if kind == RULE_ERROR_TYPE:
        return str(ctx.get("message", err.get("msg", "")))
    if kind == "string_pattern_mismatch":
        return f"expected text matching {ctx.get('pattern')} (lower-case letters, digits, '-' and '_'), found {found}"
    if kind in _EXPECTED_TYPE:
        return f"expected {_EXPECTED_TYPE[kind]}, found {found}"
    if str(err.get("msg", "")).startswith("expected"):  # our own PydanticCustomError messages
        return str(err["msg"])
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"expected a valid {kind.rsplit('_', 1)[0].replace('_', ' ')}, found {found}"
    return f"{err.get('msg', 'invalid value')}; found {found}"


def problems_from_validation_error(
    exc: ValidationError, file: str | object, model: type[BaseModel] | None = None
) -> list[Problem]:
    """Convert a pydantic ``ValidationError`` into a list of :class:`Problem` records.

    Parameters
    ----------
    exc : pydantic.ValidationError
        The error raised by ``Model.model_validate(data)``.
    file : str or path-like
        The file the data was read from (used in every record).
    model : type of pydantic.BaseModel, optional
        The model that was validated. Needed for the did-you-mean of unknown fields (the
        converter walks the model's annotations along each error location) and to drop
        union-member tags from paths.

    Returns
    -------
    list of Problem
        One record per error, in pydantic's order, without duplicates. Paths are dotted
        (``models.gpt-4o.prices.0.input_per_mtok``); list items are numbered from 0.
    """
    file = str(file)
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(err.get("loc") or ())
        parent_loc = loc[:-1] if err["type"] == "extra_forbidden" else loc
        candidates, path_parts = _walk(model, parent_loc)
        if err["type"] == "extra_forbidden" and loc:
            path_parts = [*path_parts, str(loc[-1])]
        if err["type"] == RULE_ERROR_TYPE:
            extra = str((err.get("ctx") or {}).get("field", ""))
            if extra:
                path_parts = [*path_parts, *extra.split(".")]
        message = _message(err, candidates)
        key = (".".join(path_parts), message)
        if key in seen:
            continue
        seen.add(key)
        problems.append(Problem(file, key[0], message))
    return problems
