"""Modality importance: whole-modality permutations, the result, and its display."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config
from sklearn.base import clone
from sklearn.compose import make_column_transformer
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import get_scorer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder
from sklearn.utils import Bunch

from mmsk import (
    EarlyFusionClassifier,
    EarlyFusionRegressor,
    LateFusionClassifier,
)
from mmsk.datasets import make_multimodal_classification, make_multimodal_regression
from mmsk.inspection import (
    ModalityImportanceDisplay,
    ModalityImportanceResult,
    modality_importance,
)

TABULAR = ["num_0", "num_1", "num_2", "num_3", "cat_0", "cat_1"]


@pytest.fixture(scope="module")
def split():
    """Train and test halves of a table where only the tabular modality is informative."""
    X, y = make_multimodal_classification(
        n_samples=300,
        signal={"numeric": 1.0, "categorical": 1.0, "text": 0.0},
        random_state=0,
    )
    return train_test_split(X, y, test_size=100, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def early(split):
    X_train, _, y_train, _ = split
    return EarlyFusionClassifier().fit(X_train, y_train)


@pytest.fixture(scope="module")
def weighted(split):
    X_train, _, y_train, _ = split
    return LateFusionClassifier(fusion="weighted", cv=3, random_state=0).fit(X_train, y_train)


@pytest.fixture(scope="module")
def weighted_result(split, weighted):
    _, X_test, _, y_test = split
    return modality_importance(weighted, X_test, y_test, n_repeats=3, random_state=0)


@pytest.fixture
def pyplot():
    """matplotlib's pyplot on the Agg backend; figures are closed after the test."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


class RecordingScorer:
    """Accuracy scorer that keeps every X and sample_weight it is called with."""

    def __init__(self):
        self.calls = []

    def __call__(self, estimator, X, y, sample_weight=None):
        self.calls.append((X.copy(), sample_weight))
        return get_scorer("accuracy")(estimator, X, y, sample_weight=sample_weight)


def _numeric_table(n_samples=120, random_state=0):
    """Four numeric columns; only ``a`` and ``b`` carry the target."""
    rng = np.random.RandomState(random_state)
    values = rng.standard_normal((n_samples, 4))
    y = (values[:, 0] + values[:, 1] > 0).astype(int)
    return pd.DataFrame(values, columns=["a", "b", "c", "d"]), y


# modality_importance ----------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [EarlyFusionClassifier(), LateFusionClassifier(fusion="mean", random_state=0)],
    ids=["early", "late-mean"],
)
def test_modality_importance_separates_informative_from_uninformative(model, split):
    X_train, X_test, y_train, y_test = split
    model.fit(X_train, y_train)
    result = modality_importance(model, X_test, y_test, n_repeats=5, random_state=0)
    importance = dict(zip(result.modalities, result.importances_mean))
    assert importance["tabular"] > 0.2
    assert abs(importance["text"]) < 0.03


def test_modality_importance_permutes_a_modality_columns_together(split, early):
    _, X_test, _, y_test = split
    scorer = RecordingScorer()
    modality_importance(early, X_test, y_test, scoring=scorer, n_repeats=2, random_state=0)
    (baseline, _), *permuted = scorer.calls
    pd.testing.assert_frame_equal(baseline, X_test)
    tabular_calls, text_calls = permuted[:2], permuted[2:]
    for X_permuted, _ in tabular_calls:
        source_rows = [X_test.index.get_loc(i) for i in _source_index(X_test, X_permuted)]
        expected = X_test[TABULAR].iloc[source_rows].set_axis(X_test.index)
        pd.testing.assert_frame_equal(X_permuted[TABULAR], expected)
        pd.testing.assert_series_equal(X_permuted["text_0"], X_test["text_0"])
        assert not X_permuted[TABULAR].equals(X_test[TABULAR])
    for X_permuted, _ in text_calls:
        pd.testing.assert_frame_equal(X_permuted[TABULAR], X_test[TABULAR])
        assert sorted(X_permuted["text_0"]) == sorted(X_test["text_0"])


def _source_index(original, permuted):
    """The row of ``original`` that each row of ``permuted`` took its ``num_0`` from."""
    lookup = pd.Series(original.index, index=original["num_0"].to_numpy())
    return lookup.loc[permuted["num_0"].to_numpy()].to_numpy()


def test_modality_importance_uses_the_same_permutations_for_array_and_frame():
    X, y = _numeric_table()
    frame_model = LogisticRegression().fit(X, y)
    array_model = LogisticRegression().fit(X.to_numpy(), y)
    by_name = modality_importance(
        frame_model,
        X,
        y,
        modalities={"signal": ["a", "b"], "noise": ["c", "d"]},
        random_state=0,
    )
    by_position = modality_importance(
        array_model,
        X.to_numpy(),
        y,
        modalities={"signal": [0, 1], "noise": [-2, -1]},
        random_state=0,
    )
    np.testing.assert_allclose(by_name.importances, by_position.importances)
    assert by_name.importances_mean[0] > 0.2


def test_modality_importance_reads_positions_of_an_estimator_fitted_on_arrays():
    X, y = _numeric_table()
    model = EarlyFusionClassifier(
        modalities=[("signal", "passthrough", [0, 1]), ("noise", "passthrough", [2, 3])]
    ).fit(X.to_numpy(), y)
    result = modality_importance(model, X.to_numpy(), y, random_state=0)
    assert result.modalities == ["signal", "noise"]
    assert result.modality_columns == {"signal": [0, 1], "noise": [2, 3]}
    assert result.importances_mean[0] > result.importances_mean[1] + 0.2


def test_modality_importance_is_deterministic_with_random_state(split, early):
    _, X_test, _, y_test = split
    first = modality_importance(early, X_test, y_test, n_repeats=3, random_state=7)
    second = modality_importance(early, X_test, y_test, n_repeats=3, random_state=7)
    other = modality_importance(early, X_test, y_test, n_repeats=3, random_state=8)
    np.testing.assert_array_equal(first.importances, second.importances)
    assert not np.array_equal(first.importances, other.importances)


def test_modality_importance_does_not_depend_on_n_jobs(split, early):
    _, X_test, _, y_test = split
    serial = modality_importance(early, X_test, y_test, n_repeats=3, random_state=0)
    with parallel_config(backend="threading"):
        parallel = modality_importance(
            early, X_test, y_test, n_repeats=3, random_state=0, n_jobs=2
        )
    np.testing.assert_array_equal(serial.importances, parallel.importances)


def test_modality_importance_result_has_consistent_shapes(split, early):
    _, X_test, _, y_test = split
    result = modality_importance(early, X_test, y_test, n_repeats=4, random_state=0)
    assert isinstance(result, Bunch)
    assert result.modalities == list(early.modality_columns_)
    assert result.modality_columns == early.modality_columns_
    assert result.importances.shape == (2, 4)
    np.testing.assert_allclose(result.importances_mean, result.importances.mean(axis=1))
    np.testing.assert_allclose(result.importances_std, result.importances.std(axis=1))
    assert result.baseline_score == pytest.approx(early.score(X_test, y_test))
    assert result.scorer_name == "accuracy"
    assert result.weights is None


def test_modality_importance_reports_late_fusion_weights(weighted, weighted_result):
    assert weighted_result.weights == pytest.approx(weighted.weights_)
    assert weighted_result.weights["tabular"] > weighted_result.weights["text"]


def test_modality_importance_reports_no_weights_for_stacking(split):
    X_train, X_test, y_train, y_test = split
    model = LateFusionClassifier(
        estimators={"tabular": LogisticRegression()}, fusion="stacking", cv=3
    ).fit(X_train, y_train)
    assert modality_importance(model, X_test, y_test, n_repeats=1).weights is None


def test_modality_importance_measures_a_regressor_with_r2():
    X, y = make_multimodal_regression(n_samples=300, signal={"text": 0.0}, random_state=0)
    model = EarlyFusionRegressor().fit(X[:200], y[:200])
    result = modality_importance(model, X[200:], y[200:], n_repeats=3, random_state=0)
    importance = dict(zip(result.modalities, result.importances_mean))
    assert result.scorer_name == "R²"
    assert result.baseline_score == pytest.approx(model.score(X[200:], y[200:]))
    assert importance["tabular"] > 0.5
    assert abs(importance["text"]) < 0.05


def test_modality_importance_accepts_a_scorer_name_and_sample_weight(split, early):
    _, X_test, _, y_test = split
    weights = np.linspace(0.5, 1.5, len(y_test))
    result = modality_importance(
        early,
        X_test,
        y_test,
        scoring="balanced_accuracy",
        sample_weight=weights,
        n_repeats=1,
    )
    expected = get_scorer("balanced_accuracy")(early, X_test, y_test, sample_weight=weights)
    assert result.scorer_name == "balanced_accuracy"
    assert result.baseline_score == pytest.approx(expected)


def test_modality_importance_passes_sample_weight_to_every_scoring(split, early):
    _, X_test, _, y_test = split
    scorer, weights = RecordingScorer(), np.ones(len(y_test))
    modality_importance(early, X_test, y_test, scoring=scorer, sample_weight=weights, n_repeats=2)
    assert len(scorer.calls) == 1 + 2 * 2
    assert all(sample_weight is weights for _, sample_weight in scorer.calls)


def test_modality_importance_reads_modalities_of_a_pipeline_last_step(split, early):
    X_train, X_test, y_train, y_test = split
    pipeline = make_pipeline(FunctionTransformer(), clone(early)).fit(X_train, y_train)
    direct = modality_importance(early, X_test, y_test, n_repeats=2, random_state=0)
    through = modality_importance(pipeline, X_test, y_test, n_repeats=2, random_state=0)
    np.testing.assert_array_equal(direct.importances, through.importances)
    assert through.modalities == direct.modalities


def test_modality_importance_takes_explicit_groups_for_any_estimator(split):
    X_train, X_test, y_train, y_test = split
    columns = ["num_0", "num_1", "cat_0"]
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["cat_0"]), remainder="passthrough"
        ),
        LogisticRegression(),
    ).fit(X_train[columns], y_train)
    as_dict = modality_importance(
        model,
        X_test[columns],
        y_test,
        modalities={"numbers": ["num_0", "num_1"], "category": "cat_0"},
        random_state=0,
    )
    as_pairs = modality_importance(
        model,
        X_test[columns],
        y_test,
        modalities=[("numbers", ["num_0", "num_1"]), ("category", ["cat_0"])],
        random_state=0,
    )
    assert as_dict.modalities == ["numbers", "category"]
    assert as_dict.modality_columns["category"] == ["cat_0"]
    np.testing.assert_array_equal(as_dict.importances, as_pairs.importances)


def test_modality_importance_takes_the_modalities_of_a_dataset_bunch():
    data = make_multimodal_classification(n_samples=200, random_state=0, return_X_y=False)
    model = EarlyFusionClassifier().fit(data.data, data.target)
    result = modality_importance(
        model, data.data, data.target, modalities=data.modalities, n_repeats=1
    )
    assert result.modality_columns == dict(data.modalities)


def test_modality_importance_restricts_to_named_modalities(split, early):
    _, X_test, _, y_test = split
    result = modality_importance(
        early, X_test, y_test, modalities=["text"], n_repeats=2, random_state=0
    )
    assert result.modalities == ["text"]
    assert result.importances.shape == (1, 2)


def test_modality_importance_leaves_x_unchanged(split, early):
    _, X_test, _, y_test = split
    before = X_test.copy()
    modality_importance(early, X_test, y_test, n_repeats=2, random_state=0)
    pd.testing.assert_frame_equal(X_test, before)


def test_modality_importance_to_frame_sorts_by_importance(weighted_result):
    frame = weighted_result.to_frame()
    assert list(frame.columns) == ["modality", "importance_mean", "importance_std", "weight"]
    assert frame["modality"].tolist() == ["tabular", "text"]
    assert frame["importance_mean"].is_monotonic_decreasing
    expected = [weighted_result.weights[name] for name in frame["modality"]]
    np.testing.assert_allclose(frame["weight"], expected)


def test_modality_importance_to_frame_leaves_weight_empty_without_weights(split, early):
    _, X_test, _, y_test = split
    frame = modality_importance(early, X_test, y_test, n_repeats=1).to_frame()
    assert frame["weight"].isna().all()


def test_modality_importance_result_survives_pickling(weighted_result):
    import pickle

    restored = pickle.loads(pickle.dumps(weighted_result))
    assert isinstance(restored, ModalityImportanceResult)
    pd.testing.assert_frame_equal(restored.to_frame(), weighted_result.to_frame())


def test_modality_importance_rejects_an_unfitted_estimator(split):
    _, X_test, _, y_test = split
    with pytest.raises(NotFittedError, match="EarlyFusionClassifier instance is not fitted"):
        modality_importance(EarlyFusionClassifier(), X_test, y_test)


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"n_repeats": 0},
            r"The 'n_repeats' parameter of modality_importance must be an int in the "
            r"range \[1, inf\)\. Got 0 instead\.",
        ),
        (
            {"modalities": ["text", "audio"]},
            r"names \['audio'\], which are not modalities of EarlyFusionClassifier; its "
            r"modalities are \['tabular', 'text'\]",
        ),
        (
            {"modalities": {"text": ["text_0", "review"]}},
            r"Modality 'text' has columns \['review'\] that are not in X\.",
        ),
        (
            {"modalities": []},
            r"'modalities' parameter of modality_importance must name at least one",
        ),
        (
            {"modalities": {"text": []}},
            r"Modality 'text' in the 'modalities' parameter of modality_importance has "
            r"no columns",
        ),
        (
            {"modalities": [("text", ["text_0"]), ("text", ["num_0"])]},
            r"names modality 'text' twice",
        ),
        (
            {"modalities": [("text",)]},
            r"must be a dict \{name: columns\}.*Got the entry \('text',\) instead",
        ),
        (
            {"scoring": "closeness"},
            r"The 'scoring' parameter of modality_importance must be",
        ),
    ],
)
def test_modality_importance_rejects_bad_parameters(params, message, split, early):
    _, X_test, _, y_test = split
    with pytest.raises(ValueError, match=message):
        modality_importance(early, X_test, y_test, **params)


def test_modality_importance_asks_for_modalities_of_a_plain_estimator():
    X, y = _numeric_table()
    model = make_pipeline(FunctionTransformer(), LogisticRegression()).fit(X, y)
    with pytest.raises(
        ValueError,
        match=r"the last step of Pipeline \(LogisticRegression\) has no modality_columns_ "
        r"attribute\. Pass modalities=\{name: columns\}",
    ):
        modality_importance(model, X, y)


@pytest.mark.parametrize(
    "modalities, message",
    [
        (
            {"signal": [0, 4]},
            r"Modality 'signal' selects column positions \[4\], but X has "
            r"only 4 columns\.",
        ),
        (
            {"signal": ["a"]},
            r"Modality 'signal' selects columns \['a'\] by name, but X is "
            r"an array without column names",
        ),
    ],
)
def test_modality_importance_rejects_bad_columns_of_an_array(modalities, message):
    X, y = _numeric_table()
    model = LogisticRegression().fit(X.to_numpy(), y)
    with pytest.raises(ValueError, match=message):
        modality_importance(model, X.to_numpy(), y, modalities=modalities)


# ModalityImportanceDisplay ----------------------------------------------------------


def _weight_texts(ax):
    return [text.get_text() for text in ax.texts if text.get_text().startswith("w=")]


def test_display_from_estimator_draws_sorted_bars(split, early, pyplot):
    _, X_test, _, y_test = split
    display = ModalityImportanceDisplay.from_estimator(
        early, X_test, y_test, n_repeats=3, random_state=0
    )
    assert isinstance(display.ax_, pyplot.Axes)
    assert display.figure_ is display.ax_.figure
    assert len(display.bars_) == 2
    assert display.boxes_ is None
    labels = [label.get_text() for label in display.ax_.get_yticklabels()]
    assert labels == ["text", "tabular"]
    widths = [bar.get_width() for bar in display.bars_]
    assert widths == sorted(widths)
    np.testing.assert_allclose(sorted(widths), sorted(display.result.importances_mean))
    assert display.importances_.shape == (2, 3)
    assert display.ax_.get_xlabel() == "Drop in accuracy when the modality is permuted"
    assert "baseline accuracy" in display.ax_.get_title()
    assert _weight_texts(display.ax_) == []


def test_display_draws_boxes_over_the_repeats(weighted_result, pyplot):
    display = ModalityImportanceDisplay.from_result(weighted_result, kind="box")
    assert display.bars_ is None
    assert len(display.boxes_["boxes"]) == 2
    assert len(display.boxes_["medians"]) == 2
    labels = [label.get_text() for label in display.ax_.get_yticklabels()]
    assert labels == ["text", "tabular"]


@pytest.mark.parametrize("kind", ["bar", "box"])
def test_display_annotates_late_fusion_weights(kind, weighted_result, pyplot):
    display = ModalityImportanceDisplay.from_result(weighted_result, kind=kind)
    weights = weighted_result.weights
    expected = [f"w={weights[name]:.2f}" for name in ["text", "tabular"]]
    assert _weight_texts(display.ax_) == expected
    assert [text.get_text() for text in display.weight_texts_] == expected
    assert any("weight in the fusion" in text.get_text() for text in display.ax_.texts)


def test_display_hides_weights_on_request(weighted_result, pyplot):
    display = ModalityImportanceDisplay.from_result(weighted_result, show_weights=False)
    assert display.weight_texts_ == []
    assert len(display.ax_.texts) == 0


def test_display_labels_the_axis_with_the_scorer_name(pyplot):
    result = {
        "modalities": ["a", "b", "c"],
        "importances": np.array([[0.1, 0.2], [0.0, 0.0], [0.3, 0.5]]),
        "scorer_name": "roc_auc",
    }
    display = ModalityImportanceDisplay.from_result(result)
    assert display.ax_.get_xlabel() == "Drop in roc_auc when the modality is permuted"
    assert display.ax_.get_title() == "Modality importance"
    assert [label.get_text() for label in display.ax_.get_yticklabels()] == ["b", "a", "c"]


def test_display_plot_draws_on_the_given_axes_and_returns_itself(weighted_result, pyplot):
    figure, ax = pyplot.subplots()
    display = ModalityImportanceDisplay(weighted_result)
    assert display.plot(ax, kind="box") is display
    assert display.ax_ is ax
    assert display.figure_ is figure


def test_display_saves_a_png(tmp_path, weighted_result, pyplot):
    display = ModalityImportanceDisplay.from_result(weighted_result)
    path = tmp_path / "modality_importance.png"
    display.figure_.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_display_rejects_an_unknown_kind(weighted_result, pyplot):
    with pytest.raises(
        ValueError,
        match=r"The 'kind' parameter of ModalityImportanceDisplay\.plot must be one of "
        r"\['bar', 'box'\]\. Got 'pie' instead\.",
    ):
        ModalityImportanceDisplay.from_result(weighted_result, kind="pie")


@pytest.mark.parametrize(
    "result, error, message",
    [
        ([0.1, 0.2], TypeError, r"must be the output of modality_importance or a mapping"),
        ({"modalities": ["a"]}, ValueError, r"lacks the keys \['importances'\]"),
        (
            {"modalities": ["a", "b"], "importances": np.zeros((3, 2))},
            ValueError,
            r"must have shape \(n_modalities, n_repeats\) = \(2, n_repeats\)\. Got shape "
            r"\(3, 2\) instead\.",
        ),
    ],
)
def test_display_rejects_a_malformed_result(result, error, message, pyplot):
    with pytest.raises(error, match=message):
        ModalityImportanceDisplay.from_result(result)


def test_importing_mmsk_does_not_import_matplotlib():
    code = (
        "import sys, mmsk, mmsk.inspection; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
