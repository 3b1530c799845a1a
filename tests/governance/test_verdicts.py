"""Decisions: scale / optimise / redesign / retire from cost per outcome vs value."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.testing import assert_allclose
from pydantic import ValidationError

from finops_model.governance.verdicts import (
    DecisionInputs,
    DecisionRules,
    decision_inputs,
    decisions_table,
    recommend,
)
from finops_model.model.engine import simulate

GOOD = DecisionInputs(p_viable=0.95, p_viable_at_scale=0.97, cost_per_outcome_at_scale=1.0, value_per_outcome=3.0,
                      trend_ratio=0.6, p_trend_ok=0.9, required_cut=0.0, p_review=0.0, value_measurable=True,
                      quality_measured=True)


def _with(**kw):
    return dataclasses.replace(GOOD, **kw)


def test_recommend_scale_when_every_rule_holds():
    d = recommend("x", GOOD)
    assert d.action == "scale"
    assert "stable or declining" in d.reasons[1]


@pytest.mark.parametrize("change, reason", [
    ({"p_viable_at_scale": 0.7}, "below the 80%"),
    ({"p_trend_ok": 0.2, "trend_ratio": 1.4}, "rising"),
    ({"value_measurable": False}, "not measurable"),
    ({"quality_measured": False}, "quality not measured"),
])
def test_recommend_optimise_when_a_scale_rule_fails(change, reason):
    d = recommend("x", _with(**change))
    assert d.action == "optimise"
    assert any(reason in r for r in d.reasons)


def test_recommend_optimise_when_gate_fails():
    d = recommend("x", GOOD, gate_passed=False, gate_missing=("security review",))
    assert d.action == "optimise"
    assert "security review" in d.reasons[-1]


@pytest.mark.parametrize("cut, action", [(0.2, "optimise"), (0.3, "optimise"), (0.5, "redesign"), (0.73, "redesign"), (0.9, "retire")])
def test_recommend_not_viable_by_required_cut(cut, action):
    d = recommend("x", _with(p_viable_at_scale=0.1, required_cut=cut, cost_per_outcome_at_scale=1 / (1 - cut) if cut < 1 else 9.0))
    assert d.action == action


def test_recommend_not_viable_without_value_metric_retires():
    d = recommend("x", _with(p_viable_at_scale=0.1, required_cut=0.1, value_measurable=False))
    assert d.action == "retire"
    assert any("without measurable impact" in r for r in d.reasons)


def test_recommend_notes_build_vs_buy_review():
    assert recommend("x", _with(p_review=0.8)).notes


def test_decision_rules_validation():
    with pytest.raises(ValidationError):
        DecisionRules(optimise_max_cut=0.8, redesign_max_cut=0.5)
    with pytest.raises(ValidationError):
        DecisionRules(confidence_to_scale=1.5)


def test_decision_inputs_hand_checked_on_worked(worked, test_catalog):
    r = simulate(worked, test_catalog, 3, 0)
    e = decision_inputs(worked, r, r.inputs)
    live = np.flatnonzero(r.live)
    outcomes = r.requests[0] * 0.5  # outcomes_per_request
    last = r.cost_by_month[0, live[-1]] / outcomes[live[-1]]
    early = r.cost_by_month[0, live[2]] / outcomes[live[2]]
    assert_allclose(e.cost_per_outcome_at_scale, last)
    assert_allclose(e.trend_ratio, last / early)
    assert e.value_per_outcome == 2.0
    assert e.p_viable_at_scale == float(last < 2.0)
    assert_allclose(e.required_cut, max(0.0, 1 - 2.0 / last))
    assert not e.value_measurable and not e.quality_measured


def test_decisions_table_columns():
    df = decisions_table({"x": recommend("x", GOOD), "y": recommend("y", _with(p_viable_at_scale=0.1, required_cut=0.95))})
    assert list(df["action"]) == ["scale", "retire"]
