"""Tests of finops_model.importers on a small LiteLLM fixture of our own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from finops_model.errors import CatalogError
from finops_model.inputs.catalog import load_catalog
from finops_model.inputs.importers import import_litellm, merge_into_catalog

DATA = Path(__file__).parents[1] / "data"
LITELLM = DATA / "litellm_small.json"
SMALL = DATA / "catalog_small.yaml"
DAY = dt.date(2026, 9, 1)


@pytest.fixture(scope="module")
def imported() -> dict:
    return import_litellm(LITELLM, effective_date=DAY)


def test_import_litellm_maps_token_prices(imported: dict) -> None:
    gpt = imported["models"]["gpt-4o"]
    (price,) = gpt["prices"]
    assert price["effective_date"] == DAY
    assert price["source"] == "LiteLLM model_prices_and_context_window.json, key 'gpt-4o'"
    assert price["input_per_mtok"] == 2.5
    assert price["output_per_mtok"] == 10.0
    assert price["cache_read_per_mtok"] == 1.25
    assert price["batch_input_per_mtok"] == 1.25
    assert price["batch_output_per_mtok"] == 5.0
    assert "cache_write_per_mtok" not in price  # not listed; priority prices are ignored
    assert gpt["provider"] == "openai"
    assert gpt["context_window"] == 128_000 and gpt["max_output_tokens"] == 16_384
    assert gpt["modality"] == "text+image"


def test_import_litellm_long_context_keys(imported: dict) -> None:
    (claude,) = imported["models"]["claude-sonnet-4-5"]["prices"]
    assert claude["cache_write_per_mtok"] == 3.75
    assert claude["long_context"] == {
        "threshold_tokens": 200_000,
        "input_per_mtok": 6.0,
        "output_per_mtok": 22.5,
        "cache_read_per_mtok": 0.6,
        "cache_write_per_mtok": 7.5,
    }
    (gpt54,) = imported["models"]["gpt-5.4"]["prices"]
    assert gpt54["long_context"]["threshold_tokens"] == 272_000
    assert gpt54["long_context"]["cache_read_per_mtok"] == 0.5


def test_import_litellm_tiered_pricing(imported: dict) -> None:
    (qwen,) = imported["models"]["dashscope/qwen-flash"]["prices"]
    assert (qwen["input_per_mtok"], qwen["output_per_mtok"]) == (0.05, 0.4)
    assert qwen["long_context"] == {
        "threshold_tokens": 256_000,
        "input_per_mtok": 0.25,
        "output_per_mtok": 2.0,
    }


def test_import_litellm_reasoning_provider_and_tiers(imported: dict) -> None:
    flash = imported["models"]["gemini/gemini-2.5-flash"]
    assert flash["provider"] == "google"
    assert flash["prices"][0]["reasoning_per_mtok"] == 2.5
    llama = imported["models"]["meta.llama4-maverick-17b-instruct-v1:0"]
    assert llama["provider"] == "bedrock"
    assert llama["prices"][0]["batch_output_per_mtok"] == 0.485
    assert imported["models"]["text-embedding-3-small"]["tier"] == "embedding"
    assert imported["models"]["gpt-5.4"]["tier"] == "frontier"
    assert imported["models"]["gpt-4o"]["tier"] == "mid"


def test_import_litellm_rerank_per_query(imported: dict) -> None:
    rerank = imported["models"]["rerank-v3.5"]
    assert rerank["tier"] == "rerank"
    assert rerank["prices"][0]["per_query"] == 0.002


def test_import_litellm_skips_and_counts(imported: dict) -> None:
    assert imported["skipped"] == {
        "not a model entry": 1,
        "mode not imported": 1,
        "no token prices": 1,
        "invalid": 2,
    }
    reasons = imported["skipped_models"]
    assert reasons["dall-e-3"] == "mode 'image_generation' not imported"
    assert reasons["meta_llama/Llama-3.3-70B-Instruct"] == "no token prices"
    assert "never make a call cheaper" in reasons["example/cheaper-above-128k"]
    assert "expected a number ≥ 0, found -1.0" in reasons["example/negative-price"]
    assert len(imported["models"]) == 8


def test_import_litellm_filters(imported: dict) -> None:
    only = import_litellm(LITELLM, effective_date="2026-09-01", providers=["openai"])
    assert set(only["models"]) == {"gpt-4o", "gpt-5.4", "text-embedding-3-small"}
    assert only["skipped"]["filtered out"] == 8
    by_catalog_name = import_litellm(LITELLM, effective_date=DAY, providers=["google", "bedrock"])
    assert set(by_catalog_name["models"]) == {
        "gemini/gemini-2.5-flash",
        "meta.llama4-maverick-17b-instruct-v1:0",
    }
    globbed = import_litellm(LITELLM, effective_date=DAY, models=["gpt-*", "rerank-v3.5"])
    assert set(globbed["models"]) == {"gpt-4o", "gpt-5.4", "rerank-v3.5"}


def test_import_litellm_imported_entries_validate(imported: dict, tmp_path: Path) -> None:
    data = {"catalog_version": "x", "currency": "USD", "models": imported["models"]}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    cat = load_catalog(path)
    assert cat.price("gpt-5.4", DAY).long_context is not None


def test_import_litellm_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="expected a date"):
        import_litellm(LITELLM, effective_date="yesterday")
    with pytest.raises(CatalogError, match="expected a file"):
        import_litellm(tmp_path / "nope.json", effective_date=DAY)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CatalogError, match="invalid JSON"):
        import_litellm(bad, effective_date=DAY)
    bad.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(CatalogError, match="JSON object"):
        import_litellm(bad, effective_date=DAY)


# ---------------------------------------------------------------------------- merge


def _catalog_copy(tmp_path: Path) -> Path:
    path = tmp_path / "models.yaml"
    path.write_text(SMALL.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_merge_into_catalog_appends_and_keeps_history(imported: dict, tmp_path: Path) -> None:
    src = _catalog_copy(tmp_path)
    before = src.read_text(encoding="utf-8")
    # a new price for gpt-4o, so that something is appended
    changed = import_litellm(LITELLM, effective_date=DAY, models=["gpt-4o", "claude-sonnet-4-5"])
    changed["models"]["gpt-4o"]["prices"][0]["input_per_mtok"] = 2.0
    out = tmp_path / "merged.yaml"
    report = merge_into_catalog(src, changed, out)
    assert report["appended"] == ["gpt-4o"]
    assert report["unchanged"] == ["claude-sonnet-4-5"]  # same price as in effect: no new entry
    assert report["written"] is True
    assert src.read_text(encoding="utf-8") == before  # input untouched
    cat = load_catalog(out)
    hist = cat.history("gpt-4o")
    assert list(hist["input_per_mtok"]) == [5.0, 2.5, 2.0]
    assert cat.price("gpt-4o", dt.date(2025, 1, 1)).input_usd_per_token == pytest.approx(2.5e-6)
    assert cat.price("gpt-4o", DAY).input_usd_per_token == pytest.approx(2.0e-6)
    assert len(cat.history("claude-sonnet-4-5")) == 1


def test_merge_into_catalog_keeps_user_fields_and_adds_models(
    imported: dict, tmp_path: Path
) -> None:
    src = _catalog_copy(tmp_path)
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    data["models"]["gpt-4o"]["tier"] = "frontier"  # the user's own judgement
    data["models"]["gpt-4o"]["description"] = "our default model"
    src.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    out = tmp_path / "merged.yaml"
    report = merge_into_catalog(src, imported, out)
    assert "gpt-5.4" in report["added"] and "rerank-v3.5" not in report["added"]
    cat = load_catalog(out)
    assert cat.tier("gpt-4o") == "frontier"
    assert cat.models["gpt-4o"].description == "our default model"
    assert cat.tier("gpt-5.4") == "frontier"
    assert set(cat.model_ids) >= set(load_catalog(SMALL).model_ids)


def test_merge_into_catalog_matches_aliases(tmp_path: Path) -> None:
    src = _catalog_copy(tmp_path)
    new = import_litellm(LITELLM, effective_date=DAY, models=["claude-sonnet-4-5"])
    entry = new["models"].pop("claude-sonnet-4-5")
    entry["prices"][0]["input_per_mtok"] = 2.5
    new["models"]["claude-sonnet-4-5-20250929"] = entry  # an alias in the catalog
    report = merge_into_catalog(src, new, tmp_path / "out.yaml")
    assert report["appended"] == ["claude-sonnet-4-5"]
    assert report["added"] == []


def test_merge_into_catalog_same_date_conflict_keeps_user_entry(tmp_path: Path) -> None:
    src = _catalog_copy(tmp_path)
    new = import_litellm(LITELLM, effective_date="2024-10-02", models=["gpt-4o"])
    new["models"]["gpt-4o"]["prices"][0]["output_per_mtok"] = 99.0
    report = merge_into_catalog(src, new, tmp_path / "out.yaml")
    assert report["conflicts"] == ["gpt-4o"]
    assert load_catalog(tmp_path / "out.yaml").price(
        "gpt-4o"
    ).output_usd_per_token == pytest.approx(1e-5)


def test_merge_into_catalog_refuses_to_overwrite_different_file(
    imported: dict, tmp_path: Path
) -> None:
    src = _catalog_copy(tmp_path)
    out = tmp_path / "merged.yaml"
    out.write_text("# something else\n", encoding="utf-8")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        merge_into_catalog(src, imported, out)
    assert out.read_text(encoding="utf-8") == "# something else\n"
    report = merge_into_catalog(src, imported, out, overwrite=True)
    assert report["written"] is True
    again = merge_into_catalog(src, imported, out)  # identical result: nothing to do
    assert again["written"] is False
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_merge_into_catalog_in_place_with_overwrite(tmp_path: Path) -> None:
    src = _catalog_copy(tmp_path)
    new = import_litellm(LITELLM, effective_date=DAY, models=["gpt-4o"])
    new["models"]["gpt-4o"]["prices"][0]["input_per_mtok"] = 2.0
    with pytest.raises(FileExistsError):
        merge_into_catalog(src, new, src)
    merge_into_catalog(src, new, src, overwrite=True)
    assert len(load_catalog(src).history("gpt-4o")) == 3


def test_merge_into_catalog_invalid_input_catalog(imported: dict, tmp_path: Path) -> None:
    src = tmp_path / "bad.yaml"
    src.write_text(
        "catalog_version: '1'\ncurrency: USD\nmodels: {x: {provider: a}}\n", encoding="utf-8"
    )
    with pytest.raises(CatalogError):
        merge_into_catalog(src, imported, tmp_path / "out.yaml")
    assert not (tmp_path / "out.yaml").exists()


def test_merge_into_catalog_never_writes_invalid_result(tmp_path: Path) -> None:
    src = _catalog_copy(tmp_path)
    new = import_litellm(LITELLM, effective_date=DAY, models=["gpt-4o"])
    new["models"]["gpt-4o"]["prices"][0]["input_per_mtok"] = -1.0
    with pytest.raises(CatalogError, match="expected a number ≥ 0"):
        merge_into_catalog(src, new, tmp_path / "out.yaml")
    assert not (tmp_path / "out.yaml").exists()
