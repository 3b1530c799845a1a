"""Self-hosted serving: fleet sizing at a latency target and the cost of a GPU fleet.

Pure, vectorised functions: arrays of trials (and months) in, arrays out, units in brackets.

The model follows the public TCO models of self-hosted LLM serving:

* cost per token of a fleet: ``$/1M tokens = GPU $/h × GPUs × 10⁶ / (3600 × tokens/s per GPU ×
  utilisation)`` (e.g. the worked examples of kshirol-dev *learnAI* "Inference infrastructure"
  and dreaming.press "Self-hosting LLM inference vs API cost", reproduced in the tests);
* throughput per GPU read from a measured serving curve at the per-user latency target (NVIDIA
  NIM LLM benchmarking tables: throughput rises with concurrency while inter-token latency and
  time to first token worsen);
* prefill and decode priced separately: a request costs ``uncached input / prefill rate + output
  / decode rate`` GPU-seconds, where the prefix-cache hit rate removes cached input from prefill;
* the fleet sized for peak load (peak-to-average ratio), a utilisation ceiling, N+1 replicas and
  a minimum number of replicas; committed capacity (reserved, owned) never shrinks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]

#: Hours in an average month (8,760 / 12) [hours/month].
HOURS_PER_MONTH = 730.0
#: Seconds in an average month [s/month].
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600.0


def _f(x: ArrayLike) -> Array:
    return np.asarray(x, dtype=float)


def cost_per_mtok(
    gpu_usd_per_hour: ArrayLike, tokens_per_s_per_gpu: ArrayLike, utilisation: ArrayLike = 1.0
) -> Array:
    """Cost of one million tokens served by a GPU fleet [USD/1M tokens].

    ``gpu_usd_per_hour × 10⁶ / (3600 × tokens_per_s_per_gpu × utilisation)`` — the number of GPUs
    cancels out when every GPU delivers the same throughput.

    Parameters
    ----------
    gpu_usd_per_hour : [USD/GPU-hour]
    tokens_per_s_per_gpu : [tokens/s/GPU] at full load
    utilisation : [fraction] share of the paid hours spent serving, in (0, 1]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return _f(gpu_usd_per_hour) * 1e6 / (3600.0 * _f(tokens_per_s_per_gpu) * _f(utilisation))


def monotone_curve(latency_ms: ArrayLike, tokens_per_s: ArrayLike) -> tuple[Array, Array]:
    """A serving curve made monotone for interpolation [ms], [tokens/s].

    Points are sorted by latency; throughput is made non-decreasing in latency (a looser latency
    target never gives less throughput) and duplicate latencies keep their best throughput.
    """
    lat = _f(latency_ms)
    tps = _f(tokens_per_s)
    order = np.argsort(lat, kind="stable")
    lat, tps = lat[order], np.maximum.accumulate(tps[order])
    keep = np.r_[lat[1:] != lat[:-1], True]
    return lat[keep], tps[keep]


def throughput_at_latency(latency_target_ms: ArrayLike, curve_latency_ms: ArrayLike, curve_tokens_per_s: ArrayLike) -> Array:
    """Throughput a serving curve delivers at a latency target [tokens/s].

    Linear interpolation of throughput against latency between measured points; beyond the
    loosest measured latency the curve is saturated (its maximum). A target tighter than the
    lowest measured latency cannot be met: the result is NaN.

    Parameters
    ----------
    latency_target_ms : [ms] per-user inter-token latency (or time to first token) target
    curve_latency_ms, curve_tokens_per_s : [ms], [tokens/s] measured points of one curve
    """
    lat, tps = monotone_curve(curve_latency_ms, curve_tokens_per_s)
    target = _f(latency_target_ms)
    out = np.interp(target, lat, tps)
    return np.where(target < lat[0], np.nan, out)


def decode_rate(
    output_tokens_per_s_per_gpu: ArrayLike,
    bench_input_tokens: ArrayLike,
    bench_output_tokens: ArrayLike,
    prefill_tokens_per_s_per_gpu: ArrayLike,
) -> Array:
    """Decode-only throughput per GPU, with the benchmark's prefill work taken out [tokens/s/GPU].

    A benchmark's output throughput ``T`` counts GPU time spent on its prompts too:
    ``1/T = 1/D + (input/output)/P``, so ``D = 1 / (1/T − (input/output)/P)``. The prefill share
    is capped at 90% of the GPU time so that an inconsistent prefill rate never gives an
    infinite decode rate.
    """
    t = _f(output_tokens_per_s_per_gpu)
    prefill_time = _f(bench_input_tokens) / _f(bench_output_tokens) / _f(prefill_tokens_per_s_per_gpu)
    decode_time = np.maximum(1.0 / t - prefill_time, 0.1 / t)
    return 1.0 / decode_time


def gpu_seconds_per_request(
    input_tokens: ArrayLike,
    output_tokens: ArrayLike,
    prefix_cache_hit_rate: ArrayLike,
    prefill_tokens_per_s_per_gpu: ArrayLike,
    decode_tokens_per_s_per_gpu: ArrayLike,
) -> Array:
    """GPU time one request takes at the latency target [GPU-s/request].

    ``input × (1 − hit rate) / prefill rate + output / decode rate``.

    Parameters
    ----------
    input_tokens, output_tokens : [tokens/request]
    prefix_cache_hit_rate : [fraction] of input tokens whose KV cache is reused
    prefill_tokens_per_s_per_gpu, decode_tokens_per_s_per_gpu : [tokens/s/GPU]
    """
    uncached = _f(input_tokens) * (1.0 - _f(prefix_cache_hit_rate))
    return uncached / _f(prefill_tokens_per_s_per_gpu) + _f(output_tokens) / _f(decode_tokens_per_s_per_gpu)


def gpus_required(
    peak_requests_per_s: ArrayLike,
    gpu_seconds_per_request: ArrayLike,
    max_utilisation: ArrayLike = 1.0,
    gpus_per_replica: ArrayLike = 1,
    redundant_replicas: ArrayLike = 1,
    min_replicas: ArrayLike = 1,
) -> Array:
    """GPUs of a fleet sized for the peak [GPUs].

    ``replicas = max(ceil(peak load / (GPUs per replica × max utilisation)) + redundant,
    min_replicas)`` where the peak load is ``peak requests/s × GPU-s/request`` [GPUs busy]; the
    fleet is ``replicas × GPUs per replica``. With no traffic (peak 0) the fleet is 0.

    Parameters
    ----------
    peak_requests_per_s : [requests/s] at the busiest hour
    gpu_seconds_per_request : [GPU-s/request]
    max_utilisation : [fraction] utilisation allowed at peak (headroom for bursts), in (0, 1]
    gpus_per_replica : [GPUs] tensor-parallel size of one model replica
    redundant_replicas : [replicas] spare replicas (1 for N+1)
    min_replicas : [replicas] floor (e.g. 2 for zone redundancy)
    """
    load = _f(peak_requests_per_s) * _f(gpu_seconds_per_request)
    per_replica = _f(gpus_per_replica)
    with np.errstate(divide="ignore", invalid="ignore"):
        needed = np.ceil(np.round(load / (per_replica * _f(max_utilisation)), 9))
    replicas = np.maximum(needed + _f(redundant_replicas), _f(min_replicas))
    return np.where(load > 0, replicas * per_replica, 0.0)


def committed_fleet(gpus_by_month: ArrayLike) -> Array:
    """Fleet of committed capacity (reserved or owned): it never shrinks [GPUs].

    The running maximum over months (last axis) of the GPUs needed.
    """
    return np.maximum.accumulate(_f(gpus_by_month), axis=-1)


def utilisation(average_load_gpus: ArrayLike, fleet_gpus: ArrayLike) -> Array:
    """Average utilisation of a fleet [fraction]: busy GPU-time over paid GPU-time (NaN if no fleet)."""
    fleet = _f(fleet_gpus)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(fleet > 0, _f(average_load_gpus) / fleet, np.nan)


def owned_cost_per_gpu_month(
    purchase_usd_per_gpu: ArrayLike,
    server_overhead: ArrayLike,
    amortisation_years: ArrayLike,
    power_kw_per_gpu: ArrayLike,
    pue: ArrayLike,
    usd_per_kwh: ArrayLike,
    colocation_usd_per_kw_month: ArrayLike = 0.0,
) -> dict[str, Array]:
    """Monthly cost of one owned GPU [USD/GPU-month], by term.

    * ``capex``: ``purchase × (1 + server overhead) / (12 × amortisation years)``;
    * ``power``: ``kW × PUE × 730 h × $/kWh`` (server draw at full load, cooling through PUE);
    * ``hosting``: colocation priced per kW of IT load ``kW × $/kW-month``;
    * ``total``.
    """
    capex = _f(purchase_usd_per_gpu) * (1.0 + _f(server_overhead)) / (12.0 * _f(amortisation_years))
    power = _f(power_kw_per_gpu) * _f(pue) * HOURS_PER_MONTH * _f(usd_per_kwh)
    hosting = _f(power_kw_per_gpu) * _f(colocation_usd_per_kw_month)
    return {"capex": capex, "power": power, "hosting": hosting, "total": capex + power + hosting}


def fine_tuning_cost_per_month(
    runs_per_year: ArrayLike,
    training_gpu_hours_per_run: ArrayLike,
    gpu_usd_per_hour: ArrayLike,
    data_preparation_hours_per_run: ArrayLike,
    labour_usd_per_hour: ArrayLike,
) -> Array:
    """Fine-tuning and re-training at a cadence, spread over months [USD/month].

    ``runs/year × (GPU-hours × $/GPU-hour + data-preparation hours × labour rate) / 12``.
    """
    per_run = _f(training_gpu_hours_per_run) * _f(gpu_usd_per_hour) + _f(data_preparation_hours_per_run) * _f(labour_usd_per_hour)
    return _f(runs_per_year) * per_run / 12.0


def price_decline_factor(decline_per_year: ArrayLike, months: int) -> Array:
    """Price multiplier of months 1 … ``months`` under a yearly decline [fraction].

    ``(1 − d)^((t − 1)/12)``: month 1 pays today's price. Shape ``(n, months)`` for ``(n,)``
    declines, ``(months,)`` for a scalar.
    """
    d = _f(decline_per_year)
    t = (np.arange(1, months + 1, dtype=float) - 1.0) / 12.0
    return (1.0 - d[..., None]) ** t if d.ndim else (1.0 - d) ** t


def break_even_month(cumulative_self_hosted: ArrayLike, cumulative_api: ArrayLike) -> Array:
    """First month whose cumulative self-hosted cost is at or below the API's [month].

    Months are numbered from 1 along the last axis; NaN where the curves never cross within the
    horizon. Both curves must include one-off costs.
    """
    cheaper = _f(cumulative_self_hosted) <= _f(cumulative_api)
    first = np.argmax(cheaper, axis=-1).astype(float) + 1.0
    return np.where(cheaper.any(axis=-1), first, np.nan)


def break_even_volume(volumes: ArrayLike, api_cost: ArrayLike, self_hosted_cost: ArrayLike) -> Array:
    """Smallest volume at which the API costs at least as much as self-hosting [volume unit].

    Parameters
    ----------
    volumes : (G,) increasing grid [tokens/month]
    api_cost, self_hosted_cost : (..., G) monthly cost at each volume [USD/month]

    The crossing is interpolated linearly between the two grid points that bracket it; NaN where
    the API stays cheaper over the whole grid, the first grid volume where it is never cheaper.
    """
    vol = _f(volumes)
    gap = _f(api_cost) - _f(self_hosted_cost)
    above = gap >= 0
    idx = np.argmax(above, axis=-1)
    found = above.any(axis=-1)
    prev = np.maximum(idx - 1, 0)
    g1 = np.take_along_axis(gap, idx[..., None], axis=-1)[..., 0]
    g0 = np.take_along_axis(gap, prev[..., None], axis=-1)[..., 0]
    v1, v0 = vol[idx], vol[prev]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where((idx > 0) & (g1 != g0), -g0 / (g1 - g0), 0.0)
    out = np.where(idx > 0, v0 + np.clip(frac, 0.0, 1.0) * (v1 - v0), vol[0])
    return np.where(found, out, np.nan)


HOURS_PER_DAY = 24.0


def two_level_day(peak_to_average: ArrayLike, hours_at_peak: ArrayLike) -> list[tuple[Array, Array]]:
    """A daily load shape of two levels: ``hours_at_peak`` hours at the peak, the rest of the
    day at the base load that keeps the day's average at 1 [× average load, hours/day].

    ``base = (24 − h × p) / (24 − h)``; hours at peak are capped at ``24 / p`` (base load 0).

    Returns
    -------
    list of (weight, hours)
        ``[(p, h), (base, 24 − h)]``, weights × average load [×] and hours per day [hours].
    """
    p = np.maximum(_f(peak_to_average), 1.0)
    h = np.clip(_f(hours_at_peak), 0.0, HOURS_PER_DAY / p)
    with np.errstate(divide="ignore", invalid="ignore"):
        base = np.where(h < HOURS_PER_DAY, (HOURS_PER_DAY - h * p) / (HOURS_PER_DAY - h), 1.0)
    return [(p, h), (np.maximum(base, 0.0), HOURS_PER_DAY - h)]


def hourly_day(hourly_weights: ArrayLike) -> list[tuple[Array, Array]]:
    """A daily load shape from 24 hourly weights, normalised to an average of 1 [×, hours/day]."""
    w = _f(hourly_weights)
    w = w / w.mean()
    return [(np.asarray(x), np.asarray(1.0)) for x in w]


def fleet_over_day(
    average_requests_per_s: ArrayLike,
    gpu_seconds_per_request: ArrayLike,
    day: list[tuple[ArrayLike, ArrayLike]],
    max_utilisation: ArrayLike = 1.0,
    gpus_per_replica: ArrayLike = 1,
    redundant_replicas: ArrayLike = 1,
    min_replicas: ArrayLike = 1,
) -> dict[str, Array]:
    """The fleet hour by hour over a daily load shape [GPUs].

    Each level of the day is sized by :func:`gpus_required` at ``average × weight``.

    Returns
    -------
    dict
        ``peak`` — the largest hourly fleet (what reserved or owned capacity must hold)
        [GPUs]; ``average`` — the node-hours an autoscaled, on-demand fleet runs, per hour of
        the day (Σ fleet × hours / 24) [GPUs].
    """
    avg = _f(average_requests_per_s)
    peak: Array | None = None
    total: Any = 0.0
    for weight, hours in day:
        g = gpus_required(avg * _f(weight), gpu_seconds_per_request, max_utilisation, gpus_per_replica, redundant_replicas, min_replicas)
        g = np.where(avg > 0, g, 0.0)
        peak = g if peak is None else np.maximum(peak, np.where(_f(hours) > 0, g, 0.0))
        total = total + g * _f(hours)
    assert peak is not None
    return {"peak": peak, "average": np.asarray(total / HOURS_PER_DAY, dtype=float)}
