"""Saving and loading every public estimator: pickle and joblib round trips, and the
skops format of ``mmsk.persistence``, whose loading runs no code from the file."""

import importlib
import io
import pickle
import sys
import zipfile

import joblib
import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from test_reliability import CASES, assert_same_outputs, dataset, fitted, outputs

from mmsk import LateFusionClassifier, ModalityUnion, persistence
from mmsk._registry import public_estimators
from mmsk.fusion import NeuralFusionClassifier, NeuralFusionMultiTask, NeuralFusionRegressor

NEURAL_CASES = ("NeuralFusionClassifier", "NeuralFusionRegressor", "NeuralFusionMultiTask")
TREE_PREDICTOR = "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"
# Types a case needs beyond mmsk's trusted list, which skops withholds on purpose.
EXTRA_TRUSTED = {"LateFusionClassifier-trees": [TREE_PREDICTOR]}


def skops_case(name):
    return pytest.param(name, id=name)


# ------------------------------------------------------------- pickle and joblib


@pytest.mark.parametrize("name", list(CASES))
def test_pickle_and_joblib_round_trips_predict_the_same(name, tmp_path):
    model, X = fitted(name)
    expected = outputs(model, X)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    joblib.dump(model, tmp_path / "model.joblib")
    for loaded in (pickle.loads(path.read_bytes()), joblib.load(tmp_path / "model.joblib")):
        assert type(loaded) is type(model)
        assert_same_outputs(outputs(loaded, X), expected)


# ------------------------------------------------------------------------ skops


@pytest.mark.parametrize("name", [skops_case(name) for name in CASES if name not in NEURAL_CASES])
def test_skops_round_trip_predicts_the_same(name, tmp_path):
    pytest.importorskip("skops")
    model, X = fitted(name)
    path = tmp_path / "model.skops"
    persistence.dump(model, path)
    assert persistence.get_untrusted_types(path) == EXTRA_TRUSTED.get(name, [])
    loaded = persistence.load(path, trusted=EXTRA_TRUSTED.get(name))
    assert type(loaded) is type(model)
    assert repr(loaded) == repr(model)
    assert_same_outputs(outputs(loaded, X), outputs(model, X))


def test_a_skops_file_holds_only_json_and_numpy_arrays(tmp_path):
    pytest.importorskip("skops")
    model, _ = fitted("LateFusionClassifier-stacking")
    path = tmp_path / "model.skops"
    persistence.dump(model, path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert "schema.json" in names
    assert all(name.endswith((".json", ".npy")) for name in names), names


def test_file_objects_work_like_paths():
    pytest.importorskip("skops")
    model, X = fitted("EarlyFusionRegressor")
    buffer = io.BytesIO()
    persistence.dump(model, buffer)
    assert persistence.get_untrusted_types(io.BytesIO(buffer.getvalue())) == []
    loaded = persistence.load(io.BytesIO(buffer.getvalue()))
    assert_same_outputs(outputs(loaded, X), outputs(model, X))


def test_trees_load_only_when_trusted_by_name(tmp_path):
    """skops withholds TreePredictor: a crafted one can crash predict. mmsk does too."""
    pytest.importorskip("skops")
    model, X = fitted("LateFusionClassifier-trees")
    path = tmp_path / "model.skops"
    persistence.dump(model, path)
    with pytest.raises(TypeError, match="TreePredictor") as raised:
        persistence.load(path)
    assert "mmsk.persistence.load(file, trusted=[...])" in str(raised.value)
    loaded = persistence.load(path, trusted=[TREE_PREDICTOR])
    assert_same_outputs(outputs(loaded, X), outputs(model, X))


class OwnLogisticRegression(LogisticRegression):
    """A user's own estimator: not trusted by anyone until the user says so."""


def test_a_users_own_estimator_loads_only_when_trusted(tmp_path):
    pytest.importorskip("skops")
    X, y = dataset("classification")
    model = LateFusionClassifier(
        estimators={"tabular": LogisticRegression(), "text": OwnLogisticRegression()},
        fusion="mean",
    ).fit(X, y)
    path = tmp_path / "model.skops"
    persistence.dump(model, path)
    own = f"{OwnLogisticRegression.__module__}.OwnLogisticRegression"
    assert persistence.get_untrusted_types(path) == [own]
    with pytest.raises(TypeError, match="OwnLogisticRegression"):
        persistence.load(path)
    for trusted in ([own], [OwnLogisticRegression], own):
        loaded = persistence.load(path, trusted=trusted)
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("trusted", [True, 3, [1, 2]], ids=repr)
def test_load_refuses_a_trusted_argument_that_is_not_a_list_of_types(trusted, tmp_path):
    pytest.importorskip("skops")
    path = tmp_path / "model.skops"
    persistence.dump(ModalityUnion(), path)
    with pytest.raises(TypeError, match="trusted must be None or a list of type names"):
        persistence.load(path, trusted=trusted)


class KeepsTheFrame(TransformerMixin, BaseEstimator):
    """A transformer that keeps its training DataFrame, which skops cannot store."""

    def fit(self, X, y=None):
        self.frame_ = X.copy()
        return self

    def transform(self, X):
        return np.zeros((len(X), 1))


def test_an_object_skops_cannot_store_is_named_and_nothing_is_written(tmp_path):
    pytest.importorskip("skops")
    X, _ = dataset("classification")
    union = ModalityUnion([("review", KeepsTheFrame(), ["num_0"])]).fit(X)
    path = tmp_path / "model.skops"
    with pytest.raises(TypeError, match=r"transformers_\[0\]\[1\]\.frame_ \(pandas.*DataFrame\)"):
        persistence.dump(union, path)
    assert not path.exists()


# ----------------------------------------------------------------------- neural


@pytest.mark.parametrize("estimator", [NeuralFusionClassifier, NeuralFusionRegressor])
def test_neural_fusion_is_refused_with_the_alternatives(estimator, tmp_path):
    pytest.importorskip("skops")
    path = tmp_path / "model.skops"
    with pytest.raises(TypeError, match=f"{estimator.__name__} cannot be saved") as raised:
        persistence.dump(estimator(), path)
    message = str(raised.value)
    assert "joblib.dump" in message and "weights_only=True" in message
    assert not path.exists()


def test_a_neural_model_inside_a_pipeline_is_refused_too(tmp_path):
    pytest.importorskip("skops")
    model, _ = fitted("NeuralFusionClassifier")
    path = tmp_path / "model.skops"
    with pytest.raises(
        TypeError, match=r"Pipeline, which holds torch or skorch objects .*weights_only=True"
    ):
        persistence.dump(Pipeline([("model", model)]), path)
    assert not path.exists()


def test_neural_weights_travel_alone_with_weights_only_loading():
    """The recipe of docs/persistence.md: the state_dict, loaded with weights_only=True,
    into a model of the same architecture fitted on the same columns."""
    torch = pytest.importorskip("torch")
    model, X = fitted("NeuralFusionClassifier")
    buffer = io.BytesIO()
    torch.save(model.module_.state_dict(), buffer)
    y = dataset("classification")[1]
    receiver = NeuralFusionClassifier(**{**model.get_params(), "max_epochs": 1}).fit(X, y)
    buffer.seek(0)
    receiver.module_.load_state_dict(torch.load(buffer, weights_only=True))
    np.testing.assert_array_equal(receiver.predict_proba(X), model.predict_proba(X))


# ----------------------------------------------------------- the trusted types


def test_trusted_types_are_classes_and_none_runs_code():
    for name in persistence.TRUSTED_TYPES:
        module_name, _, class_name = name.rpartition(".")
        if module_name.startswith("pgmpy"):
            pytest.importorskip("pgmpy")
        module = importlib.import_module(module_name)
        assert isinstance(getattr(module, class_name), type), name
        assert module_name.split(".")[0] in ("mmsk", "numpy", "pgmpy"), name
    assert TREE_PREDICTOR not in persistence.TRUSTED_TYPES


def test_every_public_estimator_but_neural_fusion_is_trusted():
    neural = {NeuralFusionClassifier, NeuralFusionRegressor, NeuralFusionMultiTask}
    estimators = {cls for cls, _ in public_estimators()}
    assert neural <= estimators and len(estimators) > len(neural)
    for estimator in estimators:
        name = f"{estimator.__module__}.{estimator.__qualname__}"
        assert (name in persistence.TRUSTED_TYPES) is (estimator not in neural), name


@pytest.mark.parametrize(
    "call",
    [
        lambda path: persistence.dump(ModalityUnion(), path),
        lambda path: persistence.load(path),
        lambda path: persistence.get_untrusted_types(path),
    ],
    ids=["dump", "load", "get_untrusted_types"],
)
def test_without_skops_the_error_names_the_extra_to_install(call, monkeypatch, tmp_path):
    for module in [name for name in sys.modules if name == "skops" or name.startswith("skops.")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "skops", None)
    with pytest.raises(ImportError, match=r'pip install "mmsk\[persist\]"'):
        call(tmp_path / "model.skops")


def test_every_estimator_saved_in_the_skops_format_lists_its_fitted_state():
    """load refuses a model file whose fitted state lacks what the class needs; the
    round trips above show that no listed attribute is missing from a fitted model."""
    missing = [
        cls.__name__
        for cls, _ in public_estimators()
        if persistence._skops_safe(cls) and not persistence.required_state(cls)
    ]
    assert missing == [], f"add the fitted attributes of {missing} to _REQUIRED_STATE"
