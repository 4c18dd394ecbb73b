"""Tests of ImageEmbedder and ImageArrays: every cell kind, every backend, unreadable images."""

import io
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from mmsk import ImageArrays, ImageEmbedder
from mmsk import _image_io as image_io
from mmsk.modality import _image
from mmsk.modality._image import cnn_available

N_CLASSICAL = 271


def _pixels(seed, size=24, channels=3):
    rng = np.random.default_rng(seed)
    shape = (size, size, channels) if channels else (size, size)
    return rng.integers(0, 256, shape, dtype=np.uint8)


def _png_bytes(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def image_files(tmp_path):
    """Three PNG files, a corrupt one, a truncated one and a JPEG, under tmp_path."""
    for i in range(3):
        Image.fromarray(_pixels(i)).save(tmp_path / f"img{i}.png")
    (tmp_path / "corrupt.png").write_bytes(b"this is not a png file at all")
    whole = _png_bytes(_pixels(9, size=64))
    (tmp_path / "truncated.png").write_bytes(whole[: len(whole) // 2])
    Image.fromarray(_pixels(5)).save(tmp_path / "photo.jpg", quality=90)
    return tmp_path


def _frame(cells, column="photo"):
    return pd.DataFrame({column: pd.Series(cells, dtype=object)})


# ----------------------------------------------------------------- cell kinds


def test_every_cell_kind_gives_the_features_of_the_same_pixels(image_files):
    array = np.asarray(Image.open(image_files / "img0.png").convert("RGB"))
    cells = [
        str(image_files / "img0.png"),
        (image_files / "img0.png").read_bytes(),
        Image.open(image_files / "img0.png"),
        array,
        array.astype(np.float64) / 255.0,
    ]
    features = ImageEmbedder(backend="classical").fit_transform(_frame(cells))
    for row in features[1:]:
        np.testing.assert_allclose(row, features[0], atol=1e-3)


def test_relative_paths_are_read_from_root(image_files):
    X = _frame(["img0.png", "img1.png"])
    rooted = ImageEmbedder(backend="classical", root=image_files).fit_transform(X)
    absolute = ImageEmbedder(backend="classical").fit_transform(
        _frame([str(image_files / "img0.png"), str(image_files / "img1.png")])
    )
    np.testing.assert_allclose(rooted, absolute)
    assert rooted.any(axis=1).all()


@pytest.mark.parametrize(
    "array",
    [
        _pixels(1, channels=0),
        _pixels(1, channels=1),
        _pixels(1, channels=4),
        _pixels(1) > 128,
        np.random.default_rng(0).random((16, 16, 3)),
    ],
    ids=["grey-2d", "one-channel", "rgba", "boolean", "float-0-1"],
)
def test_pixel_arrays_of_every_layout_are_read(array):
    features = ImageEmbedder(backend="classical").fit_transform(_frame([array, _pixels(2)]))
    assert features.shape == (2, N_CLASSICAL)
    assert features[0].any()


def test_missing_cells_give_zeros_without_warning():
    X = _frame([_pixels(0), None, np.nan, "", "  "])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        features = ImageEmbedder(backend="classical").fit_transform(X)
    assert features[0].any()
    assert not features[1:].any()


def test_unreadable_cells_give_zeros_and_one_counting_warning(image_files, monkeypatch):
    monkeypatch.setattr(image_io, "MAX_IMAGE_PIXELS", 30 * 30)
    cells = [
        str(image_files / "img0.png"),
        str(image_files / "corrupt.png"),
        str(image_files / "truncated.png"),
        str(image_files / "absent.png"),
        b"\x89PNG\r\n\x1a\n but then garbage",
        np.zeros((2, 3)),
        _pixels(3, size=40),
        str(image_files / "photo.jpg"),
    ]
    with pytest.warns(UserWarning, match=r"6 of 8 images in column 'photo' could not be read"):
        features = ImageEmbedder(backend="classical").fit_transform(_frame(cells))
    assert features[[0, 7]].any(axis=1).all()
    assert not features[1:7].any()


def test_presence_marks_unreadable_and_missing_images(image_files):
    column = pd.Series(
        [
            str(image_files / "img0.png"),
            str(image_files / "corrupt.png"),
            None,
            str(image_files / "absent.png"),
            str(image_files / "img1.png"),
        ],
        dtype=object,
    )
    assert image_io.holds_images(column)
    np.testing.assert_array_equal(
        image_io.image_cells_present(column), [True, False, False, False, True]
    )


def test_a_file_replaced_after_a_check_is_checked_again(tmp_path):
    path = tmp_path / "changing.png"
    path.write_bytes(b"not an image yet")
    column = pd.Series([str(path)], dtype=object)
    assert not image_io.image_cells_present(column)[0]
    Image.fromarray(_pixels(0, size=31)).save(path)
    assert image_io.image_cells_present(column)[0]


# ----------------------------------------------------------------- backends


def test_classical_features_separate_colour_orientation_and_texture():
    red = np.zeros((32, 32, 3), np.uint8)
    red[..., 0] = 220
    blue = red[..., ::-1].copy()
    vertical = np.zeros((32, 32, 3), np.uint8)
    vertical[:, ::4] = 255
    horizontal = vertical.transpose(1, 0, 2).copy()
    features = ImageEmbedder(backend="classical").fit_transform(
        _frame([red, blue, vertical, horizontal])
    )
    names = ImageEmbedder(backend="classical").fit(_frame([red])).get_feature_names_out()
    colour = np.array(["hsv" in name for name in names])
    gradient = np.array(["grad_all" in name for name in names])
    assert np.abs(features[0, colour] - features[1, colour]).sum() > 1.0
    assert np.abs(features[2, gradient] - features[3, gradient]).sum() > 1.0


def test_callable_backend_receives_rgb_images():
    seen = []

    def mean_colour(images):
        seen.extend(image.mode for image in images)
        return [np.asarray(image, dtype=float).mean(axis=(0, 1)) for image in images]

    embedder = ImageEmbedder(backend=mean_colour)
    features = embedder.fit_transform(_frame([_pixels(0), None, _pixels(1, channels=0)]))
    assert features.shape == (3, 3)
    assert seen == ["RGB", "RGB"]
    assert embedder.backend_ == "callable"
    assert embedder.get_feature_names_out().tolist() == [
        "photo__feature0",
        "photo__feature1",
        "photo__feature2",
    ]


@pytest.mark.parametrize(
    "backend, message",
    [
        (lambda images: np.ones(len(images)), r"must return a 2-D array with one row per image"),
        (lambda images: np.ones((len(images) + 1, 2)), r"expected shape \(2, n_features\)"),
        (lambda images: np.full((len(images), 2), np.nan), r"NaN or infinite"),
        (lambda images: [["a"]] * len(images), r"not an array of numbers"),
    ],
)
def test_callable_backend_returning_bad_features_is_an_error(backend, message):
    with pytest.raises(ValueError, match=message):
        ImageEmbedder(backend=backend).fit(_frame([_pixels(0), _pixels(1)]))


def test_callable_backend_without_any_readable_image_is_an_error():
    with pytest.raises(ValueError, match=r"no readable image in column 'photo'"):
        ImageEmbedder(backend=lambda images: np.ones((len(images), 2))).fit(_frame([None]))


def test_auto_backend_follows_the_image_extra():
    embedder = ImageEmbedder(image_size=32).fit(_frame([_pixels(0)]))
    assert embedder.backend_ == ("cnn" if cnn_available() else "classical")


needs_cnn = pytest.mark.skipif(not cnn_available(), reason='needs the "image" extra')


@needs_cnn
def test_cnn_backend_gives_pooled_efficientnet_features():
    embedder = ImageEmbedder(backend="cnn", image_size=32, device="cpu")
    features = embedder.fit_transform(_frame([_pixels(0), None, _pixels(1)]))
    assert features.shape == (3, 1280)
    assert embedder.device_ == "cpu"
    assert features[[0, 2]].any(axis=1).all() and not features[1].any()
    assert embedder.get_feature_names_out()[0] == "photo__cnn0"


@needs_cnn
def test_cnn_backend_recognises_a_real_photograph():
    data = pytest.importorskip("skimage.data")

    from mmsk.modality._image_cnn import cnn_outputs

    logits = cnn_outputs(
        [Image.fromarray(data.coffee())], device="cpu", batch_size=1, image_size=224, logits=True
    )
    assert int(np.argmax(logits[0])) == 967  # ImageNet's "espresso"


@needs_cnn
def test_cnn_features_are_cached_by_content(monkeypatch):
    calls = []
    real = _image.cnn_outputs

    def counting(images, **kwargs):
        calls.append(len(images))
        return real(images, **kwargs)

    monkeypatch.setattr(_image, "cnn_outputs", counting)
    _image._CACHES.clear()
    X = _frame([_pixels(10), _pixels(11), _pixels(10)])
    first = ImageEmbedder(backend="cnn", image_size=32, device="cpu").fit_transform(X)
    again = clone(ImageEmbedder(backend="cnn", image_size=32, device="cpu")).fit_transform(X)
    np.testing.assert_allclose(first, again)
    assert calls == [2]


@needs_cnn
def test_pickled_embedder_holds_no_network_and_reloads_it():
    embedder = ImageEmbedder(backend="cnn", image_size=32, device="cpu", cache=False)
    X = _frame([_pixels(0), _pixels(1)])
    expected = embedder.fit_transform(X)
    payload = pickle.dumps(embedder)
    assert len(payload) < 20_000
    from mmsk.modality import _image_cnn

    _image_cnn._NETWORKS.clear()
    np.testing.assert_allclose(pickle.loads(payload).transform(X), expected, rtol=1e-5)


def test_bad_device_name_is_an_error():
    if not cnn_available():
        pytest.skip('needs the "image" extra')
    with pytest.raises(ValueError, match=r"'device' parameter of ImageEmbedder"):
        ImageEmbedder(backend="cnn", device="gpu").fit(_frame([_pixels(0)]))


def test_cnn_backend_without_the_extra_names_it(monkeypatch):
    import importlib

    real = importlib.import_module

    def without_weights(name, *args):
        if name.startswith("efficientnet"):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args)

    from mmsk.modality import _image_cnn

    monkeypatch.setattr(importlib, "import_module", without_weights)
    monkeypatch.setattr(_image_cnn, "_NETWORKS", type(_image_cnn._NETWORKS)())
    pytest.importorskip("torch")
    with pytest.raises(ImportError, match=r'pip install "mmsk\[image\]"'):
        ImageEmbedder(backend="cnn", image_size=32, device="cpu", cache=False).fit(
            _frame([_pixels(0)])
        )


def test_unknown_backend_is_an_error():
    with pytest.raises(InvalidParameterError, match=r"'backend' parameter of ImageEmbedder"):
        ImageEmbedder(backend="resnet").fit(_frame([_pixels(0)]))


# ----------------------------------------------------------------- PCA, names, output


def test_pca_reduces_each_column_fitted_on_readable_images():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "front": pd.Series([_pixels(i) for i in range(12)] + [None], dtype=object),
            "back": pd.Series([_pixels(50 + i) for i in range(13)], dtype=object),
        }
    )
    embedder = ImageEmbedder(backend="classical", n_components=3, random_state=0)
    features = embedder.fit_transform(X)
    assert features.shape == (13, 6)
    assert not features[12, :3].any() and features[12, 3:].any()
    assert embedder.get_feature_names_out().tolist() == [
        "front__pc0",
        "front__pc1",
        "front__pc2",
        "back__pc0",
        "back__pc1",
        "back__pc2",
    ]
    np.testing.assert_allclose(embedder.transform(X), features)
    assert rng is not None


def test_too_many_components_is_an_error_naming_the_column():
    with pytest.raises(ValueError, match=r"n_components=5, but column 'photo' has 3 readable"):
        ImageEmbedder(backend="classical", n_components=5).fit(
            _frame([_pixels(0), _pixels(1), _pixels(2)])
        )


def test_set_output_pandas_names_the_columns():
    embedder = ImageEmbedder(backend="classical").set_output(transform="pandas")
    frame = embedder.fit_transform(_frame([_pixels(0), _pixels(1)]))
    assert isinstance(frame, pd.DataFrame)
    assert frame.columns[0] == "photo__rgb_mean_r"


def test_transform_checks_the_columns_seen_in_fit():
    embedder = ImageEmbedder(backend="classical").fit(_frame([_pixels(0)]))
    with pytest.raises(ValueError, match="photo"):
        embedder.transform(_frame([_pixels(0)], column="other"))


# ----------------------------------------------------------------- ImageArrays


def test_image_arrays_stack_columns_as_channels():
    X = pd.DataFrame(
        {
            "a": pd.Series([np.full((10, 10, 3), 255, np.uint8), None], dtype=object),
            "b": pd.Series(
                [np.zeros((6, 6), np.uint8), np.full((6, 6), 51, np.uint8)], dtype=object
            ),
        }
    )
    arrays = ImageArrays(image_size=4).fit(X)
    pixels = arrays.transform(X)
    assert arrays.image_shape_ == (6, 4, 4)
    assert pixels.shape == (2, 96)
    cube = pixels.reshape(2, 6, 4, 4)
    np.testing.assert_allclose(cube[0, :3], 1.0)
    np.testing.assert_allclose(cube[1, :3], 0.0)
    np.testing.assert_allclose(cube[1, 3:], 0.2)
    assert arrays.get_feature_names_out()[0] == "a__c0_0_0"
    assert len(arrays.get_feature_names_out()) == 96


def test_image_arrays_grayscale_and_unreadable_cells():
    X = _frame([_pixels(0), b"GIF89a broken"])
    with pytest.warns(UserWarning, match=r"ImageArrays: 1 of 2 images in column 'photo'"):
        pixels = ImageArrays(image_size=5, grayscale=True).fit_transform(X)
    assert pixels.shape == (2, 25)
    assert pixels[0].any() and not pixels[1].any()


@pytest.mark.skipif(not cnn_available(), reason='needs the "image" extra')
def test_cuda_on_a_machine_without_one_is_a_clear_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    with pytest.raises(ValueError, match=r"device='cuda', but torch sees 0 CUDA device"):
        ImageEmbedder(backend="cnn", device="cuda").fit(_frame([_pixels(0)]))


def test_imagenet_class_names_are_the_networks_thousand_outputs():
    from mmsk.modality._image import imagenet_class_names

    names = imagenet_class_names()
    assert len(names) == 1000
    assert names[0] == "tench" and names[967] == "espresso" and names[999] == "toilet tissue"


@needs_cnn
def test_imagenet_probabilities_sum_to_one_where_an_image_is_readable():
    from mmsk.modality._image import imagenet_probabilities

    probabilities, present = imagenet_probabilities(
        [_pixels(0), None, b"GIF89a broken"], device="cpu", image_size=32
    )
    assert present.tolist() == [True, False, False]
    np.testing.assert_allclose(probabilities.sum(axis=1), [1.0, 0.0, 0.0])
