"""Export the explorer's view: the current KPIs (beside the baseline) and the change list, as
CSV, XLSX and one small self-contained HTML page (no script, no link out, styles inline).

The tables are written by the one safe exporter (:func:`finops_model.util.sheets.xlsx_bytes`,
:func:`~finops_model.util.sheets.csv_text`) and formatted by :func:`~finops_model.reports.business_case.table_html`;
the figures are the explorer's (p50 and 90% range, KPI labels of :mod:`finops_model.model.kpis`).
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from finops_model.errors import FinopsError
from finops_model.explore.controls import display_value
from finops_model.util.io import write_atomic
from finops_model.util.sheets import csv_text, xlsx_bytes

if TYPE_CHECKING:
    from finops_model.explore.state import Explorer

__all__ = ["VIEW_FILES", "view_frames", "view_html", "view_xlsx_bytes", "write_view"]

#: Files :func:`write_view` writes.
VIEW_FILES: tuple[str, ...] = ("kpis.csv", "changes.csv", "view.xlsx", "view.html")

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:.5em 0 1.5em}}
th,td{{border:1px solid #ccc;padding:3px 8px}}th{{background:#f3f3f3;text-align:left}}td.num{{text-align:right}}
.meta{{color:#555}}</style></head><body>
<h1>{title}</h1><p class="meta">{meta}</p>
<h2>KPIs (p50 and 90% range, same trials as the baseline)</h2>{kpis}
<h2>Changes from the files</h2>{changes}
</body></html>
"""


def view_frames(ex: Explorer) -> dict[str, pd.DataFrame]:
    """The explorer's view as tables.

    Returns
    -------
    dict
        ``kpis``: ``kpi, label, unit, p50, p5, p95`` of the current state, ``baseline_p50`` and
        ``change_p50`` (p50 of the paired difference current − baseline) [KPI unit],
        ``p_lower`` [fraction]; ``changes``: ``field, file_value, new_value`` (text in the
        assumptions language, money in the file's currency); ``about``: use case, scenario,
        trials, seed, base files' hash, date.
    """
    table = ex.kpi_table()
    cmp = ex.comparison(tuple(table["kpi"]))
    kpis = pd.DataFrame({
        "kpi": table["kpi"], "label": table["label"], "unit": table["unit"],
        "p50": table["p50"].astype(float), "p5": table["p5"].astype(float), "p95": table["p95"].astype(float),
        "baseline_p50": cmp["baseline"].to_numpy(), "change_p50": cmp["change_p50"].to_numpy(),
        "p_lower": cmp["p_lower"].to_numpy(),
    })
    changes = pd.DataFrame(
        [{"field": c.path, "file_value": display_value(c.file_value), "new_value": display_value(c.value)} for c in ex.change_list()],
        columns=["field", "file_value", "new_value"],
    )
    s = ex.session
    about = pd.DataFrame([
        {"item": "use case", "value": s.use_case_id},
        {"item": "scenario", "value": s.scenario or "(none)"},
        {"item": "trials", "value": str(ex.n)},
        {"item": "seed", "value": str(ex.seed)},
        {"item": "base files' hash", "value": s.assumptions.digest},
        {"item": "exported", "value": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")},
    ])
    return {"kpis": kpis, "changes": changes, "about": about}


def view_html(views: dict[str, pd.DataFrame]) -> str:
    """One self-contained HTML page of the view (inline styles; no script, image or link)."""
    from finops_model.reports.business_case import esc, table_html

    about = dict(zip(views["about"]["item"], views["about"]["value"], strict=True))
    title = f"Explorer view: {about['use case']}"
    meta = esc(" · ".join(f"{k}: {v}" for k, v in about.items()))
    k = views["kpis"]
    shown = k.rename(columns={"label": "KPI", "change_p50": "current − baseline (p50)", "baseline_p50": "baseline (p50)",
                              "p_lower": "P(current < baseline)"}).drop(columns=["kpi"])
    formats = {c: "" for c in ("p50", "p5", "p95", "baseline (p50)", "current − baseline (p50)")}
    formats["P(current < baseline)"] = "fraction"
    changes = views["changes"]
    changes_html = table_html(changes) if len(changes) else "<p>None: every field has its value in the files.</p>"
    return _PAGE.format(title=esc(title), meta=meta, kpis=table_html(shown, formats), changes=changes_html)


def view_xlsx_bytes(views: dict[str, pd.DataFrame]) -> bytes:
    """The view as an XLSX workbook (a sheet per table), as bytes."""
    return xlsx_bytes(views)


def view_csv(df: pd.DataFrame) -> str:
    """A table of the view as CSV text (text cells neutralised against formula injection)."""
    return csv_text(df)


def write_view(views: dict[str, pd.DataFrame], folder: Path, overwrite: bool = False) -> list[Path]:
    """Write :data:`VIEW_FILES` into ``folder`` (atomically; existing files refused unless
    ``overwrite``, and then nothing is written)."""
    targets = [folder / name for name in VIEW_FILES]
    existing = [str(t) for t in targets if t.exists()]
    if existing and not overwrite:
        raise FinopsError(f"{existing[0]}: expected a new file, found an existing one; choose another folder or allow overwriting")
    payloads: list[str | bytes] = [view_csv(views["kpis"]), view_csv(views["changes"]), view_xlsx_bytes(views), view_html(views)]
    return [write_atomic(t, p, overwrite=overwrite) for t, p in zip(targets, payloads, strict=True)]
