"""Sensitivity analyses: Ishigami's analytic Sobol indices, hand-computed tornado and spider."""

from __future__ import annotations

import math
import warnings

import altair as alt
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from finops_model.errors import FinopsError
from finops_model.inputs.assumptions import load_assumptions
from finops_model.model.engine import evaluate, simulate
from finops_model.uncertainty.sensitivity import (
    CorrelatedInputsWarning,
    function_model,
    input_group,
    rank_correlation,
    rank_correlation_chart,
    result_rank_correlation,
    saltelli_design,
    sobol,
    sobol_chart,
    spider,
    spider_chart,
    tornado,
    tornado_chart,
    use_case_model,
)
from tests.uncertainty_helpers import uncertain_tree

# Ishigami (a = 7, b = 0.1) analytic indices: Saltelli et al., Global Sensitivity Analysis, 2008
A, B = 7.0, 0.1
V = A**2 / 8 + B * math.pi**4 / 5 + B**2 * math.pi**8 / 18 + 0.5
V1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
V2 = A**2 / 8
V13 = B**2 * math.pi**8 * (1 / 18 - 1 / 50)
S1 = np.array([V1, V2, 0.0]) / V
ST = np.array([V1 + V13, V2, V13]) / V


def _ishigami(d, n):
    x1, x2, x3 = d["x1"], d["x2"], d["x3"]
    return {"y": np.sin(x1) + A * np.sin(x2) ** 2 + B * x3**4 * np.sin(x1)}


@pytest.fixture(scope="module")
def ishigami():
    return function_model({k: {"uniform": [-math.pi, math.pi]} for k in ("x1", "x2", "x3")}, _ishigami, "ishigami",
                          groups={"x1": "x1 and x3", "x3": "x1 and x3", "x2": "x2"})


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return load_assumptions(uncertain_tree(tmp_path_factory.mktemp("sens")))


@pytest.fixture(scope="module")
def unc_model(tree):
    return use_case_model(tree.use_cases["uncertain"], tree.catalog)


def _linear(d, n):
    return {"y": 2 * np.asarray(d["a"]) + 3 * np.asarray(d["b"]) + 0 * np.asarray(d["c"])}


@pytest.fixture(scope="module")
def linear():
    return function_model({"a": {"uniform": [0, 1]}, "b": {"uniform": [0, 10]}, "c": {"uniform": [5, 6]}, "k": 4}, _linear, "linear")


# --------------------------------------------------------------------------- Sobol
def test_sobol_ishigami_analytic_indices(ishigami):
    res = sobol(ishigami, ["y"], n_base=4096, seed=1)
    d = res.indices[res.indices["level"] == "input"].set_index("name").loc[["x1", "x2", "x3"]]
    assert_allclose(d["S1"], S1, atol=0.03)
    assert_allclose(d["ST"], ST, atol=0.03)
    assert res.base_samples == 4096 and res.evaluations == 4096 * 5 + 4096 * 4
    assert (d["ST_conf"] > 0).all() and (d["ST_conf"] < 0.1).all()
    assert res.warnings == ()


def test_sobol_ishigami_group_indices(ishigami):
    res = sobol(ishigami, ["y"], n_base=4096, seed=2, levels=("group",))
    g = res.indices.set_index("name")
    assert_allclose(g.loc["x1 and x3", "S1"], S1[0] + S1[2] + V13 / V, atol=0.03)
    assert_allclose(g.loc["x1 and x3", "ST"], ST[0], atol=0.03)
    assert_allclose(g.loc["x2", "ST"], ST[1], atol=0.03)


@pytest.mark.parametrize("groups", [None, ["g2", "g1", "g2", "g3", "g1"]])
def test_saltelli_design_equals_salib_sampler(groups):
    from SALib.sample import sobol as salib_sobol

    problem = {"num_vars": 5, "names": list("abcde"), "bounds": [[0.0, 1.0]] * 5}
    if groups:
        problem["groups"] = groups
    assert_array_equal(saltelli_design(problem, 32, 3), salib_sobol.sample(problem, 32, calc_second_order=False, seed=3))


def test_sobol_use_case_warns_on_correlated_inputs(unc_model):
    with pytest.warns(CorrelatedInputsWarning, match="volume.active_users ~ volume.requests_per_user_per_month"):
        res = sobol(unc_model, ["avg_monthly_cost"], n_base=128)
    groups = res.indices[res.indices["level"] == "group"]
    assert "volume and value" in set(groups["name"]) and "hidden costs" in set(groups["name"])
    assert res.warnings and res.indices.attrs["warnings"]


def test_sobol_fixed_inputs_error(test_assumptions):
    model = use_case_model(test_assumptions.use_cases["worked"], test_assumptions.catalog)
    with pytest.raises(FinopsError, match="at least one uncertain input"):
        sobol(model, ["npv"], 64)
    with pytest.raises(FinopsError, match="every input is fixed"):
        tornado(model, ["npv"])


# --------------------------------------------------------------------------- tornado and spider
def test_tornado_linear_hand_computed(linear):
    df = tornado(linear, ["y"]).set_index("input")
    assert list(df.index) == ["b", "a", "c"]  # by swing
    assert_allclose(df.loc["b", "swing"], 3 * (9 - 1))
    assert_allclose(df.loc["a", "swing"], 2 * (0.9 - 0.1))
    assert_allclose(df.loc["c", "swing"], 0, atol=1e-12)
    assert_allclose(df["kpi_base"], 2 * 0.5 + 3 * 5)
    assert_allclose(df.loc["b", ["input_low", "input_high"]].astype(float), [1.0, 9.0])
    assert list(df["rank"]) == [1, 2, 3]


def test_spider_linear_hand_computed(linear):
    df = spider(linear, ["y"], inputs=["a"], percentiles=(0.25, 0.5, 0.75))
    assert_allclose(df["value"], 2 * np.array([0.25, 0.5, 0.75]) + 15)
    assert_allclose(df["change"], (df["value"] - 16) / 16)


def test_tornado_use_case_base_is_all_medians(unc_model, tree):
    uc = tree.use_cases["uncertain"]
    with pytest.warns(CorrelatedInputsWarning):
        df = tornado(unc_model, ["npv", "avg_monthly_cost"])
    med = {k: np.array([q.median]) for k, q in unc_model.inputs.items()}
    point = evaluate(uc, med, tree.catalog, 1)
    npv = df[df["kpi"] == "npv"]
    assert_allclose(npv["kpi_base"], point.kpis["npv"][0], rtol=1e-12)
    assert (np.diff(npv["swing"].to_numpy()) <= 0).all()
    assert npv["input"].iloc[0] in ("volume.requests_per_user_per_month", "value.value_per_outcome", "volume.active_users")


def test_tornado_unknown_input(linear):
    with pytest.raises(FinopsError, match="did you mean 'b'"):
        tornado(linear, ["y"], inputs=["bb"])


# --------------------------------------------------------------------------- rank correlation
def test_rank_correlation_monotone_and_independent():
    rng = np.random.default_rng(0)
    a, b = rng.random(5000), rng.random(5000)
    df = rank_correlation({"a": a, "b": b, "k": 3.0}, {"y": np.exp(a)}, ["y"]).set_index("input")
    assert_allclose(df.loc["a", "spearman"], 1.0)
    assert abs(df.loc["b", "spearman"]) < 0.05
    assert_allclose(df["contribution_to_variance"].sum(), 1.0)
    assert "k" not in df.index


def test_result_rank_correlation_use_case(tree):
    r = simulate(tree.use_cases["uncertain"], tree.catalog, 5000, 0)
    df = result_rank_correlation(r, ["monthly_value"])
    top = df.iloc[0]
    assert top["input"] in ("volume.requests_per_user_per_month", "value.value_per_outcome", "volume.active_users")
    assert top["spearman"] > 0.3


# --------------------------------------------------------------------------- groups and charts
@pytest.mark.parametrize(("path", "group"), [
    ("steps.answer.output_tokens", "model interaction and application logic"),
    ("rag.top_k", "rag"), ("infrastructure.egress_price_per_gb", "infrastructure"),
    ("hidden.evaluation.runs_per_month", "hidden costs"), ("volume.active_users", "volume and value"),
    ("value.value_per_outcome", "volume and value"), ("one_off.build", "build"), ("org.labour_rates.analyst", "labour rates"),
])
def test_input_group_by_prefix(path, group):
    assert input_group(path) == group


def test_charts_render(linear, ishigami):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = tornado(linear, ["y"])
        s = spider(linear, ["y"])
    res = sobol(ishigami, ["y"], 256)
    rc = rank_correlation({"a": np.arange(10.0)}, {"y": np.arange(10.0)}, ["y"])
    for chart in (tornado_chart(t), spider_chart(s), sobol_chart(res), rank_correlation_chart(rc)):
        assert isinstance(chart, alt.TopLevelMixin)
        assert chart.to_dict()["$schema"].startswith("https://vega.github.io/schema/vega-lite")
