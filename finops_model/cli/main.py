"""The ``finops`` command line.

Every user error prints one line per problem, ``file: field.path: expected …, found …``, on
standard error and exits with status 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from finops_model import __version__
from finops_model.cli.common import positive_int, seed_int
from finops_model.errors import AssumptionError, FinopsError
from finops_model.util.settings import DEFAULT_TRIALS

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def _print_problems(exc: AssumptionError) -> None:
    for p in exc.problems:
        print(str(p), file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    from finops_model.decisions.levers import check_lever_file
    from finops_model.inputs.boundary import validate_paths

    ok, problems = validate_paths(args.paths, {"levers.yaml": check_lever_file})
    for line in ok:
        print(line)
    for p in problems:
        print(str(p), file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from finops_model.inputs.assumptions import load_assumptions
    from finops_model.reports.summaries import write_summaries
    from finops_model.util.paths import OUTPUTS_DIR

    a = load_assumptions(args.assumptions, args.scenario or (), use_cases=args.use_cases or None)
    out = Path(args.out) if args.out else OUTPUTS_DIR
    rep = write_summaries(a, out, args.use_cases or None, args.trials, args.seed)
    print(f"wrote {len(rep.written)} files to {rep.folder}")
    for uc_id, err in rep.failures.items():
        print(f"{uc_id}: failed: {err}", file=sys.stderr)
    return EXIT_FAILURE if rep.failures else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="finops",
        description="AI FinOps Workbench: cost, value and uncertainty of enterprise AI use cases.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("validate", help="validate assumption files (default: all of assumptions/)")
    p.add_argument("paths", nargs="*", help="files or folders to validate")
    p.set_defaults(func=cmd_validate)

    import importlib

    # Each command family lives in its own module with an ``add_parser(subparsers)`` function.
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__package__}.{name}").add_parser(sub)

    p = sub.add_parser("report", help="simulate every use case and write a run folder into outputs/")
    p.add_argument("use_cases", nargs="*", metavar="USE_CASE", help="use-case ids (default: all)")
    p.add_argument("--scenario", action="append", metavar="NAME", help="scenario overlay (repeatable)")
    p.add_argument("--trials", type=positive_int, default=DEFAULT_TRIALS, help=f"Monte Carlo trials (default {DEFAULT_TRIALS:,})")
    p.add_argument("--seed", type=seed_int, default=0)
    p.add_argument("--out", metavar="DIR", help="output folder (default: outputs/)")
    p.add_argument("--jobs", type=positive_int, default=1, help="parallel jobs")
    p.add_argument("--assumptions", metavar="DIR", help="assumptions folder (default: the project's)")
    p.set_defaults(func=cmd_report)

    return parser


#: Modules that register sub-commands, in help order.
COMMAND_MODULES: tuple[str, ...] = (
    "price",
    "simulate",
    "uncertainty",
    "scenarios",
    "tco",
    "catalog",
    "portfolio",
    "render",
    "actuals_forecast",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``finops`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except AssumptionError as exc:
        _print_problems(exc)
        return EXIT_USAGE
    except FinopsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
