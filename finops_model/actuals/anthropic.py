"""Readers of Anthropic Admin API exports: the Messages usage report and the cost report.

Usage (``GET /v1/organizations/usage_report/messages``): the input components are
**disjoint** — ``uncached_input_tokens``, ``cache_read_input_tokens`` and
``cache_creation.ephemeral_5m_input_tokens`` / ``ephemeral_1h_input_tokens`` — so the table's
``input_tokens`` is their sum (input includes cached), ``cache_write_tokens`` the two cache
writes and ``cache_write_1h_tokens`` the 1-hour part, re-priced at its own rate. The report has
no request count (``requests`` is NA). ``service_tier`` "batch" sets ``batch``;
``context_window`` "200k-1M" sets ``long_context``. ``workspace_id`` is the project.

Cost (``GET /v1/organizations/cost_report``): ``amount`` is a **decimal string in cents**
("123.45" USD = $1.2345); one cost-only row per result, ``token_type`` and ``cost_type`` kept in
``tags``.

Reference: Claude platform docs, Admin API "Get Messages Usage Report" and "Get Cost Report"
(2025–2026).
"""

from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

from finops_model.actuals.openai import flatten_buckets
from finops_model.actuals.table import Rejects, finalise, tags_json

__all__ = ["COST_SOURCE", "USAGE_SOURCE", "read_anthropic"]

USAGE_SOURCE = "anthropic_usage"
COST_SOURCE = "anthropic_cost"


def _count(r: dict, *keys: str) -> Any:
    v: Any = r
    for k in keys:
        v = v.get(k) if isinstance(v, dict) else None
    return v


def read_anthropic(data: Any, file: str | os.PathLike[str], rejects: Rejects) -> pd.DataFrame:
    """Read a parsed Anthropic usage or cost report (see the module docstring)."""
    file = str(file)
    pairs = flatten_buckets(data, file, start_key="starting_at")
    is_cost = any(isinstance(r, dict) and "amount" in r for _, r in pairs)
    rows: list[dict[str, Any]] = []
    reasons: list[Any] = []
    columns: list[Any] = []
    for i, (start, r) in enumerate(pairs):
        why, colname = pd.NA, pd.NA
        row: dict[str, Any] = {"source_row": i, "timestamp": start, "provider": "anthropic"}
        if not isinstance(r, dict):
            rows.append(row)
            reasons.append("expected a result object")
            columns.append("data[].results[]")
            continue
        row.update(model=r.get("model"), project_id=r.get("workspace_id"),
                   api_key_id=r.get("api_key_id"),
                   batch=r.get("service_tier") == "batch" if r.get("service_tier") else None,
                   long_context={"0-200k": False, "200k-1M": True}.get(r.get("context_window")))
        if is_cost:
            try:
                cents = Decimal(str(r.get("amount")))
                if not cents.is_finite():
                    raise InvalidOperation
                row["billed_cost"] = float(cents / 100)
            except (InvalidOperation, ValueError):
                why, colname = (f"expected a decimal string in cents, found {r.get('amount')!r}",
                                "amount")
            row["currency"] = r.get("currency")
            row["tags"] = tags_json({k: r.get(k) for k in ("cost_type", "token_type", "description",
                                                           "service_tier", "context_window")
                                     if r.get(k) is not None})
        else:
            parts = {
                "uncached_input_tokens": _count(r, "uncached_input_tokens"),
                "cache_read_input_tokens": _count(r, "cache_read_input_tokens"),
                "cache_creation.ephemeral_5m_input_tokens": _count(r, "cache_creation",
                                                                   "ephemeral_5m_input_tokens"),
                "cache_creation.ephemeral_1h_input_tokens": _count(r, "cache_creation",
                                                                   "ephemeral_1h_input_tokens"),
                "output_tokens": _count(r, "output_tokens"),
            }
            if parts["uncached_input_tokens"] is None or parts["output_tokens"] is None:
                name = "uncached_input_tokens" if parts["uncached_input_tokens"] is None else "output_tokens"
                why, colname = "expected a token count, found none", name
            bad = [k for k, v in parts.items() if v is not None and not isinstance(v, (int, float))]
            if bad and pd.isna(why):
                why, colname = f"expected a token count, found {parts[bad[0]]!r}", bad[0]
            if pd.isna(why):
                p = {k: (v or 0) for k, v in parts.items()}
                w5 = p["cache_creation.ephemeral_5m_input_tokens"]
                w1 = p["cache_creation.ephemeral_1h_input_tokens"]
                row.update(
                    input_tokens=p["uncached_input_tokens"] + p["cache_read_input_tokens"] + w5 + w1,
                    cache_read_tokens=p["cache_read_input_tokens"],
                    cache_write_tokens=w5 + w1,
                    cache_write_1h_tokens=w1,
                    output_tokens=p["output_tokens"],
                )
            extra = {k: r.get(k) for k in ("service_tier", "context_window") if r.get(k)}
            ws = _count(r, "server_tool_use", "web_search_requests")
            if ws:
                extra["web_search_requests"] = ws
            row["tags"] = tags_json(extra)
        rows.append(row)
        reasons.append(why)
        columns.append(colname)
    frame = pd.DataFrame(rows) if rows else pd.DataFrame({"source_row": np.array([], dtype=int)})
    for c in ("batch", "long_context"):
        if c in frame.columns:
            frame[c] = frame[c].astype("boolean")
    return finalise(frame, COST_SOURCE if is_cost else USAGE_SOURCE, file, rejects,
                    pd.Series(reasons, index=frame.index, dtype="string"),
                    pd.Series(columns, index=frame.index, dtype="string"))
