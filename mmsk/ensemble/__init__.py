"""Ensembles over mmsk's estimators: greedy ensemble selection and stacking."""

from ._selection import EnsembleSelectionClassifier, EnsembleSelectionRegressor

__all__ = ["EnsembleSelectionClassifier", "EnsembleSelectionRegressor"]
