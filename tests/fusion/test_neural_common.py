"""scikit-learn's own estimator checks on the neural fusion estimators."""

import pytest

pytest.importorskip("torch")
pytest.importorskip("skorch")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from mmsk.fusion import NeuralFusionClassifier, NeuralFusionRegressor  # noqa: E402

# The checks fit on a few dozen rows: a larger step and more epochs let the network
# reach the accuracy the checks ask for, and small layers keep the fits fast.
SMALL = {"embedding_dim": 16, "hidden_units": 32, "max_epochs": 40, "lr": 0.01, "random_state": 0}

ESTIMATORS = [
    NeuralFusionClassifier(**SMALL),
    NeuralFusionClassifier(fusion="attention", **SMALL),
    NeuralFusionRegressor(**SMALL),
    NeuralFusionRegressor(fusion="lowrank", **SMALL),
]


MINIBATCH_TRAINING = (
    "Weighting a row is not the same as repeating it for a network trained by "
    "mini-batch gradient descent: repeated rows change the number of batches per epoch, "
    "which rows share a batch and the random order, so the weights reach a different "
    "point; the modality transformers are also fitted without weights."
)


def expected_failed_checks(estimator):
    return {"check_sample_weight_equivalence_on_dense_data": MINIBATCH_TRAINING}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
