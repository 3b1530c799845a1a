"""Reader of FOCUS cost and usage exports (CSV or Parquet), versions 1.0 to 1.3 (and 1.4 where
its columns are present): the AI lines into the usage table.

FOCUS has no token-type or model column. The token type of a line is read, first found, from
``SkuPriceDetails`` (keys ``TokenType``, ``x_TokenType``, ``token_type``), then ``x_TokenType``,
``SkuMeter``, ``x_SkuMeterName``, ``ChargeDescription`` (texts such as "Cached Input Tokens",
"cache write 1h", "Output Tokens", "reasoning"); the model from ``x_Model`` / ``x_ModelName``,
then ``SkuPriceDetails`` keys (``x_Model``, ``Model``, ``ModelName``). Token counts are
``ConsumedQuantity`` when ``ConsumedUnit`` counts tokens, else ``PricingQuantity`` times the
block size of ``PricingUnit`` (``1000000 Tokens`` → × 10⁶) — a line is never multiplied by a
block it does not state. Each token line becomes one row: a cached-input line is input tokens
that are all cache reads (input includes cached), a reasoning line output tokens that are all
reasoning.

Scope: lines with ``ServiceCategory`` "AI and Machine Learning"; the others are counted as
skipped in the rejects report. A file without ``ServiceCategory`` (the spec's scenario examples)
is read whole, with a note. ``BilledCost`` goes to ``billed_cost``, ``EffectiveCost`` (amortised:
a prepaid token purchase drawn down shows ``BilledCost`` 0 and ``EffectiveCost`` > 0) to
``effective_cost``; credits stay negative.

Pre-1.0 files (0.5 / 1.0-preview names ``ChargeType``, ``AmortizedCost``, ``UsageQuantity``,
``Provider``) are refused unless the caller asks for the explicit mapping ``pre_1_0="map"``
(:data:`PRE_1_0_RENAMES`), never summed by guess.

Reference: FOCUS specification v1.0–v1.2 column files and the 1.3 working draft
(FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec).
"""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np
import pandas as pd

from finops_model.actuals.table import (
    ActualsError,
    Rejects,
    attribution_from_tags,
    finalise,
    json_cell,
    null_to_na,
    parse_money,
    parse_numbers,
    parse_timestamps,
    read_tabular,
    tags_json,
)

__all__ = ["PRE_1_0_RENAMES", "SOURCE", "detect_version", "looks_like_focus", "read_focus",
           "read_focus_frame"]

SOURCE = "focus"
AI_CATEGORY = "AI and Machine Learning"

#: Explicit renames of FOCUS 0.5 / 1.0-preview columns to their 1.0 names (spec change log).
PRE_1_0_RENAMES: dict[str, str] = {
    "ChargeType": "ChargeCategory",
    "AmortizedCost": "EffectiveCost",
    "UsageQuantity": "ConsumedQuantity",
    "UsageUnit": "ConsumedUnit",
    "Provider": "ProviderName",
    "Publisher": "PublisherName",
    "InvoiceIssuer": "InvoiceIssuerName",
    "Region": "RegionId",
}
_PRE_1_0_MARKERS = ("ChargeType", "AmortizedCost", "UsageQuantity", "Provider")


def looks_like_focus(columns: Any) -> bool:
    """True when the columns are those of a FOCUS export (any version)."""
    cols = set(columns)
    return "BilledCost" in cols and ("ChargePeriodStart" in cols or "BillingPeriodStart" in cols)


def detect_version(columns: Any) -> str:
    """The FOCUS version a set of columns shows: ``0.5``, ``1.0``, ``1.1``, ``1.2``, ``1.3`` or
    ``1.4`` (1.3 columns without the deprecated ``ProviderName``)."""
    cols = set(columns)
    if "ChargeCategory" not in cols and any(c in cols for c in _PRE_1_0_MARKERS):
        return "0.5"
    if {"ServiceProviderName", "HostProviderName"} & cols or any(c.startswith("Allocated") for c in cols):
        return "1.4" if "ProviderName" not in cols and "PublisherName" not in cols else "1.3"
    if {"BillingAccountType", "SubAccountType", "InvoiceId", "PricingCurrency"} & cols:
        return "1.2"
    if {"SkuMeter", "SkuPriceDetails", "ServiceSubcategory", "CapacityReservationId",
            "CommitmentDiscountQuantity"} & cols:
        return "1.1"
    return "1.0"


_TOKEN_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"cache[ _-]?(write|creation|created)[^a-z]*(1 ?h|1-hour|one hour|60 ?m)", "cache_write_1h"),
    (r"(1 ?h|1-hour)[^a-z]*cache[ _-]?(write|creation)", "cache_write_1h"),
    (r"cache[ _-]?(write|creation|created)|cached?[ _-]?write", "cache_write"),
    (r"cached?[ _-]?(input|read|prompt|hit)|cache[ _-]?read|cached[ _-]?tokens", "cache_read"),
    (r"reasoning|thinking", "reasoning"),
    (r"input|prompt", "input"),
    (r"output|completion|generated", "output"),
)


def token_type(text: Any) -> str | None:
    """The token kind a SKU text names: ``input``, ``cache_read``, ``cache_write``,
    ``cache_write_1h``, ``output``, ``reasoning``, or None."""
    if not isinstance(text, str) or not text.strip():
        return None
    t = text.lower().replace("cached_input", "cached input")
    for pattern, kind in _TOKEN_PATTERNS:
        if re.search(pattern, t):
            return kind
    return None


_BLOCK = re.compile(r"^\s*([\d.,]+)\s*([km]?)\s*tokens?\s*$", re.IGNORECASE)


def token_block(unit: Any) -> float | None:
    """Tokens per unit of a FOCUS unit text: ``Tokens`` → 1, ``1000 Tokens`` → 1000,
    ``1M tokens`` → 10⁶; None when the unit does not count tokens [tokens/unit]."""
    if not isinstance(unit, str):
        return None
    u = unit.strip()
    if re.fullmatch(r"(?i)tokens?", u):
        return 1.0
    m = _BLOCK.match(u)
    if not m:
        return None
    n = float(m.group(1).replace(",", ""))
    return n * {"": 1.0, "k": 1e3, "m": 1e6}[m.group(2).lower()]


def _first(mapping: dict[str, Any] | None, keys: tuple[str, ...]) -> Any:
    if not isinstance(mapping, dict):
        return None
    low = {str(k).lower(): v for k, v in mapping.items()}
    for k in keys:
        v = low.get(k.lower())
        if v not in (None, ""):
            return v
    return None


def read_focus(path: str | os.PathLike[str], rejects: Rejects, *, pre_1_0: str = "refuse",
               ai_only: bool = True) -> pd.DataFrame:
    """Read one FOCUS CSV or Parquet export into the usage table.

    Parameters
    ----------
    path : path-like
        The export.
    rejects : Rejects
        Receives the non-AI lines (skipped) and unreadable lines (rejected).
    pre_1_0 : {"refuse", "map"}
        What to do with a 0.5 / 1.0-preview file: refuse it (default) or rename its columns
        with :data:`PRE_1_0_RENAMES`.
    ai_only : bool
        Keep only ``ServiceCategory`` "AI and Machine Learning" lines.
    """
    return read_focus_frame(read_tabular(path), str(path), rejects, pre_1_0=pre_1_0,
                            ai_only=ai_only)


def read_focus_frame(raw: pd.DataFrame, file: str, rejects: Rejects, *, pre_1_0: str = "refuse",
                     ai_only: bool = True) -> pd.DataFrame:
    """:func:`read_focus` on an already-read frame of texts (columns as in the file)."""
    version = detect_version(raw.columns)
    if version == "0.5":
        if pre_1_0 != "map":
            found = next(c for c in _PRE_1_0_MARKERS if c in raw.columns)
            raise ActualsError(
                file, found,
                "expected a FOCUS 1.0+ export (ChargeCategory, EffectiveCost, ConsumedQuantity), "
                "found pre-1.0 column names; convert the file or read it with the explicit "
                "0.5→1.0 mapping (--focus-pre-1-0 map)",
            )
        raw = raw.rename(columns={k: v for k, v in PRE_1_0_RENAMES.items() if k in raw.columns})
        rejects.note(file, "FOCUS pre-1.0 columns renamed explicitly: "
                     + ", ".join(f"{k}→{v}" for k, v in PRE_1_0_RENAMES.items()))
    for required in ("BilledCost", "ChargePeriodStart"):
        if required not in raw.columns:
            raise ActualsError(file, required, f"expected the FOCUS column {required!r} "
                               f"(mandatory since 1.0), found columns {list(raw.columns)[:8]}…")
    rejects.note(file, f"FOCUS {version} columns detected")
    n = len(raw)
    idx = raw.index
    reason = pd.Series(pd.NA, index=idx, dtype="string")
    column = pd.Series(pd.NA, index=idx, dtype="string")

    def flag(mask: pd.Series, col: str, why: str) -> None:
        m = mask.fillna(False).astype(bool) & reason.isna()
        reason[m] = why
        column[m] = col

    def col(name: str) -> pd.Series:
        return null_to_na(raw[name]) if name in raw.columns else pd.Series(pd.NA, index=idx,
                                                                           dtype="string")

    if "ServiceCategory" in raw.columns:
        if ai_only:
            flag(col("ServiceCategory") != AI_CATEGORY, "ServiceCategory",
                 f"skipped: not an {AI_CATEGORY!r} charge")
    else:
        rejects.note(file, "no ServiceCategory column: every line read as an AI charge")

    billed, bad = parse_money(raw["BilledCost"])
    flag(bad, "BilledCost", "expected a decimal amount")
    flag(billed.isna() & reason.isna(), "BilledCost", "expected a decimal amount, found none "
         "(BilledCost is not nullable)")
    if "EffectiveCost" in raw.columns:
        effective, bad = parse_money(raw["EffectiveCost"])
        flag(bad, "EffectiveCost", "expected a decimal amount")
    else:
        effective = billed
    start, bad = parse_timestamps(raw["ChargePeriodStart"])
    flag(bad | start.isna(), "ChargePeriodStart", "expected an ISO 8601 date-time")

    # JSON columns
    def parse_json(name: str) -> pd.Series:
        out = []
        bad_rows = []
        for i, v in zip(idx, raw[name] if name in raw.columns else [None] * n, strict=True):
            try:
                val = json_cell(v)
            except ValueError:
                bad_rows.append(i)
                val = None
            out.append(val if isinstance(val, dict) else None)
        s = pd.Series(out, index=idx, dtype=object)
        if bad_rows:
            flag(pd.Series(idx.isin(bad_rows), index=idx), name,
                 "expected a JSON object (key-value format)")
        return s

    tags = parse_json("Tags")
    details = parse_json("SkuPriceDetails")

    # token kind and model
    kinds: list[str | None] = []
    models: list[Any] = []
    text_cols = [c for c in ("x_TokenType", "SkuMeter", "x_SkuMeterName", "x_SkuMeter",
                             "ChargeDescription") if c in raw.columns]
    model_cols = [c for c in ("x_Model", "x_model", "x_ModelName", "x_ModelId") if c in raw.columns]
    texts = {c: col(c) for c in text_cols + model_cols}
    for j in range(n):
        d = details.iloc[j]
        kind = token_type(_first(d, ("TokenType", "x_TokenType", "token_type", "x_token_type")))
        if kind is None:
            for c in text_cols:
                kind = token_type(texts[c].iloc[j])
                if kind:
                    break
        kinds.append(kind)
        model = next((texts[c].iloc[j] for c in model_cols if not pd.isna(texts[c].iloc[j])), None)
        if model is None:
            model = _first(d, ("x_Model", "Model", "ModelName", "model", "x_ModelName"))
        models.append(model)
    kind_s = pd.Series(kinds, index=idx, dtype=object)

    # token quantity
    consumed, bad_c = parse_numbers(col("ConsumedQuantity"))
    pricing_q, bad_p = parse_numbers(col("PricingQuantity"))
    c_block = pd.to_numeric(col("ConsumedUnit").astype(object).map(token_block), errors="coerce")
    p_block = pd.to_numeric(col("PricingUnit").astype(object).map(token_block), errors="coerce")
    qty = pd.Series(np.nan, index=idx, dtype="float64")
    use_c = c_block.notna() & consumed.notna()
    qty[use_c] = (consumed * c_block)[use_c]
    use_p = ~use_c & p_block.notna() & pricing_q.notna()
    qty[use_p] = (pricing_q * p_block)[use_p]
    is_tok = kind_s.notna() & (c_block.notna() | p_block.notna())
    flag(is_tok & bad_c & use_c, "ConsumedQuantity", "expected a token quantity")
    flag(is_tok & qty.isna(), "ConsumedQuantity",
         "expected a token quantity (ConsumedQuantity in a token unit, or PricingQuantity in "
         "a token block unit), found none")
    qty = qty.round()
    q = qty.where(is_tok, 0.0).fillna(0.0)
    frame = pd.DataFrame(index=idx)
    frame["source_row"] = np.arange(n)
    frame["timestamp"] = start
    zero = pd.Series(0.0, index=idx)
    is_in = kind_s.isin(["input", "cache_read", "cache_write", "cache_write_1h"])
    frame["input_tokens"] = q.where(is_in, zero)
    frame["cache_read_tokens"] = q.where(kind_s == "cache_read", zero)
    frame["cache_write_tokens"] = q.where(kind_s.isin(["cache_write", "cache_write_1h"]), zero)
    frame["cache_write_1h_tokens"] = q.where(kind_s == "cache_write_1h", zero)
    frame["output_tokens"] = q.where(kind_s.isin(["output", "reasoning"]), zero)
    frame["reasoning_tokens"] = q.where(kind_s == "reasoning", zero)
    provider = col("ServiceProviderName").fillna(col("ProviderName"))
    frame["provider"] = provider
    frame["model"] = pd.Series(models, index=idx, dtype=object)
    frame["billed_cost"] = billed
    frame["effective_cost"] = effective
    frame["currency"] = col("BillingCurrency")
    frame["charge_category"] = col("ChargeCategory")
    frame["project_id"] = col("SubAccountId")
    frame["call_id"] = col("SkuPriceId")
    attrs = [attribution_from_tags(t) for t in tags]
    for name in ("application", "owner", "environment", "cost_center", "use_case",
                 "business_process", "request_type"):
        frame[name] = [a.get(name) for a in attrs]
    frame["tags"] = [tags_json(t) for t in tags]
    return finalise(frame, SOURCE, file, rejects, reason, column)
