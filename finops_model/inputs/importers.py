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
                                            (every threshold kept: a list of tiers)
``tiered_pricing`` (two or more ranges)     base rates + one ``long_context`` tier per
                                            further range, at the range's start
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

from pydantic import ValidationError

from finops_model.errors import AssumptionError, CatalogError, Problem
from finops_model.inputs.catalog import ModelEntry, catalog_from_data, parse_iso_date
from finops_model.inputs.validation import problems_from_validation_error
from finops_model.util import yamlio
from finops_model.util.io import write_atomic

__all__ = ["PROVIDER_NAMES", "import_genai_prices", "import_litellm", "merge_into_catalog"]

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
    base = {
        f: _number(spec.get(k)) for k, f in _TIER_FIELD.items()
    }
    usable = []
    for threshold in sorted(tiers):
        rates = tiers[threshold]
        # a tier needs both token rates: take a missing one from the base (unchanged above it)
        for f in ("input_per_mtok", "output_per_mtok"):
            if f not in rates and base[f] is not None:
                rates[f] = _per_mtok(base[f])
        # an above-threshold rate whose base rate is not listed has nothing to stay above: dropped
        for f in _TIER_FIELD.values():
            if f in rates and base[f] is None and f not in ("input_per_mtok", "output_per_mtok"):
                del rates[f]
        if "input_per_mtok" in rates and "output_per_mtok" in rates:
            usable.append({"threshold_tokens": threshold, **rates})
    if not usable:
        return None
    return usable[0] if len(usable) == 1 else usable  # every tier kept


_RANGE_RATES = {
    "input_cost_per_token": "input_per_mtok",
    "output_cost_per_token": "output_per_mtok",
    "cache_read_input_token_cost": "cache_read_per_mtok",
    "cache_creation_input_token_cost": "cache_write_per_mtok",
    "output_cost_per_reasoning_token": "reasoning_per_mtok",
}


def _tiered_pricing(spec: Mapping[str, Any]) -> tuple[dict[str, float], dict[str, Any] | list[dict[str, Any]]] | None:
    """LiteLLM ``tiered_pricing`` (two or more prompt-size ranges) → base rates + one
    long-context tier per further range (its threshold = the range's start)."""
    tiers = spec.get("tiered_pricing")
    if not isinstance(tiers, list) or len(tiers) < 2:
        return None
    try:
        ranges = sorted(tiers, key=lambda t: float(t["range"][0]))
        levels = []
        for t in ranges:
            rates = {f: _per_mtok(t[k]) for k, f in _RANGE_RATES.items() if _number(t.get(k)) is not None}
            if "input_per_mtok" not in rates or "output_per_mtok" not in rates:
                return None
            levels.append((int(float(t["range"][0])), rates))
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    base = levels[0][1]
    longs = [{"threshold_tokens": start, **{f: r for f, r in rates.items() if f in base}} for start, rates in levels[1:]]
    return base, longs[0] if len(longs) == 1 else longs


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
    dropped: list[str] = []
    for _ in range(4):  # one odd field does not reject the whole entry: drop it and say so
        try:
            ModelEntry.model_validate(entry)
        except ValidationError as exc:
            first = problems_from_validation_error(exc, "", ModelEntry)[0]
            if not _drop_field(entry, first.path):
                return None, f"invalid: {first.path}: {first.message}" if first.path else first.message
            dropped.append(f"{first.path} ({first.message})")
            continue
        unbased = sorted(k for k in spec if (m := _TIER_KEY.match(k)) and m.group(1) not in ("input_cost_per_token", "output_cost_per_token")
                         and _number(spec.get(m.group(1))) is None and _number(spec[k]) is not None)
        dropped = [f"{k} (no base rate listed to stay above)" for k in unbased] + dropped
        return entry, "; ".join(f"dropped {d}" for d in dropped)
    return None, "invalid: " + "; ".join(dropped)


#: Optional price fields an import may drop when they break a rule (the entry is kept).
_DROPPABLE = {"cache_read_per_mtok", "cache_write_per_mtok", "reasoning_per_mtok", "batch_input_per_mtok", "batch_output_per_mtok"}


def _drop_field(entry: dict[str, Any], path: str) -> bool:
    """Remove the optional field at ``path`` (``prices.0.long_context[.k].name``) of an entry."""
    parts = path.split(".")
    if parts[-1] not in _DROPPABLE:
        return False
    node: Any = entry
    try:
        for seg in parts[:-1]:
            node = node[int(seg)] if isinstance(node, list) else node[seg]
        del node[parts[-1]]
    except (KeyError, IndexError, ValueError, TypeError):
        return False
    return True


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
    notes: dict[str, str] = {}
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
        if entry is not None and reason:
            notes[model_id] = reason
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
        "notes": notes,
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
      in its ``prices`` list only where the price changed; its other fields (provider, tier,
      aliases… as the user wrote them) and every earlier dated entry are kept. No entry is
      appended when the price in effect on that date is identical (``unchanged``), or when the
      model already has an entry on that date with different prices (``conflicts``: the user's
      entry wins; fix it by hand).
    * A model not in the catalog is added as imported (check its guessed ``tier``).
    * The file is edited as a YAML round trip (ruamel.yaml): its comments, key order and layout
      are kept. The merged catalog is validated before it is written; the write is atomic.

    Parameters
    ----------
    catalog_yaml_path : path-like
        The existing catalog (not modified unless it is also ``out_path``).
    imported : mapping
        The result of :func:`import_litellm` / :func:`import_genai_prices` (or a ``models``
        mapping of model id → entry with one or more dated ``prices``).
    out_path : path-like
        Where to write the merged catalog.
    overwrite : bool
        Replace ``out_path`` when it exists with different content. Without it, an existing,
        different file raises ``FileExistsError``; an identical one is left alone.

    Returns
    -------
    dict
        ``added`` (new model ids), ``appended`` (ids that got a new price entry; also under
        ``changed``), ``unchanged``, ``conflicts`` (lists of model ids), ``written`` (bool) and
        ``out_path``.

    Raises
    ------
    CatalogError
        The input catalog, or the merged result, is invalid.
    FileExistsError
        ``out_path`` exists, differs from the result, and ``overwrite`` is false.
    """
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    src = Path(catalog_yaml_path)
    out = Path(out_path)
    try:
        yamlio.load(src)  # the project's safe loader first: duplicate keys, bombs, syntax
        text_in = src.read_text(encoding="utf-8")
    except AssumptionError as exc:
        raise CatalogError(exc.problems) from None
    catalog_from_data(yamlio.loads(text_in, str(src)), str(src))  # valid before we touch it
    rt = YAML(typ="rt")
    rt.width = 4096
    rt.preserve_quotes = True
    rt.representer.add_representer(type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    rt.indent(mapping=2, sequence=4, offset=2)
    try:
        data = rt.load(text_in)
    except YAMLError as exc:  # pragma: no cover - the safe loader refused it first
        raise CatalogError(Problem(str(src), "", f"expected YAML, found: {exc}")) from None
    new_models = imported.get("models", imported) if isinstance(imported, Mapping) else {}
    models = data["models"]
    index: dict[str, str] = {}
    for mid, entry in models.items():
        index[mid] = mid
        for alias in entry.get("aliases") or []:
            index[alias] = mid
    report: dict[str, Any] = {"added": [], "appended": [], "unchanged": [], "conflicts": []}
    for model_id, new_entry in new_models.items():
        new_prices = sorted((dict(p) for p in new_entry["prices"]), key=_entry_date)
        target = index.get(model_id)
        if target is None:
            models[model_id] = {k: v for k, v in new_entry.items() if k != "prices"}
            models[model_id]["prices"] = _dedupe_history(new_prices)
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
    buf = io.StringIO()
    rt.dump(data, buf)
    text = buf.getvalue()
    catalog_from_data(yamlio.loads(text, str(out)), str(out))  # never write an invalid catalog
    for key in ("added", "appended", "unchanged", "conflicts"):
        report[key] = list(dict.fromkeys(report[key]))
    report["changed"] = report["appended"]
    report["out_path"] = str(out)
    if out.exists():
        if out.read_text(encoding="utf-8") == text:
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


def _dedupe_history(prices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dated prices, oldest first, keeping an entry only where the price changed."""
    kept: list[dict[str, Any]] = []
    for p in prices:
        if kept and (_entry_date(kept[-1]) == _entry_date(p) or _same_prices(kept[-1], p)):
            continue
        kept.append(p)
    return kept


# --------------------------------------------------------------------------- genai-prices
GENAI_PRICES_SOURCE = "pydantic/genai-prices prices/data.json"

_GENAI_RATES = {
    "input_mtok": "input_per_mtok",
    "output_mtok": "output_per_mtok",
    "cache_read_mtok": "cache_read_per_mtok",
    "cache_write_mtok": "cache_write_per_mtok",
}


def _genai_rates(prices: Mapping[str, Any]) -> dict[str, Any] | None:
    """One genai-prices ``prices`` object → catalog rates (whole-request long-context tiers)."""
    base: dict[str, float] = {}
    tiers: dict[str, list[tuple[int, float]]] = {}
    for theirs, ours in _GENAI_RATES.items():
        value = prices.get(theirs)
        if isinstance(value, Mapping):
            number = _number(value.get("base"))
            steps = [(int(t["start"]), float(t["price"])) for t in value.get("tiers") or [] if _number(t.get("price")) is not None]
            if steps:
                tiers[ours] = sorted(steps)
        else:
            number = _number(value)
        if number is not None:
            base[ours] = float(f"{number:.12g}")
    if "input_per_mtok" not in base and "output_per_mtok" not in base:
        return None
    base.setdefault("input_per_mtok", 0.0)
    base.setdefault("output_per_mtok", 0.0)
    rates: dict[str, Any] = dict(base)
    starts = sorted({s for steps in tiers.values() for s, _ in steps})
    long = []
    for start in starts:
        tier: dict[str, Any] = {"threshold_tokens": start}
        for ours in base:
            above = [p for s, p in tiers.get(ours, []) if s <= start]
            tier[ours] = above[-1] if above else base[ours]
        long.append(tier)
    if long:
        rates["long_context"] = long[0] if len(long) == 1 else long
    return rates


def import_genai_prices(
    json_path: str | os.PathLike[str],
    *,
    providers: Iterable[str] | None = None,
    models: Iterable[str] | None = None,
    effective_date: _dt.date | str,
    source: str = GENAI_PRICES_SOURCE,
) -> dict[str, Any]:
    """Read the genai-prices catalog (pydantic/genai-prices ``prices/data.json``) with its
    effective dates: every dated price becomes a dated catalog entry (price history).

    * A model's undated price is the price before its first dated change; the file does not
      say since when, so it is dated ``effective_date`` or, when a dated change comes earlier,
      the day before that change.
    * ``start_date`` constraints become effective dates; time-of-day prices (``start_time`` /
      ``end_time``, off-peak discounts) are not imported (reported in ``notes``).
    * Tiered prices (``{base, tiers: [{start, price}]}``) become long-context tiers, priced for
      the whole request above each start (ARCHITECTURE §2), every tier kept.
    * Audio and per-request prices are not imported.

    Returns the same mapping as :func:`import_litellm` (``models``, ``skipped``,
    ``skipped_models``, ``notes``, ``effective_date``, ``source``, ``file``), ready for
    :func:`merge_into_catalog`.
    """
    file = str(json_path)
    try:
        on = parse_iso_date(effective_date)
    except ValueError as exc:
        raise CatalogError(Problem("", "effective_date", str(exc))) from None
    try:
        data = json.loads(Path(json_path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(Problem(file, "", "expected a file, found nothing at this path")) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError(Problem(file, "", f"expected a JSON document, found invalid JSON: {exc}")) from None
    if not isinstance(data, list):
        raise CatalogError(Problem(file, "", "expected a JSON list of providers (genai-prices data.json), found something else"))
    provider_list = list(providers) if providers is not None else None
    model_list = list(models) if models is not None else None
    seen = Counter(str(m.get("id")) for p in data if isinstance(p, dict) for m in p.get("models") or [] if isinstance(m, dict))
    imported: dict[str, Any] = {}
    skipped: Counter[str] = Counter()
    skipped_models: dict[str, str] = {}
    notes: dict[str, str] = {}
    for pi, prov in enumerate(data):
        if not isinstance(prov, dict) or not isinstance(prov.get("models"), list):
            skipped["not a provider entry"] += 1
            continue
        provider = normalise_provider(str(prov.get("id") or f"provider-{pi}"))
        for m in prov["models"]:
            mid = str(m.get("id") or "")
            model_id = mid if seen[mid] == 1 else f"{provider}/{mid}"
            if not (provider_list is None or _matches(provider, provider_list)) or not (_matches(model_id, model_list) or _matches(mid, model_list)):
                skipped["filtered out"] += 1
                continue
            raw = m.get("prices")
            listed = raw if isinstance(raw, list) else [{"prices": raw}]
            dated: list[tuple[_dt.date | None, dict[str, Any]]] = []
            left_out = []
            for e in listed:
                c = e.get("constraint") or {}
                if "start_time" in c or "end_time" in c:
                    left_out.append(f"time-of-day price {c.get('start_time')}–{c.get('end_time')} not imported")
                    continue
                rates = _genai_rates(e.get("prices") or {})
                if rates is None:
                    left_out.append("a price without token rates not imported")
                    continue
                dated.append((parse_iso_date(c["start_date"]) if "start_date" in c else None, rates))
            if not dated:
                skipped["no token prices"] += 1
                skipped_models[model_id] = "no token prices" + (f" ({'; '.join(left_out)})" if left_out else "")
                continue
            first_change = min((d for d, _ in dated if d is not None), default=None)
            undated_on = on if first_change is None or on < first_change else first_change - _dt.timedelta(days=1)
            prices = []
            for when, rates in sorted(dated, key=lambda x: x[0] or undated_on):
                prices.append({"effective_date": when or undated_on, "source": f"{source}, {provider} model '{mid}'"
                               + ("" if when else " (undated: price before the first dated change)"), **rates})
            entry: dict[str, Any] = {
                "provider": provider,
                "tier": guess_tier("chat", prices[-1]["input_per_mtok"], prices[-1]["output_per_mtok"], False),
                "prices": _dedupe_history(prices),
            }
            if isinstance(m.get("context_window"), int) and m["context_window"] > 0:
                entry["context_window"] = m["context_window"]
            try:
                ModelEntry.model_validate(entry)
            except ValidationError as exc:
                first = problems_from_validation_error(exc, "", ModelEntry)[0]
                skipped["invalid"] += 1
                skipped_models[model_id] = f"invalid: {first.path}: {first.message}"
                continue
            if left_out:
                notes[model_id] = "; ".join(left_out)
            imported[model_id] = entry
    return {"models": imported, "skipped": dict(skipped), "skipped_models": skipped_models, "notes": notes,
            "effective_date": on, "source": source, "file": file}
