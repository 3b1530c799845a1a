from numpy.testing import assert_allclose

from finops_model.costs import rag


def test_vector_count_and_storage_hand_computed():
    v = rag.vector_count(10_000_000, 500, 0.0)
    assert_allclose(v, 20_000)
    assert_allclose(rag.storage_gb(v, 1536, 4, 1.5), 20_000 * 1536 * 4 * 1.5 / 1e9)


def test_indexed_tokens_counts_overlap_twice():
    assert_allclose(rag.indexed_tokens(1000, 0.5), 2000)


def test_embedding_tokens_per_month_reindex_plus_changes():
    assert_allclose(rag.embedding_tokens_per_month(1e6, 0.0, 2, 0.1), 2.1e6)


def test_query_cost_parts():
    q = rag.query_cost(2, 50, 0.02e-6, 16e-6, 0.002)
    assert_allclose(q["embedding"], 2 * 50 * 0.02e-6)
    assert_allclose(q["search"], 32e-6)
    assert_allclose(q["rerank"], 0.004)


def test_retrieved_tokens_top_k_chunks():
    assert_allclose(rag.retrieved_tokens(5, 800), 4000)
