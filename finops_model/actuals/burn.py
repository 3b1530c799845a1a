"""Month-to-date burn: P(budget exceeded by month end) and the exhaustion day with its band.

The forecast's trials of the month's bill ``B_i`` [USD/month] are a prior on the daily run rate
``r_i = B_i / D`` [USD/day] (``D`` days in the month). The days already billed update it: each
observed daily spend ``x_d`` is lognormal around the trial's rate, ``log x_d ~ N(log r_i − σ²/2,
σ²)`` (``σ`` the day-to-day spread), the trials are weighted by that likelihood and resampled
(Bayes by importance resampling). Each resampled trial then draws the remaining days with the
same day-to-day noise and adds the recurring cost that is not on the bill (``other_cost``, spread
evenly over the days) when the budget covers it, as the use case's ``budget.monthly`` does
(:mod:`finops_model.governance.budgets`). The month-end totals give P(exceeded) through
:func:`~finops_model.governance.budgets.exceed_probability`; the first day each trial's cumulative
spend reaches the budget gives the exhaustion day, and its 5th–95th percentiles the 90% band
(``inf``: not in this month).
"""

from __future__ import annotations

import calendar
import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from finops_model.actuals.forecast import BillForecast, month_start
from finops_model.actuals.monthly import by_period
from finops_model.errors import FinopsError
from finops_model.governance.budgets import exceed_probability

Array = NDArray[np.float64]

#: Day-to-day spread of daily spend used when fewer than three days are observed [log-sd].
DEFAULT_DAILY_SIGMA = 0.25


def days_in_month(month: _dt.date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def daily_sigma(daily_spend: ArrayLike, default: float = DEFAULT_DAILY_SIGMA) -> float:
    """Day-to-day spread of daily spend [log-sd]: a robust (MAD) estimate on the positive days
    around their trend, ``default`` with fewer than three days."""
    x = np.asarray(daily_spend, float)
    x = x[x > 0]
    if x.size < 3:
        return default
    lx = np.log(x)
    resid = lx - np.polyval(np.polyfit(np.arange(lx.size), lx, 1), np.arange(lx.size)) if x.size >= 5 else lx - np.median(lx)
    mad = float(np.median(np.abs(resid - np.median(resid)))) * 1.4826
    return max(mad, 1e-3)


def posterior_resample(rate: ArrayLike, observed: ArrayLike, sigma: float, seed: int = 0) -> NDArray[np.intp]:
    """Indices of trials resampled by the likelihood of the observed days.

    Parameters
    ----------
    rate : (n,) [USD/day]
        Daily rate of each trial.
    observed : (k,) [USD/day]
        Observed daily spend (days ≤ 0 carry no information and are skipped).
    sigma : float [log-sd]
        Day-to-day spread; 0 keeps the prior.
    """
    r = np.asarray(rate, float)
    x = np.asarray(observed, float)
    x = x[x > 0]
    n = r.size
    if sigma <= 0 or x.size == 0:
        return np.arange(n)
    with np.errstate(divide="ignore"):
        mu = np.log(r)[:, None] - sigma ** 2 / 2
    ll = -0.5 * np.sum((np.log(x)[None, :] - mu) ** 2, axis=1) / sigma ** 2
    ll[~np.isfinite(ll)] = -np.inf
    if not np.isfinite(ll).any():
        return np.arange(n)
    w = np.exp(ll - ll.max())
    w /= w.sum()
    u = (np.random.default_rng(seed).random() + np.arange(n)) / n  # systematic resampling
    return np.minimum(np.searchsorted(np.cumsum(w), u), n - 1)


def exhaustion_days(spent_by_day: ArrayLike, budget: ArrayLike, first_day: int) -> Array:
    """When each trial's cumulative spend reaches the budget [day of month, fractional]; inf when never.

    Spend is taken as even within a day, so a budget reached part-way through day ``d`` gives
    ``d − 1 + (budget − spent before d) / spend of d`` in ``(d − 1, d]``; its calendar date is
    day ``ceil`` of it.

    Parameters
    ----------
    spent_by_day : (n, days) [USD/day]
        Spend of days ``first_day`` … ``first_day + days − 1``.
    budget : float or (n,) [USD/month]
    """
    x = np.asarray(spent_by_day, float)
    cum = np.cumsum(x, axis=1)
    b = np.asarray(budget, float)
    b = b[:, None] if b.ndim == 1 else np.full((x.shape[0], 1), float(b))
    hit = cum >= b
    any_hit = hit.any(axis=1)
    j = np.argmax(hit, axis=1)
    rows = np.arange(x.shape[0])
    before = cum[rows, j] - x[rows, j]
    with np.errstate(all="ignore"):
        frac = np.where(x[rows, j] > 0, (b[:, 0] - before) / x[rows, j], 1.0)
    t = first_day - 1 + j + np.clip(frac, 0.0, 1.0)
    return np.where(any_hit, t, np.inf)


@dataclass(frozen=True)
class Burn:
    """Month-to-date burn of one use case against a budget.

    Attributes
    ----------
    month : date ; as_of : date
        The month and the last day with actuals.
    days, days_observed : int
    spent_to_date : float [USD]
        Actual bill to date (plus the non-bill cost to date when ``include_other``).
    budget : float [USD/month]
    p_exceed : float [fraction]
        P(month-end total > budget).
    exhausted_on : date or None
        Day the budget was already reached, when it has been.
    exhaustion_day_p5, _p50, _p95 : float [day of month, fractional]
        Band of the exhaustion day (inf: not in this month); ``day_date`` gives the date.
    month_end_p5, _p50, _p95 : float [USD/month]
        Month-end total.
    daily_sigma : float [log-sd]
    """

    use_case: str
    month: _dt.date
    as_of: _dt.date
    days: int
    days_observed: int
    spent_to_date: float
    budget: float
    include_other: bool
    p_exceed: float
    exhausted_on: _dt.date | None
    exhaustion_day_p5: float
    exhaustion_day_p50: float
    exhaustion_day_p95: float
    month_end_p5: float
    month_end_p50: float
    month_end_p95: float
    daily_sigma: float
    daily_actual: list[float] = field(default_factory=list, repr=False)

    def day_date(self, day: float) -> _dt.date | None:
        """The calendar date of a (fractional) exhaustion day (None for inf)."""
        return None if not np.isfinite(day) else self.month.replace(day=max(1, int(np.ceil(day))))

    def to_dict(self) -> dict[str, Any]:
        def day(x: float) -> Any:
            d = self.day_date(x)
            return d.isoformat() if d else None

        return {
            "use_case": self.use_case, "month": self.month.isoformat(), "as_of": self.as_of.isoformat(),
            "days": self.days, "days_observed": self.days_observed, "spent_to_date_usd": self.spent_to_date,
            "budget_usd_per_month": self.budget, "includes_non_bill_cost": self.include_other,
            "p_exceed_by_month_end": self.p_exceed,
            "exhausted_on": self.exhausted_on.isoformat() if self.exhausted_on else None,
            "exhaustion_day": {"p5": day(self.exhaustion_day_p5), "p50": day(self.exhaustion_day_p50),
                               "p95": day(self.exhaustion_day_p95)},
            "month_end_usd": {"p5": self.month_end_p5, "p50": self.month_end_p50, "p95": self.month_end_p95},
            "daily_sigma": self.daily_sigma,
        }


def burn_from_daily(use_case: str, month: _dt.date, daily_actual: ArrayLike, bill_trials: ArrayLike, budget: ArrayLike,
                    other_trials: ArrayLike | None = None, sigma: float | None = None, seed: int = 0) -> Burn:
    """The burn of one month from its observed daily bill (see the module docstring).

    Parameters
    ----------
    month : date
        First day of the month.
    daily_actual : (k,) [USD/day]
        Bill of days 1 … k (k < days in the month; k ≥ the days elapsed).
    bill_trials : (n,) [USD/month]
        Forecast of the month's bill per trial.
    budget : float or (n,) [USD/month]
    other_trials : (n,) [USD/month], optional
        Recurring cost of the month not on the bill, when the budget covers it.
    sigma : float, optional [log-sd]
        Day-to-day spread (default: estimated from the observed days).
    """
    month = month_start(month)
    d_total = days_in_month(month)
    x = np.asarray(daily_actual, float)
    k = x.size
    if k > d_total:
        raise FinopsError(f"burn {use_case} {month:%Y-%m}: expected at most {d_total} days of actuals, found {k}")
    bills = np.asarray(bill_trials, float)
    n = bills.size
    other = np.zeros(n) if other_trials is None else np.broadcast_to(np.asarray(other_trials, float), (n,))
    s = daily_sigma(x) if sigma is None else float(sigma)
    idx = posterior_resample(bills / d_total, x, s, seed)
    rate, oth = bills[idx] / d_total, other[idx] / d_total
    b = np.asarray(budget, float)
    b = b[idx] if b.ndim == 1 else b
    rest = d_total - k
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    noise = np.exp(s * rng.standard_normal((n, rest)) - s ** 2 / 2) if s > 0 else np.ones((n, rest))
    future = rate[:, None] * noise + oth[:, None]
    to_date = float(x.sum())
    past = np.broadcast_to(x, (n, k)) + oth[:, None]
    path = np.concatenate([past, future], axis=1)
    days = exhaustion_days(path, b, 1)
    month_end = path.sum(axis=1)
    spent = to_date + float(np.mean(oth)) * k
    exhausted = None
    observed_hit = days[np.isfinite(days)]
    if observed_hit.size and np.all(days <= k):  # reached on an observed day in every trial
        exhausted = month.replace(day=max(1, int(np.ceil(np.min(observed_hit)))))
    q = np.percentile(days, [5, 50, 95], method="inverted_cdf")
    me = np.percentile(month_end, [5, 50, 95])
    return Burn(use_case, month, month.replace(day=max(k, 1)), d_total, k, spent, float(np.mean(b)), other_trials is not None,
                float(exceed_probability(month_end[:, None], b)[0]), exhausted, float(q[0]), float(q[1]), float(q[2]),
                float(me[0]), float(me[1]), float(me[2]), s, x.tolist())


def burn(fc: BillForecast, usage: pd.DataFrame, catalog, budget: ArrayLike, month: _dt.date | None = None,
         include_other: bool = True, sigma: float | None = None, seed: int = 0) -> Burn:
    """Month-to-date burn of a use case's bill from the usage table.

    ``month`` defaults to the month of the latest actual; the days observed run from the 1st to
    the latest day with actuals (days without rows count as zero spend).
    """
    daily = by_period(usage, fc.use_case_id, catalog, "day")
    if daily.empty:
        raise FinopsError(f"burn {fc.use_case_id}: expected usage rows of this use case, found none")
    spend = daily.groupby("period")["cost"].sum()
    month = month_start(month or max(spend.index))
    i = fc.index(month)
    if i is None:
        raise FinopsError(f"burn {fc.use_case_id}: month {month:%Y-%m}: expected a month inside the forecast horizon "
                          f"({fc.months[0]:%Y-%m} to {fc.months[-1]:%Y-%m})")
    in_month = spend[[month_start(d) == month for d in spend.index]]
    if in_month.empty:
        raise FinopsError(f"burn {fc.use_case_id}: month {month:%Y-%m}: expected actuals in this month, found none")
    last = max(in_month.index).day
    x = np.zeros(last)
    for d, v in in_month.items():
        x[d.day - 1] = v
    return burn_from_daily(fc.use_case_id, month, x, fc.total_cost[:, i], budget,
                           fc.other_cost[:, i] if include_other else None, sigma, seed)
