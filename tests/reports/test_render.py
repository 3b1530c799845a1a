"""Rendering with papermill: parameters contract, outputs, failure isolation, offline pages."""

from __future__ import annotations

import json
import re
import shutil

import pytest
import yaml
from conftest import TEST_ASSUMPTIONS

from finops_model.cli import main as cli
from finops_model.reports.render import (
    NOTEBOOK_DIR,
    RenderError,
    check_parameters,
    notebook_parameters,
    render,
)


def test_notebook_parameters_business_case_declares_contract():
    params = notebook_parameters(NOTEBOOK_DIR / "business_case.ipynb")
    assert {"use_case", "scenarios", "trials", "seed", "method", "assumptions_dir"} <= set(params)
    assert params["trials"]["inferred_type_name"] == "int"
    assert params["use_case"]["help"]  # the comment becomes the help text


def test_check_parameters_unknown_is_an_error():
    with pytest.raises(RenderError, match="parameters.trails: expected one of .*did you mean 'trials'"):
        check_parameters(NOTEBOOK_DIR / "business_case.ipynb", {"trails": 10})


def test_notebooks_are_committed_without_outputs():
    for path in NOTEBOOK_DIR.glob("*.ipynb"):
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell["outputs"] and cell["execution_count"] is None, path.name


def _tree_with_failing_case(tmp_path):
    root = tmp_path / "assumptions"
    shutil.copytree(TEST_ASSUMPTIONS, root)
    data = yaml.safe_load((root / "use_cases" / "worked.yaml").read_text())
    data["id"] = "broken"
    data["name"] = "Broken <b>case</b>"
    data["infrastructure"] = {"deployment": "self_hosted"}  # no self_hosting section: fails at evaluation
    (root / "use_cases" / "broken.yaml").write_text(yaml.safe_dump(data))
    return root


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("render")
    root = _tree_with_failing_case(tmp)
    report = render(None, (), trials=200, seed=0, out=tmp / "out", jobs=2, assumptions_dir=str(root), pages=(), on_progress=None)
    return tmp, report


def test_render_writes_notebook_and_offline_html(rendered):
    tmp, report = rendered
    folder = report.folder
    assert (folder / "business_cases" / "worked.ipynb").exists()
    page = (folder / "business_cases" / "worked.html").read_text()
    assert 'class="finops-chart"' in page and "<svg" in page
    assert "window.vegaEmbed" in page  # the bundle is inlined once
    assert page.count("window.vegaEmbed=") <= 1
    assert not re.search(r"<script[^>]+src=\"https?://", page)  # nothing fetched from the network
    assert "case = build_business_case" not in page  # code hidden


def test_render_isolates_a_failing_use_case(rendered):
    tmp, report = rendered
    assert set(report.failures) == {"broken"}
    assert "self_hosting" in report.failures["broken"]
    failures = json.loads((report.folder / "failures.json").read_text())
    assert "broken" in failures
    index = (report.folder / "index.html").read_text()
    assert "Broken &lt;b&gt;case&lt;/b&gt;" in index and "failed" in index


def test_render_points_latest_and_stamps(rendered):
    tmp, report = rendered
    latest = tmp / "out" / "latest"
    assert latest.resolve() == report.folder.resolve()
    stamp = json.loads((report.folder / "stamp.json").read_text())
    assert stamp["seed"] == 0 and stamp["trials"] == 200 and stamp["assumptions_hash"]


def test_main_render_exits_non_zero_when_a_use_case_fails(tmp_path, capsys):
    root = _tree_with_failing_case(tmp_path)
    code = cli.main(["render", "broken", "--trials", "50", "--out", str(tmp_path / "o"), "--assumptions", str(root)])
    assert code == 1
    err = capsys.readouterr().err
    assert "broken: failed" in err and "Traceback" not in err


def test_render_portfolio_and_build_vs_buy_pages_on_fixture(tmp_path):
    report = render(["worked"], (), trials=200, seed=0, out=tmp_path, jobs=1, assumptions_dir=str(TEST_ASSUMPTIONS),
                    pages=("portfolio", "build_vs_buy"), on_progress=None)
    assert not report.failures, report.failures
    folder = report.folder
    page = (folder / "portfolio.html").read_text()
    assert "Showback and chargeback" in page and "Production gate" in page
    assert "self-hosting option" in (folder / "build_vs_buy.html").read_text()
    from openpyxl import load_workbook

    wb = load_workbook(folder / "portfolio.xlsx")
    assert wb.sheetnames == ["summary", "by_use_case", "by_layer", "by_scenario", "assumptions"]
    assert sorted(p.name for p in (folder / "csv").glob("*.csv")) == sorted(f"{s}.csv" for s in wb.sheetnames)
    index = (folder / "index.html").read_text()
    assert 'href="portfolio.html"' in index and 'href="portfolio.xlsx"' in index
