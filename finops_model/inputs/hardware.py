"""Hardware catalogs for self-hosting: GPUs (rates by tier, purchase price, power) and serving curves.

``assumptions/catalog/gpus.yaml`` and ``serving.yaml`` are validated by frozen pydantic models
(:class:`GpuCatalog`, :class:`ServingCatalog`), cross-checked (every serving point's GPU is in
gpus.yaml) and loaded with :func:`load_hardware`; :func:`hardware_for` finds the catalogs beside
a model price catalog. The self-hosting plan (:mod:`finops_model.model.selfhost`) reads them.
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from finops_model.errors import AssumptionError, CatalogError, ModelError, Problem, did_you_mean
from finops_model.inputs.validation import problems_from_validation_error
from finops_model.util import paths, yamlio

__all__ = [
    "Figure",
    "Gpu",
    "GpuCatalog",
    "GpuRate",
    "Hardware",
    "ServingCatalog",
    "ServingCurve",
    "ServingPoint",
    "hardware_for",
    "load_hardware",
]



def prefill_rate_from_ttft(input_tokens: ArrayLike, ttft_ms: ArrayLike, gpus: ArrayLike) -> NDArray[np.float64]:
    """Prefill throughput per GPU from a single-request time to first token [tokens/s/GPU].

    At concurrency 1 the time to first token is (almost) all prefill: ``input / TTFT / GPUs``.
    """
    return np.asarray(input_tokens, float) / (np.asarray(ttft_ms, float) / 1000.0) / np.asarray(gpus, float)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Figure(_Frozen):
    """A published figure with its source and date; ``estimate`` marks one not read from a primary source."""

    value: float = Field(ge=0, allow_inf_nan=False)
    source: str = Field(min_length=3)
    effective_date: _dt.date
    estimate: bool = False
    note: str | None = None


class GpuRate(Figure):
    """A rental rate [USD/GPU-hour]."""

    tier: Literal["on_demand", "reserved_1y", "reserved_3y", "spot"]
    provider: str = Field(min_length=1)


class Gpu(_Frozen):
    """One GPU type: memory [GB], power [kW/GPU], purchase price [USD/GPU], rates [USD/GPU-hour]."""

    name: str
    vendor: str
    memory_gb: Figure
    tdp_kw: Figure
    server_kw_per_gpu: Figure
    purchase_usd: Figure | None = None
    rates: list[GpuRate] = Field(min_length=1)

    def rate(self, tier: str, provider: str | None = None) -> GpuRate | None:
        """The rate of a tier (the first listed, or the named provider's); None if not listed."""
        for r in self.rates:
            if r.tier == tier and (provider is None or r.provider == provider):
                return r
        return None


class GpuCatalog(_Frozen):
    catalog_version: str
    currency: Literal["USD"]
    gpus: dict[str, Gpu] = Field(min_length=1)


class ServingPoint(_Frozen):
    """One measured point of a serving curve (lengths [tokens/request], throughput [tokens/s])."""

    model: str
    gpu: str
    engine: str
    precision: str
    gpus: int = Field(ge=1, description="[GPUs] of one replica (tensor-parallel size)")
    concurrency: int | None = Field(ge=1, description="[requests] in flight; None: maximum-throughput mode")
    input_tokens: int = Field(ge=1)
    output_tokens: int = Field(ge=1)
    output_tokens_per_s: float = Field(gt=0, allow_inf_nan=False, description="[tokens/s] output of the replica")
    itl_ms: float | None = Field(None, gt=0)
    ttft_ms: float | None = Field(None, gt=0)
    source: str = Field(min_length=3)
    effective_date: _dt.date
    estimate: bool = False
    note: str | None = None


class ServingCatalog(_Frozen):
    catalog_version: str
    points: list[ServingPoint] = Field(min_length=1)


@dataclass(frozen=True)
class ServingCurve:
    """The points of one (model, GPU, engine, lengths) read for sizing.

    Attributes
    ----------
    gpus_per_replica : int [GPUs]
    input_tokens, output_tokens : int [tokens/request] of the benchmark
    tokens_per_s_per_gpu : (k,) [tokens/s/GPU]
    itl_ms, ttft_ms : (k,) [ms] or None when the benchmark published no latency
    prefill_tokens_per_s_per_gpu : float or None, from the single-request TTFT [tokens/s/GPU]
    sources : tuple of str
    """

    model: str
    gpu: str
    engine: str
    gpus_per_replica: int
    input_tokens: int
    output_tokens: int
    tokens_per_s_per_gpu: np.ndarray
    itl_ms: np.ndarray | None
    ttft_ms: np.ndarray | None
    prefill_tokens_per_s_per_gpu: float | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Hardware:
    """Both hardware catalogs, cross-checked."""

    gpus: GpuCatalog
    serving: ServingCatalog
    folder: str = ""

    def gpu(self, gpu_id: str, where: str = "") -> Gpu:
        if gpu_id not in self.gpus.gpus:
            raise ModelError(f"{where}expected a GPU of gpus.yaml ({', '.join(self.gpus.gpus)}), found {gpu_id!r}{did_you_mean(gpu_id, self.gpus.gpus)}")
        return self.gpus.gpus[gpu_id]

    def curve(self, model: str, gpu: str, engine: str, input_output_ratio: float = 1.0, where: str = "") -> ServingCurve:
        """The serving curve of (model, GPU, engine) whose input/output ratio is closest to the workload's."""
        pts = [p for p in self.serving.points if p.model == model and p.gpu == gpu and p.engine == engine]
        if not pts:
            combos = sorted({f"{p.model}/{p.gpu}/{p.engine}" for p in self.serving.points})
            raise ModelError(
                f"{where}expected a model/gpu/engine with a serving curve in serving.yaml ({', '.join(combos)}), "
                f"found {model}/{gpu}/{engine}{did_you_mean(f'{model}/{gpu}/{engine}', combos)}"
            )
        groups: dict[tuple, list[ServingPoint]] = {}
        for p in pts:
            groups.setdefault((p.input_tokens, p.output_tokens, p.gpus, p.precision), []).append(p)
        ratio = max(float(input_output_ratio), 1e-9)
        key = min(groups, key=lambda k: (abs(np.log(k[0] / k[1] / ratio)), -len(groups[k])))
        g = sorted(groups[key], key=lambda p: (p.concurrency or 10**9))
        tps = np.array([p.output_tokens_per_s / p.gpus for p in g])
        itl = np.array([p.itl_ms for p in g], float) if all(p.itl_ms is not None for p in g) else None
        ttft = np.array([p.ttft_ms for p in g], float) if all(p.ttft_ms is not None for p in g) else None
        first = g[0]
        prefill = None
        if first.concurrency == 1 and first.ttft_ms is not None:
            prefill = float(prefill_rate_from_ttft(first.input_tokens, first.ttft_ms, first.gpus))
        return ServingCurve(model, gpu, engine, key[2], key[0], key[1], tps, itl, ttft, prefill, tuple(sorted({p.source for p in g})))


def _validate(cls: type[BaseModel], data: Any, file: str) -> Any:
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(problems_from_validation_error(exc, file, cls)) from None


def load_hardware(folder: str | os.PathLike[str] | None = None) -> Hardware:
    """Read and validate ``gpus.yaml`` and ``serving.yaml`` of a catalog folder.

    Parameters
    ----------
    folder : path-like, optional
        Default: the project's ``assumptions/catalog``.

    Raises
    ------
    CatalogError
        One problem per invalid field, and per serving point whose GPU is not in gpus.yaml.
    """
    root = Path(folder) if folder is not None else paths.CATALOG_DIR
    return _load_hardware_cached(str(root.resolve()), *_mtimes(root))


def _mtimes(root: Path) -> tuple[float, float]:
    return tuple(p.stat().st_mtime if p.exists() else 0.0 for p in (root / "gpus.yaml", root / "serving.yaml"))  # type: ignore[return-value]


@functools.lru_cache(maxsize=16)
def _load_hardware_cached(root: str, _m1: float, _m2: float) -> Hardware:
    gpu_file, serving_file = Path(root) / "gpus.yaml", Path(root) / "serving.yaml"
    problems: list[Problem] = []
    gpus = serving = None
    try:
        gpus = _validate(GpuCatalog, yamlio.load(gpu_file), str(gpu_file))
    except AssumptionError as exc:
        problems += exc.problems
    try:
        serving = _validate(ServingCatalog, yamlio.load(serving_file), str(serving_file))
    except AssumptionError as exc:
        problems += exc.problems
    if gpus is not None and serving is not None:
        for i, p in enumerate(serving.points):
            if p.gpu not in gpus.gpus:
                problems.append(Problem(str(serving_file), f"points.{i}.gpu", f"expected a GPU of gpus.yaml ({', '.join(gpus.gpus)}), found {p.gpu!r}{did_you_mean(p.gpu, gpus.gpus)}"))
    if problems or gpus is None or serving is None:
        raise CatalogError(problems)
    return Hardware(gpus, serving, root)


def hardware_for(catalog: Any) -> Hardware:
    """The hardware catalogs beside a model price catalog's file (default: the project's)."""
    file = getattr(catalog, "_file", "") or ""
    folder = Path(file).parent if file else None
    if folder is None or not (folder / "gpus.yaml").exists():
        folder = paths.CATALOG_DIR
    return load_hardware(folder)
