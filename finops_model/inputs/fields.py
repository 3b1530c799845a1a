"""Field types shared by every assumptions schema.

Numeric fields are :class:`~finops_model.distributions.Uncertain` (a number or a
distribution) checked for their kind — :data:`Real`, :data:`Quantity` (≥ 0), :data:`Fraction`
([0, 1]) — and documented with :func:`F` as ``[unit] description``. Money units are written
``CUR/…`` (the file's currency). Every object derives from :class:`Frozen`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)
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


def bounded(base: Any, *, gt: float | None = None, lt: float | None = None, why: str) -> Any:
    """``base`` (:data:`Real`, :data:`Quantity` or :data:`Fraction`) restricted to ``gt < x < lt``.

    For bounds that follow from a formula (a share of one where ``1/(1 − x)`` is taken, a
    divisor of zero, growth of −100 %): a constant must lie strictly inside; a distribution
    must not reach past a bound and its 0.1 % and 99.9 % quantiles must lie strictly inside.
    ``why`` names the formula in the message.
    """

    def check(u: Uncertain) -> Uncertain:
        values = [u.median] if u.is_constant else [u.quantile(0.001), u.quantile(0.999), *u.support]
        strict = values[:2] if not u.is_constant else values
        low_bad = gt is not None and (any(x <= gt for x in strict) or any(x < gt for x in values))
        high_bad = lt is not None and (any(x >= lt for x in strict) or any(x > lt for x in values))
        if low_bad or high_bad:
            parts = ([f"> {gt:g}"] if gt is not None else []) + ([f"< {lt:g}"] if lt is not None else [])
            what = "a number" if u.is_constant else "values"
            raise PydanticCustomError(
                "bounded", "expected {what} {bound} ({why}), found {found}",
                {"what": what, "bound": " and ".join(parts), "why": why, "found": u.describe()},
            )
        return u

    return Annotated[base, AfterValidator(check)]


def F(unit: str, doc: str, default: Any = ..., **kw: Any) -> Any:
    """A documented field: ``[unit] doc``. Money units use ``CUR`` for the file's currency."""
    return Field(default, description=f"[{unit}] {doc}", json_schema_extra={"unit": unit}, **kw)


def const(x: float) -> Uncertain:
    """A constant (point) uncertain number, the default of most fields."""
    return Uncertain.constant(x)


class Frozen(BaseModel):
    """Base of every assumptions object: frozen, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True, allow_inf_nan=False)
