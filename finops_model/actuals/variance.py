"""Forecast against actual, month by month: the band, the actual's percentile in it, and a
variance bridge of actual − forecast into volume, tokens per request, model mix and price.

The bill of a month is written ``cost = R × T × Σ_m w_m p_m`` — requests ``R`` [requests/month],
tokens per request ``T`` [tokens/request], each model's share of the tokens ``w_m`` [fraction] and
its price ``p_m`` [USD/token]. Moving every factor from its forecast to its actual value, the
change is split among the four factors by their Shapley values (the average of the effect of
changing a factor over every order of changing them), which sum to actual − forecast exactly and
do not depend on an arbitrary order. A model only in the actuals gets its actual price on both
sides (its whole effect is model mix); a model only in the forecast keeps its forecast price.
Actual spend on rows with no tokens (a flat fee, a credit) is its own part, ``unmetered``.

The forecast side is the forecast mean: ``R`` the mean requests of the month, each model's
tokens and cost per request the trial means divided by it, so the bridge starts from the mean
of the simulated bill.
"""

from __future__ import annotations

import datetime as _dt
from itertools import permutations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from finops_model.actuals.forecast import BillForecast
from finops_model.actuals.monthly import by_period

Array = NDArray[np.float64]

#: The parts of the bridge, in the order they are shown.
PARTS = ("volume", "tokens_per_request", "model_mix", "price")


def bill(requests: float, tokens_per_request: float, mix: ArrayLike, price: ArrayLike) -> float:
    """``R × T × Σ w p`` [USD/month]."""
    return float(requests * tokens_per_request * np.dot(np.asarray(mix, float), np.asarray(price, float)))


def shapley_bridge(forecast: tuple[float, float, ArrayLike, ArrayLike],
                   actual: tuple[float, float, ArrayLike, ArrayLike]) -> dict[str, float]:
    """Shapley decomposition of ``bill(*actual) − bill(*forecast)`` into :data:`PARTS` [USD/month].

    Parameters
    ----------
    forecast, actual : (R, T, w, p)
        Requests [requests/month], tokens per request [tokens/request], token shares by model
        [fraction] and prices by model [USD/token]; ``w`` and ``p`` over the same models.

    Returns
    -------
    dict part → effect [USD/month]; the effects sum to the difference (up to rounding).
    """
    k = len(PARTS)
    effects = dict.fromkeys(PARTS, 0.0)
    cache: dict[tuple[bool, ...], float] = {}

    def value(mask: tuple[bool, ...]) -> float:
        if mask not in cache:
            cache[mask] = bill(*(actual[i] if mask[i] else forecast[i] for i in range(k)))
        return cache[mask]

    orders = list(permutations(range(k)))
    for order in orders:
        mask = [False] * k
        for i in order:
            before = value(tuple(mask))
            mask[i] = True
            effects[PARTS[i]] += value(tuple(mask)) - before
    return {p: e / len(orders) for p, e in effects.items()}


def _factors(requests: float, tokens: Array, cost: Array) -> tuple[float, float, Array, Array]:
    total = float(tokens.sum())
    t = total / requests if requests > 0 else 0.0
    w = tokens / total if total > 0 else np.zeros_like(tokens)
    with np.errstate(all="ignore"):
        p = np.where(tokens > 0, cost / np.where(tokens > 0, tokens, 1.0), np.nan)
    return float(requests), t, w, p


def month_bridge(fc: BillForecast, i: int, actual: pd.DataFrame) -> dict[str, float]:
    """Forecast, actual and bridge of one month.

    Parameters
    ----------
    fc : BillForecast
    i : int
        Column of the month in ``fc``.
    actual : DataFrame
        The month's rows of :func:`finops_model.actuals.monthly.by_period` (one per model).

    Returns
    -------
    dict with ``actual``, ``forecast`` (mean), ``p5``, ``p50``, ``p95``, ``percentile``
    [USD/month, percent], the :data:`PARTS` and ``unmetered`` [USD/month], ``requests_actual``,
    ``requests_forecast`` [requests/month] and ``volume_basis`` ("request ids" or "calls").
    """
    models = sorted(set(fc.model_cost) | set(actual["model"]))
    a = actual.set_index("model")
    a_cost = np.array([float(a["cost"].get(m, 0.0)) for m in models])
    a_tok = np.array([float(a["tokens"].get(m, 0.0)) for m in models])
    a_calls = float(a["calls"].sum())
    r_f = float(fc.requests[:, i].mean())
    f_cost = np.array([float(fc.model_cost[m][:, i].mean()) if m in fc.model_cost else 0.0 for m in models])
    f_tok = np.array([float(fc.model_tokens[m][:, i].mean()) if m in fc.model_tokens else 0.0 for m in models])
    req = actual["requests"].dropna()
    if len(req):
        r_a, basis = float(req.iloc[0]), "request ids"
    else:  # no request ids: volume from the calls at the forecast's calls per request
        f_calls = sum(float(fc.model_calls[m][:, i].mean()) for m in fc.model_calls)
        r_a, basis = (a_calls * r_f / f_calls if f_calls > 0 else a_calls), "calls"
    unmetered = float(a_cost[a_tok <= 0].sum())
    metered = np.where(a_tok > 0, a_cost, 0.0)
    fR, fT, fw, fp = _factors(r_f, f_tok, f_cost)
    aR, aT, aw, ap = _factors(r_a, a_tok, metered)
    ap = np.where(np.isnan(ap), fp, ap)  # only in the forecast: keep its price
    fp = np.where(np.isnan(fp), ap, fp)  # only in the actuals: its actual price on both sides
    fp = np.nan_to_num(fp)
    ap = np.nan_to_num(ap)
    parts = shapley_bridge((fR, fT, fw, fp), (aR, aT, aw, ap))
    total = fc.total_cost[:, i]
    actual_total = float(a_cost.sum())
    q = np.percentile(total, [5, 50, 95])
    return {
        "actual": actual_total, "forecast": float(total.mean()),
        "p5": float(q[0]), "p50": float(q[1]), "p95": float(q[2]),
        "percentile": float(100.0 * np.mean(total <= actual_total)),
        **parts, "unmetered": unmetered,
        "requests_actual": r_a, "requests_forecast": r_f, "volume_basis": basis,
    }


def variance_table(fc: BillForecast, usage: pd.DataFrame, catalog) -> pd.DataFrame:
    """One row per calendar month of actuals inside the forecast horizon (see
    :func:`month_bridge`): band, percentile and bridge of the use case's bill [USD/month].

    The parts ``volume + tokens_per_request + model_mix + price + unmetered`` sum to
    ``actual − forecast``.
    """
    monthly = by_period(usage, fc.use_case_id, catalog, "month")
    rows = []
    for month, frame in monthly.groupby("period", sort=True):
        i = fc.index(month)
        if i is None:
            continue
        rows.append({"use_case": fc.use_case_id, "month": month, **month_bridge(fc, i, frame)})
    cols = ["use_case", "month", "actual", "forecast", "p5", "p50", "p95", "percentile", *PARTS, "unmetered",
            "requests_actual", "requests_forecast", "volume_basis"]
    return pd.DataFrame(rows, columns=cols)


def band_table(fc: BillForecast, usage: pd.DataFrame, catalog, months: list[_dt.date] | None = None) -> pd.DataFrame:
    """The forecast band of every horizon month with the actual where there is one [USD/month]."""
    band = fc.band()
    monthly = by_period(usage, fc.use_case_id, catalog, "month")
    actual = monthly.groupby("period")["cost"].sum() if len(monthly) else pd.Series(dtype=float)
    band["actual"] = band["month"].map(actual)
    if months is not None:
        band = band[band["month"].isin(months)]
    return band.reset_index(drop=True)
