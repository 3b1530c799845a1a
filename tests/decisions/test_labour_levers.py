"""Labour levers: each one's saving by hand on a tiny use case, its own cost, its uncertainty,
the ninth waterfall stage, plan validation, and no cost ever made negative."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from levers_helpers import small
from numpy.testing import assert_allclose

from finops_model.cli.main import main
from finops_model.decisions import levers as L
from finops_model.decisions.waterfall import format_waterfall, waterfall
from finops_model.errors import AssumptionError

# 100 users × 1,000 requests = 100,000 requests/month; analyst $50/h, ml_engineer and
# platform_engineer $100/h, 160 h per FTE-month, overhead 1.0; platform pool $1,000 + $1,000.
HIDDEN = {
    "human_review": {"share_reviewed": 1.0, "minutes_per_review": 3, "role": "analyst"},
    "prompt_engineering": {"fte": 1.0, "role": "ml_engineer"},
    "evaluation": {"human_rater_hours_per_month": 10, "rater_role": "analyst"},
    "enablement": {"champions_fte": 0.5, "champions_role": "analyst", "support_hours_per_month": 20, "support_role": "analyst"},
    "platform": {"share_of_platform": 0.5, "operations_hours_per_month": 10, "operations_role": "platform_engineer"},
}


def _uc(test_assumptions):
    return small(test_assumptions, hidden=HIDDEN)


def run(uc, levers, catalog, n=4, seed=0):
    state = L.initial_state(uc, levers, catalog, n, seed)
    return L.evaluate_state(state), L.evaluate_state(L.apply_all(levers, state))


def line(result, category):
    return np.asarray(result.cost_by_category[("hidden", category)])


def test_labour_lines_hand_checked(test_assumptions, test_catalog):
    r, _ = run(_uc(test_assumptions), [], test_catalog)
    assert_allclose(line(r, "human review"), 100_000 * 1.0 * 3 / 60 * 50)  # $250,000/month
    assert_allclose(line(r, "prompt engineering"), 1.0 * 160 * 100)  # $16,000
    assert_allclose(line(r, "evaluation"), 10 * 50)  # $500
    assert_allclose(line(r, "enablement"), 0.5 * 160 * 50 + 20 * 50)  # $5,000
    assert_allclose(line(r, "platform operations share"), 0.5 * 2000 + 10 * 100)  # $2,000


def test_human_review_sampling_and_tooling(test_assumptions, test_catalog):
    lever = L.HumanReviewLever(share_reviewed=0.2, minutes_reduction=0.5, monthly_cost=1000, one_off_cost=8000)
    r0, r = run(_uc(test_assumptions), [lever], test_catalog)
    # sampling 100% → 20%, 3 → 1.5 minutes, plus $1,000/month of tooling in the same line
    assert_allclose(line(r, "human review"), 100_000 * 0.2 * 1.5 / 60 * 50 + 1000)  # $26,000
    assert_allclose(r0.kpis["run_rate_cost"] - r.kpis["run_rate_cost"], 250_000 - 26_000)
    assert_allclose(r.kpis["one_off_cost"] - r0.kpis["one_off_cost"], 8000)


def test_human_review_sampling_never_raises_the_rate(test_assumptions, test_catalog):
    hidden = {**HIDDEN, "human_review": {**HIDDEN["human_review"], "share_reviewed": 0.1}}
    _, r = run(small(test_assumptions, hidden=hidden), [L.HumanReviewLever(share_reviewed=0.2)], test_catalog)
    assert_allclose(line(r, "human review"), 100_000 * 0.1 * 3 / 60 * 50)


def test_prompt_automation_fte_raters_and_licence(test_assumptions, test_catalog):
    lever = L.PromptAutomation(fte_reduction=0.25, rater_hours_reduction=0.5, monthly_cost=500)
    _, r = run(_uc(test_assumptions), [lever], test_catalog)
    assert_allclose(line(r, "prompt engineering"), 0.75 * 160 * 100 + 500)  # $12,500
    assert_allclose(line(r, "evaluation"), 5 * 50)  # $250


def test_prompt_automation_added_runs_are_priced(test_assumptions, test_catalog):
    hidden = {**HIDDEN, "evaluation": {**HIDDEN["evaluation"], "golden_set_size": 100, "runs_per_month": 1,
                                       "judge_model": "test-frontier", "judge_input_tokens": 1000, "judge_output_tokens": 100}}
    uc = small(test_assumptions, hidden=hidden)
    r0, r = run(uc, [L.PromptAutomation(rater_hours_reduction=0.5, added_runs_per_month=2)], test_catalog)
    per_case = 0.0081 + 1000 * 3e-6 + 100 * 15e-6  # system call + judge call [USD/case]
    assert_allclose(line(r0, "evaluation"), 100 * 1 * per_case + 500)
    assert_allclose(line(r, "evaluation"), 100 * 3 * per_case + 250)


def test_enablement_champions_support_and_tooling(test_assumptions, test_catalog):
    lever = L.EnablementLever(champions_reduction=0.5, support_reduction=0.4, monthly_cost=100)
    _, r = run(_uc(test_assumptions), [lever], test_catalog)
    assert_allclose(line(r, "enablement"), 0.25 * 160 * 50 + 12 * 50 + 100)  # $2,700


def test_platform_share_and_operations(test_assumptions, test_catalog):
    lever = L.PlatformShareLever(share_reduction=0.2, operations_reduction=0.5, monthly_cost=50)
    _, r = run(_uc(test_assumptions), [lever], test_catalog)
    assert_allclose(line(r, "platform operations share"), 0.4 * 2000 + 5 * 100 + 50)  # $1,350


def test_labour_lever_cost_can_outweigh_its_saving(test_assumptions, test_catalog):
    # the lever's own cost is counted: $300/month of tooling to save 10% of $500 of raters
    lever = L.PromptAutomation(rater_hours_reduction=0.1, monthly_cost=300)
    r0, r = run(_uc(test_assumptions), [lever], test_catalog)
    assert_allclose(r0.kpis["run_rate_cost"] - r.kpis["run_rate_cost"], 50 - 300)


def test_uncertain_reduction_gives_a_saving_distribution(test_assumptions, test_catalog):
    (lever,) = L.parse_levers([{"lever": "human_review", "minutes_reduction": "0.2 to 0.4", "monthly_cost": 1000}])
    r0, r = run(_uc(test_assumptions), [lever], test_catalog, n=400)
    saving = r0.kpis["run_rate_cost"] - r.kpis["run_rate_cost"]
    p5, p50, p95 = np.percentile(saving, [5, 50, 95])
    assert p5 < p50 < p95
    # '0.2 to 0.4' is a 90% range: the saving's p5 … p95 is 20% … 40% of $250,000, net of tooling
    assert_allclose([p5, p50, p95], [250_000 * 0.2 - 1000, 250_000 * 0.3 - 1000, 250_000 * 0.4 - 1000], rtol=0.08)


def test_labour_stage_is_ninth_and_waterfall_reconciles(test_assumptions, test_catalog):
    assert L.STAGES[-1] == "labour" and len(L.STAGES) == 9
    plan = L.parse_levers([
        {"lever": "prompt_compression", "share_removed": "0.2 to 0.3"},
        {"lever": "human_review", "share_reviewed": "0.15 to 0.25", "minutes_reduction": "0.2 to 0.4", "monthly_cost": 500},
        {"lever": "prompt_automation", "fte_reduction": "0.2 to 0.4", "monthly_cost": 300},
        {"lever": "enablement", "champions_reduction": 0.5},
        {"lever": "platform_share", "operations_reduction": "0.3 to 0.5"},
    ])
    w = waterfall(_uc(test_assumptions), plan, test_catalog, n=200, seed=1)
    assert_allclose(sum(s.saving for s in w.steps), w.total_saving, rtol=1e-12, atol=1e-9)
    labour = next(s for s in w.steps if s.stage == "labour")
    assert labour.levers == ("human_review", "prompt_automation", "enablement", "platform_share")
    assert np.all(labour.saving > 0.8 * w.total_saving)  # where the money is
    assert_allclose(labour.monthly_cost, 800)
    assert "Labour: review, eval, enablement, platform" in format_waterfall(w)


@pytest.mark.parametrize(
    "item, message",
    [
        ({"lever": "human_review"}, "expected at least one of share_reviewed, minutes_reduction above 0"),
        ({"lever": "enablement", "champions_reduction": 0.5, "steps": ["answer"]}, "expected no steps"),
        ({"lever": "platform_share", "share_reduction": 1.5}, "plans.x.0.share_reduction: expected a fraction in [0, 1]"),
        ({"lever": "prompt_automation", "fte_reduction": 0.3, "monthly_cost": -5}, "monthly_cost"),
    ],
)
def test_bad_labour_plans_refused(item, message):
    with pytest.raises(AssumptionError) as exc:
        L.parse_levers([item], "levers.yaml", "plans.x")
    text = str(exc.value)
    assert message in text and "levers.yaml" in text and "\n" not in text.strip()


def test_check_plans_refuses_a_lever_on_a_zero_line_and_unknown_ids(test_assumptions, test_catalog):
    uc = small(test_assumptions)  # no hidden labour at all
    plans = L.LeverPlans({"small": L.parse_levers([{"lever": "enablement", "champions_reduction": 0.5}]),
                          "smal": ()}, "levers.yaml")
    problems = [str(p) for p in L.check_plans(plans, {"small": uc}, test_catalog)]
    assert any("plans.smal: expected a use case id or '*'" in p for p in problems)
    assert any("plans.small.0: expected a labour line to act on" in p for p in problems)


def test_finops_validate_catches_a_bad_lever_plan(root, capsys):
    tree = root
    (tree / "levers.yaml").write_text(textwrap.dedent("""\
        plans:
          worked:
            - lever: human_review
              minutes_reduction: 0.3
              steps: [answer]
    """))
    assert main(["validate", str(tree)]) == 2
    err = capsys.readouterr().err
    assert "levers.yaml: plans.worked.0" in err and "expected no steps" in err
    (tree / "levers.yaml").write_text("plans:\n  worked:\n    - lever: human_review\n      minutes_reduction: 0.3\n")
    assert main(["validate", str(tree)]) == 0
    assert main(["validate", str(tree / "levers.yaml")]) == 0


LABOUR_PARAMS = st.fixed_dictionaries({
    "share": st.floats(0, 1), "minutes": st.floats(0.001, 1), "fte": st.floats(0.001, 1), "raters": st.floats(0, 1),
    "champions": st.floats(0.001, 1), "support": st.floats(0, 1), "training": st.floats(0, 1),
    "pool": st.floats(0.001, 1), "ops": st.floats(0, 1), "cost": st.floats(0, 5000),
})


@settings(max_examples=25, deadline=None)
@given(LABOUR_PARAMS)
def test_labour_levers_never_make_a_cost_negative(test_assumptions, test_catalog, p):
    plan = [
        L.HumanReviewLever(share_reviewed=p["share"], minutes_reduction=p["minutes"], monthly_cost=p["cost"]),
        L.PromptAutomation(fte_reduction=p["fte"], rater_hours_reduction=p["raters"], upkeep_reduction=0.5, monthly_cost=p["cost"]),
        L.EnablementLever(champions_reduction=p["champions"], support_reduction=p["support"], training_reduction=p["training"]),
        L.PlatformShareLever(share_reduction=p["pool"], operations_reduction=p["ops"]),
    ]
    r0, r = run(_uc(test_assumptions), plan, test_catalog, n=2)
    for value in r.cost_by_category.values():
        assert np.all(np.asarray(value) >= 0)
    assert np.all(r.kpis["run_rate_cost"] >= 0)
    # without their tooling the labour levers can only save
    assert np.all(r.kpis["run_rate_cost"] - 2 * p["cost"] <= r0.kpis["run_rate_cost"] + 1e-6)
