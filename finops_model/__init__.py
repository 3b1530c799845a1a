"""AI FinOps Workbench: governed unit economics for enterprise AI workloads.

The package is laid out as the cost pipeline (see the README's architecture section):
``inputs`` → ``costs`` → ``model`` → ``uncertainty`` → ``decisions`` / ``governance`` →
``reports`` → ``explore`` / ``cli``. What a notebook author needs is importable from here; the
names are resolved lazily, so ``import finops_model`` stays fast and pulls in neither the
charting nor the notebook stack until they are used::

    import finops_model as fm
    a = fm.load_assumptions()
    r = fm.simulate(a.use_cases["support-copilot"], a.catalog, n=4000, seed=0)
    fm.summarise(r)
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("finops-model")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

#: Public name → module that defines it.
_PUBLIC: dict[str, str] = {
    # inputs: load and validate assumptions
    "load_assumptions": "finops_model.inputs.assumptions",
    "validate_paths": "finops_model.inputs.boundary",
    "Assumptions": "finops_model.inputs.assumptions",
    "load_catalog": "finops_model.inputs.catalog",
    "Uncertain": "finops_model.inputs.distributions",
    # model: simulate a use case
    "simulate": "finops_model.model.engine",
    "evaluate": "finops_model.model.engine",
    "Result": "finops_model.model.engine",
    "KPIS": "finops_model.model.kpis",
    "kpi_table": "finops_model.model.kpis",
    # uncertainty: summaries, sensitivity, goal seek
    "summarise": "finops_model.uncertainty.summary",
    "format_table": "finops_model.uncertainty.summary",
    "tornado": "finops_model.uncertainty.sensitivity",
    "spider": "finops_model.uncertainty.sensitivity",
    "rank_correlation": "finops_model.uncertainty.sensitivity",
    "sobol": "finops_model.uncertainty.sensitivity",
    "use_case_model": "finops_model.uncertainty.sensitivity",
    "goal_seek": "finops_model.uncertainty.goalseek",
    # decisions: levers, waterfall, scenarios, drift
    "load_lever_plans": "finops_model.decisions.levers",
    "simulate_levers": "finops_model.decisions.levers",
    "waterfall": "finops_model.decisions.waterfall",
    "drift": "finops_model.decisions.drift",
    # governance: the portfolio roll-up
    "Portfolio": "finops_model.governance.portfolio",
    "load_portfolio": "finops_model.governance.portfolio",
    "rollup": "finops_model.governance.portfolio",
    "rollup_assumptions": "finops_model.governance.portfolio",
    # reports and the explorer (the panel itself: ``finops_model.explore.state.explore``; the
    # name ``explore`` here is the subpackage)
    "BusinessCase": "finops_model.reports.business_case",
    "build_business_case": "finops_model.reports.business_case",
    "Explorer": "finops_model.explore.state",
    # errors
    "FinopsError": "finops_model.errors",
    "AssumptionError": "finops_model.errors",
    "CatalogError": "finops_model.errors",
    "ModelError": "finops_model.errors",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'finops_model' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from finops_model.decisions.drift import drift
    from finops_model.decisions.levers import load_lever_plans, simulate_levers
    from finops_model.decisions.waterfall import waterfall
    from finops_model.errors import AssumptionError, CatalogError, FinopsError, ModelError
    from finops_model.explore.state import Explorer
    from finops_model.governance.portfolio import (
        Portfolio,
        load_portfolio,
        rollup,
        rollup_assumptions,
    )
    from finops_model.inputs.assumptions import Assumptions, load_assumptions
    from finops_model.inputs.boundary import validate_paths
    from finops_model.inputs.catalog import load_catalog
    from finops_model.inputs.distributions import Uncertain
    from finops_model.model.engine import Result, evaluate, simulate
    from finops_model.model.kpis import KPIS, kpi_table
    from finops_model.reports.business_case import BusinessCase, build_business_case
    from finops_model.uncertainty.goalseek import goal_seek
    from finops_model.uncertainty.sensitivity import (
        rank_correlation,
        sobol,
        spider,
        tornado,
        use_case_model,
    )
    from finops_model.uncertainty.summary import format_table, summarise
