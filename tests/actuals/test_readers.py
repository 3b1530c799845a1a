"""Readers of real bills and traces into the one usage table (fixtures: tests/data/actuals,
see its PROVENANCE.md). Expected values are computed by hand from the raw files, following the
OpenTelemetry GenAI rule: input includes cached tokens, output includes reasoning tokens."""

import json
from pathlib import Path

import pytest
from numpy.testing import assert_allclose

from finops_model.actuals.detect import load_usage
from finops_model.actuals.table import USAGE_COLUMNS
from finops_model.errors import FinopsError

DATA = Path(__file__).resolve().parents[1] / "data" / "actuals"


def _frame(rejects):
    return rejects.summary() if hasattr(rejects, "summary") else rejects


def _rows(rejects):
    frame = _frame(rejects)
    return int(frame["rows"].sum()) if len(frame) else 0


def test_every_reader_gives_the_agreed_columns():
    for path in [DATA / "openai" / "usage_completions_response.json", DATA / "otel" / "genai_simple_chat_span.otlp.json"]:
        df, _ = load_usage([path])
        assert set(USAGE_COLUMNS) <= set(df.columns)


def test_openai_cached_tokens_are_inside_input():
    raw = json.loads((DATA / "openai" / "usage_completions_response.json").read_text())
    result = raw["data"][0]["results"][0]
    df, rejects = load_usage([DATA / "openai" / "usage_completions_response.json"])
    assert len(df) == 1 and _rows(rejects) == 0
    r = df.iloc[0]
    assert r["input_tokens"] == result["input_tokens"] == 1000
    assert r["cache_read_tokens"] == result["input_cached_tokens"] == 400
    assert r["output_tokens"] == result["output_tokens"]
    assert r["requests"] == result["num_model_requests"]


def test_anthropic_input_is_uncached_plus_cache_read_plus_both_cache_writes():
    df, _ = load_usage([DATA / "anthropic" / "usage_report_messages_constructed.json"])
    sonnet = df[df["model"] == "claude-sonnet-4-20250514"].iloc[0]
    assert sonnet["input_tokens"] == 1500 + 200 + 500 + 1000
    assert sonnet["cache_read_tokens"] == 200
    assert sonnet["cache_write_tokens"] == 500 + 1000
    assert sonnet["output_tokens"] == 500


def test_anthropic_cost_report_amounts_are_cents():
    df, _ = load_usage([DATA / "anthropic" / "cost_report_constructed.json"])
    assert_allclose(sorted(df["billed_cost"].astype(float)), sorted([0.45, 7.50, 0.10]))


def test_litellm_spend_logs_keep_spend_and_tokens():
    df, rejects = load_usage([DATA / "litellm" / "spendlogs_rows_constructed.jsonl"])
    assert len(df) == 3 and _rows(rejects) == 0
    first = df.iloc[0]
    assert (first["model"], first["input_tokens"], first["output_tokens"]) == ("gpt-4o-mini", 1000, 300)
    assert_allclose(first["billed_cost"], 0.0021)


def test_a_row_without_a_timestamp_is_rejected_naming_the_column_never_dropped():
    df, rejects = load_usage([DATA / "litellm" / "spendlogs_row_docs_example.json"])
    assert len(df) == 0 and _rows(rejects) == 1
    assert "startTime" in " ".join(_frame(rejects)["column"].astype(str))


def test_otel_span_reasoning_inside_output_and_cache_inside_input():
    df, _ = load_usage([DATA / "otel" / "genai_cached_tokens_span_constructed.otlp.json"])
    r = df.iloc[0]
    assert (r["input_tokens"], r["cache_read_tokens"], r["output_tokens"], r["reasoning_tokens"]) == (1200, 1000, 300, 120)


def test_focus_every_row_is_kept_or_counted():
    files = sorted((DATA / "focus").glob("*.csv"))
    df, rejects = load_usage(files)
    import pandas as pd

    n_in = sum(len(pd.read_csv(f, low_memory=False)) for f in files)
    assert len(df) > 0
    assert len(df) + _rows(rejects) == n_in


def test_a_file_of_no_known_format_is_refused_naming_it(tmp_path):
    bad = tmp_path / "mystery.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(FinopsError, match="mystery.csv"):
        load_usage([bad])
