"""Coordinated representations: a shared space across modalities, for cross-modal
retrieval and for cross-modal transfer (learn from one modality, predict from another)."""

from ._retriever import CrossModalRetriever
from ._transfer import CrossModalTransferClassifier, CrossModalTransferRegressor

__all__ = [
    "CrossModalRetriever",
    "CrossModalTransferClassifier",
    "CrossModalTransferRegressor",
]
