"""Monte Carlo at scale: precision of KPI summaries, chunked runs, precision mode, stress tests.

Every statistic of a simulated KPI is itself an estimate. This module attaches its Monte Carlo
precision to each one and runs as many trials as a question needs, in bounded memory:

- :func:`kpi_summary` — mean with its standard error and confidence interval, and percentiles
  with distribution-free confidence intervals from order statistics (the binomial method:
  the number of trials below the true q-quantile is Binomial(n, q); Conover, *Practical
  Nonparametric Statistics*, 3rd ed., 1999, §3.2).
- :func:`simulate_chunked` — N trials in chunks of bounded size. For plain Monte Carlo each input's
  random stream (:func:`~finops_model.distributions.input_streams`) is continued chunk after
  chunk, so the per-trial KPIs are bit-identical to one unchunked run with the same seed; for
  Sobol the scrambled sequence is continued, so its points are the same too. Summaries stream
  across chunks: mean and standard error exactly (Chan et al. pairwise update); percentiles
  exactly from the kept per-trial vectors (8 bytes × N per KPI) for the KPIs in ``keep``, and
  within a stated relative accuracy from a mergeable log-bucket sketch (DDSketch, Masson et al.,
  VLDB 2019) for all the others.
- :func:`simulate_until_precision` — adds trials until the chosen KPIs' means and p95 are known
  within a relative tolerance at a confidence level, with a cap on trials.
- :func:`stress_test` — re-runs the same trials with chosen inputs held within their top or
  bottom decile and reports the paired shift of every KPI.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special, stats
from scipy.stats import qmc

from finops_model.errors import AssumptionError, FinopsError, Problem, did_you_mean
from finops_model.inputs.assumptions import sample_spec
from finops_model.inputs.distributions import (
    Method,
    SampleSpec,
    base_entropy,
    correlate_uniforms,
    input_streams,
    sample,
    spearman_to_pearson,
    uniforms,
)
from finops_model.inputs.schema import UseCase
from finops_model.model import engine as _engine
from finops_model.model.engine import Result, evaluate
from finops_model.model.kpis import KPI_UNITS
from finops_model.uncertainty.summary import (
    HEADLINE_KPIS,
    MC_ERROR_UNDEFINED,
    PROBABILITY_KPIS,
    UNDEFINED_REASONS,
)

Array = NDArray[np.float64]

#: Percentiles reported by default [percent].
PERCENTILES: tuple[float, ...] = (5.0, 50.0, 95.0)

#: KPIs whose per-trial vectors a chunked run keeps by default (exact percentiles).
DEFAULT_KEEP: tuple[str, ...] = ("avg_monthly_cost", "run_rate_cost", "monthly_net_value", "npv", "roi", "cost_per_outcome")

#: Default chunk size [trials]; a power of two so Sobol chunks keep their balance.
DEFAULT_CHUNK = 32_768

#: Relative accuracy of the quantile sketch [fraction].
SKETCH_ACCURACY = 0.005


def model_spec(use_case: UseCase, catalog: Any) -> SampleSpec:
    """The sampling spec :func:`~finops_model.engine.simulate` uses for this use case.

    The engine's ``evaluation_spec`` (inputs the model reads) when available, else every
    input; sharing it keeps quasi-random designs identical to ``simulate``'s.
    """
    fn = getattr(_engine, "evaluation_spec", None)
    return fn(use_case, catalog) if fn is not None else sample_spec(use_case)


def _unit(name: str) -> str:
    return "probability" if name in PROBABILITY_KPIS else KPI_UNITS.get(name, "")


# =========================================================================== precision of one KPI
def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"expected a confidence level in (0, 1), found {confidence!r}")
    return float(special.ndtri(0.5 + confidence / 2))


def order_statistic_ranks(n: int, q: float, confidence: float = 0.95) -> tuple[int, int]:
    """0-based ranks (lo, hi) of the sorted sample bracketing the ``q`` quantile.

    The count of trials below the true ``q`` quantile is Binomial(n, q), so
    ``[x_(lo), x_(hi)]`` covers it with probability ≥ ``confidence`` (up to the binomial's
    discreteness).

    Parameters
    ----------
    n : int
        Trials with a defined value.
    q : float [fraction]
        Quantile level in (0, 1).
    confidence : float [fraction]
    """
    alpha = 1 - confidence
    lo = int(stats.binom.ppf(alpha / 2, n, q))  # trials below: 1-based rank lo → 0-based lo-1
    hi = int(stats.binom.ppf(1 - alpha / 2, n, q)) + 1
    return max(lo - 1, 0), min(hi - 1, n - 1)


def percentile_ci(x: Array, q: float, confidence: float = 0.95) -> tuple[float, float, float]:
    """A percentile and its order-statistic confidence interval.

    Parameters
    ----------
    x : (n,) array
        Finite values [unit of the KPI].
    q : float [percent]
        Percentile in (0, 100).
    confidence : float [fraction]

    Returns
    -------
    (estimate, low, high) [unit of the KPI]
        ``estimate`` as :func:`numpy.percentile` (linear interpolation).
    """
    x = np.asarray(x, dtype=float)
    n = x.size
    lo, hi = order_statistic_ranks(n, q / 100, confidence)
    pos = q / 100 * (n - 1)
    k0 = int(math.floor(pos))
    k1 = min(k0 + 1, n - 1)
    part = np.partition(x, sorted({lo, hi, k0, k1}))
    est = part[k0] + (pos - k0) * (part[k1] - part[k0])
    return float(est), float(part[lo]), float(part[hi])


def _stat_row(name: str, x: Array, confidence: float, percentiles: Sequence[float]) -> dict[str, Any]:
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x)
    n_ok = int(ok.sum())
    v = x if n_ok == x.size else x[ok]
    row: dict[str, Any] = {"kpi": name, "unit": _unit(name), "trials": int(x.size), "defined_share": n_ok / x.size if x.size else 0.0}
    if n_ok == 0:
        return row
    constant = bool(v[0] == v.min() == v.max())
    mean = float(v[0]) if constant else float(v.mean())  # fixed inputs: the deterministic number, no rounding noise
    if n_ok < 2:
        se = math.nan  # one trial says nothing about the Monte Carlo error
    else:
        se = 0.0 if constant else float(v.std(ddof=1) / math.sqrt(n_ok))
    z = _z(confidence)
    row.update(mean=mean, mean_se=se, mean_ci_low=mean - z * se, mean_ci_high=mean + z * se)
    for q in percentiles:
        est, lo, hi = percentile_ci(v, q, confidence)
        key = _pkey(q)
        row.update({key: est, f"{key}_ci_low": lo, f"{key}_ci_high": hi})
    row["percentile_method"] = "exact"
    return row


def _pkey(q: float) -> str:
    return f"p{q:g}".replace(".", "_")


def _columns(percentiles: Sequence[float]) -> list[str]:
    cols = ["kpi", "unit", "trials", "mean", "mean_se", "mean_ci_low", "mean_ci_high"]
    for q in percentiles:
        k = _pkey(q)
        cols += [k, f"{k}_ci_low", f"{k}_ci_high"]
    return [*cols, "defined_share", "percentile_method", "note"]


def _note(row: dict[str, Any]) -> str:
    name, share = row["kpi"], row["defined_share"]
    if share == 0:
        return f"undefined: {UNDEFINED_REASONS.get(name, 'no valid trial')}"
    notes = []
    if share < 1:
        notes.append(f"defined in {share:.1%} of trials; otherwise {UNDEFINED_REASONS.get(name, 'undefined')}")
    if not math.isfinite(row.get("mean_se", math.nan)):
        notes.append(MC_ERROR_UNDEFINED)
    return "; ".join(notes)


def kpi_summary(
    kpis: Result | Mapping[str, Array],
    names: Sequence[str] | None = None,
    confidence: float = 0.95,
    percentiles: Sequence[float] = PERCENTILES,
) -> pd.DataFrame:
    """One row per KPI with its Monte Carlo precision.

    Parameters
    ----------
    kpis : Result or mapping name → (n,) array
        Per-trial KPIs [units in :data:`~finops_model.model.kpis.KPI_UNITS`].
    names : sequence of str, optional
        KPIs to summarise (default: the headline KPIs present).
    confidence : float [fraction]
        Level of every confidence interval.
    percentiles : sequence of float [percent]

    Returns
    -------
    pandas.DataFrame
        ``kpi, unit, trials, mean, mean_se`` (standard error of the mean), ``mean_ci_low/high``
        (normal interval), then for each percentile ``pQ, pQ_ci_low, pQ_ci_high``
        (order-statistic interval), ``defined_share`` [fraction of trials where the KPI is
        finite], ``percentile_method`` and ``note``. Statistics of a KPI defined in no trial are
        NaN and the note says why.
    """
    data = kpis.kpis if isinstance(kpis, Result) else kpis
    if names is None:
        names = [k for k in HEADLINE_KPIS if k in data] or list(data)
    rows = []
    for name in names:
        if name not in data:
            raise FinopsError(f"expected a KPI among {', '.join(sorted(data))}, found {name!r}{did_you_mean(name, data)}")
        row = _stat_row(name, data[name], confidence, percentiles)
        row["note"] = _note(row)
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=_columns(percentiles))


# =========================================================================== streaming statistics
@dataclass
class Moments:
    """Count, mean and sum of squared deviations of the finite values seen so far (mergeable).

    Merging uses the pairwise update of Chan, Golub & LeVeque (1983), exact up to rounding.
    """

    trials: int = 0
    count: int = 0
    mean: float = 0.0
    m2: float = 0.0

    def add(self, x: Array) -> None:
        x = np.asarray(x, dtype=float)
        ok = np.isfinite(x)
        v = x if ok.all() else x[ok]
        self.trials += int(x.size)
        n_b = int(v.size)
        if n_b == 0:
            return
        mean_b = float(v.mean())
        m2_b = float(((v - mean_b) ** 2).sum())
        n_a = self.count
        n = n_a + n_b
        delta = mean_b - self.mean
        self.mean += delta * n_b / n
        self.m2 += m2_b + delta * delta * n_a * n_b / n
        self.count = n

    @property
    def se(self) -> float:
        """Standard error of the mean [unit of the KPI]; NaN (undefined) below two values."""
        if self.count < 2:
            return math.nan
        return math.sqrt(max(self.m2, 0.0) / (self.count - 1) / self.count)


class QuantileSketch:
    """A mergeable quantile sketch with relative accuracy ``alpha`` (DDSketch).

    Values are counted in logarithmic buckets ``(γ^(i-1), γ^i]`` with γ = (1+α)/(1−α), one
    bucket array for positive values and one for the magnitudes of negative values, plus a
    count of zeros. Any quantile read from the sketch is within a relative error α of the
    true order statistic (Masson, Rim & Lee, "DDSketch", PVLDB 12(12), 2019). Adding a chunk
    is one ``log`` and one ``bincount`` (vectorised); memory is a few thousand counts.
    """

    def __init__(self, alpha: float = SKETCH_ACCURACY, min_value: float = 1e-12):
        self.alpha = alpha
        self.gamma = (1 + alpha) / (1 - alpha)
        self._log_gamma = math.log(self.gamma)
        self.min_value = min_value
        self.zeros = 0
        self.count = 0
        self._pos: tuple[int, np.ndarray] = (0, np.zeros(0, np.int64))
        self._neg: tuple[int, np.ndarray] = (0, np.zeros(0, np.int64))

    def _accumulate(self, store: tuple[int, np.ndarray], mag: Array) -> tuple[int, np.ndarray]:
        if mag.size == 0:
            return store
        idx = np.ceil(np.log(mag) / self._log_gamma).astype(np.int64)
        lo_new, hi_new = int(idx.min()), int(idx.max())
        off, counts = store
        if counts.size == 0:
            off, counts = lo_new, np.zeros(0, np.int64)
        lo = min(off, lo_new)
        hi = max(off + counts.size - 1, hi_new)
        grown = np.zeros(hi - lo + 1, np.int64)
        grown[off - lo: off - lo + counts.size] = counts
        grown += np.bincount(idx - lo, minlength=grown.size)
        return lo, grown

    def add(self, x: Array) -> None:
        """Count the finite values of ``x``."""
        x = np.asarray(x, dtype=float)
        x = x[np.isfinite(x)]
        self.count += int(x.size)
        small = np.abs(x) <= self.min_value
        self.zeros += int(small.sum())
        self._pos = self._accumulate(self._pos, x[(x > 0) & ~small])
        self._neg = self._accumulate(self._neg, -x[(x < 0) & ~small])

    def merge(self, other: QuantileSketch) -> None:
        """Add another sketch's counts (same ``alpha``)."""
        if other.gamma != self.gamma:
            raise ValueError("expected sketches with the same accuracy")
        for attr in ("_pos", "_neg"):
            off, counts = getattr(other, attr)
            if counts.size:
                mine = getattr(self, attr)
                lo = min(mine[0], off) if mine[1].size else off
                hi = max(mine[0] + mine[1].size, off + counts.size) if mine[1].size else off + counts.size
                grown = np.zeros(hi - lo, np.int64)
                if mine[1].size:
                    grown[mine[0] - lo: mine[0] - lo + mine[1].size] += mine[1]
                grown[off - lo: off - lo + counts.size] += counts
                setattr(self, attr, (lo, grown))
        self.zeros += other.zeros
        self.count += other.count

    def quantile_at_rank(self, rank: np.ndarray | int) -> np.ndarray:
        """Value of the 0-based order statistic(s) ``rank`` (relative error ≤ α) [unit]."""
        noff, ncounts = self._neg
        poff, pcounts = self._pos
        # order: negatives from the largest magnitude down, zeros, positives upward
        values = np.concatenate([
            -2 * self.gamma ** (noff + np.arange(ncounts.size))[::-1] / (self.gamma + 1),
            [0.0],
            2 * self.gamma ** (poff + np.arange(pcounts.size)) / (self.gamma + 1),
        ])
        counts = np.concatenate([ncounts[::-1], [self.zeros], pcounts])
        cum = np.cumsum(counts)
        r = np.clip(np.asarray(rank), 0, max(self.count - 1, 0))
        return values[np.searchsorted(cum, r, side="right")]

    def quantile(self, q: float) -> float:
        """The ``q`` quantile [unit], ``q`` in [0, 1]."""
        return float(self.quantile_at_rank(int(round(q * (self.count - 1)))))


# =========================================================================== chunked simulation
def _chunk_sizes(n: int, chunk_size: int) -> Iterator[int]:
    done = 0
    while done < n:
        m = min(chunk_size, n - done)
        yield m
        done += m


def iter_uniform_chunks(
    names: Sequence[str],
    n: int,
    seed: int | np.random.Generator | None = 0,
    method: Method = "mc",
    chunk_size: int = DEFAULT_CHUNK,
) -> Iterator[Array]:
    """Uniform design matrices of at most ``chunk_size`` rows whose concatenation is the run.

    ``mc``: every input's stream is continued, so the concatenation equals
    ``uniforms(names, n, seed, "mc")`` bit for bit. ``sobol``: the scrambled sequence is
    continued (equal to the unchunked design). ``lhs``: one run of ``n ≤ chunk_size`` equals the
    unchunked design; larger runs are independent Latin hypercubes per chunk (stratified within
    each chunk).
    """
    if chunk_size < 1:
        raise ValueError(f"expected chunk_size ≥ 1, found {chunk_size}")
    if n <= chunk_size or not names:
        for m in _chunk_sizes(n, chunk_size if names else n):
            yield uniforms(names, m, seed, method) if names else np.empty((m, 0))
        return
    entropy = base_entropy(seed)
    if method == "mc":
        streams = input_streams(names, entropy)
        for m in _chunk_sizes(n, chunk_size):
            yield uniforms(names, m, method="mc", streams=streams)
    elif method == "sobol":
        sampler = qmc.Sobol(d=len(names), scramble=True, seed=np.random.default_rng(entropy))
        for m in _chunk_sizes(n, chunk_size):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # balance holds for the whole run
                yield np.clip(sampler.random(m), 1e-15, 1 - 1e-15)
    elif method == "lhs":
        for i, m in enumerate(_chunk_sizes(n, chunk_size)):
            yield qmc.LatinHypercube(d=len(names), seed=np.random.default_rng([entropy, i])).random(m)
    else:
        raise ValueError(f"expected method 'mc', 'lhs' or 'sobol', found {method!r}")


def iter_results(
    use_case: UseCase,
    catalog: Any,
    n: int,
    seed: int | np.random.Generator | None = 0,
    method: Method = "mc",
    chunk_size: int = DEFAULT_CHUNK,
    spec: SampleSpec | None = None,
) -> Iterator[Result]:
    """Evaluate ``n`` trials chunk by chunk (see :func:`iter_uniform_chunks`)."""
    spec = spec or model_spec(use_case, catalog)
    for u in iter_uniform_chunks(spec.uncertain_names, n, seed, method, chunk_size):
        m = u.shape[0]
        yield evaluate(use_case, sample(spec, m, u=u), catalog, m)


@dataclass
class ChunkedRun:
    """The KPIs of a chunked run: kept per-trial vectors and streaming statistics.

    Attributes
    ----------
    use_case_id : str
    n_trials : int
    seed, method, chunk_size
    kept : dict name → (n,) array
        Per-trial vectors of the KPIs in ``keep`` [units in KPI_UNITS], bit-identical to an
        unchunked Monte Carlo run with the same seed.
    moments : dict name → Moments
        Exact streaming mean and standard error of every KPI.
    sketches : dict name → QuantileSketch
        Percentiles (relative accuracy ``SKETCH_ACCURACY``) of the KPIs not kept.
    """

    use_case_id: str
    n_trials: int
    seed: Any
    method: str
    chunk_size: int
    kept: dict[str, Array]
    moments: dict[str, Moments]
    sketches: dict[str, QuantileSketch] = field(default_factory=dict)

    def summary(self, names: Sequence[str] | None = None, confidence: float = 0.95,
                percentiles: Sequence[float] = PERCENTILES) -> pd.DataFrame:
        """A :func:`kpi_summary` frame; sketched KPIs say so in ``percentile_method``."""
        names = list(names) if names is not None else [k for k in HEADLINE_KPIS if k in self.moments]
        rows = []
        z = _z(confidence)
        for name in names:
            if name not in self.moments:
                raise FinopsError(f"expected a KPI among {', '.join(sorted(self.moments))}, found {name!r}{did_you_mean(name, self.moments)}")
            if name in self.kept:
                row = _stat_row(name, self.kept[name], confidence, percentiles)
            else:
                mo, sk = self.moments[name], self.sketches[name]
                row = {"kpi": name, "unit": _unit(name), "trials": mo.trials, "defined_share": mo.count / mo.trials if mo.trials else 0.0}
                if mo.count:
                    row.update(mean=mo.mean, mean_se=mo.se, mean_ci_low=mo.mean - z * mo.se, mean_ci_high=mo.mean + z * mo.se)
                    for q in percentiles:
                        lo, hi = order_statistic_ranks(mo.count, q / 100, confidence)
                        est, vlo, vhi = sk.quantile_at_rank(np.array([round(q / 100 * (mo.count - 1)), lo, hi]))
                        key = _pkey(q)
                        row.update({key: float(est), f"{key}_ci_low": float(vlo), f"{key}_ci_high": float(vhi)})
                    row["percentile_method"] = f"sketch (±{sk.alpha:.1%} relative)"
            row["note"] = _note(row)
            rows.append(row)
        return pd.DataFrame(rows).reindex(columns=_columns(percentiles))


def simulate_chunked(
    use_case: UseCase,
    catalog: Any,
    n: int,
    seed: int | np.random.Generator | None = 0,
    method: Method = "mc",
    chunk_size: int = DEFAULT_CHUNK,
    keep: Sequence[str] = DEFAULT_KEEP,
) -> ChunkedRun:
    """Simulate ``n`` trials in chunks, in memory bounded by ``chunk_size`` and ``keep``.

    Memory: the kept vectors take 8 bytes × ``n`` × ``len(keep)``; one chunk's working set is
    proportional to ``chunk_size`` × horizon months; sketches take a few kB per KPI.

    Parameters
    ----------
    use_case, catalog
    n : int [trials]
    seed : int or Generator
    method : {"mc", "lhs", "sobol"}
    chunk_size : int [trials]
    keep : sequence of str
        KPIs whose per-trial vectors are kept (exact percentiles).
    """
    if n < 1:
        raise ValueError(f"expected n ≥ 1 trials, found {n}")
    unknown = [k for k in keep if k not in KPI_UNITS]
    if unknown:
        raise FinopsError(f"expected KPIs among {', '.join(KPI_UNITS)}, found {unknown}")
    kept = {k: np.empty(n) for k in keep}
    moments: dict[str, Moments] = {}
    sketches: dict[str, QuantileSketch] = {}
    at = 0
    for r in iter_results(use_case, catalog, n, seed, method, chunk_size):
        m = r.n_trials
        for name, x in r.kpis.items():
            moments.setdefault(name, Moments()).add(x)
            if name in kept:
                kept[name][at: at + m] = x
            else:
                sketches.setdefault(name, QuantileSketch()).add(x)
        at += m
    return ChunkedRun(use_case.id, n, seed, method, chunk_size, kept, moments, sketches)


# =========================================================================== precision mode
@dataclass(frozen=True)
class PrecisionRun:
    """Outcome of :func:`simulate_until_precision`.

    Attributes
    ----------
    trials : int
        Trials used.
    converged : bool
        Whether every target KPI met the tolerance before the cap.
    rel_tol, confidence : float [fraction]
    targets : tuple of str
        The KPIs whose precision was required.
    precision : pandas.DataFrame
        ``kpi, statistic (mean | p95), estimate, half_width, relative_half_width, met`` at the
        end [units of each KPI; relative in fraction].
    summary : pandas.DataFrame
        :func:`kpi_summary` of the headline KPIs over all trials used.
    history : tuple of (trials, worst relative half-width)
    kpis : dict name → (trials,) array
        Every KPI per trial.
    """

    use_case_id: str
    trials: int
    converged: bool
    rel_tol: float
    confidence: float
    targets: tuple[str, ...]
    precision: pd.DataFrame
    summary: pd.DataFrame
    history: tuple[tuple[int, float], ...]
    kpis: dict[str, Array] = field(repr=False)
    seed: Any = None
    method: str = "mc"


def precision_table(kpis: Mapping[str, Array], targets: Sequence[str], confidence: float = 0.95,
                    rel_tol: float = 0.01) -> pd.DataFrame:
    """Half-widths of the mean and p95 confidence intervals relative to the estimates.

    The mean's half-width is z·SE; the p95's is the larger distance from the estimate to its
    order-statistic bounds. A statistic that is exactly 0 with zero half-width counts as met.
    """
    z = _z(confidence)
    rows = []
    for name in targets:
        x = np.asarray(kpis[name], dtype=float)
        v = x[np.isfinite(x)]
        if v.size < 2:
            for stat in ("mean", "p95"):
                rows.append({"kpi": name, "statistic": stat, "estimate": math.nan, "half_width": math.nan, "relative_half_width": math.inf, "met": False})
            continue
        mean = float(v.mean())
        hw_mean = z * float(v.std(ddof=1)) / math.sqrt(v.size)
        p95, lo, hi = percentile_ci(v, 95.0, confidence)
        hw_p95 = max(p95 - lo, hi - p95)
        for stat, est, hw in (("mean", mean, hw_mean), ("p95", p95, hw_p95)):
            rel = 0.0 if hw == 0 else (hw / abs(est) if est != 0 else math.inf)
            rows.append({"kpi": name, "statistic": stat, "estimate": est, "half_width": hw, "relative_half_width": rel, "met": rel <= rel_tol})
    return pd.DataFrame(rows)


def simulate_until_precision(
    use_case: UseCase,
    catalog: Any,
    targets: Sequence[str] = ("avg_monthly_cost", "npv"),
    rel_tol: float = 0.01,
    confidence: float = 0.95,
    max_trials: int = 1_000_000,
    initial_trials: int = 10_000,
    seed: int | np.random.Generator | None = 0,
    method: Method = "mc",
    chunk_size: int = DEFAULT_CHUNK,
) -> PrecisionRun:
    """Add trials until every target KPI's mean and p95 are within ``rel_tol`` at ``confidence``.

    After each batch the trials still needed are estimated from the half-widths (which shrink
    as 1/√n) and the next batch brings the run there (at least 25 % more, at most 8× as many,
    never past ``max_trials``). With ``method="mc"`` every batch continues the per-input
    streams, so a run that stops at N trials is the unchunked N-trial run of the same seed;
    with ``lhs``/``sobol`` batches are continued designs (see :func:`iter_uniform_chunks`) and
    the i.i.d. standard error used is conservative for them.

    Parameters
    ----------
    targets : sequence of str
        KPIs whose mean and p95 must be precise.
    rel_tol : float [fraction]
        Relative half-width of the confidence intervals (0.01 = ±1 %).
    confidence : float [fraction]
    max_trials, initial_trials : int [trials]
    """
    if not 0 < rel_tol < 1:
        raise FinopsError(f"expected a relative tolerance in (0, 1), found {rel_tol!r}")
    if max_trials < 2 or initial_trials < 2:
        raise FinopsError("expected at least 2 trials")
    bad = [t for t in targets if t not in KPI_UNITS]
    if bad:
        raise FinopsError(f"expected KPIs among {', '.join(KPI_UNITS)}, found {bad}{did_you_mean(bad[0], KPI_UNITS)}")
    spec = model_spec(use_case, catalog)
    names = spec.uncertain_names
    entropy = base_entropy(seed)
    chunks: dict[str, list[Array]] = {}
    total = 0
    history: list[tuple[int, float]] = []
    goal = min(initial_trials, max_trials)

    if method == "mc":
        streams = input_streams(names, entropy)

        def draw(m: int) -> Array:
            return uniforms(names, m, method="mc", streams=streams) if names else np.empty((m, 0))
    else:
        sampler = qmc.Sobol(d=max(len(names), 1), scramble=True, seed=np.random.default_rng(entropy)) if method == "sobol" else None
        batch = iter(range(10**9))

        def draw(m: int) -> Array:
            if not names:
                return np.empty((m, 0))
            if sampler is not None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    return np.clip(sampler.random(m), 1e-15, 1 - 1e-15)
            return qmc.LatinHypercube(d=len(names), seed=np.random.default_rng([entropy, next(batch)])).random(m)

    while True:
        add = goal - total
        for m in _chunk_sizes(add, chunk_size):
            r = evaluate(use_case, sample(spec, m, u=draw(m)), catalog, m)
            for k, x in r.kpis.items():
                chunks.setdefault(k, []).append(x)
        total = goal
        kpis = {k: np.concatenate(v) if len(v) > 1 else v[0] for k, v in chunks.items()}
        chunks = {k: [v] for k, v in kpis.items()}
        table = precision_table(kpis, targets, confidence, rel_tol)
        worst = float(table["relative_half_width"].max())
        history.append((total, worst))
        if bool(table["met"].all()) or total >= max_trials:
            break
        need = total * (worst / rel_tol) ** 2 * 1.05 if math.isfinite(worst) else total * 8
        goal = int(min(max_trials, max(total * 1.25, min(need, total * 8))))
    return PrecisionRun(
        use_case.id, total, bool(table["met"].all()), rel_tol, confidence, tuple(targets), table,
        kpi_summary(kpis, confidence=confidence), tuple(history), kpis, seed, method,
    )


# =========================================================================== stress tests
Tail = Literal["top", "bottom"]


def check_inputs(use_case: UseCase, inputs: Sequence[str], spec: SampleSpec | None = None) -> list[str]:
    """Validate input paths: each must be an uncertain input of the use case."""
    spec = spec or sample_spec(use_case)
    problems = []
    uncertain = spec.uncertain_names
    for name in inputs:
        if name in uncertain:
            continue
        if name in spec.inputs:
            problems.append(Problem(f"use case {use_case.id}", name, f"expected an uncertain input, found the constant {spec.inputs[name].describe()} (holding it in a decile changes nothing)"))
        else:
            problems.append(Problem(f"use case {use_case.id}", name, f"expected an uncertain input field path, found none{did_you_mean(name, uncertain)}"))
    if problems:
        raise AssumptionError(problems)
    return list(inputs)


def correlated_uniforms(spec: SampleSpec, u: Array) -> Array:
    """The uniforms :func:`~finops_model.distributions.sample` feeds the quantile functions.

    Applies the use case's Gaussian copula to ``u`` exactly as ``sample`` does, so that
    ``sample(SampleSpec(spec.inputs), n, u=correlated_uniforms(spec, u))`` equals
    ``sample(spec, n, u=u)``.
    """
    names = spec.uncertain_names
    if not spec.correlations:
        return u
    cnames, cm = spec.correlation_matrix()
    keep = [i for i, c in enumerate(cnames) if c in names]
    if len(keep) < 2:
        return u
    cols = [names.index(cnames[i]) for i in keep]
    out = u.copy()
    out[:, cols] = correlate_uniforms(u[:, cols], cm[np.ix_(keep, keep)])
    return out


def hold_in_tail(spec: SampleSpec, u_corr: Array, inputs: Sequence[str], tail: Tail, width: float = 0.1) -> Array:
    """Map the chosen inputs' (correlated) uniforms into their top or bottom ``width`` band.

    ``u → 1 − width + width·u`` (top) or ``u → width·u`` (bottom): the map is monotone, so each
    trial keeps its rank within the tail. Inputs correlated with a stressed one follow it
    through the Gaussian copula: their normal scores keep their residual given the stressed
    scores and take the new conditional mean, so they move as they would conditionally on the
    stress (and are untouched when uncorrelated).
    """
    if tail not in ("top", "bottom"):
        raise FinopsError(f"expected tail 'top' or 'bottom', found {tail!r}")
    if not 0 < width < 1:
        raise FinopsError(f"expected a tail width in (0, 1), found {width!r}")
    names = spec.uncertain_names
    out = u_corr.copy()
    s_cols = [names.index(i) for i in inputs]
    new = (1 - width) + width * u_corr[:, s_cols] if tail == "top" else width * u_corr[:, s_cols]
    new = np.clip(new, np.finfo(float).tiny, 1 - 1e-16)
    if spec.correlations:
        cnames, cm = spec.correlation_matrix()
        inside = [c for c in cnames if c in names]
        stressed = [c for c in inside if c in inputs]
        others = [c for c in inside if c not in inputs]
        if stressed and others:
            idx = {c: cnames.index(c) for c in inside}
            pearson = spearman_to_pearson(cm)
            np.fill_diagonal(pearson, 1.0)
            s_i = [idx[c] for c in stressed]
            o_i = [idx[c] for c in others]
            beta = pearson[np.ix_(o_i, s_i)] @ np.linalg.pinv(pearson[np.ix_(s_i, s_i)])
            s_cols_c = [names.index(c) for c in stressed]
            o_cols = [names.index(c) for c in others]
            z_s_old = special.ndtri(u_corr[:, s_cols_c])
            z_s_new = special.ndtri(new[:, [inputs.index(c) for c in stressed]])
            z_o = special.ndtri(u_corr[:, o_cols]) + (z_s_new - z_s_old) @ beta.T
            out[:, o_cols] = np.clip(special.ndtr(z_o), np.finfo(float).tiny, 1 - 1e-16)
    out[:, s_cols] = new
    return out


def stress_test(
    use_case: UseCase,
    catalog: Any,
    inputs: Sequence[str],
    tail: Tail = "top",
    n: int = 10_000,
    seed: int | np.random.Generator | None = 0,
    method: Method = "mc",
    kpis: Sequence[str] | None = None,
    width: float = 0.1,
) -> pd.DataFrame:
    """Re-run the same trials with ``inputs`` held in their top or bottom decile.

    Both runs use the same uniforms (common random numbers), so each KPI's shift is a paired
    difference; its standard error is that of the per-trial differences. The baseline is the
    ordinary run with this seed (``engine.simulate`` gives the same numbers).

    Returns
    -------
    pandas.DataFrame
        ``kpi, unit, base_mean, stressed_mean, shift, shift_se, shift_pct, base_p50,
        stressed_p50, base_p95, stressed_p95`` [units of each KPI; ``shift_pct`` in fraction
        of the base mean], with ``attrs`` recording inputs, tail, width, trials and seed.
    """
    spec = model_spec(use_case, catalog)
    inputs = check_inputs(use_case, inputs, sample_spec(use_case))
    unused = [i for i in inputs if i not in spec.inputs]
    if unused:
        raise AssumptionError([Problem(f"use case {use_case.id}", i, "expected an input the model reads, found one it ignores (stressing it changes nothing)") for i in unused])
    if not inputs:
        raise FinopsError("expected at least one input to stress, found none")
    names = spec.uncertain_names
    u_corr = correlated_uniforms(spec, uniforms(names, n, seed, method))
    free = SampleSpec(spec.inputs)
    base = evaluate(use_case, sample(free, n, u=u_corr), catalog, n)
    stressed = evaluate(use_case, sample(free, n, u=hold_in_tail(spec, u_corr, inputs, tail, width)), catalog, n)
    rows = []
    for name in kpis or [k for k in HEADLINE_KPIS if k in base.kpis]:
        a, b = base.kpis[name], stressed.kpis[name]
        ok = np.isfinite(a) & np.isfinite(b)
        if not ok.any():
            rows.append({"kpi": name, "unit": _unit(name)})
            continue
        d = b[ok] - a[ok]
        bm, sm = float(a[ok].mean()), float(b[ok].mean())
        rows.append({
            "kpi": name, "unit": _unit(name), "base_mean": bm, "stressed_mean": sm, "shift": sm - bm,
            "shift_se": float(d.std(ddof=1) / math.sqrt(d.size)) if d.size > 1 else math.nan,
            "shift_pct": (sm - bm) / abs(bm) if bm != 0 else math.nan,
            "base_p50": float(np.percentile(a[ok], 50)), "stressed_p50": float(np.percentile(b[ok], 50)),
            "base_p95": float(np.percentile(a[ok], 95)), "stressed_p95": float(np.percentile(b[ok], 95)),
        })
    df = pd.DataFrame(rows)
    df.attrs.update(use_case=use_case.id, inputs=list(inputs), tail=tail, width=width, trials=n, seed=seed if isinstance(seed, int) else str(seed), method=method)
    return df


# =========================================================================== formatting
def format_summary(df: pd.DataFrame, title: str = "") -> str:
    """A plain-text table of a :func:`kpi_summary` frame: mean ± its 95 % half-width, p5/p50/p95
    and the p95's confidence interval."""
    from finops_model.uncertainty.summary import format_value

    header = ("KPI", "unit", "mean", "± (CI)", "p5", "p50", "p95", "p95 CI", "note")
    rows = [header]
    for r in df.to_dict(orient="records"):
        unit = r["unit"]
        if not r.get("defined_share"):
            rows.append((r["kpi"], unit, "undefined", "", "", "", "", "", r["note"]))
            continue
        def f(x: Any, unit: str = unit) -> str:
            return format_value(None if x is None or (isinstance(x, float) and math.isnan(x)) else x, unit)

        half = (r["mean_ci_high"] - r["mean_ci_low"]) / 2
        half_text = f(half) if math.isfinite(half) else "undefined"
        ci = f"{f(r['p95_ci_low'])} … {f(r['p95_ci_high'])}" if "p95_ci_low" in r else ""
        rows.append((r["kpi"], unit, f(r["mean"]), half_text, f(r.get("p5")), f(r.get("p50")), f(r.get("p95")), ci, r["note"]))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    lines = [title] if title else []
    for i, row in enumerate(rows):
        cells = [str(c).ljust(w) if j in (0, 1, 8) else str(c).rjust(w) for j, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def summary_records(df: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """A :func:`kpi_summary` frame as ``{kpi: {field: value}}`` with NaN as None (JSON-ready)."""
    out: dict[str, dict[str, Any]] = {}
    for r in df.to_dict(orient="records"):
        name = r.pop("kpi")
        out[name] = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
    return out
