"""The business case sections: computed in the package, escaped in HTML."""

from __future__ import annotations

import shutil

import pytest
import yaml
from conftest import TEST_ASSUMPTIONS

from finops_model.reports.business_case import build_business_case
from finops_model.reports.html import esc, table_html


@pytest.fixture(scope="module")
def case():
    return build_business_case("worked", trials=200, seed=1, assumptions_dir=str(TEST_ASSUMPTIONS), sobol_base_samples=32)


def test_build_business_case_sections_render(case):
    for name in ("html_title", "html_summary", "html_cost_stack", "html_metrics", "html_distributions",
                 "html_sensitivity", "html_levers", "html_build_vs_buy", "html_gate", "html_assumptions", "html_stamp"):
        assert isinstance(getattr(case, name)().data, str)


def test_build_business_case_summary_has_verdict_and_numbers(case):
    html = case.html_summary().data
    assert "Verdict" in html and case.decision.action in html
    assert "P(viable)" in html


def test_build_business_case_stamp_is_reproducible(case):
    s = case.stamp()
    assert s["seed"] == 1 and s["trials"] == 200 and len(s["assumptions_hash"]) == 16


def test_build_business_case_metric_hierarchy_matches_summary(case):
    df = case.metric_hierarchy().set_index("metric")
    assert df.loc["per request (workflow)", "p50"] == pytest.approx(case.kpi("cost_per_request"))


def test_esc_neutralises_script():
    assert esc("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_table_html_escapes_cells():
    import pandas as pd

    html = table_html(pd.DataFrame({"name": ["<b>x</b>"], "v": [1.0]}))
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_build_business_case_use_case_name_is_escaped(tmp_path):
    root = tmp_path / "assumptions"
    shutil.copytree(TEST_ASSUMPTIONS, root)
    f = root / "use_cases" / "worked.yaml"
    data = yaml.safe_load(f.read_text())
    data["name"] = "<script>alert(1)</script>"
    f.write_text(yaml.safe_dump(data))
    case = build_business_case("worked", trials=50, assumptions_dir=str(root), sensitivity=False)
    html = case.html_title().data
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
