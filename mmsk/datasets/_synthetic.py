"""Generators of synthetic tables with numeric, categorical, free-text and image columns."""

import numbers
from collections import namedtuple
from itertools import count, product
from string import ascii_lowercase

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri
from sklearn.utils import Bunch, check_random_state

SIGNAL_KEYS = ("numeric", "categorical", "text", "image", "caption")
MISSING_KEYS = ("tabular", "text", "image", "caption")
IMAGE_CUES = ("colour", "orientation", "texture")
IMAGE_CUE_ALIASES = {"color": "colour"}
IMAGE_COLUMN = "image"
CAPTION_COLUMN = "caption"

MIN_WORDS = 6
MAX_WORDS = 20
TOPIC_WORD_SHARE = 0.3
WORDS_PER_GROUP = 6
CATEGORY_SIGNAL_SHARE = 0.75
EXTRA_LEVELS = 2
N_REGRESSION_BINS = 5

MIN_IMAGE_SIZE = 8
HUE_RANGE = 0.8
ANGLE_RANGE = np.pi * 8 / 9
MIN_CYCLES = 1.5
CLASS_JITTER = 0.35
PIXEL_NOISE = 0.04
IMAGE_CHUNK = 1024

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

CAPTION_FILLER_WORDS = (
    "a an the of with in on and photo picture image shot view close small large "
    "round soft bright pale dark pattern stripes disc circle shape over background"
).split()

# Ordered by hue, from red through green to violet, like the hues of the images.
COLOUR_WORDS = (
    "red scarlet crimson ruby coral vermilion orange tangerine amber gold yellow "
    "lemon lime chartreuse olive green emerald jade mint teal turquoise cyan aqua "
    "azure sky cobalt blue sapphire navy indigo violet purple"
).split()

SentenceStyle = namedtuple(
    "SentenceStyle", ["filler", "min_words", "max_words", "topic_share", "words_per_group"]
)
TEXT_STYLE = SentenceStyle(FILLER_WORDS, MIN_WORDS, MAX_WORDS, TOPIC_WORD_SHARE, WORDS_PER_GROUP)
CAPTION_STYLE = SentenceStyle(CAPTION_FILLER_WORDS, 4, 9, 0.4, 3)


def make_multimodal_classification(
    n_samples=1000,
    *,
    n_classes=2,
    n_numeric=4,
    n_categorical=2,
    n_text=1,
    image=False,
    image_size=32,
    image_signal="all",
    caption=False,
    signal=None,
    missing_rate=0.0,
    noise=0.0,
    random_state=None,
    return_X_y=True,
):
    """Generate a classification table with numeric, categorical, text and image columns.

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
    image : bool, default=False
        If True, add a column named ``"image"`` whose cells are RGB images: numpy
        arrays of dtype uint8 and shape ``(image_size, image_size, 3)``, each showing
        a striped disc on a grey background (see Notes).
    image_size : int, default=32
        Height and width of the images in pixels, at least 8.
    image_signal : {"all", "colour", "orientation", "texture"} or list of them, \
default="all"
        Which visual cues of the images carry the class: ``"colour"`` the hue of the
        disc, ``"orientation"`` the angle of its stripes, ``"texture"`` the spatial
        frequency of its stripes. ``"all"`` means the three; ``"color"`` is accepted
        for ``"colour"``. The other cues vary at random, independently of the class.
    caption : bool, default=False
        If True, add a text column named ``"caption"`` (needs ``image=True``): a short
        description of 4 to 9 words in which some colour words are tied to the
        classes, drawn independently of the image, so that it carries another share
        of the class information.
    signal : float or dict, default=None
        How much class information each modality kind carries, from 0 (pure noise,
        independent of the class) to 1 (strongly informative). A dict maps some of
        ``"numeric"``, ``"categorical"``, ``"text"``, ``"image"`` and ``"caption"`` to
        a strength, the others taking 1.0; a float applies to all of them; None means
        1.0 for all of them.
    missing_rate : float or dict, default=0.0
        Share of rows in which a whole modality is missing: every column of that
        modality is NaN together. The modalities are ``"tabular"`` (the numeric and
        categorical columns together), ``"text"`` (all text columns together),
        ``"image"`` (a missing image is None) and ``"caption"``. A dict maps some of
        them to a rate, the others taking 0; a float applies to every modality the
        table has. Each rate lies in [0, 1) and the rates add up to at most 1,
        because a row never misses every modality. Missingness needs at least two
        modalities.
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
    X : pandas.DataFrame of shape (n_samples, n_features)
        The numeric columns (float), then the categorical and the text columns
        (strings, NaN where missing), then the ``"image"`` column (object dtype) and
        the ``"caption"`` column (strings) when asked for. Returned when
        ``return_X_y`` is True.
    y : ndarray of shape (n_samples,)
        Integer labels. Returned when ``return_X_y`` is True.
    data : sklearn.utils.Bunch
        Returned when ``return_X_y`` is False, with the attributes ``data`` (X),
        ``target`` (y), ``frame`` (X with y as a last column named ``"target"``),
        ``feature_names`` and ``modalities``: a list of ``(name, columns)`` pairs,
        ``("tabular", [numeric and categorical columns])``,
        ``("text", [text columns])``, ``("image", ["image"])`` and
        ``("caption", ["caption"])``, leaving out a modality that has no column.

    See Also
    --------
    make_multimodal_regression : The same table with a continuous target.
    load_clothing_reviews : A real table with text and tabular columns.
    load_poster_listings : A real table with image, text and tabular columns.

    Notes
    -----
    With a signal ``s``, the mean of each numeric column is ``s`` times a per-column
    permutation of ``n_classes`` evenly spaced values in [-1, 1], plus standard
    normal noise. A categorical cell takes its class's preferred level with
    probability ``0.75 * s`` and a uniformly drawn level otherwise. About 30% of the
    words of a sentence are topic words; each comes from its row's class word list
    with probability ``s`` and from a random class's list otherwise, so the
    vocabulary and the sentence lengths do not depend on ``s``.

    An image shows a disc of random centre and radius on a grey background of random
    lightness, with light Gaussian pixel noise. The disc is filled with stripes
    whose hue (from red through green to violet), angle (0 to 160 degrees) and
    frequency (1.5 to ``max(3, image_size / 4)`` cycles across the image, on a log
    scale) are set by three positions in [0, 1). A cue named in ``image_signal``
    takes its row's class position with probability ``s`` and a random class's
    position otherwise, plus a uniform jitter within the class; the other cues take
    a random class's position. The images' distribution thus does not depend on ``s``, only
    their link to the class does. Colour is visible to a linear model of the raw
    pixels; orientation and texture need features that ignore the stripes' phase,
    such as the magnitude of the image's Fourier transform or gradient histograms.
    About 40% of the words of a caption are colour words, drawn from the class's
    words as the topic words of the text columns are.

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

    With images whose colour alone tells the class, and captions:

    >>> X, y = make_multimodal_classification(
    ...     100, n_numeric=2, n_categorical=0, image=True, image_signal="colour",
    ...     caption=True, missing_rate={"image": 0.1}, random_state=0,
    ... )
    >>> list(X.columns)
    ['num_0', 'num_1', 'text_0', 'image', 'caption']
    >>> X["image"].iloc[0].shape, X["image"].iloc[0].dtype
    ((32, 32, 3), dtype('uint8'))
    >>> int(X["image"].isna().sum())
    10
    """
    _check_integer(n_samples, "n_samples", minimum=1)
    _check_integer(n_classes, "n_classes", minimum=2)
    _check_image_options(image, image_size, caption)
    _check_column_counts(n_numeric, n_categorical, n_text, image)
    cues = _check_image_signal(image_signal)
    strengths = _check_signal(signal)
    _check_real(noise, "noise", upper=1.0)
    modalities = _modality_columns(n_numeric, n_categorical, n_text, image, caption)
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
    missing_rows = _missing_rows(n_samples, modalities, rates, rng)
    if image:
        positions = [
            _class_positions(classes, n_classes, strengths["image"] * (cue in cues), rng)
            for cue in IMAGE_CUES
        ]
        columns[IMAGE_COLUMN] = _draw_images(positions, image_size, rng)
    if caption:
        columns[CAPTION_COLUMN] = _captions(classes, n_classes, strengths["caption"], rng)
    return _finish(columns, y, modalities, missing_rows, return_X_y)


def make_multimodal_regression(
    n_samples=1000,
    *,
    n_numeric=4,
    n_categorical=2,
    n_text=1,
    image=False,
    image_size=32,
    image_signal="all",
    caption=False,
    signal=None,
    missing_rate=0.0,
    noise=0.0,
    random_state=None,
    return_X_y=True,
):
    """Generate a regression table with numeric, categorical, text and image columns.

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
    image : bool, default=False
        If True, add a column named ``"image"`` of RGB images, numpy arrays of dtype
        uint8 and shape ``(image_size, image_size, 3)``, as in
        :func:`make_multimodal_classification`, whose cues follow the score.
    image_size : int, default=32
        Height and width of the images in pixels, at least 8.
    image_signal : {"all", "colour", "orientation", "texture"} or list of them, \
default="all"
        Which visual cues of the images carry the score, as in
        :func:`make_multimodal_classification`.
    caption : bool, default=False
        If True, add a short text column named ``"caption"`` (needs ``image=True``)
        whose colour words are tied to the score's bin.
    signal : float or dict, default=None
        How much information about the target each modality kind carries, from 0
        (pure noise) to 1 (strongly informative). A dict maps some of
        ``"numeric"``, ``"categorical"``, ``"text"``, ``"image"`` and ``"caption"`` to
        a strength, the others taking 1.0; a float applies to all of them; None means
        1.0 for all of them.
    missing_rate : float or dict, default=0.0
        Share of rows in which a whole modality is missing, as in
        :func:`make_multimodal_classification`: ``"tabular"`` (numeric and
        categorical columns together), ``"text"`` (all text columns together),
        ``"image"`` (None where missing) and ``"caption"``, each rate in [0, 1), the
        rates adding up to at most 1.
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to the target, at least 0.
    random_state : int, RandomState instance or None, default=None
        Determines the random numbers. Pass an int for reproducible output across
        multiple function calls.
    return_X_y : bool, default=True
        If True, return ``(X, y)``; if False, return a Bunch.

    Returns
    -------
    X : pandas.DataFrame of shape (n_samples, n_features)
        The numeric columns (float), then the categorical and the text columns
        (strings, NaN where missing), then the ``"image"`` and ``"caption"`` columns
        when asked for. Returned when ``return_X_y`` is True.
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
    sign per column, plus standard normal noise. The categorical, the text and the
    caption columns see the score through five equally likely bins of it, in the way
    the classification generator's columns see the classes, so they tell the bin of
    the score but not its exact value. An image cue named in ``image_signal`` sees
    the score itself: its position in [0, 1) is the score's normal quantile with
    probability ``s``, and that of an independent standard normal draw otherwise.

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
    >>> X, y = make_multimodal_regression(
    ...     50, image=True, image_size=16, caption=True, random_state=0
    ... )
    >>> X["image"].iloc[0].shape
    (16, 16, 3)
    """
    _check_integer(n_samples, "n_samples", minimum=1)
    _check_image_options(image, image_size, caption)
    _check_column_counts(n_numeric, n_categorical, n_text, image)
    cues = _check_image_signal(image_signal)
    strengths = _check_signal(signal)
    _check_real(noise, "noise", upper=np.inf)
    modalities = _modality_columns(n_numeric, n_categorical, n_text, image, caption)
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
    missing_rows = _missing_rows(n_samples, modalities, rates, rng)
    if image:
        positions = [
            _score_positions(score, strengths["image"] * (cue in cues), rng) for cue in IMAGE_CUES
        ]
        columns[IMAGE_COLUMN] = _draw_images(positions, image_size, rng)
    if caption:
        columns[CAPTION_COLUMN] = _captions(bins, n_bins, strengths["caption"], rng)
    return _finish(columns, y, modalities, missing_rows, return_X_y)


def _check_integer(value, name, *, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")


def _check_column_counts(n_numeric, n_categorical, n_text, image):
    _check_integer(n_numeric, "n_numeric", minimum=0)
    _check_integer(n_categorical, "n_categorical", minimum=0)
    _check_integer(n_text, "n_text", minimum=0)
    if n_numeric + n_categorical + n_text == 0 and not image:
        raise ValueError(
            "n_numeric, n_categorical and n_text must not all be 0 unless image=True; "
            "got 0 columns in all."
        )


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {value!r}.")


def _check_image_options(image, image_size, caption):
    _check_bool(image, "image")
    _check_bool(caption, "caption")
    _check_integer(image_size, "image_size", minimum=MIN_IMAGE_SIZE)
    if caption and not image:
        raise ValueError(
            "caption=True describes the images, so it needs image=True; got image=False. "
            "Pass image=True as well, or add a text column with n_text instead."
        )


def _check_image_signal(image_signal):
    """Return the set of image cues that carry the signal."""
    expected = f"'all', one of {_quoted(IMAGE_CUES)} or a list of them"
    if isinstance(image_signal, str):
        if image_signal == "all":
            return set(IMAGE_CUES)
        names = [image_signal]
    elif isinstance(image_signal, (list, tuple)) and image_signal:
        names = list(image_signal)
    else:
        raise ValueError(f"image_signal must be {expected}; got {image_signal!r}.")
    cues = set()
    for name in names:
        cue = IMAGE_CUE_ALIASES.get(name, name) if isinstance(name, str) else name
        if cue not in IMAGE_CUES:
            raise ValueError(f"image_signal has an unknown cue {name!r}; expected {expected}.")
        cues.add(cue)
    return cues


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


def _modality_columns(n_numeric, n_categorical, n_text, image, caption):
    tabular = _column_names("num", n_numeric) + _column_names("cat", n_categorical)
    text = _column_names("text", n_text)
    candidates = [
        ("tabular", tabular),
        ("text", text),
        ("image", [IMAGE_COLUMN] if image else []),
        ("caption", [CAPTION_COLUMN] if caption else []),
    ]
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
        name: _sentences(groups, n_groups, strength, vocabulary, TEXT_STYLE, rng)
        for name in _column_names("text", n_columns)
    }


def _captions(groups, n_groups, strength, rng):
    vocabulary = np.array(CAPTION_FILLER_WORDS + _colour_words(n_groups), dtype=object)
    return _sentences(groups, n_groups, strength, vocabulary, CAPTION_STYLE, rng)


def _colour_words(n_groups):
    """Return the caption words of each group in turn, following the images' hues."""
    per_group = CAPTION_STYLE.words_per_group
    n_words = len(COLOUR_WORDS)
    if n_groups * per_group > n_words:
        return [
            COLOUR_WORDS[i % n_words] + (str(i // n_words) if i >= n_words else "")
            for i in range(n_groups * per_group)
        ]
    words = []
    for band in np.array_split(np.arange(n_words), n_groups):
        start = (len(band) - per_group) // 2
        words.extend(COLOUR_WORDS[i] for i in band[start : start + per_group])
    return words


def _topic_words(n_groups):
    n_words = n_groups * WORDS_PER_GROUP
    n_pool = len(TOPIC_WORDS)
    return [
        TOPIC_WORDS[i % n_pool] + (str(i // n_pool) if i >= n_pool else "") for i in range(n_words)
    ]


def _sentences(groups, n_groups, strength, vocabulary, style, rng):
    n_samples = len(groups)
    n_filler = len(style.filler)
    shape = (n_samples, style.max_words)
    lengths = rng.randint(style.min_words, style.max_words + 1, size=n_samples)
    is_topic = rng.random(shape) < style.topic_share
    follows_group = rng.random(shape) < strength
    random_group = rng.randint(n_groups, size=shape)
    topic_group = np.where(follows_group, groups[:, np.newaxis], random_group)
    word_in_group = rng.randint(style.words_per_group, size=shape)
    topic_index = n_filler + topic_group * style.words_per_group + word_in_group
    filler_index = rng.randint(n_filler, size=shape)
    words = vocabulary[np.where(is_topic, topic_index, filler_index)]
    sentences = [" ".join(row[:length]) for row, length in zip(words, lengths)]
    return np.array([sentence.capitalize() + "." for sentence in sentences], dtype=object)


def _relabel(classes, n_classes, share, rng):
    redrawn = rng.random(len(classes)) < share
    return np.where(redrawn, rng.randint(n_classes, size=len(classes)), classes)


def _class_positions(classes, n_classes, strength, rng):
    """Place each row's image cue in [0, 1), near its class's position with a probability."""
    n_samples = len(classes)
    follows_class = rng.random(n_samples) < strength
    group = np.where(follows_class, classes, rng.randint(n_classes, size=n_samples))
    jitter = rng.uniform(-CLASS_JITTER, CLASS_JITTER, size=n_samples)
    return (group + 0.5 + jitter) / n_classes


def _score_positions(score, strength, rng):
    """Place each row's image cue at the score's quantile, or a random one."""
    n_samples = len(score)
    follows_score = rng.random(n_samples) < strength
    return ndtr(np.where(follows_score, score, rng.standard_normal(n_samples)))


def _draw_images(positions, image_size, rng):
    """Draw one striped-disc image per row from its colour, orientation and texture cues.

    Every random number but the pixel noise is drawn for all rows at once; the pixels
    are rendered in chunks of rows to bound the memory.
    """
    hue, orientation, texture = positions
    n_samples = len(hue)
    colours = _hsv_to_rgb(
        HUE_RANGE * hue, rng.uniform(0.6, 0.95, n_samples), rng.uniform(0.7, 1.0, n_samples)
    )
    angles = ANGLE_RANGE * orientation
    max_cycles = max(2.0 * MIN_CYCLES, image_size / 4)
    cycles = MIN_CYCLES * (max_cycles / MIN_CYCLES) ** texture
    phases = rng.uniform(0.0, 2 * np.pi, n_samples)
    centres = rng.uniform(-0.3, 0.3, (n_samples, 2))
    radii = rng.uniform(0.55, 0.9, n_samples)
    backgrounds = rng.uniform(0.15, 0.85, n_samples)

    grid = np.linspace(-1.0, 1.0, image_size, dtype=np.float32)
    rows, cols = grid[np.newaxis, :, np.newaxis], grid[np.newaxis, np.newaxis, :]
    edge = image_size / 3.0
    images = np.empty((n_samples, image_size, image_size, 3), dtype=np.uint8)
    for start in range(0, n_samples, IMAGE_CHUNK):
        part = slice(start, start + IMAGE_CHUNK)

        def column(values, part=part):
            return values[part, np.newaxis, np.newaxis].astype(np.float32)

        along = cols * column(np.cos(angles)) + rows * column(np.sin(angles))
        stripes = 0.4 + 0.3 * (1.0 + np.sin(np.pi * column(cycles) * along + column(phases)))
        distance = np.hypot(cols - column(centres[:, 0]), rows - column(centres[:, 1]))
        disc = np.clip((column(radii) - distance) * edge + 0.5, 0.0, 1.0)
        disc_rgb = stripes[..., np.newaxis] * colours[part, np.newaxis, np.newaxis, :]
        background = column(backgrounds)[..., np.newaxis]
        pixels = disc[..., np.newaxis] * (disc_rgb - background) + background
        pixels += PIXEL_NOISE * rng.standard_normal(pixels.shape).astype(np.float32)
        images[part] = np.rint(np.clip(pixels, 0.0, 1.0) * 255)
    cells = np.empty(n_samples, dtype=object)
    for i in range(n_samples):
        cells[i] = images[i]
    return cells


def _hsv_to_rgb(hue, saturation, value):
    """Vectorised HSV to RGB conversion, each argument of shape (n,), in [0, 1]."""
    sector = (np.array([5.0, 3.0, 1.0]) + 6.0 * hue[:, np.newaxis]) % 6.0
    ramp = np.clip(np.minimum(sector, 4.0 - sector), 0.0, 1.0)
    rgb = value[:, np.newaxis] * (1.0 - saturation[:, np.newaxis] * ramp)
    return rgb.astype(np.float32)


def _finish(columns, y, modalities, missing_rows, return_X_y):
    for name, names in modalities:
        rows = missing_rows.get(name)
        if rows is not None and len(rows):
            fill = None if name == "image" else np.nan
            for column in names:
                columns[column] = _with_missing(columns[column], rows, fill)
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


def _missing_rows(n_samples, modalities, rates, rng):
    """Draw disjoint sets of rows that miss each modality, so no row loses all of them."""
    if not rates:
        return {}
    order = rng.permutation(n_samples)
    start = 0
    rows = {}
    for name, _ in modalities:
        stop = start + round(rates.get(name, 0.0) * n_samples)
        rows[name] = order[start:stop]
        start = stop
    return rows


def _with_missing(values, rows, fill):
    values = values.astype(float if values.dtype.kind == "f" else object)
    values[rows] = fill
    return values
