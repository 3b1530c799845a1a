"""``finops actuals calibrate | variance | burn | alerts``: the forecast meets the actuals.

Each reads the normalised usage table (``--usage FILE``, CSV or Parquet in the column contract of
:mod:`finops_model.actuals`) and prints a table, or a JSON object with ``--json``. ``alerts``
exits 1 when any alert fires (for cron or CI). The sub-commands join the ``actuals`` command
family when another module has created it (the readers' ``ingest | reconcile | attribute``), and
create it otherwise.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
from pathlib import Path
from typing import Any

from finops_model.cli.common import positive_int, seed_int
from finops_model.util.settings import DEFAULT_TRIALS

EXIT_ALERT = 1


def _family(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The sub-commands of ``finops actuals``, creating the family if no module has yet."""
    parser = sub.choices.get("actuals")
    if parser is None:
        parser = sub.add_parser("actuals", help="actual AI spend: read bills and traces, compare with the forecast")
    for action in parser._actions:  # argparse keeps the sub-command action here; no public accessor
        if isinstance(action, argparse._SubParsersAction):
            return action
    fam = parser.add_subparsers(dest="actuals_command", metavar="ACTUALS_COMMAND")
    fam.required = True
    return fam


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("use_cases", nargs="*", metavar="USE_CASE", help="use-case ids (default: every use case in the usage table)")
    p.add_argument("--usage", action="append", required=True, metavar="FILE",
                   help="normalised usage table, CSV or Parquet (repeatable)")
    p.add_argument("--scenario", action="append", metavar="NAME", help="scenario overlay of the forecast (repeatable)")
    p.add_argument("--trials", type=positive_int, default=DEFAULT_TRIALS, help=f"forecast trials (default {DEFAULT_TRIALS:,})")
    p.add_argument("--seed", type=seed_int, default=0)
    p.add_argument("--go-live", metavar="DATE", help="go-live date of use cases without one (default: first month with actuals)")
    p.add_argument("--json", action="store_true", help="print a JSON object instead of a table")
    p.add_argument("--assumptions", metavar="DIR", help="assumptions folder (default: the project's)")


def add_parser(sub: argparse._SubParsersAction) -> None:
    fam = _family(sub)
    p = fam.add_parser("calibrate", help="fit uncertain inputs from actuals; write scenarios/calibrated-<id>-<date>.yaml")
    _common(p)
    p.add_argument("--date", metavar="YYYY-MM-DD", help="date in the overlay's name (default: today)")
    p.add_argument("--dry-run", action="store_true", help="show the fit, write nothing")
    p.add_argument("--overwrite", action="store_true", help="replace an existing overlay of the same name")
    p.set_defaults(func=run_calibrate)
    p = fam.add_parser("variance", help="actual vs forecast band per month, and the variance bridge")
    _common(p)
    p.add_argument("--focus-out", metavar="FILE", help="also write the forecast of the horizon as FOCUS-shaped CSV rows "
                   "(x_CostP5/x_CostP50/x_CostP95); refuses an existing file")
    p.set_defaults(func=run_variance)
    p = fam.add_parser("burn", help="month-to-date burn: P(budget exceeded) and the exhaustion day with its 90%% band")
    _common(p)
    p.add_argument("--month", metavar="YYYY-MM", help="month (default: the latest with actuals)")
    p.add_argument("--budget", type=float, metavar="USD", help="monthly budget (default: the use case's budget.monthly)")
    p.add_argument("--bill-only", action="store_true", help="compare the AI bill alone with the budget (default: plus the forecast non-bill cost)")
    p.set_defaults(func=run_burn)
    p = fam.add_parser("alerts", help="anomaly alerts against the forecast; exit 1 when any fires")
    _common(p)
    p.add_argument("--unattributed", type=float, default=0.05, metavar="SHARE", help="unattributed share of spend that alerts (default 0.05)")
    p.add_argument("--price-tolerance", type=float, default=0.02, metavar="SHARE", help="billed vs catalog difference that alerts (default 0.02)")
    p.set_defaults(func=run_alerts)


def read_usage(paths: list[str]) -> Any:
    """The normalised usage table from CSV or Parquet files (the contract's columns)."""
    import pandas as pd

    from finops_model.actuals.monthly import check_columns
    from finops_model.errors import FinopsError

    frames = []
    for p in paths:
        path = Path(p)
        if not path.exists():
            raise FinopsError(f"{path}: expected a usage table (CSV or Parquet), found nothing at this path")
        try:
            df = pd.read_parquet(path) if path.suffix.lower() in (".parquet", ".pq") else pd.read_csv(path)
        except Exception as exc:  # noqa: BLE001 -- any parser failure is a user error about this file
            raise FinopsError(f"{path}: expected a CSV or Parquet usage table, found unreadable data ({exc})") from None
        check_columns(df, str(path))
        try:
            df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
        except (ValueError, TypeError):
            raise FinopsError(f"{path}: timestamp: expected ISO date-times, found values that are not") from None
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def _setup(args: argparse.Namespace) -> tuple[Any, Any, list[str]]:
    from finops_model.actuals.compare import use_cases_in
    from finops_model.inputs.assumptions import load_assumptions

    usage = read_usage(args.usage)
    a = load_assumptions(args.assumptions, args.scenario or ())
    ids = args.use_cases or use_cases_in(usage, a.use_cases)
    for k in ids:
        a.use_case(k)
    return a, usage, ids


def _records(df: Any) -> list[dict]:
    import math

    def cell(v: Any) -> Any:
        if isinstance(v, _dt.date):
            return v.isoformat()
        if isinstance(v, float) and math.isnan(v):
            return None
        return v.item() if hasattr(v, "item") else v

    return [{k: cell(v) for k, v in r.items()} for r in df.to_dict(orient="records")]


def run_calibrate(args: argparse.Namespace) -> int:
    from finops_model.actuals.calibrate import calibrate, overlay, write_overlay
    from finops_model.actuals.compare import forecast

    a, usage, ids = _setup(args)
    on = _dt.date.fromisoformat(args.date) if args.date else _dt.date.today()
    out = []
    for k in ids:
        cal = calibrate(a.use_case(k), forecast(a, k, usage, args.trials, args.seed, args.go_live), usage)
        path = None if args.dry_run else write_overlay(cal, a, on, overwrite=args.overwrite)
        out.append((cal, path))
    if args.json:
        print(json.dumps([{"use_case": c.use_case, "window": list(c.window), "rows": c.rows, "unmatched_rows": c.unmatched_rows,
                           "overlay": str(p) if p else None, "scenario": overlay(c, on)["name"],
                           "fits": _records(c.table().drop(columns=["override"]))} for c, p in out], indent=2, default=str))
        return 0
    for cal, path in out:
        t = cal.table()
        print(f"{cal.use_case}: {cal.rows:,} rows ({cal.source}), {cal.window[0][:10]} to {cal.window[1][:10]}"
              + (f", {cal.unmatched_rows:,} rows matched to no step" if cal.unmatched_rows else ""))
        for r in t.to_dict(orient="records"):
            flag = "  CONTRADICTED" if r["contradicted"] else ""
            print(f"  {r['path']:<48} assumed {r['assumed_p5']:>10.4g} – {r['assumed_p95']:<10.4g} fitted {r['fitted']:>10.4g}{flag}")
        print(f"  wrote {path}" if path else "  (dry run: nothing written)")
    return 0


def run_variance(args: argparse.Namespace) -> int:
    import pandas as pd

    from finops_model.actuals.compare import forecast
    from finops_model.actuals.variance import variance_table

    a, usage, ids = _setup(args)
    fcs = {k: forecast(a, k, usage, args.trials, args.seed, args.go_live) for k in ids}
    t = pd.concat([variance_table(fc, usage, a.catalog) for fc in fcs.values()], ignore_index=True)
    if args.focus_out:
        from finops_model.actuals.forecast_focus import COLUMNS, forecast_focus_rows
        from finops_model.util.io import write_atomic
        from finops_model.util.sheets import rows_csv_text

        rows = [r for k, fc in fcs.items() for r in forecast_focus_rows(fc, a.use_case(k), a.catalog)]
        write_atomic(args.focus_out, rows_csv_text(rows, COLUMNS), overwrite=False)
    if args.json:
        print(json.dumps({"unit": "USD/month", "rows": _records(t)}, indent=2))
        return 0
    print(f"{'use case':<20} {'month':<8} {'actual':>11} {'p5':>11} {'p50':>11} {'p95':>11} {'pct':>5} "
          f"{'volume':>10} {'tok/req':>10} {'mix':>10} {'price':>10} {'unmeter':>9}")
    for r in t.to_dict(orient="records"):
        print(f"{r['use_case']:<20} {r['month']:%Y-%m}  {r['actual']:>11,.0f} {r['p5']:>11,.0f} {r['p50']:>11,.0f} {r['p95']:>11,.0f} "
              f"{r['percentile']:>5.0f} {r['volume']:>+10,.0f} {r['tokens_per_request']:>+10,.0f} {r['model_mix']:>+10,.0f} "
              f"{r['price']:>+10,.0f} {r['unmetered']:>+9,.0f}")
    print("bridge: actual − forecast mean = volume + tokens per request + model mix + price + unmetered [USD/month]")
    return 0


def run_burn(args: argparse.Namespace) -> int:
    from finops_model.actuals.burn import burn
    from finops_model.actuals.compare import budget_trials, forecast
    from finops_model.errors import FinopsError

    a, usage, ids = _setup(args)
    month = _dt.date.fromisoformat(args.month + "-01") if args.month else None
    burns = []
    for k in ids:
        b = args.budget if args.budget is not None else budget_trials(a.use_case(k), args.trials, args.seed)
        if b is None:
            raise FinopsError(f"use case {k}: budget.monthly: expected a monthly budget (or --budget USD), found none")
        fc = forecast(a, k, usage, args.trials, args.seed, args.go_live)
        burns.append(burn(fc, usage, a.catalog, b, month, include_other=not args.bill_only, seed=args.seed))
    if args.json:
        print(json.dumps([b.to_dict() for b in burns], indent=2))
        return 0
    for b in burns:
        d = b.to_dict()
        band = d["exhaustion_day"]
        when = (f"budget reached on {d['exhausted_on']}" if d["exhausted_on"] else
                f"exhaustion day p50 {band['p50'] or 'after month end'} (90% band {band['p5'] or 'after month end'} to "
                f"{band['p95'] or 'after month end'})")
        print(f"{b.use_case} {b.month:%Y-%m}: ${b.spent_to_date:,.0f} of ${b.budget:,.0f} after {b.days_observed} of {b.days} days; "
              f"P(exceeded by month end) {b.p_exceed:.0%}; {when}; month end p50 ${b.month_end_p50:,.0f}")
    return 0


def run_alerts(args: argparse.Namespace) -> int:
    from finops_model.actuals.alerts import Thresholds, alert_table
    from finops_model.actuals.compare import forecast

    a, usage, ids = _setup(args)
    fcs = {k: forecast(a, k, usage, args.trials, args.seed, args.go_live) for k in ids}
    t = alert_table(usage, fcs, a.catalog, Thresholds(unattributed=args.unattributed, price_tolerance=args.price_tolerance), args.seed)
    if args.json:
        print(json.dumps({"fired": len(t), "alerts": _records(t)}, indent=2))
    elif t.empty:
        print("no alert")
    else:
        for r in t.to_dict(orient="records"):
            print(f"{r['day']}  {r['alert']:<16} {r['use_case'] or '-':<20} {r['detail']}")
    return EXIT_ALERT if len(t) else 0
