"""The normalised usage table: one schema for every bill, gateway log and trace export.

Every reader (:mod:`~finops_model.actuals.focus`, :mod:`~finops_model.actuals.openai`,
:mod:`~finops_model.actuals.anthropic`, :mod:`~finops_model.actuals.litellm`,
:mod:`~finops_model.actuals.otel`) turns one file into rows of this table, and every row of the
file ends either in the table or in the :class:`Rejects` report — never silently dropped.

Token accounting follows the OpenTelemetry GenAI rule (ARCHITECTURE §2), whatever the source:
``input_tokens`` **includes** cache-read and cache-write tokens, ``output_tokens`` **includes**
reasoning tokens. A row that breaks it (``cache_read + cache_write > input``) is rejected.

Columns (:data:`USAGE_COLUMNS`, the contract with the forecast-vs-actual issue; extra columns in
:data:`EXTRA_COLUMNS`):

=====================  ==========================  ==============================================
column                 dtype                       meaning
=====================  ==========================  ==============================================
timestamp              datetime64[ns, UTC]         call time, or start of the usage bucket
source                 str                         reader name (``focus``, ``openai_usage`` …)
source_file            str                         file the row came from
source_row             int64                       0-based row / record index in that file
provider, model        str (nullable)              provider name (lower case), model id as billed
input_tokens           int64                       [tokens], including cached
cache_read_tokens      int64                       [tokens] read from the prompt cache
cache_write_tokens     int64                       [tokens] written to the cache (5 min + 1 h)
output_tokens          int64                       [tokens], including reasoning
reasoning_tokens       int64                       [tokens]
requests               Int64 (nullable)            model calls in the row (NA: source has none)
request_id             str (nullable)              trace / request key (calls per request)
billed_cost            float64 (NaN = none)        cost as billed [currency of the row]
currency               str                         ISO 4217, upper case
application … type     str (nullable)              the nine attribution tags
=====================  ==========================  ==============================================
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finops_model.errors import FinopsError

__all__ = [
    "ATTRIBUTION_COLUMNS",
    "EXTRA_COLUMNS",
    "TOKEN_COLUMNS",
    "USAGE_COLUMNS",
    "ActualsError",
    "Rejects",
    "empty_usage",
    "finalise",
        "parse_money",
    "parse_timestamps",
]


class ActualsError(FinopsError):
    """A bill, log or trace file cannot be read: names the file, the column and what was
    expected."""

    def __init__(self, file: str | os.PathLike[str], column: str, message: str):
        self.file = str(file)
        self.column = column
        parts = [p for p in (self.file, column) if p]
        super().__init__(": ".join([*parts, message]))


#: Token columns [tokens]; input includes cached, output includes reasoning.
TOKEN_COLUMNS: tuple[str, ...] = (
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
)
#: The attribution tags of every call (ARCHITECTURE §1, governance) — ``provider`` and
#: ``model`` are columns of their own.
ATTRIBUTION_COLUMNS: tuple[str, ...] = (
    "application",
    "owner",
    "environment",
    "cost_center",
    "use_case",
    "business_process",
    "request_type",
)
#: The contract columns of the normalised usage table, in order.
USAGE_COLUMNS: tuple[str, ...] = (
    "timestamp",
    "source",
    "source_file",
    "source_row",
    "provider",
    "model",
    *TOKEN_COLUMNS,
    "requests",
    "request_id",
    "billed_cost",
    "currency",
    *ATTRIBUTION_COLUMNS,
)
#: Further columns every reader fills (NA where the source has nothing):
#: ``cache_write_1h_tokens`` [tokens] (the part of ``cache_write_tokens`` written to Anthropic's
#: 1-hour cache, priced at its own rate), ``batch`` (batch API), ``long_context`` (the source
#: says the request was above the long-context threshold; NA = unknown), ``effective_cost``
#: (amortised cost — FOCUS ``EffectiveCost``; equals ``billed_cost`` for sources without
#: amortisation), ``charge_category`` (Usage, Credit, Purchase … as FOCUS), ``api_key_id``,
#: ``project_id`` (project, workspace, team or sub-account), ``user_id`` (the person or
#: end user, for cost per active user), ``call_id`` (the row's own id), ``outcomes`` (business
#: outcomes recorded on the row, e.g. a span attribute), ``tags`` (all source tags as JSON).
EXTRA_COLUMNS: tuple[str, ...] = (
    "cache_write_1h_tokens",
    "batch",
    "long_context",
    "effective_cost",
    "charge_category",
    "api_key_id",
    "project_id",
    "user_id",
    "call_id",
    "outcomes",
    "tags",
)
ALL_COLUMNS: tuple[str, ...] = USAGE_COLUMNS + EXTRA_COLUMNS

_STRING_COLUMNS = (
    "source",
    "source_file",
    "provider",
    "model",
    "request_id",
    "currency",
    *ATTRIBUTION_COLUMNS,
    "charge_category",
    "api_key_id",
    "project_id",
    "user_id",
    "call_id",
    "tags",
)
_INT_TOKEN_COLUMNS = (*TOKEN_COLUMNS, "cache_write_1h_tokens")

#: Texts that mean "no value" in real exports (FOCUS 1.0 sample: ``NULL``; spec CSVs: ``null``).
NULL_TEXTS = frozenset({"", "null", "NULL", "Null", "None", "none", "NaN", "nan", "N/A", "n/a"})


# ------------------------------------------------------------------------------------------
# rejects
# ------------------------------------------------------------------------------------------


@dataclass
class Rejects:
    """Rows of input files that are not in the usage table, each with its reason.

    ``kind`` is ``rejected`` (the row is malformed: a column could not be read) or ``skipped``
    (the row is readable but out of scope, e.g. a FOCUS line that is not an AI charge, or a
    trace span that is not a model call). Both are counted; none is dropped silently.
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    #: Rows read per file (table rows + rejected + skipped).
    rows_read: dict[str, int] = field(default_factory=dict)
    #: Notes per file (format detected, version, assumptions the reader made).
    notes: dict[str, list[str]] = field(default_factory=dict)

    def add(self, file: str, row: int, column: str, reason: str, kind: str = "rejected") -> None:
        self.records.append(
            {"source_file": str(file), "source_row": int(row), "column": column,
             "reason": reason, "kind": kind}
        )

    def add_many(self, file: str, rows: Iterable[int], column: str, reasons: Iterable[str],
                 kind: str = "rejected") -> None:
        for r, why in zip(rows, reasons, strict=True):
            self.add(file, int(r), column, str(why), kind)

    def note(self, file: str, text: str) -> None:
        self.notes.setdefault(str(file), []).append(text)

    def extend(self, other: Rejects) -> None:
        self.records.extend(other.records)
        for k, v in other.rows_read.items():
            self.rows_read[k] = self.rows_read.get(k, 0) + v
        for k, v in other.notes.items():
            self.notes.setdefault(k, []).extend(v)

    @property
    def count(self) -> int:
        """Rows not in the table (rejected + skipped)."""
        return len(self.records)

    def counts(self) -> dict[str, int]:
        """Rows per kind: ``{"rejected": n, "skipped": m}``."""
        out = {"rejected": 0, "skipped": 0}
        for r in self.records:
            out[r["kind"]] = out.get(r["kind"], 0) + 1
        return out

    def to_df(self) -> pd.DataFrame:
        """One row per rejected or skipped input row: file, row, column, reason, kind."""
        return pd.DataFrame(
            self.records, columns=["source_file", "source_row", "column", "reason", "kind"]
        )

    def summary(self) -> pd.DataFrame:
        """Counts per file, kind and reason."""
        df = self.to_df()
        if df.empty:
            return pd.DataFrame(columns=["source_file", "kind", "column", "reason", "rows"])
        return (
            df.groupby(["source_file", "kind", "column", "reason"], dropna=False)
            .size()
            .rename("rows")
            .reset_index()
        )


# ------------------------------------------------------------------------------------------
# parsing helpers shared by the readers
# ------------------------------------------------------------------------------------------


def is_null(value: Any) -> bool:
    """True for None, NaN, pandas NA and the texts of :data:`NULL_TEXTS`."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() in NULL_TEXTS


def null_to_na(series: pd.Series) -> pd.Series:
    """A text column with the null texts (``NULL``, ``null``, empty …) as NA [-]."""
    s = series.astype("string").str.strip()
    return s.mask(s.isin(NULL_TEXTS))


def parse_money(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Money texts to float: ``"$10,000.00 "``, ``"-1.00"``, ``"(2.50)"``, ``2e-06``.

    Returns
    -------
    values : pandas.Series of float64
        NaN where the cell is null or unreadable [currency units].
    bad : pandas.Series of bool
        Cells that are not null but could not be read as a number.
    """
    s = null_to_na(series)
    neg = s.str.startswith("(") & s.str.endswith(")")
    cleaned = s.str.replace(r"[\s$€£,()]", "", regex=True)
    values = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    values = values.where(~neg.fillna(False), -values)
    bad = s.notna() & values.isna()
    return values, bad


def parse_numbers(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Number texts (OTLP int64 strings, ``1,000``) to float; ``bad`` as in :func:`parse_money`."""
    return parse_money(series)


def parse_timestamps(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Date-time texts or Unix seconds to UTC timestamps.

    Accepts ISO 8601 (``2025-06-01T00:00:00Z``), ``YYYY-MM-DD HH:MM:SS`` (FOCUS 1.0 sample, read
    as UTC), ``M/D/YY`` (the FOCUS spec's example CSVs) and datetime values.

    Returns
    -------
    values : pandas.Series of datetime64[ns, UTC]
    bad : pandas.Series of bool
        Non-null cells that are not a date-time.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        values = pd.to_datetime(series, utc=True)
        return values.astype("datetime64[ns, UTC]"), pd.Series(False, index=series.index)
    s = null_to_na(series)
    values = pd.to_datetime(s, utc=True, errors="coerce", format="mixed")
    values = values.astype("datetime64[ns, UTC]")
    bad = s.notna() & values.isna()
    return values, bad


def tags_json(mapping: Mapping[str, Any] | None) -> str | None:
    """Tags as compact JSON text with sorted keys (None when there are none)."""
    if not mapping:
        return None
    return json.dumps({str(k): v for k, v in mapping.items()}, sort_keys=True, default=str)


def json_cell(value: Any) -> Any:
    """A JSON text cell (``Tags``, ``metadata``) parsed; dicts and lists pass through; None for
    nulls. Raises ``ValueError`` for text that is not JSON."""
    if isinstance(value, (dict, list)):
        return value
    if is_null(value):
        return None
    if isinstance(value, np.ndarray):
        return list(value)
    return json.loads(str(value))


# ------------------------------------------------------------------------------------------
# the table
# ------------------------------------------------------------------------------------------


def empty_usage() -> pd.DataFrame:
    """An empty usage table with every column and its dtype."""
    return finalise(pd.DataFrame({"timestamp": pd.Series([], dtype="datetime64[ns, UTC]")}),
                    source="", file="", rejects=Rejects())


def finalise(frame: pd.DataFrame, source: str, file: str | os.PathLike[str], rejects: Rejects,
             reject_reason: pd.Series | None = None,
             reject_column: pd.Series | None = None) -> pd.DataFrame:
    """Give a reader's rows the table's columns and dtypes; move bad rows to ``rejects``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The reader's rows, with any subset of :data:`ALL_COLUMNS` (``source_row`` required when
        there are rows). Missing columns are NA (tokens 0).
    source : str
        Reader name, written to ``source``.
    file : path-like
        Source file, written to ``source_file``.
    rejects : Rejects
        Receives rows whose tokens break the accounting rule or whose ``timestamp`` is missing,
        plus the rows flagged by ``reject_reason``.
    reject_reason, reject_column : pandas.Series of str, optional
        A reason (NA = keep) and the column it concerns, per row, set by the reader.

    Returns
    -------
    pandas.DataFrame
        The kept rows, columns :data:`ALL_COLUMNS` in order.
    """
    file = str(file)
    n = len(frame)
    out = pd.DataFrame(index=frame.index)
    for col in ALL_COLUMNS:
        out[col] = frame[col] if col in frame.columns else pd.NA
    out["source"] = source
    out["source_file"] = file
    if n and "source_row" not in frame.columns:
        raise ValueError("finalise: the reader must set source_row")
    reason = pd.Series(pd.NA, index=frame.index, dtype="string")
    column = pd.Series(pd.NA, index=frame.index, dtype="string")
    if reject_reason is not None:
        reason = reject_reason.astype("string").reindex(frame.index)
        column = (reject_column if reject_column is not None
                  else pd.Series("", index=frame.index)).astype("string").reindex(frame.index)

    def flag(mask: pd.Series, col: str, why: str) -> None:
        m = mask.fillna(False).astype(bool) & reason.isna()
        reason[m] = why
        column[m] = col

    # tokens: numbers ≥ 0, whole
    for col in _INT_TOKEN_COLUMNS:
        raw = out[col]
        if raw.dtype == object or pd.api.types.is_string_dtype(raw):
            values, bad = parse_numbers(raw)
            flag(bad, col, f"expected a token count, found {raw[bad].iloc[0]!r}" if bad.any() else "")
        else:
            values = pd.to_numeric(raw, errors="coerce").astype("float64")
        values = values.fillna(0.0)
        flag(values < 0, col, "expected a token count ≥ 0")
        flag(values != np.floor(values), col, "expected a whole number of tokens")
        out[col] = values
    flag(out["cache_read_tokens"] + out["cache_write_tokens"] > out["input_tokens"],
         "cache_read_tokens", "expected cache-read + cache-write ≤ input tokens (input includes "
         "cached tokens)")
    flag(out["reasoning_tokens"] > out["output_tokens"], "reasoning_tokens",
         "expected reasoning ≤ output tokens (output includes reasoning tokens)")
    flag(out["cache_write_1h_tokens"] > out["cache_write_tokens"], "cache_write_1h_tokens",
         "expected 1-hour cache writes ≤ cache-write tokens")
    ts = out["timestamp"]
    if not pd.api.types.is_datetime64_any_dtype(ts):
        ts, bad = parse_timestamps(ts)
        flag(bad, "timestamp", "expected an ISO 8601 date-time")
    out["timestamp"] = pd.to_datetime(ts, utc=True).astype("datetime64[ns, UTC]")
    flag(out["timestamp"].isna(), "timestamp", "expected a date-time, found none")

    bad_rows = reason.notna()
    if bad_rows.any():
        sr = out.loc[bad_rows, "source_row"]
        for r, col, why in zip(sr, column[bad_rows], reason[bad_rows], strict=True):
            kind = "skipped" if str(why).startswith("skipped:") else "rejected"
            rejects.add(file, int(r), str(col), str(why).removeprefix("skipped: "), kind)
    rejects.rows_read[file] = rejects.rows_read.get(file, 0) + n
    out = out.loc[~bad_rows].copy()

    for col in _INT_TOKEN_COLUMNS:
        out[col] = out[col].astype("int64")
    out["source_row"] = pd.to_numeric(out["source_row"]).astype("int64")
    out["requests"] = pd.to_numeric(out["requests"], errors="coerce").astype("Int64")
    for col in ("billed_cost", "effective_cost", "outcomes"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    out["effective_cost"] = out["effective_cost"].fillna(out["billed_cost"])
    for col in ("batch", "long_context"):
        out[col] = out[col].astype("boolean")
    out["batch"] = out["batch"].fillna(False)
    for col in _STRING_COLUMNS:
        s = out[col].astype("string")
        out[col] = s.mask(s.str.strip().isin(NULL_TEXTS))
    out["provider"] = out["provider"].str.lower()
    out["currency"] = out["currency"].str.upper().fillna("USD")
    out["charge_category"] = out["charge_category"].fillna("Usage")
    return out.reset_index(drop=True)[list(ALL_COLUMNS)]


def concat_usage(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Stack usage tables (keeping dtypes); an empty table when there are none."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_usage()
    return pd.concat(frames, ignore_index=True)[list(ALL_COLUMNS)]


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _nested_to_json(value: Any) -> Any:
    """Parquet lists and structs as JSON text (as a CSV export writes them)."""
    if isinstance(value, (dict, list, np.ndarray)):
        return json.dumps(_plain(value), default=str)
    return value


def read_tabular(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A CSV (UTF-8, with or without a byte-order mark) or Parquet file as a frame of texts.

    Every cell stays as the file wrote it (null texts are NA), so that each reader parses and
    reports its own columns. Parquet is read through DuckDB (no pyarrow needed).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            import duckdb

            con = duckdb.connect()
            try:
                df = con.execute("SELECT * FROM read_parquet(?)", [str(path)]).df()
            finally:
                con.close()
            for col in df.columns:
                if df[col].dtype == object:
                    df[col] = df[col].map(_nested_to_json)
            return df
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ActualsError(path, "", f"expected a readable CSV or Parquet file ({exc})") from None
    except Exception as exc:  # duckdb's own errors
        raise ActualsError(path, "", f"expected a readable Parquet file ({exc})") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _fold(key: str) -> str:
    return "".join(ch for ch in str(key).lower() if ch.isalnum())


#: Tag keys (folded: lower case, letters and digits only) that fill each attribution column.
TAG_KEYS: dict[str, tuple[str, ...]] = {
    "application": ("application", "app", "applicationname", "servicename", "service"),
    "owner": ("owner", "team", "teamname", "businessowner"),
    "environment": ("environment", "env", "deploymentenvironment", "deploymentenvironmentname",
                    "stage"),
    "cost_center": ("costcenter", "costcentre", "cc"),
    "use_case": ("usecase", "usecaseid", "finopsusecase"),
    "business_process": ("businessprocess", "process"),
    "request_type": ("requesttype", "operation"),
}


def attribution_from_tags(tags: Mapping[str, Any] | None) -> dict[str, str]:
    """The attribution columns a tag mapping fills: keys are matched case- and
    separator-insensitively (``CostCenter``, ``cost-center``, ``cost_center``), with an optional
    ``finops.`` / ``app.`` / ``x_`` prefix; the first key listed in :data:`TAG_KEYS` wins."""
    if not tags:
        return {}
    folded: dict[str, Any] = {}
    for k, v in tags.items():
        if is_null(v) or isinstance(v, (dict, list)):
            continue
        f = _fold(k)
        for prefix in ("finops", "x", "app"):
            if f.startswith(prefix) and f != prefix and f[len(prefix):] in _ALL_TAG_KEYS:
                f = f[len(prefix):]
                break
        folded.setdefault(f, v)
    out: dict[str, str] = {}
    for col, keys in TAG_KEYS.items():
        for k in keys:
            if k in folded:
                out[col] = str(folded[k])
                break
    return out


_ALL_TAG_KEYS = frozenset(k for keys in TAG_KEYS.values() for k in keys)
