"""Application logic: how many calls a request makes, and why.

A request runs a workflow of steps. A step runs on a share of requests, may fan out into
parallel calls (multi-agent), may loop as an agent (bounded by ``max_iterations``) calling
tools whose results feed back as input, and retries calls whose output is malformed.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]


def retry_multiplier(retry_rate: ArrayLike, max_retries: int) -> Array:
    """Expected attempts per call when malformed outputs are retried [attempts/call].

    Each attempt fails independently with probability r and is retried up to ``max_retries``
    times: ``E[attempts] = Σ_{k=0}^{R} r^k = (1 − r^{R+1}) / (1 − r)``.

    Parameters
    ----------
    retry_rate : [fraction]
        r, probability an attempt must be retried.
    max_retries : int [retries]
        R, cap on retries.
    """
    r = np.asarray(retry_rate, dtype=float)
    if max_retries < 0:
        raise ValueError(f"max_retries: expected an integer ≥ 0, found {max_retries}")
    out = np.ones_like(r)
    term = np.ones_like(r)
    for _ in range(max_retries):  # a handful of terms, not a loop over trials
        term = term * r
        out = out + term
    return out


def capped_iterations(iterations: ArrayLike, max_iterations: int) -> Array:
    """Agent iterations per request after the hard cap [iterations/request].

    At least one iteration runs; ``max_iterations`` bounds the loop.
    """
    if max_iterations < 1:
        raise ValueError(f"max_iterations: expected an integer ≥ 1, found {max_iterations}")
    return np.clip(np.asarray(iterations, dtype=float), 1.0, float(max_iterations))


def capped_tool_calls(tool_calls_per_iteration: ArrayLike, iterations: ArrayLike, max_tool_calls: float) -> Array:
    """Tool calls per iteration once a task's total is capped [tool calls/iteration].

    ``min(c, max / I)``: a task of I iterations makes at most ``max`` tool calls in all.
    """
    i = np.maximum(np.asarray(iterations, dtype=float), 1.0)
    return np.minimum(np.asarray(tool_calls_per_iteration, dtype=float), float(max_tool_calls) / i)


def average_tool_context(iterations: ArrayLike, tool_calls_per_iteration: ArrayLike, tool_result_tokens: ArrayLike) -> Array:
    """Average tool-result tokens carried into an agent iteration [tokens/call].

    Iteration i (1 … I) sees the results of the tool calls of the i − 1 iterations before it,
    so the average over the loop is ``c · s · (I − 1) / 2`` for c tool calls per iteration of
    s tokens each.
    """
    i = np.asarray(iterations, dtype=float)
    return np.asarray(tool_calls_per_iteration, dtype=float) * np.asarray(tool_result_tokens, dtype=float) * (i - 1.0) / 2.0


def calls_per_request(
    share_of_requests: ArrayLike,
    fan_out: ArrayLike = 1.0,
    iterations: ArrayLike = 1.0,
    retry_attempts: ArrayLike = 1.0,
) -> dict[str, Array]:
    """Model calls a step makes per request, split by cause [calls/request].

    ``total = share × fan_out × iterations × attempts``, decomposed sequentially:

    * ``base``: one call on the requests that run the step (``share``);
    * ``fan_out_and_loop``: the extra calls of parallel agents and loop iterations;
    * ``retries``: the extra attempts after malformed output.

    The three parts sum to ``total``.
    """
    share = np.asarray(share_of_requests, dtype=float)
    looped = share * np.asarray(fan_out, dtype=float) * np.asarray(iterations, dtype=float)
    total = looped * np.asarray(retry_attempts, dtype=float)
    base = share + 0.0 * total
    return {"base": base, "fan_out_and_loop": looped - share, "retries": total - looped, "total": total}
