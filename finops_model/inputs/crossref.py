"""Cross-file references of a use case, resolved once at the boundary.

A use case names things that live in other files: models of the price catalog (on its
``price_date``), roles with a labour rate in the organisation defaults, GPUs, serving curves
and rate tiers of the hardware catalogs, steps of its own workflow (for self-hosting), a
fallback model on another provider. :func:`use_case_problems` checks every one of them and
returns one :class:`~finops_model.errors.Problem` per broken reference, naming the file, the
field and what was expected.

It is the single implementation of these rules: :func:`finops_model.inputs.assumptions.load_assumptions`
calls it for every use case it builds (so every command and ``finops validate`` run the same
checks), and the self-hosting sizing (:mod:`finops_model.model.selfhost`) reads GPUs, moved
steps and rates through :func:`moved_steps`, :func:`gpu_hourly_rate` and :func:`slo_problems`
below rather than checking again.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping
from typing import Any

from finops_model.errors import CatalogError, ModelError, Problem, did_you_mean
from finops_model.inputs.hardware import Hardware
from finops_model.inputs.schema import UseCase

__all__ = [
    "PRIMARY_KINDS",
    "SLO_TAIL",
    "moved_steps",
    "price_date",
    "role_refs",
    "slo_problems",
    "self_hosting_problems",
    "use_case_problems",
]

#: Step kinds whose traffic moves to a self-hosted fleet by default (the primary calls).
PRIMARY_KINDS = ("generation", "agent", "summarisation")

#: Lower-tail probability at which an uncertain latency target must still be one the serving
#: curve can meet [probability]; trials further out in the tail are read at the curve's
#: fastest measured point (see :func:`finops_model.costs.selfhost.throughput_at_latency`).
SLO_TAIL = 0.001


def price_date(use_case: UseCase) -> _dt.date:
    """The date whose catalog prices a use case pays: its ``price_date``, else the latest [date]."""
    return _dt.date.fromisoformat(use_case.price_date) if use_case.price_date else _dt.date.max


def model_refs(uc: UseCase) -> Iterator[tuple[str, str]]:
    """``(field path, model id)`` of every price-catalog model a use case names."""
    for n, s in uc.steps.items():
        yield f"steps.{n}.model", s.model
    if uc.rag is not None:
        yield "rag.embedding_model", uc.rag.embedding_model
        if uc.rag.rerank is not None and uc.rag.rerank.model:
            yield "rag.rerank.model", uc.rag.rerank.model
    if uc.hidden.evaluation.judge_model:
        yield "hidden.evaluation.judge_model", uc.hidden.evaluation.judge_model
    if uc.infrastructure.multi_provider is not None:
        yield "infrastructure.multi_provider.fallback_model", uc.infrastructure.multi_provider.fallback_model


def role_refs(uc: UseCase) -> Iterator[tuple[str, str]]:
    """``(field path, role)`` of every role whose labour rate a use case uses."""
    h = uc.hidden
    org = uc.resolved_org
    yield "hidden.prompt_engineering.role", h.prompt_engineering.role
    yield "hidden.evaluation.rater_role", h.evaluation.rater_role
    yield "hidden.evaluation.upkeep_role", h.evaluation.upkeep_role
    yield "hidden.safety.review_role", h.safety.review_role
    yield "hidden.human_review.role", h.human_review.role or org.hidden_defaults.review_role
    yield "hidden.enablement.user_role", h.enablement.user_role
    yield "hidden.enablement.champions_role", h.enablement.champions_role
    yield "hidden.enablement.support_role", h.enablement.support_role
    yield "hidden.platform.operations_role", h.platform.operations_role
    yield "org.platform.platform_team_role", org.platform.platform_team_role
    if uc.value.saved_role:
        yield "value.saved_role", uc.value.saved_role
    if uc.value.resolution is not None:
        yield "value.resolution.escalation_role", uc.value.resolution.escalation_role
    sh = uc.infrastructure.self_hosting
    if sh is not None:
        p = "infrastructure.self_hosting."
        yield p + "staff.ops_role", sh.staff.ops_role
        yield p + "staff.on_call_role", sh.staff.on_call_role
        yield p + "staff.labour_role", sh.staff.labour_role
        yield p + "fine_tuning.role", sh.fine_tuning.role
    mp = uc.infrastructure.multi_provider
    if mp is not None:
        yield "infrastructure.multi_provider.readiness_role", mp.readiness_role


def role_message(role: str, rates: Mapping[str, Any]) -> str:
    """What was expected of an unknown role, and how to declare it."""
    return (f"expected a role with a labour rate in org.yaml ({', '.join(sorted(rates))}), found {role!r}"
            f"{did_you_mean(role, rates)}; declare it in org.yaml labour_rates or in this use case as "
            f"org: {{labour_rates: {{{role}: <CUR/hour>}}}}")


def moved_steps(uc: UseCase) -> tuple[tuple[str, ...], str | None]:
    """The steps whose traffic a self-hosted fleet serves, and a problem message (or None).

    Default: the generation, agent and summarisation steps (:data:`PRIMARY_KINDS`).
    """
    s = uc.infrastructure.self_hosting
    if s is None:
        return (), None
    if s.steps is None:
        names = tuple(n for n, st in uc.steps.items() if st.kind in PRIMARY_KINDS)
        if not names:
            return names, (f"expected a step of kind {', '.join(PRIMARY_KINDS)} to move to the fleet (or name steps: "
                           f"explicitly), found none among {', '.join(uc.steps)}")
        return names, None
    unknown = [x for x in s.steps if x not in uc.steps]
    if unknown:
        return (), f"expected step names among {', '.join(uc.steps)}, found {unknown[0]!r}{did_you_mean(unknown[0], uc.steps)}"
    if not s.steps:
        return (), "expected at least one step whose traffic moves to the fleet, found an empty list"
    return tuple(s.steps), None


def gpu_hourly_rate(uc: UseCase, hardware: Hardware) -> tuple[float | None, str | None]:
    """The catalog rate of the self-hosting GPU at its tier and provider [USD/GPU-hour], and a
    problem message (or None). ``gpu_hour_price`` (when set) replaces the catalog rate; tier
    ``owned`` has no rate (its cost is the purchase price)."""
    s = uc.infrastructure.self_hosting
    assert s is not None
    gpu = hardware.gpus.gpus[s.gpu]
    if s.tier == "owned":
        return None, None
    rate = gpu.rate(s.tier, s.provider)
    if rate is None and s.gpu_hour_price is None:
        listed = sorted({f"{r.tier}/{r.provider}" for r in gpu.rates})
        return None, (f"expected a tier/provider listed for {s.gpu} in gpus.yaml ({', '.join(listed)}) or gpu_hour_price, "
                      f"found {s.tier}/{s.provider or 'any'}")
    return (rate.value if rate is not None else None), None


def slo_problems(uc: UseCase, hardware: Hardware) -> list[tuple[str, str]]:
    """``(field, message)`` for latency targets no serving curve of the fleet can meet.

    A target (constant, or an uncertain one at its :data:`SLO_TAIL` quantile) must be at least
    the fastest measured latency of every curve of the model, GPU and engine that publishes
    latencies (the sizing picks the curve whose input/output ratio is closest to the workload's).
    """
    s = uc.infrastructure.self_hosting
    assert s is not None
    pts = [p for p in hardware.serving.points if (p.model, p.gpu, p.engine) == (s.model, s.gpu, s.engine)]
    out: list[tuple[str, str]] = []
    for name, target, attr in (("itl_ms", s.slo.itl_ms, "itl_ms"), ("ttft_ms", s.slo.ttft_ms, "ttft_ms")):
        if target is None:
            continue
        groups: dict[tuple, list[float]] = {}
        for p in pts:
            groups.setdefault((p.input_tokens, p.output_tokens, p.gpus, p.precision), []).append(getattr(p, attr))
        fastest = [min(v) for v in groups.values() if all(x is not None for x in v)]
        if not fastest:
            continue
        need = max(fastest)
        low = target.median if target.is_constant else target.quantile(SLO_TAIL)
        if low < need:
            what = f"{target.describe()}" + ("" if target.is_constant else f", whose {SLO_TAIL:.1%} quantile is {low:.4g}")
            out.append((f"slo.{name}", f"expected a latency target the serving curve can meet ({name} ≥ {need:g} for "
                                       f"{s.model} on {s.gpu} with {s.engine}), found {what}"))
    return out


def self_hosting_problems(uc: UseCase, hardware: Hardware) -> list[tuple[str, str]]:
    """``(field under infrastructure.self_hosting, message)`` for every reference of the
    self-hosting section that the hardware catalogs or the workflow cannot resolve."""
    s = uc.infrastructure.self_hosting
    if s is None:
        return []
    out: list[tuple[str, str]] = []
    _, msg = moved_steps(uc)
    if msg:
        out.append(("steps", msg))
    gpus = hardware.gpus.gpus
    if s.gpu not in gpus:
        out.append(("gpu", f"expected a GPU of gpus.yaml ({', '.join(gpus)}), found {s.gpu!r}{did_you_mean(s.gpu, gpus)}"))
        return out
    try:
        curve = hardware.curve(s.model, s.gpu, s.engine)
    except ModelError as exc:
        out.append(("model", str(exc)))
        return out
    _, msg = gpu_hourly_rate(uc, hardware)
    if msg:
        out.append(("tier", msg))
    if s.tier == "owned":
        if s.gpu_hour_price is not None:
            out.append(("gpu_hour_price", "expected none for tier 'owned' (set owned.purchase_price_per_gpu), found a rate"))
        if s.owned.purchase_price_per_gpu is None and gpus[s.gpu].purchase_usd is None:
            out.append(("owned.purchase_price_per_gpu", f"expected a purchase price (gpus.yaml has none for {s.gpu}), found none"))
    if s.sizing.prefill_tokens_per_s_per_gpu is None and not _every_curve_has_prefill(uc, hardware):
        out.append(("sizing.prefill_tokens_per_s_per_gpu",
                    f"expected a prefill rate (a serving curve of {curve.model} on {curve.gpu} with {curve.engine} has no "
                    "single-request TTFT to derive it from), found none"))
    out += slo_problems(uc, hardware)
    return out


def _every_curve_has_prefill(uc: UseCase, hardware: Hardware) -> bool:
    s = uc.infrastructure.self_hosting
    assert s is not None
    groups: dict[tuple, list[Any]] = {}
    for p in hardware.serving.points:
        if (p.model, p.gpu, p.engine) == (s.model, s.gpu, s.engine):
            groups.setdefault((p.input_tokens, p.output_tokens, p.gpus, p.precision), []).append(p)
    for g in groups.values():
        first = min(g, key=lambda p: p.concurrency or 10**9)
        if not (first.concurrency == 1 and first.ttft_ms is not None):
            return False
    return True


def use_case_problems(uc: UseCase, catalog: Any, hardware: Hardware | None, file: str) -> list[Problem]:
    """Every broken cross-file reference of a resolved use case, one problem each.

    Parameters
    ----------
    uc : a use case merged with its organisation defaults (``org`` set)
    catalog : the model price catalog
    hardware : the GPU and serving catalogs (needed when the use case has ``self_hosting``)
    file : the use case's file, for the messages
    """
    problems: list[Problem] = []
    on = price_date(uc)
    for path, model in model_refs(uc):
        try:
            catalog.price(model, on=on)
        except CatalogError as exc:
            if _resolves(catalog, model):
                msg = exc.problems[0].message if exc.problems else str(exc)
                problems.append(Problem(file, "price_date", f"{path} {model!r}: {msg}"))
            else:
                problems.append(Problem(file, path, f"expected a model in the price catalog, found {model!r}"
                                                    f"{did_you_mean(model, catalog.model_ids)}"))
    rates = uc.resolved_org.labour_rates
    problems += [Problem(file, path, role_message(role, rates)) for path, role in role_refs(uc) if role not in rates]
    mp = uc.infrastructure.multi_provider
    if mp is not None and _resolves(catalog, mp.fallback_model) and all(_resolves(catalog, s.model) for s in uc.steps.values()):
        primary = mp.primary or catalog.provider(next(iter(uc.steps.values())).model)
        fallback = catalog.provider(mp.fallback_model)
        if fallback == primary:
            problems.append(Problem(file, "infrastructure.multi_provider.fallback_model",
                                    f"expected a model of another provider than the primary {primary!r}, found "
                                    f"{mp.fallback_model!r} ({fallback})"))
    if uc.infrastructure.self_hosting is not None:
        if hardware is None:
            problems.append(Problem(file, "infrastructure.self_hosting", "expected the hardware catalogs catalog/gpus.yaml and "
                                                                        "catalog/serving.yaml beside the price catalog, found none"))
        else:
            problems += [Problem(file, f"infrastructure.self_hosting.{f}", m) for f, m in self_hosting_problems(uc, hardware)]
    # a non-api deployment without a self_hosting section is refused at evaluation (the failing
    # use case render isolates; tests/reports/test_render.py), not here
    return problems


def _resolves(catalog: Any, model: str) -> bool:
    try:
        catalog.resolve(model)
    except CatalogError:
        return False
    return True
