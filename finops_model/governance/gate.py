"""The production gate: the checklist every AI workload must pass before production.

The checklist is the one of the domain reference ("Embed FinOps controls into the deployment
lifecycle" and "Govern agentic systems with stronger controls"): named business owner,
technical owner, cost center, model tier, expected usage profile, budget threshold, attribution
tags, data classification review, security review, fallback plan, quality metric, business
value metric and, wherever a step is an agent, agent limits (maximum iterations, maximum tool
calls, maximum tokens per task, budget ceiling). Each item is evaluated from the use-case file
and, when it fails, says which field is missing and what is expected.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from finops_model.errors import CatalogError
from finops_model.governance.tiers import frontier_by_default
from finops_model.inputs.schema import UseCase

Status = Literal["pass", "fail", "n/a"]

#: Checklist items in order: key → label.
CHECKLIST: dict[str, str] = {
    "business_owner": "named business owner",
    "technical_owner": "named technical owner",
    "cost_center": "cost center",
    "model_tier": "model tier",
    "usage_profile": "expected usage profile",
    "budget": "budget threshold",
    "attribution_tags": "attribution tags",
    "data_classification": "data classification review",
    "security_review": "security review",
    "fallback_plan": "fallback plan",
    "quality_metric": "quality metric",
    "business_value_metric": "business value metric",
    "agent_max_iterations": "agent limit: max iterations",
    "agent_max_tool_calls": "agent limit: tool calls",
    "agent_max_tokens": "agent limit: tokens per task",
    "agent_budget_ceiling": "agent limit: budget ceiling",
}

#: Attribution tags every call must carry (the reference's "critical control"; model and
#: provider are recorded per call by the gateway from the step's model).
REQUIRED_TAGS: tuple[str, ...] = (
    "application", "owner", "environment", "cost_center", "use_case", "business_process", "request_type",
)
#: Tags whose value must agree with the use case's own fields.
_TAG_FIELDS = {"environment": "environment", "cost_center": "cost_center", "use_case": "id"}

#: Model tiers a workload can be assigned (embedding and rerank serve RAG, not model calls).
CALL_TIERS = frozenset({"small", "mid", "frontier", "reasoning"})


@dataclass(frozen=True)
class Check:
    """One checklist item for one use case.

    Attributes
    ----------
    item : str
        Key in :data:`CHECKLIST`.
    status : {"pass", "fail", "n/a"}
    field : str
        The field path that holds the evidence.
    detail : str
        What was found, or what is missing and expected.
    """

    item: str
    status: Status
    field: str
    detail: str

    @property
    def label(self) -> str:
        return CHECKLIST[self.item]


@dataclass(frozen=True)
class GateResult:
    """The gate for one use case."""

    use_case: str
    name: str
    environment: str
    file: str
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(c.status != "fail" for c in self.checks)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status == "fail")

    @property
    def missing(self) -> tuple[str, ...]:
        """Labels of the failed items."""
        return tuple(c.label for c in self.failures)

    def to_dict(self) -> dict[str, Any]:
        return {"use_case": self.use_case, "environment": self.environment, "file": self.file, "passed": self.passed,
                "checks": [{"item": c.item, "label": c.label, "status": c.status, "field": c.field, "detail": c.detail}
                           for c in self.checks]}


def _text(x: str | None) -> bool:
    return bool(x and x.strip())


def _ok(item: str, field: str, detail: str) -> Check:
    return Check(item, "pass", field, detail)


def _fail(item: str, field: str, detail: str) -> Check:
    return Check(item, "fail", field, detail)


def _named(item: str, field: str, value: str | None, what: str) -> Check:
    if _text(value):
        return _ok(item, field, str(value))
    return _fail(item, field, f"expected {what}, found none")


def _model_tier(uc: UseCase, catalog: Any) -> Check:
    tiers = []
    for name, step in uc.steps.items():
        try:
            tier = catalog.tier(step.model)
        except CatalogError:  # an unknown model is a gate failure, not a crash
            return _fail("model_tier", f"steps.{name}.model", f"expected a model with a tier in the price catalog, found {step.model!r}")
        if tier not in CALL_TIERS:
            return _fail("model_tier", f"steps.{name}.model", f"expected a model tier among {sorted(CALL_TIERS)}, found {tier!r} ({step.model})")
        tiers.append(f"{name}: {tier}")
    flagged = frontier_by_default(uc, catalog)
    if flagged:
        steps = ", ".join(f"{f['step']} ({f['kind']}) on {f['model']} [{f['tier']}]" for f in flagged)
        return _fail("model_tier", "steps", f"expected routine steps on small or mid-tier models, found frontier-by-default: {steps}")
    return _ok("model_tier", "steps", "; ".join(tiers))


def _usage_profile(uc: UseCase) -> Check:
    v = uc.volume
    users, req = v.active_users.median, v.requests_per_user_per_month.median
    if not users > 0:
        return _fail("usage_profile", "volume.active_users", f"expected active users > 0, found {v.active_users.describe()}")
    if not req > 0:
        return _fail("usage_profile", "volume.requests_per_user_per_month",
                     f"expected requests per user per month > 0, found {v.requests_per_user_per_month.describe()}")
    peak = v.peak_to_average.median
    return _ok("usage_profile", "volume", f"{users:,.0f} users × {req:,.3g} requests/user/month (median), peak ×{peak:.3g}")


def _budget(uc: UseCase) -> Check:
    b = uc.budget.monthly
    if b is None:
        return _fail("budget", "budget.monthly", "expected a monthly budget threshold [CUR/month], found none")
    if not b.median > 0:
        return _fail("budget", "budget.monthly", f"expected a budget > 0, found {b.describe()}")
    return _ok("budget", "budget.monthly", f"{b.median:,.0f} USD/month, alert at {uc.budget.alert_at.median:.0%}")


def _tags(uc: UseCase) -> Check:
    tags = uc.governance.attribution_tags
    missing = [t for t in REQUIRED_TAGS if not _text(tags.get(t))]
    if missing:
        return _fail("attribution_tags", "governance.attribution_tags", f"expected tags {', '.join(missing)}, found none for them")
    wrong = []
    for tag, attr in _TAG_FIELDS.items():
        own = getattr(uc, attr)
        if own and tags[tag] != own:
            wrong.append(f"{tag} {tags[tag]!r} but {attr} is {own!r}")
    if wrong:
        return _fail("attribution_tags", "governance.attribution_tags", "expected tags that match the use case, found " + "; ".join(wrong))
    return _ok("attribution_tags", "governance.attribution_tags", ", ".join(REQUIRED_TAGS))


def _classification(uc: UseCase) -> Check:
    g = uc.governance
    path = "governance.data_classification"
    if not _text(g.data_classification):
        return _fail("data_classification", path, "expected a data classification (public/internal/confidential/restricted), found none")
    if not g.data_classification_reviewed:
        return _fail("data_classification", "governance.data_classification_reviewed",
                     f"expected a completed data classification review, found data_classification_reviewed: false ({g.data_classification})")
    return _ok("data_classification", path, f"{g.data_classification}, reviewed")


def _agent_checks(uc: UseCase) -> list[Check]:
    agents = {n: s for n, s in uc.steps.items() if s.agent_loop is not None or s.kind == "agent"}
    items = ("agent_max_iterations", "agent_max_tool_calls", "agent_max_tokens", "agent_budget_ceiling")
    if not agents:
        return [Check(i, "n/a", "steps", "no agent steps") for i in items]
    out: dict[str, list[str]] = {i: [] for i in items}
    fails: dict[str, list[tuple[str, str]]] = {i: [] for i in items}
    for name, s in agents.items():
        pre = f"steps.{name}.agent_loop"
        loop = s.agent_loop
        if loop is None:
            for i in items:
                fails[i].append((pre, f"{name}: expected an agent_loop with limits on an agent step, found none"))
            continue
        out["agent_max_iterations"].append(f"{name}: {loop.max_iterations}")
        hi = loop.tool_calls_per_iteration.support[1]
        if loop.max_tool_calls_per_task is not None:
            out["agent_max_tool_calls"].append(f"{name}: ≤ {loop.max_tool_calls_per_task:,} per task")
        elif math.isfinite(hi):
            out["agent_max_tool_calls"].append(f"{name}: ≤ {loop.max_iterations * hi:,.4g} per task")
        else:
            fails["agent_max_tool_calls"].append((
                pre + ".tool_calls_per_iteration",
                f"{name}: expected tool calls bounded per task (max_iterations × a bounded tool_calls_per_iteration), "
                f"found {loop.tool_calls_per_iteration.describe()} with no upper bound"))
        if loop.max_tokens_per_task is None:
            fails["agent_max_tokens"].append((pre + ".max_tokens_per_task", f"{name}: expected max_tokens_per_task [tokens/request], found none"))
        else:
            out["agent_max_tokens"].append(f"{name}: {loop.max_tokens_per_task.median:,.0f} tokens")
        if loop.budget_ceiling_per_task is None:
            fails["agent_budget_ceiling"].append((pre + ".budget_ceiling_per_task", f"{name}: expected budget_ceiling_per_task [CUR/request], found none"))
        else:
            out["agent_budget_ceiling"].append(f"{name}: {loop.budget_ceiling_per_task.median:,.4g} USD")
    checks = []
    for i in items:
        if fails[i]:
            checks.append(_fail(i, fails[i][0][0], "; ".join(msg for _, msg in fails[i])))
        else:
            checks.append(_ok(i, "steps", "; ".join(out[i])))
    return checks


def evaluate_gate(uc: UseCase, catalog: Any, file: str = "") -> GateResult:
    """Evaluate every checklist item for one use case."""
    g = uc.governance
    checks = [
        _named("business_owner", "owners.business_owner", uc.owners.business_owner, "a named business owner"),
        _named("technical_owner", "owners.technical_owner", uc.owners.technical_owner, "a named technical owner"),
        _named("cost_center", "cost_center", uc.cost_center, "a cost center"),
        _model_tier(uc, catalog),
        _usage_profile(uc),
        _budget(uc),
        _tags(uc),
        _classification(uc),
        _ok("security_review", "governance.security_reviewed", "done") if g.security_reviewed
        else _fail("security_review", "governance.security_reviewed", "expected a completed security review, found security_reviewed: false"),
        _named("fallback_plan", "governance.fallback_plan", g.fallback_plan, "a fallback plan (what happens when the primary model fails)"),
        _named("quality_metric", "governance.quality_metric", g.quality_metric, "a quality metric"),
        _named("business_value_metric", "governance.business_value_metric", g.business_value_metric, "a business value metric"),
        *_agent_checks(uc),
    ]
    return GateResult(uc.id, uc.name, uc.environment, file, tuple(checks))


def evaluate_gates(use_cases: Iterable[UseCase], catalog: Any, files: Any = None) -> list[GateResult]:
    """The gate for several use cases (``files``: mapping id → path, for messages)."""
    files = files or {}
    return [evaluate_gate(uc, catalog, str(files.get(uc.id, ""))) for uc in use_cases]


def format_gate(results: Iterable[GateResult], verbose: bool = False) -> str:
    """Plain-text report: one line per use case, then one line per failed item (all with ``verbose``)."""
    lines = []
    results = list(results)
    for r in results:
        n_fail = len(r.failures)
        applicable = sum(1 for c in r.checks if c.status != "n/a")
        head = "PASS" if r.passed else "FAIL"
        lines.append(f"{head} {r.use_case} ({r.environment}): {applicable - n_fail}/{applicable} checks passed")
        for c in r.checks:
            if c.status == "fail":
                where = f"{r.file}: " if r.file else ""
                lines.append(f"  missing {c.label}: {where}{c.field}: {c.detail}")
            elif verbose:
                lines.append(f"  {c.status:4} {c.label}: {c.detail}")
    n_failed = sum(1 for r in results if not r.passed)
    lines.append(f"{len(results) - n_failed} of {len(results)} use cases pass the production gate")
    return "\n".join(lines)
