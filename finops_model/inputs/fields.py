"""Field types shared by every assumptions schema.

Numeric fields are :class:`~finops_model.distributions.Uncertain` (a number or a
distribution) checked for their kind — :data:`Real`, :data:`Quantity` (≥ 0), :data:`Fraction`
([0, 1]) — and documented with :func:`F` as ``[unit] description``. Money units are written
``CUR/…`` (the file's currency). Every object derives from :class:`Frozen`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from finops_model.inputs.distributions import FieldKind, SpecError, Uncertain, parse


def _validator(kind: FieldKind):
    def validate(value: Any) -> Uncertain:
        try:
            return parse(value, kind)
        except SpecError as exc:
            raise PydanticCustomError("uncertain", str(exc)) from None

    return validate


def _uncertain_type(kind: FieldKind, description: str) -> Any:
    return Annotated[
        Uncertain,
        PlainValidator(_validator(kind)),
        PlainSerializer(lambda u: u.to_yaml()),
        WithJsonSchema({"description": description, "anyOf": [{"type": "number"}, {"type": "string"}, {"type": "object"}]}),
    ]


#: Any real number or distribution.
Real = _uncertain_type("real", "a number or an uncertain quantity")
#: A quantity that cannot be negative.
Quantity = _uncertain_type("nonneg", "a number ≥ 0 or an uncertain quantity that stays ≥ 0")
#: A fraction in [0, 1].
Fraction = _uncertain_type("fraction", "a fraction in [0, 1] or an uncertain fraction")


def F(unit: str, doc: str, default: Any = ..., **kw: Any) -> Any:
    """A documented field: ``[unit] doc``. Money units use ``CUR`` for the file's currency."""
    return Field(default, description=f"[{unit}] {doc}", json_schema_extra={"unit": unit}, **kw)


def const(x: float) -> Uncertain:
    """A constant (point) uncertain number, the default of most fields."""
    return Uncertain.constant(x)


class Frozen(BaseModel):
    """Base of every assumptions object: frozen, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
