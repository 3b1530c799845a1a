"""The executive scenario: ≈ $1M a month unoptimised, ≈ $270K optimised, and why.

A worked example portfolio (``assumptions/portfolios/executive.yaml``)::

    name: executive
    use_cases: [examples/executive/use_cases/enterprise-assistant.yaml]   # relative to assumptions/
    levers: examples/executive/levers.yaml                                # lever plans (levers.py)
    targets:
      unoptimised_usd_per_month: 1000000   # [USD/month] domain reference
      optimised_usd_per_month: 270000      # [USD/month]
      tolerance: 0.10                      # [fraction] band the modelled medians must fall in

The use cases are validated against the project's organisation defaults, FX rates and price
catalog; each one's lever plan is drawn as a savings waterfall
(:func:`finops_model.waterfall.waterfall`) on the run-rate cost [USD/month], and the portfolio
adds the use cases trial by trial.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import ValidationError

from finops_model.decisions.levers import STAGE_TITLES, STAGES, load_lever_plans
from finops_model.decisions.waterfall import Waterfall, waterfall
from finops_model.errors import AssumptionError
from finops_model.inputs.assumptions import build_use_case, load_assumptions
from finops_model.inputs.fields import F, Fraction, Frozen, Quantity
from finops_model.inputs.validation import problems_from_validation_error
from finops_model.util import yamlio
from finops_model.util.paths import ASSUMPTIONS_DIR

Array = NDArray[np.float64]


class Targets(Frozen):
    unoptimised_usd_per_month: Quantity = F("USD/month", "published unoptimised cost")
    optimised_usd_per_month: Quantity = F("USD/month", "published optimised cost")
    tolerance: Fraction = F("fraction", "relative band the modelled medians must fall in")


class ExecutivePortfolio(Frozen):
    """A worked-example portfolio file: use cases, their lever plans and targets (module docstring).

    Not the roll-up result, which is :class:`finops_model.governance.portfolio.Portfolio`.
    """

    name: str = F("slug", "portfolio name")
    description: str = F("text", "what it shows", "")
    use_cases: list[str] = F("paths", "use-case files, relative to the assumptions folder", min_length=1)
    levers: str = F("path", "lever-plan file, relative to the assumptions folder")
    targets: Targets | None = None


@dataclass
class ExecutiveScenario:
    """The portfolio's waterfalls and totals.

    Attributes
    ----------
    portfolio : ExecutivePortfolio
    waterfalls : dict use case → Waterfall [USD/month]
    unoptimised, optimised : (n,) [USD/month]
        Portfolio run-rate cost per trial, before and after the levers.
    stage_savings : dict stage → (n,) [USD/month]
        Portfolio saving of each stage (cumulative order); sums to ``unoptimised − optimised``.
    """

    portfolio: ExecutivePortfolio
    waterfalls: dict[str, Waterfall]
    unoptimised: Array
    optimised: Array
    stage_savings: dict[str, Array]

    def within_targets(self) -> tuple[bool, bool]:
        """Whether the medians fall within the targets' tolerance (unoptimised, optimised)."""
        t = self.portfolio.targets
        if t is None:
            raise AssumptionError.single(self.portfolio.name, "targets", "expected targets, found none")
        tol = t.tolerance.median

        def ok(x: Array, target: float) -> bool:
            return bool(abs(float(np.median(x)) / target - 1.0) <= tol)

        return ok(self.unoptimised, t.unoptimised_usd_per_month.median), ok(self.optimised, t.optimised_usd_per_month.median)

    def to_frame(self) -> pd.DataFrame:
        """Portfolio waterfall: unoptimised, each stage's saving, optimised (mean/p5/p50/p95)."""
        rows = [("unoptimised", "Unoptimised", self.unoptimised)]
        rows += [(s, STAGE_TITLES[s], self.stage_savings[s]) for s in STAGES]
        rows += [("optimised", "Optimised", self.optimised)]
        total = float(np.mean(self.unoptimised - self.optimised))
        out = []
        for key, title, x in rows:
            p5, p50, p95 = np.percentile(x, [5, 50, 95])
            share = float(np.mean(x)) / total if key in STAGES and total else np.nan
            out.append({"stage": key, "title": title, "mean": float(np.mean(x)), "p5": float(p5), "p50": float(p50), "p95": float(p95), "share_of_gap": share})
        return pd.DataFrame(out)


def load_executive_portfolio(path: str | Path | None = None) -> ExecutivePortfolio:
    """Read and validate a portfolio file (default ``assumptions/portfolios/executive.yaml``)."""
    path = Path(path) if path is not None else ASSUMPTIONS_DIR / "portfolios" / "executive.yaml"
    if not path.exists():
        raise AssumptionError.single(str(path), "", "expected a portfolio file, found nothing at this path")
    try:
        return ExecutivePortfolio.model_validate(yamlio.load(path))
    except ValidationError as exc:
        raise AssumptionError(problems_from_validation_error(exc, str(path))) from None


def executive_scenario(
    portfolio: str | Path | None = None,
    root: str | Path | None = None,
    n: int = 2_000,
    seed: int = 0,
) -> ExecutiveScenario:
    """Build the executive scenario: each use case unoptimised and with its lever plan.

    Parameters
    ----------
    portfolio : path, optional
        Portfolio file (default ``assumptions/portfolios/executive.yaml``).
    root : path, optional
        Assumptions folder the portfolio's paths are relative to (default the project's).
    n, seed
        Paired trials and seed.
    """
    root = Path(root) if root is not None else ASSUMPTIONS_DIR
    pf = load_executive_portfolio(portfolio)
    base = load_assumptions(root, use_cases=[])
    plans = load_lever_plans(root / pf.levers)
    waterfalls: dict[str, Waterfall] = {}
    for rel in pf.use_cases:
        file = root / rel
        raw = yamlio.load(file)
        if not isinstance(raw, dict):
            raise AssumptionError.single(str(file), "", f"expected a mapping of use-case fields, found {type(raw).__name__}")
        uc = build_use_case(raw, base.raw["org"], base.fx, base.catalog, str(file))
        waterfalls[uc.id] = waterfall(uc, plans.for_use_case(uc.id), base.catalog, n, seed, "run_rate_cost", source=plans.file)
    unopt = np.sum([w.baseline for w in waterfalls.values()], axis=0)
    opt = np.sum([w.optimised for w in waterfalls.values()], axis=0)
    stages = {s: np.sum([next(st.saving for st in w.steps if st.stage == s) for w in waterfalls.values()], axis=0) for s in STAGES}
    return ExecutiveScenario(pf, waterfalls, unopt, opt, stages)


def format_executive(e: ExecutiveScenario) -> str:
    """Plain-text portfolio waterfall."""
    lines = [f"Executive scenario ({e.portfolio.name}) — run-rate cost [USD/month]"]
    for _, r in e.to_frame().iterrows():
        share = "" if pd.isna(r["share_of_gap"]) else f"{r['share_of_gap']:>6.0%}"
        lines.append(f"  {r['title']:<38}{r['p50']:>14,.0f}   [{r['p5']:,.0f} … {r['p95']:,.0f}] {share}")
    return "\n".join(lines)


__all__: list[Any] = ["ExecutivePortfolio", "ExecutiveScenario", "executive_scenario", "load_executive_portfolio", "format_executive"]
