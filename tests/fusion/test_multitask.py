"""Several targets at once in the early, late, Bayesian-network and MRF families: the
multi-output conventions, shared per-modality work, missing modalities and bad targets.

Neural fusion learns several targets in one network; its tests are in
``test_neural_multitask.py``.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, Ridge

from mmsk import KindSelector, TabularEncoder
from mmsk._registry import FAMILIES
from mmsk.datasets import make_multimodal_classification, make_multimodal_regression
from mmsk.fusion._multitask import split_targets

FAST_CLASSIFIER = {"tabular": LogisticRegression(max_iter=1000)}
FAST_REGRESSOR = {"tabular": Ridge()}
PER_TARGET_FAMILIES = [family for family in FAMILIES if family.name != "neural"]


def _available(family):
    if not family.available():
        pytest.skip(f"the {family.name} family needs the {family.extra!r} extra")


def _classifier(family, **params):
    _available(family)
    estimator = family.classifier(**params)
    if "estimators" in estimator.get_params():
        estimator.set_params(estimators=FAST_CLASSIFIER, cv=3)
    return estimator


def _regressor(family, **params):
    _available(family)
    estimator = family.regressor(**params)
    if "estimators" in estimator.get_params():
        estimator.set_params(estimators=FAST_REGRESSOR, cv=3)
    return estimator


@pytest.fixture(scope="module")
def two_label_targets():
    """A three-class string target and a binary one derived from a numeric column."""
    X, y = make_multimodal_classification(
        n_samples=240, n_classes=3, missing_rate=0.2, random_state=0
    )
    Y = pd.DataFrame(
        {
            "sentiment": np.array(["negative", "neutral", "positive"])[y],
            "big": (X["num_0"].fillna(0) > 0).astype(int),
        }
    )
    return X, Y


@pytest.fixture(scope="module")
def two_numeric_targets():
    X, y = make_multimodal_regression(n_samples=240, random_state=0)
    return X, np.column_stack([y, 1000.0 * X["num_1"].fillna(0).to_numpy()])


FAMILY_IDS = [family.name for family in PER_TARGET_FAMILIES]


@pytest.mark.parametrize("family", PER_TARGET_FAMILIES, ids=FAMILY_IDS)
def test_classifier_follows_the_multi_output_conventions(family, two_label_targets):
    X, Y = two_label_targets
    model = _classifier(family).fit(X, Y)
    assert model.n_outputs_ == 2
    assert model.target_names_ == ["sentiment", "big"]
    assert [c.tolist() for c in model.classes_] == [["negative", "neutral", "positive"], [0, 1]]
    predictions = model.predict(X)
    assert predictions.shape == (len(X), 2)
    assert set(predictions[:, 0]) <= {"negative", "neutral", "positive"}
    probabilities = model.predict_proba(X)
    assert [p.shape for p in probabilities] == [(len(X), 3), (len(X), 2)]
    for p in probabilities:
        np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert model.score(X, Y) > 0.75
    assert not hasattr(model, "decision_function")


@pytest.mark.parametrize("family", PER_TARGET_FAMILIES, ids=FAMILY_IDS)
def test_each_target_is_predicted_as_its_own_single_target_model(family, two_label_targets):
    X, Y = two_label_targets
    model = _classifier(family)
    if "random_state" in model.get_params():
        model.set_params(random_state=0)
    model.fit(X, Y)
    alone = clone(model).fit(X, Y["big"])
    np.testing.assert_array_equal(model.predict(X)[:, 1].astype(int), alone.predict(X))
    np.testing.assert_allclose(model.predict_proba(X)[1], alone.predict_proba(X))


@pytest.mark.parametrize("family", PER_TARGET_FAMILIES, ids=FAMILY_IDS)
def test_regressor_predicts_one_column_per_target(family, two_numeric_targets):
    X, Y = two_numeric_targets
    model = _regressor(family).fit(X, Y)
    predictions = model.predict(X)
    assert predictions.shape == (len(X), 2)
    assert model.target_names_ == ["target_0", "target_1"]
    for t in range(2):
        assert np.corrcoef(predictions[:, t], Y[:, t])[0, 1] > 0.7


@pytest.mark.parametrize("family", PER_TARGET_FAMILIES, ids=FAMILY_IDS)
def test_rows_with_a_missing_modality_are_predicted_for_every_target(family, two_label_targets):
    X, Y = two_label_targets
    model = _classifier(family).fit(X, Y)
    without_text = X.assign(text_0=None)
    assert model.predict(without_text).shape == (len(X), 2)
    assert all(np.isfinite(p).all() for p in model.predict_proba(without_text))


@pytest.mark.parametrize("family", PER_TARGET_FAMILIES, ids=FAMILY_IDS)
def test_a_refit_on_one_target_forgets_the_targets(family, two_label_targets):
    X, Y = two_label_targets
    model = _classifier(family).fit(X, Y).fit(X, Y["sentiment"])
    assert model.target_models_ is None and model.n_outputs_ == 1
    assert model.predict(X).shape == (len(X),)
    assert isinstance(model.classes_, np.ndarray)


class CountingEncoder(TabularEncoder):
    """A TabularEncoder that counts its fits in this process."""

    fits = 0

    def fit_transform(self, X, y=None):
        type(self).fits += 1
        return super().fit_transform(X, y)


def test_early_fusion_fits_the_modality_transformers_once_for_all_targets(two_label_targets):
    X, Y = two_label_targets
    family = next(family for family in FAMILIES if family.name == "early")
    spec = [
        ("tabular", CountingEncoder(), KindSelector("numeric", "categorical")),
        ("text", "auto", KindSelector("text")),
    ]
    CountingEncoder.fits = 0
    family.classifier(spec).fit(X, Y.assign(third=Y["big"]))
    assert CountingEncoder.fits == 1


def test_a_users_memory_is_kept_and_reused(two_label_targets, tmp_path):
    X, Y = two_label_targets
    family = next(family for family in FAMILIES if family.name == "early")
    model = family.classifier(memory=str(tmp_path)).fit(X, Y)
    assert model.memory == str(tmp_path)
    assert all(m.memory == str(tmp_path) for m in model.target_models_)
    assert any(tmp_path.iterdir())


# --------------------------------------------------------------------- bad targets


@pytest.mark.parametrize("family", PER_TARGET_FAMILIES, ids=FAMILY_IDS)
def test_a_target_column_with_a_missing_label_is_named(family, two_label_targets):
    X, Y = two_label_targets
    Y = Y.astype({"sentiment": object})
    Y.loc[Y.index[3], "sentiment"] = np.nan
    with pytest.raises(ValueError, match=r"Target column 'sentiment' of y: Input y contains NaN"):
        _classifier(family).fit(X, Y)


@pytest.mark.parametrize("family", PER_TARGET_FAMILIES, ids=FAMILY_IDS)
def test_a_constant_target_column_is_named(family, two_label_targets):
    X, Y = two_label_targets
    with pytest.raises(ValueError, match=r"y has only one class \('same'\)"):
        _classifier(family).fit(X, Y.assign(big="same"))


def test_a_regression_target_column_with_nan_is_named(two_numeric_targets):
    X, Y = two_numeric_targets
    Y = Y.copy()
    Y[5, 1] = np.nan
    family = next(family for family in FAMILIES if family.name == "late")
    with pytest.raises(ValueError, match=r"Target column 'target_1' of y: .*NaN"):
        _regressor(family).fit(X, Y)


def test_targets_with_another_number_of_rows_are_refused(two_label_targets):
    X, Y = two_label_targets
    family = next(family for family in FAMILIES if family.name == "early")
    with pytest.raises(ValueError, match=r"X has 240 rows and y has 239 rows of 2 targets"):
        family.classifier().fit(X, Y.iloc[:-1])


def test_split_targets_reads_arrays_and_frames():
    columns, names = split_targets(
        None, np.array([[1, "a"], [2, "b"]], dtype=object), 2, classification=True
    )
    assert names == ["target_0", "target_1"]
    assert [c.tolist() for c in columns] == [[1, 2], ["a", "b"]]
