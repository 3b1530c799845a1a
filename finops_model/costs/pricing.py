"""Cost of model calls from token counts: vectorised, per the token accounting conventions.

Conventions (ARCHITECTURE §2; OpenTelemetry GenAI usage attributes and the LiteLLM catalog):

* ``input_tokens`` **includes** cache-read and cache-write tokens; ``output_tokens``
  **includes** reasoning tokens. No token is billed twice.
* Cache-read tokens at the cache-read rate, cache-write tokens at the cache-write rate, the rest
  of the input at the input rate. Reasoning tokens at the reasoning rate where the provider lists
  one, else at the output rate.
* A long-context tier switches the rates of the **whole request** when the prompt
  (``input_tokens``) exceeds the tier's threshold, elementwise. A rate the tier does not list is
  the base tier's rate for cache prices, and the tier's output rate for reasoning.
* Batch: the model's listed batch input/output rates; where none are listed, the list rates
  times ``1 - batch_discount`` (50 % by default). Cache and reasoning tokens get the same
  fraction off as input and output respectively (the listed batch/list ratio, else
  ``1 - batch_discount``); a long-context tier without its own batch rates likewise.
* A missing cache price falls back to the input rate, with a warning (never zero). The warning
  is given once per model and price entry, not once per element or per call.

Every function takes numpy arrays (or scalars) that broadcast together, one element per call or
per trial, and returns float64 arrays in USD. No Python loop runs over elements.

Reference: pydantic/genai-prices and BerriAI/litellm ``cost_calculator`` (same conventions).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from finops_model.inputs.catalog import (
    DEFAULT_BATCH_DISCOUNT,
    ModelPrice,
    check_discount,
    resolve_rates,
)

__all__ = [
    "COMPONENTS",
    "DEFAULT_BATCH_DISCOUNT",
    "call_cost",
    "call_cost_breakdown",
    "effective_rates",
    "reset_fallback_warnings",
    "resolve_rates",
]

#: Cost components, in the order of :func:`call_cost_breakdown`.
COMPONENTS = ("input", "cache_read", "cache_write", "output", "reasoning")

_warned: set[tuple[str, str, str]] = set()


def reset_fallback_warnings() -> None:
    """Forget which missing-cache-price warnings were given (they are given once per model)."""
    _warned.clear()


def _tokens(name: str, value: ArrayLike) -> NDArray[np.float64]:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected token counts (numbers), found {value!r}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"{name}: expected finite token counts, found {arr[~np.isfinite(arr)].flat[0]}"
        )
    if np.any(arr < 0):
        raise ValueError(f"{name}: expected token counts ≥ 0, found {arr.min():g}")
    return arr


def _first_bad(mask: NDArray[np.bool_]) -> str:
    if mask.ndim == 0:
        return ""
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(mask)), mask.shape))
    return f" at index {index[0] if len(index) == 1 else index}"


def _warn_fallbacks(price: ModelPrice, fallbacks: set[str], used: dict[str, bool]) -> None:
    for name in sorted(fallbacks):
        if not used.get(name):
            continue
        key = (price.model_id, str(price.effective_date), name)
        if key in _warned:
            continue
        _warned.add(key)
        warnings.warn(
            f"{price.model_id}: no {name.replace('_', ' ')} price listed (entry of "
            f"{price.effective_date}); {name.replace('_', '-')} tokens are billed at the input "
            "rate",
            UserWarning,
            stacklevel=4,
        )


def _prepare(
    price: ModelPrice,
    input_tokens: ArrayLike,
    output_tokens: ArrayLike,
    cache_read_tokens: ArrayLike,
    cache_write_tokens: ArrayLike,
    reasoning_tokens: ArrayLike,
    batch: ArrayLike,
    batch_discount: float,
) -> tuple[dict[str, NDArray[np.float64]], dict[str, NDArray[np.float64]]]:
    """Validated, broadcast token arrays and the rate arrays that apply to them."""
    inp, out, cr, cw, rs = np.broadcast_arrays(
        _tokens("input_tokens", input_tokens),
        _tokens("output_tokens", output_tokens),
        _tokens("cache_read_tokens", cache_read_tokens),
        _tokens("cache_write_tokens", cache_write_tokens),
        _tokens("reasoning_tokens", reasoning_tokens),
    )
    cached = cr + cw
    too_many = cached > inp * (1 + 1e-9) + 1e-9
    if np.any(too_many):
        raise ValueError(
            "cache_read_tokens + cache_write_tokens: expected at most input_tokens (input "
            f"includes cached tokens), found {cached[too_many].flat[0]:g} > "
            f"{inp[too_many].flat[0]:g}{_first_bad(too_many)}"
        )
    too_many = rs > out * (1 + 1e-9) + 1e-9
    if np.any(too_many):
        raise ValueError(
            "reasoning_tokens: expected at most output_tokens (output includes reasoning "
            f"tokens), found {rs[too_many].flat[0]:g} > {out[too_many].flat[0]:g}"
            f"{_first_bad(too_many)}"
        )
    batch_arr = np.asarray(batch, dtype=bool)
    check_discount(batch_discount)

    cases: dict[tuple[bool, bool], dict[str, float]] = {}
    fallbacks: set[str] = set()
    long_mask: NDArray[np.int_] | None = None  # the long-context tier of each call (0: base)
    if price.long_context_tiers:
        long_mask = sum((inp > t.threshold_tokens).astype(int) for t in price.long_context_tiers)
    long_options = [0] if long_mask is None else sorted({int(x) for x in np.unique(long_mask)})
    batch_options = sorted({bool(x) for x in np.unique(batch_arr)})
    for is_long in long_options or [False]:
        for is_batch in batch_options or [False]:
            rates, fb = resolve_rates(
                price, long_context=is_long, batch=is_batch, batch_discount=batch_discount
            )
            cases[(is_long, is_batch)] = rates
            fallbacks.update(fb)

    rate_arrays: dict[str, Any] = {}
    for comp in COMPONENTS:
        if len(cases) == 1:
            rate_arrays[comp] = next(iter(cases.values()))[comp]
            continue

        def pick(is_long: int, comp: str = comp) -> Any:
            no_b = cases.get((is_long, False), {}).get(comp)
            yes_b = cases.get((is_long, True), {}).get(comp)
            if no_b is None:
                return yes_b
            if yes_b is None:
                return no_b
            return np.where(batch_arr, yes_b, no_b)

        if long_mask is None or len(long_options) == 1:
            rate_arrays[comp] = pick(long_options[0] if long_options else 0)
        else:
            levels = range(max(long_options) + 1)
            rate_arrays[comp] = np.choose(long_mask, [pick(lv) if lv in long_options else 0.0 for lv in levels])

    tokens = {
        "input": np.maximum(inp - cached, 0.0),
        "cache_read": cr,
        "cache_write": cw,
        "output": np.maximum(out - rs, 0.0),
        "reasoning": rs,
    }
    _warn_fallbacks(
        price,
        fallbacks,
        {"cache_read": bool(np.any(cr > 0)), "cache_write": bool(np.any(cw > 0))},
    )
    return tokens, rate_arrays


def call_cost_breakdown(
    price: ModelPrice,
    input_tokens: ArrayLike,
    output_tokens: ArrayLike,
    cache_read_tokens: ArrayLike = 0,
    cache_write_tokens: ArrayLike = 0,
    reasoning_tokens: ArrayLike = 0,
    batch: ArrayLike = False,
    *,
    batch_discount: float = DEFAULT_BATCH_DISCOUNT,
) -> dict[str, NDArray[np.float64]]:
    """Cost of model calls, by component.

    Parameters
    ----------
    price : ModelPrice
        The model's price on the date of the calls (:meth:`Catalog.price`) [USD/token].
    input_tokens : array_like
        Prompt tokens per call, **including** cache-read and cache-write tokens [tokens/call].
    output_tokens : array_like
        Output tokens per call, **including** reasoning tokens [tokens/call].
    cache_read_tokens, cache_write_tokens : array_like, default 0
        Prompt tokens read from / written to the provider's prompt cache [tokens/call].
    reasoning_tokens : array_like, default 0
        Billed, invisible reasoning tokens [tokens/call].
    batch : bool or array_like of bool, default False
        Calls sent through the provider's batch API.
    batch_discount : float, default 0.5
        Fraction off list price for batch calls of models without listed batch rates [-].

    Returns
    -------
    dict of str to numpy.ndarray
        ``input`` (uncached input), ``cache_read``, ``cache_write``, ``output`` (visible output),
        ``reasoning`` and ``total`` [USD/call], each of the broadcast shape of the inputs.

    Raises
    ------
    ValueError
        Negative or non-finite token counts; ``cache_read + cache_write > input``;
        ``reasoning > output``; ``batch_discount`` outside [0, 1).

    Warns
    -----
    UserWarning
        Cache tokens for a model without a cache price (billed at the input rate); once per
        model and price entry.
    """
    tokens, rates = _prepare(
        price,
        input_tokens,
        output_tokens,
        cache_read_tokens,
        cache_write_tokens,
        reasoning_tokens,
        batch,
        batch_discount,
    )
    out: dict[str, NDArray[np.float64]] = {}
    total: Any = 0.0
    for comp in COMPONENTS:
        cost = np.asarray(tokens[comp] * rates[comp], dtype=np.float64)
        out[comp] = cost
        total = total + cost
    out["total"] = np.asarray(total, dtype=np.float64)
    return out


def call_cost(
    price: ModelPrice,
    input_tokens: ArrayLike,
    output_tokens: ArrayLike,
    cache_read_tokens: ArrayLike = 0,
    cache_write_tokens: ArrayLike = 0,
    reasoning_tokens: ArrayLike = 0,
    batch: ArrayLike = False,
    *,
    batch_discount: float = DEFAULT_BATCH_DISCOUNT,
) -> NDArray[np.float64]:
    """Cost of model calls [USD/call].

    Same parameters as :func:`call_cost_breakdown`; returns its ``total``.

    Examples
    --------
    gpt-4o at $2.50 / $1.25 (cached) / $10.00 per 1M tokens: 10,000 prompt tokens of which 4,000
    cached, 500 output tokens → 6,000 × 2.5e-6 + 4,000 × 1.25e-6 + 500 × 1e-5 = $0.025.
    """
    return call_cost_breakdown(
        price,
        input_tokens,
        output_tokens,
        cache_read_tokens,
        cache_write_tokens,
        reasoning_tokens,
        batch,
        batch_discount=batch_discount,
    )["total"]


def effective_rates(
    price: ModelPrice,
    input_tokens: ArrayLike,
    batch: ArrayLike = False,
    *,
    batch_discount: float = DEFAULT_BATCH_DISCOUNT,
) -> dict[str, NDArray[np.float64]]:
    """The per-token rates that apply to calls with these prompt sizes [USD/token].

    Parameters
    ----------
    price : ModelPrice
        [USD/token].
    input_tokens : array_like
        Prompt tokens per call; selects the long-context tier [tokens/call].
    batch : bool or array_like of bool
        Batch calls.
    batch_discount : float
        As in :func:`call_cost_breakdown` [-].

    Returns
    -------
    dict of str to numpy.ndarray
        ``input``, ``cache_read``, ``cache_write``, ``output``, ``reasoning`` [USD/token].
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, rates = _prepare(price, input_tokens, 0, 0, 0, 0, batch, batch_discount)
    shape = np.broadcast_shapes(np.shape(input_tokens), np.shape(batch))
    return {
        k: np.broadcast_to(np.asarray(v, dtype=np.float64), shape).copy() for k, v in rates.items()
    }
