"""The main job's Python face: search space, budget, ensemble, failures, reproducibility."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier

from mmsk import EarlyFusionClassifier, LateFusionClassifier
from mmsk.compare import PRESETS, compare_models, infer_task, search_space
from mmsk.datasets import make_multimodal_classification, make_multimodal_regression
from mmsk.ensemble import EnsembleSelectionClassifier


@pytest.fixture(scope="module")
def small_table():
    return make_multimodal_classification(n_samples=150, random_state=0)


class _FailsToFit(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        raise RuntimeError("this candidate always fails\nsecond line of detail")


class _FailsOnSomeRows(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        if 0 in X.index:
            raise ValueError("row 0 is in my training rows")
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_presets_grow_and_name_their_representations():
    fast = search_space("binary", preset="fast")
    default = search_space("binary", preset="default", n_rows=1000)
    best = search_space("binary", preset="best", n_rows=1000)
    assert set(fast) < set(default) <= set(best)
    assert {"early+char", "late-stacking+char"} <= set(default)
    assert "early-boosted" in best and "early-boosted" not in default
    assert list(default)[:3] == ["late-stacking+char", "late-weighted+char", "early+char"]
    assert set(PRESETS) == {"fast", "default", "best"}
    text = default["late-stacking+char"].get_params()["text"]
    assert text.analyzer == "word+char"


def test_neural_candidates_are_left_out_of_default_on_large_tables():
    pytest.importorskip("skorch")
    assert "neural-concat" in search_space("binary", n_rows=1000)
    assert "neural-concat" not in search_space("binary", n_rows=100_000)
    assert "neural-concat" in search_space("binary", preset="best", n_rows=100_000)


def test_unknown_preset_and_candidate_are_refused(small_table):
    X, y = small_table
    with pytest.raises(ValueError, match=r"'preset' must be one of \['fast', 'default', 'best'\]"):
        compare_models(X, y, preset="quick")
    with pytest.raises(ValueError, match=r"Unknown candidates \['nope'\]"):
        compare_models(X, y, candidates=["nope"])
    with pytest.raises(ValueError, match=r"Unknown scoring 'acuracy'"):
        compare_models(X, y, scoring="acuracy")


def test_leaderboard_ensemble_and_refit(small_table):
    X, y = small_table
    result = compare_models(X, y, preset="fast", cv=3)
    board = result.leaderboard
    assert list(board["model"]).count("ensemble") == 1
    assert board["score_mean"].is_monotonic_decreasing
    assert set(result.out_of_fold) == {"early", "late-weighted", "late-stacking"}
    assert result.out_of_fold["early"].shape == (len(X), 2)
    ensemble_row = board.set_index("model").loc["ensemble"]
    assert ensemble_row["members"]
    best_single = board[board["model"] != "ensemble"]["score_mean"].max()
    # Greedy selection is scored per fold here, so allow the spread of one fold.
    assert ensemble_row["score_mean"] >= best_single - 0.02
    assert result.best_name == board["model"].iloc[0]
    restored = pickle.loads(pickle.dumps(result.best_model))
    np.testing.assert_array_equal(restored.predict(X), result.best_model.predict(X))
    assert "<table" in result._repr_html_()


def test_the_ensemble_is_saved_when_it_wins():
    X, y = make_multimodal_classification(n_samples=200, random_state=3)
    result = compare_models(
        X,
        y,
        candidates={
            "early": EarlyFusionClassifier(),
            "late": LateFusionClassifier(fusion="mean"),
            "prior": DummyClassifier(),
        },
        cv=3,
        scoring="neg_log_loss",
    )
    if result.best_name == "ensemble":
        assert isinstance(result.best_model, EnsembleSelectionClassifier)
        assert result.best_model.weights_["prior"] == 0
    else:
        assert not isinstance(result.best_model, EnsembleSelectionClassifier)


def test_same_random_state_same_leaderboard(small_table):
    X, y = small_table
    first = compare_models(X, y, preset="fast", cv=3, random_state=1, refit=False)
    second = compare_models(X, y, preset="fast", cv=3, random_state=1, refit=False)
    pd.testing.assert_series_equal(
        first.leaderboard["score_mean"], second.leaderboard["score_mean"]
    )
    assert [t.tolist() for _, t in first.folds] == [t.tolist() for _, t in second.folds]


def test_a_failing_candidate_is_a_row_and_the_others_are_kept(small_table):
    X, y = small_table
    rows = []
    result = compare_models(
        X,
        y,
        candidates={
            "early": EarlyFusionClassifier(),
            "broken": _FailsToFit(),
            "partly": _FailsOnSomeRows(),
        },
        cv=3,
        on_result=rows.append,
    )
    board = result.leaderboard.set_index("model")
    assert board.loc["broken", "failed_folds"] == 3
    assert np.isnan(board.loc["broken", "score_mean"])
    assert board.loc["broken", "error"] == (
        "RuntimeError: this candidate always fails second line of detail"
    )
    assert board.loc["partly", "failed_folds"] == 2
    assert board.loc["partly", "error"] == "ValueError: row 0 is in my training rows"
    assert np.isfinite(board.loc["partly", "score_mean"])
    assert result.leaderboard["model"].iloc[-1] == "broken"
    assert result.best_name == "early"
    assert [row["model"] for row in rows] == ["early", "broken", "partly"]
    assert "broken" not in result.out_of_fold and "partly" not in result.out_of_fold


def test_every_candidate_failing_is_one_clear_error(small_table):
    X, y = small_table
    with pytest.raises(
        RuntimeError, match=r"Every candidate failed; the first error: RuntimeError"
    ):
        compare_models(X, y, candidates={"broken": _FailsToFit()}, cv=2)


def test_time_limit_skips_the_candidates_it_cannot_start(small_table):
    X, y = small_table
    result = compare_models(X, y, preset="fast", cv=2, time_limit=1e-9, ensemble=False)
    assert result.skipped == ["late-weighted", "late-stacking"]
    assert list(result.leaderboard["model"]) == ["early"]


def test_regression_task_is_inferred_and_scored_by_r2():
    X, y = make_multimodal_regression(n_samples=120, random_state=0)
    result = compare_models(X, y, preset="fast", cv=2)
    assert result.task == "regression"
    assert result.scoring == "r2"
    assert result.out_of_fold["early"].shape == (len(X),)


@pytest.mark.parametrize(
    ("values", "task"),
    [
        ([0, 1] * 10, "binary"),
        (["a", "b", "c"] * 10, "multiclass"),
        (list(range(1, 6)) * 6, "multiclass"),
        (list(range(80, 101)) * 3, "regression"),
        (list(range(80, 99)) * 3, "regression"),
        (list(range(10)) * 3, "multiclass"),
        ([0.5, 1.5, 2.25] * 10, "regression"),
        ([str(v) for v in range(80, 101)] * 3, "regression"),
    ],
)
def test_infer_task(values, task):
    assert infer_task(values) == task


# ------------------------------------------------------------- shared per-modality work

SHARING = ["late-weighted", "late-stacking", "mrf-gaussian"]


def test_sharing_work_leaves_every_score_and_prediction_unchanged(small_table):
    X, y = small_table
    runs = {
        cache: compare_models(X, y, candidates=SHARING, cv=3, ensemble=False, cache=cache)
        for cache in (True, False)
    }
    shared, alone = (runs[cache].leaderboard.set_index("model") for cache in (True, False))
    pd.testing.assert_series_equal(shared["score_mean"], alone["score_mean"])
    for name in SHARING:
        np.testing.assert_array_equal(runs[True].out_of_fold[name], runs[False].out_of_fold[name])
    np.testing.assert_array_equal(
        runs[True].best_model.predict_proba(X), runs[False].best_model.predict_proba(X)
    )


def test_fit_time_alone_adds_the_reused_work(small_table):
    X, y = small_table
    shared = compare_models(X, y, candidates=SHARING, cv=3, ensemble=False)
    board = shared.leaderboard.set_index("model")
    assert (board["fit_time_alone"] >= board["fit_time"]).all()
    later = board.loc[SHARING[1:]]
    assert (later["fit_time_alone"] > later["fit_time"]).all()
    alone = compare_models(X, y, candidates=SHARING, cv=3, ensemble=False, cache=False)
    board = alone.leaderboard
    np.testing.assert_allclose(board["fit_time_alone"], board["fit_time"])


def test_inner_folds_follow_the_comparisons_folds_and_are_given_back(small_table):
    X, y = small_table
    result = compare_models(X, y, candidates=["late-stacking"], cv=3, ensemble=False)
    assert result.best_model.cv == 5
    assert result.candidates["late-stacking"].cv == 5
    assert result.best_model.memory is None
    expected = clone(result.candidates["late-stacking"]).set_params(cv=result.folds).fit(X, y)
    np.testing.assert_allclose(result.best_model.predict_proba(X), expected.predict_proba(X))
