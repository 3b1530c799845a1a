import datetime as dt

import numpy as np
import pytest
from actuals_helpers import usage

from finops_model.actuals.alerts import alert_table
from finops_model.actuals.forecast import bill_forecast
from finops_model.model.engine import simulate


@pytest.fixture(scope="module")
def forecasts(worked, test_catalog):
    return {"worked": bill_forecast(worked, simulate(worked, test_catalog, 200, 0), "2026-01-01")}


def clean_rows(rng, days=20, plant=None):
    """January as the worked forecast says, with ±5 % day-to-day volume; ``plant(day, rows)``
    may alter the rows of a day."""
    out = []
    for d in range(1, days + 1):
        k = 1 + 0.05 * rng.standard_normal()
        calls = 100_000 / 31 * k
        day = [
            {"timestamp": f"2026-01-{d:02d}T08:00:00", "model": "test-frontier", "requests": 1.0 / 1.1 * calls,
             "input_tokens": 3200 * calls / 1.1, "cache_read_tokens": 1600 * calls / 1.1, "output_tokens": 300 * calls / 1.1,
             "request_type": "answer"},
            {"timestamp": f"2026-01-{d:02d}T08:00:00", "model": "test-frontier", "requests": 0.1 / 1.1 * calls,
             "input_tokens": 3200 * 0.1 * calls / 1.1, "cache_read_tokens": 1600 * 0.1 * calls / 1.1,
             "output_tokens": 300 * 0.1 * calls / 1.1, "request_type": "answer:retry"},
            {"timestamp": f"2026-01-{d:02d}T08:00:00", "model": "test-small", "requests": calls / 1.1,
             "input_tokens": 500 * calls / 1.1, "cache_read_tokens": 0.0, "output_tokens": 50 * calls / 1.1,
             "request_type": "check"},
        ]
        if plant is not None:
            day = plant(d, day)
        out += day
    return out


def test_no_alert_on_clean_data(forecasts, test_catalog):
    t = alert_table(usage(clean_rows(np.random.default_rng(0))), forecasts, test_catalog)
    assert t.empty, t


def _plant(fn):
    return lambda d, rows: fn(rows) if d == 15 else rows


@pytest.mark.parametrize("alert, plant", [
    ("daily_spend", lambda rows: [{**r, **{k: r[k] * 3 for k in ("requests", "input_tokens", "cache_read_tokens", "output_tokens")}} for r in rows]),
    ("tokens_per_call", lambda rows: [{**r, "input_tokens": r["input_tokens"] * 1.5} if r["model"] == "test-small" else r for r in rows]),
    ("cache_drop", lambda rows: [{**r, "cache_read_tokens": 0.0} for r in rows]),
    ("retry_rise", lambda rows: [{**r, "requests": r["requests"] * 4} if r["request_type"] == "answer:retry" else r for r in rows]),
])
def test_planted_anomaly_fires(forecasts, test_catalog, alert, plant):
    t = alert_table(usage(clean_rows(np.random.default_rng(0), plant=_plant(plant))), forecasts, test_catalog)
    fired = t[t["alert"] == alert]
    assert len(fired) >= 1 and fired["day"].iloc[0] == dt.date(2026, 1, 15), t


def test_frontier_share_jump(forecasts, test_catalog):
    # most spend on the small model until day 15, when the answer step moves to the frontier model
    def rows(d):
        big = 10.0 if d < 15 else 200.0
        return [{"timestamp": f"2026-01-{d:02d}", "model": "test-frontier", "requests": 1, "billed_cost": big},
                {"timestamp": f"2026-01-{d:02d}", "model": "test-small", "requests": 1, "billed_cost": 100.0}]
    u = usage([r for d in range(1, 17) for r in rows(d)])
    t = alert_table(u, forecasts, test_catalog)
    fired = t[t["alert"] == "frontier_share"]
    assert sorted(fired["day"]) == [dt.date(2026, 1, 15), dt.date(2026, 1, 16)]


def test_unattributed_and_price_mismatch(forecasts, test_catalog):
    rows = [
        # 1M input tokens on test-small: list price $1.00; billed $1.10 (+10 %)
        {"timestamp": "2026-01-03", "model": "test-small", "input_tokens": 1_000_000, "billed_cost": 1.10},
        {"timestamp": "2026-01-03", "model": "test-small", "input_tokens": 1_000_000, "billed_cost": 1.00, "use_case": None},
        {"timestamp": "2026-01-03", "model": "test-small", "input_tokens": 1_000_000, "billed_cost": 1.00, "use_case": "worked"},
    ]
    t = alert_table(usage(rows), forecasts, test_catalog)
    un = t[t["alert"] == "unattributed"]
    assert len(un) == 1 and abs(un["observed"].iloc[0] - 1.0 / 3.1) < 1e-9
    pm = t[t["alert"] == "price_mismatch"]
    assert len(pm) == 1 and pm["model"].iloc[0] == "test-small" and abs(pm["observed"].iloc[0] - 0.1 / 3) < 1e-9
