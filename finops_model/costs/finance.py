"""Value and financial KPIs: net value, present values, NPV, ROI and payback.

Two conventions (``finance.convention`` of a use case, default the organisation's):

* ``monthly`` — monthly flows, one-off costs at month 0, month t discounted by (1 + r)^(−t/12);
  ROI = (total value − total cost) / total cost, **undiscounted**.
* ``annual`` — the convention of Forrester Total Economic Impact (TEI) studies: annual flows,
  initial (one-off) costs at year 0 **undiscounted**, years 1 … N discounted at the end of each
  year, (1 + r)^(−y); ROI = NPV / PV(costs), **discounted**.

In both, risk adjustments (a haircut on benefits, an uplift on costs) are applied before
discounting, and payback is linear within the period (4.08 months, 1.6 years).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]


def monthly_discount_factors(discount_rate_per_year: ArrayLike, months: int) -> Array:
    """Discount factor of months 0 … ``months`` [fraction].

    Month t is discounted by ``(1 + r)^(−t/12)``; month 0 (one-off costs) is not discounted.

    Returns
    -------
    numpy.ndarray, shape (n, months + 1) or (months + 1,)
    """
    r = np.asarray(discount_rate_per_year, dtype=float)
    t = np.arange(months + 1, dtype=float)
    if r.ndim == 1:
        return (1.0 + r[:, None]) ** (-t / 12.0)
    return (1.0 + r) ** (-t / 12.0)


def npv(net_monthly: ArrayLike, one_off: ArrayLike, discount_factors: ArrayLike) -> Array:
    """Net present value [USD].

    Parameters
    ----------
    net_monthly : (n, M) [USD/month]
        Value minus recurring cost in months 1 … M.
    one_off : (n,) [USD]
        One-off costs at month 0.
    discount_factors : (n, M + 1) or (M + 1,)
        From :func:`monthly_discount_factors`.
    """
    d = np.asarray(discount_factors, dtype=float)
    net = np.asarray(net_monthly, dtype=float)
    if d.ndim == 1:  # one discount curve for every trial; einsum, not BLAS gemv, so each
        # trial's sum is bit-identical however the trials are chunked
        return np.einsum("nm,m->n", net, d[1:]) - np.asarray(one_off, dtype=float) * d[0]
    return np.einsum("...m,...m->...", net, d[..., 1:]) - np.asarray(one_off, dtype=float) * d[..., 0]


def payback_month(net_monthly: ArrayLike, one_off: ArrayLike, overwrite: bool = False) -> Array:
    """When cumulative net value recovers the one-off costs, linear within the month [month].

    The one-off costs are at month 0 and each month's net value is taken to accrue evenly over
    that month: a case that needs 4.08 months of net value reports 4.08, not 5. Returns 0 when
    there is nothing to recover, NaN for trials that do not pay back within the horizon
    (callers report the probability of paying back, never the NaN itself). With ``overwrite``
    the cumulative sum is written into ``net_monthly`` (saves memory on large runs).
    """
    net = np.asarray(net_monthly, dtype=float)
    one = np.broadcast_to(np.asarray(one_off, dtype=float), net.shape[:-1])
    cum = np.cumsum(net, axis=-1, out=net if overwrite else None)
    return _first_crossing(cum, one)


def payback_period(flows: ArrayLike) -> Array:
    """Payback of period cash flows 0 … P, linear within the period [periods].

    ``flows[..., 0]`` is the initial (year-0) net flow, usually negative; later periods' net
    flows accrue evenly within their period. Returns 0 when the initial flow is ≥ 0 and NaN
    when the cumulative flow never turns non-negative.

    Parameters
    ----------
    flows : (n, P + 1) [USD/period]
        Net flows (benefits − costs), period 0 first.
    """
    f = np.asarray(flows, dtype=float)
    cum = np.cumsum(f[..., 1:], axis=-1)
    return _first_crossing(cum, -f[..., 0])


def _first_crossing(cum: Array, initial: Array) -> Array:
    """Fractional first period at which ``cum`` (periods 1 … P) reaches ``initial``."""
    paid = cum >= initial[..., None]
    k = np.argmax(paid, axis=-1)  # 0-based index of the first period that pays back
    at = np.take_along_axis(cum, k[..., None], axis=-1)[..., 0]
    before = np.where(k > 0, np.take_along_axis(cum, np.maximum(k - 1, 0)[..., None], axis=-1)[..., 0], 0.0)
    step = at - before
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # masked by step > 0
        frac = np.where(step > 0, (initial - before) / step, 1.0)
    out = k + np.clip(frac, 0.0, 1.0)
    out = np.where(initial <= 0, 0.0, out)
    return np.where(paid.any(axis=-1) | (initial <= 0), out, np.nan)


def roi(total_value: ArrayLike, total_cost: ArrayLike) -> Array:
    """Return on investment: (value − cost) / cost [fraction].

    Undiscounted totals give the monthly convention's ROI; present values (PV of benefits,
    PV of costs) give the annual (TEI) convention's ROI = NPV / PV(costs)."""
    v, c = np.asarray(total_value, dtype=float), np.asarray(total_cost, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(c > 0, (v - c) / c, np.nan)


# --------------------------------------------------------------------------- annual (TEI) convention
MONTHS_PER_YEAR = 12


def years_of(months: int) -> int:
    """Years covering a horizon of ``months`` months (a last partial year counts) [years]."""
    return -(-int(months) // MONTHS_PER_YEAR)


def annual_sums(by_month: ArrayLike) -> Array:
    """Sum months 1 … M into years 1 … Y (months 1–12 are year 1; a partial last year kept).

    Parameters
    ----------
    by_month : (n, M) [USD/month]

    Returns
    -------
    (n, Y) [USD/year]
    """
    a = np.asarray(by_month, dtype=float)
    starts = np.arange(0, a.shape[-1], MONTHS_PER_YEAR)
    return np.add.reduceat(a, starts, axis=-1)


def annual_discount_factors(discount_rate_per_year: ArrayLike, years: int) -> Array:
    """Discount factors of years 0 … ``years`` [fraction]: year 0 undiscounted, year y at
    its end, ``(1 + r)^(−y)``.

    Returns
    -------
    numpy.ndarray, shape (n, years + 1) or (years + 1,)
    """
    r = np.asarray(discount_rate_per_year, dtype=float)
    y = np.arange(years + 1, dtype=float)
    if r.ndim == 1:
        return (1.0 + r[:, None]) ** (-y)
    return (1.0 + r) ** (-y)


def present_value(flows: ArrayLike, discount_factors: ArrayLike) -> Array:
    """Present value of period flows 0 … P [USD]: Σ flow_p × factor_p.

    Parameters
    ----------
    flows : (n, P + 1) [USD/period]
    discount_factors : (n, P + 1) or (P + 1,) [fraction]
    """
    f = np.asarray(flows, dtype=float)
    d = np.asarray(discount_factors, dtype=float)
    return np.einsum("...p,...p->...", f, np.broadcast_to(d, f.shape))


def risk_adjust_costs(costs: ArrayLike, uplift: ArrayLike) -> Array:
    """Risk-adjusted costs: costs × (1 + uplift) [USD]."""
    return np.asarray(costs, dtype=float) * (1.0 + np.asarray(uplift, dtype=float))


def risk_adjust_benefits(benefits: ArrayLike, haircut: ArrayLike) -> Array:
    """Risk-adjusted benefits: benefits × (1 − haircut) [USD]."""
    return np.asarray(benefits, dtype=float) * (1.0 - np.asarray(haircut, dtype=float))


def business_case(costs_by_period: ArrayLike, benefits_by_period: ArrayLike, discount_factors: ArrayLike) -> dict[str, Array]:
    """The finance KPIs of period flows 0 … P (already risk-adjusted).

    Parameters
    ----------
    costs_by_period, benefits_by_period : (n, P + 1) [USD/period]
        Period 0 holds the initial (one-off) amounts, undiscounted.
    discount_factors : (n, P + 1) or (P + 1,) [fraction]

    Returns
    -------
    dict
        ``pv_costs``, ``pv_benefits``, ``npv`` [USD], ``roi`` = NPV / PV(costs) [fraction],
        ``payback`` [periods] (undiscounted cumulative flows, linear within the period).
    """
    c = np.asarray(costs_by_period, dtype=float)
    b = np.asarray(benefits_by_period, dtype=float)
    pvc = present_value(c, discount_factors)
    pvb = present_value(b, discount_factors)
    return {"pv_costs": pvc, "pv_benefits": pvb, "npv": pvb - pvc, "roi": roi(pvb, pvc), "payback": payback_period(b - c)}
