"""scikit-learn's own estimator checks on every public estimator and transformer."""

import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.utils.estimator_checks import (
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    parametrize_with_checks,
)

from mmsk import (
    EarlyFusionClassifier,
    EarlyFusionRegressor,
    LateFusionClassifier,
    LateFusionRegressor,
    ModalityUnion,
    TabularEncoder,
    TextTokenizer,
    TextVectorizer,
)

# Fewer boosting iterations than the default keep the checks fast; behaviour is the same.
FAST_TREES_CLASSIFIER = HistGradientBoostingClassifier(max_iter=15)
FAST_TREES_REGRESSOR = HistGradientBoostingRegressor(max_iter=15)

ESTIMATORS = [
    TabularEncoder(),
    TextVectorizer(),
    TextVectorizer(sparse_output=False),
    TextTokenizer(),
    ModalityUnion(),
    EarlyFusionClassifier(),
    EarlyFusionRegressor(),
    LateFusionClassifier(estimators={"tabular": FAST_TREES_CLASSIFIER}),
    LateFusionClassifier(estimators={"tabular": FAST_TREES_CLASSIFIER}, fusion="stacking", cv=3),
    LateFusionRegressor(estimators={"tabular": FAST_TREES_REGRESSOR}),
    LateFusionRegressor(estimators={"tabular": FAST_TREES_REGRESSOR}, fusion="stacking", cv=3),
]


UNWEIGHTED_TRANSFORMERS = (
    "sample_weight reaches the fitted estimator only: the modality transformers "
    "(imputation medians, scaling, TF-IDF statistics) and the 'balanced' block weights "
    "are learned without weights, exactly as in a scikit-learn Pipeline, so weighting "
    "a row is not the same as repeating it."
)
BOOSTED_TREES_AND_FOLDS = (
    "The default tabular estimator is HistGradientBoosting, which scikit-learn itself "
    "marks as not sample_weight-equivalent (its bins are computed without weights), "
    "and out-of-fold predictions depend on how rows fall into folds, which repeating "
    "rows changes."
)


def expected_failed_checks(estimator):
    if isinstance(estimator, (EarlyFusionClassifier, EarlyFusionRegressor)):
        return {"check_sample_weight_equivalence_on_dense_data": UNWEIGHTED_TRANSFORMERS}
    if isinstance(estimator, (LateFusionClassifier, LateFusionRegressor)):
        return {"check_sample_weight_equivalence_on_dense_data": BOOSTED_TREES_AND_FOLDS}
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "transformer",
    [TabularEncoder(), TextVectorizer(), TextTokenizer(), ModalityUnion()],
    ids=repr,
)
@pytest.mark.parametrize(
    "check",
    [check_transformer_get_feature_names_out, check_transformer_get_feature_names_out_pandas],
    ids=lambda check: check.__name__,
)
def test_feature_names_out_checks(transformer, check):
    check(type(transformer).__name__, transformer)
