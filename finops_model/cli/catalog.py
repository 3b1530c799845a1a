"""``finops catalog``: keep the price catalog current from the public catalogs.

``finops catalog import-litellm FILE [--providers …] [--models …] [--date …] [--assumptions DIR]``
merges LiteLLM's ``model_prices_and_context_window.json`` into the assumptions'
``catalog/models.yaml``; ``finops catalog import-genai-prices FILE`` does the same for the
pydantic/genai-prices ``data.json`` with its effective dates (price history). The file keeps its
comments and every earlier dated entry; a new dated entry is appended only where a price
changed. The command reports what it added, changed and skipped, with reasons.
"""

from __future__ import annotations

import argparse
import datetime as _dt
from collections import Counter
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("catalog", help="import prices from the public catalogs (LiteLLM, genai-prices) into catalog/models.yaml")
    verbs = p.add_subparsers(dest="catalog_command", metavar="VERB")
    verbs.required = True
    for verb, what in (("import-litellm", "LiteLLM model_prices_and_context_window.json"),
                       ("import-genai-prices", "pydantic/genai-prices prices/data.json (with effective dates)")):
        q = verbs.add_parser(verb, help=f"merge the {what} into the catalog")
        q.add_argument("file", metavar="FILE", help=f"the {what}")
        q.add_argument("--providers", nargs="+", metavar="NAME", help="keep only these providers (glob patterns allowed)")
        q.add_argument("--models", nargs="+", metavar="ID", help="keep only these model ids (glob patterns allowed, e.g. 'gpt-5*')")
        q.add_argument("--date", metavar="YYYY-MM-DD", help="date the file's (undated) prices take effect (default today)")
        q.add_argument("--assumptions", metavar="DIR", help="assumptions folder whose catalog/models.yaml is merged into (default: the project's)")
        q.add_argument("--out", metavar="FILE", help="write the merged catalog here instead of in place")
        q.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
        q.add_argument("--verbose", action="store_true", help="list every skipped model with its reason")
        q.set_defaults(func=run, importer=verb)
    return p


def run(args: argparse.Namespace) -> int:
    """Import, merge and report; returns the exit status (user errors raise FinopsError → 2)."""
    import tempfile

    from finops_model.errors import CatalogError, Problem
    from finops_model.inputs import importers
    from finops_model.util.paths import ASSUMPTIONS_DIR

    folder = Path(args.assumptions) if args.assumptions else ASSUMPTIONS_DIR
    target = folder / "catalog" / "models.yaml"
    if not target.is_file():
        raise CatalogError(Problem(str(target), "", "expected the catalog to merge into (catalog/models.yaml of --assumptions), found none"))
    date = args.date or _dt.date.today().isoformat()
    read = importers.import_litellm if args.importer == "import-litellm" else importers.import_genai_prices
    imported = read(args.file, providers=args.providers, models=args.models, effective_date=date)
    out = Path(args.out) if args.out else target
    if args.dry_run:
        with tempfile.TemporaryDirectory() as tmp:
            report = importers.merge_into_catalog(target, imported, Path(tmp) / "models.yaml")
    else:
        report = importers.merge_into_catalog(target, imported, out, overwrite=out == target or out.resolve() == target.resolve())
    _print_report(args, imported, report, out)
    return 0


def _print_report(args: argparse.Namespace, imported: dict[str, Any], report: dict[str, Any], out: Path) -> None:
    print(f"read {len(imported['models'])} models from {imported['file']} (prices effective {imported['effective_date']})")
    print(f"added {len(report['added'])} models, changed {len(report['changed'])} (a new dated price), "
          f"unchanged {len(report['unchanged'])}, conflicts {len(report['conflicts'])} (an entry of that date differs: kept yours)")
    for key in ("added", "changed", "conflicts"):
        ids = report[key]
        if ids:
            more = f" … and {len(ids) - 10} more" if len(ids) > 10 and not args.verbose else ""
            print(f"  {key}: {', '.join(ids if args.verbose else ids[:10])}{more}")
    reasons = Counter(imported["skipped"])
    reasons.pop("filtered out", None)
    if reasons:
        print("skipped: " + ", ".join(f"{n} {why}" for why, n in reasons.most_common()))
    if args.verbose:
        for mid, why in imported["skipped_models"].items():
            print(f"  skipped {mid}: {why}")
    for mid, note in imported.get("notes", {}).items():
        print(f"  kept {mid}, {note}")
    if args.dry_run:
        print("dry run: nothing written")
    else:
        print(f"wrote {out}" if report["written"] else f"{out}: already up to date, not rewritten")
