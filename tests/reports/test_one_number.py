"""One number everywhere: a render run's HTML pages, workbook and CSVs show the same figures.

The use case is the worked example with two inputs made uncertain, so that percentiles depend
on the trials: a page that drew its own trials would show a different p50.
"""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
import yaml
from conftest import TEST_ASSUMPTIONS
from numpy.testing import assert_allclose
from openpyxl import load_workbook

from finops_model.reports.render import render
from finops_model.uncertainty.summary import format_value

pytestmark = pytest.mark.slow


def uncertain_tree(tmp_path):
    """The test assumptions with an uncertain copy of the worked example (``uncertain``)."""
    root = tmp_path / "assumptions"
    shutil.copytree(TEST_ASSUMPTIONS, root)
    data = yaml.safe_load((root / "use_cases" / "worked.yaml").read_text())
    data["id"], data["name"] = "uncertain", "Uncertain support assistant"
    data["volume"]["active_users"] = "60 to 160"
    data["steps"]["answer"]["output_tokens"] = "200 to 450"
    (root / "use_cases" / "uncertain.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return root


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("one-number")
    root = uncertain_tree(tmp)
    report = render(
        None,
        (),
        trials=400,
        seed=7,
        out=tmp / "out",
        jobs=2,
        assumptions_dir=str(root),
        pages=("portfolio",),
        on_progress=None,
    )
    assert not report.failures, report.failures
    return report.folder


def _card(page: str, kpi: str) -> tuple[float, str]:
    """The raw value and the displayed text of a headline card of a business-case page."""
    m = re.search(
        rf'data-kpi="{kpi}" data-stat="p50" data-value="([^"]+)"><div class="l">[^<]*</div><div class="v">([^<]*)</div>',
        page,
    )
    assert m, f"no {kpi} card"
    return float(m.group(1)), m.group(2)


def test_headline_figures_equal_in_html_xlsx_and_csv(run):
    page = (run / "business_cases" / "uncertain.html").read_text()
    portfolio = (run / "portfolio.html").read_text()
    sheet = pd.DataFrame(load_workbook(run / "portfolio.xlsx")["by_use_case"].values)
    sheet = sheet.rename(columns=sheet.iloc[0]).iloc[1:]
    xlsx = sheet[(sheet["scenario"] == "baseline") & (sheet["use_case"] == "uncertain")].iloc[0]
    csv = pd.read_csv(run / "csv" / "by_use_case.csv").set_index("use_case").loc["uncertain"]

    cost, shown = _card(page, "avg_monthly_cost")
    assert_allclose(float(xlsx["avg_monthly_cost_p50"]), cost, rtol=1e-12)
    assert_allclose(float(csv["avg_monthly_cost_p50"]), cost, rtol=1e-12)
    assert shown == "$" + format_value(float(xlsx["avg_monthly_cost_p50"]), "USD")
    rows = [
        dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        for tag in re.findall(r"<tr [^>]*data-use-case=[^>]*>", portfolio)
    ]
    row = next(
        r for r in rows if r["data-use-case"] == "uncertain" and r["data-kpi"] == "avg_monthly_cost"
    )
    assert row["data-stat"] == "p50" and float(row["data-value"]) == pytest.approx(cost, rel=1e-12)
    assert format_value(cost, "USD") in portfolio  # shown in the portfolio page's use-case table

    for kpi in ("monthly_value", "npv", "cost_per_outcome"):
        value, _ = _card(page, kpi)
        assert_allclose(float(xlsx[f"{kpi}_p50"]), value, rtol=1e-12, err_msg=kpi)
        assert_allclose(float(csv[f"{kpi}_p50"]), value, rtol=1e-12, err_msg=kpi)


def test_the_figure_depends_on_the_trials(run):
    """Guards the test above: with another seed the p50 moves (the inputs are uncertain)."""
    page = (run / "business_cases" / "uncertain.html").read_text()
    cost, _ = _card(page, "avg_monthly_cost")
    from finops_model.governance.portfolio import simulate_member
    from finops_model.inputs.assumptions import load_assumptions

    a = load_assumptions(run.parents[2] / "assumptions")
    import numpy as np

    same = np.percentile(
        simulate_member(a.use_cases["uncertain"], a.catalog, 400, 7).kpis["avg_monthly_cost"], 50
    )
    other = np.percentile(
        simulate_member(a.use_cases["uncertain"], a.catalog, 400, 8).kpis["avg_monthly_cost"], 50
    )
    assert same == pytest.approx(cost, rel=1e-12)
    assert abs(other - cost) > 1e-6 * cost
