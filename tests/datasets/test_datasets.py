import doctest
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils import Bunch

from mmsk.datasets import (
    _clothing,
    _synthetic,
    load_clothing_reviews,
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
        ({"signal": {"image": 1.0}}, r"signal has unknown keys \['image'\]; expected"),
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
