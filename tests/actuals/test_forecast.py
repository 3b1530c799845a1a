import datetime as dt

import numpy as np
import pytest
from numpy.testing import assert_allclose

from finops_model.actuals.forecast import add_months, bill_forecast, go_live_month, horizon_months
from finops_model.errors import FinopsError
from finops_model.model.engine import simulate


def test_horizon_months_build_months_before_go_live(worked):
    uc = worked.model_copy(update={"go_live": "2026-03-15", "one_off": worked.one_off.model_copy(update={"build_months": 2})})
    months = horizon_months(uc, go_live_month(uc))
    assert months[0] == dt.date(2026, 1, 1) and months[2] == dt.date(2026, 3, 1) and months[-1] == dt.date(2026, 12, 1)


def test_go_live_required_without_default(worked):
    with pytest.raises(FinopsError, match="go_live"):
        go_live_month(worked)
    assert go_live_month(worked, "2026-05-20") == dt.date(2026, 5, 1)


def test_add_months_across_years():
    assert add_months(dt.date(2026, 11, 1), 3) == dt.date(2027, 2, 1)
    assert add_months(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)


def test_bill_forecast_worked_by_hand(worked, test_catalog):
    # answer: 3,200 input (half cached) + 300 output on test-frontier = $0.00978/call × 1.1 calls;
    # check: 500 + 50 on test-small = $0.0006; 100 users × 1,000 requests = 100,000 requests/month.
    fc = bill_forecast(worked, simulate(worked, test_catalog, 4, 0), "2026-01-01")
    assert_allclose(fc.model_cost["test-frontier"][:, 0], 100_000 * 1.1 * 0.00978)
    assert_allclose(fc.model_cost["test-small"][:, 0], 100_000 * 0.0006)
    assert_allclose(fc.model_tokens["test-frontier"][:, 0], 100_000 * 1.1 * 3500)
    assert_allclose(fc.model_calls["test-small"][:, 0], 100_000)
    assert_allclose(fc.total_cost[:, 0], 1135.8)
    assert np.all(fc.other_cost > 0)
    assert fc.index(dt.date(2026, 12, 31)) == 11 and fc.index(dt.date(2027, 1, 1)) is None


def test_forecast_focus_rows_by_hand(worked, test_catalog):
    from finops_model.actuals.forecast_focus import COLUMNS, forecast_focus_rows

    fc = bill_forecast(worked, simulate(worked, test_catalog, 4, 0), "2026-01-01")
    rows = forecast_focus_rows(fc, worked, test_catalog, [dt.date(2026, 2, 1)])
    assert len(rows) == 2 and all(set(r) == set(COLUMNS) for r in rows)
    small = next(r for r in rows if r["SkuId"] == "test-small")
    assert_allclose([small["BilledCost"], small["x_CostP5"], small["x_CostP50"], small["x_CostP95"]], 60.0)
    assert small["ChargePeriodStart"] == "2026-02-01T00:00:00Z" and small["ChargePeriodEnd"] == "2026-03-01T00:00:00Z"
    assert small["x_ChargeOrigin"] == "forecast" and small["ProviderName"] == "testai"
