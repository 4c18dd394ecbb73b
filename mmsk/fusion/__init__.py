"""Fusion estimators: early, late, neural and Bayesian-network fusion of modalities."""

from ._bayesian import BayesianNetworkFusionClassifier, BayesianNetworkFusionRegressor
from ._early import EarlyFusionClassifier, EarlyFusionRegressor, ModalityUnion
from ._late import LateFusionClassifier, LateFusionRegressor
from ._neural import NeuralFusionClassifier, NeuralFusionRegressor

__all__ = [
    "BayesianNetworkFusionClassifier",
    "BayesianNetworkFusionRegressor",
    "EarlyFusionClassifier",
    "EarlyFusionRegressor",
    "LateFusionClassifier",
    "LateFusionRegressor",
    "ModalityUnion",
    "NeuralFusionClassifier",
    "NeuralFusionRegressor",
]
