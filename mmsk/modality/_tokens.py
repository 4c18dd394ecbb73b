"""Fixed-length sequences of token ids from one or several free-text columns."""

import re
from collections import Counter
from itertools import chain
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted
from sklearn_compat.base import _fit_context

from .._kinds import cell_to_text
from .._validation import check_frame

#: Id of the padding that fills a sequence after its last token.
PADDING_ID = 0
#: Id of every token that is not in the vocabulary.
UNKNOWN_ID = 1
#: Id placed between the tokens of two consecutive text columns.
SEPARATOR_ID = 2
#: Number of ids reserved before the first vocabulary token.
N_RESERVED_IDS = 3

#: Words, and every other character that is not white space as a token of its own.
DEFAULT_TOKEN_PATTERN = r"(?u)\w+|[^\w\s]"


class TextTokenizer(TransformerMixin, BaseEstimator):
    """Fixed-length sequences of token ids from one or several free-text columns.

    The input of an embedding layer followed by a recurrent or transformer encoder:
    every row becomes ``max_length`` integer ids, the tokens of its first text
    column, then those of the next column after a separator id, and so on, cut at
    ``max_length`` and padded with zeros. All columns share one vocabulary. Missing
    values (NaN, None) and blank strings hold no tokens; numbers, bytes and lists
    are turned into text (bytes decoded as UTF-8, list items joined with spaces).

    Parameters
    ----------
    lowercase : bool, default=True
        Lowercase the text before tokenising.
    token_pattern : str, default=r"(?u)\\w+|[^\\w\\s]"
        Regular expression that finds the tokens. The default takes every run of
        word characters as a token and every other character that is not white
        space (punctuation, emoji, symbols) as a token of its own, so ``"Love
        it!! 😀"`` gives ``love``, ``it``, ``!``, ``!`` and ``😀``. Use
        ``r"(?u)\\b\\w+\\b"`` for words only, as :class:`TextVectorizer` does. If
        the pattern has one capturing group, the group is the token.
    max_length : int, default=64
        Length of every output sequence, separators included. Longer rows are cut,
        keeping their first tokens; shorter rows are padded with zeros.
    max_vocabulary : int or None, default=20000
        Most tokens kept in the vocabulary, the most frequent first; the reserved
        ids come on top. None keeps every token seen at least ``min_frequency``
        times.
    min_frequency : int, default=2
        Tokens seen fewer times than this during fit, counting every occurrence in
        every column, map to the unknown id.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Maps each kept token to its id, from 3 upwards; the most frequent token
        gets 3. The reserved ids 0 (padding), 1 (unknown) and 2 (column separator)
        are not in it.
    vocabulary_size_ : int
        Number of distinct ids the output can hold, the three reserved ids
        included: ``len(vocabulary_) + 3``. Size an embedding table with it.
    n_features_in_ : int
        Number of text columns.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the text columns, when ``X`` had string column names.

    See Also
    --------
    TextVectorizer : Sparse TF-IDF features of text columns, for linear models.
    SentenceEmbedder : Dense sentence embeddings from a pre-trained model.

    Notes
    -----
    Ids 0, 1 and 2 are reserved for padding, unknown tokens and the separator
    between columns; vocabulary tokens start at 3. The vocabulary keeps the tokens
    seen at least ``min_frequency`` times, at most ``max_vocabulary`` of them, the
    most frequent first; tokens seen equally often are ordered by their code points,
    so the same data always gives the same ids. Frequencies count the whole text,
    including tokens that ``max_length`` later cuts off.

    A separator sits between every two consecutive columns, also when a cell is
    missing, so the tokens after the k-th separator always come from column k + 1
    (until ``max_length`` cuts the row). The only exception is a row whose cells are
    all missing or blank: it is all zeros, with no separator, so that a row without
    text can be recognised by having no non-zero id.

    Fitting never fails for lack of text: when the columns hold no token seen
    ``min_frequency`` times (every value missing, for example), the vocabulary is
    empty, ``vocabulary_size_`` is 3, and every token maps to the unknown id 1.

    Emoji written as several code points (skin tones, variation selectors,
    zero-width joiner sequences, flags) give one token per code point with the
    default ``token_pattern``.

    Examples
    --------
    >>> import pandas as pd
    >>> from mmsk import TextTokenizer
    >>> X = pd.DataFrame({"title": ["Great fit", "Too small", None],
    ...                   "review": ["Great fabric!", "runs small", "great"]})
    >>> tokenizer = TextTokenizer(max_length=6).fit(X)
    >>> tokenizer.vocabulary_
    {'great': 3, 'small': 4}
    >>> tokenizer.vocabulary_size_
    5
    >>> tokenizer.transform(X)
    array([[3, 1, 2, 3, 1, 1],
           [1, 4, 2, 1, 4, 0],
           [2, 3, 0, 0, 0, 0]])
    """

    _parameter_constraints = {
        "lowercase": ["boolean"],
        "token_pattern": [str],
        "max_length": [Interval(Integral, 1, None, closed="left")],
        "max_vocabulary": [Interval(Integral, 1, None, closed="left"), None],
        "min_frequency": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        lowercase=True,
        token_pattern=DEFAULT_TOKEN_PATTERN,
        max_length=64,
        max_vocabulary=20000,
        min_frequency=2,
    ):
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.max_length = max_length
        self.max_vocabulary = max_vocabulary
        self.min_frequency = min_frequency

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the vocabulary shared by all text columns.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_text_columns)
            The text columns.
        y : None
            Ignored.

        Returns
        -------
        self : TextTokenizer
            The fitted tokenizer.
        """
        pattern = _compile_token_pattern(self.token_pattern)
        frame = check_frame(self, _rows_to_array(X), reset=True)
        counts = Counter()
        for position in range(frame.shape[1]):
            for tokens in self._tokenize(frame.iloc[:, position], pattern):
                counts.update(tokens)
        kept = [(token, count) for token, count in counts.items() if count >= self.min_frequency]
        kept.sort(key=lambda item: (-item[1], item[0]))
        if self.max_vocabulary is not None:
            kept = kept[: self.max_vocabulary]
        self.vocabulary_ = {token: N_RESERVED_IDS + rank for rank, (token, _) in enumerate(kept)}
        self.vocabulary_size_ = len(self.vocabulary_) + N_RESERVED_IDS
        return self

    def transform(self, X):
        """Return the token-id sequence of every row.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_text_columns)
            The text columns, the same as during fit.

        Returns
        -------
        X_out : ndarray of shape (n_samples, max_length), dtype=int64
            Token ids: vocabulary ids from 3, 1 for unknown tokens, 2 between
            columns and 0 after the last token.
        """
        check_is_fitted(self, "vocabulary_")
        pattern = _compile_token_pattern(self.token_pattern)
        frame = check_frame(self, _rows_to_array(X), reset=False)
        lookup = self.vocabulary_.get
        columns = []
        for position in range(frame.shape[1]):
            tokens = [
                row[: self.max_length] for row in self._tokenize(frame.iloc[:, position], pattern)
            ]
            lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
            flat = chain.from_iterable(tokens)
            ids = np.fromiter(
                (lookup(token, UNKNOWN_ID) for token in flat),
                dtype=np.int64,
                count=int(lengths.sum()),
            )
            columns.append((lengths, ids))
        return _pack(columns, frame.shape[0], self.max_length)

    def get_feature_names_out(self, input_features=None):
        """Names of the output positions.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against the columns seen during fit, if given.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``"token_0"`` to ``"token_{max_length - 1}"``.
        """
        check_is_fitted(self, "vocabulary_")
        _check_feature_names_in(self, input_features)
        return np.asarray([f"token_{i}" for i in range(self.max_length)], dtype=object)

    def _tokenize(self, values, pattern):
        """Token lists of one column, one list per row."""
        findall = pattern.findall
        texts = (cell_to_text(value) for value in values.tolist())
        if self.lowercase:
            texts = (text.lower() for text in texts)
        rows = [findall(text) for text in texts]
        # A pattern that can match the empty string finds empty tokens; drop them.
        return [[token for token in row if token] if "" in row else row for row in rows]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags


def _rows_to_array(X):
    """Turn a list of equally long rows into an object array, keeping every cell as is.

    NumPy would turn the cells of such a list into strings when one of them is a
    string, so that a NaN became the word ``"nan"``, and would read a cell holding a
    list as one more dimension. Anything else is returned unchanged for
    :func:`~mmsk._validation.check_frame` to check.
    """
    if not isinstance(X, (list, tuple)) or not X:
        return X
    if not all(isinstance(row, (list, tuple)) for row in X):
        return X
    width = len(X[0])
    if any(len(row) != width for row in X):
        return X
    array = np.empty((len(X), width), dtype=object)
    for i, row in enumerate(X):
        for j, value in enumerate(row):
            array[i, j] = value
    return array


def _compile_token_pattern(token_pattern):
    try:
        pattern = re.compile(token_pattern)
    except re.error as error:
        raise ValueError(
            f"The 'token_pattern' parameter of TextTokenizer must be a valid regular "
            f"expression; got {token_pattern!r}, which does not compile ({error})."
        ) from None
    if pattern.groups > 1:
        raise ValueError(
            f"The 'token_pattern' parameter of TextTokenizer may have at most one "
            f"capturing group (the token); got {token_pattern!r} with {pattern.groups}. "
            "Write the other groups as non-capturing, (?:...)."
        )
    return pattern


def _pack(columns, n_samples, max_length):
    """Lay the ids of every column side by side in rows of ``max_length``.

    Parameters
    ----------
    columns : list of tuple
        ``(lengths, ids)`` per column: the number of tokens of each row, and the ids
        of all its rows concatenated.
    n_samples : int
        Number of rows.
    max_length : int
        Length of every output row.

    Returns
    -------
    packed : ndarray of shape (n_samples, max_length), dtype=int64
    """
    packed = np.full((n_samples, max_length), PADDING_ID, dtype=np.int64)
    has_text = np.zeros(n_samples, dtype=bool)
    for lengths, _ in columns:
        has_text |= lengths > 0
    start = np.zeros(n_samples, dtype=np.int64)
    for position, (lengths, ids) in enumerate(columns):
        if position > 0:
            rows = np.flatnonzero(has_text & (start < max_length))
            packed[rows, start[rows]] = SEPARATOR_ID
            start += 1
        rows = np.repeat(np.arange(n_samples), lengths)
        first = np.cumsum(lengths) - lengths
        places = start[rows] + np.arange(ids.size) - first[rows]
        fits = places < max_length
        packed[rows[fits], places[fits]] = ids[fits]
        start += lengths
    return packed
