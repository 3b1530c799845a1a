"""Cost drift: small inefficiencies that compound month by month when nobody watches.

The stress pattern of the domain reference ("Examples of small inefficiencies that compound"):

=====================  ==========================================================  ============
drift                  what changes by the end of the period                        default
=====================  ==========================================================  ============
``system_prompt``      every step's system prompt grows by N tokens                 +600 tokens
``retrieval``          retrieved tokens × M (8,000 where 2,000 would do)            × 4
``retries``            retry rate rises to R (from its current level)               25%
``frontier_share``     share of primary traffic on the frontier model rises to F    30%
``agent_steps``        agent iterations × K (six instead of three)                  × 2
``cache_hit_rate``     prompt-cache hit rate (cached share) falls by a share H      −50%
=====================  ==========================================================  ============

Each drift ramps linearly from nothing in month 0 to its full size in month ``months``. The
cost grows faster than any single ramp because the drifts multiply: a longer prompt is also
retried more often, on a pricier model, in more agent steps. The cost in month *m* is the
steady-state run-rate cost [USD/month] of the use case with the drift accumulated by month
*m* (volume held at the run-rate level, so the growth is the drift alone).

Each drift's share of the growth is a sequential attribution in the order above, on paired
trials: the contributions sum exactly to the growth, trial by trial and month by month. The
frontier model is ``frontier_model`` or, by default, the priciest model among the use case's
primary steps (when it has at least two primary models; otherwise that drift does not apply).
Agent iterations still stop at each loop's ``max_iterations``: a cap hides part of the drift.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from finops_model.decisions.levers import LeverState, unique_name
from finops_model.decisions.waterfall import attribute
from finops_model.errors import AssumptionError, did_you_mean
from finops_model.inputs.assumptions import iter_uncertain, sample_spec
from finops_model.inputs.distributions import Method, SampleSpec, sample
from finops_model.inputs.fields import const as _c
from finops_model.inputs.schema import F, Fraction, Frozen, Quantity, UseCase
from finops_model.model.components import PRIMARY_KINDS
from finops_model.model.engine import Result

Array = NDArray[np.float64]

#: Drifts in attribution order.
DRIFTS: tuple[str, ...] = ("system_prompt", "retrieval", "retries", "frontier_share", "agent_steps", "cache_hit_rate")

DRIFT_TITLES = {
    "system_prompt": "System prompt +tokens",
    "retrieval": "Retrieval returns more tokens",
    "retries": "Retry rate rises",
    "frontier_share": "Frontier-model share rises",
    "agent_steps": "Agent loops take more steps",
    "cache_hit_rate": "Cache hit rate falls",
}


class DriftSpec(Frozen):
    """Size of each drift at the end of the period (see the module docstring)."""

    months: int = F("months", "months over which the drift accumulates", 12, ge=1, le=120)
    system_prompt_added_tokens: Quantity = F("tokens/call", "growth of every system prompt", _c(600))
    retrieval_multiplier: Quantity = F("×", "retrieved tokens at the end over today (8,000 / 2,000)", _c(4))
    retry_rate_to: Fraction = F("fraction", "retry rate reached (from today's, if lower)", _c(0.25))
    frontier_share_to: Fraction = F("fraction", "share of primary traffic on the frontier model reached", _c(0.30))
    frontier_model: str | None = F("catalog id", "frontier model (default: priciest primary model)", None)
    agent_steps_multiplier: Quantity = F("×", "agent iterations at the end over today (6 / 3)", _c(2))
    cache_hit_fall: Fraction = F("fraction", "share of the prompt-cache hit rate lost", _c(0.5))


def _arr(x: Any) -> Any:
    return np.asarray(x, dtype=float) if np.ndim(x) else float(x)


def _param(state: LeverState, spec: DriftSpec, name: str) -> Any:
    key = f"drift.{name}"
    return state.draws[key] if key in state.draws else getattr(spec, name).median


def _frontier(uc: UseCase, catalog: Any, spec: DriftSpec) -> str | None:
    if spec.frontier_model is not None:
        return spec.frontier_model
    models = {s.model for s in uc.steps.values() if s.kind in PRIMARY_KINDS}
    if len(models) < 2:
        return None

    def price(m: str) -> float:
        p = catalog.price(m)
        return p.input_usd_per_token + p.output_usd_per_token

    return max(sorted(models), key=price)


def drift_transform(name: str, spec: DriftSpec, t: float) -> Callable[[LeverState], LeverState]:
    """The transformation applying drift ``name`` at progress ``t`` ∈ [0, 1]."""

    def system_prompt(s: LeverState) -> LeverState:
        add = _arr(_param(s, spec, "system_prompt_added_tokens")) * t
        return s.with_(updates={f"steps.{k}.system_prompt_tokens": _arr(s.get(f"steps.{k}.system_prompt_tokens")) + add for k in s.use_case.steps})

    def retrieval(s: LeverState) -> LeverState:
        if s.use_case.rag is None:
            return s
        m = 1.0 + (_arr(_param(s, spec, "retrieval_multiplier")) - 1.0) * t
        return s.with_(updates={"rag.top_k": _arr(s.get("rag.top_k")) * m})

    def retries(s: LeverState) -> LeverState:
        to = _arr(_param(s, spec, "retry_rate_to"))
        ups = {}
        for k in s.use_case.steps:
            p = f"steps.{k}.retry.rate"
            cur = _arr(s.get(p))
            ups[p] = cur + np.maximum(to - cur, 0.0) * t
        return s.with_(updates=ups)

    def frontier_share(s: LeverState) -> LeverState:
        uc = s.use_case
        fm = _frontier(uc, s.catalog, spec)
        if fm is None:
            return s
        primary = [k for k, st in uc.steps.items() if st.kind in PRIMARY_KINDS]
        cheap = [k for k in primary if uc.steps[k].model != fm]
        if not cheap:
            return s
        share = {k: _arr(s.get(f"steps.{k}.share_of_requests", 1.0)) for k in primary}
        total = sum(share.values())
        f0 = sum(share[k] for k in primary if k not in cheap) / np.maximum(total, 1e-12)
        f1 = f0 + np.maximum(_arr(_param(s, spec, "frontier_share_to")) - f0, 0.0) * t
        q = (f1 - f0) / np.maximum(1.0 - f0, 1e-12)  # share of non-frontier traffic moved
        steps = dict(uc.steps)
        ups: dict[str, Any] = {}
        for k in cheap:
            new = unique_name(f"{k}_to_frontier", steps)
            steps[new] = uc.steps[k].model_copy(update={"model": fm})
            pre = f"steps.{k}."
            ups.update({f"steps.{new}." + p[len(pre):]: v for p, v in s.draws.items() if p.startswith(pre)})
            ups[f"steps.{new}.share_of_requests"] = share[k] * q
            ups[pre + "share_of_requests"] = share[k] * (1.0 - q)
        return s.with_(uc.model_copy(update={"steps": steps}), ups)

    def agent_steps(s: LeverState) -> LeverState:
        m = 1.0 + (_arr(_param(s, spec, "agent_steps_multiplier")) - 1.0) * t
        ups = {f"steps.{k}.agent_loop.iterations": _arr(s.get(f"steps.{k}.agent_loop.iterations")) * m
               for k, st in s.use_case.steps.items() if st.agent_loop is not None}
        return s.with_(updates=ups)

    def cache_hit_rate(s: LeverState) -> LeverState:
        keep = 1.0 - _arr(_param(s, spec, "cache_hit_fall")) * t
        return s.with_(updates={f"steps.{k}.cached_prompt_share": _arr(s.get(f"steps.{k}.cached_prompt_share")) * keep for k in s.use_case.steps})

    fns = {
        "system_prompt": system_prompt, "retrieval": retrieval, "retries": retries,
        "frontier_share": frontier_share, "agent_steps": agent_steps, "cache_hit_rate": cache_hit_rate,
    }
    if name not in fns:
        raise AssumptionError.single("", "drift", f"expected a drift among {', '.join(DRIFTS)}, found {name!r}{did_you_mean(name, DRIFTS)}")
    return fns[name]


@dataclass
class DriftResult:
    """Month-by-month cost under drift and each drift's share of the growth.

    Attributes
    ----------
    use_case_id : str
    months : (M+1,) int
        Month 0 (today) … ``spec.months``.
    cost : (n, M+1) [USD/month]
        Run-rate cost with the drift accumulated by each month, per trial.
    contributions : dict drift → (n, M+1) [USD/month]
        Sequential attribution of ``cost − cost[:, 0]``; sums exactly to it.
    alone : dict drift → (n,) [USD/month]
        Each drift's full-size effect on its own (final month).
    """

    use_case_id: str
    months: NDArray[np.int64]
    cost: Array
    contributions: dict[str, Array]
    alone: dict[str, Array]
    spec: DriftSpec
    n_trials: int = 0
    seed: Any = None
    results: dict[str, Result] = field(default_factory=dict, repr=False)

    @property
    def growth(self) -> Array:
        """Cost increase over month 0, (n, M+1) [USD/month]."""
        return self.cost - self.cost[:, :1]

    def to_frame(self) -> pd.DataFrame:
        """One row per month: cost mean/p5/p50/p95, growth, growth %, and each drift's mean
        contribution [USD/month] and share of the growth."""
        rows = []
        g = self.growth
        base = float(np.mean(self.cost[:, 0]))
        for j, m in enumerate(self.months):
            p5, p50, p95 = np.percentile(self.cost[:, j], [5, 50, 95])
            growth = float(np.mean(g[:, j]))
            row: dict[str, Any] = {"month": int(m), "cost_mean": float(np.mean(self.cost[:, j])), "cost_p5": float(p5),
                                   "cost_p50": float(p50), "cost_p95": float(p95), "growth_mean": growth,
                                   "growth_pct": growth / base if base else np.nan}
            for d in DRIFTS:
                c = float(np.mean(self.contributions[d][:, j]))
                row[f"{d}_usd"] = c
                row[f"{d}_share"] = c / growth if growth else np.nan
            rows.append(row)
        return pd.DataFrame(rows)

    def shares(self) -> pd.DataFrame:
        """Each drift's contribution at the final month (sequential and alone) and its share."""
        total = float(np.mean(self.growth[:, -1]))
        rows = []
        for d in DRIFTS:
            c = self.contributions[d][:, -1]
            p5, p95 = np.percentile(c, [5, 95])
            rows.append({"drift": d, "title": DRIFT_TITLES[d], "contribution_mean": float(np.mean(c)), "contribution_p5": float(p5),
                         "contribution_p95": float(p95), "share_of_growth": float(np.mean(c)) / total if total else np.nan,
                         "alone_mean": float(np.mean(self.alone[d]))})
        return pd.DataFrame(rows)


def drift(
    use_case: UseCase,
    catalog: Any,
    spec: DriftSpec | None = None,
    n: int = 2_000,
    seed: int | np.random.Generator | None = 0,
    method: Method = "mc",
    kpi: str = "run_rate_cost",
) -> DriftResult:
    """Month-by-month cost of ``use_case`` under compounding drift (module docstring).

    Parameters
    ----------
    use_case : UseCase
    catalog : Catalog
    spec : DriftSpec, optional
        Sizes of the drifts (default: the domain reference's figures).
    n, seed, method
        Trials (paired across months and drifts), seed and design.
    kpi : str
        Cost KPI [USD/month] (default the run-rate cost).
    """
    spec = spec or DriftSpec()
    base = sample_spec(use_case)
    extra = {f"drift.{k}": u for k, u in iter_uncertain(spec)}
    draws = sample(SampleSpec({**base.inputs, **extra}, base.correlations), n, seed, method)
    start = LeverState(use_case, draws, n, catalog)

    def metric(r: Result) -> Array:
        return np.asarray(r.kpis[kpi], dtype=float)

    months = np.arange(spec.months + 1)
    cost = np.zeros((n, months.size))
    contrib = {d: np.zeros((n, months.size)) for d in DRIFTS}
    alone: dict[str, Array] = {}
    results: dict[str, Result] = {}
    for j, m in enumerate(months):
        t = m / spec.months
        groups = [(d, [drift_transform(d, spec, t)] if m > 0 else []) for d in DRIFTS]
        b, steps, al, end, res = attribute(start, groups, metric, with_alone=j == months.size - 1)
        cost[:, j] = end
        for d, sv in zip(DRIFTS, steps, strict=True):
            contrib[d][:, j] = -sv  # attribute() reports before − after; drift adds cost
        if j == months.size - 1:
            alone = {d: -a for d, a in zip(DRIFTS, al, strict=True)}
            results = {"today": res[0], "drifted": res[-1]}
    return DriftResult(use_case.id, months, cost, contrib, alone, spec, n, seed, results)


def format_drift(r: DriftResult) -> str:
    """Plain-text month-by-month table and the shares of the growth."""
    df = r.to_frame()
    lines = [f"Cost drift: {r.use_case_id} — run-rate cost [USD/month], {r.n_trials:,} paired trials"]
    lines.append(f"{'month':>5}{'cost p50':>14}{'p5 … p95':>28}{'growth':>10}")
    for _, row in df.iterrows():
        rng = f"{row['cost_p5']:,.0f} … {row['cost_p95']:,.0f}"
        lines.append(f"{int(row['month']):>5}{row['cost_p50']:>14,.0f}{rng:>28}{row['growth_pct']:>10.0%}")
    lines.append("")
    lines.append("Share of the growth by the final month (sequential, paired):")
    for _, s in r.shares().iterrows():
        lines.append(f"  {s['title']:<34}{s['contribution_mean']:>12,.0f} USD/month  {s['share_of_growth']:>6.0%}   alone {s['alone_mean']:,.0f}")
    return "\n".join(lines)


__all__ = ["DRIFTS", "DriftSpec", "DriftResult", "drift", "drift_transform", "format_drift"]
