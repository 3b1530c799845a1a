"""KPI summaries: statistics over defined trials, never NaN in a table."""

from __future__ import annotations

import json
import math

import numpy as np
from numpy.testing import assert_allclose

from finops_model.model.engine import evaluate, simulate
from finops_model.uncertainty.summary import (
    format_table,
    format_value,
    summarise,
    summarise_array,
    summary_json,
)


def test_summarise_array_ignores_undefined_trials():
    s = summarise_array(np.array([1.0, 2.0, 3.0, np.nan]))
    assert_allclose(s["mean"], 2.0)
    assert_allclose(s["defined_share"], 0.75)
    assert_allclose(s["mean_se"], 1.0 / math.sqrt(3))


def test_summarise_array_one_trial_has_an_undefined_mc_error():
    s = summarise_array(np.array([5.0, np.nan]))
    assert s["mean"] == 5.0 and s["mean_se"] is None


def test_summarise_one_trial_notes_the_undefined_mc_error(worked, test_catalog):
    df = summarise(simulate(worked, test_catalog, 1, 0)).set_index("kpi")
    assert df.loc["avg_monthly_cost", "mean_se"] is None
    assert "Monte Carlo error undefined" in df.loc["avg_monthly_cost", "note"]
    assert json.loads(json.dumps(summary_json(simulate(worked, test_catalog, 1, 0))))["kpis"]["npv"]["mean_se"] is None


def test_summarise_array_all_undefined_gives_none():
    s = summarise_array(np.array([np.nan, np.inf]))
    assert s["mean"] is None and s["p50"] is None and s["defined_share"] == 0.0


def test_format_value_units():
    assert format_value(0.1234, "fraction") == "12.3%"
    assert format_value(1_234_567, "USD") == "1.23M"
    assert format_value(12_345, "USD") == "12,345"
    assert format_value(None, "USD") == "—"
    assert format_value(float("nan"), "USD") == "—"


def test_summary_json_has_no_nan(worked, test_catalog):
    draws_result = simulate(worked, test_catalog, 50, 0)
    payload = summary_json(draws_result)
    text = json.dumps(payload, allow_nan=False)  # raises if a NaN slipped through
    assert payload["use_case"] == "worked" and '"avg_monthly_cost"' in text


def test_summarise_zero_outcomes_note_and_table(worked, test_catalog):
    from finops_model.inputs.assumptions import iter_uncertain

    draws = {k: np.array([q.median]) for k, q in iter_uncertain(worked)}
    draws["value.outcomes_per_request"] = np.array([0.0])
    r = evaluate(worked, draws, test_catalog)
    df = summarise(r).set_index("kpi")
    assert df.loc["cost_per_outcome", "note"] == "undefined: no outcomes"
    table = format_table(summarise(r))
    assert "nan" not in table.lower() and "undefined" in table
