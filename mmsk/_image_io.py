"""Reading the cells of an image column: file paths, bytes, PIL images and pixel arrays.

Everything here needs only Pillow and NumPy. A cell is *missing* when it is None, NaN
or a blank string; it is *unreadable* when it is set but holds no image that can be
decoded (a path to no file, a corrupt or truncated file, bytes that are not an image,
an array of the wrong shape, an image of more than :data:`MAX_IMAGE_PIXELS` pixels).
Both make the image modality missing for that row.
"""

import hashlib
import io
import os
import threading
import warnings
from collections import OrderedDict

import numpy as np
import pandas as pd

#: File name endings read as images, in lower case.
IMAGE_EXTENSIONS = (
    ".png",
    ".jpg",
    ".jpeg",
    ".bmp",
    ".gif",
    ".tif",
    ".tiff",
    ".webp",
    ".ppm",
    ".pgm",
)

#: Largest image read, in pixels (width times height); larger ones count as unreadable.
MAX_IMAGE_PIXELS = 50_000_000

#: Smallest side of a pixel array read as an image.
MIN_ARRAY_SIDE = 4

_MAGIC_NUMBERS = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"P5",
    b"P6",
)
_READABLE_CACHE_SIZE = 200_000
_IMAGE_SHARE = 0.9


class UnreadableImageError(ValueError):
    """A set cell whose content cannot be decoded as an image."""


def _pil_image():
    from PIL import Image

    return Image


def is_missing_cell(value):
    """Whether an image cell holds nothing: None, NaN, NaT or a blank string."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return not np.isfinite(value)
    return bool(pd.api.types.is_scalar(value) and pd.isna(value))


def looks_like_image_cell(value):
    """Whether a set cell has the form of an image, without decoding it.

    A string ending in an image file extension, bytes starting with an image format's
    magic number, a PIL image, or a 2-D or 3-D (last axis of 1, 3 or 4 channels) array
    whose sides are at least :data:`MIN_ARRAY_SIDE`.
    """
    if isinstance(value, str):
        return value.strip().lower().endswith(IMAGE_EXTENSIONS)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _has_image_magic(bytes(value[:16]))
    if isinstance(value, np.ndarray):
        return _is_pixel_array(value)
    return _is_pil_image(value)


def _has_image_magic(head):
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return True
    return any(head.startswith(magic) for magic in _MAGIC_NUMBERS)


def _is_pixel_array(array):
    if array.ndim == 3 and array.shape[2] not in (1, 3, 4):
        return False
    if array.ndim not in (2, 3) or min(array.shape[:2]) < MIN_ARRAY_SIDE:
        return False
    return array.dtype.kind in "buif"


def _is_pil_image(value):
    module = type(value).__module__
    if not module.startswith("PIL."):
        return False
    return isinstance(value, _pil_image().Image)


def is_image_column(values):
    """Whether a column holds images: most of its set cells look like images.

    At least 90% of the set cells (of at most 64 evenly spaced ones) must have the
    form of an image; when most of them are file paths, at least half of the files
    (of a few checked) must exist, so a column of another machine's file names stays
    text or categorical.

    Parameters
    ----------
    values : pandas.Series
        The column (or a sample of it).

    Returns
    -------
    is_image : bool
    """
    cells = _set_sample(values)
    if not cells:
        return False
    looking = [value for value in cells if looks_like_image_cell(value)]
    if len(looking) < _IMAGE_SHARE * len(cells):
        return False
    paths = [value for value in looking if isinstance(value, str)]
    if 2 * len(paths) <= len(looking):
        return True
    checked = paths[:16]
    existing = sum(os.path.isfile(os.path.expanduser(path.strip())) for path in checked)
    return 2 * existing >= len(checked)


def _set_sample(values, size=64):
    cells = [value for value in values.tolist() if not is_missing_cell(value)]
    if len(cells) <= size:
        return cells
    return [cells[i] for i in np.linspace(0, len(cells) - 1, size).astype(int)]


def resolve_path(path, root=None):
    """The file a path cell names: ``~`` expanded, relative paths joined to ``root``."""
    path = os.path.expanduser(path.strip())
    if root is not None and not os.path.isabs(path):
        path = os.path.join(os.fspath(root), path)
    return path


def open_image(value, root=None):
    """Decode one set cell into an RGB PIL image.

    Parameters
    ----------
    value : str, bytes, PIL.Image.Image or ndarray
        A file path (relative ones joined to ``root``), the bytes of an encoded image,
        an image, or pixels: a 2-D grey array or a 3-D array with 1, 3 or 4 channels
        last, unsigned integers (0-255) or floats (0-1).
    root : str, path-like or None, default=None
        Folder that relative paths are relative to.

    Returns
    -------
    image : PIL.Image.Image
        An RGB image.

    Raises
    ------
    UnreadableImageError
        When the cell cannot be decoded; the message says why.
    """
    if isinstance(value, np.ndarray):
        return _image_from_array(value)
    if _is_pil_image(value):
        return _checked_rgb(value, "the PIL image")
    if isinstance(value, str):
        return _decode(resolve_path(value, root), f"the file {value!r}")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _decode(io.BytesIO(bytes(value)), f"{len(value)} bytes")
    raise UnreadableImageError(
        f"a cell of type {type(value).__name__} is not an image (expected a file path, "
        "bytes, a PIL image or an array of pixels)"
    )


def _decode(source, what):
    image_module = _pil_image()
    if isinstance(source, str) and not os.path.isfile(source):
        raise UnreadableImageError(f"{what} does not exist")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", image_module.DecompressionBombWarning)
            with image_module.open(source) as image:
                _check_pixel_count(image.size, what)
                image.load()
                return image.convert("RGB")
    except UnreadableImageError:
        raise
    except image_module.UnidentifiedImageError:
        raise UnreadableImageError(f"{what}: no image format Pillow reads") from None
    except (OSError, ValueError, SyntaxError, image_module.DecompressionBombWarning) as error:
        raise UnreadableImageError(f"{what} could not be decoded as an image ({error})") from None
    except image_module.DecompressionBombError as error:
        raise UnreadableImageError(f"{what} is too large ({error})") from None


def _check_pixel_count(size, what):
    width, height = size
    if width * height > MAX_IMAGE_PIXELS:
        raise UnreadableImageError(
            f"{what} has {width}x{height} pixels, more than the {MAX_IMAGE_PIXELS:,} read at most"
        )


def _checked_rgb(image, what):
    _check_pixel_count(image.size, what)
    try:
        return image.convert("RGB")
    except (OSError, ValueError) as error:
        raise UnreadableImageError(f"{what} could not be converted to RGB ({error})") from None


def _image_from_array(array):
    if not _is_pixel_array(array):
        raise UnreadableImageError(
            f"an array of shape {array.shape} and dtype {array.dtype} is not an image "
            "(expected 2-D grey pixels or 3-D pixels with 1, 3 or 4 channels last, "
            f"sides of at least {MIN_ARRAY_SIDE})"
        )
    _check_pixel_count(array.shape[1::-1], f"the array of shape {array.shape}")
    pixels = _as_uint8(array)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    mode = {2: "L", 3: "RGB", 4: "RGBA"}[pixels.ndim if pixels.ndim == 2 else pixels.shape[2]]
    return _pil_image().fromarray(np.ascontiguousarray(pixels), mode=mode).convert("RGB")


def _as_uint8(array):
    if array.dtype == np.uint8:
        return array
    if array.dtype.kind == "b":
        return array.astype(np.uint8) * 255
    values = np.nan_to_num(array.astype(np.float64), nan=0.0, posinf=255.0, neginf=0.0)
    if array.dtype.kind == "f" and values.max(initial=0.0) <= 1.0:
        values = values * 255.0
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def read_images(values, root=None):
    """Decode every cell of an image column.

    Parameters
    ----------
    values : sequence
        The column's cells.
    root : str, path-like or None, default=None
        Folder that relative paths are relative to.

    Returns
    -------
    images : list of {PIL.Image.Image, None}
        An RGB image per cell; None where the cell is missing or unreadable.
    failures : list of tuple
        ``(position, reason)`` of every set cell that could not be read.
    """
    images, failures = [], []
    for position, value in enumerate(values):
        if is_missing_cell(value):
            images.append(None)
            continue
        try:
            images.append(open_image(value, root))
        except UnreadableImageError as error:
            images.append(None)
            failures.append((position, str(error)))
    return images, failures


def warn_unreadable(owner, column, failures, n_cells):
    """Warn once about the cells of ``column`` that could not be read."""
    if not failures:
        return
    position, reason = failures[0]
    warnings.warn(
        f"{owner}: {len(failures)} of {n_cells} images in column {column!r} could not be "
        f"read (the first, in row {position}: {reason}). Those rows count as missing the "
        "image modality.",
        UserWarning,
        stacklevel=3,
    )


def content_key(value, root=None):
    """A key that changes when a cell's image changes: for files, path, size and time.

    Returns
    -------
    key : str
    """
    if isinstance(value, str):
        path = os.path.realpath(resolve_path(value, root))
        try:
            status = os.stat(path)
        except OSError:
            return f"path:{path}:absent"
        return f"path:{path}:{status.st_size}:{status.st_mtime_ns}"
    digest = hashlib.blake2b(digest_size=16)
    if isinstance(value, np.ndarray):
        digest.update(f"{value.shape}{value.dtype}".encode())
        digest.update(np.ascontiguousarray(value).tobytes())
    elif _is_pil_image(value):
        digest.update(f"{value.mode}{value.size}".encode())
        digest.update(value.tobytes())
    else:
        digest.update(bytes(value))
    return f"data:{digest.hexdigest()}"


class _ReadableCache:
    """Bounded memory of whether a cell (by content key) holds a readable image."""

    def __init__(self, max_entries):
        self.max_entries = max_entries
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            return self._entries.get(key)

    def put(self, key, readable):
        with self._lock:
            self._entries[key] = readable
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


_READABLE = _ReadableCache(_READABLE_CACHE_SIZE)


def image_cells_present(values):
    """Whether each cell of an image column holds a readable image.

    Files are checked once per path, size and modification time (the answer is
    remembered); other cells are decoded. A relative path that names no file under
    the working directory cannot be checked here (the transformer may read it from
    its ``root``) and counts as present; the transformer warns if it cannot read it.

    Parameters
    ----------
    values : pandas.Series
        An image column.

    Returns
    -------
    present : ndarray of bool of shape (n_cells,)
    """
    return np.fromiter((_readable(value) for value in values.tolist()), bool, len(values))


def _readable(value):
    if is_missing_cell(value):
        return False
    if isinstance(value, np.ndarray):
        return _is_pixel_array(value) and value.shape[0] * value.shape[1] <= MAX_IMAGE_PIXELS
    if not looks_like_image_cell(value):
        return False
    if isinstance(value, str) and _unverifiable_path(value):
        return True
    key = content_key(value)
    known = _READABLE.get(key)
    if known is None:
        known = _decodes(value)
        _READABLE.put(key, known)
    return known


def _unverifiable_path(value):
    path = resolve_path(value)
    return not os.path.isabs(path) and not os.path.exists(path)


def _decodes(value):
    try:
        open_image(value)
    except UnreadableImageError:
        return False
    return True


def holds_images(column):
    """Whether a column holds images; cheap on columns of text (their first cell decides)."""
    values = column.tolist()
    first = next((value for value in values if not is_missing_cell(value)), None)
    if first is None:
        return False
    if isinstance(first, str) and not looks_like_image_cell(first):
        return False
    cells = _set_sample(column)
    return sum(map(looks_like_image_cell, cells)) >= _IMAGE_SHARE * len(cells)


def anchor_image_paths(frame, folder):
    """Make the relative image paths of a table read from ``folder`` absolute.

    A column is rewritten when most of its set cells end in an image file extension
    and at least one of its relative paths names a file under ``folder`` but not under
    the working directory: the paths of a CSV file are usually relative to the file.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table, as read.
    folder : str or path-like
        The folder of the file it was read from.

    Returns
    -------
    frame : pandas.DataFrame
        ``frame``, or a copy with the image path columns made absolute.

    Examples
    --------
    >>> import pandas as pd
    >>> from mmsk.datasets import get_data_folder
    >>> from mmsk._image_io import anchor_image_paths
    >>> table = pd.DataFrame({"image": ["poster_images/poster_000.png"]})
    >>> anchored = anchor_image_paths(table, get_data_folder())
    >>> anchored["image"].iloc[0].endswith("poster_000.png"), anchored is table
    (True, False)
    """
    columns = [label for label in frame.columns if _relative_to(frame[label], folder)]
    if not columns:
        return frame
    frame = frame.copy()
    for label in columns:
        frame[label] = frame[label].map(lambda cell: _anchored(cell, folder), na_action="ignore")
    return frame


def _relative_to(column, folder):
    if not (
        pd.api.types.is_object_dtype(column.dtype) or isinstance(column.dtype, pd.StringDtype)
    ):
        return False
    cells = [cell for cell in _set_sample(column) if isinstance(cell, str)]
    image_paths = [cell for cell in cells if looks_like_image_cell(cell)]
    if not cells or len(image_paths) < _IMAGE_SHARE * len(cells):
        return False
    return any(
        not os.path.isabs(path := resolve_path(cell))
        and not os.path.exists(path)
        and os.path.isfile(os.path.join(os.fspath(folder), path))
        for cell in image_paths[:16]
    )


def _anchored(cell, folder):
    if not isinstance(cell, str) or not cell.strip():
        return cell
    path = resolve_path(cell)
    if os.path.isabs(path):
        return path
    return os.path.abspath(os.path.join(os.fspath(folder), path))
