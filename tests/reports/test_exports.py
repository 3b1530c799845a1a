"""XLSX/CSV exports: types, sheets, totals, formula-injection safety."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import TEST_ASSUMPTIONS
from numpy.testing import assert_allclose
from openpyxl import load_workbook

from finops_model.model.engine import simulate
from finops_model.reports.exports import portfolio_views, write_csvs
from finops_model.util.sheets import neutralise, safe_frame, write_xlsx


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"])
def test_neutralise_formula_prefixes(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["plain", "a=b", 3.5, -2, None])
def test_neutralise_leaves_safe_values(value):
    assert neutralise(value) == value


def test_safe_frame_neutralises_text_and_headers_but_not_numbers():
    df = pd.DataFrame({"=evil": ["=HYPERLINK(\"x\")", "ok"], "n": [-1.0, 2.0]})
    out = safe_frame(df)
    assert list(out.columns) == ["'=evil", "n"]
    assert out.iloc[0, 0].startswith("'=")
    assert out["n"].tolist() == [-1.0, 2.0]


@pytest.fixture(scope="module")
def views():
    return portfolio_views([], trials=300, seed=3, assumptions_dir=TEST_ASSUMPTIONS)


def test_portfolio_views_totals_equal_the_model(views, test_assumptions):
    r = simulate(test_assumptions.use_cases["worked"], test_assumptions.catalog, 300, 3)
    row = views["by_use_case"].set_index("use_case").loc["worked"]
    assert_allclose(row["avg_monthly_cost_p50"], np.percentile(r.kpis["avg_monthly_cost"], 50))
    layers = views["by_layer"]
    assert_allclose(layers["avg_monthly_cost_mean"].sum(), r.kpis["avg_monthly_cost"].mean(), rtol=1e-12)


def test_write_xlsx_sheets_numbers_and_formats(views, tmp_path):
    path = write_xlsx(views, tmp_path / "p.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["summary", "by_use_case", "by_layer", "by_scenario", "assumptions"]
    ws = wb["by_use_case"]
    header = [c.value for c in ws[1]]
    col = header.index("avg_monthly_cost_p50") + 1
    cell = ws.cell(row=2, column=col)
    assert isinstance(cell.value, float)
    assert cell.number_format == "#,##0"
    assert_allclose(cell.value, views["by_use_case"]["avg_monthly_cost_p50"].iloc[0])
    p_col = header.index("p_viable") + 1
    assert ws.cell(row=2, column=p_col).number_format == "0.0%"


def test_write_xlsx_neutralises_injected_names(tmp_path):
    df = pd.DataFrame({"name": ["=cmd|' /C calc'!A0"], "cost": [1.0]})
    wb = load_workbook(write_xlsx({"summary": df}, tmp_path / "x.xlsx"))
    assert wb["summary"]["A2"].value.startswith("'=")
    assert wb["summary"]["A2"].data_type == "s"


def test_write_csvs_one_file_per_view(views, tmp_path):
    paths = write_csvs(views, tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"{k}.csv" for k in views)
    back = pd.read_csv(tmp_path / "summary.csv")
    assert_allclose(back["avg_monthly_cost_p50"], views["summary"]["avg_monthly_cost_p50"])
