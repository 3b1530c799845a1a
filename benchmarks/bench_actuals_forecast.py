"""Forecast meets actual: calibration and variance of every shipped use case over 12 months of
synthetic actuals (drawn from a forecast trial), target ≤ 10 s in all (issue 15). The forecasts
(4,000 trials each) are included, as ``finops actuals calibrate`` and ``variance`` run them."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from benchmarks.common import median_time, row
from finops_model.actuals.calibrate import calibrate
from finops_model.actuals.compare import TRIALS, forecast
from finops_model.actuals.drawn import draw_usage
from finops_model.actuals.variance import variance_table
from finops_model.inputs.assumptions import load_assumptions

GO_LIVE = dt.date(2026, 1, 1)


def run(quick: bool = False) -> list[dict]:
    a = load_assumptions()
    trials = 1000 if quick else TRIALS
    empty = pd.DataFrame({"use_case": []})
    usage = pd.concat([draw_usage(uc, forecast(a, k, empty, 500, 1, GO_LIVE), a.catalog, GO_LIVE, 12, seed=2)
                       for k, uc in a.use_cases.items()], ignore_index=True)

    def both() -> None:
        for k in a.use_cases:
            fc = forecast(a, k, usage, trials, 0, GO_LIVE)
            calibrate(a.use_case(k), fc, usage)
            variance_table(fc, usage, a.catalog)

    t = median_time(both, repeat=1 if quick else 3)
    n = len(a.use_cases)
    return [row("actuals_forecast", f"calibrate + variance, {n} use cases × 12 months ({len(usage):,} rows, {trials:,} trials)",
                t, target="≤ 10 s", ok=t <= 10.0)]
