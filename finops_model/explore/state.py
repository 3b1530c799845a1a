"""The explorer's state: a session on one use case, its change list (undo and redo), the pinned
state and the comparison, the view export and the scenario drafts. No widgets: the panel
(:mod:`finops_model.explore.panel`) only shows this state and calls its methods, and the tests
drive it the same way.

>>> ex = Explorer("support-copilot", "baseline", n=10_000, seed=0)      # doctest: +SKIP
>>> ex.set("hidden.prompt_engineering.fte", "0.5 to 1")                 # doctest: +SKIP
>>> ex.kpi_text(); ex.undo(); ex.redo()                                  # doctest: +SKIP

How it stays fast enough to feel live (target: a change to updated KPIs within 300 ms at
10,000 trials, ``benchmarks/bench_widgets.py``):

* a change is applied to the validated use case with
  :func:`~finops_model.inputs.assumptions.replace_path` (only the changed value is parsed, in
  the assumptions language, and converted to USD where it is money), not by re-validating;
* the input draws are cached (:class:`DrawCache`): every input keeps its own uniform stream,
  so a change re-draws only the inputs whose distribution changed, and every state of the
  panel is evaluated on the same trials (common random numbers): comparisons are paired;
* the KPI text is refreshed first (debounced, ``debounce_s``), the charts after a longer pause.

Statistics: the panel shows the p50 of each KPI with its 90% range (p5 – p95), under the KPI
labels of :mod:`finops_model.model.kpis` — the figures and words of the business case.

Edits are kept per use case and scenario: switching use case keeps the edits of the one left
(they come back when it is loaded again) and says so; nothing is dropped silently.

Save as draft writes the changed fields (plus the overrides of the scenario the panel started
from, so that the file stands alone) as ``assumptions/scenarios/drafts/<name>.yaml``
(:mod:`finops_model.explore.drafts`): validated first, written atomically, never over an
existing file unless ``overwrite=True``. ``finops simulate USE_CASE --scenario drafts/<name>
--trials N --seed S`` reproduces the panel's KPIs.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as _dt
import math
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finops_model.errors import CatalogError, FinopsError, did_you_mean
from finops_model.explore.changes import Change, ChangeList
from finops_model.explore.controls import ControlSpec, control_specs, recentre
from finops_model.explore.drafts import DRAFTS_FOLDER, draft_name, draft_yaml, round_value
from finops_model.explore.export import view_frames, write_view
from finops_model.inputs.assumptions import (
    apply_scenario,
    build_use_case,
    get_path,
    load_assumptions,
    load_scenario,
    published_scenarios,
    replace_path,
)
from finops_model.inputs.distributions import (
    SampleSpec,
    SpecError,
    Uncertain,
    correlate_uniforms,
    parse,
    uniforms,
)
from finops_model.inputs.schema import Scenario, UseCase
from finops_model.model import engine
from finops_model.model.kpis import KPI_UNITS, label
from finops_model.uncertainty.summary import format_value, summarise
from finops_model.util.io import write_atomic
from finops_model.util.paths import ASSUMPTIONS_DIR

#: KPIs shown in the panel, in order.
PANEL_KPIS: tuple[str, ...] = (
    "avg_monthly_cost", "recurring_monthly_cost", "run_rate_cost", "cost_per_outcome", "value_per_outcome", "viable",
    "monthly_net_value", "npv", "roi", "payback_month", "cost_per_request", "tokens_per_request",
    "calls_per_request", "annual_model_spend",
)

#: KPIs of the comparison (baseline, pinned, current).
COMPARE_KPIS: tuple[str, ...] = (
    "avg_monthly_cost", "recurring_monthly_cost", "cost_per_outcome", "monthly_net_value", "npv", "cost_per_request",
    "tokens_per_request", "annual_model_spend",
)

#: KPIs a tornado can be drawn for.
TORNADO_KPIS: tuple[str, ...] = ("avg_monthly_cost", "cost_per_outcome", "monthly_net_value", "npv")

#: The statistic the panel shows, named as in the reports.
STATISTIC = "p50"

#: The "no scenario" choice.
NO_SCENARIO = "(none)"

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def kpi_label(name: str, stat: str = STATISTIC) -> str:
    """A KPI's label with its statistic, as in the reports (``Average monthly cost (incl. one-off) (p50)``)."""
    return f"{label(name)} ({stat})"


# =========================================================================== draws
class DrawCache:
    """Per-input draws for ``n`` trials, cached so that a change re-draws only what changed.

    Draws equal those of :func:`finops_model.distributions.sample` with ``method="mc"`` and the
    same seed (one uniform stream per input name; Gaussian copula for correlated inputs).

    Parameters
    ----------
    n : int
        Trials.
    seed : int
        Seed of the run (common to every state of the panel).
    """

    def __init__(self, n: int, seed: int):
        self.n = int(n)
        self.seed = seed
        self._u: dict[str, np.ndarray] = {}
        self._corr: dict[tuple, dict[str, np.ndarray]] = {}
        self._values: dict[str, tuple[Uncertain, int, np.ndarray]] = {}
        self.redrawn: list[str] = []

    def uniform(self, name: str) -> np.ndarray:
        """The uniform column of one input [fraction] (independent of the other inputs)."""
        u = self._u.get(name)
        if u is None:
            u = uniforms([name], self.n, self.seed, "mc")[:, 0].copy()
            self._u[name] = u
        return u

    def draws(self, spec: SampleSpec) -> dict[str, np.ndarray | float]:
        """Every input of ``spec``: (n,) arrays for uncertain inputs, floats for constants."""
        self.redrawn = []
        names = spec.uncertain_names
        cols: dict[str, np.ndarray] = {}
        if spec.correlations:
            cnames, cm = spec.correlation_matrix()
            keep = [i for i, c in enumerate(cnames) if c in names]
            if len(keep) > 1:
                kept = tuple(cnames[i] for i in keep)
                sub = cm[np.ix_(keep, keep)]
                key = (kept, sub.tobytes())
                if key not in self._corr:
                    u = np.column_stack([self.uniform(c) for c in kept])
                    corr = correlate_uniforms(u, sub)
                    self._corr[key] = {c: np.ascontiguousarray(corr[:, j]) for j, c in enumerate(kept)}
                cols.update(self._corr[key])
        out: dict[str, np.ndarray | float] = {}
        for name, q in spec.inputs.items():
            if q.is_constant:
                out[name] = q.p["value"] * q.scale
        for name in names:
            q = spec.inputs[name]
            u = cols.get(name)
            if u is None:
                u = self.uniform(name)
            hit = self._values.get(name)
            if hit is not None and hit[1] == id(u) and hit[0] == q:
                out[name] = hit[2]
                continue
            values = q.ppf(u)
            values.flags.writeable = False
            self._values[name] = (q, id(u), values)
            self.redrawn.append(name)
            out[name] = values
        return out


# =========================================================================== debouncing
class Debouncer:
    """Call ``fn`` once, ``delay_s`` after the last of a burst of triggers.

    Runs on the asyncio loop of the kernel (JupyterLab, Voilà); where no loop is running
    (scripts, tests) or ``delay_s`` is 0, ``fn`` runs at once.
    """

    def __init__(self, fn: Callable[[], Any], delay_s: float, on_error: Callable[[BaseException], Any] | None = None):
        self.fn = fn
        self.delay_s = float(delay_s)
        self.on_error = on_error
        self._handle: asyncio.TimerHandle | None = None
        self.calls = 0

    def _run(self) -> None:
        self._handle = None
        self.calls += 1
        try:
            self.fn()
        except Exception as exc:  # shown in the panel: a callback on the loop has no caller
            if self.on_error is None:
                raise
            self.on_error(exc)

    def trigger(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        loop = None
        if self.delay_s > 0:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
        if loop is None:
            self._run()
        else:
            self._handle = loop.call_later(self.delay_s, self._run)

    @property
    def pending(self) -> bool:
        return self._handle is not None


# =========================================================================== the explorer
@dataclass
class Pin:
    """A pinned state: its overrides and its result (same trials as the baseline)."""

    label: str
    overrides: dict[str, Any]
    result: engine.Result


@dataclass
class Session:
    """What the explorer loaded for one use case under one scenario (the files' side)."""

    use_case_id: str
    scenario: str | None
    assumptions: Any
    base: UseCase
    file_values: dict[str, Any]
    specs: dict[str, ControlSpec]
    scenario_overrides: dict[str, Any]
    fx_factor: float
    org_fx_factor: float
    baseline: engine.Result | None = None
    parsed: dict[tuple[str, str], Any] = field(default_factory=dict)


class Explorer:
    """The explorer's state and logic (the widgets are in :attr:`widget`).

    Parameters
    ----------
    use_case : str
        Use-case id (a file in ``assumptions/use_cases``).
    scenario : str or None
        Scenario overlay applied first (a file in ``assumptions/scenarios``, or
        ``drafts/<name>``); None or ``"(none)"`` for the files as they are.
    root : path, optional
        The assumptions folder (default: the project's).
    n : int
        Monte Carlo trials per update.
    seed : int
        Seed; every state of the panel uses the same trials (paired comparisons).
    debounce_s, chart_debounce_s : float
        Pause after the last change before the KPIs [s] and the charts [s] are refreshed
        (0: at once).
    charts : bool
        Draw the charts (cost stack, cost per outcome against value, tornado).
    tornado_kpi : str
        KPI of the tornado chart.
    """

    def __init__(
        self,
        use_case: str = "support-copilot",
        scenario: str | None = "baseline",
        *,
        root: str | Path | None = None,
        n: int = 10_000,
        seed: int = 0,
        debounce_s: float = 0.15,
        chart_debounce_s: float = 0.6,
        charts: bool = True,
        tornado_kpi: str = "avg_monthly_cost",
    ):
        if n < 1:
            raise FinopsError(f"expected n ≥ 1 trials, found {n}")
        self.root = Path(root) if root is not None else ASSUMPTIONS_DIR
        self.n = int(n)
        self.seed = seed
        self.charts_enabled = charts
        self.tornado_kpi = tornado_kpi
        self.cache = DrawCache(self.n, seed)
        self.changes = ChangeList({})
        self.kept: dict[tuple[str, str | None], ChangeList] = {}
        self.pinned: Pin | None = None
        self.messages: list[str] = []
        self._listeners: list[Callable[[str], Any]] = []
        self._ui: Any = None
        #: Builds the panel of this explorer (set by :func:`finops_model.explore.panel.explore`).
        self.view_factory: Callable[[Explorer], Any] | None = None
        self._kpi_debounce = Debouncer(self.update, debounce_s, self._show_error)
        self._chart_debounce = Debouncer(self.refresh_charts, chart_debounce_s, self._show_error)
        self.chart_html: dict[str, str] = {}
        self.tornado_note = ""
        self.tornado_drivers: list[str] = []
        self.load(use_case, scenario)

    # ------------------------------------------------------------------ loading
    @property
    def scenario_names(self) -> list[str]:
        """Scenarios under ``root/scenarios``, then the drafts (``drafts/<name>``)."""
        drafts = sorted(draft_name(p.stem) for p in (self.root / "scenarios" / DRAFTS_FOLDER).glob("*.yaml"))
        return published_scenarios(self.root) + drafts

    @property
    def use_case_ids(self) -> list[str]:
        return sorted(str(p.stem) for p in (self.root / "use_cases").glob("*.yaml"))

    def load(self, use_case: str, scenario: str | None = "baseline") -> None:
        """Start a session on a use case under a scenario.

        The edits of the session left are kept (:attr:`kept`) and come back when its use case
        and scenario are loaded again; the pin is cleared.
        """
        scenario = None if scenario in (None, "", NO_SCENARIO) else scenario
        scen = (scenario,) if scenario else ()
        a = load_assumptions(self.root, scen, use_cases=[use_case])
        base = a.use_cases[use_case]
        if base.org is None:
            raise FinopsError(f"{a.files[use_case]}: expected the organisation defaults to be merged, found none")
        currency = base.currency or base.org.currency
        factor = 1.0 if currency == "USD" else 1.0 / a.fx.rates[currency].per_usd
        org_factor = 1.0 if base.org.currency == "USD" else 1.0 / a.fx.rates[base.org.currency].per_usd
        specs = {s.path: s for s in control_specs(base, a.catalog, engine.used_inputs(base, a.catalog))}
        raw = a.raw["use_cases"][use_case]
        file_values = {p: self._file_value(raw, a.raw["org"], base, p) for p in specs}
        sc_over: dict[str, Any] = {}
        if scenario:
            sc, _ = load_scenario(self.root / "scenarios" / f"{scenario}.yaml")
            sc_over = {str(k): v for k, v in sc.overrides.items() if str(k).partition(".")[0] in (use_case, "*")}
        left = getattr(self, "session", None)
        if left is not None and len(self.changes):
            self.kept[(left.use_case_id, left.scenario)] = self.changes
        self.session = Session(use_case, scenario, a, base, file_values, specs, sc_over, factor, org_factor)
        restored = self.kept.pop((use_case, scenario), None)
        self.changes = ChangeList(file_values)
        self.messages = []
        if restored is not None:
            for c in restored.changes():
                if c.path in specs:
                    self.changes.set(c.path, c.value)
            self.messages.append(f"{len(self.changes)} change(s) to {use_case} brought back from before")
        if left is not None and (left.use_case_id, left.scenario) in self.kept:
            n_left = len(self.kept[(left.use_case_id, left.scenario)])
            self.messages.append(f"{n_left} unsaved change(s) to {left.use_case_id} kept: load it again to go on")
        self.pinned = None
        self.use_case = self._build(self.changes.overrides)
        self.session.baseline = self._evaluate(base)
        self.result = self._evaluate(self.use_case) if len(self.changes) else self.session.baseline
        self._notify("load")
        if self.charts_enabled:
            self._chart_debounce.trigger()

    @staticmethod
    def _file_value(raw: Mapping[str, Any], org_raw: Mapping[str, Any], base: UseCase, path: str) -> Any:
        """The value as written in the files (the use case under the scenario, then org.yaml
        for ``org.`` fields), else the schema's default."""
        sources = [raw]
        if path.startswith("org."):
            sources.append({"org": org_raw})
        for src in sources:
            node: Any = src
            for seg in path.split("."):
                if not isinstance(node, Mapping) or seg not in node:
                    break
                node = node[seg]
            else:
                return copy.deepcopy(node)
        value = get_path(base, path)
        return value.to_yaml() if isinstance(value, Uncertain) else value

    # ------------------------------------------------------------------ changing values
    @property
    def controls(self) -> dict[str, ControlSpec]:
        """The controls by field path."""
        return self.session.specs

    @property
    def overrides(self) -> dict[str, Any]:
        """Field path → new value of every changed control (file currency for money)."""
        return self.changes.overrides

    def change_list(self) -> list[Change]:
        """Every changed control with its file value and its new value."""
        return self.changes.changes()

    def spec(self, path: str) -> ControlSpec:
        try:
            return self.session.specs[path]
        except KeyError:
            raise FinopsError(
                f"expected a control of use case {self.session.use_case_id}, found {path!r}{did_you_mean(path, self.session.specs)}"
            ) from None

    def value(self, path: str) -> Any:
        """The current value of a control, as written in YAML (file currency for money)."""
        return self.changes.overrides.get(path, self.session.file_values[self.spec(path).path])

    def file_value(self, path: str) -> Any:
        """The value of a control in the files (under the panel's scenario)."""
        return self.session.file_values[self.spec(path).path]

    def parsed(self, path: str, value: Any) -> Any:
        """The model's value for a control's YAML value (parsed; money converted to USD)."""
        s = self.spec(path)
        key = (path, repr(value))
        hit = self.session.parsed.get(key)
        if hit is not None:
            return hit
        if s.kind == "model":
            if not isinstance(value, str):
                raise FinopsError(f"{path}: expected a catalog model id, found {value!r}")
            try:
                self.session.assumptions.catalog.price(value)
            except CatalogError:
                raise FinopsError(f"{path}: expected a model in the price catalog, found {value!r}{did_you_mean(value, s.choices)}") from None
            out: Any = value
        elif s.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int | float) or float(value) != int(value):
                raise FinopsError(f"{path}: expected a whole number, found {value!r}")
            if not s.bounds[0] <= value <= s.bounds[1]:
                raise FinopsError(f"{path}: expected a whole number in [{s.bounds[0]:g}, {s.bounds[1]:g}], found {value}")
            out = int(value)
        else:
            try:
                out = parse(value, s.kind)
            except SpecError as exc:
                raise FinopsError(f"{path}: {exc}") from None
            factor = self.session.org_fx_factor if path.startswith("org.") else self.session.fx_factor
            if s.money and factor != 1.0:
                out = out.scaled(factor)
        self.session.parsed[key] = out
        return out

    def in_file_units(self, path: str, value: Any) -> Any:
        """The parsed value of a control in the file's currency (what its slider shows)."""
        q = self.parsed(path, value)
        return Uncertain(q.kind, q.params, q.text) if isinstance(q, Uncertain) and q.scale != 1.0 else q

    def stage(self, path: str, value: Any, *, coalesce: bool = False) -> None:
        """Record a new value for a control without recomputing (see :meth:`update`).

        The value's numbers are rounded to :data:`~finops_model.explore.drafts.SAVE_DIGITS`
        significant digits (what a saved draft holds). ``coalesce`` folds it into the previous
        undo step when that step set the same control (a slider drag).

        Raises
        ------
        FinopsError
            The value does not fit the field ("expected …, found …").
        """
        s = self.spec(path)
        value = round_value(value)
        parsed = self.parsed(path, value)
        if s.path.endswith(("cached_prompt_share", "cache_write_share")) and isinstance(parsed, Uncertain) and parsed.is_constant:
            other = s.path.rsplit(".", 1)[0] + (".cache_write_share" if s.path.endswith("cached_prompt_share") else ".cached_prompt_share")
            q = get_path(self.use_case, other)
            if q.is_constant and parsed.median + q.median > 1:
                raise FinopsError(f"{path}: expected cached_prompt_share + cache_write_share ≤ 1, found {parsed.median + q.median:g}")
        if self.changes.set(path, value, coalesce=coalesce):
            self.use_case = self._build(self.changes.overrides)
        self._notify(f"stage:{path}")

    def set(self, path: str, value: Any) -> engine.Result:
        """Set a control and recompute at once; returns the new result."""
        self.stage(path, value)
        self.update()
        return self.result

    def set_centre(self, path: str, centre: float) -> engine.Result:
        """Move a control's centre (median) keeping its spread (:func:`recentre`), as its slider does."""
        s = self.spec(path)
        value = recentre(self.value(path), s.kind, centre) if s.kind != "model" else centre
        return self.set(path, value)

    def _after_history(self, changed: bool) -> bool:
        if changed:
            self.use_case = self._build(self.changes.overrides)
            self._notify("reset")
            self.update()
        return changed

    def remove(self, path: str) -> bool:
        """Take one control off the change list (back to its file value), and recompute."""
        return self._after_history(self.changes.remove(self.spec(path).path))

    def reset(self, path: str | None = None) -> None:
        """Return one control (or every control) to the file's value, and recompute (undoable)."""
        if path is not None:
            self.remove(path)
        else:
            self._after_history(self.changes.clear())

    def undo(self) -> bool:
        """Undo the last change (a set, a removal or a reset); False if there is none."""
        return self._after_history(self.changes.undo())

    def redo(self) -> bool:
        """Redo the last undone change; False if there is none."""
        return self._after_history(self.changes.redo())

    def _build(self, overrides: Mapping[str, Any]) -> UseCase:
        uc = self.session.base
        for path, value in overrides.items():
            uc = replace_path(uc, path, self.parsed(path, value))
        keep = [c for c in uc.correlations if not any(get_path(uc, p).is_constant for p in c.between)]
        if len(keep) != len(uc.correlations):
            uc = uc.model_copy(update={"correlations": keep})
        return uc

    @property
    def dropped_correlations(self) -> list[tuple[str, str]]:
        """Correlations of the file dropped because one of their inputs was set to a constant."""
        now = {tuple(c.between) for c in self.use_case.correlations}
        return [tuple(c.between) for c in self.session.base.correlations if tuple(c.between) not in now]  # type: ignore[misc]

    # ------------------------------------------------------------------ computing
    def _evaluate(self, uc: UseCase) -> engine.Result:
        catalog = self.session.assumptions.catalog
        spec = engine.evaluation_spec(uc, catalog)
        draws = self.cache.draws(spec)
        result = engine.evaluate(uc, draws, catalog, self.n)
        result.seed = self.seed
        result.method = "mc"
        return result

    def update(self) -> None:
        """Recompute the KPIs for the current values (then, debounced, the charts)."""
        self.result = self._evaluate(self.use_case)
        self._notify("result")
        if self.charts_enabled:
            self._chart_debounce.trigger()

    def schedule_update(self) -> None:
        """Recompute after ``debounce_s`` without a further change (what the controls call)."""
        self._kpi_debounce.trigger()

    @property
    def update_pending(self) -> bool:
        """A recompute is scheduled (a burst of moves is under way)."""
        return self._kpi_debounce.pending

    @property
    def baseline(self) -> engine.Result:
        """The result with the files' values (under the panel's scenario), same trials."""
        if self.session.baseline is None:
            raise FinopsError("the explorer has no baseline yet (load a use case first)")
        return self.session.baseline

    def kpi_table(self, result: engine.Result | None = None, kpis: tuple[str, ...] = PANEL_KPIS) -> pd.DataFrame:
        """``kpi, label, unit, mean, mean_se, p5, p50, p95, defined_share, note`` of the panel's
        KPIs [units in ``unit``; USD for money]; ``label`` names the statistic shown (p50)."""
        df = summarise(result or self.result, kpis)
        df.insert(1, "label", [label(k) if u == "probability" else kpi_label(k) for k, u in zip(df["kpi"], df["unit"], strict=True)])
        return df

    def kpi_text(self, result: engine.Result | None = None) -> str:
        """The KPI lines the panel shows, as plain text (``Average monthly cost (incl. one-off)
        (p50): 12,345 USD/month (p5 … – p95 …)``)."""
        return "\n".join(f"{r.label}: {kpi_value_text(r)}" for r in self.kpi_table(result).itertuples(index=False))

    # ------------------------------------------------------------------ pin and compare
    def pin(self, label: str | None = None) -> Pin:
        """Pin the current state to compare it with the baseline (and with later changes)."""
        n = len(self.changes)
        self.pinned = Pin(label or f"pinned ({n} change{'s' if n != 1 else ''})", self.changes.overrides, self.result)
        self._notify("pin")
        if self.charts_enabled:
            self._chart_debounce.trigger()
        return self.pinned

    def unpin(self) -> None:
        self.pinned = None
        self._notify("pin")

    def comparison(self, kpis: tuple[str, ...] = COMPARE_KPIS) -> pd.DataFrame:
        """Baseline, pinned and current side by side, paired trial by trial.

        Returns
        -------
        pandas.DataFrame
            ``kpi, label, unit``; ``baseline, pinned, current`` (p50 of each state; ``pinned``
            is NaN with no pin) [KPI unit]; ``change_p50, change_p5, change_p95`` (p50, p5 and
            p95 of the per-trial difference current − baseline) [KPI unit]; ``p_lower`` (share
            of trials where current < baseline: for a cost, P(current cheaper)) [fraction].
        """
        base = self.baseline
        rows = []
        for k in kpis:
            b, c = base.kpis[k], self.result.kpis[k]
            p = self.pinned.result.kpis[k] if self.pinned is not None else np.full_like(b, np.nan, dtype=float)
            d = c - b
            ok = np.isfinite(d)
            q = np.percentile(d[ok], [5, 50, 95]) if ok.any() else [math.nan] * 3
            rows.append({
                "kpi": k, "label": kpi_label(k), "unit": KPI_UNITS.get(k, ""),
                "baseline": _p50(b), "pinned": _p50(p), "current": _p50(c),
                "change_p50": float(q[1]), "change_p5": float(q[0]), "change_p95": float(q[2]),
                "p_lower": float((d[ok] < 0).mean()) if ok.any() else math.nan,
            })
        return pd.DataFrame(rows)

    def p_cheaper(self) -> float:
        """P(current cheaper): share of trials where the current average monthly cost (incl.
        one-off) is below the baseline's (paired trials) [fraction]."""
        d = self.result.kpis["avg_monthly_cost"] - self.baseline.kpis["avg_monthly_cost"]
        ok = np.isfinite(d)
        return float((d[ok] < 0).mean()) if ok.any() else math.nan

    # ------------------------------------------------------------------ export
    def view(self) -> dict[str, pd.DataFrame]:
        """The current view as tables: ``kpis`` (p50 and 90% range of each KPI, baseline and
        current − baseline), ``changes`` (field, file value, new value) and ``about``."""
        return view_frames(self)

    def export_view(self, folder: str | Path, overwrite: bool = False) -> list[Path]:
        """Write the view as ``kpis.csv``, ``changes.csv``, ``view.xlsx`` and ``view.html``
        (self-contained) in ``folder``; refuses existing files unless ``overwrite``."""
        return write_view(self.view(), Path(folder), overwrite=overwrite)

    # ------------------------------------------------------------------ saving
    def scenario_document(self, name: str, description: str = "") -> dict[str, Any]:
        """The scenario overlay the panel would save: the starting scenario's overrides for this
        use case, then the changed fields (and the correlations left, if any were dropped)."""
        uc = self.session.use_case_id
        over: dict[str, Any] = dict(self.session.scenario_overrides)
        for path, value in self.changes.overrides.items():
            over[f"{uc}.{path}"] = value
        if self.dropped_correlations:
            over[f"{uc}.correlations"] = [
                {"between": list(c.between), "rank": c.rank} for c in self.use_case.correlations
            ]
        start = f"scenario {self.session.scenario!r}" if self.session.scenario else "the files as they are"
        n = len(self.changes)
        text = description.strip() or f"Saved from the explorer: {n} change(s) to {uc} on top of {start}."
        return {"name": name, "description": text, "overrides": over}

    def draft_path(self, name: str) -> Path:
        """Where draft ``name`` is saved: ``<root>/scenarios/drafts/<name>.yaml``."""
        return self.root / "scenarios" / DRAFTS_FOLDER / f"{name}.yaml"

    def reproduce_command(self, name: str) -> str:
        """The command that reproduces the panel's KPIs from draft ``name``."""
        extra = "" if self.root == ASSUMPTIONS_DIR else f" --assumptions {self.root}"
        return (f"finops simulate {self.session.use_case_id} --scenario {draft_name(name)} "
                f"--trials {self.n} --seed {self.seed}{extra}")

    def save_scenario(self, name: str, description: str = "", overwrite: bool = False, author: str = "") -> Path:
        """Save the changed fields as a draft scenario, ``<root>/scenarios/drafts/<name>.yaml``
        (validated, atomic; see :mod:`finops_model.explore.drafts`).

        Raises
        ------
        FinopsError
            Bad name, nothing changed, or the file exists and ``overwrite`` is False.
        AssumptionError
            The overlay does not validate (nothing is written).
        """
        if not isinstance(name, str) or not _SLUG.match(name):
            raise FinopsError(f"scenario name: expected a slug (lower-case letters, digits, '-' or '_'), found {name!r}")
        if not len(self.changes):
            raise FinopsError("save as draft: expected at least one changed control, found none (every control has the file's value)")
        target = self.draft_path(name)
        if target.exists() and not overwrite:
            raise FinopsError(
                f"{target}: expected a new scenario name, found an existing file; tick 'overwrite' "
                "(overwrite=True) to replace it"
            )
        doc = self.scenario_document(name, description)
        self._validate_document(doc, str(target))
        s = self.session
        now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        header = [
            f"Draft scenario {name!r}" + (f" by {author.strip()}" if author.strip() else "") + f", saved from the explorer on {now}.",
            *(f"  {line}" for line in _wrap(doc["description"])),
            f"Use case {s.use_case_id}, started from {('scenario ' + s.scenario) if s.scenario else 'no scenario'}; "
            f"base files' hash {s.assumptions.digest}.",
            "Reproduce the panel's KPIs:",
            f"  {self.reproduce_command(name)}",
            "A draft: the leaders' report (make report) leaves it out. Promote it by moving it up one folder:",
            f"  git mv assumptions/scenarios/{DRAFTS_FOLDER}/{name}.yaml assumptions/scenarios/",
        ]
        if self.dropped_correlations:
            header.append("Correlations dropped because an input was set to a fixed value: "
                          + "; ".join(" ~ ".join(c) for c in self.dropped_correlations))
        uc = s.use_case_id
        file_values = {f"{uc}.{c.path}": c.file_value for c in self.changes.changes()}
        text = draft_yaml(name, doc["description"], doc["overrides"], header, file_values)
        write_atomic(target, text, overwrite=overwrite)
        self.messages.append(f"saved {target}")
        self._notify("saved")
        return target

    def _validate_document(self, doc: Mapping[str, Any], file: str) -> None:
        a = self.session.assumptions
        uc_id = self.session.use_case_id
        sc = Scenario.model_validate(doc)
        from finops_model.util import yamlio

        raw_file = yamlio.load(a.files[uc_id])
        raw = apply_scenario({uc_id: raw_file}, sc, file)[uc_id]
        build_use_case(raw, a.raw["org"], a.fx, a.catalog, f"{file} (use case {uc_id})")

    # ------------------------------------------------------------------ charts
    def refresh_charts(self) -> dict[str, str]:
        """Draw the charts as offline HTML (static SVG): cost stack, cost per outcome against
        value per outcome, tornado of :attr:`tornado_kpi` (its drivers in :attr:`tornado_drivers`)."""
        from finops_model.reports.charts import (
            chart_html,
            cost_stack_chart,
            distribution_chart,
            histogram_frame,
        )
        from finops_model.uncertainty.sensitivity import tornado, tornado_chart, use_case_model

        r = self.result
        out = {"cost_stack": chart_html(cost_stack_chart(r, "Monthly cost by layer [USD/month, mean]"))}
        frames = [histogram_frame(r.kpis["cost_per_outcome"], label="cost per outcome")]
        if self.pinned is not None:
            frames.append(histogram_frame(self.pinned.result.kpis["cost_per_outcome"], label="cost per outcome (pinned)"))
        frames.append(histogram_frame(r.kpis["value_per_outcome"], label="value per outcome"))
        markers = {"p50 cost": float(np.nanmedian(r.kpis["cost_per_outcome"])), "p50 value": float(np.nanmedian(r.kpis["value_per_outcome"]))}
        out["outcome"] = chart_html(distribution_chart(pd.concat(frames, ignore_index=True),
                                                       "Cost per outcome against value per outcome", "USD/outcome", markers))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                df = tornado(use_case_model(self.use_case, self.session.assumptions.catalog), [self.tornado_kpi])
                out["tornado"] = chart_html(tornado_chart(df, self.tornado_kpi, top=12))
                top = df[df["kpi"] == self.tornado_kpi].sort_values("rank")
                self.tornado_drivers = [str(p) for p in top["input"].head(12)]
            except FinopsError as exc:
                out["tornado"] = f"<p>No tornado: {exc}</p>"
                self.tornado_drivers = []
        self.tornado_note = "; ".join(str(w.message) for w in caught)
        self.chart_html = out
        self._notify("charts")
        return out

    # ------------------------------------------------------------------ widgets
    @property
    def widget(self) -> Any:
        """The panel (an ``ipywidgets.VBox``), built on first use."""
        return self.panel.root

    @property
    def panel(self) -> Any:
        """The :class:`~finops_model.explore.panel.Panel` of this explorer, built on first use."""
        if self._ui is None:
            if self.view_factory is None:
                raise FinopsError("this explorer has no panel: build it with finops_model.explore.panel.explore()")
            self._ui = self.view_factory(self)
        return self._ui

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def on_change(self, fn: Callable[[str], Any]) -> None:
        """Call ``fn(event)`` after each change of state (load, stage, result, pin, charts…)."""
        self._listeners.append(fn)

    def _notify(self, event: str) -> None:
        for fn in list(self._listeners):
            fn(event)

    def _show_error(self, exc: BaseException) -> None:
        self.messages.append(f"error: {exc}")
        self._notify("error")


def _p50(x: np.ndarray) -> float:
    x = np.asarray(x, float)
    ok = np.isfinite(x)
    return float(np.median(x[ok])) if ok.any() else math.nan


def _wrap(text: str, width: int = 90) -> list[str]:
    import textwrap

    return textwrap.wrap(" ".join(text.split()), width) or [""]


def kpi_value_text(r: Any) -> str:
    """One KPI row of :meth:`Explorer.kpi_table` as text: ``p50 unit (p5 … – p95 …)``."""
    if str(r.note).startswith("undefined"):
        return f"undefined ({r.note})"
    if r.kpi == "viable":
        return f"{r.mean:.0%} of trials"
    unit = "" if r.unit in ("fraction", "probability") else f" {r.unit}"
    return f"{format_value(r.p50, r.unit)}{unit} (p5 {format_value(r.p5, r.unit)} – p95 {format_value(r.p95, r.unit)})"


__all__ = [
    "COMPARE_KPIS", "DrawCache", "Debouncer", "Explorer", "NO_SCENARIO", "PANEL_KPIS", "Pin", "STATISTIC",
    "Session", "TORNADO_KPIS", "kpi_label", "kpi_value_text",
]
