"""``finops price``: the cost of one model call and its breakdown.

.. code-block:: text

    finops price MODEL --input-tokens N --output-tokens N [--cache-read-tokens N]
                 [--cache-write-tokens N] [--reasoning-tokens N] [--batch]
                 [--date YYYY-MM-DD] [--catalog PATH] [--json]

Token counts follow ARCHITECTURE §2: ``--input-tokens`` includes cache-read and cache-write
tokens, ``--output-tokens`` includes reasoning tokens. Errors are printed as one line
``file: field: message`` each on stderr, with exit status 2.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
import warnings
from typing import Any, TextIO

from finops_model.costs.pricing import (
    COMPONENTS,
    call_cost_breakdown,
    effective_rates,
    reset_fallback_warnings,
)
from finops_model.errors import FinopsError
from finops_model.inputs.catalog import load_catalog, parse_iso_date

__all__ = ["add_parser", "run"]

_TOKEN_FLAGS = (
    ("input_tokens", "--input-tokens"),
    ("output_tokens", "--output-tokens"),
    ("cache_read_tokens", "--cache-read-tokens"),
    ("cache_write_tokens", "--cache-write-tokens"),
    ("reasoning_tokens", "--reasoning-tokens"),
)

_LABELS = {
    "input": "input (uncached)",
    "cache_read": "cache read",
    "cache_write": "cache write",
    "output": "output (visible)",
    "reasoning": "reasoning",
}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``price`` subcommand on an ``argparse`` subparsers object.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The result of ``parser.add_subparsers()``.

    Returns
    -------
    argparse.ArgumentParser
        The ``price`` parser (its ``func`` default is :func:`run`).
    """
    p = subparsers.add_parser(
        "price",
        help="cost of one model call and its breakdown",
        description=(
            "Cost of one model call from the price catalog. --input-tokens includes cache-read "
            "and cache-write tokens; --output-tokens includes reasoning tokens."
        ),
    )
    p.add_argument("model", metavar="MODEL", help="model id or alias in the catalog")
    p.add_argument(
        "--input-tokens",
        type=int,
        required=True,
        metavar="N",
        help="prompt tokens, including cached ones [tokens]",
    )
    p.add_argument(
        "--output-tokens",
        type=int,
        required=True,
        metavar="N",
        help="output tokens, including reasoning [tokens]",
    )
    p.add_argument(
        "--cache-read-tokens",
        type=int,
        default=0,
        metavar="N",
        help="prompt tokens read from the prompt cache [tokens] (default 0)",
    )
    p.add_argument(
        "--cache-write-tokens",
        type=int,
        default=0,
        metavar="N",
        help="prompt tokens written to the prompt cache [tokens] (default 0)",
    )
    p.add_argument(
        "--reasoning-tokens",
        type=int,
        default=0,
        metavar="N",
        help="reasoning tokens, part of the output [tokens] (default 0)",
    )
    p.add_argument("--batch", action="store_true", help="price as a batch API call")
    p.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        default=None,
        help="date of the call, selects the price entry (default today)",
    )
    p.add_argument(
        "--catalog",
        metavar="PATH",
        default=None,
        help="price catalog YAML (default assumptions/catalog/models.yaml)",
    )
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=run)
    return p


def _fail(lines: list[str], err: TextIO) -> int:
    for line in lines:
        print(line, file=err)
    return 2


def _mtok(x: float) -> float:
    return float(f"{x * 1_000_000:.10g}")


def run(args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``finops price`` with parsed arguments.

    Parameters
    ----------
    args : argparse.Namespace
        From the parser made by :func:`add_parser`.
    out, err : text streams, optional
        Default ``sys.stdout`` / ``sys.stderr``.

    Returns
    -------
    int
        0 on success, 2 on bad input (one line per problem on ``err``).
    """
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    problems = []
    tokens: dict[str, int] = {}
    for name, flag in _TOKEN_FLAGS:
        value = getattr(args, name, 0) or 0
        if value < 0:
            problems.append(f"{flag}: expected a whole number ≥ 0, found {value}")
        tokens[name] = value
    if not problems:
        if tokens["cache_read_tokens"] + tokens["cache_write_tokens"] > tokens["input_tokens"]:
            problems.append(
                "--cache-read-tokens + --cache-write-tokens: expected at most --input-tokens "
                f"(input includes cached tokens), found {tokens['cache_read_tokens']} + "
                f"{tokens['cache_write_tokens']} > {tokens['input_tokens']}"
            )
        if tokens["reasoning_tokens"] > tokens["output_tokens"]:
            problems.append(
                "--reasoning-tokens: expected at most --output-tokens (output includes "
                f"reasoning tokens), found {tokens['reasoning_tokens']} > "
                f"{tokens['output_tokens']}"
            )
    on: _dt.date | None = None
    if args.date is not None:
        try:
            on = parse_iso_date(args.date)
        except ValueError as exc:
            problems.append(f"--date: {exc}")
    if problems:
        return _fail(problems, err)
    try:
        catalog = load_catalog(args.catalog)
        price = catalog.price(args.model, on=on)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            reset_fallback_warnings()
            parts = call_cost_breakdown(price, batch=bool(args.batch), **tokens)
            rates = effective_rates(price, tokens["input_tokens"], batch=bool(args.batch))
    except FinopsError as exc:
        lines = [str(p) for p in getattr(exc, "problems", [])] or [str(exc)]
        return _fail(lines, err)
    except ValueError as exc:
        return _fail([str(exc)], err)
    notes = [str(w.message) for w in caught]
    crossed = [t for t in price.long_context_tiers if tokens["input_tokens"] > t.threshold_tokens]
    lc = crossed[-1] if crossed else price.long_context  # the tier that prices this call
    long_applied = bool(crossed)
    component_tokens = {
        "input": tokens["input_tokens"]
        - tokens["cache_read_tokens"]
        - tokens["cache_write_tokens"],
        "cache_read": tokens["cache_read_tokens"],
        "cache_write": tokens["cache_write_tokens"],
        "output": tokens["output_tokens"] - tokens["reasoning_tokens"],
        "reasoning": tokens["reasoning_tokens"],
    }
    result: dict[str, Any] = {
        "model": price.model_id,
        "requested_model": args.model,
        "provider": price.provider,
        "tier": price.tier,
        "date": (on or _dt.date.today()).isoformat(),
        "effective_date": price.effective_date.isoformat(),
        "source": price.source,
        "discount": price.discount,
        "batch": bool(args.batch),
        "long_context_applied": long_applied,
        "long_context_threshold_tokens": lc.threshold_tokens if lc is not None else None,
        "components": {
            c: {
                "tokens": component_tokens[c],
                "rate_usd_per_mtok": _mtok(float(rates[c])),
                "cost_usd": float(parts[c]),
            }
            for c in COMPONENTS
        },
        "total_usd": float(parts["total"]),
        "warnings": notes,
    }
    if args.json:
        print(json.dumps(result, indent=2), file=out)
        return 0
    _print_table(result, out)
    for note in notes:
        print(f"note: {note}", file=err)
    return 0


def _print_table(r: dict[str, Any], out: TextIO) -> None:
    head = f"{r['model']} ({r['provider']}, {r['tier']})"
    if r["requested_model"] != r["model"]:
        head += f" — requested as {r['requested_model']!r}"
    print(head, file=out)
    print(f"price entry effective {r['effective_date']} (call date {r['date']})", file=out)
    print(f"source: {r['source']}", file=out)
    mode = []
    if r["batch"]:
        mode.append("batch rates")
    if r["long_context_applied"]:
        mode.append(
            f"long-context tier (prompt > {r['long_context_threshold_tokens']:,} tokens, "
            "whole request)"
        )
    if r["discount"]:
        mode.append(f"provider discount {r['discount']:.1%}")
    if mode:
        print("applied: " + "; ".join(mode), file=out)
    print("", file=out)
    rows = [("component", "tokens", "USD/1M tokens", "cost USD")]
    for c in COMPONENTS:
        item = r["components"][c]
        rows.append(
            (
                _LABELS[c],
                f"{item['tokens']:,}",
                f"{item['rate_usd_per_mtok']:.4f}",
                f"{item['cost_usd']:.6f}",
            )
        )
    total_tokens = sum(r["components"][c]["tokens"] for c in COMPONENTS)
    rows.append(("total", f"{total_tokens:,}", "", f"{r['total_usd']:.6f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for i, row in enumerate(rows):
        if i == len(rows) - 1:
            print("  ".join("-" * w for w in widths), file=out)
        line = "  ".join(
            cell.ljust(widths[j]) if j == 0 else cell.rjust(widths[j]) for j, cell in enumerate(row)
        )
        print(line.rstrip(), file=out)
