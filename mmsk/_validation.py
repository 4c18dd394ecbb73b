"""Input validation shared by every mmsk estimator and transformer."""

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d
from sklearn_compat.utils.validation import validate_data

_ORDER_HINT = (
    " Pass the columns in the order seen during fit, for example X[estimator.feature_names_in_]."
)


def check_frame(estimator, X, *, reset):
    """Validate ``X`` and return it as a DataFrame, keeping the user's column labels.

    Parameters
    ----------
    estimator : estimator instance
        The estimator being fitted or applied; ``n_features_in_`` and
        ``feature_names_in_`` are set on it when ``reset`` is True and checked against
        it otherwise.
    X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
        The input. Arrays are wrapped in a DataFrame whose columns are the integer
        positions ``0 .. n_features - 1``.
    reset : bool
        True in ``fit``, False in ``predict`` and ``transform``.

    Returns
    -------
    frame : pandas.DataFrame
        ``X`` itself when it is a DataFrame, otherwise a DataFrame view of it.
    """
    name = type(estimator).__name__
    if sparse.issparse(X):
        raise TypeError(
            f"{name} does not accept sparse input X (got {type(X).__name__}): it needs "
            "the columns of each modality by name or position. Pass a dense array "
            "(X.toarray()) or a pandas DataFrame."
        )
    if isinstance(X, pd.DataFrame):
        _check_frame_shape(X, name)
        _check_unique_columns(X, name)
        frame = X
    else:
        array = check_array(
            X, dtype=None, ensure_all_finite=False, input_name="X", estimator=estimator
        )
        frame = pd.DataFrame(array)
    try:
        validate_data(estimator, X=X, skip_check_array=True, reset=reset)
    except ValueError as error:
        if "same order" in str(error):
            raise ValueError(f"{str(error).rstrip()}\n{_ORDER_HINT}") from None
        raise
    if not reset:
        frame = _align_labels_with_fit(estimator, frame, X)
    return frame


def _align_labels_with_fit(estimator, frame, X):
    """Label the columns of an array as during fit when fit saw a DataFrame."""
    if hasattr(estimator, "feature_names_in_") and frame is not X:
        frame.columns = estimator.feature_names_in_
    return frame


def _check_frame_shape(X, name):
    n_samples, n_features = X.shape
    if n_samples < 1:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is "
            f"required by {name}."
        )
    if n_features < 1:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={X.shape}) while a minimum of 1 is "
            f"required by {name}."
        )


def _check_unique_columns(X, name):
    duplicated = X.columns[X.columns.duplicated()].unique().tolist()
    if duplicated:
        raise ValueError(
            f"X passed to {name} has duplicated column names {duplicated}; every column "
            "needs a unique name so that each modality can select it. Rename them, "
            "for example with X.columns = [...]."
        )


def check_target(estimator, y, n_samples, *, classification):
    """Validate ``y``: 1-D, as long as ``X``, finite, and for classifiers, classes.

    Parameters
    ----------
    estimator : estimator instance
        The estimator being fitted; its name appears in error messages.
    y : array-like of shape (n_samples,)
        The target.
    n_samples : int
        Number of rows of ``X``.
    classification : bool
        Whether ``y`` holds class labels.

    Returns
    -------
    y : ndarray of shape (n_samples,)
    """
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None."
        )
    y = column_or_1d(y, warn=True)
    if len(y) != n_samples:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: X has {n_samples} rows and "
            f"y has {len(y)} values."
        )
    if classification:
        _check_no_missing_labels(y)
        check_classification_targets(y)
    else:
        y = check_array(y, ensure_2d=False, dtype="numeric", input_name="y")
        y = y.astype(np.float64, copy=False)
    return y


def _check_no_missing_labels(y):
    missing = pd.isna(y)
    if missing.any():
        raise ValueError(
            f"Input y contains NaN: {int(missing.sum())} of {len(y)} labels are missing "
            f"(first at row {int(np.flatnonzero(missing)[0])}). Drop those rows or fill "
            "their labels before fitting."
        )


def check_sample_weight(sample_weight, n_samples):
    """Validate ``sample_weight``: None, or finite non-negative with a positive sum.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
        Weights given to ``fit``.
    n_samples : int
        Number of rows of ``X``.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,) or None
    """
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.ndim == 0:
        weights = np.full(n_samples, float(weights))
    if weights.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},) to match X, got {weights.shape}."
        )
    if not np.all(np.isfinite(weights)):
        raise ValueError("sample_weight must be finite; got NaN or infinite values.")
    if np.any(weights < 0):
        raise ValueError(
            f"sample_weight must be non-negative; got {int(np.sum(weights < 0))} "
            f"negative values (smallest {weights.min():g})."
        )
    if weights.sum() <= 0:
        raise ValueError("sample_weight must have a positive sum; every weight is zero.")
    return weights
