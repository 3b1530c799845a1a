"""Tests of finops_model.catalog: loading, validation errors, lookups, history, discounts."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml
from numpy.testing import assert_allclose

from finops_model.errors import AssumptionError, CatalogError
from finops_model.inputs.catalog import TIERS, Catalog, ModelPrice, load_catalog
from finops_model.util import paths

DATA = Path(__file__).parents[1] / "data"
SMALL = DATA / "catalog_small.yaml"


@pytest.fixture(scope="module")
def small() -> Catalog:
    return load_catalog(SMALL)


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    return load_catalog()


def _raw() -> dict:
    return yaml.safe_load(SMALL.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict | str, name: str = "catalog.yaml") -> Path:
    path = tmp_path / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def _problems(tmp_path: Path, data: dict | str) -> list:
    path = _write(tmp_path, data)
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    assert isinstance(info.value, AssumptionError)
    return info.value.problems


# ---------------------------------------------------------------------------- shipped catalog


def test_load_catalog_default_path_is_under_project_root() -> None:
    assert (
        paths.DEFAULT_MODEL_CATALOG
        == paths.PROJECT_ROOT / "assumptions" / "catalog" / "models.yaml"
    )
    assert paths.ASSUMPTIONS_DIR == paths.PROJECT_ROOT / "assumptions"
    assert (paths.PROJECT_ROOT / "finops_model" / "util" / "paths.py").is_file()


def test_load_catalog_shipped_file_loads(shipped: Catalog) -> None:
    assert shipped.currency == "USD"
    assert len(shipped.model_ids) >= 30
    assert shipped.file == str(paths.DEFAULT_MODEL_CATALOG)


def test_load_catalog_shipped_every_price_has_source_and_date(shipped: Catalog) -> None:
    for mid, entry in shipped.models.items():
        assert entry.prices, mid
        for price in entry.prices:
            assert isinstance(price.effective_date, dt.date), mid
            assert price.source.strip(), mid
            assert price.effective_date <= dt.date(2026, 8, 21), mid  # reference snapshots


def test_load_catalog_shipped_tiers_valid_and_all_used(shipped: Catalog) -> None:
    used = {shipped.tier(m) for m in shipped.model_ids}
    assert used <= set(TIERS)
    assert used == set(TIERS)


def test_load_catalog_shipped_covers_main_providers(shipped: Catalog) -> None:
    providers = set(shipped.providers)
    for name in ("openai", "anthropic", "google", "mistral", "deepseek", "cohere", "voyage"):
        assert name in providers
    assert {"together_ai", "groq", "bedrock"} <= providers
    assert any(e.open_weights for e in shipped.models.values())
    for mid in (
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "o3",
        "o4-mini",
        "gpt-5",
        "claude-haiku-4-5",
        "gemini-2.5-pro",
        "gemini-2.5-flash",
        "gemini-2.5-flash-lite",
        "deepseek-chat",
        "deepseek-reasoner",
        "text-embedding-3-small",
        "text-embedding-3-large",
        "rerank-v3.5",
    ):
        assert mid in shipped.model_ids, mid


def test_load_catalog_shipped_has_price_history(shipped: Catalog) -> None:
    with_history = [m for m, e in shipped.models.items() if len(e.prices) >= 2]
    assert len(with_history) >= 2
    assert_allclose(shipped.price("gpt-4o", dt.date(2024, 6, 1)).input_usd_per_token, 5e-6)
    assert_allclose(shipped.price("gpt-4o", dt.date(2024, 11, 1)).input_usd_per_token, 2.5e-6)
    assert_allclose(shipped.price("o3", dt.date(2025, 5, 1)).output_usd_per_token, 40e-6)
    assert_allclose(shipped.price("o3", dt.date(2025, 6, 10)).output_usd_per_token, 8e-6)


def test_load_catalog_shipped_spot_prices(shipped: Catalog) -> None:
    pro = shipped.price("gemini-2.5-pro")
    assert pro.long_context is not None and pro.long_context.threshold_tokens == 200_000
    assert_allclose(pro.long_context.input_usd_per_token, 2.5e-6)
    haiku = shipped.price("claude-haiku-4-5")
    assert_allclose(
        [
            haiku.input_usd_per_token,
            haiku.cache_read_usd_per_token,
            haiku.cache_write_usd_per_token,
        ],
        [1e-6, 0.1e-6, 1.25e-6],
    )
    assert shipped.price("rerank-v3.5").per_query_usd == 0.002
    assert shipped.tier("text-embedding-3-small") == "embedding"


# ---------------------------------------------------------------------------- lookups


def test_catalog_price_latest_on_or_before_date(small: Catalog) -> None:
    assert small.price("gpt-4o", dt.date(2024, 5, 13)).effective_date == dt.date(2024, 5, 13)
    assert small.price("gpt-4o", dt.date(2024, 10, 1)).input_usd_per_token == pytest.approx(5e-6)
    assert small.price("gpt-4o", dt.date(2024, 10, 2)).input_usd_per_token == pytest.approx(2.5e-6)
    assert small.price("gpt-4o", "2030-01-01").effective_date == dt.date(2024, 10, 2)
    assert small.price("gpt-4o").effective_date == dt.date(2024, 10, 2)  # today


def test_catalog_price_is_per_token_usd(small: Catalog) -> None:
    p = small.price("claude-sonnet-4-5")
    assert isinstance(p, ModelPrice)
    assert_allclose(
        [
            p.input_usd_per_token,
            p.output_usd_per_token,
            p.cache_read_usd_per_token,
            p.cache_write_usd_per_token,
        ],
        [3e-6, 15e-6, 0.3e-6, 3.75e-6],
    )
    assert p.reasoning_usd_per_token is None
    assert p.long_context is not None
    assert_allclose(p.long_context.output_usd_per_token, 22.5e-6)
    assert p.per_mtok()["input"] == 3.0
    assert p.provider == "anthropic" and p.tier == "mid"
    assert p.context_window == 1_000_000


def test_catalog_price_alias_and_case_resolve(small: Catalog) -> None:
    assert small.price("claude-sonnet-4-5-20250929").model_id == "claude-sonnet-4-5"
    assert small.price("GPT-4o").model_id == "gpt-4o"
    assert small.provider("gemini/gemini-2.5-pro") == "google"
    assert small.tier("o3") == "reasoning"


def test_catalog_price_unknown_model_did_you_mean(small: Catalog) -> None:
    with pytest.raises(CatalogError) as info:
        small.price("gpt4o")
    (problem,) = info.value.problems
    assert problem.file == str(SMALL)
    assert problem.path == "models"
    assert "found 'gpt4o'" in problem.message
    assert "did you mean 'gpt-4o'?" in problem.message


def test_catalog_price_date_before_first_price(small: Catalog) -> None:
    with pytest.raises(CatalogError) as info:
        small.price("gpt-4o", dt.date(2024, 1, 1))
    (problem,) = info.value.problems
    assert problem.path == "models.gpt-4o.prices"
    assert problem.message == (
        "expected a date on or after the first price of 'gpt-4o' (2024-05-13), found 2024-01-01"
    )


def test_catalog_price_bad_date_text(small: Catalog) -> None:
    with pytest.raises(CatalogError, match="expected a date"):
        small.price("gpt-4o", "2024-13-45")


def test_catalog_model_ids_in_file_order(small: Catalog) -> None:
    assert small.model_ids[:3] == ["gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"]


def test_catalog_history_dataframe(small: Catalog) -> None:
    hist = small.history("gpt-4o")
    assert isinstance(hist, pd.DataFrame)
    assert list(hist["effective_date"]) == [dt.date(2024, 5, 13), dt.date(2024, 10, 2)]
    assert list(hist["input_per_mtok"]) == [5.0, 2.5]
    assert hist["cache_read_per_mtok"].isna().tolist() == [True, False]
    for col in (
        "source",
        "output_per_mtok",
        "batch_input_per_mtok",
        "long_context_threshold_tokens",
    ):
        assert col in hist.columns
    lc = small.history("gemini-2.5-pro")
    assert lc.loc[0, "long_context_threshold_tokens"] == 200_000


def test_catalog_history_sorted_even_if_file_is_not(tmp_path: Path) -> None:
    data = _raw()
    data["models"]["gpt-4o"]["prices"].reverse()
    cat = load_catalog(_write(tmp_path, data))
    assert list(cat.history("gpt-4o")["input_per_mtok"]) == [5.0, 2.5]
    assert cat.price("gpt-4o", dt.date(2024, 6, 1)).input_usd_per_token == pytest.approx(5e-6)


def test_catalog_is_frozen(small: Catalog) -> None:
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError
        small.currency = "EUR"  # type: ignore[misc]
    price = small.price("gpt-4o")
    with pytest.raises(dataclasses.FrozenInstanceError):
        price.input_usd_per_token = 0.0  # type: ignore[misc]


# ---------------------------------------------------------------------------- discounts


def test_catalog_price_provider_discount_applies(tmp_path: Path) -> None:
    data = _raw()
    data["provider_discounts"] = {
        "openai": 0.1,
        "anthropic": {"discount": 0.25, "note": "EA 2026"},
    }
    cat = load_catalog(_write(tmp_path, data))
    p = cat.price("gpt-4o")
    assert p.discount == pytest.approx(0.1)
    assert_allclose(
        [p.input_usd_per_token, p.cache_read_usd_per_token, p.batch_output_usd_per_token],
        [2.25e-6, 1.125e-6, 4.5e-6],
    )
    list_price = cat.price("gpt-4o", apply_discount=False)
    assert list_price.discount == 0.0 and list_price.input_usd_per_token == pytest.approx(2.5e-6)
    s = cat.price("claude-sonnet-4-5")
    assert s.long_context is not None
    assert_allclose(s.long_context.input_usd_per_token, 4.5e-6)
    assert cat.provider_discounts["anthropic"].note == "EA 2026"
    assert cat.discount("google") == 0.0
    assert cat.price("gemini-2.5-pro").discount == 0.0


def test_catalog_price_provider_discounts_may_be_empty(tmp_path: Path) -> None:
    data = _raw()
    data["provider_discounts"] = None
    assert load_catalog(_write(tmp_path, data)).provider_discounts == {}


def test_load_catalog_discount_for_unknown_provider(tmp_path: Path) -> None:
    data = _raw()
    data["provider_discounts"] = {"opnai": 0.1}
    (problem,) = _problems(tmp_path, data)
    assert problem.path == "provider_discounts.opnai"
    assert "did you mean 'openai'?" in problem.message


def test_load_catalog_discount_out_of_range(tmp_path: Path) -> None:
    data = _raw()
    data["provider_discounts"] = {"openai": 1.5}
    (problem,) = _problems(tmp_path, data)
    assert problem.path == "provider_discounts.openai.discount"
    assert problem.message == "expected a number < 1, found 1.5"


def test_model_price_rejects_negative_rate() -> None:
    with pytest.raises(ValueError, match="input_usd_per_token: expected a finite number ≥ 0"):
        ModelPrice("m", "p", "mid", dt.date(2026, 1, 1), "s", -1e-6, 1e-6)


def test_model_price_with_discount_rejects_bad_fraction(small: Catalog) -> None:
    with pytest.raises(ValueError, match="discount"):
        small.price("gpt-4o").with_discount(1.0)


# ---------------------------------------------------------------------------- bad input


def test_load_catalog_unknown_field_did_you_mean(tmp_path: Path) -> None:
    data = _raw()
    entry = data["models"]["gpt-4o"]["prices"][1]
    entry["cache_reed_per_mtok"] = entry.pop("cache_read_per_mtok")
    (problem,) = _problems(tmp_path, data)
    assert problem.path == "models.gpt-4o.prices.1.cache_reed_per_mtok"
    assert problem.message == (
        "unknown field 'cache_reed_per_mtok' (did you mean 'cache_read_per_mtok'?)"
    )


def test_load_catalog_unknown_model_field_did_you_mean(tmp_path: Path) -> None:
    data = _raw()
    data["models"]["o3"]["teir"] = data["models"]["o3"].pop("tier")
    messages = {p.path: p.message for p in _problems(tmp_path, data)}
    assert messages["models.o3.tier"] == "expected a value, found nothing"
    assert "did you mean 'tier'?" in messages["models.o3.teir"]


def test_load_catalog_wrong_type(tmp_path: Path) -> None:
    data = _raw()
    data["models"]["o3"]["prices"][0]["input_per_mtok"] = "ten dollars"
    data["models"]["o3"]["context_window"] = "200k"
    data["models"]["o3"]["open_weights"] = "no"
    messages = {p.path: p.message for p in _problems(tmp_path, data)}
    assert messages["models.o3.prices.0.input_per_mtok"] == "expected a number, found 'ten dollars'"
    assert messages["models.o3.context_window"] == "expected a whole number, found '200k'"
    assert messages["models.o3.open_weights"] == "expected true or false, found 'no'"


def test_load_catalog_negative_price(tmp_path: Path) -> None:
    data = _raw()
    data["models"]["gpt-4o"]["prices"][0]["input_per_mtok"] = -1
    (problem,) = _problems(tmp_path, data)
    assert str(problem) == (
        f"{tmp_path / 'catalog.yaml'}: models.gpt-4o.prices.0.input_per_mtok: "
        "expected a number ≥ 0, found -1"
    )


def test_load_catalog_non_finite_price(tmp_path: Path) -> None:
    text = SMALL.read_text(encoding="utf-8").replace("per_query: 0.002", "per_query: .inf")
    (problem,) = _problems(tmp_path, text)
    assert problem.path == "models.rerank-v3.5.prices.0.per_query"
    assert problem.message == "expected a finite number, found inf"


def test_load_catalog_missing_source_and_bad_date(tmp_path: Path) -> None:
    data = _raw()
    del data["models"]["o3"]["prices"][0]["source"]
    data["models"]["o3"]["prices"][1]["effective_date"] = "June 2025"
    messages = {p.path: p.message for p in _problems(tmp_path, data)}
    assert messages["models.o3.prices.0.source"] == "expected a value, found nothing"
    assert messages["models.o3.prices.1.effective_date"] == (
        "expected a date (YYYY-MM-DD), found 'June 2025'"
    )


def test_load_catalog_blank_source(tmp_path: Path) -> None:
    data = _raw()
    data["models"]["o3"]["prices"][0]["source"] = "   "
    (problem,) = _problems(tmp_path, data)
    assert problem.path == "models.o3.prices.0.source"


def test_load_catalog_invalid_tier_did_you_mean(tmp_path: Path) -> None:
    data = _raw()
    data["models"]["o3"]["tier"] = "reasonning"
    (problem,) = _problems(tmp_path, data)
    assert problem.path == "models.o3.tier"
    assert problem.message.endswith("found 'reasonning' (did you mean 'reasoning'?)")


def test_load_catalog_duplicate_effective_date(tmp_path: Path) -> None:
    data = _raw()
    data["models"]["o3"]["prices"][1]["effective_date"] = "2025-04-16"
    (problem,) = _problems(tmp_path, data)
    assert problem.path == "models.o3.prices.1.effective_date"
    assert "2025-04-16 again (first at prices.0)" in problem.message


def test_load_catalog_long_context_cheaper_than_base(tmp_path: Path) -> None:
    data = _raw()
    data["models"]["gemini-2.5-pro"]["prices"][0]["long_context"]["output_per_mtok"] = 9.0
    (problem,) = _problems(tmp_path, data)
    assert problem.path == "models.gemini-2.5-pro.prices.0.long_context.output_per_mtok"
    assert "never make a call cheaper" in problem.message
    assert "(10 USD/1M tokens), found 9" in problem.message


def test_load_catalog_long_context_cache_below_base_input_fallback(tmp_path: Path) -> None:
    # base has no cache-write price (falls back to input 1.25) but the tier lists 0.25
    data = _raw()
    data["models"]["gemini-2.5-pro"]["prices"][0]["long_context"]["cache_write_per_mtok"] = 0.25
    (problem,) = _problems(tmp_path, data)
    assert problem.path == "models.gemini-2.5-pro.prices.0.long_context.cache_write_per_mtok"


def test_load_catalog_alias_clash(tmp_path: Path) -> None:
    data = _raw()
    data["models"]["o3"]["aliases"] = ["gpt-4o"]
    (problem,) = _problems(tmp_path, data)
    assert problem.path == "models.o3.aliases.0"
    assert "already names 'gpt-4o'" in problem.message


def test_load_catalog_wrong_currency_and_empty_models(tmp_path: Path) -> None:
    data = _raw()
    data["currency"] = "EUR"
    data["models"] = {}
    messages = {p.path: p.message for p in _problems(tmp_path, data)}
    assert messages["currency"] == "expected one of 'USD', found 'EUR'"
    assert messages["models"] == "expected at least 1 item, found 0"


def test_load_catalog_malformed_yaml(tmp_path: Path) -> None:
    text = "catalog_version: '1'\ncurrency: USD\nmodels:\n  gpt-4o: {provider: openai\n"
    (problem,) = _problems(tmp_path, text)
    assert problem.file == str(tmp_path / "catalog.yaml")
    assert "malformed YAML" in problem.message
    assert "line" in problem.message


def test_load_catalog_duplicate_yaml_key(tmp_path: Path) -> None:
    text = SMALL.read_text(encoding="utf-8") + "  o3:\n    provider: openai\n"
    (problem,) = _problems(tmp_path, text)
    assert "duplicate key" in problem.message


def test_load_catalog_top_level_not_a_mapping(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, "- a\n- b\n")
    assert problem.message == "expected a mapping at the top level, found a list of 2 items"


def test_load_catalog_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="expected a file"):
        load_catalog(tmp_path / "nope.yaml")


def test_load_catalog_reports_all_problems_at_once(tmp_path: Path) -> None:
    data = _raw()
    data["models"]["gpt-4o"]["prices"][0]["input_per_mtok"] = -5
    data["models"]["o3"]["tier"] = "huge"
    data["catalog_versoin"] = "x"
    assert len(_problems(tmp_path, data)) == 3
