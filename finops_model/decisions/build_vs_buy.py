"""Build versus buy: API, self-hosted and hybrid serving compared on the same trials.

:func:`compare_deployments` evaluates the use case three times (``deployment: api``,
``self_hosted``, ``hybrid``) on one set of draws (common random numbers, so differences are
paired), applies the yearly API price decline, and returns a :class:`TcoResult`: monthly and
cumulative cost curves with bands, break-even month, break-even volume [tokens/month],
effective $/1M tokens each way, P(self-hosting cheaper) and the build-vs-buy review flag. The
fleet and its cost terms come from :func:`finops_model.model.selfhost.self_hosting_plan`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from finops_model.costs import selfhost as sh
from finops_model.errors import ModelError
from finops_model.inputs.assumptions import replace_path, sample_spec
from finops_model.inputs.distributions import sample
from finops_model.inputs.hardware import hardware_for
from finops_model.inputs.schema import UseCase
from finops_model.model.components import Draws, per_trial
from finops_model.model.engine import evaluate
from finops_model.model.selfhost import OPTIONS, SelfHostPlan, self_hosting_plan

Array = NDArray[np.float64]

__all__ = ["OptionCurves", "TcoResult", "compare_deployments"]


@dataclass
class OptionCurves:
    """One option over the horizon: monthly cost (price decline applied) and its cumulative sum.

    Attributes
    ----------
    monthly : (n, M) [USD/month] recurring cost of the whole use case
    cumulative : (n, M) [USD] one-off costs plus the running sum of ``monthly``
    one_off : (n,) [USD]; total : (n,) [USD] over the horizon
    api_model_monthly : (n, M) [USD/month] API model spend of the movable steps
    self_hosting_monthly : (n, M) [USD/month] self-hosting cost terms
    """

    name: str
    monthly: Array
    cumulative: Array
    one_off: Array
    total: Array
    api_model_monthly: Array
    self_hosting_monthly: Array
    result: Any = field(repr=False, default=None)


@dataclass
class TcoResult:
    """What :func:`compare_deployments` computes (units in brackets).

    Attributes
    ----------
    options : dict name → OptionCurves for ``api``, ``self_hosted``, ``hybrid``
    break_even_month : dict option → (n,) [month] first month the option's cumulative cost is at
        or below the API's (NaN: not within the horizon)
    break_even_volume : (n,) [tokens/month] movable workload at which a fleet sized for it costs
        as much as the API at today's prices (NaN: above 10¹⁴)
    usd_per_mtok : dict option → (n,) [USD/1M tokens] effective cost of the movable workload
    p_cheaper : dict option → float [fraction] P(option's horizon total < API's)
    annual_model_spend : (n,) [USD/year] API run-rate model spend; review_threshold [USD/year]
    plan : SelfHostPlan of the fully self-hosted option
    """

    use_case_id: str
    n_trials: int
    months: int
    seed: Any
    options: dict[str, OptionCurves]
    break_even_month: dict[str, Array]
    break_even_volume: Array
    usd_per_mtok: dict[str, Array]
    p_cheaper: dict[str, float]
    annual_model_spend: Array
    review_threshold: float
    plan: SelfHostPlan
    movable_tokens_per_month: Array

    @property
    def review_triggered(self) -> Array:
        """Trials whose API model spend reaches the build-vs-buy review threshold [flag]."""
        return (self.annual_model_spend >= self.review_threshold).astype(float)

    def bands(self, option: str, what: Literal["monthly", "cumulative"] = "monthly", q: tuple[float, ...] = (5, 50, 95)) -> dict[str, Array]:
        """Percentile bands by month [USD/month or USD]: ``{"p5": (M,), "p50": …, "p95": …}``."""
        x = getattr(self.options[option], what)
        return {f"p{int(p) if float(p).is_integer() else p}": np.percentile(x, p, axis=0) for p in q}

    def summary(self) -> dict[str, Any]:
        """Headline figures as plain numbers (medians and 90% intervals)."""
        def stat(x: Array) -> dict[str, float | None]:
            x = np.asarray(x, float)
            ok = x[np.isfinite(x)]
            if ok.size == 0:
                return {"p5": None, "p50": None, "p95": None, "share_defined": 0.0}
            return {"p5": float(np.percentile(ok, 5)), "p50": float(np.percentile(ok, 50)), "p95": float(np.percentile(ok, 95)), "share_defined": float(ok.size / x.size)}

        plan = self.plan
        paid = plan.gpus.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            avg_util = np.where(paid > 0, (plan.load_gpus * (plan.gpus > 0)).sum(axis=1) / paid, np.nan)
        return {
            "total_cost_usd": {k: stat(o.total) for k, o in self.options.items()},
            "p_cheaper_than_api": dict(self.p_cheaper),
            "break_even_month": {k: stat(v) for k, v in self.break_even_month.items()},
            "break_even_volume_tokens_per_month": stat(self.break_even_volume),
            "movable_tokens_per_month_at_horizon_end": stat(self.movable_tokens_per_month[:, -1]),
            "usd_per_mtok": {k: stat(v) for k, v in self.usd_per_mtok.items()},
            "annual_model_spend_usd": stat(self.annual_model_spend),
            "review_threshold_usd_per_year": self.review_threshold,
            "p_review_triggered": float(self.review_triggered.mean()),
            "fleet": {
                "model": plan.curve.model, "gpu": plan.curve.gpu, "engine": plan.curve.engine, "tier": plan.tier,
                "gpus_per_replica": plan.curve.gpus_per_replica,
                "benchmark_lengths_tokens": [plan.curve.input_tokens, plan.curve.output_tokens],
                "moved_steps": list(plan.moved_steps),
                "gpus_at_horizon_end": stat(plan.gpus[:, -1]),
                "throughput_at_slo_tokens_per_s_per_gpu": stat(plan.throughput_per_gpu),
                "prefill_tokens_per_s_per_gpu": stat(plan.prefill_rate),
                "decode_tokens_per_s_per_gpu": stat(plan.decode_rate),
                "average_utilisation": stat(avg_util),
                "idle_capacity_cost_usd": stat(plan.idle_cost.sum(axis=1)),
                "sources": list(plan.curve.sources),
            },
        }

    def to_json(self) -> dict[str, Any]:
        """Summary plus the monthly and cumulative bands of every option (JSON-ready)."""
        out = {"use_case": self.use_case_id, "trials": self.n_trials, "seed": self.seed, "months": self.months, **self.summary()}
        out["curves"] = {
            k: {what: {b: [round(float(x), 2) for x in arr] for b, arr in self.bands(k, what).items()} for what in ("monthly", "cumulative")}  # type: ignore[arg-type]
            for k in self.options
        }
        return out


def _model_cost_per_request(steps: Mapping[str, Mapping[str, Array]], names: tuple[str, ...], n: int) -> Array:
    total = np.zeros(n)
    for name in names:
        total = total + per_trial(steps[name]["calls_per_request"], n) * per_trial(steps[name]["cost_per_call"], n)
    return total


def compare_deployments(
    use_case: UseCase,
    catalog: Any,
    n: int = 2000,
    seed: int | np.random.Generator | None = 0,
    method: str = "mc",
    volume_grid: Array | None = None,
) -> TcoResult:
    """API vs self-hosted vs hybrid over the use case's horizon, on the same trials.

    Parameters
    ----------
    use_case : UseCase with ``infrastructure.self_hosting``
    catalog : model price catalog
    n, seed, method : trials, seed (int or Generator), sampling design
    volume_grid : (G,) increasing [tokens/month], optional — where break-even volume is searched
        (default 10⁶ … 10¹⁴, 161 log-spaced points)

    Returns
    -------
    TcoResult
    """
    uc = use_case
    s = uc.infrastructure.self_hosting
    if s is None:
        raise ModelError(f"use case {uc.id}: infrastructure.self_hosting: expected a self_hosting section to compare API, self-hosted and hybrid serving, found none")
    hw = hardware_for(catalog)
    draws = sample(sample_spec(uc), n, seed, method)  # type: ignore[arg-type]
    results = {}
    for option in OPTIONS:
        # the engine prices the fleet through infrastructure_components (hardware beside the catalog)
        results[option] = evaluate(replace_path(uc, "infrastructure.deployment", option), draws, catalog, n)  # type: ignore[arg-type]
    api = results["api"]
    v = Draws(draws, n)
    plan = self_hosting_plan(uc, v, catalog, api.steps, api.requests, api.live, 1.0, hw)
    hybrid_plan = self_hosting_plan(uc, v, catalog, api.steps, api.requests, api.live, v("infrastructure.self_hosting.hybrid_share"), hw)
    months = api.months
    decline = sh.price_decline_factor(per_trial(v("infrastructure.self_hosting.api_price_decline_per_year"), n), months)
    movable_api = _model_cost_per_request(api.steps, plan.moved_steps, n)
    other_names = tuple(x for x in uc.steps if x not in plan.moved_steps)
    other_api = _model_cost_per_request(api.steps, other_names, n)
    shares = {"api": np.zeros(n), "self_hosted": np.ones(n), "hybrid": per_trial(v("infrastructure.self_hosting.hybrid_share"), n)}
    options: dict[str, OptionCurves] = {}
    for option, res in results.items():
        on_api = 1.0 - shares[option][:, None] * plan.active
        api_model = res.requests * (movable_api[:, None] * on_api + other_api[:, None])
        monthly = res.cost_by_month - api_model * (1.0 - decline)
        one_off = np.asarray(res.kpis["one_off_cost"], float)
        cum = one_off[:, None] + np.cumsum(monthly, axis=1)
        p = {"self_hosted": plan, "hybrid": hybrid_plan}.get(option)
        sh_monthly = sum(p.costs.values(), np.zeros_like(monthly)) if p is not None else np.zeros_like(monthly)
        options[option] = OptionCurves(option, monthly, cum, one_off, cum[:, -1].copy(), res.requests * movable_api[:, None] * on_api * decline, sh_monthly, res)
    be = {k: sh.break_even_month(options[k].cumulative, options["api"].cumulative) for k in ("self_hosted", "hybrid")}
    p_cheaper = {k: float(np.mean(options[k].total < options["api"].total)) for k in ("self_hosted", "hybrid")}
    movable_tokens = api.requests * plan.tokens_per_request[:, None]
    total_tokens = movable_tokens.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_mtok = {"api": (api.requests * movable_api[:, None] * decline).sum(axis=1) / total_tokens * 1e6}
        for k in ("self_hosted", "hybrid"):
            o = options[k]
            cost = o.api_model_monthly.sum(axis=1) + o.self_hosting_monthly.sum(axis=1) + plan.one_off * (shares[k] > 0)
            per_mtok[k] = cost / total_tokens * 1e6
    grid = np.logspace(6, 14, 161) if volume_grid is None else np.asarray(volume_grid, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        api_per_token = np.where(plan.tokens_per_request > 0, movable_api / plan.tokens_per_request, np.nan)
    bev = sh.break_even_volume(grid, api_per_token[:, None] * grid[None, :], plan.monthly_cost_at_volume(grid))
    assert uc.org is not None
    threshold = float(np.median(np.asarray(v("org.build_vs_buy_review_per_year"), float)))
    return TcoResult(uc.id, n, months, seed if isinstance(seed, int) else None, options, be, bev, per_mtok, p_cheaper,
                     np.asarray(api.kpis["annual_model_spend"], float), threshold, plan, movable_tokens)
