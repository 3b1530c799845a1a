import datetime as dt

import numpy as np
import pytest
from actuals_helpers import usage
from numpy.testing import assert_allclose

from finops_model.actuals.burn import burn, burn_from_daily, daily_sigma, exhaustion_days
from finops_model.actuals.forecast import bill_forecast
from finops_model.model.engine import simulate


def test_exhaustion_day_by_hand():
    # budget 1,000; $400 spent in 10 days, then $40/day: 400 + 40 k ≥ 1000 at k = 15 → day 25.
    b = burn_from_daily("x", dt.date(2026, 6, 1), np.full(10, 40.0), np.full(50, 1200.0), 1000.0, sigma=0.0)
    assert b.days == 30 and b.days_observed == 10
    assert (b.exhaustion_day_p5, b.exhaustion_day_p50, b.exhaustion_day_p95) == (25, 25, 25)
    assert b.p_exceed == 1.0 and b.exhausted_on is None
    assert_allclose(b.month_end_p50, 1200.0)
    assert b.to_dict()["exhaustion_day"]["p50"] == "2026-06-25"


def test_exhaustion_never_and_already():
    b = burn_from_daily("x", dt.date(2026, 6, 1), np.full(10, 10.0), np.full(20, 300.0), 1000.0, sigma=0.0)
    assert np.isinf(b.exhaustion_day_p50) and b.p_exceed == 0.0
    b = burn_from_daily("x", dt.date(2026, 6, 1), np.full(10, 200.0), np.full(20, 6000.0), 1000.0, sigma=0.0)
    assert b.exhausted_on == dt.date(2026, 6, 5) and b.p_exceed == 1.0


def test_non_bill_cost_counts_against_the_budget():
    # $30/day billed + $300/month (= $10/day) of non-bill cost: 40 k ≥ 1000 at day 25
    b = burn_from_daily("x", dt.date(2026, 6, 1), np.full(10, 30.0), np.full(8, 900.0), 1000.0,
                        other_trials=np.full(8, 300.0), sigma=0.0)
    assert b.exhaustion_day_p50 == 25
    assert_allclose(b.spent_to_date, 400.0)


def test_exhaustion_days_vectorised():
    spend = np.array([[5.0, 5.0, 5.0], [1.0, 1.0, 1.0]])
    # 10 is reached at the end of the second day (day 5), or never
    assert_allclose(exhaustion_days(spend, np.array([10.0, 10.0]), 4), [5.0, np.inf])
    # 7.5 half-way through day 5 → 4.5 (a date of the 5th)
    assert_allclose(exhaustion_days(spend, 7.5, 4), [4.5, np.inf])


def test_daily_sigma_recovers_spread():
    rng = np.random.default_rng(1)
    x = 100 * np.exp(0.3 * rng.standard_normal(400))
    assert abs(daily_sigma(x) - 0.3) < 0.04
    assert daily_sigma([1.0, 2.0]) == 0.25


@pytest.mark.slow
def test_burn_band_covers_true_exhaustion_day_at_its_rate():
    # Months drawn from the forecast's own distribution: the true monthly rate from the prior,
    # lognormal days around it; after 10 observed days the 90% band should cover the day the
    # budget actually ran out (or "not this month") in ≈ 90 % of months.
    rng = np.random.default_rng(7)
    days, sigma, budget = 30, 0.3, 1000.0
    prior = 1000.0 * np.exp(0.35 * rng.standard_normal(4000))   # [USD/month]
    covered, reps = 0, 300
    for rep in range(reps):
        true_month = 1000.0 * np.exp(0.35 * rng.standard_normal())
        path = true_month / days * np.exp(sigma * rng.standard_normal(days) - sigma ** 2 / 2)
        true_day = exhaustion_days(path[None, :], budget, 1)[0]
        b = burn_from_daily("x", dt.date(2026, 6, 1), path[:10], prior, budget, sigma=sigma, seed=rep)
        covered += b.exhaustion_day_p5 <= true_day <= b.exhaustion_day_p95
    rate = covered / reps
    assert 0.86 <= rate <= 0.95, rate


def test_burn_from_usage_table(worked, test_catalog):
    fc = bill_forecast(worked, simulate(worked, test_catalog, 4, 0), "2026-01-01")
    rows = [{"timestamp": f"2026-03-{d:02d}T12:00:00", "model": "test-small", "billed_cost": 50.0, "requests": 10,
             "input_tokens": 10} for d in range(1, 11) if d != 4]  # the 4th: no rows, zero spend
    b = burn(fc, usage(rows), test_catalog, budget=2000.0, include_other=False, sigma=0.0)
    assert b.month == dt.date(2026, 3, 1) and b.days_observed == 10 and b.daily_actual[3] == 0.0
    # $450 in 10 days, then the forecast bill of $1,135.80/month = $36.64/day: 450 + 36.64 k ≥ 2000 → k = 43 > 21
    assert np.isinf(b.exhaustion_day_p50) and b.p_exceed == 0.0
    assert_allclose(b.month_end_p50, 450 + 21 * 1135.8 / 31)
