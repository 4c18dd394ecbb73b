"""Bayesian-network fusion: structures, exact posterior, missing modalities, conformance."""

import pytest

pytest.importorskip("pgmpy")

import logging  # noqa: E402
import pickle  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.metrics import accuracy_score, r2_score  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from mmsk.datasets import make_multimodal_classification  # noqa: E402
from mmsk.fusion._bayesian import (  # noqa: E402
    BayesianNetworkFusionClassifier,
    BayesianNetworkFusionRegressor,
)

STRUCTURES = ["naive", "tan", "hillclimb"]
FAST = {"tabular": LogisticRegression(max_iter=1000)}
THREE_MODALITIES = [
    ("numbers", "auto", ["num_0", "num_1", "num_2", "num_3"]),
    ("categories", "auto", ["cat_0", "cat_1"]),
    ("text", "auto", ["text_0"]),
]
THREE_FAST = {
    "numbers": LogisticRegression(max_iter=1000),
    "categories": LogisticRegression(max_iter=1000),
}


def _classifier(**params):
    return BayesianNetworkFusionClassifier(estimators=FAST, cv=3, random_state=0, **params)


def _all_missing(X):
    return pd.DataFrame(None, index=X.index, columns=X.columns, dtype=object)


def _variable_elimination_posterior(model, evidence_row):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgmpy.inference import VariableElimination

    nodes = list(model.node_states_)[1:]
    evidence = {
        node: model.node_states_[node][state]
        for node, state in zip(nodes, evidence_row)
        if state >= 0
    }
    factor = VariableElimination(model.network_).query(
        ["target"], evidence=evidence, show_progress=False
    )
    order = [factor.state_names["target"].index(s) for s in model.node_states_["target"]]
    return factor.values[order]


@pytest.fixture(scope="module")
def three_modality_data():
    X, y = make_multimodal_classification(n_samples=360, n_classes=3, signal=0.5, random_state=3)
    rng = np.random.RandomState(0)
    X.loc[rng.rand(len(X)) < 0.15, ["num_0", "num_1", "num_2", "num_3"]] = np.nan
    X.loc[rng.rand(len(X)) < 0.15, "text_0"] = np.nan
    return X, np.array(["low", "mid", "high"])[y]


@pytest.mark.parametrize("structure", STRUCTURES)
def test_every_structure_predicts_well_formed_probabilities(structure, multiclass_data):
    X, y = multiclass_data
    model = _classifier(structure=structure).fit(X, y)
    proba = model.predict_proba(X)
    assert proba.shape == (len(y), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.all(proba > 0)
    predictions = model.predict(X)
    np.testing.assert_array_equal(predictions, model.classes_[proba.argmax(axis=1)])
    assert set(predictions) <= {"negative", "neutral", "positive"}
    assert accuracy_score(y, predictions) > 0.8
    assert model.node_states_["target"] == ["negative", "neutral", "positive"]
    assert len(model.node_states_["text"]) <= 3 * model.n_bins


@pytest.mark.parametrize("structure", STRUCTURES)
def test_the_target_is_a_root_that_parents_every_modality(structure, three_modality_data):
    X, y = three_modality_data
    model = BayesianNetworkFusionClassifier(
        THREE_MODALITIES,
        estimators=THREE_FAST,
        structure=structure,
        include_features=["cat_0"],
        cv=3,
    ).fit(X, y)
    edges = set(model.network_.edges())
    assert not [edge for edge in edges if edge[1] == "target"]
    assert {("target", name) for name in ["numbers", "categories", "text"]} <= edges
    others = {edge for edge in edges if edge[0] != "target"}
    if structure == "naive":
        assert edges == {("target", node) for node in ["numbers", "categories", "text", "cat_0"]}
    if structure == "tan":
        assert len(others) == 3
        assert all(
            ("target", node) in edges for node in ["numbers", "categories", "text", "cat_0"]
        )
        children = [child for _, child in others]
        assert len(set(children)) == 3
        assert {node for edge in others for node in edge} == {
            "numbers",
            "categories",
            "text",
            "cat_0",
        }


def test_tan_links_a_duplicated_modality_and_counts_its_evidence_once():
    X, y = make_multimodal_classification(n_samples=300, signal=0.3, random_state=0)
    X["text_1"] = X["text_0"]
    modalities = [
        ("tabular", "auto", ["num_0", "num_1", "num_2", "num_3", "cat_0", "cat_1"]),
        ("text_a", "auto", ["text_0"]),
        ("text_b", "auto", ["text_1"]),
    ]
    differences = {}
    for structure in ["naive", "tan"]:
        model = _classifier(modalities=modalities, structure=structure).fit(X, y)
        both = model.predict_proba(X)
        one = model.predict_proba(X.assign(text_1=None))
        differences[structure] = np.abs(both - one).max()
        if structure == "tan":
            linked = {frozenset(edge) for edge in model.network_.edges()}
            assert frozenset(["text_a", "text_b"]) in linked
    assert differences["tan"] < 0.02
    assert differences["naive"] > 0.1


@pytest.mark.parametrize("scoring", ["bic", "bdeu", "k2"])
def test_hillclimb_accepts_each_score(scoring, classification_data):
    X, y = classification_data
    model = _classifier(structure="hillclimb", scoring=scoring, include_features=["cat_0"])
    model.fit(X, y)
    assert {("target", "tabular"), ("target", "text")} <= set(model.network_.edges())
    assert model.score(X, y) > 0.8


@pytest.mark.parametrize("structure", STRUCTURES)
def test_posterior_matches_pgmpy_variable_elimination(structure, three_modality_data):
    X, y = three_modality_data
    model = BayesianNetworkFusionClassifier(
        THREE_MODALITIES,
        estimators=THREE_FAST,
        structure=structure,
        include_features=["cat_1"],
        min_frequency=40,
        cv=3,
    ).fit(X, y)
    X_test = X.copy()
    X_test.loc[X_test.index[:40], "cat_1"] = "never seen"
    X_test.loc[X_test.index[40:80], ["cat_0", "cat_1"]] = np.nan
    X_test.loc[X_test.index[80:90], :] = np.nan
    evidence = model._evidence(X_test)
    proba = model.predict_proba(X_test)
    _, first_rows = np.unique(evidence, axis=0, return_index=True)
    assert len(first_rows) > 20
    for row in first_rows:
        np.testing.assert_allclose(
            proba[row], _variable_elimination_posterior(model, evidence[row]), rtol=0, atol=1e-8
        )


def test_naive_posterior_is_prior_times_likelihoods_of_present_modalities(
    three_modality_data,
):
    X, y = three_modality_data
    model = BayesianNetworkFusionClassifier(
        THREE_MODALITIES, estimators=THREE_FAST, structure="naive", cv=3
    ).fit(X, y)
    X_text_only = X.assign(num_0=np.nan, num_1=np.nan, num_2=np.nan, num_3=np.nan)
    X_text_only = X_text_only.assign(cat_0=np.nan, cat_1=np.nan)
    X_no_text = X.assign(text_0=np.nan)
    prior = model.cpds_["target"].values
    tables = {name: model.cpds_[name].values for name in ["numbers", "categories", "text"]}
    evidence = model._evidence(X)
    for X_part, kept in [(X_no_text, ["numbers", "categories"]), (X_text_only, ["text"])]:
        expected = np.tile(prior, (len(X), 1))
        for name in kept:
            column = model.modality_names_.index(name)
            states = evidence[:, column]
            present = states >= 0
            expected[present] *= tables[name][states[present]]
        expected /= expected.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(model.predict_proba(X_part), expected, rtol=1e-10)


@pytest.mark.parametrize("structure", STRUCTURES)
def test_rows_without_any_modality_get_the_target_prior(structure, classification_data):
    X, y = classification_data
    model = _classifier(structure=structure).fit(X, y)
    proba = model.predict_proba(_all_missing(X.iloc[:5]))
    np.testing.assert_allclose(proba, np.tile(model.cpds_["target"].values, (5, 1)))


def test_missing_modality_changes_the_posterior_but_not_the_fit(missing_data):
    X, y = missing_data
    model = _classifier().fit(X, y)
    assert model.missing_in_training_ == ["tabular", "text"]
    full = model.predict_proba(X)
    without_text = model.predict_proba(X.assign(text_0=np.nan))
    assert np.isfinite(without_text).all()
    assert not np.allclose(full, without_text)
    assert accuracy_score(y, model.classes_[without_text.argmax(axis=1)]) > 0.6


def test_unseen_levels_and_out_of_range_predictions_fall_into_declared_states(
    classification_data,
):
    X, y = classification_data
    modalities = [
        ("tabular", "auto", ["num_0", "num_1", "num_2", "num_3", "cat_1"]),
        ("text", "auto", ["text_0"]),
    ]
    model = _classifier(modalities=modalities, include_features=["cat_0"], min_frequency=0.3)
    model.fit(X, y)
    assert model.node_states_["cat_0"][-1] == "(other)"
    rare = sorted(set(X["cat_0"]) - set(model.feature_levels_["cat_0"]))
    assert rare
    X_unseen = X.assign(cat_0="a level never seen")
    X_rare = X.assign(cat_0=rare[0])
    np.testing.assert_allclose(model.predict_proba(X_unseen), model.predict_proba(X_rare))
    X_extreme = X.assign(num_0=1e9, num_1=-1e9, num_2=1e9, num_3=-1e9)
    proba = model.predict_proba(X_extreme)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_include_features_rejects_unknown_duplicate_or_clashing_columns(classification_data):
    X, y = classification_data
    with pytest.raises(ValueError, match=r"'include_features' parameter names column 'colour'"):
        _classifier(include_features=["colour"]).fit(X, y)
    with pytest.raises(ValueError, match=r"names some columns twice"):
        _classifier(include_features=["cat_0", "cat_0"]).fit(X, y)
    with pytest.raises(ValueError, match=r"Two nodes of the network would be named 'text'"):
        _classifier(include_features=["text"]).fit(X.rename(columns={"cat_0": "text"}), y)
    with pytest.raises(ValueError, match=r"Column 'cat_1' of include_features is missing"):
        _classifier(include_features=["cat_1"]).fit(X.assign(cat_1=None), y)


def test_modality_influence_ranks_the_informative_modality_first():
    X, y = make_multimodal_classification(
        n_samples=300, signal={"numeric": 0.0, "categorical": 0.0, "text": 1.0}, random_state=0
    )
    model = _classifier(structure="naive").fit(X, y)
    influence = model.modality_influence_
    assert influence.index.tolist() == ["text", "tabular"]
    assert influence.loc["text", "mutual_information"] > 0.3
    assert influence.loc["tabular", "mutual_information"] < 0.05
    assert influence["share_of_target_entropy"].between(0, 1).all()
    assert influence["kind"].tolist() == ["modality", "modality"]


def test_sample_weight_reaches_the_target_table(classification_data):
    X, y = classification_data
    weights = np.where(y == 1, 3.0, 1.0)
    model = _classifier(structure="tan", equivalent_sample_size=4.0)
    model.fit(X, y, sample_weight=weights)
    counts = np.array([weights[y == 0].sum(), weights[y == 1].sum()])
    np.testing.assert_allclose(model.cpds_["target"].values, (counts + 2.0) / (counts.sum() + 4))


def test_hillclimb_refuses_sample_weight(classification_data):
    X, y = classification_data
    with pytest.raises(ValueError, match=r"structure='hillclimb' cannot honour sample_weight"):
        _classifier(structure="hillclimb").fit(X, y, sample_weight=np.ones(len(y)))


def test_estimator_without_predict_proba_is_refused(classification_data):
    X, y = classification_data
    with pytest.raises(ValueError, match=r"modality 'text' \(LinearSVC\) has no predict_proba"):
        _classifier().set_params(estimators={"text": LinearSVC()}).fit(X, y)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"structure": "chow-liu"}, r"The 'structure' parameter of BayesianNetworkFusion"),
        ({"scoring": "aic"}, r"The 'scoring' parameter"),
        ({"n_bins": 1}, r"The 'n_bins' parameter"),
    ],
)
def test_invalid_parameters_are_named(params, message, classification_data):
    X, y = classification_data
    with pytest.raises(ValueError, match=message):
        _classifier(**params).fit(X, y)


@pytest.mark.parametrize("structure", STRUCTURES)
def test_regressor_predicts_the_posterior_mean_of_target_bins(structure, regression_data):
    X, y = regression_data
    model = BayesianNetworkFusionRegressor(
        estimators={"tabular": Ridge()}, structure=structure, cv=KFold(3), random_state=0
    ).fit(X, y)
    predictions = model.predict(X)
    assert r2_score(y, predictions) > 0.6
    values = model.target_bin_values_
    assert np.all(np.diff(values) > 0)
    assert values[0] <= predictions.min() and predictions.max() <= values[-1]
    nothing = model.predict(_all_missing(X.iloc[:3]))
    np.testing.assert_allclose(nothing, model.cpds_["target"].values @ values)
    missing_text = model.predict(X.assign(text_0=np.nan))
    assert r2_score(y, missing_text) > 0.4


def test_grid_search_over_structure_and_bins_in_a_pipeline(classification_data, tmp_path):
    X, y = classification_data
    pipeline = make_pipeline(_classifier(memory=str(tmp_path)))
    search = GridSearchCV(
        pipeline,
        {
            "bayesiannetworkfusionclassifier__structure": STRUCTURES,
            "bayesiannetworkfusionclassifier__n_bins": [3, 6],
        },
        cv=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 6
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_score_ > 0.8


def test_pickled_model_predicts_the_same(missing_data):
    X, y = missing_data
    model = _classifier(structure="hillclimb", include_features=["cat_0"]).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    assert sorted(restored.network_.edges()) == sorted(model.network_.edges())


@pytest.mark.parametrize("structure", STRUCTURES)
def test_fit_and_predict_are_quiet(structure, missing_data, capfd, caplog):
    X, y = missing_data
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = _classifier(structure=structure, include_features=["cat_0"]).fit(X, y)
        model.predict_proba(X)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert [str(w.message) for w in caught] == []
    assert caplog.records == []


def test_plot_network_draws_every_node_and_edge(three_modality_data):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    X, y = three_modality_data
    model = BayesianNetworkFusionClassifier(
        THREE_MODALITIES, estimators=THREE_FAST, include_features=["cat_0"], cv=3
    ).fit(X, y)
    fig, ax = plt.subplots()
    assert model.plot_network(ax=ax) is ax
    labels = {text.get_text() for text in ax.texts}
    assert labels == {"target", "numbers", "categories", "text", "cat_0"}
    arrows = [patch for patch in ax.patches if isinstance(patch, FancyArrowPatch)]
    assert len(arrows) == model.network_.number_of_edges()
    plt.close(fig)


def test_missing_pgmpy_gives_an_install_hint(monkeypatch, classification_data):
    X, y = classification_data
    monkeypatch.setitem(sys.modules, "pgmpy", None)
    with pytest.raises(ImportError, match=r'pip install "mmsk\[bayes\]"'):
        _classifier().fit(X, y)


def test_importing_the_module_does_not_import_pgmpy():
    code = "import sys, mmsk, mmsk.fusion._bayesian; print('pgmpy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
