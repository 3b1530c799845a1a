"""The explorer's app launcher (``make app``): arguments, idle culling, local host names only."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from browser_helpers import ROOT

from finops_model.explore import app


def test_voila_argv_binds_loopback_and_culls_idle_kernels():
    argv = app.voila_argv("nb.ipynb", port=9000, cull_idle=120, cull_interval=10)
    assert argv[0] == "nb.ipynb"
    assert "--Voila.ip=127.0.0.1" in argv
    assert "--no-browser" in argv
    assert "--port=9000" in argv
    assert "--MappingKernelManager.cull_idle_timeout=120" in argv
    assert "--MappingKernelManager.cull_interval=10" in argv
    # a page left open keeps its kernel; a busy kernel is never shut down under a computation
    assert "--MappingKernelManager.cull_connected=False" in argv
    assert "--MappingKernelManager.cull_busy=False" in argv


def test_voila_argv_defaults_and_extra_arguments():
    argv = app.voila_argv(extra=["--debug"])
    assert argv[0] == str(app.DEFAULT_NOTEBOOK)
    assert app.DEFAULT_NOTEBOOK.is_file()
    assert f"--port={app.DEFAULT_PORT}" in argv
    assert f"--MappingKernelManager.cull_idle_timeout={app.DEFAULT_CULL_IDLE}" in argv
    assert argv[-1] == "--debug"


@pytest.mark.parametrize("kwargs", [{"cull_idle": 0}, {"cull_interval": -1}, {"port": 0}, {"port": 70_000}])
def test_voila_argv_refuses_meaningless_settings(kwargs):
    with pytest.raises(ValueError, match="must be"):
        app.voila_argv(**kwargs)


@pytest.mark.parametrize("host", ["localhost", "localhost:8866", "LOCALHOST:1", "127.0.0.1", "127.0.0.1:8866",
                                  "127.1.2.3", "[::1]", "[::1]:8866", "app.localhost", "localhost."])
def test_local_host_names(host):
    assert app.is_local_host(host)


@pytest.mark.parametrize("host", ["", "evil.example", "evil.example:8866", "127.0.0.1.nip.io", "localhost.evil.example",
                                  "10.0.0.5", "192.168.1.2:8866", "[2001:db8::1]", "0.0.0.0", "notlocalhost"])
def test_foreign_host_names(host):
    assert not app.is_local_host(host)


def test_every_voila_handler_is_wrapped_with_the_host_check():
    pytest.importorskip("voila")
    cls = app.local_voila_class()
    from voila.app import Voila

    assert issubclass(cls, Voila)
    inst = cls()
    inst.initialize(app.voila_argv(port=app.DEFAULT_PORT))
    settings = inst.init_settings()
    assert settings["allow_remote_access"] is False
    assert "localhost" in settings["local_hostnames"]
    handlers = inst.init_handlers()
    assert handlers
    for spec in handlers:
        assert spec[1].__name__.startswith("Local"), spec


def test_missing_notebook_is_one_line_exit_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "finops_model.explore.app", str(tmp_path / "nope.ipynb")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "nope.ipynb" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_cull_setting_is_one_line_exit_2():
    assert app.main([str(app.DEFAULT_NOTEBOOK), "--cull-idle", "0"]) == 2


def _make_n(target: str) -> str:
    proc = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_make_app_runs_the_launcher():
    out = _make_n("app")
    assert "-m finops_model.explore.app" in out
    assert "--cull-idle=" in out


def test_make_lab_binds_loopback_culls_and_runs_as_root_offline():
    out = _make_n("lab")
    assert "--ServerApp.ip=127.0.0.1" in out
    assert "--no-browser" in out
    assert "--ServerApp.allow_remote_access=False" in out
    assert "--MappingKernelManager.cull_idle_timeout=" in out
    assert "news_url=None" in out and "NeverCheckForUpdate" in out
    assert ("--allow-root" in out) == (os.geteuid() == 0)


@pytest.mark.parametrize(("origin", "local"), [(None, True), ("http://localhost:8866", True), ("http://127.0.0.1:1", True),
                                               ("http://evil.example", False), ("null", False), ("", False)])
def test_origin_check(origin, local):
    assert app.origin_is_local(origin) is local
