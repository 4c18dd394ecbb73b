"""TF-IDF features of one or several free-text columns."""

import array
import os
import threading
from collections import Counter, OrderedDict, defaultdict
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted
from sklearn_compat.base import _fit_context

from .._kinds import cell_to_text
from .._names import unique_names
from .._validation import check_frame

_ANALYZERS = {"word": ("word",), "char_wb": ("char_wb",), "word+char": ("word", "char_wb")}

# Fit and transform through the per-process memo of analysed documents (see
# "Analysing each document once" below). False runs scikit-learn's own
# TfidfVectorizer.fit_transform and transform: the reference the memo reproduces exactly.
_MEMOISE = True

# About how many bytes all memos together may hold once a fit or transform is done; beyond
# it the least recently used memos are cleared.
_MEMO_MAX_BYTES = 512 * 2**20


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

    Notes
    -----
    Each column and analyzer is a scikit-learn ``TfidfVectorizer``, but a search refits
    it on many subsets of the same rows (every fold, then the whole), so fitting and
    transforming analyse each distinct text only once per process: its n-gram counts are
    kept in a memo shared by every vectorizer with the same analysis settings, and a fit
    builds its vocabulary and counts from the memo. The fitted vectorizers and the output
    are identical to those of ``TfidfVectorizer.fit_transform``, bit for bit; the memo is
    never saved with the model, and it holds about 512 MiB at most (the least recently
    used settings are forgotten first).

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
            _transform_column(vectorizer, documents[i // per_column])
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
        if _MEMOISE:
            matrix = _fit_transform_memoised(vectorizer, documents)
        else:
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


def _transform_column(vectorizer, documents):
    if _MEMOISE:
        return _transform_memoised(vectorizer, documents)
    return vectorizer.transform(documents)


# -------------------------------------------------------- analysing each document once
#
# A search refits the same vectorizer on many subsets of the same rows (every fold of a
# cross-validation, then the whole), and scikit-learn analyses every document again each
# time. The memo below analyses each distinct document once per process and analysis
# settings, and stores its n-grams as ids into a growing term table. A fit then rebuilds,
# with numpy, the count matrix and vocabulary CountVectorizer would build, and hands the
# counts to scikit-learn's own TfidfTransformer. Every step mirrors
# CountVectorizer.fit_transform and transform (scikit-learn 1.9), so the fitted vectorizer,
# its attributes and its output are identical to those of a plain fit.

# The parameters of a TfidfVectorizer that decide what its analyzer returns.
_ANALYSIS_PARAMETERS = (
    "input",
    "encoding",
    "decode_error",
    "strip_accents",
    "lowercase",
    "preprocessor",
    "tokenizer",
    "analyzer",
    "stop_words",
    "token_pattern",
    "ngram_range",
)

# Documents gathered from the memo, and n-grams counted, per numpy step: this bounds the
# temporary index arrays.
_GATHER_CHUNK = 1024
_BINCOUNT_CHUNK = 2**20

# Rough bytes held per known term (the string, its table entries, its rank) and per stored
# document (its entry in the document table), for the memory cap.
_BYTES_PER_TERM = 160
_BYTES_PER_DOCUMENT = 120


def _fit_transform_memoised(vectorizer, documents):
    """``vectorizer.fit_transform(documents)``, analysing only documents the memo lacks.

    The same calls and checks as ``TfidfVectorizer.fit_transform``, in the same order, so
    that the fitted attributes (and the warnings and errors) are the same. A given
    ``vocabulary`` or ``binary=True`` (which TextVectorizer never sets) takes scikit-learn's
    own path.
    """
    if vectorizer.vocabulary is not None or vectorizer.binary:
        return vectorizer.fit_transform(documents)
    vectorizer._check_params()
    vectorizer._tfidf = _new_tfidf_transformer(vectorizer)
    vectorizer._validate_ngram_range()
    vectorizer._warn_for_unused_params()
    vectorizer._validate_vocabulary()
    analyze = vectorizer.build_analyzer()
    memo = _MEMOS.memo_for(vectorizer)
    try:
        term_counts = _fit_term_counts(vectorizer, memo, documents, analyze)
    finally:
        _MEMOS.trim()
    vectorizer._tfidf.fit(term_counts)
    return vectorizer._tfidf.transform(term_counts, copy=False)


def _fit_term_counts(vectorizer, memo, documents, analyze):
    """Set ``vocabulary_``; return the counts ``CountVectorizer.fit_transform`` returns."""
    ids, counts, indptr = memo.analysed(documents, analyze)
    column_terms, column_of_term = _columns_by_appearance(ids)
    if column_terms.size == 0:
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    column_ranks = memo.alphabetical_ranks()[column_terms]
    feature_of_column = _kept_features(
        vectorizer, ids, counts, len(documents), column_terms, column_ranks
    )
    kept_columns = np.flatnonzero(feature_of_column >= 0)
    vectorizer.vocabulary_ = _vocabulary(
        vectorizer, memo.terms(column_terms[kept_columns]), feature_of_column[kept_columns]
    )
    by_appearance = _counts_by_appearance(
        ids, counts, indptr, column_of_term, feature_of_column >= 0, vectorizer.dtype
    )
    del ids, counts  # the largest arrays: free them before the last copy
    return _renumbered(by_appearance, feature_of_column, kept_columns.size)


def _transform_memoised(vectorizer, documents):
    """``vectorizer.transform(documents)``, analysing only documents the memo lacks."""
    if vectorizer.binary:
        return vectorizer.transform(documents)
    check_is_fitted(vectorizer, msg="The TF-IDF vectorizer is not fitted")
    vectorizer._check_vocabulary()
    analyze = vectorizer.build_analyzer()
    memo = _MEMOS.memo_for(vectorizer)
    try:
        ids, counts, indptr = memo.analysed(documents, analyze)
        feature_of_term = memo.feature_lookup(vectorizer.vocabulary_)
    finally:
        _MEMOS.trim()
    features = feature_of_term[ids]
    kept = features >= 0
    index_dtype = _index_dtype(np.count_nonzero(kept))
    term_counts = sparse.csr_matrix(
        (
            counts[kept],
            features[kept].astype(index_dtype, copy=False),
            _kept_indptr(indptr, kept, index_dtype),
        ),
        shape=(len(documents), len(vectorizer.vocabulary_)),
        dtype=vectorizer.dtype,
    )
    term_counts.sort_indices()
    return vectorizer._tfidf.transform(term_counts, copy=False)


def _new_tfidf_transformer(vectorizer):
    return TfidfTransformer(
        norm=vectorizer.norm,
        use_idf=vectorizer.use_idf,
        smooth_idf=vectorizer.smooth_idf,
        sublinear_tf=vectorizer.sublinear_tf,
    )


def _index_dtype(n_stored):
    return np.int64 if n_stored > np.iinfo(np.int32).max else np.int32


def _columns_by_appearance(ids):
    """Number the terms in the order they first appear, as ``_count_vocab`` does.

    Returns the term id of each column, and the column of each term id (meaningful only for
    the terms present).
    """
    n_terms = int(ids.max()) + 1 if ids.size else 0
    position_dtype = _index_dtype(ids.size)
    first_position = np.full(n_terms, ids.size, dtype=position_dtype)
    np.minimum.at(first_position, ids, np.arange(ids.size, dtype=position_dtype))
    present = np.flatnonzero(first_position < ids.size)
    column_terms = present[np.argsort(first_position[present])]
    column_of_term = np.zeros(n_terms, dtype=position_dtype)
    column_of_term[column_terms] = np.arange(column_terms.size, dtype=position_dtype)
    return column_terms, column_of_term


def _kept_features(vectorizer, ids, counts, n_documents, column_terms, column_ranks):
    """The feature index of every column (-1 when cut), as CountVectorizer's fit sets them.

    It reproduces the document-frequency limits and the ``max_features`` cut of
    ``CountVectorizer._limit_features`` on the alphabetically sorted vocabulary, with the
    same tie-breaking: the same ``argsort`` of the same total counts.
    """
    max_df, min_df = vectorizer.max_df, vectorizer.min_df
    high = max_df if isinstance(max_df, Integral) else max_df * n_documents
    low = min_df if isinstance(min_df, Integral) else min_df * n_documents
    if high < low:
        raise ValueError("max_df corresponds to < documents than min_df")
    alphabetical_columns = np.argsort(column_ranks)
    alphabetical = column_terms[alphabetical_columns]
    # Each document holds a term once, so counting ids counts documents.
    dfs = _bincount(ids, None, alphabetical.max() + 1)[alphabetical]
    mask = np.ones(alphabetical.size, dtype=bool)
    mask &= dfs <= high
    mask &= dfs >= low
    limit = vectorizer.max_features
    if limit is not None and mask.sum() > limit:
        tfs = _bincount(ids, counts, alphabetical.max() + 1)[alphabetical]
        most_frequent = (-tfs[mask]).argsort()[:limit]
        limited = np.zeros(alphabetical.size, dtype=bool)
        limited[np.where(mask)[0][most_frequent]] = True
        mask = limited
    new_indices = np.cumsum(mask) - 1
    if not mask.any():
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    feature_of_column = np.full(alphabetical.size, -1, dtype=new_indices.dtype)
    feature_of_column[alphabetical_columns[mask]] = new_indices[mask]
    return feature_of_column


def _bincount(ids, weights, minlength):
    """``np.bincount`` in chunks, which keeps its int64 and float64 copies small.

    The weights are integer counts, so the float64 sums are exact in any order.
    """
    total = np.zeros(minlength, dtype=np.int64 if weights is None else np.float64)
    for start in range(0, ids.size, _BINCOUNT_CHUNK):
        chunk = slice(start, start + _BINCOUNT_CHUNK)
        chunk_weights = None if weights is None else weights[chunk]
        total += np.bincount(ids[chunk], chunk_weights, minlength)
    return total


def _vocabulary(vectorizer, terms, features):
    """``vocabulary_`` in scikit-learn's key order (first appearance) and value types.

    With ``max_features`` the indices are NumPy integers, as ``_limit_features`` leaves
    them; without, ``_sort_features`` renumbers them last, with Python integers.
    """
    if vectorizer.max_features is None:
        features = features.tolist()
    return dict(zip(terms, features))


def _counts_by_appearance(ids, counts, indptr, column_of_term, kept_column, dtype):
    """The counts of the kept columns, numbered by first appearance, as ``_count_vocab``.

    Each row is sorted by column, as ``_count_vocab`` sorts it.
    """
    columns = column_of_term[ids]
    kept = kept_column[columns]
    kept_indptr = _kept_indptr(indptr, kept, column_of_term.dtype)
    columns = columns[kept]
    matrix = sparse.csr_matrix(
        (counts[kept].astype(dtype), columns, kept_indptr),
        shape=(len(indptr) - 1, kept_column.size),
    )
    matrix.sort_indices()
    return matrix


def _renumbered(by_appearance, feature_of_column, n_features):
    """The columns renumbered as features, each row keeping the order of its entries.

    scikit-learn renumbers the columns alphabetically and drops the cut ones (by SciPy's
    column indexing, which keeps the order within each row).
    """
    index_dtype = by_appearance.indices.dtype
    return sparse.csr_matrix(
        (
            by_appearance.data,
            feature_of_column.astype(index_dtype)[by_appearance.indices],
            by_appearance.indptr,
        ),
        shape=(by_appearance.shape[0], n_features),
    )


def _kept_indptr(indptr, kept, dtype):
    """The row pointer of a CSR matrix once only its ``kept`` entries remain."""
    kept_before = np.zeros(kept.size + 1, dtype=dtype)
    np.cumsum(kept, out=kept_before[1:])
    return kept_before[indptr]


class _GrowingArray:
    """A 1-D array that grows at its end, with amortised copying."""

    def __init__(self, dtype, initial=()):
        self._data = np.empty(max(1024, len(initial)), dtype=dtype)
        self._data[: len(initial)] = initial
        self.size = len(initial)

    @property
    def nbytes(self):
        return self._data.nbytes

    def extend(self, values):
        end = self.size + len(values)
        if end > len(self._data):
            grown = np.empty(max(end, len(self._data) * 3 // 2), dtype=self._data.dtype)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size : end] = values
        self.size = end

    def view(self):
        """The values so far; later growth never changes them."""
        return self._data[: self.size]


class _AnalysisMemo:
    """Every document analysed so far under one set of analysis settings.

    A growing term table numbers each distinct n-gram; each distinct document is stored
    once, as the ids of its n-grams in the order they first occur in it and their counts,
    all documents end to end in two flat arrays. Ids are never reused: clearing means
    replacing the memo (``_MemoRegistry``), so a caller still holding the old one finishes
    consistently.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._term_ids = defaultdict()
        self._term_ids.default_factory = self._term_ids.__len__
        self._terms = []
        self._document_numbers = {}
        self._bounds = _GrowingArray(np.int64, initial=[0])
        self._ids = _GrowingArray(np.int32)
        self._counts = _GrowingArray(np.intc)
        self._alphabetical = np.empty(0, dtype=np.intp)
        self._sorted_terms = np.empty(0, dtype=object)
        self._ranks = np.empty(0, dtype=np.intp)

    @property
    def nbytes(self):
        """About how many bytes the memo holds (not counting the document strings)."""
        arrays = self._bounds.nbytes + self._ids.nbytes + self._counts.nbytes
        terms = _BYTES_PER_TERM * len(self._term_ids)
        return arrays + terms + _BYTES_PER_DOCUMENT * len(self._document_numbers)

    def analysed(self, documents, analyze):
        """The n-gram ids and counts of ``documents`` in CSR form, analysing unseen ones.

        Parameters
        ----------
        documents : list of str
            The documents, in order; repeats are allowed.
        analyze : callable
            The vectorizer's ``build_analyzer()``, used on documents the memo lacks.

        Returns
        -------
        ids, counts : ndarray of int32
            Term ids and counts, document after document, each document's n-grams in the
            order they first occur in it.
        indptr : ndarray of int64
            Where each document's n-grams start and end in ``ids``.
        """
        with self._lock:
            self._analyse_new(documents, analyze)
            return self._gather(documents)

    def _analyse_new(self, documents, analyze):
        known = self._document_numbers
        new = [document for document in dict.fromkeys(documents) if document not in known]
        term_id = self._term_ids.__getitem__
        batch, ids, counts = [], array.array("i"), array.array("i")
        for document in new:
            gram_counts = Counter(map(term_id, analyze(document)))
            ids.extend(gram_counts)
            counts.extend(gram_counts.values())
            batch.append((document, len(gram_counts)))
            if len(ids) >= _BINCOUNT_CHUNK:
                self._store(batch, ids, counts)
                batch, ids, counts = [], array.array("i"), array.array("i")
        self._store(batch, ids, counts)

    def _store(self, batch, ids, counts):
        """Append analysed documents: ``batch`` of (document, number of distinct n-grams)."""
        known = self._document_numbers
        lengths = [length for _, length in batch]
        self._ids.extend(np.frombuffer(ids, dtype=np.intc))
        self._counts.extend(np.frombuffer(counts, dtype=np.intc))
        self._bounds.extend(self._bounds.view()[-1] + np.cumsum(lengths, dtype=np.int64))
        first_number = len(known)
        known.update((document, first_number + k) for k, (document, _) in enumerate(batch))

    def _gather(self, documents):
        numbers = np.fromiter(
            map(self._document_numbers.__getitem__, documents),
            dtype=np.intp,
            count=len(documents),
        )
        bounds = self._bounds.view()
        starts = bounds[numbers]
        lengths = bounds[numbers + 1] - starts
        indptr = np.zeros(len(documents) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        stored_ids, stored_counts = self._ids.view(), self._counts.view()
        ids = np.empty(indptr[-1], dtype=stored_ids.dtype)
        counts = np.empty(indptr[-1], dtype=stored_counts.dtype)
        for first in range(0, len(documents), _GATHER_CHUNK):
            chunk = slice(first, first + _GATHER_CHUNK)
            begin, end = indptr[first], indptr[min(first + _GATHER_CHUNK, len(documents))]
            shift = np.repeat(starts[chunk] - indptr[:-1][chunk], lengths[chunk])
            positions = np.arange(begin, end) + shift
            ids[begin:end] = stored_ids[positions]
            counts[begin:end] = stored_counts[positions]
        return ids, counts, indptr

    def terms(self, ids):
        """The term of each id, as a list of str."""
        with self._lock:
            self._catch_up_terms()
            return [self._terms[term_id] for term_id in ids.tolist()]

    def _catch_up_terms(self):
        # The term table's keys are in id order: the list repeats them for lookups by id.
        if len(self._terms) < len(self._term_ids):
            self._terms.extend(list(self._term_ids)[len(self._terms) :])

    def alphabetical_ranks(self):
        """Each known term's rank in the alphabetical order of all known terms."""
        with self._lock:
            if len(self._ranks) < len(self._term_ids):
                self._rank_new_terms()
            return self._ranks

    def _rank_new_terms(self):
        """Merge the terms added since the last ranking into the sorted order."""
        self._catch_up_terms()
        n_ranked, n_terms = len(self._alphabetical), len(self._terms)
        new_ids = sorted(range(n_ranked, n_terms), key=self._terms.__getitem__)
        new_terms = np.empty(len(new_ids), dtype=object)
        new_terms[:] = [self._terms[term_id] for term_id in new_ids]
        # Python's own ordering of str (by code point), as sorted() in _sort_features.
        slots = np.searchsorted(self._sorted_terms, new_terms)
        new_places = slots + np.arange(len(new_ids))
        old_places = np.arange(n_ranked) + np.searchsorted(slots, np.arange(n_ranked), "right")
        alphabetical = np.empty(n_terms, dtype=np.intp)
        alphabetical[old_places] = self._alphabetical
        alphabetical[new_places] = new_ids
        sorted_terms = np.empty(n_terms, dtype=object)
        sorted_terms[old_places] = self._sorted_terms
        sorted_terms[new_places] = new_terms
        ranks = np.empty(n_terms, dtype=np.intp)
        ranks[alphabetical] = np.arange(n_terms)
        self._alphabetical, self._sorted_terms, self._ranks = alphabetical, sorted_terms, ranks

    def feature_lookup(self, vocabulary):
        """An array mapping every known term id to its index in ``vocabulary``, else -1."""
        with self._lock:
            term_ids = np.fromiter(
                map(self._term_ids.__getitem__, vocabulary), dtype=np.intp, count=len(vocabulary)
            )
            lookup = np.full(len(self._term_ids), -1, dtype=np.int64)
            lookup[term_ids] = np.fromiter(
                vocabulary.values(), dtype=np.int64, count=len(vocabulary)
            )
            return lookup


class _MemoRegistry:
    """The memos of one process, one per analysis settings, least recently used first."""

    def __init__(self):
        self._lock = threading.Lock()
        self._memos = OrderedDict()

    def memo_for(self, vectorizer):
        """The memo for the analysis settings of ``vectorizer``, now the most recent."""
        settings = _analysis_settings(vectorizer)
        with self._lock:
            memo = self._memos.pop(settings, None) or _AnalysisMemo()
            self._memos[settings] = memo
            return memo

    def trim(self):
        """Clear memos, least recently used first, until they hold ``_MEMO_MAX_BYTES``."""
        with self._lock:
            total = sum(memo.nbytes for memo in self._memos.values())
            while self._memos and total > _MEMO_MAX_BYTES:
                _, oldest = self._memos.popitem(last=False)
                total -= oldest.nbytes

    @property
    def nbytes(self):
        """About how many bytes all memos hold."""
        with self._lock:
            return sum(memo.nbytes for memo in self._memos.values())


def _analysis_settings(vectorizer):
    settings = []
    for name in _ANALYSIS_PARAMETERS:
        value = getattr(vectorizer, name)
        if isinstance(value, (list, set)):
            value = frozenset(value)
        settings.append((name, value))
    return tuple(settings)


_MEMOS = _MemoRegistry()


def _clear_memos():
    """Forget every analysed document (a fresh registry; running fits keep their memo)."""
    global _MEMOS
    _MEMOS = _MemoRegistry()


# A child process starts with no memo rather than with one another thread may have been
# changing at the moment of the fork.
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_clear_memos)
