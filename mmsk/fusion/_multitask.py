"""Several targets at once: scikit-learn's multi-output conventions for every family.

A 2-D ``y`` (a DataFrame or an array with two or more columns) asks for one prediction
per column. The conventions are scikit-learn's: ``predict`` returns an array with one
column per target, a classifier's ``classes_`` is a list of arrays and its
``predict_proba`` a list of arrays, one per target, and ``score`` averages the
per-target scores.

:func:`split_targets` validates such a ``y`` column by column. :class:`MultiTargetMixin`
gives a family multi-target fitting by one model per target that share the
target-independent per-modality work (the fitted modality transformers, through the
``memory`` cache); neural fusion instead learns every target in one network with one
head per target (its own module).
"""

import functools

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.metrics import r2_score

from .._cache import FitCache
from .._validation import check_target, warn_if_reordered


def is_multi_target(y):
    """Whether ``y`` has two or more columns."""
    shape = getattr(y, "shape", None)
    if shape is None and isinstance(y, (list, tuple)) and len(y):
        shape = np.shape(np.asarray(y, dtype=object))
    return shape is not None and len(shape) == 2 and shape[1] >= 2


def split_targets(estimator, y, n_samples, *, classification):
    """Validate a 2-D ``y`` column by column.

    Parameters
    ----------
    estimator : estimator instance
        The estimator being fitted, for the messages.
    y : DataFrame or array-like of shape (n_samples, n_targets)
        The targets, ``n_targets >= 2``.
    n_samples : int
        Number of rows of ``X``.
    classification : bool or sequence of bool
        Whether each target holds class labels (one value for all targets).

    Returns
    -------
    columns : list of ndarray of shape (n_samples,)
        The validated targets.
    names : list of str
        The targets' names: the DataFrame's column names, else ``"target_{i}"``.

    Raises
    ------
    ValueError
        When a column is invalid; the message names the column.
    """
    frame = y if isinstance(y, pd.DataFrame) else pd.DataFrame(np.asarray(y))
    if isinstance(y, pd.DataFrame):
        names = [str(column) for column in frame.columns]
    else:
        names = [f"target_{i}" for i in range(frame.shape[1])]
    if len(frame) != n_samples:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: X has {n_samples} rows and "
            f"y has {len(frame)} rows of {frame.shape[1]} targets."
        )
    kinds = (
        [classification] * frame.shape[1]
        if isinstance(classification, bool)
        else list(classification)
    )
    columns = []
    for position, (name, is_class) in enumerate(zip(names, kinds)):
        values = frame.iloc[:, position].infer_objects()
        try:
            columns.append(
                check_target(estimator, values.to_numpy(), n_samples, classification=is_class)
            )
        except ValueError as error:
            raise ValueError(f"Target column {name!r} of y: {error}") from None
    return columns, names


def per_target(method):
    """Make a prediction method answer one output per target after a multi-target fit.

    ``predict`` stacks the targets' predictions as columns; the probability methods
    return a list with one array per target.
    """

    @functools.wraps(method)
    def wrapper(self, X, *args, **kwargs):
        models = getattr(self, "target_models_", None)
        if models is None:
            return method(self, X, *args, **kwargs)
        outputs = [getattr(model, method.__name__)(X, *args, **kwargs) for model in models]
        if method.__name__ == "predict":
            return _stack_columns(outputs)
        return outputs

    return wrapper


def _stack_columns(columns):
    dtypes = {column.dtype for column in columns}
    dtype = dtypes.pop() if len(dtypes) == 1 else object
    return np.column_stack([column.astype(dtype, copy=False) for column in columns])


class MultiOutputMixin:
    """``score`` averaged over the targets and the multi-output tags.

    For estimators that set ``n_outputs_`` (the number of targets) in ``fit``.
    """

    def score(self, X, y, sample_weight=None):
        """Mean accuracy (classifiers) or R^2 (regressors), averaged over the targets.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            The true targets.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights.

        Returns
        -------
        score : float
        """
        if getattr(self, "n_outputs_", 1) == 1:
            return super().score(X, y, sample_weight=sample_weight)
        predictions = self.predict(X)
        if isinstance(predictions, pd.DataFrame):
            predictions = predictions.to_numpy(dtype=object)
        truth = y.to_numpy(dtype=object) if isinstance(y, pd.DataFrame) else np.asarray(y)
        scores = [
            self._target_score(truth[:, t], predictions[:, t], sample_weight)
            for t in range(predictions.shape[1])
        ]
        return float(np.mean(scores))

    def _target_score(self, truth, predicted, sample_weight):
        if is_classifier(self):
            # Labels compared as values: an object column may mix int and numpy ints.
            return float(np.average(truth == predicted, weights=sample_weight))
        return r2_score(truth.astype(float), predicted.astype(float), sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        if tags.classifier_tags is not None:
            tags.classifier_tags.multi_label = True
        return tags


class MultiTargetMixin(MultiOutputMixin):
    """Multi-target fitting by one single-target model per column of ``y``.

    The per-target models are clones of the estimator fitted on each column; they
    share one ``memory`` cache (the estimator's own, or an :class:`~mmsk._cache.FitCache` for
    the length of ``fit``), so target-independent per-modality work such as fitting the
    modality transformers is done once. Sets ``target_models_`` (None after a single-target
    fit), ``target_names_``, ``n_outputs_`` and, for classifiers, ``classes_`` as a
    list; the fitted attributes of the modality resolution come from the first
    target's model.
    """

    def _fit_targets(self, X, y, sample_weight, **fit_params):
        classification = is_classifier(self)
        n_samples = len(X) if hasattr(X, "__len__") else np.shape(X)[0]
        warn_if_reordered(X, y, "y")
        columns, names = split_targets(self, y, n_samples, classification=classification)
        memory = FitCache() if self.memory is None else self.memory
        fit_params = {key: value for key, value in fit_params.items() if value is not None}
        models = [
            clone(self).set_params(memory=memory).fit(X, column, sample_weight, **fit_params)
            for column in columns
        ]
        for model in models:
            model.set_params(memory=self.memory)
        self._adopt_first(models[0])
        self.target_models_ = models
        self.target_names_ = names
        self.n_outputs_ = len(models)
        if classification:
            self.classes_ = [model.classes_ for model in models]
        return self

    def _adopt_first(self, model):
        """Copy the target-independent fitted attributes of the first target's model."""
        for name in (
            "n_features_in_",
            "feature_names_in_",
            "_column_labels_in",
            "column_kinds_",
            "modality_columns_",
            "modality_kinds_",
        ):
            if hasattr(model, name):
                setattr(self, name, getattr(model, name))

    def _single_target(self):
        self.target_models_ = None
        self.n_outputs_ = 1


def single_target_only(fitted):
    """``available_if`` condition: a method that exists only after a single-target fit.

    ``decision_function`` has no multi-output convention in scikit-learn (neither has
    ``MultiOutputClassifier``), so a multi-target model does not offer it.
    """
    return getattr(fitted, "target_models_", None) is None
