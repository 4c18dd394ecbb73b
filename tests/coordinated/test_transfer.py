"""Cross-modal transfer: learn from one modality, predict from another."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.svm import LinearSVC

from mmsk import (
    CrossModalRetriever,
    CrossModalTransferClassifier,
    CrossModalTransferRegressor,
    TextVectorizer,
)

SPEC = [("title", TextVectorizer(), "title"), ("review", TextVectorizer(), "review")]
GOOD = ["great", "lovely", "perfect", "soft", "flattering", "comfortable"]
BAD = ["torn", "cheap", "itchy", "returned", "disappointing", "shrunk"]
# Each label has title words and review words of its own: the two modalities carry the
# label with different vocabularies, so only the shared space connects them.
TITLE_WORDS = {"good": GOOD[:3], "bad": BAD[:3]}
REVIEW_WORDS = {"good": GOOD[3:], "bad": BAD[3:]}
NOISE = ["dress", "shirt", "size", "color", "order", "fabric", "fit", "wear"]


def transfer_table(n_rows=200, seed=0):
    rng = np.random.RandomState(seed)
    labels = rng.choice(["good", "bad"], n_rows)
    titles = [
        " ".join([*rng.choice(TITLE_WORDS[label], 2), *rng.choice(NOISE, 2)]) for label in labels
    ]
    reviews = [
        " ".join([*rng.choice(REVIEW_WORDS[label], 3), *rng.choice(NOISE, 4)]) for label in labels
    ]
    return pd.DataFrame({"title": titles, "review": reviews}), labels


def classifier(**params):
    aligner = CrossModalRetriever(SPEC, n_components=4)
    return CrossModalTransferClassifier(source="title", target="review", aligner=aligner, **params)


def test_predicts_from_the_target_modality_alone_well_above_chance():
    X, y = transfer_table()
    X_test, y_test = transfer_table(seed=1)
    model = classifier().fit(X, y)
    assert model.classes_.tolist() == ["bad", "good"]
    review_only = X_test.assign(title=None)
    assert np.mean(model.predict(review_only) == y_test) > 0.9
    probabilities = model.predict_proba(review_only)
    assert probabilities.shape == (len(X_test), 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert model.score(review_only, y_test) > 0.9


def test_rows_without_the_target_modality_fall_back_on_the_source():
    X, y = transfer_table()
    model = classifier().fit(X, y)
    title_only = X.assign(review=None)
    assert np.mean(model.predict(title_only) == y) > 0.9


def test_the_estimator_learns_from_every_row_with_the_source_modality():
    X, y = transfer_table()
    X.loc[:49, "review"] = None  # titles only: not paired, still labelled source rows
    model = classifier().fit(X, y)
    assert model.aligner_.n_paired_ == 150
    assert model.n_source_rows_ == 200


def test_labels_are_decoded_and_predict_proba_follows_the_estimator():
    X, y = transfer_table()
    numbers = np.where(y == "good", 7, 3)
    model = classifier().fit(X, numbers)
    assert set(model.predict(X)) <= {3, 7}
    svc = classifier(estimator=LinearSVC())
    assert not hasattr(svc, "predict_proba")
    assert svc.fit(X, y).decision_function(X).shape == (len(X),)


def test_regressor_transfers_a_continuous_target():
    X, labels = transfer_table()
    y = np.where(labels == "good", 4.5, 1.5)
    model = CrossModalTransferRegressor(
        "title",
        "review",
        aligner=CrossModalRetriever(SPEC, n_components=4),
        estimator=LinearRegression(),
    ).fit(X, y)
    predictions = model.predict(X.assign(title=None))
    assert np.corrcoef(predictions, y)[0, 1] > 0.9


def test_source_and_target_replace_the_aligners_query_and_target():
    X, y = transfer_table()
    aligner = CrossModalRetriever(SPEC, query="review", target="title", n_components=2)
    model = CrossModalTransferClassifier("title", "review", aligner=aligner).fit(X, y)
    assert (model.aligner_.query_, model.aligner_.target_) == ("title", "review")
    assert aligner.query == "review"  # the user's aligner is left as it was


def test_a_fitted_transfer_model_pickles():
    X, y = transfer_table(80)
    model = classifier().fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(restored.predict_proba(X), model.predict_proba(X))


def test_a_source_that_is_not_a_modality_is_named():
    X, y = transfer_table(40)
    model = CrossModalTransferClassifier("headline", "review", aligner=CrossModalRetriever(SPEC))
    with pytest.raises(ValueError, match=r"'query' parameter .* names modality 'headline'"):
        model.fit(X, y)


def test_one_class_is_refused():
    X, _ = transfer_table(40)
    with pytest.raises(ValueError, match="y has only one class"):
        classifier().fit(X, ["good"] * 40)
