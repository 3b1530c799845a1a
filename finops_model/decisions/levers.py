"""Optimisation levers: explicit, composable transformations of a validated use case.

A lever is a frozen, validated object (a pydantic model, like every assumption) with its own
uncertain parameters — :data:`~finops_model.schema.Fraction` / :data:`~finops_model.schema.Quantity`
fields written in the same language as the assumptions files (``0.2 to 0.3``, ``{pert: …}``) —
and its own costs: a one-off engineering effort ``one_off_cost`` [USD] and added
infrastructure ``monthly_cost`` [USD/month].

Why levers act on *draws*, not only on the use case
---------------------------------------------------
A lever multiplies an uncertain input by an uncertain factor (a system prompt of
``1,100–2,000`` tokens compressed by ``20–30%``). The product of two uncertain quantities is not
itself one of the distribution families of the assumptions language, so a lever cannot be
baked into a new :class:`~finops_model.schema.UseCase` without losing its uncertainty. Instead
:func:`apply` transforms a :class:`LeverState` — the use case (its structure: steps, models,
caps) **and** its per-trial input draws ``{field.path: (n,) array}`` — and returns a new state;
:func:`finops_model.engine.evaluate` then prices it. Structural changes (a routed copy of a
step, a tighter agent cap, a negotiated discount) go through
:func:`finops_model.assumptions.replace_path` / ``model_copy`` on the frozen use case.

Each lever's uncertain parameters are sampled as inputs named ``levers.<label>.<field>``. With
the default Monte Carlo design every input has its own random stream
(:func:`finops_model.distributions.input_streams`), so the use case's own draws are identical
with and without levers: comparisons are paired trial by trial (common random numbers).

A lever whose strength is zero (share removed 0, hit rate 0, no cap, …) changes nothing.

Lever costs enter the cost stack: ``one_off_cost`` is added to ``one_off.integration``
(category *build and integration*); ``monthly_cost`` to ``infrastructure.gateway_per_month``
(category *gateway*, where caches and routers live), except for the observability lever
whose tooling goes to ``hidden.observability.analytics_per_month``.

Lever files (``assumptions/levers.yaml``)
-----------------------------------------
::

    # lever plans by use case; '*' applies to every use case without its own plan
    plans:
      support-copilot:
        - lever: prompt_compression       # one of LEVER_KINDS
          label: compress                 # optional, unique within the plan (default: lever)
          share_removed: 0.2 to 0.3       # the lever's own (uncertain) parameters
          one_off_cost: 15000             # [USD] engineering effort
          steps: [answer, answer_frontier]  # optional: which steps (default: see each lever)
          stage: prompt_compression       # optional: waterfall stage (default: the lever's)
        - lever: routing
          to_model: gpt-4.1-nano
          steps: [answer]
          routed_share: 0.3 to 0.5
          escalation_rate: 0.05 to 0.15

All money in lever files is USD. Errors name the file, the field path and what was expected.

Levers (``lever:``) and their waterfall stage, in the order that works:

=========================  =====================  ==========================================
lever                      stage                  effect
=========================  =====================  ==========================================
``observability``          observability          removes waste found by attribution (share
                                                  of requests), adds tooling cost
``prompt_compression``     prompt_compression     removes a share of system + instruction
                                                  (extra-context) tokens
``routing``                routing                sends a share of a step's traffic to a
                                                  cheaper model; escalated requests re-run on
                                                  the original; optional router step
``context_engineering``    context_engineering    context budget cap, relevance threshold on
                                                  retrieved tokens, history summarisation
``response_cache``         caching                response / semantic cache: hit rate →
                                                  deflected calls and retrievals; embedding
                                                  look-ups; cache infrastructure
``prompt_caching``         caching                provider prompt caching: cached share of
                                                  the stable prefix read at the cache-read
                                                  rate, misses written at the write rate
``batch``                  batch                  share of online traffic at batch rates
``retry_reduction``        batch                  fewer retries (structured outputs)
``agent_step_cap``         batch                  tighter max iterations, fewer steps
``infrastructure``         infrastructure         reserved-capacity discount and rightsizing
                                                  of provisioned throughput and endpoints
``vendor_discount``        vendor                 negotiated / committed-use discount by
                                                  provider
``human_review``           labour                 review sampling rate (``min(current, new)``)
                                                  and minutes per review cut by tooling
``prompt_automation``      labour                 prompt-engineering FTE, rater and upkeep
                                                  hours cut by automation; added automated
                                                  golden-set runs priced by the engine
``enablement``             labour                 champions FTE, internal support and training
                                                  hours (self-serve enablement)
``platform_share``         labour                 the use case's share of the platform pool
                                                  and its own operations toil (automation)
=========================  =====================  ==========================================

The four labour levers form a ninth stage, ``labour``, after the domain reference's eight:
hidden labour is most of the monthly cost of most use cases, so a plan that stops at the model
bill misses where the money is. They act on the ``hidden.*`` draws (so every labour input keeps
its own uncertainty, multiplied by the lever's uncertain reduction) and never act on steps
(``steps:`` is refused). Their ``monthly_cost`` is the tooling or licence that buys the
reduction and lands in the cost line the lever reduces (``hidden.<section>.tooling_per_month``),
so the net saving shows in that line. A labour lever that would change nothing is refused.

The vendor discount is applied through the organisation's ``provider_discounts``, which the
engine prices as a point value: its uncertainty is taken at its median.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import Field, TypeAdapter, ValidationError, model_validator

from finops_model.errors import AssumptionError, CatalogError, ModelError, Problem, did_you_mean
from finops_model.inputs.assumptions import (
    iter_uncertain,
    load_assumptions,
    replace_path,
    sample_spec,
)
from finops_model.inputs.distributions import Method, SampleSpec, Uncertain, sample
from finops_model.inputs.fields import const as _c
from finops_model.inputs.schema import F, Fraction, Frozen, Quantity, UseCase
from finops_model.inputs.validation import problems_from_validation_error
from finops_model.model.components import PRIMARY_KINDS
from finops_model.model.engine import Result, evaluate
from finops_model.util.paths import ASSUMPTIONS_DIR

#: Waterfall stages in the order that works (domain reference, "Correct Optimization Order").
STAGES: tuple[str, ...] = (
    "observability",
    "prompt_compression",
    "routing",
    "context_engineering",
    "caching",
    "batch",
    "infrastructure",
    "vendor",
    "labour",
)

Stage = Literal[
    "observability", "prompt_compression", "routing", "context_engineering", "caching", "batch",
    "infrastructure", "vendor", "labour",
]

#: Readable stage titles for reports.
STAGE_TITLES: dict[str, str] = {
    "observability": "Observability",
    "prompt_compression": "Prompt compression",
    "routing": "Model routing",
    "context_engineering": "Context engineering",
    "caching": "Caching",
    "batch": "Batch, async and execution controls",
    "infrastructure": "Infrastructure commitments",
    "vendor": "Vendor contracts",
    "labour": "Labour: review, eval, enablement, platform",
}

Draws = dict[str, Any]


# --------------------------------------------------------------------------- state
@dataclass(frozen=True)
class LeverState:
    """A use case and its per-trial inputs, as levers see them.

    Attributes
    ----------
    use_case : UseCase
        Structure (steps, models, caps, discounts) after the levers applied so far.
    draws : dict path → (n,) array or float
        Every numeric input by field path (use case and lever parameters), in its unit.
    n : int
        Trials.
    catalog : Catalog
        Price catalog (for models a lever introduces).
    source : str
        Where the levers come from (file), for error messages.
    """

    use_case: UseCase
    draws: Mapping[str, Any]
    n: int
    catalog: Any
    source: str = ""

    def get(self, path: str, default: Any = 0.0) -> Any:
        return self.draws.get(path, default)

    def with_(self, use_case: UseCase | None = None, updates: Mapping[str, Any] | None = None) -> LeverState:
        draws = dict(self.draws)
        draws.update(updates or {})
        return LeverState(use_case or self.use_case, draws, self.n, self.catalog, self.source)


def _arr(x: Any) -> Any:
    return np.asarray(x, dtype=float) if np.ndim(x) else float(x)


# --------------------------------------------------------------------------- the lever base
class Lever(Frozen):
    """Base of every lever: a label, its stage, the steps it acts on and its own costs.

    Subclasses add their uncertain parameters and implement :meth:`transform`.
    """

    kind: ClassVar[str] = ""
    default_stage: ClassVar[str] = ""
    cost_path: ClassVar[str] = "infrastructure.gateway_per_month"

    label: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]+$", description="[slug] name in reports (default: the lever kind)")
    stage: Stage | None = F("label", "waterfall stage (default: the lever's own)", None)
    steps: tuple[str, ...] | None = F("step names", "steps the lever acts on (default: see each lever)", None)
    one_off_cost: Quantity = F("USD", "one-off engineering effort to put the lever in place", _c(0))
    monthly_cost: Quantity = F("USD/month", "added infrastructure or tooling run cost", _c(0))

    @property
    def name(self) -> str:
        return self.label or self.kind

    @property
    def stage_name(self) -> str:
        return self.stage or self.default_stage

    def inputs(self) -> dict[str, Uncertain]:
        """The lever's uncertain parameters as sampling inputs ``levers.<label>.<field>``."""
        return {f"levers.{self.name}.{k}": u for k, u in iter_uncertain(self)}

    def params(self, state: LeverState) -> dict[str, Any]:
        """The lever's parameters for every trial, by field name."""
        out = {}
        for k, u in iter_uncertain(self):
            key = f"levers.{self.name}.{k}"
            out[k] = state.draws[key] if key in state.draws else u.median
        return out

    def target_steps(self, state: LeverState, default: Iterable[str] | None = None) -> list[str]:
        """Steps to act on: ``steps`` if given (checked), else ``default`` (else all steps)."""
        uc = state.use_case
        if self.steps is None:
            return list(default) if default is not None else list(uc.steps)
        bad = [s for s in self.steps if s not in uc.steps]
        if bad:
            raise AssumptionError.single(
                state.source, f"{self.name}.steps",
                f"expected steps of use case {uc.id} ({', '.join(uc.steps)}), found {bad[0]!r}{did_you_mean(bad[0], uc.steps)}",
            )
        return list(self.steps)

    def transform(self, state: LeverState, p: Mapping[str, Any]) -> LeverState:  # pragma: no cover - abstract
        raise NotImplementedError

    def add_costs(self, state: LeverState, p: Mapping[str, Any]) -> LeverState:
        """Add the lever's one-off [USD] and monthly [USD/month] costs to the cost stack."""
        updates = {}
        if np.any(np.asarray(p["one_off_cost"]) != 0):
            updates["one_off.integration"] = _arr(state.get("one_off.integration")) + _arr(p["one_off_cost"])
        if np.any(np.asarray(p["monthly_cost"]) != 0):
            updates[self.cost_path] = _arr(state.get(self.cost_path)) + _arr(p["monthly_cost"])
        return state.with_(updates=updates) if updates else state


def _scale(state: LeverState, paths: Iterable[str], factor: Any) -> dict[str, Any]:
    return {p: _arr(state.get(p)) * factor for p in paths if p in state.draws}


def _primary(uc: UseCase) -> list[str]:
    return [n for n, s in uc.steps.items() if s.kind in PRIMARY_KINDS]


# --------------------------------------------------------------------------- levers
class Observability(Lever):
    """Measurement first: attribution finds waste (test traffic, duplicates, runaway jobs).

    ``requests_per_user_per_month × (1 − waste_removed)``; the tooling is ``monthly_cost``.
    """

    kind: ClassVar[str] = "observability"
    default_stage: ClassVar[str] = "observability"
    cost_path: ClassVar[str] = "hidden.observability.analytics_per_month"
    lever: Literal["observability"] = "observability"
    waste_removed: Fraction = F("fraction", "share of requests found to be waste and removed", _c(0))

    def transform(self, state: LeverState, p: Mapping[str, Any]) -> LeverState:
        return state.with_(updates=_scale(state, ["volume.requests_per_user_per_month"], 1.0 - _arr(p["waste_removed"])))


class PromptCompression(Lever):
    """Remove a share of the system and instruction tokens of each step.

    ``system_prompt_tokens × (1 − share_removed)`` and, with ``include_extra_context``, the
    same on ``extra_context_tokens`` (few-shot examples, schemas). Default steps: all.
    """

    kind: ClassVar[str] = "prompt_compression"
    default_stage: ClassVar[str] = "prompt_compression"
    lever: Literal["prompt_compression"] = "prompt_compression"
    share_removed: Fraction = F("fraction", "share of system and instruction tokens removed", _c(0))
    include_extra_context: bool = F("flag", "also compress extra_context_tokens (examples, schemas)", False)

    def transform(self, state: LeverState, p: Mapping[str, Any]) -> LeverState:
        keep = 1.0 - _arr(p["share_removed"])
        fields = ["system_prompt_tokens"] + (["extra_context_tokens"] if self.include_extra_context else [])
        paths = [f"steps.{s}.{f}" for s in self.target_steps(state) for f in fields]
        return state.with_(updates=_scale(state, paths, keep))


class Routing(Lever):
    """Route a share of a step's traffic to a cheaper model; escalations re-run on the original.

    A step with share S is split into a routed copy ``<step>_routed`` on ``to_model`` with share
    ``S · r`` and the original with share ``S · (1 − r · (1 − e))``: the routed requests that
    must escalate (quality risk ``e``) are paid twice. With ``router_model`` a classifier step
    ``<step>_router`` runs on share S. Default steps: the primary (generation/agent) steps.
    """

    kind: ClassVar[str] = "routing"
    default_stage: ClassVar[str] = "routing"
    lever: Literal["routing"] = "routing"
    to_model: str = F("catalog id", "cheaper model the routed traffic goes to")
    routed_share: Fraction = F("fraction", "share of the step's traffic simple enough to route", _c(0))
    escalation_rate: Fraction = F("fraction", "share of routed requests that fail quality and re-run on the original", _c(0))
    router_model: str | None = F("catalog id", "classifier deciding the route (none: rules, no model cost)", None)
    router_input_tokens: Quantity = F("tokens/call", "router prompt", _c(300))
    router_output_tokens: Quantity = F("tokens/call", "router output (a label)", _c(10))

    def transform(self, state: LeverState, p: Mapping[str, Any]) -> LeverState:
        uc = state.use_case
        for m, where in ((self.to_model, "to_model"), (self.router_model, "router_model")):
            if m is not None:
                try:
                    state.catalog.price(m)
                except CatalogError:
                    raise AssumptionError.single(
                        state.source, f"{self.name}.{where}",
                        f"expected a model in the price catalog, found {m!r}{did_you_mean(m, state.catalog.model_ids)}",
                    ) from None
        r = _arr(p["routed_share"])
        e = _arr(p["escalation_rate"])
        if not np.any(np.asarray(r) > 0) and self.router_model is None:
            return state
        steps = dict(uc.steps)
        updates: dict[str, Any] = {}
        for name in self.target_steps(state, _primary(uc)):
            step = uc.steps[name]
            if step.model == self.to_model:
                continue
            share = _arr(state.get(f"steps.{name}.share_of_requests", 1.0))
            routed = unique_name(f"{name}_routed", steps)
            steps[routed] = step.model_copy(update={"model": self.to_model})
            pre = f"steps.{name}."
            for k, v in state.draws.items():
                if k.startswith(pre):
                    updates[f"steps.{routed}." + k[len(pre):]] = v
            updates[f"steps.{routed}.share_of_requests"] = share * r
            updates[pre + "share_of_requests"] = share * (1.0 - r * (1.0 - e))
            if self.router_model is not None:
                rname = unique_name(f"{name}_router", steps)
                steps[rname] = _router_step(self.router_model)
                updates.update(_step_draws(rname, steps[rname]))
                updates[f"steps.{rname}.share_of_requests"] = share
                updates[f"steps.{rname}.user_prompt_tokens"] = _arr(p["router_input_tokens"])
                updates[f"steps.{rname}.output_tokens"] = _arr(p["router_output_tokens"])
        return state.with_(uc.model_copy(update={"steps": steps}), updates)


def unique_name(name: str, taken: Mapping[str, Any]) -> str:
    """``name``, or ``name2``, ``name3``… — the first not among ``taken``."""
    out, i = name, 2
    while out in taken:
        out, i = f"{name}{i}", i + 1
    return out


def _router_step(model: str) -> Any:
    from finops_model.inputs.schema import Step

    return Step.model_validate({"model": model, "kind": "router", "output_tokens": 10})


def _step_draws(name: str, step: Any) -> dict[str, Any]:
    """Constant draws of a step the lever adds (every numeric field, by path)."""
    return {f"steps.{name}.{k}": u.median for k, u in iter_uncertain(step)}


class ContextEngineering(Lever):
    """Control what goes into the prompt: budget cap, relevance threshold, summarised history.

    * ``budget_tokens``: ``context_budget_tokens = min(current, budget)`` on the steps;
    * ``retrieved_share_removed``: a relevance threshold drops this share of retrieved chunks
      (``rag.top_k × (1 − share)``; the search and rerank are unchanged);
    * ``history_reduction``: history summarised to ``(1 − reduction)`` of its tokens per
      turn; with ``summariser_model`` each step carrying history gets a summarisation call
      ``<step>_summary`` reading the raw history and writing the summary.

    Default steps: all.
    """

    kind: ClassVar[str] = "context_engineering"
    default_stage: ClassVar[str] = "context_engineering"
    lever: Literal["context_engineering"] = "context_engineering"
    budget_tokens: Quantity | None = F("tokens/call", "context budget cap (none: unchanged)", None)
    retrieved_share_removed: Fraction = F("fraction", "share of retrieved tokens below the relevance threshold", _c(0))
    history_reduction: Fraction = F("fraction", "share of history tokens removed by summarisation", _c(0))
    summariser_model: str | None = F("catalog id", "model that writes the summaries (none: no extra calls)", None)

    def transform(self, state: LeverState, p: Mapping[str, Any]) -> LeverState:
        uc = state.use_case
        names = self.target_steps(state)
        updates: dict[str, Any] = {}
        if self.budget_tokens is not None:
            for s in names:
                cur = _arr(state.get(f"steps.{s}.context_budget_tokens", np.inf))
                updates[f"steps.{s}.context_budget_tokens"] = np.minimum(cur, _arr(p["budget_tokens"]))
        if uc.rag is not None:
            updates.update(_scale(state, ["rag.top_k"], 1.0 - _arr(p["retrieved_share_removed"])))
        h = _arr(p["history_reduction"])
        steps = dict(uc.steps)
        for s in names:
            k_path, t_path = f"steps.{s}.history.tokens_per_turn", f"steps.{s}.history.turns"
            k = _arr(state.get(k_path))
            if not np.any(np.asarray(k) > 0) or not np.any(np.asarray(h) > 0):
                continue
            updates[k_path] = k * (1.0 - h)
            if self.summariser_model is not None:
                raw = k * np.maximum(_arr(state.get(t_path, 1.0)) - 1.0, 0.0) / 2.0  # average history [tokens/call]
                name = unique_name(f"{s}_summary", steps)
                steps[name] = _router_step(self.summariser_model).model_copy(update={"kind": "summarisation"})
                updates.update(_step_draws(name, steps[name]))
                updates[f"steps.{name}.share_of_requests"] = _arr(state.get(f"steps.{s}.share_of_requests", 1.0))
                updates[f"steps.{name}.user_prompt_tokens"] = raw
                updates[f"steps.{name}.output_tokens"] = raw * (1.0 - h)
        return state.with_(uc.model_copy(update={"steps": steps}) if len(steps) > len(uc.steps) else None, updates)


class ResponseCache(Lever):
    """Response or semantic cache in front of the workflow: hits skip the model calls.

    Every targeted step's share and the retrieval queries are multiplied by ``1 − hit_rate``.
    A semantic cache embeds each request (``lookup_tokens`` on ``embedding_model``, hits and
    misses alike), priced per request through ``infrastructure.gateway_per_million_requests``;
    the cache store is ``monthly_cost``. Default steps: all.
    """

    kind: ClassVar[str] = "response_cache"
    default_stage: ClassVar[str] = "caching"
    lever: Literal["response_cache"] = "response_cache"
    hit_rate: Fraction = F("fraction", "share of requests answered from the cache", _c(0))
    embedding_model: str | None = F("catalog id", "embedding model of a semantic cache (none: exact-match cache)", None)
    lookup_tokens: Quantity = F("tokens/request", "tokens embedded per look-up", _c(0))

    def transform(self, state: LeverState, p: Mapping[str, Any]) -> LeverState:
        miss = 1.0 - _arr(p["hit_rate"])
        paths = [f"steps.{s}.share_of_requests" for s in self.target_steps(state)]
        updates = {q: _arr(state.get(q, 1.0)) * miss for q in paths}
        if state.use_case.rag is not None:
            updates.update(_scale(state, ["rag.queries_per_request"], miss))
        if self.embedding_model is not None:
            try:
                price = state.catalog.price(self.embedding_model).input_usd_per_token
            except CatalogError:
                raise AssumptionError.single(
                    state.source, f"{self.name}.embedding_model",
                    f"expected a model in the price catalog, found {self.embedding_model!r}"
                    f"{did_you_mean(self.embedding_model, state.catalog.model_ids)}",
                ) from None
            per_request = _arr(p["lookup_tokens"]) * price  # [USD/request]
            key = "infrastructure.gateway_per_million_requests"
            updates[key] = _arr(state.get(key)) + per_request * 1e6
        return state.with_(updates=updates)


class PromptCaching(Lever):
    """Provider prompt caching of a stable prefix.

    ``cached_prompt_share = max(current, prefix_share · hit_rate)``; where that raises it, the
    misses write the prefix: ``cache_write_share = prefix_share · (1 − hit_rate)``. Cache reads
    are billed at the cache-read rate, writes at the write rate (engine). Default steps: all.
    """

    kind: ClassVar[str] = "prompt_caching"
    default_stage: ClassVar[str] = "caching"
    lever: Literal["prompt_caching"] = "prompt_caching"
    prefix_share: Fraction = F("fraction", "share of input tokens that is a stable, cacheable prefix", _c(0))
    hit_rate: Fraction = F("fraction", "share of calls that find the prefix in the cache", _c(0))

    def transform(self, state: LeverState, p: Mapping[str, Any]) -> LeverState:
        target = _arr(p["prefix_share"]) * _arr(p["hit_rate"])
        write = _arr(p["prefix_share"]) * (1.0 - _arr(p["hit_rate"]))
        updates: dict[str, Any] = {}
        for s in self.target_steps(state):
            rp, wp = f"steps.{s}.cached_prompt_share", f"steps.{s}.cache_write_share"
            old_r, old_w = _arr(state.get(rp)), _arr(state.get(wp))
            better = np.asarray(target) > np.asarray(old_r)
            if not np.any(better):
                continue
            updates[rp] = np.where(better, target, old_r)
            updates[wp] = np.where(better, write, old_w)
        return state.with_(updates=updates)


class Batch(Lever):
    """Move a share of the remaining online traffic to the batch API.

    ``batch_share = current + (1 − current) · share``. Default steps: all (name the
    non-real-time steps in ``steps``).
    """

    kind: ClassVar[str] = "batch"
    default_stage: ClassVar[str] = "batch"
    lever: Literal["batch"] = "batch"
    share: Fraction = F("fraction", "share of online calls moved to batch", _c(0))

    def transform(self, state: LeverState, p: Mapping[str, Any]) -> LeverState:
        b = _arr(p["share"])
        updates = {}
        for s in self.target_steps(state):
            path = f"steps.{s}.batch_share"
            cur = _arr(state.get(path))
            updates[path] = cur + (1.0 - cur) * b
        return state.with_(updates=updates)


class RetryReduction(Lever):
    """Fewer malformed outputs (structured outputs, better validation): ``rate × (1 − reduction)``."""

    kind: ClassVar[str] = "retry_reduction"
    default_stage: ClassVar[str] = "batch"
    lever: Literal["retry_reduction"] = "retry_reduction"
    reduction: Fraction = F("fraction", "share of retries avoided", _c(0))

    def transform(self, state: LeverState, p: Mapping[str, Any]) -> LeverState:
        paths = [f"steps.{s}.retry.rate" for s in self.target_steps(state)]
        return state.with_(updates=_scale(state, paths, 1.0 - _arr(p["reduction"])))


class AgentStepCap(Lever):
    """Agent limits: a tighter hard cap on iterations and fewer steps through better planning.

    ``max_iterations = min(current, max_iterations)``; ``iterations × (1 − step_reduction)``.
    Default steps: those with an agent loop.
    """

    kind: ClassVar[str] = "agent_step_cap"
    default_stage: ClassVar[str] = "batch"
    lever: Literal["agent_step_cap"] = "agent_step_cap"
    max_iterations: int | None = F("iterations", "new hard cap (none: unchanged)", None, ge=1, le=1000)
    step_reduction: Fraction = F("fraction", "share of iterations avoided", _c(0))

    def transform(self, state: LeverState, p: Mapping[str, Any]) -> LeverState:
        uc = state.use_case
        loops = [n for n, s in uc.steps.items() if s.agent_loop is not None]
        names = [n for n in self.target_steps(state, loops) if uc.steps[n].agent_loop is not None]
        updates = _scale(state, [f"steps.{n}.agent_loop.iterations" for n in names], 1.0 - _arr(p["step_reduction"]))
        if self.max_iterations is not None:
            for n in names:
                cap = uc.steps[n].agent_loop.max_iterations  # type: ignore[union-attr]
                if self.max_iterations < cap:
                    uc = replace_path(uc, f"steps.{n}.agent_loop.max_iterations", self.max_iterations)  # type: ignore[assignment]
        return state.with_(uc, updates)


class InfrastructureCommitment(Lever):
    """Reserved / provisioned capacity: rightsizing then a commitment discount.

    ``provisioned_throughput_per_month`` and ``dedicated_endpoints_per_month`` ×
    ``(1 − rightsizing) · (1 − reserved_discount)``.
    """

    kind: ClassVar[str] = "infrastructure"
    default_stage: ClassVar[str] = "infrastructure"
    lever: Literal["infrastructure"] = "infrastructure"
    reserved_discount: Fraction = F("fraction", "discount of a reservation or commitment on the capacity", _c(0))
    rightsizing: Fraction = F("fraction", "share of over-provisioned capacity removed", _c(0))

    def transform(self, state: LeverState, p: Mapping[str, Any]) -> LeverState:
        keep = (1.0 - _arr(p["rightsizing"])) * (1.0 - _arr(p["reserved_discount"]))
        paths = ["infrastructure.provisioned_throughput_per_month", "infrastructure.dedicated_endpoints_per_month"]
        return state.with_(updates=_scale(state, paths, keep))


class VendorDiscount(Lever):
    """Negotiated or committed-use discount on a provider's list prices.

    Combined with any existing discount: ``1 − (1 − current)(1 − discount)``, applied to
    ``org.provider_discounts`` (priced by the engine at the median of ``discount``).
    ``providers``: which providers (default: every provider the use case calls).
    """

    kind: ClassVar[str] = "vendor_discount"
    default_stage: ClassVar[str] = "vendor"
    lever: Literal["vendor_discount"] = "vendor_discount"
    discount: Fraction = F("fraction", "discount on list price", _c(0))
    providers: tuple[str, ...] | None = F("provider names", "providers the contract covers (default: all used)", None)

    def transform(self, state: LeverState, p: Mapping[str, Any]) -> LeverState:
        d = float(np.median(np.asarray(p["discount"], dtype=float)))
        if d <= 0:
            return state
        uc = state.use_case
        assert uc.org is not None
        models = [s.model for s in uc.steps.values()]
        if uc.rag is not None:
            models.append(uc.rag.embedding_model)
        used = sorted({state.catalog.provider(m) for m in models})
        providers = list(self.providers) if self.providers is not None else used
        discounts = dict(uc.org.provider_discounts)
        for prov in providers:
            old = discounts.get(prov)
            old_d = old.median if old is not None else 0.0
            discounts[prov] = Uncertain.constant(min(1.0 - (1.0 - old_d) * (1.0 - d), 0.99))
        org = uc.org.model_copy(update={"provider_discounts": discounts})
        return state.with_(uc.model_copy(update={"org": org}))


# --------------------------------------------------------------------------- labour levers
class LabourLever(Lever):
    """Base of the labour levers: no ``steps``, at least one effect, cost in the line reduced."""

    default_stage: ClassVar[str] = "labour"
    effects: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _plan(self) -> LabourLever:
        if self.steps is not None:
            raise ValueError(f"expected no steps: a {self.kind} lever acts on the hidden labour lines, not on steps (remove steps)")
        if not any(getattr(self, f) is not None and getattr(self, f).support[1] > 0 for f in self.effects):
            raise ValueError(f"expected at least one of {', '.join(self.effects)} above 0, found none (the lever would change nothing)")
        return self


def _reduce(state: LeverState, path: str, reduction: Any) -> dict[str, Any]:
    """``{path: draw × (1 − reduction)}`` where the use case draws ``path`` [its unit]."""
    return _scale(state, [path], 1.0 - _arr(reduction))


class HumanReviewLever(LabourLever):
    """Human review: sample fewer outputs and make each review faster with tooling.

    ``share_reviewed = min(current, share_reviewed)`` (a sampling plan, e.g. 100% → 20%, never
    raises the rate); ``minutes_per_review × (1 − minutes_reduction)`` (pre-annotation, queues,
    diffs of what changed). Tooling: ``monthly_cost`` → ``hidden.human_review.tooling_per_month``.
    """

    kind: ClassVar[str] = "human_review"
    cost_path: ClassVar[str] = "hidden.human_review.tooling_per_month"
    effects: ClassVar[tuple[str, ...]] = ("share_reviewed", "minutes_reduction")
    lever: Literal["human_review"] = "human_review"
    share_reviewed: Fraction | None = F("fraction", "sampling rate after the lever (none: unchanged)", None)
    minutes_reduction: Fraction = F("fraction", "share of minutes per review saved by tooling", _c(0))

    def transform(self, state: LeverState, p: Mapping[str, Any]) -> LeverState:
        hr = "hidden.human_review."
        updates = _reduce(state, hr + "minutes_per_review", p["minutes_reduction"])
        if self.share_reviewed is not None:
            updates[hr + "share_reviewed"] = np.minimum(_arr(state.get(hr + "share_reviewed")), _arr(p["share_reviewed"]))
        return state.with_(updates=updates)


class PromptAutomation(LabourLever):
    """Prompt engineering and evaluation automated: optimisers, LLM-as-judge, synthetic cases.

    ``prompt_engineering.fte × (1 − fte_reduction)``, ``human_rater_hours × (1 −
    rater_hours_reduction)``, ``dataset_upkeep_hours × (1 − upkeep_reduction)``; automation runs
    the golden set more often: ``runs_per_month + added_runs_per_month`` (system and judge calls
    priced by the engine). Licence: ``monthly_cost`` → ``hidden.prompt_engineering.tooling_per_month``.
    """

    kind: ClassVar[str] = "prompt_automation"
    cost_path: ClassVar[str] = "hidden.prompt_engineering.tooling_per_month"
    effects: ClassVar[tuple[str, ...]] = ("fte_reduction", "rater_hours_reduction", "upkeep_reduction")
    lever: Literal["prompt_automation"] = "prompt_automation"
    fte_reduction: Fraction = F("fraction", "share of prompt-engineering FTE saved", _c(0))
    rater_hours_reduction: Fraction = F("fraction", "share of human rater hours replaced by judges", _c(0))
    upkeep_reduction: Fraction = F("fraction", "share of golden-set upkeep hours saved", _c(0))
    added_runs_per_month: Quantity = F("runs/month", "extra automated golden-set runs", _c(0))

    def transform(self, state: LeverState, p: Mapping[str, Any]) -> LeverState:
        ev = "hidden.evaluation."
        updates = {
            **_reduce(state, "hidden.prompt_engineering.fte", p["fte_reduction"]),
            **_reduce(state, ev + "human_rater_hours_per_month", p["rater_hours_reduction"]),
            **_reduce(state, ev + "dataset_upkeep_hours_per_month", p["upkeep_reduction"]),
        }
        if np.any(np.asarray(p["added_runs_per_month"]) != 0):
            updates[ev + "runs_per_month"] = _arr(state.get(ev + "runs_per_month")) + _arr(p["added_runs_per_month"])
        return state.with_(updates=updates)


class EnablementLever(LabourLever):
    """Enablement matured: fewer champions, self-serve support and shorter, targeted training.

    ``champions_fte × (1 − champions_reduction)``, ``support_hours × (1 − support_reduction)``,
    training and refresher hours ``× (1 − training_reduction)``. Tooling: ``monthly_cost`` →
    ``hidden.enablement.tooling_per_month``.
    """

    kind: ClassVar[str] = "enablement"
    cost_path: ClassVar[str] = "hidden.enablement.tooling_per_month"
    effects: ClassVar[tuple[str, ...]] = ("champions_reduction", "support_reduction", "training_reduction")
    lever: Literal["enablement"] = "enablement"
    champions_reduction: Fraction = F("fraction", "share of champions FTE released", _c(0))
    support_reduction: Fraction = F("fraction", "share of internal support hours saved", _c(0))
    training_reduction: Fraction = F("fraction", "share of training and refresher hours saved", _c(0))

    def transform(self, state: LeverState, p: Mapping[str, Any]) -> LeverState:
        en = "hidden.enablement."
        t = p["training_reduction"]
        return state.with_(updates={
            **_reduce(state, en + "champions_fte", p["champions_reduction"]),
            **_reduce(state, en + "support_hours_per_month", p["support_reduction"]),
            **_reduce(state, en + "training_hours_per_user", t),
            **_reduce(state, en + "refresher_hours_per_user_per_year", t),
        })


class PlatformShareLever(LabourLever):
    """A leaner shared platform and automated operations toil.

    ``share_of_platform × (1 − share_reduction)`` and ``operations_hours × (1 −
    operations_reduction)``. A smaller share is a saving only when the pool itself shrinks
    (self-service, consolidated gateways): moving the share to another use case is not. Tooling:
    ``monthly_cost`` → ``hidden.platform.tooling_per_month``.
    """

    kind: ClassVar[str] = "platform_share"
    cost_path: ClassVar[str] = "hidden.platform.tooling_per_month"
    effects: ClassVar[tuple[str, ...]] = ("share_reduction", "operations_reduction")
    lever: Literal["platform_share"] = "platform_share"
    share_reduction: Fraction = F("fraction", "share of this use case's platform-pool share removed", _c(0))
    operations_reduction: Fraction = F("fraction", "share of its operations hours automated", _c(0))

    def transform(self, state: LeverState, p: Mapping[str, Any]) -> LeverState:
        pl = "hidden.platform."
        return state.with_(updates={
            **_reduce(state, pl + "share_of_platform", p["share_reduction"]),
            **_reduce(state, pl + "operations_hours_per_month", p["operations_reduction"]),
        })


#: Labour lever kinds (stage ``labour``) and the hidden-cost section each acts on.
LABOUR_LEVERS: dict[str, str] = {
    "human_review": "hidden.human_review", "prompt_automation": "hidden.prompt_engineering",
    "enablement": "hidden.enablement", "platform_share": "hidden.platform",
}


AnyLever = Annotated[
    Observability | PromptCompression | Routing | ContextEngineering | ResponseCache | PromptCaching
    | Batch | RetryReduction | AgentStepCap | InfrastructureCommitment | VendorDiscount
    | HumanReviewLever | PromptAutomation | EnablementLever | PlatformShareLever,
    Field(discriminator="lever"),
]

#: Lever kinds accepted in lever files (``lever:``).
LEVER_KINDS: tuple[str, ...] = (
    "observability", "prompt_compression", "routing", "context_engineering", "response_cache",
    "prompt_caching", "batch", "retry_reduction", "agent_step_cap", "infrastructure", "vendor_discount",
    "human_review", "prompt_automation", "enablement", "platform_share",
)

_ADAPTER: TypeAdapter[Any] = TypeAdapter(list[AnyLever])


# --------------------------------------------------------------------------- applying
def lever_inputs(levers: Sequence[Lever]) -> dict[str, Uncertain]:
    """Every uncertain parameter of ``levers`` as sampling inputs (``levers.<label>.<field>``)."""
    out: dict[str, Uncertain] = {}
    for lev in levers:
        out.update(lev.inputs())
    return out


def check_labels(levers: Sequence[Lever], source: str = "") -> None:
    """Raise if two levers share a label (their parameters would share random streams)."""
    seen: set[str] = set()
    for i, lev in enumerate(levers):
        if lev.name in seen:
            raise AssumptionError.single(
                source, f"{i}.label", f"expected a unique label per lever, found {lev.name!r} twice (set label:)"
            )
        seen.add(lev.name)


def apply(lever: Lever, state: LeverState) -> LeverState:
    """The state after ``lever``: its transformation and its costs.

    Parameters
    ----------
    lever : Lever
    state : LeverState
        Use case and draws (including the lever's parameters ``levers.<label>.<field>``;
        missing parameters are taken at their median).

    Returns
    -------
    LeverState
        A new state; ``state`` is not modified.
    """
    p = lever.params(state)
    return lever.add_costs(lever.transform(state, p), p)


def apply_all(levers: Iterable[Lever], state: LeverState) -> LeverState:
    """Apply levers in order (composition)."""
    for lev in levers:
        state = apply(lev, state)
    return state


def initial_state(
    use_case: UseCase,
    levers: Sequence[Lever],
    catalog: Any,
    n: int = 2_000,
    seed: int | np.random.Generator | None = 0,
    method: Method = "mc",
    source: str = "",
) -> LeverState:
    """Sample the use case's inputs and the levers' parameters together.

    With ``method="mc"`` each input has its own random stream, so the use case's draws do not
    depend on which levers are sampled beside it (common random numbers).
    """
    check_labels(levers, source)
    base = sample_spec(use_case)
    spec = SampleSpec({**base.inputs, **lever_inputs(levers)}, base.correlations)
    draws = sample(spec, n, seed, method)
    return LeverState(use_case, draws, n, catalog, source)


def evaluate_state(state: LeverState) -> Result:
    """Price a state with :func:`finops_model.engine.evaluate` [per-trial KPIs]."""
    return evaluate(state.use_case, state.draws, state.catalog, state.n)


def simulate_levers(
    use_case: UseCase,
    levers: Sequence[Lever],
    catalog: Any,
    n: int = 2_000,
    seed: int | np.random.Generator | None = 0,
    method: Method = "mc",
) -> Result:
    """Sample, apply ``levers`` in order and evaluate (``sample → transform → evaluate``)."""
    return evaluate_state(apply_all(levers, initial_state(use_case, levers, catalog, n, seed, method)))


# --------------------------------------------------------------------------- lever files
@dataclass(frozen=True)
class LeverPlans:
    """Lever plans by use case id (``'*'``: the default plan). ``file`` is where they came from."""

    plans: Mapping[str, tuple[Lever, ...]]
    file: str = ""
    description: str = ""

    def for_use_case(self, use_case_id: str) -> tuple[Lever, ...]:
        """The plan of a use case (its own, else ``'*'``, else none)."""
        if use_case_id in self.plans:
            return self.plans[use_case_id]
        return self.plans.get("*", ())


class _PlanFile(Frozen):
    description: str = F("text", "what the plans represent", "")
    sources: dict[str, str] = F("text", "source of any figure, by lever label", {})
    plans: dict[str, list[dict[str, Any]]] = F("levers", "'<use-case id or *>': list of levers", {})


def parse_levers(data: Any, file: str = "", path: str = "") -> tuple[Lever, ...]:
    """Validate a list of lever mappings; errors name ``file``, the field path and the problem."""
    if not isinstance(data, list):
        raise AssumptionError.single(file, path, f"expected a list of levers, found {type(data).__name__}")
    for i, item in enumerate(data):
        kind = item.get("lever") if isinstance(item, Mapping) else None
        if kind not in LEVER_KINDS:
            where = f"{path}.{i}.lever" if path else f"{i}.lever"
            raise AssumptionError.single(
                file, where, f"expected a lever kind among {', '.join(LEVER_KINDS)}, found {kind!r}{did_you_mean(str(kind), LEVER_KINDS)}"
            )
    try:
        levers = tuple(_ADAPTER.validate_python(data))
    except ValidationError as exc:
        problems = problems_from_validation_error(exc, file)
        if path:
            problems = [Problem(q.file, _drop_kind(f"{path}.{q.path}" if q.path else path), q.message) for q in problems]
        raise AssumptionError(problems) from None
    check_labels(levers, f"{file}: {path}" if path else file)
    return levers


def _drop_kind(p: str) -> str:
    # pydantic puts the discriminator value in the location: 'plans.x.0.routing.to_model'
    return re.sub(r"\.(" + "|".join(LEVER_KINDS) + r")\.", ".", p)


def load_lever_plans(path: str | Path | None = None) -> LeverPlans:
    """Read a lever file (default ``assumptions/levers.yaml``); see the module docstring."""
    from finops_model.util import yamlio

    path = Path(path) if path is not None else ASSUMPTIONS_DIR / "levers.yaml"
    if not path.exists():
        raise AssumptionError.single(str(path), "", "expected a lever file, found nothing at this path")
    data = yamlio.load(path)
    try:
        doc = _PlanFile.model_validate(data)
    except ValidationError as exc:
        raise AssumptionError(problems_from_validation_error(exc, str(path))) from None
    plans = {uc: parse_levers(items, str(path), f"plans.{uc}") for uc, items in doc.plans.items()}
    return LeverPlans(plans, str(path), doc.description)


def check_plans(plans: LeverPlans, use_cases: Mapping[str, UseCase], catalog: Any, n: int = 16) -> list[Problem]:
    """Every problem of ``plans`` against the use cases they name (for ``finops validate``).

    A plan key must be a use-case id or ``'*'``; each use case's plan is applied on ``n`` trials
    (unknown steps or models are refused as at run time); a labour lever in a use case's own
    plan that changes none of its inputs (the labour line is zero) is refused.
    """
    problems: list[Problem] = []
    for key in plans.plans:
        if key != "*" and key not in use_cases:
            problems.append(Problem(plans.file, f"plans.{key}", f"expected a use case id or '*', found {key!r}{did_you_mean(key, use_cases)}"))
    for uc_id, uc in use_cases.items():
        key = uc_id if uc_id in plans.plans else "*"
        plan = plans.for_use_case(uc_id)
        if not plan:
            continue
        try:
            state = initial_state(uc, plan, catalog, n, 0, "mc", f"{plans.file}: plans.{key}")
            for i, lev in enumerate(plan):
                if key != "*" and lev.kind in LABOUR_LEVERS and not _changes(lev, state):
                    problems.append(Problem(
                        plans.file, f"plans.{key}.{i}",
                        f"expected a labour line to act on, found {LABOUR_LEVERS[lev.kind]} at zero in use case {uc_id} (lever {lev.name} would change nothing)",
                    ))
                state = apply(lev, state)
        except AssumptionError as exc:
            problems.extend(exc.problems)
    return problems


def _changes(lever: Lever, state: LeverState) -> bool:
    after = lever.transform(state, lever.params(state))
    return after.use_case is not state.use_case or any(
        not np.array_equal(np.asarray(v), np.asarray(state.draws.get(k, np.nan))) for k, v in after.draws.items()
    )


__all__ = [
    "STAGES", "STAGE_TITLES", "LEVER_KINDS", "Lever", "LeverState", "LeverPlans", "Observability",
    "PromptCompression", "Routing", "ContextEngineering", "ResponseCache", "PromptCaching", "Batch",
    "RetryReduction", "AgentStepCap", "InfrastructureCommitment", "VendorDiscount", "apply",
    "apply_all", "initial_state", "evaluate_state", "simulate_levers", "lever_inputs",
    "parse_levers", "load_lever_plans", "check_labels", "HumanReviewLever", "PromptAutomation",
    "EnablementLever", "PlatformShareLever", "LABOUR_LEVERS", "check_plans",
]




# --------------------------------------------------------------------------- the boundary
#: Trials a lever plan is run on when it is checked [trials] (enough to run every code path).
CHECK_TRIALS = 4


def check_plan(use_case: UseCase, levers: Sequence[Lever], catalog: Any, source: str, path: str) -> None:
    """Run ``levers`` on ``use_case`` exactly as ``finops levers`` and ``compare +levers`` do (on
    :data:`CHECK_TRIALS` trials); any problem is an :class:`AssumptionError` naming ``source``.

    ``path`` is the plan's field path in the lever file (``plans.<use case id or *>``).
    """
    try:
        with warnings.catch_warnings():  # a missing cache price is the command's warning to give, not the check's
            warnings.simplefilter("ignore")
            simulate_levers(use_case, levers, catalog, CHECK_TRIALS, 0)
    except AssumptionError as exc:
        raise AssumptionError([Problem(p.file or source, p.path or path, p.message) for p in exc.problems]) from None
    except ModelError as exc:
        raise AssumptionError.single(source, path, f"{exc} (with the levers of {use_case.id}'s plan)") from None


def check_lever_file(path: Path, assumptions: Any) -> str:
    """Validate a lever file against the use cases it plans for (``finops validate`` calls it):
    its schema, and every plan run on each use case it applies to, under every scenario of the
    assumptions folder. Returns the ``ok`` line."""
    plans = load_lever_plans(path)
    problems: list[Problem] = []
    unknown = [k for k in plans.plans if k != "*" and k not in assumptions.files]
    for k in unknown:
        problems.append(Problem(str(path), f"plans.{k}", f"expected a use case id or '*', found {k!r}{did_you_mean(k, assumptions.files)}"))
    scenario_sets: list[tuple[str, ...]] = [()] + [(p.stem,) for p in sorted((assumptions.root / "scenarios").glob("*.yaml"))]
    for scenarios in scenario_sets:
        a = assumptions if not scenarios else load_assumptions(assumptions.root, scenarios, use_cases=list(assumptions.use_cases), catalog=assumptions.catalog)
        for uc_id, uc in a.use_cases.items():
            key = uc_id if uc_id in plans.plans else "*"
            plan = plans.for_use_case(uc_id)
            if not plan:
                continue
            try:
                check_plan(uc, plan, a.catalog, str(path), f"plans.{key}")
            except AssumptionError as exc:
                where = f" (use case {uc_id}" + (f", scenario {scenarios[0]})" if scenarios else ")")
                problems.extend(Problem(p.file, p.path, p.message + where) for p in exc.problems)
        if problems:
            break
    if problems:
        raise AssumptionError(problems)
    n = sum(len(v) for v in plans.plans.values())
    return f"{path}: ok ({len(plans.plans)} plans, {n} levers)"


__all__ += ["CHECK_TRIALS", "check_lever_file", "check_plan"]
