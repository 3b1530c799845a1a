"""The usage table folded into what the forecast predicts: spend, tokens, calls and requests per
use case, calendar month (or day) and model.

The usage table follows the column contract of :mod:`finops_model.actuals` (``timestamp`` UTC,
``model``, ``input_tokens`` incl. cached, ``output_tokens`` incl. reasoning, ``requests`` = model
calls, ``request_id`` nullable, ``billed_cost`` nullable [USD], ``use_case`` …). Spend is the
billed cost where the source has one, else the row re-priced at the catalog's list price on its
date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finops_model.costs.pricing import call_cost
from finops_model.errors import FinopsError

#: Columns every function here reads.
REQUIRED = ("timestamp", "model", "input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens",
            "reasoning_tokens", "requests", "request_id", "billed_cost", "use_case")

#: Token columns [tokens].
TOKEN_COLUMNS = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens")


def check_columns(usage: pd.DataFrame, what: str = "usage table") -> None:
    """Refuse a table without the columns of the contract (one line naming them)."""
    missing = [c for c in REQUIRED if c not in usage.columns]
    if missing:
        raise FinopsError(f"{what}: expected the columns {', '.join(REQUIRED)}, found no {', '.join(missing)}")


def list_price_cost(usage: pd.DataFrame, catalog) -> pd.Series:
    """Each row re-priced at the catalog list price on the row's date [USD].

    Rows are priced per call (tokens ÷ calls) so long-context tiers see the prompt of one call,
    then multiplied by the calls. A model the catalog does not know costs NaN.
    """
    out = pd.Series(np.nan, index=usage.index, dtype=float)
    if usage.empty:
        return out
    day = usage["timestamp"].dt.tz_convert("UTC").dt.date
    calls = usage["requests"].astype(float).clip(lower=1.0)
    for (model, d), idx in usage.groupby([usage["model"], day], sort=False).groups.items():
        try:
            price = catalog.price(str(model), on=d)
        except FinopsError:
            continue
        rows = usage.loc[idx]
        c = calls.loc[idx].to_numpy()
        per = {k: rows[k].to_numpy(float) / c for k in TOKEN_COLUMNS}
        out.loc[idx] = call_cost(price, per["input_tokens"], per["output_tokens"], per["cache_read_tokens"],
                                 per["cache_write_tokens"], per["reasoning_tokens"]) * c
    return out


def spend(usage: pd.DataFrame, catalog) -> pd.Series:
    """Spend of each row [USD]: ``billed_cost``, else the list-price re-pricing."""
    billed = pd.to_numeric(usage["billed_cost"], errors="coerce").astype(float)
    if billed.isna().any():
        billed = billed.fillna(list_price_cost(usage[billed.isna()], catalog))
    return billed


def period(ts: pd.Series, freq: str = "month") -> pd.Series:
    """The calendar month (first day) or day of each UTC timestamp, as dates."""
    t = ts.dt.tz_convert("UTC")
    if freq == "month":
        return pd.Series([d.replace(day=1) for d in t.dt.date], index=ts.index) if len(t) else pd.Series([], dtype=object)
    return t.dt.date


def requests_in(frame: pd.DataFrame) -> float:
    """User requests in a slice of the table [requests]: distinct ``request_id`` values.

    NaN when no row carries a request id (volume then comes from calls, see
    :func:`by_period`)."""
    ids = frame["request_id"].dropna()
    return float(ids.nunique()) if len(ids) else float("nan")


def by_period(usage: pd.DataFrame, use_case_id: str, catalog, freq: str = "month") -> pd.DataFrame:
    """Spend [USD], tokens [tokens], calls [calls] per period and model of one use case, with
    the period's distinct requests [requests] (NaN without request ids) on every row.

    Columns: ``period, model, cost, tokens, input_tokens, output_tokens, cache_read_tokens,
    cache_write_tokens, reasoning_tokens, calls, rows, requests``.
    """
    check_columns(usage)
    u = usage[usage["use_case"] == use_case_id]
    cols = ["period", "model", "cost", "tokens", *TOKEN_COLUMNS, "calls", "rows", "requests"]
    if u.empty:
        return pd.DataFrame(columns=cols)
    u = u.assign(period=period(u["timestamp"], freq), cost=spend(u, catalog),
                 tokens=u["input_tokens"].astype(float) + u["output_tokens"].astype(float),
                 calls=u["requests"].astype(float))
    g = u.groupby(["period", "model"], sort=True)
    out = g[["cost", "tokens", *TOKEN_COLUMNS, "calls"]].sum().astype(float)
    out["rows"] = g.size()
    out = out.reset_index()
    req = u.groupby("period")["request_id"].nunique(dropna=True).astype(float)
    has = u.groupby("period")["request_id"].count()
    req[has == 0] = np.nan
    out["requests"] = out["period"].map(req)
    return out[cols]
