"""Levers: each lever's effect checked by hand on a one-step use case, and invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from levers_helpers import SMALL, model_cost, small
from numpy.testing import assert_allclose

from finops_model.decisions import levers as L
from finops_model.errors import AssumptionError


def run(uc, levers, catalog, n=4, seed=0):
    state = L.initial_state(uc, levers, catalog, n, seed)
    return L.evaluate_state(state), L.evaluate_state(L.apply_all(levers, state))


def test_baseline_small_hand_checked(test_assumptions, test_catalog):
    r, _ = run(small(test_assumptions), [], test_catalog)
    assert_allclose(model_cost(r), 100_000 * (1200 * 3e-6 + 300 * 15e-6))  # $810/month


def test_prompt_compression_removes_share_of_system_tokens(test_assumptions, test_catalog):
    uc = small(test_assumptions)
    _, r = run(uc, [L.PromptCompression(share_removed=0.25, one_off_cost=12_000)], test_catalog)
    assert_allclose(model_cost(r), 100_000 * (950 * 3e-6 + 300 * 15e-6))  # $735
    assert_allclose(r.kpis["one_off_cost"], 12_000)


def test_prompt_compression_extra_context_only_when_asked(test_assumptions, test_catalog):
    uc = small(test_assumptions, steps={"answer": {**SMALL["steps"]["answer"], "extra_context_tokens": 400}})
    _, r1 = run(uc, [L.PromptCompression(share_removed=0.5)], test_catalog)
    _, r2 = run(uc, [L.PromptCompression(share_removed=0.5, include_extra_context=True)], test_catalog)
    assert_allclose(model_cost(r1), 100_000 * ((500 + 200 + 400) * 3e-6 + 300 * 15e-6))
    assert_allclose(model_cost(r2), 100_000 * ((500 + 200 + 200) * 3e-6 + 300 * 15e-6))


def test_routing_splits_step_with_escalation(test_assumptions, test_catalog):
    uc = small(test_assumptions)
    lever = L.Routing(to_model="test-small", routed_share=0.5, escalation_rate=0.2)
    _, r = run(uc, [lever], test_catalog)
    # original on 1 − 0.5 × 0.8 = 60% of requests, routed copy on 50% ($1/$2 per M tokens)
    assert_allclose(model_cost(r), 100_000 * 0.6 * 0.0081)
    assert_allclose(model_cost(r, "answer_routed"), 100_000 * 0.5 * (1200 * 1e-6 + 300 * 2e-6))


def test_routing_router_step_priced(test_assumptions, test_catalog):
    uc = small(test_assumptions)
    lever = L.Routing(to_model="test-small", routed_share=0.5, router_model="test-small", router_input_tokens=100, router_output_tokens=10)
    _, r = run(uc, [lever], test_catalog)
    assert_allclose(r.cost_by_category[("application_logic", "routing")][0], 100_000 * (100 * 1e-6 + 10 * 2e-6))


def test_routing_unknown_model_names_field(test_assumptions, test_catalog):
    with pytest.raises(AssumptionError, match="to_model: expected a model in the price catalog"):
        run(small(test_assumptions), [L.Routing(to_model="nope", routed_share=0.5)], test_catalog)


def test_response_cache_deflects_calls_and_prices_lookups(test_assumptions, test_catalog):
    uc = small(test_assumptions)
    lever = L.ResponseCache(hit_rate=0.2, embedding_model="test-embed", lookup_tokens=100, monthly_cost=50)
    r0, r = run(uc, [lever], test_catalog)
    assert_allclose(model_cost(r), 0.8 * 810)
    # 100 tokens × $0.02/M per request + $50/month store, in the gateway category
    assert_allclose(r.cost_by_category[("infrastructure", "gateway")][0], 100_000 * 100 * 0.02e-6 + 50)


def test_prompt_caching_reads_and_writes(test_assumptions, test_catalog):
    uc = small(test_assumptions)
    _, r = run(uc, [L.PromptCaching(prefix_share=0.5, hit_rate=0.8)], test_catalog)
    per_input = 0.4 * 0.3e-6 + 0.1 * 3.75e-6 + 0.5 * 3e-6  # read 40%, write 10%, rest 50%
    assert_allclose(model_cost(r), 100_000 * (1200 * per_input + 300 * 15e-6))


def test_prompt_caching_never_lowers_existing_cache(test_assumptions, test_catalog):
    step = {**SMALL["steps"]["answer"], "cached_prompt_share": 0.6}
    uc = small(test_assumptions, steps={"answer": step})
    r0, r = run(uc, [L.PromptCaching(prefix_share=0.5, hit_rate=0.8)], test_catalog)
    assert_allclose(model_cost(r), model_cost(r0))


def test_batch_moves_share_to_batch_rate(test_assumptions, test_catalog):
    _, r = run(small(test_assumptions), [L.Batch(share=0.5)], test_catalog)
    assert_allclose(model_cost(r), 0.5 * 810 + 0.5 * 405)  # no batch price: org batch_discount 50%


def test_retry_reduction_scales_retry_rate(test_assumptions, test_catalog):
    step = {**SMALL["steps"]["answer"], "retry": {"rate": 0.2, "max_retries": 1}}
    uc = small(test_assumptions, steps={"answer": step})
    r0, r = run(uc, [L.RetryReduction(reduction=0.5)], test_catalog)
    assert_allclose(r0.cost_by_category[("application_logic", "retries")][0], 0.2 * 810)
    assert_allclose(r.cost_by_category[("application_logic", "retries")][0], 0.1 * 810)


def test_agent_step_cap_binds(test_assumptions, test_catalog):
    step = {**SMALL["steps"]["answer"], "kind": "agent", "agent_loop": {"iterations": 8, "max_iterations": 10}}
    uc = small(test_assumptions, steps={"answer": step})
    r0, r = run(uc, [L.AgentStepCap(max_iterations=4)], test_catalog)
    _, r2 = run(uc, [L.AgentStepCap(step_reduction=0.25)], test_catalog)
    loop = ("application_logic", "agent loops and fan-out")
    assert_allclose(r0.cost_by_category[loop][0], 7 * 810)
    assert_allclose(r.cost_by_category[loop][0], 3 * 810)
    assert_allclose(r2.cost_by_category[loop][0], 5 * 810)


def test_context_engineering_retrieval_history_budget(test_assumptions, test_catalog):
    step = {**SMALL["steps"]["answer"], "uses_retrieval": True, "history": {"turns": 3, "tokens_per_turn": 400}}
    rag = {"corpus_tokens": 1000, "embedding_model": "test-embed", "chunk_tokens": 500, "top_k": 4}
    uc = small(test_assumptions, steps={"answer": step}, rag=rag)
    r0, _ = run(uc, [], test_catalog)
    # 1,200 + 2,000 retrieved + 400 history (400 × (3 − 1) / 2)
    assert_allclose(r0.steps["answer"]["input_tokens_per_call"], 3600)
    _, r = run(uc, [L.ContextEngineering(retrieved_share_removed=0.5, history_reduction=0.5)], test_catalog)
    assert_allclose(r.steps["answer"]["input_tokens_per_call"], 1200 + 1000 + 200)
    _, r = run(uc, [L.ContextEngineering(budget_tokens=2500)], test_catalog)
    assert_allclose(r.steps["answer"]["input_tokens_per_call"], 2500)


def test_context_engineering_summariser_calls(test_assumptions, test_catalog):
    step = {**SMALL["steps"]["answer"], "history": {"turns": 3, "tokens_per_turn": 400}}
    uc = small(test_assumptions, steps={"answer": step})
    _, r = run(uc, [L.ContextEngineering(history_reduction=0.5, summariser_model="test-small")], test_catalog)
    # summary call reads the 400 raw history tokens and writes 200
    assert_allclose(r.steps["answer_summary"]["cost_per_request"], 400 * 1e-6 + 200 * 2e-6)


def test_observability_removes_waste_adds_tooling(test_assumptions, test_catalog):
    _, r = run(small(test_assumptions), [L.Observability(waste_removed=0.1, monthly_cost=100)], test_catalog)
    assert_allclose(model_cost(r), 0.9 * 810)
    assert_allclose(r.kpis["requests_per_month"], 90_000)


def test_infrastructure_rightsizing_and_reservation(test_assumptions, test_catalog):
    uc = small(test_assumptions, infrastructure={"provisioned_throughput_per_month": 1000})
    _, r = run(uc, [L.InfrastructureCommitment(rightsizing=0.5, reserved_discount=0.2)], test_catalog)
    assert_allclose(r.cost_by_category[("infrastructure", "provisioned throughput and endpoints")][0], 400)


def test_vendor_discount_on_provider(test_assumptions, test_catalog):
    _, r = run(small(test_assumptions), [L.VendorDiscount(discount=0.1)], test_catalog)
    assert_allclose(model_cost(r), 0.9 * 810)
    _, r = run(small(test_assumptions), [L.VendorDiscount(discount=0.1, providers=("other",))], test_catalog)
    assert_allclose(model_cost(r), 810)


def test_lever_uncertain_parameter_sampled_per_trial(test_assumptions, test_catalog):
    uc = small(test_assumptions)
    r0, r = run(uc, [L.PromptCompression(share_removed="0.2 to 0.3")], test_catalog, n=500)
    share = r.inputs["levers.prompt_compression.share_removed"]
    assert np.ptp(share) > 0.05
    assert_allclose(model_cost(r0) - r.cost_by_category[("model_interaction", "model calls: answer")], 100_000 * 1000 * share * 3e-6)


def test_apply_does_not_modify_state(test_assumptions, test_catalog):
    uc = small(test_assumptions)
    state = L.initial_state(uc, [], test_catalog, 3, 0)
    before = dict(state.draws)
    L.apply(L.Routing(to_model="test-small", routed_share=0.5), state)
    assert state.draws == before and state.use_case is uc


def test_parse_levers_errors_name_field():
    with pytest.raises(AssumptionError, match=r"levers.yaml: plans.x.0.lever: expected a lever kind"):
        L.parse_levers([{"lever": "compresion"}], "levers.yaml", "plans.x")
    with pytest.raises(AssumptionError, match=r"plans.x.0.share_removed"):
        L.parse_levers([{"lever": "prompt_compression", "share_removed": 1.5}], "levers.yaml", "plans.x")
    with pytest.raises(AssumptionError, match="unique label"):
        L.parse_levers([{"lever": "batch"}, {"lever": "batch"}], "levers.yaml")


def test_unknown_step_names_lever_and_field(test_assumptions, test_catalog):
    with pytest.raises(AssumptionError, match="batch.steps: expected steps of use case small"):
        run(small(test_assumptions), [L.Batch(share=0.5, steps=("anser",))], test_catalog)


def test_load_lever_plans_project_file_valid():
    plans = L.load_lever_plans()
    assert plans.for_use_case("support-copilot")
    assert plans.for_use_case("no-such-use-case") == plans.plans["*"]


ZERO_LEVERS = [
    L.Observability(), L.PromptCompression(include_extra_context=True), L.Routing(to_model="test-small"),
    L.ContextEngineering(summariser_model="test-small"), L.ResponseCache(embedding_model="test-embed"),
    L.PromptCaching(hit_rate=0.9), L.Batch(), L.RetryReduction(), L.AgentStepCap(), L.InfrastructureCommitment(),
    L.VendorDiscount(),
]


@settings(max_examples=25, deadline=None)
@given(
    lever=st.sampled_from(ZERO_LEVERS),
    system=st.floats(0, 5000), retry=st.floats(0, 0.9), cached=st.floats(0, 0.5), seed=st.integers(0, 1000),
)
def test_zero_strength_changes_nothing(test_assumptions, test_catalog, lever, system, retry, cached, seed):
    step = {"model": "test-frontier", "system_prompt_tokens": system, "user_prompt_tokens": "100 to 300", "output_tokens": 300,
            "cached_prompt_share": cached, "retry": {"rate": retry}, "uses_retrieval": True,
            "history": {"turns": 4, "tokens_per_turn": 300}, "kind": "agent", "agent_loop": {"iterations": "2 to 6", "max_iterations": 8}}
    rag = {"corpus_tokens": 1000, "embedding_model": "test-embed", "top_k": 4}
    uc = small(test_assumptions, steps={"answer": step}, rag=rag, infrastructure={"provisioned_throughput_per_month": 500})
    r0, r = run(uc, [lever], test_catalog, n=20, seed=seed)
    for k in ("avg_monthly_cost", "run_rate_cost", "tokens_per_request", "calls_per_request"):
        assert_allclose(r.kpis[k], r0.kpis[k], rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    share=st.floats(0, 1), hit=st.floats(0, 1), routed=st.floats(0, 1), esc=st.floats(0, 1), removed=st.floats(0, 1),
    retry=st.floats(0, 1), batch=st.floats(0, 1),
)
def test_savings_never_exceed_cost_acted_on(test_assumptions, test_catalog, share, hit, routed, esc, removed, retry, batch):
    step = {"model": "test-frontier", "system_prompt_tokens": "500 to 2000", "user_prompt_tokens": 200, "output_tokens": 300,
            "uses_retrieval": True, "retry": {"rate": 0.2}}
    rag = {"corpus_tokens": 1000, "embedding_model": "test-embed", "top_k": 4}
    uc = small(test_assumptions, steps={"answer": step}, rag=rag)
    model_kpi = ("cost_model_interaction", "cost_application_logic")
    cases = [
        (L.PromptCompression(share_removed=share), model_kpi),
        (L.Routing(to_model="test-small", routed_share=routed, escalation_rate=esc), model_kpi),
        (L.ContextEngineering(retrieved_share_removed=removed), model_kpi),
        (L.ResponseCache(hit_rate=hit), (*model_kpi, "cost_rag")),
        (L.PromptCaching(prefix_share=share, hit_rate=hit), model_kpi),
        (L.Batch(share=batch), model_kpi),
        (L.RetryReduction(reduction=retry), model_kpi),
    ]
    for lever, acted_on in cases:
        r0, r = run(uc, [lever], test_catalog, n=30)
        saving = r0.kpis["run_rate_cost"] - r.kpis["run_rate_cost"]
        cost = sum(r0.kpis[k] for k in acted_on)
        assert np.all(saving <= cost + 1e-9), lever
        if not isinstance(lever, L.PromptCaching | L.Routing):  # cache writes and escalations can cost more
            assert np.all(saving >= -1e-9), lever
