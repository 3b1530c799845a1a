"""Readers of OpenAI organisation exports: the completions Usage API and the Costs API.

Usage (``GET /v1/organization/usage/completions``, ``object: organization.usage.completions.result``):
``input_tokens`` already **includes** ``input_cached_tokens`` and ``input_cache_write_tokens``
(OpenAPI description, 2026), so they become ``input_tokens``, ``cache_read_tokens`` and
``cache_write_tokens`` as they are; ``num_model_requests`` the requests; ``project_id``,
``api_key_id``, ``user_id``, ``model``, ``batch`` (null unless the export was grouped by them).
One row per result of each time bucket (``start_time``: Unix seconds, UTC).

Costs (``GET /v1/organization/costs``, ``object: organization.costs.result``): ``amount.value``
in decimal currency units (dollars, not cents), currency lower case (``usd``); one cost-only row
(no tokens) per result, ``line_item`` kept as ``request_type`` is not its meaning, so it goes to
``tags`` and, when it reads ``<model>, <token kind>``, fills ``model``.

Both accept the API's page object, a list of pages (a paginated download), or a list of bare
result objects (each with its own ``start_time``).

Reference: openai/openai-openapi ``openapi.yaml`` (UsageCompletionsResult, CostsResult).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from finops_model.actuals.table import ActualsError, Rejects, finalise, tags_json

__all__ = ["COSTS_SOURCE", "USAGE_SOURCE", "flatten_buckets", "read_openai"]

USAGE_SOURCE = "openai_usage"
COSTS_SOURCE = "openai_costs"
USAGE_OBJECT = "organization.usage.completions.result"
COSTS_OBJECT = "organization.costs.result"


def flatten_buckets(data: Any, file: str, start_key: str = "start_time") -> list[tuple[Any, dict]]:
    """``(bucket start, result)`` pairs of a page, a list of pages or a list of results."""
    pages = data if isinstance(data, list) else [data]
    out: list[tuple[Any, dict]] = []
    for page in pages:
        if not isinstance(page, dict):
            raise ActualsError(file, "data", f"expected a page object, found {type(page).__name__}")
        if "results" in page and start_key in page:  # a bare bucket
            buckets = [page]
        elif "data" in page:
            buckets = page["data"]
        elif "object" in page:  # a bare result object (its own start time, if any)
            out.append((page.get(start_key), page))
            continue
        else:
            raise ActualsError(file, "data", "expected a page with a 'data' list of buckets")
        if not isinstance(buckets, list):
            raise ActualsError(file, "data", "expected a list of buckets")
        for b in buckets:
            if not isinstance(b, dict) or "results" not in b:
                raise ActualsError(file, "data[].results", "expected buckets with 'results'")
            for r in b["results"] or []:
                out.append((b.get(start_key), r))
    return out


def _int(v: Any) -> Any:
    return v if v is not None else 0


def read_openai(data: Any, file: str | os.PathLike[str], rejects: Rejects) -> pd.DataFrame:
    """Read a parsed OpenAI usage or costs export (see the module docstring)."""
    file = str(file)
    pairs = flatten_buckets(data, file)
    objects = {r.get("object") for _, r in pairs if isinstance(r, dict)}
    is_costs = COSTS_OBJECT in objects or (not objects - {None} and any("amount" in r for _, r in pairs))
    rows: list[dict[str, Any]] = []
    reasons: list[Any] = []
    columns: list[Any] = []
    for i, (start, r) in enumerate(pairs):
        why, colname = pd.NA, pd.NA
        if not isinstance(r, dict):
            rows.append({"source_row": i})
            reasons.append("expected a result object")
            columns.append("data[].results[]")
            continue
        ts = pd.to_datetime(start, unit="s", utc=True, errors="coerce") if start is not None else pd.NaT
        row: dict[str, Any] = {
            "source_row": i, "timestamp": ts, "provider": "openai",
            "project_id": r.get("project_id"), "api_key_id": r.get("api_key_id"),
            "user_id": r.get("user_id"), "model": r.get("model"),
        }
        if is_costs:
            amount = r.get("amount")
            if not isinstance(amount, dict) or not isinstance(amount.get("value"), (int, float)):
                why, colname = "expected amount.value, a number of currency units", "amount.value"
            else:
                row["billed_cost"] = float(amount["value"])
                row["currency"] = amount.get("currency")
            line = r.get("line_item")
            if isinstance(line, str) and "," in line and row["model"] is None:
                row["model"] = line.split(",")[0].strip()
            row["tags"] = tags_json({k: r.get(k) for k in ("line_item", "quantity", "quantity_unit")
                                     if r.get(k) is not None})
        else:
            missing = [k for k in ("input_tokens", "output_tokens", "num_model_requests")
                       if not isinstance(r.get(k), (int, float))]
            if missing:
                why, colname = f"expected a token count, found {r.get(missing[0])!r}", missing[0]
            else:
                row.update(
                    input_tokens=r["input_tokens"],
                    cache_read_tokens=_int(r.get("input_cached_tokens")),
                    cache_write_tokens=_int(r.get("input_cache_write_tokens")),
                    output_tokens=r["output_tokens"],
                    requests=r["num_model_requests"],
                    batch=r.get("batch"),
                )
                if r.get("service_tier") is not None:
                    row["tags"] = tags_json({"service_tier": r.get("service_tier")})
        rows.append(row)
        reasons.append(why)
        columns.append(colname)
    frame = pd.DataFrame(rows) if rows else pd.DataFrame({"source_row": np.array([], dtype=int)})
    if "batch" in frame.columns:
        frame["batch"] = frame["batch"].astype("boolean")
    return finalise(frame, COSTS_SOURCE if is_costs else USAGE_SOURCE, file, rejects,
                    pd.Series(reasons, index=frame.index, dtype="string"),
                    pd.Series(columns, index=frame.index, dtype="string"))
