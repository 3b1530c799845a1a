"""Issue 3: evaluating the richest example at 1,000,000 trials costs at most 1.5× the time of
drawing its uncertain inputs alone."""

from __future__ import annotations

from benchmarks.common import median_time, row
from finops_model.inputs.assumptions import load_assumptions
from finops_model.inputs.distributions import sample
from finops_model.model.engine import evaluate, evaluation_spec


def richest(assumptions):
    """The shipped use case with the most uncertain inputs the model reads."""
    return max(
        assumptions.use_cases.values(),
        key=lambda uc: len(evaluation_spec(uc, assumptions.catalog).uncertain_names),
    )


def run(quick: bool = False) -> list[dict]:
    a = load_assumptions()
    uc = richest(a)
    spec = evaluation_spec(uc, a.catalog)
    n = 100_000 if quick else 1_000_000
    draws = {}

    def draw():
        draws["d"] = sample(spec, n, 0)

    t_draw = median_time(draw)
    t_eval = median_time(lambda: evaluate(uc, draws["d"], a.catalog, n))
    ratio = t_eval / t_draw
    label = f"{uc.id}, {len(spec.uncertain_names)} uncertain inputs, {n:,} trials"
    return [
        row("engine", f"draw inputs ({label})", t_draw),
        row("engine", "evaluate the cost stack", t_eval, ratio=ratio, target="≤ 1.5× draw", ok=ratio <= 1.5),
    ]
