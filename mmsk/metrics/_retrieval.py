"""Retrieval metrics computed from a query-by-target score matrix or from ranks.

A score matrix holds, for each query (row), the similarity of every candidate target
(column); higher means a better match. The relevance of the targets to each query is
either the diagonal (query ``i`` goes with target ``i``, the paired rows of one table),
a boolean matrix of the same shape as the scores, or one collection of target indices
per query, so that a query may have several correct targets.

The rank of a query is the position of its best-scored relevant target in the list of
targets sorted by decreasing score, starting at 1. Ties count against the query: an
irrelevant target that scores exactly as high as the best relevant one is ranked before
it, so that a constant score matrix (a model that tells nothing apart) gets the worst
ranks rather than the best.
"""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

__all__ = [
    "make_retrieval_scorer",
    "mean_reciprocal_rank",
    "median_rank",
    "recall_at_k",
    "retrieval_ranks",
]

DIRECTIONS = ("query_to_target", "target_to_query", "both")
_METRICS = ("recall", "mrr", "median_rank")


def retrieval_ranks(scores, relevance=None, *, direction="query_to_target"):
    """Rank of the best relevant target of each query, starting at 1.

    Parameters
    ----------
    scores : array-like of shape (n_queries, n_targets)
        Similarity of each query to each target; higher is a better match.
    relevance : None, array-like of bool of shape (n_queries, n_targets) or list of \
collections of int, default=None
        Which targets are correct for each query. None means the diagonal: query ``i``
        goes with target ``i`` (``scores`` must then be square). A list holds, for each
        query, the indices of its correct targets.
    direction : {"query_to_target", "target_to_query"}, default="query_to_target"
        ``"target_to_query"`` ranks the queries for each target instead (the
        transposed problem), with the same relevance read the other way.

    Returns
    -------
    ranks : ndarray of int of shape (n_queries,) or (n_targets,)
        One rank per query (per target for ``"target_to_query"``).

    Raises
    ------
    ValueError
        When a query has no relevant target, or the shapes disagree.

    Examples
    --------
    >>> import numpy as np
    >>> from mmsk.metrics import retrieval_ranks
    >>> scores = np.array([[0.9, 0.1, 0.3], [0.8, 0.5, 0.2], [0.1, 0.2, 0.7]])
    >>> retrieval_ranks(scores).tolist()
    [1, 2, 1]
    """
    if direction not in DIRECTIONS[:2]:
        raise ValueError(
            "The 'direction' parameter of retrieval_ranks must be 'query_to_target' or "
            f"'target_to_query'. Got {direction!r} instead."
        )
    scores = _check_scores(scores)
    relevant = _relevance_matrix(relevance, scores.shape)
    if direction == "target_to_query":
        scores, relevant = scores.T, relevant.T
    without = np.flatnonzero(~relevant.any(axis=1))
    if without.size:
        who = "query" if direction == "query_to_target" else "target"
        raise ValueError(
            f"{without.size} {who}(s) have no relevant match (first: {who} {without[0]}); "
            f"every {who} needs at least one correct match to be ranked. Drop those rows "
            "or fix the relevance."
        )
    best = np.where(relevant, scores, -np.inf).max(axis=1, keepdims=True)
    # Irrelevant targets scoring at least as high as the best relevant one come first.
    ahead = ((scores >= best) & ~relevant).sum(axis=1)
    return ahead.astype(np.int64) + 1


@validate_params(
    {
        "scores": ["array-like"],
        "relevance": ["array-like", list, None],
        "k": [Interval(Integral, 1, None, closed="left")],
        "direction": [StrOptions(set(DIRECTIONS))],
    },
    prefer_skip_nested_validation=True,
)
def recall_at_k(scores, relevance=None, *, k=10, direction="query_to_target"):
    """Fraction of queries with a relevant target among their ``k`` best-scored targets.

    Parameters
    ----------
    scores : array-like of shape (n_queries, n_targets) or (n_queries,)
        Similarity of each query to each target (higher is better), or directly the
        1-D ranks of :func:`retrieval_ranks`.
    relevance : None, array-like of bool or list of collections of int, default=None
        Correct targets of each query; see :func:`retrieval_ranks`. Must be None when
        ``scores`` holds ranks.
    k : int, default=10
        How many of the best-scored targets count as retrieved.
    direction : {"query_to_target", "target_to_query", "both"}, \
default="query_to_target"
        Retrieve targets for each query, queries for each target, or the mean of
        both.

    Returns
    -------
    recall : float
        Between 0 and 1.

    Examples
    --------
    >>> import numpy as np
    >>> from mmsk.metrics import recall_at_k
    >>> scores = np.array([[0.9, 0.1, 0.3], [0.8, 0.5, 0.2], [0.1, 0.2, 0.7]])
    >>> float(recall_at_k(scores, k=1))
    0.6666666666666666
    >>> float(recall_at_k([1, 4, 2, 12], k=3))
    0.5
    """
    return _over_directions(
        lambda ranks: float(np.mean(ranks <= k)), scores, relevance, direction, "recall_at_k"
    )


@validate_params(
    {
        "scores": ["array-like"],
        "relevance": ["array-like", list, None],
        "direction": [StrOptions(set(DIRECTIONS))],
    },
    prefer_skip_nested_validation=True,
)
def mean_reciprocal_rank(scores, relevance=None, *, direction="query_to_target"):
    """Mean over the queries of one over the rank of their best relevant target.

    Parameters
    ----------
    scores : array-like of shape (n_queries, n_targets) or (n_queries,)
        Similarity of each query to each target (higher is better), or the 1-D ranks
        of :func:`retrieval_ranks`.
    relevance : None, array-like of bool or list of collections of int, default=None
        Correct targets of each query; see :func:`retrieval_ranks`.
    direction : {"query_to_target", "target_to_query", "both"}, \
default="query_to_target"
        Retrieve targets for each query, queries for each target, or the mean of
        both.

    Returns
    -------
    mrr : float
        Between 0 (exclusive) and 1; 1 when every query ranks a relevant target first.

    Examples
    --------
    >>> from mmsk.metrics import mean_reciprocal_rank
    >>> float(mean_reciprocal_rank([1, 2, 4]))
    0.5833333333333334
    """
    return _over_directions(
        lambda ranks: float(np.mean(1.0 / ranks)),
        scores,
        relevance,
        direction,
        "mean_reciprocal_rank",
    )


@validate_params(
    {
        "scores": ["array-like"],
        "relevance": ["array-like", list, None],
        "direction": [StrOptions(set(DIRECTIONS))],
    },
    prefer_skip_nested_validation=True,
)
def median_rank(scores, relevance=None, *, direction="query_to_target"):
    """Median over the queries of the rank of their best relevant target.

    Parameters
    ----------
    scores : array-like of shape (n_queries, n_targets) or (n_queries,)
        Similarity of each query to each target (higher is better), or the 1-D ranks
        of :func:`retrieval_ranks`.
    relevance : None, array-like of bool or list of collections of int, default=None
        Correct targets of each query; see :func:`retrieval_ranks`.
    direction : {"query_to_target", "target_to_query", "both"}, \
default="query_to_target"
        Retrieve targets for each query, queries for each target, or the mean of
        both medians.

    Returns
    -------
    median : float
        1 is the best; lower is better.

    Examples
    --------
    >>> from mmsk.metrics import median_rank
    >>> float(median_rank([1, 2, 4, 9]))
    3.0
    """
    return _over_directions(
        lambda ranks: float(np.median(ranks)), scores, relevance, direction, "median_rank"
    )


def _over_directions(metric, scores, relevance, direction, owner):
    values = np.asarray(scores)
    if values.ndim == 1:
        if relevance is not None or direction != "query_to_target":
            raise ValueError(
                f"{owner} was given 1-D ranks, which already fix the relevance and the "
                "direction; pass relevance=None and direction='query_to_target', or pass "
                "the 2-D score matrix instead."
            )
        return metric(_check_ranks(values, owner))
    directions = DIRECTIONS[:2] if direction == "both" else (direction,)
    results = [metric(retrieval_ranks(values, relevance, direction=d)) for d in directions]
    return float(np.mean(results))


def _check_ranks(ranks, owner):
    if ranks.size == 0:
        raise ValueError(f"{owner} needs at least one rank; got an empty array.")
    if not np.issubdtype(ranks.dtype, np.number) or not np.all(ranks >= 1):
        raise ValueError(
            f"The 1-D ranks given to {owner} must be numbers of at least 1 (the best rank "
            f"is 1); got {ranks[:5].tolist()}..."
        )
    return ranks.astype(np.float64)


def _check_scores(scores):
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or 0 in scores.shape:
        raise ValueError(
            "scores must be a non-empty 2-D array of shape (n_queries, n_targets); got "
            f"shape {scores.shape}."
        )
    if np.isnan(scores).any():
        raise ValueError(
            f"scores holds {int(np.isnan(scores).sum())} NaN value(s); every query-target "
            "pair needs a score."
        )
    return scores


def _relevance_matrix(relevance, shape):
    n_queries, n_targets = shape
    if relevance is None:
        if n_queries != n_targets:
            raise ValueError(
                f"scores has shape {shape}: without relevance, query i goes with target "
                "i, so scores must be square. Pass relevance for other layouts."
            )
        return np.eye(n_queries, dtype=bool)
    if isinstance(relevance, list) and not _is_matrix_like(relevance, n_targets):
        if len(relevance) != n_queries:
            raise ValueError(
                f"relevance lists the correct targets of {len(relevance)} queries, but "
                f"scores has {n_queries} rows (queries); give one collection per query."
            )
        matrix = np.zeros(shape, dtype=bool)
        for query, targets in enumerate(relevance):
            indices = np.asarray(list(targets), dtype=np.int64)
            if indices.size and (indices.min() < 0 or indices.max() >= n_targets):
                raise ValueError(
                    f"relevance[{query}] holds target index {indices.max()} or "
                    f"{indices.min()}, outside 0 .. {n_targets - 1} (the columns of scores)."
                )
            matrix[query, indices] = True
        return matrix
    matrix = np.asarray(relevance)
    if matrix.shape != shape or matrix.dtype != bool:
        raise ValueError(
            "relevance must be None, a list of collections of target indices, or a "
            f"boolean matrix of the shape of scores {shape}; got an array of shape "
            f"{matrix.shape} and dtype {matrix.dtype}."
        )
    return matrix


def _is_matrix_like(relevance, n_targets):
    """Whether a list is a boolean matrix written as nested lists."""
    first = relevance[0] if relevance else None
    return (
        isinstance(first, (list, tuple, np.ndarray))
        and len(first) == n_targets
        and all(isinstance(value, (bool, np.bool_)) for value in first)
    )


class _RetrievalScorer:
    """Score a fitted retriever on held-out paired rows; see :func:`make_retrieval_scorer`."""

    def __init__(self, metric, k, direction):
        self.metric = metric
        self.k = k
        self.direction = direction

    def __call__(self, estimator, X, y=None):
        scores = estimator.paired_similarities(X)
        if self.metric == "recall":
            return recall_at_k(scores, k=self.k, direction=self.direction)
        if self.metric == "mrr":
            return mean_reciprocal_rank(scores, direction=self.direction)
        # Lower is better, and scikit-learn maximises scores.
        return -median_rank(scores, direction=self.direction)

    def __repr__(self):
        k = f", k={self.k}" if self.metric == "recall" else ""
        return f"make_retrieval_scorer(metric={self.metric!r}{k}, direction={self.direction!r})"


@validate_params(
    {
        "metric": [StrOptions(set(_METRICS))],
        "k": [Interval(Integral, 1, None, closed="left")],
        "direction": [StrOptions(set(DIRECTIONS))],
    },
    prefer_skip_nested_validation=True,
)
def make_retrieval_scorer(metric="recall", *, k=10, direction="query_to_target"):
    """A scorer of cross-modal retrievers for ``GridSearchCV`` and ``cross_validate``.

    The scorer calls the retriever's ``paired_similarities(X)`` on the held-out rows
    where both modalities are present: each such row's query should retrieve its own
    target among the targets of those rows.

    Parameters
    ----------
    metric : {"recall", "mrr", "median_rank"}, default="recall"
        Recall@k, mean reciprocal rank, or the median rank (negated, since a scorer
        is maximised).
    k : int, default=10
        The k of recall@k.
    direction : {"query_to_target", "target_to_query", "both"}, \
default="query_to_target"
        The retrieval direction; ``"both"`` averages the two.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None)`` returning a float, higher is better.

    Examples
    --------
    >>> from mmsk.metrics import make_retrieval_scorer
    >>> make_retrieval_scorer("mrr", direction="both")
    make_retrieval_scorer(metric='mrr', direction='both')
    """
    return _RetrievalScorer(metric, k, direction)
