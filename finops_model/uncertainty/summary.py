"""KPI summaries: mean, percentiles and Monte Carlo standard error of every KPI.

A KPI can be undefined in some trials (cost per outcome with no outcomes, a payback month that
falls outside the horizon). Summaries never show NaN or infinity: they are computed over the
trials where the KPI is defined, the share of such trials is reported, and a KPI defined in no
trial is reported as undefined with the reason.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from finops_model.model.engine import Result
from finops_model.model.kpis import KPI_UNITS, LAYERS

#: KPIs that are probabilities (per-trial 0/1): the summary's mean is the probability.
PROBABILITY_KPIS = frozenset({"viable", "review_triggered"})

#: Why a KPI can be undefined in a trial.
UNDEFINED_REASONS = {
    "cost_per_outcome": "no outcomes",
    "cost_per_request": "no requests",
    "cost_per_active_user": "no active users",
    "cost_per_call": "no model calls",
    "cost_per_mtok": "no tokens",
    "roi": "no cost",
    "payback_month": "does not pay back within the horizon",
}

#: Note of a KPI whose Monte Carlo error cannot be estimated (one defined trial).
MC_ERROR_UNDEFINED = "Monte Carlo error undefined with one trial: run at least 2"

#: The KPIs shown by default, in order.
HEADLINE_KPIS: tuple[str, ...] = (
    "avg_monthly_cost",
    "recurring_monthly_cost",
    "run_rate_cost",
    "monthly_value",
    "monthly_net_value",
    "npv",
    "roi",
    "payback_month",
    "cost_per_outcome",
    "value_per_outcome",
    "viable",
    "cost_per_request",
    "cost_per_active_user",
    "cost_per_call",
    "cost_per_mtok",
    "calls_per_request",
    "tokens_per_request",
    "requests_per_month",
    "outcomes_per_month",
    "annual_model_spend",
    "review_triggered",
    *(f"cost_{layer}" for layer in LAYERS),
    "one_off_cost",
)


def summarise_array(x: np.ndarray) -> dict[str, Any]:
    """Mean, standard error, p5/p50/p95 of the finite values of ``x``.

    Returns
    -------
    dict with ``mean``, ``mean_se`` (Monte Carlo standard error of the mean), ``p5``, ``p50``,
    ``p95``, ``defined_share`` [fraction of trials where the value is finite]; statistics are
    None where no trial is defined, and ``mean_se`` is None (undefined) with one defined trial.
    """
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x)
    n_ok = int(ok.sum())
    share = n_ok / x.size if x.size else 0.0
    if n_ok == 0:
        return {"mean": None, "mean_se": None, "p5": None, "p50": None, "p95": None, "defined_share": 0.0}
    v = x[ok] if n_ok < x.size else x
    p5, p50, p95 = np.percentile(v, [5, 50, 95])
    se = float(v.std(ddof=1) / math.sqrt(n_ok)) if n_ok > 1 else None  # undefined from one trial
    return {"mean": float(v.mean()), "mean_se": se, "p5": float(p5), "p50": float(p50), "p95": float(p95), "defined_share": share}


def summarise(result: Result, kpis: tuple[str, ...] | None = None) -> pd.DataFrame:
    """One row per KPI: ``kpi, unit, mean, mean_se, p5, p50, p95, defined_share, note``.

    Probabilities (``viable``, ``review_triggered``) have ``unit = probability`` and their mean
    is the probability. ``note`` explains undefined trials.
    """
    rows = []
    for name in kpis or HEADLINE_KPIS:
        stats = summarise_array(result.kpis[name])
        unit = "probability" if name in PROBABILITY_KPIS else KPI_UNITS[name]
        note = ""
        if stats["defined_share"] == 0:
            note = f"undefined: {UNDEFINED_REASONS.get(name, 'no valid trial')}"
        elif stats["defined_share"] < 1:
            note = f"defined in {stats['defined_share']:.1%} of trials; otherwise {UNDEFINED_REASONS.get(name, 'undefined')}"
        if stats["defined_share"] > 0 and stats["mean_se"] is None:
            note = "; ".join(n for n in (note, MC_ERROR_UNDEFINED) if n)
        rows.append({"kpi": name, "unit": unit, **stats, "note": note})
    return pd.DataFrame(rows)


def summary_json(result: Result, kpis: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The summary as a JSON-ready object (documented in the README, "finops simulate").

    ``{"use_case": id, "trials": n, "seed": s, "method": m, "kpis": {name: {"unit", "mean",
    "mean_se", "p5", "p50", "p95", "defined_share", "note"}}}``; undefined statistics are null.
    """
    df = summarise(result, kpis)
    out: dict[str, Any] = {}
    for row in df.to_dict(orient="records"):
        name = row.pop("kpi")
        out[name] = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
    seed = result.seed if isinstance(result.seed, int | None) else str(result.seed)
    return {"use_case": result.use_case_id, "trials": result.n_trials, "seed": seed, "method": result.method, "kpis": out}


def format_value(x: float | None, unit: str) -> str:
    """A number formatted for people: money with thousands separators, fractions as %."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    if unit in ("fraction", "probability"):
        return f"{x:.1%}"
    ax = abs(x)
    if ax >= 1e9:
        return f"{x / 1e9:,.2f}B"
    if ax >= 1e6:
        return f"{x / 1e6:,.2f}M"
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 1:
        return f"{x:,.2f}"
    if ax == 0:
        return "0"
    return f"{x:.4g}"


def format_table(df: pd.DataFrame, title: str = "") -> str:
    """A plain-text table of a :func:`summarise` frame."""
    header = ("KPI", "unit", "mean", "p5", "p50", "p95", "note")
    rows = [header]
    for r in df.itertuples(index=False):
        if r.note.startswith("undefined"):
            rows.append((r.kpi, r.unit, "undefined", "", "", "", r.note))
            continue
        rows.append((r.kpi, r.unit, *(format_value(getattr(r, c), r.unit) for c in ("mean", "p5", "p50", "p95")), r.note))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    lines = [title] if title else []
    for i, row in enumerate(rows):
        cells = [str(c).ljust(w) if j in (0, 1, 6) else str(c).rjust(w) for j, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
