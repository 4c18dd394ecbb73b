"""Fusion estimators: early, late, neural, Bayesian-network and Markov-random-field fusion."""

from ._bayesian import BayesianNetworkFusionClassifier, BayesianNetworkFusionRegressor
from ._early import EarlyFusionClassifier, EarlyFusionRegressor, ModalityUnion
from ._late import LateFusionClassifier, LateFusionRegressor
from ._mrf import MarkovRandomFieldFusionClassifier, MarkovRandomFieldFusionRegressor
from ._neural import NeuralFusionClassifier, NeuralFusionRegressor, TrainingDivergedError
from ._neural_multitask import NeuralFusionMultiTask

__all__ = [
    "BayesianNetworkFusionClassifier",
    "BayesianNetworkFusionRegressor",
    "EarlyFusionClassifier",
    "EarlyFusionRegressor",
    "LateFusionClassifier",
    "LateFusionRegressor",
    "MarkovRandomFieldFusionClassifier",
    "MarkovRandomFieldFusionRegressor",
    "ModalityUnion",
    "NeuralFusionClassifier",
    "NeuralFusionMultiTask",
    "NeuralFusionRegressor",
    "TrainingDivergedError",
]
