"""The building blocks the engine and the self-hosting plan share.

* :class:`Component` — one line of the cost stack with its linear drivers;
* :class:`Draws` — the sampled inputs of a use case read by field path;
* :func:`price_for` — a model's price as the use case sees it (price date, org discounts);
* :func:`per_trial` — a scalar or array as a fresh float array of one value per trial;
* :data:`PRIMARY_KINDS`, :data:`KIND_LABEL` — how step kinds map to cost categories.

They live here, below :mod:`finops_model.model.engine` and :mod:`finops_model.model.selfhost`,
so that neither imports the other's private names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from finops_model.inputs.catalog import ModelPrice
from finops_model.inputs.crossref import PRIMARY_KINDS, price_date
from finops_model.inputs.schema import UseCase

Array = NDArray[np.float64]

__all__ = ["KIND_LABEL", "PRIMARY_KINDS", "Component", "Draws", "per_trial", "price_for"]

#: Step kinds whose base call is the model interaction itself; other kinds are orchestration.
#: Cost category of the calls of a step of each orchestration kind (layer ``application_logic``).
KIND_LABEL = {
    "router": "routing", "tool": "tool-use calls", "validation": "validation and guardrails",
    "guardrail": "validation and guardrails", "moderation": "validation and guardrails", "judge": "LLM-as-judge",
}


@dataclass
class Component:
    """One line of the cost stack with its drivers (each an array of trials or a scalar).

    Attributes
    ----------
    layer, category : str
        Where the cost belongs (``LAYERS``) and a readable category.
    per_request : [USD/request]
    per_user_month : [USD/active user-month]
    per_new_user : [USD/new user]
    fixed_per_month : [USD/live month]
    one_off : [USD] at month 0
    monthly_extra : (n, M) array, callable or None [USD/month]
        Non-linear top-ups (zero outside live months); a callable takes the active users of a
        block of trials ``(b, M)`` and the block's slice and returns the block's top-ups.
    """

    layer: str
    category: str
    per_request: Any = 0.0
    per_user_month: Any = 0.0
    per_new_user: Any = 0.0
    fixed_per_month: Any = 0.0
    one_off: Any = 0.0
    monthly_extra: Any = None


class Draws:
    """Access to sampled inputs by field path; records which paths were read.

    ``v(path)`` returns the (n,) array or float drawn for ``path``; ``v(path, default)`` falls
    back to another path (a string) or a value. ``v.read`` is the set of paths read so far.
    """

    def __init__(self, draws: Mapping[str, Any], n: int):
        self.d = draws
        self.n = n
        self.read: set[str] = set()

    def __call__(self, path: str, default: Any = None) -> Any:
        if path in self.d:
            self.read.add(path)
            return self.d[path]
        if default is None:
            raise KeyError(path)
        if isinstance(default, str):
            self.read.add(default)
            return self.d[default]
        return default


def price_for(use_case: UseCase, catalog: Any, model: str) -> ModelPrice:
    """The catalog price of ``model`` on the use case's price date, with a constant negotiated
    discount of its provider applied (an uncertain one is :func:`list_share`, per trial).

    Prices are per token [USD/token]; the date is ``use_case.price_date`` (default: the latest).
    """
    p = catalog.price(model, on=price_date(use_case))
    org_discount = use_case.resolved_org.provider_discounts.get(p.provider)
    if org_discount is not None and org_discount.is_constant and org_discount.median > 0:
        p = p.with_discount(org_discount.median)
    return p


def list_share(use_case: UseCase, v: Draws, price: ModelPrice) -> Any:
    """Share of the catalog rates paid after an uncertain negotiated discount of the price's
    provider, per trial ``1 − d`` [fraction]; 1.0 when the discount is a constant (then
    :func:`price_for` has applied it) or absent."""
    d = use_case.resolved_org.provider_discounts.get(price.provider)
    if d is None or d.is_constant:
        return 1.0
    return 1.0 - np.asarray(v(f"org.provider_discounts.{price.provider}"), float)


def per_trial(x: Any, n: int) -> Array:
    """``x`` (scalar or (n,)) as a new float array of shape (n,) [unit of ``x``]."""
    return np.broadcast_to(np.asarray(x, dtype=float), (n,)).astype(float)
