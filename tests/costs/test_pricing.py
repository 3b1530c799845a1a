"""Tests of finops_model.pricing.call_cost against hand-computed prices of real models.

Prices are those of tests/data/catalog_small.yaml (copied from the LiteLLM catalog and
pydantic/genai-prices). Every expected value below is worked out by hand in the comment above it.
"""

from __future__ import annotations

import datetime as dt
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from finops_model.costs.pricing import (
    COMPONENTS,
    call_cost,
    call_cost_breakdown,
    effective_rates,
    reset_fallback_warnings,
    resolve_rates,
)
from finops_model.inputs.catalog import Catalog, ModelPrice, load_catalog

SMALL = Path(__file__).parents[1] / "data" / "catalog_small.yaml"


@pytest.fixture(autouse=True)
def _fresh_warnings() -> None:
    reset_fallback_warnings()


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog(SMALL)


# ---------------------------------------------------------------------------- hand-computed


def test_call_cost_gpt4o_cached(cat: Catalog) -> None:
    p = cat.price("gpt-4o", dt.date(2025, 1, 1))
    # 6,000 uncached × $2.50/M + 4,000 cached × $1.25/M + 500 out × $10/M
    # = 0.015 + 0.005 + 0.005
    assert_allclose(call_cost(p, 10_000, 500, cache_read_tokens=4_000), 0.025, rtol=1e-12)


def test_call_cost_gpt4o_history_launch_price(cat: Catalog) -> None:
    p = cat.price("gpt-4o", dt.date(2024, 6, 1))
    # 10,000 × $5/M + 500 × $15/M = 0.05 + 0.0075
    assert_allclose(call_cost(p, 10_000, 500), 0.0575, rtol=1e-12)


def test_call_cost_claude_cache_read_and_write(cat: Catalog) -> None:
    p = cat.price("claude-sonnet-4-5")
    # input 150,000 = 30,000 uncached × $3/M + 100,000 read × $0.30/M + 20,000 write × $3.75/M
    # output 2,000 × $15/M  →  0.09 + 0.03 + 0.075 + 0.03
    parts = call_cost_breakdown(
        p, 150_000, 2_000, cache_read_tokens=100_000, cache_write_tokens=20_000
    )
    assert_allclose(
        [parts[c] for c in COMPONENTS], [0.09, 0.03, 0.075, 0.03, 0.0], rtol=1e-12, atol=0
    )
    assert_allclose(parts["total"], 0.225, rtol=1e-12)


def test_call_cost_long_context_whole_request(cat: Catalog) -> None:
    p = cat.price("claude-sonnet-4-5")
    # prompt 250,000 > 200,000: every token at the long-context rates, not only the excess:
    # 130,000 × $6/M + 100,000 × $0.60/M + 20,000 × $7.50/M + 2,000 × $22.50/M
    # = 0.78 + 0.06 + 0.15 + 0.045
    cost = call_cost(p, 250_000, 2_000, cache_read_tokens=100_000, cache_write_tokens=20_000)
    assert_allclose(cost, 1.035, rtol=1e-12)


def test_call_cost_long_context_threshold_is_exclusive(cat: Catalog) -> None:
    p = cat.price("claude-sonnet-4-5")
    # 200,000 × $3/M + 1,000 × $15/M = 0.615 ; 200,001 × $6/M + 1,000 × $22.5/M = 1.222506
    assert_allclose(call_cost(p, [200_000, 200_001], 1_000), [0.615, 1.222506], rtol=1e-12)


def test_call_cost_long_context_elementwise(cat: Catalog) -> None:
    p = cat.price("gemini-2.5-pro")
    # 100,000 × $1.25/M + 1,000 × $10/M = 0.135 ; 300,000 × $2.50/M + 1,000 × $15/M = 0.765
    # cached: 300,000 with 100,000 cached → 200,000 × 2.5/M + 100,000 × 0.25/M + 1,000 × 15/M
    cost = call_cost(p, np.array([100_000, 300_000, 300_000]), 1_000, [0, 0, 100_000])
    assert_allclose(cost, [0.135, 0.765, 0.54], rtol=1e-12)


def test_call_cost_reasoning_rate_listed(cat: Catalog) -> None:
    p = cat.price("qwen-turbo")
    # 1,000 in × $0.05/M + 1,000 visible out × $0.20/M + 4,000 reasoning × $0.50/M
    parts = call_cost_breakdown(p, 1_000, 5_000, reasoning_tokens=4_000)
    assert_allclose(parts["reasoning"], 0.002, rtol=1e-12)
    assert_allclose(parts["total"], 0.00005 + 0.0002 + 0.002, rtol=1e-12)


def test_call_cost_reasoning_falls_back_to_output_rate(cat: Catalog) -> None:
    p = cat.price("o3", dt.date(2025, 7, 1))
    # reasoning billed as output: 10,000 × $2/M + 5,000 × $8/M (1,000 visible + 4,000 reasoning)
    parts = call_cost_breakdown(p, 10_000, 5_000, reasoning_tokens=4_000)
    assert_allclose(parts["reasoning"], 0.032, rtol=1e-12)
    assert_allclose(parts["output"], 0.008, rtol=1e-12)
    assert_allclose(parts["total"], 0.06, rtol=1e-12)


def test_call_cost_reasoning_not_billed_twice(cat: Catalog) -> None:
    p = cat.price("o3", dt.date(2025, 7, 1))
    assert_allclose(call_cost(p, 0, 5_000, reasoning_tokens=5_000), call_cost(p, 0, 5_000))


def test_call_cost_batch_listed_rates(cat: Catalog) -> None:
    p = cat.price("gpt-4o", dt.date(2025, 1, 1))
    # 10,000 × $1.25/M + 1,000 × $5/M
    assert_allclose(call_cost(p, 10_000, 1_000, batch=True), 0.0175, rtol=1e-12)
    # cached reads take the same fraction off (1.25 / 2.50): 0.625/M
    # 6,000 × 1.25/M + 4,000 × 0.625/M + 1,000 × 5/M = 0.0075 + 0.0025 + 0.005
    assert_allclose(call_cost(p, 10_000, 1_000, 4_000, batch=True), 0.015, rtol=1e-12)


def test_call_cost_batch_fallback_discount(cat: Catalog) -> None:
    p = cat.price("o3", dt.date(2025, 7, 1))
    # no batch rates listed → 50 %: 10,000 × $1/M + 1,000 × $4/M
    assert_allclose(call_cost(p, 10_000, 1_000, batch=True), 0.014, rtol=1e-12)
    # configurable: 20 % off → 10,000 × $1.6/M + 1,000 × $6.4/M
    assert_allclose(call_cost(p, 10_000, 1_000, batch=True, batch_discount=0.2), 0.0224, rtol=1e-12)
    # batch_discount is ignored when batch is False
    assert_allclose(call_cost(p, 10_000, 1_000, batch_discount=0.2), 0.028, rtol=1e-12)


def test_call_cost_batch_with_long_context(cat: Catalog) -> None:
    p = cat.price("claude-sonnet-4-5")
    # long tier and batch fallback: 250,000 × $3/M (6 × 0.5) + 1,000 × $11.25/M (22.5 × 0.5)
    assert_allclose(call_cost(p, 250_000, 1_000, batch=True), 0.76125, rtol=1e-12)


def test_call_cost_batch_elementwise(cat: Catalog) -> None:
    p = cat.price("gpt-4o", dt.date(2025, 1, 1))
    cost = call_cost(p, 10_000, 1_000, batch=np.array([False, True]))
    assert_allclose(cost, [0.035, 0.0175], rtol=1e-12)


def test_call_cost_missing_cache_price_warns_and_uses_input_rate(cat: Catalog) -> None:
    p = cat.price("meta.llama3-3-70b-instruct-v1:0")
    with pytest.warns(UserWarning, match="no cache read price listed"):
        cost = call_cost(p, 1_000, 100, cache_read_tokens=500)
    # never zero: all 1,000 prompt tokens at $0.72/M, + 100 × $0.72/M
    assert_allclose(cost, 0.000792, rtol=1e-12)


def test_call_cost_missing_cache_write_price_warns(cat: Catalog) -> None:
    p = cat.price("gpt-4o", dt.date(2025, 1, 1))
    with pytest.warns(UserWarning, match="no cache write price listed"):
        cost = call_cost(p, 1_000, 0, cache_write_tokens=1_000)
    assert_allclose(cost, 0.0025, rtol=1e-12)


def test_call_cost_missing_cache_price_warns_once_per_model(cat: Catalog) -> None:
    p = cat.price("meta.llama3-3-70b-instruct-v1:0")
    tokens = np.full(100_000, 1_000.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call_cost(p, tokens, 100, cache_read_tokens=tokens / 2)
        call_cost(p, tokens, 100, cache_read_tokens=tokens / 2)
    assert len([w for w in caught if "cache read" in str(w.message)]) == 1


def test_call_cost_no_warning_without_cache_tokens(cat: Catalog) -> None:
    p = cat.price("meta.llama3-3-70b-instruct-v1:0")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        call_cost(p, 1_000, 100)


def test_call_cost_discounted_price(tmp_path: Path) -> None:
    text = SMALL.read_text(encoding="utf-8").replace(
        "provider_discounts: {}", "provider_discounts: {openai: 0.2}"
    )
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    p = load_catalog(path).price("gpt-4o", dt.date(2025, 1, 1))
    assert_allclose(call_cost(p, 10_000, 500, cache_read_tokens=4_000), 0.025 * 0.8, rtol=1e-12)


# ---------------------------------------------------------------------------- shapes and errors


@pytest.mark.filterwarnings("ignore:qwen-turbo")
def test_call_cost_breakdown_sums_to_total(cat: Catalog) -> None:
    p = cat.price("qwen-turbo")
    parts = call_cost_breakdown(p, [1_000, 2_000], [500, 900], [100, 0], [0, 50], [200, 0])
    assert set(parts) == {*COMPONENTS, "total"}
    assert_allclose(sum(parts[c] for c in COMPONENTS), parts["total"], rtol=1e-15)


def test_call_cost_broadcasts(cat: Catalog) -> None:
    p = cat.price("gpt-4o", dt.date(2025, 1, 1))
    cost = call_cost(p, np.array([[1_000], [2_000], [3_000]]), np.array([0, 10, 20, 30]))
    assert cost.shape == (3, 4)
    assert_allclose(cost[2, 3], 3_000 * 2.5e-6 + 30 * 1e-5)


def test_call_cost_scalar_gives_zero_d_array(cat: Catalog) -> None:
    cost = call_cost(cat.price("gpt-4o"), 1, 1)
    assert isinstance(cost, np.ndarray) and cost.shape == () and cost.dtype == np.float64


def test_call_cost_fractional_expected_tokens(cat: Catalog) -> None:
    p = cat.price("gpt-4o", dt.date(2025, 1, 1))
    # expected values from a Monte Carlo model need not be whole numbers
    assert_allclose(call_cost(p, 1_000.5, 0.5), 1_000.5 * 2.5e-6 + 0.5 * 1e-5)


def test_call_cost_negative_tokens(cat: Catalog) -> None:
    p = cat.price("gpt-4o")
    with pytest.raises(ValueError, match=r"input_tokens: expected token counts ≥ 0, found -1"):
        call_cost(p, [10, -1], 5)
    with pytest.raises(ValueError, match="reasoning_tokens"):
        call_cost(p, 10, 5, reasoning_tokens=-3)


def test_call_cost_non_finite_tokens(cat: Catalog) -> None:
    with pytest.raises(ValueError, match="finite"):
        call_cost(cat.price("gpt-4o"), np.nan, 5)


def test_call_cost_cached_more_than_input(cat: Catalog) -> None:
    p = cat.price("claude-sonnet-4-5")
    with pytest.raises(ValueError, match=r"at most input_tokens .*found 1100 > 1000 at index 1$"):
        call_cost(p, [1_000, 1_000], 10, cache_read_tokens=[600, 600], cache_write_tokens=[0, 500])


def test_call_cost_reasoning_more_than_output(cat: Catalog) -> None:
    with pytest.raises(ValueError, match="reasoning_tokens: expected at most output_tokens"):
        call_cost(cat.price("o3"), 100, 10, reasoning_tokens=11)


def test_call_cost_bad_batch_discount(cat: Catalog) -> None:
    with pytest.raises(ValueError, match="batch_discount"):
        call_cost(cat.price("o3"), 100, 10, batch=True, batch_discount=1.0)


def test_call_cost_fast_at_one_million_elements(cat: Catalog) -> None:
    p = cat.price("claude-sonnet-4-5")
    rng = np.random.default_rng(0)
    inp = rng.integers(0, 400_000, 1_000_000).astype(float)
    cr = np.floor(inp * 0.3)
    out = rng.integers(0, 4_000, 1_000_000).astype(float)
    start = time.perf_counter()
    cost = call_cost(
        p,
        inp,
        out,
        cache_read_tokens=cr,
        cache_write_tokens=np.floor(inp * 0.1),
        reasoning_tokens=np.floor(out / 2),
        batch=rng.random(1_000_000) < 0.5,
    )
    elapsed = time.perf_counter() - start
    assert cost.shape == (1_000_000,)
    assert elapsed < 3.0, f"call_cost took {elapsed:.2f} s for 1e6 calls"


def test_effective_rates_long_context_and_batch(cat: Catalog) -> None:
    p = cat.price("gemini-2.5-pro")
    rates = effective_rates(p, [1_000, 300_000])
    assert_allclose(rates["input"], [1.25e-6, 2.5e-6])
    assert_allclose(rates["cache_read"], [0.125e-6, 0.25e-6])
    assert_allclose(rates["reasoning"], [10e-6, 15e-6])
    batch = effective_rates(p, 1_000, batch=True)
    assert_allclose(batch["output"], 5e-6)


def test_resolve_rates_fallbacks(cat: Catalog) -> None:
    rates, fallbacks = resolve_rates(cat.price("meta.llama3-3-70b-instruct-v1:0"))
    assert fallbacks == ["cache_read", "cache_write"]
    assert rates["cache_read"] == rates["input"] > 0


# ---------------------------------------------------------------------------- properties


def _all_prices() -> list[ModelPrice]:
    prices = []
    for catalog in (load_catalog(SMALL), load_catalog()):
        for mid, entry in catalog.models.items():
            for e in entry.prices:
                prices.append(catalog.price(mid, e.effective_date))
    return prices


PRICES = _all_prices()
TOKENS = st.integers(min_value=0, max_value=600_000)


@st.composite
def calls(draw: st.DrawFn) -> dict[str, int]:
    inp = draw(TOKENS)
    cr = draw(st.integers(0, inp))
    cw = draw(st.integers(0, inp - cr))
    out = draw(st.integers(0, 100_000))
    rs = draw(st.integers(0, out))
    return {
        "input_tokens": inp,
        "cache_read_tokens": cr,
        "cache_write_tokens": cw,
        "output_tokens": out,
        "reasoning_tokens": rs,
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    price=st.sampled_from(PRICES), call=calls(), batch=st.booleans(), discount=st.floats(0.0, 0.9)
)
def test_call_cost_property_never_negative(
    price: ModelPrice, call: dict[str, int], batch: bool, discount: float
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = call_cost_breakdown(price, batch=batch, batch_discount=discount, **call)
    for name, value in parts.items():
        assert value >= 0, name


# adding k tokens of one kind: cached/reasoning tokens are part of input/output
_ADD = {
    "input": ("input_tokens",),
    "cache_read": ("input_tokens", "cache_read_tokens"),
    "cache_write": ("input_tokens", "cache_write_tokens"),
    "output": ("output_tokens",),
    "reasoning": ("output_tokens", "reasoning_tokens"),
}


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    price=st.sampled_from(PRICES),
    call=calls(),
    kind=st.sampled_from(sorted(_ADD)),
    extra=st.integers(0, 300_000),
    batch=st.booleans(),
)
def test_call_cost_property_more_tokens_never_cost_less(
    price: ModelPrice, call: dict[str, int], kind: str, extra: int, batch: bool
) -> None:
    more = dict(call)
    for key in _ADD[kind]:
        more[key] += extra
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        before = float(call_cost(price, batch=batch, **call))
        after = float(call_cost(price, batch=batch, **more))
    assert after >= before * (1 - 1e-12), (kind, before, after)


@settings(max_examples=100, deadline=None)
@given(
    price=st.sampled_from([p for p in PRICES if p.long_context is not None]),
    out=st.integers(0, 50_000),
    cached=st.floats(0, 1),
    batch=st.booleans(),
)
def test_call_cost_property_crossing_threshold_never_cheaper(
    price: ModelPrice, out: int, cached: float, batch: bool
) -> None:
    assert price.long_context is not None
    t = price.long_context.threshold_tokens
    inp = np.array([t, t + 1])
    cr = np.floor(inp * cached * 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        below, above = call_cost(price, inp, out, cache_read_tokens=cr, batch=batch)
    assert above >= below
