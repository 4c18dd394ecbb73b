"""Bad-input catalogue of the models themselves: neural-fusion training and model files.

Each case ends either in a clear error, whose type and message (naming the parameter
or file, what was expected and what was received) the test asserts, or in documented
handling, which the test asserts too. The neural cases are skipped without torch and
skorch, the model-file cases without skops.

Neural fusion (NeuralFusionClassifier, NeuralFusionRegressor, NeuralFusionMultiTask):

- diverging-classifier: ``lr=1e6`` -> TrainingDivergedError (a ValueError and a
  FloatingPointError) "NeuralFusionClassifier stopped training: the train loss of
  epoch 3 is nan ... lower lr (it is 1000000.0; try 100000 or less) ...
  GradientNormClipping"; its ``epoch`` and ``loss`` attributes say which.
- diverging-regressor: ``lr=1e8`` -> TrainingDivergedError "NeuralFusionRegressor
  stopped training: the train loss of epoch 2 is inf".
- damaged-weights-at-predict: a fitted network whose tabular encoder holds NaN ->
  ValueError "The network of NeuralFusionClassifier computed NaN or infinite outputs
  for 60 of 60 rows (first rows: [0, 1, 2, 3, 4]): the parameters of the encoder of
  modality 'tabular' are NaN or infinite"; ``embed`` says the same of its embeddings.
- batch-size: 0, -1 or 2.5 -> InvalidParameterError "The 'batch_size' parameter of
  NeuralFusionClassifier must be an int in the range [1, inf). Got 0 instead."
- max-epochs-zero, negative-lr, modality-dropout outside [0, 1), hidden-units-zero,
  unknown optimizer string -> InvalidParameterError naming the parameter, the range or
  options and the value.
- optimizer-not-an-optimizer: a class that is not a torch optimizer, or a built-in
  function -> TypeError "The 'optimizer' parameter of NeuralFusionClassifier must be
  one of ['adamw', 'adam', 'sgd'] or a torch.optim.Optimizer subclass".
- unknown-device: "gpu", "cuda:x", "tpu" -> ValueError "The 'device' parameter of
  NeuralFusionClassifier must be 'auto', 'cpu', 'cuda', 'cuda:<index>' or 'mps'. Got
  'gpu' instead."
- gpu-device-on-cpu: "cuda" on a machine without CUDA -> ValueError "device='cuda'
  asks for a CUDA GPU, but torch sees none"; "mps" without MPS -> ValueError "MPS is
  not available"; "cuda:7" with fewer GPUs -> ValueError "torch sees 1 CUDA
  device(s)" (each skipped where the device exists).
- callback-not-a-callback: ``callbacks=[1]`` or ``["x"]`` -> TypeError "The
  'callbacks' parameter of NeuralFusionClassifier must be a list of skorch callback
  instances ... callbacks[0] is 1 of type int."
- callback-class: ``callbacks=[EarlyStopping]`` -> TypeError "callbacks[0] is the class
  EarlyStopping. Pass an instance: EarlyStopping()."
- callback-needs-validation: ``EarlyStopping()`` (monitors ``valid_loss``) with
  ``train_split=None`` -> ValueError "monitors 'valid_loss', which needs a validation
  split, but train_split is None".
- unknown-net-params: ``net_params={"bogus": 1}`` -> ValueError "The 'net_params'
  parameter of NeuralFusionClassifier must map skorch.NeuralNet parameters ... Got
  unknown key(s) ['bogus']."
- train-split-too-large: ``train_split=0.99`` on 60 rows -> ValueError "The
  'train_split' parameter of NeuralFusionClassifier (0.99) splits the 60 training rows
  into 0 for training and 60 for validation".
- encoder-unknown-modality: ``encoders={"nope": "mlp"}`` -> ValueError "The 'encoders'
  parameter of NeuralFusionClassifier names modalities ['nope'] that are not in its
  modalities spec".
- encoder-unknown-name: ``encoders={"tabular": "nope"}`` -> ValueError
  "encoders['tabular']='nope' does not fit modality 'tabular' ... Expected one of
  ['mlp']"; ``encoders={"tabular": 3}`` -> TypeError "must be an encoder name or a
  torch.nn.Module instance; got int."
- hidden-dims: ``hidden_dims=()`` is no parameter (the widths are ``embedding_dim``
  and ``hidden_units``) -> Python's TypeError "unexpected keyword argument
  'hidden_dims'".
- multi-task-target-nan: a NaN in one column of a 2-D y (classifier, regressor,
  NeuralFusionMultiTask) -> ValueError "Target column 'b' of y: Input y contains NaN:
  1 of 60 ... (first at row 3)".

Model files (``mmsk.persistence.load``, ``get_untrusted_types``, ``is_model_file``):

- path-does-not-exist: -> FileNotFoundError "There is no model file at '...'".
- directory: -> IsADirectoryError "The model file '...' is a directory".
- empty-file: -> ModelFileError (a ValueError) "The model file '...' is empty".
- truncated-file: the first half of a saved model -> ModelFileError "is not a zip
  archive, so not an mmsk model in the skops format (a truncated copy of one, or a
  file of another format)".
- not-a-zip: a text file -> the same ModelFileError.
- joblib-pickle: a ``joblib.dump`` file -> ModelFileError "is a pickle ... Loading a
  pickle runs code from the file: load it with joblib.load only if you trust its
  source."
- zip-without-schema: -> ModelFileError "is a zip archive without schema.json".
- schema-bad-json: -> ModelFileError "The schema.json of the model file '...' is not
  valid JSON".
- schema-missing-keys: ``{}``, a JSON list, or a schema without ``protocol`` ->
  ModelFileError "lacks the key(s) ['protocol'] that every skops file has".
- schema-damaged-node: a node of the schema without its content -> ModelFileError
  "could not be rebuilt: its content is damaged or was not written by
  mmsk.persistence.dump (KeyError: ...)".
- damaged-member: a flipped byte in a compressed member -> ModelFileError "is a
  damaged zip archive" or "could not be rebuilt".
- missing-fitted-attribute: ``classes_`` or ``estimators_`` removed from the schema
  -> ModelFileError "holds an incomplete model: LateFusionClassifier
  (LateFusionClassifier) lacks the fitted attribute(s) ['classes_']"; the same for a
  fitted transformer deep inside a model (``vectorizers_`` of the TextVectorizer in
  ``transformers_``).
- unfitted-model: an unfitted estimator saved by dump -> handled: it loads unfitted.
- extra-unknown-type: a node renamed to ``subprocess.Popen`` -> TypeError
  (UntrustedTypesFoundException) naming ``subprocess.Popen``, listed by
  get_untrusted_types; nothing is built.
- zip-bomb: more bytes once decompressed than ``max_size`` (2 GiB by default) ->
  ModelFileError "would take ... bytes once decompressed, more than max_size=...",
  read from the zip directory before anything is decompressed; ``max_size=0`` ->
  ValueError.
- catastrophic-regex: ``token_pattern="(a+)+$"`` of a TextTokenizer, or of the
  TfidfVectorizer inside a TextVectorizer -> UntrustedPatternError (a ValueError) "sets
  TextTokenizer.token_pattern='(a+)+$' ... pass
  mmsk.persistence.load(file, trusted_patterns=['(a+)+$'])"; loads when listed there.
  ``trusted_patterns=True`` -> TypeError.
- text-mode-file-object: -> TypeError "was opened in text mode".
- is-model-file: True for a saved model (path or binary file object, whose position
  is restored); False for a joblib file, a text file, an empty file, a zip without
  schema.json, a directory and a missing path, never an error.
"""

import io
import json
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import InvalidParameterError

from mmsk import LateFusionClassifier, TextTokenizer, TextVectorizer, persistence
from mmsk.datasets import make_multimodal_classification, make_multimodal_regression
from mmsk.fusion import (
    NeuralFusionClassifier,
    NeuralFusionMultiTask,
    NeuralFusionRegressor,
    TrainingDivergedError,
)

N_ROWS = 60
SMALL_NET = {"max_epochs": 1, "embedding_dim": 8, "hidden_units": 16, "random_state": 0}
CATASTROPHIC = r"(a+)+$"


def needs_neural():
    pytest.importorskip("torch")
    pytest.importorskip("skorch")


def needs_skops():
    pytest.importorskip("skops")


@pytest.fixture(scope="module")
def classification():
    return make_multimodal_classification(n_samples=N_ROWS, random_state=0)


@pytest.fixture(scope="module")
def regression():
    return make_multimodal_regression(n_samples=N_ROWS, random_state=0)


# ------------------------------------------------------------- neural: divergence


def test_diverging_classifier_raises_naming_epoch_loss_and_hint(classification):
    needs_neural()
    X, y = classification
    model = NeuralFusionClassifier(**{**SMALL_NET, "max_epochs": 3, "lr": 1e6})
    with pytest.raises(
        TrainingDivergedError,
        match=r"NeuralFusionClassifier stopped training: the train loss of epoch \d is "
        r"(nan|inf).*lower lr \(it is 1000000\.0; try 100000 or less\).*GradientNormClipping",
    ) as raised:
        model.fit(X, y)
    assert isinstance(raised.value, ValueError)
    assert isinstance(raised.value, FloatingPointError)
    assert raised.value.epoch >= 1
    assert not hasattr(model, "net_")


def test_diverging_regressor_raises(regression):
    needs_neural()
    X, y = regression
    model = NeuralFusionRegressor(**{**SMALL_NET, "max_epochs": 3, "lr": 1e8})
    with pytest.raises(
        FloatingPointError, match=r"NeuralFusionRegressor stopped training: the train loss"
    ):
        model.fit(X, y)


def test_damaged_weights_at_predict_name_rows_and_modality(classification):
    torch = pytest.importorskip("torch")
    needs_neural()
    X, y = classification
    model = NeuralFusionClassifier(**SMALL_NET).fit(X, y)
    with torch.no_grad():
        next(model.module_.encoders["tabular"].parameters()).fill_(float("nan"))
    pattern = (
        r"computed NaN or infinite outputs for 60 of 60 rows \(first rows: \[0, 1, 2, 3, 4\]\)"
        r": the parameters of the encoder of modality 'tabular' are NaN"
    )
    with pytest.raises(ValueError, match=pattern):
        model.predict_proba(X)
    with pytest.raises(ValueError, match="embeddings of modality 'tabular'"):
        model.embed(X, "tabular")


# --------------------------------------------------------- neural: parameters


@pytest.mark.parametrize(
    ("parameter", "value", "expected"),
    [
        ("batch_size", 0, r"an int in the range \[1, inf\). Got 0 instead"),
        ("batch_size", -1, r"an int in the range \[1, inf\). Got -1 instead"),
        ("batch_size", 2.5, r"an int in the range \[1, inf\). Got 2.5 instead"),
        ("max_epochs", 0, r"an int in the range \[1, inf\). Got 0 instead"),
        ("hidden_units", 0, r"an int in the range \[1, inf\). Got 0 instead"),
        ("lr", -1.0, r"a float in the range \(0.0, inf\). Got -1.0 instead"),
        ("modality_dropout", 1.0, r"a float in the range \[0.0, 1.0\). Got 1.0 instead"),
        ("modality_dropout", -0.1, r"a float in the range \[0.0, 1.0\). Got -0.1 instead"),
        ("optimizer", "rmsprop", r"a str among .*'adamw'.*Got 'rmsprop' instead"),
    ],
    ids=repr,
)
def test_out_of_range_parameters_are_named(parameter, value, expected, classification):
    needs_neural()
    X, y = classification
    model = NeuralFusionClassifier(**{**SMALL_NET, parameter: value})
    with pytest.raises(
        InvalidParameterError,
        match=f"The '{parameter}' parameter of NeuralFusionClassifier must be {expected}",
    ):
        model.fit(X, y)


@pytest.mark.parametrize("optimizer", [dict, len], ids=["class", "builtin"])
def test_an_optimizer_that_is_not_one_is_refused(optimizer, classification):
    needs_neural()
    X, y = classification
    with pytest.raises(
        TypeError,
        match=r"The 'optimizer' parameter of NeuralFusionClassifier must be one of "
        r"\['adamw', 'adam', 'sgd'\] or a torch.optim.Optimizer subclass",
    ):
        NeuralFusionClassifier(**SMALL_NET, optimizer=optimizer).fit(X, y)


@pytest.mark.parametrize("device", ["gpu", "cuda:x", "tpu", "CPU"])
def test_unknown_device_names_are_refused_before_torch_sees_them(device, classification):
    needs_neural()
    X, y = classification
    with pytest.raises(
        ValueError,
        match=r"The 'device' parameter of NeuralFusionClassifier must be 'auto', 'cpu', "
        rf"'cuda', 'cuda:<index>' or 'mps'. Got '{device}' instead.",
    ):
        NeuralFusionClassifier(**SMALL_NET, device=device).fit(X, y)


def test_gpu_devices_on_a_machine_without_them_are_refused(classification):
    torch = pytest.importorskip("torch")
    needs_neural()
    X, y = classification
    if not torch.backends.mps.is_available():
        with pytest.raises(ValueError, match="device='mps' .* MPS is not available"):
            NeuralFusionClassifier(**SMALL_NET, device="mps").fit(X, y)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device='cuda' asks for a CUDA GPU, but torch"):
            NeuralFusionClassifier(**SMALL_NET, device="cuda").fit(X, y)
    else:
        count = torch.cuda.device_count()
        with pytest.raises(ValueError, match=f"torch sees {count} CUDA device"):
            NeuralFusionClassifier(**SMALL_NET, device=f"cuda:{count}").fit(X, y)


@pytest.mark.parametrize(
    ("callbacks", "expected"),
    [
        ([1], r"callbacks\[0\] is 1 of type int\."),
        (["x"], r"callbacks\[0\] is 'x' of type str\."),
        ([("name", 2)], r"callbacks\[0\] is 2 of type int\."),
    ],
    ids=["int", "str", "named-int"],
)
def test_callbacks_that_are_not_callbacks_are_refused(callbacks, expected, classification):
    needs_neural()
    X, y = classification
    with pytest.raises(
        TypeError,
        match=r"The 'callbacks' parameter of NeuralFusionClassifier must be a list of skorch "
        r"callback instances .*" + expected,
    ):
        NeuralFusionClassifier(**SMALL_NET, callbacks=callbacks).fit(X, y)


def test_a_callback_class_asks_for_an_instance(classification):
    needs_neural()
    from skorch.callbacks import EarlyStopping

    X, y = classification
    with pytest.raises(
        TypeError, match=r"callbacks\[0\] is the class EarlyStopping. Pass an instance"
    ):
        NeuralFusionClassifier(**SMALL_NET, callbacks=[EarlyStopping]).fit(X, y)


def test_a_callback_monitoring_validation_needs_a_split(classification):
    needs_neural()
    from skorch.callbacks import EarlyStopping

    X, y = classification
    with pytest.raises(
        ValueError,
        match=r"callbacks\[0\] \(EarlyStopping\) of NeuralFusionClassifier monitors "
        r"'valid_loss', which needs a validation split, but train_split is None",
    ):
        NeuralFusionClassifier(**SMALL_NET, callbacks=[EarlyStopping()]).fit(X, y)
    model = NeuralFusionClassifier(
        **SMALL_NET, callbacks=[EarlyStopping(patience=1)], train_split=0.2
    ).fit(X, y)
    assert "valid_loss" in model.history_[-1]


def test_unknown_net_params_are_named(classification):
    needs_neural()
    X, y = classification
    with pytest.raises(
        ValueError,
        match=r"The 'net_params' parameter of NeuralFusionClassifier must map "
        r"skorch.NeuralNet parameters .*Got unknown key\(s\) \['bogus'\]",
    ):
        NeuralFusionClassifier(**SMALL_NET, net_params={"bogus": 1}).fit(X, y)
    fitted = NeuralFusionClassifier(
        **SMALL_NET, net_params={"optimizer__betas": (0.8, 0.9), "warm_start": False}
    ).fit(X, y)
    assert fitted.n_iter_ == 1


def test_a_train_split_fraction_leaving_no_training_rows_is_named(classification):
    needs_neural()
    X, y = classification
    with pytest.raises(
        ValueError,
        match=r"The 'train_split' parameter of NeuralFusionClassifier \(0.99\) splits the "
        r"60 training rows into 0 for training and 60 for validation",
    ):
        NeuralFusionClassifier(**SMALL_NET, train_split=0.99).fit(X, y)


@pytest.mark.parametrize(
    ("encoders", "error", "expected"),
    [
        (
            {"nope": "mlp"},
            ValueError,
            r"The 'encoders' parameter of NeuralFusionClassifier names modalities \['nope'\]",
        ),
        (
            {"tabular": "nope"},
            ValueError,
            r"encoders\['tabular'\]='nope' does not fit modality 'tabular'.*"
            r"Expected one of \['mlp'\]",
        ),
        (
            {"tabular": 3},
            TypeError,
            r"encoders\['tabular'\] must be an encoder name or a torch.nn.Module instance; "
            r"got int",
        ),
    ],
    ids=["unknown-modality", "unknown-name", "not-a-name"],
)
def test_bad_encoders_are_named(encoders, error, expected, classification):
    needs_neural()
    X, y = classification
    with pytest.raises(error, match=expected):
        NeuralFusionClassifier(**SMALL_NET, encoders=encoders).fit(X, y)


def test_hidden_dims_is_not_a_parameter():
    with pytest.raises(TypeError, match="unexpected keyword argument 'hidden_dims'"):
        NeuralFusionClassifier(hidden_dims=())


@pytest.mark.parametrize("estimator", ["classifier", "regressor", "multitask"])
def test_nan_in_one_target_of_several_is_named(estimator, classification):
    needs_neural()
    X, labels = classification
    amounts = X["num_0"].to_numpy() * 3.0
    if estimator == "classifier":
        model = NeuralFusionClassifier(**SMALL_NET)
        y = pd.DataFrame({"a": labels.astype(object), "b": labels.astype(object)})
        y.loc[3, "b"] = None
    else:
        model = (NeuralFusionRegressor if estimator == "regressor" else NeuralFusionMultiTask)(
            **SMALL_NET
        )
        y = pd.DataFrame({"a": amounts if estimator == "regressor" else labels, "b": amounts})
        y.loc[3, "b"] = np.nan
    with pytest.raises(
        ValueError,
        match=r"Target column 'b' of y: Input y contains NaN: 1 of 60 .* \(first at row 3\)",
    ):
        model.fit(X, y)


# ------------------------------------------------------------ model files


@pytest.fixture(scope="module")
def late_model(classification):
    X, y = classification
    return LateFusionClassifier(
        estimators={"tabular": LogisticRegression(), "text": LogisticRegression()},
        fusion="mean",
    ).fit(X, y)


@pytest.fixture
def saved(late_model, tmp_path):
    needs_skops()
    path = tmp_path / "model.skops"
    persistence.dump(late_model, path)
    return path


def edited_schema(path, edit, target=None):
    """A copy of the saved file ``path`` whose schema.json went through ``edit``."""
    target = target or path.with_name("edited.skops")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as copy:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "schema.json":
                data = edit(data)
            copy.writestr(member, data)
    return target


def as_json(edit):
    return lambda data: json.dumps(edit(json.loads(data))).encode()


def drop_key(node, key):
    """Remove ``key`` from every dict within a schema (attribute dicts included)."""
    if isinstance(node, dict):
        node.pop(key, None)
        for child in node.values():
            drop_key(child, key)
    elif isinstance(node, list):
        for child in node:
            drop_key(child, key)
    return node


def test_a_path_that_does_not_exist(tmp_path):
    needs_skops()
    with pytest.raises(FileNotFoundError, match="There is no model file at '.*nothing.skops'"):
        persistence.load(tmp_path / "nothing.skops")


def test_a_directory(tmp_path):
    needs_skops()
    with pytest.raises(IsADirectoryError, match="The model file '.*' is a directory"):
        persistence.load(tmp_path)


def test_an_empty_file(tmp_path):
    needs_skops()
    path = tmp_path / "empty.skops"
    path.write_bytes(b"")
    with pytest.raises(persistence.ModelFileError, match="The model file '.*' is empty"):
        persistence.load(path)


def test_a_truncated_file(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        persistence.ModelFileError,
        match=r"is not a zip archive, so not an mmsk model in the skops format \(a truncated",
    ):
        persistence.load(saved)


def test_a_text_file(tmp_path):
    needs_skops()
    path = tmp_path / "notes.skops"
    path.write_text("not a model")
    with pytest.raises(ValueError, match=r"'.*notes.skops' is not a zip archive"):
        persistence.load(path)
    with pytest.raises(ValueError, match="is not a zip archive"):
        persistence.get_untrusted_types(path)


def test_a_joblib_pickle_is_named_as_code(late_model, tmp_path):
    needs_skops()
    path = tmp_path / "model.joblib"
    joblib.dump(late_model, path)
    with pytest.raises(
        persistence.ModelFileError,
        match=r"is a pickle .*Loading a pickle runs code from the file: load it with "
        r"joblib.load only if you trust its source",
    ):
        persistence.load(path)


def test_a_zip_without_schema(tmp_path):
    needs_skops()
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(persistence.ModelFileError, match="is a zip archive without schema.json"):
        persistence.load(path)


def test_a_schema_with_bad_json(saved):
    path = edited_schema(saved, lambda data: data[:-10])
    with pytest.raises(
        persistence.ModelFileError, match=r"The schema.json of the model file '.*' is not valid"
    ):
        persistence.load(path)


@pytest.mark.parametrize(
    ("edit", "missing"),
    [
        (lambda schema: {}, "'__class__', '__module__', '__loader__', 'protocol'"),
        (lambda schema: [schema], "'__class__', '__module__', '__loader__', 'protocol'"),
        (lambda schema: {k: v for k, v in schema.items() if k != "protocol"}, "'protocol'"),
    ],
    ids=["empty", "list", "no-protocol"],
)
def test_a_schema_missing_keys(edit, missing, saved):
    path = edited_schema(saved, as_json(edit))
    with pytest.raises(
        persistence.ModelFileError,
        match=rf"lacks the key\(s\) \[{missing}\] that every skops file has",
    ):
        persistence.load(path)


def test_a_damaged_schema_node(saved):
    def drop_content(schema):
        schema["content"]["content"]["weights_"].pop("content")
        return schema

    path = edited_schema(saved, as_json(drop_content))
    with pytest.raises(
        persistence.ModelFileError,
        match=r"could not be rebuilt: its content is damaged or was not written by "
        r"mmsk.persistence.dump \(KeyError",
    ):
        persistence.load(path)


def test_a_damaged_member(saved):
    data = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as archive:
        member = next(info for info in archive.infolist() if info.filename.endswith(".npy"))
    # The first byte of the member's compressed data, after its 30-byte local header.
    start = member.header_offset + 30 + len(member.filename.encode()) + len(member.extra)
    data[start + 5] ^= 0xFF
    saved.write_bytes(bytes(data))
    with pytest.raises(
        persistence.ModelFileError, match="is a damaged zip archive|could not be rebuilt"
    ):
        persistence.load(saved)


@pytest.mark.parametrize("attribute", ["classes_", "estimators_", "modality_columns_"])
def test_a_model_missing_a_fitted_attribute_is_refused_at_load(attribute, saved):
    path = edited_schema(saved, as_json(lambda schema: drop_key(schema, attribute)))
    with pytest.raises(
        persistence.ModelFileError,
        match=r"holds an incomplete model: LateFusionClassifier \(LateFusionClassifier\) "
        rf"lacks the fitted attribute\(s\) \['{attribute}'\]",
    ):
        persistence.load(path)


def test_an_unfitted_transformer_inside_a_fitted_model_is_refused(classification, tmp_path):
    needs_skops()
    from mmsk import EarlyFusionClassifier

    X, y = classification
    path = tmp_path / "early.skops"
    persistence.dump(EarlyFusionClassifier().fit(X, y), path)
    edited = edited_schema(path, as_json(lambda schema: drop_key(schema, "vectorizers_")))
    with pytest.raises(
        persistence.ModelFileError,
        match=r"EarlyFusionClassifier.transformers_\[\d\]\[1\] \(TextVectorizer\) lacks the "
        r"fitted attribute\(s\) \['vectorizers_'\]",
    ):
        persistence.load(edited)


def test_an_unfitted_model_loads_unfitted(tmp_path):
    needs_skops()
    path = tmp_path / "unfitted.skops"
    persistence.dump(LateFusionClassifier(fusion="mean"), path)
    loaded = persistence.load(path)
    assert repr(loaded) == "LateFusionClassifier(fusion='mean')"
    assert not hasattr(loaded, "classes_")


def test_an_extra_unknown_type_is_named_and_nothing_is_built(saved):
    def to_popen(schema):
        node = schema["content"]["content"]["weights_"]
        node["__module__"], node["__class__"] = "subprocess", "Popen"
        return schema

    path = edited_schema(saved, as_json(to_popen))
    assert persistence.get_untrusted_types(path) == ["subprocess.Popen"]
    with pytest.raises(TypeError, match=r"subprocess.Popen"):
        persistence.load(path)


def test_a_file_larger_than_max_size_once_decompressed(saved):
    size = sum(info.file_size for info in zipfile.ZipFile(saved).infolist())
    with pytest.raises(
        persistence.ModelFileError,
        match=rf"would take {size} bytes once decompressed, more than max_size=1000",
    ):
        persistence.load(saved, max_size=1000)
    assert persistence.load(saved, max_size=size) is not None
    assert persistence.DEFAULT_MAX_SIZE == 2**31
    with pytest.raises(ValueError, match="max_size must be a positive int"):
        persistence.load(saved, max_size=0)


@pytest.fixture(scope="module")
def short_texts():
    return pd.DataFrame({"review": ["aaa bb", "a b c", "hello there", "aa"]})


def test_a_catastrophic_token_pattern_is_refused_unless_trusted(short_texts, tmp_path):
    needs_skops()
    path = tmp_path / "tokens.skops"
    tokenizer = TextTokenizer(token_pattern=CATASTROPHIC, min_frequency=1).fit(short_texts)
    persistence.dump(tokenizer, path)
    with pytest.raises(
        persistence.UntrustedPatternError,
        match=r"sets TextTokenizer.token_pattern='\(a\+\)\+\$' \(TextTokenizer\), a regular "
        r"expression that is not the default.*trusted_patterns=\['\(a\+\)\+\$'\]",
    ):
        persistence.load(path)
    loaded = persistence.load(path, trusted_patterns=[CATASTROPHIC])
    assert loaded.token_pattern == CATASTROPHIC
    with pytest.raises(TypeError, match="trusted_patterns must be None or a list"):
        persistence.load(path, trusted_patterns=True)


def test_a_pattern_edited_into_a_nested_vectorizer_is_refused(short_texts, tmp_path):
    needs_skops()
    path = tmp_path / "vectorizer.skops"
    persistence.dump(TextVectorizer(analyzer="word", min_df=1).fit(short_texts), path)
    persistence.load(path)

    def set_pattern(node):
        if isinstance(node, dict):
            if node.get("content") == json.dumps(r"(?u)\b\w+\b"):
                node["content"] = json.dumps(CATASTROPHIC)
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, (dict, list)):
                set_pattern(child)
        return node

    edited = edited_schema(path, as_json(set_pattern))
    with pytest.raises(
        persistence.UntrustedPatternError,
        match=r"TextVectorizer.vectorizers_\[0\]\[2\].token_pattern='\(a\+\)\+\$' "
        r"\(TfidfVectorizer\)",
    ):
        persistence.load(edited)


def test_a_text_mode_file_object_is_refused(saved):
    with open(saved, encoding="latin-1") as handle:
        with pytest.raises(TypeError, match="was opened in text mode"):
            persistence.load(handle)


def test_is_model_file_tells_skops_files_from_everything_else(late_model, saved, tmp_path):
    assert persistence.is_model_file(saved)
    assert persistence.is_model_file(str(saved))
    assert persistence.is_model_file(io.BytesIO(saved.read_bytes()))
    with open(saved, "rb") as handle:
        assert persistence.is_model_file(handle)
        assert handle.tell() == 0
    joblib.dump(late_model, tmp_path / "model.joblib")
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "empty").write_bytes(b"")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("readme.txt", "hello")
    for other in ("model.joblib", "notes.txt", "empty", "other.zip", "missing.skops", "."):
        assert not persistence.is_model_file(tmp_path / other), other
