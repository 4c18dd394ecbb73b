"""TF-IDF features of one or several free-text columns."""

from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted
from sklearn_compat.base import _fit_context

from .._kinds import cell_to_text
from .._names import unique_names
from .._validation import check_frame

_ANALYZERS = {"word": ("word",), "char_wb": ("char_wb",), "word+char": ("word", "char_wb")}


class TextVectorizer(TransformerMixin, BaseEstimator):
    """TF-IDF features of one or several free-text columns, kept sparse.

    Each text column gets its own vocabulary, so a word in a title and the same word
    in a review body stay distinct features. Missing values (NaN, None) and empty
    strings become empty documents; numbers, bytes and lists in a text column are
    turned into text (bytes decoded as UTF-8, list items joined with spaces).

    Parameters
    ----------
    analyzer : {"word", "char_wb", "word+char"}, default="word"
        Word n-grams, character n-grams inside word boundaries, or both.
    ngram_range : tuple of (int, int), default=(1, 2)
        Range of word n-gram lengths.
    char_ngram_range : tuple of (int, int), default=(2, 5)
        Range of character n-gram lengths, used when ``analyzer`` includes characters.
    min_df : int or float, default=1
        Terms in fewer documents than this (a count, or a share when a float) are
        ignored.
    max_df : float or int, default=1.0
        Terms in more documents than this are ignored.
    max_features : int or None, default=50000
        Largest vocabulary per column and analyzer, keeping the most frequent terms.
    sublinear_tf : bool, default=True
        Replace term frequency ``tf`` by ``1 + log(tf)``.
    lowercase : bool, default=True
        Lowercase the text before tokenising.
    stop_words : {"english"}, list or None, default=None
        Words to ignore.
    sparse_output : bool, default=True
        Return a SciPy CSR matrix; False returns a dense array (needed for
        ``set_output(transform="pandas")``).

    Attributes
    ----------
    vectorizers_ : list of tuple
        ``(column, analyzer, fitted TfidfVectorizer)`` for every column and analyzer.
    n_features_in_ : int
        Number of text columns.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the text columns, when ``X`` had string column names.

    See Also
    --------
    TabularEncoder : Numeric, categorical and datetime columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from mmsk import TextVectorizer
    >>> X = pd.DataFrame({"review": ["runs small", "lovely fabric", None],
    ...                   "title": ["Too tight", "", "Love it"]})
    >>> vectorizer = TextVectorizer(ngram_range=(1, 1)).fit(X)
    >>> vectorizer.transform(X).shape
    (3, 8)
    >>> vectorizer.get_feature_names_out()[:2].tolist()
    ['review__fabric', 'review__lovely']
    """

    _parameter_constraints = {
        "analyzer": [StrOptions(set(_ANALYZERS))],
        "ngram_range": [tuple],
        "char_ngram_range": [tuple],
        "min_df": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="both"),
        ],
        "max_df": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="both"),
        ],
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
        "sublinear_tf": ["boolean"],
        "lowercase": ["boolean"],
        "stop_words": [StrOptions({"english"}), list, None],
        "sparse_output": ["boolean"],
    }

    def __init__(
        self,
        *,
        analyzer="word",
        ngram_range=(1, 2),
        char_ngram_range=(2, 5),
        min_df=1,
        max_df=1.0,
        max_features=50000,
        sublinear_tf=True,
        lowercase=True,
        stop_words=None,
        sparse_output=True,
    ):
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.lowercase = lowercase
        self.stop_words = stop_words
        self.sparse_output = sparse_output

    def fit(self, X, y=None):
        """Learn one vocabulary and its inverse document frequencies per column.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_text_columns)
            The text columns.
        y : None
            Ignored.

        Returns
        -------
        self : TextVectorizer
            The fitted vectorizer.
        """
        self.fit_transform(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit the vocabularies and return the TF-IDF matrix.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_text_columns)
            The text columns.
        y : None
            Ignored.

        Returns
        -------
        X_out : {sparse matrix, ndarray} of shape (n_samples, n_features_out)
            TF-IDF features, CSR unless ``sparse_output=False``.
        """
        frame = check_frame(self, X, reset=True)
        self.vectorizers_ = []
        blocks = []
        for position, column in enumerate(frame.columns):
            documents = _documents(frame.iloc[:, position])
            for analyzer in _ANALYZERS[self.analyzer]:
                vectorizer = self._make_vectorizer(analyzer)
                blocks.append(_fit_column(vectorizer, documents, column, analyzer))
                self.vectorizers_.append((column, analyzer, vectorizer))
        return self._finish(blocks)

    def transform(self, X):
        """Return the TF-IDF matrix of the text columns.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_text_columns)
            The text columns, the same as during fit.

        Returns
        -------
        X_out : {sparse matrix, ndarray} of shape (n_samples, n_features_out)
            TF-IDF features, CSR unless ``sparse_output=False``.
        """
        check_is_fitted(self, "vectorizers_")
        frame = check_frame(self, X, reset=False)
        documents = [_documents(frame.iloc[:, i]) for i in range(frame.shape[1])]
        per_column = len(self.vectorizers_) // self.n_features_in_
        blocks = [
            vectorizer.transform(documents[i // per_column])
            for i, (_, _, vectorizer) in enumerate(self.vectorizers_)
        ]
        return self._finish(blocks)

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against the columns seen during fit, if given.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``"{column}__{term}"`` for word terms and ``"{column}__char_{gram}"`` for
            character n-grams. A name that an earlier feature or an input column
            already has (the word ``"char_ab"`` and the 2-gram ``"ab"``, or columns
            ``"a"`` and ``"a__b"``) gets the first free suffix among ``"__2"``,
            ``"__3"``, ...
        """
        check_is_fitted(self, "vectorizers_")
        _check_feature_names_in(self, input_features)
        names = []
        for column, analyzer, vectorizer in self.vectorizers_:
            prefix = f"{column}__" if analyzer == "word" else f"{column}__char_"
            names.extend(prefix + term for term in vectorizer.get_feature_names_out())
        columns = {str(column) for column, _, _ in self.vectorizers_}
        return np.asarray(unique_names(names, reserved=columns), dtype=object)

    def _make_vectorizer(self, analyzer):
        word = analyzer == "word"
        return TfidfVectorizer(
            analyzer=analyzer,
            ngram_range=self.ngram_range if word else self.char_ngram_range,
            min_df=self.min_df,
            max_df=self.max_df,
            max_features=self.max_features,
            sublinear_tf=self.sublinear_tf,
            lowercase=self.lowercase,
            stop_words=self.stop_words if word else None,
            token_pattern=r"(?u)\b\w+\b" if word else None,
            dtype=np.float64,
        )

    def _finish(self, blocks):
        matrix = sparse.hstack(blocks, format="csr", dtype=np.float64)
        return matrix if self.sparse_output else matrix.toarray()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags


def _documents(values):
    return [cell_to_text(value) for value in values.tolist()]


def _fit_column(vectorizer, documents, column, analyzer):
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError as error:
        if "max_df corresponds to < documents than min_df" in str(error):
            raise ValueError(
                f"TextVectorizer cannot fit text column {column!r}: min_df and max_df "
                f"leave no possible term with {len(documents)} documents ({error}). "
                "Lower min_df or raise max_df."
            ) from None
        if "empty vocabulary" in str(error) or "no terms remain" in str(error):
            raise ValueError(
                f"TextVectorizer found no {analyzer} terms in text column {column!r}: "
                "its values are missing, empty, stop words only, or too rare for "
                "min_df/max_df. Check that the column holds text, or lower min_df."
            ) from None
        raise
    _forget_discarded_terms(vectorizer)
    return matrix


def _forget_discarded_terms(vectorizer):
    """Drop ``stop_words_``: every term cut by min_df, max_df or max_features.

    It only serves introspection, and on a large corpus with bigrams it holds millions of
    strings, which would dominate the size of a pickled model and of a ``memory`` cache.
    """
    if hasattr(vectorizer, "stop_words_"):
        del vectorizer.stop_words_
