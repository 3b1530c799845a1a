"""Shared platform costs: allocate the pool to use cases (showback) and cost centers (chargeback).

The pool is ``org.platform`` — AI gateway, shared observability platform and the platform team
[USD/month]. It is shared out per trial by one rule:

=========  ==================================================================================
rule       share of use case *i*
=========  ==================================================================================
tokens     its tokens per month ÷ the portfolio's
spend      its direct run cost (own costs, no build, no platform share) ÷ the portfolio's
requests   its requests per month ÷ the portfolio's
even       1 ÷ number of use cases
fixed      its ``hidden.platform.share_of_platform`` ÷ the sum of the declared shares
=========  ==================================================================================

Allocations always sum to the pool: when every driver of a trial is zero the pool is split
evenly. A showback table rounds the means to cents with the largest-remainder method so the
printed rows add up to the printed pool exactly.

The engine already charges each use case ``share_of_platform × pool``; the showback replaces
that declared share with the allocation, so the platform is never counted twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from finops_model.errors import FinopsError

Array = NDArray[np.float64]
Rule = Literal["tokens", "spend", "requests", "even", "fixed"]
RULES: tuple[str, ...] = ("tokens", "spend", "requests", "even", "fixed")

#: Portfolio driver behind each rule.
RULE_DRIVERS: dict[str, str | None] = {
    "tokens": "tokens", "spend": "direct_run_cost", "requests": "requests", "even": None, "fixed": "fixed_share",
}


def allocation_shares(drivers: ArrayLike) -> Array:
    """Shares of the pool from non-negative drivers, per trial [fraction].

    Parameters
    ----------
    drivers : (k,) or (k, n) array [driver unit]
        One row per use case (and a column per trial).

    Returns
    -------
    Same shape [fraction]; each column sums to 1 (an all-zero column is split evenly).
    """
    d = np.asarray(drivers, dtype=float)
    if d.ndim == 0 or d.shape[0] == 0:
        raise FinopsError("allocation: expected at least one use case to allocate to, found none")
    if not np.all(np.isfinite(d)) or np.any(d < 0):
        raise FinopsError("allocation: expected finite drivers ≥ 0, found a negative or non-finite value")
    total = d.sum(axis=0)
    k = d.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(total > 0, d / np.where(total > 0, total, 1.0), 1.0 / k)
    return shares


def allocate(pool: ArrayLike, drivers: ArrayLike) -> Array:
    """Allocate the pool in proportion to the drivers [USD/month].

    Parameters
    ----------
    pool : float or (n,) array [USD/month]
    drivers : (k,) or (k, n) array [driver unit]

    Returns
    -------
    (k,) or (k, n) array [USD/month] whose column sums equal the pool.
    """
    shares = allocation_shares(drivers)
    p = np.asarray(pool, dtype=float)
    if shares.ndim == 1 and p.ndim == 1:  # fixed drivers, a pool per trial
        shares = np.broadcast_to(shares[:, None], (shares.shape[0], p.shape[0]))
    alloc = shares * p
    # put the floating-point residue on the largest share so the columns sum to the pool exactly
    resid = p - alloc.sum(axis=0)
    top = np.argmax(shares, axis=0)
    if alloc.ndim == 1:
        alloc[top] += resid
    else:
        alloc[top, np.arange(alloc.shape[1])] += resid
    return alloc


def rule_drivers(rule: str, drivers: Mapping[str, ArrayLike], k: int) -> Array:
    """The driver matrix of a rule from the portfolio's named drivers (``even``: ones)."""
    if rule not in RULE_DRIVERS:
        raise FinopsError(f"allocation: expected a rule among {', '.join(RULES)}, found {rule!r}")
    name = RULE_DRIVERS[rule]
    if name is None:
        return np.ones(k)
    return np.asarray(drivers[name], dtype=float)


def round_largest_remainder(values: ArrayLike, total: float, decimals: int = 2) -> Array:
    """Round ``values`` to ``decimals`` so they sum exactly to ``total`` rounded the same way.

    Hamilton's largest-remainder method: floor every value, then give the missing units to the
    largest remainders [same unit as ``values``].
    """
    v = np.asarray(values, dtype=float)
    scale = 10.0**decimals
    target = int(round(total * scale))
    units = v * scale
    floors = np.floor(units)
    missing = target - int(floors.sum())
    order = np.argsort(-(units - floors), kind="stable")
    out = floors.copy()
    if missing > 0:
        out[order[:missing]] += 1
    elif missing < 0:
        order = np.argsort(units - floors, kind="stable")
        out[order[:-missing]] -= 1
    return out / scale


def allocate_portfolio(portfolio: Any, rule: str = "spend", scenario: str | None = None,
                       shares: Mapping[str, float] | None = None) -> tuple[list[str], Array]:
    """Allocate a portfolio's platform pool to its use cases, per trial.

    Parameters
    ----------
    portfolio : portfolio.Portfolio
    rule : {"tokens", "spend", "requests", "even", "fixed"}
    scenario : str, optional
    shares : mapping use case → share, optional
        Explicit fixed shares for ``fixed`` (normalised; default: the files' declared shares).

    Returns
    -------
    ids, (k, n) array [USD/month]
    """
    sc = portfolio._scenario(scenario)
    if rule not in RULE_DRIVERS:
        raise FinopsError(f"allocation: expected a rule among {', '.join(RULES)}, found {rule!r}")
    ids = list(portfolio.use_cases[sc])
    if rule == "fixed" and shares is not None:
        unknown = sorted(set(shares) - set(ids))
        if unknown:
            raise FinopsError(f"allocation: shares: expected use-case ids among {', '.join(ids)}, found {', '.join(unknown)}")
        d: Array = np.array([float(shares.get(i, 0.0)) for i in ids])
    elif rule == "even":
        d = np.ones(len(ids))
    else:
        _, d = portfolio.drivers(RULE_DRIVERS[rule], sc)
    d = np.clip(d, 0.0, None)  # a driver can dip below zero only by rounding
    return ids, allocate(portfolio.pool, d)


def showback(portfolio: Any, rule: str = "spend", scenario: str | None = None,
             shares: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Showback table: each use case's direct run cost, allocated platform share and total.

    Columns: use_case, team, owner, cost_center, environment, ``direct_run_cost``,
    ``platform_allocation``, ``fully_loaded`` (means [USD/month], allocation rounded to cents by
    largest remainder so it sums to the pool), ``fully_loaded_p5``/``_p95`` [USD/month],
    ``share`` [fraction of the pool].
    """
    sc = portfolio._scenario(scenario)
    ids, alloc = allocate_portfolio(portfolio, rule, sc, shares)
    means = alloc.mean(axis=1)
    pool_mean = float(np.mean(portfolio.pool))
    rounded = round_largest_remainder(means, pool_mean)
    rows = []
    for i, uc_id in enumerate(ids):
        info = portfolio.info[uc_id]
        direct = portfolio.use_cases[sc][uc_id].drivers["direct_run_cost"]
        loaded = direct + alloc[i]
        p5, p95 = np.percentile(loaded, [5, 95])
        rows.append({
            "use_case": uc_id, "team": info.team, "owner": info.owner, "cost_center": info.cost_center,
            "environment": info.environment, "direct_run_cost": float(direct.mean()),
            "platform_allocation": float(rounded[i]), "fully_loaded": float(direct.mean()) + float(rounded[i]),
            "fully_loaded_p5": float(p5), "fully_loaded_p95": float(p95),
            "share": float(means[i] / pool_mean) if pool_mean else 0.0,
        })
    return pd.DataFrame(rows, columns=["use_case", "team", "owner", "cost_center", "environment", "direct_run_cost",
                                       "platform_allocation", "fully_loaded", "fully_loaded_p5", "fully_loaded_p95", "share"])


def chargeback(portfolio: Any, rule: str = "spend", scenario: str | None = None,
               shares: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Chargeback per cost center: direct run cost, allocated platform and the total to charge.

    Columns: cost_center, use_cases (count), ``direct_run_cost``, ``platform_allocation``,
    ``charge`` (means [USD/month]; allocation to cents, summing to the pool), ``charge_p5``,
    ``charge_p95`` [USD/month], ``budget`` [USD/month] and ``p_over_budget`` [fraction] where
    the cost center has a budget.
    """
    sc = portfolio._scenario(scenario)
    ids, alloc = allocate_portfolio(portfolio, rule, sc, shares)
    centers: dict[str, list[int]] = {}
    for i, uc_id in enumerate(ids):
        centers.setdefault(portfolio.info[uc_id].cost_center, []).append(i)
    names = sorted(centers)
    per_cc = np.stack([alloc[centers[c]].sum(axis=0) for c in names]) if names else np.zeros((0, portfolio.n_trials))
    rounded = round_largest_remainder(per_cc.mean(axis=1), float(np.mean(portfolio.pool))) if names else np.zeros(0)
    rows = []
    for j, cc in enumerate(names):
        direct = np.sum([portfolio.use_cases[sc][ids[i]].drivers["direct_run_cost"] for i in centers[cc]], axis=0)
        charge = direct + per_cc[j]
        p5, p95 = np.percentile(charge, [5, 95])
        budget = portfolio.cost_center_budgets.get(cc)
        rows.append({
            "cost_center": cc, "use_cases": len(centers[cc]), "direct_run_cost": float(direct.mean()),
            "platform_allocation": float(rounded[j]), "charge": float(direct.mean()) + float(rounded[j]),
            "charge_p5": float(p5), "charge_p95": float(p95),
            "budget": float(np.mean(budget)) if budget is not None else None,
            "p_over_budget": float(np.mean(charge > np.asarray(budget, float))) if budget is not None else None,
        })
    return pd.DataFrame(rows, columns=["cost_center", "use_cases", "direct_run_cost", "platform_allocation", "charge",
                                       "charge_p5", "charge_p95", "budget", "p_over_budget"])


def compare_rules(portfolio: Any, scenario: str | None = None, rules: Sequence[str] = RULES) -> pd.DataFrame:
    """Mean allocation of each use case under every rule [USD/month] (one column per rule)."""
    sc = portfolio._scenario(scenario)
    out: dict[str, Any] = {"use_case": list(portfolio.use_cases[sc])}
    for rule in rules:
        _, alloc = allocate_portfolio(portfolio, rule, sc)
        out[rule] = alloc.mean(axis=1)
    return pd.DataFrame(out)
