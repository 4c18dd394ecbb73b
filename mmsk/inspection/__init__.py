"""Inspection: how much a fitted model relies on each modality, and plots of it."""

from ._display import ModalityImportanceDisplay
from ._importance import ModalityImportanceResult, modality_importance

__all__ = [
    "ModalityImportanceDisplay",
    "ModalityImportanceResult",
    "modality_importance",
]
