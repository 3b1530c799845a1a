"""Report outputs: run folders written atomically, and the per-use-case summaries.

Each run writes a new folder ``outputs/runs/<UTC timestamp>-<assumptions hash>/``. It is built
under a temporary name and renamed into place only when complete; ``outputs/latest`` is then
re-pointed at it (a symlink swapped atomically). An earlier run is never overwritten.
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from finops_model.errors import FinopsError
from finops_model.inputs.assumptions import Assumptions, iter_uncertain
from finops_model.model.engine import simulate
from finops_model.uncertainty.summary import format_table, summarise, summary_json
from finops_model.util.io import write_atomic
from finops_model.util.runs import run_folder, stamp
from finops_model.util.sheets import write_csv


def assumptions_table(assumptions: Assumptions, use_case_id: str) -> pd.DataFrame:
    """Every numeric input of a use case with its distribution and source [unit per field]."""
    uc = assumptions.use_cases[use_case_id]
    sources = {**(uc.org.sources if uc.org else {}), **uc.sources}
    rows = []
    for path, q in iter_uncertain(uc):
        rows.append({
            "field": path,
            "as_written": str(q.to_yaml()),
            "p5": q.quantile(0.05),
            "p50": q.median,
            "p95": q.quantile(0.95),
            "source": next((s for k, s in sources.items() if path == k or path.startswith(k + ".") or path.endswith("." + k)), ""),
        })
    return pd.DataFrame(rows)


def cost_stack_table(result: Any) -> pd.DataFrame:
    """Average monthly cost by layer and category with p5/p50/p95 [USD/month]."""
    rows = []
    for (layer, category), v in result.cost_by_category.items():
        p5, p50, p95 = pd.Series(v).quantile([0.05, 0.5, 0.95])
        rows.append({"layer": layer, "category": category, "mean": float(v.mean()), "p5": p5, "p50": p50, "p95": p95})
    return pd.DataFrame(rows)


@dataclass
class RunReport:
    """What a report run produced."""

    folder: Path | None = None
    written: list[Path] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)


def progress(i: int, total: int, label: str, stream: Any = None) -> None:
    """A one-line progress bar on standard error."""
    stream = stream or sys.stderr
    width = 24
    done = int(width * i / max(total, 1))
    stream.write(f"\r[{'#' * done}{'.' * (width - done)}] {i}/{total} {label[:40]:<40}")
    if i == total:
        stream.write("\n")
    stream.flush()


def write_summaries(
    assumptions: Assumptions,
    out: Path,
    use_cases: Iterable[str] | None = None,
    trials: int = 10_000,
    seed: int = 0,
    method: str = "mc",
    on_progress: Callable[[int, int, str], None] | None = progress,
) -> RunReport:
    """Simulate every use case and write its validated assumptions, KPI summary and cost stack.

    One failing use case does not stop the others: it is recorded in ``failures`` and in
    ``failures.json`` of the run folder.
    """
    ids = list(use_cases) if use_cases is not None else list(assumptions.use_cases)
    report = RunReport()
    label = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ") + f"-{assumptions.digest[:8]}"
    run_stamp = stamp(assumptions, seed, trials, method)
    portfolio = []
    with run_folder(out, label) as run:
        tmp = run.tmp
        for i, uc_id in enumerate(ids, 1):
            if on_progress:
                on_progress(i - 1, len(ids), uc_id)
            try:
                uc = assumptions.use_cases[uc_id]
                result = simulate(uc, assumptions.catalog, trials, seed, method)  # type: ignore[arg-type]
                folder = tmp / uc_id
                folder.mkdir()
                df = summarise(result)
                write_csv(folder / "summary.csv", df)
                write_atomic(folder / "summary.json", json.dumps({**summary_json(result), "stamp": run_stamp}, indent=2))
                write_atomic(folder / "summary.txt", format_table(df, f"{uc.name} ({uc_id}) — {trials:,} trials, seed {seed}") + "\n")
                write_csv(folder / "cost_stack.csv", cost_stack_table(result))
                write_csv(folder / "assumptions.csv", assumptions_table(assumptions, uc_id))
                write_atomic(folder / "assumptions.yaml", yaml.safe_dump(uc.model_dump(mode="json"), sort_keys=False, allow_unicode=True))
                row = df.set_index("kpi")
                portfolio.append({"use_case": uc_id, "name": uc.name, **{f"{k}_p50": row.loc[k, "p50"] for k in ("avg_monthly_cost", "monthly_value", "cost_per_outcome", "npv")}, "p_viable": row.loc["viable", "mean"]})
            except FinopsError as exc:
                report.failures[uc_id] = str(exc)
            except Exception as exc:  # isolate one use case's failure from the others
                report.failures[uc_id] = f"{type(exc).__name__}: {exc}"
        if on_progress:
            on_progress(len(ids), len(ids), "done")
        write_csv(tmp / "portfolio.csv", pd.DataFrame(portfolio))
        write_atomic(tmp / "stamp.json", json.dumps(run_stamp, indent=2))
        if report.failures:
            write_atomic(tmp / "failures.json", json.dumps(report.failures, indent=2))
        report.written = sorted(p.relative_to(tmp) for p in tmp.rglob("*") if p.is_file())
    report.folder = run.final
    return report
