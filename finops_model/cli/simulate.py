"""``finops simulate``: simulate one use case and print its KPI summary.

Every statistic carries its Monte Carlo precision: the mean ± the half-width of its 95 %
confidence interval, and an order-statistic interval for the p95. ``--until-precision PCT``
adds trials until the chosen KPIs' means and p95 are known within ±PCT % (95 % confidence);
``--sensitivity`` adds the inputs that drive NPV and monthly cost (Spearman rank correlation
on the same trials). Runs above ``CHUNKED_ABOVE`` trials are simulated in chunks in bounded
memory (for plain Monte Carlo, identical to the unchunked run).
"""

from __future__ import annotations

import argparse

from finops_model.cli.common import positive_int, seed_int
from finops_model.util.settings import DEFAULT_TRIALS

#: Trials above which ``simulate`` runs in chunks [trials].
CHUNKED_ABOVE = 1_000_000
#: Trials used for ``--sensitivity`` at most [trials] (the run's first trials).
SENSITIVITY_TRIALS = 200_000


def _percent(text: str) -> float:
    t = text.strip().rstrip("%").strip()
    try:
        v = float(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage such as 1 or 0.5%, found {text!r}") from None
    if not 0 < v < 100:
        raise argparse.ArgumentTypeError(f"expected a percentage between 0 and 100, found {text!r}")
    return v / 100


def _csv(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("simulate", help="simulate one use case and print its KPI summary")
    p.add_argument("use_case", metavar="USE_CASE", help="use-case id (file stem in assumptions/use_cases)")
    p.add_argument("--scenario", action="append", metavar="NAME", help="scenario overlay (repeatable, applied in order)")
    p.add_argument("--trials", type=positive_int, default=DEFAULT_TRIALS, help=f"Monte Carlo trials (default {DEFAULT_TRIALS:,}; above 1,000,000 run in chunks)")
    p.add_argument("--seed", type=seed_int, default=0, help="random seed (default 0)")
    p.add_argument("--method", choices=("mc", "lhs", "sobol"), default="mc", help="sampling design (default mc)")
    p.add_argument("--until-precision", type=_percent, metavar="PCT",
                   help="add trials until the means and p95 of --precision-kpis are within ±PCT %% at 95%% confidence")
    p.add_argument("--precision-kpis", type=_csv, default=["avg_monthly_cost", "npv"], metavar="A,B",
                   help="KPIs whose precision --until-precision requires (default monthly_cost,npv)")
    p.add_argument("--max-trials", type=positive_int, default=2_000_000, help="cap on trials for --until-precision (default 2,000,000)")
    p.add_argument("--sensitivity", action="store_true", help="also rank the inputs that drive NPV and monthly cost (Spearman)")
    p.add_argument("--json", action="store_true", help="print a JSON object instead of a table")
    p.add_argument("--assumptions", metavar="DIR", help="assumptions folder (default: the project's)")
    p.set_defaults(func=run)

    return p


def run(args: argparse.Namespace) -> int:
    import json

    from finops_model.inputs.assumptions import load_assumptions
    from finops_model.model.engine import simulate
    from finops_model.uncertainty.precision import (
        format_summary,
        kpi_summary,
        simulate_chunked,
        simulate_until_precision,
        summary_records,
    )
    from finops_model.uncertainty.summary import summary_json

    a = load_assumptions(args.assumptions, args.scenario or (), use_cases=[args.use_case])
    uc = a.use_case(args.use_case)
    precision = None
    result = None
    if args.until_precision is not None:
        precision = simulate_until_precision(uc, a.catalog, args.precision_kpis, args.until_precision, 0.95,
                                             args.max_trials, min(args.trials, args.max_trials), args.seed, args.method)
        df, trials = precision.summary, precision.trials
    elif args.trials > CHUNKED_ABOVE:
        df, trials = simulate_chunked(uc, a.catalog, args.trials, args.seed, args.method).summary(), args.trials
    else:
        result = simulate(uc, a.catalog, args.trials, args.seed, args.method)
        df, trials = kpi_summary(result), args.trials
    drivers = None
    if args.sensitivity:
        from finops_model.uncertainty.sensitivity import result_rank_correlation

        sens = result if result is not None else simulate(uc, a.catalog, min(trials, SENSITIVITY_TRIALS), args.seed, args.method)
        drivers = result_rank_correlation(sens, ("npv", "avg_monthly_cost"))
    if args.json:
        seed = args.seed
        payload = {"use_case": uc.id, "trials": trials, "seed": seed, "method": args.method}
        if result is not None:
            payload = summary_json(result)
        payload["kpis"] = summary_records(df)
        payload["scenarios"] = list(a.scenarios)
        payload["assumptions_hash"] = a.digest
        if precision is not None:
            payload["precision"] = {
                "converged": precision.converged, "trials": precision.trials, "relative_tolerance": precision.rel_tol,
                "confidence": precision.confidence, "kpis": list(precision.targets),
                "table": precision.precision.to_dict(orient="records"), "history": [list(h) for h in precision.history],
            }
        if drivers is not None:
            payload["sensitivity"] = {"method": "spearman", "trials": int(drivers["trials"].iloc[0]),
                                      "rows": drivers[drivers["rank"] <= 15].to_dict(orient="records")}
        print(json.dumps(payload, indent=2))
        return 0
    scen = f", scenario {', '.join(a.scenarios)}" if a.scenarios else ""
    title = f"{uc.name} ({uc.id}){scen} — {trials:,} trials, seed {args.seed}, method {args.method}"
    print(format_summary(df, title))
    if precision is not None:
        state = "reached" if precision.converged else f"NOT reached (cap of {args.max_trials:,} trials)"
        worst = precision.precision["relative_half_width"].max()
        print(f"\nprecision ±{precision.rel_tol:.2%} at 95% on the mean and p95 of {', '.join(precision.targets)}: "
              f"{state} after {precision.trials:,} trials (worst ±{worst:.2%})")
    if drivers is not None:
        n = int(drivers["trials"].iloc[0])
        for kpi in ("npv", "avg_monthly_cost"):
            d = drivers[(drivers["kpi"] == kpi) & (drivers["rank"] <= 10)]
            print(f"\nwhat drives {kpi} (Spearman rank correlation over {n:,} trials; contribution to variance)")
            width = max(len(s) for s in d["input"])
            for r in d.to_dict(orient="records"):
                print(f"  {r['input'].ljust(width)}  {r['spearman']:+.3f}  {r['contribution_to_variance']:6.1%}  {r['group']}")
    return 0
