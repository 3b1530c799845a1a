"""Calibration: fit a use case's uncertain inputs from its actuals and write them as a scenario
overlay (``assumptions/scenarios/calibrated-<id>-<date>.yaml``) — the hand-written use case is
never touched.

Rows of the usage table are matched to the use case's steps by ``request_type`` (a step name, or
``<step>:retry`` for a retried call), else by model when exactly one step uses it; rows of a
model shared by several steps without a ``request_type`` are reported as ``unmatched`` and fit
nothing. Fitted per step, pooled over the data window:

* tokens per call: input [tokens/call] (the prompt components of the step are scaled by
  fitted ÷ forecast mean, keeping their assumed relative spread), visible output and reasoning;
* the prompt-cache read and write shares [fraction] (cache tokens ÷ input tokens);
* the retry rate [fraction], where retried calls are tagged ``<step>:retry`` (solved from
  calls ÷ first attempts = ``retry_multiplier(rate, max_retries)``);
* calls per request from span trees (rows sharing a ``request_id``): an agent step's loop
  iterations, another step's share of requests.

And per use case: requests per active user per month (requests ÷ the forecast's median active
users of each month) and volume growth (the log-linear trend of that ratio added to the assumed
growth, over at least three months past the median adoption ramp), both from whole months only
(a first month whose data start after the 1st, or a last month in progress, is left out). Requests are distinct ``request_id`` values, else model calls ÷ the forecast's calls per
request.

Each fitted value is written as a range ``"p5 to p95"`` of its monthly values (widened to at
least ±``MIN_SPREAD`` around the pooled value), and flagged *contradicted* when the median of its
monthly values lies outside the assumed 90% range (widened by ``MIN_SPREAD`` so that a point
assumption is not contradicted by sampling noise alone).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import optimize

from finops_model.actuals.burn import days_in_month
from finops_model.actuals.forecast import BillForecast, month_start
from finops_model.actuals.monthly import check_columns, period
from finops_model.costs.orchestration import retry_multiplier
from finops_model.errors import FinopsError
from finops_model.inputs.assumptions import (
    apply_scenario,
    build_use_case,
    get_path,
    validate_scenario,
)
from finops_model.inputs.distributions import Uncertain
from finops_model.inputs.schema import UseCase
from finops_model.util.io import write_atomic

#: Smallest half-width of a fitted range, relative to the pooled value [fraction].
MIN_SPREAD = 0.02
#: Share of its growth-only trend the median active users must reach for a month to count as
#: past the adoption ramp in the growth fit [fraction].
SATURATED = 0.97
#: Prompt components scaled to the fitted input tokens per call.
PROMPT_PARTS = ("system_prompt_tokens", "user_prompt_tokens", "extra_context_tokens", "history.tokens_per_turn")
#: Columns of the fit table.
FIT_COLUMNS = ["use_case", "path", "step", "quantity", "unit", "assumed_p5", "assumed_p50", "assumed_p95", "fitted",
               "actual_median", "contradicted", "rows", "window", "source", "override"]


def match_steps(uc: UseCase, usage: pd.DataFrame) -> pd.Series:
    """Step of each usage row (``None`` when it cannot be told), and whether it is a retry."""
    by_model: dict[str, list[str]] = {}
    for name, s in uc.steps.items():
        by_model.setdefault(s.model, []).append(name)
    rt = usage["request_type"].astype("string").fillna("")
    base = rt.str.removesuffix(":retry")
    named = base.where(base.isin(list(uc.steps)))
    unique = usage["model"].map(lambda m: by_model[m][0] if len(by_model.get(m, [])) == 1 else None)
    out = named.astype(object).where(named.notna(), unique)
    return out.astype(object).where(out.notna(), None)


@dataclass(frozen=True)
class Fit:
    """One fitted input of a use case (a row of :meth:`Calibration.table`)."""

    path: str
    step: str | None
    quantity: str
    unit: str
    assumed: tuple[float, float, float]
    fitted: float
    monthly: tuple[float, ...]
    rows: int
    override: Any
    fraction: bool = False

    @property
    def actual_median(self) -> float:
        return float(np.median(self.monthly)) if self.monthly else self.fitted

    @property
    def contradicted(self) -> bool:
        lo, _, hi = self.assumed
        return not (lo - MIN_SPREAD * abs(lo) <= self.actual_median <= hi + MIN_SPREAD * abs(hi))


@dataclass(frozen=True)
class Calibration:
    """Everything fitted for one use case."""

    use_case: str
    window: tuple[str, str]
    rows: int
    source: str
    fits: tuple[Fit, ...]
    unmatched_rows: int

    @property
    def overrides(self) -> dict[str, Any]:
        """Scenario overrides, ``<id>.<field.path>`` → value."""
        out: dict[str, Any] = {}
        for f in self.fits:
            if isinstance(f.override, Mapping):
                out.update({f"{self.use_case}.{k}": v for k, v in f.override.items()})
            elif f.override is not None:
                out[f"{self.use_case}.{f.path}"] = f.override
        return out

    def table(self) -> pd.DataFrame:
        """Fitted beside assumed, one row per fitted quantity."""
        rows = [{
            "use_case": self.use_case, "path": f.path, "step": f.step, "quantity": f.quantity, "unit": f.unit,
            "assumed_p5": f.assumed[0], "assumed_p50": f.assumed[1], "assumed_p95": f.assumed[2], "fitted": f.fitted,
            "actual_median": f.actual_median, "contradicted": f.contradicted, "rows": f.rows,
            "window": "/".join(self.window), "source": self.source, "override": f.override,
        } for f in self.fits]
        return pd.DataFrame(rows, columns=FIT_COLUMNS)

    def provenance(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for f in self.fits:
            keys = list(f.override) if isinstance(f.override, Mapping) else [f.path] if f.override is not None else []
            for k in keys:
                out[f"{self.use_case}.{k}"] = {
                    "window": "/".join(self.window), "rows": f.rows, "source": self.source, "fitted": float(f.fitted),
                    "assumed": f"{f.quantity}: p5 {f.assumed[0]:.4g}, p50 {f.assumed[1]:.4g}, p95 {f.assumed[2]:.4g}",
                    "contradicted": bool(f.contradicted),
                }
        return out


def _round(x: float) -> float:
    return float(f"{x:.4g}")


def range_text(pooled: float, monthly: np.ndarray | list[float], fraction: bool = False) -> Any:
    """``"a to b"``: p5–p95 of the monthly values, at least ±MIN_SPREAD around ``pooled``."""
    m = np.asarray(monthly, float)
    lo, hi = (np.percentile(m, [5, 95]) if m.size else (pooled, pooled))
    lo = min(lo, pooled * (1 - MIN_SPREAD))
    hi = max(hi, pooled * (1 + MIN_SPREAD))
    if fraction:
        lo, hi = max(lo, 1e-4), min(hi, 0.9999)
        if pooled <= 0:
            return 0
    if pooled <= 0 and not fraction:
        return 0
    return f"{_round(lo)} to {_round(hi)}"


def _scaled_text(q: Uncertain, k: float) -> Any:
    if q.is_constant:
        return _round(q.median * k)
    lo, hi = q.quantile(0.05) * k, q.quantile(0.95) * k
    return f"{_round(lo)} to {_round(hi)}" if hi > lo else _round(q.median * k)


def _assumed(q: Uncertain) -> tuple[float, float, float]:
    return (q.quantile(0.05), q.median, q.quantile(0.95))


def _band(x: np.ndarray) -> tuple[float, float, float]:
    a = np.asarray(x, float)
    return tuple(float(v) for v in np.percentile(a, [5, 50, 95]))  # type: ignore[return-value]


def _ratio_by_month(num: pd.Series, den: pd.Series) -> list[float]:
    d = den.reindex(num.index)
    ok = d > 0
    return [float(v) for v in (num[ok] / d[ok]).to_numpy()]


def calibrate(uc: UseCase, fc: BillForecast, usage: pd.DataFrame) -> Calibration:
    """Fit the uncertain inputs of ``uc`` from its rows of the usage table (module docstring).

    Parameters
    ----------
    uc : UseCase
    fc : BillForecast
        The forecast of the hand-written use case (its months line up the actuals).
    usage : DataFrame
        The usage table (all use cases; the rows with ``use_case == uc.id`` are used).
    """
    check_columns(usage)
    u = usage[usage["use_case"] == uc.id]
    if u.empty:
        raise FinopsError(f"calibrate {uc.id}: expected usage rows attributed to this use case, found none")
    u = u.assign(step=match_steps(uc, u), month=period(u["timestamp"], "month"),
                 retry=u["request_type"].astype("string").fillna("").str.endswith(":retry"),
                 calls=u["requests"].astype(float))
    window = (u["timestamp"].min().isoformat(), u["timestamp"].max().isoformat())
    source = ", ".join(sorted({str(s) for s in u["source"].dropna().unique()})) or "usage table"
    fits: list[Fit] = []

    # ---- requests per month
    t0, t1 = u["timestamp"].min(), u["timestamp"].max()
    complete = set(u["month"].unique())
    if t0.day > 1:  # the data start after the 1st: the first month is partial
        complete.discard(month_start(t0))
    if t1.day < days_in_month(month_start(t1)):  # a month in progress
        complete.discard(month_start(t1))
    has_ids = u["request_id"].notna().mean() >= 0.5
    if has_ids:
        req_m = u.groupby("month")["request_id"].nunique().astype(float)
    else:
        f_calls = {m: sum(float(np.mean(c[:, i])) for c in fc.model_calls.values()) for i, m in enumerate(fc.months)}
        f_req = {m: float(np.mean(fc.requests[:, i])) for i, m in enumerate(fc.months)}
        calls_m = u.groupby("month")["calls"].sum()
        req_m = pd.Series({m: c * f_req.get(m, 0.0) / f_calls[m] if f_calls.get(m) else np.nan for m, c in calls_m.items()}).dropna()
    users_f = pd.Series({m: float(np.median(fc.users[:, i])) for i, m in enumerate(fc.months)})
    req_all = req_m.copy()  # calls per request use every month
    # volume only from whole months inside the horizon (a month in progress would read as a fall)
    req_m = req_m[[fc.index(m) is not None and m in complete for m in req_m.index]]
    monthly_rpu = _ratio_by_month(req_m, users_f)
    if monthly_rpu:
        pooled = float(req_m.sum() / users_f.reindex(req_m.index).sum())
        q = uc.volume.requests_per_user_per_month
        fits.append(Fit("volume.requests_per_user_per_month", None, "requests per active user", "requests/user/month",
                        _assumed(q), pooled, tuple(monthly_rpu), len(u), range_text(pooled, monthly_rpu)))
    # growth: the trend of requests ÷ forecast users, on months where the median adoption ramp has
    # saturated (on the ramp, the trend would mostly measure a different adoption curve)
    g0 = uc.volume.growth_per_month
    u_med = users_f.to_numpy()
    last = len(u_med) - 1
    trend = u_med[last] / (1 + g0.median) ** (last - np.arange(len(u_med)))
    saturated = {m for j, m in enumerate(users_f.index) if u_med[j] > 0 and u_med[j] >= SATURATED * trend[j]}
    sat = [m for m in req_m.index if m in saturated and users_f[m] > 0 and req_m[m] > 0]
    if len(sat) >= 3:
        months = np.array([(m.year * 12 + m.month) for m in sat], float)
        ratio = np.array([req_m[m] / users_f[m] for m in sat])
        slope = float(np.polyfit(months - months[0], np.log(ratio), 1)[0])
        fitted_g = (1 + g0.median) * np.exp(slope) - 1
        fits.append(Fit("volume.growth_per_month", None, "volume growth", "fraction/month", _assumed(g0), float(fitted_g),
                        (float(fitted_g),), len(u), _round(float(fitted_g))))

    # ---- per step
    n_req = req_all.sum() if len(req_all) else np.nan
    for name, s in uc.steps.items():
        rows = u[u["step"] == name]
        if rows.empty:
            continue
        pre = f"steps.{name}."
        st = fc.steps[name]
        g = rows.groupby("month")
        calls = g["calls"].sum()
        first = rows[~rows["retry"]].groupby("month")["calls"].sum()
        tot_calls = float(calls.sum())
        if tot_calls <= 0:
            continue
        inp = g["input_tokens"].sum()
        # input tokens per call → scale the prompt components
        fitted_in = float(inp.sum() / tot_calls)
        mean_in = float(np.mean(st["input_tokens_per_call"]))
        if mean_in > 0:
            k = fitted_in / mean_in
            over = {}
            for part in PROMPT_PARTS:
                q = get_path(s, part)
                if isinstance(q, Uncertain) and not (q.is_constant and q.median == 0):
                    over[pre + part] = _scaled_text(q, k)
            fits.append(Fit(pre + "input_tokens_per_call", name, "input tokens per call", "tokens/call",
                            _band(st["input_tokens_per_call"]), fitted_in, tuple(_ratio_by_month(inp, calls)), len(rows),
                            over or None))
        reasoning = g["reasoning_tokens"].sum()
        visible = g["output_tokens"].sum() - reasoning
        fv = float(visible.sum() / tot_calls)
        fits.append(Fit(pre + "output_tokens", name, "output tokens per call (visible)", "tokens/call",
                        _assumed(s.output_tokens), fv, tuple(_ratio_by_month(visible, calls)), len(rows),
                        range_text(fv, _ratio_by_month(visible, calls))))
        fr = float(reasoning.sum() / tot_calls)
        if fr > 0 or not (s.reasoning_tokens.is_constant and s.reasoning_tokens.median == 0):
            fits.append(Fit(pre + "reasoning_tokens", name, "reasoning tokens per call", "tokens/call",
                            _assumed(s.reasoning_tokens), fr, tuple(_ratio_by_month(reasoning, calls)), len(rows),
                            range_text(fr, _ratio_by_month(reasoning, calls))))
        if inp.sum() > 0:
            for col, field_name, label in (("cache_read_tokens", "cached_prompt_share", "prompt-cache read share"),
                                           ("cache_write_tokens", "cache_write_share", "prompt-cache write share")):
                c = g[col].sum()
                q = get_path(s, field_name)
                fs = float(c.sum() / inp.sum())
                if fs > 0 or not (q.is_constant and q.median == 0):
                    monthly = _ratio_by_month(c, inp)
                    fits.append(Fit(pre + field_name, name, label, "fraction", _assumed(q), fs, tuple(monthly), len(rows),
                                    range_text(fs, monthly, fraction=True), fraction=True))
        if rows["retry"].any() and s.retry.max_retries > 0:
            mult = calls / first.reindex(calls.index)
            rates = [_retry_rate(float(x), s.retry.max_retries) for x in mult.dropna()]
            fr_r = _retry_rate(tot_calls / float(first.sum()), s.retry.max_retries)
            fits.append(Fit(pre + "retry.rate", name, "retry rate", "fraction", _assumed(s.retry.rate), fr_r, tuple(rates),
                            len(rows), range_text(fr_r, rates, fraction=True), fraction=True))
        if has_ids and n_req > 0:
            cpr_m = _ratio_by_month(calls, req_all)
            cpr = float(tot_calls / req_all.reindex(calls.index).sum())
            forecast_cpr = np.asarray(st["calls_per_request"], float)
            mean_cpr = float(np.mean(forecast_cpr))
            k = cpr / mean_cpr if mean_cpr > 0 else 1.0
            override: Any = None
            if s.agent_loop is not None:
                override = {pre + "agent_loop.iterations": _scaled_text(s.agent_loop.iterations, k)}
            elif not (s.share_of_requests.is_constant and s.share_of_requests.median >= 1):
                share = float(np.clip(s.share_of_requests.median * k, 1e-4, 1.0))
                override = {pre + "share_of_requests": range_text(share, [share], fraction=True) if share < 1 else 1.0}
            fits.append(Fit(pre + "calls_per_request", name, "calls per request (span trees)", "calls/request",
                            _band(np.broadcast_to(forecast_cpr, (fc.requests.shape[0],))), cpr, tuple(cpr_m), len(rows), override))
    unmatched = int(u["step"].isna().sum())
    return Calibration(uc.id, window, len(u), source, tuple(fits), unmatched)


def _retry_rate(attempts_per_call: float, max_retries: int) -> float:
    """The retry rate whose expected attempts per call equal ``attempts_per_call`` [fraction]."""
    if not np.isfinite(attempts_per_call) or attempts_per_call <= 1:
        return 0.0
    top = float(retry_multiplier(0.999999, max_retries))
    if attempts_per_call >= top:
        return 0.999999
    return float(optimize.brentq(lambda r: float(retry_multiplier(r, max_retries)) - attempts_per_call, 0.0, 0.999999))


# --------------------------------------------------------------------------- the overlay
def overlay_name(use_case_id: str, on: _dt.date) -> str:
    return f"calibrated-{use_case_id}-{on.isoformat()}"


def overlay(cal: Calibration, on: _dt.date) -> dict[str, Any]:
    """The scenario overlay of a calibration (plain data, as written to YAML)."""
    contradicted = [f.quantity + (f" ({f.step})" if f.step else "") for f in cal.fits if f.contradicted]
    desc = (f"Fitted from {cal.rows:,} usage rows of {cal.use_case} ({cal.source}), {cal.window[0][:10]} to "
            f"{cal.window[1][:10]}, by finops actuals calibrate on {on.isoformat()}.")
    if contradicted:
        desc += " Actuals contradict the assumed 90% range of: " + ", ".join(contradicted) + "."
    return {"name": overlay_name(cal.use_case, on), "description": desc, "overrides": cal.overrides,
            "provenance": cal.provenance()}


def overlay_text(cal: Calibration, on: _dt.date) -> str:
    data = overlay(cal, on)
    head = ("# Calibrated from actuals (finops actuals calibrate): an overlay on the hand-written use case,\n"
            f"# which stays as it is. Apply with: finops simulate {cal.use_case} --scenario {data['name']}\n"
            "# Each override's data window, row count, source and the assumption it replaces are under provenance.\n")
    return head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


def check_overlay(data: Mapping[str, Any], raw_use_cases: Mapping[str, dict[str, Any]], org_raw: Mapping[str, Any],
                  fx: Any, catalog: Any, file: str) -> None:
    """Validate an overlay the way ``finops validate`` would, before it is written.

    Raises
    ------
    AssumptionError
        Naming the file and the override that does not validate.
    """
    sc = validate_scenario(data, file)
    new = apply_scenario(raw_use_cases, sc, file)
    targets = {str(k).partition(".")[0] for k in sc.overrides}
    for uc_id in targets:
        build_use_case(new[uc_id], org_raw, fx, catalog, file)


def write_overlay(cal: Calibration, assumptions: Any, on: _dt.date | None = None, overwrite: bool = False) -> Path:
    """Write ``scenarios/calibrated-<id>-<date>.yaml`` under the assumptions root (refusing an
    existing file unless ``overwrite``) after checking that it validates."""
    on = on or _dt.date.today()
    path = Path(assumptions.root) / "scenarios" / f"{overlay_name(cal.use_case, on)}.yaml"
    text = overlay_text(cal, on)
    check_overlay(yaml.safe_load(text), assumptions.raw["use_cases"], assumptions.raw["org"], assumptions.fx,
                  assumptions.catalog, str(path))
    if path.exists() and not overwrite:
        raise FinopsError(f"{path}: expected a new file, found an existing one; pass --overwrite to replace it")
    return write_atomic(path, text, overwrite=overwrite)


def first_month(usage: pd.DataFrame, use_case_id: str) -> _dt.date | None:
    """First calendar month with actuals of a use case (the default go-live)."""
    ts = usage.loc[usage["use_case"] == use_case_id, "timestamp"]
    return month_start(ts.min()) if len(ts) else None
