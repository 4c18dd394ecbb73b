"""Neural fusion: fusion layers, encoders, missing modalities, losses, training options."""

import pickle

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from sklearn.base import clone  # noqa: E402
from sklearn.decomposition import TruncatedSVD  # noqa: E402
from sklearn.metrics import accuracy_score, r2_score  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from skorch.callbacks import Callback, EarlyStopping  # noqa: E402

from mmsk import KindSelector, TabularEncoder, TextTokenizer, TextVectorizer  # noqa: E402
from mmsk.datasets import (  # noqa: E402
    make_multimodal_classification,
    make_multimodal_regression,
)
from mmsk.fusion import NeuralFusionClassifier, NeuralFusionRegressor  # noqa: E402
from mmsk.fusion._neural import FUSIONS  # noqa: E402
from mmsk.fusion._nn import FUSION_LAYERS  # noqa: E402

FAST = {"embedding_dim": 16, "hidden_units": 32, "lr": 0.01, "random_state": 0}
TOKENS_SPEC = [
    ("tabular", TabularEncoder(), KindSelector("numeric", "categorical")),
    ("text", TextTokenizer(min_frequency=1, max_length=12), KindSelector("text")),
]


def _split(X, y, n_train):
    y = np.asarray(y)
    return X.iloc[:n_train], X.iloc[n_train:], y[:n_train], y[n_train:]


@pytest.fixture(scope="module")
def text_only_signal():
    """Labels carried by the text alone, so a text encoder must learn from the words."""
    X, y = make_multimodal_classification(
        n_samples=400, signal={"numeric": 0.0, "categorical": 0.0, "text": 1.0}, random_state=3
    )
    return _split(X, y, 300)


def test_fusion_options_match_the_fusion_layers():
    assert set(FUSIONS) == set(FUSION_LAYERS)


@pytest.mark.parametrize("fusion", FUSIONS)
def test_every_fusion_layer_learns_a_multiclass_task(fusion, multiclass_data):
    X, y = multiclass_data
    X_train, X_test, y_train, y_test = _split(X, y, 180)
    model = NeuralFusionClassifier(fusion=fusion, max_epochs=30, **FAST).fit(X_train, y_train)
    proba = model.predict_proba(X_test)
    assert proba.shape == (len(y_test), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    predictions = model.predict(X_test)
    assert set(predictions) <= set(model.classes_)
    np.testing.assert_array_equal(predictions, model.classes_[proba.argmax(axis=1)])
    assert accuracy_score(y_test, predictions) > 0.75
    np.testing.assert_allclose(np.exp(model.predict_log_proba(X_test)), proba, rtol=1e-6)


@pytest.mark.parametrize("fusion", FUSIONS)
def test_every_fusion_layer_regresses(fusion, regression_data):
    X, y = regression_data
    X_train, X_test, y_train, y_test = _split(X, y, 150)
    model = NeuralFusionRegressor(fusion=fusion, max_epochs=30, **FAST).fit(X_train, y_train)
    predictions = model.predict(X_test)
    assert predictions.shape == (len(y_test),)
    assert r2_score(y_test, predictions) > 0.5


def test_default_encoders_follow_the_block_kinds(classification_data):
    X, y = classification_data
    model = NeuralFusionClassifier(max_epochs=1, **FAST).fit(X, y)
    assert model.block_kinds_ == {"tabular": "dense", "text": "sparse"}
    encoders = model.module_.encoders
    assert type(encoders["tabular"]).__name__ == "MLPEncoder"
    assert type(encoders["text"]).__name__ == "SparseEncoder"


@pytest.mark.parametrize(
    ("encoder", "class_name"),
    [
        ("gru", "RecurrentEncoder"),
        ("transformer", "TransformerEncoder"),
        ("bag", "BagOfTokensEncoder"),
    ],
)
def test_token_sequence_encoders_learn_from_the_words(encoder, class_name, text_only_signal):
    X_train, X_test, y_train, y_test = text_only_signal
    model = NeuralFusionClassifier(
        TOKENS_SPEC, encoders={"text": encoder}, max_epochs=15, **FAST
    ).fit(X_train, y_train)
    assert model.block_kinds_["text"] == "tokens"
    assert type(model.module_.encoders["text"]).__name__ == class_name
    assert accuracy_score(y_test, model.predict(X_test)) > 0.8


def test_sparse_encoder_learns_from_tfidf(text_only_signal):
    X_train, X_test, y_train, y_test = text_only_signal
    model = NeuralFusionClassifier(max_epochs=15, **FAST).fit(X_train, y_train)
    assert accuracy_score(y_test, model.predict(X_test)) > 0.8


def test_mlp_encoder_on_a_sparse_block_densifies_per_batch(text_only_signal):
    X_train, X_test, y_train, y_test = text_only_signal
    spec = [("text", TextVectorizer(sparse_output=False), KindSelector("text"))]
    model = NeuralFusionClassifier(spec, encoders={"text": "mlp"}, max_epochs=15, **FAST)
    model.fit(X_train, y_train)
    assert model.block_kinds_["text"] == "dense"
    assert accuracy_score(y_test, model.predict(X_test)) > 0.8


def test_precomputed_embeddings_go_through_an_mlp(text_only_signal):
    """A dense float block from any transformer (here latent semantic vectors of the
    text, standing in for sentence embeddings) gets the MLP encoder."""
    X_train, X_test, y_train, y_test = text_only_signal
    embedder = make_pipeline(TextVectorizer(), TruncatedSVD(32, random_state=0))
    spec = [("embedding", embedder, ["text_0"])]
    model = NeuralFusionClassifier(spec, max_epochs=20, **FAST).fit(X_train, y_train)
    assert model.block_kinds_ == {"embedding": "dense"}
    assert type(model.module_.encoders["embedding"]).__name__ == "MLPEncoder"
    assert accuracy_score(y_test, model.predict(X_test)) > 0.8


def test_sentence_embeddings_modality(text_only_signal):
    pytest.importorskip("sentence_transformers")
    from mmsk import SentenceEmbedder

    X_train, _, y_train, _ = text_only_signal
    spec = [("embedding", SentenceEmbedder(), ["text_0"])]
    model = NeuralFusionClassifier(spec, max_epochs=2, **FAST).fit(X_train[:24], y_train[:24])
    assert model.block_kinds_ == {"embedding": "dense"}
    assert model.predict(X_train[:5]).shape == (5,)


def test_a_custom_torch_module_encodes_a_modality(classification_data):
    X, y = classification_data
    custom = torch.nn.Sequential(torch.nn.Linear(16, 16), torch.nn.Tanh())
    spec = [
        ("tabular", TabularEncoder(), ["num_0", "num_1", "num_2", "num_3"]),
        ("text", "auto", KindSelector("text")),
    ]
    n_columns = TabularEncoder().fit_transform(X[["num_0", "num_1", "num_2", "num_3"]]).shape[1]
    custom = torch.nn.Sequential(torch.nn.Linear(n_columns, 16), torch.nn.Tanh())
    model = NeuralFusionClassifier(spec, encoders={"tabular": custom}, max_epochs=2, **FAST)
    model.fit(X, y)
    assert isinstance(model.module_.encoders["tabular"], torch.nn.Sequential)
    # The estimator's parameter is copied, not trained in place.
    assert model.module_.encoders["tabular"] is not custom
    assert model.encoders["tabular"] is custom


@pytest.mark.parametrize(
    ("encoders", "error", "message"),
    [
        ({"text": "gru"}, ValueError, r"encoders\['text'\]='gru' does not fit .*sparse"),
        ({"tabular": "sparse"}, ValueError, r"encoders\['tabular'\]='sparse'.*\['mlp'\]"),
        (
            {"audio": "mlp"},
            ValueError,
            r"'encoders' parameter of NeuralFusionClassifier names modalities \['audio'\]",
        ),
        ({"text": 3}, TypeError, r"encoders\['text'\] must be an encoder name or a torch"),
    ],
)
def test_encoder_choices_are_checked(encoders, error, message, classification_data):
    X, y = classification_data
    with pytest.raises(error, match=message):
        NeuralFusionClassifier(encoders=encoders, max_epochs=1).fit(X, y)


def test_attention_needs_embedding_width_divisible_by_heads(classification_data):
    X, y = classification_data
    with pytest.raises(ValueError, match="embedding_dim must be a multiple of 4.*got 18"):
        NeuralFusionClassifier(fusion="attention", embedding_dim=18, max_epochs=1).fit(X, y)


def test_a_missing_modality_is_replaced_by_its_placeholder(missing_data):
    X, y = missing_data
    model = NeuralFusionClassifier(max_epochs=3, **FAST).fit(X, y)
    rows = X[X["text_0"].isna()].head(5).copy()
    before = model.predict_proba(rows)
    rows["text_0"] = None
    np.testing.assert_allclose(model.predict_proba(rows), before, rtol=1e-6)
    # A present text changes the prediction: the placeholder is really used in its place.
    rows["text_0"] = X["text_0"].dropna().iloc[0]
    assert not np.allclose(model.predict_proba(rows), before)


def test_a_modality_missing_in_every_row_at_predict_time(classification_data):
    X, y = classification_data
    model = NeuralFusionClassifier(max_epochs=10, **FAST).fit(X, y)
    without_text = X.assign(text_0=None)
    proba = model.predict_proba(without_text)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def test_a_modality_missing_in_every_training_row_still_fits(classification_data):
    X, y = classification_data
    model = NeuralFusionClassifier(max_epochs=10, **FAST).fit(X.assign(text_0=None), y)
    assert accuracy_score(y, model.predict(X.assign(text_0=None))) > 0.7


def test_modality_dropout_teaches_the_net_to_predict_without_a_modality():
    X, y = make_multimodal_classification(
        n_samples=600, signal={"numeric": 0.7, "categorical": 0.7, "text": 1.0}, random_state=4
    )
    X_train, X_test, y_train, y_test = _split(X, y, 450)
    without_text = X_test.assign(text_0=None)
    scores = {}
    for rate in (0.0, 0.5):
        model = NeuralFusionClassifier(modality_dropout=rate, max_epochs=15, **FAST)
        model.fit(X_train, y_train)
        scores[rate] = accuracy_score(y_test, model.predict(without_text))
    assert scores[0.5] >= scores[0.0]
    assert scores[0.5] > 0.75


def test_auxiliary_and_contrastive_losses_add_to_the_training_loss(classification_data):
    X, y = classification_data
    plain = NeuralFusionClassifier(max_epochs=2, **FAST).fit(X, y)
    both = NeuralFusionClassifier(
        auxiliary_weight=1.0, contrastive_weight=1.0, max_epochs=2, **FAST
    ).fit(X, y)
    assert plain.module_.auxiliary_heads is None
    assert len(both.module_.auxiliary_heads) == 2
    first_plain, first_both = plain.history_[0, "train_loss"], both.history_[0, "train_loss"]
    assert np.isfinite(first_both)
    # Same seed, same first batches: the extra terms raise the first epoch's loss.
    assert first_both > first_plain + 0.5
    assert accuracy_score(y, both.predict(X)) > 0.8


def test_class_weight_favours_the_minority_class():
    X, y = make_multimodal_classification(n_samples=400, random_state=5, noise=0.3)
    keep = (y == 0) | (np.arange(len(y)) % 5 == 0)
    X, y = X[keep], y[keep]
    counts = {}
    for class_weight in (None, "balanced"):
        model = NeuralFusionClassifier(class_weight=class_weight, max_epochs=5, **FAST)
        counts[class_weight] = (model.fit(X, y).predict(X) == 1).sum()
    assert counts["balanced"] > counts[None]


def test_rows_with_zero_weight_do_not_teach(classification_data):
    X, y = classification_data
    y = np.asarray(y)
    flipped = y.copy()
    flipped[::2] = 1 - flipped[::2]
    weights = np.where(np.arange(len(y)) % 2 == 0, 0.0, 1.0)
    model = NeuralFusionClassifier(max_epochs=20, **FAST)
    model.fit(X, flipped, sample_weight=weights)
    assert accuracy_score(y, model.predict(X)) > 0.85


def test_same_random_state_gives_the_same_model(classification_data):
    X, y = classification_data
    params = {"modality_dropout": 0.2, "max_epochs": 3, **FAST}
    first = NeuralFusionClassifier(**params).fit(X, y).predict_proba(X)
    second = NeuralFusionClassifier(**params).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    other = NeuralFusionClassifier(**{**params, "random_state": 1}).fit(X, y).predict_proba(X)
    assert not np.allclose(first, other)


def test_fitting_leaves_torch_global_random_state_alone(classification_data):
    X, y = classification_data
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    NeuralFusionClassifier(max_epochs=1, **FAST).fit(X, y)
    np.testing.assert_array_equal(torch.rand(3), expected)


@pytest.mark.parametrize("labels", [["no", "yes"], [3, 7], [-1, 2]])
def test_labels_are_decoded_to_the_users_classes(labels, classification_data):
    X, y = classification_data
    y = np.asarray(labels, dtype=object if isinstance(labels[0], str) else None)[np.asarray(y)]
    model = NeuralFusionClassifier(max_epochs=5, **FAST).fit(X, y)
    np.testing.assert_array_equal(model.classes_, np.sort(np.asarray(labels)))
    assert set(model.predict(X)) <= set(labels)


def test_grid_search_over_fusion_layers_in_a_pipeline(classification_data):
    X, y = classification_data
    pipeline = make_pipeline(NeuralFusionClassifier(max_epochs=3, **FAST))
    search = GridSearchCV(
        pipeline, {"neuralfusionclassifier__fusion": ["concat", "gated", "lowrank"]}, cv=2
    )
    search.fit(X, y)
    assert search.best_params_["neuralfusionclassifier__fusion"] in {"concat", "gated", "lowrank"}
    assert search.predict(X).shape == (len(y),)


def test_grid_search_over_the_conv_film_and_deepset_layers():
    X, y = make_multimodal_classification(n_samples=120, random_state=0)
    model = NeuralFusionClassifier(max_epochs=2, embedding_dim=8, hidden_units=16, random_state=0)
    search = GridSearchCV(model, {"fusion": ["conv", "film", "deepset"]}, cv=2).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 3 and np.all(np.isfinite(scores))
    layer = type(search.best_estimator_.module_.fusion).__name__
    expected = {"conv": "ConvFusion", "film": "FiLMFusion", "deepset": "DeepSetFusion"}
    assert layer == expected[search.best_params_["fusion"]]
    assert search.predict(X).shape == (len(y),)


def test_modality_parameters_route_through_names(classification_data):
    X, y = classification_data
    model = NeuralFusionClassifier(max_epochs=1, **FAST)
    model.set_params(text__max_features=50)
    model.fit(X, y)
    assert model.module_.encoders["text"].projection.num_embeddings <= 50


def test_pickle_round_trip_gives_identical_predictions(classification_data):
    X, y = classification_data
    model = NeuralFusionClassifier(fusion="attention", max_epochs=2, **FAST).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    assert len(restored.history_) == 2


def test_clone_of_a_fitted_model_is_unfitted(classification_data):
    X, y = classification_data
    model = NeuralFusionClassifier(max_epochs=1, **FAST).fit(X, y)
    assert not hasattr(clone(model), "net_")


def test_interrupted_training_keeps_the_weights_it_had(classification_data):
    """A KeyboardInterrupt during training (Ctrl+C) ends fit early with a usable model."""

    class InterruptAfterTwoEpochs(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 2:
                raise KeyboardInterrupt

    X, y = classification_data
    model = NeuralFusionClassifier(
        callbacks=[InterruptAfterTwoEpochs()], max_epochs=50, **FAST
    ).fit(X, y)
    assert model.n_iter_ == 2
    assert model.predict(X).shape == (len(y),)


def test_early_stopping_on_a_validation_split(classification_data):
    X, y = classification_data
    model = NeuralFusionClassifier(
        train_split=0.25, callbacks=[EarlyStopping(patience=3)], max_epochs=300, **FAST
    ).fit(X, y)
    assert model.n_iter_ < 300
    valid = model.history_[:, "valid_loss"]
    assert len(valid) == model.n_iter_ and np.isfinite(valid).all()


def test_net_params_reach_skorch(classification_data):
    X, y = classification_data
    model = NeuralFusionClassifier(
        optimizer="sgd", net_params={"optimizer__momentum": 0.9}, max_epochs=1, **FAST
    ).fit(X, y)
    assert isinstance(model.net_.optimizer_, torch.optim.SGD)
    assert model.net_.optimizer_.param_groups[0]["momentum"] == 0.9


def test_weight_decay_reaches_the_optimizer(classification_data):
    X, y = classification_data
    model = NeuralFusionClassifier(weight_decay=0.05, max_epochs=1, **FAST).fit(X, y)
    assert model.net_.optimizer_.param_groups[0]["weight_decay"] == 0.05


def test_verbose_prints_one_line_per_epoch(classification_data, capsys):
    X, y = classification_data
    NeuralFusionClassifier(max_epochs=3, verbose=1, **FAST).fit(X, y)
    output = capsys.readouterr().out
    assert "train_loss" in output
    assert len([line for line in output.splitlines() if line.strip()[:1].isdigit()]) == 3


def test_quiet_by_default(classification_data, capsys):
    X, y = classification_data
    NeuralFusionClassifier(max_epochs=2, **FAST).fit(X, y)
    assert capsys.readouterr().out == ""


def test_device_errors_are_clear(classification_data):
    X, y = classification_data
    with pytest.raises(
        ValueError, match="The 'device' parameter of NeuralFusionClassifier must be 'auto'.*'gpu0'"
    ):
        NeuralFusionClassifier(device="gpu0", max_epochs=1).fit(X, y)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="asks for a CUDA GPU, but torch sees none"):
            NeuralFusionClassifier(device="cuda", max_epochs=1).fit(X, y)


def test_auto_device_falls_back_to_the_cpu(classification_data):
    X, y = classification_data
    model = NeuralFusionClassifier(max_epochs=1, **FAST).fit(X, y)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert model.device_.type == expected


def test_non_finite_passthrough_block_is_refused(classification_data):
    X, y = classification_data
    X = X.copy()
    X.loc[X.index[0], "num_0"] = np.nan
    spec = [("numbers", "passthrough", ["num_0", "num_1"])]
    with pytest.raises(ValueError, match="modality 'numbers' holds NaN or infinite values"):
        NeuralFusionClassifier(spec, max_epochs=1).fit(X, y)


def test_regressor_predicts_in_the_targets_units(regression_data):
    X, y = regression_data
    y = np.asarray(y) * 1000.0 + 5000.0
    model = NeuralFusionRegressor(max_epochs=20, **FAST).fit(X, y)
    predictions = model.predict(X)
    assert abs(predictions.mean() - y.mean()) < 0.2 * y.std()
    assert r2_score(y, predictions) > 0.6


def test_regressor_with_a_constant_target(regression_data):
    X, _ = regression_data
    y = np.full(len(X), 4.0)
    model = NeuralFusionRegressor(max_epochs=2, **FAST).fit(X, y)
    np.testing.assert_allclose(model.predict(X), 4.0, atol=1.0)


def test_regressor_handles_missing_modalities():
    X, y = make_multimodal_regression(n_samples=200, missing_rate=0.3, random_state=2)
    model = NeuralFusionRegressor(max_epochs=5, **FAST).fit(X, y)
    assert np.isfinite(model.predict(X)).all()


def test_history_records_per_epoch_losses(classification_data):
    X, y = classification_data
    model = NeuralFusionClassifier(max_epochs=4, **FAST).fit(X, y)
    losses = model.history_[:, "train_loss"]
    assert len(losses) == 4 and np.all(np.isfinite(losses))
    assert losses[-1] < losses[0]
    assert sum(model.history_[-1, "batches", :, "train_batch_size"]) == len(y)


def test_input_is_checked_at_predict_time(classification_data):
    X, y = classification_data
    model = NeuralFusionClassifier(max_epochs=1, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="num_0"):
        model.predict(X.drop(columns="num_0"))


def test_predicting_many_rows_in_batches(classification_data):
    X, y = classification_data
    model = NeuralFusionClassifier(max_epochs=1, **FAST).fit(X, y)
    big = pd.concat([X] * 25, ignore_index=True)
    proba = model.predict_proba(big)
    assert proba.shape == (len(big), 2)
    np.testing.assert_allclose(proba[: len(X)], proba[len(X) : 2 * len(X)], rtol=1e-5)
