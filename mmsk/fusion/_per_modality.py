"""One estimator per modality: the machinery that late and Bayesian-network fusion share.

Each modality's columns go through the modality's transformer and its own estimator,
trained on the rows where that modality is present. This module fits those models,
computes their out-of-fold predictions, and places each modality's predictions into
an array of shape ``(n_samples, n_modalities[, n_classes])`` with NaN where a modality
is missing. What is done with that array (combined by a rule, or turned into the
nodes of a network) belongs to each family.

The classifier and regressor sides differ only in what one modality's prediction is
(class probabilities or one-hot votes, or a number) and in the default estimators;
:class:`ClassifierOutputsMixin` and :class:`RegressorOutputsMixin` hold that.
"""

import os
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge, RidgeCV
from sklearn.model_selection import check_cv
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted

from .._base import ModalityComposition, modalities_present, presence_matrix
from .._blocks import _pin_default_output
from .._utils import as_memory, modality_error
from .._validation import warn_if_reordered
from ..modality import TabularEncoder
from ._binning import unique_strings
from ._common import (
    as_probabilities,
    check_estimator_type,
    multimodal_tags,
    sample_weight_params,
)

#: A modality with at least this many rows trains its default gradient-boosting model
#: with early stopping (on a tenth of the rows, at least 500 of them, set aside).
EARLY_STOPPING_ROWS = 5000

#: Penalties the default regressor of an image modality chooses among (by leave-one-out).
IMAGE_RIDGE_ALPHAS = np.logspace(0, 5, 11)

PER_MODALITY_CONSTRAINTS = {
    "modalities": [StrOptions({"auto"}), list],
    "estimators": [StrOptions({"auto"}), dict],
    "cv": ["cv_object", StrOptions({"prefit"})],
    "memory": [None, str, os.PathLike, HasMethods(["cache"])],
    "n_jobs": [Integral, None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


class BasePerModality(ModalityComposition):
    """Fit one model per modality and gather their (out-of-fold) predictions.

    Subclasses say whether they need out-of-fold predictions
    (``_needs_out_of_fold``) and mix in :class:`ClassifierOutputsMixin` or
    :class:`RegressorOutputsMixin`.
    """

    def _fit_modalities(self, frame, y, sample_weight, groups=None):
        """Fit every modality's model on the rows where the modality is present.

        Sets ``estimators_``, ``modality_names_`` and ``missing_in_training_``.

        Parameters
        ----------
        frame : pandas.DataFrame
            The validated input table.
        y : ndarray of shape (n_samples,)
            The target (class indices into ``classes_`` for classifiers).
        sample_weight : ndarray of shape (n_samples,) or None
            Row weights.
        groups : array-like of shape (n_samples,) or None, default=None
            Group labels of the rows, for a group splitter given as ``cv``.

        Returns
        -------
        out_of_fold : ndarray or None
            Placed out-of-fold predictions (see :meth:`_place`), or None when the
            family does not need them.
        present : ndarray of bool of shape (n_samples, n_modalities)
        """
        frame, modalities = self._resolve_modalities(frame)
        present = modalities_present(modalities, frame)
        groups = check_groups(groups, frame)
        models = [
            self._modality_model(m, int(rows.sum())) for m, rows in zip(modalities, present.T)
        ]
        for model, modality in zip(models, modalities):
            sample_weight_params(model, sample_weight, f"modality {modality.name!r}")
        jobs = [
            (model, modality.select(frame).iloc[rows], y[rows], _rows(sample_weight, rows))
            for model, modality, rows in zip(models, modalities, present.T)
        ]
        self.modality_names_ = [m.name for m in modalities]
        needs_out_of_fold = self._needs_out_of_fold()
        if self._is_prefit():
            self.estimators_ = models
            outputs = [self._predict_one(model, X) for model, X, _, _ in jobs]
            out_of_fold = self._place(outputs, present) if needs_out_of_fold else None
        else:
            splits = self._modality_splits(jobs, present, groups) if needs_out_of_fold else None
            out_of_fold, self.estimators_ = self._fit_parts(jobs, splits, present)
        self.missing_in_training_ = [
            m.name for m, column in zip(modalities, present.T) if not column.all()
        ]
        return out_of_fold, present

    def _is_prefit(self):
        return isinstance(self.cv, str) and self.cv == "prefit"

    def _modality_model(self, modality, n_rows):
        if self._is_prefit():
            return self._prefit_estimator(modality)
        estimators = self._check_modality_dict("estimators", self.estimators)
        transformer = modality.transformer
        if modality.name in estimators:
            estimator = estimators[modality.name]
            self._check_modality_estimator_type(modality.name, estimator)
            estimator = clone(estimator)
        else:
            estimator = self._default_estimator(modality.kind, n_rows)
            if modality.kind == "tabular" and _encodes_automatically(transformer):
                transformer.set_params(encoding="native")
        if isinstance(transformer, str):
            return estimator
        _pin_default_output(transformer)
        return Pipeline([("transformer", transformer), ("estimator", estimator)])

    def _check_modality_estimator_type(self, name, estimator):
        check_estimator_type(
            estimator,
            "classifier" if is_classifier(self) else "regressor",
            f"The estimator of modality {name!r} in the 'estimators' parameter of "
            f"{type(self).__name__}",
        )

    def _prefit_estimator(self, modality):
        estimators = self._check_modality_dict("estimators", self.estimators)
        if modality.name not in estimators:
            raise ValueError(
                f"cv='prefit' needs a fitted estimator for every modality in the "
                f"'estimators' parameter; modality {modality.name!r} has none."
            )
        estimator = estimators[modality.name]
        self._check_modality_estimator_type(modality.name, estimator)
        check_is_fitted(estimator)
        self._check_prefit_outputs(modality.name, estimator)
        return estimator

    def _modality_splits(self, jobs, present, groups):
        """Each modality's cross-validation splits of the rows where it is present."""
        cv = materialise_cv(self.cv, len(present))
        classifier = is_classifier(self)
        splits = []
        for name, (_, _, y, _), rows in zip(self.modality_names_, jobs, present.T):
            modality_groups = None if groups is None else groups[rows]
            modality_splits = modality_cv_splits(name, cv, y, rows, modality_groups, classifier)
            self._warn_classes_missing_in_folds(name, modality_splits, y)
            splits.append(modality_splits)
        return splits

    def _fit_parts(self, jobs, splits, present):
        """Fit every modality's model on its folds (when ``splits``) and on all its rows.

        Every fit is one task of one ``Parallel`` call, so ``n_jobs`` workers share
        the folds of all the modalities, and one call of the ``memory`` cache, so a
        fit on the same rows with the same model is computed once (by any candidate of
        a search, and by the folds of an outer cross-validation that overlap).

        Returns
        -------
        out_of_fold : ndarray or None
            Placed out-of-fold predictions, None without ``splits``.
        estimators : list
            Each modality's model fitted on all its rows.
        """
        fit = as_memory(self.memory).cache(_fit_modality)
        method = self._prediction_method
        tasks = []
        for position, (name, job) in enumerate(zip(self.modality_names_, jobs)):
            for train, test in splits[position] if splits is not None else []:
                tasks.append((position, delayed(_fit_fold)(fit, name, *job, train, test, method)))
            tasks.append((position, delayed(_fit_all)(fit, name, *job)))
        done = Parallel(n_jobs=self.n_jobs)(task for _, task in tasks)
        estimators = [None] * len(jobs)
        folds = [[] for _ in jobs]
        for (position, _), result in zip(tasks, done):
            if isinstance(result, _FoldOutput):
                folds[position].append(result)
            else:
                estimators[position] = result
        if splits is None:
            return None, estimators
        outputs = [
            self._align_out_of_fold(_gather_folds(parts, len(job[2])), job[2])
            for parts, job in zip(folds, jobs)
        ]
        return self._place(outputs, present), estimators

    def _modality_predictions(self, X):
        """Each fitted modality's predictions on ``X``, placed, and the presence mask."""
        check_is_fitted(self, "estimators_")
        parts = self._select_modalities(X)
        present = presence_matrix(parts)
        outputs = [
            self._predict_one(model, part.iloc[rows]) if rows.any() else None
            for model, part, rows in zip(self.estimators_, parts, present.T)
        ]
        return self._place(outputs, present), present

    def _place(self, outputs, present):
        """Stack per-modality outputs into one array, NaN where a modality is missing."""
        width = () if self._output_width is None else (self._output_width,)
        placed = np.full(present.shape + width, np.nan)
        for j, output in enumerate(outputs):
            if output is not None:
                placed[present[:, j], j] = output
        return placed

    @property
    def named_estimators_(self):
        return Bunch(**dict(zip(self.modality_names_, self.estimators_)))

    def __sklearn_tags__(self):
        return multimodal_tags(super().__sklearn_tags__())


class ClassifierOutputsMixin:
    """A modality's prediction is a row of class probabilities (or a one-hot vote)."""

    _prediction_method = "predict_proba"

    @property
    def _output_width(self):
        return len(self.classes_)

    def _default_estimator(self, kind, n_rows):
        if kind == "text":
            return LogisticRegression(C=3.0, max_iter=1000)
        if kind == "image":
            return make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=2000))
        return HistGradientBoostingClassifier(
            early_stopping=n_rows >= EARLY_STOPPING_ROWS, random_state=self.random_state
        )

    def _predict_one(self, model, X):
        if self._prediction_method == "predict":
            return self._one_hot(self._class_positions(model.predict(X)))
        positions = self._class_positions(model.classes_)
        return as_probabilities(model.predict_proba(X), positions, len(self.classes_))

    def _align_out_of_fold(self, raw, y):
        if self._prediction_method == "predict":
            return self._one_hot(np.asarray(raw, dtype=int))
        # cross_val_predict orders the columns by the classes present in ``y``.
        return as_probabilities(raw, np.unique(y), len(self.classes_))

    def _one_hot(self, positions):
        return np.eye(len(self.classes_))[positions]

    def _class_positions(self, labels):
        """Position in ``classes_`` of each label of a modality's model, matched by value.

        A model fitted here learned the encoded classes ``0 .. n_classes - 1``; a
        prefit model learned the user's labels.
        """
        n_classes = len(self.classes_)
        known = self.classes_ if self._is_prefit() else np.arange(n_classes)
        positions = _positions(known, labels)
        if np.any(positions < 0):
            unknown = list(dict.fromkeys(np.asarray(labels, dtype=object)[positions < 0]))
            raise ValueError(
                f"A modality's estimator gave labels {unknown[:5]} that are not "
                f"classes of y ({self.classes_.tolist()})."
            )
        return positions

    def _check_prefit_outputs(self, name, model):
        """Refuse a prefit model that knows labels that are not classes of ``y``."""
        labels = getattr(model, "classes_", None)
        if labels is None:
            raise ValueError(
                f"The prefit estimator of modality {name!r} ({type(model).__name__}) has "
                "no classes_ attribute, so its outputs cannot be matched with the classes "
                "of y. Pass a fitted scikit-learn classifier."
            )
        unknown = np.asarray(labels)[_positions(self.classes_, labels) < 0]
        if len(unknown):
            raise ValueError(
                f"The prefit estimator of modality {name!r} was fitted on classes "
                f"{unknown.tolist()} that are not in y; the classes of y are "
                f"{self.classes_.tolist()}. Fit the prefit models on the same labels as y "
                "(not on encoded ones), or add rows of those classes to y."
            )

    def _warn_classes_missing_in_folds(self, name, splits, y):
        """Warn when the training part of a fold lacks a class of the modality's rows."""
        classes, counts = np.unique(y, return_counts=True)
        lacking = [
            (label, count, sum(not np.any(y[train] == label) for train, _ in splits))
            for label, count in zip(classes, counts)
        ]
        labels = self.classes_.tolist()
        described = [
            f"{labels[label]!r} ({count} of the {len(y)} rows, absent from the "
            f"training part of {n_folds} of the {len(splits)} folds)"
            for label, count, n_folds in lacking
            if n_folds
        ]
        if described:
            warnings.warn(
                f"In the out-of-fold predictions of modality {name!r}, some classes are "
                f"too rare for the cross-validation folds: {', '.join(described)}. The "
                "models of those folds give such a class probability 0 (and never vote "
                "for it). Lower cv, or merge rare classes.",
                UserWarning,
                stacklevel=2,
            )

    def _bin_inputs(self, probabilities):
        """Group (predicted class, or one group) and value to bin of each prediction."""
        if len(self.classes_) == 2:
            return np.zeros(len(probabilities), dtype=int), probabilities[:, 1], 1
        predicted = np.argmax(probabilities, axis=1)
        confidence = probabilities[np.arange(len(probabilities)), predicted]
        return predicted, confidence, len(self.classes_)

    def _bin_group_names(self, n_groups):
        if n_groups == 1:
            return [""]
        return unique_strings(self.classes_, "class")

    def _check_estimators_have_proba(self, reason):
        """Refuse a user's estimator without ``predict_proba`` before fitting anything."""
        if isinstance(self.estimators, str):
            return
        for name, estimator in self.estimators.items():
            self._check_modality_estimator_type(name, estimator)
            if not hasattr(estimator, "predict_proba"):
                raise ValueError(
                    f"The estimator of modality {name!r} ({type(estimator).__name__}) has "
                    f"no predict_proba, but {reason}. Use a classifier with "
                    "predict_proba, or wrap it in CalibratedClassifierCV."
                )


class RegressorOutputsMixin:
    """A modality's prediction is one number."""

    _prediction_method = "predict"
    _output_width = None

    def _default_estimator(self, kind, n_rows):
        if kind == "text":
            return Ridge(alpha=1.0)
        if kind == "image":
            return make_pipeline(StandardScaler(), RidgeCV(alphas=IMAGE_RIDGE_ALPHAS))
        return HistGradientBoostingRegressor(
            early_stopping=n_rows >= EARLY_STOPPING_ROWS, random_state=self.random_state
        )

    def _bin_inputs(self, predictions):
        """One group for every prediction; the value to bin is the prediction itself."""
        return np.zeros(len(predictions), dtype=int), predictions, 1

    def _bin_group_names(self, n_groups):
        return [""]

    def _predict_one(self, model, X):
        return np.asarray(model.predict(X), dtype=np.float64).ravel()

    def _align_out_of_fold(self, raw, y):
        return np.asarray(raw, dtype=np.float64).ravel()

    def _check_prefit_outputs(self, name, model):
        """A prefit regressor's predictions are numbers: nothing to match."""

    def _warn_classes_missing_in_folds(self, name, splits, y):
        """Regression folds have no classes to lack."""


def _rows(sample_weight, rows):
    return None if sample_weight is None else sample_weight[rows]


def _positions(known, labels):
    """Position of each of ``labels`` in ``known``, matched by value; -1 when absent."""
    index = pd.Index(np.asarray(known), dtype=object)
    return index.get_indexer(pd.Index(np.asarray(labels), dtype=object))


def check_groups(groups, frame):
    """Validate the ``groups`` given to ``fit``: None, or one label per row of ``X``.

    Returns
    -------
    groups : ndarray of shape (n_samples,) or None
    """
    if groups is None:
        return None
    warn_if_reordered(frame, groups, "groups")
    values = np.asarray(groups)
    if values.ndim != 1 or len(values) != len(frame):
        raise ValueError(
            f"groups must hold one group label per row of X: X has {len(frame)} rows, "
            f"groups has shape {values.shape}."
        )
    return values


def materialise_cv(cv, n_samples):
    """``cv`` as a splitter, or, when it is an iterable of splits, as a list of them.

    A generator of splits (``KFold(3).split(X)``) can be read once only; reading it
    here, once, lets every modality use the same splits.

    Raises
    ------
    ValueError
        When an entry is not a ``(train, test)`` pair of indices of the rows of ``X``.
    """
    if cv is None or isinstance(cv, Integral) or hasattr(cv, "split"):
        return cv
    splits = [_check_split(split, i, n_samples) for i, split in enumerate(cv)]
    if not splits:
        raise ValueError(
            "The 'cv' parameter is an iterable of (train, test) splits, but it gave none "
            "(a generator of splits can be used by one fit only). Pass a splitter such as "
            "KFold(5), or a list of splits."
        )
    return splits


def _check_split(split, i, n_samples):
    try:
        train, test = split
    except (TypeError, ValueError):
        raise ValueError(
            f"Split {i} of the 'cv' parameter is not a (train, test) pair of index arrays; "
            f"got {split!r}."
        ) from None
    return _split_rows(train, i, "train", n_samples), _split_rows(test, i, "test", n_samples)


def _split_rows(indices, i, part, n_samples):
    rows = np.asarray(indices)
    if rows.dtype == bool and rows.shape == (n_samples,):
        return np.flatnonzero(rows)
    if rows.ndim != 1 or (len(rows) and not np.issubdtype(rows.dtype, np.integer)):
        raise ValueError(
            f"The {part} part of split {i} of the 'cv' parameter must be a 1-D array of "
            f"row positions; got an array of dtype {rows.dtype} and shape {rows.shape}."
        )
    rows = rows.astype(np.intp)
    outside = (rows < -n_samples) | (rows >= n_samples)
    if outside.any():
        raise ValueError(
            f"The {part} part of split {i} of the 'cv' parameter holds row {rows[outside][0]}, "
            f"but X has only {n_samples} rows (positions 0 to {n_samples - 1})."
        )
    return rows % n_samples


def modality_cv_splits(name, cv, y, rows, groups, classifier):
    """The (train, test) splits of the rows where one modality is present.

    Parameters
    ----------
    name : str
        The modality, for the messages.
    cv : int, splitter or list of (train, test) pairs
        ``cv`` after :func:`materialise_cv`. A splitter splits the modality's rows
        (stratified by ``y`` for an int and a classifier); a list of splits of all the
        rows is restricted to the modality's rows.
    y : ndarray of shape (n_present,)
        The target on the modality's rows.
    rows : ndarray of bool of shape (n_samples,)
        Where the modality is present.
    groups : ndarray of shape (n_present,) or None
        Group labels of the modality's rows.
    classifier : bool
        Whether the estimator is a classifier.

    Returns
    -------
    splits : list of (ndarray, ndarray)
        Positions among the modality's rows; their test parts partition them.
    """
    if isinstance(cv, list):
        splits = _restrict_splits(name, cv, rows)
    else:
        splits = _split_modality_rows(name, cv, y, groups, classifier)
    _check_partition(name, cv, splits, len(y))
    return splits


def _restrict_splits(name, splits, rows):
    position = np.full(len(rows), -1)
    position[rows] = np.arange(rows.sum())
    restricted = []
    for i, (train, test) in enumerate(splits):
        train, test = position[train], position[test]
        train, test = train[train >= 0], test[test >= 0]
        if not len(test):
            continue
        if not len(train):
            raise ValueError(
                f"Split {i} of the 'cv' parameter has no training row where modality "
                f"{name!r} is present, so its test rows cannot be predicted out of fold. "
                "Use splits whose training parts hold rows of every modality."
            )
        restricted.append((train, test))
    return restricted


def _split_modality_rows(name, cv, y, groups, classifier):
    splitter = check_cv(cv, y, classifier=classifier)
    with warnings.catch_warnings():
        # Classes too rare for the folds get a warning naming them and the modality.
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        try:
            return list(splitter.split(np.zeros((len(y), 1)), y, groups))
        except ValueError as error:
            if groups is None and "groups" in str(error):
                raise ValueError(
                    f"cv={_describe(cv)} splits the rows by group, but fit received no groups. "
                    "Pass one group label per row of X: fit(X, y, groups=groups)."
                ) from error
            raise ValueError(
                f"Cross-validating the estimator of modality {name!r} failed: "
                f"{str(error).rstrip('. ')} "
                f"(splitting the {len(y)} rows where the modality is present with "
                f"cv={_describe(cv)}). Lower cv, or pass a splitter that suits these rows."
            ) from error


def _check_partition(name, cv, splits, n_rows):
    """Refuse splits whose test parts do not hold every row exactly once."""
    tested = np.bincount(
        np.concatenate([test for _, test in splits] or [np.empty(0, dtype=np.intp)]),
        minlength=n_rows,
    )
    never, several = int(np.sum(tested == 0)), int(np.sum(tested > 1))
    if never or several:
        raise ValueError(
            "The test parts of the 'cv' splits must hold every row exactly once (a "
            "partition), so that each row gets one out-of-fold prediction; with "
            f"cv={_describe(cv)}, of the {n_rows} rows where modality {name!r} is present, "
            f"{never} are in no test part and {several} in several. Use KFold, "
            "StratifiedKFold, GroupKFold or similar splits (ShuffleSplit, TimeSeriesSplit "
            "and PredefinedSplit with -1 rows are not partitions; scikit-learn's "
            "StackingClassifier refuses them too)."
        )


def _describe(cv):
    """``cv`` for a message: its repr on one line, or the number of splits of a list."""
    if isinstance(cv, list):
        return f"<a list of {len(cv)} splits>"
    text = " ".join(repr(cv).split())
    return text if len(text) <= 120 else f"{text[:117]}..."


def _encodes_automatically(transformer):
    """Whether ``transformer`` is a TabularEncoder left to choose its encoding."""
    return isinstance(transformer, TabularEncoder) and transformer.encoding == "auto"


def _fit_modality(name, model, X, y, sample_weight):
    """``model`` fitted on ``X`` (a function of its arguments alone, so it can be cached)."""
    params = sample_weight_params(model, sample_weight, f"modality {name!r}")
    return clone(model).fit(X, y, **params)


def _fit_all(fit, name, model, X, y, sample_weight):
    try:
        return fit(name, model, X, y, sample_weight)
    except Exception as error:
        raise modality_error(
            error, f"Fitting the estimator of modality {name!r} failed"
        ) from error


class _FoldOutput:
    """One fold's out-of-fold predictions and the positions of its test rows."""

    def __init__(self, test, predictions):
        self.test = test
        self.predictions = predictions


def _fit_fold(fit, name, model, X, y, sample_weight, train, test, method):
    """Fit on the fold's training rows, predict its test rows (``method``)."""
    try:
        with warnings.catch_warnings():
            # A fold lacking a class was already reported, by name.
            warnings.filterwarnings("ignore", "Number of classes in training fold")
            fitted = fit(name, model, X.iloc[train], y[train], _rows(sample_weight, train))
            predictions = _fold_predictions(fitted, X.iloc[test], method, np.unique(y))
    except Exception as error:
        raise modality_error(
            error, f"Cross-validating the estimator of modality {name!r} failed"
        ) from error
    return _FoldOutput(test, predictions)


def _fold_predictions(fitted, X, method, classes):
    """``method``'s output; probabilities get one column per class of ``classes``.

    A class absent from the fold's training rows gets probability 0.
    """
    if method != "predict_proba":
        return np.asarray(fitted.predict(X))
    probabilities = fitted.predict_proba(X)
    placed = np.zeros((len(X), len(classes)))
    placed[:, np.searchsorted(classes, fitted.classes_)] = probabilities
    return placed


def _gather_folds(parts, n_rows):
    """The folds' predictions, each at its test rows, in row order."""
    first = parts[0].predictions
    gathered = np.empty((n_rows, *first.shape[1:]), dtype=first.dtype)
    for part in parts:
        gathered[part.test] = part.predictions
    return gathered
