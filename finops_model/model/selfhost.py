"""The self-hosting plan of a use case and its seam into the engine.

The plan (:func:`self_hosting_plan`): the serving curve read at the latency target, the fleet
sized month by month for the peak, and every cost term — GPU rate by tier or owned hardware
(capex ÷ amortisation, power × PUE × $/kWh, colocation), licences, networking, storage,
operations staff and on-call, MLOps tooling, evaluation and security patching, fine-tuning,
migration, and the cost of acquiring the operating maturity a team lacks. The engine prices
``deployment: self_hosted | hybrid`` through :func:`infrastructure_components`, which also
credits back the API model cost of the traffic the fleet serves, so that no token is billed
twice, and prices a multi-provider fallback.

The hardware catalogs are in :mod:`finops_model.inputs.hardware`; the API / self-hosted /
hybrid comparison is :func:`finops_model.decisions.build_vs_buy.compare_deployments`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from finops_model.costs import hidden, interaction, orchestration, volume
from finops_model.costs import selfhost as sh
from finops_model.errors import AssumptionError, ModelError, did_you_mean
from finops_model.inputs.crossref import gpu_hourly_rate, moved_steps, role_message
from finops_model.inputs.hardware import Hardware, ServingCurve, hardware_for
from finops_model.inputs.schema import UseCase
from finops_model.model.components import KIND_LABEL as _KIND_LABEL
from finops_model.model.components import PRIMARY_KINDS, Component, price_for
from finops_model.model.components import per_trial as _n_array

Array = NDArray[np.float64]

__all__ = [
    "OPTIONS",
    "SELF_HOSTING",
    "SelfHostPlan",
    "infrastructure_components",
    "monthly_requests",
    "self_hosting_plan",
]

#: Category prefix of every self-hosting cost line in a :class:`~finops_model.model.engine.Result`.
SELF_HOSTING = "self-hosting"
#: Deployment options compared by :func:`finops_model.decisions.build_vs_buy.compare_deployments`.
OPTIONS: tuple[str, ...] = ("api", "self_hosted", "hybrid")


# --------------------------------------------------------------------------- the plan
def _col(x: Any) -> Any:
    a = np.asarray(x, dtype=float)
    return a[:, None] if a.ndim == 1 else a


def monthly_requests(uc: UseCase, v: Any, n: int, live: NDArray[np.bool_]) -> Array:
    """Requests in each month, as the engine computes them [requests/month], shape (n, M).

    Active users (logistic adoption × compound growth, zero before go-live) × requests per user.
    """
    live = np.asarray(live, bool)
    months_live = np.cumsum(np.ones(live.size)) - 1.0 - float(np.argmax(live)) if live.any() else np.full(live.size, -1.0)
    t = np.where(live, months_live, -1.0)
    share = volume.adoption_share(t, v("volume.adoption.start_share"), v("volume.adoption.midpoint_month"),
                                  v("volume.adoption.steepness"), v("volume.adoption.ceiling"))
    users = volume.monthly_users(v("volume.active_users"), share, v("volume.growth_per_month"), months_live)
    users = np.where(live, np.broadcast_to(users, (n, live.size)), 0.0)
    return users * _col(_n_array(v("volume.requests_per_user_per_month"), n))


def _rate(v: Any, uc: UseCase, role: str, field_path: str) -> Any:
    assert uc.org is not None
    if role not in uc.org.labour_rates:
        rates = uc.org.labour_rates
        raise ModelError(f"use case {uc.id}: {field_path}: {role_message(role, rates)}")
    return v(f"org.labour_rates.{role}")


@dataclass
class SelfHostPlan:
    """The fleet and every self-hosting cost term of one use case, per trial and month.

    Monthly arrays are ``(n, M)`` [USD/month or GPUs]; per-trial arrays ``(n,)``. The plan is
    computed for ``share`` of the movable traffic (1 = fully self-hosted).

    Attributes
    ----------
    moved_steps : tuple of str
        Steps whose traffic the fleet serves.
    share : (n,) [fraction] of the moved steps' traffic on the fleet.
    active : (n, M) bool
        Months in which the fleet serves traffic (live and past ``start_month``).
    tokens_per_request : (n,) [tokens/request] of the moved steps (workload, without the
        open model's ``tokens_multiplier``).
    api_cost_per_request : (n,) [USD/request] the API model cost of the moved steps' traffic.
    gpu_seconds_per_request : (n,) [GPU-s/request] at the latency target.
    throughput_per_gpu : (n,) [tokens/s/GPU] output throughput read at the latency target.
    prefill_rate, decode_rate : (n,) [tokens/s/GPU]
    gpus : (n, M) [GPUs] paid for each month (committed tiers never shrink).
    gpus_needed : (n, M) [GPUs] sized for that month's peak.
    load_gpus : (n, M) [GPUs] average busy GPUs.
    per_gpu_month : (n,) [USD/GPU-month] GPU cost by tier (owned: capex + power + hosting).
    costs : dict category → (n, M) [USD/month]
    one_off : (n,) [USD] migration, capability acquisition, initial fine-tuning run.
    credits : list of (layer, category, (n,) USD/request at share 1)
        The API model cost of the moved traffic, by the engine's cost category.
    """

    moved_steps: tuple[str, ...]
    share: Array
    active: NDArray[np.bool_]
    requests: Array
    tokens_per_request: Array
    api_cost_per_request: Array
    gpu_seconds_per_request: Array
    throughput_per_gpu: Array
    prefill_rate: Array
    decode_rate: Array
    peak_to_average: Array
    gpus: Array
    gpus_needed: Array
    load_gpus: Array
    per_gpu_month: Array
    per_gpu_licence: Array
    fixed_monthly: Array
    costs: dict[str, Array]
    one_off: Array
    credits: list[tuple[str, str, Array]]
    curve: ServingCurve
    max_utilisation: Array
    redundant_replicas: Array
    min_replicas: Array
    tier: str
    day: list[tuple[Any, Any]] = field(default_factory=list)
    autoscaled: bool = False

    @property
    def utilisation(self) -> Array:
        """Average utilisation of the paid fleet by month [fraction] (NaN where no fleet)."""
        return sh.utilisation(self.load_gpus, self.gpus)

    @property
    def idle_cost(self) -> Array:
        """Cost of idle paid capacity by month [USD/month]."""
        return np.maximum(self.gpus - self.load_gpus, 0.0) * (self.per_gpu_month + self.per_gpu_licence)[:, None]

    @property
    def tokens_served(self) -> Array:
        """Workload tokens served by the fleet by month [tokens/month]."""
        return self.requests * self.share[:, None] * self.active * self.tokens_per_request[:, None]

    def monthly_cost_at_volume(self, tokens_per_month: Array) -> Array:
        """Steady-state self-hosting cost at a monthly workload volume [USD/month].

        Parameters
        ----------
        tokens_per_month : (G,) [tokens/month] of the moved steps' workload.

        Returns
        -------
        (n, G) [USD/month]: the fleet sized for that volume's peak (not committed) at the plan's
        rates, plus fixed monthly terms and one-off costs spread over the horizon's months.
        """
        vol = np.asarray(tokens_per_month, float)[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            req = vol / self.tokens_per_request[:, None]
        fleet = sh.fleet_over_day(req / sh.SECONDS_PER_MONTH, self.gpu_seconds_per_request[:, None], self.day, self.max_utilisation[:, None],
                                  self.curve.gpus_per_replica, self.redundant_replicas[:, None], self.min_replicas[:, None])
        gpus = fleet["average"] if self.autoscaled else fleet["peak"]
        return gpus * (self.per_gpu_month + self.per_gpu_licence)[:, None] + (self.fixed_monthly + self.one_off / self.active.shape[1])[:, None]

    def components(self) -> list[Any]:
        """The plan as engine cost components: self-hosting costs and the API cost credited back."""
        comps: list[Any] = []
        layer_of = {
            "GPUs": "infrastructure", "power and hosting": "infrastructure", "licences, networking and storage": "infrastructure",
            "operations staff and on-call": "hidden", "MLOps tooling, evaluation and patching": "hidden", "fine-tuning": "hidden",
        }
        for name, monthly in self.costs.items():
            comps.append(Component(layer_of[name], f"{SELF_HOSTING}: {name}", monthly_extra=monthly))
        comps.append(Component("build", f"{SELF_HOSTING}: migration and capability acquisition", one_off=self.one_off))
        waiting = (~self.active) * self.requests
        for layer, category, per_request in self.credits:
            moved = per_request * self.share
            comps.append(Component(layer, category, per_request=-moved, monthly_extra=moved[:, None] * waiting))
        return comps


def _moved_steps(uc: UseCase) -> tuple[str, ...]:
    names, problem = moved_steps(uc)
    if problem:
        raise ModelError(f"use case {uc.id}: infrastructure.self_hosting.steps: {problem}")
    return names


def _call_split(uc: UseCase, v: Any, name: str) -> dict[str, Any]:
    """Shares of a step's calls that are base calls, loop/fan-out calls and retries [fraction]."""
    st = uc.steps[name]
    pre = f"steps.{name}."
    iterations: Any = 1.0
    if st.agent_loop is not None:
        iterations = orchestration.capped_iterations(v(pre + "agent_loop.iterations"), st.agent_loop.max_iterations)
    attempts = orchestration.retry_multiplier(v(pre + "retry.rate"), st.retry.max_retries)
    calls = orchestration.calls_per_request(v(pre + "share_of_requests"), v(pre + "calls_per_request"), iterations, attempts)
    total = np.maximum(np.asarray(calls["total"], float), 1e-300)
    return {k: np.asarray(calls[k], float) / total for k in ("base", "fan_out_and_loop", "retries")}


def _credits(uc: UseCase, v: Any, steps: Mapping[str, Mapping[str, Array]], moved: tuple[str, ...], n: int) -> list[tuple[str, str, Array]]:
    out: list[tuple[str, str, Array]] = []
    for name in moved:
        cost = _n_array(steps[name]["calls_per_request"], n) * _n_array(steps[name]["cost_per_call"], n)
        kind = uc.steps[name].kind
        if kind in PRIMARY_KINDS:
            split = _call_split(uc, v, name)
            out.append(("model_interaction", f"model calls: {name}", cost * split["base"]))
            out.append(("application_logic", "agent loops and fan-out", cost * split["fan_out_and_loop"]))
            out.append(("application_logic", "retries", cost * split["retries"]))
        else:
            out.append(("application_logic", _KIND_LABEL[kind], cost))
    return out


def self_hosting_plan(
    uc: UseCase,
    v: Any,
    catalog: Any,
    steps: Mapping[str, Mapping[str, Array]],
    requests: Array,
    live: NDArray[np.bool_],
    share: Any = 1.0,
    hardware: Hardware | None = None,
) -> SelfHostPlan:
    """Size the fleet and price every self-hosting term of a use case.

    Parameters
    ----------
    uc : UseCase with ``infrastructure.self_hosting``
    v : draws accessor (path → (n,) array or float), as in the engine
    catalog : model price catalog (locates the hardware catalogs)
    steps : the engine's per-step arrays (``calls_per_request``, ``input_tokens_per_call``,
        ``output_tokens_per_call`` [tokens/call], ``cost_per_call`` [USD/call])
    requests : (n, M) [requests/month]
    live : (M,) bool, months with traffic
    share : (n,) or float [fraction] of the moved steps' traffic on the fleet
    hardware : Hardware, optional (default: :func:`hardware_for` the catalog)
    """
    s = uc.infrastructure.self_hosting
    if s is None:
        raise ModelError(f"use case {uc.id}: infrastructure.self_hosting: expected a self_hosting section for deployment {uc.infrastructure.deployment!r}, found none")
    assert uc.org is not None
    hw = hardware or hardware_for(catalog)
    req = np.asarray(requests, float)
    n, months = req.shape
    where = f"use case {uc.id}: infrastructure.self_hosting."
    pre = "infrastructure.self_hosting."
    gpu = hw.gpu(s.gpu, where + "gpu: ")
    moved = _moved_steps(uc)
    share_arr = _n_array(share, n)

    # workload of the moved steps
    mult = _n_array(v(pre + "sizing.tokens_multiplier"), n)
    inp = np.zeros(n)
    out = np.zeros(n)
    cached = np.zeros(n)
    api_cost = np.zeros(n)
    for name in moved:
        st = steps[name]
        calls = _n_array(st["calls_per_request"], n)
        i_tok = calls * _n_array(st["input_tokens_per_call"], n)
        inp += i_tok
        out += calls * _n_array(st["output_tokens_per_call"], n)
        cached += i_tok * _n_array(v(f"steps.{name}.cached_prompt_share"), n)
        api_cost += calls * _n_array(st["cost_per_call"], n)
    with np.errstate(divide="ignore", invalid="ignore"):
        hit_default = np.where(inp > 0, cached / inp, 0.0)
    hit = _n_array(v(pre + "sizing.prefix_cache_hit_rate", hit_default), n)
    ratio = float(np.median(np.where(out > 0, inp / np.maximum(out, 1e-12), 1.0)))
    curve = hw.curve(s.model, s.gpu, s.engine, ratio, where + "model/gpu/engine: ")

    # throughput at the latency target
    if curve.itl_ms is not None:
        # validation (inputs.crossref.slo_problems) keeps a target's SLO_TAIL quantile on the
        # curve; a trial further out in the tail is read at the curve's fastest measured point
        tput = sh.throughput_at_latency(np.maximum(v(pre + "slo.itl_ms"), curve.itl_ms.min()), curve.itl_ms, curve.tokens_per_s_per_gpu)
        if s.slo.ttft_ms is not None and curve.ttft_ms is not None:
            ttft = np.maximum(v(pre + "slo.ttft_ms"), curve.ttft_ms.min())
            tput = np.minimum(tput, sh.throughput_at_latency(ttft, curve.ttft_ms, curve.tokens_per_s_per_gpu))
    else:
        tput = curve.tokens_per_s_per_gpu.max() * np.asarray(v(pre + "sizing.slo_throughput_fraction"), float)
    tput = _n_array(tput, n)
    if s.sizing.prefill_tokens_per_s_per_gpu is not None:
        prefill = _n_array(v(pre + "sizing.prefill_tokens_per_s_per_gpu"), n)
    elif curve.prefill_tokens_per_s_per_gpu is not None:
        prefill = np.full(n, curve.prefill_tokens_per_s_per_gpu)
    else:
        raise ModelError(f"{where}sizing.prefill_tokens_per_s_per_gpu: expected a prefill rate (the serving curve of {curve.model} on {curve.gpu} has no single-request TTFT to derive it from), found none")
    decode = sh.decode_rate(tput, curve.input_tokens, curve.output_tokens, prefill)
    gpu_s = sh.gpu_seconds_per_request(inp * mult, out * mult, hit, prefill, decode)

    # months the fleet serves traffic
    months_live = np.cumsum(live) - 1.0
    start = _col(v(pre + "start_month"))
    active = np.array(np.broadcast_to(live[None, :] & (months_live[None, :] >= start), (n, months)), dtype=bool)
    p2a = _n_array(v(pre + "sizing.peak_to_average", "volume.peak_to_average"), n)
    moved_req = req * share_arr[:, None] * active
    avg_rps = moved_req / sh.SECONDS_PER_MONTH
    max_util = _n_array(v(pre + "sizing.max_utilisation"), n)
    redundant = _n_array(v(pre + "sizing.redundant_replicas"), n)
    min_rep = _n_array(v(pre + "sizing.min_replicas"), n)
    day = _daily_shape(s, v, p2a, n)
    by_day = sh.fleet_over_day(avg_rps, gpu_s[:, None], day, max_util[:, None], curve.gpus_per_replica, redundant[:, None], min_rep[:, None])
    needed = np.where(active, by_day["peak"], 0.0)
    committed = s.tier in ("reserved_1y", "reserved_3y", "owned")
    autoscaled = s.sizing.autoscaling and not committed
    # reserved / owned: the fleet sized for the peak hour, never shrinking; on-demand / spot
    # with autoscaling: the node-hours the fleet runs over the day's load shape
    fleet = sh.committed_fleet(needed) if committed else np.where(active, by_day["average"], 0.0) if autoscaled else needed
    load = avg_rps * gpu_s[:, None]

    # GPU rate by tier
    costs: dict[str, Array] = {}
    if s.tier == "owned":
        if s.gpu_hour_price is not None:
            raise ModelError(f"{where}gpu_hour_price: expected none for tier 'owned' (set owned.purchase_price_per_gpu), found a rate")
        if s.owned.purchase_price_per_gpu is None and gpu.purchase_usd is None:
            raise ModelError(f"{where}owned.purchase_price_per_gpu: expected a purchase price (gpus.yaml has none for {s.gpu}), found none")
        o = "infrastructure.self_hosting.owned."
        owned = sh.owned_cost_per_gpu_month(
            v(o + "purchase_price_per_gpu", gpu.purchase_usd.value if gpu.purchase_usd else 0.0),
            v(o + "server_overhead"), v(o + "amortisation_years"),
            v(o + "power_kw_per_gpu", gpu.server_kw_per_gpu.value), v(o + "pue"), v(o + "electricity_per_kwh"),
            v(o + "colocation_per_kw_month"),
        )
        per_gpu = _n_array(owned["total"], n)
        costs["GPUs"] = fleet * _n_array(owned["capex"], n)[:, None]
        costs["power and hosting"] = fleet * _n_array(owned["power"] + owned["hosting"], n)[:, None]
        train_rate_default = (gpu.rate("on_demand").value if gpu.rate("on_demand") else 0.0)
    else:
        rate, problem = gpu_hourly_rate(uc, hw)
        if s.gpu_hour_price is not None:
            hourly = _n_array(v(pre + "gpu_hour_price"), n)
        elif rate is None:
            raise ModelError(f"{where}tier: {problem}")
        else:
            hourly = np.full(n, rate)
        per_gpu = hourly * sh.HOURS_PER_MONTH
        costs["GPUs"] = fleet * per_gpu[:, None]
        od = gpu.rate("on_demand")
        train_rate_default = od.value if od else float(np.median(hourly))
    licence = _n_array(v(pre + "licences_per_gpu_month"), n)
    act = active.astype(float)
    net_storage = _n_array(v(pre + "networking_per_month"), n) + _n_array(v(pre + "storage_per_month"), n)
    costs["licences, networking and storage"] = fleet * licence[:, None] + net_storage[:, None] * act

    # people, tooling, fine-tuning, maturity
    stf = s.staff
    over = v("org.overhead_factor")
    fte_h = v("org.hours_per_fte_month")
    sp = pre + "staff."
    ops = hidden.labour_cost(hidden.fte_hours(v(sp + "ops_fte"), fte_h), _rate(v, uc, stf.ops_role, "infrastructure.self_hosting.staff.ops_role"), over)
    oncall = hidden.labour_cost(hidden.fte_hours(v(sp + "on_call_fte"), fte_h), _rate(v, uc, stf.on_call_role, "infrastructure.self_hosting.staff.on_call_role"), over)
    lab_rate = _rate(v, uc, stf.labour_role, "infrastructure.self_hosting.staff.labour_role")
    ml_hours = np.asarray(v(sp + "evaluation_hours_per_month"), float) + np.asarray(v(sp + "security_patching_hours_per_month"), float)
    mlops = _n_array(v(sp + "mlops_tooling_per_month"), n) + _n_array(hidden.labour_cost(ml_hours, lab_rate, over), n)
    mat = s.maturity
    mp = pre + "maturity."
    missing_cost = np.zeros(n)
    missing_fte = np.zeros(n)
    if not mat.gpu_operations:
        missing_cost += _n_array(ops, n)
        missing_fte += _n_array(v(sp + "ops_fte"), n)
    if not mat.on_call:
        missing_cost += _n_array(oncall, n)
        missing_fte += _n_array(v(sp + "on_call_fte"), n)
    if not mat.ml_operations:
        missing_cost += _n_array(hidden.labour_cost(ml_hours, lab_rate, over), n)
        missing_fte += _n_array(ml_hours / np.asarray(fte_h, float), n)
    months_active = np.cumsum(act, axis=1) - 1.0
    ramp = act * (months_active < _col(v(mp + "ramp_months")))
    premium = _n_array(v(mp + "contractor_premium"), n) * missing_cost
    costs["operations staff and on-call"] = (_n_array(ops, n) + _n_array(oncall, n))[:, None] * act + premium[:, None] * ramp
    costs["MLOps tooling, evaluation and patching"] = mlops[:, None] * act
    ft = s.fine_tuning
    fp = pre + "fine_tuning."
    ft_rate = v(fp + "gpu_hour_price", train_rate_default)
    ft_labour = _rate(v, uc, ft.role, "infrastructure.self_hosting.fine_tuning.role")
    ft_month = _n_array(sh.fine_tuning_cost_per_month(v(fp + "runs_per_year"), v(fp + "training_gpu_hours_per_run"), ft_rate, v(fp + "data_preparation_hours_per_run"), ft_labour), n)
    costs["fine-tuning"] = ft_month[:, None] * act
    any_active = active.any(axis=1)
    first_run = _n_array(sh.fine_tuning_cost_per_month(np.where(np.asarray(v(fp + "runs_per_year"), float) > 0, 12.0, 0.0), v(fp + "training_gpu_hours_per_run"), ft_rate, v(fp + "data_preparation_hours_per_run"), ft_labour), n)
    acquisition = missing_fte * _n_array(v(mp + "hiring_cost_per_fte"), n)
    one_off = (_n_array(v(pre + "migration_cost"), n) + acquisition + first_run) * any_active
    fixed = net_storage + _n_array(ops, n) + _n_array(oncall, n) + mlops + ft_month

    return SelfHostPlan(
        moved, share_arr, active, req, inp + out, api_cost, gpu_s, tput, prefill, decode, p2a, fleet, needed, load,
        per_gpu, licence, fixed, costs, one_off, _credits(uc, v, steps, moved, n), curve, max_util, redundant, min_rep, s.tier,
        day, autoscaled,
    )


def _daily_shape(s: Any, v: Any, p2a: Array, n: int) -> list[tuple[Any, Any]]:
    """The daily load shape of the sizing: 24 hourly weights, or peak-to-average with hours at peak."""
    if s.sizing.hourly_weights is not None:
        return sh.hourly_day(s.sizing.hourly_weights)
    levels = sh.two_level_day(p2a, _n_array(v("infrastructure.self_hosting.sizing.hours_at_peak"), n))
    return [(_col(w), _col(h)) for w, h in levels]  # per trial: (n, 1) against (n, months)


def _multi_provider_components(uc: UseCase, v: Any, catalog: Any, steps: Mapping[str, Mapping[str, Array]], requests: Array, moved_share: Mapping[str, Array], n: int) -> list[Any]:
    mp = uc.infrastructure.multi_provider
    assert mp is not None
    where = f"use case {uc.id}: infrastructure.multi_provider."
    try:
        fallback = price_for(uc, catalog, mp.fallback_model)
    except AssumptionError:
        raise ModelError(f"{where}fallback_model: expected a model in the price catalog, found {mp.fallback_model!r}{did_you_mean(mp.fallback_model, catalog.model_ids)}") from None
    primary = mp.primary or price_for(uc, catalog, next(iter(uc.steps.values())).model).provider
    if fallback.provider == primary:
        raise ModelError(f"{where}fallback_model: expected a model of another provider than the primary {primary!r}, found {mp.fallback_model!r} ({fallback.provider})")
    extra = np.zeros_like(np.asarray(requests, float))
    for name, st in uc.steps.items():
        if price_for(uc, catalog, st.model).provider != primary:
            continue
        a = steps[name]
        calls = _n_array(a["calls_per_request"], n)
        fb_call = _n_array(interaction.blended_call_cost(fallback, a["input_tokens_per_call"], a["output_tokens_per_call"]), n)
        delta = calls * (fb_call - _n_array(a["cost_per_call"], n))
        on_api = 1.0 - moved_share.get(name, 0.0)
        extra = extra + delta[:, None] * on_api * requests
    share = _n_array(v("infrastructure.multi_provider.failover_share"), n)
    readiness = hidden.labour_cost(v("infrastructure.multi_provider.readiness_hours_per_month"), _rate(v, uc, mp.readiness_role, "infrastructure.multi_provider.readiness_role"), v("org.overhead_factor"))
    return [
        Component("infrastructure", "fallback provider: failover traffic", monthly_extra=share[:, None] * extra),
        Component("hidden", "fallback provider: readiness (prompt tuning, evaluation)", fixed_per_month=readiness + v("infrastructure.multi_provider.readiness_eval_per_month")),
    ]


def infrastructure_components(
    uc: UseCase, v: Any, catalog: Any, steps: Mapping[str, Mapping[str, Array]], requests: Array, live: NDArray[np.bool_], n: int
) -> list[Any]:
    """Engine seam: self-hosted / hybrid serving and the multi-provider fallback as cost components.

    For ``deployment: self_hosted`` the fleet serves all the moved steps' traffic, for ``hybrid``
    ``self_hosting.hybrid_share`` of it; the API model cost of that traffic is credited back in
    the engine's own model-cost categories (never billed twice). ``api`` adds only the
    multi-provider lines, if any.
    """
    comps: list[Any] = []
    deployment = uc.infrastructure.deployment
    moved_share: dict[str, Any] = {}
    if deployment != "api":
        share = 1.0 if deployment == "self_hosted" else v("infrastructure.self_hosting.hybrid_share")
        plan = self_hosting_plan(uc, v, catalog, steps, requests, live, share)
        comps += plan.components()
        for name in plan.moved_steps:
            moved_share[name] = plan.share[:, None] * plan.active
    if uc.infrastructure.multi_provider is not None:
        comps += _multi_provider_components(uc, v, catalog, steps, requests, moved_share, n)
    return comps
