from numpy.testing import assert_allclose

from finops_model.costs import hidden


def test_labour_cost_hours_rate_overhead():
    assert_allclose(hidden.labour_cost(10, 100, 1.2), 1200)


def test_fte_hours():
    assert_allclose(hidden.fte_hours(0.5, 160), 80)


def test_human_review_cost_per_request():
    # 10% reviewed × 3 min ÷ 60 × $50/h = $0.25
    assert_allclose(hidden.human_review_cost_per_request(0.1, 3, 50), 0.25)


def test_logging_cost_per_request_ingest_and_retained_storage():
    c = hidden.logging_cost_per_request(20_000, 0.5, 0.023, 12)
    assert_allclose(c["ingest"], 20_000 / 1e9 * 0.5)
    assert_allclose(c["storage"], 20_000 / 1e9 * 0.023 * 12)


def test_evaluation_run_cost():
    assert_allclose(hidden.evaluation_run_cost(200, 4, 0.01), 8.0)
