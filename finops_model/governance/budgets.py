"""Budgets: the probability of exceeding a monthly budget, month by month, and when a breach
becomes likely as adoption grows.

Budgets live in the assumptions: ``budget.monthly`` (and ``budget.alert_at``) in each use-case
file, ``cost_center_budgets`` in ``org.yaml`` (org currency, converted to USD here). They are
compared with the recurring run cost of each calendar month [USD/month] — the engine's
``Result.cost_by_month``, which carries each use case's declared share of the platform pool and
leaves one-off build costs out. A budget may itself be uncertain; it is then compared trial by
trial.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from finops_model.errors import AssumptionError, Problem
from finops_model.inputs.distributions import sample
from finops_model.inputs.schema import Fx, Org, UseCase

Array = NDArray[np.float64]

#: Probability at which a breach is called "likely" (the default threshold).
LIKELY = 0.5


def exceed_probability(monthly_cost: ArrayLike, budget: ArrayLike) -> Array:
    """P(cost > budget) in each month [fraction].

    Parameters
    ----------
    monthly_cost : (n, M) array [USD/month]
        Cost per trial and month.
    budget : float or (n,) array [USD/month]
        The budget (per trial when uncertain).

    Returns
    -------
    (M,) array [fraction]
    """
    cost = np.asarray(monthly_cost, dtype=float)
    if cost.ndim != 2:
        raise ValueError(f"expected monthly_cost of shape (n, months), found shape {cost.shape}")
    b = np.asarray(budget, dtype=float)
    b = b[:, None] if b.ndim == 1 else b
    return np.mean(cost > b, axis=0)


def breach_month(probability: ArrayLike, likely: float = LIKELY) -> int | None:
    """First month (1-based) whose probability reaches ``likely``, or None [month]."""
    p = np.asarray(probability, dtype=float)
    hits = np.flatnonzero(p >= likely)
    return int(hits[0]) + 1 if hits.size else None


@dataclass(frozen=True)
class BudgetOutlook:
    """A budget against a cost path.

    Attributes
    ----------
    name : str
        Use-case id or cost center.
    budget_mean : float or None [USD/month]
        None when no budget is set.
    p_exceed : (M,) array [fraction]
        P(cost > budget) per month.
    p_alert : (M,) array [fraction]
        P(cost > alert_at × budget) per month.
    breach_month, alert_month : int or None [month]
        First month where the breach (alert) probability reaches ``likely``.
    cost_mean : (M,) array [USD/month]
        Mean cost path.
    run_rate_p50, run_rate_p95 : float [USD/month]
        Median and 95th percentile of the cost in the last month.
    """

    name: str
    budget_mean: float | None
    alert_at: float
    p_exceed: Array
    p_alert: Array
    breach_month: int | None
    alert_month: int | None
    cost_mean: Array
    run_rate_p50: float
    run_rate_p95: float
    likely: float = LIKELY

    @property
    def has_budget(self) -> bool:
        return self.budget_mean is not None

    @property
    def p_exceed_max(self) -> float:
        return float(self.p_exceed.max()) if self.p_exceed.size else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "budget_usd_per_month": self.budget_mean, "alert_at": self.alert_at,
            "breach_month": self.breach_month, "alert_month": self.alert_month, "likely": self.likely,
            "p_exceed_max": self.p_exceed_max, "p_exceed_by_month": self.p_exceed.tolist(),
            "p_alert_by_month": self.p_alert.tolist(),
            "cost_mean_by_month": self.cost_mean.tolist(), "run_rate_p50": self.run_rate_p50,
            "run_rate_p95": self.run_rate_p95,
        }


def outlook(name: str, monthly_cost: ArrayLike, budget: ArrayLike | None, alert_at: float = 0.8,
            likely: float = LIKELY) -> BudgetOutlook:
    """Budget outlook of a cost path (see :class:`BudgetOutlook`)."""
    cost = np.asarray(monthly_cost, dtype=float)
    m = cost.shape[1]
    mean = cost.mean(axis=0) if cost.size else np.zeros(m)
    p50, p95 = (float(x) for x in np.percentile(cost[:, -1], [50, 95])) if cost.size else (0.0, 0.0)
    if budget is None:
        z = np.zeros(m)
        return BudgetOutlook(name, None, alert_at, z, z, None, None, mean, p50, p95, likely)
    b = np.asarray(budget, dtype=float)
    p = exceed_probability(cost, b)
    pa = exceed_probability(cost, b * alert_at)
    return BudgetOutlook(name, float(b.mean()), alert_at, p, pa, breach_month(p, likely), breach_month(pa, likely),
                         mean, p50, p95, likely)


def use_case_outlook(uc: UseCase, result: Any, draws: Mapping[str, Any], months: int | None = None,
                     likely: float = LIKELY, monthly: Any = None) -> BudgetOutlook:
    """Budget outlook of one use case from its simulation result.

    Parameters
    ----------
    uc : UseCase
    result : engine.Result
        ``monthly_cost`` (n, M) [USD/month].
    draws : mapping
        The draws the result came from (``budget.monthly`` [USD/month], ``budget.alert_at``).
    months : int, optional
        Pad (with zero cost) or cut the path to this many calendar months.
    monthly : (n, months) array, optional
        The cost path already padded (saves a copy) [USD/month].
    """
    cost = result.cost_by_month if monthly is None else np.asarray(monthly, dtype=float)
    if months is not None and months != cost.shape[1]:
        padded = np.zeros((cost.shape[0], months))
        k = min(months, cost.shape[1])
        padded[:, :k] = cost[:, :k]
        cost = padded
    budget = None
    if uc.budget.monthly is not None:
        budget = draws.get("budget.monthly")
        if budget is None:  # draws restricted to the engine's inputs: draw the budget on its own stream
            q = uc.budget.monthly
            seed = result.seed if isinstance(result.seed, int) else 0
            budget = q.median if q.is_constant else sample({"budget.monthly": q}, cost.shape[0], seed)["budget.monthly"]
    alert = float(np.median(np.asarray(draws.get("budget.alert_at", uc.budget.alert_at.median))))
    return outlook(uc.id, cost, budget, alert, likely)


def sample_cost_center_budgets(org: Org, fx: Fx, n: int, seed: int) -> dict[str, Any]:
    """Cost-center budgets per trial [USD/month], converted from the org currency.

    Uncertain budgets are drawn from the stream ``org.cost_center_budgets.<cost center>``.
    """
    rate = 1.0
    if org.currency != "USD":
        fx_rate = fx.rates.get(org.currency)
        if fx_rate is None:
            raise AssumptionError(Problem("org.yaml", "currency", f"expected a currency listed in fx.yaml, found {org.currency!r}"))
        rate = 1.0 / fx_rate.per_usd
    inputs = {f"org.cost_center_budgets.{cc}": q.scaled(rate) for cc, q in org.cost_center_budgets.items()}
    if not inputs:
        return {}
    d = sample(inputs, n, seed)
    return {cc: d[f"org.cost_center_budgets.{cc}"] for cc in org.cost_center_budgets}


def cost_center_outlooks(monthly_by_cost_center: Mapping[str, ArrayLike], budgets: Mapping[str, Any],
                         alert_at: float = 0.8, likely: float = LIKELY) -> dict[str, BudgetOutlook]:
    """Budget outlook of every cost center that has use cases (None budget where none is set)."""
    return {cc: outlook(cc, cost, budgets.get(cc), alert_at, likely) for cc, cost in sorted(monthly_by_cost_center.items())}


def outlook_table(outlooks: Mapping[str, BudgetOutlook]) -> pd.DataFrame:
    """One row per budget: budget, worst-month P(exceed), breach and alert months."""
    rows = []
    for o in outlooks.values():
        worst = int(np.argmax(o.p_exceed)) + 1 if o.has_budget and o.p_exceed.size else None
        rows.append({
            "name": o.name, "budget": o.budget_mean, "p_exceed_max": o.p_exceed_max if o.has_budget else None,
            "worst_month": worst, "alert_month": o.alert_month, "breach_month": o.breach_month,
            "run_rate_p50": o.run_rate_p50, "run_rate_p95": o.run_rate_p95,
        })
    return pd.DataFrame(rows, columns=["name", "budget", "p_exceed_max", "worst_month", "alert_month", "breach_month",
                                       "run_rate_p50", "run_rate_p95"])
