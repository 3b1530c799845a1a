"""Model interaction: the tokens of one call and what they cost.

Token accounting follows the OpenTelemetry GenAI conventions (ARCHITECTURE §2): input tokens
include cache-read and cache-write tokens; output tokens include reasoning tokens.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from finops_model.costs.pricing import call_cost
from finops_model.inputs.catalog import ModelPrice

Array = NDArray[np.float64]


def average_history_tokens(turns: ArrayLike, tokens_per_turn: ArrayLike, cap: ArrayLike = np.inf) -> Array:
    """Average conversation history carried by a call over a conversation [tokens/call].

    The call at turn ``t`` (1 … T) carries the ``(t − 1) · k`` tokens of the earlier turns,
    trimmed to ``cap``. Treating turns as continuous, the average over the conversation is

    * ``k (T − 1) / 2`` when ``k (T − 1) ≤ cap``;
    * ``cap − cap² / (2 k (T − 1))`` otherwise (the ramp up to the cap, then flat).

    Parameters
    ----------
    turns : [turns/conversation]
        T (values below 1 count as 1).
    tokens_per_turn : [tokens/turn]
        k, user and assistant tokens added per turn.
    cap : [tokens/call]
        Most history a call may carry (context budget left after the rest of the prompt).
    """
    span = np.maximum(np.asarray(turns, dtype=float) - 1.0, 0.0)
    k = np.asarray(tokens_per_turn, dtype=float)
    c = np.maximum(np.asarray(cap, dtype=float), 0.0)  # [tokens/call], as an array
    full = k * span
    with np.errstate(all="ignore"):  # the capped branch is only used where full > cap
        capped = c - c**2 / (2.0 * full)
    return np.where(full <= c, full / 2.0, capped)


def input_tokens_per_call(
    system_prompt_tokens: ArrayLike,
    user_prompt_tokens: ArrayLike,
    extra_context_tokens: ArrayLike = 0.0,
    retrieved_tokens: ArrayLike = 0.0,
    multimodal_tokens: ArrayLike = 0.0,
    tool_result_tokens: ArrayLike = 0.0,
    history_turns: ArrayLike = 1.0,
    history_tokens_per_turn: ArrayLike = 0.0,
    context_budget_tokens: ArrayLike = np.inf,
    context_window_tokens: ArrayLike = np.inf,
) -> dict[str, Array]:
    """Input tokens of one call, by part [tokens/call].

    The prompt is system + user + extra context + retrieved chunks + multimodal inputs + tool
    results, plus the conversation history. The history is trimmed first to fit the context
    budget; if the rest alone exceeds the budget (or the model's context window) the whole
    prompt is truncated to it.

    Returns
    -------
    dict with ``base`` (everything but history), ``history``, ``total``, each [tokens/call].
    """
    base = (
        np.asarray(system_prompt_tokens, dtype=float)
        + np.asarray(user_prompt_tokens, dtype=float)
        + np.asarray(extra_context_tokens, dtype=float)
        + np.asarray(retrieved_tokens, dtype=float)
        + np.asarray(multimodal_tokens, dtype=float)
        + np.asarray(tool_result_tokens, dtype=float)
    )
    limit = np.minimum(np.asarray(context_budget_tokens, dtype=float), np.asarray(context_window_tokens, dtype=float))
    history = average_history_tokens(history_turns, history_tokens_per_turn, np.maximum(limit - base, 0.0))
    total = np.minimum(base + history, limit)
    return {"base": np.minimum(base, limit), "history": history, "total": total}


def blended_call_cost(
    price: ModelPrice,
    input_tokens: ArrayLike,
    output_tokens: ArrayLike,
    cached_share: ArrayLike = 0.0,
    cache_write_share: ArrayLike = 0.0,
    reasoning_tokens: ArrayLike = 0.0,
    batch_share: ArrayLike = 0.0,
    batch_discount: ArrayLike = 0.5,
    price_per_image: ArrayLike = 0.0,
    images_per_call: ArrayLike = 0.0,
    list_price_share: ArrayLike = 1.0,
) -> Array:
    """Expected cost of one call when a share of calls goes through the batch API [USD/call].

    ``(1 − b) · cost(online) + b · cost(batch)`` with every rate from
    :func:`finops_model.pricing.call_cost`; cache reads and writes are shares of the input
    tokens; ``output_tokens`` is the visible output and ``reasoning_tokens`` are added to it
    (they are billed as output, at the reasoning rate where one exists). Per-image prices are
    added on top.

    Parameters
    ----------
    price : ModelPrice
    input_tokens : [tokens/call]
    output_tokens : [tokens/call] visible output
    cached_share, cache_write_share : [fraction] of input tokens
    reasoning_tokens : [tokens/call]
    batch_share : [fraction] of calls
    batch_discount : [fraction] used where the model lists no batch rate; a constant or one
        value per trial
    price_per_image : [USD/image]
    images_per_call : [images/call]
    list_price_share : [fraction] of the catalog's token rates paid, per trial (``1 − d`` for an
        uncertain negotiated discount ``d``; a constant discount is already in ``price``)

    A batch call's cost is affine in the batch discount (every rate without a listed batch rate
    is multiplied by ``1 − d``, listed batch rates do not move), so for a discount drawn per
    trial it is ``cost(0) + d · (cost(½) − cost(0)) / ½`` — exact, two evaluations whatever the
    number of trials.
    """
    inp = np.asarray(input_tokens, dtype=float)
    reasoning = np.asarray(reasoning_tokens, dtype=float)
    out = np.asarray(output_tokens, dtype=float) + reasoning
    read = inp * np.asarray(cached_share, dtype=float)
    write = np.minimum(inp * np.asarray(cache_write_share, dtype=float), inp - read)
    b = np.asarray(batch_share, dtype=float)
    d = np.asarray(batch_discount, dtype=float)
    online = call_cost(price, inp, out, read, write, reasoning, batch=False)
    if np.any(b > 0):
        if d.ndim == 0:
            batched = call_cost(price, inp, out, read, write, reasoning, batch=True, batch_discount=float(d))
        else:  # one discount per trial: the batch cost is affine in it
            at0 = call_cost(price, inp, out, read, write, reasoning, batch=True, batch_discount=0.0)
            at_half = call_cost(price, inp, out, read, write, reasoning, batch=True, batch_discount=0.5)
            batched = at0 + d * ((at_half - at0) / 0.5)
        cost = online + b * (batched - online)
    else:
        cost = online
    share = np.asarray(list_price_share, dtype=float)
    if share.ndim or share != 1.0:
        cost = cost * share
    return cost + np.asarray(price_per_image, dtype=float) * np.asarray(images_per_call, dtype=float)
