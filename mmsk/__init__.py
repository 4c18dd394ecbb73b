"""mmsk: scikit-learn estimators for multimodal tables of numbers, categories and text."""

from ._base import KindSelector, default_modalities
from ._kinds import detect_column_kinds
from ._registry import public_estimators
from .coordinated import (
    CrossModalRetriever,
    CrossModalTransferClassifier,
    CrossModalTransferRegressor,
)
from .ensemble import EnsembleSelectionClassifier, EnsembleSelectionRegressor
from .fusion import (
    BayesianNetworkFusionClassifier,
    BayesianNetworkFusionRegressor,
    EarlyFusionClassifier,
    EarlyFusionRegressor,
    LateFusionClassifier,
    LateFusionRegressor,
    MarkovRandomFieldFusionClassifier,
    MarkovRandomFieldFusionRegressor,
    ModalityUnion,
    NeuralFusionClassifier,
    NeuralFusionMultiTask,
    NeuralFusionRegressor,
)
from .modality import (
    ImageArrays,
    ImageEmbedder,
    SentenceEmbedder,
    TabularEncoder,
    TextTokenizer,
    TextVectorizer,
)

__version__ = "0.1.0"

# Every public estimator of the registry, plus the spec helpers.
__all__ = sorted(
    [cls.__name__ for cls, _ in public_estimators()]
    + ["KindSelector", "default_modalities", "detect_column_kinds"]
) + ["__version__"]
