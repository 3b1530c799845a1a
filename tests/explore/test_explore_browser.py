"""The explorer notebook in a real browser: JupyterLab and Voilà on 127.0.0.1, driven by Chromium.

JupyterLab: run all cells, move a slider, see the KPI text change; every request that leaves
127.0.0.1 is blocked and recorded (charts must draw with no network). Voilà (``make app``): the
page is served and the panel renders. Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"
CHROMIUM = os.environ.get("FINOPS_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[1] / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
BIN = Path(sys.executable).parent
NO_CHROMIUM = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (Debian package 'chromium'; .ci/run installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - loopback only
        return r.status, r.read().decode("utf-8", "replace")


def _wait_http(url: str, deadline: float, proc: subprocess.Popen, per_try: float = 5.0) -> str:
    """GET ``url`` until it answers 200 (each try with a timeout: a first request can hang)."""
    last = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            status, body = _get(url, per_try)
            if status == 200:
                return body
            last = f"HTTP {status}"
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            last = repr(exc)
        time.sleep(0.5)
    raise TimeoutError(f"{url} not ready: {last}")


@contextmanager
def _server(cmd: list[str], cwd: Path, log: Path, env_extra: dict[str, str]):
    env = {**os.environ, **env_extra}
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


def _isolated_env(tmp: Path) -> dict[str, str]:
    """Jupyter's runtime, config and data folders in ``tmp`` (the test leaves nothing behind)."""
    for d in ("runtime", "config", "settings", "workspaces"):
        (tmp / d).mkdir(exist_ok=True)
    return {"JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp / "config")}


def _block_remote(page, blocked: list[str]) -> None:
    def route(r):
        url = r.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.route("**/*", route)


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
    port = _free_port()
    cmd = [str(BIN / "jupyter"), "lab", "--allow-root", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--ServerApp.token=", "--ServerApp.password=", "--LabApp.expose_app_in_browser=True",
           f"--ServerApp.root_dir={work}", f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
           f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}", "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    env = _isolated_env(tmp_path)
    t0 = time.monotonic()
    with _server(cmd, work, tmp_path / "lab.log", env) as proc:
        _wait_http(f"http://127.0.0.1:{port}/api/status", time.monotonic() + 40, proc)
        blocked: list[str] = []
        errors: list[str] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                page = browser.new_page(viewport={"width": 1600, "height": 1300})
                page.on("pageerror", lambda e: errors.append(str(e)))
                _block_remote(page, blocked)
                page.goto(f"http://127.0.0.1:{port}/lab/tree/explore.ipynb", timeout=30_000)
                page.wait_for_function(
                    "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                    " const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
                    " return !!k && k.connectionStatus === 'connected' && k.status === 'idle'; }",
                    timeout=40_000,
                )
                # start the run without awaiting its promise (it settles only when every cell has run)
                page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); return true; }")
                kpi = page.locator(".finops-kpi-avg_monthly_cost").first
                kpi.wait_for(state="visible", timeout=40_000)
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
    assert time.monotonic() - t0 < 120


@pytest.mark.slow
def test_make_app_serves_the_explorer_with_voila(tmp_path):
    voila = BIN / "voila"
    if not voila.exists():
        pytest.skip(f"voila is not installed in {BIN} (pip install 'voila>=0.5,<0.6')")
    port = _free_port()
    cmd = [str(voila), str(NOTEBOOK), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"]
    env = _isolated_env(tmp_path)
    with _server(cmd, ROOT, tmp_path / "voila.log", env) as proc:
        try:
            body = _wait_http(f"http://127.0.0.1:{port}/", time.monotonic() + 60, proc, per_try=30)
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
                    _block_remote(page, [])
                    page.goto(f"http://127.0.0.1:{port}/", timeout=60_000)
                    kpi = page.locator(".finops-kpi-avg_monthly_cost").first
                    kpi.wait_for(state="visible", timeout=40_000)
                    assert "USD/month" in kpi.inner_text()
                    ARTIFACTS.mkdir(exist_ok=True)
                    page.screenshot(path=str(ARTIFACTS / "explore_voila.png"), full_page=True)
                finally:
                    browser.close()
