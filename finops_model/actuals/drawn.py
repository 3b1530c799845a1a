"""A usage table drawn from a forecast trial: actuals whose truth is known.

For benchmarks, demonstrations and tests of calibration, variance and alerts: one row per day and
step (like a provider's daily usage bucket), the step's calls, tokens and cost of one trial of
the forecast with lognormal day-to-day noise, and optionally one planted anomaly (a prompt that
triples on one day) so that an alert fires. Rows are labelled ``source = "synthetic (drawn from
the forecast)"``.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from finops_model.actuals.burn import days_in_month
from finops_model.actuals.forecast import BillForecast, add_months, month_start
from finops_model.actuals.monthly import list_price_cost
from finops_model.inputs.schema import UseCase

SOURCE = "synthetic (drawn from the forecast)"


def draw_usage(uc: UseCase, fc: BillForecast, catalog, first: _dt.date, months: int = 12, trial: int = 0, sigma: float = 0.1,
               seed: int = 0, plant: _dt.date | None = None, last_day: _dt.date | None = None) -> pd.DataFrame:
    """Daily usage rows of ``uc`` for ``months`` calendar months from ``first`` (see module doc).

    Parameters
    ----------
    trial : int
        Forecast trial whose requests and per-call quantities are the truth.
    sigma : float [log-sd]
        Day-to-day noise of the calls.
    plant : date, optional
        Day whose first-step prompts are three times as long (an anomaly).
    last_day : date, optional
        Stop after this day (a month in progress).
    """
    rng = np.random.default_rng(seed)
    frames = []
    start = month_start(first)
    for k in range(months):
        i = fc.index(add_months(start, k))
        if i is None:
            break
        month = fc.months[i]
        d_total = days_in_month(month)
        days = [month.replace(day=d) for d in range(1, d_total + 1) if last_day is None or month.replace(day=d) <= last_day]
        if not days:
            break
        req_day = fc.requests[trial, i] / d_total
        noise = np.exp(sigma * rng.standard_normal(len(days)) - sigma ** 2 / 2)
        for j, (name, s) in enumerate(uc.steps.items()):
            st = fc.steps[name]
            pre = f"steps.{name}."
            cached = _draw(fc, pre + "cached_prompt_share", s.cached_prompt_share.median, trial)
            written = _draw(fc, pre + "cache_write_share", s.cache_write_share.median, trial)
            reasoning = _draw(fc, pre + "reasoning_tokens", s.reasoning_tokens.median, trial)
            calls = req_day * float(st["calls_per_request"][trial]) * noise
            inp = float(st["input_tokens_per_call"][trial]) * calls
            out = float(st["output_tokens_per_call"][trial]) * calls
            if plant is not None and j == 0:
                inp = np.where(np.array([d == plant for d in days]), inp * 3, inp)
            frames.append(pd.DataFrame({
                "timestamp": pd.to_datetime([f"{d.isoformat()}T12:00:00" for d in days], utc=True), "source": SOURCE,
                "source_file": "", "source_row": np.arange(len(days)), "provider": fc.step_models[name].split("-")[0],
                "model": s.model, "input_tokens": inp, "cache_read_tokens": inp * cached,
                "cache_write_tokens": inp * written, "output_tokens": out,
                "reasoning_tokens": np.minimum(out, calls * reasoning), "requests": calls,
                "request_id": None, "billed_cost": np.nan, "currency": "USD", "application": uc.id,
                "owner": uc.owners.team, "environment": uc.environment, "cost_center": uc.cost_center,
                "use_case": uc.id, "business_process": uc.business_process, "request_type": name,
            }))
    if not frames:
        return pd.DataFrame()
    usage = pd.concat(frames, ignore_index=True)
    # billed at the catalog list price of the rows (the usage table has no batch flag, so the
    # engine's blended batch and cache-write rates would read as a billing difference)
    usage["billed_cost"] = list_price_cost(usage, catalog)
    return usage


def _draw(fc: BillForecast, path: str, default: float, trial: int) -> float:
    """The trial's draw of an input (its median when the input was not sampled)."""
    a = np.asarray((fc.inputs or {}).get(path, default), float).reshape(-1)
    return float(a[trial] if a.size > 1 else a[0])
