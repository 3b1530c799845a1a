"""Portfolio roll-up: splits add up, trials aligned, serial = parallel, hand-checked totals."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from portfolio_helpers import make_tree

from finops_model.errors import FinopsError
from finops_model.governance.portfolio import (
    DIMENSIONS,
    NOT_MODEL_CALLS,
    chunk_size,
    load_portfolio,
    portfolio_draws,
    rollup,
    rollup_assumptions,
    sample_pool,
)
from finops_model.governance.tiers import frontier_by_default, is_routine
from finops_model.inputs.assumptions import load_assumptions
from finops_model.model.engine import simulate

N = 400


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return make_tree(tmp_path_factory.mktemp("portfolio") / "assumptions")


@pytest.fixture(scope="module")
def loaded(tree):
    return load_portfolio(tree, ("same", "shorter"))


@pytest.fixture(scope="module")
def port(loaded):
    return rollup_assumptions(loaded, N, 7)


@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_split_sums_to_total(port, dimension):
    for sc in port.scenarios:
        parts = port.split(dimension, sc)
        assert_allclose(np.sum(list(parts.values()), axis=0), port.total(sc), rtol=1e-12)


def test_split_values_attribution(port):
    assert set(port.split("cost_center")) == {"CC-100", "CC-200"}
    assert set(port.split("team")) == {"Support", "Ops"}
    assert set(port.split("environment")) == {"production", "pilot"}
    assert set(port.split("tier")) == {"frontier", "small", NOT_MODEL_CALLS}
    assert set(port.split("provider")) == {"testai", NOT_MODEL_CALLS}


def test_rollup_total_matches_use_case_kpis(port):
    sc = port.scenarios[0]
    total_mean = sum(ru.stats["avg_monthly_cost"]["mean"] for ru in port.use_cases[sc].values())
    assert_allclose(port.total(sc).mean(), total_mean, rtol=1e-12)


def test_rollup_common_coupling_reproduces_simulate(tree):
    a = load_assumptions(tree)
    p = rollup({"x": list(a.use_cases.values())}, a.catalog, a.org, a.fx, N, 3, coupling="common")
    for uc_id, uc in a.use_cases.items():
        r = simulate(uc, a.catalog, N, 3)
        s = p.use_cases["x"][uc_id].stats["avg_monthly_cost"]
        assert s["mean"] == pytest.approx(float(r.kpis["avg_monthly_cost"].mean()), rel=1e-12)
        assert s["p95"] == pytest.approx(float(np.percentile(r.kpis["avg_monthly_cost"], 95)), rel=1e-12)


def test_portfolio_draws_org_inputs_shared_own_inputs_independent(tree):
    a = load_assumptions(tree)
    b, c = a.use_cases["worked-b"], a.use_cases["worked-c"]
    db, dc = portfolio_draws(b, N, 5), portfolio_draws(c, N, 5)
    assert_array_equal(db["org.platform.gateway"], dc["org.platform.gateway"])
    pool = sample_pool(a.org, a.fx, N, 5)
    assert_allclose(pool, db["org.platform.gateway"] + 1000.0)  # observability 1000, no platform team
    # same distribution of users, own streams: not identical (independent use cases)
    assert not np.array_equal(db["volume.active_users"], dc["volume.active_users"])
    cb, cc = portfolio_draws(b, N, 5, "common"), portfolio_draws(c, N, 5, "common")
    assert_array_equal(cb["volume.active_users"], cc["volume.active_users"])


def test_portfolio_draws_bad_coupling(worked):
    with pytest.raises(FinopsError, match="coupling"):
        portfolio_draws(worked, 10, 0, "shared")


def test_rollup_parallel_identical_to_serial(loaded, port):
    par = rollup_assumptions(loaded, N, 7, jobs=2)
    for sc in port.scenarios:
        assert par.groups[sc].keys() == port.groups[sc].keys()
        for k, v in port.groups[sc].items():
            assert_array_equal(v, par.groups[sc][k])
        assert_array_equal(port.monthly_total[sc], par.monthly_total[sc])
        for uc_id, ru in port.use_cases[sc].items():
            for name, x in ru.drivers.items():
                assert_array_equal(x, par.use_cases[sc][uc_id].drivers[name])
    assert_array_equal(port.pool, par.pool)


def test_rollup_scenarios_paired(port):
    d = port.scenario_difference("shorter", "same")
    # output 300 → 150 tokens on the answer step lowers cost in every paired trial
    assert d["p_lower"] == 1.0
    assert d["p95"] < 0


def test_rollup_same_scenario_twice_zero_difference(loaded):
    p = rollup_assumptions({"a": loaded["same"], "b": loaded["same"]}, N, 2)
    assert_array_equal(p.total("a"), p.total("b"))


def test_rollup_hand_checked_model_cost(port, loaded):
    # worked (constants): model-call cost per month = Σ steps calls × cost per call × requests
    ru = port.use_cases["same"]["worked"]
    r = simulate(loaded["same"].use_cases["worked"], loaded["same"].catalog, 1, 0)
    req = float(r.kpis["requests_per_month"][0])
    expected = sum(float(s["calls_per_request"][0] * s["cost_per_call"][0]) for s in r.steps.values()) * req
    assert_allclose(ru.stats["model_cost"]["mean"], expected, rtol=1e-12)
    assert_allclose(sum(line["mean"] for line in ru.lines), ru.stats["avg_monthly_cost"]["mean"], rtol=1e-12)


def test_rollup_lines_sum_to_monthly_cost(port):
    for ru in port.use_cases["same"].values():
        assert_allclose(sum(line["mean"] for line in ru.lines), ru.stats["avg_monthly_cost"]["mean"], rtol=1e-10)


def test_monthly_by_cost_center_sums_to_total(port):
    for sc in port.scenarios:
        assert_allclose(np.sum(list(port.monthly_by_cost_center[sc].values()), axis=0), port.monthly_total[sc], rtol=1e-12)


def test_tier_mix_shares_sum_to_one(port):
    mix = port.tier_mix()
    assert_allclose(mix["cost_share"].sum(), 1.0)
    assert_allclose(mix["calls_share"].sum(), 1.0)
    assert set(mix["tier"]) == {"frontier", "small"}


def test_is_routine_kinds_and_names(worked):
    steps = worked.steps
    assert is_routine("check", steps["check"])  # guardrail
    assert not is_routine("answer", steps["answer"])  # generation
    assert is_routine("classify_ticket", steps["answer"])  # named for classification


def test_frontier_by_default_flags_routine_step_on_frontier(worked, test_catalog):
    assert frontier_by_default(worked, test_catalog) == []  # frontier answer is not routine
    check = worked.steps["check"].model_copy(update={"model": "test-frontier"})
    uc = worked.model_copy(update={"steps": {**worked.steps, "check": check}})
    flagged = frontier_by_default(uc, test_catalog)
    assert flagged == [{"use_case": "worked", "step": "check", "kind": "guardrail", "model": "test-frontier", "tier": "frontier"}]


def test_portfolio_frontier_table(port):
    df = port.steps_table()
    assert len(df) == 7  # worked 2 + worked-b 3 + worked-c 2 steps
    assert not df["frontier_by_default"].any()


def test_chunk_size_depends_only_on_count():
    assert chunk_size(6) == 1
    assert chunk_size(1000) == 32
    assert chunk_size(100_000) == 64


def test_split_unknown_dimension(port):
    with pytest.raises(FinopsError, match="dimension"):
        port.split("region")


def test_rollup_needs_a_scenario(test_assumptions):
    a = test_assumptions
    with pytest.raises(FinopsError, match="scenario"):
        rollup({}, a.catalog, a.org, a.fx, 10)
