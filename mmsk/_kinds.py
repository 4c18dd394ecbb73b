"""Detection of column kinds and conversion of raw cells into analysable values.

A column's *kind* decides which modality it belongs to when modalities are detected
automatically, and how :class:`~mmsk.TabularEncoder` encodes it.
"""

import datetime
import decimal
import numbers
import re
from typing import NamedTuple

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
        for strings that parse as dates; ``"numeric"`` for numbers (complex numbers
        excepted), timedeltas and for strings that parse as numbers unambiguously
        (``"13%"``, ``"$1,200"``, ``"1,5"`` in a column of decimal commas; see
        :func:`parse_numbers`); ``"image"`` for cells that are all
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
    if pd.api.types.is_complex_dtype(dtype):
        return _detect_object_kind(values.astype(object))
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
    cells = _even_sample(values)
    if is_image_column(cells):
        return "image"
    sample = cells.map(cell_to_text)
    if _is_blank_text(sample).any():
        values = values[~_is_blank_text(values.map(cell_to_text))]
        if len(values) == 0:
            return "empty"
        cells = _even_sample(values)
        sample = cells.map(cell_to_text)
    mean_words = float(sample.str.split().str.len().mean())
    if mean_words < _NUMBER_MAX_WORDS and _parses_as_numbers(cells):
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


def _parses_as_numbers(cells):
    """Whether nearly every cell is a number; cells are read as they are, not as text.

    Reading the cells themselves keeps lists, sets and bytes from passing as numbers
    (the text of ``[1, 234]`` is ``"1 234"``).
    """
    return parse_numbers(cells).notna().mean() >= _PARSE_SHARE


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


def parse_numbers(values, *, decimal_mark=None):
    """Parse numbers, and numbers stored as text such as ``"13%"`` or ``"$1,200"``.

    A value becomes a number only when it can be read as one unambiguously; any
    other value becomes NaN (see :func:`read_numbers`, which also says which values
    were not numbers, and the Notes for the exact rules).

    Parameters
    ----------
    values : pandas.Series
        Strings, numbers or any other cells.
    decimal_mark : {".", ","} or None, default=None
        The decimal mark of numbers stored as text. None infers it from ``values``
        (see :func:`infer_decimal_mark`).

    Returns
    -------
    numbers : pandas.Series of float
        The parsed values, with the index of ``values``; NaN where a value is missing
        or is not a number.

    See Also
    --------
    read_numbers : The same numbers, with the mask of the values that were not numbers.

    Notes
    -----
    Strings are read as follows (surrounding white space ignored):

    - digits with an optional sign (``+``, ``-`` or the Unicode minus ``"\u2212"``),
      decimal mark and exponent: ``"7.5"``, ``"-3"``, ``"+2"``, ``"1e3"``, ``".5"``;
      any script's decimal digits count (``"\uff11\uff12"``, full-width, is 12);
    - thousands separators (``,``, ``_``, a space, a no-break or thin space; ``.``
      when the decimal mark is ``,``) only between groups of exactly three digits
      after a first group of one to three, one kind of separator per value:
      ``"1,200"`` and ``"12,345,678.9"`` are numbers, ``"1,5"``, ``"1,50"`` and
      ``"1,2345"`` are not (unless the decimal mark is ``,``);
    - one currency sign (``$``, ``€``, ``£``, ``¥``) before or after the number, or a
      percent sign after it, which is dropped, not divided by 100: ``"13%"`` is 13;
    - ``"inf"``, ``"infinity"`` (with a sign) and ``"nan"``, in any case: infinity
      and a missing value.

    With ``decimal_mark=","`` the roles of ``.`` and ``,`` swap (``"1.234,5"`` is
    1234.5). Numbers are rounded to the nearest float, so one too small for a float
    becomes 0.

    Everything else is not a number: accounting negatives (``"(5)"``), trailing
    signs, numbers too large for a float (``"1e500"``), several numbers in one cell,
    words. Non-string cells: booleans are not numbers (a boolean *dtype* is read as
    0 and 1); integers, floats, :class:`~fractions.Fraction` and
    :class:`~decimal.Decimal` are numbers when a float holds them; timedeltas are
    read as seconds; complex numbers, dates, bytes, lists, tuples, sets, dicts and
    arrays are not numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> from mmsk._kinds import parse_numbers
    >>> parse_numbers(pd.Series(["13%", "$1,200", "2.5", "1,5", "(5)"])).tolist()
    [13.0, 1200.0, 2.5, nan, nan]
    >>> parse_numbers(pd.Series(["1,5", "1.234,5", "1,200"])).tolist()
    [1.5, 1234.5, 1.2]
    >>> parse_numbers(pd.Series(["1,5", "1,200"]), decimal_mark=".").tolist()
    [nan, 1200.0]
    """
    return read_numbers(values, decimal_mark=decimal_mark).numbers


class NumberReading(NamedTuple):
    """The result of :func:`read_numbers`."""

    #: pandas.Series of float: the numbers, NaN where a value is missing or not a number.
    numbers: pd.Series
    #: ndarray of bool: True where a value is present but is not a number.
    not_numbers: np.ndarray
    #: str: the decimal mark used for numbers stored as text, ``"."`` or ``","``.
    decimal_mark: str


def read_numbers(values, *, decimal_mark=None):
    """Read numbers as :func:`parse_numbers` does, and say which values were not numbers.

    Parameters
    ----------
    values : pandas.Series
        Strings, numbers or any other cells.
    decimal_mark : {".", ","} or None, default=None
        The decimal mark of numbers stored as text. None infers it from ``values``.

    Returns
    -------
    reading : NumberReading
        ``numbers`` (a Series of float with the index of ``values``), ``not_numbers``
        (a boolean array, True where a value is present, not blank, and not a number)
        and the ``decimal_mark`` used.
    """
    if decimal_mark is None:
        decimal_mark = infer_decimal_mark(values)
    if decimal_mark not in _BODY_PATTERNS:
        raise ValueError(f"decimal_mark must be '.', ',' or None; got {decimal_mark!r}.")
    numbers, not_numbers = _read_column(values, decimal_mark)
    return NumberReading(pd.Series(numbers, index=values.index), not_numbers, decimal_mark)


def infer_decimal_mark(values):
    """The decimal mark of the numbers stored as text in a column.

    The mark is ``","`` when some string of ``values`` is a number only with a
    decimal comma (``"1,5"``, ``"1.234,5"``) and none is a number only with a decimal
    point (``"1.5"``, ``"1,234.5"``, ``"1,234,567"``); otherwise it is ``"."``.
    Strings that read as a number either way (``"1,234"``, ``"1.234"``) decide
    nothing: they follow the column.

    Parameters
    ----------
    values : pandas.Series
        Strings, numbers or any other cells; only strings are looked at.

    Returns
    -------
    decimal_mark : {".", ","}
    """
    comma_only = False
    for text in _distinct_strings_with_marks(values):
        as_point = _is_number(_read_text(text, "."))
        as_comma = _is_number(_read_text(text, ","))
        if as_point and not as_comma:
            return "."
        comma_only |= as_comma and not as_point
    return "," if comma_only else "."


def _distinct_strings_with_marks(values):
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_datetime64_any_dtype(
        values.dtype
    ):
        return set()
    cells = values.to_numpy(dtype=object)
    return {cell for cell in cells if isinstance(cell, str) and ("," in cell or "." in cell)}


_MISSING = (np.nan, False)
_NOT_A_NUMBER = (np.nan, True)
_UNICODE_MINUS = str.maketrans({"\u2212": "-"})
_SPECIAL_NUMBER = re.compile(r"([+-]?)(inf|infinity|nan)", re.IGNORECASE)
_DECORATED_NUMBER = re.compile(
    r"(?P<sign>[+-]?)(?P<before>[$€£¥]?)\s*(?P<late_sign>[+-]?)"
    r"(?P<body>[\d.,].*?)\s*(?P<after>[%$€£¥]?)"
)
_SPACES = "\u00a0\u202f\u2009 "


def _body_pattern(mark, separators):
    mark = re.escape(mark)
    exponent = r"(?:[eE][+-]?\d+)?"
    plain = rf"(?:\d+(?:{mark}\d*)?|{mark}\d+){exponent}"
    group = (
        rf"\d{{1,3}}(?P<sep>[{re.escape(separators)}])\d{{3}}(?:(?P=sep)\d{{3}})*(?:{mark}\d+)?"
    )
    return re.compile(rf"{plain}|{group}")


_BODY_PATTERNS = {
    ".": _body_pattern(".", ",_" + _SPACES),
    ",": _body_pattern(",", "._" + _SPACES),
}


def _is_number(reading):
    value, not_a_number = reading
    return not not_a_number and value == value


def _read_column(values, decimal_mark):
    """The float of every value and whether it was present but not a number."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) or (
        pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)
    ):
        return values.to_numpy(dtype=np.float64, na_value=np.nan), np.zeros(len(values), bool)
    if pd.api.types.is_timedelta64_dtype(dtype):
        return values.dt.total_seconds().to_numpy(dtype=np.float64), np.zeros(len(values), bool)
    if pd.api.types.is_complex_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return np.full(len(values), np.nan), values.notna().to_numpy(dtype=bool)
    cells = values.to_numpy(dtype=object)
    numbers = np.empty(len(cells))
    not_numbers = np.zeros(len(cells), dtype=bool)
    cache = {}
    for i, cell in enumerate(cells):
        if isinstance(cell, str):
            if cell not in cache:
                cache[cell] = _read_text(cell, decimal_mark)
            numbers[i], not_numbers[i] = cache[cell]
        else:
            numbers[i], not_numbers[i] = _read_cell(cell)
    return numbers, not_numbers


def _read_cell(cell):
    """Read a cell that is not a string: ``(value, is_not_a_number)``."""
    if isinstance(cell, decimal.Decimal):
        return _MISSING if cell.is_nan() else _finite_or_not_a_number(cell)
    if pd.api.types.is_scalar(cell) and pd.isna(cell):
        return _MISSING
    if isinstance(cell, (bool, np.bool_, complex, np.complexfloating)):
        return _NOT_A_NUMBER
    if isinstance(cell, (datetime.timedelta, np.timedelta64)):
        return pd.Timedelta(cell).total_seconds(), False
    if isinstance(cell, numbers.Real):
        return _finite_or_not_a_number(cell)
    return _NOT_A_NUMBER


def _finite_or_not_a_number(number):
    """A real number as a float; one too large for a float is not a number."""
    try:
        value = float(number)
    except (OverflowError, ValueError):
        return _NOT_A_NUMBER
    if np.isinf(value) and not _is_infinite(number):
        return _NOT_A_NUMBER
    return value, False


def _is_infinite(number):
    try:
        return bool(np.isinf(number))
    except (TypeError, OverflowError):
        return isinstance(number, decimal.Decimal) and number.is_infinite()


def _read_text(text, decimal_mark):
    """Read one string: ``(value, is_not_a_number)``."""
    text = text.strip()
    if not text:
        return _MISSING
    if "\u2212" in text:
        text = text.translate(_UNICODE_MINUS)
    special = _SPECIAL_NUMBER.fullmatch(text) if text[-1].isalpha() else None
    if special is not None:
        sign, word = special.groups()
        if word.lower() == "nan":
            return _MISSING
        return (-np.inf if sign == "-" else np.inf), False
    match = _DECORATED_NUMBER.fullmatch(text)
    if match is None or (match["sign"] and match["late_sign"]):
        return _NOT_A_NUMBER
    if match["before"] and match["after"]:
        return _NOT_A_NUMBER
    body = _BODY_PATTERNS[decimal_mark].fullmatch(match["body"])
    if body is None:
        return _NOT_A_NUMBER
    digits = match["body"]
    if body["sep"]:
        digits = digits.replace(body["sep"], "")
    value = float(digits.replace(decimal_mark, "."))
    if np.isinf(value):
        return _NOT_A_NUMBER
    return (-value if "-" in (match["sign"], match["late_sign"]) else value), False


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
