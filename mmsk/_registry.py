"""The one list of mmsk's fusion families and public estimators.

``mmsk/__init__.py`` (what ``import mmsk`` exports), the ``mmsk compare`` command (which
candidates exist and which run by default), :mod:`mmsk.persistence` (which classes a
saved file may hold) and the test suite (which estimators the common checks cover) all
read it. A new family is one module plus one :class:`FusionFamily` entry here.

Importing this module loads no optional dependency: the fusion modules import torch,
skorch and pgmpy only when a model is fitted.
"""

from dataclasses import dataclass, field
from importlib.util import find_spec

from ._utils import EXTRAS
from .coordinated._linear import LinearSpace
from .coordinated._retriever import CrossModalRetriever
from .coordinated._transfer import CrossModalTransferClassifier, CrossModalTransferRegressor
from .ensemble._selection import EnsembleSelectionClassifier, EnsembleSelectionRegressor
from .fusion._bayes_network import PosteriorTables
from .fusion._bayesian import BayesianNetworkFusionClassifier, BayesianNetworkFusionRegressor
from .fusion._early import EarlyFusionClassifier, EarlyFusionRegressor, ModalityUnion
from .fusion._late import LateFusionClassifier, LateFusionRegressor
from .fusion._mrf import MarkovRandomFieldFusionClassifier, MarkovRandomFieldFusionRegressor
from .fusion._mrf_model import DiscreteField, GaussianField, JointGaussianField
from .fusion._neural import FUSIONS as NEURAL_FUSIONS
from .fusion._neural import NeuralFusionClassifier, NeuralFusionRegressor
from .fusion._neural_multitask import NeuralFusionMultiTask
from .modality import (
    ImageArrays,
    ImageEmbedder,
    SentenceEmbedder,
    TabularEncoder,
    TextTokenizer,
    TextVectorizer,
)

__all__ = [
    "COORDINATED",
    "COORDINATED_STATE_TYPES",
    "ENSEMBLES",
    "FAMILIES",
    "TRANSFORMERS",
    "FusionFamily",
    "PublicTransformer",
    "extra_installed",
    "family_of",
    "public_estimators",
]


def extra_installed(extra):
    """Whether every module the mmsk extra ``extra`` provides can be imported.

    Parameters
    ----------
    extra : str or None
        An extra of ``pip install "mmsk[extra]"``; None (no extra) is always
        installed.

    Returns
    -------
    installed : bool
    """
    modules = [module for module, owner in EXTRAS.items() if owner == extra]
    return all(find_spec(module) is not None for module in modules)


@dataclass(frozen=True)
class FusionFamily:
    """One fusion family: its estimators, the extra it needs and its ``compare`` candidates.

    Parameters
    ----------
    name : str
        The family's name, the prefix of its candidates (``"late"``).
    classifier, regressor : type
        The family's estimators.
    extra : str or None
        The extra of ``pip install "mmsk[extra]"`` the family needs to fit.
    option : str or None
        The parameter whose values make the family's candidates (``"fusion"``); None
        for a family with one candidate, named after the family.
    classification_options, regression_options : tuple of str
        The values of ``option`` for each task.
    default_options : tuple of str or None
        The values compared when the user names no candidates; None means all.
    shares_cache : bool
        Whether the candidates take ``memory`` and ``random_state`` from ``compare``
        (their per-modality fits are then shared between candidates).
    skops_safe : bool
        Whether a fitted model can be saved in the skops format.
    state_types : tuple of type
        The family's own classes that a fitted model's state holds (besides its
        estimators), which a saved file may contain.
    extra_estimators : tuple of type
        Public estimators of the family beyond its classifier and regressor.
    """

    name: str
    classifier: type
    regressor: type
    extra: str | None = None
    option: str | None = None
    classification_options: tuple = ()
    regression_options: tuple = ()
    default_options: tuple | None = None
    shares_cache: bool = True
    skops_safe: bool = True
    state_types: tuple = ()
    extra_estimators: tuple = ()
    estimators: tuple = field(init=False, repr=False)

    def __post_init__(self):
        estimators = (self.classifier, self.regressor, *self.extra_estimators)
        object.__setattr__(self, "estimators", estimators)

    def available(self):
        """Whether the family's extra is installed."""
        return extra_installed(self.extra)

    def estimator_class(self, task):
        """The classifier, or the regressor for ``task="regression"``."""
        return self.regressor if task == "regression" else self.classifier

    def options(self, task):
        """Values of :attr:`option` for ``task``."""
        return self.regression_options if task == "regression" else self.classification_options

    def candidates(self, task, *, memory=None, random_state=0):
        """Unfitted candidates of this family for ``task``, by candidate name.

        Parameters
        ----------
        task : {"binary", "multiclass", "regression"}
            The learning task.
        memory : str or None, default=None
            Cache shared by the candidates, when :attr:`shares_cache`.
        random_state : int, default=0
            Seed of every candidate, when :attr:`shares_cache`.

        Returns
        -------
        candidates : dict
            ``"{name}-{option value}"`` (or ``name``) to an estimator.
        """
        estimator = self.estimator_class(task)
        shared = {"memory": memory, "random_state": random_state} if self.shares_cache else {}
        if self.option is None:
            return {self.name: estimator(**shared)}
        return {
            f"{self.name}-{value}": estimator(**{self.option: value}, **shared)
            for value in self.options(task)
        }

    def default_candidate_names(self, task):
        """Names of the candidates compared when the user names none."""
        if self.option is None:
            return [self.name]
        values = self.options(task)
        if self.default_options is not None:
            values = [value for value in values if value in self.default_options]
        return [f"{self.name}-{value}" for value in values]


FAMILIES = (
    FusionFamily("early", EarlyFusionClassifier, EarlyFusionRegressor, shares_cache=False),
    FusionFamily(
        "late",
        LateFusionClassifier,
        LateFusionRegressor,
        option="fusion",
        classification_options=("mean", "weighted", "vote", "product", "stacking"),
        regression_options=("mean", "weighted", "stacking"),
    ),
    FusionFamily(
        "bayes",
        BayesianNetworkFusionClassifier,
        BayesianNetworkFusionRegressor,
        extra="bayes",
        option="structure",
        classification_options=("naive", "tan", "hillclimb"),
        regression_options=("naive", "tan", "hillclimb"),
        state_types=(PosteriorTables,),
    ),
    FusionFamily(
        "mrf",
        MarkovRandomFieldFusionClassifier,
        MarkovRandomFieldFusionRegressor,
        option="kind",
        classification_options=("gaussian", "discrete"),
        regression_options=("gaussian", "discrete"),
        state_types=(GaussianField, JointGaussianField, DiscreteField),
    ),
    FusionFamily(
        "neural",
        NeuralFusionClassifier,
        NeuralFusionRegressor,
        extra="neural",
        option="fusion",
        classification_options=NEURAL_FUSIONS,
        regression_options=NEURAL_FUSIONS,
        default_options=("concat",),
        skops_safe=False,
        extra_estimators=(NeuralFusionMultiTask,),
    ),
)


@dataclass(frozen=True)
class PublicTransformer:
    """A public transformer and the extra it needs to fit (None: none)."""

    estimator: type
    extra: str | None = None


TRANSFORMERS = (
    PublicTransformer(TabularEncoder),
    PublicTransformer(TextVectorizer),
    PublicTransformer(TextTokenizer),
    PublicTransformer(SentenceEmbedder, extra="text"),
    PublicTransformer(ImageEmbedder),
    PublicTransformer(ImageArrays),
    PublicTransformer(ModalityUnion),
)


#: The coordinated representations: shared spaces for cross-modal retrieval and transfer.
#: They sit beside the fusion families (not ``compare`` candidates: they do not fuse into
#: one prediction of a task). Their extra is None: only ``method="contrastive"`` needs
#: torch and skorch, and says so when it is fitted.
COORDINATED = (
    PublicTransformer(CrossModalRetriever),
    PublicTransformer(CrossModalTransferClassifier),
    PublicTransformer(CrossModalTransferRegressor),
)

#: The classes of the coordinated representations' fitted state that a saved file may
#: hold (the closed-form shared spaces; a contrastive space holds a torch network).
COORDINATED_STATE_TYPES = (LinearSpace,)


#: Ensembles over any of the estimators above (greedy selection or stacking on shared
#: out-of-fold predictions): the final model ``mmsk compare`` saves when it wins.
ENSEMBLES = (
    PublicTransformer(EnsembleSelectionClassifier),
    PublicTransformer(EnsembleSelectionRegressor),
)


def public_estimators():
    """Every public estimator class with the extra it needs, transformers first.

    Returns
    -------
    estimators : list of tuple
        ``(class, extra or None)``.
    """
    entries = [(entry.estimator, entry.extra) for entry in TRANSFORMERS]
    for family in FAMILIES:
        entries.extend((estimator, family.extra) for estimator in family.estimators)
    entries.extend((entry.estimator, entry.extra) for entry in COORDINATED)
    entries.extend((entry.estimator, entry.extra) for entry in ENSEMBLES)
    return entries


def family_of(estimator):
    """The :class:`FusionFamily` an estimator (class or instance) belongs to, or None."""
    cls = estimator if isinstance(estimator, type) else type(estimator)
    return next((family for family in FAMILIES if issubclass(cls, family.estimators)), None)
