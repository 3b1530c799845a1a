"""Readers of LiteLLM proxy spend data: the ``LiteLLM_SpendLogs`` table and its daily rollups.

Spend logs (one row per request; exported as CSV, Parquet, JSON lines or the ``/spend/logs``
JSON list) are normalised **in DuckDB SQL** (:func:`spendlogs_sql`), so that millions of rows
are read out of core, in place:

* ``prompt_tokens`` follows the OpenAI convention (includes cached tokens) → ``input_tokens``;
  the cache detail lives only in ``metadata.usage_object``: ``prompt_tokens_details.cached_tokens``
  (OpenAI style) or ``cache_read_input_tokens`` / ``cache_creation_input_tokens`` (Anthropic
  style); ``completion_tokens_details.reasoning_tokens`` → reasoning.
* ``spend`` [USD] → ``billed_cost`` (LiteLLM's own price map computed it: the re-pricing checks
  it); ``startTime`` → ``timestamp``; one model call per row.
* ``cache_hit = "True"`` is LiteLLM's **response** cache (no model call, spend 0): the row is
  kept with ``requests`` 0 and no tokens, so that no call or token is claimed that nobody billed.
* Attribution: ``request_tags`` entries ``key:value`` (``use_case:support-copilot``,
  ``team:support``) and the same keys at the top of ``metadata``; ``team_id`` is the project,
  ``metadata.user_api_key_alias`` (else the key hash ``api_key``) the key, ``end_user`` (else
  ``user``) the user; ``metadata.trace_id`` (else the row's ``request_id``) the request.

Daily rollups (``LiteLLM_Daily*Spend`` tables as CSV/Parquet, and the ``/user/daily/activity``
JSON) become one row per day and model with ``api_requests`` requests; the activity JSON's
per-model breakdown is read, and what the breakdown does not cover of the day's totals is kept
as a row without model — never dropped.

Reference: BerriAI/litellm ``schema.prisma`` (LiteLLM_SpendLogs, LiteLLM_DailyUserSpend) and
docs/proxy/cost_tracking.md.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finops_model.actuals.table import (
    ActualsError,
    Rejects,
    finalise,
    parse_money,
    parse_numbers,
    parse_timestamps,
    tags_json,
)

__all__ = ["DAILY_SOURCE", "SOURCE", "looks_like_daily", "looks_like_spendlogs",
           "read_daily_activity", "read_daily_table", "read_spendlogs", "spendlogs_sql"]

SOURCE = "litellm"
DAILY_SOURCE = "litellm_daily"

#: Tag keys (regular expressions, case-insensitive) read from ``request_tags`` ``key:value``.
TAG_PATTERNS: dict[str, str] = {
    "application": r"app(?:lication)?",
    "owner": r"owner|team",
    "environment": r"env(?:ironment)?|stage",
    "cost_center": r"cost[-_ .]?cent(?:er|re)|cc",
    "use_case": r"use[-_ .]?case(?:[-_ .]?id)?",
    "business_process": r"business[-_ .]?process|process",
    "request_type": r"request[-_ .]?type",
}
_ENTITY_COLUMNS = ("user_id", "team_id", "organization_id", "end_user_id", "agent_id", "tag")


def looks_like_spendlogs(columns: Any) -> bool:
    cols = set(columns)
    return {"spend", "prompt_tokens", "startTime"} <= cols or {"spend", "prompt_tokens", "request_id"} <= cols


def looks_like_daily(columns: Any) -> bool:
    cols = set(columns)
    return {"date", "spend", "prompt_tokens", "api_requests"} <= cols


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def spendlogs_sql(relation: str, columns: Any, file: str = "") -> str:
    """The SELECT that normalises a spend-log relation of texts into usage-table columns plus
    ``reject_reason`` / ``reject_column`` (NULL for rows that are kept).

    Parameters
    ----------
    relation : str
        A DuckDB table, view or table function (``read_csv('x.csv', all_varchar=true)``).
    columns : iterable of str
        The relation's columns; the ones missing read as NULL.
    """
    cols = set(columns)
    missing = [c for c in ("spend", "prompt_tokens") if c not in cols]
    if missing:
        raise ActualsError(file, missing[0], "expected the LiteLLM_SpendLogs column "
                           f"{missing[0]!r}")

    def c(name: str) -> str:
        return f"NULLIF(TRIM(CAST({_q(name)} AS VARCHAR)), '')" if name in cols else "NULL"

    meta = c("metadata")
    tags = c("request_tags")
    uo = f"json_extract({meta}, '$.usage_object')"

    def meta_key(path: str) -> str:
        return f"TRY(json_extract_string({meta}, '{path}'))"

    def num(expr: str) -> str:
        return f"TRY_CAST({expr} AS DOUBLE)"

    def tag(field: str) -> str:
        pattern = '"(?i)(?:finops[._-]?)?(?:' + TAG_PATTERNS[field] + r')\s*[:=]\s*([^"]*)"'
        return (f"COALESCE({meta_key('$.' + field)}, "
                f"NULLIF(regexp_extract({tags}, '{pattern}', 1), ''))")

    cached = (f"COALESCE({num(f'json_extract_string({uo}, {chr(39)}$.prompt_tokens_details.cached_tokens{chr(39)})')}, "
              f"{num(f'json_extract_string({uo}, {chr(39)}$.cache_read_input_tokens{chr(39)})')}, 0)")
    written = f"COALESCE({num(f'json_extract_string({uo}, {chr(39)}$.cache_creation_input_tokens{chr(39)})')}, 0)"
    reasoning = (f"COALESCE({num(f'json_extract_string({uo}, {chr(39)}$.completion_tokens_details.reasoning_tokens{chr(39)})')}, 0)")
    hit = f"(lower(COALESCE({c('cache_hit')}, 'false')) = 'true')"
    ts = f"TRY_CAST({c('startTime')} AS TIMESTAMPTZ)"
    prompt = num(c("prompt_tokens"))
    completion = f"COALESCE({num(c('completion_tokens'))}, 0)"
    spend = num(c("spend"))
    reason = f"""CASE
        WHEN {c('startTime')} IS NULL THEN 'expected the request start time, found none'
        WHEN {ts} IS NULL THEN 'expected an ISO 8601 date-time, found ' || {c('startTime')}
        WHEN {prompt} IS NULL THEN 'expected a token count, found ' || COALESCE({c('prompt_tokens')}, 'none')
        WHEN {c('completion_tokens')} IS NOT NULL AND {num(c('completion_tokens'))} IS NULL
            THEN 'expected a token count, found ' || {c('completion_tokens')}
        WHEN {prompt} < 0 OR {completion} < 0 THEN 'expected a token count ≥ 0'
        WHEN {c('spend')} IS NOT NULL AND {spend} IS NULL THEN 'expected a cost in USD, found ' || {c('spend')}
        WHEN {c('metadata')} IS NOT NULL AND TRY(json({meta})) IS NULL THEN 'expected a JSON object'
        WHEN NOT {hit} AND {cached} + {written} > {prompt}
            THEN 'expected cache-read + cache-write ≤ prompt tokens (prompt includes cached tokens)'
        ELSE NULL END"""
    reason_col = f"""CASE
        WHEN {c('startTime')} IS NULL OR {ts} IS NULL THEN 'startTime'
        WHEN {prompt} IS NULL OR {prompt} < 0 THEN 'prompt_tokens'
        WHEN {c('completion_tokens')} IS NOT NULL AND ({num(c('completion_tokens'))} IS NULL OR {completion} < 0) THEN 'completion_tokens'
        WHEN {c('spend')} IS NOT NULL AND {spend} IS NULL THEN 'spend'
        WHEN {c('metadata')} IS NOT NULL AND TRY(json({meta})) IS NULL THEN 'metadata'
        ELSE 'metadata.usage_object' END"""
    keep = f"CASE WHEN {hit} THEN 0 ELSE 1 END"
    return f"""
SELECT
    CAST(row_number() OVER () - 1 AS BIGINT) AS source_row,
    {ts} AS "timestamp",
    lower(COALESCE({c('custom_llm_provider')}, split_part({c('model')}, '/', 1))) AS provider,
    {c('model')} AS model,
    CAST({keep} * COALESCE({prompt}, 0) AS BIGINT) AS input_tokens,
    CAST({keep} * {cached} AS BIGINT) AS cache_read_tokens,
    CAST({keep} * {written} AS BIGINT) AS cache_write_tokens,
    CAST({keep} * {completion} AS BIGINT) AS output_tokens,
    CAST({keep} * LEAST({reasoning}, {completion}) AS BIGINT) AS reasoning_tokens,
    CAST({keep} AS BIGINT) AS requests,
    COALESCE({meta_key('$.trace_id')}, {meta_key('$.litellm_trace_id')}, {c('request_id')}) AS request_id,
    COALESCE({spend}, 0.0) AS billed_cost,
    'USD' AS currency,
    {tag('application')} AS application,
    COALESCE({tag('owner')}, {meta_key('$.user_api_key_team_alias')}) AS owner,
    {tag('environment')} AS environment,
    {tag('cost_center')} AS cost_center,
    {tag('use_case')} AS use_case,
    {tag('business_process')} AS business_process,
    {tag('request_type')} AS request_type,
    COALESCE({meta_key('$.user_api_key_alias')}, {c('api_key')}) AS api_key_id,
    {c('team_id')} AS project_id,
    COALESCE({c('end_user')}, {c('user')}) AS user_id,
    {c('request_id')} AS call_id,
    {tags} AS tags,
    {reason} AS reject_reason,
    {reason_col} AS reject_column
FROM {relation}"""


def _relation(con: Any, path: Path) -> tuple[str, list[str]]:
    """Register ``path`` as a view of texts named ``spendlogs_raw``; returns it and its columns."""
    suffix = path.suffix.lower()
    p = str(path).replace("'", "''")
    if suffix in (".parquet", ".pq"):
        src = f"read_parquet('{p}')"
        desc = con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()
        exprs = [
            (f"to_json({_q(n)})" if any(t in typ.upper() for t in ("STRUCT", "[]", "MAP", "LIST"))
             else f"CAST({_q(n)} AS VARCHAR)") + f" AS {_q(n)}"
            for n, typ, *_ in desc
        ]
        con.execute(f"CREATE OR REPLACE TEMP VIEW spendlogs_raw AS SELECT {', '.join(exprs)} FROM {src}")
    elif suffix == ".csv":
        con.execute(f"CREATE OR REPLACE TEMP VIEW spendlogs_raw AS SELECT * FROM read_csv('{p}', "
                    "all_varchar=true, header=true)")
    else:  # JSON list or JSON lines: parsed here, nested values kept as JSON text
        frame = _json_rows(path)
        con.register("spendlogs_df", frame)
        con.execute("CREATE OR REPLACE TEMP VIEW spendlogs_raw AS SELECT * FROM spendlogs_df")
    cols = [r[0] for r in con.execute("DESCRIBE SELECT * FROM spendlogs_raw").fetchall()]
    return "spendlogs_raw", cols


def _json_rows(path: Path) -> pd.DataFrame:
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text)
        rows = data if isinstance(data, list) else data.get("data", [data]) if isinstance(data, dict) else None
    except json.JSONDecodeError:
        rows = []
        for i, line in enumerate(text.splitlines()):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    raise ActualsError(path, f"line {i + 1}", "expected one JSON object per line") from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ActualsError(path, "", "expected LiteLLM_SpendLogs rows (a JSON list or JSON lines)")
    frame = pd.DataFrame(
        [{k: (json.dumps(v) if isinstance(v, (dict, list)) else (None if v is None else str(v)))
          for k, v in r.items()} for r in rows]
    )
    return frame.astype("string") if len(frame.columns) else pd.DataFrame({"spend": pd.Series([], dtype="string")})


def read_spendlogs(path: str | os.PathLike[str], rejects: Rejects, con: Any = None) -> pd.DataFrame:
    """Read a ``LiteLLM_SpendLogs`` export (CSV, Parquet, JSON lines, JSON list)."""
    import duckdb

    path = Path(path)
    own = con is None
    con = con or duckdb.connect()
    try:
        rel, cols = _relation(con, path)
        frame = con.execute(spendlogs_sql(rel, cols, str(path))).df()
    except duckdb.Error as exc:
        raise ActualsError(path, "", f"expected a readable LiteLLM_SpendLogs export ({exc})") from None
    finally:
        if own:
            con.close()
    reason = frame.pop("reject_reason")
    column = frame.pop("reject_column").where(reason.notna())
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return finalise(frame, SOURCE, path, rejects, reason, column)


def read_daily_table(raw: pd.DataFrame, file: str, rejects: Rejects) -> pd.DataFrame:
    """Read a ``LiteLLM_Daily*Spend`` table export (frame of texts, see :func:`read_tabular`)."""
    n = len(raw)
    idx = raw.index
    reason = pd.Series(pd.NA, index=idx, dtype="string")
    column = pd.Series(pd.NA, index=idx, dtype="string")
    frame = pd.DataFrame(index=idx)
    frame["source_row"] = np.arange(n)
    ts, bad = parse_timestamps(raw["date"])
    m = bad | ts.isna()
    reason[m], column[m] = "expected a YYYY-MM-DD date", "date"
    frame["timestamp"] = ts
    for src, dst in (("prompt_tokens", "input_tokens"), ("completion_tokens", "output_tokens"),
                     ("cache_read_input_tokens", "cache_read_tokens"),
                     ("cache_creation_input_tokens", "cache_write_tokens"),
                     ("api_requests", "requests")):
        if src in raw.columns:
            v, bad = parse_numbers(raw[src])
            m = bad & reason.isna()
            reason[m], column[m] = "expected a whole number", src
            frame[dst] = v.fillna(0)
    spend, bad = parse_money(raw["spend"])
    m = bad & reason.isna()
    reason[m], column[m] = "expected a cost in USD", "spend"
    frame["billed_cost"] = spend
    frame["currency"] = "USD"
    for col in ("model", "custom_llm_provider", "api_key"):
        if col in raw.columns:
            frame[{"custom_llm_provider": "provider", "api_key": "api_key_id"}.get(col, col)] = raw[col]
    entity = next((c for c in _ENTITY_COLUMNS if c in raw.columns), None)
    if entity in ("user_id", "end_user_id"):
        frame["user_id"] = raw[entity]
    elif entity in ("team_id", "organization_id", "agent_id"):
        frame["project_id"] = raw[entity]
    elif entity == "tag":
        frame["tags"] = raw["tag"].map(lambda t: tags_json({"tag": t}) if isinstance(t, str) else None)
        frame["use_case"] = raw["tag"].str.extract(r"(?i)^use[-_ ]?case[:=](.*)$")[0]
    return finalise(frame, DAILY_SOURCE, file, rejects, reason, column)


def read_daily_activity(data: Any, file: str, rejects: Rejects) -> pd.DataFrame:
    """Read a ``/user/daily/activity`` JSON response: per-model rows from ``breakdown.models``
    plus the part of the day's ``metrics`` that the breakdown does not cover."""
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ActualsError(file, "results", "expected a LiteLLM daily activity response with a "
                           "'results' list")
    keys = (("prompt_tokens", "input_tokens"), ("completion_tokens", "output_tokens"),
            ("cache_read_input_tokens", "cache_read_tokens"),
            ("cache_creation_input_tokens", "cache_write_tokens"), ("api_requests", "requests"),
            ("spend", "billed_cost"))
    rows: list[dict[str, Any]] = []
    reasons: list[Any] = []
    for i, day in enumerate(data["results"]):
        metrics = day.get("metrics") if isinstance(day, dict) else None
        if not isinstance(metrics, dict):
            rows.append({"source_row": i})
            reasons.append("expected 'metrics' for the day")
            continue
        models = ((day.get("breakdown") or {}).get("models") or {})
        covered = {k: 0.0 for k, _ in keys}
        for model, m in models.items():
            row = {"source_row": i, "timestamp": day.get("date"), "model": model}
            for k, dst in keys:
                row[dst] = m.get(k, 0) or 0
                covered[k] += float(m.get(k, 0) or 0)
            rows.append(row)
            reasons.append(pd.NA)
        rest = {dst: float(metrics.get(k, 0) or 0) - covered[k] for k, dst in keys}
        if not models or any(abs(v) > 1e-12 for v in rest.values()):
            row = {"source_row": i, "timestamp": day.get("date"), **rest}
            if models:
                row["billed_cost"] = round(row["billed_cost"], 12)
            rows.append(row)
            reasons.append(pd.NA)
    frame = pd.DataFrame(rows)
    frame["currency"] = "USD"
    return finalise(frame, DAILY_SOURCE, file, rejects,
                    pd.Series(reasons, index=frame.index, dtype="string"),
                    pd.Series(["metrics"] * len(frame), index=frame.index, dtype="string"))
