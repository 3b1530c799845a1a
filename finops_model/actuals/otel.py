"""Reader of OpenTelemetry GenAI spans exported as OTLP/JSON (one ``ExportTraceServiceRequest``
per file, or one per line as the collector's file exporter writes them).

A span with ``gen_ai.usage.*`` attributes is one model call: ``gen_ai.usage.input_tokens``
(all input, **including** cached: semantic conventions v1.41), ``gen_ai.usage.cache_read.input_tokens``,
``gen_ai.usage.cache_creation.input_tokens``, ``gen_ai.usage.output_tokens`` (including
``gen_ai.usage.reasoning.output_tokens``). Older spans' ``gen_ai.system``,
``gen_ai.usage.prompt_tokens`` and ``gen_ai.usage.completion_tokens`` are read as their
successors. The model billed is ``gen_ai.response.model`` (else ``gen_ai.request.model``).
OTLP int64 values arrive as JSON strings (``"intValue": "1200"``).

The span's ``traceId`` is the request: the span tree of one trace gives the calls per request.
Attribution tags come from span attributes, then resource attributes (``service.name`` →
application, ``deployment.environment.name`` → environment, keys such as ``use_case``,
``finops.cost_center``). A ``finops.outcomes`` / ``app.outcomes`` attribute records outcomes.
Spans without usage attributes (agent, tool, HTTP spans) are counted as skipped.

Reference: open-telemetry/semantic-conventions v1.41.0, model/gen-ai/registry.yaml and
deprecated/registry-deprecated.yaml; OTLP/JSON encoding (opentelemetry-proto).
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
    attribution_from_tags,
    finalise,
    tags_json,
)

__all__ = ["SOURCE", "attribute_value", "read_otel", "read_otlp_file"]

SOURCE = "otel"

_USAGE = {
    "input_tokens": ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
    "cache_read_tokens": ("gen_ai.usage.cache_read.input_tokens",),
    "cache_write_tokens": ("gen_ai.usage.cache_creation.input_tokens",),
    "output_tokens": ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
    "reasoning_tokens": ("gen_ai.usage.reasoning.output_tokens",),
}


def attribute_value(value: Any) -> Any:
    """The Python value of an OTLP/JSON ``AnyValue`` (int64 strings become ints)."""
    if not isinstance(value, dict):
        return value
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            return value["intValue"]
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "arrayValue" in value:
        return [attribute_value(v) for v in (value["arrayValue"] or {}).get("values", [])]
    if "kvlistValue" in value:
        return {kv.get("key"): attribute_value(kv.get("value"))
                for kv in (value["kvlistValue"] or {}).get("values", [])}
    return None


def _attrs(items: Any) -> dict[str, Any]:
    return {a.get("key"): attribute_value(a.get("value")) for a in items or [] if isinstance(a, dict)}


def read_otlp_file(path: str | os.PathLike[str], rejects: Rejects) -> pd.DataFrame:
    """Read an OTLP/JSON trace file (one document, or JSON lines) into the usage table."""
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig")
    try:
        docs = [json.loads(text)]
    except json.JSONDecodeError:
        docs = []
        for i, line in enumerate(text.splitlines()):
            if line.strip():
                try:
                    docs.append(json.loads(line))
                except json.JSONDecodeError:
                    raise ActualsError(path, f"line {i + 1}", "expected an OTLP/JSON document "
                                       "per line") from None
    return read_otel(docs, path, rejects)


def read_otel(docs: Any, file: str | os.PathLike[str], rejects: Rejects) -> pd.DataFrame:
    """Read parsed OTLP/JSON documents (a list of ``{"resourceSpans": [...]}``)."""
    file = str(file)
    if isinstance(docs, dict):
        docs = [docs]
    rows: list[dict[str, Any]] = []
    reasons: list[Any] = []
    columns: list[Any] = []
    i = 0
    for doc in docs:
        if not isinstance(doc, dict) or not isinstance(doc.get("resourceSpans"), list):
            raise ActualsError(file, "resourceSpans", "expected an OTLP/JSON trace export with a "
                               "'resourceSpans' list")
        for rs in doc["resourceSpans"]:
            res = _attrs((rs.get("resource") or {}).get("attributes"))
            for ss in rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or []:
                for span in ss.get("spans") or []:
                    a = _attrs(span.get("attributes"))
                    why, colname = pd.NA, pd.NA
                    row: dict[str, Any] = {"source_row": i}
                    i += 1
                    has_usage = any(k in a for keys in _USAGE.values() for k in keys)
                    if not has_usage:
                        rows.append(row)
                        reasons.append("skipped: not a model-call span (no gen_ai.usage attributes)")
                        columns.append("attributes")
                        continue
                    try:
                        row["timestamp"] = pd.Timestamp(int(span.get("startTimeUnixNano")), unit="ns", tz="UTC")
                    except (TypeError, ValueError):
                        why, colname = "expected Unix nanoseconds (a decimal string)", "startTimeUnixNano"
                    for col, keys in _USAGE.items():
                        key = next((k for k in keys if k in a), None)
                        v = a.get(key) if key else 0
                        if isinstance(v, str):
                            try:
                                v = int(v)
                            except ValueError:
                                pass
                        if not isinstance(v, (int, float)) or isinstance(v, bool):
                            if pd.isna(why):
                                why, colname = f"expected a token count, found {v!r}", key
                            v = 0
                        row[col] = v
                    tags = {**{k: v for k, v in res.items() if not isinstance(v, (list, dict))},
                            **{k: v for k, v in a.items() if not k.startswith("gen_ai.")
                               and not isinstance(v, (list, dict))}}
                    row.update(attribution_from_tags(tags))
                    row["provider"] = a.get("gen_ai.provider.name") or a.get("gen_ai.system")
                    row["model"] = a.get("gen_ai.response.model") or a.get("gen_ai.request.model")
                    row["requests"] = 1
                    row["request_id"] = span.get("traceId")
                    row["call_id"] = span.get("spanId")
                    row["user_id"] = a.get("user.id") or a.get("enduser.id")
                    row["outcomes"] = a.get("finops.outcomes", a.get("app.outcomes"))
                    row["tags"] = tags_json(tags)
                    rows.append(row)
                    reasons.append(why)
                    columns.append(colname)
    frame = pd.DataFrame(rows) if rows else pd.DataFrame({"source_row": np.array([], dtype=int)})
    if "timestamp" in frame.columns:
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return finalise(frame, SOURCE, file, rejects,
                    pd.Series(reasons, index=frame.index, dtype="string"),
                    pd.Series(columns, index=frame.index, dtype="string"))
