"""Regenerate the thin notebooks in notebooks/ (run once; the .ipynb files are committed).

Kept so that the notebooks' cells are reviewed as code: each cell is one call into the package.
Cell ids are derived from the notebook name and position, so regeneration is stable.
"""

from __future__ import annotations

from pathlib import Path

import nbformat as nbf

ROOT = Path(__file__).resolve().parent.parent / "notebooks"

INTRO = (
    "Rendered by `finops render` (papermill). Every number comes from `finops_model` — this "
    "notebook only calls it. Change the parameters below and run all cells to explore."
)

NOTEBOOKS = {
    "business_case": [
        ("md", "# Business case\n\n" + INTRO),
        ("code", '''use_case: str = "support-copilot"  # which file in assumptions/use_cases
scenarios: list = []  # scenario overlays from assumptions/scenarios, applied in order
trials: int = 10000  # Monte Carlo trials
seed: int = 0  # random seed: the same seed gives the same numbers
method: str = "mc"  # sampling design: mc | lhs | sobol
assumptions_dir: str = ""  # assumptions folder; empty means the project assumptions folder
sensitivity: bool = True  # run the tornado and Sobol analyses''', "parameters"),
        ("code", '''from finops_model.business_case import build_business_case

case = build_business_case(use_case, scenarios, trials, seed, method, assumptions_dir, sensitivity)
case.html_title()'''),
        ("code", "case.html_summary()"),
        ("code", "case.html_cost_stack()"),
        ("code", "case.html_metrics()"),
        ("code", "case.html_distributions()"),
        ("code", "case.html_sensitivity()"),
        ("code", "case.html_levers()"),
        ("code", "case.html_build_vs_buy()"),
        ("code", "case.html_gate()"),
        ("code", "case.html_assumptions()"),
        ("code", "case.html_notes()"),
        ("code", "case.html_stamp()"),
    ],
    "build_vs_buy": [
        ("md", "# Build versus buy\n\n" + INTRO),
        ("code", '''trials: int = 2000  # Monte Carlo trials per use case
seed: int = 0  # random seed: the same seed gives the same numbers
scenarios: list = []  # scenario overlays from assumptions/scenarios, applied in order
assumptions_dir: str = ""  # assumptions folder; empty means the project assumptions folder''', "parameters"),
        ("code", '''from finops_model.business_case import build_vs_buy_page

build_vs_buy_page(trials, seed, assumptions_dir, tuple(scenarios))'''),
    ],
    "portfolio": [
        ("md", "# AI portfolio, showback and scenario comparison\n\n" + INTRO),
        ("code", '''scenarios: list = []  # scenarios to compare with baseline (default: every overlay in assumptions/scenarios)
trials: int = 4000  # Monte Carlo trials per use case
seed: int = 0  # random seed: trials are aligned across use cases and scenarios
allocate: str = "spend"  # rule that shares the platform pool: spend | tokens | requests | even
assumptions_dir: str = ""  # assumptions folder; empty means the project assumptions folder''', "parameters"),
        ("code", '''from finops_model.portfolio_page import build_portfolio_page

page = build_portfolio_page(scenarios, trials, seed, allocate, assumptions_dir)
page.html_summary()'''),
        ("code", "page.html_scenarios()"),
        ("code", "page.html_use_cases()"),
        ("code", "page.html_splits()"),
        ("code", "page.html_showback()"),
        ("code", "page.html_budgets()"),
        ("code", "page.html_decisions()"),
        ("code", "page.html_stamp()"),
    ],
}


def build(name: str, cells: list[tuple[str, ...]]) -> nbf.NotebookNode:
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, src, *tags) in enumerate(cells):
        cell = nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src)
        cell["id"] = f"{name.replace('_', '-')}-{i:02d}"
        if tags:
            cell.metadata["tags"] = list(tags)
        nb.cells.append(cell)
    return nb


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        nbf.write(build(name, cells), ROOT / f"{name}.ipynb")


if __name__ == "__main__":
    main()
