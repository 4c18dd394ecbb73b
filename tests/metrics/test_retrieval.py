"""Retrieval metrics against ranks computed by hand."""

import numpy as np
import pytest

from mmsk.metrics import (
    make_retrieval_scorer,
    mean_reciprocal_rank,
    median_rank,
    recall_at_k,
    retrieval_ranks,
)

# Query 0: its target 0 scores best -> rank 1.
# Query 1: target 1 (0.5) is beaten by target 0 (0.8) -> rank 2.
# Query 2: target 2 (0.2) is beaten by targets 0 and 3 -> rank 3.
# Query 3: target 3 (0.1) is beaten by every other target -> rank 4.
SCORES = np.array(
    [
        [0.9, 0.1, 0.3, 0.0],
        [0.8, 0.5, 0.2, 0.1],
        [0.4, 0.1, 0.2, 0.3],
        [0.5, 0.6, 0.7, 0.1],
    ]
)
RANKS = [1, 2, 3, 4]


def test_ranks_of_the_diagonal_pairs():
    assert retrieval_ranks(SCORES).tolist() == RANKS


def test_recall_mrr_and_median_rank_by_hand():
    assert recall_at_k(SCORES, k=1) == 0.25
    assert recall_at_k(SCORES, k=2) == 0.5
    assert recall_at_k(SCORES, k=4) == 1.0
    assert mean_reciprocal_rank(SCORES) == pytest.approx((1 + 1 / 2 + 1 / 3 + 1 / 4) / 4)
    assert median_rank(SCORES) == 2.5


def test_the_reverse_direction_ranks_the_queries_of_each_target():
    # Target 0: query 0 (0.9) first. Target 1: query 3 (0.6) beats query 1 (0.5) -> 2.
    # Target 2: queries 3 (0.7), 0 (0.3) and 1 (0.2, a tie) beat query 2 (0.2) -> 4.
    # Target 3: queries 2 (0.3) and 1 (0.1, a tie) beat query 3 (0.1) -> 3.
    assert retrieval_ranks(SCORES, direction="target_to_query").tolist() == [1, 2, 4, 3]
    assert recall_at_k(SCORES, k=2, direction="target_to_query") == 0.5
    both = (recall_at_k(SCORES, k=3) + recall_at_k(SCORES, k=3, direction="target_to_query")) / 2
    assert recall_at_k(SCORES, k=3, direction="both") == pytest.approx(both)


def test_several_correct_targets_per_query_as_sets_or_a_matrix():
    relevant = [{0}, {0, 1}, {1, 3}, {2}]
    # Query 1: target 0 is correct and best -> 1. Query 2: target 3 (0.3) is beaten by
    # target 0 (0.4) only -> 2. Query 3: target 2 (0.7) best -> 1.
    assert retrieval_ranks(SCORES, relevant).tolist() == [1, 1, 2, 1]
    matrix = np.zeros((4, 4), dtype=bool)
    for query, targets in enumerate(relevant):
        matrix[query, list(targets)] = True
    assert retrieval_ranks(SCORES, matrix).tolist() == [1, 1, 2, 1]
    assert mean_reciprocal_rank(SCORES, relevant) == pytest.approx((1 + 1 + 0.5 + 1) / 4)


def test_ties_count_against_the_query():
    assert retrieval_ranks(np.ones((3, 3))).tolist() == [3, 3, 3]


def test_metrics_take_ranks_directly():
    assert recall_at_k(RANKS, k=2) == 0.5
    assert median_rank([1, 5, 9]) == 5
    assert mean_reciprocal_rank(np.array([2, 2])) == 0.5


def test_rectangular_scores_need_relevance():
    with pytest.raises(ValueError, match="scores must be square"):
        recall_at_k(np.ones((2, 3)))
    assert retrieval_ranks(np.array([[0.1, 0.9, 0.2]]), [[1]]).tolist() == [1]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: retrieval_ranks(SCORES, [{0}, set(), {1}, {2}]), "have no relevant match"),
        (lambda: retrieval_ranks(SCORES, [{0}]), "correct targets of 1 queries"),
        (lambda: retrieval_ranks(SCORES, [{9}, {0}, {1}, {2}]), "outside 0 .. 3"),
        (lambda: recall_at_k([0, 1], k=1), "must be numbers of at least 1"),
        (lambda: recall_at_k([1, 2], [{0}]), "1-D ranks"),
        (lambda: retrieval_ranks(np.ones(3)), "non-empty 2-D array"),
        (lambda: retrieval_ranks(SCORES, direction="both"), "'direction' parameter"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_scorer_calls_the_retrievers_paired_similarities():
    class Fixed:
        def paired_similarities(self, X):
            return SCORES

    assert make_retrieval_scorer(k=2)(Fixed(), None) == 0.5
    assert make_retrieval_scorer("mrr")(Fixed(), None) == pytest.approx(25 / 48)
    assert make_retrieval_scorer("median_rank")(Fixed(), None) == -2.5
