"""Budgets: breach probabilities against hand-checked cases, breach months, cost-center budgets."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from numpy.testing import assert_allclose
from portfolio_helpers import compliant_raw, make_tree

from finops_model.errors import AssumptionError
from finops_model.governance.budgets import (
    breach_month,
    cost_center_outlooks,
    exceed_probability,
    outlook,
    outlook_table,
    sample_cost_center_budgets,
    use_case_outlook,
)
from finops_model.governance.portfolio import load_portfolio, portfolio_draws, rollup_assumptions
from finops_model.inputs.assumptions import build_use_case, load_assumptions
from finops_model.model.engine import evaluate, simulate


def test_exceed_probability_hand():
    cost = np.array([[1.0, 5.0], [3.0, 7.0], [6.0, 2.0], [4.0, 4.0]])
    assert_allclose(exceed_probability(cost, 3.5), [0.5, 0.75])


def test_exceed_probability_uncertain_budget_per_trial():
    cost = np.array([[10.0], [10.0], [10.0]])
    assert_allclose(exceed_probability(cost, np.array([5.0, 15.0, 9.0])), [2 / 3])


def test_exceed_probability_shape_error():
    with pytest.raises(ValueError, match="shape"):
        exceed_probability(np.ones(3), 1.0)


def test_breach_month_first_likely():
    assert breach_month([0.1, 0.4, 0.5, 0.9]) == 3
    assert breach_month([0.1, 0.4]) is None
    assert breach_month([0.1, 0.3], likely=0.25) == 2


def test_outlook_alert_before_breach():
    cost = np.array([[50.0, 85.0, 120.0]] * 4)
    o = outlook("x", cost, 100.0, alert_at=0.8)
    assert_allclose(o.p_exceed, [0, 0, 1])
    assert_allclose(o.p_alert, [0, 1, 1])
    assert (o.alert_month, o.breach_month) == (2, 3)
    assert o.run_rate_p50 == 120.0


def test_outlook_without_budget():
    o = outlook("x", np.ones((3, 2)), None)
    assert not o.has_budget and o.breach_month is None


def test_use_case_outlook_uniform_users_hand_checked(test_assumptions):
    """Cost is linear in users; users ~ U(50, 150); budget at the cost of 120 users → P = 0.3."""
    a = test_assumptions
    raw = compliant_raw()
    org_raw = yaml.safe_load((a.root / "org.yaml").read_text())

    def build(users):
        r = dict(raw, volume={**raw["volume"], "active_users": users})
        return build_use_case(r, org_raw, a.fx, a.catalog, "worked.yaml")

    lo = simulate(build(50), a.catalog, 1, 0).cost_by_month[0, -1]
    hi = simulate(build(150), a.catalog, 1, 0).cost_by_month[0, -1]
    budget = lo + (hi - lo) * 0.7  # the cost at 120 users
    uc = build({"uniform": [50, 150]})
    uc = uc.model_copy(update={"budget": uc.budget.model_copy(update={"monthly": type(uc.budget.alert_at).constant(budget)})})
    n = 40_000
    d = portfolio_draws(uc, n, 11)
    o = use_case_outlook(uc, evaluate(uc, d, a.catalog, n), d)
    assert_allclose(o.p_exceed[-1], 0.3, atol=4 * np.sqrt(0.21 / n))
    assert o.breach_month is None
    # alert at 80% of the budget: P(cost > 0.8 B) = P(users > u*) with cost(u*) = 0.8 B
    u_star = 50 + 100 * (0.8 * budget - lo) / (hi - lo)
    assert_allclose(o.p_alert[-1], max(0.0, (150 - u_star) / 100), atol=4 * np.sqrt(0.25 / n))


def test_breach_becomes_likely_as_adoption_grows(test_assumptions):
    a = test_assumptions
    raw = compliant_raw()
    raw["volume"]["adoption"] = {"start_share": 0.1, "midpoint_month": 5, "steepness": 1.0, "ceiling": 1.0}
    org_raw = yaml.safe_load((a.root / "org.yaml").read_text())
    full = simulate(build_use_case(compliant_raw(), org_raw, a.fx, a.catalog, "w"), a.catalog, 1, 0).cost_by_month[0, -1]
    raw["budget"] = {"monthly": float(full) * 0.95}
    uc = build_use_case(raw, org_raw, a.fx, a.catalog, "w")
    r = simulate(uc, a.catalog, 50, 0)
    o = use_case_outlook(uc, r, r.inputs)
    first_over = int(np.flatnonzero(r.cost_by_month[0] > full * 0.95)[0]) + 1
    assert o.breach_month == first_over
    assert 1 < o.breach_month <= 12


def test_sample_cost_center_budgets_converts_org_currency(test_assumptions):
    org = test_assumptions.org.model_copy(update={"currency": "EUR"})
    from finops_model.inputs.distributions import parse

    org = org.model_copy(update={"cost_center_budgets": {"CC-1": parse(800, "nonneg")}})
    b = sample_cost_center_budgets(org, test_assumptions.fx, 5, 0)
    assert_allclose(b["CC-1"], 1000.0)  # 800 EUR at 0.8 EUR/USD


def test_org_cost_center_budget_must_be_nonnegative(tmp_path):
    tree = make_tree(tmp_path / "a", cost_center_budgets={"CC-100": -5})
    with pytest.raises(AssumptionError, match="cost_center_budgets"):
        load_assumptions(tree)


def test_cost_center_outlooks_from_portfolio(tmp_path):
    tree = make_tree(tmp_path / "a", cost_center_budgets={"CC-200": 1.0})
    p = rollup_assumptions(load_portfolio(tree), 200, 0)
    outs = cost_center_outlooks(p.monthly_by_cost_center["as-written"], p.cost_center_budgets)
    assert set(outs) == {"CC-100", "CC-200"}
    assert not outs["CC-100"].has_budget
    assert outs["CC-200"].breach_month == 1  # a 1 USD budget is exceeded from the first month
    assert_allclose(outs["CC-200"].p_exceed, 1.0)
    df = outlook_table(outs)
    assert list(df["name"]) == ["CC-100", "CC-200"]


def test_shipped_org_has_cost_center_budgets():
    a = load_assumptions()
    centers = {uc.cost_center for uc in a.use_cases.values()}
    assert centers <= set(a.org.cost_center_budgets)
