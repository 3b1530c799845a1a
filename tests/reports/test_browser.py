"""A rendered business case, opened from disk in headless Chromium with the network off."""

from __future__ import annotations

import pytest
from browser_helpers import ARTIFACTS, CHROMIUM, FLAGS, NO_CHROMIUM
from conftest import TEST_ASSUMPTIONS

from finops_model.reports.render import render

pytestmark = [pytest.mark.browser, NO_CHROMIUM]


@pytest.fixture(scope="module")
def page_path(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser")
    report = render(["worked"], (), trials=300, seed=0, out=out, assumptions_dir=str(TEST_ASSUMPTIONS), pages=(), on_progress=None)
    assert not report.failures, report.failures
    return report.folder / "business_cases" / "worked.html"


def test_business_case_page_draws_charts_offline(page_path):
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:", "blob:", "about:")) else None)
        page.goto(page_path.as_uri())
        page.wait_for_function("document.querySelectorAll('.finops-chart').length > 0")
        # the offline bundle upgrades static charts to interactive ones (vega-embed adds .vega-embed)
        page.wait_for_function("document.querySelectorAll('.finops-chart .vega-embed svg').length > 0", timeout=20_000)
        charts = page.locator(".finops-chart svg").count()
        interactive = page.locator(".finops-chart .vega-embed").count()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "business_case.png"), full_page=True)
        browser.close()
    assert charts >= 3
    assert interactive >= 3
    assert errors == []
    assert requests == []
