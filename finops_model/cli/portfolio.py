"""``finops gate`` and ``finops portfolio``: the production gate and the portfolio roll-up.

``finops gate [USE_CASE ...]`` prints PASS/FAIL per use case with every missing item and exits
1 when any use case fails (2 when a file is invalid), so it can guard a CI pipeline.

``finops portfolio`` rolls up every use case over the chosen scenarios: totals and splits,
model-tier mix, showback and chargeback of the platform pool, budget outlooks, decisions and
the gate; ``--focus PATH`` also writes the showback as a FOCUS 1.2-compatible CSV.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from finops_model.cli.common import positive_int, seed_int
from finops_model.util.settings import DEFAULT_TRIALS

EXIT_FAILURE = 1


def _scenario_list(text: str) -> list[str]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected scenario names separated by commas, found {text!r}")
    return names


def add_parser(sub: argparse._SubParsersAction) -> None:
    from finops_model.governance.allocation import RULES

    g = sub.add_parser("gate", help="production-gate checklist per use case (exit 1 on a failure)")
    g.add_argument("use_cases", nargs="*", metavar="USE_CASE", help="use-case ids (default: all)")
    g.add_argument("--verbose", "-v", action="store_true", help="show passing items too")
    g.add_argument("--json", action="store_true", help="print a JSON object instead of text")
    g.add_argument("--assumptions", metavar="DIR", help="assumptions folder (default: the project's)")
    g.set_defaults(func=run_gate)

    p = sub.add_parser("portfolio", help="roll up every use case: splits, showback, chargeback, budgets, decisions")
    p.add_argument("--scenarios", type=_scenario_list, metavar="A,B", help="scenarios to roll up (default: the files as written)")
    p.add_argument("--allocate", choices=RULES, default="spend", help="rule for the shared platform pool (default spend)")
    p.add_argument("--trials", type=positive_int, default=DEFAULT_TRIALS, help=f"Monte Carlo trials (default {DEFAULT_TRIALS:,})")
    p.add_argument("--seed", type=seed_int, default=0, help="random seed (default 0)")
    p.add_argument("--jobs", type=positive_int, default=2, help="local worker processes (default 2)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://host:8786 (instead of local processes)")
    p.add_argument("--focus", metavar="PATH", help="also write the showback as a FOCUS 1.2 CSV")
    p.add_argument("--month", metavar="YYYY-MM", help="billing month of the FOCUS rows (default: this month)")
    p.add_argument("--json", action="store_true", help="print a JSON object instead of tables")
    p.add_argument("--assumptions", metavar="DIR", help="assumptions folder (default: the project's)")
    p.set_defaults(func=run_portfolio)


# ------------------------------------------------------------------------------- gate
def run_gate(args: argparse.Namespace) -> int:
    from finops_model.governance.gate import evaluate_gates, format_gate
    from finops_model.inputs.assumptions import load_assumptions

    a = load_assumptions(args.assumptions, (), use_cases=args.use_cases or None)
    results = evaluate_gates(a.use_cases.values(), a.catalog, a.files)
    if args.json:
        print(json.dumps({"passed": all(r.passed for r in results), "use_cases": [r.to_dict() for r in results]}, indent=2))
    else:
        print(format_gate(results, verbose=args.verbose))
    return 0 if all(r.passed for r in results) else EXIT_FAILURE


# ------------------------------------------------------------------------------- portfolio
def _num(x: Any) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        if abs(x) >= 100:
            return f"{x:,.0f}"
        return f"{x:,.4g}"
    return str(x)


def _table(df: Any, share_cols: tuple[str, ...] = ()) -> str:
    if df is None or len(df) == 0:
        return "  (none)"
    cols = list(df.columns)
    cells = [[("—" if v is None else f"{v:.0%}") if c in share_cols and v is not None and not (isinstance(v, float) and math.isnan(v)) else _num(v)
              for c, v in zip(cols, row, strict=True)] for row in df.itertuples(index=False)]
    widths = [max(len(str(c)), *(len(r[i]) for r in cells)) for i, c in enumerate(cols)]
    out = ["  " + "  ".join(str(c).ljust(w) for c, w in zip(cols, widths, strict=True))]
    out.append("  " + "  ".join("-" * w for w in widths))
    for r in cells:
        out.append("  " + "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True))))
    return "\n".join(out)


def portfolio_report(p: Any, rule: str = "spend") -> dict[str, Any]:
    """Everything ``finops portfolio`` shows, as plain data (tables as pandas DataFrames)."""
    from finops_model.governance.allocation import chargeback, showback
    from finops_model.governance.budgets import cost_center_outlooks
    from finops_model.governance.verdicts import recommend

    out: dict[str, Any] = {"totals": p.totals_table(), "scenarios": {}}
    for sc in p.scenarios:
        section: dict[str, Any] = {}
        section["splits"] = {dim: p.split_table(dim, sc) for dim in
                             ("team", "owner", "cost_center", "environment", "model", "provider", "tier", "layer")}
        section["tier_mix"] = p.tier_mix(sc)
        section["frontier_by_default"] = p.frontier_by_default(sc)
        section["showback"] = showback(p, rule, sc)
        section["chargeback"] = chargeback(p, rule, sc)
        section["budgets_use_cases"] = {k: ru.budget for k, ru in p.use_cases[sc].items()}
        section["budgets_cost_centers"] = cost_center_outlooks(p.monthly_by_cost_center[sc], p.cost_center_budgets)
        decisions = {}
        for uc_id, ru in p.use_cases[sc].items():
            gate = p.gate.get(uc_id)
            decisions[uc_id] = recommend(uc_id, ru.decision, gate.passed if gate else True, gate.missing if gate else ())
        section["decisions"] = decisions
        out["scenarios"][sc] = section
    out["differences"] = [p.scenario_difference(sc) for sc in p.scenarios[1:]]
    return out


def _budget_df(outlooks: dict[str, Any]) -> Any:
    from finops_model.governance.budgets import outlook_table

    return outlook_table(outlooks)


def _decision_df(decisions: dict[str, Any]) -> Any:
    from finops_model.governance.verdicts import decisions_table

    return decisions_table(decisions)


def format_portfolio(p: Any, report: dict[str, Any], rule: str) -> str:
    lines = [f"AI portfolio — {len(p.info)} use cases, scenarios {', '.join(p.scenarios)}; {p.n_trials:,} trials, "
             f"seed {p.seed}, trials aligned across use cases ({p.coupling} use-case inputs); money in USD/month",
             "", "Portfolio totals [USD/month, average over live months]", _table(report["totals"])]
    for d in report["differences"]:
        lines.append(f"  {d['scenario']} − {d['reference']}: mean {_num(d['mean'])} (p5 {_num(d['p5'])}, p95 {_num(d['p95'])}), "
                     f"lower in {d['p_lower']:.0%} of paired trials")
    for sc, s in report["scenarios"].items():
        lines += ["", f"===== scenario {sc} ====="]
        for dim, df in s["splits"].items():
            lines += ["", f"Monthly cost by {dim.replace('_', ' ')} [USD/month]", _table(df, ("share",))]
        lines += ["", "Model-tier mix (model calls)", _table(s["tier_mix"], ("cost_share", "calls_share"))]
        fbd = s["frontier_by_default"]
        if len(fbd):
            lines += ["Frontier-by-default: routine steps on frontier or reasoning models",
                      _table(fbd[["use_case", "step", "kind", "model", "tier", "cost_mean"]])]
        else:
            lines.append("Frontier-by-default: none (no routine step runs on a frontier or reasoning model)")
        lines += ["", f"Platform pool mean {_num(float(p.pool.mean()))} USD/month; showback, allocated by {rule}",
                  _table(s["showback"].drop(columns=["team", "owner", "environment"]), ("share",)),
                  "", "Chargeback per cost center [USD/month]", _table(s["chargeback"], ("p_over_budget",)),
                  "", "Budgets per use case (P(exceed) in the worst month; month a breach / alert becomes likely)",
                  _table(_budget_df(s["budgets_use_cases"]), ("p_exceed_max",)),
                  "", "Budgets per cost center", _table(_budget_df(s["budgets_cost_centers"]), ("p_exceed_max",)),
                  "", "Decisions (when to scale)", _table(_decision_df(s["decisions"]), ("p_viable_at_scale", "required_cut"))]
    if p.gate:
        lines += ["", "Production gate"]
        for r in p.gate.values():
            lines.append(f"  {'PASS' if r.passed else 'FAIL'} {r.use_case}" + (f": missing {', '.join(r.missing)}" if not r.passed else ""))
    return "\n".join(lines)


def _jsonable(x: Any) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(x, pd.DataFrame):
        return [{k: _jsonable(v) for k, v in row.items()} for row in x.to_dict(orient="records")]
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if hasattr(x, "to_dict"):
        return _jsonable(x.to_dict())
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def run_portfolio(args: argparse.Namespace) -> int:
    from finops_model.governance.focus import parse_month, write_focus_csv
    from finops_model.governance.portfolio import load_portfolio, rollup_assumptions
    from finops_model.util.runs import stamp

    loaded = load_portfolio(args.assumptions, args.scenarios or ())
    month = parse_month(args.month) if args.month else None
    p = rollup_assumptions(loaded, args.trials, args.seed, jobs=args.jobs, scheduler=args.scheduler)
    report = portfolio_report(p, args.allocate)
    first = next(iter(loaded.values()))
    written = None
    if args.focus:
        written = write_focus_csv(args.focus, p, args.allocate, p.scenarios[0], month, first.org.name)
    if args.json:
        payload = {"stamp": {**stamp(first, args.seed, args.trials), "assumptions_hash": p.digest,
                             "scenarios": list(p.scenarios), "allocation_rule": args.allocate},
                   "totals": report["totals"], "differences": report["differences"],
                   "gate": {k: r.to_dict() for k, r in p.gate.items()}, "scenarios": report["scenarios"]}
        if written:
            payload["focus_csv"] = str(written)
        print(json.dumps(_jsonable(payload), indent=1))
    else:
        print(format_portfolio(p, report, args.allocate))
        if written:
            print(f"\nwrote FOCUS showback to {written}")
    return 0
