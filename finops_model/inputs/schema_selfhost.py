"""Assumption sections of the build-versus-buy model: ``infrastructure.self_hosting`` and
``infrastructure.multi_provider`` of a use case.

Like the rest of the schema (:mod:`finops_model.schema`) every model is frozen, refuses unknown
fields, every numeric field is an :class:`~finops_model.distributions.Uncertain` and documents
its unit in brackets; money units ``CUR`` are converted to USD on load. Field types come from
:mod:`finops_model.fields`, so that :mod:`finops_model.schema` can import this module.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from finops_model.inputs.fields import F, Fraction, Frozen, Quantity, bounded
from finops_model.inputs.fields import const as _c

RateTier = Literal["on_demand", "reserved_1y", "reserved_3y", "spot", "owned"]


class Slo(Frozen):
    """The latency target the fleet is sized for (read on the serving curve)."""

    itl_ms: Quantity = F("ms", "per-user inter-token latency target (mean)", _c(50))
    ttft_ms: Quantity | None = F(
        "ms", "time-to-first-token target (mean) the sizing never exceeds (default 2,000 ms; null: not constrained)", _c(2000)
    )


class Sizing(Frozen):
    """How the fleet is sized for peak load."""

    peak_to_average: Quantity | None = F("×", "peak hourly load over average (default: volume.peak_to_average)", None)
    max_utilisation: bounded(Fraction, gt=0, why="GPUs = peak load / (GPUs per replica × max utilisation)") = F("fraction", "utilisation allowed at the peak hour (burst headroom)", _c(0.8))
    autoscaling: bool = F(
        "flag", "on-demand and spot fleets scale with the daily load and are billed for the node-hours they run "
        "(reserved and owned always hold the peak fleet)", True,
    )
    hours_at_peak: Quantity = F("hours/day", "hours a day at the peak load; the rest of the day at the base load that keeps the average", _c(6))
    hourly_weights: list[float] | None = F(
        "× average", "24 hourly load weights (a daily load profile; replaces peak_to_average and hours_at_peak)", None
    )

    @model_validator(mode="after")
    def _profile(self) -> Sizing:
        w = self.hourly_weights
        if w is not None and (len(w) != 24 or min(w) < 0 or sum(w) <= 0 or not all(math.isfinite(x) for x in w)):
            raise PydanticCustomError(
                "load_profile", "expected 24 hourly weights ≥ 0 with a positive sum, found {count} weights", {"count": len(w)}
            )
        if w is not None and self.peak_to_average is not None:
            raise PydanticCustomError("load_profile", "expected hourly_weights or peak_to_average, found both")
        return self
    redundant_replicas: Quantity = F("replicas", "spare replicas (1 = N+1)", _c(1))
    min_replicas: Quantity = F("replicas", "minimum replicas in service", _c(2))
    prefix_cache_hit_rate: Fraction | None = F(
        "fraction", "share of input tokens served from the prefix (KV) cache (default: the steps' cached_prompt_share)", None
    )
    prefill_tokens_per_s_per_gpu: bounded(Quantity, gt=0, why="prefill time = input tokens / prefill rate") | None = F(
        "tokens/s/GPU", "prefill throughput (default: from the curve's single-request TTFT)", None
    )
    slo_throughput_fraction: Fraction = F(
        "fraction", "share of maximum throughput usable at the latency target when the curve has no latency data", _c(0.5)
    )
    tokens_multiplier: Quantity = F(
        "×", "tokens the open model needs for the same work as the API model (longer loops, retries)", _c(1.0)
    )


class Owned(Frozen):
    """Owned hardware (tier ``owned``)."""

    purchase_price_per_gpu: Quantity | None = F("CUR/GPU", "GPU purchase price (default: the GPU catalog)", None)
    server_overhead: Quantity = F("fraction of GPU price", "servers, CPUs, memory, NICs and racks on top of the GPUs", _c(0.35))
    amortisation_years: bounded(Quantity, gt=0, why="capex per month = purchase / (12 × amortisation years)") = F("years", "depreciation period", _c(4))
    power_kw_per_gpu: Quantity | None = F("kW/GPU", "server draw per GPU (default: the GPU catalog)", None)
    pue: Quantity = F("×", "power usage effectiveness of the data centre", _c(1.3))
    electricity_per_kwh: Quantity = F("CUR/kWh", "electricity price", _c(0.10))
    colocation_per_kw_month: Quantity = F("CUR/kW-month", "hosting or colocation per kW of IT load", _c(150))


class Staff(Frozen):
    """People and tools that run the fleet."""

    ops_fte: Quantity = F("FTE", "GPU / inference platform operations staff", _c(1.0))
    ops_role: str = F("role", "labour rate of operations staff", "platform_engineer")
    on_call_fte: Quantity = F("FTE", "on-call rota for the serving stack (FTE-equivalent)", _c(0.25))
    on_call_role: str = F("role", "labour rate of on-call staff", "platform_engineer")
    mlops_tooling_per_month: Quantity = F("CUR/month", "MLOps tooling: model registry, serving observability, autoscaling", _c(0))
    evaluation_hours_per_month: Quantity = F("hours/month", "evaluating new open-model releases and regressions", _c(0))
    security_patching_hours_per_month: Quantity = F("hours/month", "CVE patching of drivers, CUDA, engines, images", _c(0))
    labour_role: str = F("role", "labour rate of evaluation and patching", "ml_engineer")


class Maturity(Frozen):
    """Operating maturity for open weights: what the team has today, and what acquiring the rest costs."""

    gpu_operations: bool = F("flag", "the team already runs GPU serving in production", False)
    on_call: bool = F("flag", "an on-call rota exists that can take the serving stack", False)
    ml_operations: bool = F("flag", "model evaluation, registry and rollout practice exist", False)
    hiring_cost_per_fte: Quantity = F("CUR/FTE", "one-off cost of hiring and onboarding one FTE", _c(30000))
    ramp_months: Quantity = F("months", "months until a new capability runs without outside help", _c(6))
    contractor_premium: Quantity = F("fraction", "extra cost of outside help on the missing capability's staff during the ramp", _c(0.5))


class FineTuning(Frozen):
    """Fine-tuning the open model (data preparation, training runs, re-training cadence)."""

    runs_per_year: Quantity = F("runs/year", "training runs (re-training cadence)", _c(0))
    training_gpu_hours_per_run: Quantity = F("GPU-hours/run", "training GPU time per run", _c(0))
    gpu_hour_price: Quantity | None = F("CUR/GPU-hour", "training GPU price (default: the serving GPU's on-demand rate)", None)
    data_preparation_hours_per_run: Quantity = F("hours/run", "data collection, cleaning and labelling per run", _c(0))
    role: str = F("role", "labour rate of data preparation", "ml_engineer")


class SelfHosting(Frozen):
    """Serving part of the use case's traffic on an open-weights model on GPUs.

    ``infrastructure.deployment: self_hosted`` moves the listed steps' traffic to the fleet;
    ``hybrid`` moves ``hybrid_share`` of it; ``api`` keeps everything on the API (the section is
    then only used by ``finops tco`` to compare the three).
    """

    model: str = F("serving catalog id", "open-weights model served (serving.yaml)")
    gpu: str = F("GPU catalog id", "GPU type (gpus.yaml)")
    engine: str = F("label", "serving engine of the curve (nim, vllm, sglang, tensorrt-llm)", "nim")
    tier: RateTier = F("label", "how GPUs are paid for", "reserved_1y")
    provider: str | None = F("label", "rate provider in gpus.yaml (default: first listed for the tier)", None)
    gpu_hour_price: Quantity | None = F("CUR/GPU-hour", "rate override (not for tier owned)", None)
    steps: list[str] | None = F("step names", "steps whose traffic can move (default: generation, agent and summarisation steps)", None)
    hybrid_share: Fraction = F("fraction", "share of those steps' traffic self-hosted under deployment hybrid", _c(0.5))
    start_month: Quantity = F("months", "live months before the self-hosted fleet takes traffic (migration)", _c(0))
    migration_cost: Quantity = F("CUR", "one-off: porting prompts and tools, evaluation, load tests", _c(0))
    api_price_decline_per_year: Fraction = F("fraction/year", "yearly decline of API token prices (comparison only)", _c(0))
    networking_per_month: Quantity = F("CUR/month", "load balancers, private links, inter-node networking", _c(0))
    storage_per_month: Quantity = F("CUR/month", "model weights, images, KV offload storage", _c(0))
    licences_per_gpu_month: Quantity = F("CUR/GPU-month", "software licences per GPU (e.g. an enterprise AI suite)", _c(0))
    slo: Slo = Field(default_factory=Slo)
    sizing: Sizing = Field(default_factory=Sizing)
    owned: Owned = Field(default_factory=Owned)
    staff: Staff = Field(default_factory=Staff)
    maturity: Maturity = Field(default_factory=Maturity)
    fine_tuning: FineTuning = Field(default_factory=FineTuning)


class MultiProvider(Frozen):
    """A primary provider and a tested fallback on another provider."""

    primary: str | None = F("provider", "primary provider (default: the provider of the first step's model)", None)
    fallback_model: str = F("catalog id", "model on the fallback provider")
    failover_share: Fraction = F("fraction", "share of the primary provider's calls served by the fallback", _c(0.01))
    readiness_hours_per_month: Quantity = F("hours/month", "prompt tuning and evaluation kept current on the fallback", _c(0))
    readiness_role: str = F("role", "labour rate of readiness work", "ml_engineer")
    readiness_eval_per_month: Quantity = F("CUR/month", "fallback golden-set runs and monitoring", _c(0))
