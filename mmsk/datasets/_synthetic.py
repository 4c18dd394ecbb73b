"""Generators of synthetic tables with numeric, categorical and free-text columns."""

import numbers
from itertools import count, product
from string import ascii_lowercase

import numpy as np
import pandas as pd
from scipy.special import ndtri
from sklearn.utils import Bunch, check_random_state

SIGNAL_KEYS = ("numeric", "categorical", "text")
MISSING_KEYS = ("tabular", "text")

MIN_WORDS = 6
MAX_WORDS = 20
TOPIC_WORD_SHARE = 0.3
WORDS_PER_GROUP = 6
CATEGORY_SIGNAL_SHARE = 0.75
EXTRA_LEVELS = 2
N_REGRESSION_BINS = 5

FILLER_WORDS = (
    "the a an and or but so it this that these those was is are were be been "
    "very quite rather really just also still even only maybe perhaps then "
    "item piece thing one some any every each other more most less much many "
    "with without for from into onto over under about after before during "
    "have has had do does did get got make made take took see saw look looked "
    "time day week today again here there now well overall usually sometimes"
).split()

TOPIC_WORDS = (
    "amber breeze cedar delta ember falcon glacier harbor island jasmine "
    "kestrel lagoon meadow nectar orchid pebble quartz raven saffron thistle "
    "umber violet willow yarrow zephyr aspen birch coral dune fern "
    "garnet hazel indigo juniper kelp lichen maple nutmeg onyx pine "
    "quill reed sable tundra velvet walnut cobalt linen ochre slate "
    "topaz acorn basil clover dahlia elm flint ginger heather iris"
).split()


def make_multimodal_classification(
    n_samples=1000,
    *,
    n_classes=2,
    n_numeric=4,
    n_categorical=2,
    n_text=1,
    signal=None,
    missing_rate=0.0,
    noise=0.0,
    random_state=None,
    return_X_y=True,
):
    """Generate a classification table with numeric, categorical and text columns.

    Every row belongs to one of ``n_classes`` balanced classes. Each modality kind
    reflects the class with a strength set by ``signal``, so that models of one
    modality, of several, or of all of them can be compared on data whose answer is
    known.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of rows.
    n_classes : int, default=2
        Number of classes, at least 2. Labels are ``0`` to ``n_classes - 1``.
    n_numeric : int, default=4
        Number of numeric columns, named ``num_0``, ``num_1``, ...
    n_categorical : int, default=2
        Number of categorical string columns, named ``cat_0``, ``cat_1``, ... Each
        takes ``n_classes + 2`` levels named ``"a"``, ``"b"``, ...
    n_text : int, default=1
        Number of free-text columns, named ``text_0``, ``text_1``, ... Each cell is a
        sentence of 6 to 20 words mixing generic filler words with words that are
        tied to the classes.
    signal : float or dict, default=None
        How much class information each modality kind carries, from 0 (pure noise,
        independent of the class) to 1 (strongly informative). A dict maps some of
        ``"numeric"``, ``"categorical"`` and ``"text"`` to a strength, the others
        taking 1.0; a float applies to all three; None means 1.0 for all three.
    missing_rate : float or dict, default=0.0
        Share of rows in which a whole modality is missing: every column of that
        modality is NaN together. The modalities are ``"tabular"`` (the numeric and
        categorical columns together) and ``"text"`` (all text columns together). A
        dict maps some of them to a rate, the others taking 0; a float applies to
        both. Each rate lies in [0, 1) and the rates add up to at most 1, because a
        row never misses every modality. Missingness needs at least two modalities.
    noise : float, default=0.0
        Share of rows, in [0, 1], whose label is drawn again uniformly at random
        after the features were generated, as label noise.
    random_state : int, RandomState instance or None, default=None
        Determines the random numbers. Pass an int for reproducible output across
        multiple function calls.
    return_X_y : bool, default=True
        If True, return ``(X, y)``; if False, return a Bunch.

    Returns
    -------
    X : pandas.DataFrame of shape (n_samples, n_numeric + n_categorical + n_text)
        The numeric columns (float), then the categorical and the text columns
        (strings, NaN where missing). Returned when ``return_X_y`` is True.
    y : ndarray of shape (n_samples,)
        Integer labels. Returned when ``return_X_y`` is True.
    data : sklearn.utils.Bunch
        Returned when ``return_X_y`` is False, with the attributes ``data`` (X),
        ``target`` (y), ``frame`` (X with y as a last column named ``"target"``),
        ``feature_names`` and ``modalities``: a list of ``(name, columns)`` pairs,
        ``("tabular", [numeric and categorical columns])`` and
        ``("text", [text columns])``, leaving out a modality that has no column.

    See Also
    --------
    make_multimodal_regression : The same table with a continuous target.
    load_clothing_reviews : A real table with text and tabular columns.

    Notes
    -----
    With a signal ``s``, the mean of each numeric column is ``s`` times a per-column
    permutation of ``n_classes`` evenly spaced values in [-1, 1], plus standard
    normal noise. A categorical cell takes its class's preferred level with
    probability ``0.75 * s`` and a uniformly drawn level otherwise. About 30% of the
    words of a sentence are topic words; each comes from its row's class word list
    with probability ``s`` and from a random class's list otherwise, so the
    vocabulary and the sentence lengths do not depend on ``s``.

    Examples
    --------
    >>> from mmsk.datasets import make_multimodal_classification
    >>> X, y = make_multimodal_classification(
    ...     200, signal={"numeric": 0.0}, missing_rate={"text": 0.1}, random_state=0
    ... )
    >>> X.shape
    (200, 7)
    >>> list(X.columns)
    ['num_0', 'num_1', 'num_2', 'num_3', 'cat_0', 'cat_1', 'text_0']
    >>> int(X["text_0"].isna().sum())
    20
    >>> sorted(set(y.tolist()))
    [0, 1]
    """
    _check_integer(n_samples, "n_samples", minimum=1)
    _check_integer(n_classes, "n_classes", minimum=2)
    _check_column_counts(n_numeric, n_categorical, n_text)
    strengths = _check_signal(signal)
    _check_real(noise, "noise", upper=1.0)
    modalities = _modality_columns(n_numeric, n_categorical, n_text)
    rates = _check_missing_rate(missing_rate, modalities)
    rng = check_random_state(random_state)

    classes = _balanced_labels(n_samples, n_classes, rng)
    numeric = _class_numeric(classes, n_classes, n_numeric, strengths["numeric"], rng)
    columns = {
        **_name_columns("num", numeric.T),
        **_grouped_categories(classes, n_classes, n_categorical, strengths["categorical"], rng),
        **_grouped_texts(classes, n_classes, n_text, strengths["text"], rng),
    }
    y = _relabel(classes, n_classes, noise, rng)
    return _finish(columns, y, modalities, rates, rng, return_X_y)


def make_multimodal_regression(
    n_samples=1000,
    *,
    n_numeric=4,
    n_categorical=2,
    n_text=1,
    signal=None,
    missing_rate=0.0,
    noise=0.0,
    random_state=None,
    return_X_y=True,
):
    """Generate a regression table with numeric, categorical and text columns.

    Every row has a hidden standard normal score. Each modality kind reflects the
    score with a strength set by ``signal``, and the target is the score plus
    optional Gaussian noise.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of rows.
    n_numeric : int, default=4
        Number of numeric columns, named ``num_0``, ``num_1``, ...
    n_categorical : int, default=2
        Number of categorical string columns, named ``cat_0``, ``cat_1``, ... Each
        takes 7 levels named ``"a"`` to ``"g"``.
    n_text : int, default=1
        Number of free-text columns, named ``text_0``, ``text_1``, ... Each cell is a
        sentence of 6 to 20 words mixing generic filler words with words that are
        tied to the score.
    signal : float or dict, default=None
        How much information about the target each modality kind carries, from 0
        (pure noise) to 1 (strongly informative). A dict maps some of
        ``"numeric"``, ``"categorical"`` and ``"text"`` to a strength, the others
        taking 1.0; a float applies to all three; None means 1.0 for all three.
    missing_rate : float or dict, default=0.0
        Share of rows in which a whole modality is missing, as in
        :func:`make_multimodal_classification`: ``"tabular"`` (numeric and
        categorical columns together) and ``"text"`` (all text columns together),
        each rate in [0, 1), the rates adding up to at most 1.
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to the target, at least 0.
    random_state : int, RandomState instance or None, default=None
        Determines the random numbers. Pass an int for reproducible output across
        multiple function calls.
    return_X_y : bool, default=True
        If True, return ``(X, y)``; if False, return a Bunch.

    Returns
    -------
    X : pandas.DataFrame of shape (n_samples, n_numeric + n_categorical + n_text)
        The numeric columns (float), then the categorical and the text columns
        (strings, NaN where missing). Returned when ``return_X_y`` is True.
    y : ndarray of shape (n_samples,)
        Float target. Returned when ``return_X_y`` is True.
    data : sklearn.utils.Bunch
        Returned when ``return_X_y`` is False, with the attributes ``data``,
        ``target``, ``frame``, ``feature_names`` and ``modalities``, as in
        :func:`make_multimodal_classification`.

    See Also
    --------
    make_multimodal_classification : The same table with class labels.

    Notes
    -----
    With a signal ``s``, each numeric column is ``s`` times the score, with a random
    sign per column, plus standard normal noise. The categorical and the text
    columns see the score through five equally likely bins of it, in the way the
    classification generator's columns see the classes, so they tell the bin of the
    score but not its exact value.

    Examples
    --------
    >>> from mmsk.datasets import make_multimodal_regression
    >>> data = make_multimodal_regression(100, random_state=0, return_X_y=False)
    >>> data.frame.shape
    (100, 8)
    >>> for name, columns in data.modalities:
    ...     print(name, columns)
    tabular ['num_0', 'num_1', 'num_2', 'num_3', 'cat_0', 'cat_1']
    text ['text_0']
    >>> data.target.dtype
    dtype('float64')
    """
    _check_integer(n_samples, "n_samples", minimum=1)
    _check_column_counts(n_numeric, n_categorical, n_text)
    strengths = _check_signal(signal)
    _check_real(noise, "noise", upper=np.inf)
    modalities = _modality_columns(n_numeric, n_categorical, n_text)
    rates = _check_missing_rate(missing_rate, modalities)
    rng = check_random_state(random_state)

    score = rng.standard_normal(n_samples)
    bins = _score_bins(score)
    numeric = _score_numeric(score, n_numeric, strengths["numeric"], rng)
    n_bins = N_REGRESSION_BINS
    columns = {
        **_name_columns("num", numeric.T),
        **_grouped_categories(bins, n_bins, n_categorical, strengths["categorical"], rng),
        **_grouped_texts(bins, n_bins, n_text, strengths["text"], rng),
    }
    y = score + noise * rng.standard_normal(n_samples)
    return _finish(columns, y, modalities, rates, rng, return_X_y)


def _check_integer(value, name, *, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")


def _check_column_counts(n_numeric, n_categorical, n_text):
    _check_integer(n_numeric, "n_numeric", minimum=0)
    _check_integer(n_categorical, "n_categorical", minimum=0)
    _check_integer(n_text, "n_text", minimum=0)
    if n_numeric + n_categorical + n_text == 0:
        raise ValueError(
            "n_numeric, n_categorical and n_text must not all be 0; got 0 columns in all."
        )


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_real(value, name, *, upper):
    if not _is_real(value) or not 0 <= value <= upper:
        bounds = f"in [0, {upper:g}]" if np.isfinite(upper) else ">= 0"
        raise ValueError(f"{name} must be a number {bounds}; got {value!r}.")


def _check_signal(signal):
    if signal is None:
        signal = 1.0
    if _is_real(signal):
        _check_real(signal, "signal", upper=1.0)
        signal = dict.fromkeys(SIGNAL_KEYS, signal)
    if not isinstance(signal, dict):
        raise ValueError(
            "signal must be None, a number in [0, 1] or a dict with keys among "
            f"{_quoted(SIGNAL_KEYS)}; got {signal!r}."
        )
    _check_keys(signal, SIGNAL_KEYS, "signal")
    strengths = {key: signal.get(key, 1.0) for key in SIGNAL_KEYS}
    for key, value in strengths.items():
        _check_real(value, f"signal[{key!r}]", upper=1.0)
    return strengths


def _check_keys(mapping, allowed, name):
    unknown = [key for key in mapping if key not in allowed]
    if unknown:
        raise ValueError(
            f"{name} has unknown keys {unknown!r}; expected keys among {_quoted(allowed)}."
        )


def _quoted(names):
    return ", ".join(repr(name) for name in names)


def _check_missing_rate(missing_rate, modalities):
    present = [name for name, _ in modalities]
    if _is_real(missing_rate):
        _check_missing_share(missing_rate, "missing_rate")
        missing_rate = dict.fromkeys(present, missing_rate)
    if not isinstance(missing_rate, dict):
        raise ValueError(
            "missing_rate must be a number in [0, 1) or a dict with keys among "
            f"{_quoted(MISSING_KEYS)}; got {missing_rate!r}."
        )
    _check_keys(missing_rate, MISSING_KEYS, "missing_rate")
    for key, value in missing_rate.items():
        _check_missing_share(value, f"missing_rate[{key!r}]")
    rates = {key: float(value) for key, value in missing_rate.items() if value > 0}
    _check_rates_fit_modalities(rates, present)
    return rates


def _check_missing_share(value, name):
    if not _is_real(value) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1); got {value!r}.")


def _check_rates_fit_modalities(rates, present):
    absent = [key for key in rates if key not in present]
    if absent:
        raise ValueError(
            f"missing_rate asks for missing {_quoted(absent)} values, but the table has "
            f"no such columns; its modalities are {_quoted(present)}."
        )
    if rates and len(present) < 2:
        raise ValueError(
            "missing_rate must be 0 when the table has a single modality, because a "
            f"row never misses every modality; got {rates!r}."
        )
    if sum(rates.values()) > 1:
        raise ValueError(
            f"missing_rate values must add up to at most 1, because a row never misses "
            f"every modality; got {rates!r}, adding up to {sum(rates.values()):g}."
        )


def _modality_columns(n_numeric, n_categorical, n_text):
    tabular = _column_names("num", n_numeric) + _column_names("cat", n_categorical)
    text = _column_names("text", n_text)
    candidates = [("tabular", tabular), ("text", text)]
    return [(name, columns) for name, columns in candidates if columns]


def _column_names(prefix, n_columns):
    return [f"{prefix}_{i}" for i in range(n_columns)]


def _name_columns(prefix, arrays):
    return {f"{prefix}_{i}": array for i, array in enumerate(arrays)}


def _balanced_labels(n_samples, n_classes, rng):
    return rng.permutation(np.arange(n_samples) % n_classes)


def _class_numeric(classes, n_classes, n_numeric, strength, rng):
    levels = np.linspace(-1.0, 1.0, n_classes)
    means = np.empty((n_classes, n_numeric))
    for column in range(n_numeric):
        means[:, column] = rng.permutation(levels)
    return strength * means[classes] + rng.standard_normal((len(classes), n_numeric))


def _score_numeric(score, n_numeric, strength, rng):
    signs = rng.choice([-1.0, 1.0], size=n_numeric)
    noise = rng.standard_normal((len(score), n_numeric))
    return strength * score[:, np.newaxis] * signs + noise


def _score_bins(score):
    edges = ndtri(np.linspace(0.0, 1.0, N_REGRESSION_BINS + 1)[1:-1])
    return np.searchsorted(edges, score)


def _grouped_categories(groups, n_groups, n_columns, strength, rng):
    levels = np.array(_level_names(n_groups + EXTRA_LEVELS), dtype=object)
    columns = {}
    for name in _column_names("cat", n_columns):
        preferred = rng.permutation(len(levels))[:n_groups][groups]
        uniform = rng.randint(len(levels), size=len(groups))
        keeps_preference = rng.random(len(groups)) < CATEGORY_SIGNAL_SHARE * strength
        columns[name] = levels[np.where(keeps_preference, preferred, uniform)]
    return columns


def _level_names(n_levels):
    names = (
        "".join(letters)
        for length in count(1)
        for letters in product(ascii_lowercase, repeat=length)
    )
    return [next(names) for _ in range(n_levels)]


def _grouped_texts(groups, n_groups, n_columns, strength, rng):
    vocabulary = np.array(FILLER_WORDS + _topic_words(n_groups), dtype=object)
    return {
        name: _sentences(groups, n_groups, strength, vocabulary, rng)
        for name in _column_names("text", n_columns)
    }


def _topic_words(n_groups):
    n_words = n_groups * WORDS_PER_GROUP
    n_pool = len(TOPIC_WORDS)
    return [
        TOPIC_WORDS[i % n_pool] + (str(i // n_pool) if i >= n_pool else "") for i in range(n_words)
    ]


def _sentences(groups, n_groups, strength, vocabulary, rng):
    n_samples = len(groups)
    shape = (n_samples, MAX_WORDS)
    lengths = rng.randint(MIN_WORDS, MAX_WORDS + 1, size=n_samples)
    is_topic = rng.random(shape) < TOPIC_WORD_SHARE
    follows_group = rng.random(shape) < strength
    random_group = rng.randint(n_groups, size=shape)
    topic_group = np.where(follows_group, groups[:, np.newaxis], random_group)
    word_in_group = rng.randint(WORDS_PER_GROUP, size=shape)
    topic_index = len(FILLER_WORDS) + topic_group * WORDS_PER_GROUP + word_in_group
    filler_index = rng.randint(len(FILLER_WORDS), size=shape)
    words = vocabulary[np.where(is_topic, topic_index, filler_index)]
    sentences = [" ".join(row[:length]) for row, length in zip(words, lengths)]
    return np.array([sentence.capitalize() + "." for sentence in sentences], dtype=object)


def _relabel(classes, n_classes, share, rng):
    redrawn = rng.random(len(classes)) < share
    return np.where(redrawn, rng.randint(n_classes, size=len(classes)), classes)


def _finish(columns, y, modalities, rates, rng, return_X_y):
    _blank_modalities(columns, modalities, rates, rng)
    X = pd.DataFrame(columns)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        frame=X.assign(target=y),
        feature_names=list(X.columns),
        modalities=[(name, list(names)) for name, names in modalities],
    )


def _blank_modalities(columns, modalities, rates, rng):
    """Blank whole modalities in disjoint sets of rows, so no row loses all of them."""
    if not rates:
        return
    n_samples = len(next(iter(columns.values())))
    order = rng.permutation(n_samples)
    start = 0
    for name, names in modalities:
        stop = start + round(rates.get(name, 0.0) * n_samples)
        rows = order[start:stop]
        for column in names:
            columns[column] = _with_missing(columns[column], rows)
        start = stop


def _with_missing(values, rows):
    values = values.astype(float if values.dtype.kind == "f" else object)
    values[rows] = np.nan
    return values
