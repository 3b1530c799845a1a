"""The explorer app (``make app``) as its users and a shared machine meet it, in headless Chromium.

* it answers only local host names (a DNS-rebinding page gets 403 on every route);
* ten page loads leave no kernel behind once idle (culling) and the server does not grow;
* an analyst moves a hidden-labour control and sees the KPIs move, undoes and redoes it,
  exports the view, saves a draft whose command reproduces the panel, and the next render of
  the leaders' pack leaves the draft out.

Every request that leaves 127.0.0.1 is blocked. Screenshots and measured figures go to
``tests/artifacts/``.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
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
    http_get,
    isolated_env,
    server,
    wait_http,
)

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not (BIN / "voila").exists(), reason="voila is not installed (pip install -e '.[app]')")]

NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"
KPI = ".finops-kpi-avg_monthly_cost"
#: Generous: the first page load imports the whole stack in a new kernel on a loaded machine.
LOAD_MS = 180_000


def _notebook_on(assumptions: Path, dest: Path, trials: int = 2_000) -> Path:
    """A copy of the explorer notebook whose parameters point at ``assumptions``."""
    nb = json.loads(NOTEBOOK.read_text())
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    src = "".join(cell["source"])
    src = re.sub(r'^assumptions: str = .*$', f"assumptions: str = {str(assumptions)!r}", src, flags=re.M)
    src = re.sub(r"^trials: int = .*$", f"trials: int = {trials}", src, flags=re.M)
    assert str(assumptions) in src
    cell["source"] = src
    dest.write_text(json.dumps(nb))
    return dest


def _launch(notebook: Path, port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "finops_model.explore.app", str(notebook), f"--port={port}", *extra]


def test_app_answers_only_local_host_names(tmp_path):
    port = free_port()
    with server(_launch(NOTEBOOK, port), ROOT, tmp_path / "voila.log", isolated_env(tmp_path)) as proc:
        wait_http(f"http://127.0.0.1:{port}/voila/static/voila.js", time.monotonic() + 120, proc, per_try=30)
        base = f"http://127.0.0.1:{port}"
        routes = ["/voila/static/voila.js", "/api/kernels/00000000-0000-0000-0000-000000000000"]
        for host in ["evil.example", f"evil.example:{port}", "127.0.0.1.nip.io", "10.0.0.5"]:
            for route in [*routes, "/"]:
                status, _ = http_get(base + route, 60, {"Host": host})
                assert status == 403, (host, route, status)
        status, _ = http_get(base + routes[0], 60, {"Origin": "http://evil.example"})
        assert status == 403
        for host in [f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"]:
            status, _ = http_get(base + routes[0], 60, {"Host": host})
            assert status == 200, (host, status)


def _kernels(proc) -> list:
    """Live kernel processes under the server (a zombie or a process gone meanwhile is dead)."""
    import psutil

    alive = []
    for c in psutil.Process(proc.pid).children(recursive=True):
        try:
            if c.status() != psutil.STATUS_ZOMBIE and "ipykernel" in " ".join(c.cmdline()):
                alive.append(c)
        except psutil.Error:
            continue
    return alive


def _rss_mb(processes) -> float:
    import psutil

    total = 0
    for p in processes:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


@NO_CHROMIUM
def test_app_memory_stays_flat_over_ten_page_loads(tmp_path):
    psutil = pytest.importorskip("psutil")
    from playwright.sync_api import sync_playwright

    port = free_port()
    cmd = _launch(NOTEBOOK, port, "--cull-idle=20", "--cull-interval=2")
    figures: dict[str, list[float] | float] = {"kernels_after_load": [], "server_mb_after_load": [], "kernels_mb_after_load": []}
    with server(cmd, ROOT, tmp_path / "voila.log", isolated_env(tmp_path)) as proc:
        wait_http(f"http://127.0.0.1:{port}/voila/static/voila.js", time.monotonic() + 120, proc, per_try=30)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                for _ in range(10):
                    page = browser.new_page(viewport={"width": 1400, "height": 900})
                    block_remote(page, [])
                    page.goto(f"http://127.0.0.1:{port}/", timeout=LOAD_MS)
                    page.locator(KPI).first.wait_for(state="visible", timeout=LOAD_MS)
                    page.close()
                    kernels = _kernels(proc)
                    figures["kernels_after_load"].append(len(kernels))
                    figures["kernels_mb_after_load"].append(_rss_mb(kernels))
                    figures["server_mb_after_load"].append(_rss_mb([psutil.Process(proc.pid)]))
            finally:
                browser.close()
        deadline = time.monotonic() + 180
        while _kernels(proc) and time.monotonic() < deadline:
            time.sleep(1)
        figures["kernels_after_idle"] = len(_kernels(proc))
        figures["server_mb_after_idle"] = _rss_mb([psutil.Process(proc.pid)])
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "app_memory.json").write_text(json.dumps(figures, indent=2))
    assert figures["kernels_after_idle"] == 0, figures  # every kernel culled once no page uses it
    # the server itself does not grow with page loads (kernels are separate processes)
    assert figures["server_mb_after_idle"] < figures["server_mb_after_load"][0] + 150, figures


def _data_link(page, suffix: str) -> bytes:
    href = page.locator(f".finops-download[download$='{suffix}']").first.get_attribute("href")
    assert href and href.startswith("data:")
    return base64.b64decode(href.split(",", 1)[1])


@NO_CHROMIUM
def test_analyst_moves_hidden_labour_undoes_exports_and_saves_a_draft_left_out_of_the_report(tmp_path):
    from playwright.sync_api import sync_playwright

    assumptions = tmp_path / "assumptions"
    shutil.copytree(ROOT / "assumptions", assumptions)
    nb = _notebook_on(assumptions, tmp_path / "explore.ipynb")
    port = free_port()
    blocked: list[str] = []
    errors: list[str] = []
    control = ".finops-found .finops-text-hidden-human-review-minutes-per-review input"
    with server(_launch(nb, port), tmp_path, tmp_path / "voila.log", isolated_env(tmp_path)) as proc:
        wait_http(f"http://127.0.0.1:{port}/voila/static/voila.js", time.monotonic() + 120, proc, per_try=30)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                page = browser.new_page(viewport={"width": 1600, "height": 1400})
                page.on("pageerror", lambda e: errors.append(str(e)))
                block_remote(page, blocked)
                page.goto(f"http://127.0.0.1:{port}/", timeout=LOAD_MS)
                kpi = page.locator(KPI).first
                kpi.wait_for(state="visible", timeout=LOAD_MS)
                before = kpi.inner_text()
                assert "USD/month" in before

                def kpi_not(text: str) -> str:
                    page.wait_for_function("([sel, b]) => { const e = document.querySelector(sel); return e && e.innerText !== b; }",
                                           arg=[KPI, text], timeout=60_000)
                    return kpi.inner_text()

                def kpi_is(text: str) -> None:
                    page.wait_for_function("([sel, b]) => { const e = document.querySelector(sel); return e && e.innerText === b; }",
                                           arg=[KPI, text], timeout=60_000)

                # find the hidden-labour control by search and double the minutes per review
                page.locator(".finops-search input").fill("minutes per review")
                box = page.locator(control)
                box.wait_for(state="visible", timeout=30_000)
                doubled = re.sub(r"\d+(?:\.\d+)?", lambda m: f"{2 * float(m[0]):g}", box.input_value())  # "2 to 4" -> "4 to 8"
                assert doubled != box.input_value()
                box.fill(doubled)
                box.press("Enter")
                after = kpi_not(before)
                changes = page.locator(".finops-changes").inner_text()
                assert "minutes" in changes.lower(), changes
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "explore_app_changed.png"), full_page=True)

                page.locator(".finops-undo button, button.finops-undo").first.click()
                kpi_is(before)
                page.locator(".finops-redo button, button.finops-redo").first.click()
                kpi_is(after)

                page.locator(".finops-export-button button, button.finops-export-button").first.click()
                page.locator(".finops-download").first.wait_for(state="attached", timeout=60_000)
                assert page.locator(".finops-download").count() == 4
                changes_csv = _data_link(page, "-changes.csv").decode()
                assert "hidden.human_review.minutes_per_review" in changes_csv
                assert _data_link(page, ".xlsx")[:2] == b"PK"
                assert b"<html" in _data_link(page, ".html").lower()

                page.locator(".finops-save-name input").fill("review-tooling-trial")
                page.locator(".finops-save-desc input").fill("review tooling doubles the minutes per review")
                page.locator(".finops-save button, button.finops-save").first.click()
                page.wait_for_function("() => (document.querySelector('.finops-message') || {}).innerText?.includes('saved draft')",
                                       timeout=60_000)
                message = page.locator(".finops-message").inner_text()
                page.screenshot(path=str(ARTIFACTS / "explore_app_saved.png"), full_page=True)
            finally:
                browser.close()
    assert errors == []
    assert not [u for u in blocked if "127.0.0.1" in u]

    draft = assumptions / "scenarios" / "drafts" / "review-tooling-trial.yaml"
    text = draft.read_text()
    assert "review tooling doubles the minutes per review" in text
    command = next(line.strip(" #") for line in text.splitlines() if "finops simulate" in line)
    assert command in message
    assert "--scenario drafts/review-tooling-trial" in command and f"--assumptions {assumptions}" in command
    body = [line.split(" #")[0] for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert any("minutes_per_review" in line for line in body)
    assert not [line for line in body if "{" in line], body  # block style, not one flow-style line

    # the command reproduces the panel's KPI
    argv = [str(BIN / "finops"), *command.split()[1:], "--json"]
    sim = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert sim.returncode == 0, sim.stderr
    assert "drafts/review-tooling-trial" in sim.stdout

    # the leaders' pack leaves the draft out
    out = tmp_path / "out"
    rendered = subprocess.run([str(BIN / "finops"), "render", "support-copilot", "--trials", "300", "--assumptions", str(assumptions),
                               "--out", str(out)], capture_output=True, text=True, timeout=900)
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    files = [f for f in out.rglob("*") if f.is_file() and f.suffix in {".html", ".csv", ".json", ".md"}]
    assert files
    assert not [f for f in files if "review-tooling-trial" in f.read_text(errors="replace")]
