"""Allocation of the shared platform pool: sums, fairness properties, showback, chargeback."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose
from portfolio_helpers import make_tree

from finops_model.errors import FinopsError
from finops_model.governance.allocation import (
    RULES,
    allocate,
    allocate_portfolio,
    allocation_shares,
    chargeback,
    compare_rules,
    round_largest_remainder,
    showback,
)
from finops_model.governance.portfolio import load_portfolio, rollup_assumptions

drivers_st = arrays(np.float64, st.tuples(st.integers(1, 8), st.integers(1, 6)),
                    elements=st.floats(0, 1e9, allow_nan=False, allow_infinity=False))
pool_st = st.floats(0, 1e8, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(drivers_st, pool_st)
def test_allocate_sums_to_pool(d, pool):
    a = allocate(np.full(d.shape[1], pool), d)
    assert_allclose(a.sum(axis=0), pool, rtol=1e-12, atol=1e-9)
    assert np.all(a >= -1e-9 * max(pool, 1))


@settings(max_examples=200, deadline=None)
@given(drivers_st)
def test_allocation_shares_sum_to_one(d):
    s = allocation_shares(d)
    assert_allclose(s.sum(axis=0), 1.0, rtol=1e-12)
    assert np.all((s >= 0) & (s <= 1))


@settings(max_examples=200, deadline=None)
@given(drivers_st, pool_st)
def test_allocate_monotone_in_driver(d, pool):
    a = allocate(np.full(d.shape[1], pool), d)
    for t in range(d.shape[1]):
        order = np.argsort(d[:, t], kind="stable")
        assert np.all(np.diff(a[order, t]) >= -1e-6 * max(pool, 1))


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 8), st.integers(1, 6)),
              elements=st.one_of(st.just(0.0), st.floats(1e-6, 1e9))), st.floats(1e-3, 1e3))
def test_allocation_shares_scale_invariant(d, k):
    assert_allclose(allocation_shares(d * k), allocation_shares(d), rtol=1e-9, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, st.integers(3, 8), elements=st.floats(0.01, 1e6)), pool_st)
def test_allocate_merging_use_cases_is_additive(d, pool):
    a = allocate(pool, d)
    merged = allocate(pool, np.concatenate([[d[0] + d[1]], d[2:]]))
    assert_allclose(merged[0], a[0] + a[1], rtol=1e-9, atol=1e-6)


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, st.integers(1, 30), elements=st.floats(0, 1e6)))
def test_round_largest_remainder_sums_exactly(v):
    total = float(v.sum())
    r = round_largest_remainder(v, total)
    assert round(r.sum() * 100) == round(total * 100)
    assert np.all(np.abs(r - v) < 0.01 + 1e-9)


def test_allocate_hand_proportional():
    assert_allclose(allocate(100.0, np.array([1.0, 3.0])), [25.0, 75.0])


def test_allocate_all_zero_drivers_split_evenly():
    assert_allclose(allocate(90.0, np.zeros(3)), [30.0, 30.0, 30.0])


def test_allocate_per_trial():
    a = allocate(np.array([10.0, 20.0]), np.array([[1.0, 0.0], [1.0, 2.0]]))
    assert_allclose(a, [[5.0, 0.0], [5.0, 20.0]])


def test_allocate_rejects_negative_and_empty():
    with pytest.raises(FinopsError, match="≥ 0"):
        allocate(10.0, np.array([1.0, -1.0]))
    with pytest.raises(FinopsError, match="at least one"):
        allocate(10.0, np.zeros(0))


@pytest.fixture(scope="module")
def port(tmp_path_factory):
    tree = make_tree(tmp_path_factory.mktemp("alloc") / "assumptions")
    return rollup_assumptions(load_portfolio(tree), 300, 4)


@pytest.mark.parametrize("rule", RULES)
def test_allocate_portfolio_sums_to_pool_every_trial(port, rule):
    _, a = allocate_portfolio(port, rule)
    assert_allclose(a.sum(axis=0), port.pool, rtol=1e-12)


@pytest.mark.parametrize("rule", RULES)
def test_showback_and_chargeback_sum_to_pool(port, rule):
    sb = showback(port, rule)
    cb = chargeback(port, rule)
    pool = round(float(port.pool.mean()), 2)
    assert round(sb["platform_allocation"].sum(), 2) == pytest.approx(pool, abs=1e-6)
    assert round(cb["platform_allocation"].sum(), 2) == pytest.approx(pool, abs=1e-6)
    assert_allclose(sb["direct_run_cost"].sum(), cb["direct_run_cost"].sum(), rtol=1e-12)
    assert set(cb["cost_center"]) == {"CC-100", "CC-200"}


def test_allocate_portfolio_even(port):
    _, a = allocate_portfolio(port, "even")
    assert_allclose(a, np.broadcast_to(port.pool / 3, a.shape), rtol=1e-12)


def test_allocate_portfolio_requests_hand(port):
    ids, a = allocate_portfolio(port, "requests")
    req = np.stack([port.use_cases["as-written"][i].drivers["requests"] for i in ids])
    assert_allclose(a, req / req.sum(axis=0) * port.pool, rtol=1e-12)


def test_allocate_portfolio_fixed_explicit_shares(port):
    ids, a = allocate_portfolio(port, "fixed", shares={"worked": 1.0, "worked-b": 3.0})
    assert_allclose(a[ids.index("worked")], port.pool / 4, rtol=1e-12)
    assert_allclose(a[ids.index("worked-c")], 0.0)
    with pytest.raises(FinopsError, match="nope"):
        allocate_portfolio(port, "fixed", shares={"nope": 1.0})


def test_allocate_portfolio_unknown_rule(port):
    with pytest.raises(FinopsError, match="rule"):
        allocate_portfolio(port, "headcount")


def test_chargeback_budget_probability(port):
    cb = chargeback(port, "spend").set_index("cost_center")
    assert cb.loc["CC-100", "budget"] == 70000
    assert 0 <= cb.loc["CC-200", "p_over_budget"] <= 1


def test_compare_rules_columns_sum_to_pool(port):
    df = compare_rules(port)
    for rule in RULES:
        assert_allclose(df[rule].sum(), port.pool.mean(), rtol=1e-12)
