"""The assumptions schema: pydantic v2 models of the organisation, FX and use-case files.

Every model is frozen and refuses unknown fields. Every numeric field is an
:class:`~finops_model.distributions.Uncertain` (a number or a distribution) and documents its
unit in brackets in its description. Money units are written ``CUR/…``: the currency of the
file (a use case's ``currency``, default the organisation's), converted to USD when loaded.
"""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    model_validator,
)
from pydantic_core import PydanticCustomError

from finops_model.inputs.fields import F, Fraction, Frozen, Quantity, Real, bounded
from finops_model.inputs.fields import const as _c
from finops_model.inputs.schema_selfhost import MultiProvider, SelfHosting
from finops_model.inputs.validation import rule_error

#: A discount off list price: the rates are multiplied by ``1 − d``, so ``d`` = 1 prices a call at zero.
Discount = bounded(Fraction, lt=1, why="a discount of 1 makes every price zero")


def _iso_text(value: Any) -> Any:
    """Accept a YAML date (``2026-01-01`` unquoted) as ISO text; refuse a day the calendar has not."""
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            _dt.date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "calendar_date", "expected a calendar date (YYYY-MM-DD), found {found!r}, a day no calendar has", {"found": value}
            ) from None
    return value


Environment = Literal["production", "staging", "pilot", "development"]


# --------------------------------------------------------------------------- organisation
class PlatformPool(Frozen):
    """Shared platform costs, allocated to use cases (showback)."""

    gateway: Quantity = F("CUR/month", "AI gateway / proxy run cost", _c(0))
    observability_platform: Quantity = F("CUR/month", "shared observability platform", _c(0))
    platform_team_fte: Quantity = F("FTE", "platform engineering staff", _c(0))
    platform_team_role: str = F("role", "labour rate used for the platform team", "platform_engineer")


class HiddenDefaults(Frozen):
    """Organisation-wide defaults for hidden-cost drivers (a use case may override each)."""

    log_bytes_per_request: Quantity = F("bytes/request", "prompt+response+trace logged", _c(20_000))
    log_retention_months: Quantity = F("months", "how long logs are kept", _c(12))
    log_storage_price_per_gb_month: Quantity = F("CUR/GB-month", "log storage price", _c(0.03))
    log_ingest_price_per_gb: Quantity = F("CUR/GB", "log ingestion / indexing price", _c(0.50))
    moderation_price_per_call: Quantity = F("CUR/call", "moderation API price when not a model", _c(0))
    dlp_price_per_request: Quantity = F("CUR/request", "data-loss-prevention scan", _c(0))
    review_role: str = F("role", "default role for human review", "analyst")


FinanceConvention = Literal["monthly", "annual"]


class FinanceDefaults(Frozen):
    """How business cases are stated (a use case's ``finance`` section may override each).

    ``monthly``: monthly flows, one-off costs at month 0, ROI undiscounted. ``annual``: the
    Forrester TEI convention — initial costs at year 0 undiscounted, years 1 … N discounted at
    the end of each year, ROI = NPV / PV(costs). See :mod:`finops_model.costs.finance`.
    """

    convention: FinanceConvention = F("label", "monthly or annual (TEI) cash-flow convention", "monthly")
    benefit_risk_adjustment: Fraction = F("fraction", "haircut on benefits before discounting (TEI risk adjustment)", _c(0))
    cost_risk_adjustment: Quantity = F("fraction", "uplift on costs before discounting (TEI risk adjustment)", _c(0))


class Org(Frozen):
    """Organisation-wide defaults (``assumptions/org.yaml``)."""

    name: str = F("text", "organisation name", "Example Corp")
    currency: str = F("ISO 4217", "currency of money fields in org.yaml and the reports", "USD")
    labour_rates: dict[str, Quantity] = F(
        "CUR/hour", "fully loaded cost per hour by role (salary, benefits, overhead)", {}
    )
    hours_per_fte_month: bounded(Quantity, gt=0, why="an FTE with no productive hours costs nothing") = F("hours/FTE-month", "productive hours of one FTE", _c(160))
    overhead_factor: Quantity = F("×", "multiplier on labour for management and tooling", _c(1.0))
    discount_rate_per_year: Fraction = F("fraction/year", "discount rate for NPV", _c(0.10))
    batch_discount: Discount = F("fraction", "batch discount where a model lists no batch rate", _c(0.5))
    build_vs_buy_review_per_year: Quantity = F(
        "CUR/year", "annual model spend that triggers a build-vs-buy review", _c(500_000)
    )
    platform: PlatformPool = Field(default_factory=PlatformPool, description="shared platform pool")
    hidden_defaults: HiddenDefaults = Field(default_factory=HiddenDefaults)
    provider_discounts: dict[str, Discount] = F(
        "fraction", "negotiated discount on list price by provider", {}
    )
    cost_center_budgets: dict[str, Quantity] = F(
        "CUR/month", "monthly budget by cost center (the use cases' cost_center)", {}
    )
    finance: FinanceDefaults = Field(default_factory=FinanceDefaults, description="business-case convention")
    sources: dict[str, str] = F("text", "source of any figure, by field path", {})


class FxRate(Frozen):
    per_usd: float = F("CUR/USD", "units of this currency per 1 USD", gt=0)
    source: str = F("text", "where the rate comes from")
    date: str = F("ISO date", "date of the rate")


class Fx(Frozen):
    """Exchange rates (``assumptions/fx.yaml``): units of each currency per USD."""

    base: Literal["USD"] = "USD"
    rates: dict[str, FxRate] = Field(default_factory=dict)


# --------------------------------------------------------------------------- use case parts
class Owners(Frozen):
    business_owner: str | None = F("text", "accountable business owner", None)
    technical_owner: str | None = F("text", "accountable technical owner", None)
    team: str | None = F("text", "owning team", None)


class Adoption(Frozen):
    """Logistic adoption ramp: share of the user base active in month t (t = 1 …)."""

    start_share: Fraction = F("fraction", "share of users active in month 1", _c(1.0))
    midpoint_month: Quantity = F("month", "month at which adoption is halfway to its ceiling", _c(0))
    steepness: Quantity = F("1/month", "logistic growth rate", _c(1.0))
    ceiling: Fraction = F("fraction", "share of users active at saturation", _c(1.0))


class Volume(Frozen):
    active_users: Quantity = F("users", "users at full adoption")
    requests_per_user_per_month: Quantity = F("requests/user/month", "requests per active user")
    adoption: Adoption = Field(default_factory=Adoption)
    growth_per_month: bounded(Real, gt=-1, why="growth of −100 % a month or less leaves (1 + g)^t undefined") = F("fraction/month", "compound growth of the user base", _c(0))
    peak_to_average: Quantity = F("×", "peak hourly load over average (for capacity sizing)", _c(3))


class History(Frozen):
    """Conversation history carried into each call."""

    turns: Quantity = F("turns/conversation", "turns in a conversation", _c(1))
    tokens_per_turn: Quantity = F("tokens/turn", "user + assistant tokens added per turn", _c(0))


class Retry(Frozen):
    rate: Fraction = F("fraction", "probability a call's output is malformed and retried", _c(0))
    max_retries: int = F("retries", "cap on retries per call", 2, ge=0, le=20)


class AgentLoop(Frozen):
    """A bounded agent loop: each iteration is one model call plus tool calls."""

    iterations: Quantity = F("iterations/request", "iterations the agent takes (before the cap)")
    max_iterations: int = F("iterations", "hard cap on iterations (required)", ge=1, le=1000)
    tool_calls_per_iteration: Quantity = F("tool calls/iteration", "tools invoked per iteration", _c(0))
    tool_result_tokens: Quantity = F("tokens/tool call", "tool output fed back as input", _c(0))
    tool_cost_per_call: Quantity = F("CUR/tool call", "external API cost of a tool call", _c(0))
    max_tool_calls_per_task: int | None = F("tool calls/request", "hard cap on tool calls per task (agent limit)", None, ge=0)
    max_tokens_per_task: Quantity | None = F("tokens/request", "token budget per task (agent limit)", None)
    budget_ceiling_per_task: Quantity | None = F("CUR/request", "spend ceiling per task (agent limit)", None)

    @model_validator(mode="before")
    @classmethod
    def _bounded(cls, data: Any) -> Any:
        if isinstance(data, dict) and "max_iterations" not in data:
            raise PydanticCustomError(
                "unbounded_agent",
                "expected max_iterations (an autonomous loop must have a hard bound), found none",
            )
        return data


StepKind = Literal[
    "generation", "agent", "router", "tool", "validation", "guardrail", "moderation", "judge",
    "summarisation",
]


class Step(Frozen):
    """One model call site in the request workflow."""

    model: str = F("catalog id", "model used by this step")
    kind: StepKind = F("label", "role of the step in the workflow", "generation")
    share_of_requests: Fraction = F("fraction", "share of requests that run this step (judge: sampled share)", _c(1))
    calls_per_request: Quantity = F("calls/request", "parallel calls per run (multi-agent fan-out)", _c(1))
    system_prompt_tokens: Quantity = F("tokens/call", "system prompt and instructions", _c(0))
    user_prompt_tokens: Quantity = F("tokens/call", "user message", _c(0))
    extra_context_tokens: Quantity = F("tokens/call", "few-shot examples, schemas, other context", _c(0))
    uses_retrieval: bool = F("flag", "retrieved chunks from the RAG layer are added to the prompt", False)
    history: History = Field(default_factory=History)
    context_budget_tokens: Quantity | None = F("tokens/call", "cap on input tokens (history trimmed first)", None)
    output_tokens: Quantity = F("tokens/call", "visible output")
    reasoning_tokens: Quantity = F("tokens/call", "hidden reasoning tokens (billed as output)", _c(0))
    images_per_call: Quantity = F("images/call", "images sent with the call", _c(0))
    tokens_per_image: Quantity = F("tokens/image", "input tokens an image is billed as", _c(0))
    price_per_image: Quantity = F("CUR/image", "per-image price where billed per image", _c(0))
    cached_prompt_share: Fraction = F("fraction", "share of input tokens read from the prompt cache", _c(0))
    cache_write_share: Fraction = F("fraction", "share of input tokens written to the prompt cache", _c(0))
    batch_share: Fraction = F("fraction", "share of calls sent through the batch API", _c(0))
    retry: Retry = Field(default_factory=Retry)
    agent_loop: AgentLoop | None = Field(None, description="bounded agent loop, if the step is agentic")

    @model_validator(mode="after")
    def _cache_shares(self) -> Step:
        lo_sum = self.cached_prompt_share.support[0] + self.cache_write_share.support[0]
        if self.cached_prompt_share.is_constant and self.cache_write_share.is_constant and lo_sum > 1:
            raise PydanticCustomError(
                "cache_shares",
                "expected cached_prompt_share + cache_write_share ≤ 1, found {total}",
                {"total": lo_sum},
            )
        return self


class Rerank(Frozen):
    model: str | None = F("catalog id", "rerank model (price per search from the catalog)", None)
    price_per_search: Quantity | None = F("CUR/search", "price per rerank search (overrides the catalog)", None)
    candidates: Quantity = F("documents/search", "documents reranked per search", _c(50))


class Rag(Frozen):
    """Retrieval-augmented generation and its data pipeline."""

    corpus_tokens: Quantity = F("tokens", "size of the indexed corpus")
    embedding_model: str = F("catalog id", "embedding model")
    chunk_tokens: bounded(Quantity, gt=0, why="vectors = indexed tokens / chunk_tokens") = F("tokens/chunk", "chunk size", _c(512))
    chunk_overlap: bounded(Fraction, lt=1, why="indexed tokens = corpus / (1 − overlap)") = F("fraction", "overlap between consecutive chunks", _c(0))
    reindex_per_month: Quantity = F("re-indexes/month", "full re-embeddings of the corpus per month", _c(0))
    corpus_change_per_month: Fraction = F("fraction/month", "share of the corpus re-embedded incrementally", _c(0))
    embedding_dimensions: Quantity = F("dimensions/vector", "vector dimensions", _c(1536))
    bytes_per_dimension: Quantity = F("bytes/dimension", "4 for float32, 1 for int8", _c(4))
    index_overhead: Quantity = F("×", "index and metadata overhead on raw vectors", _c(1.5))
    storage_price_per_gb_month: Quantity = F("CUR/GB-month", "vector store storage price", _c(0.33))
    queries_per_request: Quantity = F("queries/request", "retrieval queries per request", _c(1))
    query_tokens: Quantity = F("tokens/query", "tokens embedded per query", _c(30))
    price_per_query: Quantity = F("CUR/query", "vector store read price", _c(0))
    provisioned_per_month: Quantity = F("CUR/month", "provisioned search capacity", _c(0))
    minimum_per_month: Quantity = F("CUR/month", "vector store minimum bill", _c(0))
    top_k: Quantity = F("chunks/query", "chunks retrieved into the prompt", _c(5))
    rerank: Rerank | None = Field(None, description="reranking of retrieved candidates")


class Infrastructure(Frozen):
    """Infrastructure for API deployments (self-hosting plugs in through ``deployment``)."""

    deployment: Literal["api", "self_hosted", "hybrid"] = F("label", "how models are served", "api")
    provisioned_throughput_per_month: Quantity = F("CUR/month", "reserved/provisioned throughput units", _c(0))
    dedicated_endpoints_per_month: Quantity = F("CUR/month", "dedicated endpoints", _c(0))
    gateway_per_month: Quantity = F("CUR/month", "gateway fixed cost for this use case", _c(0))
    gateway_per_million_requests: Quantity = F("CUR/1M requests", "gateway per-request price", _c(0))
    egress_gb_per_request: Quantity = F("GB/request", "data egress per request", _c(0))
    egress_price_per_gb: Quantity = F("CUR/GB", "egress price", _c(0.09))
    seat_licence_per_user_month: Quantity = F(
        "CUR/user-month", "per-seat subscription of each active user (e.g. a coding-assistant seat)", _c(0)
    )
    self_hosting: SelfHosting | None = Field(None, description="open-weights serving on GPUs (self_hosted / hybrid; compared by finops tco)")
    multi_provider: MultiProvider | None = Field(None, description="primary provider with a tested fallback")


class PromptEngineering(Frozen):
    fte: Quantity = F("FTE", "prompt-engineering staff", _c(0))
    role: str = F("role", "labour rate", "ml_engineer")
    iteration_calls_per_month: Quantity = F("calls/month", "experimental calls while iterating prompts", _c(0))
    tooling_per_month: Quantity = F("CUR/month", "prompt and evaluation automation licences (prompt optimisers, eval platforms)", _c(0))


class Evaluation(Frozen):
    golden_set_size: Quantity = F("cases", "cases in the golden set", _c(0))
    runs_per_month: Quantity = F("runs/month", "golden-set runs per month", _c(0))
    judge_model: str | None = F("catalog id", "model used as judge (default: first step's model)", None)
    judge_input_tokens: Quantity = F("tokens/judgement", "judge prompt size", _c(1500))
    judge_output_tokens: Quantity = F("tokens/judgement", "judge output size", _c(200))
    human_rater_hours_per_month: Quantity = F("hours/month", "human rating", _c(0))
    rater_role: str = F("role", "labour rate of raters", "analyst")
    dataset_upkeep_hours_per_month: Quantity = F("hours/month", "curating the golden set", _c(0))
    upkeep_role: str = F("role", "labour rate of dataset upkeep", "ml_engineer")


class Safety(Frozen):
    moderation_calls_per_request: Quantity = F("calls/request", "moderation API calls", _c(0))
    moderation_price_per_call: Quantity | None = F("CUR/call", "moderation price (default: org)", None)
    dlp_price_per_request: Quantity | None = F("CUR/request", "DLP scan price (default: org)", None)
    review_hours_per_month: Quantity = F("hours/month", "safety, legal and compliance review", _c(0))
    review_role: str = F("role", "labour rate of reviewers", "compliance")
    audit_per_year: Quantity = F("CUR/year", "external audit and certification", _c(0))


class Observability(Frozen):
    log_bytes_per_request: Quantity | None = F("bytes/request", "logged per request (default: org)", None)
    log_retention_months: Quantity | None = F("months", "retention (default: org)", None)
    log_storage_price_per_gb_month: Quantity | None = F("CUR/GB-month", "storage price (default: org)", None)
    log_ingest_price_per_gb: Quantity | None = F("CUR/GB", "ingest price (default: org)", None)
    analytics_per_month: Quantity = F("CUR/month", "dashboards, tracing and analytics tools", _c(0))


class HumanReview(Frozen):
    per: Literal["request", "outcome"] = F("label", "what is reviewed: each request's output, or each outcome", "request")
    share_reviewed: Fraction = F("fraction", "share of requests (or outcomes, see per) a person reviews", _c(0))
    minutes_per_review: Quantity = F("minutes/review", "time per review", _c(0))
    role: str | None = F("role", "reviewer labour rate (default: org hidden_defaults.review_role)", None)
    tooling_per_month: Quantity = F("CUR/month", "review tooling (queues, sampling, pre-annotation)", _c(0))


class Enablement(Frozen):
    training_hours_per_user: Quantity = F("hours/user", "one-off training per new user", _c(0))
    refresher_hours_per_user_per_year: Quantity = F("hours/user/year", "recurring training", _c(0))
    user_role: str = F("role", "labour rate of trained users", "knowledge_worker")
    champions_fte: Quantity = F("FTE", "champions and change management", _c(0))
    champions_role: str = F("role", "labour rate of champions", "analyst")
    support_hours_per_month: Quantity = F("hours/month", "internal support", _c(0))
    support_role: str = F("role", "labour rate of support", "analyst")
    tooling_per_month: Quantity = F("CUR/month", "self-serve enablement tooling (learning platform, in-product guides)", _c(0))


class PlatformShare(Frozen):
    share_of_platform: Fraction = F("fraction", "share of the org platform pool borne by this use case", _c(0))
    operations_hours_per_month: Quantity = F("hours/month", "operations toil specific to this use case", _c(0))
    operations_role: str = F("role", "labour rate of operations", "platform_engineer")
    tooling_per_month: Quantity = F("CUR/month", "platform automation tooling borne by this use case (runbooks, auto-remediation)", _c(0))


class Hidden(Frozen):
    prompt_engineering: PromptEngineering = Field(default_factory=PromptEngineering)
    evaluation: Evaluation = Field(default_factory=Evaluation)
    safety: Safety = Field(default_factory=Safety)
    observability: Observability = Field(default_factory=Observability)
    human_review: HumanReview = Field(default_factory=HumanReview)
    enablement: Enablement = Field(default_factory=Enablement)
    platform: PlatformShare = Field(default_factory=PlatformShare)


class Resolution(Frozen):
    """Deflection and escalation of an assistant: only resolved requests count as value, and
    each escalation costs a person's handling time."""

    resolved_share: Fraction = F("fraction", "share of requests the assistant resolves (value counts these only)")
    escalated_share: Fraction = F("fraction", "share of requests escalated to a person", _c(0))
    minutes_per_escalation: Quantity = F("minutes/escalation", "a person's handling time of one escalation", _c(0))
    escalation_role: str = F("role", "labour rate of whoever handles escalations", "analyst")

    @model_validator(mode="after")
    def _shares(self) -> Resolution:
        lo = self.resolved_share.support[0] + self.escalated_share.support[0]
        if lo > 1:
            raise PydanticCustomError(
                "resolution_shares", "expected resolved_share + escalated_share ≤ 1, found {total:g}", {"total": lo}
            )
        return self


class Value(Frozen):
    """The outcome a request produces and what it is worth."""

    outcome: str = F("text", "name of the outcome (ticket resolved, contract reviewed…)", "outcome")
    outcomes_per_request: Quantity = F("outcomes/request", "outcomes produced per request")
    value_per_outcome: Quantity | None = F("CUR/outcome", "value of one outcome", None)
    minutes_saved_per_outcome: Quantity | None = F("minutes/outcome", "time saved per outcome", None)
    saved_role: str | None = F("role", "labour rate of the time saved", None)
    other_value_per_month: Quantity = F("CUR/month", "value not tied to outcomes", _c(0))
    resolution: Resolution | None = Field(None, description="deflection and escalation (assistants): value counts resolved requests only")

    @model_validator(mode="after")
    def _one_value(self) -> Value:
        by_value = self.value_per_outcome is not None
        by_time = self.minutes_saved_per_outcome is not None
        if by_value == by_time:
            raise PydanticCustomError(
                "value_driver",
                "expected exactly one of value_per_outcome or minutes_saved_per_outcome "
                "(with saved_role), found {found}",
                {"found": "both" if by_value else "neither"},
            )
        if by_time and not self.saved_role:
            raise PydanticCustomError(
                "value_driver", "expected saved_role with minutes_saved_per_outcome, found none"
            )
        return self


class OneOff(Frozen):
    build: Quantity = F("CUR", "one-off build cost", _c(0))
    integration: Quantity = F("CUR", "one-off integration cost", _c(0))
    build_months: int = F("months", "months before go-live (no volume, build spend spread)", 0, ge=0, le=60)


class FinanceLine(Frozen):
    """One explicit year-by-year line of a business case (for cases stated as a table)."""

    kind: Literal["cost", "benefit"] = F("label", "cost or benefit line")
    description: str = F("text", "what the line is", "")
    by_year: dict[int, Quantity] = F("CUR/year", "amount by year; year 0 = initial (undiscounted), years 1 … N", min_length=1)
    risk_adjustment: Quantity | None = F(
        "fraction", "haircut (benefit) or uplift (cost) of this line (default: the case's)", None
    )

    @model_validator(mode="after")
    def _years(self) -> FinanceLine:
        bad = [y for y in self.by_year if y < 0]
        if bad:
            raise PydanticCustomError("finance_year", "expected years ≥ 0 in by_year, found {year}", {"year": bad[0]})
        adj = self.risk_adjustment
        if self.kind == "benefit" and adj is not None and adj.support[1] > 1:
            raise PydanticCustomError(
                "finance_haircut", "expected a benefit haircut in [0, 1], found one that reaches {hi}", {"hi": adj.support[1]}
            )
        return self


class Finance(Frozen):
    """The business-case convention of this use case and its explicit year-by-year lines."""

    convention: FinanceConvention | None = F("label", "monthly or annual (default: org finance.convention)", None)
    benefit_risk_adjustment: Fraction | None = F("fraction", "haircut on driver-based benefits (default: org)", None)
    cost_risk_adjustment: Quantity | None = F("fraction", "uplift on driver-based costs (default: org)", None)
    include_drivers: bool = F("flag", "count the driver-based costs and value (false: the lines alone state the case)", True)
    lines: dict[str, FinanceLine] = F("lines", "explicit cost and benefit lines by year", {})


class Budget(Frozen):
    monthly: Quantity | None = F("CUR/month", "monthly budget threshold", None)
    alert_at: Fraction = F("fraction", "share of budget that raises an alert", _c(0.8))


class Governance(Frozen):
    """Production-gate evidence."""

    data_classification: str | None = F("label", "data classification (public/internal/confidential/restricted)", None)
    data_classification_reviewed: bool = F("flag", "data classification review done", False)
    security_reviewed: bool = F("flag", "security review done", False)
    fallback_plan: str | None = F("text", "what happens when the primary model fails", None)
    quality_metric: str | None = F("text", "how quality is measured", None)
    business_value_metric: str | None = F("text", "how value is measured", None)
    attribution_tags: dict[str, str] = F("tags", "cost-attribution tags attached to every call", {})


class Correlation(Frozen):
    between: tuple[str, str] = F("field paths", "two uncertain inputs of this use case")
    rank: float = F("Spearman ρ", "rank correlation", ge=-1, le=1)


class UseCase(Frozen):
    """One AI use case (``assumptions/use_cases/<id>.yaml``)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="[slug] unique id, file name stem")
    name: str = F("text", "human-readable name")
    description: str = F("text", "what the use case does", "")
    owners: Owners = Field(default_factory=Owners)
    cost_center: str | None = F("text", "cost center charged", None)
    environment: Environment = F("label", "deployment environment", "production")
    business_process: str | None = F("text", "business process served", None)
    currency: str | None = F("ISO 4217", "currency of money fields (default: org currency)", None)
    horizon_months: int = F("months", "planning horizon, build months included", 36, ge=1, le=240)
    price_date: Annotated[str | None, BeforeValidator(_iso_text)] = F(
        "ISO date", "date whose catalog prices apply (default: the latest prices)", None,
        pattern=r"^\d{4}-\d{2}-\d{2}$",
    )
    go_live: Annotated[str | None, BeforeValidator(_iso_text)] = F(
        "ISO date", "first day of the first live month (month build_months + 1 of the horizon): lines forecast months up with calendar months and bills", None,
        pattern=r"^\d{4}-\d{2}-\d{2}$",
    )
    volume: Volume
    steps: dict[str, Step] = Field(description="the request workflow: model call sites by name", min_length=1)
    rag: Rag | None = None
    infrastructure: Infrastructure = Field(default_factory=Infrastructure)
    hidden: Hidden = Field(default_factory=Hidden)
    value: Value
    one_off: OneOff = Field(default_factory=OneOff)
    budget: Budget = Field(default_factory=Budget)
    finance: Finance = Field(default_factory=Finance, description="business-case convention and year-by-year lines")
    governance: Governance = Field(default_factory=Governance)
    correlations: list[Correlation] = Field(default_factory=list)
    sources: dict[str, str] = F("text", "source of any figure taken from public material, by field path", {})
    org: Org | None = Field(None, description="organisation defaults after this use case's overrides")

    @property
    def resolved_org(self) -> Org:
        """The organisation defaults this use case was resolved against (its ``org``).

        Raises
        ------
        ModelError
            When the use case was built without them (load it with ``load_assumptions``,
            which returns :class:`ResolvedUseCase` objects).
        """
        if self.org is None:
            from finops_model.errors import ModelError

            raise ModelError(f"use case {self.id}: org: expected the organisation defaults (load the use case "
                             "with load_assumptions), found none")
        return self.org

    @model_validator(mode="after")
    def _retrieval_needs_rag(self) -> UseCase:
        users = [n for n, s in self.steps.items() if s.uses_retrieval]
        if users and self.rag is None:
            raise PydanticCustomError(
                "rag_missing",
                "expected a rag section because step(s) {steps} use retrieval, found none",
                {"steps": ", ".join(users)},
            )
        return self

    @model_validator(mode="after")
    def _build_within_horizon(self) -> UseCase:
        if self.one_off.build_months >= self.horizon_months:
            raise rule_error(
                "one_off.build_months",
                f"expected fewer build months than horizon_months ({self.horizon_months}; no month would be live), "
                f"found {self.one_off.build_months}",
            )
        return self

    @model_validator(mode="after")
    def _finance_years(self) -> UseCase:
        years = -(-self.horizon_months // 12)
        for name, line in self.finance.lines.items():
            late = [y for y in line.by_year if y > years]
            if late:
                raise PydanticCustomError(
                    "finance_year",
                    "finance.lines.{name}.by_year: expected years 0 … {years} (horizon_months {months}), found year {year}",
                    {"name": name, "years": years, "months": self.horizon_months, "year": late[0]},
                )
        if not self.finance.include_drivers and not self.finance.lines:
            raise PydanticCustomError(
                "finance_lines", "finance: expected lines when include_drivers is false (nothing would state the case), found none"
            )
        return self


class ResolvedUseCase(UseCase):
    """A use case merged with the organisation defaults (what ``load_assumptions`` returns):
    ``org`` is always present."""

    org: Org = Field(description="organisation defaults after this use case's overrides")


class FitProvenance(Frozen):
    """Where a calibrated override comes from (``finops actuals calibrate``)."""

    window: str = F("ISO interval", "data window the value was fitted on, first/last timestamp")
    rows: int = F("rows", "usage-table rows the value was fitted from", ge=0)
    source: str = F("text", "usage sources (files or readers) of those rows")
    fitted: float = F("unit of the field", "the fitted (pooled) value")
    assumed: str = F("text", "the hand-written assumption it replaces (p5, p50, p95)", "")
    contradicted: bool = F("flag", "the actual median lies outside the assumed 90% range", False)


class Scenario(Frozen):
    """A scenario overlay (``assumptions/scenarios/<name>.yaml``)."""

    name: str = F("slug", "scenario name (file stem)")
    description: str = F("text", "what the scenario represents", "")
    overrides: dict[str, Any] = F(
        "path → value", "'<use-case id or *>.<field.path>': new value", {}
    )
    provenance: dict[str, FitProvenance] = F(
        "override key → provenance", "for calibrated overlays: data window, row count and source of each fitted value", {}
    )
