import numpy as np
from numpy.testing import assert_allclose

from finops_model.costs import finance


def test_monthly_discount_factors_hand_computed():
    d = finance.monthly_discount_factors(0.12, 12)
    assert_allclose(d[0], 1.0)
    assert_allclose(d[12], 1 / 1.12)


def test_npv_zero_rate_is_plain_sum():
    net = np.array([[100.0, 100.0, 100.0]])
    assert_allclose(finance.npv(net, np.array([150.0]), finance.monthly_discount_factors(0.0, 3)), [150.0])


def test_payback_month_linear_within_the_month():
    net = np.array([[100.0, 100.0, 100.0], [10.0, 10.0, 10.0], [100.0, 100.0, 100.0]])
    pm = finance.payback_month(net, np.array([150.0, 150.0, 0.0]))
    assert_allclose(pm[0], 1.5)  # month 1 recovers 100, half of month 2 the other 50
    assert np.isnan(pm[1])
    assert_allclose(pm[2], 0.0)  # nothing to recover


def test_payback_month_fraction_the_issue_quotes():
    # 4.08 months, not 5: 1,000 to recover at 245.0980…/month
    pm = finance.payback_month(np.full((1, 12), 1000 / 4.08), np.array([1000.0]))
    assert_allclose(pm, [4.08], rtol=1e-12)


def test_payback_period_dip_then_recovery():
    # year 0 −100; year 1 −20 (cum −120); year 2 +60 (−60); year 3 +120 → 2 + 60/120
    assert_allclose(finance.payback_period(np.array([[-100.0, -20.0, 60.0, 120.0]])), [2.5])


# --------------------------------------------------------------------------- annual (TEI) convention
# A three-year case in the Forrester TEI style, computed by hand at r = 10%:
#   costs (before risk): initial 100,000; 50,000 in each of years 1–3; uplift 5%
#   benefits (before risk): 120,000 / 150,000 / 180,000;                haircut 10%
#   risk-adjusted costs:    105,000 | 52,500 | 52,500 | 52,500
#   risk-adjusted benefits:       0 | 108,000 | 135,000 | 162,000
#   discount factors 1, 1/1.1 = 0.909091, 1/1.21 = 0.826446, 1/1.331 = 0.751315
#   PV(costs)    = 105,000 + 52,500 × 2.486852 = 235,559.73
#   PV(benefits) = 98,181.82 + 111,570.25 + 121,713.00 = 331,465.06
#   NPV = 95,905.33;  ROI = NPV / PV(costs) = 40.71%
#   payback: cumulative net −105,000 → −49,500 (year 1) → +33,000 (year 2): 1 + 49,500/82,500 = 1.6 years
TEI_PV_COSTS = 235_559.73
TEI_PV_BENEFITS = 331_465.06
TEI_NPV = 95_905.33
TEI_ROI = 0.40714
TEI_PAYBACK_YEARS = 1.6


def test_business_case_three_year_tei_hand_computed():
    costs = finance.risk_adjust_costs(np.array([[100_000.0, 50_000.0, 50_000.0, 50_000.0]]), 0.05)
    benefits = finance.risk_adjust_benefits(np.array([[0.0, 120_000.0, 150_000.0, 180_000.0]]), 0.10)
    bc = finance.business_case(costs, benefits, finance.annual_discount_factors(0.10, 3))
    assert_allclose(bc["pv_costs"], [TEI_PV_COSTS], atol=0.01)
    assert_allclose(bc["pv_benefits"], [TEI_PV_BENEFITS], atol=0.01)
    assert_allclose(bc["npv"], [TEI_NPV], atol=0.01)
    assert_allclose(bc["roi"], [TEI_ROI], atol=1e-5)
    assert_allclose(bc["payback"], [TEI_PAYBACK_YEARS], rtol=1e-12)


def test_annual_discount_factors_year_zero_undiscounted_per_trial_rates():
    d = finance.annual_discount_factors(np.array([0.0, 0.10]), 2)
    assert_allclose(d, [[1, 1, 1], [1, 1 / 1.1, 1 / 1.21]])


def test_annual_sums_partial_last_year():
    a = finance.annual_sums(np.ones((2, 30)))
    assert_allclose(a, [[12, 12, 6], [12, 12, 6]])
    assert finance.years_of(30) == 3 and finance.years_of(36) == 3


def test_roi_undefined_without_cost():
    r = finance.roi(np.array([10.0, 10.0]), np.array([5.0, 0.0]))
    assert_allclose(r[0], 1.0)
    assert np.isnan(r[1])
