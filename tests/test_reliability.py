"""Reliability of every public estimator: concurrent predictions agree with one thread,
the same random_state gives the same model, a failing modality is named in the error,
and an interrupted neural training keeps the weights it had at the interrupt.

``CASES`` (one small fitted model per public estimator) is shared with
``test_persistence.py``.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression, Ridge

from mmsk import (
    BayesianNetworkFusionClassifier,
    BayesianNetworkFusionRegressor,
    CrossModalRetriever,
    CrossModalTransferClassifier,
    CrossModalTransferRegressor,
    EarlyFusionClassifier,
    EarlyFusionRegressor,
    EnsembleSelectionClassifier,
    EnsembleSelectionRegressor,
    ImageArrays,
    ImageEmbedder,
    LateFusionClassifier,
    LateFusionRegressor,
    MarkovRandomFieldFusionClassifier,
    MarkovRandomFieldFusionRegressor,
    ModalityUnion,
    SentenceEmbedder,
    TabularEncoder,
    TextTokenizer,
    TextVectorizer,
)
from mmsk._registry import public_estimators
from mmsk.datasets import make_multimodal_classification, make_multimodal_regression
from mmsk.fusion import NeuralFusionClassifier, NeuralFusionMultiTask, NeuralFusionRegressor

NEURAL = {"max_epochs": 2, "embedding_dim": 16, "hidden_units": 32, "device": "cpu"}
NEURAL_DEPENDENCIES = ("torch", "skorch")
TABULAR_COLUMNS = ["num_0", "num_1", "num_2", "num_3", "cat_0", "cat_1"]


@dataclass(frozen=True)
class Case:
    """How to build one small model of a public estimator, and what it is fitted on."""

    make: object
    data: str
    needs: tuple = ()
    random_state: bool = False

    def estimator(self, random_state=0):
        estimator = self.make()
        if self.random_state:
            estimator.set_params(random_state=random_state)
        return estimator

    def skip_unless_importable(self):
        for module in self.needs:
            pytest.importorskip(module)


CASES = {
    "EnsembleSelectionClassifier": Case(
        lambda: EnsembleSelectionClassifier(
            [
                ("early", EarlyFusionClassifier()),
                ("late", LateFusionClassifier(estimators={"tabular": LogisticRegression()})),
            ],
            cv=3,
        ),
        "classification",
    ),
    "EnsembleSelectionRegressor": Case(
        lambda: EnsembleSelectionRegressor(
            [
                ("early", EarlyFusionRegressor()),
                ("late", LateFusionRegressor(estimators={"tabular": Ridge()})),
            ],
            cv=3,
        ),
        "regression",
    ),
    "TabularEncoder": Case(TabularEncoder, "tabular"),
    "TextVectorizer": Case(TextVectorizer, "text"),
    "TextTokenizer": Case(lambda: TextTokenizer(min_frequency=1, max_length=16), "text"),
    "SentenceEmbedder": Case(
        lambda: SentenceEmbedder(device="cpu"), "sentences", ("sentence_transformers",)
    ),
    "ImageEmbedder": Case(lambda: ImageEmbedder(backend="classical"), "images"),
    "ImageArrays": Case(lambda: ImageArrays(image_size=8), "images"),
    "ModalityUnion": Case(ModalityUnion, "classification"),
    "EarlyFusionClassifier": Case(EarlyFusionClassifier, "classification"),
    "EarlyFusionRegressor": Case(EarlyFusionRegressor, "regression"),
    "LateFusionClassifier-stacking": Case(
        lambda: LateFusionClassifier(
            estimators={"tabular": LogisticRegression()}, fusion="stacking", cv=3
        ),
        "classification",
        random_state=True,
    ),
    "LateFusionClassifier-trees": Case(
        lambda: LateFusionClassifier(
            estimators={"tabular": HistGradientBoostingClassifier(max_iter=5)}, fusion="mean"
        ),
        "classification",
        random_state=True,
    ),
    "LateFusionRegressor-weighted": Case(
        lambda: LateFusionRegressor(estimators={"tabular": Ridge()}, fusion="weighted", cv=3),
        "regression",
        random_state=True,
    ),
    "NeuralFusionClassifier": Case(
        lambda: NeuralFusionClassifier(fusion="gated", **NEURAL),
        "classification",
        NEURAL_DEPENDENCIES,
        random_state=True,
    ),
    "NeuralFusionRegressor": Case(
        lambda: NeuralFusionRegressor(**NEURAL),
        "regression",
        NEURAL_DEPENDENCIES,
        random_state=True,
    ),
    "NeuralFusionMultiTask": Case(
        lambda: NeuralFusionMultiTask(**NEURAL),
        "classification",
        NEURAL_DEPENDENCIES,
        random_state=True,
    ),
    "BayesianNetworkFusionClassifier": Case(
        lambda: BayesianNetworkFusionClassifier(
            estimators={"tabular": LogisticRegression()}, structure="tan", cv=3
        ),
        "classification",
        ("pgmpy",),
        random_state=True,
    ),
    "BayesianNetworkFusionRegressor": Case(
        lambda: BayesianNetworkFusionRegressor(
            estimators={"tabular": Ridge()}, structure="hillclimb", cv=3
        ),
        "regression",
        ("pgmpy",),
        random_state=True,
    ),
    "MarkovRandomFieldFusionClassifier": Case(
        lambda: MarkovRandomFieldFusionClassifier(
            estimators={"tabular": LogisticRegression()}, kind="discrete", cv=3
        ),
        "classification",
        random_state=True,
    ),
    "MarkovRandomFieldFusionRegressor": Case(
        lambda: MarkovRandomFieldFusionRegressor(estimators={"tabular": Ridge()}, cv=3),
        "regression",
        random_state=True,
    ),
    "CrossModalRetriever": Case(
        lambda: CrossModalRetriever(n_components=4), "classification", random_state=True
    ),
    "CrossModalTransferClassifier": Case(
        lambda: CrossModalTransferClassifier(aligner=CrossModalRetriever(n_components=4)),
        "classification",
    ),
    "CrossModalTransferRegressor": Case(
        lambda: CrossModalTransferRegressor(aligner=CrossModalRetriever(n_components=4)),
        "regression",
    ),
}


@lru_cache
def dataset(kind):
    """``(X, y)`` of a kind of data; small, with missing modalities where it can."""
    if kind == "regression":
        return make_multimodal_regression(n_samples=120, missing_rate=0.2, random_state=0)
    X, y = make_multimodal_classification(n_samples=120, missing_rate=0.2, random_state=0)
    if kind == "tabular":
        return X[TABULAR_COLUMNS], y
    if kind == "text":
        return X[["text_0"]], y
    if kind == "sentences":
        return X[["text_0"]].iloc[:16], y[:16]
    if kind == "images":
        images, labels = make_multimodal_classification(
            n_samples=40, image=True, image_size=16, missing_rate=0.2, random_state=0
        )
        return images[["image"]], labels
    return X, y


def fit(case, random_state=0):
    """A freshly fitted model of ``case`` and the ``X`` it was fitted on."""
    X, y = dataset(case.data)
    return case.estimator(random_state).fit(X, y), X


@lru_cache
def fitted(name):
    """The fitted model of ``CASES[name]`` (shared by the tests of one process) and X."""
    case = CASES[name]
    case.skip_unless_importable()
    return fit(case)


def outputs(model, X):
    """Everything ``model`` computes from ``X``: predictions, probabilities or features."""
    if not hasattr(model, "predict"):
        features = model.transform(X)
        return {"transform": features.toarray() if sparse.issparse(features) else features}
    result = {"predict": np.asarray(model.predict(X))}
    if hasattr(model, "predict_proba"):
        result.update(_probability_outputs(model.predict_proba(X)))
    return result


def _probability_outputs(probabilities):
    """``predict_proba``'s arrays by name: one array, or one per target (list or dict)."""
    if isinstance(probabilities, dict):
        return {f"predict_proba[{name}]": p for name, p in probabilities.items()}
    if isinstance(probabilities, list):
        return {f"predict_proba[{i}]": p for i, p in enumerate(probabilities)}
    return {"predict_proba": probabilities}


def assert_same_outputs(actual, expected):
    assert actual.keys() == expected.keys()
    for method in expected:
        np.testing.assert_array_equal(actual[method], expected[method], err_msg=method)


# ------------------------------------------------------------------- threads


@pytest.mark.parametrize("name", list(CASES))
def test_eight_threads_predict_what_one_thread_predicts(name):
    model, X = fitted(name)
    expected = outputs(model, X)
    start = threading.Barrier(8, timeout=60)

    def predict_together(_):
        start.wait()
        return [outputs(model, X) for _ in range(2)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [result for batch in pool.map(predict_together, range(8)) for result in batch]
    assert len(results) == 16
    for result in results:
        assert_same_outputs(result, expected)


# ---------------------------------------------------------------- determinism


@pytest.mark.parametrize("name", list(CASES))
def test_fitting_twice_with_the_same_random_state_gives_the_same_model(name):
    model, X = fitted(name)
    refitted, _ = fit(CASES[name])
    assert_same_outputs(outputs(refitted, X), outputs(model, X))


@pytest.mark.parametrize("name", ["NeuralFusionClassifier", "NeuralFusionRegressor"])
def test_another_random_state_gives_another_network(name):
    """The determinism test above is not vacuous: the seed does reach the network."""
    model, X = fitted(name)
    other, _ = fit(CASES[name], random_state=1)
    first, second = outputs(model, X), outputs(other, X)
    assert any(not np.array_equal(first[method], second[method]) for method in first)


# --------------------------------------------------------------------- faults


class FailingTransformer(TransformerMixin, BaseEstimator):
    """A transformer whose fit raises ``error``."""

    def __init__(self, error="ValueError"):
        self.error = error

    def fit(self, X, y=None):
        raise make_error(self.error)

    def transform(self, X):
        return np.zeros((len(X), 1))


class FailingClassifier(ClassifierMixin, BaseEstimator):
    """A classifier whose fit raises ``error``."""

    def __init__(self, error="ValueError"):
        self.error = error

    def fit(self, X, y):
        raise make_error(self.error)

    def predict(self, X):
        return np.zeros(len(X), dtype=int)

    def predict_proba(self, X):
        return np.full((len(X), 2), 0.5)


def make_error(kind):
    if kind == "KeyboardInterrupt":
        return KeyboardInterrupt()
    if kind == "UnicodeDecodeError":
        # A text transformer decoding bytes: an exception whose constructor needs five
        # arguments, so that it cannot be re-raised with a longer message.
        return UnicodeDecodeError("utf-8", b"\xff", 0, 1, "deliberate failure")
    return {"ValueError": ValueError, "RuntimeError": RuntimeError}[kind]("deliberate failure")


def failing_spec(transformer):
    return [("fields", TabularEncoder(), TABULAR_COLUMNS), ("review", transformer, ["text_0"])]


def failing_model(family, where, error):
    """A model whose modality ``review`` fails in fit, in its transformer or estimator."""
    transformer = FailingTransformer(error) if where == "transformer" else TextVectorizer()
    spec = failing_spec(transformer)
    estimators = {"fields": LogisticRegression()}
    if where == "estimator":
        estimators["review"] = FailingClassifier(error)
    if family == "early":
        return EarlyFusionClassifier(spec)
    if family == "late":
        return LateFusionClassifier(spec, estimators=estimators, fusion="mean")
    if family == "late-stacking":
        return LateFusionClassifier(spec, estimators=estimators, fusion="stacking", cv=3)
    if family == "bayesian":
        pytest.importorskip("pgmpy")
        return BayesianNetworkFusionClassifier(spec, estimators=estimators, cv=3)
    if family == "mrf":
        return MarkovRandomFieldFusionClassifier(spec, estimators=estimators, cv=3)
    for module in NEURAL_DEPENDENCIES:
        pytest.importorskip(module)
    if where == "encoder":
        return NeuralFusionClassifier(
            failing_spec(TextVectorizer()), encoders={"review": failing_encoder()}, **NEURAL
        )
    return NeuralFusionClassifier(spec, **NEURAL)


def failing_encoder():
    import torch

    class FailingEncoder(torch.nn.Module):
        def forward(self, block):
            raise RuntimeError("deliberate failure")

    return FailingEncoder()


FAULTS = [
    ("early", "transformer", "ValueError"),
    ("early", "transformer", "RuntimeError"),
    ("early", "transformer", "UnicodeDecodeError"),
    ("late", "transformer", "ValueError"),
    ("late", "transformer", "RuntimeError"),
    ("late", "transformer", "UnicodeDecodeError"),
    ("late", "estimator", "ValueError"),
    ("late", "estimator", "RuntimeError"),
    ("late-stacking", "estimator", "ValueError"),
    ("late-stacking", "estimator", "RuntimeError"),
    ("late-stacking", "transformer", "UnicodeDecodeError"),
    ("bayesian", "transformer", "ValueError"),
    ("bayesian", "estimator", "RuntimeError"),
    ("mrf", "transformer", "ValueError"),
    ("mrf", "estimator", "RuntimeError"),
    ("neural", "transformer", "ValueError"),
    ("neural", "transformer", "RuntimeError"),
    ("neural", "encoder", "RuntimeError"),
]


@pytest.mark.parametrize(
    "family, where, error",
    [pytest.param(*fault, id="-".join(fault)) for fault in FAULTS],
)
def test_an_error_in_a_modality_during_fit_names_the_modality(family, where, error):
    X, y = dataset("classification")
    with pytest.raises(Exception) as raised:
        failing_model(family, where, error).fit(X, y)
    message = str(raised.value)
    assert "'review'" in message, message
    assert "deliberate failure" in message, message


@pytest.mark.parametrize("family", ["early", "late", "bayesian", "mrf", "neural"])
def test_a_keyboard_interrupt_in_a_modality_is_not_turned_into_an_error(family):
    """Ctrl+C inside a modality's transformer stops fit as a KeyboardInterrupt."""
    X, y = dataset("classification")
    model = failing_model(family, "transformer", "KeyboardInterrupt")
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, y)


# ---------------------------------------------------- interrupted neural training


def interrupting_callback(when, after, snapshots=None):
    """A skorch callback raising KeyboardInterrupt after ``after`` epochs or batches."""
    from skorch.callbacks import Callback

    class Interrupt(Callback):
        def initialize(self):
            self.seen_ = 0
            return self

        def _count(self, net):
            self.seen_ += 1
            if self.seen_ == after:
                if snapshots is not None:
                    snapshots.append(
                        {k: v.detach().clone() for k, v in net.module_.state_dict().items()}
                    )
                raise KeyboardInterrupt

        def on_epoch_end(self, net, **kwargs):
            if when == "epoch":
                self._count(net)

        def on_batch_end(self, net, training=False, **kwargs):
            if when == "batch" and training:
                self._count(net)

    return Interrupt()


def test_an_interrupted_training_keeps_the_weights_of_the_last_finished_epoch():
    for module in NEURAL_DEPENDENCIES:
        pytest.importorskip(module)
    X, y = dataset("classification")
    settings = {**NEURAL, "random_state": 0, "batch_size": 32}
    interrupted = NeuralFusionClassifier(
        **{**settings, "max_epochs": 50}, callbacks=[interrupting_callback("epoch", 3)]
    ).fit(X, y)
    three_epochs = NeuralFusionClassifier(**{**settings, "max_epochs": 3}).fit(X, y)
    assert interrupted.n_iter_ == 3
    np.testing.assert_array_equal(interrupted.predict_proba(X), three_epochs.predict_proba(X))


def test_an_interrupt_within_an_epoch_keeps_the_weights_of_that_batch():
    for module in NEURAL_DEPENDENCIES:
        pytest.importorskip(module)
    import torch

    X, y = dataset("classification")
    snapshots = []
    model = NeuralFusionClassifier(
        **{**NEURAL, "max_epochs": 50, "batch_size": 32},
        callbacks=[interrupting_callback("batch", 6, snapshots)],
        random_state=0,
    ).fit(X, y)
    (at_interrupt,) = snapshots
    state = model.module_.state_dict()
    assert state.keys() == at_interrupt.keys()
    for key, value in at_interrupt.items():
        assert torch.equal(state[key], value), key
    assert not model.module_.training
    assert np.isfinite(model.predict_proba(X)).all()


def test_cases_cover_every_public_estimator_of_the_registry():
    covered = {type(case.make()) for case in CASES.values()}
    missing = [cls.__name__ for cls, _ in public_estimators() if cls not in covered]
    assert missing == [], f"add a Case for {missing}"
