"""The KPI table: every KPI the engine computes is defined once, and the two cost averages
mean what their definitions say."""

import numpy as np
from numpy.testing import assert_allclose

from finops_model.model.engine import simulate
from finops_model.model.kpis import KPI_UNITS, KPIS, kpi_table, label


def test_every_engine_kpi_is_defined_and_every_definition_is_computed(test_assumptions):
    r = simulate(test_assumptions.use_cases["worked"], test_assumptions.catalog, 50, 1)
    assert set(r.kpis) == set(KPIS)
    assert set(kpi_table()["kpi"]) == set(KPI_UNITS)
    assert all(k.definition.endswith(".") and k.unit for k in KPIS.values())


def test_average_and_recurring_monthly_cost_are_distinct_quantities(test_assumptions):
    r = simulate(test_assumptions.use_cases["worked"], test_assumptions.catalog, 50, 1)
    k = r.kpis
    live = r.live.sum()
    assert_allclose(k["avg_monthly_cost"] * live, k["recurring_cost"] + k["one_off_cost"], rtol=1e-12)
    assert_allclose(k["recurring_monthly_cost"] * live, k["recurring_cost"], rtol=1e-12)
    assert_allclose(r.cost_by_month.sum(axis=1) / live, k["recurring_monthly_cost"], rtol=1e-10)
    if np.any(k["one_off_cost"] > 0):
        assert np.all(k["avg_monthly_cost"] >= k["recurring_monthly_cost"])
    assert label("avg_monthly_cost") != label("recurring_monthly_cost")
