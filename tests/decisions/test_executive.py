"""The executive scenario: ≈ $1M/month unoptimised, ≈ $270K optimised (domain reference)."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose

from finops_model.decisions.executive import executive_scenario, format_executive
from finops_model.decisions.levers import STAGES


def test_executive_scenario_totals_within_tolerance():
    e = executive_scenario(n=400, seed=0)
    t = e.portfolio.targets
    assert t is not None and t.tolerance.median == 0.10
    # stated tolerance: medians within ±10% of $1,000,000 and $270,000 per month
    assert abs(np.median(e.unoptimised) / 1_000_000 - 1) <= 0.10
    assert abs(np.median(e.optimised) / 270_000 - 1) <= 0.10
    assert e.within_targets() == (True, True)
    assert_allclose(sum(e.stage_savings[s] for s in STAGES), e.unoptimised - e.optimised, rtol=1e-10)
    df = e.to_frame()
    top = df[df.stage.isin(STAGES)].sort_values("mean", ascending=False).stage.iloc[:2].tolist()
    assert set(top) == {"routing", "context_engineering"}  # architecture, not vendor pricing
    assert "Vendor contracts" in format_executive(e)
