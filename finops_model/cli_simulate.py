"""``finops simulate``: simulate one use case and print its KPI summary."""

from __future__ import annotations

import argparse

from .cli_common import positive_int, seed_int


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("simulate", help="simulate one use case and print its KPI summary")
    p.add_argument("use_case", metavar="USE_CASE", help="use-case id (file stem in assumptions/use_cases)")
    p.add_argument("--scenario", action="append", metavar="NAME", help="scenario overlay (repeatable, applied in order)")
    p.add_argument("--trials", type=positive_int, default=10_000, help="Monte Carlo trials (default 10,000)")
    p.add_argument("--seed", type=seed_int, default=0, help="random seed (default 0)")
    p.add_argument("--method", choices=("mc", "lhs", "sobol"), default="mc", help="sampling design (default mc)")
    p.add_argument("--json", action="store_true", help="print a JSON object instead of a table")
    p.add_argument("--assumptions", metavar="DIR", help="assumptions folder (default: the project's)")
    p.set_defaults(func=run)

    return p


def run(args: argparse.Namespace) -> int:
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
    return 0
