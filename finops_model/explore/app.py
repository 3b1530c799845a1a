"""The explorer as a local web app (``make app``): Voilà on 127.0.0.1 that stays small and local.

Two things a plain ``voila explore.ipynb`` does not do, and a shared or a laptop machine needs:

* **Idle kernels are culled.** Each page load starts a kernel (~350 MB); Jupyter's kernel
  manager shuts down a kernel no page is connected to once it has been idle for
  ``cull_idle`` seconds (checked every ``cull_interval`` seconds), so memory stays flat over
  a day of page loads instead of growing by one kernel per load.
* **Only local names are answered (DNS rebinding).** Voilà sets ``allow_remote_access`` and its
  static-file handlers answer any ``Host`` header, so a web page whose name was re-bound to
  127.0.0.1 could read the app. Here every handler refuses, with 403, a request whose ``Host``
  or ``Origin`` is not a loopback name (``localhost``, ``127.0.0.1``, ``[::1]``, ``*.localhost``).

Run ``python -m finops_model.explore.app [NOTEBOOK] [--port P] [--cull-idle S]`` (what
``make app`` does), or build the command line with :func:`voila_argv`.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_CULL_IDLE",
    "DEFAULT_CULL_INTERVAL",
    "DEFAULT_NOTEBOOK",
    "DEFAULT_PORT",
    "is_local_host",
    "local_voila_class",
    "origin_is_local",
    "main",
    "voila_argv",
]

#: Seconds a kernel with no page connected may stay idle before it is shut down [s].
DEFAULT_CULL_IDLE = 900
#: Seconds between two checks for idle kernels [s].
DEFAULT_CULL_INTERVAL = 60
#: Port of ``make app``.
DEFAULT_PORT = 8866
#: The explorer notebook of the project.
DEFAULT_NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "explore.ipynb"

_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def _host_name(value: str) -> str:
    """The name part of a ``Host`` header value (no port, no brackets, lower case)."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def is_local_host(host: str) -> bool:
    """True when a ``Host`` header (or an origin's host) names this machine's loopback.

    ``localhost`` and its sub-names, and loopback addresses (``127.0.0.0/8``, ``::1``) are
    local; any other name — ``evil.example``, ``127.0.0.1.nip.io``, a LAN address — is not,
    whatever it resolves to (that is the point: a re-bound name resolves to 127.0.0.1).
    """
    name = _host_name(host).rstrip(".")
    if not name:
        return False
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def origin_is_local(origin: str | None) -> bool:
    """No ``Origin`` header (not a cross-site request), or an origin on a local host name."""
    if origin is None:
        return True
    parts = urlsplit(origin)  # "null" and "" have no host name: refused
    return bool(parts.hostname) and is_local_host(parts.netloc)


class _LocalOnly:
    """Mixin for tornado handlers: 403 for a non-local ``Host`` or ``Origin``."""

    request: Any

    def prepare(self) -> Any:
        from tornado.web import HTTPError

        host = self.request.headers.get("Host", "")
        origin = self.request.headers.get("Origin")
        if not is_local_host(host) or not origin_is_local(origin):
            raise HTTPError(403, "only local host names are served (DNS-rebinding protection)")
        return super().prepare()  # type: ignore[misc]


def _local_handler(spec: Any) -> Any:
    """The handler spec with its class wrapped in :class:`_LocalOnly`."""
    if isinstance(spec, tuple | list) and len(spec) >= 2 and isinstance(spec[1], type):
        cls = spec[1]
        local = type(f"Local{cls.__name__}", (_LocalOnly, cls), {})
        return (spec[0], local, *spec[2:])
    return spec


def local_voila_class() -> type:
    """A :class:`voila.app.Voila` that answers local host names only (see the module doc)."""
    from voila.app import Voila

    class LocalVoila(Voila):  # type: ignore[misc, valid-type]
        """Voilà with ``allow_remote_access`` off and every handler checking ``Host``/``Origin``."""

        def init_settings(self) -> dict[str, Any]:
            settings = dict(super().init_settings())
            settings["allow_remote_access"] = False
            settings["local_hostnames"] = sorted(_LOCAL_NAMES)
            return settings

        def init_handlers(self) -> list[Any]:
            return [_local_handler(h) for h in super().init_handlers()]

    return LocalVoila


def voila_argv(
    notebook: str | Path = DEFAULT_NOTEBOOK,
    *,
    port: int = DEFAULT_PORT,
    cull_idle: int = DEFAULT_CULL_IDLE,
    cull_interval: int = DEFAULT_CULL_INTERVAL,
    extra: Sequence[str] = (),
) -> list[str]:
    """Voilà's command-line arguments for the explorer: 127.0.0.1, no browser, idle culling.

    ``cull_idle`` [s] is how long a kernel no page is connected to may stay idle;
    ``cull_interval`` [s] how often that is checked. Both must be positive.
    """
    if cull_idle <= 0 or cull_interval <= 0:
        raise ValueError(f"cull_idle and cull_interval must be positive seconds, found {cull_idle} and {cull_interval}")
    if not 0 < port < 65536:
        raise ValueError(f"port must be in 1..65535, found {port}")
    return [
        str(notebook),
        "--no-browser",
        "--Voila.ip=127.0.0.1",
        f"--port={port}",
        f"--MappingKernelManager.cull_idle_timeout={cull_idle}",
        f"--MappingKernelManager.cull_interval={cull_interval}",
        "--MappingKernelManager.cull_connected=False",
        "--MappingKernelManager.cull_busy=False",
        *extra,
    ]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m finops_model.explore.app",
                                description="Serve the explorer with Voilà on 127.0.0.1 (local host names only; idle kernels culled).")
    p.add_argument("notebook", nargs="?", default=str(DEFAULT_NOTEBOOK), help="the explorer notebook (default: notebooks/explore.ipynb)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 (default {DEFAULT_PORT})")
    p.add_argument("--cull-idle", type=int, default=DEFAULT_CULL_IDLE, metavar="SECONDS",
                   help=f"shut down a kernel no page uses after this many idle seconds (default {DEFAULT_CULL_IDLE})")
    p.add_argument("--cull-interval", type=int, default=DEFAULT_CULL_INTERVAL, metavar="SECONDS",
                   help=f"seconds between checks for idle kernels (default {DEFAULT_CULL_INTERVAL})")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Start the app; returns the exit status (2 with one line for a bad argument)."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    notebook = Path(args.notebook).expanduser().resolve()
    if not notebook.is_file():
        print(f"error: {args.notebook}: no such notebook (expected an .ipynb file, e.g. notebooks/explore.ipynb)", file=sys.stderr)
        return 2
    try:
        argv_voila = voila_argv(notebook, port=args.port, cull_idle=args.cull_idle, cull_interval=args.cull_interval, extra=extra)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        app_class = local_voila_class()
    except ImportError:
        print("error: voila is not installed (pip install -e '.[app]', or run `make app`)", file=sys.stderr)
        return 2
    app_class.launch_instance(argv_voila)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
