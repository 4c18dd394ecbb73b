"""Tests of TextTokenizer: fixed-length token-id sequences for neural text encoders."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from mmsk import TextTokenizer
from mmsk.modality import TextTokenizer as ModalityTextTokenizer


def _reviews():
    return pd.DataFrame(
        {
            "title": ["Great fit", "Too small", "Lovely dress", "Great colour", None],
            "review": [
                "the fit is great",
                "runs small",
                "lovely dress for summer",
                "the colour is great",
                "poor fit",
            ],
        }
    )


def _tokens(**params):
    """A tokenizer that keeps every token seen once."""
    return TextTokenizer(min_frequency=1, **params)


def _ids(tokenizer, words):
    return [tokenizer.vocabulary_[word] for word in words]


# ------------------------------------------------------------------ public API


def test_text_tokenizer_exported():
    assert ModalityTextTokenizer is TextTokenizer


def test_text_tokenizer_docstring_example():
    X = pd.DataFrame(
        {
            "title": ["Great fit", "Too small", None],
            "review": ["Great fabric!", "runs small", "great"],
        }
    )
    tokenizer = TextTokenizer(max_length=6).fit(X)
    assert tokenizer.vocabulary_ == {"great": 3, "small": 4}
    assert tokenizer.vocabulary_size_ == 5
    np.testing.assert_array_equal(
        tokenizer.transform(X), [[3, 1, 2, 3, 1, 1], [1, 4, 2, 1, 4, 0], [2, 3, 0, 0, 0, 0]]
    )


def test_text_tokenizer_output_type_and_shape():
    output = TextTokenizer(max_length=7).fit_transform(_reviews())
    assert isinstance(output, np.ndarray)
    assert output.dtype == np.int64
    assert output.shape == (5, 7)


def test_text_tokenizer_fit_transform_equals_fit_then_transform():
    X = _reviews()
    np.testing.assert_array_equal(
        TextTokenizer().fit_transform(X), TextTokenizer().fit(X).transform(X)
    )


def test_text_tokenizer_get_feature_names_out():
    tokenizer = TextTokenizer(max_length=4).fit(_reviews())
    names = tokenizer.get_feature_names_out()
    assert names.dtype == object
    assert names.tolist() == ["token_0", "token_1", "token_2", "token_3"]
    assert tokenizer.get_feature_names_out(["title", "review"]).tolist() == names.tolist()
    with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
        tokenizer.get_feature_names_out(["review", "title"])


def test_text_tokenizer_set_output_pandas():
    X = _reviews()
    X.index = [f"r{i}" for i in range(5)]
    tokenizer = TextTokenizer(max_length=3).set_output(transform="pandas")
    frame = tokenizer.fit_transform(X)
    assert frame.columns.tolist() == ["token_0", "token_1", "token_2"]
    assert frame.index.tolist() == X.index.tolist()
    np.testing.assert_array_equal(frame.to_numpy(), TextTokenizer(max_length=3).fit_transform(X))


# ------------------------------------------------------------------ vocabulary


def test_text_tokenizer_reserved_ids_come_first():
    tokenizer = _tokens().fit(_reviews())
    ids = sorted(tokenizer.vocabulary_.values())
    assert ids == list(range(3, 3 + len(ids)))
    assert tokenizer.vocabulary_size_ == len(ids) + 3
    output = tokenizer.transform(_reviews())
    assert output.min() >= 0
    assert output.max() < tokenizer.vocabulary_size_


def test_text_tokenizer_one_vocabulary_for_all_columns():
    X = pd.DataFrame({"a": ["red", "red"], "b": ["red blue", "blue"]})
    tokenizer = TextTokenizer().fit(X)
    assert tokenizer.vocabulary_ == {"red": 3, "blue": 4}
    np.testing.assert_array_equal(tokenizer.transform(X)[:, :4], [[3, 2, 3, 4], [3, 2, 4, 0]])


def test_text_tokenizer_most_frequent_first_ties_in_code_point_order():
    X = pd.DataFrame({"t": ["pear fig apple Zoo", "fig apple Zoo pear", "kiwi kiwi kiwi"]})
    tokenizer = _tokens(lowercase=False).fit(X)
    assert list(tokenizer.vocabulary_) == ["kiwi", "Zoo", "apple", "fig", "pear"]
    assert list(tokenizer.vocabulary_.values()) == [3, 4, 5, 6, 7]


def test_text_tokenizer_vocabulary_is_deterministic_across_row_order():
    X = _reviews()
    forward = _tokens().fit(X).vocabulary_
    backward = _tokens().fit(X.iloc[::-1]).vocabulary_
    assert list(forward.items()) == list(backward.items())


def test_text_tokenizer_min_frequency_counts_every_occurrence():
    X = pd.DataFrame({"a": ["once twice", "thrice thrice"], "b": ["twice thrice", None]})
    assert set(TextTokenizer(min_frequency=2).fit(X).vocabulary_) == {"thrice", "twice"}
    assert set(TextTokenizer(min_frequency=3).fit(X).vocabulary_) == {"thrice"}
    assert TextTokenizer(min_frequency=4).fit(X).vocabulary_ == {}


def test_text_tokenizer_max_vocabulary_keeps_most_frequent():
    X = pd.DataFrame({"t": ["c c c b b a d", "e e e e"]})
    tokenizer = _tokens(max_vocabulary=2).fit(X)
    assert tokenizer.vocabulary_ == {"e": 3, "c": 4}
    assert tokenizer.vocabulary_size_ == 5
    np.testing.assert_array_equal(tokenizer.transform(X)[0, :7], [4, 4, 4, 1, 1, 1, 1])


def test_text_tokenizer_max_vocabulary_tie_at_the_cut_is_alphabetical():
    X = pd.DataFrame({"t": ["delta charlie bravo alpha"]})
    assert list(_tokens(max_vocabulary=2).fit(X).vocabulary_) == ["alpha", "bravo"]


def test_text_tokenizer_max_vocabulary_none_keeps_everything():
    X = pd.DataFrame({"t": [" ".join(f"w{i}" for i in range(500))]})
    assert len(_tokens(max_vocabulary=None).fit(X).vocabulary_) == 500


def test_text_tokenizer_frequencies_count_text_beyond_max_length():
    X = pd.DataFrame({"t": ["first " + "late " * 10, "other late"]})
    tokenizer = TextTokenizer(max_length=1, min_frequency=2).fit(X)
    assert tokenizer.vocabulary_ == {"late": 3}


def test_text_tokenizer_lowercase_honoured():
    X = pd.DataFrame({"t": ["Great FIT", "great fit"]})
    assert set(_tokens().fit(X).vocabulary_) == {"great", "fit"}
    assert set(_tokens(lowercase=False).fit(X).vocabulary_) == {"Great", "FIT", "great", "fit"}


def test_text_tokenizer_default_pattern_keeps_symbols_and_emoji():
    X = pd.DataFrame({"t": ["Love it!! 😀", "naïve café, 東京 ünïcödé 😀😀"]})
    tokenizer = _tokens().fit(X)
    assert set(tokenizer.vocabulary_) == {
        "love", "it", "!", "😀", "naïve", "café", ",", "東京", "ünïcödé",
    }  # fmt: skip
    assert list(tokenizer.vocabulary_)[:2] == ["😀", "!"]
    row = tokenizer.transform(X)[0, :5]
    np.testing.assert_array_equal(row, _ids(tokenizer, ["love", "it", "!", "!", "😀"]))


def test_text_tokenizer_words_only_pattern():
    X = pd.DataFrame({"t": ["Love it!! 😀", "don't"]})
    tokenizer = _tokens(token_pattern=r"(?u)\b\w+\b").fit(X)
    assert set(tokenizer.vocabulary_) == {"love", "it", "don", "t"}


def test_text_tokenizer_pattern_with_one_group_keeps_the_group():
    X = pd.DataFrame({"t": ["#sale on #shoes today"]})
    tokenizer = _tokens(token_pattern=r"#(\w+)").fit(X)
    assert set(tokenizer.vocabulary_) == {"sale", "shoes"}


def test_text_tokenizer_pattern_matching_empty_strings_yields_no_empty_tokens():
    X = pd.DataFrame({"t": ["ab cd", "  "]})
    tokenizer = _tokens(token_pattern=r"\w*").fit(X)
    assert set(tokenizer.vocabulary_) == {"ab", "cd"}
    np.testing.assert_array_equal(tokenizer.transform(X)[:, :3], [[3, 4, 0], [0, 0, 0]])


# ----------------------------------------------------------- sequence layout


def test_text_tokenizer_separator_between_columns_not_after_last():
    X = pd.DataFrame({"a": ["x y"], "b": ["z"], "c": ["x"]})
    tokenizer = _tokens(max_length=10).fit(X)
    x, y, z = _ids(tokenizer, ["x", "y", "z"])
    np.testing.assert_array_equal(tokenizer.transform(X), [[x, y, 2, z, 2, x, 0, 0, 0, 0]])


def test_text_tokenizer_single_column_has_no_separator():
    tokenizer = _tokens(max_length=8).fit(_reviews()[["review"]])
    assert not (tokenizer.transform(_reviews()[["review"]]) == 2).any()


def test_text_tokenizer_missing_cells_keep_their_separator():
    X = pd.DataFrame(
        {"a": ["x", None, "x", None], "b": [None, "y", "", "y"], "c": ["z", "z", None, None]}
    )
    tokenizer = _tokens(max_length=6).fit(X)
    x, y, z = _ids(tokenizer, ["x", "y", "z"])
    np.testing.assert_array_equal(
        tokenizer.transform(X),
        [
            [x, 2, 2, z, 0, 0],
            [2, y, 2, z, 0, 0],
            [x, 2, 2, 0, 0, 0],
            [2, y, 2, 0, 0, 0],
        ],
    )


def test_text_tokenizer_row_without_text_is_all_zeros():
    X = pd.DataFrame({"a": ["x", None, " ", np.nan], "b": ["y", "", None, "\t\n"]})
    output = _tokens().fit_transform(X)
    assert (output[0] != 0).any()
    np.testing.assert_array_equal(output[1:], 0)


def test_text_tokenizer_truncates_keeping_first_tokens():
    X = pd.DataFrame({"t": [" ".join(f"w{i}" for i in range(10))]})
    tokenizer = _tokens(max_length=4).fit(X)
    np.testing.assert_array_equal(
        tokenizer.transform(X), [_ids(tokenizer, ["w0", "w1", "w2", "w3"])]
    )


@pytest.mark.parametrize(
    ("max_length", "expected"),
    [
        (1, [["a"]]),
        (2, [["a", "b"]]),
        (3, [["a", "b", 2]]),
        (4, [["a", "b", 2, "c"]]),
        (5, [["a", "b", 2, "c", 2]]),
        (7, [["a", "b", 2, "c", 2, "d", 0]]),
    ],
)
def test_text_tokenizer_truncation_counts_separators(max_length, expected):
    X = pd.DataFrame({"p": ["a b"], "q": ["c"], "r": ["d"]})
    tokenizer = _tokens(max_length=max_length, lowercase=False).fit(X)
    ids = [[tokenizer.vocabulary_.get(item, item) for item in row] for row in expected]
    np.testing.assert_array_equal(tokenizer.transform(X), ids)


def test_text_tokenizer_long_first_column_hides_later_columns():
    X = pd.DataFrame({"long": ["w " * 50], "short": ["end"]})
    output = _tokens(max_length=8).fit_transform(X)
    assert (output != 2).all()
    assert (output != 0).all()


def test_text_tokenizer_pads_right_with_zeros():
    X = pd.DataFrame({"t": ["one", "one two three"]})
    tokenizer = _tokens(max_length=5).fit(X)
    one, two, three = _ids(tokenizer, ["one", "two", "three"])
    np.testing.assert_array_equal(
        tokenizer.transform(X), [[one, 0, 0, 0, 0], [one, two, three, 0, 0]]
    )


def test_text_tokenizer_unknown_tokens_map_to_one():
    tokenizer = TextTokenizer().fit(_reviews())
    great = tokenizer.vocabulary_["great"]
    X = pd.DataFrame({"title": ["zebra great"], "review": ["xylophone"]})
    np.testing.assert_array_equal(tokenizer.transform(X)[0, :5], [1, great, 2, 1, 0])


def test_text_tokenizer_rows_are_independent():
    X = _reviews()
    tokenizer = TextTokenizer().fit(X)
    whole = tokenizer.transform(X)
    for i in range(len(X)):
        np.testing.assert_array_equal(tokenizer.transform(X.iloc[[i]]), whole[[i]])


# ------------------------------------------------------------- odd cell values


@pytest.mark.parametrize("empty", [np.nan, None, pd.NA, "", "   ", "\t\n"])
def test_text_tokenizer_missing_or_blank_cell_has_no_tokens(empty):
    X = pd.DataFrame({"t": ["some words", empty, "some words"]}, dtype=object)
    tokenizer = TextTokenizer()
    output = tokenizer.fit_transform(X)
    np.testing.assert_array_equal(output[1], 0)
    np.testing.assert_array_equal(
        tokenizer.transform(pd.DataFrame({"t": [empty]}, dtype=object)), 0
    )


def test_text_tokenizer_column_without_text_gives_reserved_ids_only():
    X = pd.DataFrame({"t": [None, np.nan, "", "  "]}, dtype=object)
    tokenizer = TextTokenizer().fit(X)
    assert tokenizer.vocabulary_ == {}
    assert tokenizer.vocabulary_size_ == 3
    np.testing.assert_array_equal(tokenizer.transform(X), 0)
    output = tokenizer.transform(pd.DataFrame({"t": ["now some text"]}))
    np.testing.assert_array_equal(output[0, :4], [1, 1, 1, 0])


def test_text_tokenizer_one_empty_column_among_others_still_fits():
    X = _reviews().assign(empty=None)
    tokenizer = TextTokenizer().fit(X)
    assert "great" in tokenizer.vocabulary_
    assert tokenizer.transform(X).shape == (5, 64)


def test_text_tokenizer_str_dtype_with_missing():
    X = pd.DataFrame({"t": pd.Series(["some words", None, "some words"], dtype="str")})
    output = TextTokenizer().fit_transform(X)
    np.testing.assert_array_equal(output[1], 0)
    np.testing.assert_array_equal(output[0, :3], [3, 4, 0])


def test_text_tokenizer_numbers_bytes_and_lists_handled():
    X = pd.DataFrame(
        {"t": [42, 2.5, b"caf\xc3\xa9 latte", ["list", "items"], ("tuple", None), b"bad\xff"]},
        dtype=object,
    )
    tokenizer = _tokens().fit(X)
    vocabulary = set(tokenizer.vocabulary_)
    assert {"42", "2", ".", "5", "café", "latte", "list", "items", "tuple", "bad"} <= vocabulary
    assert not any(token.startswith("b'") for token in vocabulary)
    assert (tokenizer.transform(X)[:, 0] >= 3).all()


def test_text_tokenizer_numeric_column():
    X = pd.DataFrame({"n": [101, 202, 101]})
    tokenizer = TextTokenizer().fit(X)
    assert tokenizer.vocabulary_ == {"101": 3}
    np.testing.assert_array_equal(tokenizer.transform(X)[:, :2], [[3, 0], [1, 0], [3, 0]])


def test_text_tokenizer_very_long_text():
    text = (" ".join(f"w{i % 5000}" for i in range(20_000)) + " tail" * 20_000)[:100_000]
    assert len(text) == 100_000
    X = pd.DataFrame({"t": [text, "short other text"]})
    tokenizer = TextTokenizer(max_length=16).fit(X)
    assert "w0" in tokenizer.vocabulary_
    output = tokenizer.transform(X)
    assert output.shape == (2, 16)
    assert (output[0] >= 3).all()


def test_text_tokenizer_many_rows_layout():
    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(2000)])
    texts = [" ".join(rng.choice(words, size=8)) for _ in range(20_000)]
    X = pd.DataFrame({"a": texts, "b": texts[::-1]})
    output = TextTokenizer(max_length=20).fit(X).transform(X)
    assert output.shape == (20_000, 20)
    assert (output[:, 8] == 2).all()
    assert (output[:, 17:] == 0).all()


# --------------------------------------------------------- input containers


def test_text_tokenizer_numpy_and_list_input_match_dataframe():
    X = _reviews()
    from_frame = TextTokenizer().fit_transform(X)
    from_array = TextTokenizer().fit(X.to_numpy(dtype=object))
    np.testing.assert_array_equal(from_array.transform(X.to_numpy(dtype=object)), from_frame)
    rows = X.to_numpy(dtype=object).tolist()
    np.testing.assert_array_equal(TextTokenizer().fit_transform(rows), from_frame)
    assert from_array.n_features_in_ == 2
    assert not hasattr(from_array, "feature_names_in_")


def test_text_tokenizer_list_of_rows_keeps_messy_cells():
    rows = [["red dress", np.nan], [["red", "shoes"], None], [b"blue", 7]]
    tokenizer = _tokens().fit(rows)
    assert "nan" not in tokenizer.vocabulary_
    assert set(tokenizer.vocabulary_) == {"red", "dress", "shoes", "blue", "7"}
    output = tokenizer.transform(rows)
    red, dress, shoes, blue, seven = _ids(tokenizer, ["red", "dress", "shoes", "blue", "7"])
    np.testing.assert_array_equal(
        output[:, :4], [[red, dress, 2, 0], [red, shoes, 2, 0], [blue, 2, seven, 0]]
    )


def test_text_tokenizer_ragged_rows_raise():
    with pytest.raises(ValueError, match="inhomogeneous"):
        TextTokenizer().fit([["one", "two"], ["three"]])


def test_text_tokenizer_records_input_columns():
    tokenizer = TextTokenizer().fit(_reviews())
    assert tokenizer.n_features_in_ == 2
    assert tokenizer.feature_names_in_.tolist() == ["title", "review"]


def test_text_tokenizer_pickle_round_trip():
    X = _reviews()
    tokenizer = TextTokenizer(min_frequency=1).fit(X)
    restored = pickle.loads(pickle.dumps(tokenizer))
    assert restored.vocabulary_ == tokenizer.vocabulary_
    assert restored.vocabulary_size_ == tokenizer.vocabulary_size_
    np.testing.assert_array_equal(restored.transform(X), tokenizer.transform(X))


# --------------------------------------------------------------------- errors


def test_text_tokenizer_transform_before_fit_raises():
    with pytest.raises(NotFittedError, match="not fitted"):
        TextTokenizer().transform(_reviews())
    with pytest.raises(NotFittedError, match="not fitted"):
        TextTokenizer().get_feature_names_out()


def test_text_tokenizer_transform_reordered_columns_raises():
    X = _reviews()
    tokenizer = TextTokenizer().fit(X)
    with pytest.raises(ValueError, match="same order"):
        tokenizer.transform(X[["review", "title"]])


def test_text_tokenizer_transform_missing_column_raises():
    X = _reviews()
    tokenizer = TextTokenizer().fit(X)
    with pytest.raises(ValueError, match="missing:\n- title"):
        tokenizer.transform(X[["review"]])


def test_text_tokenizer_transform_wrong_column_count_raises():
    tokenizer = TextTokenizer().fit(_reviews().to_numpy(dtype=object))
    with pytest.raises(ValueError, match="X has 1 features, but TextTokenizer is expecting 2"):
        tokenizer.transform(np.array([["one"], ["two"]], dtype=object))


def test_text_tokenizer_sparse_input_raises():
    from scipy import sparse

    with pytest.raises(TypeError, match="does not accept sparse input"):
        TextTokenizer().fit(sparse.csr_matrix(np.eye(3)))


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"max_length": 0}, "max_length"),
        ({"max_length": 2.5}, "max_length"),
        ({"max_vocabulary": 0}, "max_vocabulary"),
        ({"max_vocabulary": "all"}, "max_vocabulary"),
        ({"min_frequency": 0}, "min_frequency"),
        ({"min_frequency": 0.5}, "min_frequency"),
        ({"lowercase": "yes"}, "lowercase"),
        ({"token_pattern": None}, "token_pattern"),
    ],
)
def test_text_tokenizer_invalid_parameters_raise(params, parameter):
    assert issubclass(InvalidParameterError, ValueError)
    with pytest.raises(InvalidParameterError, match=f"'{parameter}' parameter of TextTokenizer"):
        TextTokenizer(**params).fit(_reviews())


@pytest.mark.parametrize(
    ("token_pattern", "message"),
    [
        (r"(\w+", "does not compile"),
        (r"(\w)(\w)", "at most one capturing group"),
    ],
)
def test_text_tokenizer_invalid_token_pattern_raises(token_pattern, message):
    with pytest.raises(ValueError, match=f"'token_pattern' parameter of TextTokenizer.*{message}"):
        TextTokenizer(token_pattern=token_pattern).fit(_reviews())
