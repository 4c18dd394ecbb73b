"""Classical image descriptors in NumPy: colour, gradient orientation and texture.

They need no torch and no pretrained weights: a colour histogram in HSV, a grid of
gradient-orientation histograms (the idea of HOG) and histograms of local binary
patterns (texture), computed on a batch of images at once.
"""

import numpy as np

#: Side, in pixels, of the square every image is resized to before description.
CLASSICAL_SIZE = 64

_HUE_BINS, _SATURATION_BINS, _VALUE_BINS = 8, 3, 3
_ORIENTATION_BINS = 9
_GRADIENT_GRID = 4
_TEXTURE_GRID = 2
_TEXTURE_BINS = 10
_EPSILON = 1e-6


def classical_feature_names():
    """Names of the classical descriptors, in output order."""
    names = [f"rgb_{stat}_{channel}" for stat in ("mean", "std") for channel in "rgb"]
    names += [
        f"hsv_{h}_{s}_{v}"
        for h in range(_HUE_BINS)
        for s in range(_SATURATION_BINS)
        for v in range(_VALUE_BINS)
    ]
    names += [
        f"grad_{row}_{col}_{b}"
        for row in range(_GRADIENT_GRID)
        for col in range(_GRADIENT_GRID)
        for b in range(_ORIENTATION_BINS)
    ]
    names += [f"grad_all_{b}" for b in range(_ORIENTATION_BINS)]
    names += [
        f"lbp_{row}_{col}_{b}"
        for row in range(_TEXTURE_GRID)
        for col in range(_TEXTURE_GRID)
        for b in range(_TEXTURE_BINS)
    ]
    return names


def classical_features(images):
    """Describe RGB images by colour, gradient orientation and texture.

    Parameters
    ----------
    images : list of PIL.Image.Image
        RGB images, at least one; each is resized to 64x64 pixels.

    Returns
    -------
    features : ndarray of shape (n_images, 271), dtype float64
        Per-channel means and standard deviations, a joint HSV histogram, a 4x4 grid
        of 9-bin gradient-orientation histograms and an overall one, and a 2x2 grid
        of histograms of rotation-invariant local binary patterns; each histogram
        sums to one.
    """
    rgb = np.stack([_resized(image) for image in images]).astype(np.float64) / 255.0
    hsv = np.stack([_resized(image.convert("HSV")) for image in images]).astype(np.float64)
    grey = rgb @ np.array([0.299, 0.587, 0.114])
    blocks = [
        rgb.mean(axis=(1, 2)),
        rgb.std(axis=(1, 2)),
        _hsv_histogram(hsv / 256.0),
        _orientation_histograms(grey),
        _texture_histograms(grey),
    ]
    return np.hstack(blocks)


def _resized(image):
    from PIL import Image

    return np.asarray(image.resize((CLASSICAL_SIZE, CLASSICAL_SIZE), Image.BILINEAR))


def _hsv_histogram(hsv):
    bins = (
        np.minimum((hsv[..., 0] * _HUE_BINS).astype(int), _HUE_BINS - 1) * _SATURATION_BINS
        + np.minimum((hsv[..., 1] * _SATURATION_BINS).astype(int), _SATURATION_BINS - 1)
    ) * _VALUE_BINS + np.minimum((hsv[..., 2] * _VALUE_BINS).astype(int), _VALUE_BINS - 1)
    n_bins = _HUE_BINS * _SATURATION_BINS * _VALUE_BINS
    return _histograms(bins.reshape(len(hsv), -1), None, n_bins)


def _histograms(codes, weights, n_bins):
    """Row-wise normalised histograms of integer codes (optionally weighted)."""
    n_rows = codes.shape[0]
    offsets = codes + n_bins * np.arange(n_rows)[:, None]
    counts = np.bincount(
        offsets.ravel(),
        weights=None if weights is None else weights.ravel(),
        minlength=n_rows * n_bins,
    ).reshape(n_rows, n_bins)
    return counts / (counts.sum(axis=1, keepdims=True) + _EPSILON)


def _orientation_histograms(grey):
    dy = np.zeros_like(grey)
    dx = np.zeros_like(grey)
    dy[:, 1:-1, :] = grey[:, 2:, :] - grey[:, :-2, :]
    dx[:, :, 1:-1] = grey[:, :, 2:] - grey[:, :, :-2]
    magnitude = np.hypot(dx, dy)
    angle = np.mod(np.arctan2(dy, dx), np.pi)
    bins = np.minimum((angle / np.pi * _ORIENTATION_BINS).astype(int), _ORIENTATION_BINS - 1)
    cells = [
        _histograms(
            _cells(bins, _GRADIENT_GRID)[:, k],
            _cells(magnitude, _GRADIENT_GRID)[:, k],
            _ORIENTATION_BINS,
        )
        for k in range(_GRADIENT_GRID**2)
    ]
    overall = _histograms(
        bins.reshape(len(grey), -1), magnitude.reshape(len(grey), -1), _ORIENTATION_BINS
    )
    return np.hstack([*cells, overall])


def _cells(values, grid):
    """Split (n, side, side) values into (n, grid * grid, cell_pixels) cells."""
    n, side = values.shape[0], values.shape[1]
    step = side // grid
    cells = values.reshape(n, grid, step, grid, step).transpose(0, 1, 3, 2, 4)
    return cells.reshape(n, grid * grid, step * step)


def _texture_histograms(grey):
    centre = grey[:, 1:-1, 1:-1]
    side = grey.shape[1]
    shifts = ((0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0))
    bits = np.stack(
        [grey[:, r : side - 2 + r, c : side - 2 + c] >= centre for r, c in shifts], axis=-1
    )
    ones = bits.sum(axis=-1)
    transitions = (bits != np.roll(bits, 1, axis=-1)).sum(axis=-1)
    codes = np.where(transitions <= 2, ones, _TEXTURE_BINS - 1)
    padded = np.pad(codes, ((0, 0), (1, 1), (1, 1)), mode="edge")
    cells = _cells(padded, _TEXTURE_GRID)
    return np.hstack(
        [_histograms(cells[:, k], None, _TEXTURE_BINS) for k in range(_TEXTURE_GRID**2)]
    )
