"""AI FinOps Workbench: governed unit economics for enterprise AI workloads.

The package is layered (see README): pure vectorised functions per cost layer at the bottom,
validated and frozen assumption objects in the middle, one orchestrator on top.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("finops-model")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = ["__version__"]
