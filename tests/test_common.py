"""scikit-learn's own estimator checks on every public estimator of the registry.

The estimators come from ``mmsk._registry``: a new family or transformer is checked
here as soon as it is registered, and ``test_every_public_estimator_has_check_settings``
fails until it has an entry in ``CHECK_SETTINGS``. Estimators whose extra is not
installed are skipped, by name.
"""

import numpy as np
import pytest
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

import mmsk
from mmsk._registry import FAMILIES, TRANSFORMERS, extra_installed, public_estimators
from mmsk.datasets import make_multimodal_classification, make_multimodal_regression

# Fewer boosting iterations than the default keep the checks fast; behaviour is the same.
FAST_TREES_CLASSIFIER = HistGradientBoostingClassifier(max_iter=15)
FAST_TREES_REGRESSOR = HistGradientBoostingRegressor(max_iter=15)
# The checks fit neural nets on a few dozen rows: a larger step and more epochs let the
# network reach the accuracy the checks ask for, and small layers keep the fits fast.
SMALL_NET = {"embedding_dim": 16, "hidden_units": 32, "max_epochs": 40, "lr": 0.01}
# Linear per-modality models keep the Bayesian checks fast; the network is what is checked.
LINEAR_CLASSIFIER = {"tabular": LogisticRegression()}
LINEAR_REGRESSOR = {"tabular": Ridge()}


# The checks' tables have numeric columns only, one modality under modalities="auto";
# the coordinated estimators need two, so the columns are split by position.
SPLIT_COLUMNS = [("even", "auto", slice(0, None, 2)), ("odd", "auto", slice(1, None, 2))]
SPLIT_ALIGNER = mmsk.CrossModalRetriever(SPLIT_COLUMNS, n_components=1)

# Two plain scikit-learn members: the checks' arrays are what the ensemble passes through.
CLASSIFIER_MEMBERS = [
    ("linear", LogisticRegression()),
    ("tree", DecisionTreeClassifier(random_state=0)),
]
REGRESSOR_MEMBERS = [("linear", Ridge()), ("tree", DecisionTreeRegressor(random_state=0))]

#: The instances checked for each public estimator, by class name.
CHECK_SETTINGS = {
    "TabularEncoder": [{}],
    "TextVectorizer": [{}, {"sparse_output": False}],
    "TextTokenizer": [{}],
    "SentenceEmbedder": [{}],
    "ImageEmbedder": [{"backend": "classical"}],
    "ImageArrays": [{"image_size": 4}],
    "ModalityUnion": [{}],
    "EarlyFusionClassifier": [{}],
    "EarlyFusionRegressor": [{}],
    "LateFusionClassifier": [
        {"estimators": {"tabular": FAST_TREES_CLASSIFIER}},
        {"estimators": {"tabular": FAST_TREES_CLASSIFIER}, "fusion": "stacking", "cv": 3},
    ],
    "LateFusionRegressor": [
        {"estimators": {"tabular": FAST_TREES_REGRESSOR}},
        {"estimators": {"tabular": FAST_TREES_REGRESSOR}, "fusion": "stacking", "cv": 3},
    ],
    "BayesianNetworkFusionClassifier": [
        {"estimators": LINEAR_CLASSIFIER, "structure": structure, "cv": 3}
        for structure in ("naive", "tan", "hillclimb")
    ],
    "BayesianNetworkFusionRegressor": [{"estimators": LINEAR_REGRESSOR, "cv": 3}],
    "MarkovRandomFieldFusionClassifier": [
        {"estimators": LINEAR_CLASSIFIER, "kind": kind, "cv": 3}
        for kind in ("gaussian", "discrete")
    ],
    "MarkovRandomFieldFusionRegressor": [
        {"estimators": LINEAR_REGRESSOR, "kind": kind, "cv": 3}
        for kind in ("gaussian", "discrete")
    ],
    "NeuralFusionClassifier": [
        {**SMALL_NET, "random_state": 0},
        {**SMALL_NET, "fusion": "attention", "random_state": 0},
    ],
    "NeuralFusionRegressor": [
        {**SMALL_NET, "random_state": 0},
        {**SMALL_NET, "fusion": "lowrank", "random_state": 0},
    ],
    "NeuralFusionMultiTask": [{**SMALL_NET, "random_state": 0}],
    "CrossModalRetriever": [
        {"modalities": SPLIT_COLUMNS, "n_components": 1},
        {"modalities": SPLIT_COLUMNS, "n_components": 1, "method": "pls"},
    ],
    "CrossModalTransferClassifier": [{"aligner": SPLIT_ALIGNER}],
    "CrossModalTransferRegressor": [{"aligner": SPLIT_ALIGNER}],
    "EnsembleSelectionClassifier": [
        {"estimators": CLASSIFIER_MEMBERS, "cv": 3},
        {"estimators": CLASSIFIER_MEMBERS, "cv": 3, "method": "stacking"},
    ],
    "EnsembleSelectionRegressor": [
        {"estimators": REGRESSOR_MEMBERS, "cv": 3},
        {"estimators": REGRESSOR_MEMBERS, "cv": 3, "method": "stacking"},
    ],
}


def _instances(installed):
    instances = []
    for cls, extra in public_estimators():
        if extra_installed(extra) is installed:
            instances.extend(cls(**params) for params in CHECK_SETTINGS.get(cls.__name__, []))
    return instances


CHECKED = _instances(installed=True)
NOT_INSTALLED = _instances(installed=False)

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
NETWORK_NOT_WEIGHT_EQUIVALENT = (
    "Weighting a row is not the same as repeating it: the modality transformers "
    "(imputation, scaling) and the quantile thresholds of the network's bins are learned "
    "without weights, and the out-of-fold predictions the network learns from depend on "
    "how rows fall into the cross-validation folds, which repeating rows changes."
)
FIELD_NOT_WEIGHT_EQUIVALENT = (
    "Weighting a row is not the same as repeating it: the field learns from out-of-fold "
    "predictions, which depend on how rows fall into the cross-validation folds, and the "
    "modality transformers and bin thresholds are learned without weights. The fields "
    "themselves honour weights as repeated rows (tests/fusion/test_mrf.py)."
)
HILLCLIMB_REFUSES_WEIGHTS = (
    "structure='hillclimb' refuses sample_weight with an explicit ValueError, because "
    "pgmpy's structure scores (BIC, BDeu, K2) count rows without weights; silently "
    "ignoring the weights in the structure search would be worse. The same checks pass "
    "for structure='naive' and structure='tan'."
)
MINIBATCH_TRAINING = (
    "Weighting a row is not the same as repeating it for a network trained by "
    "mini-batch gradient descent: repeated rows change the number of batches per epoch, "
    "which rows share a batch and the random order, so the weights reach a different "
    "point; the modality transformers are also fitted without weights."
)
COLUMNS_BY_NAME = (
    "Fusion estimators match a DataFrame's columns by name at predict time, as "
    "ColumnTransformer does: reordered columns and extra columns are accepted on "
    "purpose, so the check's reordered and renamed frames do not raise its message. A "
    "missing column still raises (tests/test_base.py asserts the message)."
)
HILLCLIMB_WEIGHT_CHECKS = [
    "check_sample_weights_pandas_series",
    "check_sample_weights_not_an_array",
    "check_sample_weights_list",
    "check_sample_weights_shape",
    "check_sample_weights_not_overwritten",
    "check_classifiers_one_label_sample_weights",
]
PREDICTS_A_DATAFRAME = (
    "NeuralFusionMultiTask.predict returns a DataFrame with one column per target (and "
    "predict_proba a dict keyed by target), by design; the check indexes or subtracts "
    "the outputs as arrays. tests/fusion/test_neural_multitask.py tests the same "
    "property on DataFrames"
)
MULTITASK_DATAFRAME_CHECKS = (
    "check_estimators_pickle",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_fit_idempotent",
)
WEIGHT_EQUIVALENCE = "check_sample_weight_equivalence_on_dense_data"
NOT_WEIGHT_EQUIVALENT_BY_FAMILY = {
    "early": UNWEIGHTED_TRANSFORMERS,
    "late": BOOSTED_TREES_AND_FOLDS,
    "bayes": NETWORK_NOT_WEIGHT_EQUIVALENT,
    "mrf": FIELD_NOT_WEIGHT_EQUIVALENT,
    "neural": MINIBATCH_TRAINING,
}


TRANSFER_FROM_ONE_DIRECTION = (
    "A cross-modal transfer estimator predicts from the target modality's coordinates "
    "in a one-dimensional shared space here, learned from the other half of the columns; "
    "on the checks' tables the halves are unrelated features, so that one direction does "
    "not carry the labels to the score the check asks for. tests/coordinated/"
    "test_transfer.py checks transfer on tables where both modalities carry the label."
)
TRANSFER_TRAIN_CHECKS = ("check_classifiers_train", "check_regressors_train")


def expected_failed_checks(estimator):
    failures = {}
    if isinstance(
        estimator, (mmsk.CrossModalTransferClassifier, mmsk.CrossModalTransferRegressor)
    ):
        failures.update(dict.fromkeys(TRANSFER_TRAIN_CHECKS, TRANSFER_FROM_ONE_DIRECTION))
    if isinstance(estimator, mmsk.ModalityUnion) or _family_name(estimator):
        failures["check_dataframe_column_names_consistency"] = COLUMNS_BY_NAME
    family = _family_name(estimator)
    if family:
        failures[WEIGHT_EQUIVALENCE] = NOT_WEIGHT_EQUIVALENT_BY_FAMILY[family]
    if isinstance(estimator, mmsk.NeuralFusionMultiTask):
        failures.update(dict.fromkeys(MULTITASK_DATAFRAME_CHECKS, PREDICTS_A_DATAFRAME))
    if family == "bayes" and estimator.get_params().get("structure") == "hillclimb":
        failures.update(dict.fromkeys(HILLCLIMB_WEIGHT_CHECKS, HILLCLIMB_REFUSES_WEIGHTS))
        failures[WEIGHT_EQUIVALENCE] = HILLCLIMB_REFUSES_WEIGHTS
    return failures


def _family_name(estimator):
    return next(
        (family.name for family in FAMILIES if isinstance(estimator, family.estimators)), None
    )


@parametrize_with_checks(CHECKED, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", NOT_INSTALLED or [None], ids=repr)
def test_estimators_of_missing_extras_are_skipped_by_name(estimator):
    if estimator is None:
        pytest.skip("every extra is installed: every public estimator is checked")
    pytest.skip(f"{type(estimator).__name__} needs an extra that is not installed")


def test_every_public_estimator_has_check_settings():
    names = [cls.__name__ for cls, _ in public_estimators()]
    assert sorted(set(names) - set(CHECK_SETTINGS)) == []
    assert sorted(set(CHECK_SETTINGS) - set(names)) == []


def test_every_public_estimator_is_exported_from_mmsk():
    for cls, _ in public_estimators():
        assert getattr(mmsk, cls.__name__) is cls
        assert cls.__name__ in mmsk.__all__


# --- feature names and set_output, which parametrize_with_checks yields only for
# scikit-learn's own estimators.

OUTPUT_CHECKS = [
    "check_transformer_get_feature_names_out",
    "check_transformer_get_feature_names_out_pandas",
    "check_get_feature_names_out_error",
    "check_set_output_transform",
    "check_set_output_transform_pandas",
    "check_global_output_transform_pandas",
]
# The pandas output checks need dense output: TextVectorizer's default is sparse.
OUTPUT_SETTINGS = {"TextVectorizer": {"sparse_output": False}}


def _installed_transformers():
    return [
        entry.estimator(**OUTPUT_SETTINGS.get(entry.estimator.__name__, {}))
        for entry in TRANSFORMERS
        if extra_installed(entry.extra)
    ]


# The pandas output checks fit on a DataFrame and transform an array (and the reverse)
# on purpose; scikit-learn's own transformers warn about it in the same way.
@pytest.mark.filterwarnings("ignore:X (does not have valid|has) feature names:UserWarning")
@pytest.mark.parametrize("transformer", _installed_transformers(), ids=repr)
@pytest.mark.parametrize("check_name", OUTPUT_CHECKS)
def test_feature_names_and_output_checks(transformer, check_name):
    getattr(estimator_checks, check_name)(type(transformer).__name__, transformer)


# --- scikit-learn's global configuration reaches every estimator.

SMALL_FITS = {
    "NeuralFusionClassifier": {"max_epochs": 1, "device": "cpu"},
    "NeuralFusionRegressor": {"max_epochs": 1, "device": "cpu"},
    "NeuralFusionMultiTask": {"max_epochs": 1, "device": "cpu"},
    "SentenceEmbedder": {"device": "cpu"},
    "TextVectorizer": {"sparse_output": False},
    "CrossModalRetriever": {"n_components": 2},
    "CrossModalTransferClassifier": {"aligner": mmsk.CrossModalRetriever(n_components=2)},
    "CrossModalTransferRegressor": {"aligner": mmsk.CrossModalRetriever(n_components=2)},
    # Pandas output needs dense blocks; the default TF-IDF block is sparse.
    "ModalityUnion": {
        "modalities": [
            ("tabular", "auto", mmsk.KindSelector("numeric", "categorical")),
            ("text", mmsk.TextVectorizer(sparse_output=False), mmsk.KindSelector("text")),
        ]
    },
}
SMALL_FITS["EnsembleSelectionClassifier"] = {
    "estimators": [("early", mmsk.EarlyFusionClassifier()), ("late", mmsk.LateFusionClassifier())],
    "cv": 2,
}
SMALL_FITS["EnsembleSelectionRegressor"] = {
    "estimators": [("early", mmsk.EarlyFusionRegressor()), ("late", mmsk.LateFusionRegressor())],
    "cv": 2,
}
TEXT_ONLY = ("TextVectorizer", "TextTokenizer", "SentenceEmbedder")


@pytest.mark.parametrize(
    "cls, extra", public_estimators(), ids=[cls.__name__ for cls, _ in public_estimators()]
)
def test_fits_and_predicts_under_global_pandas_output(cls, extra):
    if not extra_installed(extra):
        pytest.skip(f"{cls.__name__} needs the {extra!r} extra")
    regression = cls.__name__.endswith("Regressor")
    make = make_multimodal_regression if regression else make_multimodal_classification
    X, y = make(n_samples=120, random_state=0)
    X_in = X[["text_0"]] if cls.__name__ in TEXT_ONLY else X
    estimator = cls(**SMALL_FITS.get(cls.__name__, {}))
    with sklearn.config_context(transform_output="pandas"):
        if isinstance(estimator, mmsk.NeuralFusionMultiTask):
            predictions = estimator.fit(X_in, y).predict(X_in)
            assert predictions.shape == (len(X_in), 1)
        elif hasattr(estimator, "predict"):
            predictions = estimator.fit(X_in, y).predict(X_in)
            assert isinstance(predictions, np.ndarray)
            assert predictions.shape == (len(X_in),)
        else:
            out = estimator.fit(X_in).transform(X_in)
            assert list(out.columns) == list(estimator.get_feature_names_out())


class ConfigRecordingEncoder(mmsk.TabularEncoder):
    """A TabularEncoder that remembers scikit-learn's working_memory seen in its fit."""

    def fit_transform(self, X, y=None):
        self.working_memory_seen_ = sklearn.get_config()["working_memory"]
        return super().fit_transform(X, y)


def _fitted_tabular_encoder(estimator):
    if hasattr(estimator, "named_transformers_"):
        return estimator.named_transformers_["tabular"]
    return estimator.named_estimators_["tabular"].named_steps["transformer"]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family.name)
def test_config_reaches_parallel_workers(family):
    """With ``n_jobs=2`` the modality transformers fit in worker processes that see the
    caller's scikit-learn config."""
    if not family.available():
        pytest.skip(f"the {family.name} family needs the {family.extra!r} extra")
    if "n_jobs" not in family.classifier().get_params():
        pytest.skip(f"the {family.name} family fits its modalities in one process")
    X, y = make_multimodal_classification(n_samples=120, random_state=0)
    spec = [
        ("tabular", ConfigRecordingEncoder(), mmsk.KindSelector("numeric", "categorical")),
        ("text", "auto", mmsk.KindSelector("text")),
    ]
    estimator = family.classifier(modalities=spec, n_jobs=np.int64(2))
    with sklearn.config_context(working_memory=123, transform_output="pandas"):
        estimator.fit(X, y)
    assert _fitted_tabular_encoder(estimator).working_memory_seen_ == 123
    assert estimator.predict(X).shape == (len(X),)
