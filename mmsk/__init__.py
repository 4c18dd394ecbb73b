"""mmsk: scikit-learn estimators for multimodal tables of numbers, categories and text."""

from ._base import KindSelector, default_modalities
from ._kinds import detect_column_kinds
from .fusion import (
    BayesianNetworkFusionClassifier,
    BayesianNetworkFusionRegressor,
    EarlyFusionClassifier,
    EarlyFusionRegressor,
    LateFusionClassifier,
    LateFusionRegressor,
    ModalityUnion,
)
from .modality import SentenceEmbedder, TabularEncoder, TextTokenizer, TextVectorizer

__version__ = "0.1.0"

__all__ = [
    "BayesianNetworkFusionClassifier",
    "BayesianNetworkFusionRegressor",
    "EarlyFusionClassifier",
    "EarlyFusionRegressor",
    "KindSelector",
    "LateFusionClassifier",
    "LateFusionRegressor",
    "ModalityUnion",
    "SentenceEmbedder",
    "TabularEncoder",
    "TextTokenizer",
    "TextVectorizer",
    "default_modalities",
    "detect_column_kinds",
    "__version__",
]
