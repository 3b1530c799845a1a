"""The ``finops`` command line.

Every user error prints one line per problem, ``file: field.path: expected …, found …``, on
standard error and exits with status 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from . import __version__
from .errors import AssumptionError, FinopsError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def _print_problems(exc: AssumptionError) -> None:
    for p in exc.problems:
        print(str(p), file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    from .assumptions import validate_paths

    ok, problems = validate_paths(args.paths)
    for line in ok:
        print(line)
    for p in problems:
        print(str(p), file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number ≥ 1, found {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0, found {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0, found {value}")
    return value


def cmd_simulate(args: argparse.Namespace) -> int:
    import json

    from .assumptions import load_assumptions
    from .engine import simulate
    from .summary import format_table, summarise, summary_json

    a = load_assumptions(args.assumptions, args.scenario or (), use_cases=[args.use_case])
    uc = a.use_case(args.use_case)
    result = simulate(uc, a.catalog, args.trials, args.seed, args.method)
    if args.json:
        payload = summary_json(result)
        payload["scenarios"] = list(a.scenarios)
        payload["assumptions_hash"] = a.digest
        print(json.dumps(payload, indent=2))
    else:
        scen = f", scenario {', '.join(a.scenarios)}" if a.scenarios else ""
        title = f"{uc.name} ({uc.id}){scen} — {args.trials:,} trials, seed {args.seed}, method {args.method}"
        print(format_table(summarise(result), title))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .assumptions import load_assumptions
    from .paths import OUTPUTS_DIR
    from .report import write_summaries

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

    from . import cli_price

    cli_price.add_parser(sub)

    p = sub.add_parser("simulate", help="simulate one use case and print its KPI summary")
    p.add_argument("use_case", metavar="USE_CASE", help="use-case id (file stem in assumptions/use_cases)")
    p.add_argument("--scenario", action="append", metavar="NAME", help="scenario overlay (repeatable, applied in order)")
    p.add_argument("--trials", type=_positive_int, default=10_000, help="Monte Carlo trials (default 10,000)")
    p.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    p.add_argument("--method", choices=("mc", "lhs", "sobol"), default="mc", help="sampling design (default mc)")
    p.add_argument("--json", action="store_true", help="print a JSON object instead of a table")
    p.add_argument("--assumptions", metavar="DIR", help="assumptions folder (default: the project's)")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("report", help="simulate every use case and write a run folder into outputs/")
    p.add_argument("use_cases", nargs="*", metavar="USE_CASE", help="use-case ids (default: all)")
    p.add_argument("--scenario", action="append", metavar="NAME", help="scenario overlay (repeatable)")
    p.add_argument("--trials", type=_positive_int, default=10_000)
    p.add_argument("--seed", type=_seed, default=0)
    p.add_argument("--out", metavar="DIR", help="output folder (default: outputs/)")
    p.add_argument("--jobs", type=_positive_int, default=1, help="parallel jobs")
    p.add_argument("--assumptions", metavar="DIR", help="assumptions folder (default: the project's)")
    p.set_defaults(func=cmd_report)

    for register in _EXTRA_COMMANDS:
        register(sub)
    return parser


#: Registration hooks of further sub-commands (each takes the sub-parsers object).
_EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = []


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
