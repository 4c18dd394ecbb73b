"""Tests of TabularEncoder: numeric, categorical and datetime columns to one block."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from mmsk import TabularEncoder

DATETIME_PARTS = ["year", "month", "day", "weekday", "hour", "days"]


def _frame():
    """Twelve rows: numbers with gaps, percentages as text, a city and a date."""
    return pd.DataFrame(
        {
            "age": [31.0, np.nan, 27.0, 40.0, 52.0, 45.0, 38.0, 29.0, 61.0, 33.0, 47.0, 36.0],
            "alcohol": ["13%", "12%", "14%", None, "11%", "12%"] * 2,
            "rating": [4, 5, 3, 4, 2, 5, 4, 3, 5, 1, 4, 4],
            "city": ["Oslo", "Rome", "Oslo", "Oslo", None, "Oslo"] * 2,
        }
    )


def _names(encoder):
    return encoder.get_feature_names_out().tolist()


def _column(encoder, output, name):
    return output[:, _names(encoder).index(name)]


# ------------------------------------------------------------ names, shape, columns


def test_tabular_encoder_docstring_example():
    X = pd.DataFrame(
        {
            "age": [31, None, 27, 40],
            "alcohol": ["13%", "12%", "14%", None],
            "city": ["Oslo", "Rome", "Oslo", "Oslo"],
        }
    )
    encoder = TabularEncoder(min_frequency=1).fit(X)
    assert _names(encoder) == [
        "age",
        "alcohol",
        "age_missing",
        "alcohol_missing",
        "city_Oslo",
        "city_Rome",
    ]
    assert encoder.transform(X).shape == (4, 6)


def test_tabular_encoder_feature_names_match_output_width():
    encoder = TabularEncoder(min_frequency=1)
    output = encoder.fit_transform(_frame())
    names = encoder.get_feature_names_out()
    assert output.shape == (12, len(names))
    assert output.dtype == np.float64
    assert all(isinstance(name, str) for name in names)
    assert len(set(names)) == len(names)


def test_tabular_encoder_missing_indicators_only_for_columns_missing_at_fit():
    encoder = TabularEncoder(min_frequency=1).fit(_frame())
    indicators = [name for name in _names(encoder) if name.endswith("_missing")]
    assert indicators == ["age_missing", "alcohol_missing"]


def test_tabular_encoder_column_attributes():
    X = _frame()
    X["posted"] = ["2015-02-24 11:35:52 -0800"] * 12
    X["notes"] = [None] * 12
    encoder = TabularEncoder().fit(X)
    assert encoder.column_kinds_ == {
        "age": "numeric",
        "alcohol": "numeric",
        "rating": "numeric",
        "city": "categorical",
        "posted": "datetime",
        "notes": "empty",
    }
    assert encoder.numeric_columns_ == ["age", "alcohol", "rating"]
    assert encoder.datetime_columns_ == ["posted"]
    assert encoder.categorical_columns_ == ["city"]
    assert encoder.dropped_columns_ == ["notes"]
    assert encoder.n_features_in_ == 6
    assert encoder.feature_names_in_.tolist() == list(X.columns)


def test_tabular_encoder_text_and_identifier_columns_one_hot_encoded():
    n = 30
    X = pd.DataFrame(
        {
            "id": np.arange(n),
            "review": [f"a fairly long review number {i} of the dress" for i in range(n)],
        }
    )
    encoder = TabularEncoder(min_frequency=1, max_categories=5).fit(X)
    assert encoder.categorical_columns_ == ["id", "review"]
    output = encoder.transform(X)
    assert output.shape == (n, 10)
    np.testing.assert_array_equal(output.sum(axis=1), 2.0)


# ------------------------------------------------------------------ numeric columns


def test_tabular_encoder_median_imputation_without_scaling():
    X = pd.DataFrame({"x": [1.0, 2.0, 10.0, np.nan, 3.0]})
    encoder = TabularEncoder(scale=False)
    output = encoder.fit_transform(X)
    assert _names(encoder) == ["x", "x_missing"]
    np.testing.assert_array_equal(output[:, 0], [1.0, 2.0, 10.0, 2.5, 3.0])
    np.testing.assert_array_equal(output[:, 1], [0.0, 0.0, 0.0, 1.0, 0.0])


def test_tabular_encoder_scaled_columns_standardised_on_training_data():
    X = _frame()
    X["posted"] = pd.date_range("2020-01-01", periods=12, freq="37h")
    encoder = TabularEncoder()
    output = encoder.fit_transform(X)
    scaled = ["age", "alcohol", "rating"] + [f"posted_{part}" for part in DATETIME_PARTS]
    for name in scaled:
        values = _column(encoder, output, name)
        assert abs(values.mean()) < 1e-9, name
        if values.std() > 0:
            assert values.std() == pytest.approx(1.0), name


def test_tabular_encoder_indicators_and_one_hot_not_scaled():
    encoder = TabularEncoder(min_frequency=1)
    output = encoder.fit_transform(_frame())
    unscaled = [name for name in _names(encoder) if "_missing" in name or "city_" in name]
    for name in unscaled:
        assert set(np.unique(_column(encoder, output, name))) <= {0.0, 1.0}


def test_tabular_encoder_scale_false_leaves_values():
    X = pd.DataFrame({"x": [1.5, -2.0, 300.0], "n": [7, 8, 9]})
    output = TabularEncoder(scale=False).fit_transform(X)
    np.testing.assert_array_equal(output, X.to_numpy(dtype=float))


def test_tabular_encoder_scaling_uses_training_statistics():
    encoder = TabularEncoder().fit(pd.DataFrame({"x": [0.0, 2.0, 4.0]}))
    output = encoder.transform(pd.DataFrame({"x": [2.0, 2.0 + np.sqrt(8 / 3)]}))
    np.testing.assert_allclose(output[:, 0], [0.0, 1.0])


@pytest.mark.parametrize("infinite", [np.inf, -np.inf])
def test_tabular_encoder_infinite_values_treated_as_missing(infinite):
    X = pd.DataFrame({"x": [1.0, infinite, 3.0, 5.0]})
    encoder = TabularEncoder(scale=False)
    output = encoder.fit_transform(X)
    assert np.isfinite(output).all()
    assert _names(encoder) == ["x", "x_missing"]
    np.testing.assert_array_equal(output[:, 0], [1.0, 3.0, 3.0, 5.0])
    np.testing.assert_array_equal(output[:, 1], [0.0, 1.0, 0.0, 0.0])


def test_tabular_encoder_infinite_and_missing_at_transform_imputed():
    encoder = TabularEncoder(scale=False).fit(pd.DataFrame({"x": [1.0, 2.0, 4.0]}))
    assert _names(encoder) == ["x"]
    output = encoder.transform(pd.DataFrame({"x": [np.inf, np.nan, -np.inf, 7.0]}))
    np.testing.assert_array_equal(output[:, 0], [2.0, 2.0, 2.0, 7.0])


def test_tabular_encoder_all_infinite_column_gives_finite_output():
    X = pd.DataFrame({"x": [np.inf] * 4, "y": [1.0, 2.0, 3.0, 4.0]})
    output = TabularEncoder().fit_transform(X)
    assert np.isfinite(output).all()


@pytest.mark.parametrize("dtype", [object, "str"])
def test_tabular_encoder_numbers_as_text_parsed(dtype):
    X = pd.DataFrame({"price": pd.Series(["13%", "$1,200", " 7.5 ", "€3"], dtype=dtype)})
    encoder = TabularEncoder(scale=False)
    output = encoder.fit_transform(X)
    assert encoder.numeric_columns_ == ["price"]
    np.testing.assert_array_equal(output[:, 0], [13.0, 1200.0, 7.5, 3.0])


def test_tabular_encoder_unparsable_number_at_transform_imputed():
    encoder = TabularEncoder(scale=False).fit(pd.DataFrame({"p": ["1%", "2%", "9%"]}))
    output = encoder.transform(pd.DataFrame({"p": ["oops", "4%"]}))
    np.testing.assert_array_equal(output[:, 0], [2.0, 4.0])


# ----------------------------------------------------------------- datetime columns


def test_tabular_encoder_datetime_strings_expanded_in_utc():
    X = pd.DataFrame({"posted": ["2015-02-24 11:35:52 -0800", "2016-03-01 00:00:00 -0800"]})
    encoder = TabularEncoder(scale=False)
    output = encoder.fit_transform(X)
    assert encoder.datetime_columns_ == ["posted"]
    assert _names(encoder) == [f"posted_{part}" for part in DATETIME_PARTS]
    first = pd.Timestamp("2015-02-24 19:35:52", tz="UTC")
    days = (first - pd.Timestamp("1970-01-01", tz="UTC")).total_seconds() / 86400
    np.testing.assert_allclose(output[0], [2015, 2, 24, 1, 19, days])
    np.testing.assert_allclose(output[1, :5], [2016, 3, 1, 1, 8])


def test_tabular_encoder_datetime64_column_expanded():
    X = pd.DataFrame({"t": pd.to_datetime(["2020-01-01 06:00", "2020-01-04 23:00", None])})
    encoder = TabularEncoder(scale=False)
    output = encoder.fit_transform(X)
    names = [f"t_{part}" for part in DATETIME_PARTS]
    assert _names(encoder) == names + [f"{name}_missing" for name in names]
    np.testing.assert_allclose(output[0, :6], [2020, 1, 1, 2, 6, 18262.25])
    np.testing.assert_allclose(output[1, :6], [2020, 1, 4, 5, 23, 18265 + 23 / 24])
    assert np.isfinite(output).all()
    np.testing.assert_array_equal(output[:, 6:].sum(axis=1), [0, 0, 6])


def test_tabular_encoder_aware_datetimes_match_offset_strings():
    strings = pd.Series(["2015-02-24 11:35:52 -0800", "2015-02-25 23:10:00 -0800"])
    aware = pd.to_datetime(strings).dt.tz_convert("US/Pacific")
    from_strings = TabularEncoder(scale=False).fit_transform(pd.DataFrame({"t": strings}))
    from_aware = TabularEncoder(scale=False).fit_transform(pd.DataFrame({"t": aware}))
    np.testing.assert_allclose(from_aware, from_strings)


def test_tabular_encoder_datetime_encoding_without_warnings():
    X = pd.DataFrame({"t": pd.date_range("2020-01-01", periods=4)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TabularEncoder().fit_transform(X)


# -------------------------------------------------------------- categorical columns


def _levels(n_a=10, n_b=6, n_c=2, n_d=1):
    return pd.DataFrame({"c": ["a"] * n_a + ["b"] * n_b + ["c"] * n_c + ["d"] * n_d})


def _infrequent_name(encoder):
    (name,) = [name for name in _names(encoder) if name.startswith("c_infrequent")]
    return name


def test_tabular_encoder_min_frequency_groups_rare_levels():
    X = _levels()
    encoder = TabularEncoder(min_frequency=5)
    output = encoder.fit_transform(X)
    infrequent = _infrequent_name(encoder)
    assert _names(encoder) == ["c_a", "c_b", infrequent]
    np.testing.assert_array_equal(output.sum(axis=1), 1.0)
    rare = X["c"].isin(["c", "d"]).to_numpy()
    np.testing.assert_array_equal(_column(encoder, output, infrequent), rare.astype(float))


def test_tabular_encoder_min_frequency_share_of_rows():
    encoder = TabularEncoder(min_frequency=0.2).fit(_levels(n_a=10, n_b=4, n_c=3, n_d=3))
    assert _names(encoder) == ["c_a", "c_b", _infrequent_name(encoder)]


def test_tabular_encoder_min_frequency_one_keeps_every_level():
    encoder = TabularEncoder(min_frequency=1).fit(_levels())
    assert _names(encoder) == ["c_a", "c_b", "c_c", "c_d"]


@pytest.mark.parametrize("max_categories", [2, 3, 4])
def test_tabular_encoder_max_categories_bounds_columns(max_categories):
    encoder = TabularEncoder(min_frequency=1, max_categories=max_categories)
    output = encoder.fit_transform(_levels(n_a=9, n_b=7, n_c=5, n_d=3))
    assert output.shape == (24, max_categories)
    np.testing.assert_array_equal(output.sum(axis=1), 1.0)
    assert _names(encoder)[0] == "c_a"


def test_tabular_encoder_max_categories_none_keeps_every_level():
    X = pd.DataFrame({"c": [f"level{i}" for i in range(80)] * 2})
    encoder = TabularEncoder(min_frequency=1, max_categories=None).fit(X)
    assert len(_names(encoder)) == 80


def test_tabular_encoder_default_max_categories_is_fifty():
    X = pd.DataFrame({"c": [f"level{i}" for i in range(80)] * 5})
    assert len(_names(TabularEncoder().fit(X))) == 50


def test_tabular_encoder_unseen_category_maps_to_infrequent():
    encoder = TabularEncoder(min_frequency=5).fit(_levels())
    output = encoder.transform(pd.DataFrame({"c": ["never seen", "a"]}))
    infrequent = _names(encoder).index(_infrequent_name(encoder))
    assert output[0, infrequent] == 1.0
    assert output[0].sum() == 1.0
    assert output[1, _names(encoder).index("c_a")] == 1.0


def test_tabular_encoder_unseen_category_all_zeros_without_infrequent():
    encoder = TabularEncoder(min_frequency=1).fit(_levels())
    output = encoder.transform(pd.DataFrame({"c": ["never seen", None, "b"]}))
    np.testing.assert_array_equal(output[0], 0.0)
    np.testing.assert_array_equal(output[1], 0.0)
    assert output[2, _names(encoder).index("c_b")] == 1.0


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA])
def test_tabular_encoder_missing_category_own_level(missing):
    X = pd.DataFrame({"city": ["Oslo", "Rome", missing, "Oslo"]}, dtype=object)
    encoder = TabularEncoder(min_frequency=1)
    output = encoder.fit_transform(X)
    names = _names(encoder)
    assert len(names) == 3
    (missing_name,) = [name for name in names if name not in ("city_Oslo", "city_Rome")]
    np.testing.assert_array_equal(_column(encoder, output, missing_name), [0, 0, 1, 0])
    assert not any(name.endswith("_missing") for name in names)


def test_tabular_encoder_mixed_type_categorical_cells():
    X = pd.DataFrame({"m": [1, "1", "x", 2.5, "x", None] * 3}, dtype=object)
    encoder = TabularEncoder(min_frequency=1)
    output = encoder.fit_transform(X)
    assert encoder.categorical_columns_ == ["m"]
    assert output.shape == (18, 4)
    np.testing.assert_array_equal(output.sum(axis=1), 1.0)
    np.testing.assert_array_equal(output[0], output[1])
    np.testing.assert_array_equal(encoder.transform(pd.DataFrame({"m": [1]})), output[:1])


def test_tabular_encoder_bool_and_category_dtypes_one_hot():
    X = pd.DataFrame(
        {
            "flag": [True, False, True, True],
            "size": pd.Series(["S", "M", "S", None], dtype="category"),
        }
    )
    encoder = TabularEncoder(min_frequency=1)
    output = encoder.fit_transform(X)
    assert encoder.categorical_columns_ == ["flag", "size"]
    names = _names(encoder)
    assert names[:2] == ["flag_False", "flag_True"]
    assert {"size_M", "size_S"} <= set(names)
    np.testing.assert_array_equal(output.sum(axis=1), 2.0)
    np.testing.assert_array_equal(_column(encoder, output, "flag_True"), [1, 0, 1, 1])


# ------------------------------------------------------------------- empty columns


@pytest.mark.parametrize(
    "empty",
    [
        pd.Series([None] * 4, dtype=object),
        pd.Series([np.nan] * 4),
        pd.Series([pd.NA] * 4, dtype=object),
        pd.Series([None] * 4, dtype="str"),
    ],
    ids=["none", "nan", "na", "str"],
)
def test_tabular_encoder_all_missing_column_dropped(empty):
    X = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "notes": empty})
    encoder = TabularEncoder()
    output = encoder.fit_transform(X)
    assert encoder.dropped_columns_ == ["notes"]
    assert _names(encoder) == ["x"]
    assert output.shape == (4, 1)
    later = encoder.transform(X.assign(notes=["filled", "in", "later", "on"]))
    np.testing.assert_array_equal(later, output)


# --------------------------------------------------------------------- output form


def test_tabular_encoder_set_output_pandas():
    X = _frame()
    X.index = [f"r{i}" for i in range(12)]
    dense = TabularEncoder(min_frequency=1).fit_transform(X)
    encoder = TabularEncoder(min_frequency=1).set_output(transform="pandas")
    frame = encoder.fit_transform(X)
    assert isinstance(frame, pd.DataFrame)
    assert frame.columns.tolist() == _names(encoder)
    assert frame.index.tolist() == X.index.tolist()
    np.testing.assert_allclose(frame.to_numpy(), dense)
    np.testing.assert_allclose(encoder.transform(X).to_numpy(), dense)


def test_tabular_encoder_numpy_input_integer_labels():
    X = _frame()
    encoder = TabularEncoder(min_frequency=1)
    output = encoder.fit_transform(X.to_numpy())
    assert list(encoder.column_kinds_) == [0, 1, 2, 3]
    assert encoder.numeric_columns_ == [0, 1, 2]
    assert encoder.categorical_columns_ == [3]
    assert not hasattr(encoder, "feature_names_in_")
    assert _names(encoder) == [
        "0",
        "1",
        "2",
        "0_missing",
        "1_missing",
        "3_Oslo",
        "3_Rome",
        "3_nan",
    ]
    np.testing.assert_allclose(output, TabularEncoder(min_frequency=1).fit_transform(X))


def test_tabular_encoder_numeric_numpy_array():
    X = np.random.default_rng(0).normal(size=(25, 3))
    encoder = TabularEncoder()
    output = encoder.fit_transform(X)
    assert _names(encoder) == ["0", "1", "2"]
    np.testing.assert_allclose(output.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(output.std(axis=0), 1.0)


def test_tabular_encoder_non_default_index_rows_aligned():
    X = _frame()
    shuffled = X.set_axis(np.arange(100, 112)[::-1])
    expected = TabularEncoder(min_frequency=1).fit_transform(X)
    np.testing.assert_allclose(TabularEncoder(min_frequency=1).fit_transform(shuffled), expected)


@pytest.mark.parametrize("dtype", [object, "str"])
def test_tabular_encoder_string_dtypes_agree(dtype):
    X = _frame()
    expected = TabularEncoder(min_frequency=1).fit_transform(X)
    X[["alcohol", "city"]] = X[["alcohol", "city"]].astype(dtype)
    np.testing.assert_allclose(TabularEncoder(min_frequency=1).fit_transform(X), expected)


@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize("min_frequency", [1, 3])
def test_tabular_encoder_fit_transform_equals_fit_then_transform(scale, min_frequency):
    X = _frame()
    X["posted"] = pd.date_range("2021-06-01", periods=12, freq="13h")
    params = {"scale": scale, "min_frequency": min_frequency}
    np.testing.assert_allclose(
        TabularEncoder(**params).fit_transform(X), TabularEncoder(**params).fit(X).transform(X)
    )


def test_tabular_encoder_pickle_round_trip():
    X = _frame()
    encoder = TabularEncoder(min_frequency=2).fit(X)
    restored = pickle.loads(pickle.dumps(encoder))
    np.testing.assert_array_equal(restored.transform(X), encoder.transform(X))
    assert _names(restored) == _names(encoder)


# ---------------------------------------------------- parsing and generated names


def test_tabular_encoder_decimal_marks_recorded_per_numeric_column():
    X = pd.DataFrame({"eu": ["1,5", "2,5", "3,25"], "us": ["1,500", "2.5", "3"]})
    encoder = TabularEncoder(scale=False)
    output = encoder.fit_transform(X)
    assert encoder.decimal_marks_ == {"eu": ",", "us": "."}
    np.testing.assert_array_equal(output, [[1.5, 1500.0], [2.5, 2.5], [3.25, 3.0]])


def test_tabular_encoder_decimal_mark_kept_at_transform():
    encoder = TabularEncoder(scale=False).fit(pd.DataFrame({"eu": ["1,5", "2,5", "3,25"]}))
    output = encoder.transform(pd.DataFrame({"eu": ["1,234"]}))
    np.testing.assert_array_equal(output, [[1.234]])


def test_tabular_encoder_timedelta_column_in_seconds():
    X = pd.DataFrame({"wait": pd.to_timedelta([1, 2, 4], unit="min")})
    output = TabularEncoder(scale=False).fit_transform(X)
    np.testing.assert_array_equal(output[:, 0], [60.0, 120.0, 240.0])


def test_tabular_encoder_unparsable_dates_warn():
    X = pd.DataFrame({"when": ["2021-01-05", "2021-02-17", "2022-12-31"] * 7})
    encoder = TabularEncoder().fit(X)
    with pytest.warns(DataConversionWarning, match="datetime column 'when' are not dates"):
        encoder.transform(pd.DataFrame({"when": ["2021-01-05", "soon"]}))


@pytest.mark.parametrize(
    ("X", "expected"),
    [
        (
            pd.DataFrame({"d": pd.date_range("2020", periods=3), "d_day": [1.0, 2.0, 3.0]}),
            ["d_day", "d_year", "d_month", "d_day__2", "d_weekday", "d_hour", "d_days"],
        ),
        (
            pd.DataFrame({"a": [1.0, None, 2.0], "a_missing": [1.0, 2.0, 3.0]}),
            ["a", "a_missing", "a_missing__2"],
        ),
        (
            pd.DataFrame({"c": ["x", "y", "x"], "c_x": ["x", "x", "y"]}),
            ["c_x__2", "c_y", "c_x_x", "c_x_y"],
        ),
        (
            pd.DataFrame({"missingindicator_b": [1.0, None, 2.0]}),
            ["missingindicator_b", "missingindicator_b_missing"],
        ),
    ],
    ids=["datetime-part", "indicator", "one-hot", "indicator-prefix"],
)
def test_tabular_encoder_generated_names_unique_and_not_shadowing(X, expected):
    encoder = TabularEncoder(min_frequency=1).fit(X)
    assert _names(encoder) == expected
    frame = TabularEncoder(min_frequency=1).set_output(transform="pandas").fit_transform(X)
    assert frame.columns.tolist() == expected


# ------------------------------------------------------------------------- errors


def test_tabular_encoder_transform_reordered_columns_raises():
    X = _frame()
    encoder = TabularEncoder().fit(X)
    with pytest.raises(ValueError, match="same order"):
        encoder.transform(X[X.columns[::-1]])


def test_tabular_encoder_transform_missing_column_raises():
    X = _frame()
    encoder = TabularEncoder().fit(X)
    with pytest.raises(ValueError, match="missing:\n- city"):
        encoder.transform(X.drop(columns="city"))


def test_tabular_encoder_transform_extra_column_raises():
    X = _frame()
    encoder = TabularEncoder().fit(X)
    with pytest.raises(ValueError, match="unseen at fit time:\n- extra"):
        encoder.transform(X.assign(extra=1.0))


def test_tabular_encoder_transform_wrong_width_array_raises():
    encoder = TabularEncoder().fit(np.ones((5, 3)))
    with pytest.raises(ValueError, match="X has 2 features, but TabularEncoder is expecting 3"):
        encoder.transform(np.ones((5, 2)))


def test_tabular_encoder_transform_before_fit_raises():
    with pytest.raises(NotFittedError, match="not fitted"):
        TabularEncoder().transform(_frame())


def test_tabular_encoder_sparse_input_raises():
    from scipy import sparse

    with pytest.raises(TypeError, match="does not accept sparse input"):
        TabularEncoder().fit(sparse.csr_matrix(np.eye(3)))


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"min_frequency": -1}, "min_frequency"),
        ({"min_frequency": 0}, "min_frequency"),
        ({"min_frequency": 1.5}, "min_frequency"),
        ({"max_categories": 1}, "max_categories"),
        ({"max_categories": 2.5}, "max_categories"),
        ({"scale": "yes"}, "scale"),
    ],
)
def test_tabular_encoder_invalid_parameters_raise(params, parameter):
    with pytest.raises(InvalidParameterError, match=f"'{parameter}' parameter of TabularEncoder"):
        TabularEncoder(**params).fit(_frame())
    assert issubclass(InvalidParameterError, ValueError)


# ------------------------------------------------------------------ native encoding


def test_native_encoding_gives_numbers_as_they_are_and_category_codes():
    X = _frame()
    encoder = TabularEncoder(min_frequency=3, encoding="native").fit(X)
    out = encoder.transform(X)
    assert encoder.encoding_ == "native"
    assert list(out.columns) == _names(encoder) == ["age", "alcohol", "rating", "city"]
    assert np.isnan(out["age"].iloc[1]) and out["alcohol"].iloc[0] == 13.0
    assert isinstance(out["city"].dtype, pd.CategoricalDtype)
    # Oslo (8 rows) is frequent; Rome (2) is infrequent; the missing city stays missing.
    assert out["city"].iloc[[0, 1]].tolist() == [0, 1]
    assert pd.isna(out["city"].iloc[4])
    assert list(out["city"].cat.categories) == [0, 1]


def test_native_encoding_maps_unseen_levels_to_the_infrequent_code_or_missing():
    X = _frame()
    unseen = X.assign(city=["Lima"] * len(X))
    grouped = TabularEncoder(min_frequency=3, encoding="native").fit(X)
    assert (grouped.transform(unseen)["city"] == 1).all()
    exact = TabularEncoder(min_frequency=1, encoding="native").fit(X)
    assert exact.transform(unseen)["city"].isna().all()


def test_native_encoding_keeps_at_most_255_codes_per_column():
    levels = [f"level{i}" for i in range(400)] * 3
    X = pd.DataFrame({"code": levels})
    encoder = TabularEncoder(min_frequency=1, max_categories=None, encoding="native").fit(X)
    codes = encoder.transform(X)["code"]
    assert len(codes.cat.categories) == 255
    assert codes.notna().all() and codes.astype(int).max() == 254
    small = TabularEncoder(min_frequency=1, max_categories=10, encoding="native").fit(X)
    assert len(small.transform(X)["code"].cat.categories) == 10


def test_native_codes_are_read_as_categories_by_gradient_boosting():
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"shop": rng.choice(list("abcdefgh"), 400), "x": rng.normal(size=400)})
    y = X["shop"].isin(["b", "e", "h"]).astype(int)
    model = make_pipeline(
        TabularEncoder(encoding="native"), HistGradientBoostingClassifier(random_state=0)
    ).fit(X, y)
    assert model[-1].is_categorical_.tolist() == [False, True]
    assert model.score(X, y) == 1.0


def test_auto_encoding_is_one_hot_on_its_own():
    X = _frame()
    auto = TabularEncoder(encoding="auto").fit(X)
    assert auto.encoding_ == "one-hot"
    np.testing.assert_array_equal(auto.transform(X), TabularEncoder().fit_transform(X))


def test_unknown_encoding_is_refused():
    with pytest.raises(InvalidParameterError, match="'encoding' parameter"):
        TabularEncoder(encoding="ordinal").fit(_frame())
