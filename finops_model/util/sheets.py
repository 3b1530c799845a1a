"""The one safe exporter of tables: every CSV and XLSX file the workbench writes goes through here.

Safety (OWASP, "CSV injection"): every text cell — and every column name — that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'`` so that a spreadsheet
program shows it as text and never evaluates it (``=HYPERLINK(…)`` in a use-case name stays a
name). Numbers are written as numbers (with number formats in XLSX), never as text, so a
negative number is not touched. Files are written with :func:`finops_model.util.io.write_atomic`.

No other module calls ``DataFrame.to_csv``, ``csv.writer`` or openpyxl to write a file
(``tests/util/test_sheets.py`` walks the package to check it).
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finops_model.util.io import write_atomic

__all__ = [
    "DANGEROUS",
    "neutralise",
    "safe_frame",
    "csv_text",
    "rows_csv_text",
    "xlsx_bytes",
    "write_csv",
    "write_xlsx",
]

#: First characters that make a spreadsheet program evaluate a cell.
DANGEROUS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell made safe for spreadsheets (``'`` prefixed when it starts with one of
    :data:`DANGEROUS`); every other value is returned unchanged."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names are neutralised; numbers unchanged."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = pd.Series(
                [neutralise(v) for v in out[c]], index=out.index, dtype=object
            )  # no dtype inference
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def csv_text(df: pd.DataFrame) -> str:
    """``df`` as CSV text (header first, no index, text neutralised, missing values empty)."""
    return safe_frame(df).to_csv(index=False, lineterminator="\n")


def rows_csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Records (dicts) as CSV text with exactly ``columns`` in that order, every value written
    as given (no int → float widening of a column with gaps); see :func:`csv_text`."""
    records = list(rows)
    frame = pd.DataFrame(
        {c: pd.Series([r.get(c) for r in records], dtype=object) for c in columns},
        columns=list(columns),
    )
    return csv_text(frame)


def write_csv(path: str | os.PathLike[str], df: pd.DataFrame, *, overwrite: bool = True) -> Path:
    """Write ``df`` as a safe CSV file, atomically; returns the path."""
    return write_atomic(path, csv_text(df), overwrite=overwrite)


def _number_format(column: str) -> str:
    c = column.lower()
    if c.startswith("p_") or c in ("roi_p50", "share"):
        return "0.0%"
    if "month" in c and "payback" in c:
        return "0.0"
    if any(k in c for k in ("cost", "value", "npv", "spend", "delta")):
        return "#,##0.00" if "per_outcome" in c else "#,##0"
    if c in ("p5", "p50", "p95"):
        return "#,##0.####"
    return "General"


def _cell(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return None  # an empty cell, never "nan" text
    return v


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """A workbook with one sheet per frame (name cut to 31 characters), as bytes.

    Numbers are stored as numbers with a number format chosen from the column name (shares as
    percent, money with thousands separators); text cells and headers are neutralised; the
    header row is bold and frozen.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for name, df in sheets.items():
        ws = wb.create_sheet(title=str(name)[:31])
        safe = safe_frame(df)
        ws.append(list(safe.columns))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in safe.itertuples(index=False):
            ws.append([_cell(v) for v in row])
        for j, column in enumerate(df.columns, start=1):
            letter = get_column_letter(j)
            fmt = _number_format(str(column))
            if fmt != "General":
                for cell in ws[letter][1:]:
                    if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                        cell.number_format = fmt
            ws.column_dimensions[letter].width = min(max(12, len(str(column)) + 2), 48)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_xlsx(
    sheets: Mapping[str, pd.DataFrame], path: str | os.PathLike[str], *, overwrite: bool = True
) -> Path:
    """Write :func:`xlsx_bytes` of ``sheets`` to ``path`` atomically; returns the path."""
    return write_atomic(path, xlsx_bytes(sheets), overwrite=overwrite)
