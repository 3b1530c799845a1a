"""Compare scenarios across use cases: KPI percentiles, paired deltas, P(cheaper).

A scenario is an overlay in ``assumptions/scenarios/`` (``baseline``, ``optimised``,
``stress``…). Written ``<name>+levers`` it is the overlay with the use case's lever plan
(:func:`finops_model.levers.load_lever_plans`, default ``assumptions/levers.yaml``) applied on
top, e.g. ``baseline+levers``.

Every scenario of a use case is evaluated on the same trials: with the Monte Carlo design each
input has its own random stream keyed by its name, so trial *i* sees the same draw of every
input the scenarios share (common random numbers). Deltas and ``P(A cheaper than B)`` are
computed on these paired trials, which removes the noise the scenarios have in common.

The ``total`` rows add the use cases trial by trial. Inputs with the same field path in two use
cases share a stream (e.g. ``org.labour_rates.analyst``), which is right for organisation-wide
inputs and makes like-named use-case inputs move together (a cautious, wide total).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from finops_model.decisions.levers import (
    LeverPlans,
    apply_all,
    evaluate_state,
    initial_state,
    load_lever_plans,
)
from finops_model.errors import AssumptionError, Problem
from finops_model.inputs.assumptions import load_assumptions
from finops_model.inputs.distributions import Method
from finops_model.model.kpis import KPI_UNITS

Array = NDArray[np.float64]

LEVERS_SUFFIX = "+levers"

#: KPIs in the comparison table by default.
DEFAULT_KPIS: tuple[str, ...] = (
    "run_rate_cost", "avg_monthly_cost", "monthly_value", "monthly_net_value", "cost_per_outcome",
    "cost_per_request", "tokens_per_request", "npv", "roi",
)

#: KPIs that add up across use cases (the ``total`` rows).
ADDITIVE_KPIS = frozenset({
    "run_rate_cost", "avg_monthly_cost", "monthly_value", "monthly_net_value", "total_cost", "total_value",
    "net_value", "npv", "recurring_cost", "one_off_cost", "annual_model_spend", "requests_per_month",
    "outcomes_per_month",
})

TOTAL = "total"


@dataclass
class Comparison:
    """Per-trial KPIs of several scenarios on several use cases, paired by trial.

    Attributes
    ----------
    scenarios : tuple of str
        In the order given; the first is the reference for deltas.
    use_cases : tuple of str
    kpis : dict (use case, scenario) → dict KPI → (n,) array [unit in ``KPI_UNITS``]
        Including ``(TOTAL, scenario)`` for the additive KPIs.
    cost_kpi : str
        KPI used for "cheaper" [USD/month].
    """

    scenarios: tuple[str, ...]
    use_cases: tuple[str, ...]
    kpis: dict[tuple[str, str], dict[str, Array]]
    n_trials: int
    seed: Any
    cost_kpi: str = "run_rate_cost"
    digests: dict[str, str] = field(default_factory=dict)

    def table(self, kpis: Sequence[str] | None = None) -> pd.DataFrame:
        """KPI table: one row per use case × scenario × KPI with mean, p5, p50, p95, and the
        paired delta against the reference scenario (mean, p5, p50, p95) [KPI unit]."""
        kpis = tuple(kpis or DEFAULT_KPIS)
        ref = self.scenarios[0]
        rows = []
        for uc in (*self.use_cases, TOTAL):
            for sc in self.scenarios:
                data = self.kpis.get((uc, sc))
                if data is None:
                    continue
                for k in kpis:
                    if k not in data:
                        continue
                    x = data[k]
                    ok = np.isfinite(x)
                    row: dict[str, Any] = {"use_case": uc, "scenario": sc, "kpi": k, "unit": KPI_UNITS.get(k, "")}
                    row.update(_stats(x[ok], ""))
                    if sc != ref:
                        d = x - self.kpis[(uc, ref)][k]
                        row.update(_stats(d[np.isfinite(d)], "delta_"))
                    rows.append(row)
        return pd.DataFrame(rows)

    def p_cheaper(self) -> pd.DataFrame:
        """P(scenario A costs less than scenario B) on paired trials, for every ordered pair and
        use case (and the total), on ``cost_kpi``."""
        rows = []
        for uc in (*self.use_cases, TOTAL):
            for a in self.scenarios:
                for b in self.scenarios:
                    if a == b or (uc, a) not in self.kpis:
                        continue
                    xa, xb = self.kpis[(uc, a)][self.cost_kpi], self.kpis[(uc, b)][self.cost_kpi]
                    rows.append({"use_case": uc, "cheaper": a, "than": b, "probability": float(np.mean(xa < xb))})
        return pd.DataFrame(rows)

    def to_json(self) -> dict[str, Any]:
        t = self.table()
        return {
            "scenarios": list(self.scenarios), "use_cases": list(self.use_cases), "trials": self.n_trials,
            "seed": self.seed, "cost_kpi": self.cost_kpi, "assumptions_hash": self.digests,
            "kpis": t.astype(object).where(t.notna(), None).to_dict(orient="records"),
            "p_cheaper": self.p_cheaper().to_dict(orient="records"),
        }


def _stats(x: Array, prefix: str) -> dict[str, float | None]:
    if x.size == 0:
        return {f"{prefix}{k}": None for k in ("mean", "p5", "p50", "p95")}
    p5, p50, p95 = np.percentile(x, [5, 50, 95])
    return {f"{prefix}mean": float(np.mean(x)), f"{prefix}p5": float(p5), f"{prefix}p50": float(p50), f"{prefix}p95": float(p95)}


def parse_scenario(token: str) -> tuple[str, bool]:
    """``'optimised+levers'`` → ``('optimised', True)``; ``'baseline'`` → ``('baseline', False)``."""
    token = token.strip()
    if token.endswith(LEVERS_SUFFIX):
        return token[: -len(LEVERS_SUFFIX)], True
    return token, False


def compare_scenarios(
    scenarios: Sequence[str],
    use_cases: Sequence[str] | None = None,
    root: str | Path | None = None,
    n: int = 2_000,
    seed: int = 0,
    method: Method = "mc",
    levers: LeverPlans | str | Path | None = None,
    cost_kpi: str = "run_rate_cost",
) -> Comparison:
    """Evaluate every scenario on every use case on the same trials.

    Parameters
    ----------
    scenarios : sequence of str
        Scenario names (``baseline`` is the file ``scenarios/baseline.yaml``); ``<name>+levers``
        adds the lever plan. The first scenario is the reference for deltas.
    use_cases : sequence of str, optional
        Use-case ids (default: all).
    root : path, optional
        Assumptions folder.
    n, seed, method
        Trials, seed and design (``mc`` keeps trials paired across scenarios).
    levers : LeverPlans or path, optional
        Lever plans for ``+levers`` scenarios (default ``<root>/levers.yaml``).
    cost_kpi : str
        KPI compared by :meth:`Comparison.p_cheaper` [USD/month].
    """
    if len(scenarios) < 1:
        raise AssumptionError.single("", "--scenarios", "expected at least one scenario, found none")
    if len(set(scenarios)) != len(scenarios):
        raise AssumptionError.single("", "--scenarios", f"expected distinct scenarios, found {', '.join(scenarios)}")
    base_root = Path(root) if root is not None else None
    plans: LeverPlans | None = levers if isinstance(levers, LeverPlans) else None
    out: dict[tuple[str, str], dict[str, Array]] = {}
    digests: dict[str, str] = {}
    ids: tuple[str, ...] = ()
    catalog = None
    for token in scenarios:
        name, with_levers = parse_scenario(token)
        overlay = () if name == "baseline" and not _has_file(base_root, name) else (name,)
        a = load_assumptions(base_root, overlay, use_cases=use_cases, catalog=catalog)
        catalog = a.catalog
        digests[token] = a.digest
        ids = tuple(a.use_cases)
        if with_levers and plans is None:
            plans = load_lever_plans(levers if levers is not None else a.root / "levers.yaml")
        for uc_id, uc in a.use_cases.items():
            plan = plans.for_use_case(uc_id) if with_levers and plans is not None else ()
            if with_levers and not plan:
                raise AssumptionError(Problem(plans.file if plans else "", f"plans.{uc_id}", "expected a lever plan for this use case (or '*'), found none"))
            state = initial_state(uc, plan, a.catalog, n, seed, method, plans.file if plans else "")
            result = evaluate_state(apply_all(plan, state))
            out[(uc_id, token)] = {k: np.asarray(v, dtype=float) for k, v in result.kpis.items()}
    for token in scenarios:
        out[(TOTAL, token)] = {
            k: np.sum([out[(u, token)][k] for u in ids], axis=0) for k in ADDITIVE_KPIS if all(k in out[(u, token)] for u in ids)
        }
    return Comparison(tuple(scenarios), ids, out, n, seed, cost_kpi, digests)


def _has_file(root: Path | None, name: str) -> bool:
    from finops_model.util.paths import ASSUMPTIONS_DIR

    return ((root or ASSUMPTIONS_DIR) / "scenarios" / f"{name}.yaml").exists()


def format_comparison(c: Comparison, kpis: Sequence[str] | None = None) -> str:
    """Plain-text comparison: per use case and KPI, p50 [p5 … p95] per scenario, then P(cheaper)."""
    t = c.table(kpis)
    lines = [f"Scenario comparison — {c.n_trials:,} paired trials, seed {c.seed}; deltas against {c.scenarios[0]}"]
    for uc, g in t.groupby("use_case", sort=False):
        lines.append("")
        lines.append(f"{uc}")
        for k, gk in g.groupby("kpi", sort=False):
            unit = gk["unit"].iloc[0]
            cells = []
            for _, r in gk.iterrows():
                cell = f"{r['scenario']}: {_fmt(r['p50'])} [{_fmt(r['p5'])} … {_fmt(r['p95'])}]"
                if r["scenario"] != c.scenarios[0] and "delta_p50" in r and r["delta_p50"] is not None and not pd.isna(r["delta_p50"]):
                    cell += f" Δ {_fmt(r['delta_p50'], signed=True)}"
                cells.append(cell)
            lines.append(f"  {k} [{unit}]: " + " | ".join(cells))
    pc = c.p_cheaper()
    if not pc.empty and len(c.scenarios) > 1:
        lines.append("")
        lines.append(f"P(cheaper) on {c.cost_kpi}, paired trials:")
        for uc, g in pc.groupby("use_case", sort=False):
            pairs = [f"{r['cheaper']} < {r['than']}: {r['probability']:.0%}" for _, r in g.iterrows()]
            lines.append(f"  {uc}: " + "; ".join(pairs))
    return "\n".join(lines)


def _fmt(x: Any, signed: bool = False) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "n/a"
    x = float(x)
    s = f"{x:+,.0f}" if signed else f"{x:,.0f}"
    if abs(x) < 100:
        s = f"{x:+,.4g}" if signed else f"{x:,.4g}"
    return s


__all__ = ["Comparison", "compare_scenarios", "format_comparison", "parse_scenario", "DEFAULT_KPIS", "TOTAL"]
