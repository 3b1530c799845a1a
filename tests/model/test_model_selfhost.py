"""Tests of the self-hosting plan (finops_model.model.selfhost), the engine seam and compare_deployments."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from numpy.testing import assert_allclose

from finops_model.decisions.build_vs_buy import compare_deployments
from finops_model.errors import AssumptionError, ModelError
from finops_model.inputs.assumptions import load_assumptions, replace_path
from finops_model.inputs.distributions import Uncertain
from finops_model.model.engine import simulate

DATA = Path(__file__).parents[1] / "data"


def _tree(tmp_path: Path, **self_hosting_overrides) -> Path:
    """The worked tree with the tco test catalogs and a self_hosting section (tests/data/tco)."""
    root = tmp_path / "assumptions"
    shutil.copytree(DATA / "assumptions", root)
    for f in ("gpus.yaml", "serving.yaml"):
        shutil.copy(DATA / "tco" / f, root / "catalog" / f)
    uc = yaml.safe_load((root / "use_cases" / "worked.yaml").read_text())
    section = yaml.safe_load((DATA / "tco" / "self_hosting.yaml").read_text())
    section["self_hosting"].update(self_hosting_overrides)
    uc["infrastructure"].update(section)
    (root / "use_cases" / "worked.yaml").write_text(yaml.safe_dump(uc))
    return root


def _worked(tmp_path: Path, **over):
    a = load_assumptions(_tree(tmp_path, **over))
    return a, a.use_case("worked")


# --------------------------------------------------------------------------- plan and engine seam
def test_self_hosting_plan_worked_sizing_by_hand(tmp_path):
    a, uc = _worked(tmp_path)
    r = compare_deployments(uc, a.catalog, n=4, seed=0)
    p = r.plan
    # tests/data/tco/self_hosting.yaml: decode 538.46, 0.78886 GPU-s/request, 2 GPUs, $2,190/month
    assert_allclose(p.decode_rate, 1 / (1 / 350 - 0.001))
    assert_allclose(p.gpu_seconds_per_request, 0.176 + 330 / (1 / (1 / 350 - 0.001)))
    assert_allclose(p.gpus, 2.0)
    assert_allclose(p.costs["GPUs"], 2 * 1.5 * 730)
    assert_allclose(p.costs["licences, networking and storage"], 100.0)
    assert_allclose(p.one_off, 1000.0)
    assert_allclose(p.load_gpus, 100_000 / 2_628_000 * 0.78886, rtol=1e-4)


def test_infrastructure_components_self_hosted_not_billed_twice(tmp_path):
    a, uc = _worked(tmp_path)
    api = simulate(replace_path(uc, "infrastructure.deployment", "api"), a.catalog, n=3, seed=1)
    own = simulate(replace_path(uc, "infrastructure.deployment", "self_hosted"), a.catalog, n=3, seed=1)
    answer_api = api.steps["answer"]["calls_per_request"] * api.steps["answer"]["cost_per_call"] * api.requests.sum(axis=1)
    fleet = (2 * 1.5 * 730 + 100) * 12 + 1000
    assert_allclose(own.kpis["total_cost"], api.kpis["total_cost"] - answer_api + fleet, rtol=1e-9)
    # the answer step's API categories are emptied, the guardrail step's stay
    assert_allclose(own.cost_by_category[("model_interaction", "model calls: answer")], 0.0, atol=1e-9)
    assert_allclose(own.cost_by_category[("application_logic", "retries")], 0.0, atol=1e-9)
    assert_allclose(own.cost_by_category[("application_logic", "validation and guardrails")],
                    api.cost_by_category[("application_logic", "validation and guardrails")])
    # the review trigger sees the API spend that is left
    assert np.all(own.kpis["annual_model_spend"] < api.kpis["annual_model_spend"])


def test_infrastructure_components_hybrid_credits_its_share_and_waits_for_start(tmp_path):
    a, uc = _worked(tmp_path, hybrid_share=0.25, start_month=4)
    api = simulate(replace_path(uc, "infrastructure.deployment", "api"), a.catalog, n=2, seed=0)
    hyb = simulate(replace_path(uc, "infrastructure.deployment", "hybrid"), a.catalog, n=2, seed=0)
    per_month = api.steps["answer"]["calls_per_request"][0] * api.steps["answer"]["cost_per_call"][0] * 100_000
    # months 1–4 all on the API; months 5–12: 75% on the API, fleet of 2 GPUs ($2,190 + $100)
    expected = api.cost_by_month[0].copy()
    expected[4:] += -0.25 * per_month + 2290.0
    assert_allclose(hyb.cost_by_month[0], expected, rtol=1e-9)


def test_infrastructure_components_faster_gpu_never_costs_more(tmp_path):
    a, uc = _worked(tmp_path)
    slow = compare_deployments(uc, a.catalog, n=2, seed=0)
    fast_uc = replace_path(uc, "infrastructure.self_hosting", uc.infrastructure.self_hosting.model_copy(update={"gpu": "fast-gpu"}))
    fast = compare_deployments(fast_uc, a.catalog, n=2, seed=0)
    assert np.all(fast.plan.gpus <= slow.plan.gpus)
    assert np.all(fast.plan.gpu_seconds_per_request < slow.plan.gpu_seconds_per_request)


@pytest.mark.parametrize(("over", "pattern"), [
    ({"slo": {"itl_ms": 5}}, r"worked\.yaml: infrastructure\.self_hosting\.slo\.itl_ms: expected a latency target .*itl_ms ≥ 10"),
    ({"slo": {"itl_ms": "8 to 20"}}, r"self_hosting\.slo\.itl_ms: expected a latency target .*0\.1% quantile"),
    ({"tier": "reserved_3y"}, r"infrastructure\.self_hosting\.tier: expected a tier/provider listed for test-gpu"),
    ({"gpu": "test-gpuu"}, r"self_hosting\.gpu: expected a GPU of gpus\.yaml .*did you mean 'test-gpu'"),
    ({"engine": "maxonly"}, r"sizing\.prefill_tokens_per_s_per_gpu: expected a prefill rate"),
    ({"steps": ["answerr"]}, r"self_hosting\.steps: expected step names among .*did you mean 'answer'"),
    ({"staff": {"ops_role": "sre"}}, r"self_hosting\.staff\.ops_role: expected a role with a labour rate"),
    ({"tier": "owned", "gpu_hour_price": 2}, r"self_hosting\.gpu_hour_price: expected none for tier 'owned'"),
])
def test_self_hosting_references_refused_at_load_naming_the_field(tmp_path, over, pattern):
    with pytest.raises(AssumptionError, match=pattern):
        _worked(tmp_path, **over)


def test_self_hosting_plan_reads_a_tail_target_at_the_fastest_point(tmp_path):
    # an uncertain target whose 0.1 % quantile the curve meets: the rare trial tighter than the
    # fastest measured point is read at that point, never a NaN fleet
    a, uc = _worked(tmp_path, slo={"itl_ms": {"uniform": [10.5, 40]}})
    uc = replace_path(uc, "infrastructure.self_hosting.slo.itl_ms", Uncertain.constant(5.0))
    p = compare_deployments(uc, a.catalog, n=2).plan
    assert np.all(np.isfinite(p.gpus))


def test_self_hosting_plan_max_throughput_curve_uses_slo_fraction(tmp_path):
    a, uc = _worked(tmp_path, engine="maxonly", sizing={"prefill_tokens_per_s_per_gpu": 10000, "slo_throughput_fraction": 0.5, "prefix_cache_hit_rate": 0.5})
    p = compare_deployments(uc, a.catalog, n=2).plan
    assert p.curve.gpus_per_replica == 2
    assert_allclose(p.throughput_per_gpu, 4000 / 2 * 0.5)
    assert_allclose(p.gpus, 4.0)  # 1 replica + N+1 = 2 replicas × 2 GPUs


def test_self_hosting_plan_owned_tier_and_maturity(tmp_path):
    a, uc = _worked(
        tmp_path, tier="owned", owned={"server_overhead": 0.5, "amortisation_years": 3, "pue": 1.5, "electricity_per_kwh": 0.2, "colocation_per_kw_month": 100},
        staff={"ops_fte": 1, "on_call_fte": 0.5}, maturity={"gpu_operations": False, "on_call": True, "ml_operations": True,
                                                          "hiring_cost_per_fte": 20000, "ramp_months": 3, "contractor_premium": 0.5},
    )
    p = compare_deployments(uc, a.catalog, n=2).plan
    capex = 24000 * 1.5 / 36
    assert_allclose(p.costs["GPUs"][0], 2 * capex)
    assert_allclose(p.costs["power and hosting"][0], 2 * (1.0 * 1.5 * 730 * 0.2 + 100))
    staff = (1 + 0.5) * 160 * 100
    premium = 0.5 * 1 * 160 * 100  # outside help on the missing GPU-operations capability
    assert_allclose(p.costs["operations staff and on-call"][0], [staff + premium] * 3 + [staff] * 9)
    assert_allclose(p.one_off, 1000 + 20000 * 1)  # migration + hiring the missing FTE


def test_multi_provider_failover_and_readiness(tmp_path):
    root = _tree(tmp_path)
    models = yaml.safe_load((root / "catalog" / "models.yaml").read_text())
    models["models"]["other-frontier"] = {"provider": "otherai", "tier": "frontier", "prices": [
        {"effective_date": "2026-01-01", "source": "test fixture", "input_per_mtok": 2.0, "output_per_mtok": 8.0}]}
    (root / "catalog" / "models.yaml").write_text(yaml.safe_dump(models))
    uc_raw = yaml.safe_load((root / "use_cases" / "worked.yaml").read_text())
    uc_raw["infrastructure"]["multi_provider"] = {"fallback_model": "other-frontier", "failover_share": 0.1, "readiness_hours_per_month": 10}
    (root / "use_cases" / "worked.yaml").write_text(yaml.safe_dump(uc_raw))
    uc = load_assumptions(root).use_case("worked")
    plain = simulate(replace_path(uc, "infrastructure.multi_provider", None), load_assumptions(root).catalog, n=2, seed=0)
    r = simulate(uc, load_assumptions(root).catalog, n=2, seed=0)
    fb = (3520 * 2.0 + 330 * 8.0) / 1e6  # answer: cold cache on the fallback
    fb_check = (1.0 * 500 * 2.0 + 50 * 8.0) / 1e6
    delta = (fb - plain.steps["answer"]["cost_per_request"][0]) + (fb_check - plain.steps["check"]["cost_per_request"][0])
    assert_allclose(r.cost_by_category[("infrastructure", "fallback provider: failover traffic")][0], 0.1 * delta * 100_000, rtol=1e-9)
    assert_allclose(r.cost_by_category[("hidden", "fallback provider: readiness (prompt tuning, evaluation)")][0], 10 * 100.0)


# --------------------------------------------------------------------------- comparison
def test_compare_worked_totals_and_break_even(tmp_path):
    a, uc = _worked(tmp_path)
    r = compare_deployments(uc, a.catalog, n=3, seed=0)
    api, own = r.options["api"], r.options["self_hosted"]
    answer_month = 1.1 * (1600 * 0.3e-6 + 1600 * 3e-6 + 300 * 15e-6) * 100_000
    assert_allclose(own.total - api.total, (2190 + 100) * 12 + 1000 - 12 * answer_month, rtol=1e-9)
    assert r.p_cheaper["self_hosted"] == 0.0 and np.all(np.isnan(r.break_even_month["self_hosted"]))
    # effective $/1M tokens of the movable workload (3,520 + 330 tokens/request)
    assert_allclose(r.usd_per_mtok["api"], answer_month / (3850 * 100_000) * 1e6)
    assert_allclose(r.usd_per_mtok["self_hosted"], ((2190 + 100) * 12 + 1000) / (3850 * 100_000 * 12) * 1e6)
    # break-even volume: API at $/token × V equals 2 GPUs + $100 + $1,000 over 12 months (the fleet
    # stays at its 2-GPU minimum there)
    per_token = answer_month / (3850 * 100_000)
    assert_allclose(r.break_even_volume, (2190 + 100 + 1000 / 12) / per_token, rtol=1e-6)
    # average utilisation: busy GPU-time over paid GPU-time
    assert_allclose(r.summary()["fleet"]["average_utilisation"]["p50"], 100_000 / 2_628_000 * 0.78886 / 2, rtol=1e-4)


def test_compare_price_decline_lowers_api_and_moves_break_even(tmp_path):
    a, uc = _worked(tmp_path, api_price_decline_per_year=0.5)
    flat = compare_deployments(_worked(tmp_path / "flat")[1], a.catalog, n=2, seed=0)
    dec = compare_deployments(uc, a.catalog, n=2, seed=0)
    assert np.all(dec.options["api"].total < flat.options["api"].total)
    assert_allclose(dec.options["self_hosted"].total - flat.options["self_hosted"].total,
                    -(flat.options["self_hosted"].monthly - dec.options["self_hosted"].monthly).sum(axis=1))


@pytest.fixture(scope="module")
def coding():
    a = load_assumptions(use_cases=["coding-assistant"])
    return a, a.use_case("coding-assistant")


def test_compare_coding_assistant_ships_api_and_compares(coding):
    a, uc = coding
    assert uc.infrastructure.deployment == "api" and uc.infrastructure.self_hosting is not None
    r = compare_deployments(uc, a.catalog, n=400, seed=3)
    # break-even month is consistent with the cumulative curves, trial by trial
    for k in ("self_hosted", "hybrid"):
        be = r.break_even_month[k]
        cum, cum_api = r.options[k].cumulative, r.options["api"].cumulative
        for i in range(r.n_trials):
            if np.isnan(be[i]):
                assert np.all(cum[i] > cum_api[i])
            else:
                j = int(be[i]) - 1
                assert cum[i, j] <= cum_api[i, j] and np.all(cum[i, :j] > cum_api[i, :j])
        assert r.p_cheaper[k] == np.mean(r.options[k].total < r.options["api"].total)
    # bands are ordered and cumulative curves rise
    b = r.bands("self_hosted", "cumulative")
    assert np.all(b["p5"] <= b["p50"]) and np.all(b["p50"] <= b["p95"]) and np.all(np.diff(b["p50"]) >= 0)
    # the review flag is the engine's
    api = r.options["api"].result
    assert_allclose(r.review_triggered, api.kpis["review_triggered"])
    s = r.summary()
    assert 0 < s["p_review_triggered"] < 1 and s["fleet"]["gpu"] == "h100-sxm"
    assert set(r.to_json()["curves"]) == {"api", "self_hosted", "hybrid"}


def test_compare_is_reproducible(coding):
    a, uc = coding
    r1 = compare_deployments(uc, a.catalog, n=100, seed=7)
    r2 = compare_deployments(uc, a.catalog, n=100, seed=7)
    assert np.array_equal(r1.options["hybrid"].cumulative, r2.options["hybrid"].cumulative)


def test_compare_without_section_is_an_error(test_assumptions):
    with pytest.raises(ModelError, match=r"infrastructure\.self_hosting: expected a self_hosting section"):
        compare_deployments(test_assumptions.use_case("worked"), test_assumptions.catalog, n=2)


# --------------------------------------------------------------------------- fleets billed as they run
def _busy(tmp_path, **over):
    from finops_model.inputs.distributions import Uncertain

    a, uc = _worked(tmp_path, **over)
    # 1,000× the worked volume: 100M requests/month → 1e8 / 2,628,000 × 0.78886 = 30.017 GPUs busy on average
    return a, replace_path(uc, "volume.active_users", Uncertain.constant(100_000))


def test_on_demand_fleet_billed_for_node_hours_over_the_day(tmp_path):
    sizing = {"max_utilisation": 1.0, "redundant_replicas": 0, "min_replicas": 0, "prefix_cache_hit_rate": 0.5, "hours_at_peak": 6}
    a, uc = _busy(tmp_path, tier="on_demand", sizing=sizing)
    p = compare_deployments(uc, a.catalog, n=2, seed=0).plan
    load = 1e8 / 2_628_000 * 0.78886  # 30.017 GPUs busy
    assert_allclose(p.load_gpus[0, -1], load, rtol=1e-4)
    # peak-to-average 3 (worked volume), 6 h at peak: base = (24 − 18) / 18 = 1/3
    # peak hours: ceil(90.05) = 91 GPUs; other hours: ceil(10.006) = 11 GPUs
    # node-hours a day 6 × 91 + 18 × 11 = 744 → 31 GPUs on average; $2.00/GPU-hour × 730 h
    assert_allclose(p.gpus_needed[0, -1], 91.0)
    assert_allclose(p.gpus[0, -1], 31.0)
    assert_allclose(p.costs["GPUs"][0, -1], 31.0 * 2.0 * 730)
    # the same fleet not autoscaled pays for the peak all month: 91 / 31 = 2.9× as much
    _, fixed = _busy(tmp_path / "b", tier="on_demand", sizing={**sizing, "autoscaling": False})
    q = compare_deployments(fixed, a.catalog, n=2, seed=0).plan
    assert_allclose(q.costs["GPUs"][0, -1], 91.0 * 2.0 * 730)


def test_reserved_fleet_holds_the_peak_of_an_hourly_profile(tmp_path):
    weights = [1] * 12 + [3] * 12  # normalised: 0.5 and 1.5 × the average
    sizing = {"max_utilisation": 1.0, "redundant_replicas": 0, "min_replicas": 0, "prefix_cache_hit_rate": 0.5, "hourly_weights": weights}
    a, uc = _busy(tmp_path, tier="reserved_1y", sizing=sizing)
    p = compare_deployments(uc, a.catalog, n=2, seed=0).plan
    # peak 1.5 × 30.017 = 45.03 → 46 GPUs, held all month (reserved)
    assert_allclose(p.gpus[0, -1], 46.0)
    assert_allclose(p.costs["GPUs"][0, -1], 46.0 * 1.5 * 730)


def test_hourly_weights_refused_unless_24(tmp_path):
    from finops_model.errors import AssumptionError

    with pytest.raises(AssumptionError, match="24 hourly weights"):
        _worked(tmp_path, sizing={"hourly_weights": [1, 2, 3]})


def test_shipped_examples_self_hosting_wins_at_scale_and_not_below():
    """The executive enterprise assistant (≈14M requests/month) is cheaper self-hosted; the
    support copilot (≈200k requests/month, autoscaled on-demand fleet) is not."""
    from finops_model.inputs.assumptions import build_use_case
    from finops_model.util import yamlio
    from finops_model.util.paths import ASSUMPTIONS_DIR

    base = load_assumptions()
    f = ASSUMPTIONS_DIR / "examples" / "executive" / "use_cases" / "enterprise-assistant.yaml"
    big = build_use_case(yamlio.load(f), base.raw["org"], base.fx, base.catalog, str(f))
    r = compare_deployments(big, base.catalog, n=50, seed=0)
    assert r.p_cheaper["self_hosted"] == 1.0
    small = compare_deployments(base.use_case("support-copilot"), base.catalog, n=50, seed=0)
    assert small.p_cheaper["self_hosted"] == 0.0
    assert small.plan.autoscaled and not r.plan.autoscaled
