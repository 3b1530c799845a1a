"""Monte Carlo precision, chunked runs, precision mode, stress tests, sampling designs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from finops_model.errors import AssumptionError
from finops_model.inputs.assumptions import load_assumptions, sample_spec
from finops_model.inputs.distributions import SampleSpec, parse, sample, uniforms
from finops_model.model.engine import simulate
from finops_model.uncertainty.precision import (
    Moments,
    QuantileSketch,
    correlated_uniforms,
    hold_in_tail,
    iter_uniform_chunks,
    kpi_summary,
    model_spec,
    order_statistic_ranks,
    percentile_ci,
    precision_table,
    simulate_chunked,
    simulate_until_precision,
    stress_test,
)
from tests.uncertainty_helpers import uncertain_tree

WORKED_MONTHLY_COST = 31_302.823333333  # tests/test_engine.py, the README's worked example


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    a = load_assumptions(uncertain_tree(tmp_path_factory.mktemp("unc")))
    return a


@pytest.fixture(scope="module")
def unc(tree):
    return tree.use_cases["uncertain"]


# --------------------------------------------------------------------------- precision of one KPI
def test_order_statistic_ranks_median_of_100():
    # classic table: the 95% CI of the median of 100 values is x(40) … x(61) (1-based)
    assert order_statistic_ranks(100, 0.5, 0.95) == (39, 60)


def test_percentile_ci_covers_true_quantile():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((600, 400))
    true = stats.norm.ppf(0.95)
    hits = [lo <= true <= hi for lo, hi in (percentile_ci(row, 95.0)[1:] for row in x)]
    assert 0.92 <= np.mean(hits) <= 0.99


def test_percentile_ci_estimate_matches_numpy():
    x = np.random.default_rng(2).lognormal(size=1001)
    est, lo, hi = percentile_ci(x, 80.0)
    assert_allclose(est, np.percentile(x, 80))
    assert lo <= est <= hi


def test_kpi_summary_worked_zero_variance(worked, test_catalog):
    df = kpi_summary(simulate(worked, test_catalog, 500, 3)).set_index("kpi")
    row = df.loc["avg_monthly_cost"]
    assert_allclose(row["mean"], WORKED_MONTHLY_COST, rtol=1e-10)
    assert row["mean_se"] == 0.0
    for c in ("mean_ci_low", "mean_ci_high", "p5", "p5_ci_low", "p50", "p95", "p95_ci_high"):
        assert_allclose(row[c], WORKED_MONTHLY_COST, rtol=1e-10)
    assert (df["mean_se"].fillna(0) == 0).all()


def test_kpi_summary_sum_of_lognormals_analytic_mean():
    parts = {f"x{i}": parse({"lognormal": {"p5": 10 * (i + 1), "p95": 60 * (i + 1)}}) for i in range(3)}
    draws = sample(SampleSpec(parts), 200_000, seed=11)
    total = sum(np.asarray(draws[k]) for k in parts)
    analytic = sum(math.exp(q.p["mu"] + q.p["sigma"] ** 2 / 2) for q in parts.values())
    row = kpi_summary({"total": total}, ["total"]).iloc[0]
    assert abs(row["mean"] - analytic) < 3 * row["mean_se"]
    assert row["mean_ci_low"] < analytic < row["mean_ci_high"]


def test_kpi_summary_undefined_kpi_note():
    df = kpi_summary({"cost_per_outcome": np.array([np.nan, np.nan])}, ["cost_per_outcome"])
    assert df["note"].iloc[0] == "undefined: no outcomes"
    assert math.isnan(df["mean"].iloc[0])


# --------------------------------------------------------------------------- streaming statistics
@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=200), st.integers(1, 50))
def test_moments_merge_matches_numpy(values, cut):
    x = np.array(values)
    m = Moments()
    m.add(x[:cut])
    m.add(x[cut:])
    assert_allclose(m.mean, x.mean(), rtol=1e-9, atol=1e-6)
    assert_allclose(m.se, x.std(ddof=1) / math.sqrt(x.size), rtol=1e-7, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.floats(-1e9, -1e-6), st.just(0.0), st.floats(1e-6, 1e9)), min_size=1, max_size=300), st.integers(0, 300))
def test_quantile_sketch_relative_accuracy(values, split):
    x = np.array(values)
    a, b = QuantileSketch(), QuantileSketch()
    a.add(x[:split])
    b.add(x[split:])
    a.merge(b)
    ranks = np.arange(x.size)
    got = a.quantile_at_rank(ranks)
    exact = np.sort(x)
    assert np.all(np.abs(got - exact) <= a.alpha * np.abs(exact) + 1e-12)


# --------------------------------------------------------------------------- chunked runs
def test_simulate_chunked_equals_unchunked_mc(unc, tree):
    n = 5_003
    whole = simulate(unc, tree.catalog, n, 42)
    run = simulate_chunked(unc, tree.catalog, n, 42, chunk_size=1_000, keep=("avg_monthly_cost", "npv", "cost_per_outcome"))
    for k in run.kept:
        assert_array_equal(run.kept[k], whole.kpis[k])
    for k, m in run.moments.items():
        ok = np.isfinite(whole.kpis[k])
        assert_allclose(m.mean, whole.kpis[k][ok].mean(), rtol=1e-12, err_msg=k)
    summary = run.summary().set_index("kpi")
    exact = kpi_summary(whole).set_index("kpi")
    assert_array_equal(summary.loc["npv", "p95"], exact.loc["npv", "p95"])
    sketched = summary.loc["monthly_value"]
    assert sketched["percentile_method"].startswith("sketch")
    assert abs(sketched["p50"] - exact.loc["monthly_value", "p50"]) <= 0.01 * exact.loc["monthly_value", "p50"]


def test_simulate_chunked_equals_unchunked_sobol(unc, tree):
    whole = simulate(unc, tree.catalog, 2_048, 5, "sobol")
    run = simulate_chunked(unc, tree.catalog, 2_048, 5, "sobol", chunk_size=256, keep=("npv",))
    assert_array_equal(run.kept["npv"], whole.kpis["npv"])


def test_iter_uniform_chunks_mc_concatenation_is_unchunked():
    names = ["a", "b", "c"]
    chunks = list(iter_uniform_chunks(names, 1_001, 9, "mc", 128))
    assert [c.shape[0] for c in chunks][:2] == [128, 128]
    assert_array_equal(np.vstack(chunks), uniforms(names, 1_001, 9, "mc"))


# --------------------------------------------------------------------------- precision mode
def test_simulate_until_precision_converges_and_equals_unchunked(unc, tree):
    run = simulate_until_precision(unc, tree.catalog, ("avg_monthly_cost", "npv"), rel_tol=0.01, initial_trials=2_000, seed=4)
    assert run.converged
    assert (run.precision["relative_half_width"] <= 0.01).all()
    assert run.history[0][0] == 2_000 and run.history[-1][0] == run.trials
    whole = simulate(unc, tree.catalog, run.trials, 4)
    assert_array_equal(run.kpis["npv"], whole.kpis["npv"])


def test_simulate_until_precision_stops_at_cap(unc, tree):
    run = simulate_until_precision(unc, tree.catalog, ("npv",), rel_tol=0.0005, max_trials=3_000, initial_trials=1_000)
    assert not run.converged
    assert run.trials == 3_000


def test_simulate_until_precision_fixed_inputs_converge_at_once(worked, test_catalog):
    run = simulate_until_precision(worked, test_catalog, ("avg_monthly_cost",), initial_trials=100)
    assert run.converged and run.trials == 100


def test_precision_table_half_width_hand_computed():
    x = np.array([1.0, 2.0, 3.0, 4.0] * 250)
    t = precision_table({"k": x}, ["k"], 0.95).set_index("statistic")
    assert_allclose(t.loc["mean", "half_width"], 1.959963984540054 * x.std(ddof=1) / math.sqrt(1000))


# --------------------------------------------------------------------------- stress tests
def test_stress_test_top_decile_raises_volume(unc, tree):
    df = stress_test(unc, tree.catalog, ["volume.requests_per_user_per_month"], "top", 4_000, 1).set_index("kpi")
    base = simulate(unc, tree.catalog, 4_000, 1)
    assert_allclose(df.loc["requests_per_month", "base_mean"], base.kpis["requests_per_month"].mean())
    assert df.loc["requests_per_month", "shift"] > 0
    assert df.loc["avg_monthly_cost", "shift"] > 0
    bottom = stress_test(unc, tree.catalog, ["volume.requests_per_user_per_month"], "bottom", 4_000, 1).set_index("kpi")
    assert bottom.loc["requests_per_month", "shift"] < 0


def test_hold_in_tail_maps_into_decile_and_moves_correlated_partner(unc, tree):
    spec = model_spec(unc, tree.catalog)
    names = spec.uncertain_names
    u = correlated_uniforms(spec, uniforms(names, 20_000, 3))
    held = hold_in_tail(spec, u, ["volume.active_users"], "top")
    a = names.index("volume.active_users")
    b = names.index("volume.requests_per_user_per_month")
    c = names.index("steps.answer.output_tokens")
    assert held[:, a].min() >= 0.9
    assert held[:, b].mean() < 0.4  # rank correlation −0.5: requests per user fall with users
    assert_array_equal(held[:, c], u[:, c])  # an uncorrelated input is untouched
    low = hold_in_tail(spec, u, ["volume.active_users"], "bottom")
    assert low[:, a].max() <= 0.1


def test_stress_test_unknown_and_constant_inputs(unc, tree):
    with pytest.raises(AssumptionError, match="did you mean 'volume.active_users'"):
        stress_test(unc, tree.catalog, ["volume.active_user"], n=10)
    with pytest.raises(AssumptionError, match="expected an uncertain input"):
        stress_test(unc, tree.catalog, ["rag.top_k"], n=10)


# --------------------------------------------------------------------------- designs and CRN
@pytest.mark.parametrize("method", ["mc", "lhs", "sobol"])
def test_sample_designs_honour_correlations(method):
    spec = SampleSpec({"a": parse("1 to 10"), "b": parse({"pert": [0, 1, 5]}), "c": parse({"uniform": [0, 1]})},
                      (("a", "b", 0.6), ("a", "c", -0.3)))
    d = sample(spec, 8_192, 7, method)
    rho = stats.spearmanr(np.column_stack([d["a"], d["b"], d["c"]])).statistic
    assert_allclose([rho[0, 1], rho[0, 2]], [0.6, -0.3], atol=0.03)


def test_chunked_lhs_honours_correlations(unc, tree):
    spec = model_spec(unc, tree.catalog)
    u = np.vstack(list(iter_uniform_chunks(spec.uncertain_names, 6_000, 2, "lhs", 1_000)))
    d = sample(spec, 6_000, u=u)
    rho = stats.spearmanr(d["volume.active_users"], d["volume.requests_per_user_per_month"]).statistic
    assert_allclose(rho, -0.5, atol=0.04)


def test_common_random_numbers_across_scenarios(tree, unc):
    from finops_model.inputs.assumptions import replace_path

    cheaper = replace_path(unc, "steps.answer.output_tokens", parse("100 to 250"))
    a = simulate(unc, tree.catalog, 5_000, 8)
    b = simulate(cheaper, tree.catalog, 5_000, 8)
    for shared in ("volume.active_users", "steps.answer.user_prompt_tokens", "value.value_per_outcome"):
        assert_array_equal(a.inputs[shared], b.inputs[shared])
    diff = a.kpis["avg_monthly_cost"] - b.kpis["avg_monthly_cost"]
    assert (diff > 0).mean() > 0.95  # paired: nearly every trial is cheaper
    assert diff.std() < 0.2 * a.kpis["avg_monthly_cost"].std()
    assert sample_spec(cheaper).uncertain_names == sample_spec(unc).uncertain_names
