"""Anomaly alerts on the actuals: "this is outside what we forecast", not just "spend went up".

Checks, each a row of the alert table (``alert, use_case, day, model, observed, threshold,
detail``):

* ``daily_spend`` — a day's bill above the forecast's p99 of a day's bill (the month's trials ÷
  days, with the use case's day-to-day spread) [USD/day];
* ``tokens_per_call`` — a step's tokens per call on a day above its forecast p99 (× 1 + ``slack``)
  [tokens/call];
* ``frontier_share`` — the frontier-tier share of a day's spend up by more than
  ``share_jump`` on its trailing median (the forecast's share before there is one) [fraction];
* ``cache_drop`` — the prompt-cache read share of a model's input down by more than ``cache_drop``
  (relative) on its trailing median [fraction];
* ``retry_rise`` — the share of calls that are retries (``request_type`` ``<step>:retry``) up by
  more than ``retry_rise`` on its trailing median [fraction];
* ``unattributed`` — the share of a month's spend with no use case above ``unattributed`` [fraction];
* ``price_mismatch`` — a model's billed cost off the catalog re-pricing by more than
  ``price_tolerance`` (relative) in a month [fraction].

These are the seed's compounding inefficiencies: a bigger prompt, more retries, more frontier
traffic, a cache that stopped hitting, spend nobody owns, a price nobody checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from finops_model.actuals.burn import daily_sigma, days_in_month
from finops_model.actuals.forecast import BillForecast, month_start
from finops_model.actuals.monthly import check_columns, list_price_cost, period, spend

COLUMNS = ["alert", "use_case", "day", "model", "observed", "threshold", "detail"]


@dataclass(frozen=True)
class Thresholds:
    """When an alert fires.

    Attributes
    ----------
    quantile : float [fraction]
        Forecast quantile a day must exceed (0.99).
    slack : float [fraction]
        Relative margin on the tokens-per-call quantile (point assumptions have no spread).
    share_jump : float [fraction]
        Absolute rise of the frontier share of spend.
    cache_drop : float [fraction]
        Relative fall of the cache-read share.
    retry_rise : float [fraction]
        Absolute rise of the retry share of calls.
    unattributed : float [fraction]
        Share of a month's spend with no use case.
    price_tolerance : float [fraction]
        Relative difference of billed cost to the catalog.
    baseline_days : int [days]
        Trailing window of the baselines (at least 3 days needed).
    """

    quantile: float = 0.99
    slack: float = 0.10
    share_jump: float = 0.15
    cache_drop: float = 0.30
    retry_rise: float = 0.05
    unattributed: float = 0.05
    price_tolerance: float = 0.02
    baseline_days: int = 7


def _trailing(series: pd.Series, days: int) -> pd.Series:
    return series.shift(1).rolling(days, min_periods=3).median()


def _row(alert: str, uc: str | None, day, model, observed: float, threshold: float, detail: str) -> dict:
    return {"alert": alert, "use_case": uc, "day": day, "model": model, "observed": float(observed),
            "threshold": float(threshold), "detail": detail}


def _daily_spend(uc: str, fc: BillForecast, daily: pd.Series, t: Thresholds, seed: int) -> list[dict]:
    out = []
    sigma = daily_sigma(daily.to_numpy())
    rng = np.random.default_rng(seed)
    for day, x in daily.items():
        i = fc.index(day)
        if i is None:
            continue
        bills = fc.total_cost[:, i] / days_in_month(month_start(day))
        draws = bills * np.exp(sigma * rng.standard_normal(bills.size) - sigma ** 2 / 2)
        p = float(np.quantile(draws, t.quantile))
        if x > p:
            out.append(_row("daily_spend", uc, day, None, x, p, f"bill ${x:,.2f} on {day} above the forecast p{t.quantile * 100:.0f} ${p:,.2f}"))
    return out


def _tokens_per_call(uc: str, fc: BillForecast, u: pd.DataFrame, t: Thresholds) -> list[dict]:
    limit: dict[str, float] = {}
    for step, model in fc.step_models.items():
        st = fc.steps[step]
        q = float(np.quantile(np.asarray(st["input_tokens_per_call"] + st["output_tokens_per_call"], float), t.quantile))
        limit[model] = max(limit.get(model, 0.0), q * (1 + t.slack))
    g = u.groupby(["day", "model"])[["tokens", "calls"]].sum()
    out = []
    for (day, model), r in g.iterrows():
        if model in limit and r.calls > 0 and r.tokens / r.calls > limit[model]:
            x = r.tokens / r.calls
            out.append(_row("tokens_per_call", uc, day, model, x, limit[model],
                            f"{model}: {x:,.0f} tokens/call above the forecast p{t.quantile * 100:.0f} (+{t.slack:.0%})"))
    return out


def _frontier_share(uc: str, fc: BillForecast, u: pd.DataFrame, catalog, t: Thresholds) -> list[dict]:
    tier = {m: _tier(catalog, m) for m in u["model"].unique()}
    u = u.assign(frontier=u["model"].map(tier).eq("frontier"))
    daily = u.groupby("day")["cost"].sum()
    front = u[u["frontier"]].groupby("day")["cost"].sum().reindex(daily.index, fill_value=0.0)
    share = (front / daily.where(daily > 0)).dropna()
    fmodels = [m for m in fc.model_cost if _tier(catalog, m) == "frontier"]
    planned = float(sum(fc.model_cost[m].mean() for m in fmodels) / max(fc.total_cost.mean(), 1e-12))
    base = _trailing(share, t.baseline_days).fillna(planned)
    out = []
    for day, s in share.items():
        if s > base[day] + t.share_jump:
            out.append(_row("frontier_share", uc, day, None, s, base[day] + t.share_jump,
                            f"frontier share of spend {s:.0%} against {base[day]:.0%} before"))
    return out


def _tier(catalog, model: str) -> str | None:
    try:
        return catalog.tier(model)
    except Exception:  # noqa: BLE001 -- a model the catalog does not know has no tier
        return None


def _ratio_alert(name: str, uc: str, frame: pd.DataFrame, num: str, den: str, by: list[str], t: Thresholds,
                 rising: bool, what: str) -> list[dict]:
    out = []
    for key, g in frame.groupby(by[1:]) if len(by) > 1 else [(None, frame)]:
        s = g.groupby("day")[[num, den]].sum()
        s = s[s[den] > 0]
        r = s[num] / s[den]
        base = _trailing(r, t.baseline_days)
        for day, x in r.items():
            b = base[day]
            if np.isnan(b):
                continue
            model = key[0] if isinstance(key, tuple) else key
            if rising and x > b + t.retry_rise:
                out.append(_row(name, uc, day, model, x, b + t.retry_rise, f"{what} {x:.1%} against {b:.1%} before"))
            if not rising and b > 0 and x < b * (1 - t.cache_drop):
                out.append(_row(name, uc, day, model, x, b * (1 - t.cache_drop), f"{what} of {model} {x:.1%} against {b:.1%} before"))
    return out


def alert_table(usage: pd.DataFrame, forecasts: Mapping[str, BillForecast], catalog,
                thresholds: Thresholds | None = None, seed: int = 0) -> pd.DataFrame:
    """Every alert that fires on the usage table (see the module docstring), most recent first."""
    check_columns(usage)
    t = thresholds or Thresholds()
    if usage.empty:
        return pd.DataFrame(columns=COLUMNS)
    u = usage.assign(cost=spend(usage, catalog), day=period(usage["timestamp"], "day"),
                     month=period(usage["timestamp"], "month"),
                     tokens=usage["input_tokens"].astype(float) + usage["output_tokens"].astype(float),
                     calls=usage["requests"].astype(float),
                     retry=usage["request_type"].astype("string").fillna("").str.endswith(":retry").astype(float))
    u["retry_calls"] = u["retry"] * u["calls"]
    rows: list[dict] = []
    for uc, fc in forecasts.items():
        v = u[u["use_case"] == uc]
        if v.empty:
            continue
        rows += _daily_spend(uc, fc, v.groupby("day")["cost"].sum(), t, seed)
        rows += _tokens_per_call(uc, fc, v, t)
        rows += _frontier_share(uc, fc, v, catalog, t)
        rows += _ratio_alert("cache_drop", uc, v, "cache_read_tokens", "input_tokens", ["day", "model"], t, False, "cache-read share")
        if v["retry"].any():
            rows += _ratio_alert("retry_rise", uc, v, "retry_calls", "calls", ["day"], t, True, "retry share of calls")
    # unattributed spend per month
    no_uc = u["use_case"].isna() | (u["use_case"].astype("string").fillna("").str.strip() == "")
    by_month = u.groupby("month")["cost"].sum()
    orphan = u[no_uc].groupby("month")["cost"].sum().reindex(by_month.index, fill_value=0.0)
    for month, x in orphan.items():
        share = x / by_month[month] if by_month[month] > 0 else 0.0
        if share > t.unattributed:
            rows.append(_row("unattributed", None, month, None, share, t.unattributed,
                             f"${x:,.2f} ({share:.0%}) of {month:%Y-%m} spend matches no use case"))
    # billed price against the catalog, per model and month
    billed = u[pd.to_numeric(u["billed_cost"], errors="coerce").notna()]
    if not billed.empty:
        billed = billed.assign(list_cost=list_price_cost(billed, catalog))
        g = billed.groupby(["month", "model"])[["billed_cost", "list_cost"]].sum(min_count=1).dropna()
        for (month, model), r in g.iterrows():
            if r.list_cost > 0:
                diff = r.billed_cost / r.list_cost - 1
                if abs(diff) > t.price_tolerance:
                    rows.append(_row("price_mismatch", None, month, model, diff, t.price_tolerance,
                                     f"{model} {month:%Y-%m}: billed ${r.billed_cost:,.2f}, the catalog says ${r.list_cost:,.2f} ({diff:+.1%})"))
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.sort_values(["day", "alert"], ascending=[False, True], kind="stable").reset_index(drop=True)
