"""Which assumptions drive a KPI: tornado, spider, rank correlation and Sobol indices.

Every analysis works on a :class:`ModelFunction` — named uncertain inputs (each with a quantile
function) and a vectorised model that maps draws to per-trial outputs — so the same code path
serves a use case (:func:`use_case_model`) and a test function with known answers
(:func:`function_model`, e.g. the Ishigami function).

- :func:`tornado` — one input at a time from its p10 to its p90, the others at their medians;
  sorted by swing. :func:`spider` — the KPI against each input's percentile.
- :func:`rank_correlation` — Spearman rank correlation of each input with the KPI over a Monte
  Carlo sample, and its contribution to variance (ρ² normalised to 1, as @RISK and Crystal Ball
  report it).
- :func:`sobol` — first- and total-order Sobol indices with bootstrap confidence intervals
  (SALib: Saltelli/Sobol' sampling on the unit hypercube, mapped through each input's quantile
  function; Saltelli et al. 2010 estimators), per input and per group of inputs (cost layers).
  Sobol indices assume independent inputs: where the assumptions correlate inputs they are
  sampled independently here and a :class:`CorrelatedInputsWarning` says so.

All results are tidy :class:`pandas.DataFrame` objects; ``*_chart`` functions draw them with
altair.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from finops_model.errors import FinopsError, did_you_mean
from finops_model.inputs.distributions import SampleSpec, Uncertain, parse, sample
from finops_model.inputs.schema import UseCase
from finops_model.model.engine import Result, evaluate
from finops_model.model.kpis import KPI_UNITS
from finops_model.uncertainty.precision import model_spec

Array = NDArray[np.float64]

#: Input groups by field-path prefix (first match wins), in report order.
GROUP_PREFIXES: tuple[tuple[str, str], ...] = (
    ("steps.", "model interaction and application logic"),
    ("rag.", "rag"),
    ("infrastructure.", "infrastructure"),
    ("hidden.", "hidden costs"),
    ("volume.", "volume and value"),
    ("value.", "volume and value"),
    ("one_off.", "build"),
    ("org.labour_rates.", "labour rates"),
    ("org.", "organisation"),
)


class CorrelatedInputsWarning(UserWarning):
    """An analysis that assumes independent inputs was run on correlated inputs."""


def input_group(path: str) -> str:
    """The group (cost layer) of an input field path, e.g. ``rag.top_k`` → ``rag``."""
    for prefix, group in GROUP_PREFIXES:
        if path.startswith(prefix):
            return group
    return path.split(".", 1)[0]


# =========================================================================== the model
@dataclass(frozen=True)
class ModelFunction:
    """Named inputs and a vectorised model, as the sensitivity analyses see them.

    Attributes
    ----------
    name : str
    inputs : mapping path → Uncertain
        Every input (constants included); the uncertain ones are analysed.
    fn : callable (draws, n) → mapping output → (n,) array
        The model; ``draws`` maps each input to an (n,) array or a scalar.
    correlations : tuple of (a, b, rho)
        Rank correlations declared in the assumptions (ignored by one-at-a-time and Sobol
        analyses, which warn).
    units : mapping output → unit
    groups : mapping path → group
    """

    name: str
    inputs: Mapping[str, Uncertain]
    fn: Callable[[Mapping[str, Any], int], Mapping[str, Array]]
    correlations: tuple[tuple[str, str, float], ...] = ()
    units: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[str, str] = field(default_factory=dict)

    @property
    def uncertain_names(self) -> list[str]:
        return sorted(k for k, q in self.inputs.items() if not q.is_constant)

    def group_of(self, path: str) -> str:
        return self.groups.get(path) or input_group(path)

    def run(self, u: Array, names: Sequence[str] | None = None) -> Mapping[str, Array]:
        """Evaluate the model at uniforms ``u`` (n, d) for ``names`` (default: all uncertain),
        other uncertain inputs at their medians; inputs sampled independently [units of outputs]."""
        all_names = self.uncertain_names
        names = list(names) if names is not None else all_names
        n = u.shape[0]
        full = np.full((n, len(all_names)), 0.5)
        idx = [all_names.index(x) for x in names]
        full[:, idx] = u
        draws = sample(SampleSpec(dict(self.inputs)), n, u=full)
        return self.fn(draws, n)

    def correlation_warning(self) -> str:
        """A warning text naming the correlated uncertain inputs, or ``""``."""
        unc = set(self.uncertain_names)
        pairs = [f"{a} ~ {b} (ρ={rho:+.2f})" for a, b, rho in self.correlations if a in unc and b in unc and rho != 0]
        if not pairs:
            return ""
        return (
            "these inputs are correlated in the assumptions but were varied independently here "
            f"(the analysis assumes independence; read their indices as indicative): {'; '.join(pairs)}"
        )


def use_case_model(use_case: UseCase, catalog: Any) -> ModelFunction:
    """A use case as a :class:`ModelFunction` whose outputs are its KPIs."""
    spec = model_spec(use_case, catalog)

    def fn(draws: Mapping[str, Any], n: int) -> Mapping[str, Array]:
        return evaluate(use_case, draws, catalog, n).kpis

    return ModelFunction(use_case.id, dict(spec.inputs), fn, tuple(spec.correlations), dict(KPI_UNITS))


def function_model(
    inputs: Mapping[str, Any],
    fn: Callable[[Mapping[str, Any], int], Mapping[str, Array]],
    name: str = "function",
    units: Mapping[str, str] | None = None,
    groups: Mapping[str, str] | None = None,
) -> ModelFunction:
    """Any vectorised function as a :class:`ModelFunction`; inputs as in the YAML language."""
    parsed = {k: v if isinstance(v, Uncertain) else parse(v) for k, v in inputs.items()}
    return ModelFunction(name, parsed, fn, (), dict(units or {}), dict(groups or {}))


def _check(model: ModelFunction, kpis: Sequence[str], inputs: Sequence[str] | None) -> list[str]:
    unc = model.uncertain_names
    if not unc:
        raise FinopsError(f"{model.name}: expected at least one uncertain input to analyse, found none (every input is fixed)")
    if inputs is None:
        return unc
    bad = [i for i in inputs if i not in unc]
    if bad:
        raise FinopsError(f"{model.name}: expected uncertain inputs, found {bad[0]!r}{did_you_mean(bad[0], unc)}")
    return list(inputs)


def _outputs(out: Mapping[str, Array], kpis: Sequence[str], model: ModelFunction) -> None:
    for k in kpis:
        if k not in out:
            raise FinopsError(f"{model.name}: expected a KPI among {', '.join(sorted(out))}, found {k!r}{did_you_mean(k, out)}")


def _warn(model: ModelFunction, what: str) -> list[str]:
    text = model.correlation_warning()
    if not text:
        return []
    msg = f"{what}: {text}"
    warnings.warn(msg, CorrelatedInputsWarning, stacklevel=3)
    return [msg]


# =========================================================================== one at a time
def tornado(
    model: ModelFunction,
    kpis: Sequence[str] = ("npv",),
    inputs: Sequence[str] | None = None,
    low: float = 0.1,
    high: float = 0.9,
) -> pd.DataFrame:
    """Swing of each KPI as each input goes from its ``low`` to its ``high`` quantile.

    All other inputs stay at their medians; one model evaluation of ``1 + 2d`` rows.

    Returns
    -------
    pandas.DataFrame
        ``kpi, unit, input, group, input_low, input_base, input_high`` [input units],
        ``kpi_low, kpi_base, kpi_high, swing`` [KPI unit; swing = |kpi_high − kpi_low|],
        ``rank`` (1 = largest swing), sorted by KPI then swing.
    """
    if not 0 < low < 0.5 < high < 1:
        raise FinopsError(f"expected 0 < low < 0.5 < high < 1, found low={low}, high={high}")
    names = _check(model, kpis, inputs)
    d = len(names)
    u = np.full((1 + 2 * d, d), 0.5)
    for j in range(d):
        u[1 + 2 * j, j] = low
        u[2 + 2 * j, j] = high
    out = model.run(u, names)
    _outputs(out, kpis, model)
    rows = []
    for kpi in kpis:
        y = np.broadcast_to(np.asarray(out[kpi], float), (1 + 2 * d,))
        for j, name in enumerate(names):
            q = model.inputs[name]
            lo_v, hi_v = float(y[1 + 2 * j]), float(y[2 + 2 * j])
            rows.append({
                "kpi": kpi, "unit": model.units.get(kpi, ""), "input": name, "group": model.group_of(name),
                "input_low": q.quantile(low), "input_base": q.median, "input_high": q.quantile(high),
                "kpi_low": lo_v, "kpi_base": float(y[0]), "kpi_high": hi_v, "swing": abs(hi_v - lo_v),
            })
    df = pd.DataFrame(rows)
    df = df.sort_values(["kpi", "swing"], ascending=[True, False], kind="stable").reset_index(drop=True)
    df["rank"] = df.groupby("kpi").cumcount() + 1
    df.attrs["warnings"] = _warn(model, "tornado")
    return df


def spider(
    model: ModelFunction,
    kpis: Sequence[str] = ("npv",),
    inputs: Sequence[str] | None = None,
    percentiles: Sequence[float] = tuple(np.round(np.arange(0.05, 0.951, 0.05), 2)),
) -> pd.DataFrame:
    """Each KPI as each input moves through its percentiles, the others at their medians.

    Returns
    -------
    pandas.DataFrame
        ``kpi, unit, input, group, percentile`` [fraction], ``input_value`` [input unit],
        ``value`` [KPI unit], ``change`` [fraction of the all-median value; NaN where it is 0].
    """
    names = _check(model, kpis, inputs)
    p = np.asarray(percentiles, dtype=float)
    if np.any((p <= 0) | (p >= 1)):
        raise FinopsError(f"expected percentiles in (0, 1), found {p.tolist()}")
    d, k = len(names), p.size
    u = np.full((1 + d * k, d), 0.5)
    for j in range(d):
        u[1 + j * k: 1 + (j + 1) * k, j] = p
    out = model.run(u, names)
    _outputs(out, kpis, model)
    frames = []
    for kpi in kpis:
        y = np.broadcast_to(np.asarray(out[kpi], float), (1 + d * k,))
        base = float(y[0])
        for j, name in enumerate(names):
            vals = y[1 + j * k: 1 + (j + 1) * k]
            frames.append(pd.DataFrame({
                "kpi": kpi, "unit": model.units.get(kpi, ""), "input": name, "group": model.group_of(name),
                "percentile": p, "input_value": model.inputs[name].ppf(p), "value": vals,
                "change": (vals - base) / abs(base) if base != 0 else np.nan,
            }))
    df = pd.concat(frames, ignore_index=True)
    df.attrs["warnings"] = _warn(model, "spider")
    return df


# =========================================================================== from an MC sample
def rank_correlation(
    draws: Mapping[str, Any],
    outputs: Mapping[str, Array],
    kpis: Sequence[str] = ("npv",),
    inputs: Sequence[str] | None = None,
    groups: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Spearman rank correlation of every sampled input with each KPI.

    Parameters
    ----------
    draws : mapping path → (n,) array or scalar
        The sampled inputs (``Result.inputs``); scalars and constant columns are skipped.
    outputs : mapping KPI → (n,) array
    kpis, inputs : which KPIs and inputs (default: every varying input)

    Returns
    -------
    pandas.DataFrame
        ``kpi, input, group, spearman`` [-1, 1], ``contribution_to_variance`` [fraction; ρ²
        over the sum of ρ² of all inputs for that KPI], ``direction`` (+1/−1), ``rank``;
        trials where the KPI is undefined are left out (``trials`` says how many were used).
    """
    names = inputs or sorted(k for k, v in draws.items() if np.ndim(v) == 1 and np.ptp(np.asarray(v)) > 0)
    if not names:
        raise FinopsError("expected at least one varying input, found none (every input is fixed)")
    x = np.column_stack([np.asarray(draws[k], float) for k in names])
    rows = []
    for kpi in kpis:
        if kpi not in outputs:
            raise FinopsError(f"expected a KPI among {', '.join(sorted(outputs))}, found {kpi!r}{did_you_mean(kpi, outputs)}")
        y = np.asarray(outputs[kpi], float)
        ok = np.isfinite(y)
        if ok.sum() < 3 or np.ptp(y[ok]) == 0:
            rho = np.zeros(len(names))
        else:
            rx = stats.rankdata(x[ok], axis=0)
            ry = stats.rankdata(y[ok])
            rx -= rx.mean(axis=0)
            ry -= ry.mean()
            denom = np.sqrt((rx**2).sum(axis=0) * (ry**2).sum())
            with np.errstate(invalid="ignore", divide="ignore"):
                rho = np.where(denom > 0, rx.T @ ry / denom, 0.0)
        r2 = rho**2
        share = r2 / r2.sum() if r2.sum() > 0 else np.zeros_like(r2)
        for name, r, s in zip(names, rho, share, strict=True):
            rows.append({"kpi": kpi, "input": name, "group": (groups or {}).get(name) or input_group(name),
                         "spearman": float(r), "contribution_to_variance": float(s), "direction": int(np.sign(r)),
                         "trials": int(ok.sum())})
    df = pd.DataFrame(rows)
    df["_abs"] = df["spearman"].abs()
    df = df.sort_values(["kpi", "_abs"], ascending=[True, False], kind="stable").drop(columns="_abs").reset_index(drop=True)
    df["rank"] = df.groupby("kpi").cumcount() + 1
    return df


def result_rank_correlation(result: Result, kpis: Sequence[str] = ("npv",)) -> pd.DataFrame:
    """:func:`rank_correlation` of a simulated :class:`~finops_model.engine.Result`."""
    return rank_correlation(result.inputs, result.kpis, kpis)


# =========================================================================== Sobol
@dataclass(frozen=True)
class SobolResult:
    """First- and total-order Sobol indices.

    Attributes
    ----------
    indices : pandas.DataFrame
        ``kpi, level`` (``input`` or ``group``), ``name, group, S1, S1_conf, ST, ST_conf``
        [fraction of variance; ``_conf`` is the half-width of the bootstrap confidence
        interval], sorted by KPI, level and ST.
    base_samples : int
        N of the Saltelli design (a power of two).
    evaluations : int
        Model rows evaluated (N·(D+2) per level).
    warnings : tuple of str
    """

    indices: pd.DataFrame
    base_samples: int
    evaluations: int
    confidence: float
    warnings: tuple[str, ...] = ()


def saltelli_design(problem: Mapping[str, Any], n_base: int, seed: int | None = 0) -> Array:
    """SALib's Saltelli/Sobol' design for first- and total-order indices, vectorised.

    The same matrix as ``SALib.sample.sobol.sample(problem, n_base, calc_second_order=False,
    scramble=True, seed=seed)`` on the unit hypercube (``tests/test_sensitivity.py`` checks
    they are equal), built with array operations instead of SALib's Python loop over rows,
    which takes seconds for hundreds of inputs. Rows come in blocks of ``Dg + 2`` per base
    sample: A, then A with group k's columns taken from B for each group, then B.

    Returns
    -------
    (n_base · (Dg + 2), D) array [fraction]
    """
    from SALib.util import compute_groups_matrix
    from scipy.stats import qmc

    d = int(problem["num_vars"])
    groups = problem.get("groups")
    base = qmc.Sobol(d=2 * d, scramble=True, seed=seed).random(n_base)
    a, b = base[:, :d], base[:, d:]
    if groups:
        _, group_names = compute_groups_matrix(list(groups))
        mask = np.array([[groups[j] == g for j in range(d)] for g in group_names])
    else:
        mask = np.eye(d, dtype=bool)
    out = np.empty((n_base, mask.shape[0] + 2, d))
    out[:, 0] = a
    out[:, 1:-1] = np.where(mask[None, :, :], b[:, None, :], a[:, None, :])
    out[:, -1] = b
    return out.reshape(-1, d)


def sobol(
    model: ModelFunction,
    kpis: Sequence[str] = ("npv",),
    n_base: int = 1024,
    seed: int | None = 0,
    levels: Sequence[str] = ("input", "group"),
    inputs: Sequence[str] | None = None,
    confidence: float = 0.95,
    num_resamples: int = 100,
) -> SobolResult:
    """Sobol first-order (S1) and total-order (ST) indices with confidence intervals.

    Samples the unit hypercube with SALib's Sobol' sampler (Saltelli's scheme, N·(D+2) rows),
    maps each column through its input's quantile function, evaluates the model once for all
    rows and analyses every KPI with ``SALib.analyze.sobol``. With ``"group"`` in ``levels``
    the inputs are also analysed by group (:func:`input_group`: one index per cost layer), a
    second design of N·(G+2) rows.

    Parameters
    ----------
    n_base : int
        Base samples N (rounded up to a power of two).
    levels : subset of {"input", "group"}
    confidence : float [fraction]
        Level of the bootstrap confidence intervals.
    """
    from SALib.analyze import sobol as sobol_analyze

    names = _check(model, kpis, inputs)
    if len(names) < 2:
        raise FinopsError(f"{model.name}: expected at least 2 uncertain inputs for Sobol indices, found {len(names)}")
    n_base = 1 << max(int(math.ceil(math.log2(max(n_base, 2)))), 1)
    warn = _warn(model, "Sobol indices")
    frames = []
    evaluations = 0
    for level in levels:
        problem: dict[str, Any] = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
        if level == "group":
            problem["groups"] = [model.group_of(n) for n in names]
            labels = list(dict.fromkeys(problem["groups"]))
            if len(labels) < 2:
                continue
        elif level == "input":
            labels = names
        else:
            raise FinopsError(f"expected levels among 'input', 'group', found {level!r}")
        x = np.clip(saltelli_design(problem, n_base, seed), 1e-12, 1 - 1e-12)
        evaluations += x.shape[0]
        out = model.run(x, names)
        _outputs(out, kpis, model)
        for kpi in kpis:
            y = np.broadcast_to(np.asarray(out[kpi], float), (x.shape[0],))
            bad = int((~np.isfinite(y)).sum())
            if bad:
                msg = f"Sobol indices of {kpi}: undefined in {bad} of {y.size} evaluations; indices not computed"
                warnings.warn(msg, UserWarning, stacklevel=2)
                warn.append(msg)
                res = {k: np.full(len(labels), np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
            elif np.ptp(y) == 0:
                res = {k: np.zeros(len(labels)) for k in ("S1", "S1_conf", "ST", "ST_conf")}
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    res = sobol_analyze.analyze(problem, np.ascontiguousarray(y), calc_second_order=False,
                                                num_resamples=num_resamples, conf_level=confidence, seed=seed)
            frames.append(pd.DataFrame({
                "kpi": kpi, "level": level, "name": labels,
                "group": [model.group_of(n) for n in labels] if level == "input" else labels,
                "S1": np.asarray(res["S1"], float), "S1_conf": np.asarray(res["S1_conf"], float),
                "ST": np.asarray(res["ST"], float), "ST_conf": np.asarray(res["ST_conf"], float),
            }))
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["kpi", "level", "name", "group", "S1", "S1_conf", "ST", "ST_conf"])
    df = df.sort_values(["kpi", "level", "ST"], ascending=[True, False, False], kind="stable").reset_index(drop=True)
    df.attrs["warnings"] = list(warn)
    return SobolResult(df, n_base, evaluations, confidence, tuple(warn))


# =========================================================================== charts
def tornado_chart(df: pd.DataFrame, kpi: str | None = None, top: int = 15) -> Any:
    """Horizontal bars from the base value to the KPI at each input's low and high quantile."""
    import altair as alt  # the reports extra; the model runs without it

    kpi = kpi or str(df["kpi"].iloc[0])
    d = df[df["kpi"] == kpi].nsmallest(top, "rank")
    long = pd.concat([
        d.assign(end="input at p10", value=d["kpi_low"]),
        d.assign(end="input at p90", value=d["kpi_high"]),
    ])[["input", "group", "end", "value", "kpi_base", "swing", "input_low", "input_high"]]
    unit = d["unit"].iloc[0] if len(d) else ""
    order = d.sort_values("swing", ascending=False)["input"].tolist()
    bars = alt.Chart(long).mark_bar().encode(
        y=alt.Y("input:N", sort=order, title=None),
        x=alt.X("value:Q", title=f"{kpi} [{unit}]"),
        x2="kpi_base:Q",
        color=alt.Color("end:N", title=None, scale=alt.Scale(range=["#d95f02", "#1b9e77"])),
        tooltip=["input", "group", "end", alt.Tooltip("value:Q", format=",.4g"), alt.Tooltip("swing:Q", format=",.4g"),
                 alt.Tooltip("input_low:Q", format=",.4g"), alt.Tooltip("input_high:Q", format=",.4g")],
    )
    base = alt.Chart(pd.DataFrame({"base": [float(d["kpi_base"].iloc[0])] if len(d) else []})).mark_rule(color="black").encode(x="base:Q")
    return (bars + base).properties(title=f"Tornado: {kpi} (others at their medians)", width=480)


def spider_chart(df: pd.DataFrame, kpi: str | None = None) -> Any:
    """The KPI against each input's percentile, one line per input."""
    import altair as alt  # the reports extra; the model runs without it

    kpi = kpi or str(df["kpi"].iloc[0])
    d = df[df["kpi"] == kpi]
    unit = d["unit"].iloc[0] if len(d) else ""
    return alt.Chart(d).mark_line(point=True).encode(
        x=alt.X("percentile:Q", axis=alt.Axis(format="%"), title="input percentile"),
        y=alt.Y("value:Q", title=f"{kpi} [{unit}]"),
        color=alt.Color("input:N"),
        tooltip=["input", alt.Tooltip("percentile:Q", format=".0%"), alt.Tooltip("input_value:Q", format=",.4g"), alt.Tooltip("value:Q", format=",.4g")],
    ).properties(title=f"Spider: {kpi}", width=480)


def rank_correlation_chart(df: pd.DataFrame, kpi: str | None = None, top: int = 15) -> Any:
    """Bars of Spearman rank correlation, largest magnitude first."""
    import altair as alt  # the reports extra; the model runs without it

    kpi = kpi or str(df["kpi"].iloc[0])
    d = df[df["kpi"] == kpi].nsmallest(top, "rank")
    return alt.Chart(d).mark_bar().encode(
        y=alt.Y("input:N", sort=d["input"].tolist(), title=None),
        x=alt.X("spearman:Q", title="Spearman rank correlation", scale=alt.Scale(domain=[-1, 1])),
        color=alt.Color("group:N"),
        tooltip=["input", "group", alt.Tooltip("spearman:Q", format="+.3f"), alt.Tooltip("contribution_to_variance:Q", format=".1%")],
    ).properties(title=f"Rank correlation with {kpi}", width=480)


def sobol_chart(result: SobolResult | pd.DataFrame, kpi: str | None = None, level: str = "input", top: int = 15) -> Any:
    """Bars of S1 and ST with confidence-interval whiskers."""
    import altair as alt  # the reports extra; the model runs without it

    df = result.indices if isinstance(result, SobolResult) else result
    kpi = kpi or str(df["kpi"].iloc[0])
    d = df[(df["kpi"] == kpi) & (df["level"] == level)].nlargest(top, "ST")
    long = pd.concat([
        pd.DataFrame({"name": d["name"], "index": "first order (S1)", "value": d["S1"], "conf": d["S1_conf"]}),
        pd.DataFrame({"name": d["name"], "index": "total order (ST)", "value": d["ST"], "conf": d["ST_conf"]}),
    ])
    long["low"] = long["value"] - long["conf"]
    long["high"] = long["value"] + long["conf"]
    order = d["name"].tolist()
    enc = {"y": alt.Y("name:N", sort=order, title=None), "yOffset": alt.YOffset("index:N")}
    bars = alt.Chart(long).mark_bar().encode(
        x=alt.X("value:Q", title="share of variance"), color=alt.Color("index:N", title=None),
        tooltip=["name", "index", alt.Tooltip("value:Q", format=".3f"), alt.Tooltip("conf:Q", format=".3f")], **enc,
    )
    whiskers = alt.Chart(long).mark_errorbar(ticks=True).encode(x=alt.X("low:Q"), x2="high:Q", **enc)
    return (bars + whiskers).properties(title=f"Sobol indices of {kpi} by {level}", width=480)
