"""Build versus buy: time of ``finops tco`` (three evaluations of the use case on common draws,
the self-hosting plans and the break-even volume search) against one plain evaluation."""

from __future__ import annotations

from benchmarks.common import median_time, row
from finops_model.decisions.build_vs_buy import compare_deployments
from finops_model.inputs.assumptions import load_assumptions
from finops_model.model.engine import simulate


def run(quick: bool = False) -> list[dict]:
    a = load_assumptions(use_cases=["coding-assistant"])
    uc = a.use_case("coding-assistant")
    n = 2_000 if quick else 20_000
    t_sim = median_time(lambda: simulate(uc, a.catalog, n, 0))
    t_tco = median_time(lambda: compare_deployments(uc, a.catalog, n, 0))
    ratio = t_tco / t_sim
    return [
        row("tco", f"simulate coding-assistant ({n:,} trials)", t_sim),
        row("tco", "compare API / self-hosted / hybrid", t_tco, ratio=ratio, target="≤ 5× one simulation", ok=ratio <= 5),
    ]
