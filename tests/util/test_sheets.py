"""The one safe exporter: OWASP neutralisation, and a walk over every CSV/XLSX writer of the package.

The walk plants formula text (``=HYPERLINK(…)``, ``@…``, ``+…``) in a use case's name and owners,
runs each writer the way a user does, and reads back every cell of every CSV and XLSX file it
wrote: no text cell may start with a character a spreadsheet evaluates, and the planted name
must be there, neutralised (so the test sees the cells it is about).
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import TEST_ASSUMPTIONS
from openpyxl import load_workbook

import finops_model
from finops_model.cli.main import main
from finops_model.util.sheets import (
    DANGEROUS,
    csv_text,
    neutralise,
    rows_csv_text,
    safe_frame,
    write_csv,
    write_xlsx,
)

EVIL = '=HYPERLINK("http://evil.example/x","click")'
OWNER = "@SUM(1+1)"
TEAM = "+team"
PACKAGE = Path(finops_model.__file__).parent


# ----------------------------------------------------------------------------- the functions
@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", EVIL])
def test_neutralise_prefixes_every_formula_start(text):
    assert neutralise(text) == "'" + text
    assert neutralise(neutralise(text)) == "'" + text  # idempotent


@pytest.mark.parametrize("value", ["plain", "a=b", "'=already", 3.5, -2, None, True])
def test_neutralise_leaves_safe_values(value):
    assert neutralise(value) == value


def test_csv_text_keeps_numbers_numbers():
    text = csv_text(pd.DataFrame({"=h": ["-x", "ok"], "n": [-1.5, 2.0], "k": [3, -4]}))
    assert text.splitlines() == ["'=h,n,k", "'-x,-1.5,3", "ok,2.0,-4"]


def test_rows_csv_text_orders_columns_and_keeps_ints_with_gaps():
    text = rows_csv_text([{"b": 1, "a": "=x"}, {"a": None}], ["a", "b"])
    assert text.splitlines() == ["a,b", "'=x,1", ","]


def test_write_xlsx_stores_text_as_text_and_numbers_as_numbers(tmp_path):
    df = pd.DataFrame(
        {"name": [EVIL, "ok"], "cost": [-1.0, np.nan], "when": [dt.date(2026, 1, 1), None]}
    )
    ws = load_workbook(write_xlsx({"s": df}, tmp_path / "x.xlsx"))["s"]
    assert ws["A2"].value == "'" + EVIL and ws["A2"].data_type == "s"
    assert ws["B2"].value == -1.0 and ws["B2"].number_format == "#,##0"
    assert ws["B3"].value is None  # NaN is an empty cell, never "nan"
    assert (tmp_path / "x.xlsx").stat().st_mode & 0o777 == 0o666 & ~_umask()


def test_safe_frame_does_not_touch_the_input():
    df = pd.DataFrame({"a": ["=x"]})
    assert safe_frame(df)["a"][0] == "'=x" and df["a"][0] == "=x"


# ----------------------------------------------------------------------------- no other writer
_FORBIDDEN_ATTRS = {"to_csv", "to_excel", "DictWriter", "ExcelWriter"}
_FORBIDDEN_MODULES = {"csv", "openpyxl", "xlsxwriter"}


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and (
            node.attr in _FORBIDDEN_ATTRS
            or (
                node.attr == "writer"
                and isinstance(node.value, ast.Name)
                and node.value.id == "csv"
            )
        ):
            found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            found += [
                f"{path.relative_to(PACKAGE)}:{node.lineno}: import {n}"
                for n in names
                if n.split(".")[0] in _FORBIDDEN_MODULES
            ]
    return found


def test_no_module_but_the_exporter_writes_csv_or_xlsx():
    sheets = PACKAGE / "util" / "sheets.py"
    offences = [o for p in sorted(PACKAGE.rglob("*.py")) if p != sheets for o in _offences(p)]
    assert offences == [], "write CSV/XLSX through finops_model.util.sheets:\n" + "\n".join(
        offences
    )
    assert _offences(sheets)  # the walk recognises the calls it looks for


# ----------------------------------------------------------------------------- every writer
@pytest.fixture(scope="module")
def evil_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("evil") / "assumptions"
    shutil.copytree(TEST_ASSUMPTIONS, root)
    (root / "scenarios").mkdir(exist_ok=True)
    path = root / "use_cases" / "worked.yaml"
    raw = yaml.safe_load(path.read_text())
    raw["name"] = EVIL
    raw["owners"] = {"business_owner": OWNER, "technical_owner": "-tech", "team": TEAM}
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    (root / "scenarios" / "cheap.yaml").write_text(
        "name: cheap\ndescription: cheaper answers\noverrides:\n  worked.steps.answer.output_tokens: 200\n"
    )
    return root


def _text_cells(path: Path) -> list[tuple[str, bool]]:
    """(text, is_formula) of every text cell of a CSV or XLSX file."""
    if path.suffix == ".xlsx":
        wb = load_workbook(path)
        return [
            (str(c.value), c.data_type == "f")
            for ws in wb
            for row in ws.iter_rows()
            for c in row
            if isinstance(c.value, str) or c.data_type == "f"
        ]
    with path.open(newline="", encoding="utf-8") as fh:
        return [(v, False) for row in csv.reader(fh) for v in row]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _assert_safe(files: list[Path], planted: tuple[str, ...] = (EVIL,)) -> None:
    files = [f for f in files if f.suffix in (".csv", ".xlsx")]
    assert files, "the writer wrote no CSV or XLSX file"
    seen = set()
    for f in files:
        for text, formula in _text_cells(f):
            assert not formula, f"{f}: a formula cell {text!r}"
            assert not text.startswith(DANGEROUS) or _is_number(text), f"{f}: unsafe cell {text!r}"
            seen.update(p for p in planted if text == "'" + p)
    assert seen == set(planted), f"planted text not found neutralised in {[f.name for f in files]}"


def test_finops_report_writes_safe_csvs(evil_root, tmp_path, capsys):
    assert (
        main(["report", "--assumptions", str(evil_root), "--out", str(tmp_path), "--trials", "50"])
        == 0
    )
    _assert_safe(sorted((tmp_path / "runs").rglob("*")))


def test_render_exports_are_safe(evil_root, tmp_path):
    from finops_model.inputs.assumptions import load_assumptions
    from finops_model.reports.exports import write_portfolio_exports

    paths = write_portfolio_exports(load_assumptions(evil_root), tmp_path, ["cheap"], 50, 0)
    _assert_safe(paths, (EVIL, OWNER, TEAM))
    _assert_safe([p for p in paths if p.suffix == ".xlsx"], (EVIL, OWNER, TEAM))


def test_portfolio_focus_csv_is_safe(evil_root, tmp_path, capsys):
    path = tmp_path / "focus.csv"
    assert (
        main(
            [
                "portfolio",
                "--assumptions",
                str(evil_root),
                "--trials",
                "50",
                "--jobs",
                "1",
                "--focus",
                str(path),
            ]
        )
        == 0
    )
    _assert_safe([path])


def test_forecast_focus_csv_is_safe(evil_root, tmp_path, capsys):
    from actuals_helpers import usage

    rows = [
        {
            "timestamp": f"2026-01-{d:02d}T08:00:00",
            "model": m,
            "requests": 3000,
            "input_tokens": 3000 * 500,
            "output_tokens": 3000 * 50,
            "request_type": "check",
        }
        for d in range(1, 21)
        for m in ("test-frontier", "test-small")
    ]
    usage_csv = tmp_path / "usage.csv"
    usage(rows).to_csv(usage_csv, index=False)
    out = tmp_path / "forecast-focus.csv"
    rc = main(
        [
            "actuals",
            "variance",
            "--usage",
            str(usage_csv),
            "--assumptions",
            str(evil_root),
            "--trials",
            "50",
            "--go-live",
            "2026-01-01",
            "--focus-out",
            str(out),
        ]
    )
    assert rc == 0
    _assert_safe([out])


def test_explorer_export_is_safe(tmp_path):
    from finops_model.explore.export import write_view

    views = {
        "kpis": pd.DataFrame(
            {"kpi": ["avg_monthly_cost"], "label": [EVIL], "unit": ["USD/month"], "p50": [-1.0]}
        ),
        "changes": pd.DataFrame({"field": [OWNER], "file_value": ["1"], "new_value": [TEAM]}),
        "about": pd.DataFrame({"item": ["use case"], "value": ["worked"]}),
    }
    _assert_safe(write_view(views, tmp_path), (EVIL, OWNER, TEAM))


def test_write_csv_is_atomic_and_refuses_overwrite_when_asked(tmp_path):
    from finops_model.errors import FinopsError

    p = write_csv(tmp_path / "a.csv", pd.DataFrame({"x": [1]}))
    with pytest.raises(FinopsError, match="a.csv"):
        write_csv(p, pd.DataFrame({"x": [2]}), overwrite=False)
    assert p.read_text() == "x\n1\n" and [q.name for q in tmp_path.iterdir()] == ["a.csv"]


def _umask() -> int:
    from finops_model.util.io import current_umask

    return current_umask()
