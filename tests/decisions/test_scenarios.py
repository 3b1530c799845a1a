"""Scenario comparison: paired deltas, P(cheaper), lever scenarios."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from conftest import TEST_ASSUMPTIONS
from numpy.testing import assert_allclose

from finops_model.decisions.scenarios import (
    TOTAL,
    compare_scenarios,
    format_comparison,
    parse_scenario,
)
from finops_model.errors import AssumptionError


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("cmp") / "assumptions"
    shutil.copytree(TEST_ASSUMPTIONS, root)
    (root / "scenarios" / "uncertain.yaml").write_text(
        "overrides:\n  worked.volume.requests_per_user_per_month: 500 to 1500\n", encoding="utf-8"
    )
    (root / "scenarios" / "small.yaml").write_text(
        "overrides:\n  worked.volume.requests_per_user_per_month: 500 to 1500\n  worked.steps.answer.model: test-small\n", encoding="utf-8"
    )
    (root / "levers.yaml").write_text(
        "plans:\n  '*':\n    - lever: prompt_compression\n      share_removed: 0.5\n", encoding="utf-8"
    )
    return root


def test_parse_scenario_levers_suffix():
    assert parse_scenario("optimised+levers") == ("optimised", True)
    assert parse_scenario(" baseline ") == ("baseline", False)


def test_compare_paired_delta_hand_checked(tree):
    c = compare_scenarios(["uncertain", "uncertain+levers"], root=tree, n=200, seed=3)
    a, b = c.kpis[("worked", "uncertain")], c.kpis[("worked", "uncertain+levers")]
    assert np.ptp(a["run_rate_cost"]) > 0
    # half of the 1,000-token system prompt removed on 1.1 answer calls per request (10% retried)
    assert_allclose(a["input_tokens_per_request"] - b["input_tokens_per_request"], 500 * 1.1)
    # those tokens are half cache reads ($0.30/M), half input ($3/M): $0.000825 per call
    model = ("cost_model_interaction", "cost_application_logic")
    saving = sum(a[k] for k in model) - sum(b[k] for k in model)
    assert_allclose(saving, 500 * (0.5 * 0.3e-6 + 0.5 * 3e-6) * 1.1 * a["requests_per_month"], rtol=1e-9)
    t = c.table(["run_rate_cost"])
    row = t[(t.use_case == "worked") & (t.scenario == "uncertain+levers")].iloc[0]
    assert_allclose(row["delta_mean"], np.mean(b["run_rate_cost"] - a["run_rate_cost"]))


def test_compare_probability_cheaper_and_table(tree):
    c = compare_scenarios(["uncertain", "small"], root=tree, n=300, seed=0)
    pc = c.p_cheaper()
    p = pc[(pc.use_case == "worked") & (pc.cheaper == "small") & (pc.than == "uncertain")]["probability"].item()
    assert p == 1.0  # same volume draws, cheaper model: cheaper in every paired trial
    t = c.table(["run_rate_cost"])
    row = t[(t.use_case == "worked") & (t.scenario == "small")].iloc[0]
    d = c.kpis[("worked", "small")]["run_rate_cost"] - c.kpis[("worked", "uncertain")]["run_rate_cost"]
    assert_allclose(row["delta_p50"], np.percentile(d, 50))
    assert set(t.use_case) == {"worked", TOTAL}
    assert "P(cheaper)" in format_comparison(c, ["run_rate_cost"])


def test_compare_paired_variance_smaller_than_unpaired(tree):
    c = compare_scenarios(["uncertain", "small"], root=tree, n=2000, seed=0)
    c2 = compare_scenarios(["small"], root=tree, n=2000, seed=99)
    a = c.kpis[("worked", "uncertain")]["run_rate_cost"]
    paired = np.var(c.kpis[("worked", "small")]["run_rate_cost"] - a)
    unpaired = np.var(c2.kpis[("worked", "small")]["run_rate_cost"] - a)
    assert paired < 0.5 * unpaired


def test_compare_unknown_scenario_is_assumption_error(tree):
    with pytest.raises(AssumptionError, match="expected a scenario among"):
        compare_scenarios(["baseline", "nope"], root=tree, n=10)
    with pytest.raises(AssumptionError, match="distinct"):
        compare_scenarios(["small", "small"], root=tree, n=10)
