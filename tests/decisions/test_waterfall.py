"""Savings waterfall: hand-checked steps, order-dependence, exact reconciliation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from levers_helpers import small
from numpy.testing import assert_allclose

from finops_model.decisions import levers as L
from finops_model.decisions.waterfall import by_stage, format_waterfall, waterfall
from finops_model.errors import FinopsError


def test_waterfall_hand_checked_order_and_alone(test_assumptions, test_catalog):
    uc = small(test_assumptions)
    plan = [L.ResponseCache(hit_rate=0.2), L.PromptCompression(share_removed=0.25)]  # plan order is not stage order
    w = waterfall(uc, plan, test_catalog, n=3, kpi="run_rate_cost")
    steps = {s.stage: s for s in w.steps}
    assert [s.stage for s in w.steps] == list(L.STAGES)
    assert_allclose(steps["prompt_compression"].saving, 75.0)       # 810 → 735
    assert_allclose(steps["caching"].saving, 0.2 * 735)             # after compression
    assert_allclose(steps["caching"].alone, 0.2 * 810)              # on its own
    assert_allclose(steps["routing"].saving, 0.0)
    assert_allclose(w.total_saving, 75 + 0.2 * 735)


def test_waterfall_lever_costs_reported_and_in_monthly_cost(test_assumptions, test_catalog):
    uc = small(test_assumptions)
    plan = [L.ResponseCache(hit_rate=0.2, monthly_cost=30, one_off_cost=1200)]
    w = waterfall(uc, plan, test_catalog, n=2, kpi="avg_monthly_cost")
    cache = next(s for s in w.steps if s.stage == "caching")
    assert_allclose(cache.monthly_cost, 30)
    assert_allclose(cache.one_off_cost, 1200)
    assert_allclose(cache.saving, 0.2 * 810 - 30 - 1200 / 12)  # one-off spread over 12 live months


def test_waterfall_stage_override(test_assumptions, test_catalog):
    plan = [L.RetryReduction(reduction=0.5, stage="prompt_compression")]
    assert by_stage(plan)["prompt_compression"] == plan


def test_waterfall_rejects_non_cost_kpi(test_assumptions, test_catalog):
    with pytest.raises(FinopsError, match="expected a cost KPI"):
        waterfall(small(test_assumptions), [], test_catalog, n=2, kpi="roi")


def test_waterfall_frame_and_text(test_assumptions, test_catalog):
    w = waterfall(small(test_assumptions), [L.PromptCompression(share_removed="0.2 to 0.3")], test_catalog, n=200)
    df = w.to_frame()
    assert list(df["stage"]) == ["baseline", *L.STAGES, "total", "optimised"]
    assert_allclose(df.loc[df.stage == "prompt_compression", "share_of_saving"], 1.0)
    assert "Prompt compression" in format_waterfall(w)
    assert w.to_json()["reconciles"] is True


@settings(max_examples=20, deadline=None)
@given(
    share=st.floats(0, 1), hit=st.floats(0, 0.99), routed=st.floats(0, 1), esc=st.floats(0, 1),
    batch=st.floats(0, 1), seed=st.integers(0, 10_000),
)
def test_waterfall_sums_to_total_difference(test_assumptions, test_catalog, share, hit, routed, esc, batch, seed):
    step = {"model": "test-frontier", "system_prompt_tokens": "500 to 2000", "user_prompt_tokens": 200, "output_tokens": "200 to 400",
            "retry": {"rate": 0.1}}
    uc = small(test_assumptions, steps={"answer": step})
    plan = [
        L.Observability(waste_removed=share / 10, monthly_cost=10),
        L.PromptCompression(share_removed=share),
        L.Routing(to_model="test-small", routed_share=routed, escalation_rate=esc),
        L.ResponseCache(hit_rate=hit, monthly_cost="5 to 20"),
        L.PromptCaching(prefix_share=share, hit_rate=hit),
        L.Batch(share=batch), L.RetryReduction(reduction=share),
        L.VendorDiscount(discount=share / 2),
    ]
    w = waterfall(uc, plan, test_catalog, n=50, seed=seed, kpi="avg_monthly_cost")
    assert_allclose(sum(s.saving for s in w.steps), w.baseline - w.optimised, rtol=1e-10, atol=1e-9)


def test_waterfall_paired_trials_reduce_variance(test_assumptions, test_catalog):
    uc = small(test_assumptions, volume={"active_users": "50 to 200"})
    plan = [L.PromptCompression(share_removed=0.25)]
    w = waterfall(uc, plan, test_catalog, n=2000, seed=1)
    other = waterfall(uc, plan, test_catalog, n=2000, seed=2)
    paired = np.var(w.baseline - w.optimised)
    unpaired = np.var(w.baseline - other.optimised)
    assert paired < 0.05 * unpaired
