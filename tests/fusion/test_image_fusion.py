"""Every fusion family with an image modality: detection, missing and unreadable images."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, train_test_split

from mmsk import (
    BayesianNetworkFusionClassifier,
    EarlyFusionClassifier,
    EarlyFusionRegressor,
    ImageArrays,
    KindSelector,
    LateFusionClassifier,
    LateFusionRegressor,
    MarkovRandomFieldFusionClassifier,
    MarkovRandomFieldFusionRegressor,
    NeuralFusionClassifier,
    NeuralFusionRegressor,
    TabularEncoder,
)
from mmsk._registry import extra_installed
from mmsk.datasets import make_multimodal_classification, make_multimodal_regression

CLASSICAL = {"image__backend": "classical"}
SMALL_NET = {"embedding_dim": 16, "hidden_units": 32, "max_epochs": 15, "random_state": 0}


def _needs(extra):
    return pytest.mark.skipif(not extra_installed(extra), reason=f'needs the "{extra}" extra')


CLASSIFIERS = [
    pytest.param(EarlyFusionClassifier, {}, id="early"),
    pytest.param(LateFusionClassifier, {}, id="late"),
    pytest.param(BayesianNetworkFusionClassifier, {}, id="bayes", marks=_needs("bayes")),
    pytest.param(MarkovRandomFieldFusionClassifier, {}, id="mrf"),
    pytest.param(NeuralFusionClassifier, SMALL_NET, id="neural", marks=_needs("neural")),
]
REGRESSORS = [
    pytest.param(EarlyFusionRegressor, {}, id="early"),
    pytest.param(LateFusionRegressor, {}, id="late"),
    pytest.param(MarkovRandomFieldFusionRegressor, {}, id="mrf"),
    pytest.param(NeuralFusionRegressor, SMALL_NET, id="neural", marks=_needs("neural")),
]


@pytest.fixture(scope="module")
def image_table():
    """300 rows: tabular, text and image columns; the image carries most of the signal."""
    X, y = make_multimodal_classification(
        n_samples=300,
        image=True,
        image_size=16,
        signal={"image": 0.95, "numeric": 0.1, "categorical": 0.1, "text": 0.1},
        missing_rate={"image": 0.1},
        random_state=0,
    )
    return X, y


def _fitted(model_class, params, X, y):
    model = model_class(**params)
    if "modalities" not in params:
        model.set_params(**CLASSICAL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return model.fit(X, y)


@pytest.mark.parametrize("model_class, params", CLASSIFIERS)
def test_every_classifier_detects_and_uses_the_image_modality(model_class, params, image_table):
    X, y = image_table
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    model = _fitted(model_class, params, X_train, y_train)
    assert model.modality_kinds_["image"] == "image"
    assert model.modality_columns_["image"] == ["image"]
    assert model.column_kinds_["image"] == "image"
    without_image = _fitted(
        model_class, {**params, "modalities": _tabular_and_text()}, X_train, y_train
    )
    assert model.score(X_test, y_test) > without_image.score(X_test, y_test) + 0.1


def _tabular_and_text():
    return [
        ("tabular", "auto", KindSelector("numeric", "categorical")),
        ("text", "auto", KindSelector("text")),
    ]


@pytest.mark.parametrize("model_class, params", REGRESSORS)
def test_every_regressor_fuses_images(model_class, params):
    X, y = make_multimodal_regression(
        n_samples=240, image=True, image_size=16, signal={"image": 1.0}, random_state=0
    )
    model = _fitted(model_class, params, X, y)
    assert model.modality_kinds_["image"] == "image"
    assert np.isfinite(model.predict(X)).all()


@pytest.mark.parametrize("model_class, params", CLASSIFIERS)
def test_rows_with_missing_or_unreadable_images_are_predicted(
    model_class, params, image_table, tmp_path
):
    X, y = image_table
    X = X.copy()
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    X.loc[X.index[:5], "image"] = pd.Series([str(tmp_path / "broken.png")] * 5).values
    model = _fitted(model_class, params, X, y)
    test = X.iloc[:12].copy()
    test["image"] = pd.Series(
        [None, np.nan, str(tmp_path / "absent.png"), b"GIF89a nope", np.zeros((2, 2))]
        + list(X["image"].iloc[5:12]),
        dtype=object,
    ).values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        proba = model.predict_proba(test)
    assert proba.shape == (12, 2)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_late_fusion_ignores_the_image_model_where_the_image_is_missing(image_table):
    X, y = image_table
    model = _fitted(LateFusionClassifier, {}, X, y)
    row = X[X["image"].notna()].iloc[[0]].copy()
    with_image = model.predict_proba(row)
    row["image"] = pd.Series([None], dtype=object).values
    without = model.predict_proba(row)
    manual = model.named_estimators_
    assert "image" in manual
    assert not np.allclose(with_image, without)


def test_unreadable_training_images_are_counted_once_per_call(image_table, tmp_path):
    X, y = image_table
    X = X.copy()
    X.loc[X.index[:3], "image"] = pd.Series(
        [str(tmp_path / f"gone{i}.png") for i in range(3)]
    ).values
    with pytest.warns(UserWarning, match=r"3 of \d+ images in column 'image' could not be read"):
        EarlyFusionClassifier().set_params(**CLASSICAL).fit(X, y)


def test_image_backend_is_grid_searchable(image_table):
    X, y = image_table
    search = GridSearchCV(
        EarlyFusionClassifier(),
        {"image__backend": ["classical", _mean_colour], "image__n_components": [None, 3]},
        cv=3,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_score_ > 0.7


def _mean_colour(images):
    return np.stack([np.asarray(image, dtype=float).mean(axis=(0, 1)) for image in images])


def test_fitted_image_models_pickle_and_predict_the_same(image_table):
    X, y = image_table
    for model_class in (EarlyFusionClassifier, LateFusionClassifier):
        model = _fitted(model_class, {}, X, y)
        restored = pickle.loads(pickle.dumps(model))
        np.testing.assert_allclose(restored.predict_proba(X), model.predict_proba(X))


def test_image_only_tables_work_with_auto_modalities(image_table):
    X, y = image_table
    model = _fitted(LateFusionClassifier, {}, X[["image"]], y)
    assert list(model.modality_columns_) == ["image"]


def test_image_files_with_relative_paths_need_a_root(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.tile([0, 1], 30)
    names = []
    for i, label in enumerate(labels):
        pixels = np.zeros((12, 12, 3), np.uint8)
        pixels[..., 2 * label] = 200 + rng.integers(0, 50)
        Image.fromarray(pixels).save(tmp_path / f"{i}.png")
        names.append(f"{i}.png")
    X = pd.DataFrame({"size": rng.normal(size=60), "photo": names})
    spec = [
        ("tabular", TabularEncoder(), ["size"]),
        ("image", _image_embedder(tmp_path), ["photo"]),
    ]
    fitted = EarlyFusionClassifier(modalities=spec).fit(X, labels)
    assert fitted.score(X, labels) == 1.0
    X_abs = X.assign(photo=[str(tmp_path / name) for name in names])
    assert fitted.score(X_abs, labels) == 1.0


def _image_embedder(root):
    from mmsk import ImageEmbedder

    return ImageEmbedder(backend="classical", root=root)


@_needs("neural")
def test_neural_fusion_trains_a_cnn_on_pixels(image_table):
    X, y = make_multimodal_classification(
        n_samples=300,
        n_numeric=1,
        n_categorical=0,
        n_text=0,
        image=True,
        image_size=16,
        image_signal="orientation",
        signal={"image": 1.0, "numeric": 0.0},
        random_state=1,
    )
    spec = [
        ("tabular", TabularEncoder(), ["num_0"]),
        ("image", ImageArrays(image_size=16), KindSelector("image")),
    ]
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    model = NeuralFusionClassifier(modalities=spec, max_epochs=25, lr=0.005, random_state=0)
    model.fit(X_train, y_train)
    assert model.block_kinds_["image"] == "pixels"
    assert type(model.net_.module_.encoders["image"]).__name__ == "PixelCNNEncoder"
    assert model.score(X_test, y_test) > 0.8
    again = clone(model).fit(X_train, y_train)
    np.testing.assert_allclose(again.predict_proba(X_test), model.predict_proba(X_test))


@_needs("neural")
def test_cnn_encoder_refuses_a_block_without_an_image_shape(image_table):
    X, y = image_table
    model = NeuralFusionClassifier(encoders={"image": "cnn"}, **SMALL_NET).set_params(**CLASSICAL)
    with pytest.raises(ValueError, match=r"encoders\['image'\]='cnn' does not fit modality"):
        model.fit(X, y)
