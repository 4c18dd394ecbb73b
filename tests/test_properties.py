"""Property-based tests: on random mixed-type tables (numbers with NaN and infinities,
categories, free text, blanks, emoji, whole modalities missing) every estimator family
either fits and returns well-formed output, or raises one of mmsk's documented errors.

Concurrency and determinism of every estimator are in ``test_reliability.py``.
"""

import importlib.util

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse
from sklearn.linear_model import LogisticRegression, Ridge

from mmsk import (
    BayesianNetworkFusionClassifier,
    BayesianNetworkFusionRegressor,
    EarlyFusionClassifier,
    EarlyFusionRegressor,
    LateFusionClassifier,
    LateFusionRegressor,
    MarkovRandomFieldFusionClassifier,
    MarkovRandomFieldFusionRegressor,
    ModalityUnion,
    TabularEncoder,
    TextTokenizer,
    TextVectorizer,
)
from mmsk.fusion import NeuralFusionClassifier, NeuralFusionRegressor

WORDS = ["good", "bad", "fit", "size", "🎉", "ünï", "", "  ", "long " * 20]
CELLS = {
    "numeric": st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=32), st.none()),
    "category": st.one_of(st.sampled_from(["a", "b", "c", "ß", ""]), st.none()),
    "text": st.one_of(
        st.lists(st.sampled_from(WORDS), min_size=0, max_size=8).map(" ".join),
        st.none(),
        st.text(max_size=12),
    ),
}
LABELS = st.sampled_from(["yes", "no", "maybe"])
TARGETS = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, width=32)

# Words in the message of every error mmsk documents for bad or degenerate input.
ERROR_HINTS = ("modality", "Modality", "class", "column", "No column", "TextVectorizer")

SETTINGS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
NEURAL = {"max_epochs": 1, "embedding_dim": 8, "hidden_units": 8, "device": "cpu"}


def importable(*modules):
    return all(importlib.util.find_spec(module) is not None for module in modules)


needs_neural = pytest.mark.skipif(
    not importable("torch", "skorch"), reason="neural fusion needs torch and skorch"
)
needs_pgmpy = pytest.mark.skipif(not importable("pgmpy"), reason="Bayesian fusion needs pgmpy")


@st.composite
def mixed_tables(draw, target=LABELS, min_rows=6, max_rows=30):
    """A DataFrame of 1 to 4 columns of random kinds, and a target of ``target`` cells."""
    n_rows = draw(st.integers(min_value=min_rows, max_value=max_rows))
    kinds = draw(st.lists(st.sampled_from(sorted(CELLS)), min_size=1, max_size=4))
    columns = {
        f"{kind}_{i}": draw(st.lists(CELLS[kind], min_size=n_rows, max_size=n_rows))
        for i, kind in enumerate(kinds)
    }
    values = draw(st.lists(target, min_size=n_rows, max_size=n_rows))
    return pd.DataFrame(columns), np.array(values, dtype=object if target is LABELS else float)


def fit_or_fail_clearly(model, X, y):
    """The fitted model, or None after checking that the error is a documented one."""
    try:
        return model.fit(X, y)
    except (ValueError, TypeError) as error:
        message = str(error)
        assert any(hint in message for hint in ERROR_HINTS), message
        return None


def check_classifier_output(fitted, X, y):
    probabilities = fitted.predict_proba(X)
    assert probabilities.shape == (len(X), len(fitted.classes_))
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    predictions = fitted.predict(X)
    assert set(predictions) <= set(np.unique(y))
    # Where one class is clearly the most probable, predict picks it.
    ordered = np.sort(probabilities, axis=1)
    clear = ordered[:, -1] - ordered[:, -2] > 1e-6
    best = fitted.classes_[np.argmax(probabilities, axis=1)]
    np.testing.assert_array_equal(predictions[clear], best[clear])
    check_rows_are_independent(fitted.predict_proba, X)


def check_regressor_output(fitted, X, y):
    predictions = fitted.predict(X)
    assert predictions.shape == (len(X),)
    assert np.isfinite(predictions).all()
    # Neural fusion computes in float32 on standardised targets: rounding differs with
    # the batch shape by about float32's epsilon times the spread of the targets.
    check_rows_are_independent(fitted.predict, X, atol=1e-6 * max(1.0, np.ptp(y)))


def check_rows_are_independent(method, X, atol=1e-6):
    """A row's prediction does not depend on the rows predicted with it."""
    together = method(X)
    for row in range(min(len(X), 3)):
        alone = method(X.iloc[[row]])
        np.testing.assert_allclose(alone[0], together[row], rtol=1e-5, atol=atol)


# --------------------------------------------------------- early and late fusion

CLASSIFIERS = [
    EarlyFusionClassifier(estimator=LogisticRegression(max_iter=200)),
    LateFusionClassifier(estimators={"tabular": LogisticRegression(max_iter=200)}, fusion="mean"),
]
REGRESSORS = [
    EarlyFusionRegressor(),
    LateFusionRegressor(estimators={"tabular": Ridge()}, fusion="mean"),
]


@pytest.mark.parametrize("model", CLASSIFIERS, ids=repr)
@settings(max_examples=15, **SETTINGS)
@given(table=mixed_tables())
def test_classifiers_fit_and_predict_random_tables_or_fail_clearly(model, table):
    X, y = table
    fitted = fit_or_fail_clearly(model, X, y)
    if fitted is not None:
        check_classifier_output(fitted, X, y)


@pytest.mark.parametrize("model", REGRESSORS, ids=repr)
@settings(max_examples=10, **SETTINGS)
@given(table=mixed_tables(target=TARGETS))
def test_regressors_fit_and_predict_random_tables_or_fail_clearly(model, table):
    X, y = table
    fitted = fit_or_fail_clearly(model, X, y)
    if fitted is not None:
        check_regressor_output(fitted, X, y)


# ---------------------------------------------------------------- neural fusion


@needs_neural
@pytest.mark.parametrize("fusion", ["concat", "attention"])
@settings(max_examples=4, **SETTINGS)
@given(table=mixed_tables(max_rows=20))
def test_neural_classifier_fits_and_predicts_random_tables_or_fails_clearly(fusion, table):
    X, y = table
    model = NeuralFusionClassifier(fusion=fusion, random_state=0, **NEURAL)
    fitted = fit_or_fail_clearly(model, X, y)
    if fitted is not None:
        check_classifier_output(fitted, X, y)


@needs_neural
@settings(max_examples=5, **SETTINGS)
@given(table=mixed_tables(target=TARGETS, max_rows=20))
def test_neural_regressor_fits_and_predicts_random_tables_or_fails_clearly(table):
    X, y = table
    fitted = fit_or_fail_clearly(NeuralFusionRegressor(random_state=0, **NEURAL), X, y)
    if fitted is not None:
        check_regressor_output(fitted, X, y)


# ------------------------------------------------------ Bayesian-network fusion


@needs_pgmpy
@pytest.mark.parametrize("structure", ["naive", "tan"])
@settings(max_examples=5, **SETTINGS)
@pytest.mark.filterwarnings(
    "ignore:The least populated class:UserWarning",
    "ignore:Number of classes in training fold:RuntimeWarning",
)
@given(table=mixed_tables(min_rows=10))
def test_bayesian_classifier_fits_and_predicts_random_tables_or_fails_clearly(structure, table):
    X, y = table
    model = BayesianNetworkFusionClassifier(
        estimators={"tabular": LogisticRegression(max_iter=200)},
        structure=structure,
        cv=2,
        random_state=0,
    )
    fitted = fit_or_fail_clearly(model, X, y)
    if fitted is not None:
        check_classifier_output(fitted, X, y)


@needs_pgmpy
@settings(max_examples=5, **SETTINGS)
@given(table=mixed_tables(target=TARGETS, min_rows=10))
def test_bayesian_regressor_fits_and_predicts_random_tables_or_fails_clearly(table):
    X, y = table
    model = BayesianNetworkFusionRegressor(estimators={"tabular": Ridge()}, cv=2, random_state=0)
    fitted = fit_or_fail_clearly(model, X, y)
    if fitted is not None:
        check_regressor_output(fitted, X, y)


# ----------------------------------------------------- Markov-random-field fusion


@pytest.mark.parametrize("kind", ["gaussian", "discrete"])
@settings(max_examples=5, **SETTINGS)
@pytest.mark.filterwarnings(
    "ignore:The least populated class:UserWarning",
    "ignore:Number of classes in training fold:RuntimeWarning",
)
@given(table=mixed_tables(min_rows=10))
def test_mrf_classifier_fits_and_predicts_random_tables_or_fails_clearly(kind, table):
    X, y = table
    model = MarkovRandomFieldFusionClassifier(
        estimators={"tabular": LogisticRegression(max_iter=200)}, kind=kind, cv=2, random_state=0
    )
    fitted = fit_or_fail_clearly(model, X, y)
    if fitted is not None:
        check_classifier_output(fitted, X, y)


@pytest.mark.parametrize("kind", ["gaussian", "discrete"])
@settings(max_examples=5, **SETTINGS)
@given(table=mixed_tables(target=TARGETS, min_rows=10))
def test_mrf_regressor_fits_and_predicts_random_tables_or_fails_clearly(kind, table):
    X, y = table
    model = MarkovRandomFieldFusionRegressor(
        estimators={"tabular": Ridge()}, kind=kind, cv=2, random_state=0
    )
    fitted = fit_or_fail_clearly(model, X, y)
    if fitted is not None:
        check_regressor_output(fitted, X, y)


# ---------------------------------------------------------------- transformers


@pytest.mark.parametrize(
    "transformer",
    [ModalityUnion(), TabularEncoder(), TextVectorizer(), TextTokenizer(min_frequency=1)],
    ids=repr,
)
@settings(max_examples=10, **SETTINGS)
@given(table=mixed_tables())
def test_transformers_give_finite_rows_for_random_tables_or_fail_clearly(transformer, table):
    X, _ = table
    try:
        features = transformer.fit(X).transform(X)
    except (ValueError, TypeError) as error:
        assert any(hint in str(error) for hint in ERROR_HINTS), str(error)
        return
    dense = features.toarray() if sparse.issparse(features) else np.asarray(features)
    assert dense.shape[0] == len(X)
    assert np.isfinite(dense.astype(np.float64)).all()
    np.testing.assert_array_equal(
        _dense(transformer.transform(X.iloc[:1])), dense[:1], err_msg="row 0 alone"
    )
    assert len(transformer.get_feature_names_out()) == dense.shape[1]


def _dense(features):
    return features.toarray() if sparse.issparse(features) else np.asarray(features)
