"""The cost-stack engine: the worked example, conservation, monotonicity, edge cases."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from finops_model.errors import AssumptionError
from finops_model.inputs.assumptions import build_use_case, iter_uncertain, sample_spec
from finops_model.inputs.distributions import sample
from finops_model.model.engine import evaluate, simulate
from finops_model.model.kpis import LAYERS
from finops_model.uncertainty.summary import summarise

REQUESTS = 100 * 1000  # 100 users × 1,000 requests/user/month


def _raw(test_assumptions, uc_id="worked"):
    return copy.deepcopy(test_assumptions.raw["use_cases"][uc_id])


def _build(test_assumptions, raw):
    return build_use_case(raw, test_assumptions.raw["org"], test_assumptions.fx, test_assumptions.catalog, "test.yaml")


def _point(uc):
    """Draws for a use case whose inputs are all constants (one trial)."""
    return {k: np.array([q.median]) for k, q in iter_uncertain(uc)}


# --------------------------------------------------------------------------- worked example
# The README's worked example, layer by layer (see README "A worked example").
ANSWER_CALL = 1600 * 0.30e-6 + 1600 * 3e-6 + 300 * 15e-6  # $0.00978
EXPECTED = {
    ("model_interaction", "model calls: answer"): ANSWER_CALL * REQUESTS,  # 978.00
    ("application_logic", "retries"): 0.1 * ANSWER_CALL * REQUESTS,  # 97.80
    ("application_logic", "validation and guardrails"): (500 * 1e-6 + 50 * 2e-6) * REQUESTS,  # 60.00
    ("rag", "embedding: re-index"): 10e6 * 0.02e-6,  # 0.20
    ("rag", "embedding: queries"): 50 * 0.02e-6 * REQUESTS,  # 0.10
    ("rag", "vector store"): 20_000 * 1000 * 4 / 1e9 * 0.5,  # 0.04
    ("rag", "reranking"): 0.002 * REQUESTS,  # 200.00
    ("rag", "embedding: initial ingest"): 10e6 * 0.02e-6 / 12,  # one-off $0.20 over 12 months
    ("infrastructure", "gateway"): 100.0,
    ("hidden", "human review"): 0.1 * 3 / 60 * 50 * REQUESTS,  # 25,000
    ("hidden", "evaluation"): 10 * 50.0,  # 500
    ("hidden", "platform operations share"): 0.1 * (1000 + 1000),  # 200
    ("build", "build and integration"): 50_000 / 12,  # 4,166.67
}


def test_evaluate_worked_example_by_category(worked, test_catalog):
    r = evaluate(worked, _point(worked), test_catalog)
    for key, expected in EXPECTED.items():
        assert_allclose(r.cost_by_category[key], expected, rtol=1e-12, err_msg=str(key))
    others = {k: v for k, v in r.cost_by_category.items() if k not in EXPECTED}
    for key, v in others.items():
        assert_allclose(v, 0.0, atol=1e-12, err_msg=str(key))


def test_evaluate_worked_example_kpis(worked, test_catalog):
    r = evaluate(worked, _point(worked), test_catalog)
    k = {name: float(v[0]) for name, v in r.kpis.items()}
    monthly = sum(EXPECTED.values())
    assert_allclose(k["avg_monthly_cost"], monthly, rtol=1e-12)
    assert_allclose(monthly, 31_302.82, atol=0.01)
    assert_allclose(k["monthly_value"], REQUESTS * 0.5 * 2.0)
    recurring_monthly = monthly - EXPECTED[("build", "build and integration")] - EXPECTED[("rag", "embedding: initial ingest")]
    assert_allclose(k["cost_per_outcome"], recurring_monthly / (REQUESTS * 0.5), rtol=1e-12)
    assert_allclose(k["cost_per_request"], recurring_monthly / REQUESTS, rtol=1e-12)
    assert_allclose(k["cost_per_active_user"], recurring_monthly / 100, rtol=1e-12)
    assert_allclose(k["calls_per_request"], 1.1 + 1.0)
    assert_allclose(k["tokens_per_request"], 1.1 * (3200 + 300) + (500 + 50))
    assert_allclose(k["npv"], 12 * 100_000 - 12 * monthly, rtol=1e-12)  # discount rate 0
    one_off = 50_000 + 10e6 * 0.02e-6
    assert_allclose(k["payback_month"], one_off / (100_000 - recurring_monthly), rtol=1e-12)  # linear within month 1
    assert_allclose(k["pv_costs"], 12 * monthly, rtol=1e-12)
    assert_allclose(k["roi_discounted"], k["roi"], rtol=1e-12)  # discount rate 0
    assert k["viable"] == 1.0
    assert_allclose(k["annual_model_spend"], 12 * (1.1 * ANSWER_CALL + 0.0006) * REQUESTS, rtol=1e-12)


# --------------------------------------------------------------------------- conservation
def test_evaluate_layers_and_categories_sum_to_total(test_assumptions):
    raw = _raw(test_assumptions)
    raw["volume"]["active_users"] = "50 to 200"
    raw["steps"]["answer"]["output_tokens"] = {"pert": [100, 300, 900]}
    raw["hidden"]["human_review"]["share_reviewed"] = "0.05 to 0.2"
    uc = _build(test_assumptions, raw)
    r = simulate(uc, test_assumptions.catalog, 2000, 1)
    total = r.kpis["avg_monthly_cost"]
    assert_allclose(sum(r.cost_by_category.values()), total, rtol=1e-10)
    assert_allclose(sum(r.cost_by_layer().values()), total, rtol=1e-10)
    assert_allclose(sum(r.kpis[f"cost_{layer}"] for layer in LAYERS), total, rtol=1e-10)
    outcomes = r.kpis["outcomes_per_month"] * r.live.sum()
    assert_allclose(r.kpis["cost_per_outcome"] * outcomes, r.kpis["recurring_cost"], rtol=1e-10)
    assert_allclose(r.cost_by_month.sum(axis=1) + r.kpis["one_off_cost"], r.kpis["total_cost"], rtol=1e-10)


def test_simulate_same_seed_same_result(test_assumptions):
    raw = _raw(test_assumptions)
    raw["volume"]["active_users"] = "50 to 200"
    uc = _build(test_assumptions, raw)
    a = simulate(uc, test_assumptions.catalog, 500, 7)
    b = simulate(uc, test_assumptions.catalog, 500, 7)
    for name in a.kpis:
        np.testing.assert_array_equal(a.kpis[name], b.kpis[name])
    c = simulate(uc, test_assumptions.catalog, 500, 8)
    assert not np.array_equal(a.kpis["avg_monthly_cost"], c.kpis["avg_monthly_cost"])


# --------------------------------------------------------------------------- monotonicity
_PATHS = [
    "volume.active_users",
    "volume.requests_per_user_per_month",
    "steps.answer.system_prompt_tokens",
    "steps.answer.user_prompt_tokens",
    "steps.answer.output_tokens",
    "steps.answer.reasoning_tokens",
    "steps.check.output_tokens",
    "steps.answer.retry.rate",
    "rag.top_k",
    "rag.corpus_tokens",
    "hidden.human_review.share_reviewed",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(_PATHS), factor=st.floats(1.0, 3.0), base=st.floats(0.01, 0.3))
def test_evaluate_more_of_a_driver_never_costs_less(worked, test_catalog, path, factor, base):
    draws = _point(worked)
    lo = dict(draws)
    hi = dict(draws)
    if path.endswith(("rate", "share_reviewed")):
        lo[path], hi[path] = np.array([base]), np.array([min(base * factor, 1.0)])
    else:
        lo[path], hi[path] = draws[path] * 1.0, draws[path] * factor + 1.0
    c_lo = evaluate(worked, lo, test_catalog).kpis["avg_monthly_cost"]
    c_hi = evaluate(worked, hi, test_catalog).kpis["avg_monthly_cost"]
    assert c_hi[0] >= c_lo[0] - 1e-9 * abs(c_lo[0])


def _random_use_case(data):
    draw = data.draw
    steps = {}
    for i in range(draw(st.integers(1, 3))):
        step = {
            "model": draw(st.sampled_from(["test-small", "test-frontier"])),
            "kind": draw(st.sampled_from(["generation", "agent", "judge", "guardrail", "router"])),
            "share_of_requests": draw(st.floats(0, 1)),
            "system_prompt_tokens": draw(st.floats(0, 5000)),
            "user_prompt_tokens": draw(st.floats(0, 2000)),
            "output_tokens": draw(st.floats(0, 2000)),
            "reasoning_tokens": draw(st.floats(0, 2000)),
            "cached_prompt_share": draw(st.floats(0, 0.5)),
            "batch_share": draw(st.floats(0, 1)),
            "retry": {"rate": draw(st.floats(0, 0.9)), "max_retries": draw(st.integers(0, 5))},
            "history": {"turns": draw(st.floats(1, 20)), "tokens_per_turn": draw(st.floats(0, 500))},
        }
        if draw(st.booleans()):
            step["agent_loop"] = {
                "iterations": draw(st.floats(0, 30)),
                "max_iterations": draw(st.integers(1, 20)),
                "tool_calls_per_iteration": draw(st.floats(0, 4)),
                "tool_result_tokens": draw(st.floats(0, 3000)),
                "tool_cost_per_call": draw(st.floats(0, 0.01)),
            }
        steps[f"s{i}"] = step
    return {
        "id": "random",
        "name": "random",
        "horizon_months": draw(st.integers(1, 48)),
        "volume": {
            "active_users": draw(st.floats(0, 10_000)),
            "requests_per_user_per_month": draw(st.floats(0, 2000)),
            "growth_per_month": draw(st.floats(-0.05, 0.1)),
            "adoption": {"start_share": draw(st.floats(0, 1)), "midpoint_month": draw(st.floats(0, 12))},
        },
        "steps": steps,
        "hidden": {"human_review": {"share_reviewed": draw(st.floats(0, 1)), "minutes_per_review": draw(st.floats(0, 10))}},
        "value": {"outcomes_per_request": draw(st.floats(0, 2)), "value_per_outcome": draw(st.floats(0, 50))},
        "one_off": {"build": draw(st.floats(0, 1e6)), "build_months": 0},
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_evaluate_random_use_cases_costs_non_negative_and_conserved(test_assumptions, data):
    uc = _build(test_assumptions, _random_use_case(data))
    r = evaluate(uc, _point(uc), test_assumptions.catalog)
    for key, v in r.cost_by_category.items():
        assert np.all(v >= 0), key
    assert np.all(r.cost_by_month >= 0)
    assert_allclose(sum(r.cost_by_category.values()), r.kpis["avg_monthly_cost"], rtol=1e-9, atol=1e-9)
    assert np.all(np.isfinite(r.kpis["avg_monthly_cost"]))


# --------------------------------------------------------------------------- edge cases
def test_evaluate_zero_outcomes_reports_undefined_cost_per_outcome(test_assumptions):
    raw = _raw(test_assumptions)
    raw["value"]["outcomes_per_request"] = 0
    uc = _build(test_assumptions, raw)
    r = evaluate(uc, _point(uc), test_assumptions.catalog)
    assert np.isnan(r.kpis["cost_per_outcome"][0])
    row = summarise(r).set_index("kpi").loc["cost_per_outcome"]
    assert row["note"] == "undefined: no outcomes"
    assert row["mean"] is None or np.isnan(row["mean"])


def test_evaluate_zero_volume_costs_only_fixed(test_assumptions):
    raw = _raw(test_assumptions)
    raw["volume"]["active_users"] = 0
    uc = _build(test_assumptions, raw)
    r = evaluate(uc, _point(uc), test_assumptions.catalog)
    assert_allclose(r.kpis["requests_per_month"], 0.0)
    assert np.isnan(r.kpis["cost_per_request"][0])
    assert np.all(np.isfinite(r.kpis["avg_monthly_cost"]))
    assert r.kpis["avg_monthly_cost"][0] > 0  # fixed costs remain


def test_build_use_case_refuses_agent_loop_without_max_iterations(test_assumptions):
    raw = _raw(test_assumptions)
    raw["steps"]["answer"]["agent_loop"] = {"iterations": "2 to 6"}
    with pytest.raises(AssumptionError) as exc:
        _build(test_assumptions, raw)
    assert "max_iterations" in str(exc.value) and "bound" in str(exc.value)


def test_build_use_case_refuses_zero_horizon(test_assumptions):
    raw = _raw(test_assumptions)
    raw["horizon_months"] = 0
    with pytest.raises(AssumptionError, match="horizon_months"):
        _build(test_assumptions, raw)


def test_build_use_case_refuses_unknown_step_model(test_assumptions):
    raw = _raw(test_assumptions)
    raw["steps"]["answer"]["model"] = "test-smal"
    with pytest.raises(AssumptionError, match="did you mean 'test-small'"):
        _build(test_assumptions, raw)


def test_evaluate_agent_loop_capped_by_max_iterations(test_assumptions):
    raw = _raw(test_assumptions)
    raw["steps"]["answer"]["agent_loop"] = {"iterations": 50, "max_iterations": 4}
    raw["steps"]["answer"]["retry"] = {"rate": 0}
    uc = _build(test_assumptions, raw)
    r = evaluate(uc, _point(uc), test_assumptions.catalog)
    assert_allclose(r.steps["answer"]["calls_per_request"], 4.0)


def test_evaluate_agent_tool_results_feed_back_as_input(test_assumptions):
    raw = _raw(test_assumptions)
    raw["steps"]["answer"]["agent_loop"] = {"iterations": 3, "max_iterations": 5, "tool_calls_per_iteration": 1, "tool_result_tokens": 1000, "tool_cost_per_call": 0.001}
    uc = _build(test_assumptions, raw)
    r = evaluate(uc, _point(uc), test_assumptions.catalog)
    # iterations see 0, 1000, 2000 tool tokens → +1000 on average
    assert_allclose(r.steps["answer"]["input_tokens_per_call"], 3200 + 1000)
    assert_allclose(r.cost_by_category[("application_logic", "tool calls")], 3 * 0.001 * REQUESTS)


def test_evaluate_agent_token_budget_scales_loop_down(test_assumptions):
    raw = _raw(test_assumptions)
    raw["steps"]["answer"]["agent_loop"] = {"iterations": 4, "max_iterations": 5, "max_tokens_per_task": 7000}
    raw["steps"]["answer"]["retry"] = {"rate": 0}
    uc = _build(test_assumptions, raw)
    r = evaluate(uc, _point(uc), test_assumptions.catalog)
    # 4 calls × 3,500 tokens = 14,000 > 7,000 → half the calls
    assert_allclose(r.steps["answer"]["calls_per_request"], 2.0)


def test_evaluate_build_months_delay_volume(test_assumptions):
    raw = _raw(test_assumptions)
    raw["one_off"]["build_months"] = 3
    uc = _build(test_assumptions, raw)
    r = evaluate(uc, _point(uc), test_assumptions.catalog)
    assert_allclose(r.requests[0, :3], 0.0)
    assert_allclose(r.requests[0, 3:], REQUESTS)
    assert r.live.sum() == 9


def test_evaluate_fx_converts_money_inputs(test_assumptions):
    raw = _raw(test_assumptions)
    raw["currency"] = "EUR"  # fixture: 0.8 EUR per USD
    raw["value"]["value_per_outcome"] = 1.6  # = $2
    uc = _build(test_assumptions, raw)
    r = evaluate(uc, _point(uc), test_assumptions.catalog)
    assert_allclose(r.kpis["value_per_outcome"], 2.0)
    assert_allclose(r.cost_by_category[("infrastructure", "gateway")], 100 / 0.8)


def test_sample_spec_draws_feed_evaluate(worked, test_catalog):
    draws = sample(sample_spec(worked), 10, 0)
    r = evaluate(worked, draws, test_catalog, 10)
    assert r.kpis["avg_monthly_cost"].shape == (10,)



def test_evaluate_seat_licences_per_active_user(test_assumptions):
    raw = _raw(test_assumptions)
    raw["infrastructure"]["seat_licence_per_user_month"] = 19  # e.g. a $19/user-month seat
    uc = _build(test_assumptions, raw)
    r = evaluate(uc, _point(uc), test_assumptions.catalog)
    assert_allclose(r.cost_by_category[("infrastructure", "seat licences")], 100 * 19.0)


def test_simulate_in_blocks_equals_one_evaluation(monkeypatch):
    from finops_model.inputs.assumptions import load_assumptions
    from finops_model.model import engine
    from finops_model.model.engine import evaluation_spec

    a = load_assumptions()
    uc = a.use_cases["knowledge-agent"]  # has a vector-store minimum: a non-linear monthly top-up
    assert uc.rag is not None and uc.rag.minimum_per_month.median > 0
    monkeypatch.setattr(engine, "SIMULATE_BLOCK", 1000)
    blocked = engine.simulate(uc, a.catalog, 2500, 11)
    whole = evaluate(uc, sample(evaluation_spec(uc, a.catalog), 2500, 11), a.catalog, 2500)
    for k in whole.kpis:
        np.testing.assert_array_equal(blocked.kpis[k], whole.kpis[k], err_msg=k)
    for k in whole.cost_by_category:
        np.testing.assert_array_equal(blocked.cost_by_category[k], whole.cost_by_category[k], err_msg=str(k))
    np.testing.assert_array_equal(blocked.cost_by_month, whole.cost_by_month)
    np.testing.assert_array_equal(blocked.value_by_month, whole.value_by_month)
    np.testing.assert_array_equal(blocked.requests, whole.requests)


def test_evaluate_agent_tool_call_cap(test_assumptions):
    raw = _raw(test_assumptions)
    raw["steps"]["answer"]["agent_loop"] = {"iterations": 4, "max_iterations": 5, "tool_calls_per_iteration": 3,
                                            "tool_result_tokens": 100, "tool_cost_per_call": 0.01, "max_tool_calls_per_task": 6}
    raw["steps"]["answer"]["retry"] = {"rate": 0}
    uc = _build(test_assumptions, raw)
    r = evaluate(uc, _point(uc), test_assumptions.catalog)
    # 6 tool calls per task at $0.01 (not 12); tool context 1.5 × 100 × (4 − 1) / 2 = 225 tokens
    assert_allclose(r.cost_by_category[("application_logic", "tool calls")], 6 * 0.01 * REQUESTS)
    assert_allclose(r.steps["answer"]["input_tokens_per_call"], 3200 + 225)


def test_evaluate_human_review_per_outcome(test_assumptions):
    raw = _raw(test_assumptions)
    raw["hidden"]["human_review"]["per"] = "outcome"
    uc = _build(test_assumptions, raw)
    r = evaluate(uc, _point(uc), test_assumptions.catalog)
    # reviews follow the 0.5 outcomes per request: half the per-request figure
    assert_allclose(r.cost_by_category[("hidden", "human review")], 0.5 * EXPECTED[("hidden", "human review")])


# --------------------------------------------------------------------------- finance conventions
def test_annual_convention_table_case_matches_the_hand_computed_tei_case(test_assumptions, test_catalog):
    """A case stated as a table (no drivers): the three-year TEI case of tests/costs/test_finance.py."""
    from tests.costs.test_finance import (
        TEI_NPV,
        TEI_PAYBACK_YEARS,
        TEI_PV_BENEFITS,
        TEI_PV_COSTS,
        TEI_ROI,
    )

    raw = _raw(test_assumptions)
    raw["horizon_months"] = 36
    raw["org"] = {"discount_rate_per_year": 0.10}
    raw["finance"] = {
        "convention": "annual", "include_drivers": False,
        "benefit_risk_adjustment": 0.10, "cost_risk_adjustment": 0.05,
        "lines": {
            "licences and build": {"kind": "cost", "by_year": {0: 100_000, 1: 50_000, 2: 50_000, 3: 50_000}},
            "hours saved": {"kind": "benefit", "by_year": {1: 120_000, 2: 150_000, 3: 180_000}},
        },
    }
    uc = _build(test_assumptions, raw)
    r = evaluate(uc, _point(uc), test_catalog)
    k = {name: float(v[0]) for name, v in r.kpis.items()}
    assert_allclose(k["pv_costs"], TEI_PV_COSTS, atol=0.01)
    assert_allclose(k["pv_benefits"], TEI_PV_BENEFITS, atol=0.01)
    assert_allclose(k["npv"], TEI_NPV, atol=0.01)
    assert_allclose(k["roi"], TEI_ROI, atol=1e-5)
    assert_allclose(k["payback_years"], TEI_PAYBACK_YEARS, rtol=1e-12)
    assert_allclose(k["payback_month"], 12 * TEI_PAYBACK_YEARS, rtol=1e-12)
    assert_allclose(r.by_year["costs"], [[105_000, 52_500, 52_500, 52_500]])
    assert_allclose(r.by_year["benefits"], [[0, 108_000, 135_000, 162_000]])
    assert r.convention == "annual"


def test_annual_convention_driver_case_discounts_at_year_end(test_assumptions, test_catalog, worked):
    raw = _raw(test_assumptions)
    raw["org"] = {"discount_rate_per_year": 0.10}
    raw["finance"] = {"convention": "annual", "lines": {"extra licence": {"kind": "cost", "by_year": {1: 1_200}, "risk_adjustment": 0.5}}}
    uc = _build(test_assumptions, raw)
    k = {name: float(v[0]) for name, v in evaluate(uc, _point(uc), test_catalog).kpis.items()}
    base = {name: float(v[0]) for name, v in evaluate(worked, _point(worked), test_catalog).kpis.items()}
    one_off = base["one_off_cost"]
    year1_cost = base["recurring_cost"] + 1_200 * 1.5  # the line's own 50% uplift
    year1_value = base["total_value"]
    assert_allclose(k["pv_costs"], one_off + year1_cost / 1.1, rtol=1e-12)
    assert_allclose(k["npv"], year1_value / 1.1 - one_off - year1_cost / 1.1, rtol=1e-12)
    assert_allclose(k["roi"], k["npv"] / k["pv_costs"], rtol=1e-12)
    assert_allclose(k["payback_years"], one_off / (year1_value - year1_cost), rtol=1e-12)


def test_monthly_convention_risk_adjustment_lowers_npv_by_the_haircut(test_assumptions, test_catalog, worked):
    raw = _raw(test_assumptions)
    raw["finance"] = {"benefit_risk_adjustment": 0.2, "cost_risk_adjustment": 0.1}
    uc = _build(test_assumptions, raw)
    k = {name: float(v[0]) for name, v in evaluate(uc, _point(uc), test_catalog).kpis.items()}
    base = {name: float(v[0]) for name, v in evaluate(worked, _point(worked), test_catalog).kpis.items()}
    assert_allclose(k["npv"], 0.8 * base["total_value"] - 1.1 * base["total_cost"], rtol=1e-12)  # discount rate 0
    assert_allclose(k["roi"], (0.8 * base["total_value"] - 1.1 * base["total_cost"]) / (1.1 * base["total_cost"]), rtol=1e-12)


def test_finance_line_after_the_horizon_is_refused(test_assumptions):
    raw = _raw(test_assumptions)
    raw["finance"] = {"lines": {"late": {"kind": "benefit", "by_year": {2: 10}}}}  # horizon 12 months = 1 year
    with pytest.raises(AssumptionError, match="expected years 0 … 1"):
        _build(test_assumptions, raw)


# --------------------------------------------------------------------------- assistant economics
def _with_resolution(test_assumptions, resolved, escalated, minutes=6.0):
    raw = _raw(test_assumptions)
    raw["org"] = {"labour_rates": {"service_agent": 40.0}}  # a role declared in the use case
    raw["value"]["resolution"] = {"resolved_share": resolved, "escalated_share": escalated,
                                  "minutes_per_escalation": minutes, "escalation_role": "service_agent"}
    return _build(test_assumptions, raw)


def test_resolution_counts_resolved_outcomes_and_bills_escalations(test_assumptions, test_catalog, worked):
    uc = _with_resolution(test_assumptions, 0.7, 0.2)
    r = evaluate(uc, _point(uc), test_catalog)
    base = evaluate(worked, _point(worked), test_catalog)
    # value: 100,000 requests × 0.5 outcomes × 0.7 resolved × $2.00 = $70,000/month
    assert_allclose(r.kpis["monthly_value"], REQUESTS * 0.5 * 0.7 * 2.0, rtol=1e-12)
    assert_allclose(r.kpis["outcomes_per_month"], REQUESTS * 0.5 * 0.7, rtol=1e-12)
    # escalations: 100,000 × 0.2 × 6 min / 60 × $40/h = $80,000/month (test org overhead 1.0)
    assert_allclose(r.cost_by_category[("hidden", "escalations to people")], REQUESTS * 0.2 * 6 / 60 * 40.0, rtol=1e-12)
    assert_allclose(r.kpis["avg_monthly_cost"] - base.kpis["avg_monthly_cost"], REQUESTS * 0.2 * 6 / 60 * 40.0, rtol=1e-9)


def test_more_escalations_lower_npv(test_assumptions, test_catalog):
    few = _with_resolution(test_assumptions, 0.8, 0.1)
    many = _with_resolution(test_assumptions, 0.6, 0.3)  # heavy use, many escalations
    npv_few = evaluate(few, _point(few), test_catalog).kpis["npv"]
    npv_many = evaluate(many, _point(many), test_catalog).kpis["npv"]
    assert np.all(npv_many < npv_few)


def test_unknown_escalation_role_error_says_how_to_declare_it(test_assumptions):
    raw = _raw(test_assumptions)
    raw["value"]["resolution"] = {"resolved_share": 0.7, "escalated_share": 0.2, "escalation_role": "tier2_agent"}
    with pytest.raises(AssumptionError, match=r"value\.resolution\.escalation_role.*org: \{labour_rates: \{tier2_agent"):
        _build(test_assumptions, raw)


def test_resolution_shares_over_one_refused(test_assumptions):
    raw = _raw(test_assumptions)
    raw["value"]["resolution"] = {"resolved_share": 0.8, "escalated_share": 0.3}
    with pytest.raises(AssumptionError, match="resolved_share \\+ escalated_share ≤ 1"):
        _build(test_assumptions, raw)
