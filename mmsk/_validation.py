"""Input validation shared by every mmsk estimator and transformer."""

import warnings

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d
from sklearn_compat.utils.validation import validate_data

_ORDER_HINT = (
    "Pass the columns in the order seen during fit, for example X[estimator.feature_names_in_]."
)
_MISSING_HINT = (
    "Add the missing columns; a column whose values are unknown can be passed with every "
    "value missing (NaN), which the model treats as missing values."
)
_UNSEEN_HINT = (
    "Remove the columns not seen during fit, for example X[estimator.feature_names_in_]."
)
_MAX_LISTED = 5

#: Largest magnitude of a regression target, and inverse of the smallest spread of one
#: around its mean: squares of larger values overflow float64, of smaller ones underflow.
TARGET_LIMIT = 1e150


def check_frame(estimator, X, *, reset, required=None):
    """Validate ``X`` and return it as a DataFrame, keeping the user's column labels.

    Parameters
    ----------
    estimator : estimator instance
        The estimator being fitted or applied; ``n_features_in_`` and
        ``feature_names_in_`` are set on it when ``reset`` is True and checked against
        it otherwise. Column labels that are not strings (integers, tuples), which
        scikit-learn does not record, are recorded and checked the same way.
    X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
        The input. Arrays are wrapped in a DataFrame whose columns are the integer
        positions ``0 .. n_features - 1``, or the column labels seen during fit.
    reset : bool
        True in ``fit``, False in ``predict`` and ``transform``.
    required : dict or None, default=None
        At predict time, the column labels the estimator reads, each mapped to what
        reads it (``"modality 'text'"``). When given, a DataFrame fitted and applied
        with column labels is matched by label, as in
        :class:`~sklearn.compose.ColumnTransformer`: its columns may come in another
        order and columns not in ``required`` are ignored; a missing one is an error
        that names it and its reader. Without it, or for arrays, columns are matched
        by position.

    Returns
    -------
    frame : pandas.DataFrame
        ``X`` itself (or a shallow copy relabelled with the labels seen in fit, when
        it is matched by position) when it is a DataFrame, otherwise a DataFrame view
        of it.
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
        if not reset and required is not None and _fitted_with_labels(estimator):
            _check_required_columns(X, required, name)
            return X
        if not reset:
            _check_column_labels(estimator, X, name)
        frame = X
    else:
        array = check_array(
            X, dtype=None, ensure_all_finite=False, input_name="X", estimator=estimator
        )
        frame = pd.DataFrame(array)
    try:
        validate_data(estimator, X=X, skip_check_array=True, reset=reset)
    except ValueError as error:
        if "feature names should match" in str(error):
            raise ValueError(f"{str(error).rstrip()}\n{_feature_names_fix(error)}") from None
        raise
    if reset:
        _record_column_labels(estimator, X)
    else:
        frame = _align_labels_with_fit(estimator, frame, X)
    return frame


def _feature_names_fix(error):
    """The fix that goes with scikit-learn's feature-name mismatch error."""
    message = str(error)
    missing = "yet now missing" in message
    if "unseen at fit time" not in message:
        return _MISSING_HINT if missing else _ORDER_HINT
    return f"Remove the columns not seen during fit. {_MISSING_HINT}" if missing else _UNSEEN_HINT


def _record_column_labels(estimator, X):
    """Remember column labels that are not strings, which scikit-learn does not check.

    ``feature_names_in_`` only exists for DataFrames whose column labels are all
    strings. Without this record, a DataFrame with integer or tuple labels given in
    another order at predict time would silently be read by position.
    """
    labels = None
    if isinstance(X, pd.DataFrame) and not hasattr(estimator, "feature_names_in_"):
        labels = X.columns.tolist()
    estimator._column_labels_in = labels


def _check_column_labels(estimator, X, name):
    """Refuse a DataFrame whose non-string column labels differ from those of fit."""
    seen = getattr(estimator, "_column_labels_in", None)
    given = X.columns.tolist()
    if seen is None or given == seen:
        return
    unseen = [label for label in given if label not in seen]
    missing = [label for label in seen if label not in given]
    message = f"The column labels of X should match those passed to {name} during fit.\n"
    if unseen:
        message += "Column labels unseen at fit time:\n" + _listed(unseen)
    if missing:
        message += "Column labels seen at fit time, yet now missing:\n" + _listed(missing)
        fix = "Remove the columns not seen during fit. " if unseen else ""
        raise ValueError(message + fix + _MISSING_HINT)
    if not unseen:
        message += "Column labels must be in the same order as they were in fit.\n"
    shown = repr(seen) if len(seen) <= 2 * _MAX_LISTED else "labels_seen_during_fit"
    raise ValueError(f"{message}Select the columns seen during fit, in their order: X[{shown}].")


def _listed(labels):
    lines = [f"- {label!r}\n" for label in labels[:_MAX_LISTED]]
    if len(labels) > _MAX_LISTED:
        lines.append("- ...\n")
    return "".join(lines)


def _fitted_with_labels(estimator):
    return (
        hasattr(estimator, "feature_names_in_")
        or getattr(estimator, "_column_labels_in", None) is not None
    )


def _check_required_columns(X, required, name):
    present = set(X.columns.tolist())
    missing = [label for label in required if label not in present]
    if not missing:
        return
    listed = ", ".join(f"{label!r} (read by {required[label]})" for label in missing[:_MAX_LISTED])
    more = f" and {len(missing) - _MAX_LISTED} more" if len(missing) > _MAX_LISTED else ""
    raise ValueError(
        f"X is missing {len(missing)} column(s) that {name} was fitted on: {listed}{more}. "
        "Columns are matched by name; their order does not matter and other columns are "
        f"ignored. {_MISSING_HINT}"
    )


def _align_labels_with_fit(estimator, frame, X):
    """Label the columns of ``frame`` as during fit, so that labels select by position."""
    if hasattr(estimator, "feature_names_in_"):
        labels = estimator.feature_names_in_
    elif getattr(estimator, "_column_labels_in", None) is not None:
        labels = estimator._column_labels_in
    else:
        labels = pd.RangeIndex(frame.shape[1])
    if frame is X:
        if frame.columns.equals(pd.Index(labels)):
            return frame
        frame = frame.copy(deep=False)
    frame.columns = labels
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


def warn_if_reordered(X, values, name):
    """Warn when ``values`` is indexed by the labels of the index of ``X`` in another order.

    Like scikit-learn, mmsk pairs ``y``, ``sample_weight`` and ``groups`` with the rows
    of ``X`` by position. A pandas Series (or DataFrame) whose index holds the same
    labels as the index of ``X`` in a different order was most likely meant to be
    matched by label, which would silently pair rows wrongly; a warning says so. Indexes
    that share no labels (a default ``RangeIndex`` against another one) pass silently.

    Parameters
    ----------
    X : pandas.DataFrame or other
        The input table; nothing is checked unless it is a DataFrame.
    values : array-like
        The values given with ``X``; nothing is checked unless they carry an index.
    name : str
        What ``values`` is, for the message (``"y"``, ``"sample_weight"``).
    """
    index = getattr(values, "index", None)
    if not isinstance(X, pd.DataFrame) or not isinstance(index, pd.Index):
        return
    if len(index) != len(X.index) or index.equals(X.index):
        return
    if not (index.is_unique and X.index.is_unique and index.isin(X.index).all()):
        return
    warnings.warn(
        f"{name} is a pandas {type(values).__name__} whose index holds the same labels as "
        f"the index of X, in a different order. Like scikit-learn, mmsk pairs {name} with "
        f"the rows of X by position, not by index label: row i of X goes with "
        f"{name}.iloc[i]. If they belong together by label, pass {name}.loc[X.index] "
        "instead.",
        UserWarning,
        stacklevel=3,
    )


def check_target(estimator, y, n_samples, *, classification, X=None):
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
        Whether ``y`` holds class labels. Labels must be all strings or all numbers;
        a regression target must be numbers no larger in magnitude than
        :data:`TARGET_LIMIT`, constant or spread by at least its inverse.
    X : pandas.DataFrame or None, default=None
        The input table. ``y`` is used by position; when both carry an index with the
        same labels in a different order, a UserWarning says so (see
        :func:`warn_if_reordered`).

    Returns
    -------
    y : ndarray of shape (n_samples,)
    """
    name = type(estimator).__name__
    if y is None:
        raise ValueError(f"{name} requires y to be passed, but the target y is None.")
    warn_if_reordered(X, y, "y")
    y = column_or_1d(y, warn=True)
    if len(y) != n_samples:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: X has {n_samples} rows and "
            f"y has {len(y)} values."
        )
    if classification:
        _check_no_missing_labels(y)
        _check_label_types(name, y)
        check_classification_targets(y)
        return y
    return _check_regression_target(name, y)


def _first(mask):
    """How many entries of ``mask`` are set, and where the first one is."""
    return int(mask.sum()), int(np.flatnonzero(mask)[0])


def _check_no_missing_labels(y):
    missing = pd.isna(y)
    if missing.any():
        count, row = _first(missing)
        raise ValueError(
            f"Input y contains NaN: {count} of {len(y)} labels are missing (first at row "
            f"{row}). Drop those rows or fill their labels before fitting."
        )


def _check_label_types(name, y):
    """Refuse labels that mix strings with numbers (scikit-learn calls them 'unknown')."""
    if y.dtype != object:
        return
    is_text = np.fromiter((isinstance(label, (str, bytes)) for label in y), bool, len(y))
    if is_text.any() and not is_text.all():
        text, other = y[np.argmax(is_text)], y[np.argmax(~is_text)]
        raise TypeError(
            f"The labels y of {name} must be all strings or all numbers; got a mix, for "
            f"example {text!r} (row {int(np.argmax(is_text))}) and {other!r} of type "
            f"{type(other).__name__} (row {int(np.argmax(~is_text))}). Convert them to "
            "one type, for example with y.astype(str)."
        )


def _check_regression_target(name, y):
    try:
        values = check_array(
            y, ensure_2d=False, dtype="numeric", ensure_all_finite=False, input_name="y"
        )
    except (TypeError, ValueError):
        raise ValueError(
            f"The target y of {name} must be numeric; got {_first_non_number(y)}. A "
            "regressor predicts numbers: convert y to numbers, or use a classifier for "
            "class labels."
        ) from None
    values = values.astype(np.float64, copy=False)
    for problem, mask, fix in (
        ("NaN", np.isnan(values), "are missing"),
        ("infinity", np.isinf(values), "are infinite"),
    ):
        if mask.any():
            count, row = _first(mask)
            raise ValueError(
                f"Input y contains {problem}: {count} of {len(values)} target values {fix} "
                f"(first at row {row}). Drop those rows or set their target values before "
                "fitting."
            )
    too_large = np.abs(values) > TARGET_LIMIT
    if too_large.any():
        count, row = _first(too_large)
        raise ValueError(
            f"The target y of {name} has {count} values larger in magnitude than "
            f"{TARGET_LIMIT:g} (first at row {row}: {values[row]:g}); their squared "
            "errors overflow float64. Rescale y, for example divide it by a constant or "
            "wrap the model in sklearn.compose.TransformedTargetRegressor."
        )
    spread = float(np.max(np.abs(values - values.mean())))
    if 0 < spread < 1 / TARGET_LIMIT:
        raise ValueError(
            f"The target y of {name} varies by at most {spread:g} around its mean, less "
            f"than {1 / TARGET_LIMIT:g}; squared differences that small underflow "
            "float64, so the model cannot fit them. Rescale y, for example multiply it "
            "by a constant or wrap the model in "
            "sklearn.compose.TransformedTargetRegressor."
        )
    return values


def _first_non_number(y):
    for row, value in enumerate(y):
        try:
            float(value)
        except (TypeError, ValueError):
            value = value.item() if isinstance(value, np.generic) else value
            return f"{value!r} at row {row}"
    return f"values of dtype {y.dtype}"


def check_sample_weight(sample_weight, n_samples, *, X=None):
    """Validate ``sample_weight``: None, or finite non-negative with a positive sum.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
        Weights given to ``fit``.
    n_samples : int
        Number of rows of ``X``.
    X : pandas.DataFrame or None, default=None
        The input table; a reordered index warns as for ``y`` (see
        :func:`warn_if_reordered`).

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,) or None
    """
    if sample_weight is None:
        return None
    warn_if_reordered(X, sample_weight, "sample_weight")
    try:
        weights = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            "sample_weight must hold numbers; got "
            f"{_first_non_number(np.asarray(sample_weight, dtype=object).ravel())}."
        ) from None
    if weights.ndim == 0:
        weights = np.full(n_samples, float(weights))
    if weights.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},) to match X, got {weights.shape}."
        )
    not_finite = ~np.isfinite(weights)
    if not_finite.any():
        count, row = _first(not_finite)
        raise ValueError(
            f"sample_weight must be finite; got {count} NaN or infinite values (first at "
            f"row {row}: {weights[row]})."
        )
    if np.any(weights < 0):
        raise ValueError(
            f"sample_weight must be non-negative; got {int(np.sum(weights < 0))} "
            f"negative values (smallest {weights.min():g})."
        )
    if weights.sum() <= 0:
        raise ValueError("sample_weight must have a positive sum; every weight is zero.")
    return weights
