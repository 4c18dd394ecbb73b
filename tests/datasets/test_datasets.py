import doctest
import hashlib
import time
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import Bunch

from mmsk.datasets import (
    _clothing,
    _posters,
    _synthetic,
    get_data_folder,
    load_clothing_reviews,
    load_poster_listings,
    make_multimodal_classification,
    make_multimodal_regression,
)

CLOTHING_FEATURES = [
    "Clothing ID",
    "Age",
    "Title",
    "Review Text",
    "Positive Feedback Count",
    "Division Name",
    "Department Name",
    "Class Name",
]
GENERATORS = [make_multimodal_classification, make_multimodal_regression]


@pytest.fixture(scope="module")
def clothing():
    return load_clothing_reviews()


def test_load_clothing_reviews_bunch_fields(clothing):
    assert isinstance(clothing, Bunch)
    assert clothing.data.shape == (4000, 8)
    assert list(clothing.data.columns) == CLOTHING_FEATURES
    assert clothing.feature_names == CLOTHING_FEATURES
    assert clothing.frame.shape == (4000, 9)
    assert clothing.target_names == ["not recommended", "recommended"]
    assert "Clothing Reviews" in clothing.DESCR


def test_load_clothing_reviews_target_is_binary_recommendation(clothing):
    target = clothing.target
    assert isinstance(target, pd.Series)
    assert target.name == "Recommended IND"
    assert pd.api.types.is_integer_dtype(target.dtype)
    assert set(target.unique()) == {0, 1}
    assert target.mean() == pytest.approx(0.822, abs=0.01)
    pd.testing.assert_series_equal(clothing.frame["Recommended IND"], target)


def test_load_clothing_reviews_leaves_out_rating(clothing):
    assert "Rating" not in clothing.frame.columns
    assert "Recommended IND" not in clothing.data.columns


def test_load_clothing_reviews_dtypes_are_those_of_read_csv(clothing):
    data = clothing.data
    for column in ["Clothing ID", "Age", "Positive Feedback Count"]:
        assert pd.api.types.is_integer_dtype(data[column].dtype)
    for column in ["Title", "Review Text", "Division Name", "Class Name"]:
        assert pd.api.types.is_string_dtype(data[column].dtype)
    assert data["Title"].isna().mean() == pytest.approx(0.16, abs=0.03)
    assert data["Review Text"].isna().mean() == pytest.approx(0.036, abs=0.01)
    assert np.isnan(data.loc[data["Title"].isna(), "Title"].iloc[0])


def test_load_clothing_reviews_return_X_y(clothing):
    X, y = load_clothing_reviews(return_X_y=True)
    pd.testing.assert_frame_equal(X, clothing.data)
    pd.testing.assert_series_equal(y, clothing.target)


def test_load_clothing_reviews_as_arrays():
    data = load_clothing_reviews(as_frame=False)
    assert isinstance(data.data, np.ndarray)
    assert data.data.shape == (4000, 8)
    assert isinstance(data.target, np.ndarray)
    assert data.frame is None


def test_bundled_clothing_file_is_under_limit():
    path = resources.files("mmsk.datasets") / "data" / "clothing_reviews.csv.gz"
    assert len(path.read_bytes()) < 1_500_000


@pytest.mark.parametrize("generator", GENERATORS)
@pytest.mark.parametrize(
    "n_numeric, n_categorical, n_text", [(4, 2, 1), (0, 3, 2), (2, 0, 0), (0, 0, 1)]
)
def test_make_multimodal_shapes_and_columns(generator, n_numeric, n_categorical, n_text):
    X, y = generator(
        50, n_numeric=n_numeric, n_categorical=n_categorical, n_text=n_text, random_state=0
    )
    expected = (
        [f"num_{i}" for i in range(n_numeric)]
        + [f"cat_{i}" for i in range(n_categorical)]
        + [f"text_{i}" for i in range(n_text)]
    )
    assert list(X.columns) == expected
    assert X.shape == (50, len(expected))
    assert y.shape == (50,)


@pytest.mark.parametrize("generator", GENERATORS)
def test_make_multimodal_dtypes(generator):
    X, _ = generator(300, n_text=2, random_state=0)
    for column in ["num_0", "num_3"]:
        assert X[column].dtype == np.float64
    for column in ["cat_0", "cat_1", "text_0", "text_1"]:
        assert pd.api.types.is_string_dtype(X[column].dtype)
    assert set(X["cat_0"]) <= set("abcdefg")
    n_words = X["text_0"].str.split().str.len()
    assert n_words.min() >= 6
    assert n_words.max() <= 20


def test_make_multimodal_classification_labels():
    _, y = make_multimodal_classification(300, n_classes=3, random_state=0)
    assert isinstance(y, np.ndarray)
    assert np.issubdtype(y.dtype, np.integer)
    assert np.array_equal(np.bincount(y), [100, 100, 100])


def test_make_multimodal_regression_target_is_float():
    _, y = make_multimodal_regression(500, random_state=0)
    assert y.dtype == np.float64
    assert y.std() == pytest.approx(1.0, abs=0.15)


@pytest.mark.parametrize("generator", GENERATORS)
def test_make_multimodal_is_deterministic(generator):
    X_first, y_first = generator(100, missing_rate=0.2, random_state=7)
    X_second, y_second = generator(100, missing_rate=0.2, random_state=np.random.RandomState(7))
    X_other, _ = generator(100, missing_rate=0.2, random_state=8)
    pd.testing.assert_frame_equal(X_first, X_second)
    np.testing.assert_array_equal(y_first, y_second)
    assert not X_first.equals(X_other)


@pytest.mark.parametrize("generator", GENERATORS)
def test_make_multimodal_bunch(generator):
    data = generator(40, n_text=2, random_state=0, return_X_y=False)
    assert data.modalities == [
        ("tabular", ["num_0", "num_1", "num_2", "num_3", "cat_0", "cat_1"]),
        ("text", ["text_0", "text_1"]),
    ]
    assert data.feature_names == list(data.data.columns)
    assert list(data.frame.columns) == data.feature_names + ["target"]
    np.testing.assert_array_equal(data.frame["target"], data.target)


def test_make_multimodal_bunch_leaves_out_empty_modality():
    data = make_multimodal_classification(10, n_text=0, return_X_y=False)
    assert [name for name, _ in data.modalities] == ["tabular"]


@pytest.mark.parametrize("generator", GENERATORS)
@pytest.mark.parametrize(
    "missing_rate, expected",
    [(0.0, (0.0, 0.0)), (0.3, (0.3, 0.3)), (0.5, (0.5, 0.5)), ({"text": 0.25}, (0.0, 0.25))],
)
def test_make_multimodal_missing_rate_blanks_whole_modalities(generator, missing_rate, expected):
    X, _ = generator(1000, n_text=2, missing_rate=missing_rate, random_state=0)
    tabular = X[["num_0", "num_1", "num_2", "num_3", "cat_0", "cat_1"]].isna()
    text = X[["text_0", "text_1"]].isna()
    for missing in (tabular, text):
        assert missing.all(axis=1).equals(missing.any(axis=1))
    rates = (tabular.all(axis=1).mean(), text.all(axis=1).mean())
    assert rates == pytest.approx(expected, abs=0.01)
    assert not (tabular.all(axis=1) & text.all(axis=1)).any()


def _holdout_score(model, X, y):
    half = len(y) // 2
    model.fit(X.iloc[:half], y[:half])
    return model.score(X.iloc[half:], y[half:])


def _numeric_model():
    return LogisticRegression()


def _categorical_model():
    return make_pipeline(OneHotEncoder(handle_unknown="ignore"), LogisticRegression())


def _text_model():
    return make_pipeline(TfidfVectorizer(), LogisticRegression())


MODALITY_PROBES = [
    ("numeric", ["num_0", "num_1", "num_2", "num_3"], _numeric_model),
    ("categorical", ["cat_0", "cat_1"], _categorical_model),
    ("text", "text_0", _text_model),
]


@pytest.mark.parametrize("kind, columns, make_model", MODALITY_PROBES)
def test_make_multimodal_classification_signal_sets_information(kind, columns, make_model):
    scores = {}
    for strength in (0.0, 1.0):
        X, y = make_multimodal_classification(2000, signal={kind: strength}, random_state=0)
        scores[strength] = _holdout_score(make_model(), X[columns], y)
    assert scores[0.0] < 0.57
    assert scores[1.0] > 0.85


def test_make_multimodal_classification_uninformative_modality_leaves_others():
    X, y = make_multimodal_classification(2000, signal={"numeric": 0.0}, random_state=0)
    assert _holdout_score(_text_model(), X["text_0"], y) > 0.85


def test_make_multimodal_regression_signal_sets_information():
    numeric = ["num_0", "num_1", "num_2", "num_3"]
    X_noise, y_noise = make_multimodal_regression(2000, signal=0.0, random_state=0)
    X_signal, y_signal = make_multimodal_regression(2000, signal=1.0, random_state=0)
    assert _holdout_score(LinearRegression(), X_noise[numeric], y_noise) < 0.02
    assert _holdout_score(LinearRegression(), X_signal[numeric], y_signal) > 0.7


def test_make_multimodal_classification_noise_redraws_labels():
    X_clean, y_clean = make_multimodal_classification(2000, random_state=0)
    X_noisy, y_noisy = make_multimodal_classification(2000, noise=0.5, random_state=0)
    pd.testing.assert_frame_equal(X_clean, X_noisy)
    assert np.mean(y_clean != y_noisy) == pytest.approx(0.25, abs=0.04)


def test_make_multimodal_regression_noise_adds_to_target():
    _, y_clean = make_multimodal_regression(2000, random_state=0)
    _, y_noisy = make_multimodal_regression(2000, noise=2.0, random_state=0)
    assert np.std(y_noisy - y_clean) == pytest.approx(2.0, rel=0.1)


@pytest.mark.parametrize("generator", GENERATORS)
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, r"n_samples must be an integer >= 1; got 0"),
        ({"n_samples": 2.5}, r"n_samples must be an integer"),
        ({"n_numeric": -1}, r"n_numeric must be an integer >= 0; got -1"),
        ({"n_text": True}, r"n_text must be an integer"),
        ({"n_numeric": 0, "n_categorical": 0, "n_text": 0}, r"must not all be 0"),
        ({"signal": {"audio": 1.0}}, r"signal has unknown keys \['audio'\]; expected"),
        ({"signal": {"text": 1.5}}, r"signal\['text'\] must be a number in \[0, 1\]; got 1.5"),
        ({"signal": -0.1}, r"signal must be a number in \[0, 1\]; got -0.1"),
        ({"signal": "high"}, r"signal must be None, a number"),
        ({"missing_rate": 1.0}, r"missing_rate must be a number in \[0, 1\); got 1.0"),
        ({"missing_rate": {"text": -0.1}}, r"missing_rate\['text'\] must be a number in \[0, 1\)"),
        ({"missing_rate": {"numeric": 0.1}}, r"missing_rate has unknown keys \['numeric'\]"),
        ({"missing_rate": 0.6}, r"missing_rate values must add up to at most 1"),
        ({"missing_rate": "some"}, r"missing_rate must be a number"),
        ({"missing_rate": 0.2, "n_text": 0}, r"missing_rate must be 0 .* single modality"),
        ({"missing_rate": {"text": 0.2}, "n_text": 0}, r"missing_rate asks for missing 'text'"),
        ({"noise": -1.0}, r"noise must be a number (in \[0, 1\]|>= 0); got -1.0"),
    ],
)
def test_make_multimodal_rejects_bad_parameters(generator, kwargs, match):
    with pytest.raises(ValueError, match=match):
        generator(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_classes": 1}, r"n_classes must be an integer >= 2; got 1"),
        ({"noise": 1.5}, r"noise must be a number in \[0, 1\]; got 1.5"),
    ],
)
def test_make_multimodal_classification_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_multimodal_classification(**kwargs)


@pytest.mark.parametrize("module", [_clothing, _synthetic])
def test_docstring_examples_run(module):
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert attempted > 0
    assert failed == 0


# Images and captions of the synthetic generators


def _frame_digest(X, y):
    return hashlib.sha256(X.assign(target=y).to_csv(index=False).encode()).hexdigest()[:16]


@pytest.mark.parametrize(
    "generator, kwargs, digest",
    [
        (make_multimodal_classification, {}, "adc7e3a5292802a3"),
        (make_multimodal_classification, {"missing_rate": 0.2}, "02c78bd1d91bc0ad"),
        (
            make_multimodal_classification,
            {"missing_rate": {"text": 0.3}, "noise": 0.3, "signal": 0.5},
            "5e204d01bc14e4a5",
        ),
        (make_multimodal_regression, {}, "eb16ad54d3e90521"),
        (make_multimodal_regression, {"missing_rate": 0.2}, "3bb3b79afb5476cf"),
        (
            make_multimodal_regression,
            {"missing_rate": {"text": 0.3}, "noise": 0.3, "signal": 0.5},
            "df19cc801973069c",
        ),
    ],
)
def test_make_multimodal_without_image_is_unchanged(generator, kwargs, digest):
    # The digests were taken from the generators before images were added.
    X, y = generator(300, random_state=3, **kwargs)
    assert _frame_digest(X, y) == digest
    X_explicit, y_explicit = generator(300, image=False, caption=False, random_state=3, **kwargs)
    pd.testing.assert_frame_equal(X_explicit, X)
    np.testing.assert_array_equal(y_explicit, y)


@pytest.mark.parametrize("generator", GENERATORS)
def test_make_multimodal_image_leaves_other_columns_unchanged(generator):
    missing_rate = {"tabular": 0.1, "text": 0.1, "image": 0.2}
    X_plain, y_plain = generator(200, missing_rate={"tabular": 0.1, "text": 0.1}, random_state=0)
    X, y = generator(200, image=True, caption=True, missing_rate=missing_rate, random_state=0)
    pd.testing.assert_frame_equal(X[X_plain.columns], X_plain)
    np.testing.assert_array_equal(y, y_plain)


@pytest.mark.parametrize("generator", GENERATORS)
@pytest.mark.parametrize("image_size", [8, 13, 32])
def test_make_multimodal_image_cells_are_uint8_rgb_arrays(generator, image_size):
    data = generator(
        30, image=True, image_size=image_size, caption=True, random_state=0, return_X_y=False
    )
    X = data.data
    assert list(X.columns[-2:]) == ["image", "caption"]
    assert X["image"].dtype == object
    for cell in X["image"]:
        assert isinstance(cell, np.ndarray)
        assert cell.dtype == np.uint8
        assert cell.shape == (image_size, image_size, 3)
    assert np.stack(X["image"].tolist()).std() > 10
    assert pd.api.types.is_string_dtype(X["caption"].dtype)
    assert data.modalities[-2:] == [("image", ["image"]), ("caption", ["caption"])]
    assert data.feature_names == list(X.columns)


def test_make_multimodal_images_are_fast():
    start = time.perf_counter()
    X, _ = make_multimodal_classification(1000, image=True, random_state=0)
    assert time.perf_counter() - start < 5.0
    assert len(X["image"]) == 1000


@pytest.mark.parametrize("generator", GENERATORS)
def test_make_multimodal_image_is_deterministic(generator):
    kwargs = {"image": True, "caption": True, "missing_rate": {"image": 0.2}}
    X_first, y_first = generator(60, random_state=5, **kwargs)
    X_second, y_second = generator(60, random_state=np.random.RandomState(5), **kwargs)
    X_other, _ = generator(60, random_state=6, **kwargs)
    pd.testing.assert_series_equal(X_first["caption"], X_second["caption"])
    np.testing.assert_array_equal(y_first, y_second)
    first, second = X_first["image"], X_second["image"]
    assert first.isna().equals(second.isna())
    for a, b in zip(first.dropna(), second.dropna()):
        np.testing.assert_array_equal(a, b)
    present = first.notna() & X_other["image"].notna()
    assert not np.array_equal(
        np.stack(first[present].tolist()), np.stack(X_other["image"][present].tolist())
    )


def test_make_multimodal_image_only_table():
    data = make_multimodal_classification(
        20, n_numeric=0, n_categorical=0, n_text=0, image=True, random_state=0, return_X_y=False
    )
    assert list(data.data.columns) == ["image"]
    assert data.modalities == [("image", ["image"])]


def _pixels(X):
    return np.stack(X["image"].tolist()).reshape(len(X), -1) / 255.0


def _spectrum(X):
    grey = np.stack(X["image"].tolist()).mean(axis=-1)
    grey -= grey.mean(axis=(1, 2), keepdims=True)
    return np.log1p(np.abs(np.fft.rfft2(grey))).reshape(len(X), -1)


def _image_score(image_signal, strength, features, n_samples=400, image_size=8):
    X, y = make_multimodal_classification(
        n_samples,
        n_numeric=1,
        n_categorical=0,
        n_text=0,
        image=True,
        image_size=image_size,
        image_signal=image_signal,
        signal={"image": strength},
        random_state=0,
    )
    half = n_samples // 2
    Z = features(X)
    model = LogisticRegression(max_iter=1000).fit(Z[:half], y[:half])
    return model.score(Z[half:], y[half:])


@pytest.mark.parametrize("image_signal", ["colour", "color", ["colour", "texture"], "all"])
def test_make_multimodal_image_colour_signal_is_in_the_pixels(image_signal):
    assert _image_score(image_signal, 1.0, _pixels) > 0.9
    assert _image_score(image_signal, 0.0, _pixels) < 0.62


@pytest.mark.parametrize("image_signal", ["orientation", "texture"])
def test_make_multimodal_image_stripes_signal_is_in_the_spectrum(image_signal):
    assert _image_score(image_signal, 1.0, _spectrum, image_size=24) > 0.85
    assert _image_score(image_signal, 0.0, _spectrum, image_size=24) < 0.62
    # Stripes of random phase average out: raw pixels see no class.
    assert _image_score(image_signal, 1.0, _pixels) < 0.62


def test_make_multimodal_regression_image_follows_score():
    scores = {}
    for strength in (0.0, 1.0):
        X, y = make_multimodal_regression(
            600,
            image=True,
            image_size=8,
            image_signal="colour",
            signal={"image": strength},
            random_state=0,
        )
        Z = _pixels(X)
        model = make_pipeline(StandardScaler(), Ridge(alpha=100.0)).fit(Z[:300], y[:300])
        scores[strength] = model.score(Z[300:], y[300:])
    assert scores[0.0] < 0.05
    assert scores[1.0] > 0.4


@pytest.mark.parametrize("generator", GENERATORS)
def test_make_multimodal_captions_are_short_sentences(generator):
    X, _ = generator(300, image=True, caption=True, random_state=0)
    n_words = X["caption"].str.split().str.len()
    assert n_words.min() >= 4
    assert n_words.max() <= 9
    assert X["caption"].str.endswith(".").all()
    assert X["caption"].str[0].str.isupper().all()


def test_make_multimodal_classification_caption_signal_sets_information():
    scores = {}
    for strength in (0.0, 1.0):
        X, y = make_multimodal_classification(
            1000,
            image=True,
            image_size=8,
            caption=True,
            signal={"caption": strength},
            random_state=0,
        )
        scores[strength] = _holdout_score(_text_model(), X["caption"], y)
    assert scores[0.0] < 0.57
    assert scores[1.0] > 0.85


def test_make_multimodal_caption_names_colours_of_the_class():
    X, y = make_multimodal_classification(
        400, n_classes=4, image=True, image_size=8, caption=True, random_state=0
    )
    words = X["caption"].str.lower().str.rstrip(".").str.split()
    reds = words.map(lambda row: "red" in row or "scarlet" in row or "crimson" in row)
    blues = words.map(lambda row: "navy" in row or "indigo" in row or "sapphire" in row)
    assert reds[y == 0].mean() > 0.5
    assert blues[y == 3].mean() > 0.5
    assert blues[y == 0].mean() < 0.3


@pytest.mark.parametrize("generator", GENERATORS)
def test_make_multimodal_missing_images_are_none(generator):
    missing_rate = {"tabular": 0.1, "image": 0.25, "caption": 0.15}
    X, _ = generator(400, image=True, caption=True, missing_rate=missing_rate, random_state=0)
    no_image = X["image"].map(lambda cell: cell is None)
    assert no_image.mean() == pytest.approx(0.25)
    assert X["image"].isna().equals(no_image)
    assert X["image"][~no_image].map(lambda cell: isinstance(cell, np.ndarray)).all()
    no_caption = X["caption"].isna()
    assert no_caption.mean() == pytest.approx(0.15)
    no_tabular = X[["num_0", "cat_0"]].isna().all(axis=1)
    assert not (no_image & no_caption).any()
    assert not (no_image & no_tabular).any()


@pytest.mark.parametrize("generator", GENERATORS)
def test_make_multimodal_float_missing_rate_reaches_images(generator):
    X, _ = generator(300, image=True, missing_rate=0.2, random_state=0)
    assert X["image"].isna().mean() == pytest.approx(0.2)


@pytest.mark.parametrize("generator", GENERATORS)
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"image": True, "image_size": 4}, r"image_size must be an integer >= 8; got 4"),
        ({"image": True, "image_size": 16.0}, r"image_size must be an integer >= 8; got 16.0"),
        ({"image_size": True}, r"image_size must be an integer >= 8; got True"),
        ({"image": "yes"}, r"image must be True or False; got 'yes'"),
        ({"image": True, "caption": 1}, r"caption must be True or False; got 1"),
        ({"caption": True}, r"caption=True describes the images, so it needs image=True"),
        (
            {"image": True, "image_signal": "shape"},
            r"image_signal has an unknown cue 'shape'; expected 'all', one of 'colour', "
            r"'orientation', 'texture' or a list of them",
        ),
        (
            {"image": True, "image_signal": ["colour", "size"]},
            r"image_signal has an unknown cue 'size'",
        ),
        ({"image": True, "image_signal": []}, r"image_signal must be 'all', one of .*; got \[\]"),
        ({"image": True, "image_signal": 3}, r"image_signal must be 'all', one of .*; got 3"),
        ({"signal": {"image": 2.0}}, r"signal\['image'\] must be a number in \[0, 1\]; got 2.0"),
        (
            {"missing_rate": {"image": 0.1}},
            r"missing_rate asks for missing 'image' values, but the table has no such columns",
        ),
        (
            {"image": True, "missing_rate": {"caption": 0.1}},
            r"missing_rate asks for missing 'caption' values",
        ),
        ({"image": True, "missing_rate": {"image": 1.0}}, r"missing_rate\['image'\] must be"),
        (
            {"image": True, "missing_rate": {"image": 0.6, "text": 0.5}},
            r"missing_rate values must add up to at most 1",
        ),
        (
            {"n_numeric": 0, "n_categorical": 0, "n_text": 0, "image": True, "missing_rate": 0.1},
            r"missing_rate must be 0 when the table has a single modality",
        ),
    ],
)
def test_make_multimodal_rejects_bad_image_parameters(generator, kwargs, match):
    with pytest.raises(ValueError, match=match):
        generator(**kwargs)


# The bundled poster listings


POSTER_FEATURES = ["image", "description", "price", "seller_rating", "size"]


@pytest.fixture(scope="module")
def posters():
    return load_poster_listings()


def test_load_poster_listings_bunch_fields(posters):
    assert isinstance(posters, Bunch)
    assert posters.data.shape == (400, 5)
    assert list(posters.data.columns) == POSTER_FEATURES
    assert posters.feature_names == POSTER_FEATURES
    assert posters.frame.shape == (400, 6)
    assert posters.target_names == ["not sold", "sold"]
    assert posters.modalities == [
        ("image", ["image"]),
        ("text", ["description"]),
        ("tabular", ["price", "seller_rating", "size"]),
    ]
    assert "Poster listings" in posters.DESCR
    assert not posters.frame.isna().any().any()


def test_load_poster_listings_target_is_balanced_binary(posters):
    target = posters.target
    assert isinstance(target, pd.Series)
    assert target.name == "sold"
    assert pd.api.types.is_integer_dtype(target.dtype)
    assert target.value_counts().to_dict() == {0: 200, 1: 200}


def test_load_poster_listings_image_paths_are_absolute_pngs(posters):
    paths = [Path(path) for path in posters.data["image"]]
    assert len(set(paths)) == 400
    for path in paths:
        assert path.is_absolute()
        assert path.parent == get_data_folder() / "poster_images"
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.mode == "RGB"
            assert image.size == (48, 48)


def test_load_poster_listings_images_are_real_photographs(posters):
    with Image.open(posters.data["image"].iloc[0]) as image:
        pixels = np.asarray(image, dtype=float)
    assert pixels.std() > 10


def test_bundled_poster_csv_holds_relative_paths(posters):
    raw = pd.read_csv(posters.filename)
    assert Path(posters.filename) == get_data_folder() / "poster_listings.csv.gz"
    assert raw["image"].str.match(r"^poster_images/poster_\d{3}\.png$").all()
    resolved = [str(Path(posters.filename).parent / name) for name in raw["image"]]
    assert resolved == posters.data["image"].tolist()
    pd.testing.assert_frame_equal(raw.drop(columns="image"), posters.frame.drop(columns="image"))


def test_load_poster_listings_return_X_y_and_arrays(posters):
    X, y = load_poster_listings(return_X_y=True)
    pd.testing.assert_frame_equal(X, posters.data)
    pd.testing.assert_series_equal(y, posters.target)
    data = load_poster_listings(as_frame=False)
    assert isinstance(data.data, np.ndarray)
    assert data.data.shape == (400, 5)
    assert isinstance(data.target, np.ndarray)
    assert data.frame is None


def test_load_poster_listings_every_modality_carries_part_of_the_target(posters):
    text = _holdout_score(_text_model(), posters.data["description"], posters.target.to_numpy())
    table = _holdout_score(
        LogisticRegression(), posters.data[["price", "seller_rating"]], posters.target.to_numpy()
    )
    assert 0.6 < text < 0.8
    assert 0.6 < table < 0.8


def test_bundled_poster_files_are_under_limit():
    folder = get_data_folder()
    files = [folder / "poster_listings.csv.gz", *(folder / "poster_images").glob("*.png")]
    assert len(files) == 401
    assert sum(path.stat().st_size for path in files) < 3_000_000


def test_poster_docstring_examples_run():
    failed, attempted = doctest.testmod(_posters, optionflags=doctest.ELLIPSIS)
    assert attempted > 0
    assert failed == 0
