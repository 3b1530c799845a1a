import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from finops_model.costs import orchestration


def test_retry_multiplier_geometric():
    assert_allclose(orchestration.retry_multiplier(0.1, 2), 1 + 0.1 + 0.01)
    assert_allclose(orchestration.retry_multiplier(np.array([0.0, 0.5]), 3), [1.0, 1.875])


def test_retry_multiplier_zero_retries():
    assert_allclose(orchestration.retry_multiplier(0.9, 0), 1.0)


@given(st.floats(0, 1), st.floats(0, 1), st.integers(0, 10))
def test_retry_multiplier_monotone_in_rate(r1, r2, cap):
    lo, hi = sorted((r1, r2))
    assert orchestration.retry_multiplier(lo, cap) <= orchestration.retry_multiplier(hi, cap) + 1e-12


def test_capped_iterations_respects_hard_cap():
    assert_allclose(orchestration.capped_iterations(np.array([0.2, 3.0, 40.0]), 8), [1.0, 3.0, 8.0])


def test_capped_iterations_refuses_zero_cap():
    with pytest.raises(ValueError, match="max_iterations"):
        orchestration.capped_iterations(3, 0)


def test_average_tool_context_hand_computed():
    # 4 iterations, 2 tool calls of 300 tokens: iterations see 0, 600, 1200, 1800 → mean 900
    assert_allclose(orchestration.average_tool_context(4, 2, 300), 900)


@given(st.floats(0, 1), st.floats(1, 10), st.floats(1, 20), st.floats(1, 3))
def test_calls_per_request_parts_sum_to_total(share, fan, it, att):
    c = orchestration.calls_per_request(share, fan, it, att)
    assert_allclose(c["base"] + c["fan_out_and_loop"] + c["retries"], c["total"], rtol=1e-12, atol=1e-12)
    assert_allclose(c["total"], share * fan * it * att)


def test_capped_tool_calls_spreads_the_task_cap():
    # 4 iterations × 3 calls = 12 > cap 6 → 1.5 calls per iteration; under the cap nothing changes
    assert_allclose(orchestration.capped_tool_calls(np.array([3.0, 1.0]), 4.0, 6), [1.5, 1.0])
