"""Bad-input catalogue of cell values: nothing is silently read as a different value.

Each case ends in a named outcome that the test asserts: a value parsed to the number
a human reads, a missing value with a DataConversionWarning that names the column and
an example, or a kind other than numeric. The cases run through
``mmsk._kinds.parse_numbers``/``detect_column_kinds`` and through the public
estimators TabularEncoder, TextVectorizer, ModalityUnion, EarlyFusionClassifier and
LateFusionClassifier.

Numbers stored as text (``parse_numbers``; TabularEncoder warns "<k> of <n> values of
the numeric column '<column>' are not numbers (first at row <r>: <value>); they are
treated as missing values. Numbers are read only when unambiguous ..."):

- thousands-groups: "1,200", "12,345,678.9", "£1 000", "1\\u00a0000" (NBSP), "1_000"
  -> parsed: 1200, 12345678.9, 1000, 1000, 1000.
- bad-groups: "1,5", "1,50", "1,2345", "1,000,00", "1 2" in a column with decimal
  points -> missing, with the warning (never 15, 150, 12345 ...).
- decimal-comma-column: a column whose comma numbers all fit a decimal comma
  ("1,5", "2,25", "1.234,5") -> parsed as 1.5, 2.25, 1234.5; TabularEncoder records
  ``decimal_marks_ == {column: ","}`` at fit and keeps it at transform ("1,234" is
  1.234 there, "1.5" missing with the warning).
- mixed-decimal-marks: "1,5" next to "2.5" -> "." wins, "1,5" missing with the
  warning.
- european-in-point-column: "3.141,59" among decimal points -> missing with the
  warning (never 3.14159).
- signs: "+5", "\\u22125" (Unicode minus), "$-5", "-$5", " 7.5 " -> 5, -5, -5, -5,
  7.5; "5-", "--5", "(5)" (accounting negative) -> missing with the warning.
- digits-of-other-scripts: "\\uff11\\uff12" (full-width), "\\u0663" (Arabic-Indic)
  -> 12, 3.
- overflow: "1e500", a 400-digit string, the integer 10**400 -> missing with the
  warning (never inf); "inf", "-Infinity" -> infinity (TabularEncoder: missing,
  like every infinite value, without a warning); "nan" -> missing, no warning.
- decorations: "13%" -> 13 (the percent sign is dropped); "5 €" -> 5; "$5%" -> missing.
- non-string-numbers: numpy scalars, Decimal, Fraction -> their value; timedeltas ->
  seconds.
- not-numbers: bytes (b"5"), lists ([1, 2]), tuples, sets, dicts, 1-D arrays,
  complex numbers (1+2j, even 3+0j), booleans in an object column, timestamps ->
  missing with the warning (never 12 for [1, 2], never 1 for 1+2j); a boolean
  *dtype* is read as 0 and 1.

Kind detection (``detect_column_kinds`` and the fusion estimators' "auto" spec):

- list-cells: a column of lists of numbers ([1, 234], [5]) -> categorical, not
  numeric (their text "1 234" is not read as 1234).
- dict-cells / set-cells / vector-cells: unhashable cells -> categorical (their
  text); fit and predict of EarlyFusionClassifier and LateFusionClassifier work.
- complex-dtype: a complex128 column -> not numeric (categorical).
- decimal-comma-detection: a column of decimal-comma strings -> numeric.
- image-arrays: pixel arrays in cells stay an image column.

Generated feature names (unique, never shadowing an input column; values intact):

- datetime-part-vs-column: datetime column "d" next to a numeric "d_year" -> the real
  "d_year" keeps its name and values, the year part is "d_year__2".
- indicator-vs-column: "a" with NaNs next to a real "a_missing" -> the indicator is
  "a_missing__2".
- one-hot-vs-column: category "x" of "c" next to a numeric "c_x" -> "c_x__2".
- tfidf-terms: TextVectorizer on columns "a" (word "b__c") and "a__b" (word "c")
  -> "a__b__c" and "a__b__c__2".
- presence-vs-feature: ModalityUnion whose tabular block has a feature "present"
  and a presence indicator -> "tabular__present" and "tabular__present__2".

Predict-time dtype surprises (TabularEncoder fitted on a float, a string and a
datetime column; the same through EarlyFusionClassifier and LateFusionClassifier):

- numeric column <- all NaT, datetimes, complex -> missing (datetimes and complex
  values with the warning); <- timedeltas -> seconds; <- bool, "boolean" -> 0 and 1;
  <- Int64, "string", category of numeric strings -> their numbers.
- categorical column <- integers, floats with NaN (3.0 is the level "3"), NaT,
  timedeltas -> their levels (unseen levels as usual).
- datetime column <- numbers, timedeltas, booleans, dicts -> missing, with
  DataConversionWarning "<k> of <n> values of the datetime column 'd' are not dates
  (first at row <r>: <value>); they are treated as missing values".
"""

import decimal
import fractions
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import DataConversionWarning

from mmsk import (
    EarlyFusionClassifier,
    LateFusionClassifier,
    ModalityUnion,
    TabularEncoder,
    TextVectorizer,
    detect_column_kinds,
)
from mmsk._kinds import detect_column_kind, parse_numbers, read_numbers

NOT_NUMBERS = r"values of the numeric column 'p' are not numbers \(first at row 0: "


def _parsed(cells, **params):
    return parse_numbers(pd.Series(cells, dtype=object), **params).tolist()


def _encode(fit_cells, transform_cells=None):
    """Unscaled numbers of column 'p' after fit (or after transform of other cells)."""
    encoder = TabularEncoder(scale=False).fit(pd.DataFrame({"p": pd.Series(fit_cells)}))
    cells = fit_cells if transform_cells is None else transform_cells
    return encoder, encoder.transform(pd.DataFrame({"p": pd.Series(cells, dtype=object)}))


def _assert_same(actual, expected):
    np.testing.assert_array_equal(np.asarray(actual, dtype=float), expected)


# ----------------------------------------------------------- numbers stored as text


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1,200", 1200.0),
        ("12,345,678.9", 12345678.9),
        ("£1 000", 1000.0),
        ("1\u00a0000", 1000.0),
        ("1\u202f000,5", np.nan),
        ("1_000", 1000.0),
        ("+5", 5.0),
        ("\u22125", -5.0),
        ("$-5", -5.0),
        ("-$5", -5.0),
        (" 7.5 ", 7.5),
        ("13%", 13.0),
        ("5 €", 5.0),
        ("\uff11\uff12", 12.0),
        ("\u0663", 3.0),
        ("inf", np.inf),
        ("-Infinity", -np.inf),
        (".5", 0.5),
    ],
)
def test_numbers_read_as_a_human_reads_them(cell, expected):
    # Filler cells with decimal points keep the column's decimal mark ".".
    _assert_same(_parsed([cell, "0.5"])[:1], [expected])


@pytest.mark.parametrize(
    "cell",
    [
        "1,5",
        "1,50",
        "1,2345",
        "1,000,00",
        "1 2",
        "3.141,59",
        "5-",
        "--5",
        "(5)",
        "$5%",
        "1e500",
        "9" * 400,
        "0x10",
        "1+2j",
        "five",
    ],
)
def test_ambiguous_or_invalid_strings_are_missing_with_a_warning(cell):
    reading = read_numbers(pd.Series([cell, "0.5"], dtype=object))
    assert np.isnan(reading.numbers.iloc[0])
    assert reading.not_numbers.tolist() == [True, False]
    with pytest.warns(DataConversionWarning, match=NOT_NUMBERS + "'"):
        _, output = _encode([0.5, np.nan], [cell, "0.5"])
    np.testing.assert_array_equal(output[:, 1], [1.0, 0.0])


@pytest.mark.parametrize("cell", ["nan", "NaN", "", "   "])
def test_missing_markers_are_missing_without_a_warning(cell):
    reading = read_numbers(pd.Series([cell, "0.5"], dtype=object))
    assert np.isnan(reading.numbers.iloc[0])
    assert not reading.not_numbers.any()


def test_decimal_comma_column_read_consistently_at_fit_and_transform():
    cells = ["1,5", "2,25", "1.234,5", "3"]
    assert _parsed(cells) == [1.5, 2.25, 1234.5, 3.0]
    encoder, output = _encode(cells)
    assert encoder.decimal_marks_ == {"p": ","}
    np.testing.assert_array_equal(output[:, 0], [1.5, 2.25, 1234.5, 3.0])
    with pytest.warns(DataConversionWarning, match=NOT_NUMBERS + r"'1\.5'"):
        _, later = _encode(cells, ["1.5", "1,234"])
    np.testing.assert_array_equal(later[1, 0], 1.234)


def test_mixed_decimal_marks_keep_the_point_and_lose_the_comma():
    cells = ["1,5"] + ["2.5", "3.5"] * 10
    assert np.isnan(_parsed(cells)[0])
    with pytest.warns(DataConversionWarning, match=NOT_NUMBERS + "'1,5'"):
        encoder, output = _encode(cells)
    assert encoder.decimal_marks_ == {"p": "."}
    np.testing.assert_array_equal(output[1:3, 0], [2.5, 3.5])


def test_thousands_commas_stay_thousands_without_decimal_comma_evidence():
    assert _parsed(["1,234", "12,000"]) == [1234.0, 12000.0]
    assert _parsed(["1.234", "12.5"]) == [1.234, 12.5]


# ------------------------------------------------------------- cells of other types


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (np.int8(-3), -3.0),
        (np.float32(2.5), 2.5),
        (np.uint64(2**63), 2.0**63),
        (decimal.Decimal("1.25"), 1.25),
        (decimal.Decimal("NaN"), np.nan),
        (fractions.Fraction(1, 4), 0.25),
        (pd.Timedelta("1min"), 60.0),
        (np.timedelta64(2, "s"), 2.0),
        (10**20, 1e20),
    ],
)
def test_numbers_of_other_types_keep_their_value(cell, expected):
    reading = read_numbers(pd.Series([cell], dtype=object))
    _assert_same(reading.numbers, [expected])
    assert not reading.not_numbers.any()


@pytest.mark.parametrize(
    "cell",
    [
        b"5",
        [1, 2],
        (1, 2),
        {1, 2},
        {"x": 1},
        np.arange(2),
        1 + 2j,
        3 + 0j,
        np.complex64(1),
        True,
        np.bool_(False),
        pd.Timestamp("2020-01-01"),
        10**400,
        decimal.Decimal("1e500"),
    ],
    ids=lambda cell: type(cell).__name__,
)
def test_values_that_are_not_real_numbers_are_missing_with_a_warning(cell):
    reading = read_numbers(pd.Series([cell, 1.0], dtype=object))
    assert np.isnan(reading.numbers.iloc[0])
    assert reading.not_numbers.tolist() == [True, False]
    with pytest.warns(DataConversionWarning, match=NOT_NUMBERS):
        _, output = _encode([1.0, np.nan], [cell, 1.0])
    np.testing.assert_array_equal(output, [[1.0, 1.0], [1.0, 0.0]])


def test_boolean_dtype_is_read_as_zero_and_one():
    assert parse_numbers(pd.Series([True, False])).tolist() == [1.0, 0.0]
    _assert_same(parse_numbers(pd.Series([True, None], dtype="boolean")), [1.0, np.nan])


# --------------------------------------------------------------------- kind detection


@pytest.mark.parametrize(
    "cells",
    [
        [[1, 234], [5]],
        [(1, 234), (5,)],
        [{1, 234}, {5}],
        [{"x": 1}, {"y": 2}],
        [np.arange(3.0), np.arange(4.0)],
        [b"12", b"34"],
    ],
    ids=["lists", "tuples", "sets", "dicts", "vectors", "bytes"],
)
def test_container_cells_are_not_a_numeric_column(cells):
    column = pd.Series(cells * 15, dtype=object)
    assert detect_column_kind(column) == "categorical"
    assert detect_column_kinds(pd.DataFrame({"a": column})) == {"a": "categorical"}


def test_complex_dtype_is_not_numeric():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert detect_column_kind(pd.Series([1 + 2j, 3 + 0j] * 5)) == "categorical"


def test_decimal_comma_strings_are_numeric():
    assert detect_column_kind(pd.Series(["1,5", "2,25", "10,75", "3"] * 5)) == "numeric"


def test_pixel_arrays_stay_images():
    column = pd.Series([np.zeros((8, 8, 3), np.uint8)] * 20, dtype=object)
    assert detect_column_kind(column) == "image"


def _frame_with(column, n=40):
    rng = np.random.default_rng(0)
    y = np.tile([0, 1], n // 2)
    return pd.DataFrame({"x": rng.normal(size=n) + y, "odd": (column * n)[:n]}), y


@pytest.mark.parametrize(
    "cells",
    [[{"x": 1}, {"y": 2}], [{1, 2}, {3}], [[1, 2], [3]], [1 + 2j, 2 + 0j]],
    ids=["dicts", "sets", "lists", "complex"],
)
@pytest.mark.parametrize("estimator", [EarlyFusionClassifier, LateFusionClassifier])
def test_fusion_estimators_fit_and_predict_odd_cells(estimator, cells):
    X, y = _frame_with(cells)
    model = estimator().fit(X, y)
    assert model.column_kinds_["odd"] == "categorical"
    assert set(model.predict(X)) <= {0, 1}


# -------------------------------------------------------------- generated feature names


def test_datetime_part_never_overwrites_a_real_column():
    X = pd.DataFrame(
        {"d": pd.date_range("2020-01-01", periods=4, freq="400D"), "d_year": [1.0, 2, 3, 4]}
    )
    encoder = TabularEncoder(scale=False)
    output = encoder.fit_transform(X)
    names = encoder.get_feature_names_out().tolist()
    assert names[:2] == ["d_year", "d_year__2"]
    assert len(set(names)) == len(names)
    np.testing.assert_array_equal(output[:, names.index("d_year")], [1, 2, 3, 4])
    np.testing.assert_array_equal(output[:, names.index("d_year__2")], [2020, 2021, 2022, 2023])


def test_missing_indicator_never_duplicates_a_real_column():
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0], "a_missing": [7.0, 8.0, 9.0]})
    encoder = TabularEncoder(scale=False)
    output = encoder.fit_transform(X)
    assert encoder.get_feature_names_out().tolist() == ["a", "a_missing", "a_missing__2"]
    np.testing.assert_array_equal(output[:, 1], [7, 8, 9])
    np.testing.assert_array_equal(output[:, 2], [0, 1, 0])


def test_one_hot_level_never_shadows_a_real_column():
    X = pd.DataFrame({"c": ["x", "y", "x"], "c_x": [1.0, 2.0, 3.0]})
    encoder = TabularEncoder(min_frequency=1, scale=False)
    output = encoder.fit_transform(X)
    assert encoder.get_feature_names_out().tolist() == ["c_x", "c_x__2", "c_y"]
    np.testing.assert_array_equal(output, [[1, 1, 0], [2, 0, 1], [3, 1, 0]])


def test_tfidf_names_unique_across_columns():
    X = pd.DataFrame({"a": ["b__c x", "y z"] * 3, "a__b": ["c d", "e f"] * 3})
    names = TextVectorizer(ngram_range=(1, 1)).fit(X).get_feature_names_out().tolist()
    assert "a__b__c" in names and "a__b__c__2" in names
    assert len(set(names)) == len(names)


def test_presence_indicator_never_duplicates_a_feature():
    X = pd.DataFrame(
        {
            "present": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0],
            "t": ["hello world", "foo bar", "baz qux", None, "x y", "z w"],
        }
    )
    union = ModalityUnion([("tabular", TabularEncoder(), ["present"]), ("text", "auto", ["t"])])
    names = union.fit(X).get_feature_names_out().tolist()
    assert names[:2] == ["tabular__present", "tabular__present_missing"]
    assert names[-2:] == ["tabular__present__2", "text__present"]
    assert len(set(names)) == len(names)


# ----------------------------------------------------------- dtype surprises at predict


def _fitted_encoder():
    X = pd.DataFrame(
        {
            "p": [1.5, 2.5, np.nan, 4.5],
            "c": pd.Series(["3", "4", "3", "4"], dtype="category"),
            "d": pd.date_range("2020-01-01", periods=4),
        }
    )
    return X, TabularEncoder(min_frequency=1, scale=False).fit(X)


N = 4


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (pd.Series([pd.NaT] * N), [np.nan] * N),
        (pd.Series(pd.to_timedelta([1, 2, 3, 4], unit="s")), [1, 2, 3, 4]),
        (pd.Series([True, False, True, False]), [1, 0, 1, 0]),
        (pd.Series([True, None, True, False], dtype="boolean"), [1, np.nan, 1, 0]),
        (pd.Series([1, None, 3, 4], dtype="Int64"), [1, np.nan, 3, 4]),
        (pd.Series(["1", None, "3,000", "4"], dtype="string"), [1, np.nan, 3000, 4]),
        (pd.Series(["1", "2", "1", "2"], dtype="category"), [1, 2, 1, 2]),
    ],
    ids=["all-nat", "timedelta", "bool", "boolean", "Int64", "string", "category"],
)
def test_numeric_column_read_from_other_dtypes_at_predict(column, expected):
    X, encoder = _fitted_encoder()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        output = encoder.transform(X.assign(p=column))
    names = encoder.get_feature_names_out().tolist()
    imputed = np.where(np.isnan(expected), 2.5, expected)
    np.testing.assert_array_equal(output[:, names.index("p")], imputed)
    np.testing.assert_array_equal(output[:, names.index("p_missing")], np.isnan(expected))


@pytest.mark.parametrize(
    "column",
    [pd.Series(pd.date_range("2020-01-01", periods=N)), pd.Series([1 + 2j] * N)],
    ids=["datetime", "complex"],
)
def test_numeric_column_of_non_numbers_at_predict_missing_with_warning(column):
    X, encoder = _fitted_encoder()
    with pytest.warns(DataConversionWarning, match=f"{N} of {N} {NOT_NUMBERS[:-23]}"):
        output = encoder.transform(X.assign(p=column))
    np.testing.assert_array_equal(output[:, 0], 2.5)


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (pd.Series([3, 4, 3, 4]), [1, 0, 1, 0]),
        (pd.Series([3.0, 4.0, np.nan, 4.0]), [1, 0, 0, 0]),
        (pd.Series([pd.NaT] * N), [0, 0, 0, 0]),
        (pd.Series(pd.to_timedelta([1] * N, unit="D")), [0, 0, 0, 0]),
    ],
    ids=["int", "float-nan", "nat", "timedelta"],
)
def test_categorical_column_read_from_other_dtypes_at_predict(column, expected):
    X, encoder = _fitted_encoder()
    output = encoder.transform(X.assign(c=column))
    names = encoder.get_feature_names_out().tolist()
    assert output.shape == (N, len(names))
    np.testing.assert_array_equal(output[:, names.index("c_3")], expected)


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([1.5, 2.5, 3.5, 4.5]),
        pd.Series(pd.to_timedelta([1] * N, unit="D")),
        pd.Series([True] * N),
        pd.Series([{"a": 1}] * N),
    ],
    ids=["float", "timedelta", "bool", "dict"],
)
def test_datetime_column_of_non_dates_at_predict_missing_with_warning(column):
    X, encoder = _fitted_encoder()
    match = rf"{N} of {N} values of the datetime column 'd' are not dates \(first at row 0"
    with pytest.warns(DataConversionWarning, match=match):
        output = encoder.transform(X.assign(d=column))
    assert np.isfinite(output).all()


@pytest.mark.parametrize("estimator", [EarlyFusionClassifier, LateFusionClassifier])
def test_fusion_estimators_predict_numbers_arriving_as_timedeltas_and_dates(estimator):
    X, y = _frame_with(["a", "b"])
    model = estimator().fit(X, y)
    seconds = pd.to_timedelta(X["x"], unit="s")
    np.testing.assert_array_equal(model.predict(X.assign(x=seconds)), model.predict(X))
    with pytest.warns(DataConversionWarning, match="numeric column 'x' are not numbers"):
        model.predict(X.assign(x=pd.Series([pd.Timestamp("2020-01-01")] * len(X))))
    assert len(model.predict(X.assign(x=pd.Series([pd.NaT] * len(X))))) == len(X)


# ------------------------------------------------------------------ property tests

_FULL_WIDTH = str.maketrans(
    "0123456789", "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19"
)
_STYLES = st.sampled_from(["plain", "comma", "underscore", "nbsp", "dollar", "euro", "percent"])


def _format(value, style, minus, full_width):
    text = f"{abs(value):_}" if style == "underscore" else f"{abs(value):,}"
    if style == "plain":
        text = text.replace(",", "")
    elif style == "nbsp":
        text = text.replace(",", "\u00a0")
    text = {"dollar": f"${text}", "euro": f"{text} €", "percent": f"{text}%"}.get(style, text)
    if full_width:
        text = text.translate(_FULL_WIDTH)
    return (minus if value < 0 else "") + text


@settings(max_examples=200, deadline=None)
@given(
    value=st.one_of(
        st.integers(-(10**30), 10**30), st.floats(allow_nan=False, allow_infinity=False)
    ),
    style=_STYLES,
    minus=st.sampled_from(["-", "\u2212"]),
    full_width=st.booleans(),
    padding=st.sampled_from(["", " ", "\t", "\u00a0"]),
)
def test_property_formatted_numbers_read_back_exactly(value, style, minus, full_width, padding):
    text = padding + _format(value, style, minus, full_width) + padding
    (parsed,) = _parsed([text], decimal_mark=".")
    assert parsed == float(value)
    swapped = text.translate(str.maketrans({",": ".", ".": ","}))
    if style in ("plain", "comma", "dollar", "euro", "percent"):
        (parsed,) = _parsed([swapped], decimal_mark=",")
        assert parsed == float(value)


_CELLS = st.one_of(
    st.text(alphabet="0123456789,._ -+e%$()\u00a0\u2212abc", max_size=12),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.binary(max_size=4),
    st.complex_numbers(allow_nan=False),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.decimals(allow_nan=False),
    st.fractions(),
    st.none(),
)


def _human_readings(cell):
    """Every value a human may read in ``cell``: each choice of decimal mark and of
    thousands separator whose groups are well formed; empty when it is no real number.
    """
    if isinstance(cell, (bool, complex, bytes, list, dict)) or cell is None:
        return set()
    if not isinstance(cell, str):
        return {float(cell)}
    text = cell.strip().replace("\u2212", "-")
    sign = -1.0 if re.match(r"[$€\s]*-", text) else 1.0
    core = text.strip("+-$€% \u00a0")
    readings = set()
    for mark in ".,":
        for separator in sorted(set(",._ \u00a0") - {mark}):
            whole, has_mark, fraction = core.partition(mark)
            groups = whole.split(separator)
            head, tail = groups[0], groups[1:]
            if tail and (not 1 <= len(head) <= 3 or any(len(group) != 3 for group in tail)):
                continue
            try:
                readings.add(sign * float("".join(groups) + "." * bool(has_mark) + fraction))
            except ValueError:
                continue
    return readings


@settings(max_examples=300, deadline=None)
@given(cell=_CELLS)
def test_property_a_parsed_cell_is_missing_or_its_human_reading(cell):
    (parsed,) = _parsed([cell])
    if np.isnan(parsed) or np.isinf(parsed):
        return
    assert parsed in _human_readings(cell)
