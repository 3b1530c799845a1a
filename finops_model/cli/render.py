"""``finops render``: execute the business-case notebooks and export the reports."""

from __future__ import annotations

import argparse

from finops_model.cli.common import positive_int, seed_int
from finops_model.util.settings import DEFAULT_TRIALS


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "render",
        help="render business cases, the portfolio and the scenario comparison into outputs/",
        description="Execute notebooks/business_case.ipynb per use case with papermill, export "
        "self-contained HTML (code hidden, charts offline), and the portfolio as HTML, XLSX and CSV. "
        "Each run writes a new folder under outputs/runs/ and points outputs/latest at it.",
    )
    p.add_argument("use_cases", nargs="*", metavar="USE_CASE", help="use-case ids (default: all)")
    p.add_argument("--scenarios", metavar="A,B", default="", help="scenario overlays, comma-separated")
    p.add_argument("--trials", type=positive_int, default=DEFAULT_TRIALS, help=f"Monte Carlo trials (default {DEFAULT_TRIALS:,})")
    p.add_argument("--seed", type=seed_int, default=0, help="random seed (default 0)")
    p.add_argument("--method", choices=("mc", "lhs", "sobol"), default="mc")
    p.add_argument("--out", metavar="DIR", help="output folder (default: outputs/)")
    p.add_argument("--jobs", type=positive_int, default=1, help="notebooks executed in parallel (default 1)")
    p.add_argument("--assumptions", metavar="DIR", help="assumptions folder (default: the project's)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from finops_model.reports.render import main_render

    return main_render(args)
