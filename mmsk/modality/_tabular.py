"""Encoding of numeric, categorical and datetime columns into one dense numeric block.

Or, with ``encoding="native"``, into a table of numbers and category codes for estimators
that split on categories themselves (gradient-boosted trees).
"""

import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted
from sklearn_compat.base import _fit_context

from .._kinds import (
    cell_to_text,
    detect_column_kinds,
    infer_decimal_mark,
    parse_dates,
    read_numbers,
)
from .._names import unique_names
from .._validation import check_frame

_DATETIME_PARTS = ("year", "month", "day", "weekday", "hour", "days")
_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
_EXACT_INTEGERS = 2**53
_NUMBER_HINT = (
    " Numbers are read only when unambiguous: thousands separators need groups of "
    "three digits, and a decimal comma is used only when every number of the column "
    "written with a comma or a point agrees with it at fit time (see decimal_marks_)."
)


class TabularEncoder(TransformerMixin, BaseEstimator):
    """Encode numeric, categorical and datetime columns into one dense numeric block.

    Each column's kind is detected at fit time (see :func:`mmsk.detect_column_kinds`):

    - numeric columns, and numbers stored as text such as ``"13%"`` or ``"$1,200"``,
      are parsed, imputed with their median (with a missing-value indicator for every
      column that had missing values) and standardised; infinite values count as
      missing, and so do cells that are not numbers unambiguously (``"n/a"``,
      ``"1,5"`` in a column of decimal points, ``"(5)"``, ``[1, 2]``, ``1+2j``, a
      date), with a ``DataConversionWarning`` that names the column and the first
      such value; timedeltas are read as seconds; a column whose comma numbers all fit
      a decimal comma (``"1,5"``, ``"1.234,5"``) is read with one, decided at fit time
      (``decimal_marks_``; the rules are those of :func:`mmsk._kinds.parse_numbers`);
      finite values of any size are standardised without overflow;
    - datetime columns, and dates stored as text, become numeric parts (year, month,
      day, weekday, hour and days since 1970-01-01), then go the numeric way; values
      that are not dates count as missing, with a ``DataConversionWarning``;
    - every other column is categorical: one-hot encoded, levels seen fewer than
      ``min_frequency`` times grouped into one infrequent level, missing values
      (blank strings included) a level of their own, and levels unseen during fit
      encoded as the infrequent level (or all zeros when there is none);
    - columns that are entirely missing during fit are dropped.

    With ``encoding="native"`` the output is instead a DataFrame for estimators that
    handle missing values and categories themselves, such as
    :class:`~sklearn.ensemble.HistGradientBoostingClassifier` (whose default
    ``categorical_features="from_dtype"`` reads the codes as categories): numbers and
    datetime parts as they are (NaN where missing, not imputed, no indicators, not
    scaled), then one column per categorical column holding integer codes of the
    pandas ``category`` dtype: the frequent levels (at most ``max_categories``, and
    never more than 255, HistGradientBoosting's limit, infrequent level included) in
    order of frequency, then the infrequent level; missing cells stay missing, and an
    unseen level becomes the infrequent level (or missing when there is none). This is
    several times faster to fit than one-hot columns for trees, and as accurate.

    Generated feature names (datetime parts, missing-value indicators, one-hot levels)
    never shadow an input column nor repeat one another: a clashing name gets the
    first free suffix among ``"__2"``, ``"__3"``, ... (see
    :meth:`get_feature_names_out`).

    Parameters
    ----------
    min_frequency : int or float, default=5
        Categorical levels seen fewer times than this (a count, or a share of rows
        when a float in (0, 1)) are grouped into one infrequent level.
    max_categories : int or None, default=50
        Upper bound on the number of output columns per categorical column, the
        infrequent level included. None means no bound.
    scale : bool, default=True
        Whether numeric and datetime features are standardised (one-hot encoding
        only; trees need no scaling).
    encoding : {"auto", "one-hot", "native"}, default="auto"
        How categorical columns are encoded: ``"one-hot"`` into one dense numeric
        block, ``"native"`` into category codes in a DataFrame (see above). ``"auto"``
        is ``"one-hot"``, except that the per-modality fusion families (late,
        Bayesian-network, Markov-random-field) choose ``"native"`` for a tabular
        modality fed to their default HistGradientBoosting model.

    Attributes
    ----------
    column_kinds_ : dict
        The detected kind of each input column.
    numeric_columns_ : list
        Input columns encoded as numbers (numeric and numbers stored as text).
    datetime_columns_ : list
        Input columns expanded into datetime parts.
    categorical_columns_ : list
        Input columns encoded as categories (one-hot or codes).
    encoding_ : {"one-hot", "native"}
        The encoding used.
    dropped_columns_ : list
        Input columns dropped because they were entirely missing during fit.
    decimal_marks_ : dict
        The decimal mark (``"."`` or ``","``) with which each numeric column's numbers
        stored as text are read, decided during fit.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Input column names, when ``X`` had string column names.

    See Also
    --------
    TextVectorizer : TF-IDF features of free-text columns.
    mmsk.detect_column_kinds : The kind detection used here.

    Examples
    --------
    >>> import pandas as pd
    >>> from mmsk import TabularEncoder
    >>> X = pd.DataFrame({"age": [31, None, 27, 40], "alcohol": ["13%", "12%", "14%", None],
    ...                   "city": ["Oslo", "Rome", "Oslo", "Oslo"]})
    >>> encoder = TabularEncoder(min_frequency=1).fit(X)
    >>> encoder.get_feature_names_out().tolist()
    ['age', 'alcohol', 'age_missing', 'alcohol_missing', 'city_Oslo', 'city_Rome']
    >>> encoder.transform(X).shape
    (4, 6)
    """

    _parameter_constraints = {
        "min_frequency": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="neither"),
        ],
        "max_categories": [Interval(Integral, 2, None, closed="left"), None],
        "scale": ["boolean"],
        "encoding": [StrOptions({"auto", "one-hot", "native"})],
    }

    def __init__(self, *, min_frequency=5, max_categories=50, scale=True, encoding="auto"):
        self.min_frequency = min_frequency
        self.max_categories = max_categories
        self.scale = scale
        self.encoding = encoding

    def fit(self, X, y=None):
        """Detect each column's kind and learn its encoding.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The tabular columns.
        y : None
            Ignored.

        Returns
        -------
        self : TabularEncoder
            The fitted encoder.
        """
        self.fit_transform(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit the encoder and return the encoded block.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The tabular columns.
        y : None
            Ignored.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out) or pandas.DataFrame
            The encoded block (a DataFrame of numbers and category codes with
            ``encoding="native"``).
        """
        numbers, categories = self._fit(X)
        return self._assemble(numbers, categories, fitting=True)

    def transform(self, X):
        """Encode the tabular columns.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The tabular columns, with the same columns as during fit.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out) or pandas.DataFrame
            The encoded block (a DataFrame of numbers and category codes with
            ``encoding="native"``).
        """
        check_is_fitted(self, "column_kinds_")
        frame = check_frame(self, X, reset=False)
        return self._assemble(*self._split(frame), fitting=False)

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against the columns seen during fit, if given.

        Returns
        -------
        feature_names_out : ndarray of str objects
            Numeric columns under their own names, datetime parts as
            ``"{column}_{part}"``, the missing-value indicators as ``"{feature}_missing"``,
            then one column per categorical level as ``"{column}_{level}"`` (with
            ``encoding="native"``: the numeric features, then each categorical
            column under its own name). A
            generated name that equals an input column's name or an earlier feature's
            name gets the first free suffix among ``"__2"``, ``"__3"``, ..., so the
            names are unique and never shadow an input column.
        """
        check_is_fitted(self, "column_kinds_")
        _check_feature_names_in(self, input_features)
        numeric = [_name(column) for column in self.numeric_columns_]
        generated = list(self._datetime_part_names)
        if self._numeric_imputer is not None:
            generated.extend(self._indicator_names())
        if self._one_hot is not None:
            generated.extend(self._one_hot.get_feature_names_out())
        names = numeric + unique_names(generated, reserved=self._input_names())
        if self._codes is not None:
            names += [_name(column) for column in self.categorical_columns_]
        return np.asarray(names, dtype=object)

    def _input_names(self):
        return [_name(column) for column in self.column_kinds_]

    def _indicator_names(self):
        """``"{feature}_missing"`` for each numeric feature that had missing values in fit."""
        features = self._numeric_imputer.indicator_.features_
        return [f"{self._number_names[i]}_missing" for i in features]

    def _fit(self, X):
        frame = check_frame(self, X, reset=True)
        self.column_kinds_ = detect_column_kinds(frame)
        self._assign_columns()
        positions = {column: i for i, column in enumerate(self.column_kinds_)}
        self.decimal_marks_ = {
            column: infer_decimal_mark(frame.iloc[:, positions[column]])
            for column in self.numeric_columns_
        }
        self._datetime_part_names = unique_names(
            [f"{_name(c)}_{part}" for c in self.datetime_columns_ for part in _DATETIME_PARTS],
            reserved=self._input_names(),
        )
        self._number_names = [_name(c) for c in self.numeric_columns_]
        self._number_names += self._datetime_part_names
        numbers, categories = self._split(frame)
        self.encoding_ = "native" if self.encoding == "native" else "one-hot"
        if self.encoding_ == "native":
            self._numeric_imputer = self._scaler = self._magnitudes = self._one_hot = None
            self._codes = [self._fit_codes(categories[column]) for column in categories]
            return numbers, categories
        self._codes = None
        self._numeric_imputer = self._make_imputer(numbers)
        self._scaler = (
            _default_output(StandardScaler()) if (self.scale and numbers.shape[1]) else None
        )
        self._magnitudes = _power_of_two_magnitudes(numbers) if self._scaler else None
        self._one_hot = self._make_one_hot(categories)
        return numbers, categories

    def _fit_codes(self, levels):
        """The frequent levels of one categorical column, most frequent first."""
        counts = pd.Series(levels).value_counts(sort=True)
        least = self.min_frequency
        if isinstance(least, float):
            least = least * len(levels)
        frequent = counts[counts >= least]
        most = min(self.max_categories or MAX_NATIVE_CODES, MAX_NATIVE_CODES)
        grouped = len(frequent) < len(counts) or len(frequent) > most
        if grouped:
            frequent = frequent.iloc[: most - 1]
        # Plain lists and booleans: the fitted encoder stays storable in the skops format.
        return [str(level) for level in frequent.index], grouped

    def _assign_columns(self):
        kinds = self.column_kinds_
        self.numeric_columns_ = [c for c, k in kinds.items() if k == "numeric"]
        self.datetime_columns_ = [c for c, k in kinds.items() if k == "datetime"]
        self.dropped_columns_ = [c for c, k in kinds.items() if k == "empty"]
        taken = set(self.numeric_columns_) | set(self.datetime_columns_)
        taken |= set(self.dropped_columns_)
        self.categorical_columns_ = [c for c in kinds if c not in taken]

    def _split(self, frame):
        positions = {column: i for i, column in enumerate(self.column_kinds_)}
        numeric = [
            _parse_numeric_column(c, frame.iloc[:, positions[c]], self.decimal_marks_[c])
            for c in self.numeric_columns_
        ]
        for column in self.datetime_columns_:
            numeric.extend(_datetime_parts(column, frame.iloc[:, positions[column]]))
        categorical = {
            _name(c): _as_levels(frame.iloc[:, positions[c]]) for c in self.categorical_columns_
        }
        index = pd.RangeIndex(len(frame))
        numbers = pd.DataFrame(
            dict(zip(self._number_names, numeric)), index=index, columns=self._number_names
        )
        return numbers, pd.DataFrame(categorical, index=index)

    def _make_imputer(self, numbers):
        if numbers.shape[1] == 0:
            return None
        return _default_output(
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)
        )

    def _make_one_hot(self, categories):
        if categories.shape[1] == 0:
            return None
        return _default_output(
            OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                min_frequency=self.min_frequency,
                max_categories=self.max_categories,
                sparse_output=True,
                dtype=np.float64,
            )
        )

    def _assemble(self, numbers, categories, *, fitting):
        if self._codes is not None:
            return self._assemble_native(numbers, categories)
        encoded = None
        if self._numeric_imputer is not None:
            encoded = self._encode_numbers(numbers, fitting)
        if self._one_hot is None:
            return np.empty((len(numbers), 0)) if encoded is None else encoded
        one_hot = self._one_hot.fit_transform if fitting else self._one_hot.transform
        return _with_one_hot(encoded, one_hot(categories))

    def _assemble_native(self, numbers, categories):
        columns = {f"n{i}": numbers.iloc[:, i].to_numpy() for i in range(numbers.shape[1])}
        for i, (column, (levels, grouped)) in enumerate(zip(categories, self._codes)):
            columns[f"c{i}"] = _category_codes(categories[column], levels, grouped)
        out = pd.DataFrame(columns, index=pd.RangeIndex(len(numbers)))
        out.columns = self.get_feature_names_out()
        return out

    def _encode_numbers(self, numbers, fitting):
        magnitudes = getattr(self, "_magnitudes", None)
        if magnitudes is not None and np.any(magnitudes != 1.0):
            # Exact power-of-two rescaling: standardising gives the same values, but the
            # squares of huge values no longer overflow.
            numbers = numbers / magnitudes
        imputer = self._numeric_imputer
        imputed = imputer.fit_transform(numbers) if fitting else imputer.transform(numbers)
        if self._scaler is None:
            return imputed
        n_values = numbers.shape[1]
        values = imputed[:, :n_values]
        scaled = self._scaler.fit_transform(values) if fitting else self._scaler.transform(values)
        return np.hstack([scaled, imputed[:, n_values:]])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags


#: The most category codes of one column with ``encoding="native"``: HistGradientBoosting
#: accepts at most ``max_bins`` (255) categories per feature.
MAX_NATIVE_CODES = 255


def _category_codes(values, levels, grouped):
    """The codes of ``values`` among ``levels`` as a pandas Categorical.

    Missing cells stay missing; a level not in ``levels`` gets the infrequent code
    ``len(levels)`` when ``grouped``, and is missing otherwise.
    """
    codes = pd.Index(levels, dtype=object).get_indexer(pd.Index(values, dtype=object))
    unknown = (codes < 0) & pd.notna(values)
    if grouped:
        codes[unknown] = len(levels)
    return pd.Categorical.from_codes(codes, categories=range(len(levels) + grouped))


def _name(column):
    return column if isinstance(column, str) else str(column)


def _as_float(values):
    return values.replace([np.inf, -np.inf], np.nan).to_numpy(dtype=np.float64)


def _parse_numeric_column(column, values, decimal_mark):
    """The numbers of a numeric column; cells that are not numbers become NaN, with a warning."""
    reading = read_numbers(values, decimal_mark=decimal_mark)
    if reading.not_numbers.any():
        _warn_about_lost_values(column, "numeric", "numbers", values, reading.not_numbers)
    return _as_float(reading.numbers)


def _warn_about_lost_values(column, kind, expected, values, lost):
    """Warn that the ``lost`` values of a column, present but unreadable, become missing."""
    row = int(np.flatnonzero(lost)[0])
    hint = _NUMBER_HINT if kind == "numeric" else ""
    warnings.warn(
        f"TabularEncoder: {int(lost.sum())} of {len(values)} values of the {kind} "
        f"column {column!r} are not {expected} (first at row {row}: "
        f"{values.iloc[row]!r}); they are treated as missing values.{hint}",
        DataConversionWarning,
        stacklevel=3,
    )


def _power_of_two_magnitudes(numbers):
    """Per column, the largest power of two not above its largest finite magnitude.

    Only columns with values beyond 2**64 get a factor other than one.
    """
    values = numbers.to_numpy(dtype=np.float64)
    largest = np.where(np.isfinite(values), np.abs(values), 0.0).max(axis=0, initial=1.0)
    exponents = np.floor(np.log2(largest)).astype(int)
    return np.where(exponents > 64, np.ldexp(1.0, exponents), 1.0)


def _as_levels(values):
    """Each cell as the text of its level; missing and blank cells as NaN."""
    return np.array([_level(cell) for cell in values.to_numpy(dtype=object)], dtype=object)


def _level(cell):
    if pd.api.types.is_scalar(cell) and pd.isna(cell):
        return np.nan
    if _is_whole_float(cell):
        # 3.0 is the level of 3: an integer column with missing values arrives as floats.
        return str(int(cell))
    text = cell_to_text(cell)
    return text if text.strip() else np.nan


def _is_whole_float(cell):
    return (
        isinstance(cell, (float, np.floating))
        and abs(cell) < _EXACT_INTEGERS
        and float(cell).is_integer()
    )


def _datetime_parts(column, values):
    """The datetime parts of a column, in the order of ``_DATETIME_PARTS``."""
    dates = parse_dates(values)
    lost = dates.isna().to_numpy(dtype=bool)
    if lost.any():
        lost = lost & pd.notna(_as_levels(values))
    if lost.any():
        _warn_about_lost_values(column, "datetime", "dates", values, lost)
    parts = {
        "year": dates.dt.year,
        "month": dates.dt.month,
        "day": dates.dt.day,
        "weekday": dates.dt.day_of_week,
        "hour": dates.dt.hour,
        "days": (dates - _EPOCH).dt.total_seconds() / 86400.0,
    }
    return [parts[part].to_numpy(dtype=np.float64) for part in _DATETIME_PARTS]


def _with_one_hot(encoded, one_hot):
    """The numeric block and the sparse one-hot block side by side, as one dense array.

    The one-hot columns are written straight into the output, so the dense one-hot
    block never exists next to its copy.
    """
    n_rows = one_hot.shape[0]
    n_numeric = 0 if encoded is None else encoded.shape[1]
    out = np.zeros((n_rows, n_numeric + one_hot.shape[1]))
    if n_numeric:
        out[:, :n_numeric] = encoded
    one_hot = one_hot.tocsr()
    rows = np.repeat(np.arange(n_rows), np.diff(one_hot.indptr))
    out[rows, n_numeric + one_hot.indices] = one_hot.data
    return out


def _default_output(transformer):
    """An inner transformer whose output stays an array whatever the global config says.

    The encoder assembles its own output (and ``set_output`` wraps that); the pieces
    must not turn into DataFrames under ``set_config(transform_output="pandas")``.
    """
    return transformer.set_output(transform="default")
