"""CrossModalRetriever: every shared-space method, retrieval, scoring, search and bad input."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

from mmsk import CrossModalRetriever, TextVectorizer
from mmsk.datasets import make_multimodal_classification
from mmsk.metrics import make_retrieval_scorer

TOPICS = {
    "dress": ["red", "summer", "floral", "dress", "silk"],
    "jeans": ["blue", "denim", "jeans", "pockets", "stretch"],
    "coat": ["warm", "winter", "wool", "coat", "hood"],
    "shoes": ["leather", "shoes", "heel", "sole", "laces"],
    "scarf": ["soft", "scarf", "knit", "cozy", "neck"],
    "shirt": ["cotton", "shirt", "collar", "buttons", "sleeves"],
}


def paired_table(n_rows=120, seed=0, missing=0.0):
    """A title and a review per row, both drawn from the same topic's words."""
    rng = np.random.RandomState(seed)
    topics = list(TOPICS)
    rows = []
    for i in range(n_rows):
        topic = TOPICS[topics[i % len(topics)]]
        marker = f"item{i}"
        title = " ".join(rng.choice(topic, 2)) + f" {marker}"
        review = " ".join(rng.choice(topic, 6)) + f" {marker} arrived quickly"
        rows.append((title, review, rng.randn()))
    X = pd.DataFrame(rows, columns=["Title", "Review Text", "Age"])
    if missing:
        X.loc[rng.rand(n_rows) < missing, "Title"] = None
        X.loc[rng.rand(n_rows) < missing, "Review Text"] = None
    return X


SPEC = [("title", TextVectorizer(), "Title"), ("review", TextVectorizer(), "Review Text")]
FAST_CONTRASTIVE = {"max_epochs": 30, "hidden_units": 32, "lr": 0.01, "random_state": 0}


def retriever(method="cca", **params):
    if method == "contrastive":
        pytest.importorskip("torch")
        pytest.importorskip("skorch")
        params = {**FAST_CONTRASTIVE, "device": "cpu", **params}
    params.setdefault("n_components", 8)
    return CrossModalRetriever(SPEC, query="title", target="review", method=method, **params)


METHODS = ["cca", "pls", "contrastive"]


@pytest.mark.parametrize("method", METHODS)
def test_every_method_retrieves_the_paired_target(method):
    X = paired_table()
    model = retriever(method).fit(X)
    assert model.query_ == "title" and model.target_ == "review"
    assert model.n_components_ == 8
    distances, rows = model.kneighbors(X[["Title"]].head(12), n_neighbors=3)
    assert distances.shape == rows.shape == (12, 3)
    assert np.all(np.diff(distances, axis=1) >= -1e-12)
    # The best matches of a title are reviews of the same topic.
    assert np.mean(rows % len(TOPICS) == np.arange(12)[:, None] % len(TOPICS)) >= 0.7
    assert model.score(X) >= 0.4


@pytest.mark.parametrize("method", ["cca", "contrastive"])
def test_cca_and_contrastive_find_the_rows_own_target(method):
    X = paired_table()
    model = retriever(method).fit(X)
    _, rows = model.kneighbors(X[["Title"]].head(12), n_neighbors=3)
    assert np.mean([i in found for i, found in enumerate(rows)]) >= 0.75


@pytest.mark.parametrize("method", ["cca", "pls"])
def test_closed_form_methods_are_deterministic_without_random_state(method):
    X = paired_table()
    first = retriever(method).fit(X).transform(X)
    second = retriever(method).fit(X).transform(X)
    np.testing.assert_array_equal(first, second)


def test_cca_on_a_wide_sparse_block_uses_the_randomized_basis():
    X = paired_table(200)
    model = retriever("cca", basis_size=20, n_components=6).fit(X)
    assert model.space_.weights["title"].shape == (
        model.transformers_[0][1].transform(X[["Title"]]).shape[1],
        6,
    )
    # Chance is 10 / 200.
    assert model.score(X) > 0.3
    np.testing.assert_array_less(model.correlations_, 1.0 + 1e-9)
    assert np.all(np.diff(model.correlations_) <= 1e-9)


def test_transform_is_the_mean_of_the_present_modalities():
    X = paired_table(60, missing=0.2)
    model = retriever().fit(X)
    Z = model.transform(X)
    assert Z.shape == (60, 8)
    title = model.embed(X, "title")
    review = model.embed(X, "review")
    both = X["Title"].notna() & X["Review Text"].notna()
    np.testing.assert_allclose(Z[both.to_numpy()], ((title + review) / 2)[both.to_numpy()])
    only_review = (X["Title"].isna() & X["Review Text"].notna()).to_numpy()
    np.testing.assert_allclose(Z[only_review], review[only_review])
    neither = pd.DataFrame({"Title": [None], "Review Text": [" "], "Age": [1.0]})
    np.testing.assert_array_equal(model.transform(neither), np.zeros((1, 8)))
    assert list(model.get_feature_names_out()) == [f"crossmodalretriever{i}" for i in range(8)]


def test_rows_missing_a_modality_are_left_out_of_fitting_and_the_index():
    X = paired_table(90, missing=0.2)
    model = retriever().fit(X)
    paired = (X["Title"].notna() & X["Review Text"].notna()).sum()
    assert model.n_paired_ == paired
    np.testing.assert_array_equal(
        model.index_rows_["review"], np.flatnonzero(X["Review Text"].notna())
    )
    _, rows = model.kneighbors(X[["Title"]], n_neighbors=2)
    assert set(rows.ravel()) <= set(model.index_rows_["review"])


def test_the_reverse_direction_searches_the_queries():
    X = paired_table()
    model = retriever().fit(X)
    _, rows = model.kneighbors(
        X[["Review Text"]].head(6), n_neighbors=1, direction="target_to_query"
    )
    assert np.mean(rows.ravel() == np.arange(6)) >= 0.8
    indices = model.kneighbors(X[["Title"]].head(2), n_neighbors=2, return_distance=False)
    assert indices.shape == (2, 2)


def test_kneighbors_takes_the_whole_table_or_an_array_of_the_query_columns():
    X = paired_table()
    model = retriever().fit(X)
    from_columns = model.kneighbors(X[["Title"]].head(4))
    from_table = model.kneighbors(X.head(4))
    from_array = model.kneighbors(X[["Title"]].head(4).to_numpy())
    for other in (from_table, from_array):
        np.testing.assert_allclose(other[0], from_columns[0])
        np.testing.assert_array_equal(other[1], from_columns[1])


def test_auto_spec_accepts_column_names_for_query_and_target():
    X = paired_table()
    model = CrossModalRetriever(query="title", target="review", n_components=4).fit(X)
    assert model.modality_columns_ == {"title": ["Title"], "review": ["Review Text"]}
    assert model.score(X) > 0.5
    exact = CrossModalRetriever(query="Title", target="Review Text", n_components=4).fit(X)
    assert exact.modality_columns_ == {"Title": ["Title"], "Review Text": ["Review Text"]}


def test_auto_spec_with_default_modality_names():
    X, _ = make_multimodal_classification(n_samples=80, random_state=0)
    model = CrossModalRetriever(n_components=2).fit(X)
    assert (model.query_, model.target_) == ("tabular", "text")
    assert model.transform(X).shape == (80, 2)


def test_grid_search_over_method_and_n_components_needs_no_y():
    X = paired_table(90)
    search = GridSearchCV(
        retriever(),
        {"method": ["cca", "pls"], "n_components": [2, 6]},
        cv=3,
    ).fit(X)
    assert search.best_params_["method"] in ("cca", "pls")
    assert 0 <= search.best_score_ <= 1
    mrr = GridSearchCV(
        retriever(),
        {"title__ngram_range": [(1, 1), (1, 2)]},
        cv=3,
        scoring=make_retrieval_scorer("mrr", direction="both"),
    ).fit(X)
    assert 0 < mrr.best_score_ <= 1


@pytest.mark.parametrize("method", METHODS)
def test_a_fitted_retriever_pickles(method):
    X = paired_table(60)
    model = retriever(method).fit(X)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(restored.transform(X), model.transform(X))
    np.testing.assert_array_equal(
        restored.kneighbors(X.head(3))[1], model.kneighbors(X.head(3))[1]
    )


def test_set_params_routes_through_modality_names():
    model = retriever()
    model.set_params(title__max_features=50)
    assert model.get_params()["title__max_features"] == 50
    assert clone(model).get_params()["title__max_features"] == 50


# ------------------------------------------------------------------ bad input


def test_a_query_modality_that_does_not_exist_is_named():
    model = CrossModalRetriever(SPEC, query="headline", target="review")
    with pytest.raises(
        ValueError,
        match=r"'query' parameter .* names modality 'headline'.*"
        r"spec's modalities are \['title', 'review'\]",
    ):
        model.fit(paired_table())


def test_an_unknown_column_with_the_auto_spec_lists_the_columns():
    model = CrossModalRetriever(query="headline", target="review")
    with pytest.raises(
        ValueError,
        match=r"'query' parameter .* is 'headline'.*matches no "
        r"column. X has columns \['Title', 'Review Text', 'Age'\]",
    ):
        model.fit(paired_table())


def test_one_text_modality_is_not_enough():
    X = paired_table()[["Title", "Review Text"]]
    with pytest.raises(ValueError, match=r"needs two modalities.*resolved to \['text'\]"):
        CrossModalRetriever().fit(X)


def test_query_and_target_must_differ():
    with pytest.raises(ValueError, match="both name modality 'title'"):
        CrossModalRetriever(SPEC, query="title", target="title").fit(paired_table())


def test_no_paired_rows():
    X = paired_table(20)
    X.loc[:9, "Title"] = None
    X.loc[10:, "Review Text"] = None
    with pytest.raises(ValueError, match=r"found no paired rows among the 20 training rows"):
        retriever(n_components=1).fit(X)


def test_one_row():
    with pytest.raises(
        ValueError, match=r"found one paired row among the 1 training rows of X \(n_samples=1\)"
    ):
        retriever(n_components=1).fit(paired_table(1))


def test_n_components_too_large_says_the_largest_possible():
    with pytest.raises(ValueError, match=r"n_components=50 is too large.*Use n_components <= 11"):
        retriever(n_components=50).fit(paired_table(12))


def test_invalid_method_is_refused_by_parameter_validation():
    with pytest.raises(InvalidParameterError, match="The 'method' parameter"):
        retriever(method="magic").fit(paired_table())


def test_kneighbors_bad_arguments():
    X = paired_table(30)
    model = retriever().fit(X)
    with pytest.raises(ValueError, match="n_neighbors must be an integer between 1 and 30"):
        model.kneighbors(X[["Title"]], n_neighbors=31)
    with pytest.raises(ValueError, match="'direction' parameter of kneighbors"):
        model.kneighbors(X[["Title"]], direction="sideways")
    with pytest.raises(ValueError, match=r"missing 1 column\(s\).*'Title' \(read by modality"):
        model.kneighbors(X[["Review Text"]])
    with pytest.raises(ValueError, match="'modality' argument must be the query modality"):
        model.embed(X, "Age")


# ------------------------------------------------------- ridge: start from a shared space


def shared_space_table(n_rows=160, width=12, seed=0):
    """Query and target blocks in one feature space: the target is a noisy, rotated query."""
    rng = np.random.RandomState(seed)
    queries = rng.randn(n_rows, width)
    rotation = np.linalg.qr(rng.randn(width, width))[0]
    targets = 0.6 * queries + 0.4 * queries @ rotation + 0.3 * rng.randn(n_rows, width)
    columns = [f"q{i}" for i in range(width)] + [f"t{i}" for i in range(width)]
    X = pd.DataFrame(np.hstack([queries, targets]), columns=columns)
    spec = [
        ("q", "passthrough", columns[:width]),
        ("t", "passthrough", columns[width:]),
    ]
    return X, spec, queries, targets


def test_ridge_identity_start_reproduces_raw_cosine_rankings():
    X, spec, queries, targets = shared_space_table()
    model = CrossModalRetriever(spec, method="ridge", shrinkage=np.inf).fit(X)
    unit = [rows / np.linalg.norm(rows, axis=1, keepdims=True) for rows in (queries, targets)]
    raw = unit[0] @ unit[1].T
    np.testing.assert_allclose(model.paired_similarities(X), raw, atol=1e-12)
    _, rows = model.kneighbors(X, n_neighbors=5)
    np.testing.assert_array_equal(rows, np.argsort(-raw, axis=1, kind="stable")[:, :5])
    assert model.n_components_ == queries.shape[1]


def test_ridge_auto_shrinkage_is_never_worse_than_the_start_on_validation_pairs():
    table, spec, _, _ = shared_space_table(n_rows=320)
    X, held_out = table.iloc[:160], table.iloc[160:]
    model = CrossModalRetriever(spec, method="ridge", random_state=0, score_k=1).fit(X)
    scores = model.space_.validation_scores
    assert np.inf in scores and len(scores) > 2
    assert scores[model.space_.shrinkage] >= scores[np.inf]
    assert scores[model.space_.shrinkage] == max(scores.values())
    # Here a map helps: the rotation is learnable from the pairs.
    assert model.space_.shrinkage < np.inf
    start = CrossModalRetriever(spec, method="ridge", shrinkage=np.inf, score_k=1).fit(X)
    assert model.score(held_out) >= start.score(held_out)


def test_ridge_fixed_shrinkage_uses_no_validation_and_moves_toward_identity():
    X, spec, _, _ = shared_space_table()
    loose = CrossModalRetriever(spec, method="ridge", shrinkage=0.01).fit(X)
    tight = CrossModalRetriever(spec, method="ridge", shrinkage=1e6).fit(X)
    assert loose.space_.validation_scores == {}
    assert np.abs(tight.space_.correction).max() < np.abs(loose.space_.correction).max()


def test_ridge_needs_blocks_of_the_same_width():
    X, _, _, _ = shared_space_table()
    spec = [("q", "passthrough", ["q0", "q1"]), ("t", "passthrough", ["t0", "t1", "t2"])]
    with pytest.raises(ValueError, match=r"same width.*'q' has 2 features and 't' has 3"):
        CrossModalRetriever(spec, method="ridge").fit(X)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"shrinkage": -1.0}, "'shrinkage' parameter"),
        ({"shrinkage": "best"}, "'shrinkage' parameter"),
        ({"validation_fraction": 1.0}, "'validation_fraction' parameter"),
        ({"validation_fraction": 0.0}, "'validation_fraction' parameter"),
    ],
)
def test_ridge_bad_parameters_are_named(params, match):
    X, spec, _, _ = shared_space_table(n_rows=20)
    with pytest.raises(InvalidParameterError, match=match):
        CrossModalRetriever(spec, method="ridge", **params).fit(X)


def test_ridge_grid_search_and_pickling():
    X, spec, _, _ = shared_space_table(n_rows=120)
    search = GridSearchCV(
        CrossModalRetriever(spec, method="ridge", random_state=0),
        {"shrinkage": [0.1, np.inf], "validation_fraction": [0.2]},
        cv=3,
    ).fit(X)
    assert search.best_params_["shrinkage"] in (0.1, np.inf)
    model = search.best_estimator_
    copy = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(copy.transform(X), model.transform(X))
    assert clone(model).get_params()["shrinkage"] == model.shrinkage


def test_ridge_on_sparse_blocks_of_one_width():
    X = paired_table(60)
    spec = [
        ("title", TextVectorizer(max_features=None), "Title"),
        ("review", TextVectorizer(max_features=None), "Review Text"),
    ]
    with pytest.raises(ValueError, match="same width"):
        CrossModalRetriever(spec, query="title", target="review", method="ridge").fit(X)
