"""``finops goal-seek``, ``finops sensitivity`` and ``finops stress``.

- ``finops goal-seek USE_CASE --vary FIELD --target "P(npv>0)>=0.9" [--low X --high Y]``
  finds the value of an input at which a target on a simulated statistic is just met, under
  common random numbers (target grammar: :mod:`finops_model.goalseek`).
- ``finops sensitivity USE_CASE [--method tornado|spider|spearman|sobol] [--kpi NAME]``
  ranks the inputs that drive a KPI (:mod:`finops_model.sensitivity`).
- ``finops stress USE_CASE --inputs a,b --tail top|bottom`` re-runs the same trials with the
  inputs held in their top or bottom decile and reports the shift of every KPI.

Every command takes ``--json`` (one JSON object on standard output) and ``--scenario``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from finops_model.cli.common import positive_int, seed_int
from finops_model.util.settings import DEFAULT_TRIALS


def _common(p: argparse.ArgumentParser, trials: int = DEFAULT_TRIALS, method: bool = True) -> None:
    p.add_argument("use_case", metavar="USE_CASE", help="use-case id (file stem in assumptions/use_cases)")
    p.add_argument("--scenario", action="append", metavar="NAME", help="scenario overlay (repeatable, applied in order)")
    p.add_argument("--trials", type=positive_int, default=trials, help=f"Monte Carlo trials (default {trials:,})")
    p.add_argument("--seed", type=seed_int, default=0, help="random seed (default 0)")
    if method:
        p.add_argument("--method", choices=("mc", "lhs", "sobol"), default="mc", help="sampling design (default mc)")
    p.add_argument("--json", action="store_true", help="print a JSON object instead of a table")
    p.add_argument("--assumptions", metavar="DIR", help="assumptions folder (default: the project's)")


def _float(text: str) -> float:
    from finops_model.uncertainty.goalseek import parse_number

    try:
        return parse_number(text)
    except Exception:
        raise argparse.ArgumentTypeError(f"expected a number, found {text!r}") from None


def _csv(text: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, found {text!r}")
    return items


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "goal-seek", help="the input value at which a target on a simulated KPI statistic is just met",
        description="Find the value of one input at which a target is just met, e.g. the value per outcome "
        "at which P(NPV > 0) ≥ 90%. Trials are drawn once and reused (common random numbers). "
        "Target grammar: 'P(kpi OP x) OP p', 'mean(kpi) OP x', 'median(kpi) OP x', 'pNN(kpi) OP x', "
        "'sd(kpi) OP x'; OP is >=, <=, > or <; numbers may be written 50k, 1.5M or 90%.",
    )
    _common(p)
    p.add_argument("--vary", required=True, metavar="FIELD", help="field path of the input to vary, e.g. value.value_per_outcome")
    p.add_argument("--target", required=True, metavar="TARGET", help="e.g. \"P(npv>0)>=0.9\" or \"p80(avg_monthly_cost)<=50k\"")
    p.add_argument("--low", type=_float, help="lowest value tried (default 0)")
    p.add_argument("--high", type=_float, help="highest value tried (default 10× the input's median, widened until the target flips)")
    p.add_argument("--scale", action="store_true", help="vary a multiplier on the input's draws (keeps its uncertainty) instead of setting it")
    p.set_defaults(func=run_goal_seek)

    p = sub.add_parser("sensitivity", help="which inputs drive a KPI: tornado, spider, Spearman or Sobol",
                       description="Rank the inputs that drive a KPI. tornado/spider: one input at a time, the others at "
                       "their medians; spearman: rank correlation and contribution to variance over a Monte Carlo sample; "
                       "sobol: first- and total-order Sobol indices with confidence intervals, per input and per cost layer.")
    _common(p, method=False)
    p.add_argument("--method", dest="analysis", choices=("tornado", "spider", "spearman", "sobol"), default="tornado",
                   help="analysis (default tornado)")
    p.add_argument("--sampling", dest="method", choices=("mc", "lhs", "sobol"), default="mc", help="sampling design for spearman (default mc)")
    p.add_argument("--kpi", action="append", metavar="NAME", help="KPI to analyse (repeatable; default npv)")
    p.add_argument("--top", type=positive_int, default=15, help="inputs shown (default 15)")
    p.add_argument("--base-samples", type=positive_int, default=1024, help="Sobol base samples N, a power of two (default 1,024)")
    p.add_argument("--chart", metavar="FILE", help="also write the altair chart (.html, .json, .png/.svg with vl-convert)")
    p.set_defaults(func=run_sensitivity)

    p = sub.add_parser("stress", help="re-run with inputs held in their top or bottom decile; report each KPI's shift",
                       description="Hold the chosen inputs within their top or bottom decile (the same trials otherwise: "
                       "common random numbers) and report the paired shift of every KPI.")
    _common(p)
    p.add_argument("--inputs", required=True, type=_csv, metavar="A,B", help="comma-separated input field paths")
    p.add_argument("--tail", choices=("top", "bottom"), default="top", help="which decile (default top)")
    p.add_argument("--width", type=float, default=0.1, help="tail width (default 0.1, a decile)")
    p.set_defaults(func=run_stress)


def _load(args: argparse.Namespace) -> tuple[Any, Any]:
    from finops_model.inputs.assumptions import load_assumptions

    a = load_assumptions(args.assumptions, args.scenario or (), use_cases=[args.use_case])
    return a, a.use_case(args.use_case)


def _clean(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, str):
        return _clean(x.item())
    return x


def _records(df: Any) -> list[dict[str, Any]]:
    return [_clean(r) for r in df.to_dict(orient="records")]


def _table(rows: Sequence[tuple[str, ...]], right: set[int]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for k, r in enumerate(rows):
        lines.append("  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(x: Any, unit: str = "") -> str:
    from finops_model.uncertainty.summary import format_value

    return format_value(None if x is None or (isinstance(x, float) and not math.isfinite(x)) else float(x), unit)


# --------------------------------------------------------------------------- goal seek
def run_goal_seek(args: argparse.Namespace) -> int:
    from finops_model.uncertainty.goalseek import goal_seek, parse_target

    target = parse_target(args.target)  # fail fast, before loading
    a, uc = _load(args)
    res = goal_seek(uc, a.catalog, args.vary, target, args.low, args.high, args.trials, args.seed, args.method,
                    "scale" if args.scale else "set")
    if args.json:
        print(json.dumps({"use_case": uc.id, "scenarios": list(a.scenarios), "assumptions_hash": a.digest, **_clean(res.to_dict())}, indent=2))
    else:
        print(f"{uc.name} ({uc.id}) — goal seek on {args.trials:,} trials, seed {args.seed}, method {args.method} (common random numbers)")
        print(res.message)
        unit = f" [{res.unit}]" if res.unit else ""
        print(f"  searched {res.field}{unit} from {res.low:.6g} to {res.high:.6g}: {target.unit} statistic {res.statistic_low:.6g} → {res.statistic_high:.6g}; {res.evaluations} evaluations")
    return 0 if res.status == "found" else 1


# --------------------------------------------------------------------------- sensitivity
def run_sensitivity(args: argparse.Namespace) -> int:
    from finops_model.uncertainty import sensitivity as S

    a, uc = _load(args)
    kpis = args.kpi or ["npv"]
    model = S.use_case_model(uc, a.catalog)
    chart = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", S.CorrelatedInputsWarning)
        if args.analysis == "tornado":
            df = S.tornado(model, kpis)
            shown = df[df["rank"] <= args.top]
            chart = S.tornado_chart(df, kpis[0], args.top)
        elif args.analysis == "spider":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", S.CorrelatedInputsWarning)  # the spider's own warning says it
                top = S.tornado(model, kpis[:1])["input"].head(min(args.top, 10)).tolist()
            df = S.spider(model, kpis, inputs=top)
            shown = df
            chart = S.spider_chart(df, kpis[0])
        elif args.analysis == "spearman":
            from finops_model.model.engine import simulate

            res = simulate(uc, a.catalog, args.trials, args.seed, args.method)
            df = S.result_rank_correlation(res, kpis)
            shown = df[df["rank"] <= args.top]
            chart = S.rank_correlation_chart(df, kpis[0], args.top)
        else:
            sres = S.sobol(model, kpis, args.base_samples, args.seed)
            df = sres.indices
            shown = df.groupby(["kpi", "level"], sort=False).head(args.top)
            chart = S.sobol_chart(sres, kpis[0], "group" if (df["level"] == "group").any() else "input", args.top)
    notes = sorted({str(w.message) for w in caught})
    if args.chart:
        chart.save(args.chart)
    if args.json:
        payload = {"use_case": uc.id, "analysis": args.analysis, "kpis": kpis, "scenarios": list(a.scenarios),
                   "assumptions_hash": a.digest, "warnings": notes, "rows": _records(df)}
        if args.analysis == "sobol":
            payload.update(base_samples=sres.base_samples, evaluations=sres.evaluations, confidence=sres.confidence)
        if args.analysis == "spearman":
            payload.update(trials=args.trials, seed=args.seed, method=args.method)
        print(json.dumps(payload, indent=2))
    else:
        print(f"{uc.name} ({uc.id}) — {args.analysis} sensitivity of {', '.join(kpis)}")
        for kpi in kpis:
            d = shown[shown["kpi"] == kpi]
            print()
            print(_sensitivity_table(args.analysis, d, kpi))
    for n in notes:
        print(f"warning: {n}", file=sys.stderr)
    return 0


def _sensitivity_table(analysis: str, d: Any, kpi: str) -> str:
    from finops_model.model.kpis import KPI_UNITS

    unit = KPI_UNITS.get(kpi, "")
    if analysis == "tornado":
        base = _fmt(d["kpi_base"].iloc[0], unit) if len(d) else ""
        rows: list[tuple[str, ...]] = [("#", "input", "group", "input p10", "input p90", f"{kpi} at p10", f"{kpi} at p90", "swing")]
        rows += [(str(r["rank"]), r["input"], r["group"], _fmt(r["input_low"]), _fmt(r["input_high"]), _fmt(r["kpi_low"], unit), _fmt(r["kpi_high"], unit), _fmt(r["swing"], unit))
                 for r in d.to_dict(orient="records")]
        return f"{kpi} [{unit}] with every input at its median: {base}\n" + _table(rows, {0, 3, 4, 5, 6, 7})
    if analysis == "spider":
        piv = d.pivot_table(index="input", columns="percentile", values="value", sort=False)
        cols = [c for c in piv.columns if round(c * 100) % 10 == 0 or c in (0.05, 0.95)]
        rows = [("input", *(f"p{round(c * 100)}" for c in cols))]
        rows += [(name, *(_fmt(piv.loc[name, c], unit) for c in cols)) for name in piv.index]
        return f"{kpi} [{unit}] as each input moves through its percentiles (others at medians)\n" + _table(rows, set(range(1, len(cols) + 1)))
    if analysis == "spearman":
        rows = [("#", "input", "group", "Spearman ρ", "contribution to variance")]
        rows += [(str(r["rank"]), r["input"], r["group"], f"{r['spearman']:+.3f}", f"{r['contribution_to_variance']:.1%}") for r in d.to_dict(orient="records")]
        trials = int(d["trials"].iloc[0]) if len(d) else 0
        return f"{kpi}: rank correlation over {trials:,} trials\n" + _table(rows, {0, 3, 4})
    out = []
    for level in ("group", "input"):
        dd = d[d["level"] == level]
        if not len(dd):
            continue
        rows = [(level, "S1", "± CI", "ST", "± CI")]
        rows += [(r["name"], _fmt3(r["S1"]), _fmt3(r["S1_conf"]), _fmt3(r["ST"]), _fmt3(r["ST_conf"])) for r in dd.to_dict(orient="records")]
        out.append(f"{kpi}: Sobol indices by {level} (share of variance; first order S1, total order ST)\n" + _table(rows, {1, 2, 3, 4}))
    return "\n\n".join(out)


def _fmt3(x: Any) -> str:
    return "—" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.3f}"


# --------------------------------------------------------------------------- stress
def run_stress(args: argparse.Namespace) -> int:
    from finops_model.uncertainty.precision import stress_test

    a, uc = _load(args)
    df = stress_test(uc, a.catalog, args.inputs, args.tail, args.trials, args.seed, args.method, width=args.width)
    if args.json:
        print(json.dumps({"use_case": uc.id, "scenarios": list(a.scenarios), "assumptions_hash": a.digest,
                          **_clean(dict(df.attrs)), "rows": _records(df)}, indent=2))
        return 0
    band = f"top {args.width:.0%}" if args.tail == "top" else f"bottom {args.width:.0%}"
    print(f"{uc.name} ({uc.id}) — stress: {', '.join(args.inputs)} held in their {band}; {args.trials:,} paired trials, seed {args.seed}")
    rows = [("KPI", "unit", "base mean", "stressed mean", "shift", "shift %", "base p95", "stressed p95")]
    for r in df.to_dict(orient="records"):
        u = r["unit"]
        if "base_mean" not in r or r["base_mean"] is None or (isinstance(r["base_mean"], float) and math.isnan(r["base_mean"])):
            rows.append((r["kpi"], u, "undefined", "", "", "", "", ""))
            continue
        pct = "—" if not math.isfinite(r["shift_pct"]) else f"{r['shift_pct']:+.1%}"
        rows.append((r["kpi"], u, _fmt(r["base_mean"], u), _fmt(r["stressed_mean"], u), _fmt(r["shift"], u), pct, _fmt(r["base_p95"], u), _fmt(r["stressed_p95"], u)))
    print(_table(rows, {2, 3, 4, 5, 6, 7}))
    return 0
