"""The candidates of the main job: fusion families crossed with representations.

Every candidate is an unfitted mmsk estimator that reads the whole table. The fusion
families come from the registry (one candidate per value of each family's option);
the representations vary what each modality becomes before fusion: word TF-IDF (the
default), words and character n-grams, sentence embeddings when the ``text`` extra is
installed, and a compact recipe for gradient boosting (TF-IDF reduced by truncated
SVD next to the tabular columns, one boosted model on both).
"""

from importlib.util import find_spec

from sklearn.base import clone
from sklearn.decomposition import TruncatedSVD
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import make_pipeline

from .._base import KindSelector
from .._kinds import TABULAR_KINDS
from .._registry import FAMILIES, extra_installed
from ..modality import ImageEmbedder, SentenceEmbedder, TabularEncoder, TextVectorizer

PRESETS = ("fast", "default", "best")

#: Fusion candidates of the registry kept by each preset (every one for "best").
_PRESET_FAMILY_CANDIDATES = {
    "fast": ("early", "late-weighted", "late-stacking"),
    "default": (
        "early",
        "late-weighted",
        "late-stacking",
        "bayes-tan",
        "mrf-gaussian",
        "neural-concat",
    ),
}

#: Candidates that take a second text representation, in the order they run.
_TEXT_VARIANTS = ("late-stacking", "late-weighted", "early")

#: Neural candidates train a network per fold: above this many rows they are left
#: out of the "default" preset (they stay in "best").
NEURAL_MAX_ROWS = 5000

#: Sentence embeddings cost about 20 ms per text on a 2-core CPU: above this many
#: rows they are left out of the "best" preset on a machine without a GPU.
EMBEDDING_MAX_ROWS_ON_CPU = 5000

#: Width of the truncated SVD of the text in the boosted recipe.
SVD_COMPONENTS = 64


def search_space(task, *, preset="default", n_rows=None, memory=None, random_state=0):
    """The candidates ``compare_models`` cross-validates, by name, most promising first.

    The order matters under a time limit, which stops starting candidates: the
    word-and-character TF-IDF variants of stacked and weighted late fusion and of
    early fusion come first (the late ones share their per-modality fits through the
    cache), then the word TF-IDF defaults and the other families.

    Parameters
    ----------
    task : {"binary", "multiclass", "regression"}
        The learning task.
    preset : {"fast", "default", "best"}, default="default"
        - ``"fast"``: early fusion and the weighted and stacked late fusion, with the
          default (word TF-IDF) representation;
        - ``"default"``: their word-and-character TF-IDF variants first, then those
          three, Bayesian-network (``tan``) and Markov-random-field (``gaussian``)
          fusion and, on tables of at most ``NEURAL_MAX_ROWS`` rows with the
          ``neural`` extra, ``"neural-concat"``;
        - ``"best"``: the same, then every other candidate of every installed family
          (all late rules, network structures, random fields and neural fusion
          layers), the boosted recipe (:func:`boosted_recipe`) and, with the ``text``
          extra (on a GPU, or on at most ``EMBEDDING_MAX_ROWS_ON_CPU`` rows),
          sentence-embedding variants.
    n_rows : int or None, default=None
        Rows of the table, which decides whether the costliest candidates are worth
        it; None keeps them.
    memory : str or None, default=None
        Cache shared by the candidates, so per-modality fits are computed once per
        fold.
    random_state : int, default=0
        Seed of every candidate.

    Returns
    -------
    candidates : dict
        Candidate name to an unfitted estimator. A representation variant is named
        ``"{fusion}+char"`` or ``"{fusion}+embeddings"``.

    Examples
    --------
    >>> from mmsk.compare import search_space
    >>> list(search_space("binary", preset="fast"))
    ['early', 'late-weighted', 'late-stacking']
    """
    if preset not in PRESETS:
        raise ValueError(f"The 'preset' must be one of {list(PRESETS)}; got {preset!r}.")
    fusion = _fusion_candidates(task, memory, random_state)
    if preset == "fast":
        return {name: fusion[name] for name in _PRESET_FAMILY_CANDIDATES["fast"]}
    candidates = _text_variants(fusion, "char", TextVectorizer(analyzer="word+char"))
    for name in _PRESET_FAMILY_CANDIDATES["default"]:
        if name in fusion and (preset == "best" or not _too_large_for_neural(name, n_rows)):
            candidates[name] = fusion[name]
    if preset == "default":
        return candidates
    candidates.update({name: model for name, model in fusion.items() if name not in candidates})
    candidates["early-boosted"] = boosted_recipe(task, memory=memory, random_state=random_state)
    if _embeddings_worth_it(n_rows):
        candidates.update(_text_variants(fusion, "embeddings", SentenceEmbedder()))
    return candidates


def _fusion_candidates(task, memory, random_state):
    candidates = {}
    for family in FAMILIES:
        if family.available():
            candidates.update(family.candidates(task, memory=memory, random_state=random_state))
    if "early" in candidates:
        candidates["early"].set_params(memory=memory)
    return candidates


def _too_large_for_neural(name, n_rows):
    return name.startswith("neural") and n_rows is not None and n_rows > NEURAL_MAX_ROWS


def _embeddings_worth_it(n_rows):
    if not extra_installed("text"):
        return False
    return n_rows is None or n_rows <= EMBEDDING_MAX_ROWS_ON_CPU or _cuda_available()


def _cuda_available():
    if find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def _text_variants(fusion, suffix, transformer):
    return {
        f"{name}+{suffix}": clone(fusion[name]).set_params(text=clone(transformer))
        for name in _TEXT_VARIANTS
        if name in fusion
    }


def boosted_recipe(task, *, memory=None, random_state=0):
    """Gradient boosting on the tabular columns and a truncated SVD of the text's TF-IDF.

    The recipe behind strong tabular baselines: each text column's TF-IDF is reduced
    to ``SVD_COMPONENTS`` dense components, images to 32 principal components, and one
    ``HistGradientBoosting`` model learns from them next to the unscaled tabular
    columns, with early stopping on a validation split of large tables.

    Parameters
    ----------
    task : {"binary", "multiclass", "regression"}
        The learning task.
    memory : str or None, default=None
        Cache of the modality transforms.
    random_state : int, default=0
        Seed of the SVD and of the boosted model.

    Returns
    -------
    estimator : EarlyFusionClassifier or EarlyFusionRegressor
        Unfitted.
    """
    from ..fusion import EarlyFusionClassifier, EarlyFusionRegressor

    modalities = [
        ("tabular", TabularEncoder(scale=False), KindSelector(*TABULAR_KINDS)),
        (
            "text",
            make_pipeline(
                TextVectorizer(min_df=2),
                TruncatedSVD(SVD_COMPONENTS, random_state=random_state),
            ),
            KindSelector("text"),
        ),
        ("image", ImageEmbedder(n_components=32), KindSelector("image")),
    ]
    if task == "regression":
        booster = HistGradientBoostingRegressor(random_state=random_state)
        return EarlyFusionRegressor(
            modalities, estimator=booster, modality_weights=None, memory=memory
        )
    booster = HistGradientBoostingClassifier(random_state=random_state)
    return EarlyFusionClassifier(
        modalities, estimator=booster, modality_weights=None, memory=memory
    )
