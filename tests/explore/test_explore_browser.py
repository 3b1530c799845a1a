"""The explorer notebook in a real browser: JupyterLab and Voilà on 127.0.0.1, driven by Chromium.

JupyterLab: run all cells, move a slider, see the KPI text change; every request that leaves
127.0.0.1 is blocked and recorded (charts must draw with no network). Voilà (``make app``): the
page is served and the panel renders. Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest
from browser_helpers import (
    ARTIFACTS,
    BIN,
    CHROMIUM,
    FLAGS,
    NO_CHROMIUM,
    ROOT,
    block_remote,
    free_port,
    isolated_env,
    server,
    wait_http,
)

NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"


def _move_slider(page, css_class: str) -> None:
    handle = page.locator(f".{css_class} .noUi-handle").first
    handle.wait_for(state="visible", timeout=10_000)
    handle.focus()
    for _ in range(3):
        handle.press("PageUp")


@pytest.mark.browser
@pytest.mark.slow
@NO_CHROMIUM
def test_explore_notebook_in_jupyterlab_moves_kpis(tmp_path):
    from playwright.sync_api import sync_playwright

    work = tmp_path / "lab"
    work.mkdir()
    shutil.copy(NOTEBOOK, work / "explore.ipynb")
    port = free_port()
    cmd = [str(BIN / "jupyter"), "lab", "--allow-root", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--ServerApp.token=", "--ServerApp.password=", "--LabApp.expose_app_in_browser=True",
           f"--ServerApp.root_dir={work}", f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
           f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}", "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    env = isolated_env(tmp_path)
    with server(cmd, work, tmp_path / "lab.log", env) as proc:
        wait_http(f"http://127.0.0.1:{port}/api/status", time.monotonic() + 120, proc)
        blocked: list[str] = []
        errors: list[str] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                page = browser.new_page(viewport={"width": 1600, "height": 1300})
                page.on("pageerror", lambda e: errors.append(str(e)))
                block_remote(page, blocked)
                page.goto(f"http://127.0.0.1:{port}/lab/tree/explore.ipynb", timeout=30_000)
                page.wait_for_function(
                    "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                    " const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
                    " return !!k && k.connectionStatus === 'connected' && k.status === 'idle'; }",
                    timeout=120_000,
                )
                # start the run without awaiting its promise (it settles only when every cell has run)
                page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); return true; }")
                kpi = page.locator(".finops-kpi-avg_monthly_cost").first
                kpi.wait_for(state="visible", timeout=120_000)
                before = kpi.inner_text()
                assert "USD/month" in before
                _move_slider(page, "finops-volume-active-users")
                page.wait_for_function(
                    "b => { const e = document.querySelector('.finops-kpi-avg_monthly_cost'); return e && e.innerText !== b; }",
                    arg=before, timeout=20_000,
                )
                after = kpi.inner_text()
                caption = page.locator(".finops-kpis").first.inner_text()
                page.wait_for_function("() => document.querySelectorAll('.finops-explorer .finops-chart svg').length >= 3", timeout=30_000)
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "explore_jupyterlab.png"), full_page=True)
                page.locator(".finops-explorer .finops-chart").first.scroll_into_view_if_needed()
                page.screenshot(path=str(ARTIFACTS / "explore_jupyterlab_charts.png"))
            finally:
                browser.close()
    assert after != before
    assert "1 change " in caption
    assert errors == []
    assert all("127.0.0.1" not in u for u in blocked)  # only remote requests were blocked
    assert not [u for u in blocked if "vega" in u or "cdn" in u], blocked  # charts need no network


@pytest.mark.slow
def test_make_app_serves_the_explorer_with_voila(tmp_path):
    if not (BIN / "voila").exists():
        pytest.skip(f"voila is not installed in {BIN} (pip install -e '.[app]')")
    port = free_port()
    cmd = [sys.executable, "-m", "finops_model.explore.app", str(NOTEBOOK), f"--port={port}"]  # what `make app` runs
    env = isolated_env(tmp_path)
    with server(cmd, ROOT, tmp_path / "voila.log", env) as proc:
        try:
            body = wait_http(f"http://127.0.0.1:{port}/", time.monotonic() + 60, proc, per_try=30)
        except RuntimeError as exc:
            pytest.skip(f"voila could not start: {exc}; log: {(tmp_path / 'voila.log').read_text()[-500:]}")
        assert "application/vnd.jupyter.widget-view+json" in body  # the panel was displayed
        assert "Traceback" not in body
        if Path(CHROMIUM).exists():
            from playwright.sync_api import sync_playwright

            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                try:
                    page = browser.new_page(viewport={"width": 1600, "height": 1300})
                    block_remote(page, [])
                    page.goto(f"http://127.0.0.1:{port}/", timeout=60_000)
                    kpi = page.locator(".finops-kpi-avg_monthly_cost").first
                    kpi.wait_for(state="visible", timeout=120_000)
                    assert "USD/month" in kpi.inner_text()
                    ARTIFACTS.mkdir(exist_ok=True)
                    page.screenshot(path=str(ARTIFACTS / "explore_voila.png"), full_page=True)
                finally:
                    browser.close()
