"""Portfolio roll-up: every use case in every scenario, with uncertainty, trials aligned.

``rollup(scenarios, catalog, org, fx, n, seed)`` simulates each use case and folds the results
into a :class:`Portfolio`: per-trial totals and splits by team, owner, cost center, environment,
business process, model, provider, model tier and cost layer; the model-tier mix; the platform
pool and the per-use-case drivers that :mod:`finops_model.allocation` shares it by; budget
outlooks (:mod:`finops_model.budgets`) and the inputs of the scale / optimise / redesign /
retire decision (:mod:`finops_model.decisions`).

Trials are aligned across use cases
    Every use case is sampled with the same seed through per-input random streams
    (:func:`finops_model.distributions.input_streams`). Organisation-wide inputs (``org.*``:
    labour rates, the platform pool, FX-converted defaults) take the same stream in every use
    case, so trial *t* sees one value of each shared quantity across the whole portfolio. A use
    case's own inputs take a stream keyed by the use-case id and the input name
    (``coupling="independent"``, the default), so two use cases' user counts are independent
    rather than identical; the same use case in two scenarios takes the same streams (common
    random numbers: scenario differences are paired). ``coupling="common"`` keys every stream by
    the input name alone, which reproduces ``simulate(use_case, seed)`` exactly.

Scale
    Use cases are processed in chunks (map) whose partial sums are added in chunk order
    (reduce). The chunking depends only on the number of use cases, never on the number of
    workers, so a serial run, a run on local processes (``jobs``) and a run on a Dask cluster
    (``scheduler``) give bit-identical results for the same seed. Memory is bounded by
    ``use cases × trials × 4`` floats (allocation drivers) plus ``cost centers × trials ×
    months`` floats (budget paths): no ``use cases × trials × months`` array is ever kept.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from finops_model.costs import hidden
from finops_model.errors import FinopsError
from finops_model.governance.gate import evaluate_gate
from finops_model.governance.tiers import PREMIUM_TIERS, is_routine
from finops_model.inputs.assumptions import Assumptions, load_assumptions, sample_spec, to_usd
from finops_model.inputs.distributions import SampleSpec, Uncertain, sample, uniforms
from finops_model.inputs.schema import Fx, Org, UseCase
from finops_model.model.engine import Result, evaluate
from finops_model.model.kpis import LAYERS
from finops_model.uncertainty.summary import summarise_array

Array = NDArray[np.float64]
Coupling = Literal["independent", "common"]

#: Grouping dimensions of the roll-up. ``owner`` is the accountable business owner.
ATTRIBUTE_DIMENSIONS: tuple[str, ...] = (
    "team", "owner", "technical_owner", "cost_center", "environment", "business_process",
)
MODEL_DIMENSIONS: tuple[str, ...] = ("model", "provider", "tier")
DIMENSIONS: tuple[str, ...] = (*ATTRIBUTE_DIMENSIONS, *MODEL_DIMENSIONS, "layer")

#: Label of a use case with no value for an attribute dimension.
UNASSIGNED = "(unassigned)"
#: Bucket of the model dimensions holding every cost that is not a model call.
NOT_MODEL_CALLS = "(not model calls)"

#: Per-use-case metrics of the roll-up and their units.
METRIC_UNITS: dict[str, str] = {
    "avg_monthly_cost": "USD/month",
    "run_cost": "USD/month",
    "direct_run_cost": "USD/month",
    "declared_platform_share": "USD/month",
    "build_cost": "USD/month",
    "monthly_value": "USD/month",
    "monthly_net_value": "USD/month",
    "run_rate_cost": "USD/month",
    "requests_per_month": "requests/month",
    "tokens_per_month": "tokens/month",
    "outcomes_per_month": "outcomes/month",
    "model_cost": "USD/month",
    "cost_per_outcome": "USD/outcome",
    "value_per_outcome": "USD/outcome",
    "annual_model_spend": "USD/year",
    "npv": "USD",
}


# ------------------------------------------------------------------------------- records
@dataclass(frozen=True)
class UseCaseInfo:
    """Attribution of one use case (the grouping attributes of the roll-up)."""

    id: str
    name: str
    team: str
    owner: str
    technical_owner: str
    cost_center: str
    environment: str
    business_process: str
    outcome: str
    tags: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, uc: UseCase) -> UseCaseInfo:
        def val(x: str | None) -> str:
            return x if x else UNASSIGNED

        return cls(
            uc.id, uc.name, val(uc.owners.team), val(uc.owners.business_owner), val(uc.owners.technical_owner),
            val(uc.cost_center), uc.environment, val(uc.business_process), uc.value.outcome,
            tuple(sorted(uc.governance.attribution_tags.items())),
        )

    def value(self, dimension: str) -> str:
        return str(getattr(self, dimension))


@dataclass
class StepUsage:
    """One model call site of a use case: model, tier and its mean usage.

    Attributes
    ----------
    cost_mean : [USD/month] mean model-call cost of the step (tool costs excluded)
    calls_mean : [calls/month]
    tokens_mean : [tokens/month] input + output tokens
    """

    use_case: str
    step: str
    kind: str
    model: str
    provider: str
    tier: str
    routine: bool
    cost_mean: float
    calls_mean: float
    tokens_mean: float

    @property
    def frontier_by_default(self) -> bool:
        return self.routine and self.tier in PREMIUM_TIERS


@dataclass
class UseCaseRollup:
    """One use case in one scenario, reduced to what the portfolio needs.

    Attributes
    ----------
    stats : dict metric → summary (mean, mean_se, p5, p50, p95, defined_share)
        Units in :data:`METRIC_UNITS`.
    drivers : dict name → (n,) array
        Per-trial allocation drivers: ``direct_run_cost`` [USD/month], ``requests``
        [requests/month], ``tokens`` [tokens/month], ``fixed_share`` [fraction].
    lines : list of dict
        Cost lines for showback exports: per model (model calls) and per (layer, category)
        for every other cost, each with ``mean``, ``p5``, ``p95`` [USD/month] and, for model
        lines, ``tokens`` [tokens/month] and ``calls`` [calls/month] means; they sum to
        ``stats['avg_monthly_cost']['mean']``.
    budget : budgets.BudgetOutlook or None
    decision : decisions.DecisionInputs
    steps : list of StepUsage
    """

    use_case_id: str
    scenario: str
    stats: dict[str, dict[str, Any]]
    drivers: dict[str, Array]
    lines: list[dict[str, Any]]
    budget: Any
    decision: Any
    steps: list[StepUsage]


# ------------------------------------------------------------------------------- sampling
#: Distinct distributions kept per process (a beta/PERT keeps a 16,385-point quantile table).
_CANONICAL_MAX = 256
_canonical_cache: OrderedDict[tuple, Uncertain] = OrderedDict()


def _canonical(q: Uncertain) -> Uncertain:
    """One shared instance per distinct distribution, so use cases that share a distribution
    share its tabulated quantile function (built once per process, not once per use case).
    Draws are unchanged: the quantile function depends only on kind, parameters and scale."""
    if q.is_constant:
        return q
    try:
        key = (q.kind, q.params, q.scale)
        hit = _canonical_cache.get(key)
    except TypeError:  # unhashable parameters
        return q
    if hit is not None:
        _canonical_cache.move_to_end(key)
        return hit
    _canonical_cache[key] = q
    if len(_canonical_cache) > _CANONICAL_MAX:
        _canonical_cache.popitem(last=False)
    return q


def portfolio_draws(use_case: UseCase, n: int, seed: int, coupling: Coupling = "independent") -> dict[str, Any]:
    """Draw a use case's inputs for a portfolio run (see the module docstring on coupling).

    Parameters
    ----------
    use_case : UseCase
    n : int
        Trials.
    seed : int
        The portfolio seed (shared by every use case).
    coupling : {"independent", "common"}
        ``independent``: the use case's own inputs get streams keyed by its id;
        ``common``: streams keyed by input name only (same draws as ``simulate``).

    Returns
    -------
    dict path → (n,) array or float, in each input's unit.
    """
    if coupling not in ("independent", "common"):
        raise FinopsError(f"portfolio: coupling: expected 'independent' or 'common', found {coupling!r}")
    spec = sample_spec(use_case)
    spec = SampleSpec({k: _canonical(q) for k, q in spec.inputs.items()}, spec.correlations)
    names = spec.uncertain_names
    if coupling == "common":
        keys = names
    else:
        keys = [nm if nm.startswith("org.") else f"{use_case.id}/{nm}" for nm in names]
    u = uniforms(keys, n, seed, "mc") if names else np.empty((n, 0))
    return sample(spec, n, u=u)


def simulate_member(use_case: UseCase, catalog: Any, n: int, seed: int, coupling: Coupling = "independent") -> Result:
    """One use case evaluated on the trials a portfolio run gives it (:func:`portfolio_draws`).

    Every output of one render run (business-case pages, the portfolio page, the workbook and
    the CSVs) takes a use case's trials from here, so each shows the same figure.

    Returns
    -------
    Result
        The engine's result [USD/month, per KPI unit], with ``seed`` and ``method`` set.
    """
    r = evaluate(use_case, portfolio_draws(use_case, n, seed, coupling), catalog, n)
    r.seed = seed
    r.method = "mc"
    return r


def _arr(x: Any, n: int) -> Array:
    return np.broadcast_to(np.asarray(x, dtype=float), (n,))


def platform_pool_per_month(gateway: Any, observability_platform: Any, platform_team_fte: Any,
                            hours_per_fte_month: Any, labour_rate: Any, overhead_factor: Any) -> Array:
    """The shared platform pool: gateway + observability platform + platform team [USD/month].

    Parameters
    ----------
    gateway, observability_platform : [USD/month]
    platform_team_fte : [FTE]
    hours_per_fte_month : [hours/FTE-month]
    labour_rate : [USD/hour] loaded rate of the platform team role
    overhead_factor : [×]
    """
    team = hidden.labour_cost(hidden.fte_hours(platform_team_fte, hours_per_fte_month), labour_rate, overhead_factor)
    return np.asarray(gateway, float) + np.asarray(observability_platform, float) + team


def _pool_from_draws(uc: UseCase, d: Mapping[str, Any]) -> Any:
    assert uc.org is not None
    return platform_pool_per_month(
        d["org.platform.gateway"], d["org.platform.observability_platform"], d["org.platform.platform_team_fte"],
        d["org.hours_per_fte_month"], d[f"org.labour_rates.{uc.org.platform.platform_team_role}"], d["org.overhead_factor"],
    )


def summarise_rows(arrays: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """:func:`finops_model.summary.summarise_array` of many arrays at once (one percentile pass
    over the arrays that are finite everywhere)."""
    out: dict[str, dict[str, Any]] = {}
    names = list(arrays)
    mats = [np.asarray(arrays[k], dtype=float) for k in names]
    dense = [i for i, x in enumerate(mats) if x.ndim == 1 and x.size > 1 and np.isfinite(x).all()]
    if dense:
        mat = np.stack([mats[i] for i in dense])
        m = mat.shape[1]
        means = mat.mean(axis=1)
        sds = mat.std(axis=1, ddof=1)
        pct = np.percentile(mat, [5, 50, 95], axis=1)
        for j, i in enumerate(dense):
            out[names[i]] = {"mean": float(means[j]), "mean_se": float(sds[j] / math.sqrt(m)), "p5": float(pct[0, j]),
                             "p50": float(pct[1, j]), "p95": float(pct[2, j]), "defined_share": 1.0}
    for i, name in enumerate(names):
        if name not in out:
            out[name] = summarise_array(mats[i])
    return {k: out[k] for k in names}


# ------------------------------------------------------------------------------- one use case
def _step_usage(uc: UseCase, r: Result, catalog: Any, requests: Array) -> tuple[list[StepUsage], dict[str, dict[str, Array]]]:
    usage: list[StepUsage] = []
    per_model: dict[str, dict[str, Array]] = {}
    for name, step in uc.steps.items():
        s = r.steps[name]
        calls = s["calls_per_request"] * requests
        cost = calls * s["cost_per_call"]
        tokens = calls * (s["input_tokens_per_call"] + s["output_tokens_per_call"])
        entry = catalog.entry(step.model)
        model = catalog.resolve(step.model)
        usage.append(StepUsage(uc.id, name, step.kind, model, entry.provider, entry.tier, is_routine(name, step),
                               float(cost.mean()), float(calls.mean()), float(tokens.mean())))
        acc = per_model.setdefault(model, {"cost": np.zeros_like(cost), "calls": np.zeros_like(cost), "tokens": np.zeros_like(cost)})
        acc["cost"] = acc["cost"] + cost
        acc["calls"] = acc["calls"] + calls
        acc["tokens"] = acc["tokens"] + tokens
    return usage, per_model


#: Engine categories that are model calls (in the model_interaction and application_logic layers).
_NON_MODEL_APP_CATEGORIES = frozenset({"tool calls"})


def rollup_use_case(uc: UseCase, catalog: Any, n: int, seed: int, scenario: str, months: int,
                    coupling: Coupling = "independent") -> tuple[UseCaseRollup, Array, dict[tuple[str, str, str], Array]]:
    """Simulate one use case and reduce it (the map step).

    Returns
    -------
    rollup : UseCaseRollup
    monthly : (n, months) [USD/month]
        Recurring cost per calendar month of the portfolio (zero after the use case's horizon).
    groups : dict (dimension, value, metric) → (n,) array
        This use case's contribution to the portfolio splits.
    """
    from finops_model.governance.budgets import use_case_outlook
    from finops_model.governance.verdicts import decision_inputs

    d = portfolio_draws(uc, n, seed, coupling)
    r = evaluate(uc, d, catalog, n)  # the same trials as simulate_member(uc, catalog, n, seed, coupling)
    k = r.kpis
    info = UseCaseInfo.of(uc)
    layers = r.cost_by_layer()
    requests = _arr(k["requests_per_month"], n)
    tokens = requests * _arr(k["tokens_per_request"], n)
    declared = _arr(d["hidden.platform.share_of_platform"], n) * _arr(_pool_from_draws(uc, d), n)
    build = layers["build"]
    run_cost = k["avg_monthly_cost"] - build
    direct = run_cost - declared
    usage, per_model = _step_usage(uc, r, catalog, requests)
    model_cost = sum((m["cost"] for m in per_model.values()), np.zeros(n))

    metrics: dict[str, Array] = {
        "avg_monthly_cost": k["avg_monthly_cost"], "run_cost": run_cost, "direct_run_cost": direct,
        "declared_platform_share": declared, "build_cost": build,
        "monthly_value": k["monthly_value"], "monthly_net_value": k["monthly_net_value"],
        "run_rate_cost": k["run_rate_cost"], "requests_per_month": requests, "tokens_per_month": tokens,
        "outcomes_per_month": k["outcomes_per_month"], "model_cost": model_cost,
        "cost_per_outcome": k["cost_per_outcome"], "value_per_outcome": k["value_per_outcome"],
        "annual_model_spend": k["annual_model_spend"], "npv": k["npv"],
    }
    stats = summarise_rows({**metrics, "viable": k["viable"], "review_triggered": k["review_triggered"]})

    # cost lines for exports: model calls by model, then every other category
    lines: list[dict[str, Any]] = []
    values: list[Array] = []
    for model, m in per_model.items():
        entry = catalog.entry(model)
        lines.append({"kind": "model", "layer": "model calls", "category": f"model calls: {model}", "model": model,
                      "provider": entry.provider, "tier": entry.tier,
                      "tokens": float(m["tokens"].mean()), "calls": float(m["calls"].mean())})
        values.append(m["cost"])
    for (layer, category), v in r.cost_by_category.items():
        if layer in ("model_interaction", "application_logic") and category not in _NON_MODEL_APP_CATEGORIES:
            continue
        lines.append({"kind": "other", "layer": layer, "category": category, "model": None, "provider": None, "tier": None,
                      "tokens": None, "calls": None})
        values.append(v)
    if values:
        mat = np.stack([np.broadcast_to(np.asarray(v, float), (n,)) for v in values])
        means = mat.mean(axis=1)
        p5s, p95s = np.percentile(mat, [5, 95], axis=1)
        for line, mu, a, b in zip(lines, means, p5s, p95s, strict=True):
            line.update(mean=float(mu), p5=float(a), p95=float(b))

    # calendar-month path, padded to the portfolio horizon
    if r.months == months:
        monthly = r.cost_by_month  # no copy: the result is not kept
    else:
        monthly = np.zeros((n, months))
        m = min(months, r.months)
        monthly[:, :m] = r.cost_by_month[:, :m]

    groups: dict[tuple[str, str, str], Array] = {}

    def add(dim: str, value: str, metric: str, x: Array) -> None:
        key = (dim, value, metric)
        groups[key] = groups[key] + x if key in groups else np.array(x, dtype=float)

    for dim in ATTRIBUTE_DIMENSIONS:
        value = info.value(dim)
        add(dim, value, "avg_monthly_cost", k["avg_monthly_cost"])
        add(dim, value, "monthly_value", k["monthly_value"])
    for layer in LAYERS:
        add("layer", layer, "avg_monthly_cost", layers[layer])
    for model, mm in per_model.items():
        entry = catalog.entry(model)
        for dim, value in (("model", model), ("provider", entry.provider), ("tier", entry.tier)):
            add(dim, value, "avg_monthly_cost", mm["cost"])
            add(dim, value, "calls", mm["calls"])
            add(dim, value, "tokens", mm["tokens"])
    for dim in MODEL_DIMENSIONS:
        add(dim, NOT_MODEL_CALLS, "avg_monthly_cost", k["avg_monthly_cost"] - model_cost)

    drivers = {
        "direct_run_cost": np.array(direct, dtype=float),
        "requests": np.array(requests, dtype=float),
        "tokens": np.array(tokens, dtype=float),
        # a constant share stays a scalar: no (n,) array per use case for nothing
        "fixed_share": np.array(d["hidden.platform.share_of_platform"], dtype=float),
    }
    outlook = use_case_outlook(uc, r, d, months, monthly=monthly)
    decision = decision_inputs(uc, r, d)
    rollup = UseCaseRollup(uc.id, scenario, stats, drivers, lines, outlook, decision, usage)
    return rollup, monthly, groups


# ------------------------------------------------------------------------------- map / reduce
@dataclass
class Part:
    """The reduced result of one chunk of use cases in one scenario."""

    scenario: str
    rollups: list[UseCaseRollup]
    groups: dict[tuple[str, str, str], Array]
    monthly_total: Array
    monthly_by_cost_center: dict[str, Array]


def rollup_chunk(use_cases: Sequence[UseCase], catalog: Any, n: int, seed: int, scenario: str, months: int,
                 coupling: Coupling = "independent") -> Part:
    """Simulate a chunk of use cases and add up their contributions in order (map + local reduce)."""
    rollups: list[UseCaseRollup] = []
    groups: dict[tuple[str, str, str], Array] = {}
    total = np.zeros((n, months))
    by_cc: dict[str, Array] = {}
    for uc in use_cases:
        ru, monthly, g = rollup_use_case(uc, catalog, n, seed, scenario, months, coupling)
        rollups.append(ru)
        for key, x in g.items():
            if key in groups:
                groups[key] += x
            else:
                groups[key] = x
        total += monthly
        cc = UseCaseInfo.of(uc).cost_center
        if cc in by_cc:
            by_cc[cc] += monthly
        else:
            by_cc[cc] = monthly
    return Part(scenario, rollups, groups, total, by_cc)


def chunk_size(n_use_cases: int) -> int:
    """Use cases per task: about 32 tasks per scenario, at most 64 use cases each.

    Depends only on the number of use cases (never on the workers), so every way of running
    the portfolio adds the same partial sums in the same order.
    """
    return max(1, min(64, math.ceil(n_use_cases / 32)))


def _ordered(use_cases: Iterable[UseCase]) -> list[UseCase]:
    # grouped by cost center so a chunk's partial budget paths cover few cost centers
    return sorted(use_cases, key=lambda u: (u.cost_center or "", u.id))


def _run_tasks(tasks: list[tuple], jobs: int | None, scheduler: str | None) -> list[Part]:
    if scheduler:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            raise FinopsError("portfolio: --scheduler needs dask[distributed] installed") from exc
        own = isinstance(scheduler, str)
        client = Client(scheduler) if own else scheduler
        try:
            catalog = tasks[0][1]
            remote_catalog = client.scatter(catalog, broadcast=True)
            futures = [client.submit(rollup_chunk, t[0], remote_catalog, *t[2:], pure=False) for t in tasks]
            return list(client.gather(futures))
        finally:
            if own:
                client.close()
    if jobs is None or jobs <= 1 or len(tasks) <= 1:
        return [rollup_chunk(*t) for t in tasks]
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx) as ex:
        return list(ex.map(rollup_chunk, *zip(*tasks, strict=True)))


# ------------------------------------------------------------------------------- the portfolio
@dataclass
class Portfolio:
    """The roll-up of every use case in every scenario (per-trial arrays, trials aligned).

    Attributes
    ----------
    scenarios : tuple of str
    n_trials, seed, months : int
        Trials, seed and calendar months of the portfolio horizon (the longest use case).
    coupling : str
    info : dict use-case id → UseCaseInfo
    use_cases : dict scenario → dict id → UseCaseRollup
    groups : dict scenario → dict (dimension, value, metric) → (n,) array
        Splits; metrics ``monthly_cost`` and ``monthly_value`` [USD/month] for the attribute
        dimensions, ``monthly_cost`` [USD/month], ``calls`` [calls/month] and
        ``tokens`` [tokens/month] for model, provider and tier, ``monthly_cost`` by layer.
    monthly_total : dict scenario → (n, months) [USD/month]
    monthly_by_cost_center : dict scenario → dict cost center → (n, months) [USD/month]
    pool : (n,) [USD/month]
        Shared platform pool (gateway, observability platform, platform team).
    cost_center_budgets : dict cost center → (n,) array or float [USD/month]
    """

    scenarios: tuple[str, ...]
    n_trials: int
    seed: int
    months: int
    coupling: str
    info: dict[str, UseCaseInfo]
    use_cases: dict[str, dict[str, UseCaseRollup]]
    groups: dict[str, dict[tuple[str, str, str], Array]]
    monthly_total: dict[str, Array]
    monthly_by_cost_center: dict[str, dict[str, Array]]
    pool: Array
    cost_center_budgets: dict[str, Any] = field(default_factory=dict)
    gate: dict[str, Any] = field(default_factory=dict)
    digest: str = ""

    # ---------------------------------------------------------------- accessors
    def _scenario(self, scenario: str | None) -> str:
        if scenario is None:
            return self.scenarios[0]
        if scenario not in self.use_cases:
            raise FinopsError(f"portfolio: expected a scenario among {', '.join(self.scenarios)}, found {scenario!r}")
        return scenario

    def total(self, scenario: str | None = None, metric: str = "avg_monthly_cost") -> Array:
        """Portfolio total of ``metric`` per trial [unit of the metric]."""
        sc = self._scenario(scenario)
        dim = "team" if metric in ("avg_monthly_cost", "monthly_value") else "model"
        parts = [x for (d, _, m), x in self.groups[sc].items() if d == dim and m == metric]
        return np.sum(parts, axis=0) if parts else np.zeros(self.n_trials)

    def split(self, dimension: str, scenario: str | None = None, metric: str = "avg_monthly_cost") -> dict[str, Array]:
        """Per-trial totals of ``metric`` by the values of ``dimension`` (they sum to the total)."""
        if dimension not in DIMENSIONS:
            raise FinopsError(f"portfolio: expected a dimension among {', '.join(DIMENSIONS)}, found {dimension!r}")
        sc = self._scenario(scenario)
        return {v: x for (d, v, m), x in self.groups[sc].items() if d == dimension and m == metric}

    def split_table(self, dimension: str, scenario: str | None = None, metric: str = "avg_monthly_cost") -> pd.DataFrame:
        """Summary of a split: mean, p5, p50, p95 and share of the mean total, largest first."""
        parts = self.split(dimension, scenario, metric)
        total = sum(float(x.mean()) for x in parts.values())
        rows = []
        for value, x in parts.items():
            s = summarise_array(x)
            rows.append({dimension: value, "mean": s["mean"], "p5": s["p5"], "p50": s["p50"], "p95": s["p95"],
                         "share": float(x.mean()) / total if total else 0.0})
        df = pd.DataFrame(rows, columns=[dimension, "mean", "p5", "p50", "p95", "share"])
        return df.sort_values("mean", ascending=False, kind="stable").reset_index(drop=True)

    def totals_table(self) -> pd.DataFrame:
        """Portfolio monthly cost, value and net value by scenario [USD/month]."""
        rows = []
        for sc in self.scenarios:
            for metric in ("avg_monthly_cost", "monthly_value"):
                s = summarise_array(self.total(sc, metric))
                rows.append({"scenario": sc, "metric": metric, **{k: s[k] for k in ("mean", "p5", "p50", "p95")}})
            net = self.total(sc, "monthly_value") - self.total(sc, "avg_monthly_cost")
            s = summarise_array(net)
            rows.append({"scenario": sc, "metric": "monthly_net_value", **{k: s[k] for k in ("mean", "p5", "p50", "p95")}})
        return pd.DataFrame(rows)

    def scenario_difference(self, scenario: str, reference: str | None = None, metric: str = "avg_monthly_cost") -> dict[str, Any]:
        """Paired difference of a portfolio total against a reference scenario (common random numbers)."""
        ref = self._scenario(reference)
        diff = self.total(scenario, metric) - self.total(ref, metric)
        return {"scenario": scenario, "reference": ref, "metric": metric, **summarise_array(diff),
                "p_lower": float(np.mean(diff < 0))}

    def tier_mix(self, scenario: str | None = None) -> pd.DataFrame:
        """Model-call cost and calls by model tier, with shares [USD/month, calls/month, fraction]."""
        cost = {k: v for k, v in self.split("tier", scenario, "avg_monthly_cost").items() if k != NOT_MODEL_CALLS}
        calls = self.split("tier", scenario, "calls")
        tot_cost = sum(float(v.mean()) for v in cost.values())
        tot_calls = sum(float(v.mean()) for v in calls.values())
        rows = [{"tier": t, "cost_mean": float(cost[t].mean()), "cost_share": float(cost[t].mean()) / tot_cost if tot_cost else 0.0,
                 "calls_mean": float(calls[t].mean()), "calls_share": float(calls[t].mean()) / tot_calls if tot_calls else 0.0}
                for t in cost]
        df = pd.DataFrame(rows, columns=["tier", "cost_mean", "cost_share", "calls_mean", "calls_share"])
        return df.sort_values("cost_mean", ascending=False, kind="stable").reset_index(drop=True)

    def steps_table(self, scenario: str | None = None) -> pd.DataFrame:
        """Every step with its model, tier, mean usage and the frontier-by-default flag."""
        sc = self._scenario(scenario)
        rows = [{**{k: getattr(s, k) for k in ("use_case", "step", "kind", "model", "provider", "tier", "routine",
                                                 "cost_mean", "calls_mean", "tokens_mean")},
                 "frontier_by_default": s.frontier_by_default}
                for ru in self.use_cases[sc].values() for s in ru.steps]
        return pd.DataFrame(rows)

    def frontier_by_default(self, scenario: str | None = None) -> pd.DataFrame:
        """Routine steps on frontier or reasoning models (the frontier-by-default failure mode)."""
        df = self.steps_table(scenario)
        return df[df["frontier_by_default"]].reset_index(drop=True) if len(df) else df

    def use_case_table(self, scenario: str | None = None) -> pd.DataFrame:
        """One row per use case: attribution and mean / p5 / p95 of the main metrics."""
        sc = self._scenario(scenario)
        rows = []
        for uc_id, ru in self.use_cases[sc].items():
            i = self.info[uc_id]
            row: dict[str, Any] = {"use_case": uc_id, "team": i.team, "owner": i.owner, "cost_center": i.cost_center,
                                   "environment": i.environment}
            for metric in ("avg_monthly_cost", "monthly_value", "cost_per_outcome", "value_per_outcome"):
                for stat in ("mean", "p5", "p95"):
                    row[f"{metric}_{stat}"] = ru.stats[metric][stat]
            row["p_viable"] = ru.stats["viable"]["mean"]
            rows.append(row)
        return pd.DataFrame(rows)

    def drivers(self, name: str, scenario: str | None = None) -> tuple[list[str], Array]:
        """Allocation driver per use case and trial: ids and a (use cases, n) array."""
        sc = self._scenario(scenario)
        ids = list(self.use_cases[sc])
        if not ids:
            return ids, np.zeros((0, self.n_trials))
        rows = [np.broadcast_to(self.use_cases[sc][i].drivers[name], (self.n_trials,)) for i in ids]
        return ids, np.stack(rows)


# ------------------------------------------------------------------------------- entry points
def org_in_usd(org: Org, fx: Fx, file: str = "org.yaml") -> Org:
    """The organisation defaults with money converted to USD (as each use case sees them)."""
    return to_usd(org, org.currency, fx, file, "currency")


def sample_pool(org: Org, fx: Fx, n: int, seed: int) -> Array:
    """The platform pool per trial [USD/month], on the same streams the use cases use for it."""
    o = org_in_usd(org, fx)
    role = o.platform.platform_team_role
    if role not in o.labour_rates:
        raise FinopsError(f"org.yaml: platform.platform_team_role: expected a role with a labour rate, found {role!r}")
    inputs = {
        "org.platform.gateway": o.platform.gateway,
        "org.platform.observability_platform": o.platform.observability_platform,
        "org.platform.platform_team_fte": o.platform.platform_team_fte,
        "org.hours_per_fte_month": o.hours_per_fte_month,
        f"org.labour_rates.{role}": o.labour_rates[role],
        "org.overhead_factor": o.overhead_factor,
    }
    d = sample(inputs, n, seed)
    return _arr(platform_pool_per_month(d["org.platform.gateway"], d["org.platform.observability_platform"],
                                        d["org.platform.platform_team_fte"], d["org.hours_per_fte_month"],
                                        d[f"org.labour_rates.{role}"], d["org.overhead_factor"]), n).copy()


def rollup(
    scenarios: Mapping[str, Sequence[UseCase]],
    catalog: Any,
    org: Org,
    fx: Fx,
    n: int = 10_000,
    seed: int = 0,
    *,
    jobs: int | None = None,
    scheduler: Any = None,
    coupling: Coupling = "independent",
) -> Portfolio:
    """Roll up use cases over scenarios (map in chunks, reduce in order).

    Parameters
    ----------
    scenarios : mapping scenario name → sequence of UseCase
        The validated use cases of each scenario (money in USD).
    catalog : Catalog
    org, fx : Org, Fx
        The organisation defaults as written (``Assumptions.org``, in the org currency) and FX.
    n : int
        Trials.
    seed : int
        One seed for every use case and scenario (trials aligned).
    jobs : int, optional
        Local worker processes (default: serial).
    scheduler : str or distributed.Client, optional
        Address of a Dask scheduler (or a client); overrides ``jobs``.
    coupling : {"independent", "common"}

    Returns
    -------
    Portfolio
    """
    from finops_model.governance.budgets import sample_cost_center_budgets

    if not scenarios:
        raise FinopsError("portfolio: expected at least one scenario, found none")
    if n < 1:
        raise FinopsError(f"portfolio: expected n ≥ 1 trials, found {n}")
    names = tuple(scenarios)
    info: dict[str, UseCaseInfo] = {}
    months = 1
    tasks: list[tuple] = []
    for sc in names:
        ucs = _ordered(scenarios[sc])
        for uc in ucs:
            info.setdefault(uc.id, UseCaseInfo.of(uc))
            months = max(months, uc.horizon_months)
    for sc in names:
        ucs = _ordered(scenarios[sc])
        size = chunk_size(len(ucs))
        for i in range(0, len(ucs), size):
            tasks.append((ucs[i:i + size], catalog, n, seed, sc, months, coupling))
    parts = _run_tasks(tasks, jobs, scheduler) if tasks else []

    use_cases: dict[str, dict[str, UseCaseRollup]] = {sc: {} for sc in names}
    groups: dict[str, dict[tuple[str, str, str], Array]] = {sc: {} for sc in names}
    total = {sc: np.zeros((n, months)) for sc in names}
    by_cc: dict[str, dict[str, Array]] = {sc: {} for sc in names}
    for part in parts:  # reduce, in task order
        sc = part.scenario
        for ru in part.rollups:
            use_cases[sc][ru.use_case_id] = ru
        g = groups[sc]
        for key, x in part.groups.items():
            if key in g:
                g[key] += x
            else:
                g[key] = x
        total[sc] += part.monthly_total
        for cc, x in part.monthly_by_cost_center.items():
            if cc in by_cc[sc]:
                by_cc[sc][cc] += x
            else:
                by_cc[sc][cc] = x
    # present use cases in their given order (file order), not the chunking order
    for sc in names:
        order = [u.id for u in scenarios[sc]]
        use_cases[sc] = {i: use_cases[sc][i] for i in order}
    pool = sample_pool(org, fx, n, seed)
    budgets = sample_cost_center_budgets(org, fx, n, seed)
    return Portfolio(names, n, seed, months, coupling, info, use_cases, groups, total, by_cc, pool, budgets)


def load_portfolio(root: Any = None, scenarios: Sequence[str] = (), use_cases: Sequence[str] | None = None) -> dict[str, Assumptions]:
    """Load the assumptions once per scenario (``()`` → the files as written, named ``as-written``).

    Returns
    -------
    dict scenario name → Assumptions
    """
    if not scenarios:
        return {"as-written": load_assumptions(root, (), use_cases=use_cases)}
    first = load_assumptions(root, (scenarios[0],), use_cases=use_cases)
    out = {scenarios[0]: first}
    for sc in scenarios[1:]:
        out[sc] = load_assumptions(root, (sc,), use_cases=use_cases, catalog=first.catalog)
    return out


def rollup_assumptions(loaded: Mapping[str, Assumptions], n: int = 10_000, seed: int = 0, **kw: Any) -> Portfolio:
    """:func:`rollup` over assumptions loaded by :func:`load_portfolio`, with the production gate."""
    first = next(iter(loaded.values()))
    p = rollup({sc: list(a.use_cases.values()) for sc, a in loaded.items()}, first.catalog, first.org, first.fx, n, seed, **kw)
    p.gate = {uc_id: evaluate_gate(uc, first.catalog, str(first.files.get(uc_id, ""))) for uc_id, uc in first.use_cases.items()}
    p.digest = ",".join(a.digest for a in loaded.values())
    return p
