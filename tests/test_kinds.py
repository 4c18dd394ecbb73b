"""Tests of column kind detection and of the conversion of raw cells."""

import numpy as np
import pandas as pd
import pytest

from mmsk import detect_column_kinds
from mmsk._kinds import (
    COLUMN_KINDS,
    cell_to_text,
    detect_column_kind,
    infer_decimal_mark,
    parse_dates,
    parse_numbers,
    read_numbers,
)

SENTENCES = [
    "the fabric feels soft and the colour is lovely",
    "runs small so order one size up",
    "returned it because the zip broke",
    "great for summer evenings out",
    "too long for someone who is petite",
    "washed well and kept its shape",
]


def _sentences(n):
    return [f"{SENTENCES[i % len(SENTENCES)]} review {i}" for i in range(n)]


# --------------------------------------------------------------------------- numeric


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([1.5, 2.25, -3.0, 4.0]),
        pd.Series([1.5, np.nan, 3.0, np.nan]),
        pd.Series([3, 1, 3, 2, 5]),
        pd.Series([3, pd.NA, 1, 3], dtype="Int64"),
        pd.Series(np.arange(19)),
        pd.Series(pd.to_timedelta([1, 2, 3], unit="D")),
    ],
    ids=["float", "float-nan", "int-repeated", "nullable-int", "int-short", "timedelta"],
)
def test_detect_column_kind_numeric_dtypes(column):
    assert detect_column_kind(column) == "numeric"


def test_detect_column_kind_unique_vote_counts_stay_numeric():
    rng = np.random.default_rng(0)
    votes = pd.Series(rng.choice(100_000, size=200, replace=False))
    assert votes.is_unique
    assert detect_column_kind(votes) == "numeric"


@pytest.mark.parametrize("dtype", [object, "str"])
@pytest.mark.parametrize(
    "values",
    [
        ["13%", "12.5%", "14%", None, "9%"],
        ["$1,200", "$35", "$1,000,000", "$0.99"],
        [" 7.5 ", "8", " -2", "1e3"],
        ["€5", "£12", "¥300", "1_000"],
    ],
    ids=["percent", "dollars", "padded", "currencies"],
)
def test_detect_column_kind_numbers_stored_as_text(values, dtype):
    assert detect_column_kind(pd.Series(values, dtype=dtype)) == "numeric"


def test_detect_column_kind_few_non_numbers_not_numeric():
    column = pd.Series(["10", "20", "unknown"] * 10)
    assert detect_column_kind(column) == "categorical"


# ----------------------------------------------------------------------- categorical


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([True, False, True]),
        pd.Series([True, pd.NA, False], dtype="boolean"),
        pd.Series(["x", "y", "x"], dtype="category"),
        pd.Series([1, 2, 1], dtype="category"),
        pd.Series(["red", "blue", "red", "green"] * 5, dtype=object),
        pd.Series(["red", "blue", None, "green"] * 5, dtype="str"),
        pd.Series(["New York", "Los Angeles", "San Francisco"] * 10),
        pd.Series(["runs too small", "true to size", "runs too large"] * 10),
        pd.Series([1, "a", 2.5, "b", 1] * 4, dtype=object),
        pd.Series([f"w{i}" for i in range(19)]),
    ],
    ids=[
        "bool",
        "nullable-bool",
        "category-str",
        "category-int",
        "object-strings",
        "str-strings",
        "two-word-places",
        "repeated-phrases",
        "mixed-types",
        "unique-words-short",
    ],
)
def test_detect_column_kind_categorical(column):
    assert detect_column_kind(column) == "categorical"


@pytest.mark.parametrize(
    "values", [["3/5", "4/5", "5/5", "2/5"], ["1-2", "3-5", "6-10"]], ids=["ratings", "ranges"]
)
def test_detect_column_kind_ratings_and_ranges_categorical(values):
    assert detect_column_kind(pd.Series(values * 5)) == "categorical"


# -------------------------------------------------------------------------- datetime


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(pd.date_range("2020-01-01", periods=5, freq="D")),
        pd.Series(pd.date_range("2020-01-01", periods=5, freq="h", tz="US/Pacific")),
        pd.Series([pd.Timestamp("2021-03-04"), pd.NaT, pd.Timestamp("2021-03-05")]),
        pd.Series(["2015-02-24 11:35:52 -0800", "2015-02-24 10:01:09 -0800"] * 3),
        pd.Series(["2015-02-24 11:35:52 -0800", None, "2015-02-25 08:00:00 -0500"]),
        pd.Series(["2021-01-05", "2021-02-17", "2022-12-31"], dtype="str"),
        pd.Series(["2021/01/05 10:30", "2021/02/17 23:59"], dtype=object),
    ],
    ids=[
        "datetime64",
        "datetime64-tz",
        "datetime64-nat",
        "strings-offset",
        "strings-mixed-offsets",
        "iso-str",
        "slash-object",
    ],
)
def test_detect_column_kind_datetime(column):
    assert detect_column_kind(column) == "datetime"


# ------------------------------------------------------------------------------ text


@pytest.mark.parametrize("dtype", [object, "str"])
def test_detect_column_kind_multi_word_rare_strings_text(dtype):
    column = pd.Series(_sentences(30), dtype=dtype)
    assert detect_column_kind(column) == "text"


def test_detect_column_kind_short_sentences_text():
    column = pd.Series(["the quick brown fox", "lazy dog jumps over", "another sentence here"])
    assert detect_column_kind(column) == "text"


def test_detect_column_kind_long_repeated_text_is_text():
    long = "this is a very long review text that somebody pasted into every row"
    column = pd.Series([long] * 30 + [long + " again"] * 30)
    assert detect_column_kind(column) == "text"


# ------------------------------------------------------------------------ identifier


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(np.arange(20)),
        pd.Series(np.random.default_rng(0).permutation(np.arange(100, 150))),
        pd.Series(567588278875213824 + np.arange(25) * 1301),
        pd.Series([f"user{i:04d}" for i in range(25)]),
        pd.Series([f"sku-{i}" for i in range(40)], dtype="str"),
    ],
    ids=["consecutive", "shuffled-consecutive", "tweet-ids", "one-word-strings", "str-dtype"],
)
def test_detect_column_kind_identifier(column):
    assert detect_column_kind(column) == "identifier"


def test_detect_column_kind_repeated_consecutive_integers_numeric():
    column = pd.Series(np.concatenate([np.arange(20), [3]]))
    assert detect_column_kind(column) == "numeric"


# ----------------------------------------------------------------------------- empty


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([None, None, None]),
        pd.Series([np.nan, np.nan]),
        pd.Series([pd.NA, pd.NA], dtype=object),
        pd.Series([None, None], dtype="str"),
        pd.Series([pd.NaT, pd.NaT]),
        pd.Series([pd.NA, pd.NA], dtype="Int64"),
    ],
    ids=["none", "nan", "na-object", "str", "nat", "nullable-int"],
)
def test_detect_column_kind_all_missing_empty(column):
    assert detect_column_kind(column) == "empty"


# --------------------------------------------------------------- detect_column_kinds


def test_detect_column_kinds_docstring_example():
    X = pd.DataFrame({"age": [31, 45, 27], "city": ["Oslo", "Rome", "Oslo"]})
    assert detect_column_kinds(X) == {"age": "numeric", "city": "categorical"}


def _mixed_frame(n):
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "price": rng.normal(50, 10, size=n),
            "alcohol": [f"{12 + i % 3}%" for i in range(n)],
            "colour": rng.choice(["red", "white", "rose"], size=n),
            "review": _sentences(n),
            "posted": [f"2015-02-{1 + i % 28:02d} 11:35:52 -0800" for i in range(n)],
            "notes": [None] * n,
        }
    )


EXPECTED_KINDS = {
    "id": "identifier",
    "price": "numeric",
    "alcohol": "numeric",
    "colour": "categorical",
    "review": "text",
    "posted": "datetime",
    "notes": "empty",
}


def test_detect_column_kinds_every_column_in_order():
    kinds = detect_column_kinds(_mixed_frame(60))
    assert kinds == EXPECTED_KINDS
    assert list(kinds) == list(EXPECTED_KINDS)
    assert set(kinds.values()) <= set(COLUMN_KINDS)


@pytest.mark.parametrize("dtype", [object, "str"])
def test_detect_column_kinds_string_dtypes_agree(dtype):
    X = _mixed_frame(60)
    strings = ["alcohol", "colour", "review", "posted"]
    X[strings] = X[strings].astype(dtype)
    assert detect_column_kinds(X) == EXPECTED_KINDS


def test_detect_column_kinds_integer_labels():
    X = pd.DataFrame(np.array([[1.5, "a"], [2.5, "b"], [3.5, "a"]], dtype=object))
    assert detect_column_kinds(X) == {0: "numeric", 1: "categorical"}


def test_detect_column_kinds_non_default_index():
    X = _mixed_frame(60)
    X.index = [f"row{i}" for i in range(60)][::-1]
    assert detect_column_kinds(X) == EXPECTED_KINDS


def test_detect_column_kinds_large_frame():
    n = 100_000
    X = _mixed_frame(n)
    X.loc[::1000, "alcohol"] = None
    kinds = detect_column_kinds(X)
    assert kinds == EXPECTED_KINDS


def test_detect_column_kind_large_column_judged_on_whole_spread():
    # The first tenth holds a short repeated label, the rest free text: a sample
    # taken only from the head would call it categorical.
    n = 100_000
    column = pd.Series(["ok"] * (n // 10) + _sentences(n - n // 10))
    assert detect_column_kind(column) == "text"


# ---------------------------------------------------------------------- cell_to_text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (np.nan, ""),
        (float("nan"), ""),
        (np.float64("nan"), ""),
        (pd.NA, ""),
        (pd.NaT, ""),
        ("", ""),
        ("plain text", "plain text"),
        ("  padded  ", "  padded  "),
        ("emoji 😀 and café", "emoji 😀 and café"),
        (3, "3"),
        (2.5, "2.5"),
        (np.int64(7), "7"),
        (True, "True"),
        (b"caf\xc3\xa9", "café"),
        (b"\xf0\x9f\x98\x80", "😀"),
        (["a", "b"], "a b"),
        (("x", 1, 2.5), "x 1 2.5"),
        (np.array(["p", "q"]), "p q"),
        ([], ""),
    ],
)
def test_cell_to_text_values(value, expected):
    assert cell_to_text(value) == expected


def test_cell_to_text_invalid_utf8_bytes_replaced():
    text = cell_to_text(b"ab\xff\xfecd")
    assert isinstance(text, str)
    assert text.startswith("ab")
    assert text.endswith("cd")
    assert "\ufffd" in text


def test_cell_to_text_nested_list_with_missing():
    assert cell_to_text(["a", None, ["b", b"c"], np.nan]).split() == ["a", "b", "c"]


def test_cell_to_text_set_holds_every_item():
    assert sorted(cell_to_text({"x", "y"}).split()) == ["x", "y"]


@pytest.mark.parametrize(
    "value", [np.float32("nan"), np.datetime64("NaT")], ids=["float32-nan", "datetime64-nat"]
)
def test_cell_to_text_numpy_missing_scalars_empty(value):
    assert cell_to_text(value) == ""


# --------------------------------------------------------------------- parse_numbers


@pytest.mark.parametrize("dtype", [object, "str"])
def test_parse_numbers_decorated_text(dtype):
    values = pd.Series(["13%", "$1,200", " 7.5 ", "-3", "1e3", "€5", "£1 000"], dtype=dtype)
    expected = [13.0, 1200.0, 7.5, -3.0, 1000.0, 5.0, 1000.0]
    np.testing.assert_array_equal(parse_numbers(values).to_numpy(), expected)


@pytest.mark.parametrize("dtype", [object, "str"])
def test_parse_numbers_missing_and_words_nan(dtype):
    values = pd.Series(["12", None, "abc", "", "n/a"], dtype=dtype)
    result = parse_numbers(values)
    assert result.dtype == np.float64
    assert result.iloc[0] == 12.0
    assert result.iloc[1:].isna().all()


def test_parse_numbers_mixed_object_cells():
    # Bytes are not numbers, even when they spell one.
    values = pd.Series([3, 2.5, "4%", b"5", None], dtype=object)
    np.testing.assert_array_equal(
        parse_numbers(values).to_numpy(), [3.0, 2.5, 4.0, np.nan, np.nan]
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (pd.Series([1, 2, 3]), [1.0, 2.0, 3.0]),
        (pd.Series([True, False]), [1.0, 0.0]),
        (pd.Series([1, pd.NA], dtype="Int64"), [1.0, np.nan]),
        (pd.Series([np.inf, -1.5]), [np.inf, -1.5]),
    ],
    ids=["int", "bool", "nullable-int", "float"],
)
def test_parse_numbers_numeric_dtypes_as_float(values, expected):
    result = parse_numbers(values)
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result.to_numpy(), expected)


def test_parse_numbers_keeps_index():
    values = pd.Series(["1%", "2%"], index=["a", "b"])
    assert parse_numbers(values).index.tolist() == ["a", "b"]


@pytest.mark.parametrize(
    ("values", "mark"),
    [
        (["1,5", "2"], ","),
        (["1.234,5", "1,234"], ","),
        (["12.345.678"], ","),
        (["1,5", "2.5"], "."),
        (["1,234", "1.234"], "."),
        (["1,234,567"], "."),
        ([1.5, "abc", None], "."),
    ],
)
def test_infer_decimal_mark(values, mark):
    assert infer_decimal_mark(pd.Series(values, dtype=object)) == mark


def test_parse_numbers_decimal_mark_given():
    values = pd.Series(["1,5", "1.234", "1,234"])
    assert parse_numbers(values, decimal_mark=",").tolist() == [1.5, 1234.0, 1.234]
    np.testing.assert_array_equal(
        parse_numbers(values, decimal_mark=".").to_numpy(), [np.nan, 1.234, 1234.0]
    )


def test_parse_numbers_invalid_decimal_mark_raises():
    with pytest.raises(ValueError, match="decimal_mark must be '.', ',' or None; got ';'"):
        parse_numbers(pd.Series(["1"]), decimal_mark=";")


def test_read_numbers_flags_present_values_that_are_not_numbers():
    reading = read_numbers(pd.Series(["1", "x", None, "", [1], "nan"], dtype=object))
    assert reading.not_numbers.tolist() == [False, True, False, False, True, False]
    assert reading.decimal_mark == "."


@pytest.mark.parametrize(
    "values",
    [[[1, 234], [5]], [{1, 2}, {3}], [b"12", b"3"], [1 + 2j, 2 + 0j]],
    ids=["lists", "sets", "bytes", "complex"],
)
def test_detect_column_kind_containers_and_complex_not_numeric(values):
    assert detect_column_kind(pd.Series(values * 10, dtype=object)) != "numeric"


def test_detect_column_kind_decimal_comma_strings_numeric():
    assert detect_column_kind(pd.Series(["1,5", "2,75", "1.234,5"] * 5)) == "numeric"


def test_detect_column_kind_complex_dtype_categorical():
    assert detect_column_kind(pd.Series([1 + 2j, 3 - 1j] * 5)) == "categorical"


def test_detect_column_kinds_dict_cells():
    X = pd.DataFrame({"a": [{"x": 1}, {"y": 2}] * 15, "b": np.arange(30.0) % 7})
    assert detect_column_kinds(X) == {"a": "categorical", "b": "numeric"}


# ----------------------------------------------------------------------- parse_dates


def test_parse_dates_offsets_converted_to_utc():
    values = pd.Series(["2015-02-24 11:35:52 -0800", "2015-02-25 08:00:00 +0100"])
    result = parse_dates(values)
    assert str(result.dt.tz) == "UTC"
    assert result.tolist() == [
        pd.Timestamp("2015-02-24 19:35:52", tz="UTC"),
        pd.Timestamp("2015-02-25 07:00:00", tz="UTC"),
    ]


@pytest.mark.parametrize("dtype", [object, "str"])
def test_parse_dates_missing_and_garbage_nat(dtype):
    values = pd.Series(["2021-03-04", None, "not a date", ""], dtype=dtype)
    result = parse_dates(values)
    assert result.iloc[0] == pd.Timestamp("2021-03-04", tz="UTC")
    assert result.iloc[1:].isna().all()


def test_parse_dates_naive_datetimes_localised_to_utc():
    values = pd.Series(pd.to_datetime(["2020-01-01 10:00", None]))
    result = parse_dates(values)
    assert str(result.dt.tz) == "UTC"
    assert result.iloc[0] == pd.Timestamp("2020-01-01 10:00", tz="UTC")
    assert pd.isna(result.iloc[1])


def test_parse_dates_aware_datetimes_converted_to_utc():
    values = pd.Series(pd.to_datetime(["2020-01-01 10:00"]).tz_localize("US/Pacific"))
    result = parse_dates(values)
    assert str(result.dt.tz) == "UTC"
    assert result.iloc[0].hour == 18


# ----------------------------------------------------------------- images


def _image_png(path, seed=0):
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, (12, 12, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return str(path)


def test_image_columns_of_every_cell_kind_are_detected(tmp_path):
    from PIL import Image

    paths = [_image_png(tmp_path / f"{i}.png", i) for i in range(25)]
    blobs = [open(path, "rb").read() for path in paths]
    X = pd.DataFrame(
        {
            "path": paths,
            "blob": pd.Series(blobs, dtype=object),
            "pil": pd.Series([Image.open(path) for path in paths], dtype=object),
            "array": pd.Series([np.zeros((8, 8, 3), np.uint8)] * 25, dtype=object),
            "grey": pd.Series([np.zeros((8, 8))] * 24 + [None], dtype=object),
            "words": [f"a red poster of cat number {i}" for i in range(25)],
        }
    )
    kinds = detect_column_kinds(X)
    assert kinds == {
        "path": "image",
        "blob": "image",
        "pil": "image",
        "array": "image",
        "grey": "image",
        "words": "text",
    }


def test_file_names_of_absent_images_are_not_an_image_column(tmp_path):
    names = [f"photo_{i}.png" for i in range(30)]
    assert detect_column_kind(pd.Series(names)) != "image"
    present = [_image_png(tmp_path / name, i) for i, name in enumerate(names)]
    assert detect_column_kind(pd.Series(present)) == "image"


def test_a_few_corrupt_or_missing_cells_keep_an_image_column(tmp_path):
    cells = [np.zeros((8, 8, 3), np.uint8)] * 30 + [b"corrupt", None, "", np.nan]
    assert detect_column_kind(pd.Series(cells, dtype=object)) == "image"


def test_small_arrays_and_vectors_are_not_images():
    vectors = pd.Series([np.arange(5.0)] * 20, dtype=object)
    tiny = pd.Series([np.zeros((2, 2))] * 20, dtype=object)
    assert detect_column_kind(vectors) != "image"
    assert detect_column_kind(tiny) != "image"


def test_kind_selector_picks_image_columns(tmp_path):
    from mmsk import KindSelector

    X = pd.DataFrame(
        {
            "photo": pd.Series([np.zeros((8, 8, 3), np.uint8)] * 3, dtype=object),
            "price": [1.0, 2.0, 3.0],
        }
    )
    assert KindSelector("image")(X) == ["photo"]
