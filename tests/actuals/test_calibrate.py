import datetime as dt

import numpy as np
import pandas as pd
import pytest
import yaml
from actuals_helpers import usage
from numpy.testing import assert_allclose

from finops_model.actuals.calibrate import calibrate, match_steps, overlay, write_overlay
from finops_model.actuals.forecast import bill_forecast
from finops_model.errors import FinopsError
from finops_model.inputs.assumptions import load_assumptions
from finops_model.inputs.boundary import validate_paths
from finops_model.model.engine import simulate


def synthetic(rng, months=6, requests_per_month=400, out_mean=260.0, cache_share=0.3, retry=0.1, rpu_scale=1.0):
    """Requests of the worked use case drawn from known parameters: each request one `answer`
    call (input ~ Poisson(3200), output ~ Poisson(out_mean), cache reads a binomial share),
    retried with probability `retry` (max 1), and one `check` call."""
    rows = []
    for m in range(months):
        n = int(requests_per_month * rpu_scale)
        for r in range(n):
            rid = f"m{m}-r{r}"
            ts = f"2026-{m + 1:02d}-{1 + r % 28:02d}T10:00:00"
            attempts = 1 + int(rng.random() < retry)
            for a in range(attempts):
                inp = int(rng.poisson(3200))
                rows.append({"timestamp": ts, "model": "test-frontier", "request_id": rid, "input_tokens": inp,
                             "cache_read_tokens": int(rng.binomial(inp, cache_share)), "output_tokens": int(rng.poisson(out_mean)),
                             "request_type": "answer:retry" if a else "answer"})
            rows.append({"timestamp": ts, "model": "test-small", "request_id": rid, "input_tokens": int(rng.poisson(500)),
                         "output_tokens": int(rng.poisson(50))})
    return usage(rows)


@pytest.fixture(scope="module")
def fc(worked, test_catalog):
    return bill_forecast(worked, simulate(worked, test_catalog, 4, 0), "2026-01-01")


def test_match_steps_by_request_type_then_unique_model(worked):
    u = usage([{"timestamp": "2026-01-01", "model": "test-frontier", "request_type": "answer:retry"},
               {"timestamp": "2026-01-01", "model": "test-small"},
               {"timestamp": "2026-01-01", "model": "other"}])
    assert list(match_steps(worked, u)) == ["answer", "check", None]


def test_calibration_recovers_known_parameters(worked, fc):
    # worked assumes 100 users (1,000 requests/user/month), 300 output tokens, 50 % cache reads,
    # 10 % retries (max 1); the data: 400 requests/month → 4 per user, 260 output, 30 % cached, 10 % retries
    u = synthetic(np.random.default_rng(3))
    cal = calibrate(worked, fc, u)
    t = cal.table().set_index("path")
    assert_allclose(t.loc["volume.requests_per_user_per_month", "fitted"], 4.0)
    assert_allclose(t.loc["steps.answer.output_tokens", "fitted"], 260.0, rtol=3 * np.sqrt(260) / 260 / np.sqrt(2600))
    assert abs(t.loc["steps.answer.cached_prompt_share", "fitted"] - 0.3) < 0.005
    n = 2400  # first attempts; the retry share has a binomial standard error √(0.1 × 0.9 / n)
    assert abs(t.loc["steps.answer.retry.rate", "fitted"] - 0.1) < 3 * np.sqrt(0.09 / n)
    assert_allclose(t.loc["steps.answer.input_tokens_per_call", "fitted"], 3200, rtol=0.002)
    assert abs(t.loc["volume.growth_per_month", "fitted"]) < 1e-9
    # contradictions: requests per user (4 vs 1,000), output, cache share; not input tokens nor retry
    flagged = set(t.index[t["contradicted"]])
    assert {"volume.requests_per_user_per_month", "steps.answer.output_tokens", "steps.answer.cached_prompt_share"} <= flagged
    assert "steps.answer.input_tokens_per_call" not in flagged and "steps.answer.retry.rate" not in flagged
    # calls per request from span trees: answer 1.1, check 1.0
    assert_allclose(t.loc["steps.answer.calls_per_request", "fitted"], 1.1, atol=3 * np.sqrt(0.09 / n))
    assert_allclose(t.loc["steps.check.calls_per_request", "fitted"], 1.0)


def test_calibration_recovers_growth(worked, fc):
    rows = []
    for m in range(6):
        for r in range(int(round(200 * 1.05 ** m))):
            rows.append({"timestamp": f"2026-{m + 1:02d}-05", "model": "test-small", "request_id": f"{m}-{r}",
                         "input_tokens": 500, "output_tokens": 50})
    # and a seventh month in progress (10 days): left out, it would read as a fall
    rows += [{"timestamp": "2026-07-10", "model": "test-small", "request_id": f"7-{r}", "input_tokens": 500,
              "output_tokens": 50} for r in range(90)]
    t = calibrate(worked, fc, usage(rows)).table().set_index("path")
    assert abs(t.loc["volume.growth_per_month", "fitted"] - 0.05) < 0.002
    # requests per user from February to June only (January starts on the 5th): mean of 2.1 … 2.55 requests/user
    assert abs(t.loc["volume.requests_per_user_per_month", "fitted"] - sum(round(200 * 1.05 ** m) for m in range(1, 6)) / 500) < 1e-9


def test_overlay_validates_and_simulates(root, test_catalog):
    a = load_assumptions(root)
    uc = a.use_cases["worked"]
    fc = bill_forecast(uc, simulate(uc, test_catalog, 4, 0), "2026-01-01")
    data_rows = synthetic(np.random.default_rng(5), months=3)
    cal = calibrate(uc, fc, data_rows)
    on = dt.date(2026, 4, 2)
    path = write_overlay(cal, a, on)
    assert path.name == "calibrated-worked-2026-04-02.yaml"
    data = yaml.safe_load(path.read_text())
    answer_rows = int(cal.table().set_index("path").loc["steps.answer.output_tokens", "rows"])
    assert data["provenance"]["worked.steps.answer.output_tokens"]["rows"] == answer_rows == int((data_rows["model"] == "test-frontier").sum())
    assert data["provenance"]["worked.steps.answer.output_tokens"]["window"].startswith("2026-01-01")
    ok, problems = validate_paths([root])
    assert not problems and any("calibrated-worked-2026-04-02" in line for line in ok)
    cal_uc = load_assumptions(root, [path.stem]).use_cases["worked"]
    assert abs(cal_uc.steps["answer"].output_tokens.median - 260) < 10
    assert abs(cal_uc.volume.requests_per_user_per_month.median - 4.0) < 0.2
    before = (root / "use_cases" / "worked.yaml").read_text()
    with pytest.raises(FinopsError, match="existing"):
        write_overlay(cal, a, on)
    assert (root / "use_cases" / "worked.yaml").read_text() == before
    assert overlay(cal, on)["name"] == path.stem


def test_calibrate_refuses_no_rows(worked, fc):
    with pytest.raises(FinopsError, match="no|none"):
        calibrate(worked, fc, usage([{"timestamp": "2026-01-01", "model": "x", "use_case": "other"}]))
    with pytest.raises(FinopsError, match="columns"):
        calibrate(worked, fc, pd.DataFrame({"timestamp": []}))
