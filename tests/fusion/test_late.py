"""Late fusion: every combination rule, missing modalities, weights and prefit models."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from mmsk import LateFusionClassifier, LateFusionRegressor, TabularEncoder, TextVectorizer
from mmsk.datasets import make_multimodal_classification

FUSIONS = ["mean", "weighted", "vote", "product", "stacking"]


def _all_missing(X):
    return pd.DataFrame(None, index=X.index, columns=X.columns, dtype=object)


@pytest.mark.parametrize("fusion", FUSIONS)
def test_every_fusion_rule_predicts_well_formed_output(fusion, multiclass_data):
    X, y = multiclass_data
    model = LateFusionClassifier(fusion=fusion, cv=3, random_state=0).fit(X, y)
    proba = model.predict_proba(X)
    assert proba.shape == (len(y), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.all(proba >= 0)
    predictions = model.predict(X)
    np.testing.assert_array_equal(predictions, model.classes_[proba.argmax(axis=1)])
    assert accuracy_score(y, predictions) > 0.7


def test_mean_fusion_averages_modality_probabilities(classification_data):
    X, y = classification_data
    model = LateFusionClassifier(fusion="mean").fit(X, y)
    parts = [
        estimator.predict_proba(X[columns])
        for estimator, columns in zip(model.estimators_, model.modality_columns_.values())
    ]
    np.testing.assert_allclose(model.predict_proba(X), np.mean(parts, axis=0))


def test_product_fusion_follows_the_product_rule(classification_data):
    X, y = classification_data
    model = LateFusionClassifier(fusion="product").fit(X, y)
    parts = [
        estimator.predict_proba(X[columns])
        for estimator, columns in zip(model.estimators_, model.modality_columns_.values())
    ]
    expected = parts[0] * parts[1] / model.class_prior_
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-6)


def test_weighted_fusion_trusts_the_informative_modality():
    X, y = make_multimodal_classification(
        n_samples=300, signal={"numeric": 0.0, "categorical": 0.0, "text": 1.0}, random_state=0
    )
    model = LateFusionClassifier(fusion="weighted", cv=3, random_state=0).fit(X, y)
    assert model.weights_["text"] > 0.8
    assert sum(model.weights_.values()) == pytest.approx(1.0)


def test_stacking_uses_the_final_estimator(classification_data):
    X, y = classification_data
    final = LogisticRegression(C=0.5)
    model = LateFusionClassifier(fusion="stacking", final_estimator=final, cv=3).fit(X, y)
    assert model.final_estimator_ is not final
    assert model.final_estimator_.C == 0.5
    assert model.weights_ is None


def test_modality_estimators_train_only_on_rows_where_present(missing_data):
    X, y = missing_data
    model = LateFusionClassifier(fusion="mean").fit(X, y)
    text_rows = int(X["text_0"].notna().sum())
    assert model.named_estimators_["text"][-1].n_features_in_ > 0
    assert model.named_estimators_["text"][0].n_features_in_ == 1
    tabular_rows = int(X["num_0"].notna().sum())
    assert text_rows < len(X) and tabular_rows < len(X)
    assert model.missing_in_training_ == ["tabular", "text"]


@pytest.mark.parametrize("fusion", FUSIONS)
def test_missing_modality_falls_back_on_the_others(fusion, classification_data):
    X, y = classification_data
    model = LateFusionClassifier(fusion=fusion, cv=3, random_state=0).fit(X, y)
    X_no_text = X.assign(text_0=np.nan)
    if fusion in ("mean", "weighted"):
        tabular_only = model.named_estimators_["tabular"].predict_proba(
            X[model.modality_columns_["tabular"]]
        )
        np.testing.assert_allclose(model.predict_proba(X_no_text), tabular_only)
    X_nothing = _all_missing(X)
    proba = model.predict_proba(X_nothing)
    assert np.isfinite(proba).all()
    if fusion != "stacking":
        np.testing.assert_allclose(proba, np.tile(model.class_prior_, (len(X), 1)))


def test_modality_missing_in_every_training_row_is_a_clear_error(classification_data):
    X, y = classification_data
    with pytest.raises(ValueError, match=r"Modality 'text' is missing in every training row"):
        LateFusionClassifier(
            [("tabular", "auto", ["num_0", "cat_0"]), ("text", "auto", ["text_0"])]
        ).fit(X.assign(text_0=""), y)


def test_per_modality_estimator_override(classification_data):
    X, y = classification_data
    model = LateFusionClassifier(
        estimators={"tabular": LogisticRegression(C=0.1)}, fusion="mean"
    ).fit(X, y)
    assert model.named_estimators_["tabular"][-1].C == 0.1
    assert isinstance(model.named_estimators_["text"][-1], LogisticRegression)
    with pytest.raises(
        ValueError,
        match=r"'estimators' parameter of LateFusionClassifier names modalities \['audio'\]",
    ):
        LateFusionClassifier(estimators={"audio": LogisticRegression()}).fit(X, y)


def test_probability_free_estimator_needs_vote(classification_data):
    X, y = classification_data
    with pytest.raises(ValueError, match=r"modality 'text' \(LinearSVC\) has no predict_proba"):
        LateFusionClassifier(estimators={"text": LinearSVC()}, fusion="mean").fit(X, y)
    model = LateFusionClassifier(estimators={"text": LinearSVC()}, fusion="vote").fit(X, y)
    assert accuracy_score(y, model.predict(X)) > 0.8


def test_prefit_uses_given_models_as_they_are(classification_data):
    X, y = classification_data
    text_model = make_pipeline(TextVectorizer(), LogisticRegression()).fit(X[["text_0"]], y)
    tabular_columns = ["num_0", "num_1", "num_2", "num_3", "cat_0", "cat_1"]
    tabular_model = make_pipeline(TabularEncoder(), LogisticRegression()).fit(
        X[tabular_columns], y
    )
    model = LateFusionClassifier(
        [("tabular", "passthrough", tabular_columns), ("text", "passthrough", ["text_0"])],
        estimators={"tabular": tabular_model, "text": text_model},
        fusion="stacking",
        cv="prefit",
    ).fit(X, y)
    assert model.named_estimators_["text"] is text_model
    assert model.predict_proba(X).shape == (len(y), 2)
    with pytest.raises(ValueError, match=r"cv='prefit' needs a fitted estimator"):
        LateFusionClassifier(estimators={"text": text_model}, cv="prefit").fit(X, y)


def test_sample_weight_reaches_modality_estimators(classification_data):
    X, y = classification_data
    weights = np.where(np.arange(len(y)) < 100, 1.0, 0.0)
    model = LateFusionClassifier(fusion="mean").fit(X, y, sample_weight=weights)
    text_model = model.named_estimators_["text"]
    features = text_model[0].transform(X[["text_0"]])
    expected = LogisticRegression(C=3.0, max_iter=1000).fit(features, y, sample_weight=weights)
    np.testing.assert_allclose(text_model[-1].coef_, expected.coef_, rtol=1e-4, atol=1e-6)


def test_sample_weight_refused_by_estimator_without_it(classification_data):
    from sklearn.neighbors import KNeighborsClassifier

    X, y = classification_data
    model = LateFusionClassifier(estimators={"text": KNeighborsClassifier()}, fusion="mean")
    with pytest.raises(TypeError, match=r"estimator of modality 'text' .* does not accept"):
        model.fit(X, y, sample_weight=np.ones(len(y)))


def test_n_jobs_gives_identical_results(classification_data):
    X, y = classification_data
    model = LateFusionClassifier(fusion="stacking", cv=3, random_state=0)
    serial = clone(model).fit(X, y).predict_proba(X)
    parallel = clone(model).set_params(n_jobs=2).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(serial, parallel)


def test_failing_modality_estimator_is_named(classification_data):
    X, y = classification_data
    model = LateFusionClassifier(estimators={"text": LogisticRegression(C=-1.0)}, fusion="mean")
    with pytest.raises(ValueError, match=r"Fitting the estimator of modality 'text' failed"):
        model.fit(X, y)


@pytest.mark.parametrize("fusion", ["mean", "weighted", "stacking"])
def test_regressor_fusion_rules(fusion, regression_data):
    X, y = regression_data
    model = LateFusionRegressor(fusion=fusion, cv=KFold(3), random_state=0).fit(X, y)
    assert r2_score(y, model.predict(X)) > 0.5
    nothing = model.predict(_all_missing(X))
    if fusion != "stacking":
        np.testing.assert_allclose(nothing, model.target_mean_)


def test_regressor_weights_and_estimators(regression_data):
    X, y = regression_data
    model = LateFusionRegressor(estimators={"text": Ridge(alpha=5.0)}).fit(X, y)
    assert model.named_estimators_["text"][-1].alpha == 5.0
    assert sum(model.weights_.values()) == pytest.approx(1.0)


def test_regressor_rejects_classification_only_rules(regression_data):
    X, y = regression_data
    with pytest.raises(ValueError, match=r"The 'fusion' parameter of LateFusionRegressor"):
        LateFusionRegressor(fusion="vote").fit(X, y)


def _cached_results(cache_dir):
    return sorted(cache_dir.glob("*.pkl"))


def test_memory_reuses_modality_fits_across_fusion_rules(classification_data, tmp_path):
    X, y = classification_data
    uncached = {
        fusion: LateFusionClassifier(fusion=fusion, cv=3, random_state=0).fit(X, y)
        for fusion in ("weighted", "stacking", "mean")
    }
    first = LateFusionClassifier(fusion="weighted", cv=3, random_state=0, memory=tmp_path)
    first.fit(X, y)
    entries_after_first = _cached_results(tmp_path)
    assert len(entries_after_first) == 8  # two modalities: three folds and a refit each
    for fusion in ("stacking", "mean"):
        cached = LateFusionClassifier(fusion=fusion, cv=3, random_state=0, memory=tmp_path)
        np.testing.assert_allclose(
            cached.fit(X, y).predict_proba(X), uncached[fusion].predict_proba(X)
        )
    assert _cached_results(tmp_path) == entries_after_first
    np.testing.assert_allclose(first.predict_proba(X), uncached["weighted"].predict_proba(X))


# ------------------------------------------------ the default tabular model and rule


def test_default_tabular_model_reads_category_codes(classification_data):
    X, y = classification_data
    model = LateFusionClassifier(random_state=0).fit(X, y)
    encoder, booster = model.named_estimators_["tabular"]
    assert encoder.encoding_ == "native"
    assert booster.is_categorical_.any()
    assert not booster.early_stopping  # 200 rows: too few to set a validation part aside


def test_a_users_tabular_estimator_gets_the_one_hot_block(classification_data):
    X, y = classification_data
    model = LateFusionClassifier(estimators={"tabular": LogisticRegression()}).fit(X, y)
    assert model.named_estimators_["tabular"][0].encoding_ == "one-hot"


def test_default_tabular_model_stops_early_on_large_tables():
    from mmsk.fusion._per_modality import EARLY_STOPPING_ROWS

    X, y = make_multimodal_classification(n_samples=EARLY_STOPPING_ROWS, n_text=0, random_state=0)
    model = LateFusionClassifier(fusion="mean", random_state=0).fit(X, y)
    booster = model.named_estimators_["tabular"][-1]
    assert booster.early_stopping and booster.n_iter_ <= booster.max_iter


@pytest.mark.parametrize("n_classes, rule", [(2, "weighted"), (3, "stacking")])
def test_auto_fusion_stacks_beyond_two_classes(n_classes, rule):
    X, y = make_multimodal_classification(n_samples=150, n_classes=n_classes, random_state=0)
    model = LateFusionClassifier(random_state=0).fit(X, y)
    assert model.fusion == "auto" and model.fusion_ == rule
    assert (model.weights_ is None) == (rule == "stacking")


def test_auto_fusion_of_a_regressor_is_weighted(regression_data):
    X, y = regression_data
    assert LateFusionRegressor().fit(X, y).fusion_ == "weighted"
