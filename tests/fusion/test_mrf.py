"""Markov-random-field fusion: the Gaussian and discrete fields, their inference against
hand computations and pgmpy, missing modalities, weights and the estimators' API."""

import warnings

import matplotlib
import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.svm import LinearSVC

from mmsk import MarkovRandomFieldFusionClassifier, MarkovRandomFieldFusionRegressor
from mmsk.datasets import make_multimodal_classification, make_multimodal_regression
from mmsk.fusion._mrf_model import (
    DiscreteField,
    GaussianField,
    JointGaussianField,
    _distinct_rows,
    complete_edges,
    star_edges,
)

matplotlib.use("Agg")

FAST = {"tabular": LogisticRegression(max_iter=1000)}
FAST_REGRESSOR = {"tabular": Ridge()}
KINDS = ["gaussian", "discrete"]


def _missing_text(X):
    return X.assign(text_0=None)


def _missing_everything(X):
    return X.assign(**{column: None for column in X.columns})


# ------------------------------------------------------------------ Gaussian field


def test_gaussian_field_marginalises_a_missing_variable_exactly():
    rng = np.random.default_rng(0)
    scores = rng.multivariate_normal([0, 1, 2], [[1, 0.5, 0.2], [0.5, 1, 0.3], [0.2, 0.3, 1]], 400)
    y = (scores[:, 0] > 0).astype(int)
    observed = np.ones_like(scores, dtype=bool)
    field = GaussianField(alpha=0.01).fit(scores, observed, y, 2)
    query = scores[:4].copy()
    query_observed = np.array(
        [[True, True, True], [True, False, True], [False] * 3, [False, True, False]]
    )
    got = field.log_likelihood(np.where(query_observed, query, np.nan), query_observed)
    for row in range(4):
        kept = np.flatnonzero(query_observed[row])
        for c in range(2):
            if not len(kept):
                assert got[row, c] == 0.0
                continue
            expected = multivariate_normal(
                field.means_[c][kept], field.covariances_[c][np.ix_(kept, kept)]
            ).logpdf(query[row, kept])
            np.testing.assert_allclose(got[row, c], expected, rtol=1e-10)


def test_graphical_lasso_penalty_makes_the_field_sparser():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(300, 4))
    scores[:, 1] += scores[:, 0]
    observed = np.ones_like(scores, dtype=bool)
    y = np.zeros(300, dtype=int)
    y[::2] = 1

    def zeros(alpha):
        precision = GaussianField(alpha).fit(scores, observed, y, 2).precisions_[0]
        return int((np.abs(precision[np.triu_indices(4, 1)]) < 1e-8).sum())

    assert zeros(0.5) > zeros(0.001)


def test_joint_gaussian_conditional_mean_matches_the_formula():
    rng = np.random.default_rng(2)
    values = rng.multivariate_normal([1, 0, 0], [[2, 1, 0.5], [1, 1.5, 0.2], [0.5, 0.2, 1]], 500)
    observed = np.ones_like(values, dtype=bool)
    field = JointGaussianField(alpha=0.001).fit(values, observed)
    mean, cov, scale = field.mean_, field.covariance_, field.scale_
    row = values[:1]
    only_first = np.array([[True, True, False]])
    got = field.predict(np.where(only_first, row, np.nan), only_first)
    expected = mean[0] + cov[0, 1] / cov[1, 1] * (row[0, 1] / scale[1] - mean[1])
    np.testing.assert_allclose(got, [expected * scale[0]])
    nothing = np.array([[True, False, False]])
    np.testing.assert_allclose(field.predict(row, nothing), [mean[0] * scale[0]])


def test_joint_gaussian_field_survives_predictions_far_beyond_the_target():
    rng = np.random.default_rng(7)
    y = rng.normal(size=200)
    values = np.column_stack([y, 1e300 * (y + rng.normal(size=200) * 0.1), y])
    observed = np.ones_like(values, dtype=bool)
    field = JointGaussianField(alpha=0.01).fit(values, observed)
    prediction = field.predict(values, observed)
    assert np.isfinite(prediction).all()
    assert np.corrcoef(prediction, y)[0, 1] > 0.9


def test_gaussian_field_weights_equal_repeated_rows():
    rng = np.random.default_rng(3)
    scores = rng.normal(size=(60, 2))
    y = rng.integers(0, 2, 60)
    observed = np.ones_like(scores, dtype=bool)
    weights = rng.integers(1, 3, 60).astype(float)
    weighted = GaussianField(0.01).fit(scores, observed, y, 2, weights)
    repeated = np.repeat(np.arange(60), weights.astype(int))
    plain = GaussianField(0.01).fit(scores[repeated], observed[repeated], y[repeated], 2)
    np.testing.assert_allclose(weighted.covariances_, plain.covariances_, rtol=1e-6)
    np.testing.assert_allclose(weighted.means_, plain.means_)


# ------------------------------------------------------------------ discrete field


def _random_codes(n, cardinalities, seed, missing=0.2):
    rng = np.random.default_rng(seed)
    codes = np.column_stack([rng.integers(0, c, n) for c in cardinalities])
    codes[:, 1] = np.where(rng.random(n) < 0.7, codes[:, 0] % cardinalities[1], codes[:, 1])
    codes[1:][rng.random(n - 1) < missing, 2] = -1
    return codes


def test_discrete_field_posterior_matches_its_joint_table():
    cardinalities = (3, 3, 4)
    codes = _random_codes(400, cardinalities, 0)
    field = DiscreteField(cardinalities, complete_edges(3), alpha=0.01).fit(codes)
    assert field.method_ == "exact"
    joint = field.joint_table()
    for row in codes[:20]:
        index = tuple(slice(None) if v < 0 else int(v) for v in row[1:])
        expected = joint[(slice(None), *index)]
        expected = expected.reshape(3, -1).sum(axis=1)
        np.testing.assert_allclose(field.posterior(row[None, :])[0], expected / expected.sum())


def test_discrete_field_posterior_matches_pgmpy_variable_elimination():
    pytest.importorskip("pgmpy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgmpy.factors.discrete import DiscreteFactor
        from pgmpy.inference import VariableElimination
        from pgmpy.models import DiscreteMarkovNetwork
    cardinalities = (2, 3, 4)
    field = DiscreteField(cardinalities, complete_edges(3), alpha=0.01).fit(
        _random_codes(300, cardinalities, 1)
    )
    names = ["t", "a", "b"]
    network = DiscreteMarkovNetwork([(names[i], names[j]) for i, j in field.edges])
    factors = [
        DiscreteFactor([name], [size], np.exp(table))
        for name, size, table in zip(names, cardinalities, field.unary_)
    ]
    factors += [
        DiscreteFactor([names[i], names[j]], table.shape, np.exp(table).ravel())
        for (i, j), table in zip(field.edges, field.pairwise_)
    ]
    network.add_factors(*factors)
    inference = VariableElimination(network)
    for evidence, row in [
        ({"a": 2, "b": 1}, [-1, 2, 1]),
        ({"a": 0}, [-1, 0, -1]),
        ({}, [-1, -1, -1]),
    ]:
        expected = inference.query(["t"], evidence=evidence, show_progress=False).values
        expected = expected / expected.sum()
        np.testing.assert_allclose(field.posterior(np.array([row]))[0], expected, rtol=1e-8)


def test_star_field_leaf_by_leaf_inference_equals_enumeration():
    cardinalities = (2, 5, 5)
    field = DiscreteField(cardinalities, star_edges(3), alpha=0.01).fit(
        _random_codes(300, cardinalities, 2)
    )
    codes = _random_codes(50, cardinalities, 3, missing=0.5)
    enumerated = field.posterior(codes)
    evidence = codes.copy()
    evidence[:, 0] = -1
    leafwise = np.vstack([field._star_posterior_of(row) for row in evidence])
    np.testing.assert_allclose(enumerated, leafwise, rtol=1e-10)


def test_pseudo_likelihood_is_close_to_exact_likelihood_on_complete_data():
    cardinalities = (2, 3, 3)
    codes = _random_codes(3000, cardinalities, 4, missing=0.0)
    exact = DiscreteField(cardinalities, complete_edges(3), alpha=0.001).fit(codes)
    pseudo = DiscreteField(cardinalities, complete_edges(3), alpha=0.001)
    objective = pseudo._pseudo_objective(codes, np.ones(len(codes)))
    from scipy.optimize import minimize

    theta = minimize(objective, np.zeros(2 + 3 + 3 + 6 + 6 + 9), jac=True, method="L-BFGS-B").x
    pseudo.unary_, pseudo.pairwise_ = pseudo._unpack(theta)
    np.testing.assert_allclose(
        pseudo.posterior(codes[:200]), exact.posterior(codes[:200]), atol=0.03
    )


@pytest.mark.parametrize("objective", ["exact", "pseudo"])
def test_discrete_gradients_match_finite_differences(objective):
    from scipy.optimize import approx_fprime

    cardinalities = (2, 3, 2)
    codes = _random_codes(200, cardinalities, 5)
    field = DiscreteField(cardinalities, complete_edges(3), alpha=0.1)
    if objective == "exact":
        function = field._exact_objective(*_distinct_rows(codes, np.ones(len(codes))))
    else:
        complete = (codes >= 0).all(axis=1)
        function = field._pseudo_objective(codes[complete], np.ones(complete.sum()))
    theta = np.random.default_rng(0).normal(size=2 + 3 + 2 + 6 + 4 + 6)
    numeric = approx_fprime(theta, lambda t: function(t)[0], 1e-6)
    np.testing.assert_allclose(function(theta)[1], numeric, atol=1e-5)


def test_discrete_field_weights_equal_repeated_rows():
    cardinalities = (2, 3, 3)
    codes = _random_codes(80, cardinalities, 6)
    weights = np.random.default_rng(0).integers(1, 3, 80).astype(float)
    weighted = DiscreteField(cardinalities, complete_edges(3), 0.01).fit(codes, weights)
    repeated = DiscreteField(cardinalities, complete_edges(3), 0.01).fit(
        np.repeat(codes, weights.astype(int), axis=0)
    )
    np.testing.assert_allclose(weighted.posterior(codes), repeated.posterior(codes), atol=1e-5)


# ------------------------------------------------------------------------ estimators


@pytest.mark.parametrize("kind", KINDS)
def test_classifier_predicts_rows_with_missing_modalities(kind, missing_data):
    X, y = missing_data
    model = MarkovRandomFieldFusionClassifier(estimators=FAST, kind=kind, cv=3).fit(X, y)
    for frame in (X, _missing_text(X)):
        proba = model.predict_proba(frame)
        assert np.isfinite(proba).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (model.predict(X) == y).mean() > 0.8


def test_gaussian_classifier_without_any_modality_predicts_the_prior(classification_data):
    X, y = classification_data
    model = MarkovRandomFieldFusionClassifier(estimators=FAST, cv=3).fit(X, y)
    proba = model.predict_proba(_missing_everything(X.iloc[:3]))
    np.testing.assert_allclose(proba, np.tile(model.class_prior_, (3, 1)))


def test_gaussian_classifier_posterior_is_bayes_rule_on_the_present_scores(classification_data):
    X, y = classification_data
    model = MarkovRandomFieldFusionClassifier(estimators=FAST, cv=3).fit(X, y)
    rows = _missing_text(X.iloc[:5])
    proba = model.predict_proba(rows)
    tabular = model.named_estimators_["tabular"].predict_proba(
        rows[model.modality_columns_["tabular"]]
    )
    score = np.log(np.clip(tabular[:, 1], 1e-6, None)) - np.log(np.clip(tabular[:, 0], 1e-6, None))
    field = model.field_
    position = model.score_names_.index("tabular")
    log_post = np.log(model.class_prior_) + np.column_stack(
        [
            multivariate_normal(
                field.means_[c][position], field.covariances_[c][position, position]
            ).logpdf(score)
            for c in range(2)
        ]
    )
    expected = np.exp(log_post - log_post.max(axis=1, keepdims=True))
    np.testing.assert_allclose(proba, expected / expected.sum(axis=1, keepdims=True), rtol=1e-6)


def test_multiclass_string_labels_and_partial_correlations(multiclass_data):
    X, y = multiclass_data
    for kind in KINDS:
        model = MarkovRandomFieldFusionClassifier(estimators=FAST, kind=kind, cv=3).fit(X, y)
        assert set(model.predict(X)) <= {"negative", "neutral", "positive"}
        assert model.predict_proba(X).shape == (len(X), 3)
    gaussian = MarkovRandomFieldFusionClassifier(estimators=FAST, cv=3).fit(X, y)
    assert sorted(gaussian.partial_correlations_) == ["negative", "neutral", "positive"]
    table = gaussian.partial_correlations_["neutral"]
    assert table.columns.tolist() == [
        "tabular:neutral",
        "tabular:positive",
        "text:neutral",
        "text:positive",
    ]
    np.testing.assert_allclose(table.to_numpy(), table.to_numpy().T)
    np.testing.assert_allclose(np.diag(table), 1.0)


@pytest.mark.parametrize("kind", KINDS)
def test_regressor_fits_predicts_and_handles_missing_modalities(kind, regression_data):
    X, y = regression_data
    model = MarkovRandomFieldFusionRegressor(estimators=FAST_REGRESSOR, kind=kind, cv=3).fit(X, y)
    prediction = model.predict(X)
    assert np.corrcoef(prediction, y)[0, 1] > 0.7
    assert np.isfinite(model.predict(_missing_text(X))).all()
    nothing = model.predict(_missing_everything(X.iloc[:2]))
    if kind == "gaussian":
        np.testing.assert_allclose(nothing, model.field_.mean_[0] * model.field_.scale_[0])
        assert model.partial_correlations_.columns.tolist() == ["target", "tabular", "text"]
    else:
        assert model.fit_method_ == "exact"
        assert len(model.node_states_["target"]) == len(model.target_bin_values_)


def test_discrete_structures_set_the_edges(classification_data):
    X, y = classification_data
    star = MarkovRandomFieldFusionClassifier(
        estimators=FAST, kind="discrete", structure="star", cv=3
    )
    complete = clone(star).set_params(structure="complete")
    assert star.fit(X, y).edges_ == [("target", "tabular"), ("target", "text")]
    assert ("tabular", "text") in complete.fit(X, y).edges_


@pytest.fixture(scope="module")
def many_states_data():
    """Enough rows and classes for 200 bins per class to exceed exact inference."""
    return make_multimodal_classification(n_samples=1500, n_classes=3, random_state=5)


def test_complete_structure_beyond_exact_inference_is_refused(many_states_data):
    X, y = many_states_data
    model = MarkovRandomFieldFusionClassifier(estimators=FAST, kind="discrete", n_bins=200, cv=3)
    with pytest.raises(ValueError, match=r"structure='complete' would need [\d,]+ joint states"):
        model.fit(X, y)


def test_star_structure_beyond_exact_inference_uses_pseudo_likelihood(many_states_data):
    X, y = many_states_data
    model = MarkovRandomFieldFusionClassifier(
        estimators=FAST, kind="discrete", structure="star", n_bins=200, cv=3
    ).fit(X, y)
    assert model.fit_method_ == "pseudo-likelihood"
    assert np.isfinite(model.predict_proba(_missing_text(X))).all()
    assert (model.predict(X) == y).mean() > 0.8


def test_an_estimator_without_predict_proba_is_refused(classification_data):
    X, y = classification_data
    model = MarkovRandomFieldFusionClassifier(estimators={"tabular": LinearSVC()})
    with pytest.raises(ValueError, match=r"modality 'tabular' \(LinearSVC\) has no predict_proba"):
        model.fit(X, y)


@pytest.mark.parametrize("field", [GaussianField(0.01), JointGaussianField(0.01)])
def test_gaussian_fields_need_two_complete_rows(field):
    values = np.arange(12, dtype=float).reshape(6, 2)
    observed = np.ones_like(values, dtype=bool)
    observed[1:, 1] = False
    arguments = (np.zeros(6, dtype=int), 1) if isinstance(field, GaussianField) else ()
    with pytest.raises(ValueError, match="at least two training rows in which every modality"):
        field.fit(np.where(observed, values, np.nan), observed, *arguments)


def test_grid_search_over_kind_and_alpha_shares_the_cache(classification_data, tmp_path):
    X, y = classification_data
    search = GridSearchCV(
        MarkovRandomFieldFusionClassifier(estimators=FAST, cv=3, memory=str(tmp_path)),
        {"kind": KINDS, "alpha": [0.01, 0.1]},
        cv=2,
        scoring="roc_auc",
    ).fit(X, y)
    assert set(search.cv_results_["param_kind"]) == set(KINDS)
    assert search.best_score_ > 0.9


@pytest.mark.parametrize("kind", KINDS)
def test_plot_network_draws_every_node(kind, classification_data):
    X, y = classification_data
    model = MarkovRandomFieldFusionClassifier(estimators=FAST, kind=kind, cv=3).fit(X, y)
    ax = model.plot_network()
    assert {text.get_text() for text in ax.texts} == {"target", "tabular", "text"}
    assert len(ax.lines) == len(model.edges_)


def test_same_random_state_gives_the_same_model(classification_data):
    X, y = classification_data
    model = MarkovRandomFieldFusionClassifier(kind="discrete", cv=3, random_state=0)
    np.testing.assert_array_equal(
        clone(model).fit(X, y).predict_proba(X), clone(model).fit(X, y).predict_proba(X)
    )


def test_synthetic_regression_fields_are_sensible():
    X, y = make_multimodal_regression(n_samples=300, random_state=3)
    model = MarkovRandomFieldFusionRegressor(estimators=FAST_REGRESSOR, cv=3).fit(X, y)
    partial = model.partial_correlations_
    assert partial.loc["target", "tabular"] > 0 and partial.loc["target", "text"] > 0


def test_multiclass_gaussian_with_missing_modality_at_fit():
    X, y = make_multimodal_classification(
        n_samples=300, n_classes=3, missing_rate=0.3, random_state=4
    )
    model = MarkovRandomFieldFusionClassifier(estimators=FAST, cv=3).fit(X, y)
    assert model.missing_in_training_
    assert (model.predict(X) == y).mean() > 0.7
