"""Refresh the price catalog from the LiteLLM catalog format.

LiteLLM's ``model_prices_and_context_window.json`` (BerriAI/litellm) is the de facto public price
list: one object per model id with per-token USD prices. :func:`import_litellm` maps its entries
to the catalog schema of :mod:`finops_model.catalog` (USD per 1M tokens); :func:`merge_into_catalog`
appends the imported prices to an existing catalog as new dated entries, so that price history
is kept and nothing a user wrote is lost.

Field mapping (LiteLLM → catalog):

==========================================  ============================================
``input_cost_per_token``                    ``input_per_mtok``
``output_cost_per_token``                   ``output_per_mtok``
``cache_read_input_token_cost``             ``cache_read_per_mtok``
``cache_creation_input_token_cost``         ``cache_write_per_mtok``
``output_cost_per_reasoning_token``         ``reasoning_per_mtok``
``input_cost_per_token_batches``            ``batch_input_per_mtok``
``output_cost_per_token_batches``           ``batch_output_per_mtok``
``*_above_<N>k_tokens``                     ``long_context`` with ``threshold_tokens = N*1000``
``tiered_pricing`` (two ranges)             base rates + ``long_context`` at the 2nd range
``input_cost_per_query``                    ``per_query`` [USD/query]
``max_input_tokens``, ``max_output_tokens`` ``context_window``, ``max_output_tokens``
``litellm_provider``                        ``provider`` (normalised, see ``PROVIDER_NAMES``)
``mode``                                    ``tier`` for embedding/rerank; otherwise a guess
==========================================  ============================================

Priority, flex, regional, 1-hour-cache, audio, image and per-second prices are not imported.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from finops_model.errors import AssumptionError, CatalogError, Problem
from finops_model.inputs.catalog import ModelEntry, catalog_from_data, parse_iso_date
from finops_model.inputs.validation import problems_from_validation_error
from finops_model.util import yamlio
from finops_model.util.io import write_atomic

__all__ = ["PROVIDER_NAMES", "import_litellm", "merge_into_catalog"]

#: LiteLLM provider names that are renamed on import (others are kept as they are).
PROVIDER_NAMES = {
    "gemini": "google",
    "bedrock_converse": "bedrock",
    "text-completion-openai": "openai",
    "vertex_ai-language-models": "vertex_ai",
    "vertex_ai-anthropic_models": "vertex_ai",
    "vertex_ai-embedding-models": "vertex_ai",
    "vertex_ai-mistral_models": "vertex_ai",
    "vertex_ai-llama_models": "vertex_ai",
    "vertex_ai-text-models": "vertex_ai",
}

#: LiteLLM modes that are imported (others — images, audio, video, OCR… — are skipped).
IMPORTED_MODES = ("chat", "completion", "responses", "embedding", "rerank")

DEFAULT_SOURCE = "LiteLLM model_prices_and_context_window.json"

_RATES = {
    "input_per_mtok": "input_cost_per_token",
    "output_per_mtok": "output_cost_per_token",
    "cache_read_per_mtok": "cache_read_input_token_cost",
    "cache_write_per_mtok": "cache_creation_input_token_cost",
    "reasoning_per_mtok": "output_cost_per_reasoning_token",
    "batch_input_per_mtok": "input_cost_per_token_batches",
    "batch_output_per_mtok": "output_cost_per_token_batches",
}
_TIER_KEY = re.compile(
    r"^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|"
    r"cache_creation_input_token_cost|output_cost_per_reasoning_token)_above_(\d+)k_tokens$"
)
_TIER_FIELD = {
    "input_cost_per_token": "input_per_mtok",
    "output_cost_per_token": "output_per_mtok",
    "cache_read_input_token_cost": "cache_read_per_mtok",
    "cache_creation_input_token_cost": "cache_write_per_mtok",
    "output_cost_per_reasoning_token": "reasoning_per_mtok",
}


def _per_mtok(value: float) -> float:
    """USD/token → USD/1M tokens, without binary noise (2.5e-06 → 2.5, not 2.4999999999999996)."""
    return float(f"{float(value) * 1_000_000:.12g}")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def normalise_provider(name: str) -> str:
    """Catalog provider name of a LiteLLM ``litellm_provider``."""
    if name in PROVIDER_NAMES:
        return PROVIDER_NAMES[name]
    if name.startswith("vertex_ai"):
        return "vertex_ai"
    return name


def guess_tier(mode: str, input_per_mtok: float, output_per_mtok: float, reasoning: bool) -> str:
    """A first tier label for an imported model (edit it in the catalog).

    ``embedding`` / ``rerank`` from the mode; else ``reasoning`` when LiteLLM flags reasoning
    support and the output price is at least $1/1M; else by output price: ≥ $15/1M frontier,
    ≥ $1/1M mid, below small.
    """
    if mode in ("embedding", "rerank"):
        return mode
    if output_per_mtok >= 15:
        return "frontier"
    if reasoning and output_per_mtok >= 1:
        return "reasoning"
    if output_per_mtok >= 1:
        return "mid"
    return "small"


def _matches(value: str, patterns: Iterable[str] | None) -> bool:
    if patterns is None:
        return True
    return any(value == p or fnmatch.fnmatchcase(value, p) for p in patterns)


def _long_context(spec: Mapping[str, Any]) -> dict[str, Any] | None:
    tiers: dict[int, dict[str, float]] = {}
    for key, value in spec.items():
        match = _TIER_KEY.match(key)
        number = _number(value)
        if match and number is not None:
            threshold = int(match.group(2)) * 1000
            tiers.setdefault(threshold, {})[_TIER_FIELD[match.group(1)]] = _per_mtok(number)
    usable = {t: r for t, r in tiers.items() if "input_per_mtok" in r and "output_per_mtok" in r}
    if not usable:
        return None
    threshold = min(usable)  # one tier in the catalog schema: the first
    return {"threshold_tokens": threshold, **usable[threshold]}


def _tiered_pricing(spec: Mapping[str, Any]) -> tuple[dict[str, float], dict[str, Any]] | None:
    tiers = spec.get("tiered_pricing")
    if not isinstance(tiers, list) or len(tiers) != 2:
        return None
    try:
        first, second = sorted(tiers, key=lambda t: float(t["range"][0]))
        base = {
            "input_per_mtok": _per_mtok(first["input_cost_per_token"]),
            "output_per_mtok": _per_mtok(first["output_cost_per_token"]),
        }
        long = {
            "threshold_tokens": int(float(second["range"][0])),
            "input_per_mtok": _per_mtok(second["input_cost_per_token"]),
            "output_per_mtok": _per_mtok(second["output_cost_per_token"]),
        }
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return base, long


def _convert(
    model_id: str, spec: Mapping[str, Any], effective_date: _dt.date, source: str
) -> tuple[dict[str, Any] | None, str]:
    """One LiteLLM entry → (catalog model entry, "") or (None, reason skipped)."""
    mode = str(spec.get("mode", "chat"))
    if mode not in IMPORTED_MODES:
        return None, f"mode {mode!r} not imported"
    price: dict[str, Any] = {
        "effective_date": effective_date,
        "source": f"{source}, key '{model_id}'",
    }
    for ours, theirs in _RATES.items():
        number = _number(spec.get(theirs))
        if number is not None:
            price[ours] = _per_mtok(number)
    long = _long_context(spec)
    tiered = _tiered_pricing(spec)
    if tiered is not None and "input_per_mtok" not in price:
        price.update(tiered[0])
        long = long or tiered[1]
    per_query = _number(spec.get("input_cost_per_query"))
    if per_query is not None:
        price["per_query"] = per_query
    has_tokens = "input_per_mtok" in price or "output_per_mtok" in price
    if not has_tokens and per_query is None:
        return None, "no token prices"
    price.setdefault("input_per_mtok", 0.0)
    price.setdefault("output_per_mtok", 0.0)
    if long is not None:
        price["long_context"] = long
    provider = normalise_provider(str(spec.get("litellm_provider") or "unknown"))
    entry: dict[str, Any] = {
        "provider": provider,
        "tier": guess_tier(
            mode,
            price["input_per_mtok"],
            price["output_per_mtok"],
            bool(spec.get("supports_reasoning")),
        ),
    }
    for ours, theirs in (
        ("context_window", "max_input_tokens"),
        ("max_output_tokens", "max_output_tokens"),
    ):
        value = spec.get(theirs)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            entry[ours] = value
    if mode in ("embedding", "rerank"):
        entry["modality"] = mode
    elif spec.get("supports_vision"):
        entry["modality"] = "text+image"
    entry["prices"] = [price]
    try:
        ModelEntry.model_validate(entry)
    except ValidationError as exc:
        first = problems_from_validation_error(exc, "", ModelEntry)[0]
        return None, f"invalid: {first.path}: {first.message}" if first.path else first.message
    return entry, ""


def import_litellm(
    json_path: str | os.PathLike[str],
    *,
    providers: Iterable[str] | None = None,
    models: Iterable[str] | None = None,
    effective_date: _dt.date | str,
    source: str = DEFAULT_SOURCE,
) -> dict[str, Any]:
    """Read a LiteLLM price file and map its entries to the catalog schema.

    Parameters
    ----------
    json_path : path-like
        A ``model_prices_and_context_window.json``.
    providers : iterable of str, optional
        Keep only these providers (LiteLLM names such as ``bedrock_converse`` or catalog names
        such as ``bedrock``; glob patterns allowed).
    models : iterable of str, optional
        Keep only these model ids (glob patterns allowed, e.g. ``"gpt-5*"``).
    effective_date : datetime.date or ISO date str
        The date the imported prices take effect (usually the date of the LiteLLM snapshot).
    source : str
        Citation stored in every imported price entry (the LiteLLM key is appended).

    Returns
    -------
    dict
        ``models``: {model id: catalog model entry (prices in USD per 1M tokens)};
        ``skipped``: {reason: count}; ``skipped_models``: {model id: reason} (not counting
        entries left out by the ``providers``/``models`` filters, counted as
        ``skipped["filtered out"]``); ``effective_date``, ``source``, ``file``.

    Raises
    ------
    CatalogError
        The file is missing, not JSON, or not a JSON object; or ``effective_date`` is invalid.
    """
    file = str(json_path)
    try:
        on = parse_iso_date(effective_date)
    except ValueError as exc:
        raise CatalogError(Problem("", "effective_date", str(exc))) from None
    try:
        data = json.loads(Path(json_path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(
            Problem(file, "", "expected a file, found nothing at this path")
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError(
            Problem(file, "", f"expected a JSON document, found invalid JSON: {exc}")
        ) from None
    if not isinstance(data, dict):
        raise CatalogError(
            Problem(file, "", "expected a JSON object of models, found something else")
        )
    provider_list = list(providers) if providers is not None else None
    model_list = list(models) if models is not None else None
    imported: dict[str, Any] = {}
    skipped: Counter[str] = Counter()
    skipped_models: dict[str, str] = {}
    for model_id, spec in data.items():
        if model_id == "sample_spec" or not isinstance(spec, dict):
            skipped["not a model entry"] += 1
            continue
        raw_provider = str(spec.get("litellm_provider") or "")
        provider_ok = (
            provider_list is None
            or _matches(raw_provider, provider_list)
            or _matches(normalise_provider(raw_provider), provider_list)
        )
        if not provider_ok or not _matches(model_id, model_list):
            skipped["filtered out"] += 1
            continue
        entry, reason = _convert(model_id, spec, on, source)
        if entry is None:
            key = reason.split(":")[0] if reason.startswith("invalid") else reason
            key = "mode not imported" if key.startswith("mode ") else key
            skipped[key] += 1
            skipped_models[model_id] = reason
            continue
        imported[model_id] = entry
    return {
        "models": imported,
        "skipped": dict(skipped),
        "skipped_models": skipped_models,
        "effective_date": on,
        "source": source,
        "file": file,
    }


_PRICE_FIELDS = (
    "input_per_mtok",
    "output_per_mtok",
    "cache_read_per_mtok",
    "cache_write_per_mtok",
    "reasoning_per_mtok",
    "batch_input_per_mtok",
    "batch_output_per_mtok",
    "long_context",
    "per_query",
)


def _same_prices(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return all(a.get(k) == b.get(k) for k in _PRICE_FIELDS)


def _entry_date(entry: Mapping[str, Any]) -> _dt.date:
    return parse_iso_date(entry.get("effective_date"))


def merge_into_catalog(
    catalog_yaml_path: str | os.PathLike[str],
    imported: Mapping[str, Any],
    out_path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Append imported prices to a catalog as new dated entries; write the result to a file.

    * A model already in the catalog (by id or alias) gets the imported price as a **new** entry
      in its ``prices`` list; its other fields (provider, tier, aliases… as the user wrote them)
      are kept. No entry is appended when the price in effect on that date is identical
      (``unchanged``), or when the model already has an entry on that date with different
      prices (``conflicts``: the user's entry wins; fix it by hand).
    * A model not in the catalog is added as imported (check its guessed ``tier``).
    * The merged catalog is validated before it is written; the write is atomic (temporary
      file, then ``os.replace``).

    The output is re-serialised YAML: the data of the input file is kept, its comments are not
    (keep the input file, e.g. under version control, and diff).

    Parameters
    ----------
    catalog_yaml_path : path-like
        The existing catalog (not modified unless it is also ``out_path``).
    imported : mapping
        The result of :func:`import_litellm` (or just its ``models`` mapping).
    out_path : path-like
        Where to write the merged catalog.
    overwrite : bool
        Replace ``out_path`` when it exists with different content. Without it, an existing,
        different file raises ``FileExistsError``; an identical one is left alone.

    Returns
    -------
    dict
        ``added`` (new model ids), ``appended`` (ids that got a new price entry), ``unchanged``,
        ``conflicts`` (lists of model ids), ``written`` (bool) and ``out_path``.

    Raises
    ------
    CatalogError
        The input catalog, or the merged result, is invalid.
    FileExistsError
        ``out_path`` exists, differs from the result, and ``overwrite`` is false.
    """
    src = Path(catalog_yaml_path)
    out = Path(out_path)
    try:
        data = yamlio.load(src)
    except AssumptionError as exc:
        raise CatalogError(exc.problems) from None
    catalog_from_data(data, str(src))  # the input must be valid before we touch it
    new_models = imported.get("models", imported) if isinstance(imported, Mapping) else {}
    models: dict[str, Any] = data["models"]
    index: dict[str, str] = {}
    for mid, entry in models.items():
        index[mid] = mid
        for alias in entry.get("aliases") or []:
            index[alias] = mid
    report: dict[str, Any] = {"added": [], "appended": [], "unchanged": [], "conflicts": []}
    for model_id, new_entry in new_models.items():
        new_prices = [dict(p) for p in new_entry["prices"]]
        target = index.get(model_id)
        if target is None:
            models[model_id] = {k: v for k, v in new_entry.items() if k != "prices"}
            models[model_id]["prices"] = new_prices
            index[model_id] = model_id
            report["added"].append(model_id)
            continue
        existing = models[target].setdefault("prices", [])
        changed = False
        for price in new_prices:
            when = _entry_date(price)
            same_day = [p for p in existing if _entry_date(p) == when]
            if same_day:
                key = "unchanged" if _same_prices(same_day[0], price) else "conflicts"
                report[key].append(target)
                continue
            in_effect = [p for p in existing if _entry_date(p) <= when]
            if in_effect and _same_prices(max(in_effect, key=_entry_date), price):
                report["unchanged"].append(target)
                continue
            existing.append(price)
            changed = True
        if changed:
            report["appended"].append(target)
    merged = catalog_from_data(data, str(out))  # never write an invalid catalog
    del merged
    text = (
        f"# Price catalog merged by finops_model.importers.merge_into_catalog from {src.name}\n"
        f"# on {_dt.date.today().isoformat()}. Comments of the input file are not carried over.\n"
        + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    )
    for key in ("added", "appended", "unchanged", "conflicts"):
        report[key] = list(dict.fromkeys(report[key]))
    report["out_path"] = str(out)
    if out.exists():
        current = out.read_text(encoding="utf-8")
        body = lambda s: s.split("\n", 2)[-1]  # noqa: E731 - ignore the dated header
        if body(current) == body(text):
            report["written"] = False
            return report
        if not overwrite:
            raise FileExistsError(
                f"{out}: expected a new file or overwrite=True, found an existing file with "
                "different content; not overwritten"
            )
    write_atomic(out, text)
    report["written"] = True
    return report
