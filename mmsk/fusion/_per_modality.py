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
from numbers import Integral

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge, RidgeCV
from sklearn.model_selection import check_cv, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted

from .._base import ModalityComposition, modalities_present, presence_matrix
from .._blocks import _pin_default_output
from .._utils import as_memory, modality_error
from ._binning import unique_strings
from ._common import as_probabilities, multimodal_tags, sample_weight_params

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

    def _fit_modalities(self, frame, y, sample_weight):
        """Fit every modality's model on the rows where the modality is present.

        Sets ``estimators_``, ``modality_names_`` and ``missing_in_training_``.

        Returns
        -------
        out_of_fold : ndarray or None
            Placed out-of-fold predictions (see :meth:`_place`), or None when the
            family does not need them.
        present : ndarray of bool of shape (n_samples, n_modalities)
        """
        frame, modalities = self._resolve_modalities(frame)
        present = modalities_present(modalities, frame)
        models = [self._modality_model(m) for m in modalities]
        for model, modality in zip(models, modalities):
            sample_weight_params(model, sample_weight, f"modality {modality.name!r}")
        jobs = [
            (model, modality.select(frame).iloc[rows], y[rows], _rows(sample_weight, rows))
            for model, modality, rows in zip(models, modalities, present.T)
        ]
        self.modality_names_ = [m.name for m in modalities]
        out_of_fold = self._out_of_fold(jobs, present) if self._needs_out_of_fold() else None
        if self.cv == "prefit":
            fitted = models
        else:
            fit = as_memory(self.memory).cache(_fit_modality)
            fitted = Parallel(n_jobs=self.n_jobs)(
                delayed(fit)(name, *job) for name, job in zip(self.modality_names_, jobs)
            )
        self.estimators_ = fitted
        self.missing_in_training_ = [
            m.name for m, column in zip(modalities, present.T) if not column.all()
        ]
        return out_of_fold, present

    def _modality_model(self, modality):
        if self.cv == "prefit":
            return self._prefit_estimator(modality)
        estimators = self._check_modality_dict("estimators", self.estimators)
        if modality.name in estimators:
            estimator = clone(estimators[modality.name])
        else:
            estimator = self._default_estimator(modality.kind)
        if isinstance(modality.transformer, str):
            return estimator
        _pin_default_output(modality.transformer)
        return Pipeline([("transformer", modality.transformer), ("estimator", estimator)])

    def _prefit_estimator(self, modality):
        estimators = self._check_modality_dict("estimators", self.estimators)
        if modality.name not in estimators:
            raise ValueError(
                f"cv='prefit' needs a fitted estimator for every modality in the "
                f"'estimators' parameter; modality {modality.name!r} has none."
            )
        estimator = estimators[modality.name]
        check_is_fitted(estimator)
        return estimator

    def _out_of_fold(self, jobs, present):
        if self.cv == "prefit":
            outputs = [self._predict_one(model, X) for model, X, _, _ in jobs]
            return self._place(outputs, present)
        predict = as_memory(self.memory).cache(_out_of_fold_predictions)
        method, classifier = self._prediction_method, is_classifier(self)
        raw = Parallel(n_jobs=self.n_jobs)(
            delayed(predict)(name, *job, self.cv, method, classifier)
            for name, job in zip(self.modality_names_, jobs)
        )
        outputs = [self._align_out_of_fold(r, job[2]) for r, job in zip(raw, jobs)]
        return self._place(outputs, present)

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

    def _default_estimator(self, kind):
        if kind == "text":
            return LogisticRegression(C=3.0, max_iter=1000)
        if kind == "image":
            return make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=2000))
        return HistGradientBoostingClassifier(random_state=self.random_state)

    def _predict_one(self, model, X):
        if self._prediction_method == "predict":
            return self._one_hot(model.predict(X))
        return as_probabilities(model.predict_proba(X), model.classes_, len(self.classes_))

    def _align_out_of_fold(self, raw, y):
        if self._prediction_method == "predict":
            return self._one_hot(raw)
        return as_probabilities(raw, np.unique(y), len(self.classes_))

    def _one_hot(self, labels):
        return np.eye(len(self.classes_))[np.asarray(labels, dtype=int)]

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
        if self.cv == "prefit" or isinstance(self.estimators, str):
            return
        for name, estimator in self.estimators.items():
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

    def _default_estimator(self, kind):
        if kind == "text":
            return Ridge(alpha=1.0)
        if kind == "image":
            return make_pipeline(StandardScaler(), RidgeCV(alphas=IMAGE_RIDGE_ALPHAS))
        return HistGradientBoostingRegressor(random_state=self.random_state)

    def _bin_inputs(self, predictions):
        """One group for every prediction; the value to bin is the prediction itself."""
        return np.zeros(len(predictions), dtype=int), predictions, 1

    def _bin_group_names(self, n_groups):
        return [""]

    def _predict_one(self, model, X):
        return np.asarray(model.predict(X), dtype=np.float64).ravel()

    def _align_out_of_fold(self, raw, y):
        return np.asarray(raw, dtype=np.float64).ravel()


def _rows(sample_weight, rows):
    return None if sample_weight is None else sample_weight[rows]


def _fit_modality(name, model, X, y, sample_weight):
    params = sample_weight_params(model, sample_weight, f"modality {name!r}")
    try:
        return clone(model).fit(X, y, **params)
    except Exception as error:
        raise modality_error(
            error, f"Fitting the estimator of modality {name!r} failed"
        ) from error


def _out_of_fold_predictions(name, model, X, y, sample_weight, cv, method, classifier):
    """Out-of-fold predictions of one modality's model (a function, so it can be cached)."""
    splitter = check_cv(cv, y, classifier=classifier)
    params = sample_weight_params(model, sample_weight, f"modality {name!r}")
    try:
        return cross_val_predict(model, X, y, cv=splitter, method=method, params=params)
    except Exception as error:
        raise modality_error(
            error, f"Cross-validating the estimator of modality {name!r} failed"
        ) from error
