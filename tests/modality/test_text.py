"""Tests of TextVectorizer: TF-IDF features with one vocabulary per text column."""

import pickle
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.utils._param_validation import InvalidParameterError

from mmsk import TextVectorizer
from mmsk.modality import _text


def _reviews():
    return pd.DataFrame(
        {
            "title": ["Great fit", "Too small", "Lovely dress", "Great colour", "Poor fit"],
            "review": [
                "the fit is great and the fabric is soft",
                "runs small so order a size up",
                "lovely dress for summer evenings",
                "the colour is great but it runs small",
                "poor fit around the waist",
            ],
        }
    )


def _names(vectorizer):
    return vectorizer.get_feature_names_out().tolist()


def _dense(matrix):
    return matrix.toarray() if sparse.issparse(matrix) else np.asarray(matrix)


# ----------------------------------------------------------------- feature names


def test_text_vectorizer_docstring_example():
    X = pd.DataFrame(
        {"review": ["runs small", "lovely fabric", None], "title": ["Too tight", "", "Love it"]}
    )
    vectorizer = TextVectorizer(ngram_range=(1, 1)).fit(X)
    assert vectorizer.transform(X).shape == (3, 8)
    assert _names(vectorizer)[:2] == ["review__fabric", "review__lovely"]


def test_text_vectorizer_one_vocabulary_per_column():
    vectorizer = TextVectorizer(ngram_range=(1, 1)).fit(_reviews())
    names = _names(vectorizer)
    assert "title__fit" in names
    assert "review__fit" in names
    assert "title__soft" not in names
    assert "review__soft" in names
    titles = [name for name in names if name.startswith("title__")]
    assert names[: len(titles)] == titles
    assert all(name.startswith("review__") for name in names[len(titles) :])
    assert [column for column, _, _ in vectorizer.vectorizers_] == ["title", "review"]


def test_text_vectorizer_word_ngram_names():
    vectorizer = TextVectorizer(ngram_range=(1, 2)).fit(_reviews()[["title"]])
    names = _names(vectorizer)
    assert "title__great fit" in names
    assert "title__great" in names


def test_text_vectorizer_char_wb_feature_names():
    vectorizer = TextVectorizer(analyzer="char_wb", char_ngram_range=(2, 2))
    vectorizer.fit(pd.DataFrame({"t": ["ab cd", "ab"]}))
    assert _names(vectorizer) == [
        "t__char_ a",
        "t__char_ c",
        "t__char_ab",
        "t__char_b ",
        "t__char_cd",
        "t__char_d ",
    ]


def test_text_vectorizer_word_plus_char_has_both_blocks():
    X = _reviews()
    both = TextVectorizer(analyzer="word+char", char_ngram_range=(2, 3)).fit(X)
    word = TextVectorizer(analyzer="word").fit(X)
    char = TextVectorizer(analyzer="char_wb", char_ngram_range=(2, 3)).fit(X)
    names = _names(both)
    assert set(names) == set(_names(word)) | set(_names(char))
    assert len(names) == len(_names(word)) + len(_names(char))
    assert [(column, analyzer) for column, analyzer, _ in both.vectorizers_] == [
        ("title", "word"),
        ("title", "char_wb"),
        ("review", "word"),
        ("review", "char_wb"),
    ]
    assert both.transform(X).shape == (5, len(names))


def test_text_vectorizer_char_ngram_range_honoured():
    vectorizer = TextVectorizer(analyzer="char_wb", char_ngram_range=(3, 4))
    vectorizer.fit(_reviews())
    grams = [name.split("__char_", 1)[1] for name in _names(vectorizer)]
    assert {len(gram) for gram in grams} == {3, 4}


def test_text_vectorizer_integer_column_labels():
    X = np.array([["hello world", "foo"], ["bar baz", None]], dtype=object)
    vectorizer = TextVectorizer(ngram_range=(1, 1)).fit(X)
    assert _names(vectorizer) == ["0__bar", "0__baz", "0__hello", "0__world", "1__foo"]
    assert not hasattr(vectorizer, "feature_names_in_")
    assert vectorizer.n_features_in_ == 2


# ----------------------------------------------------------------- output types


def test_text_vectorizer_sparse_csr_by_default():
    output = TextVectorizer().fit_transform(_reviews())
    assert sparse.issparse(output)
    assert output.format == "csr"
    assert output.dtype == np.float64


def test_text_vectorizer_dense_output():
    X = _reviews()
    dense = TextVectorizer(sparse_output=False).fit_transform(X)
    assert isinstance(dense, np.ndarray)
    np.testing.assert_allclose(dense, TextVectorizer().fit_transform(X).toarray())


def test_text_vectorizer_set_output_pandas_with_dense_output():
    X = _reviews()
    X.index = [f"r{i}" for i in range(5)]
    vectorizer = TextVectorizer(sparse_output=False).set_output(transform="pandas")
    frame = vectorizer.fit_transform(X)
    assert isinstance(frame, pd.DataFrame)
    assert frame.columns.tolist() == _names(vectorizer)
    assert frame.index.tolist() == X.index.tolist()
    pd.testing.assert_frame_equal(vectorizer.transform(X), frame)


def test_text_vectorizer_set_output_pandas_with_sparse_output_raises():
    vectorizer = TextVectorizer().set_output(transform="pandas")
    with pytest.raises(ValueError, match="sparse"):
        vectorizer.fit_transform(_reviews())


# --------------------------------------------------------------- odd cell values


@pytest.mark.parametrize("empty", [np.nan, None, pd.NA, "", "   ", "\t\n"])
def test_text_vectorizer_missing_or_blank_text_gives_zero_row(empty):
    X = pd.DataFrame({"t": ["some words", empty, "more words"]}, dtype=object)
    vectorizer = TextVectorizer()
    output = vectorizer.fit_transform(X)
    assert output[1].nnz == 0
    assert vectorizer.transform(pd.DataFrame({"t": [empty]}, dtype=object)).nnz == 0


def test_text_vectorizer_str_dtype_with_missing():
    X = pd.DataFrame({"t": pd.Series(["some words", None, "more words"], dtype="str")})
    output = TextVectorizer().fit_transform(X)
    assert output[1].nnz == 0
    assert output[0].nnz > 0


def test_text_vectorizer_numbers_bytes_and_lists_handled():
    X = pd.DataFrame(
        {"t": [42, 2.5, b"caf\xc3\xa9 latte", ["list", "items"], ("tuple", "item"), b"bad\xff"]},
        dtype=object,
    )
    vectorizer = TextVectorizer(ngram_range=(1, 1))
    output = vectorizer.fit_transform(X)
    names = set(_names(vectorizer))
    assert {"t__42", "t__2", "t__5", "t__café", "t__latte", "t__list", "t__items"} <= names
    assert {"t__tuple", "t__item", "t__bad"} <= names
    assert not any(name.startswith("t__b'") for name in names)
    assert output.getnnz(axis=1).min() > 0


def test_text_vectorizer_numeric_column():
    X = pd.DataFrame({"n": [101, 202, 101]})
    vectorizer = TextVectorizer(ngram_range=(1, 1))
    output = vectorizer.fit_transform(X)
    assert _names(vectorizer) == ["n__101", "n__202"]
    np.testing.assert_array_equal(output.toarray(), [[1, 0], [0, 1], [1, 0]])


def test_text_vectorizer_unicode_and_emoji():
    X = pd.DataFrame({"t": ["naïve café 😀", "東京 ünïcödé", "😀😀 smile"]})
    words = TextVectorizer(ngram_range=(1, 1)).fit(X)
    assert {"t__naïve", "t__café", "t__東京", "t__ünïcödé", "t__smile"} <= set(_names(words))
    chars = TextVectorizer(analyzer="char_wb", char_ngram_range=(1, 1)).fit(X)
    assert "t__char_😀" in _names(chars)


def test_text_vectorizer_lowercase_honoured():
    X = pd.DataFrame({"t": ["Great FIT", "great fit"]})
    assert _names(TextVectorizer(ngram_range=(1, 1)).fit(X)) == ["t__fit", "t__great"]
    kept = _names(TextVectorizer(ngram_range=(1, 1), lowercase=False).fit(X))
    assert kept == ["t__FIT", "t__Great", "t__fit", "t__great"]


def test_text_vectorizer_very_long_text():
    words = [f"w{i % 5000}" for i in range(10_000)]
    text = " ".join(words)
    text = (text + " tail" * 20_000)[:100_000]
    assert len(text) == 100_000
    X = pd.DataFrame({"t": [text, "short other text"]})
    vectorizer = TextVectorizer(ngram_range=(1, 1))
    output = vectorizer.fit_transform(X)
    assert "t__tail" in _names(vectorizer)
    np.testing.assert_allclose(sparse.linalg.norm(output, axis=1), 1.0)


# --------------------------------------------------------- columns without terms


@pytest.mark.parametrize(
    ("column", "params"),
    [
        ([None, None, None], {}),
        ([np.nan, pd.NA, None], {}),
        (["", "  ", ""], {}),
        (["the and of", "a an the", "it is"], {"stop_words": "english"}),
        (["alpha beta", "gamma delta", "epsilon zeta"], {"min_df": 2}),
        (["😀", "!!", "..."], {}),
    ],
    ids=["none", "mixed-missing", "blank", "stop-words", "min-df", "no-word-chars"],
)
def test_text_vectorizer_column_without_terms_raises_naming_column(column, params):
    X = pd.DataFrame({"body": ["usable words here"] * 3, "headline_text": column}, dtype=object)
    with pytest.raises(ValueError, match="text column 'headline_text'"):
        TextVectorizer(**params).fit(X)


def test_text_vectorizer_min_df_above_row_count_raises_naming_column():
    X = pd.DataFrame({"headline_text": ["some words", "more words"]})
    with pytest.raises(ValueError, match="headline_text"):
        TextVectorizer(min_df=5).fit(X)


# ----------------------------------------------------------------- vocabulary size


def test_text_vectorizer_max_features_per_column():
    X = pd.DataFrame(
        {
            "a": ["red red red blue blue green", "red blue", "red pink"],
            "b": ["one two three", "one two", "one four"],
        }
    )
    vectorizer = TextVectorizer(ngram_range=(1, 1), max_features=2).fit(X)
    assert _names(vectorizer) == ["a__blue", "a__red", "b__one", "b__two"]


def test_text_vectorizer_min_df_drops_rare_terms():
    X = pd.DataFrame({"t": ["common rare", "common other", "common other"]})
    vectorizer = TextVectorizer(ngram_range=(1, 1), min_df=2).fit(X)
    assert _names(vectorizer) == ["t__common", "t__other"]


def test_text_vectorizer_max_df_drops_common_terms():
    X = pd.DataFrame({"t": ["common rare", "common other", "common other"]})
    vectorizer = TextVectorizer(ngram_range=(1, 1), max_df=0.9).fit(X)
    assert _names(vectorizer) == ["t__other", "t__rare"]


@pytest.mark.parametrize(
    ("ngram_range", "expected"),
    [
        ((1, 1), ["t__big", "t__dog", "t__red"]),
        ((2, 2), ["t__big red", "t__red dog"]),
        ((1, 2), ["t__big", "t__big red", "t__dog", "t__red", "t__red dog"]),
    ],
)
def test_text_vectorizer_ngram_range_honoured(ngram_range, expected):
    X = pd.DataFrame({"t": ["big red dog"]})
    assert _names(TextVectorizer(ngram_range=ngram_range).fit(X)) == expected


@pytest.mark.parametrize("stop_words", ["english", ["the", "is", "and"]])
def test_text_vectorizer_stop_words_removed(stop_words):
    X = pd.DataFrame({"t": ["the fabric is soft and warm"]})
    names = _names(TextVectorizer(ngram_range=(1, 1), stop_words=stop_words).fit(X))
    assert names == ["t__fabric", "t__soft", "t__warm"]


def test_text_vectorizer_stop_words_only_affect_words():
    X = pd.DataFrame({"t": ["the the"]})
    vectorizer = TextVectorizer(analyzer="char_wb", char_ngram_range=(3, 3), stop_words="english")
    assert "t__char_the" in _names(vectorizer.fit(X))


# ---------------------------------------------------------------------- transform


def test_text_vectorizer_unseen_words_ignored():
    vectorizer = TextVectorizer(ngram_range=(1, 1)).fit(_reviews()[["title"]])
    output = vectorizer.transform(pd.DataFrame({"title": ["zebra xylophone", "zebra fit"]}))
    assert output.shape == (2, len(_names(vectorizer)))
    assert output[0].nnz == 0
    (columns,) = output[1].nonzero()[1:]
    assert [_names(vectorizer)[i] for i in columns] == ["title__fit"]
    assert output[1].sum() == pytest.approx(1.0)


@pytest.mark.parametrize("analyzer", ["word", "char_wb", "word+char"])
def test_text_vectorizer_fit_transform_equals_fit_then_transform(analyzer):
    X = _reviews()
    fitted = TextVectorizer(analyzer=analyzer).fit_transform(X)
    refitted = TextVectorizer(analyzer=analyzer).fit(X).transform(X)
    np.testing.assert_allclose(fitted.toarray(), refitted.toarray())


def test_text_vectorizer_rows_l2_normalised_per_column_block():
    X = _reviews()
    X.loc[1, "title"] = None
    vectorizer = TextVectorizer(analyzer="word+char")
    output = vectorizer.fit_transform(X).toarray()
    names = _names(vectorizer)
    blocks = {
        "title word": [n.startswith("title__") and "__char_" not in n for n in names],
        "title char": [n.startswith("title__char_") for n in names],
        "review word": [n.startswith("review__") and "__char_" not in n for n in names],
        "review char": [n.startswith("review__char_") for n in names],
    }
    for block, mask in blocks.items():
        norms = np.linalg.norm(output[:, mask], axis=1)
        if block.startswith("title"):
            np.testing.assert_allclose(norms, [1, 0, 1, 1, 1], err_msg=block)
        else:
            np.testing.assert_allclose(norms, 1.0, err_msg=block)
    assert sum(sum(mask) for mask in blocks.values()) == len(names)


def test_text_vectorizer_pickle_round_trip():
    X = _reviews()
    vectorizer = TextVectorizer(analyzer="word+char").fit(X)
    restored = pickle.loads(pickle.dumps(vectorizer))
    assert _names(restored) == _names(vectorizer)
    np.testing.assert_array_equal(
        restored.transform(X).toarray(), vectorizer.transform(X).toarray()
    )


def test_text_vectorizer_single_column_dataframe():
    X = _reviews()[["review"]]
    vectorizer = TextVectorizer()
    output = vectorizer.fit_transform(X)
    assert output.shape[0] == 5
    assert all(name.startswith("review__") for name in _names(vectorizer))


def test_text_vectorizer_numpy_object_array_matches_dataframe():
    X = _reviews()
    from_array = TextVectorizer().fit_transform(X.to_numpy(dtype=object))
    from_frame = TextVectorizer().fit_transform(X)
    np.testing.assert_allclose(_dense(from_array), _dense(from_frame))


# ------------------------------------------------------------------------- errors


def test_text_vectorizer_transform_before_fit_raises():
    with pytest.raises(NotFittedError, match="not fitted"):
        TextVectorizer().transform(_reviews())
    with pytest.raises(NotFittedError, match="not fitted"):
        TextVectorizer().get_feature_names_out()


def test_text_vectorizer_transform_reordered_columns_raises():
    X = _reviews()
    vectorizer = TextVectorizer().fit(X)
    with pytest.raises(ValueError, match="same order"):
        vectorizer.transform(X[["review", "title"]])


def test_text_vectorizer_transform_missing_column_raises():
    X = _reviews()
    vectorizer = TextVectorizer().fit(X)
    with pytest.raises(ValueError, match="missing:\n- title"):
        vectorizer.transform(X[["review"]])


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"analyzer": "sentence"}, "analyzer"),
        ({"ngram_range": [1, 2]}, "ngram_range"),
        ({"min_df": -1}, "min_df"),
        ({"max_features": 0}, "max_features"),
        ({"stop_words": "french"}, "stop_words"),
        ({"sparse_output": "no"}, "sparse_output"),
    ],
)
def test_text_vectorizer_invalid_parameters_raise(params, parameter):
    with pytest.raises(InvalidParameterError, match=f"'{parameter}' parameter of TextVectorizer"):
        TextVectorizer(**params).fit(_reviews())


@pytest.mark.parametrize("analyzer", ["char_wb", "word+char"])
def test_text_vectorizer_char_analyzer_fits_without_warnings(analyzer):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TextVectorizer(analyzer=analyzer).fit(_reviews())


# ------------------------------------------- the memo of analysed documents (fast path)
#
# Fitting and transforming go through a per-process memo of analysed documents; the
# results must be identical, bit for bit, to scikit-learn's plain TfidfVectorizer, which
# mmsk runs when _text._MEMOISE is False.

_WORDS = [
    "fit", "Fit", "FIT", "size", "small", "the", "and", "is", "café", "naïve", "Straße",
    "東京", "😀", "soft", "fabric", "runs", "x", "ab", "ÆØÅ", "don't", "4.5",
]  # fmt: skip


def _corpus(n_documents, seed, words=_WORDS):
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(words, size=rng.integers(0, 9))) for _ in range(n_documents)]


def _frame(n_rows, seed):
    """Two text columns with missing, blank, repeated and non-ASCII texts."""
    frame = pd.DataFrame(
        {"review": _corpus(n_rows, seed), "title": _corpus(n_rows, seed + 1)}, dtype=object
    )
    frame.loc[1, "review"] = None
    frame.loc[2, "review"] = np.nan
    frame.loc[3, "title"] = "   "
    frame.loc[4, "title"] = frame.loc[5, "title"]
    return frame


def _plain_path():
    return mock.patch.object(_text, "_MEMOISE", False)


@pytest.fixture
def fresh_memo():
    _text._clear_memos()
    yield
    _text._clear_memos()


@pytest.fixture
def analysed(monkeypatch):
    """How many documents scikit-learn's analyzers analysed, by analyzer."""
    calls = Counter()
    build_analyzer = TfidfVectorizer.build_analyzer

    def counting_build_analyzer(vectorizer):
        analyze = build_analyzer(vectorizer)

        def counting_analyze(document):
            calls[vectorizer.analyzer] += 1
            return analyze(document)

        return counting_analyze

    monkeypatch.setattr(TfidfVectorizer, "build_analyzer", counting_build_analyzer)
    return calls


def _assert_same_csr(actual, expected):
    """Equal as stored: container, dtypes, and data, indices, indptr in the same order."""
    assert type(actual) is type(expected)
    assert actual.shape == expected.shape
    for name in ("data", "indices", "indptr"):
        assert getattr(actual, name).dtype == getattr(expected, name).dtype, name
        np.testing.assert_array_equal(getattr(actual, name), getattr(expected, name), name)


def _assert_same_vectorizer(actual, expected):
    assert list(actual.vocabulary_.items()) == list(expected.vocabulary_.items())
    assert [type(i) for i in actual.vocabulary_.values()] == [
        type(i) for i in expected.vocabulary_.values()
    ]
    assert actual.idf_.dtype == expected.idf_.dtype
    np.testing.assert_array_equal(actual.idf_, expected.idf_)
    assert actual._tfidf.n_features_in_ == expected._tfidf.n_features_in_
    assert actual.fixed_vocabulary_ == expected.fixed_vocabulary_
    np.testing.assert_array_equal(actual.get_feature_names_out(), expected.get_feature_names_out())
    assert list(vars(actual)) == list(vars(expected))


def _tfidf(analyzer, **params):
    word = analyzer == "word"
    if not word:
        params.pop("stop_words", None)
    return TfidfVectorizer(
        analyzer=analyzer,
        ngram_range=params.pop("ngram_range", (1, 2) if word else (2, 5)),
        token_pattern=r"(?u)\b\w+\b" if word else None,
        sublinear_tf=True,
        dtype=np.float64,
        **params,
    )


_CASES = {
    "defaults": {},
    "no-max-features": {"max_features": None},
    "max-features-ties": {"max_features": 3},
    "min-df-int": {"min_df": 2},
    "min-df-float": {"min_df": 0.15},
    "max-df-int": {"max_df": 6},
    "max-df-float": {"max_df": 0.4, "max_features": 20},
    "stop-words": {"stop_words": "english"},
    "stop-word-list": {"stop_words": ["the", "and", "fit"]},
    "case-kept": {"lowercase": False, "max_features": 10},
}


@pytest.mark.parametrize("analyzer", ["word", "char_wb", "word+char"])
@pytest.mark.parametrize("params", _CASES.values(), ids=_CASES.keys())
def test_text_vectorizer_memo_matches_plain_tfidf(fresh_memo, analyzer, params):
    X, X_other = _frame(40, seed=0), _frame(15, seed=7)
    X_other.loc[0, "review"] = "zebra xylophone café unseen-gram"
    memoised = TextVectorizer(analyzer=analyzer, **params)
    plain = TextVectorizer(analyzer=analyzer, **params)
    fitted = memoised.fit_transform(X)
    with _plain_path():
        expected = plain.fit_transform(X)
        expected_other = plain.transform(X_other)
        expected_again = plain.transform(X)
    _assert_same_csr(fitted, expected)
    _assert_same_csr(memoised.transform(X_other), expected_other)
    _assert_same_csr(memoised.transform(X), expected_again)
    assert _names(memoised) == _names(plain)
    for (_, _, actual), (_, _, reference) in zip(memoised.vectorizers_, plain.vectorizers_):
        _assert_same_vectorizer(actual, reference)
        assert pickle.dumps(actual) == pickle.dumps(reference)


@pytest.mark.parametrize("analyzer", ["word", "char_wb"])
@pytest.mark.parametrize("params", _CASES.values(), ids=_CASES.keys())
def test_memoised_fit_matches_tfidf_vectorizer_on_folds(fresh_memo, analyzer, params):
    """Fits on overlapping subsets, as in cross-validation: memo hits and misses mixed."""
    documents = _corpus(60, seed=3) + ["", "   ", "\t", "naïve café", "naïve café"]
    other = _corpus(20, seed=4, words=[*_WORDS, "zebra", "ünseen"])
    folds = np.array_split(np.random.default_rng(0).permutation(len(documents)), 4)
    for held_out in [*folds, []]:
        train = [document for i, document in enumerate(documents) if i not in set(held_out)]
        reference, memoised = _tfidf(analyzer, **params), _tfidf(analyzer, **params)
        _assert_same_csr(
            _text._fit_transform_memoised(memoised, train), reference.fit_transform(train)
        )
        _assert_same_vectorizer(memoised, reference)
        _assert_same_csr(_text._transform_memoised(memoised, other), reference.transform(other))


def test_memoised_max_features_breaks_ties_like_scikit_learn(fresh_memo):
    documents = [" ".join(f"w{i:02d}" for i in range(start, start + 6)) for start in range(20)]
    totals = np.sort(CountVectorizer().fit_transform(documents).sum(axis=0).A1)[::-1]
    assert totals[6] == totals[7]  # the seventh and eighth terms tie across the cut
    reference = _tfidf("word", ngram_range=(1, 1), max_features=7)
    memoised = _tfidf("word", ngram_range=(1, 1), max_features=7)
    _assert_same_csr(
        _text._fit_transform_memoised(memoised, documents), reference.fit_transform(documents)
    )
    _assert_same_vectorizer(memoised, reference)


@pytest.mark.parametrize(
    ("documents", "params"),
    [
        (["", "   ", ""], {}),
        (["the and", "is the"], {"stop_words": "english"}),
        (["alpha beta", "gamma delta"], {"min_df": 2}),
        (["alpha beta", "alpha delta"], {"min_df": 2, "max_df": 1}),
        (["alpha beta", "alpha delta"], {"min_df": 0.9, "max_df": 0.5}),
        (["alpha", "beta"], {"ngram_range": (2, 1)}),
    ],
)
def test_memoised_fit_raises_the_same_errors(fresh_memo, documents, params):
    with pytest.raises(ValueError) as expected:
        _tfidf("word", **params).fit_transform(documents)
    with pytest.raises(ValueError) as raised:
        _text._fit_transform_memoised(_tfidf("word", **params), documents)
    assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize(
    ("column", "params"),
    [
        ([None, "", "  "], {}),
        (["the and", "is the", "it"], {"stop_words": "english"}),
        (["alpha beta", "gamma delta", "zeta"], {"min_df": 2}),
        (["alpha beta", "alpha delta", "alpha"], {"min_df": 3, "max_df": 2}),
    ],
    ids=["empty", "stop-words", "too-rare", "min-df-above-max-df"],
)
def test_text_vectorizer_memo_keeps_error_messages(fresh_memo, column, params):
    X = pd.DataFrame({"body": ["usable words here"] * 3, "headline": column}, dtype=object)
    with _plain_path(), pytest.raises(ValueError) as expected:
        TextVectorizer(**params).fit(X)
    with pytest.raises(ValueError) as raised:
        TextVectorizer(**params).fit(X)
    assert str(raised.value) == str(expected.value)
    assert str(raised.value).startswith("TextVectorizer ")


def test_text_vectorizer_memo_analyses_each_document_once(fresh_memo, analysed):
    X = _frame(100, seed=1)
    X["review"] = [f"review {i} of {i % 7}" for i in range(100)]
    X.loc[[10, 20, 30], "review"] = "the same review"
    vectorizer = TextVectorizer(analyzer="word+char")
    vectorizer.fit(X.iloc[:80])
    first = dict(analysed)
    n_distinct = X.iloc[:80].apply(lambda column: column.map(_text.cell_to_text).nunique())
    assert first == {"word": n_distinct.sum(), "char_wb": n_distinct.sum()}
    analysed.clear()
    vectorizer.fit(X.iloc[20:])
    new_rows = X.iloc[80:]
    unseen = sum(
        len(set(new_rows[c].map(_text.cell_to_text)) - set(X.iloc[:80][c].map(_text.cell_to_text)))
        for c in X.columns
    )
    assert dict(analysed) == {"word": unseen, "char_wb": unseen}
    analysed.clear()
    output = vectorizer.transform(X)
    assert not analysed
    with _plain_path():
        _assert_same_csr(
            output, TextVectorizer(analyzer="word+char").fit(X.iloc[20:]).transform(X)
        )


def test_text_vectorizer_memo_shared_by_equal_settings_only(fresh_memo, analysed):
    X = _frame(30, seed=2)
    TextVectorizer(ngram_range=(1, 1)).fit(X)
    analysed.clear()
    TextVectorizer(ngram_range=(1, 1), min_df=2, max_features=5).fit(X)
    assert not analysed  # limits are not analysis settings
    TextVectorizer(ngram_range=(1, 2)).fit(X)
    assert analysed["word"] > 0


def test_text_vectorizer_memo_is_capped(fresh_memo, analysed, monkeypatch):
    X = _frame(60, seed=5)
    TextVectorizer(analyzer="word").fit(X)
    word_bytes = _text._MEMOS.nbytes
    _text._clear_memos()
    TextVectorizer(analyzer="char_wb").fit(X)
    char_bytes = _text._MEMOS.nbytes
    assert 0 < word_bytes < char_bytes
    # Room for either memo but not for both: the least recently used one goes.
    monkeypatch.setattr(_text, "_MEMO_MAX_BYTES", char_bytes + word_bytes // 2)
    TextVectorizer(analyzer="word").fit(X)
    assert _text._MEMOS.nbytes == word_bytes
    analysed.clear()
    TextVectorizer(analyzer="word").fit(X)
    assert analysed["word"] == 0
    TextVectorizer(analyzer="char_wb").fit(X)
    assert analysed["char_wb"] > 0
    assert _text._MEMOS.nbytes == char_bytes
    # A cap smaller than one memo clears it after every fit, which changes no result.
    monkeypatch.setattr(_text, "_MEMO_MAX_BYTES", 1)
    analysed.clear()
    memoised = TextVectorizer(analyzer="word+char").fit(X)
    assert _text._MEMOS.nbytes == 0
    output = memoised.transform(X)
    assert analysed["word"] > 0 and analysed["char_wb"] > 0
    with _plain_path():
        _assert_same_csr(output, TextVectorizer(analyzer="word+char").fit(X).transform(X))


def test_text_vectorizer_memo_not_pickled(fresh_memo):
    X = _frame(30, seed=6)
    memoised = TextVectorizer(analyzer="word+char").fit(X)
    with _plain_path():
        plain = TextVectorizer(analyzer="word+char").fit(X)
    for (_, _, actual), (_, _, reference) in zip(memoised.vectorizers_, plain.vectorizers_):
        assert pickle.dumps(actual) == pickle.dumps(reference)
    # Whole, it is smaller: columns with the same settings share the memo's term strings.
    assert len(pickle.dumps(memoised)) <= len(pickle.dumps(plain))
    restored = pickle.loads(pickle.dumps(memoised))
    _text._clear_memos()  # as in another process
    X_other = _frame(10, seed=8)
    with _plain_path():
        expected = plain.transform(X_other)
    _assert_same_csr(restored.transform(X_other), expected)


@pytest.mark.parametrize(
    "params", [{"binary": True}, {"vocabulary": ["fit", "size", "zebra"]}], ids=["binary", "given"]
)
def test_memoised_fit_leaves_other_settings_to_scikit_learn(fresh_memo, params):
    documents, other = _corpus(20, seed=10), _corpus(5, seed=11)
    reference, memoised = _tfidf("word", **params), _tfidf("word", **params)
    _assert_same_csr(
        _text._fit_transform_memoised(memoised, documents), reference.fit_transform(documents)
    )
    _assert_same_vectorizer(memoised, reference)
    _assert_same_csr(_text._transform_memoised(memoised, other), reference.transform(other))


def test_text_vectorizer_memo_thread_safe(fresh_memo):
    X = _frame(120, seed=9)
    subsets = [X.iloc[start : start + 80] for start in range(0, 41, 10)]
    with _plain_path():
        expected = [TextVectorizer(analyzer="word+char").fit_transform(s) for s in subsets]

    def fit(subset):
        return TextVectorizer(analyzer="word+char").fit_transform(subset)

    with ThreadPoolExecutor(max_workers=4) as pool:
        outputs = list(pool.map(fit, subsets * 2))
    for output, reference in zip(outputs, expected * 2):
        _assert_same_csr(output, reference)


_TEXTS = st.lists(
    st.text(alphabet=st.sampled_from(list("abAB éü東😀 .,'-\t\n")), max_size=14),
    min_size=1,
    max_size=10,
)
_MIN_DF = st.one_of(st.integers(1, 3), st.floats(0.0, 0.6))
_MAX_DF = st.one_of(st.integers(1, 10), st.floats(0.3, 1.0))


@settings(max_examples=50, deadline=None)
@given(
    documents=_TEXTS,
    other=_TEXTS,
    analyzer=st.sampled_from(["word", "char_wb", "char"]),
    low=st.integers(1, 3),
    span=st.integers(0, 2),
    min_df=_MIN_DF,
    max_df=_MAX_DF,
    max_features=st.one_of(st.none(), st.integers(1, 6)),
    lowercase=st.booleans(),
    stop_words=st.sampled_from([None, "english", ["a", "b"]]),
)
def test_memoised_fit_equals_tfidf_vectorizer_property(
    documents, other, analyzer, low, span, min_df, max_df, max_features, lowercase, stop_words
):
    params = dict(
        ngram_range=(low, low + span),
        min_df=min_df,
        max_df=max_df,
        max_features=max_features,
        lowercase=lowercase,
        stop_words=stop_words if analyzer == "word" else None,
    )
    reference, memoised = _tfidf(analyzer, **params), _tfidf(analyzer, **params)
    try:
        expected = reference.fit_transform(documents)
    except ValueError as error:
        with pytest.raises(ValueError) as raised:
            _text._fit_transform_memoised(memoised, documents)
        assert str(raised.value) == str(error)
        return
    _assert_same_csr(_text._fit_transform_memoised(memoised, documents), expected)
    _assert_same_vectorizer(memoised, reference)
    _assert_same_csr(_text._transform_memoised(memoised, other), reference.transform(other))
