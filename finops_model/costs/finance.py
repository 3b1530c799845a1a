"""Value and financial KPIs: net value, NPV, ROI and payback."""

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
    """First month in which cumulative net value (after one-off costs) is ≥ 0 [month].

    Returns NaN for trials that do not pay back within the horizon (callers report the
    probability of paying back, never the NaN itself). With ``overwrite`` the cumulative sum
    is written into ``net_monthly`` (saves memory on large runs).
    """
    net = np.asarray(net_monthly, dtype=float)
    one = np.broadcast_to(np.asarray(one_off, dtype=float), net.shape[:-1])
    cum = np.cumsum(net, axis=-1, out=net if overwrite else None)
    paid = cum >= one[..., None]
    first = np.argmax(paid, axis=-1).astype(float) + 1.0
    return np.where(paid.any(axis=-1), first, np.nan)


def roi(total_value: ArrayLike, total_cost: ArrayLike) -> Array:
    """Return on investment over the horizon: (value − cost) / cost [fraction]."""
    v, c = np.asarray(total_value, dtype=float), np.asarray(total_cost, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(c > 0, (v - c) / c, np.nan)
