"""Greedy ensemble selection and stacking over mmsk estimators."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import get_scorer, r2_score, roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from mmsk import (
    EarlyFusionClassifier,
    EarlyFusionRegressor,
    LateFusionClassifier,
    LateFusionRegressor,
)
from mmsk.ensemble import EnsembleSelectionClassifier, EnsembleSelectionRegressor
from mmsk.ensemble._selection import greedy_weights, score_predictions


def _classifier_members():
    return [
        ("early", EarlyFusionClassifier()),
        ("late", LateFusionClassifier(fusion="mean")),
        ("prior", DummyClassifier(strategy="prior")),
    ]


def _regressor_members():
    return [
        ("early", EarlyFusionRegressor()),
        ("late", LateFusionRegressor(fusion="mean")),
        ("mean", DummyRegressor()),
    ]


def test_greedy_weights_never_below_the_best_member():
    rng = np.random.default_rng(0)
    y = rng.normal(size=300)
    predictions = [y + rng.normal(scale=s, size=300) for s in (0.5, 0.6, 3.0)]
    weights, path = greedy_weights(predictions, lambda p: r2_score(y, p), 25)
    blend = sum(w * p for w, p in zip(weights, predictions))
    assert weights.sum() == pytest.approx(1.0)
    assert (weights >= 0).all()
    assert r2_score(y, blend) >= max(r2_score(y, p) for p in predictions)
    assert r2_score(y, blend) == pytest.approx(max(path))
    # Two independent noisy copies average out: both get a share, the bad one none.
    assert weights[0] > 0 and weights[1] > 0 and weights[2] == 0


def test_greedy_weights_of_one_perfect_member_is_that_member():
    y = np.arange(50.0)
    weights, _ = greedy_weights([y[::-1], y, y * 0], lambda p: r2_score(y, p), 10)
    np.testing.assert_allclose(weights, [0, 1, 0])


def test_score_predictions_matches_the_scorer_on_an_estimator(classification_data):
    X, y = classification_data
    model = LateFusionClassifier(fusion="mean").fit(X, y)
    scorer = get_scorer("roc_auc")
    direct = scorer(model, X, y)
    given = score_predictions(scorer, model.predict_proba(X), y, model.classes_)
    assert given == pytest.approx(direct)


@pytest.mark.parametrize("method", ["greedy", "stacking"])
def test_classifier_ensemble_beats_or_equals_its_best_member_out_of_fold(
    classification_data, method
):
    X, y = classification_data
    ensemble = EnsembleSelectionClassifier(
        _classifier_members(), method=method, cv=3, scoring="roc_auc"
    ).fit(X, y)
    if method == "greedy":
        assert ensemble.out_of_fold_score_ >= max(ensemble.member_scores_.values()) - 1e-12
        assert ensemble.weights_["prior"] == 0
        assert "prior" not in ensemble.named_estimators_
    else:
        assert hasattr(ensemble, "final_estimator_")
    probabilities = ensemble.predict_proba(X)
    assert probabilities.shape == (len(X), 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert roc_auc_score(y, probabilities[:, 1]) > 0.9


def test_classifier_ensemble_keeps_string_labels_and_three_classes(multiclass_data):
    X, y = multiclass_data
    ensemble = EnsembleSelectionClassifier(_classifier_members(), cv=3).fit(X, y)
    assert ensemble.classes_.tolist() == ["negative", "neutral", "positive"]
    assert set(ensemble.predict(X)) <= set(ensemble.classes_)
    assert ensemble.predict_proba(X).shape == (len(X), 3)


def test_regressor_ensemble_out_of_fold_score_is_at_least_the_best_member(regression_data):
    X, y = regression_data
    ensemble = EnsembleSelectionRegressor(_regressor_members(), cv=3).fit(X, y)
    assert ensemble.out_of_fold_score_ >= max(ensemble.member_scores_.values()) - 1e-12
    assert sum(ensemble.weights_.values()) == pytest.approx(1.0)
    assert ensemble.weights_["mean"] == 0
    assert ensemble.predict(X).shape == (len(X),)


def test_fit_from_predictions_selects_without_a_second_cross_validation(classification_data):
    X, y = classification_data
    members = _classifier_members()
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    predictions = [
        cross_val_predict(clone(m), X, y, cv=folds, method="predict_proba") for _, m in members
    ]
    given = EnsembleSelectionClassifier(members, scoring="roc_auc").fit_from_predictions(
        X, y, predictions
    )
    computed = EnsembleSelectionClassifier(members, cv=folds, scoring="roc_auc").fit(X, y)
    assert given.weights_ == computed.weights_
    np.testing.assert_allclose(given.predict_proba(X), computed.predict_proba(X))


def test_prefit_members_are_selected_on_held_out_rows(classification_data):
    X, y = classification_data
    y = np.asarray(y)
    fitted = [(name, clone(m).fit(X[:120], y[:120])) for name, m in _classifier_members()]
    ensemble = EnsembleSelectionClassifier(fitted, cv="prefit").fit(X[120:], y[120:])
    assert ensemble.estimators_[0] is dict(fitted)[next(iter(ensemble.named_estimators_))]
    assert ensemble.predict(X[:5]).shape == (5,)


def test_ensemble_pickles_and_works_in_a_pipeline_and_grid_search(regression_data):
    X, y = regression_data
    search = GridSearchCV(
        Pipeline([("ensemble", EnsembleSelectionRegressor(_regressor_members(), cv=2))]),
        {"ensemble__method": ["greedy", "stacking"], "ensemble__early__modality_weights": [None]},
        cv=2,
    ).fit(X, y)
    model = search.best_estimator_
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(restored.predict(X), model.predict(X))
    assert search.best_params_["ensemble__method"] in {"greedy", "stacking"}


def test_member_params_route_through_names():
    ensemble = EnsembleSelectionClassifier(_classifier_members())
    ensemble.set_params(late__fusion="product", prior__strategy="uniform")
    params = ensemble.get_params()
    assert params["late__fusion"] == "product"
    assert params["prior__strategy"] == "uniform"


def test_a_regressor_member_of_the_classifier_is_refused(classification_data):
    X, y = classification_data
    ensemble = EnsembleSelectionClassifier([("ridge", Ridge()), ("lr", LogisticRegression())])
    with pytest.raises(TypeError, match=r"Member 'ridge' of EnsembleSelectionClassifier must"):
        ensemble.fit(X.select_dtypes("number").fillna(0), y)


def test_an_empty_member_list_is_refused(classification_data):
    X, y = classification_data
    with pytest.raises(ValueError, match=r"needs at least one member in 'estimators'"):
        EnsembleSelectionClassifier([]).fit(X, y)


def test_predictions_of_the_wrong_shape_are_refused(classification_data):
    X, y = classification_data
    ensemble = EnsembleSelectionClassifier(_classifier_members()[:2])
    with pytest.raises(ValueError, match=r"member 'late' must have one column per class"):
        ensemble.fit_from_predictions(X, y, [np.full((len(X), 2), 0.5), np.ones(len(X))])
    with pytest.raises(ValueError, match=r"got out-of-fold predictions for 1 members"):
        ensemble.fit_from_predictions(X, y, [np.full((len(X), 2), 0.5)])


def test_ensemble_saves_and_loads_in_the_skops_format(classification_data, tmp_path):
    pytest.importorskip("skops")
    from mmsk import persistence

    X, y = classification_data
    members = [
        ("early", EarlyFusionClassifier()),
        (
            "late",
            LateFusionClassifier(fusion="mean", estimators={"tabular": LogisticRegression()}),
        ),
    ]
    ensemble = EnsembleSelectionClassifier(members, cv=3, method="stacking").fit(X, y)
    persistence.dump(ensemble, tmp_path / "ensemble.skops")
    restored = persistence.load(tmp_path / "ensemble.skops")
    np.testing.assert_allclose(restored.predict_proba(X), ensemble.predict_proba(X))
    assert list(restored.named_estimators_) == ["early", "late"]
