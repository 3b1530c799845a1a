from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from finops_model.costs import interaction


def test_average_history_tokens_uncapped():
    # turns 1..5 carry 0, 100, 200, 300, 400 → continuous average k (T−1)/2 = 200
    assert_allclose(interaction.average_history_tokens(5, 100), 200.0)


def test_average_history_tokens_capped():
    # k (T−1) = 400 > cap 200: average = cap − cap² / (2 · 400) = 150
    assert_allclose(interaction.average_history_tokens(5, 100, 200), 150.0)


def test_average_history_tokens_single_turn_is_zero():
    assert_allclose(interaction.average_history_tokens(1, 500), 0.0)


@given(st.floats(1, 50), st.floats(0, 5000), st.floats(0, 1e6))
def test_average_history_tokens_never_exceeds_cap_or_uncapped(turns, k, cap):
    h = interaction.average_history_tokens(turns, k, cap)
    assert 0 <= h <= min(cap, k * (turns - 1) / 2) + 1e-6


def test_input_tokens_per_call_sums_parts():
    t = interaction.input_tokens_per_call(1000, 200, 50, 2000, 300, 100, history_turns=3, history_tokens_per_turn=100)
    assert_allclose(t["base"], 3650)
    assert_allclose(t["history"], 100)
    assert_allclose(t["total"], 3750)


def test_input_tokens_per_call_budget_trims_history_first():
    t = interaction.input_tokens_per_call(1000, 0, history_turns=11, history_tokens_per_turn=100, context_budget_tokens=1500)
    # history cap 500 < k (T−1) = 1000 → 500 − 500²/2000 = 375
    assert_allclose(t["history"], 375)
    assert_allclose(t["total"], 1375)


def test_input_tokens_per_call_window_truncates():
    t = interaction.input_tokens_per_call(5000, 5000, context_window_tokens=8000)
    assert_allclose(t["total"], 8000)


def test_blended_call_cost_hand_computed(test_catalog):
    p = test_catalog.price("test-small")  # $1 in, $2 out, $0.1 cache read, batch $0.5/$1 per 1M
    online = interaction.blended_call_cost(p, 1000, 100, cached_share=0.5)
    assert_allclose(online, 500e-6 + 500 * 0.1e-6 + 100 * 2e-6)
    half_batch = interaction.blended_call_cost(p, 1000, 100, batch_share=0.5)
    assert_allclose(half_batch, 0.5 * (1000e-6 + 200e-6) + 0.5 * (500e-6 + 100e-6))


def test_blended_call_cost_reasoning_billed_as_output(test_catalog):
    p = test_catalog.price("test-frontier")  # $3 in, $15 out per 1M
    assert_allclose(interaction.blended_call_cost(p, 0, 100, reasoning_tokens=400), 500 * 15e-6)


def test_blended_call_cost_per_image(test_catalog):
    p = test_catalog.price("test-small")
    assert_allclose(interaction.blended_call_cost(p, 0, 0, price_per_image=0.01, images_per_call=3), 0.03)
