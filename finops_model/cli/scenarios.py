"""``finops compare``, ``finops levers`` and ``finops drift``: scenarios, savings waterfall, drift.

* ``finops compare --scenarios baseline,optimised[,stress|baseline+levers…] [--use-case ID …]``
  — KPI percentiles of each scenario, paired deltas against the first, P(cheaper);
* ``finops levers USE_CASE [--scenario NAME] [--levers FILE]`` — the savings waterfall of the
  use case's lever plan (``assumptions/levers.yaml``) in the order that works;
* ``finops drift USE_CASE [--months N]`` — month-by-month cost under compounding drift.

Every command takes ``--trials``, ``--seed``, ``--json`` and ``--assumptions``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from finops_model.cli.common import positive_int, seed_int
from finops_model.util.settings import DEFAULT_TRIALS


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--trials", type=positive_int, default=DEFAULT_TRIALS, help=f"paired Monte Carlo trials (default {DEFAULT_TRIALS:,})")
    p.add_argument("--seed", type=seed_int, default=0, help="random seed (default 0)")
    p.add_argument("--json", action="store_true", help="print a JSON object instead of a table")
    p.add_argument("--assumptions", metavar="DIR", help="assumptions folder (default: the project's)")


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("compare", help="compare scenarios across use cases (paired trials)")
    p.add_argument("--scenarios", required=True, metavar="A,B,…",
                   help="comma-separated scenarios (files in scenarios/; '<name>+levers' adds the lever plan); the first is the reference")
    p.add_argument("--use-case", dest="use_cases", action="append", metavar="ID", help="use-case id (repeatable; default: all)")
    p.add_argument("--kpi", action="append", metavar="NAME", help="KPI to show (repeatable; default: the cost and value headline)")
    p.add_argument("--levers", metavar="FILE", help="lever plans for '+levers' scenarios (default: <assumptions>/levers.yaml)")
    _common(p)
    p.set_defaults(func=run_compare)

    q = sub.add_parser("levers", help="savings waterfall of a use case's lever plan, in the order that works")
    q.add_argument("use_case", metavar="USE_CASE", help="use-case id")
    q.add_argument("--scenario", action="append", metavar="NAME", help="scenario overlay the levers start from (repeatable)")
    q.add_argument("--levers", metavar="FILE", help="lever plans (default: <assumptions>/levers.yaml)")
    q.add_argument("--kpi", default="run_rate_cost", help="cost KPI (default run_rate_cost [USD/month])")
    _common(q)
    q.set_defaults(func=run_levers)

    d = sub.add_parser("drift", help="month-by-month cost growth under compounding drift")
    d.add_argument("use_case", metavar="USE_CASE", help="use-case id")
    d.add_argument("--scenario", action="append", metavar="NAME", help="scenario overlay to start from (repeatable)")
    d.add_argument("--months", type=positive_int, default=12, help="months over which the drift accumulates (default 12)")
    _common(d)
    d.set_defaults(func=run_drift)
    return p


def _scenarios(text: str) -> list[str]:
    from finops_model.errors import AssumptionError

    items = [s.strip() for s in text.split(",") if s.strip()]
    if not items:
        raise AssumptionError.single("", "--scenarios", f"expected comma-separated scenario names, found {text!r}")
    return items


def _dump(payload: Any) -> None:
    print(json.dumps(payload, indent=2, allow_nan=False, default=str))


def run_compare(args: argparse.Namespace) -> int:
    from finops_model.decisions.scenarios import compare_scenarios, format_comparison
    from finops_model.errors import AssumptionError
    from finops_model.model.kpis import KPI_UNITS

    for k in args.kpi or ():
        if k not in KPI_UNITS:
            raise AssumptionError.single("", "--kpi", f"expected a KPI among {', '.join(KPI_UNITS)}, found {k!r}")
    c = compare_scenarios(_scenarios(args.scenarios), args.use_cases, args.assumptions, args.trials, args.seed, levers=args.levers)
    if args.json:
        payload = c.to_json()
        if args.kpi:
            payload["kpis"] = [r for r in payload["kpis"] if r["kpi"] in args.kpi]
        _dump(payload)
    else:
        print(format_comparison(c, args.kpi))
    return 0


def run_levers(args: argparse.Namespace) -> int:
    from pathlib import Path

    from finops_model.decisions.levers import load_lever_plans
    from finops_model.decisions.waterfall import format_waterfall, waterfall
    from finops_model.errors import AssumptionError
    from finops_model.inputs.assumptions import load_assumptions

    a = load_assumptions(args.assumptions, args.scenario or (), use_cases=[args.use_case])
    uc = a.use_case(args.use_case)
    plans = load_lever_plans(Path(args.levers) if args.levers else a.root / "levers.yaml")
    plan = plans.for_use_case(uc.id)
    if not plan:
        raise AssumptionError.single(plans.file, f"plans.{uc.id}", "expected a lever plan for this use case (or '*'), found none")
    w = waterfall(uc, plan, a.catalog, args.trials, args.seed, args.kpi, source=plans.file)
    if args.json:
        payload = w.to_json()
        payload.update({"scenarios": list(a.scenarios), "assumptions_hash": a.digest, "levers_file": plans.file})
        _dump(payload)
    else:
        scen = f", scenario {', '.join(a.scenarios)}" if a.scenarios else ""
        print(format_waterfall(w, f"Savings waterfall: {uc.name} ({uc.id}){scen} — {w.kpi} [{w.unit}], {args.trials:,} paired trials, seed {args.seed}"))
    return 0


def run_drift(args: argparse.Namespace) -> int:
    from finops_model.decisions.drift import DriftSpec, drift, format_drift
    from finops_model.inputs.assumptions import load_assumptions

    a = load_assumptions(args.assumptions, args.scenario or (), use_cases=[args.use_case])
    uc = a.use_case(args.use_case)
    r = drift(uc, a.catalog, DriftSpec(months=args.months), args.trials, args.seed)
    if args.json:
        df = r.to_frame()
        sh = r.shares()
        _dump({
            "use_case": uc.id, "trials": args.trials, "seed": args.seed, "unit": "USD/month", "assumptions_hash": a.digest,
            "months": df.astype(object).where(df.notna(), None).to_dict(orient="records"),
            "shares": sh.astype(object).where(sh.notna(), None).to_dict(orient="records"),
        })
    else:
        print(format_drift(r))
    return 0
