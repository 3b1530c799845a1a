"""Cost drift: hand-checked drifts, month-by-month growth, exact attribution."""

from __future__ import annotations

import numpy as np
import pytest
from levers_helpers import SMALL, small
from numpy.testing import assert_allclose

from finops_model.decisions.drift import DRIFTS, DriftSpec, drift, drift_transform, format_drift
from finops_model.errors import AssumptionError


def test_drift_system_prompt_and_retries_hand_checked(test_assumptions, test_catalog):
    uc = small(test_assumptions)
    r = drift(uc, test_catalog, DriftSpec(months=4), n=3)
    assert_allclose(r.growth[:, 0], 0.0)
    # +600 tokens × $3/M × 100,000 calls at full size, linear ramp
    assert_allclose(r.alone["system_prompt"], 180.0)
    assert_allclose(r.contributions["system_prompt"][:, 2], 90.0)
    # retry rate 0 → 25% with 2 retries: 0.25 + 0.0625 extra calls of $0.0081 + 600 × $3/M
    assert_allclose(r.alone["retries"], 0.3125 * 810)
    assert_allclose(r.contributions["retries"][:, -1], 0.3125 * (810 + 180))
    # one primary model, no RAG, no agent, no cache: these drifts do not apply
    for d in ("retrieval", "frontier_share", "agent_steps", "cache_hit_rate"):
        assert_allclose(r.contributions[d], 0.0)


def test_drift_contributions_sum_to_growth_every_month(test_assumptions, test_catalog):
    step = {**SMALL["steps"]["answer"], "uses_retrieval": True, "cached_prompt_share": "0.3 to 0.6", "retry": {"rate": 0.05},
            "kind": "agent", "agent_loop": {"iterations": "2 to 4", "max_iterations": 20}}
    cheap = {"model": "test-small", "share_of_requests": 0.9, "user_prompt_tokens": 500, "output_tokens": 100}
    step["share_of_requests"] = 0.1
    rag = {"corpus_tokens": 1000, "embedding_model": "test-embed", "top_k": 4}
    uc = small(test_assumptions, steps={"answer": step, "cheap": cheap}, rag=rag)
    r = drift(uc, test_catalog, DriftSpec(months=3), n=300, seed=5)
    total = sum(r.contributions[d] for d in DRIFTS)
    assert_allclose(total, r.growth, rtol=1e-9, atol=1e-6)
    assert np.all(np.diff(r.cost.mean(axis=0)) > 0)  # cost rises month by month
    for d in DRIFTS:
        assert np.mean(r.contributions[d][:, -1]) > 0, d
    sh = r.shares()
    assert_allclose(sh["share_of_growth"].sum(), 1.0)
    assert "Share of the growth" in format_drift(r)
    assert len(r.to_frame()) == 4


def test_drift_frontier_share_moves_traffic(test_assumptions, test_catalog):
    steps = {"answer": {**SMALL["steps"]["answer"], "model": "test-small"}}
    uc = small(test_assumptions, steps=steps)
    r = drift(uc, test_catalog, DriftSpec(months=2, frontier_model="test-frontier"), n=2)
    # 30% of traffic moves from $0.0018 to $0.0081 per call
    assert_allclose(r.alone["frontier_share"], 0.3 * 100_000 * (0.0081 - 0.0018))


def test_drift_agent_steps_double_until_cap(test_assumptions, test_catalog):
    step = {**SMALL["steps"]["answer"], "kind": "agent", "agent_loop": {"iterations": 3, "max_iterations": 5}}
    uc = small(test_assumptions, steps={"answer": step})
    r = drift(uc, test_catalog, DriftSpec(months=2), n=2)
    assert_allclose(r.alone["agent_steps"], 2 * 810)  # 3 → 6 capped at 5


def test_drift_transform_unknown_name():
    with pytest.raises(AssumptionError, match="expected a drift among"):
        drift_transform("prompt", DriftSpec(), 1.0)
