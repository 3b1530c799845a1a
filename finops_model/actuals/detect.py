"""Which reader a file needs: detected from its extension and its columns or JSON keys.

=================  ========================================================================
format             recognised by
=================  ========================================================================
``focus``          CSV/Parquet with ``BilledCost`` and ``ChargePeriodStart``
``litellm``        CSV/Parquet/JSON lines with ``spend``, ``prompt_tokens`` and ``startTime``
``litellm_daily``  CSV/Parquet with ``date``, ``spend``, ``prompt_tokens``, ``api_requests``;
                   JSON with ``results[].metrics``
``openai``         JSON results with ``object`` ``organization.usage.completions.result`` or
                   ``organization.costs.result``
``anthropic``      JSON buckets with ``starting_at`` and ``uncached_input_tokens`` or ``amount``
``otel``           JSON (or JSON lines) with ``resourceSpans``
``usage``          CSV/Parquet already in the normalised table's columns
=================  ========================================================================

A file matching none is refused with the columns or keys that were expected.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from finops_model.actuals import anthropic, focus, litellm, openai, otel
from finops_model.actuals.table import (
    ActualsError,
    Rejects,
    concat_usage,
    finalise,
    read_tabular,
)

__all__ = ["FORMATS", "detect_format", "read_file"]

FORMATS: tuple[str, ...] = ("focus", "litellm", "litellm_daily", "openai", "anthropic", "otel",
                            "usage")
_TABULAR = (".csv", ".parquet", ".pq")


def _json_kind(data: Any) -> str | None:
    if isinstance(data, dict) and "resourceSpans" in data:
        return "otel"
    if isinstance(data, dict) and isinstance(data.get("results"), list) and all(
            isinstance(r, dict) and "metrics" in r for r in data["results"]):
        return "litellm_daily"
    pages = data if isinstance(data, list) else [data]
    for page in pages:
        if not isinstance(page, dict):
            continue
        if page.get("object", "").startswith("organization."):
            return "openai"
        if "spend" in page and "prompt_tokens" in page:
            return "litellm"
        for b in page.get("data") or []:
            if not isinstance(b, dict):
                continue
            if "start_time" in b:
                return "openai"
            if "starting_at" in b:
                return "anthropic"
    return None


def _load_json(path: Path) -> Any:
    text = path.read_text(encoding="utf-8-sig")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        first = next((ln for ln in text.splitlines() if ln.strip()), "")
        try:
            return [json.loads(first)] if first else None
        except json.JSONDecodeError:
            raise ActualsError(path, "", "expected JSON or JSON lines") from None


def detect_format(path: str | os.PathLike[str], columns: Any = None, data: Any = None) -> str:
    """The format of a file (one of :data:`FORMATS`).

    Raises
    ------
    ActualsError
        No reader recognises the file.
    """
    path = Path(path)
    if path.suffix.lower() in _TABULAR:
        cols = set(columns if columns is not None else read_tabular(path).columns)
        if focus.looks_like_focus(cols) or focus.detect_version(cols) == "0.5" and "BilledCost" in cols:
            return "focus"
        if litellm.looks_like_spendlogs(cols):
            return "litellm"
        if litellm.looks_like_daily(cols):
            return "litellm_daily"
        if {"timestamp", "input_tokens", "output_tokens"} <= cols:
            return "usage"
        raise ActualsError(path, "", "expected a FOCUS export (BilledCost, ChargePeriodStart), a "
                           "LiteLLM spend log (spend, prompt_tokens, startTime), a LiteLLM daily "
                           "rollup (date, spend, prompt_tokens, api_requests) or a usage table, "
                           f"found columns {sorted(cols)[:10]}")
    data = _load_json(path) if data is None else data
    kind = _json_kind(data[0] if isinstance(data, list) and data and "resourceSpans" in
                      (data[0] or {}) else data)
    if kind is None:
        raise ActualsError(path, "", "expected an OpenAI usage/costs page, an Anthropic usage/cost "
                           "report, an OTLP/JSON trace export or LiteLLM spend logs")
    return kind


def read_file(path: str | os.PathLike[str], rejects: Rejects, fmt: str | None = None,
              **options: Any) -> pd.DataFrame:
    """Read one file of any supported format into the usage table (see :func:`load_usage`)."""
    path = Path(path)
    if fmt is not None and fmt not in FORMATS:
        raise ActualsError(path, "", f"expected a format among {', '.join(FORMATS)}, found {fmt!r}")
    tabular = path.suffix.lower() in _TABULAR
    raw = read_tabular(path) if tabular and fmt != "litellm" else None
    data = None
    if not tabular and fmt not in ("litellm", "otel"):
        data = _load_json(path)
    kind = fmt or detect_format(path, None if raw is None else raw.columns, data)
    rejects.note(str(path), f"format: {kind}")
    if kind == "focus":
        if raw is None:
            raise ActualsError(path, "", "expected a CSV or Parquet FOCUS export")
        return focus.read_focus_frame(raw, str(path), rejects,
                                      pre_1_0=options.get("pre_1_0", "refuse"),
                                      ai_only=options.get("ai_only", True))
    if kind == "litellm":
        return litellm.read_spendlogs(path, rejects)
    if kind == "litellm_daily":
        if raw is not None:
            return litellm.read_daily_table(raw, str(path), rejects)
        return litellm.read_daily_activity(data, str(path), rejects)
    if kind == "openai":
        return openai.read_openai(data, path, rejects)
    if kind == "anthropic":
        return anthropic.read_anthropic(data, path, rejects)
    if kind == "otel":
        return otel.read_otlp_file(path, rejects)
    # a usage table written by this package (or by hand in its columns)
    if raw is None:
        raise ActualsError(path, "", "expected a CSV or Parquet usage table")
    missing = [c for c in ("timestamp", "input_tokens", "output_tokens") if c not in raw.columns]
    if missing:
        raise ActualsError(path, missing[0], "expected the usage-table column "
                           f"{missing[0]!r} (see USAGE_COLUMNS)")
    frame = raw.copy()
    frame["source_row"] = range(len(frame))
    for c in ("billed_cost", "effective_cost", "requests", "outcomes"):
        if c in frame.columns:
            frame[c] = pd.to_numeric(frame[c].replace("", None), errors="coerce")
    for c in ("batch", "long_context"):
        if c in frame.columns:
            frame[c] = frame[c].map({"True": True, "true": True, "False": False, "false": False})
    src = frame["source"].dropna().iloc[0] if "source" in frame and frame["source"].notna().any() else "usage"
    return finalise(frame.drop(columns=[c for c in ("source", "source_file") if c in frame]),
                    str(src), str(path), rejects)


def load_usage(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
               fmt: str | None = None, **options: Any) -> tuple[pd.DataFrame, Rejects]:
    """Read bills, gateway logs and traces into one usage table.

    Parameters
    ----------
    paths : path-like or iterable of path-like
        Files, or folders (every file inside, sorted, hidden files skipped).
    fmt : str, optional
        Force one format for every file (see :data:`finops_model.actuals.detect.FORMATS`);
        default: detected per file.
    **options
        Passed to the readers (e.g. ``pre_1_0="map"`` for pre-1.0 FOCUS files).

    Returns
    -------
    usage : pandas.DataFrame
        Columns :data:`USAGE_COLUMNS` then :data:`EXTRA_COLUMNS`.
    rejects : Rejects
        Every input row not in ``usage``, with its file, row, column and reason.

    Raises
    ------
    ActualsError
        A file that cannot be read at all (unknown format, missing required column), naming
        the file, the column and what was expected.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*") if f.is_file()
                                and not f.name.startswith((".", "_"))
                                and f.suffix.lower() != ".md"))
        elif p.exists():
            files.append(p)
        else:
            raise ActualsError(p, "", "expected an existing file or folder, found none")
    rejects = Rejects()
    frames = [read_file(f, rejects, fmt=fmt, **options) for f in files]
    return concat_usage(frames), rejects
