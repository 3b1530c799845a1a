"""Importers of the public price catalogs: every long-context tier, multi-range entries, odd
fields, comment-keeping merges, price history and the ``finops catalog`` command."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from finops_model.cli.main import main
from finops_model.costs.pricing import call_cost
from finops_model.inputs.catalog import catalog_from_data, load_catalog
from finops_model.inputs.importers import import_genai_prices, import_litellm, merge_into_catalog

DATA = Path(__file__).resolve().parents[1] / "data" / "catalog_import"


@pytest.fixture()
def litellm() -> dict:
    return import_litellm(DATA / "litellm_tiers.json", effective_date="2026-08-01")


def _catalog(models: dict):
    return catalog_from_data({"catalog_version": "t", "currency": "USD", "models": models})


def test_three_range_model_keeps_every_tier(litellm):
    entry = litellm["models"]["dashscope/qwen3-coder-flash"]
    tiers = entry["prices"][0]["long_context"]
    assert [t["threshold_tokens"] for t in tiers] == [32_000, 128_000, 256_000]
    price = _catalog({"q": entry}).price("q")
    # whole request at the highest tier crossed, by hand:
    # 20k in:  20,000 × 0.3/M + 1,000 × 1.5/M = 0.0075
    # 150k in: 150,000 × 0.8/M + 1,000 × 4.0/M = 0.124   (the 128k tier, not the first)
    # 300k in: 300,000 × 1.6/M + 1,000 × 9.6/M = 0.4896
    assert_allclose(call_cost(price, np.array([20_000, 150_000, 300_000]), 1_000), [0.0075, 0.124, 0.4896], rtol=1e-12)


def test_three_range_without_cache_rates(litellm):
    tiers = litellm["models"]["dashscope/qwen3-max-preview"]["prices"][0]["long_context"]
    assert [(t["threshold_tokens"], t["input_per_mtok"]) for t in tiers] == [(32_000, 2.4), (128_000, 3.0)]


def test_gemini_pro_imported_dropping_the_odd_field(litellm):
    entry = litellm["models"]["gemini-2.5-pro"]
    lc = entry["prices"][0]["long_context"]
    assert lc == {"threshold_tokens": 200_000, "input_per_mtok": 2.5, "output_per_mtok": 15.0, "cache_read_per_mtok": 0.25}
    assert "cache_creation_input_token_cost_above_200k_tokens" in litellm["notes"]["gemini-2.5-pro"]
    price = _catalog({"g": entry}).price("g")
    assert_allclose(call_cost(price, 250_000, 1_000), 250_000 * 2.5e-6 + 1_000 * 15e-6, rtol=1e-12)


def test_catalog_refuses_a_higher_tier_cheaper_than_the_one_below():
    from finops_model.errors import CatalogError

    entry = {"provider": "x", "tier": "mid", "prices": [{"effective_date": "2026-01-01", "source": "t", "input_per_mtok": 1, "output_per_mtok": 2,
             "long_context": [{"threshold_tokens": 1000, "input_per_mtok": 3, "output_per_mtok": 4},
                              {"threshold_tokens": 5000, "input_per_mtok": 2, "output_per_mtok": 4}]}]}
    with pytest.raises(CatalogError, match=r"long_context\.1\.input_per_mtok.*tier 0"):
        _catalog({"m": entry})


def test_merge_keeps_comments_and_history_and_adds_only_changes(litellm, tmp_path):
    src = tmp_path / "models.yaml"
    shutil.copy(DATA / "models_commented.yaml", src)
    report = merge_into_catalog(src, litellm, src, overwrite=True)
    text = src.read_text()
    assert "# A small catalog with comments: the importer must keep them." in text
    assert "provider: google      # a comment the merge keeps" in text
    assert 'source: "hand-written test entry"' in text and "max_output_tokens: null" in text
    assert report["changed"] == ["gemini-2.5-pro"]  # its cache-read rate is new: a new dated entry
    assert sorted(report["added"]) == ["dashscope/qwen3-coder-flash", "dashscope/qwen3-max-preview", "gpt-4o"]
    cat = load_catalog(src)
    assert [p.effective_date for p in cat.entry("gemini-2.5-pro").sorted_prices()] == [dt.date(2025, 6, 17), dt.date(2026, 8, 1)]
    again = merge_into_catalog(src, litellm, src, overwrite=True)
    assert again["written"] is False and again["changed"] == [] and "gemini-2.5-pro" in again["unchanged"]


def test_genai_prices_history_prices_a_call_at_any_date(tmp_path):
    imported = import_genai_prices(DATA / "genai_prices_small.json", effective_date="2026-08-21")
    assert "deepseek-chat" in imported["notes"] and "time-of-day" in imported["notes"]["deepseek-chat"]
    src = tmp_path / "models.yaml"
    shutil.copy(DATA / "models_commented.yaml", src)
    merge_into_catalog(src, imported, src, overwrite=True)
    cat = load_catalog(src)
    dates = [p.effective_date for p in cat.entry("claude-sonnet-4-6").sorted_prices()]
    # the hand entry, the undated genai price (the day before its dated change), the change
    assert dates == [dt.date(2026, 1, 1), dt.date(2026, 3, 12), dt.date(2026, 3, 13)]
    call = (300_000, 1_000)
    assert_allclose(call_cost(cat.price("claude-sonnet-4-6", on=dt.date(2026, 2, 1)), *call), 300_000 * 3e-6 + 1_000 * 15e-6)
    assert_allclose(call_cost(cat.price("claude-sonnet-4-6", on=dt.date(2026, 3, 12)), *call), 300_000 * 6e-6 + 1_000 * 22.5e-6)
    assert_allclose(call_cost(cat.price("claude-sonnet-4-6", on=dt.date(2026, 4, 1)), *call), 300_000 * 3e-6 + 1_000 * 15e-6)


def test_cli_catalog_import_litellm_reports_and_writes(tmp_path, capsys):
    (tmp_path / "catalog").mkdir()
    shutil.copy(DATA / "models_commented.yaml", tmp_path / "catalog" / "models.yaml")
    argv = ["catalog", "import-litellm", str(DATA / "litellm_tiers.json"), "--date", "2026-08-01", "--assumptions", str(tmp_path)]
    assert main([*argv, "--dry-run"]) == 0
    assert "dry run" in capsys.readouterr().out
    assert "gpt-4o" not in (tmp_path / "catalog" / "models.yaml").read_text()
    assert main([*argv, "--models", "gpt-4o", "gemini-*"]) == 0
    out = capsys.readouterr().out
    assert "added 1 models, changed 1" in out and "kept gemini-2.5-pro, dropped" in out
    assert "gpt-4o" in (tmp_path / "catalog" / "models.yaml").read_text()


def test_cli_catalog_bad_file_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "catalog").mkdir()
    shutil.copy(DATA / "models_commented.yaml", tmp_path / "catalog" / "models.yaml")
    assert main(["catalog", "import-genai-prices", str(tmp_path / "nope.json"), "--assumptions", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "nope.json" in err and "Traceback" not in err
