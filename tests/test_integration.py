"""Composition with scikit-learn: pipelines, model selection, cloning and persistence."""

import pickle
import subprocess
import sys

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline

from mmsk import (
    EarlyFusionClassifier,
    EarlyFusionRegressor,
    LateFusionClassifier,
    LateFusionRegressor,
    ModalityUnion,
)
from mmsk.datasets import load_clothing_reviews

CLASSIFIERS = [
    EarlyFusionClassifier(),
    LateFusionClassifier(fusion="weighted", cv=3, random_state=0),
    LateFusionClassifier(fusion="stacking", cv=3, random_state=0),
]
REGRESSORS = [EarlyFusionRegressor(), LateFusionRegressor(cv=3, random_state=0)]


@pytest.fixture(scope="module")
def reviews():
    X, y = load_clothing_reviews(return_X_y=True)
    return X.iloc[:400].reset_index(drop=True), y.iloc[:400].reset_index(drop=True)


def test_usage_block_runs_on_the_bundled_data(reviews):
    df, y = reviews
    proba = LateFusionClassifier().fit(df, y).predict_proba(df)
    assert proba.shape == (len(df), 2)
    search = GridSearchCV(
        LateFusionClassifier(cv=3),
        {"fusion": ["mean", "weighted", "vote", "product", "stacking"]},
        cv=2,
    )
    search.fit(df, y)
    assert search.best_params_["fusion"] in {"mean", "weighted", "vote", "product", "stacking"}
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_grid_search_over_fusion_in_parallel(classification_data):
    X, y = classification_data
    search = GridSearchCV(
        LateFusionClassifier(cv=3, random_state=0),
        {"fusion": ["mean", "stacking"]},
        cv=2,
        n_jobs=2,
        scoring="roc_auc",
    ).fit(X, y)
    serial = GridSearchCV(
        LateFusionClassifier(cv=3, random_state=0),
        {"fusion": ["mean", "stacking"]},
        cv=2,
        scoring="roc_auc",
    ).fit(X, y)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )


@pytest.mark.parametrize("model", CLASSIFIERS, ids=repr)
def test_classifiers_in_pipelines_and_cross_validation(model, classification_data):
    X, y = classification_data
    scores = cross_val_score(clone(model), X, y, cv=3)
    assert scores.mean() > 0.8
    pipeline = make_pipeline(clone(model)).fit(X, y)
    assert pipeline.score(X, y) > 0.8


def test_union_in_front_of_any_estimator(classification_data):
    X, y = classification_data
    pipeline = make_pipeline(ModalityUnion(), LogisticRegression()).fit(X, y)
    assert pipeline.score(X, y) > 0.8


@pytest.mark.parametrize("model", CLASSIFIERS + REGRESSORS, ids=repr)
def test_pickle_and_joblib_round_trips_give_identical_predictions(
    model, classification_data, regression_data, tmp_path
):
    is_classifier = "Classifier" in type(model).__name__
    X, y = classification_data if is_classifier else regression_data
    fitted = clone(model).fit(X, y)
    method = "predict_proba" if is_classifier else "predict"
    expected = getattr(fitted, method)(X)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(getattr(restored, method)(X), expected)
    path = tmp_path / "model.joblib"
    joblib.dump(fitted, path)
    np.testing.assert_array_equal(getattr(joblib.load(path), method)(X), expected)


@pytest.mark.parametrize("model", CLASSIFIERS, ids=repr)
def test_plain_arrays_work_end_to_end(model, tmp_path):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 5))
    y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    fitted = clone(model).fit(X, y)
    assert cross_val_score(clone(model), X, y, cv=3).mean() > 0.8
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))


def test_same_random_state_gives_identical_predictions(classification_data):
    X, y = classification_data
    model = LateFusionClassifier(
        estimators={"tabular": HistGradientBoostingClassifier(max_iter=20)},
        fusion="stacking",
        cv=3,
        random_state=0,
    )
    first = clone(model).fit(X, y).predict_proba(X)
    second = clone(model).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)


def test_import_mmsk_loads_no_heavy_optional_backend():
    code = (
        "import sys, mmsk, mmsk.datasets, mmsk.fusion, mmsk.modality;"
        "heavy = [m for m in ('torch', 'skorch', 'pgmpy', 'sentence_transformers') "
        "if m in sys.modules];"
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
