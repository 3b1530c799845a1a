"""HTML building blocks of every page: escaping and the one HTML table formatter."""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pandas as pd

from finops_model.uncertainty.summary import format_value

__all__ = ["esc", "table_html"]


def esc(x: Any) -> str:
    """Text from assumptions, escaped for HTML (a name like ``<script>`` shows as text)."""
    return html.escape(str(x), quote=True)


def table_html(df: pd.DataFrame, formats: dict[str, str] | None = None, index: bool = False) -> str:
    """A DataFrame as an escaped HTML table; ``formats`` maps column → unit for display."""
    formats = formats or {}
    cols = list(df.columns)
    head = "".join(f"<th>{esc(c)}</th>" for c in ([df.index.name or ""] if index else []) + cols)
    rows = []
    for idx, r in df.iterrows():
        cells = [f"<th>{esc(idx)}</th>"] if index else []
        for c in cols:
            v = r[c]
            if isinstance(v, float | int | np.floating | np.integer) and not isinstance(v, bool):
                text = format_value(float(v), formats.get(c, "")) if c in formats else _num(v)
                cells.append(f'<td class="num">{esc(text)}</td>')
            else:
                cells.append(f"<td>{esc('' if v is None or (isinstance(v, float) and math.isnan(v)) else v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="finops"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _num(v: Any) -> str:
    v = float(v)
    if not math.isfinite(v):
        return "—"
    return format_value(v, "")
