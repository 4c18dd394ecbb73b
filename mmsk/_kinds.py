"""Detection of column kinds and conversion of raw cells into analysable values.

A column's *kind* decides which modality it belongs to when modalities are detected
automatically, and how :class:`~mmsk.TabularEncoder` encodes it.
"""

import re

import numpy as np
import pandas as pd

from ._image_io import is_image_column

#: Every kind a column can be detected as.
COLUMN_KINDS = (
    "numeric",
    "categorical",
    "datetime",
    "text",
    "image",
    "identifier",
    "empty",
)

#: Kinds that the tabular modality takes when modalities are detected automatically.
TABULAR_KINDS = ("numeric", "categorical", "datetime")

_SAMPLE_SIZE = 2000
_PARSE_SHARE = 0.95
_TEXT_MIN_WORDS = 2.5
_TEXT_MIN_UNIQUE_SHARE = 0.3
_TEXT_LONG_WORDS = 8.0
_IDENTIFIER_MIN_ROWS = 20
_IDENTIFIER_MAGNITUDE = 1e9
_NUMBER_MAX_WORDS = 2.0
_DATE_MAX_WORDS = 5.0

_NUMBER_DECORATION = re.compile(r"[\s,%$€£¥_]")
_DATE_HINT = re.compile(r"\d{4}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}:\d{2}")


def detect_column_kinds(X):
    """Detect the kind of every column of a DataFrame.

    Parameters
    ----------
    X : pandas.DataFrame
        The table whose columns are inspected.

    Returns
    -------
    kinds : dict
        Maps each column label to one of ``"numeric"``, ``"categorical"``,
        ``"datetime"``, ``"text"``, ``"image"``, ``"identifier"`` or ``"empty"``.

    See Also
    --------
    detect_column_kind : The rule applied to one column.

    Examples
    --------
    >>> import pandas as pd
    >>> from mmsk import detect_column_kinds
    >>> X = pd.DataFrame({"age": [31, 45, 27], "city": ["Oslo", "Rome", "Oslo"]})
    >>> detect_column_kinds(X)
    {'age': 'numeric', 'city': 'categorical'}
    """
    return {column: detect_column_kind(X.iloc[:, i]) for i, column in enumerate(X.columns)}


def detect_column_kind(column):
    """Detect the kind of one column.

    Parameters
    ----------
    column : pandas.Series
        The column to inspect.

    Returns
    -------
    kind : str
        ``"empty"`` when every value is missing (NaN, None, NaT, an infinite number or
        a blank string); ``"datetime"`` for datetime dtypes and
        for strings that parse as dates; ``"numeric"`` for numbers and for strings that
        parse as numbers (``"13%"``, ``"$1,200"``); ``"image"`` for cells that are all
        images: paths ending in an image file extension that name existing files,
        bytes starting with an image format's magic number, PIL images or 2-D/3-D
        pixel arrays; ``"identifier"`` for integers or
        one-word strings that are unique in every row and look like row keys;
        ``"text"`` for strings of several words that rarely repeat; ``"categorical"``
        for every other column.

    Notes
    -----
    String columns are judged on at most 2,000 evenly spaced non-missing values, so
    detection costs the same on a million rows as on a few thousand (the whole column
    is read only when that sample holds blank strings).
    """
    values = column.dropna()
    if len(values) == 0:
        return "empty"
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "numeric"
    if pd.api.types.is_numeric_dtype(dtype):
        values = values[np.isfinite(values.to_numpy(dtype=np.float64))]
        if len(values) == 0:
            return "empty"
        return "identifier" if _looks_like_integer_key(values) else "numeric"
    return _detect_object_kind(values)


def _looks_like_integer_key(values):
    if not pd.api.types.is_integer_dtype(values.dtype) or len(values) < _IDENTIFIER_MIN_ROWS:
        return False
    if not values.is_unique:
        return False
    consecutive = int(values.max()) - int(values.min()) + 1 == len(values)
    huge = values.abs().min() >= _IDENTIFIER_MAGNITUDE
    return bool(consecutive or huge)


def _detect_object_kind(values):
    if is_image_column(_even_sample(values)):
        return "image"
    sample = _even_sample(values).map(cell_to_text)
    if _is_blank_text(sample).any():
        values = values[~_is_blank_text(values.map(cell_to_text))]
        if len(values) == 0:
            return "empty"
        sample = _even_sample(values).map(cell_to_text)
    mean_words = float(sample.str.split().str.len().mean())
    if mean_words < _NUMBER_MAX_WORDS and parse_numbers(sample).notna().mean() >= _PARSE_SHARE:
        return "numeric"
    if mean_words <= _DATE_MAX_WORDS and _parses_as_dates(sample):
        return "datetime"
    unique_share = sample.nunique() / len(sample)
    if mean_words >= _TEXT_LONG_WORDS or (
        mean_words >= _TEXT_MIN_WORDS and unique_share >= _TEXT_MIN_UNIQUE_SHARE
    ):
        return "text"
    if len(values) >= _IDENTIFIER_MIN_ROWS and _all_distinct(values) and mean_words < 1.5:
        return "identifier"
    return "categorical"


def _all_distinct(values):
    """Whether no two cells are equal; cells that cannot be hashed compare as text."""
    try:
        return values.is_unique
    except TypeError:
        return values.map(cell_to_text).is_unique


def _is_blank_text(texts):
    """Whether each string is empty or only white space."""
    return texts.str.strip().eq("").to_numpy(dtype=bool)


def _even_sample(values):
    if len(values) <= _SAMPLE_SIZE:
        return values
    positions = np.linspace(0, len(values) - 1, _SAMPLE_SIZE).astype(int)
    return values.iloc[positions]


def _parses_as_dates(sample):
    hinted = sample.str.contains(_DATE_HINT)
    if hinted.mean() < _PARSE_SHARE:
        return False
    return parse_dates(sample).notna().mean() >= _PARSE_SHARE


def cell_to_text(value):
    """Turn one cell into a string; missing values become the empty string.

    Parameters
    ----------
    value : object
        A cell: a string, ``None``, ``NaN``, a number, bytes, or a list of such.

    Returns
    -------
    text : str
        Bytes are decoded as UTF-8 (undecodable bytes replaced), lists and tuples are
        joined with spaces, and everything else goes through ``str``.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return " ".join(cell_to_text(item) for item in value)
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return ""
    return str(value)


def parse_numbers(values):
    """Parse numbers stored as text, such as ``"13%"``, ``"$1,200"`` or ``" 7.5 "``.

    Parameters
    ----------
    values : pandas.Series
        Strings or numbers.

    Returns
    -------
    numbers : pandas.Series of float
        The parsed values; NaN where a value is missing or is not a number. A percent
        sign is dropped, not divided by 100, so ``"13%"`` becomes ``13.0``.
    """
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype(float)
    text = values.map(cell_to_text, na_action="ignore").astype(object)
    stripped = text.str.replace(_NUMBER_DECORATION, "", regex=True)
    return pd.to_numeric(stripped, errors="coerce").astype(float)


def parse_dates(values):
    """Parse dates and timestamps stored as text into UTC timestamps.

    Parameters
    ----------
    values : pandas.Series
        Strings, datetimes or missing values.

    Returns
    -------
    dates : pandas.Series of datetime64[ns, UTC]
        NaT where a value is missing or cannot be read as a date.
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        dates = values
    else:
        text = values.map(cell_to_text, na_action="ignore").astype(object)
        dates = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
    if getattr(dates.dt, "tz", None) is None:
        return dates.dt.tz_localize("UTC")
    return dates.dt.tz_convert("UTC")
