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


def test_payback_month_first_month_cumulative_non_negative():
    net = np.array([[100.0, 100.0, 100.0], [10.0, 10.0, 10.0]])
    pm = finance.payback_month(net, np.array([150.0, 150.0]))
    assert_allclose(pm[0], 2.0)
    assert np.isnan(pm[1])


def test_roi_undefined_without_cost():
    r = finance.roi(np.array([10.0, 10.0]), np.array([5.0, 0.0]))
    assert_allclose(r[0], 1.0)
    assert np.isnan(r[1])
