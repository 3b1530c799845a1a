"""Portfolio and scenario-comparison exports: XLSX (a sheet per view) and CSV.

Views (:func:`portfolio_views`), each a tidy DataFrame:

``summary``       one row per scenario: portfolio monthly cost and value (p5/p50/p95), NPV,
                  the change against baseline and P(cheaper than baseline), paired trials
``by_use_case``   one row per scenario × use case: owners, cost center, KPIs
``by_layer``      one row per scenario × use case × cost layer [USD/month]
``by_scenario``   one row per use case × scenario with the delta against baseline
``assumptions``   every input of every use case, as written, with percentiles and source

Files are written by the one safe exporter, :mod:`finops_model.util.sheets` (text cells that a
spreadsheet would evaluate are neutralised; numbers stay numbers with number formats).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from finops_model.governance.portfolio import simulate_member
from finops_model.inputs.assumptions import Assumptions, load_assumptions, published_scenarios
from finops_model.model.engine import Result
from finops_model.model.kpis import LAYERS
from finops_model.reports.summaries import assumptions_table
from finops_model.util.settings import DEFAULT_TRIALS
from finops_model.util.sheets import write_csv, write_xlsx

BASELINE = "baseline"


def _pct(x: np.ndarray) -> tuple[float, float, float]:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (np.nan, np.nan, np.nan)
    p5, p50, p95 = np.percentile(x, [5, 50, 95])
    return float(p5), float(p50), float(p95)


def _simulate_all(a: Assumptions, trials: int, seed: int) -> dict[str, Result]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {uc_id: simulate_member(uc, a.catalog, trials, seed) for uc_id, uc in a.use_cases.items()}


def portfolio_views(
    scenarios: Sequence[str] = (), trials: int = DEFAULT_TRIALS, seed: int = 0, assumptions_dir: str | Path | None = None
) -> dict[str, pd.DataFrame]:
    """Simulate every use case under baseline and each scenario (same seed: paired trials).

    Returns
    -------
    dict view name → DataFrame (see the module docstring). Money in USD.
    """
    names = [BASELINE] + [s for s in scenarios if s != BASELINE]
    loaded: dict[str, Assumptions] = {}
    results: dict[str, dict[str, Result]] = {}
    for name in names:
        overlay = () if name == BASELINE and not _has_file(assumptions_dir, name) else (name,)
        a = load_assumptions(assumptions_dir, overlay)
        loaded[name] = a
        results[name] = _simulate_all(a, trials, seed)
    base = results[BASELINE]
    rows_uc, rows_layer, rows_scen, rows_sum = [], [], [], []
    for name in names:
        a = loaded[name]
        total_cost = sum(r.kpis["avg_monthly_cost"] for r in results[name].values())
        total_value = sum(r.kpis["monthly_value"] for r in results[name].values())
        total_npv = sum(r.kpis["npv"] for r in results[name].values())
        base_cost = sum(r.kpis["avg_monthly_cost"] for r in base.values())
        c5, c50, c95 = _pct(total_cost)
        v5, v50, v95 = _pct(total_value)
        rows_sum.append({
            "scenario": name, "use_cases": len(results[name]),
            "avg_monthly_cost_p5": c5, "avg_monthly_cost_p50": c50, "avg_monthly_cost_p95": c95,
            "monthly_value_p50": v50, "npv_p50": _pct(total_npv)[1],
            "delta_vs_baseline_p50": _pct(total_cost - base_cost)[1],
            "p_cheaper_than_baseline": float(np.mean(total_cost < base_cost)) if name != BASELINE else np.nan,
        })
        for uc_id, r in results[name].items():
            uc = a.use_cases[uc_id]
            k = r.kpis
            row = {
                "scenario": name, "use_case": uc_id, "name": uc.name,
                "business_owner": uc.owners.business_owner or "", "technical_owner": uc.owners.technical_owner or "",
                "team": uc.owners.team or "", "cost_center": uc.cost_center or "", "environment": uc.environment,
            }
            for kpi in ("avg_monthly_cost", "monthly_value", "cost_per_outcome", "value_per_outcome", "npv", "roi", "payback_month"):
                p5, p50, p95 = _pct(k[kpi])
                row[f"{kpi}_p50"] = p50
                if kpi == "avg_monthly_cost":
                    row["avg_monthly_cost_p5"], row["avg_monthly_cost_p95"] = p5, p95
            row["p_viable"] = float(np.mean(k["viable"]))
            row["annual_model_spend_p50"] = _pct(k["annual_model_spend"])[1]
            rows_uc.append(row)
            for layer, v in r.cost_by_layer().items():
                rows_layer.append({"scenario": name, "use_case": uc_id, "layer": layer, "avg_monthly_cost_mean": float(np.mean(v))})
            b = base[uc_id].kpis["avg_monthly_cost"]
            rows_scen.append({
                "use_case": uc_id, "scenario": name,
                "avg_monthly_cost_p5": _pct(k["avg_monthly_cost"])[0], "avg_monthly_cost_p50": _pct(k["avg_monthly_cost"])[1],
                "avg_monthly_cost_p95": _pct(k["avg_monthly_cost"])[2],
                "delta_vs_baseline_p50": _pct(k["avg_monthly_cost"] - b)[1],
                "p_cheaper_than_baseline": float(np.mean(k["avg_monthly_cost"] < b)) if name != BASELINE else np.nan,
            })
    assumptions_rows = []
    a0 = loaded[BASELINE]
    for uc_id in a0.use_cases:
        df = assumptions_table(a0, uc_id)
        df.insert(0, "use_case", uc_id)
        assumptions_rows.append(df)
    layer_order = {layer: i for i, layer in enumerate(LAYERS)}
    by_layer = pd.DataFrame(rows_layer)
    by_layer = by_layer.sort_values(["scenario", "use_case", "layer"], key=lambda s: s.map(layer_order) if s.name == "layer" else s, kind="stable")
    return {
        "summary": pd.DataFrame(rows_sum),
        "by_use_case": pd.DataFrame(rows_uc),
        "by_layer": by_layer.reset_index(drop=True),
        "by_scenario": pd.DataFrame(rows_scen).sort_values(["use_case", "scenario"], kind="stable").reset_index(drop=True),
        "assumptions": pd.concat(assumptions_rows, ignore_index=True) if assumptions_rows else pd.DataFrame(),
    }


def _has_file(root: str | Path | None, name: str) -> bool:
    from finops_model.util.paths import ASSUMPTIONS_DIR

    return (Path(root or ASSUMPTIONS_DIR) / "scenarios" / f"{name}.yaml").exists()


def write_csvs(views: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Write each view as ``<folder>/<view>.csv`` (safe, atomic)."""
    return [write_csv(folder / f"{name}.csv", df) for name, df in views.items()]


def write_portfolio_exports(a: Assumptions, folder: Path, scenarios: Sequence[str], trials: int, seed: int) -> list[Path]:
    """The portfolio workbook and CSVs of a render run (baseline plus each scenario)."""
    views = portfolio_views(scenarios or _default_scenarios(a), trials, seed, a.root)
    return [write_xlsx(views, folder / "portfolio.xlsx"), *write_csvs(views, folder / "csv")]


def _default_scenarios(a: Assumptions) -> list[str]:
    return [name for name in published_scenarios(a.root) if name != BASELINE]
