"""Bad input: each case ends in a clear error or in documented graceful handling."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.exceptions import NotFittedError

from mmsk import (
    EarlyFusionClassifier,
    EarlyFusionRegressor,
    LateFusionClassifier,
    LateFusionRegressor,
)
from mmsk.datasets import make_multimodal_classification

FAST_TABULAR = {"tabular": HistGradientBoostingClassifier(max_iter=10)}
CLASSIFIERS = [
    EarlyFusionClassifier(),
    LateFusionClassifier(estimators=FAST_TABULAR, cv=3, random_state=0),
    LateFusionClassifier(estimators=FAST_TABULAR, fusion="stacking", cv=3, random_state=0),
]
REGRESSORS = [
    EarlyFusionRegressor(),
    LateFusionRegressor(
        estimators={"tabular": HistGradientBoostingRegressor(max_iter=10)}, cv=3, random_state=0
    ),
]
ESTIMATORS = CLASSIFIERS + REGRESSORS


@pytest.fixture(scope="module")
def table():
    X, y = make_multimodal_classification(n_samples=120, random_state=0)
    return X, y


def _fit(model, X, y):
    return clone(model).fit(X, y)


@pytest.mark.parametrize("model", ESTIMATORS, ids=repr)
def test_zero_rows_is_a_clear_error(model, table):
    X, y = table
    with pytest.raises(ValueError, match=r"Found array with 0 sample\(s\)"):
        _fit(model, X.iloc[:0], y[:0])


@pytest.mark.parametrize("model", CLASSIFIERS, ids=repr)
def test_single_class_is_a_clear_error(model, table):
    X, _ = table
    with pytest.raises(ValueError, match=r"y has only one class \('yes'\).*at least two"):
        _fit(model, X, ["yes"] * len(X))


@pytest.mark.parametrize("model", CLASSIFIERS, ids=repr)
def test_string_labels_are_decoded(model, table):
    X, y = table
    labels = np.array(["bad", "good"])[y]
    fitted = _fit(model, X, labels)
    assert set(fitted.predict(X)) <= {"bad", "good"}
    assert list(fitted.classes_) == ["bad", "good"]


@pytest.mark.parametrize("model", CLASSIFIERS, ids=repr)
def test_missing_labels_are_a_clear_error(model, table):
    X, y = table
    labels = np.array(["bad", "good"], dtype=object)[y]
    labels[3] = None
    with pytest.raises(ValueError, match=r"Input y contains NaN: 1 of 120 labels.*row 3"):
        _fit(model, X, labels)


@pytest.mark.parametrize("model", ESTIMATORS, ids=repr)
def test_messy_text_cells_are_handled(model, table):
    X, y = table
    messy = X.copy().astype({"text_0": object})
    messy.loc[0, "text_0"] = None
    messy.loc[1, "text_0"] = np.nan
    messy.loc[2, "text_0"] = ""
    messy.loc[3, "text_0"] = 42
    messy.loc[4, "text_0"] = b"bytes with \xff invalid utf-8"
    messy.loc[5, "text_0"] = ["a", "list", "of", "words"]
    messy.loc[6, "text_0"] = "emoji 🎉 and ünïcödé " * 50
    fitted = _fit(model, messy, y)
    assert np.isfinite(fitted.predict(messy).astype(float)).all()


@pytest.mark.parametrize("model", ESTIMATORS, ids=repr)
def test_nan_and_inf_in_numeric_columns_count_as_missing(model, table):
    X, y = table
    bad = X.copy()
    bad.loc[0:9, "num_0"] = np.inf
    bad.loc[10:19, "num_1"] = -np.inf
    bad.loc[20:29, "num_2"] = np.nan
    fitted = _fit(model, bad, y)
    assert np.isfinite(fitted.predict(bad).astype(float)).all()


@pytest.mark.parametrize("model", ESTIMATORS, ids=repr)
def test_unseen_categories_at_predict_time_are_handled(model, table):
    X, y = table
    fitted = _fit(model, X, y)
    unseen = X.assign(cat_0="never seen", cat_1="nor this")
    assert len(fitted.predict(unseen)) == len(X)


@pytest.mark.parametrize("model", ESTIMATORS, ids=repr)
def test_missing_column_at_predict_time_is_named(model, table):
    X, y = table
    fitted = _fit(model, X, y)
    with pytest.raises(ValueError, match=r"missing:\n- num_2"):
        fitted.predict(X.drop(columns="num_2"))


@pytest.mark.parametrize("model", ESTIMATORS, ids=repr)
def test_reordered_columns_at_predict_time_explain_the_fix(model, table):
    X, y = table
    fitted = _fit(model, X, y)
    with pytest.raises(ValueError, match=r"(?s)same order as they were in fit.*feature_names_in_"):
        fitted.predict(X[X.columns[::-1]])
    np.testing.assert_array_equal(
        fitted.predict(X[X.columns[::-1]][fitted.feature_names_in_]), fitted.predict(X)
    )


@pytest.mark.parametrize("model", ESTIMATORS, ids=repr)
def test_row_with_every_modality_missing_is_predicted(model, table):
    X, y = table
    fitted = _fit(model, X, y)
    empty_row = pd.DataFrame([[None] * X.shape[1]], columns=X.columns, dtype=object)
    prediction = fitted.predict(empty_row)
    assert prediction.shape == (1,)


@pytest.mark.parametrize("model", CLASSIFIERS, ids=repr)
def test_wrong_fusion_or_weights_value_names_the_parameter(model, table):
    X, y = table
    name = type(model).__name__
    if "Late" in name:
        with pytest.raises(ValueError, match=rf"The 'fusion' parameter of {name} must be"):
            _fit(clone(model).set_params(fusion="average"), X, y)
    else:
        with pytest.raises(ValueError, match=rf"The 'modality_weights' parameter of {name}"):
            _fit(clone(model).set_params(modality_weights="equal"), X, y)


@pytest.mark.parametrize("model", ESTIMATORS, ids=repr)
def test_predict_before_fit_raises_not_fitted(model, table):
    X, _ = table
    with pytest.raises(NotFittedError):
        clone(model).predict(X)


@pytest.mark.parametrize("model", ESTIMATORS, ids=repr)
def test_sparse_input_is_refused_with_the_fix(model, table):
    from scipy import sparse

    _, y = table
    with pytest.raises(TypeError, match=r"does not accept sparse input X.*toarray"):
        _fit(model, sparse.random(len(y), 4, format="csr", random_state=0), y)


@pytest.mark.parametrize("model", ESTIMATORS, ids=repr)
def test_duplicated_column_names_are_refused(model, table):
    X, y = table
    duplicated = X.rename(columns={"num_1": "num_0"})
    with pytest.raises(ValueError, match=r"duplicated column names \['num_0'\]"):
        _fit(model, duplicated, y)


@pytest.mark.parametrize("model", ESTIMATORS, ids=repr)
def test_negative_sample_weight_is_refused(model, table):
    X, y = table
    weights = np.ones(len(y))
    weights[0] = -1.0
    with pytest.raises(ValueError, match=r"sample_weight must be non-negative; got 1 negative"):
        clone(model).fit(X, y, sample_weight=weights)


@pytest.mark.parametrize("model", ESTIMATORS, ids=repr)
def test_one_dimensional_input_at_predict_time(model, table):
    X, y = table
    fitted = _fit(model, X.iloc[:, :4], y)
    with pytest.raises(ValueError, match=r"Expected 2D array, got 1D array instead"):
        fitted.predict(X.iloc[0, :4].to_numpy())


@pytest.mark.parametrize("model", ESTIMATORS, ids=repr)
def test_array_at_predict_time_after_fitting_on_a_frame_matches_by_position(model, table):
    X, y = table
    fitted = _fit(model, X, y)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        from_array = fitted.predict(X.to_numpy())
    np.testing.assert_array_equal(from_array, fitted.predict(X))
