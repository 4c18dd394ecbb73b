"""Tests of the zero-shot label bridge between images and texts."""

import pickle

import numpy as np
import pandas as pd
import pytest

from mmsk import CrossModalRetriever, ImageEmbedder, SentenceEmbedder, TextVectorizer
from mmsk.coordinated import _label_bridge
from mmsk.metrics import recall_at_k
from mmsk.modality._image import cnn_available, imagenet_class_names, imagenet_probabilities

skimage_data = pytest.importorskip("skimage.data")

#: Photos shipped with scikit-image, and a caption of each.
CAPTIONS = {
    "chelsea": "a cat lying down",
    "coffee": "a cup of coffee",
    "rocket": "a rocket launch",
    "astronaut": "an astronaut in a space suit",
    "camera": "a man with a camera on a tripod",
    "motorcycle": "a motorcycle parked in a garage",
}


def photo(name):
    if name == "motorcycle":
        pixels = skimage_data.stereo_motorcycle()[0]
    else:
        pixels = getattr(skimage_data, name)()
    return np.stack([pixels] * 3, axis=-1) if pixels.ndim == 2 else pixels


@pytest.fixture(scope="module")
def photos():
    return pd.DataFrame(
        {"photo": [photo(name) for name in CAPTIONS], "caption": list(CAPTIONS.values())}
    )


@pytest.fixture(scope="module")
def fitted(photos):
    pytest.importorskip("sentence_transformers")
    if not cnn_available():
        pytest.skip("the image extra (pretrained CNN) is not installed")
    return CrossModalRetriever(query="photo", target="caption", method="label_bridge").fit(photos)


def test_photos_find_their_captions_zero_shot(fitted, photos):
    similarities = fitted.paired_similarities(photos)
    chance = 1 / len(photos)
    assert recall_at_k(similarities, k=1) >= 4 * chance
    assert recall_at_k(similarities.T, k=1) >= 5 * chance
    assert fitted.correlations_ is None
    assert fitted.n_components_ == 384


def test_kneighbors_in_both_directions(fitted, photos):
    rows = fitted.kneighbors(photos[["photo"]].iloc[:3], n_neighbors=1, return_distance=False)
    assert rows.ravel().tolist() == [0, 1, 2]
    captions = pd.DataFrame({"caption": ["a sleeping cat", "a launch into space"]})
    distances, rows = fitted.kneighbors(captions, n_neighbors=2, direction="target_to_query")
    assert rows[:, 0].tolist() == [0, 2]
    assert np.all(np.diff(distances, axis=1) >= 0)


def test_the_auto_text_transformer_is_a_sentence_embedder(fitted):
    transformers = {name: transformer for name, transformer, _ in fitted.transformers_}
    assert isinstance(transformers["caption"], SentenceEmbedder)
    assert isinstance(transformers["photo"], ImageEmbedder)


def test_transform_is_the_mean_of_the_present_modalities(fitted, photos):
    X = photos.copy()
    X.loc[1, "caption"] = None
    coordinates = fitted.transform(X)
    assert coordinates.shape == (len(X), 384)
    photo_only = fitted.embed(X[["photo"]].iloc[[1]], "photo")
    np.testing.assert_allclose(coordinates[1], photo_only[0])


def test_the_class_probabilities_are_those_of_the_cnn(fitted, photos):
    embedder = dict((name, t) for name, t, _ in fitted.transformers_)["photo"]
    features = embedder.transform(photos[["photo"]])
    probabilities = fitted.space_.class_probabilities(features)
    expected, present = imagenet_probabilities(photos["photo"].tolist())
    assert present.all()
    np.testing.assert_allclose(probabilities, expected, atol=1e-4)
    assert imagenet_class_names()[int(probabilities[0].argmax())].endswith("cat")


def test_top_one_class_gives_the_embedding_of_its_prompt(fitted, photos):
    space = fitted.space_
    embedder = dict((name, t) for name, t, _ in fitted.transformers_)["photo"]
    features = embedder.transform(photos[["photo"]].iloc[:1])
    top = int(space.class_probabilities(features)[0].argmax())
    one = _label_bridge.LabelBridgeSpace(
        "photo", "caption", space.model, space.template, 1, space.n_components, "cpu"
    )
    prompt = pd.DataFrame({"caption": [space.template.format(name=imagenet_class_names()[top])]})
    (expected,) = SentenceEmbedder().fit_transform(prompt)
    np.testing.assert_allclose(one.image_coordinates(features)[0], expected, atol=1e-6)


def test_fitting_needs_no_paired_rows(photos, fitted):
    images_only = photos.assign(caption=None)
    captions_only = photos.assign(photo=None)
    X = pd.concat([images_only, captions_only], ignore_index=True)
    retriever = CrossModalRetriever(query="photo", target="caption", method="label_bridge")
    retriever.fit(X)
    assert retriever.n_paired_ == 0
    assert retriever.index_rows_["caption"].tolist() == list(range(6, 12))
    rows = retriever.kneighbors(photos[["photo"]].iloc[:3], n_neighbors=1, return_distance=False)
    assert rows.ravel().tolist() == [6, 7, 8]
    assert retriever.score(photos) == fitted.score(photos)


def test_a_fitted_label_bridge_pickles(fitted, photos):
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_allclose(restored.transform(photos), fitted.transform(photos))
    assert len(pickle.dumps(fitted.space_)) < 10_000


def test_label_top_k_and_template_are_used(photos, fitted):
    retriever = CrossModalRetriever(
        query="photo",
        target="caption",
        method="label_bridge",
        label_template="{name}",
        label_top_k=None,
    ).fit(photos)
    assert retriever.space_.top_k is None
    assert not np.allclose(retriever.transform(photos), fitted.transform(photos))


# ------------------------------------------------------------------ errors


def test_no_image_modality_is_refused():
    X = pd.DataFrame({"title": ["red dress", "blue jeans"], "review": ["lovely", "too tight"]})
    retriever = CrossModalRetriever(query="title", target="review", method="label_bridge")
    with pytest.raises(ValueError, match=r"label_bridge.*neither of its modalities holds images"):
        retriever.fit(X)


def test_the_other_modality_must_be_text(photos):
    X = pd.DataFrame({"photo": photos["photo"], "price": np.arange(len(photos), dtype=float)})
    retriever = CrossModalRetriever(query="photo", target="price", method="label_bridge")
    with pytest.raises(ValueError, match=r"label_bridge.*'price' holds 'tabular'.*not free text"):
        retriever.fit(X)


@pytest.mark.parametrize(
    ("image", "text", "message"),
    [
        ("auto", TextVectorizer(), r"text modality 'caption' must be a SentenceEmbedder"),
        (ImageEmbedder(backend="classical"), "auto", r"backend must be 'cnn' or 'auto'"),
        (ImageEmbedder(n_components=2), "auto", r"n_components must be None"),
    ],
)
def test_transformers_that_do_not_suit_the_method(photos, image, text, message):
    pytest.importorskip("sentence_transformers")
    if not cnn_available():
        pytest.skip("the image extra (pretrained CNN) is not installed")
    spec = [("photo", image, "photo"), ("caption", text, "caption")]
    retriever = CrossModalRetriever(spec, method="label_bridge")
    with pytest.raises(ValueError, match=message):
        retriever.fit(photos)


@pytest.mark.parametrize("template", ["a photo", "a photo of a {label}", "{0}"])
def test_a_template_without_the_name_placeholder(photos, fitted, template):
    retriever = CrossModalRetriever(
        query="photo", target="caption", method="label_bridge", label_template=template
    )
    with pytest.raises(ValueError, match=r"'label_template' parameter.*\{name\}"):
        retriever.fit(photos)


@pytest.mark.parametrize(("missing", "extra"), [("cnn_available", "image"), ("find_spec", "text")])
def test_missing_extras_are_named(photos, monkeypatch, missing, extra):
    if missing == "cnn_available":
        monkeypatch.setattr(_label_bridge, "cnn_available", lambda: False)
    else:
        monkeypatch.setattr(_label_bridge, "find_spec", lambda module: None)
    retriever = CrossModalRetriever(query="photo", target="caption", method="label_bridge")
    with pytest.raises(ImportError, match=rf"label_bridge.*missing: .*'{extra}'.*mmsk\[{extra}\]"):
        retriever.fit(photos)
