"""Helpers shared by the benchmarks: repeat timing and peak memory of a child process."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any


def median_time(fn: Callable[[], Any], repeat: int = 3) -> float:
    """Median wall time of ``fn()`` over ``repeat`` runs [s]."""
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def row(benchmark: str, measure: str, median: float, unit: str = "s", ratio: float | None = None,
        target: str = "", ok: bool | None = None) -> dict:
    """One line of the benchmark table."""
    return {"benchmark": benchmark, "measure": measure, "median": median, "unit": unit,
            "ratio": ratio, "target": target, "ok": ok}
