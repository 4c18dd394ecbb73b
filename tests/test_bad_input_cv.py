"""Bad-input catalogue for cross-validation, prefit models, labels and targets.

Late, Bayesian-network and Markov-random-field fusion share the per-modality out-of-fold
machinery; every case below runs against each of them that applies (classifier and
regressor), early fusion joins for the estimator-kind cases and every fusion estimator
for the index cases. Each case ends in a clear error, whose type and message the test
asserts, or in documented handling, which the test asserts too. Bayesian-network fusion
is skipped without pgmpy, neural fusion without torch and skorch.

Prefit models (``cv="prefit"``):

- prefit-labels: models fitted on labels 0..2, 1..3, strings, floats 1.0/2.0/3.0 or
  numpy int8 -> handled: classes matched by value, the same predictions as the 0..2
  run (mean, vote and stacking late fusion, Bayesian and MRF classifiers).
- prefit-unseen-class: models never shown class 3 of y = 1..3 -> handled: class 3 gets
  probability 0 from them (documented under ``cv``); nothing lands in a wrong column.
- prefit-unknown-label: a model fitted on a label absent from y -> ValueError "The
  prefit estimator of modality 'tabular' was fitted on classes [3] that are not in y;
  the classes of y are [1, 2]".
- prefit-wrong-kind: a fitted regressor given to a classifier -> ValueError "The
  estimator of modality 'tabular' ... must be a classifier; got Ridge".

Out-of-fold splits (``cv``):

- cv-generator: ``KFold(3).split(X)`` -> handled: read once, every modality uses the
  same splits; the same predictions as ``cv=KFold(3)``.
- cv-list-missing-modality: a list of splits of all rows while a modality is missing in
  some rows -> handled: each split restricted to the modality's rows.
- cv-list-bad-index: a split holding row 1000 of 60 -> ValueError "holds row 1000, but
  X has only 60 rows".
- cv-list-not-pairs: a split that is not a (train, test) pair -> ValueError "is not a
  (train, test) pair of index arrays".
- cv-exhausted-generator: a generator already read -> ValueError "gave none".
- cv-list-no-training-rows: a split whose training part lacks every row of a modality
  -> ValueError "Split 0 of the 'cv' parameter has no training row where modality
  'text' is present".
- cv-groups: GroupKFold, LeaveOneGroupOut and StratifiedGroupKFold with
  ``fit(X, y, groups=...)`` -> handled: the groups reach each modality's splitter,
  sliced to its rows; the same predictions as the equivalent list of splits.
- cv-groups-routed: ``cross_validate`` under metadata routing with
  ``set_fit_request(groups=True)`` -> handled: the groups reach the inner splitter.
- cv-groups-missing: a group splitter without groups -> ValueError "splits the rows by
  group, but fit received no groups. Pass ... fit(X, y, groups=groups)".
- cv-groups-length: groups of the wrong length -> ValueError "groups must hold one group
  label per row of X: X has 60 rows".
- cv-not-partition: ShuffleSplit, TimeSeriesSplit (first fold never tested) and
  PredefinedSplit with -1 rows -> ValueError "The test parts of the 'cv' splits must
  hold every row exactly once (a partition)".
- cv-leave-one-out: LeaveOneOut -> handled.
- cv-one: ``cv=1`` -> InvalidParameterError "The 'cv' parameter of ... must be an int in
  the range [2, inf)".
- cv-more-than-rows: ``cv=100`` on 60 rows -> ValueError "Cross-validating the
  estimator of modality 'tabular' failed: Cannot have number of splits n_splits=100
  greater than the number of samples: n_samples=60 (splitting the 60 rows where the
  modality is present with cv=100). Lower cv ...".
- cv-modality-too-rare: a modality present in 3 rows with ``cv=5`` -> ValueError
  "Cross-validating the estimator of modality 'text' failed: ... (splitting the 3 rows
  where the modality is present with cv=5)".
- single-member-class: one row of class 9 among 150 -> handled with UserWarning "In the
  out-of-fold predictions of modality 'tabular', some classes are too rare for the
  cross-validation folds: 9 (1 of the 150 rows, absent from the training part of 1 of
  the 5 folds)": the class keeps its column of probabilities, 0 from the fold that
  never saw it. A class of 3 rows with ``cv=5`` -> handled silently (stratified folds
  keep it in every training part).

Estimator kinds:

- regressor-as-classifier: ``EarlyFusionClassifier(estimator=Ridge())``, ``Ridge`` as a
  modality's estimator of any classifier (late vote included) and as late stacking's
  ``final_estimator`` -> ValueError "... must be a classifier; got Ridge, which is a
  regressor".
- classifier-as-regressor: the same with ``LogisticRegression`` in regressors ->
  ValueError "... must be a regressor; got LogisticRegression, which is a
  classifier".
- wrapped-classifier: a Pipeline or GridSearchCV ending in a classifier -> accepted.

Labels:

- odd-labels: bools, floats 1.0/2.0, numpy int8, a pandas Categorical with unused
  categories (they are dropped from ``classes_``), nullable Int64 -> handled: the same
  predictions as labels 0..K-1, decoded back to the given labels.
- tuple-labels: a list of pairs is a 2-D y, as in scikit-learn -> one target per
  position.

Indexes (every fusion estimator):

- y-permuted-index: y a Series (or 2-D DataFrame) whose index is a permutation of the
  index of X -> UserWarning "y is a pandas Series whose index holds the same labels as
  the index of X, in a different order ... pass y.loc[X.index]"; y is used by position,
  as in scikit-learn.
- sample-weight-permuted-index: the same for a sample_weight Series -> UserWarning
  "sample_weight is a pandas Series whose index ...".
- y-other-index: an index sharing no label with that of X (or the same index) -> used by
  position, silently.
"""

import importlib.util
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import config_context
from sklearn.base import clone, is_classifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    LeaveOneGroupOut,
    LeaveOneOut,
    PredefinedSplit,
    ShuffleSplit,
    StratifiedGroupKFold,
    TimeSeriesSplit,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from mmsk import (
    BayesianNetworkFusionClassifier,
    BayesianNetworkFusionRegressor,
    EarlyFusionClassifier,
    EarlyFusionRegressor,
    LateFusionClassifier,
    LateFusionRegressor,
    MarkovRandomFieldFusionClassifier,
    MarkovRandomFieldFusionRegressor,
    TabularEncoder,
    TextVectorizer,
)
from mmsk._validation import check_target
from mmsk.datasets import make_multimodal_classification, make_multimodal_regression

TABULAR = ["num_0", "num_1", "num_2", "num_3", "cat_0", "cat_1"]
SPEC = [("tabular", "passthrough", TABULAR), ("text", "passthrough", ["text_0"])]
HAS_PGMPY = importlib.util.find_spec("pgmpy") is not None
HAS_NEURAL = all(importlib.util.find_spec(m) is not None for m in ("torch", "skorch"))
needs_pgmpy = pytest.mark.skipif(not HAS_PGMPY, reason="pgmpy is not installed")

LINEAR = {"tabular": LogisticRegression()}
LINEAR_REG = {"tabular": Ridge()}

CLASSIFIERS = [
    pytest.param(LateFusionClassifier(estimators=LINEAR, fusion="mean"), id="late-mean"),
    pytest.param(LateFusionClassifier(estimators=LINEAR, fusion="vote"), id="late-vote"),
    pytest.param(LateFusionClassifier(estimators=LINEAR, fusion="stacking"), id="late-stacking"),
    pytest.param(
        BayesianNetworkFusionClassifier(estimators=LINEAR, random_state=0),
        id="bayes",
        marks=needs_pgmpy,
    ),
    pytest.param(MarkovRandomFieldFusionClassifier(estimators=LINEAR), id="mrf"),
]
REGRESSORS = [
    pytest.param(LateFusionRegressor(estimators=LINEAR_REG), id="late"),
    pytest.param(
        BayesianNetworkFusionRegressor(estimators=LINEAR_REG), id="bayes", marks=needs_pgmpy
    ),
    pytest.param(MarkovRandomFieldFusionRegressor(estimators=LINEAR_REG), id="mrf"),
]
PER_MODALITY = CLASSIFIERS + REGRESSORS
# The estimators that learn from out-of-fold predictions (late "mean" and "vote" need none).
CV_CLASSIFIERS = [
    pytest.param(LateFusionClassifier(estimators=LINEAR), id="late-weighted"),
    *CLASSIFIERS[2:],
]
CV_ESTIMATORS = CV_CLASSIFIERS + REGRESSORS


def _data(estimator, n_samples=60, **kwargs):
    if is_classifier(estimator):
        return make_multimodal_classification(n_samples=n_samples, random_state=0, **kwargs)
    return make_multimodal_regression(n_samples=n_samples, random_state=0, **kwargs)


def _prefit_models(X, labels):
    text = make_pipeline(TextVectorizer(), LogisticRegression()).fit(X[["text_0"]], labels)
    tabular = make_pipeline(TabularEncoder(), LogisticRegression()).fit(X[TABULAR], labels)
    return {"tabular": tabular, "text": text}


# ------------------------------------------------------------------------ prefit models


@pytest.fixture(scope="module")
def three_classes():
    return make_multimodal_classification(n_samples=120, n_classes=3, random_state=0)


@pytest.mark.parametrize("estimator", CLASSIFIERS)
@pytest.mark.parametrize(
    "labels",
    [
        np.array([1, 2, 3]),
        np.array(["a", "b", "c"]),
        np.array([1.0, 2.0, 3.0]),
        np.array([5, 6, 7], dtype=np.int8),
    ],
    ids=["1-3", "strings", "floats", "int8"],
)
def test_prefit_classes_are_matched_by_value(estimator, labels, three_classes):
    X, y = three_classes
    reference = clone(estimator).set_params(
        modalities=SPEC, estimators=_prefit_models(X, y), cv="prefit"
    )
    expected = reference.fit(X, y).predict(X)
    model = clone(estimator).set_params(
        modalities=SPEC, estimators=_prefit_models(X, labels[y]), cv="prefit"
    )
    np.testing.assert_array_equal(model.fit(X, labels[y]).predict(X), labels[expected])


def test_prefit_class_never_seen_gets_probability_zero(three_classes):
    X, y = three_classes
    labels = np.array([1, 2, 3])[y]
    seen = y != 2
    models = {
        "text": make_pipeline(TextVectorizer(), LogisticRegression()).fit(
            X[["text_0"]][seen], labels[seen]
        ),
        "tabular": make_pipeline(TabularEncoder(), LogisticRegression()).fit(
            X[TABULAR][seen], labels[seen]
        ),
    }
    model = LateFusionClassifier(SPEC, estimators=models, fusion="mean", cv="prefit")
    proba = model.fit(X, labels).predict_proba(X)
    np.testing.assert_array_equal(model.classes_, [1, 2, 3])
    assert np.all(proba[:, 2] == 0)
    np.testing.assert_allclose(
        proba[:, :2],
        models["text"].predict_proba(X[["text_0"]]) / 2
        + models["tabular"].predict_proba(X[TABULAR]) / 2,
    )


@pytest.mark.parametrize("estimator", CLASSIFIERS)
def test_prefit_label_absent_from_y_is_refused(estimator, three_classes):
    X, y = three_classes
    labels = np.array([1, 2, 3])[y]
    model = clone(estimator).set_params(
        modalities=SPEC, estimators=_prefit_models(X, labels), cv="prefit"
    )
    with pytest.raises(
        ValueError,
        match=r"prefit estimator of modality 'tabular' was fitted on classes \[3\] that are "
        r"not in y; the classes of y are \[1, 2\]",
    ):
        model.fit(X[y != 2], labels[y != 2])


def test_prefit_regressor_in_classifier_is_refused(three_classes):
    X, y = three_classes
    models = {
        "tabular": make_pipeline(TabularEncoder(), Ridge()).fit(X[TABULAR], y),
        "text": _prefit_models(X, y)["text"],
    }
    model = LateFusionClassifier(SPEC, estimators=models, fusion="vote", cv="prefit")
    with pytest.raises(
        ValueError,
        match=r"estimator of modality 'tabular' in the 'estimators' parameter of "
        r"LateFusionClassifier must be a classifier; got Pipeline, which is a regressor",
    ):
        model.fit(X, y)


# --------------------------------------------------------------------- out-of-fold splits


@pytest.mark.parametrize("estimator", CV_ESTIMATORS)
def test_cv_generator_is_read_once_for_every_modality(estimator):
    X, y = _data(estimator)
    expected = clone(estimator).set_params(cv=KFold(3)).fit(X, y).predict(X)
    model = clone(estimator).set_params(cv=KFold(3).split(X)).fit(X, y)
    np.testing.assert_allclose(model.predict(X), expected)


@pytest.mark.parametrize("estimator", CV_ESTIMATORS)
def test_cv_list_is_restricted_to_each_modality_rows(estimator):
    X, y = _data(estimator, n_samples=90, missing_rate=0.3)
    splits = list(KFold(3, shuffle=True, random_state=0).split(X))
    model = clone(estimator).set_params(cv=splits).fit(X, y)
    assert model.missing_in_training_
    assert np.isfinite(model.predict(X).astype(float)).all()


@pytest.mark.parametrize(
    "cv, message",
    [
        ([(np.arange(30), np.array([1000]))], r"holds row 1000, but X has only 60 rows"),
        ([np.arange(60)], r"Split 0 of the 'cv' parameter is not a \(train, test\) pair"),
        (iter([]), r"gave none"),
    ],
    ids=["bad-index", "not-pairs", "exhausted"],
)
def test_cv_list_entries_are_checked(cv, message):
    X, y = make_multimodal_classification(n_samples=60, random_state=0)
    with pytest.raises(ValueError, match=message):
        LateFusionClassifier(estimators=LINEAR, cv=cv).fit(X, y)


def test_cv_split_without_training_rows_of_a_modality_is_refused():
    X, y = make_multimodal_classification(n_samples=60, random_state=0)
    X = X.assign(text_0=X["text_0"].where(np.arange(60) >= 30))
    splits = [(np.arange(30), np.arange(30, 60)), (np.arange(30, 60), np.arange(30))]
    with pytest.raises(
        ValueError,
        match=r"Split 0 of the 'cv' parameter has no training row where modality 'text'",
    ):
        LateFusionClassifier(estimators=LINEAR, cv=splits).fit(X, y)


@pytest.mark.parametrize("estimator", CV_ESTIMATORS)
@pytest.mark.parametrize(
    "splitter",
    [GroupKFold(3), LeaveOneGroupOut(), StratifiedGroupKFold(3)],
    ids=["group-kfold", "leave-one-group-out", "stratified-group-kfold"],
)
def test_groups_reach_the_splitter(estimator, splitter):
    if not is_classifier(estimator) and isinstance(splitter, StratifiedGroupKFold):
        pytest.skip("StratifiedGroupKFold needs class labels")
    X, y = _data(estimator)
    groups = np.arange(len(y)) % 3
    model = clone(estimator).set_params(cv=splitter).fit(X, y, groups=groups)
    splits = list(splitter.split(X, y, groups))
    expected = clone(estimator).set_params(cv=splits).fit(X, y).predict(X)
    np.testing.assert_allclose(model.predict(X), expected)


def test_groups_are_routed_by_metadata_routing():
    X, y = make_multimodal_classification(n_samples=60, random_state=0)
    groups = np.arange(60) % 6
    with config_context(enable_metadata_routing=True):
        model = LateFusionClassifier(estimators=LINEAR, cv=GroupKFold(3))
        scores = cross_validate(
            model.set_fit_request(groups=True, sample_weight=False),
            X,
            y,
            cv=GroupKFold(2),
            params={"groups": groups},
            error_score="raise",
        )
    assert scores["test_score"].min() > 0.7


@pytest.mark.parametrize("estimator", CV_ESTIMATORS)
def test_group_splitter_without_groups_is_refused(estimator):
    X, y = _data(estimator)
    with pytest.raises(
        ValueError,
        match=r"cv=GroupKFold\(.*\) splits the rows by group, but fit received no groups\. "
        r"Pass one group label per row of X: fit\(X, y, groups=groups\)",
    ):
        clone(estimator).set_params(cv=GroupKFold(3)).fit(X, y)


def test_groups_of_the_wrong_length_are_refused():
    X, y = make_multimodal_classification(n_samples=60, random_state=0)
    with pytest.raises(
        ValueError,
        match=r"groups must hold one group label per row of X: "
        r"X has 60 rows, groups has shape \(59,\)",
    ):
        LateFusionClassifier(cv=GroupKFold(3)).fit(X, y, groups=np.arange(59))


@pytest.mark.parametrize("estimator", CV_ESTIMATORS)
@pytest.mark.parametrize(
    "splitter",
    [
        ShuffleSplit(3, random_state=0),
        TimeSeriesSplit(3),
        PredefinedSplit(np.where(np.arange(60) < 6, -1, np.arange(60) % 3)),
    ],
    ids=["shuffle-split", "time-series-split", "predefined-split"],
)
def test_non_partition_splitters_are_refused(estimator, splitter):
    X, y = _data(estimator)
    with pytest.raises(
        ValueError,
        match=r"The test parts of the 'cv' splits must hold every row exactly once "
        r"\(a partition\).* of the 60 rows where modality 'tabular' is present, \d+ are in "
        r"no test part",
    ):
        clone(estimator).set_params(cv=splitter).fit(X, y)


def test_leave_one_out_is_a_partition():
    X, y = make_multimodal_classification(n_samples=24, random_state=0)
    model = LateFusionClassifier(estimators=LINEAR, cv=LeaveOneOut()).fit(X, y)
    assert model.score(X, y) > 0.7


@pytest.mark.parametrize("estimator", CV_ESTIMATORS)
def test_cv_of_one_is_refused(estimator):
    X, y = _data(estimator)
    with pytest.raises(
        InvalidParameterError,
        match=r"The 'cv' parameter of .* must be an int "
        r"in the range \[2, inf\)",
    ):
        clone(estimator).set_params(cv=1).fit(X, y)


@pytest.mark.parametrize("estimator", CV_ESTIMATORS)
def test_more_folds_than_rows_is_refused(estimator):
    X, y = _data(estimator)
    with pytest.raises(
        ValueError,
        match=r"Cross-validating the estimator of modality 'tabular' failed: Cannot have "
        r"number of splits n_splits=100 greater than the number of samples: n_samples=60 "
        r"\(splitting the 60 rows where the modality is present with cv=100\)\. Lower cv",
    ):
        clone(estimator).set_params(cv=100).fit(X, y)


@pytest.mark.parametrize("estimator", CV_ESTIMATORS)
def test_modality_with_fewer_rows_than_folds_is_refused(estimator):
    X, y = _data(estimator)
    X = X.assign(text_0=X["text_0"].where(np.arange(60) < 3))
    with pytest.raises(
        ValueError,
        match=r"Cross-validating the estimator of modality 'text' failed: .* \(splitting "
        r"the 3 rows where the modality is present with cv=5\)",
    ):
        clone(estimator).set_params(cv=5).fit(X, y)


@pytest.mark.parametrize("estimator", CV_CLASSIFIERS)
def test_class_too_rare_for_the_folds_keeps_its_column(estimator):
    X, y = make_multimodal_classification(n_samples=150, random_state=0)
    y = np.where(np.arange(150) == 7, 9, y)
    y = np.where(np.isin(np.arange(150), [3, 40, 90]), 5, y)
    with pytest.warns(
        UserWarning,
        match=r"In the out-of-fold predictions of modality 'tabular', some classes are too "
        r"rare for the cross-validation folds: 9 \(1 of the 150 rows, "
        r"absent from the training part of 1 of the 5 folds\)",
    ):
        model = clone(estimator).fit(X, y)
    proba = model.predict_proba(X)
    np.testing.assert_array_equal(model.classes_, [0, 1, 5, 9])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.score(X, y) > 0.9


# ------------------------------------------------------------------------ estimator kinds


def _wrong_kind_cases():
    ridge, logistic = Ridge(), LogisticRegression()
    modality = "The estimator of modality 'text' in the 'estimators' parameter of {}"
    cases = [
        (EarlyFusionClassifier(estimator=ridge), "The 'estimator' parameter of {}"),
        (EarlyFusionRegressor(estimator=logistic), "The 'estimator' parameter of {}"),
        (LateFusionClassifier(estimators={"text": ridge}, fusion="vote"), modality),
        (LateFusionClassifier(estimators={"text": ridge}, fusion="mean"), modality),
        (LateFusionRegressor(estimators={"text": logistic}), modality),
        (
            LateFusionClassifier(fusion="stacking", final_estimator=ridge),
            "The 'final_estimator' parameter of {}",
        ),
        (
            LateFusionRegressor(fusion="stacking", final_estimator=logistic),
            "The 'final_estimator' parameter of {}",
        ),
        (MarkovRandomFieldFusionClassifier(estimators={"text": ridge}), modality),
        (MarkovRandomFieldFusionRegressor(estimators={"text": logistic}), modality),
    ]
    if HAS_PGMPY:
        cases += [
            (BayesianNetworkFusionClassifier(estimators={"text": ridge}), modality),
            (BayesianNetworkFusionRegressor(estimators={"text": logistic}), modality),
        ]
    return [pytest.param(e, m, id=f"{type(e).__name__}-{i}") for i, (e, m) in enumerate(cases)]


@pytest.mark.parametrize("estimator, owner", _wrong_kind_cases())
def test_estimator_of_the_wrong_kind_is_refused(estimator, owner):
    X, y = _data(estimator)
    if is_classifier(estimator):
        expected, received, given = "classifier", "regressor", "Ridge"
    else:
        expected, received, given = "regressor", "classifier", "LogisticRegression"
    message = (
        f"{owner.format(type(estimator).__name__)} must be a {expected}; got {given}, which "
        f"is a {received}"
    )
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        estimator.fit(X, y)


@pytest.mark.parametrize(
    "wrapped",
    [
        make_pipeline(StandardScaler(with_mean=False), LogisticRegression()),
        GridSearchCV(LogisticRegression(), {"C": [1.0]}, cv=2),
    ],
    ids=["pipeline", "grid-search"],
)
def test_wrapped_classifier_is_a_classifier(wrapped):
    X, y = make_multimodal_classification(n_samples=60, random_state=0)
    model = LateFusionClassifier(estimators={"text": wrapped}, fusion="vote", cv=3)
    assert model.fit(X, y).score(X, y) > 0.8
    assert EarlyFusionClassifier(estimator=wrapped).fit(X, y).score(X, y) > 0.8


# -------------------------------------------------------------------------------- labels


def _odd_labels(y):
    return {
        "bools": y.astype(bool),
        "floats": y + 1.0,
        "int8": y.astype(np.int8),
        "categorical": pd.Series(pd.Categorical.from_codes(y, categories=["b", "a", "unused"])),
        "nullable-int": pd.Series(y + 10, dtype="Int64"),
    }


@pytest.mark.parametrize(
    "estimator",
    [
        pytest.param(EarlyFusionClassifier(), id="early"),
        *CLASSIFIERS[:1],
        CLASSIFIERS[3],
        CLASSIFIERS[4],
    ],
)
@pytest.mark.parametrize("kind", ["bools", "floats", "int8", "categorical", "nullable-int"])
def test_odd_labels_are_decoded_back(estimator, kind):
    X, y = make_multimodal_classification(n_samples=60, random_state=0)
    expected = clone(estimator).fit(X, y).predict(X)
    labels = _odd_labels(y)[kind]
    model = clone(estimator).fit(X, labels)
    values = np.asarray(labels)
    assert len(model.classes_) == 2
    np.testing.assert_array_equal(
        model.predict(X), values[[np.flatnonzero(y == e)[0] for e in expected]]
    )


def test_tuple_labels_are_a_two_dimensional_y():
    X, y = make_multimodal_classification(n_samples=60, random_state=0)
    pairs = [(int(label), 1 - int(label)) for label in y]
    model = LateFusionClassifier(estimators=LINEAR, fusion="mean", cv=3).fit(X, pairs)
    assert model.n_outputs_ == 2
    assert model.predict(X).shape == (60, 2)


# ------------------------------------------------------------------------------- indexes


def _every_fusion_estimator():
    estimators = [
        EarlyFusionClassifier(),
        EarlyFusionRegressor(),
        LateFusionClassifier(estimators=LINEAR, cv=3),
        LateFusionRegressor(estimators=LINEAR_REG, cv=3),
        MarkovRandomFieldFusionClassifier(estimators=LINEAR, cv=3),
        MarkovRandomFieldFusionRegressor(estimators=LINEAR_REG, cv=3),
    ]
    if HAS_PGMPY:
        estimators += [
            BayesianNetworkFusionClassifier(estimators=LINEAR, cv=3),
            BayesianNetworkFusionRegressor(estimators=LINEAR_REG, cv=3),
        ]
    if HAS_NEURAL:
        from mmsk.fusion import NeuralFusionClassifier, NeuralFusionRegressor

        small = {"max_epochs": 2, "embedding_dim": 8, "hidden_units": 16, "random_state": 0}
        estimators += [NeuralFusionClassifier(**small), NeuralFusionRegressor(**small)]
    return [pytest.param(e, id=type(e).__name__) for e in estimators]


EVERY_FUSION_ESTIMATOR = _every_fusion_estimator()
PERMUTATION = np.random.RandomState(0).permutation(60)


@pytest.mark.parametrize("estimator", EVERY_FUSION_ESTIMATOR)
def test_y_with_a_permuted_index_warns(estimator):
    X, y = _data(estimator)
    y = pd.Series(y, index=X.index).iloc[PERMUTATION]
    with pytest.warns(
        UserWarning,
        match=r"y is a pandas Series whose index holds the same labels as the index of X, "
        r"in a different order\. .* pass y\.loc\[X\.index\] instead",
    ):
        clone(estimator).fit(X, y)


@pytest.mark.parametrize("estimator", EVERY_FUSION_ESTIMATOR[2:4])
def test_two_dimensional_y_with_a_permuted_index_warns(estimator):
    X, y = _data(estimator)
    y = pd.DataFrame({"a": y, "b": y}, index=X.index).iloc[PERMUTATION]
    with pytest.warns(UserWarning, match=r"y is a pandas DataFrame whose index holds"):
        clone(estimator).fit(X, y)


@pytest.mark.parametrize("estimator", EVERY_FUSION_ESTIMATOR[:4])
def test_sample_weight_with_a_permuted_index_warns(estimator):
    X, y = _data(estimator)
    weights = pd.Series(np.linspace(1, 2, 60), index=X.index).iloc[PERMUTATION]
    with pytest.warns(UserWarning, match=r"sample_weight is a pandas Series whose index"):
        clone(estimator).fit(X, y, sample_weight=weights)


@pytest.mark.parametrize("index", [np.arange(60) + 1000, None], ids=["disjoint", "same"])
def test_y_with_another_index_is_used_by_position(index):
    X, y = make_multimodal_classification(n_samples=60, random_state=0)
    series = pd.Series(y, index=X.index if index is None else index)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model = LateFusionClassifier(estimators=LINEAR, cv=3).fit(X, series)
    assert model.score(X, y) > 0.9


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(
        st.one_of(st.integers(-5, 5), st.text(max_size=2), st.booleans()),
        min_size=2,
        max_size=8,
        unique=True,
    ),
    order=st.randoms(use_true_random=False),
    shift=st.booleans(),
)
def test_index_check_warns_exactly_for_a_reordering(labels, order, shift):
    index = pd.Index(labels, dtype=object)
    X = pd.DataFrame({"a": range(len(index))}, index=index)
    reordered = list(labels)
    order.shuffle(reordered)
    y_index = pd.Index(
        [f"other{i}" for i in range(len(labels))] if shift else reordered, dtype=object
    )
    y = pd.Series(np.arange(len(labels)) % 2, index=y_index)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_target(LateFusionClassifier(), y, len(X), classification=True, X=X)
    reordered_index = not shift and not y_index.equals(index)
    assert len(caught) == int(reordered_index)
