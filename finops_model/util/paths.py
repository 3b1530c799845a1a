"""Every path of the project, built from one project root.

The root is found from the location of this package (``<root>/finops_model/util/paths.py``), so the
paths hold whatever the working directory is (cookiecutter-data-science: "every path built from
one project root").
"""

from __future__ import annotations

from pathlib import Path

#: The project root: the folder that holds ``finops_model/`` and ``assumptions/``.
PROJECT_ROOT: Path = Path(__file__).resolve().parents[2]
#: Assumption files (YAML): catalogs, use cases, scenarios.
ASSUMPTIONS_DIR: Path = PROJECT_ROOT / "assumptions"
#: Price and hardware catalogs.
CATALOG_DIR: Path = ASSUMPTIONS_DIR / "catalog"
#: The model price catalog read by :func:`finops_model.catalog.load_catalog` by default.
DEFAULT_MODEL_CATALOG: Path = CATALOG_DIR / "models.yaml"

#: Generated outputs (never edited by hand).
OUTPUTS_DIR: Path = PROJECT_ROOT / "outputs"

__all__ = ["OUTPUTS_DIR", "ASSUMPTIONS_DIR", "CATALOG_DIR", "DEFAULT_MODEL_CATALOG", "PROJECT_ROOT"]
