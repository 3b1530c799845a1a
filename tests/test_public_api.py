"""The public API: every advertised name resolves, lazily, to the object its module defines."""

import subprocess
import sys

import numpy as np
import pytest

import finops_model


@pytest.mark.parametrize("name", [n for n in finops_model.__all__ if n != "__version__"])
def test_public_name_resolves_to_its_module_object(name):
    obj = getattr(finops_model, name)
    module = sys.modules[finops_model._PUBLIC[name]]
    assert obj is getattr(module, name)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'simulatee'"):
        finops_model.simulatee  # noqa: B018


def test_import_is_lazy():
    code = "import sys, finops_model; print(any(m.startswith('finops_model.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_quick_start_of_the_docstring_runs(test_assumptions):
    r = finops_model.simulate(test_assumptions.use_cases["worked"], test_assumptions.catalog, n=20, seed=0)
    df = finops_model.summarise(r)
    row = df.set_index("kpi").loc["avg_monthly_cost"]
    assert row["unit"] == "USD/month"
    assert row["p50"] == pytest.approx(float(np.median(r.kpis["avg_monthly_cost"])))
