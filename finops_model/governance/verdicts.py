"""Decisions: scale, optimise, redesign or retire each use case.

The rules follow "Decision 1. When to Scale" of the domain reference (AI FinOps: Turning Token
Spend into Enterprise Value): scale only when cost per outcome is stable or declining, business
value is measurable, quality is acceptable, risk controls are in place and unit economics stay
viable at higher volume. A workload whose cost per outcome exceeds its value per outcome is
not scaled: a small gap is closed by the optimisation levers (prompt compression ≈20–30%,
caching ≈15–30% call deflection), a larger one needs a redesign (routing ≈40–60%, context
engineering, agent controls: the reference's optimised system costs ≈27% of the unoptimised
one), and a gap beyond that — or spend with no measurable value — is a candidate to retire.

``decision_inputs`` reduces a simulation to the evidence (probabilities over trials);
``recommend`` applies :class:`DecisionRules` to it and says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from finops_model.inputs.schema import UseCase

Action = Literal["scale", "optimise", "redesign", "retire"]


class DecisionRules(BaseModel):
    """Thresholds of the recommendation (all fractions)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    confidence_to_scale: float = Field(0.8, ge=0, le=1, description="[fraction] P(viable at scale) needed to scale")
    viable_probability: float = Field(0.5, ge=0, le=1, description="[fraction] P(viable at scale) below which a use case is not viable")
    trend_tolerance: float = Field(0.05, ge=0, le=1, description="[fraction] rise of cost per outcome still called stable")
    optimise_max_cut: float = Field(0.30, ge=0, le=1, description="[fraction] cost cut the optimisation levers can deliver")
    redesign_max_cut: float = Field(0.73, ge=0, le=1, description="[fraction] cost cut a redesign can deliver ($1M → $270K)")

    @model_validator(mode="after")
    def _ordered(self) -> DecisionRules:
        if self.optimise_max_cut > self.redesign_max_cut:
            raise ValueError(f"expected optimise_max_cut ≤ redesign_max_cut, found {self.optimise_max_cut} > {self.redesign_max_cut}")
        return self


@dataclass(frozen=True)
class DecisionInputs:
    """The evidence for one use case (scalars reduced from the trials).

    Attributes
    ----------
    p_viable : [fraction] P(cost per outcome < value per outcome) over the horizon
    p_viable_at_scale : [fraction] the same in the last month (highest adoption)
    cost_per_outcome_at_scale, value_per_outcome : [USD/outcome] medians
    trend_ratio : [×] median of cost per outcome in the last month ÷ the third live month
    p_trend_ok : [fraction] P(trend ratio ≤ 1 + tolerance)
    required_cut : [fraction] median cost cut that makes cost per outcome at scale equal value
    p_review : [fraction] P(annual model spend ≥ the build-vs-buy review threshold)
    value_measurable, quality_measured : bool
        The use case names a business value metric / a quality metric.
    """

    p_viable: float
    p_viable_at_scale: float
    cost_per_outcome_at_scale: float | None
    value_per_outcome: float | None
    trend_ratio: float | None
    p_trend_ok: float
    required_cut: float
    p_review: float
    value_measurable: bool
    quality_measured: bool
    trend_tolerance: float = 0.05


def _median(x: np.ndarray) -> float | None:
    ok = np.isfinite(x)
    return float(np.median(x[ok])) if ok.any() else None


def decision_inputs(uc: UseCase, result: Any, draws: Mapping[str, Any], trend_tolerance: float = 0.05) -> DecisionInputs:
    """Reduce a simulation result to the evidence of the decision.

    Parameters
    ----------
    uc : UseCase
    result : engine.Result
        ``monthly_cost`` (n, M) [USD/month], ``requests`` (n, M) [requests/month], KPIs.
    draws : mapping
        The draws (``value.outcomes_per_request`` [outcomes/request]).
    """
    n = result.n_trials
    per_request = np.broadcast_to(np.asarray(draws["value.outcomes_per_request"], float), (n,))
    live = np.flatnonzero(result.live)
    vpo = np.asarray(result.kpis["value_per_outcome"], float)

    def cost_per_outcome(month: int) -> np.ndarray:
        outcomes = result.requests[:, month] * per_request
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(outcomes > 0, result.cost_by_month[:, month] / outcomes, np.nan)

    if live.size:
        last = cost_per_outcome(live[-1])
        early = cost_per_outcome(live[min(2, live.size - 1)])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = last / early
    else:
        last = ratio = np.full(n, np.nan)
    viable_scale = np.isfinite(last) & (last < vpo)
    with np.errstate(divide="ignore", invalid="ignore"):
        cut = np.where(np.isfinite(last) & (last > 0), np.clip(1.0 - vpo / last, 0.0, 1.0), 1.0)
    g = uc.governance
    return DecisionInputs(
        p_viable=float(np.mean(result.kpis["viable"])),
        p_viable_at_scale=float(np.mean(viable_scale)),
        cost_per_outcome_at_scale=_median(last),
        value_per_outcome=_median(vpo),
        trend_ratio=_median(ratio),
        p_trend_ok=float(np.mean(np.isfinite(ratio) & (ratio <= 1.0 + trend_tolerance))),
        required_cut=float(np.median(cut)),
        p_review=float(np.mean(result.kpis["review_triggered"])),
        value_measurable=bool(g.business_value_metric and g.business_value_metric.strip()),
        quality_measured=bool(g.quality_metric and g.quality_metric.strip()),
        trend_tolerance=trend_tolerance,
    )


@dataclass(frozen=True)
class Decision:
    """A recommendation with the reasons behind it."""

    use_case: str
    action: Action
    reasons: tuple[str, ...]
    evidence: DecisionInputs
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {"use_case": self.use_case, "action": self.action, "reasons": list(self.reasons),
                "notes": list(self.notes), "evidence": asdict(self.evidence)}


def recommend(use_case_id: str, e: DecisionInputs, gate_passed: bool = True, gate_missing: tuple[str, ...] = (),
              rules: DecisionRules | None = None) -> Decision:
    """Scale / optimise / redesign / retire from the evidence (see the module docstring).

    Parameters
    ----------
    use_case_id : str
    e : DecisionInputs
    gate_passed : bool
        Whether the production gate passes (risk controls in place).
    gate_missing : tuple of str
        Labels of the failed gate items (for the reasons).
    rules : DecisionRules, optional
    """
    r = rules or DecisionRules()
    notes: list[str] = []
    if e.p_review >= 0.5:
        notes.append(f"annual model spend reaches the build-vs-buy review threshold (P = {e.p_review:.0%})")
    cpo, vpo = e.cost_per_outcome_at_scale, e.value_per_outcome
    econ = (f"cost per outcome at scale {cpo:,.4g} vs value {vpo:,.4g} USD" if cpo is not None and vpo is not None
            else "no outcomes at scale")
    if e.p_viable_at_scale < r.viable_probability:
        if not e.value_measurable:
            return Decision(use_case_id, "retire", (f"not viable at scale (P = {e.p_viable_at_scale:.0%}; {econ})",
                                                    "no business value metric: spend without measurable impact"), e, tuple(notes))
        if e.required_cut <= r.optimise_max_cut:
            action: Action = "optimise"
            why = f"a {e.required_cut:.0%} cost cut makes it viable: within reach of prompt compression, caching and batch"
        elif e.required_cut <= r.redesign_max_cut:
            action = "redesign"
            why = f"needs a {e.required_cut:.0%} cost cut: routing, context engineering or a cheaper architecture"
        else:
            action = "retire"
            why = f"needs a {e.required_cut:.0%} cost cut, more than a redesign delivers (≤ {r.redesign_max_cut:.0%})"
        return Decision(use_case_id, action, (f"not viable at scale (P = {e.p_viable_at_scale:.0%}; {econ})", why), e, tuple(notes))
    blockers = []
    if e.p_viable_at_scale < r.confidence_to_scale:
        blockers.append(f"viable at scale with P = {e.p_viable_at_scale:.0%}, below the {r.confidence_to_scale:.0%} needed to scale")
    if e.p_trend_ok < 0.5:
        ratio = f"×{e.trend_ratio:.2f}" if e.trend_ratio is not None else "undefined"
        blockers.append(f"cost per outcome rising as volume grows ({ratio} from month 3 of go-live to the last month)")
    if not e.value_measurable:
        blockers.append("business value not measurable (no business value metric)")
    if not e.quality_measured:
        blockers.append("quality not measured (no quality metric)")
    if not gate_passed:
        blockers.append("risk controls incomplete (production gate: " + (", ".join(gate_missing) or "failed") + ")")
    if blockers:
        return Decision(use_case_id, "optimise", (f"viable ({econ}) but not ready to scale", *blockers), e, tuple(notes))
    return Decision(use_case_id, "scale", (
        f"viable at scale with P = {e.p_viable_at_scale:.0%} ({econ})",
        "cost per outcome stable or declining" + (f" (×{e.trend_ratio:.2f})" if e.trend_ratio is not None else ""),
        "value and quality measured; production gate passed",
    ), e, tuple(notes))


def decisions_table(decisions: Mapping[str, Decision]) -> pd.DataFrame:
    """One row per use case: action, key evidence and the first reason."""
    rows = []
    for d in decisions.values():
        e = d.evidence
        rows.append({"use_case": d.use_case, "action": d.action, "p_viable_at_scale": e.p_viable_at_scale,
                     "cost_per_outcome_at_scale": e.cost_per_outcome_at_scale, "value_per_outcome": e.value_per_outcome,
                     "trend_ratio": e.trend_ratio, "required_cut": e.required_cut,
                     "why": "; ".join(d.reasons[1:] if len(d.reasons) > 1 else d.reasons)})
    return pd.DataFrame(rows)
