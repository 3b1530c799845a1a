"""Issue 4: wall time of `make report` (finops render of every use case and page) against the
floor of papermill executing an empty notebook once per rendered notebook with the same jobs.
Target: at most 2×."""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat as nbf

from benchmarks.common import row

JOBS = 2


def _empty_notebook(folder: Path) -> Path:
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbf.v4.new_code_cell("x: int = 0")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbf.v4.new_code_cell("x")]
    path = folder / "empty.ipynb"
    nbf.write(nb, path)
    return path


def _run_empty(args: tuple[str, str]) -> None:
    import papermill as pm

    pm.execute_notebook(args[0], args[1], parameters={"x": 1}, kernel_name="python3", progress_bar=False)


def run(quick: bool = False) -> list[dict]:
    from finops_model.inputs.assumptions import load_assumptions
    from finops_model.reports.render import render

    a = load_assumptions()
    ids = list(a.use_cases)[:2] if quick else list(a.use_cases)
    pages = () if quick else ("portfolio", "build_vs_buy")
    n_notebooks = len(ids) + len(pages)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        empty = _empty_notebook(folder)
        t0 = time.perf_counter()
        with ProcessPoolExecutor(JOBS) as pool:
            list(pool.map(_run_empty, [(str(empty), str(folder / f"out{i}.ipynb")) for i in range(n_notebooks)]))
        floor = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = render(ids, (), trials=2000 if quick else 10_000, seed=0, out=folder / "out", jobs=JOBS, pages=pages, on_progress=None)
        full = time.perf_counter() - t0
    ratio = full / floor
    return [
        row("render", f"floor: papermill empty notebook × {n_notebooks}, jobs {JOBS}", floor),
        row("render", f"finops render: {len(ids)} business cases + {len(pages)} pages, jobs {JOBS}"
            + (f" ({len(report.failures)} failed)" if report.failures else ""), full, ratio=ratio, target="≤ 2× floor", ok=ratio <= 2.0),
    ]
