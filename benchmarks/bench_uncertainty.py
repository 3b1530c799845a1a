"""Uncertainty benchmarks (issue 5): Monte Carlo at scale, Sobol indices, chunked memory.

Rows:
- 1,000,000 trials of the richest example end to end (MC and LHS) against drawing the same
  marginals with numpy's own generators alone (targets: ≤ 1.5× for MC, ≤ 2.5× for LHS);
- 100,000 trials end to end (target ≤ 0.5 s, the interactive budget);
- Sobol total-order indices of every uncertain input at 4,096 base samples (target ≤ 10 s);
- peak resident memory of a 10,000,000-trial chunked run, measured in a child process with
  ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (target < 2 GB).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
import warnings

import numpy as np

from benchmarks.common import median_time, row

BENCH = "uncertainty"


def _richest():
    from finops_model.inputs.assumptions import load_assumptions
    from finops_model.uncertainty.precision import model_spec

    a = load_assumptions()
    best = max(a.use_cases.values(), key=lambda uc: len(model_spec(uc, a.catalog).uncertain_names))
    return a, best, model_spec(best, a.catalog)


def numpy_marginals(spec, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """The same marginals drawn with numpy's native generators (the reference) [input units]."""
    rng = np.random.default_rng(seed)
    out = {}
    for name in spec.uncertain_names:
        q = spec.inputs[name]
        p, k = q.p, q.kind
        if k == "lognormal":
            x = rng.lognormal(p["mu"], p["sigma"], n)
        elif k == "normal":
            x = rng.normal(p["mean"], p["sd"], n)
            if "low" in p or "high" in p:
                x = np.clip(x, p.get("low", -np.inf), p.get("high", np.inf))
        elif k == "uniform":
            x = rng.uniform(p["low"], p["high"], n)
        elif k == "triangular":
            x = rng.triangular(p["low"], p["mode"], p["high"], n)
        elif k == "pert":
            lam = p.get("lamb", 4.0)
            lo, mode, hi = p["min"], p["mode"], p["max"]
            x = lo + (hi - lo) * rng.beta(1 + lam * (mode - lo) / (hi - lo), 1 + lam * (hi - mode) / (hi - lo), n)
        elif k == "beta":
            x = rng.beta(p["a"], p["b"], n)
        elif k == "discrete":
            w = np.asarray(p["weights"], float)
            x = rng.choice(np.asarray(p["values"], float), n, p=w / w.sum())
        elif k == "poisson":
            x = rng.poisson(p["mean"], n).astype(float)
        elif k == "negbinom":
            kk, m = p["dispersion"], p["mean"]
            x = rng.negative_binomial(kk, kk / (kk + m), n).astype(float)
        else:  # metalog: no numpy generator; its closed-form quantile of numpy uniforms
            x = q.ppf(rng.random(n))
        out[name] = x * q.scale if q.scale != 1.0 else x
    return out


_CHILD = """
import json, resource, sys, time
from finops_model.inputs.assumptions import load_assumptions
from finops_model.uncertainty.precision import simulate_chunked
a = load_assumptions()
uc = a.use_cases[sys.argv[1]]
t0 = time.perf_counter()
run = simulate_chunked(uc, a.catalog, int(sys.argv[2]), 0, "mc")
elapsed = time.perf_counter() - t0
s = run.summary(["avg_monthly_cost", "npv"])
hwm = [int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")]
print(json.dumps({"seconds": elapsed, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "vmhwm_kb": hwm[0] if hwm else None,
                  "npv_mean": float(s.set_index("kpi").loc["npv", "mean"])}))
"""


_RATIO_CHILD = """
import json, sys, warnings
warnings.simplefilter("ignore")
from benchmarks.bench_uncertainty import _richest, numpy_marginals
from benchmarks.common import median_time
from finops_model.model.engine import simulate
a, uc, spec = _richest()
n, repeat = int(sys.argv[2]), int(sys.argv[3])
simulate(uc, a.catalog, 1_000, 0)
out = {"numpy": median_time(lambda: numpy_marginals(spec, n), repeat)}
for method in ("mc", "lhs"):
    out[method] = median_time(lambda m=method: simulate(uc, a.catalog, n, 0, m), repeat)
print(json.dumps(out))
"""


def run(quick: bool = False) -> list[dict]:
    from finops_model.model.engine import simulate
    from finops_model.uncertainty.sensitivity import sobol, use_case_model

    a, uc, spec = _richest()
    d = len(spec.uncertain_names)
    rows = []
    # Memory first, while this parent is small: Linux carries the parent's peak RSS into a
    # child's ru_maxrss when the child is started by vfork + exec, as subprocess does.
    n_mem = 1_000_000 if quick else 10_000_000
    proc = subprocess.run([sys.executable, "-c", _CHILD, uc.id, str(n_mem)], capture_output=True, text=True, check=True)
    child = json.loads(proc.stdout.strip().splitlines()[-1])
    mb = child["maxrss_kb"] / 1024
    hwm = child["vmhwm_kb"] / 1024 if child.get("vmhwm_kb") else None
    rows.append(row(BENCH, f"peak memory (ru_maxrss), chunked mc run of {n_mem:,} trials (child process)", mb, "MB", None, "< 2,048 MB", mb < 2048))
    if hwm is not None:
        rows.append(row(BENCH, "  same run, VmHWM of the child's own address space", hwm, "MB", None, "< 2,048 MB", hwm < 2048))
    rows.append(row(BENCH, f"time of that chunked run ({n_mem / child['seconds'] / 1e6:.2f} M trials/s)", child["seconds"], "s"))
    assert math.isfinite(child["npv_mean"])
    big = 100_000 if quick else 1_000_000
    repeat = 1 if quick else 3
    simulate(uc, a.catalog, 1_000, 0)  # warm caches (quantile tables, used inputs)
    t_np = median_time(lambda: numpy_marginals(spec, big), repeat)
    rows.append(row(BENCH, f"numpy alone: {d} marginals × {big:,} ({uc.id})", t_np))
    for method, target in (("mc", 1.5), ("lhs", 2.5)):
        t = median_time(lambda m=method: simulate(uc, a.catalog, big, 0, m), repeat)
        rows.append(row(BENCH, f"end to end {method}, {big:,} trials ({uc.id})", t, "s", t / t_np, f"≤ {target}× numpy", t / t_np <= target))
    # The same ratios in a child whose allocator keeps freed memory (glibc MALLOC_* settings):
    # on this kind of VM a first touch of fresh memory costs ~2 ms/MB, which the default
    # allocator pays again on every run for arrays it returned to the system.
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(16 << 30), "MALLOC_TRIM_THRESHOLD_": str(16 << 30), "MALLOC_TOP_PAD_": str(1 << 30)}
    proc = subprocess.run([sys.executable, "-c", _RATIO_CHILD, uc.id, str(big), str(repeat)], capture_output=True, text=True, check=True, env=env)
    kept = json.loads(proc.stdout.strip().splitlines()[-1])
    rows.append(row(BENCH, "  allocator keeping freed memory: numpy alone", kept["numpy"], "s"))
    for method, target in (("mc", 1.5), ("lhs", 2.5)):
        ratio = kept[method] / kept["numpy"]
        rows.append(row(BENCH, f"  allocator keeping freed memory: end to end {method}", kept[method], "s", ratio, f"≤ {target}× numpy", ratio <= target))
    t = median_time(lambda: simulate(uc, a.catalog, 100_000, 0), 1 if quick else 5)
    rows.append(row(BENCH, f"end to end mc, 100,000 trials ({uc.id})", t, "s", None, "≤ 0.5 s", t <= 0.5))
    n_base = 512 if quick else 4096
    model = use_case_model(uc, a.catalog)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        res = sobol(model, ["npv"], n_base, 0, levels=("input",))
        t = time.perf_counter() - t0
    rows.append(row(BENCH, f"Sobol S1+ST of {d} inputs, N={n_base:,} ({res.evaluations:,} evaluations)", t, "s", None, "≤ 10 s", t <= 10))
    return rows
