"""What the browser and server tests share: Debian's Chromium, free loopback ports, a server
process group that is always stopped, Jupyter folders kept in the test's tmp, and a network
filter that lets only 127.0.0.1 through.

Tests that need Chromium carry ``NO_CHROMIUM`` (a skip with the reason where it is absent;
``.ci/run`` installs it). Screenshots go to :data:`ARTIFACTS` (``tests/artifacts/``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("FINOPS_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
BIN = Path(sys.executable).parent
NO_CHROMIUM = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason=f"no Chromium at {CHROMIUM} (Debian package 'chromium'; .ci/run installs it)")
LOCAL_PREFIXES = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """(status, body) of a GET; an HTTP error status is returned, not raised."""
    req = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 - loopback only
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def wait_http(url: str, deadline: float, proc: subprocess.Popen, per_try: float = 5.0) -> str:
    """GET ``url`` until it answers 200 (each try with a timeout: a first request can hang)."""
    last = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            status, body = http_get(url, per_try)
            if status == 200:
                return body
            last = f"HTTP {status}"
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            last = repr(exc)
        time.sleep(0.5)
    raise TimeoutError(f"{url} not ready: {last}")


@contextmanager
def server(cmd: list[str], cwd: Path, log: Path, env_extra: dict[str, str]) -> Iterator[subprocess.Popen]:
    """Run ``cmd`` in its own process group; on exit stop the whole group (TERM, then KILL)."""
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


def isolated_env(tmp: Path) -> dict[str, str]:
    """Jupyter's runtime, config and data folders in ``tmp`` (the test leaves nothing behind)."""
    for d in ("runtime", "config", "settings", "workspaces"):
        (tmp / d).mkdir(exist_ok=True)
    return {"JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp / "config")}


def block_remote(page, blocked: list[str]) -> None:
    """Let a Playwright page reach only 127.0.0.1 (and data/blob URLs); record the rest."""

    def route(r):
        url = r.request.url
        if url.startswith(LOCAL_PREFIXES):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.route("**/*", route)
