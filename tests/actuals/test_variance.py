import datetime as dt

import numpy as np
from actuals_helpers import usage
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from finops_model.actuals.forecast import bill_forecast
from finops_model.actuals.variance import PARTS, bill, shapley_bridge, variance_table
from finops_model.model.engine import simulate

pos = st.floats(0.0, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def factor_sets(draw):
    k = draw(st.integers(1, 4))
    def side():
        w = np.array(draw(st.lists(st.floats(0, 1), min_size=k, max_size=k)))
        w = w / w.sum() if w.sum() > 0 else w
        p = np.array(draw(st.lists(st.floats(0, 1e-3), min_size=k, max_size=k)))
        return (draw(pos), draw(st.floats(0, 1e5)), w, p)
    return side(), side()


@given(factor_sets())
@settings(max_examples=200, deadline=None)
def test_bridge_parts_sum_to_actual_minus_forecast(fa):
    f, a = fa
    parts = shapley_bridge(f, a)
    total = bill(*a) - bill(*f)
    assert_allclose(sum(parts.values()), total, rtol=1e-9, atol=1e-6 * max(1.0, abs(bill(*a)), abs(bill(*f))))


def test_bridge_single_factor_changes_by_hand():
    f = (100.0, 1000.0, np.array([1.0, 0.0]), np.array([2e-6, 1e-5]))
    # volume +10 %: the whole difference is volume
    parts = shapley_bridge(f, (110.0, *f[1:]))
    assert_allclose(parts["volume"], 0.22 - 0.2)  # 100 × 1000 × 2e-6 = 0.2 → 110 × … = 0.22
    assert_allclose([parts[p] for p in PARTS if p != "volume"], 0.0, atol=1e-15)
    # half the tokens move to the 5× dearer model: mix effect = 0.2 × (0.5 × 1 + 0.5 × 5 − 1) = 0.4
    parts = shapley_bridge(f, (100.0, 1000.0, np.array([0.5, 0.5]), f[3]))
    assert_allclose(parts["model_mix"], 0.4)
    # volume ×2 and price ×2 together: 0.2 → 0.8; each gets half of the interaction: 0.3 each
    parts = shapley_bridge(f, (200.0, 1000.0, f[2], f[3] * 2))
    assert_allclose([parts["volume"], parts["price"]], [0.3, 0.3])


def test_variance_table_worked_by_hand(worked, test_catalog):
    fc = bill_forecast(worked, simulate(worked, test_catalog, 4, 0), "2026-01-01")
    # January as forecast except the guardrail ran on a model twice the price (billed $120 not $60)
    rows = [
        {"timestamp": "2026-01-10", "model": "test-frontier", "input_tokens": 110_000 * 3200, "output_tokens": 110_000 * 300,
         "requests": 110_000, "billed_cost": 110_000 * 0.00978},
        {"timestamp": "2026-01-10", "model": "test-small", "input_tokens": 100_000 * 500, "output_tokens": 100_000 * 50,
         "requests": 100_000, "billed_cost": 120.0},
    ]
    t = variance_table(fc, usage(rows), test_catalog)
    assert len(t) == 1 and t.loc[0, "month"] == dt.date(2026, 1, 1)
    r = t.iloc[0]
    assert_allclose([r.actual, r.forecast], [1195.8, 1135.8])
    assert r.volume_basis == "calls"
    assert_allclose([r.volume, r.tokens_per_request, r.model_mix, r.unmetered], 0.0, atol=1e-9)
    assert_allclose(r.price, 60.0)
    assert r.percentile == 100.0
    assert_allclose(sum(r[p] for p in PARTS) + r.unmetered, r.actual - r.forecast)


def test_variance_table_new_model_is_mix_and_request_ids_give_volume(worked, test_catalog):
    fc = bill_forecast(worked, simulate(worked, test_catalog, 4, 0), "2026-01-01")
    rows = [
        {"timestamp": "2026-02-01", "model": "test-frontier", "input_tokens": 3200, "output_tokens": 300, "requests": 1,
         "request_id": "a", "billed_cost": 0.01},
        {"timestamp": "2026-02-01", "model": "unknown-model", "input_tokens": 1000, "output_tokens": 0, "requests": 1,
         "request_id": "b", "billed_cost": 0.5},
        {"timestamp": "2026-02-02", "model": "test-small", "input_tokens": 0, "output_tokens": 0, "requests": 0,
         "billed_cost": 2.0},  # a flat fee with no tokens
    ]
    r = variance_table(fc, usage(rows), test_catalog).iloc[0]
    assert r.volume_basis == "request ids" and r.requests_actual == 2
    assert_allclose(r.unmetered, 2.0)
    assert_allclose(sum(r[p] for p in PARTS) + r.unmetered, r.actual - r.forecast)
