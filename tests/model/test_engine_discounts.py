"""Uncertain negotiated and batch discounts are sampled, not ignored or collapsed to a median.

The worked use case (tests/data/assumptions) has every input a point value, so its model
interaction is hand-checkable: the answer step reads 1000 + 200 prompt tokens plus 4 retrieved
chunks of 500 (3200 input tokens), half of them from the prompt cache, and writes 300 tokens on
test-frontier ($3 / $0.30 cache read / $15 per M):
``1600·3e-6 + 1600·0.3e-6 + 300·15e-6 = 0.00978 USD/call`` × 100 users × 1000 requests
= 978 USD/month. A discount ``d`` of the provider multiplies it by ``1 − d``; sending half of
the calls through the batch API with a batch discount ``b`` (the model lists no batch rate)
multiplies it by ``1 − b/2``.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import yaml
from numpy.testing import assert_allclose

from finops_model.inputs.assumptions import load_assumptions
from finops_model.model.engine import simulate

BASE = 978.0  # [USD/month], hand-computed above


@pytest.fixture
def run(tmp_path):
    from tests.conftest import TEST_ASSUMPTIONS

    root = tmp_path / "assumptions"
    shutil.copytree(TEST_ASSUMPTIONS, root)
    original = yaml.safe_load((TEST_ASSUMPTIONS / "use_cases" / "worked.yaml").read_text(encoding="utf-8"))

    def go(org=None, answer=None, n=4000):
        raw = yaml.safe_load(yaml.safe_dump(original))
        if org:
            raw["org"] = org
        if answer:
            raw["steps"]["answer"].update(answer)
        (root / "use_cases" / "worked.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
        a = load_assumptions(root)
        return simulate(a.use_case("worked"), a.catalog, n, seed=3)

    return go


def test_model_interaction_without_discount_is_hand_checked(run):
    assert_allclose(run().kpis["cost_model_interaction"], BASE, rtol=1e-12)


def test_constant_provider_discount(run):
    assert_allclose(run({"provider_discounts": {"testai": 0.3}}).kpis["cost_model_interaction"], BASE * 0.7, rtol=1e-12)


def test_uncertain_provider_discount_is_sampled(run):
    r = run({"provider_discounts": {"testai": {"uniform": [0.2, 0.4]}}})
    d = np.asarray(r.inputs["org.provider_discounts.testai"])
    assert d.shape == (4000,) and d.min() >= 0.2 and d.max() <= 0.4
    cost = r.kpis["cost_model_interaction"]
    assert_allclose(cost, BASE * (1 - d), rtol=1e-12)  # trial by trial, as sampled
    # mean of uniform(0.2, 0.4) is 0.3: 978 × 0.7 = 684.6, within 4 standard errors
    se = BASE * 0.2 / np.sqrt(12) / np.sqrt(cost.size)
    assert abs(cost.mean() - 684.6) < 4 * se
    assert cost.std() > 10  # not one value for every trial (the old silent ignore gave 978)


def test_uncertain_provider_discount_reaches_embeddings(run):
    plain = run()
    r = run({"provider_discounts": {"testai": {"uniform": [0.2, 0.4]}}})
    d = np.asarray(r.inputs["org.provider_discounts.testai"])
    rag_plain = plain.cost_by_category[("rag", "embedding: re-index")]
    assert_allclose(r.cost_by_category[("rag", "embedding: re-index")], rag_plain * (1 - d), rtol=1e-12)


def test_uncertain_batch_discount_is_sampled_not_its_median(run):
    r = run({"batch_discount": {"uniform": [0.4, 0.6]}}, {"batch_share": 0.5})
    b = np.asarray(r.inputs["org.batch_discount"])
    assert b.shape == (4000,)
    cost = r.kpis["cost_model_interaction"]
    assert_allclose(cost, BASE * (1 - b / 2), rtol=1e-12)
    # hand-checked mean: 978 × (1 − 0.5/2) = 733.5
    se = BASE / 2 * 0.2 / np.sqrt(12) / np.sqrt(cost.size)
    assert abs(cost.mean() - 733.5) < 4 * se


def test_constant_batch_discount_unchanged(run):
    assert_allclose(run({"batch_discount": 0.5}, {"batch_share": 0.5}).kpis["cost_model_interaction"], BASE * 0.75, rtol=1e-12)


@pytest.mark.parametrize("field", ["batch_discount", "provider_discounts"])
def test_a_discount_of_one_is_refused_at_the_schema(run, field):
    from finops_model.errors import AssumptionError

    org = {"batch_discount": 1.0} if field == "batch_discount" else {"provider_discounts": {"testai": 1}}
    with pytest.raises(AssumptionError) as exc:
        run(org)
    msg = str(exc.value)
    assert field in msg and "< 1" in msg and "worked.yaml" in msg
