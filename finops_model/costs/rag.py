"""Retrieval-augmented generation and its data pipeline."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]

BYTES_PER_GB = 1e9


def _f(x: ArrayLike) -> Array:
    return np.asarray(x, dtype=float)


def indexed_tokens(corpus_tokens: ArrayLike, chunk_overlap: ArrayLike = 0.0) -> Array:
    """Tokens embedded for one full index of the corpus [tokens].

    Overlapping chunks embed the overlap twice: ``corpus / (1 − overlap)``.
    """
    return _f(corpus_tokens) / np.maximum(1.0 - _f(chunk_overlap), 1e-9)


def vector_count(corpus_tokens: ArrayLike, chunk_tokens: ArrayLike, chunk_overlap: ArrayLike = 0.0) -> Array:
    """Vectors in the index: one per chunk [vectors]."""
    return indexed_tokens(corpus_tokens, chunk_overlap) / np.maximum(_f(chunk_tokens), 1.0)


def storage_gb(vectors: ArrayLike, dimensions: ArrayLike, bytes_per_dimension: ArrayLike, index_overhead: ArrayLike = 1.0) -> Array:
    """Vector store size: vectors × dimensions × bytes × overhead [GB]."""
    return _f(vectors) * _f(dimensions) * _f(bytes_per_dimension) * _f(index_overhead) / BYTES_PER_GB


def embedding_tokens_per_month(
    corpus_tokens: ArrayLike, chunk_overlap: ArrayLike, reindex_per_month: ArrayLike, change_per_month: ArrayLike
) -> Array:
    """Tokens re-embedded each month: full re-indexes plus incremental changes [tokens/month]."""
    return indexed_tokens(corpus_tokens, chunk_overlap) * (_f(reindex_per_month) + _f(change_per_month))


def retrieved_tokens(top_k: ArrayLike, chunk_tokens: ArrayLike) -> Array:
    """Tokens retrieved into the prompt per query: top-k chunks [tokens/query]."""
    return _f(top_k) * _f(chunk_tokens)


def query_cost(
    queries_per_request: ArrayLike,
    query_tokens: ArrayLike,
    embedding_usd_per_token: ArrayLike,
    price_per_query: ArrayLike = 0.0,
    rerank_price_per_search: ArrayLike = 0.0,
) -> dict[str, Array]:
    """Retrieval cost per request, by part [USD/request].

    Returns ``embedding`` (embedding the query), ``search`` (vector store reads) and
    ``rerank`` (one rerank search per query).
    """
    q = _f(queries_per_request)
    return {
        "embedding": q * _f(query_tokens) * _f(embedding_usd_per_token),
        "search": q * _f(price_per_query),
        "rerank": q * _f(rerank_price_per_search),
    }
