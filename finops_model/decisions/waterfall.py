"""Savings waterfall: what each lever saves, in the order that works, with its uncertainty.

The levers of a plan are grouped by stage (:data:`finops_model.levers.STAGES`: observability →
prompt compression → routing → context engineering → caching → batch → infrastructure →
vendor) and applied cumulatively. Every evaluation uses the **same trials** (one sample of the
use case's inputs and the levers' parameters), so each stage's saving is a per-trial difference
of paired costs (common random numbers) and the stage savings telescope: they sum exactly, trial
by trial, to the total difference between the unoptimised and the optimised cost.

Because levers interact (a prompt compressed first leaves less for caching to save), the saving
attributed to a stage depends on the order. Beside each cumulative step the waterfall reports
what that stage would save **alone** on the unoptimised use case.

Savings are in the unit of the chosen KPI (default ``run_rate_cost`` [USD/month], the steady
monthly cost at the end of the horizon; ``monthly_cost`` spreads one-off costs, including the
levers' engineering effort, over the live months).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from finops_model.decisions.levers import (
    STAGE_TITLES,
    STAGES,
    Lever,
    LeverState,
    apply,
    apply_all,
    evaluate_state,
    initial_state,
)
from finops_model.errors import FinopsError
from finops_model.inputs.distributions import Method
from finops_model.inputs.schema import UseCase
from finops_model.model.engine import Result
from finops_model.model.kpis import KPI_UNITS

Array = NDArray[np.float64]

#: Cost KPIs a waterfall can be drawn on.
COST_KPIS: tuple[str, ...] = ("run_rate_cost", "avg_monthly_cost", "total_cost", "cost_per_outcome", "cost_per_request")


def _pct(x: Array) -> dict[str, float]:
    p5, p50, p95 = np.percentile(x, [5, 50, 95])
    return {"mean": float(np.mean(x)), "p5": float(p5), "p50": float(p50), "p95": float(p95)}


@dataclass
class WaterfallStep:
    """One stage of the waterfall.

    Attributes
    ----------
    stage : str
        Stage id (:data:`~finops_model.levers.STAGES`).
    levers : tuple of str
        Labels of the levers applied at this stage (empty: nothing to do).
    saving : (n,) [KPI unit]
        Cost before the stage minus cost after it, per trial (cumulative order).
    alone : (n,) [KPI unit]
        What the stage's levers save applied alone to the unoptimised use case.
    one_off_cost : (n,) [USD]
        The stage levers' one-off engineering effort.
    monthly_cost : (n,) [USD/month]
        The stage levers' added infrastructure or tooling.
    """

    stage: str
    levers: tuple[str, ...]
    saving: Array
    alone: Array
    one_off_cost: Array
    monthly_cost: Array


@dataclass
class Waterfall:
    """A savings waterfall for one use case (see the module docstring).

    Attributes
    ----------
    use_case_id : str
    kpi : str
        KPI the savings are measured on; unit ``unit``.
    unit : str
    baseline, optimised : (n,) [unit]
        Cost before any lever and after all of them, per trial.
    steps : list of WaterfallStep
        In stage order; ``sum(step.saving) == baseline − optimised`` per trial.
    results : dict
        ``"baseline"``, ``"optimised"`` :class:`~finops_model.engine.Result` objects.
    """

    use_case_id: str
    kpi: str
    unit: str
    baseline: Array
    optimised: Array
    steps: list[WaterfallStep]
    results: dict[str, Result] = field(default_factory=dict, repr=False)
    n_trials: int = 0
    seed: Any = None

    @property
    def total_saving(self) -> Array:
        """Baseline minus optimised, per trial [unit]."""
        return self.baseline - self.optimised

    def to_frame(self) -> pd.DataFrame:
        """One row per stage plus the start, the end and the total; mean/p5/p50/p95 columns.

        Columns ``saving_*`` are the cumulative-order savings, ``alone_*`` the stage alone,
        ``share_of_saving`` the stage's mean saving over the mean total saving, and
        ``p_saves`` the probability that the stage lowers the cost.
        """
        rows: list[dict[str, Any]] = []
        rows.append({"stage": "baseline", "title": "Unoptimised", **{f"cost_{k}": v for k, v in _pct(self.baseline).items()}})
        total = float(np.mean(self.total_saving))
        for s in self.steps:
            row = {"stage": s.stage, "title": STAGE_TITLES[s.stage], "levers": ", ".join(s.levers)}
            row.update({f"saving_{k}": v for k, v in _pct(s.saving).items()})
            row.update({f"alone_{k}": v for k, v in _pct(s.alone).items()})
            row["share_of_saving"] = float(np.mean(s.saving)) / total if total else np.nan
            row["p_saves"] = float(np.mean(s.saving > 0))
            row["one_off_cost_mean"] = float(np.mean(s.one_off_cost))
            row["monthly_cost_mean"] = float(np.mean(s.monthly_cost))
            rows.append(row)
        rows.append({"stage": "total", "title": "Total saving", **{f"saving_{k}": v for k, v in _pct(self.total_saving).items()},
                     "share_of_saving": 1.0 if total else np.nan, "p_saves": float(np.mean(self.total_saving > 0))})
        rows.append({"stage": "optimised", "title": "Optimised", **{f"cost_{k}": v for k, v in _pct(self.optimised).items()}})
        return pd.DataFrame(rows)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (no NaN)."""
        df = self.to_frame().astype(object).where(lambda d: d.notna(), None)
        return {
            "use_case": self.use_case_id, "kpi": self.kpi, "unit": self.unit, "trials": self.n_trials,
            "seed": self.seed if isinstance(self.seed, int | None) else str(self.seed),
            "order": list(STAGES), "rows": df.to_dict(orient="records"),
            "reconciles": bool(np.allclose(sum(s.saving for s in self.steps), self.total_saving)),
        }


def _lever_costs(levers: Sequence[Lever], state: LeverState) -> tuple[Array, Array]:
    one = np.zeros(state.n)
    mon = np.zeros(state.n)
    for lev in levers:
        p = lev.params(state)
        one = one + p["one_off_cost"]
        mon = mon + p["monthly_cost"]
    return one, mon


def by_stage(levers: Sequence[Lever]) -> dict[str, list[Lever]]:
    """Levers grouped by stage, stages in :data:`STAGES` order, levers in plan order."""
    groups: dict[str, list[Lever]] = {s: [] for s in STAGES}
    for lev in levers:
        groups[lev.stage_name].append(lev)
    return groups


def attribute(
    start: LeverState,
    groups: Sequence[tuple[str, Sequence[Callable[[LeverState], LeverState]]]],
    metric: Callable[[Result], Array],
    with_alone: bool = True,
) -> tuple[Array, list[Array], list[Array], Array, list[Result]]:
    """Sequential attribution of a metric's change to ordered groups of transformations.

    Parameters
    ----------
    start : LeverState
    groups : sequence of (name, transformations)
        Applied cumulatively in order; a group with no transformation changes nothing.
    metric : Result → (n,) array
    with_alone : bool
        Also evaluate each group alone on ``start`` (else the "alone" changes are NaN).

    Returns
    -------
    start value, per-group change (before − after, cumulative order), per-group change alone,
    end value, and the results (start, then after each non-empty group). The cumulative changes
    sum exactly to ``start − end``.
    """
    r0 = evaluate_state(start)
    base = metric(r0)
    results = [r0]
    cur_state, cur = start, base
    steps: list[Array] = []
    alone: list[Array] = []
    for _, fns in groups:
        if not fns:
            steps.append(np.zeros_like(base))
            alone.append(np.zeros_like(base))
            continue
        st = cur_state
        for fn in fns:
            st = fn(st)
        r = evaluate_state(st)
        nxt = metric(r)
        steps.append(cur - nxt)
        results.append(r)
        cur_state, cur = st, nxt
        if not with_alone:
            alone.append(np.full_like(base, np.nan))
        elif len(groups) > 1:
            one = start
            for fn in fns:
                one = fn(one)
            alone.append(base - metric(evaluate_state(one)))
        else:
            alone.append(base - nxt)
    return base, steps, alone, cur, results


def waterfall(
    use_case: UseCase,
    levers: Sequence[Lever],
    catalog: Any,
    n: int = 2_000,
    seed: int | np.random.Generator | None = 0,
    kpi: str = "run_rate_cost",
    method: Method = "mc",
    source: str = "",
) -> Waterfall:
    """The savings waterfall of ``levers`` on ``use_case``, in the order that works.

    Parameters
    ----------
    use_case : UseCase
    levers : sequence of Lever
        The plan; each lever's stage decides where it falls (plan order within a stage).
    catalog : Catalog
    n : int
        Trials (paired: the same trials for every step).
    seed : int or Generator
    kpi : str
        A cost KPI (:data:`COST_KPIS`) [its unit in ``KPI_UNITS``].
    method : {"mc", "lhs", "sobol"}

    Returns
    -------
    Waterfall
        Whose step savings sum exactly to the total difference, trial by trial.
    """
    if kpi not in COST_KPIS:
        raise FinopsError(f"kpi: expected a cost KPI among {', '.join(COST_KPIS)}, found {kpi!r}")
    start = initial_state(use_case, levers, catalog, n, seed, method, source)
    groups = by_stage(levers)

    def fn(lev: Lever) -> Callable[[LeverState], LeverState]:
        return lambda s: apply(lev, s)

    def metric(r: Result) -> Array:
        return np.asarray(r.kpis[kpi], dtype=float)

    base, savings, alone, end, results = attribute(start, [(s, [fn(lev) for lev in g]) for s, g in groups.items()], metric)
    steps = []
    for (stage, g), sv, al in zip(groups.items(), savings, alone, strict=True):
        one, mon = _lever_costs(g, start)
        steps.append(WaterfallStep(stage, tuple(lev.name for lev in g), sv, al, one, mon))
    return Waterfall(
        use_case.id, kpi, KPI_UNITS[kpi], base, end, steps,
        {"baseline": results[0], "optimised": results[-1]}, n, seed,
    )


def format_waterfall(w: Waterfall, title: str = "") -> str:
    """A plain-text waterfall table (USD figures rounded; p5–p95 ranges)."""
    df = w.to_frame()

    def money(x: float) -> str:
        return "" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:,.0f}"

    lines = [title or f"Savings waterfall: {w.use_case_id} — {w.kpi} [{w.unit}], {w.n_trials:,} paired trials"]
    header = f"{'stage':<44}{'saving p50':>14}{'p5 … p95':>26}{'share':>8}{'alone p50':>14}  levers"
    lines += [header, "-" * len(header)]
    for _, r in df.iterrows():
        if r["stage"] in ("baseline", "optimised"):
            lines.append(f"{r['title']:<44}{money(r['cost_p50']):>14}{money(r['cost_p5']) + ' … ' + money(r['cost_p95']):>26}")
            continue
        sv = r.get("share_of_saving")
        share = "" if pd.isna(sv) else ("0%" if abs(sv) < 0.005 else f"{sv:.0%}")
        alone = "" if r["stage"] == "total" else money(r["alone_p50"])
        levers = r.get("levers") or ""
        levers = "" if (isinstance(levers, float) or not levers) else levers
        lines.append(
            f"{r['title']:<44}{money(r['saving_p50']):>14}{money(r['saving_p5']) + ' … ' + money(r['saving_p95']):>26}"
            f"{share:>8}{alone:>14}  {levers}"
        )
    lines.append("Savings are paired per trial and sum exactly to the total; 'alone' is the stage applied on its own.")
    return "\n".join(lines)


__all__ = ["Waterfall", "WaterfallStep", "waterfall", "attribute", "by_stage", "format_waterfall", "COST_KPIS", "apply_all"]
