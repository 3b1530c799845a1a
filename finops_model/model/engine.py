"""The orchestrator: price one use case, per trial and per month, layer by layer.

``evaluate(use_case, draws)`` runs the pure layer functions of :mod:`finops_model.layers` on
arrays of trials and fills a :class:`Result`; ``simulate(use_case, n, seed)`` samples the
uncertain inputs first (``sample → evaluate``, the SALib way).

Every cost is a :class:`Component` with linear drivers — per request, per active user-month,
per new user, fixed per live month, one-off at month 0 — plus, where a cost is not linear in
volume (a vector store's minimum bill), an explicit ``(n, months)`` top-up. Monthly totals are
built from the drivers once, so evaluating a million trials stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from finops_model.costs import finance, hidden, interaction, orchestration, rag, volume
from finops_model.errors import ModelError
from finops_model.inputs.assumptions import sample_spec
from finops_model.inputs.catalog import ModelPrice
from finops_model.inputs.distributions import (
    Method,
    SampleSpec,
    base_entropy,
    input_streams,
    sample,
)
from finops_model.inputs.schema import UseCase
from finops_model.model import selfhost
from finops_model.model.components import (
    KIND_LABEL,
    PRIMARY_KINDS,
    Component,
    Draws,
    list_share,
    price_for,
)
from finops_model.model.kpis import LAYERS
from finops_model.util.settings import DEFAULT_TRIALS

Array = NDArray[np.float64]



@dataclass
class Result:
    """What :func:`evaluate` computes for one use case (pvlib's ``ModelChainResult``).

    Attributes
    ----------
    use_case_id : str
    n_trials : int
    months : int
        Months of the horizon (build months included).
    live : (M,) bool
        Months with traffic.
    kpis : dict name → (n,) array
        Per-trial KPIs, units in :data:`KPI_UNITS`.
    cost_by_category : dict (layer, category) → (n,) [USD/month]
        Average monthly recurring cost over the live months, plus one-off costs spread over
        them; the categories sum to ``kpis['avg_monthly_cost']``.
    cost_by_month, value_by_month : (n, M) [USD/month]
        Recurring cost and value in each month (one-off costs are at month 0, not here).
    users : (n, M) [users]
        Active users in each month.
    requests_per_user : (n,) [requests/user/month]
    steps : dict step → dict of (n,) arrays
        ``calls_per_request`` [calls/request], ``input_tokens_per_call``,
        ``output_tokens_per_call`` [tokens/call], ``cost_per_request`` [USD/request].
    inputs : dict path → array or float
        The draws the result was computed from.
    by_year : dict
        ``costs`` and ``benefits``, (n, Y + 1) [USD/year]: year 0 the one-off costs (and any
        year-0 lines), years 1 … Y the months of each year summed; risk-adjusted, explicit
        ``finance.lines`` included, undiscounted — the year-by-year lines of the business case.
    convention : {"monthly", "annual"}
        The finance convention of ``npv``, ``roi``, ``pv_*`` and ``payback_*``
        (:mod:`finops_model.costs.finance`).
    """

    use_case_id: str
    n_trials: int
    months: int
    live: NDArray[np.bool_]
    kpis: dict[str, Array]
    cost_by_category: dict[tuple[str, str], Array]
    users: Array
    requests_per_user: Array
    steps: dict[str, dict[str, Array]]
    inputs: Mapping[str, Any] = field(repr=False, default_factory=dict)
    seed: Any = None
    method: str = "mc"
    monthly_parts: dict[str, Any] = field(repr=False, default_factory=dict)
    by_year: dict[str, Array] = field(repr=False, default_factory=dict)
    convention: str = "monthly"

    @cached_property
    def cost_by_month(self) -> Array:
        """Recurring cost in each month, (n, M) [USD/month] (one-off costs are at month 0).

        Built on first use from the per-trial drivers (most runs never need it, and a million
        trials × 36 months is 288 MB)."""
        p = self.monthly_parts
        cost = self.users * _col(p["cost_per_user_month"])
        if np.any(p["cost_per_new_user"]):
            cost += volume.new_users(self.users) * _col(p["cost_per_new_user"])
        cost += _col(p["fixed_per_month"]) * self.live
        for ex in p["extras"]:
            cost += ex(self.users, slice(0, self.n_trials)) if callable(ex) else np.asarray(ex)
        return cost

    @cached_property
    def value_by_month(self) -> Array:
        """Value in each month, (n, M) [USD/month] (built on first use)."""
        p = self.monthly_parts
        value = self.users * _col(p["value_per_user_month"])
        other = p["other_value_per_month"]
        if np.any(np.asarray(other) != 0):
            value += _col(other) * self.live
        return value

    @classmethod
    def concat(cls, parts: list[Result], users: Array | None = None) -> Result:
        """Join results of consecutive blocks of trials of the same use case.

        ``users`` may be the (n, M) array the blocks already wrote their rows into.
        """
        if len(parts) == 1:
            return parts[0]
        first = parts[0]

        def cat(arrays: list[Any]) -> Any:
            if all(np.ndim(a) == 0 for a in arrays) and all(np.array_equal(a, arrays[0]) for a in arrays):
                return arrays[0]
            return np.concatenate([np.broadcast_to(np.asarray(a, float), (p.n_trials,)) for a, p in zip(arrays, parts, strict=True)])

        n = sum(p.n_trials for p in parts)
        kpis = {k: cat([p.kpis[k] for p in parts]) for k in first.kpis}
        by_cat = {k: cat([p.cost_by_category[k] for p in parts]) for k in first.cost_by_category}
        steps = {s: {k: cat([p.steps[s][k] for p in parts]) for k in first.steps[s]} for s in first.steps}
        inputs = {k: cat([p.inputs[k] for p in parts]) for k in first.inputs}
        mp = first.monthly_parts
        monthly_parts: dict[str, Any] = {k: cat([p.monthly_parts[k] for p in parts]) for k in mp if k != "extras"}
        bounds = np.cumsum([0] + [p.n_trials for p in parts])
        monthly_parts["extras"] = [
            _BlockExtras([(int(bounds[j]), int(bounds[j + 1]), p.monthly_parts["extras"][i]) for j, p in enumerate(parts)])
            for i in range(len(mp.get("extras", [])))
        ]
        if users is None:
            users = np.concatenate([p.users for p in parts])
        by_year = {k: np.concatenate([p.by_year[k] for p in parts]) for k in first.by_year}
        return cls(first.use_case_id, n, first.months, first.live, kpis, by_cat, users,
                   np.concatenate([np.broadcast_to(p.requests_per_user, (p.n_trials,)) for p in parts]),
                   steps, inputs, first.seed, first.method, monthly_parts, by_year, first.convention)

    @property
    def requests(self) -> Array:
        """Requests in each month, (n, M) [requests/month] (computed on demand)."""
        return self.users * self.requests_per_user[:, None]

    def cost_by_layer(self) -> dict[str, Array]:
        """Average monthly cost by layer [USD/month] (sums to ``kpis['avg_monthly_cost']``)."""
        out = {layer: np.zeros(self.n_trials) for layer in LAYERS}
        for (layer, _), v in self.cost_by_category.items():
            out[layer] = out[layer] + v
        return out


class _BlockExtras:
    """The non-linear monthly top-ups of a result joined from blocks of trials.

    Called like a block's own top-up function — ``(users rows, slice of trials)`` — it asks
    each block for the rows it owns.
    """

    def __init__(self, blocks: list[tuple[int, int, Any]]):
        self.blocks = blocks

    def __call__(self, users_rows: Array, sl: slice) -> Array:
        start, stop, _ = sl.indices(self.blocks[-1][1])
        out = np.zeros((stop - start, users_rows.shape[1]))
        for lo, hi, ex in self.blocks:
            a, b = max(lo, start), min(hi, stop)
            if a >= b:
                continue
            rows = users_rows[a - start:b - start]
            part = ex(rows, slice(a - lo, b - lo)) if callable(ex) else np.asarray(ex)[a - lo:b - lo]
            out[a - start:b - start] = part
        return out


def _window(p: ModelPrice) -> float:
    return float(p.context_window) if p.context_window else np.inf


def _step_components(uc: UseCase, v: Draws, catalog: Any, n: int, batch_discount: Any) -> tuple[list[Component], dict[str, dict[str, Array]], dict[str, Array]]:
    comps: list[Component] = []
    steps: dict[str, dict[str, Array]] = {}
    zeros = np.zeros(n)
    totals = {"calls": zeros.copy(), "input": zeros.copy(), "output": zeros.copy(), "model_cost": zeros.copy()}
    retrieved = 0.0
    if uc.rag is not None:
        retrieved = rag.retrieved_tokens(v("rag.top_k"), v("rag.chunk_tokens"))
    for name, s in uc.steps.items():
        p = price_for(uc, catalog, s.model)
        pre = f"steps.{name}."
        iterations = 1.0
        tool_ctx = 0.0
        tool_cost = 0.0
        if s.agent_loop is not None:
            iterations = orchestration.capped_iterations(v(pre + "agent_loop.iterations"), s.agent_loop.max_iterations)
            tool_calls = v(pre + "agent_loop.tool_calls_per_iteration")
            cap = s.agent_loop.max_tool_calls_per_task
            if cap is not None:  # the cap spread over the iterations of the task
                tool_calls = orchestration.capped_tool_calls(tool_calls, iterations, cap)
            tool_ctx = orchestration.average_tool_context(iterations, tool_calls, v(pre + "agent_loop.tool_result_tokens"))
            tool_cost = tool_calls * v(pre + "agent_loop.tool_cost_per_call")
        budget = v(pre + "context_budget_tokens", np.inf)
        tokens = interaction.input_tokens_per_call(
            v(pre + "system_prompt_tokens"),
            v(pre + "user_prompt_tokens"),
            v(pre + "extra_context_tokens"),
            retrieved if s.uses_retrieval else 0.0,
            v(pre + "images_per_call") * v(pre + "tokens_per_image"),
            tool_ctx,
            v(pre + "history.turns"),
            v(pre + "history.tokens_per_turn"),
            budget,
            _window(p),
        )
        out_tokens = v(pre + "output_tokens")
        reasoning = v(pre + "reasoning_tokens")
        cost_call = interaction.blended_call_cost(
            p, tokens["total"], out_tokens, v(pre + "cached_prompt_share"), v(pre + "cache_write_share"),
            reasoning, v(pre + "batch_share"), batch_discount, v(pre + "price_per_image"), v(pre + "images_per_call"),
            list_price_share=list_share(uc, v, p),
        )
        attempts = orchestration.retry_multiplier(v(pre + "retry.rate"), s.retry.max_retries)
        calls = orchestration.calls_per_request(v(pre + "share_of_requests"), v(pre + "calls_per_request"), iterations, attempts)
        tokens_per_call = tokens["total"] + out_tokens + reasoning
        # agent limits: a token budget or spend ceiling per task scales the loop down
        limit = np.ones(n)
        if s.agent_loop is not None:
            share = np.maximum(np.asarray(v(pre + "share_of_requests"), float), 1e-12)
            if s.agent_loop.max_tokens_per_task is not None:
                per_task = calls["total"] / share * tokens_per_call
                limit = np.minimum(limit, v(pre + "agent_loop.max_tokens_per_task") / np.maximum(per_task, 1e-12))
            if s.agent_loop.budget_ceiling_per_task is not None:
                per_task = calls["total"] / share * (cost_call + tool_cost / np.maximum(attempts, 1))
                limit = np.minimum(limit, v(pre + "agent_loop.budget_ceiling_per_task") / np.maximum(per_task, 1e-12))
            limit = np.clip(limit, 0.0, 1.0)
            calls = {k: c * limit for k, c in calls.items()}
        base_cost = calls["base"] * cost_call
        loop_cost = calls["fan_out_and_loop"] * cost_call
        retry_cost = calls["retries"] * cost_call
        tools = (calls["base"] + calls["fan_out_and_loop"]) * tool_cost
        if s.kind in PRIMARY_KINDS:
            comps.append(Component("model_interaction", f"model calls: {name}", per_request=base_cost))
            comps.append(Component("application_logic", "agent loops and fan-out", per_request=loop_cost))
            comps.append(Component("application_logic", "retries", per_request=retry_cost))
        else:
            label = KIND_LABEL[s.kind]
            comps.append(Component("application_logic", label, per_request=base_cost + loop_cost + retry_cost))
        comps.append(Component("application_logic", "tool calls", per_request=tools))
        step_cost = base_cost + loop_cost + retry_cost
        steps[name] = {
            "calls_per_request": _vec(calls["total"], n),
            "input_tokens_per_call": _vec(tokens["total"], n),
            "output_tokens_per_call": _vec(out_tokens + reasoning, n),
            "cost_per_call": _vec(cost_call, n),
            "cost_per_request": _vec(step_cost + tools, n),
        }
        totals["calls"] = totals["calls"] + calls["total"]
        totals["input"] = totals["input"] + calls["total"] * tokens["total"]
        totals["output"] = totals["output"] + calls["total"] * (out_tokens + reasoning)
        totals["model_cost"] = totals["model_cost"] + step_cost
    return comps, steps, totals


def _rag_components(uc: UseCase, v: Draws, catalog: Any, requests_per_user: Any, live: NDArray[np.bool_]) -> list[Component]:
    if uc.rag is None:
        return []
    r = uc.rag
    embed_price = price_for(uc, catalog, r.embedding_model)
    embed = embed_price.input_usd_per_token * list_share(uc, v, embed_price)
    indexed = rag.indexed_tokens(v("rag.corpus_tokens"), v("rag.chunk_overlap"))
    monthly_tokens = rag.embedding_tokens_per_month(
        v("rag.corpus_tokens"), v("rag.chunk_overlap"), v("rag.reindex_per_month"), v("rag.corpus_change_per_month")
    )
    vectors = rag.vector_count(v("rag.corpus_tokens"), v("rag.chunk_tokens"), v("rag.chunk_overlap"))
    gb = rag.storage_gb(vectors, v("rag.embedding_dimensions"), v("rag.bytes_per_dimension"), v("rag.index_overhead"))
    storage = gb * v("rag.storage_price_per_gb_month")
    rerank_price: Any = 0.0
    if r.rerank is not None:
        if r.rerank.price_per_search is not None:
            rerank_price = v("rag.rerank.price_per_search")
        elif r.rerank.model:
            rerank_model = price_for(uc, catalog, r.rerank.model)
            per_query = rerank_model.per_query_usd
            if per_query is None:
                raise ModelError(
                    f"use case {uc.id}: rag.rerank: expected a per-search price for {r.rerank.model!r} "
                    "in the catalog or rag.rerank.price_per_search, found neither"
                )
            rerank_price = per_query * list_share(uc, v, rerank_model)
    q = rag.query_cost(v("rag.queries_per_request"), v("rag.query_tokens"), embed, v("rag.price_per_query"), rerank_price)
    minimum = v("rag.minimum_per_month")
    extra = None
    if np.any(np.asarray(minimum) > 0):
        search = q["search"]

        def extra(users_block: Array, sl: slice) -> Array:
            # top-up = max(minimum − (storage + search price × requests), 0) in live months
            out = users_block * _col(_take(search, sl) * _take(requests_per_user, sl))
            out += _col(_take(storage, sl))
            np.subtract(_col(_take(minimum, sl)), out, out=out)
            np.maximum(out, 0.0, out=out)
            out *= live
            return out

    return [
        Component("rag", "embedding: initial ingest", one_off=indexed * embed),
        Component("rag", "embedding: re-index", fixed_per_month=monthly_tokens * embed),
        Component("rag", "embedding: queries", per_request=q["embedding"]),
        Component("rag", "vector store", fixed_per_month=storage + v("rag.provisioned_per_month"), per_request=q["search"], monthly_extra=extra),
        Component("rag", "reranking", per_request=q["rerank"]),
    ]


def _infrastructure_components(
    uc: UseCase, v: Draws, catalog: Any = None, steps: dict[str, dict[str, Array]] | None = None,
    live: NDArray[np.bool_] | None = None,
) -> list[Component]:
    pre = "infrastructure."
    comps = [
        Component("infrastructure", "provisioned throughput and endpoints", fixed_per_month=v(pre + "provisioned_throughput_per_month") + v(pre + "dedicated_endpoints_per_month")),
        Component("infrastructure", "gateway", fixed_per_month=v(pre + "gateway_per_month"), per_request=v(pre + "gateway_per_million_requests") / 1e6),
        Component("infrastructure", "egress", per_request=v(pre + "egress_gb_per_request") * v(pre + "egress_price_per_gb")),
        Component("infrastructure", "seat licences", per_user_month=v(pre + "seat_licence_per_user_month")),
    ]
    if uc.infrastructure.deployment != "api" or uc.infrastructure.multi_provider is not None:
        # Build-versus-buy seam (model/selfhost.py): self-hosted / hybrid serving on a GPU fleet
        # sized month by month, with the API model cost of the traffic it serves credited back in
        # the model-cost categories (never billed twice); and the multi-provider fallback.
        if steps is None or live is None:
            raise ModelError(f"use case {uc.id}: infrastructure: self-hosting and multi-provider pricing need the steps and live months")
        comps += selfhost.infrastructure_components(uc, v, catalog, steps, selfhost.monthly_requests(uc, v, v.n, live), live, v.n)
    return comps


def _rate(v: Draws, role: str) -> Any:
    return v(f"org.labour_rates.{role}")


def _hidden_components(uc: UseCase, v: Draws, catalog: Any, steps: dict[str, dict[str, Array]], model_cost_per_request: Array, batch_discount: Any) -> list[Component]:
    org = uc.resolved_org
    h = uc.hidden
    over = v("org.overhead_factor")
    fte_h = v("org.hours_per_fte_month")
    dflt = "org.hidden_defaults."
    first = next(iter(steps.values()))
    # prompt engineering: staff plus the model calls of prompt iteration
    pe = "hidden.prompt_engineering."
    pe_cost = hidden.labour_cost(hidden.fte_hours(v(pe + "fte"), fte_h), _rate(v, h.prompt_engineering.role), over)
    pe_calls = v(pe + "iteration_calls_per_month") * first["cost_per_call"]
    # evaluation: golden-set runs (system + judge), raters, dataset upkeep
    ev = "hidden.evaluation."
    judge_model = h.evaluation.judge_model or next(iter(uc.steps.values())).model
    judge_price = price_for(uc, catalog, judge_model)
    judge_call = interaction.blended_call_cost(judge_price, v(ev + "judge_input_tokens"), v(ev + "judge_output_tokens"),
                                               batch_discount=batch_discount, list_price_share=list_share(uc, v, judge_price))
    runs = hidden.evaluation_run_cost(v(ev + "golden_set_size"), v(ev + "runs_per_month"), model_cost_per_request + judge_call)
    eval_labour = hidden.labour_cost(v(ev + "human_rater_hours_per_month"), _rate(v, h.evaluation.rater_role), over) + hidden.labour_cost(
        v(ev + "dataset_upkeep_hours_per_month"), _rate(v, h.evaluation.upkeep_role), over
    )
    # safety and compliance
    sf = "hidden.safety."
    moderation = v(sf + "moderation_calls_per_request") * v(sf + "moderation_price_per_call", dflt + "moderation_price_per_call")
    dlp = v(sf + "dlp_price_per_request", dflt + "dlp_price_per_request")
    safety_fixed = hidden.labour_cost(v(sf + "review_hours_per_month"), _rate(v, h.safety.review_role), over) + v(sf + "audit_per_year") / hidden.MONTHS_PER_YEAR
    # observability
    ob = "hidden.observability."
    logs = hidden.logging_cost_per_request(
        v(ob + "log_bytes_per_request", dflt + "log_bytes_per_request"),
        v(ob + "log_ingest_price_per_gb", dflt + "log_ingest_price_per_gb"),
        v(ob + "log_storage_price_per_gb_month", dflt + "log_storage_price_per_gb_month"),
        v(ob + "log_retention_months", dflt + "log_retention_months"),
    )
    # human review
    hr = "hidden.human_review."
    review_role = h.human_review.role or org.hidden_defaults.review_role
    review = hidden.human_review_cost_per_request(v(hr + "share_reviewed"), v(hr + "minutes_per_review"), _rate(v, review_role), over)
    if h.human_review.per == "outcome":  # reviews follow outcomes, not requests
        review = review * v("value.outcomes_per_request")
        if uc.value.resolution is not None:
            review = review * v("value.resolution.resolved_share")
    escalation: Any = 0.0
    if uc.value.resolution is not None:  # escalations are handled by people
        rs = "value.resolution."
        escalation = hidden.human_review_cost_per_request(
            v(rs + "escalated_share"), v(rs + "minutes_per_escalation"), _rate(v, uc.value.resolution.escalation_role), over
        )
    # enablement
    en = "hidden.enablement."
    training = hidden.labour_cost(v(en + "training_hours_per_user"), _rate(v, h.enablement.user_role), over)
    refresher = hidden.labour_cost(v(en + "refresher_hours_per_user_per_year"), _rate(v, h.enablement.user_role), over) / hidden.MONTHS_PER_YEAR
    enable_fixed = hidden.labour_cost(hidden.fte_hours(v(en + "champions_fte"), fte_h), _rate(v, h.enablement.champions_role), over) + hidden.labour_cost(
        v(en + "support_hours_per_month"), _rate(v, h.enablement.support_role), over
    )
    # share of platform operations
    pl = "org.platform."
    pool = v(pl + "gateway") + v(pl + "observability_platform") + hidden.labour_cost(
        hidden.fte_hours(v(pl + "platform_team_fte"), fte_h), _rate(v, org.platform.platform_team_role), over
    )
    ops = v("hidden.platform.share_of_platform") * pool + hidden.labour_cost(
        v("hidden.platform.operations_hours_per_month"), _rate(v, h.platform.operations_role), over
    )
    return [
        Component("hidden", "prompt engineering", fixed_per_month=pe_cost + pe_calls + v(pe + "tooling_per_month")),
        Component("hidden", "evaluation", fixed_per_month=runs + eval_labour),
        Component("hidden", "safety and compliance", per_request=moderation + dlp, fixed_per_month=safety_fixed),
        Component("hidden", "observability and logging", per_request=logs["ingest"] + logs["storage"], fixed_per_month=v(ob + "analytics_per_month")),
        Component("hidden", "human review", per_request=review, fixed_per_month=v(hr + "tooling_per_month")),
        Component("hidden", "escalations to people", per_request=escalation),
        Component("hidden", "enablement", per_new_user=training, per_user_month=refresher, fixed_per_month=enable_fixed + v(en + "tooling_per_month")),
        Component("hidden", "platform operations share", fixed_per_month=ops + v("hidden.platform.tooling_per_month")),
    ]


def _col(x: Any) -> Any:
    a = np.asarray(x, dtype=float)
    return a[:, None] if a.ndim == 1 else a


def evaluate(use_case: UseCase, draws: Mapping[str, Any], catalog: Any, n: int | None = None) -> Result:
    """Price a use case for every trial of ``draws``.

    Parameters
    ----------
    use_case : UseCase
        Validated assumptions (money in USD).
    draws : mapping path → (n,) array or float
        Every numeric input by field path, as returned by :func:`finops_model.distributions.sample`
        on :func:`finops_model.assumptions.sample_spec`.
    catalog : Catalog
        Price catalog.
    n : int, optional
        Trials (inferred from the arrays).

    Returns
    -------
    Result
    """
    if n is None:
        sizes = {np.size(x) for x in draws.values() if np.ndim(x) == 1}
        n = sizes.pop() if sizes else 1
    return _evaluate(use_case, Draws(draws, n), catalog, n)


def _evaluate(use_case: UseCase, v: Draws, catalog: Any, n: int, users_out: Array | None = None) -> Result:
    draws = v.d
    uc = use_case
    months = uc.horizon_months
    build = uc.one_off.build_months
    if build >= months:
        raise ModelError(f"use case {uc.id}: one_off.build_months: expected fewer than horizon_months ({months}), found {build}")
    m_index = np.arange(1, months + 1)
    months_live = m_index - build - 1.0
    live = months_live >= 0
    live_count = float(live.sum())

    rpu = v("volume.requests_per_user_per_month")
    batch_discount = v("org.batch_discount")  # [fraction], a constant or one per trial

    comps, steps, totals = _step_components(uc, v, catalog, n, batch_discount)
    comps += _rag_components(uc, v, catalog, rpu, live)
    comps += _infrastructure_components(uc, v, catalog, steps, live)  # hook: self-hosting needs steps and months
    comps += _hidden_components(uc, v, catalog, steps, totals["model_cost"], batch_discount)
    comps.append(Component("build", "build and integration", one_off=v("one_off.build") + v("one_off.integration")))

    # linear drivers summed over components
    a_req = np.zeros(n)
    a_user = np.zeros(n)
    a_new = np.zeros(n)
    a_fixed = np.zeros(n)
    one_off = np.zeros(n)
    for c in comps:
        a_req += c.per_request
        a_user += c.per_user_month
        a_new += c.per_new_user
        a_fixed += c.fixed_per_month
        one_off += c.one_off

    opr = v("value.outcomes_per_request")
    if uc.value.resolution is not None:  # only resolved requests produce outcomes
        opr = opr * v("value.resolution.resolved_share")
    if uc.value.value_per_outcome is not None:
        value_per_outcome = np.broadcast_to(np.asarray(v("value.value_per_outcome"), float), (n,))
    else:
        value_per_outcome = np.broadcast_to(
            np.asarray(v("value.minutes_saved_per_outcome"), float) / 60.0 * np.asarray(_rate(v, uc.value.saved_role), float), (n,)
        )
    discount = finance.monthly_discount_factors(v("org.discount_rate_per_year"), months)
    case = _finance_inputs(uc, v, n, months, discount, one_off)
    m = _monthly(v, uc, n, months_live, live, comps, rpu, a_req, a_user, a_new, a_fixed, one_off,
                 np.asarray(rpu * opr * value_per_outcome, float), discount, users_out,
                 case["keep_value"], case["keep_cost"], case["lines_monthly"], case["initial"])
    users = m["users"]
    sum_users, sum_new = m["sum_users"], m["sum_new"]
    sum_req = sum_users * rpu  # requests = users × requests per user, per trial
    horizon: dict[tuple[str, str], Array] = {}
    for i, c in enumerate(comps):
        terms = [(c.per_request, sum_req), (c.per_user_month, sum_users), (c.per_new_user, sum_new), (c.fixed_per_month, live_count), (c.one_off, 1.0)]
        total: Any = 0.0
        for coef, driver in terms:
            if np.ndim(coef) or coef:  # skip terms that are the scalar zero
                total = total + coef * driver
        if i in m["extra_sums"]:
            total = total + m["extra_sums"][i]
        key = (c.layer, c.category)
        horizon[key] = horizon.get(key, 0.0) + total
    fin = _business_case(uc, n, case, m, one_off, v("org.discount_rate_per_year"))

    recurring = m["sum_cost"]
    total_cost = recurring + one_off
    total_value = m["sum_value"]
    sum_out = sum_req * opr
    model_spend = totals["model_cost"] * sum_req
    total_tokens = (totals["input"] + totals["output"]) * sum_req
    calls = totals["calls"] * sum_req
    last_requests = users[:, -1] * rpu
    with np.errstate(all="ignore"):
        kpis: dict[str, Array] = {
            "avg_monthly_cost": total_cost / live_count,
            "recurring_monthly_cost": recurring / live_count,
            "run_rate_cost": m["run_rate_cost"],
            "monthly_value": total_value / live_count,
            "monthly_net_value": (total_value - total_cost) / live_count,
            "total_cost": total_cost,
            "recurring_cost": recurring,
            "one_off_cost": one_off,
            "total_value": total_value,
            "net_value": total_value - total_cost,
            "roi": fin["roi"],
            "roi_discounted": fin["roi_discounted"],
            "npv": fin["npv"],
            "pv_costs": fin["pv_costs"],
            "pv_benefits": fin["pv_benefits"],
            "payback_month": fin["payback_month"],
            "payback_years": fin["payback_month"] / 12.0,
            "requests_per_month": sum_req / live_count,
            "outcomes_per_month": sum_out / live_count,
            "active_users": users[:, -1].copy(),
            "calls_per_request": _vec(totals["calls"], n),
            "tokens_per_request": _vec(totals["input"] + totals["output"], n),
            "input_tokens_per_request": _vec(totals["input"], n),
            "output_tokens_per_request": _vec(totals["output"], n),
            "cost_per_mtok": np.where(total_tokens > 0, model_spend / total_tokens * 1e6, np.nan),
            "cost_per_call": np.where(calls > 0, model_spend / calls, np.nan),
            "cost_per_request": np.where(sum_req > 0, recurring / sum_req, np.nan),
            "cost_per_active_user": np.where(sum_users > 0, recurring / sum_users, np.nan),
            "cost_per_outcome": np.where(sum_out > 0, recurring / sum_out, np.nan),
            "value_per_outcome": _vec(value_per_outcome, n),
        }
    kpis["viable"] = (kpis["cost_per_outcome"] < kpis["value_per_outcome"]).astype(float)
    model_layers = ("model_interaction", "application_logic")
    run_rate_model = np.zeros(n)
    for c in comps:
        if c.layer in model_layers:
            run_rate_model = run_rate_model + np.asarray(c.per_request) * last_requests
    kpis["annual_model_spend"] = run_rate_model * 12.0
    kpis["review_triggered"] = (kpis["annual_model_spend"] >= np.asarray(v("org.build_vs_buy_review_per_year"))).astype(float)
    by_category = {k: _per_month(t, live_count, n) for k, t in horizon.items()}
    for layer in LAYERS:
        kpis[f"cost_{layer}"] = sum((t for (lay, _), t in by_category.items() if lay == layer), np.zeros(n))
    parts = {
        "cost_per_user_month": np.broadcast_to(np.asarray(a_req * rpu + a_user, float), (n,)),
        "cost_per_new_user": a_new, "fixed_per_month": a_fixed,
        "extras": [c.monthly_extra for c in comps if c.monthly_extra is not None],
        "value_per_user_month": np.broadcast_to(np.asarray(rpu * opr * value_per_outcome, float), (n,)),
        "other_value_per_month": v("value.other_value_per_month"),
    }
    return Result(uc.id, n, months, live, kpis, by_category, users, np.broadcast_to(np.asarray(rpu, float), (n,)), steps, draws,
                  monthly_parts=parts, by_year={"costs": fin["costs_by_year"], "benefits": fin["benefits_by_year"]},
                  convention=case["convention"])


def _finance_inputs(uc: UseCase, v: Draws, n: int, months: int, discount: Array, one_off: Array) -> dict[str, Any]:
    """The business-case convention, risk adjustments and explicit lines of a use case.

    Returns ``convention``; ``keep_value`` = 1 − haircut and ``keep_cost`` = 1 + uplift on the
    driver-based flows (0 when ``include_drivers`` is false); ``lines_cost`` and
    ``lines_benefit`` (n, Y + 1) [USD/year], risk-adjusted; ``lines_monthly`` — the lines' net
    spread evenly over the months of each year (None without lines) [USD/month]; ``initial`` —
    what is to be recovered at month 0 [USD]; ``line_factors`` (n, Y + 1) — each year's mean
    monthly discount factor (year 0: 1) [fraction].
    """
    f = uc.finance
    assert uc.org is not None
    convention = f.convention or uc.org.finance.convention
    haircut = v("finance.benefit_risk_adjustment", "org.finance.benefit_risk_adjustment")
    uplift = v("finance.cost_risk_adjustment", "org.finance.cost_risk_adjustment")
    on = 1.0 if f.include_drivers else 0.0
    years = finance.years_of(months)
    lines = {"cost": np.zeros((n, years + 1)), "benefit": np.zeros((n, years + 1))}
    for name, line in f.lines.items():
        pre = f"finance.lines.{name}."
        adj = v(pre + "risk_adjustment", uplift if line.kind == "cost" else haircut)
        keep = finance.risk_adjust_costs(1.0, adj) if line.kind == "cost" else finance.risk_adjust_benefits(1.0, adj)
        for y in line.by_year:
            lines[line.kind][:, y] += np.asarray(v(f"{pre}by_year.{y}"), float) * keep
    keep_value = on * finance.risk_adjust_benefits(1.0, haircut)
    keep_cost = on * finance.risk_adjust_costs(1.0, uplift)
    net_lines = lines["benefit"] - lines["cost"]
    lines_monthly = None
    year_of_month = np.arange(months) // finance.MONTHS_PER_YEAR + 1
    months_in_year = np.bincount(year_of_month, minlength=years + 1)[1:].astype(float)
    if f.lines:
        lines_monthly = net_lines[:, year_of_month] / months_in_year[year_of_month - 1]
    d = np.broadcast_to(discount, (n, months + 1)) if discount.ndim == 2 else discount[None, :]
    factors = np.ones((d.shape[0], years + 1))
    factors[:, 1:] = finance.annual_sums(d[:, 1:]) / months_in_year
    return {
        "convention": convention, "keep_value": keep_value, "keep_cost": keep_cost,
        "lines_cost": lines["cost"], "lines_benefit": lines["benefit"], "lines_monthly": lines_monthly,
        "initial": one_off * keep_cost - net_lines[:, 0], "line_factors": factors,
    }


def _business_case(uc: UseCase, n: int, case: dict[str, Any], m: dict[str, Any], one_off: Array, rate: Any) -> dict[str, Array]:
    """PV of costs and benefits, NPV, ROI and payback under the use case's convention."""
    kv, kc = np.asarray(case["keep_value"], float), np.asarray(case["keep_cost"], float)
    costs = np.concatenate([one_off[:, None], m["cost_by_year"]], axis=1) * _col(np.broadcast_to(kc, (n,))) + case["lines_cost"]
    benefits = np.concatenate([np.zeros((n, 1)), m["value_by_year"]], axis=1) * _col(np.broadcast_to(kv, (n,))) + case["lines_benefit"]
    if case["convention"] == "annual":
        bc = finance.business_case(costs, benefits, finance.annual_discount_factors(rate, costs.shape[1] - 1))
        return {
            "pv_costs": bc["pv_costs"], "pv_benefits": bc["pv_benefits"], "npv": bc["npv"], "roi": bc["roi"],
            "roi_discounted": bc["roi"], "payback_month": bc["payback"] * 12.0,
            "costs_by_year": costs, "benefits_by_year": benefits,
        }
    lf = case["line_factors"]
    pvc = m["pv_cost"] * kc + finance.present_value(case["lines_cost"], lf)
    pvb = m["pv_value"] * kv + finance.present_value(case["lines_benefit"], lf)
    return {
        "pv_costs": pvc, "pv_benefits": pvb, "npv": pvb - pvc, "roi": finance.roi(benefits.sum(axis=1), costs.sum(axis=1)),
        "roi_discounted": finance.roi(pvb, pvc), "payback_month": m["payback"],
        "costs_by_year": costs, "benefits_by_year": benefits,
    }


#: Trials per block of the monthly computation: (block × months) arrays stay in cache.
BLOCK_TRIALS = 4096


def _vec(x: Any, n: int) -> Array:
    """``x`` as a float array of shape (n,), copying only when it is not one already."""
    a = np.asarray(x, dtype=float)
    return a if a.shape == (n,) else np.full(n, a) if a.ndim == 0 else np.broadcast_to(a, (n,)).copy()


def _per_month(total: Any, live_count: float, n: int) -> Array:
    """A horizon total as an average per live month (n,), dividing in place when it can."""
    if isinstance(total, np.ndarray) and total.shape == (n,) and total.dtype == float and total.flags.owndata and total.flags.writeable:
        total /= live_count
        return total
    return _vec(np.asarray(total, float) / live_count, n)


def _take(x: Any, sl: slice) -> Any:
    """Rows ``sl`` of a per-trial array; scalars pass through."""
    return x[sl] if np.ndim(x) == 1 else x


def _monthly(
    v: Draws, uc: UseCase, n: int, months_live: Array, live: NDArray[np.bool_], comps: list[Component],
    rpu: Any, a_req: Array, a_user: Array, a_new: Array, a_fixed: Array, one_off: Array,
    value_per_user_month: Array, discount: Array, users_out: Array | None = None,
    keep_value: Any = 1.0, keep_cost: Any = 1.0, lines_monthly: Array | None = None, initial: Any = None,
) -> dict[str, Any]:
    """The month-by-month part of the model, in blocks of trials.

    Users, new users, monthly cost and value are built block by block (``BLOCK_TRIALS`` trials
    at a time) so that the many passes over (trials × months) arrays run in cache; NPV, payback
    and the sums over months are reduced in the same pass.

    Returns
    -------
    dict with ``users``, ``monthly_cost``, ``monthly_value`` (n, M) and per-trial
    ``sum_users``, ``sum_new``, ``sum_cost``, ``sum_value``, ``npv``, ``payback``, and
    ``extra_sums`` {component index: (n,)} for non-linear top-ups; ``pv_cost`` (one-off
    included) and ``pv_value`` [USD] at the monthly discount factors; ``cost_by_year`` and
    ``value_by_year`` (n, Y) [USD/year]. Payback is on the risk-adjusted flows
    (``keep_value`` = 1 − haircut, ``keep_cost`` = 1 + uplift) plus ``lines_monthly``
    [USD/month], with ``initial`` [USD] to recover at month 0 (default ``one_off``).
    """
    risked = np.any(np.asarray(keep_value) != 1.0) or np.any(np.asarray(keep_cost) != 1.0)
    if initial is None:
        initial = one_off
    months = len(months_live)
    t = np.where(live, months_live, -1.0)
    adoption_paths = ("volume.adoption.start_share", "volume.adoption.midpoint_month", "volume.adoption.steepness", "volume.adoption.ceiling")
    params = [v(p) for p in adoption_paths]
    growth = v("volume.growth_per_month")
    active = v("volume.active_users")
    common_shape = None
    if all(np.ndim(p) == 0 for p in params) and np.ndim(growth) == 0:
        common_shape = volume.adoption_share(t, *params) * (1.0 + growth) ** np.maximum(months_live, 0.0)
        common_shape = np.where(live, common_shape, 0.0)
    c_user = np.asarray(a_req * rpu + a_user, float)
    other = v("value.other_value_per_month")
    extras = {i: c.monthly_extra for i, c in enumerate(comps) if c.monthly_extra is not None}
    any_new = bool(np.any(a_new))
    all_live = bool(live.all())
    out = {
        "users": np.empty((n, months)) if users_out is None else users_out,
        "sum_users": np.empty(n),
        "sum_new": np.empty(n) if any_new else np.zeros(n),
        "sum_cost": np.empty(n),
        "sum_value": np.empty(n),
        "run_rate_cost": np.empty(n),
        "pv_cost": np.empty(n),
        "pv_value": np.empty(n),
        "cost_by_year": np.empty((n, finance.years_of(months))),
        "value_by_year": np.empty((n, finance.years_of(months))),
        "payback": np.empty(n),
        "extra_sums": {i: np.zeros(n) for i in extras},
    }
    d_scalar = discount.ndim == 1
    for start in range(0, n, BLOCK_TRIALS):
        sl = slice(start, min(n, start + BLOCK_TRIALS))
        b = sl.stop - sl.start
        users = out["users"][sl]
        if common_shape is not None:
            np.multiply.outer(np.broadcast_to(np.asarray(_take(active, sl), float), (b,)), common_shape, out=users)
        else:
            share = volume.adoption_share(t, *(_take(p, sl) for p in params))
            users[...] = volume.monthly_users(_take(active, sl), share, _take(growth, sl), months_live)
            users[:, ~live] = 0.0
        cost = np.multiply(users, _col(np.broadcast_to(c_user, (n,))[sl]))
        an = a_new[sl]
        if any_new:  # new users only matter when something is paid per new user
            new = volume.new_users(users)
            cost += new * an[:, None]
            out["sum_new"][sl] = new.sum(axis=1)
        cost += a_fixed[sl][:, None]
        if not all_live:
            cost[:, ~live] -= a_fixed[sl][:, None]
        for i, ex in extras.items():
            blk = ex(users, sl) if callable(ex) else np.asarray(ex)[sl]
            cost += blk
            out["extra_sums"][i][sl] = blk.sum(axis=1)
        value = np.multiply(users, _col(np.broadcast_to(value_per_user_month, (n,))[sl]))
        if np.any(np.asarray(other) != 0):
            value += _col(_take(other, sl)) * live
        d = discount if d_scalar else discount[sl]
        out["pv_cost"][sl] = finance.npv(cost, -one_off[sl], d)
        out["pv_value"][sl] = finance.npv(value, 0.0, d)
        out["cost_by_year"][sl] = finance.annual_sums(cost)
        out["value_by_year"][sl] = finance.annual_sums(value)
        # payback on the risk-adjusted flows, explicit lines included
        if risked:
            net = value * _col(_take(keep_value, sl)) - cost * _col(_take(keep_cost, sl))
        else:
            net = value - cost
        if lines_monthly is not None:
            net += lines_monthly if lines_monthly.ndim == 1 else lines_monthly[sl]
        out["payback"][sl] = finance.payback_month(net, np.broadcast_to(initial, (n,))[sl], overwrite=True)
        out["sum_users"][sl] = users.sum(axis=1)
        out["sum_cost"][sl] = cost.sum(axis=1)
        out["run_rate_cost"][sl] = cost[:, -1]
        out["sum_value"][sl] = value.sum(axis=1)
    return out


def used_inputs(use_case: UseCase, catalog: Any) -> frozenset[str]:
    """Field paths of the inputs the model reads for this use case.

    Found by evaluating one trial at the medians and recording every input read; organisation
    rates of roles the use case never uses, say, are not sampled (and get no sensitivity).
    """
    key = (id(use_case), id(catalog))
    cached = _USED_CACHE.get(key)
    if cached is not None and cached[0] is use_case:
        return cached[1]
    spec = sample_spec(use_case)
    point = {k: np.array([q.median]) for k, q in spec.inputs.items()}
    recorder = Draws(point, 1)
    _evaluate(use_case, recorder, catalog, 1)
    used = frozenset(recorder.read)
    if len(_USED_CACHE) > 256:
        _USED_CACHE.clear()
    _USED_CACHE[key] = (use_case, used)
    return used


_USED_CACHE: dict[tuple[int, int], tuple[UseCase, frozenset[str]]] = {}


def evaluation_spec(use_case: UseCase, catalog: Any) -> SampleSpec:
    """The sampling spec restricted to the inputs the model reads (see :func:`used_inputs`)."""
    spec = sample_spec(use_case)
    used = used_inputs(use_case, catalog)
    inputs = {k: q for k, q in spec.inputs.items() if k in used}
    corr = tuple(c for c in spec.correlations if c[0] in used and c[1] in used)
    return SampleSpec(inputs, corr)


def simulate(
    use_case: UseCase,
    catalog: Any,
    n: int = DEFAULT_TRIALS,
    seed: int | np.random.Generator | None = 0,
    method: Method = "mc",
) -> Result:
    """Sample the use case's uncertain inputs and evaluate them (``sample → evaluate``).

    Parameters
    ----------
    use_case : UseCase
    catalog : Catalog
    n : int
        Trials.
    seed : int or numpy.random.Generator
        Same seed, same result (bit for bit).
    method : {"mc", "lhs", "sobol"}
    """
    spec = evaluation_spec(use_case, catalog)
    if method == "mc" and n > SIMULATE_BLOCK:
        # Sample and evaluate a block of trials at a time (the arrays stay in cache) and join
        # the blocks: the per-input streams continue, so the result equals one big block.
        streams = input_streams(spec.uncertain_names, base_entropy(seed))
        users = np.empty((n, use_case.horizon_months))  # every block writes its rows here
        parts = []
        for start in range(0, n, SIMULATE_BLOCK):
            b = min(SIMULATE_BLOCK, n - start)
            draws = sample(spec, b, method="mc", streams=streams)
            parts.append(_evaluate(use_case, Draws(draws, b), catalog, b, users[start:start + b]))
        result = Result.concat(parts, users)
    else:
        result = evaluate(use_case, sample(spec, n, seed, method), catalog, n)
    result.seed = seed
    result.method = method
    return result


#: Trials per block of :func:`simulate` (Monte Carlo): small enough for the cache.
SIMULATE_BLOCK = 65_536
