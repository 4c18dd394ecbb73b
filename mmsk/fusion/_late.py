"""Late (decision-level) fusion: one estimator per modality, predictions combined."""

import os
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax
from sklearn.base import ClassifierMixin, RegressorMixin, clone, is_classifier
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge, RidgeCV
from sklearn.model_selection import check_cv, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted
from sklearn_compat.base import _fit_context

from .._base import ModalityComposition, presence_mask
from .._validation import check_sample_weight, check_target
from ._common import (
    as_memory,
    as_probabilities,
    combined_sample_weight,
    encode_classes,
    modality_error,
    multimodal_tags,
    sample_weight_params,
)

_EPSILON = 1e-12
_TIE_BREAK = 1e-6

_LATE_CONSTRAINTS = {
    "modalities": [StrOptions({"auto"}), list],
    "estimators": [StrOptions({"auto"}), dict],
    "final_estimator": [HasMethods(["fit", "predict"]), None],
    "cv": ["cv_object", StrOptions({"prefit"})],
    "memory": [None, str, os.PathLike, HasMethods(["cache"])],
    "n_jobs": [Integral, None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


class _BaseLateFusion(ModalityComposition):
    """Fitting of the per-modality estimators, shared by classifier and regressor."""

    def _fit_modalities(self, frame, y, sample_weight):
        frame, modalities = self._resolve_modalities(frame)
        present = np.column_stack([m.presence(frame) for m in modalities])
        self._check_every_modality_seen(modalities, present)
        models = [self._modality_model(m) for m in modalities]
        for model, modality in zip(models, modalities):
            sample_weight_params(model, sample_weight, f"modality {modality.name!r}")
        jobs = [
            (model, modality.select(frame).iloc[rows], y[rows], _rows(sample_weight, rows))
            for model, modality, rows in zip(models, modalities, present.T)
        ]
        out_of_fold = self._out_of_fold(jobs, modalities, present)
        if self.cv == "prefit":
            fitted = models
        else:
            fit = as_memory(self.memory).cache(_fit_modality)
            fitted = Parallel(n_jobs=self.n_jobs)(
                delayed(fit)(m.name, *job) for m, job in zip(modalities, jobs)
            )
        self.estimators_ = fitted
        self.modality_names_ = [m.name for m in modalities]
        self._positions = [m.positions for m in modalities]
        self.missing_in_training_ = [
            m.name for m, column in zip(modalities, present.T) if not column.all()
        ]
        return out_of_fold, present

    def _check_every_modality_seen(self, modalities, present):
        for modality, column in zip(modalities, present.T):
            if not column.any():
                raise ValueError(
                    f"Modality {modality.name!r} is missing in every training row, so its "
                    "estimator has nothing to learn from. Drop it with "
                    f"set_params({modality.name}='drop') or provide rows where it is set."
                )

    def _modality_model(self, modality):
        if self.cv == "prefit":
            return self._prefit_estimator(modality)
        estimator = self._estimator_for(modality)
        if isinstance(modality.transformer, str):
            return estimator
        return Pipeline([("transformer", modality.transformer), ("estimator", estimator)])

    def _estimator_for(self, modality):
        estimators = {} if isinstance(self.estimators, str) else self.estimators
        self._check_estimator_names(estimators)
        if modality.name in estimators:
            return clone(estimators[modality.name])
        return self._default_estimator(modality.kind)

    def _check_estimator_names(self, estimators):
        names = self._spec_names()
        unknown = sorted(set(estimators) - set(names))
        if unknown:
            raise ValueError(
                f"The 'estimators' parameter names modalities {unknown} that are not "
                f"among the modalities {sorted(names)}."
            )

    def _prefit_estimator(self, modality):
        estimators = {} if isinstance(self.estimators, str) else self.estimators
        if modality.name not in estimators:
            raise ValueError(
                f"cv='prefit' needs a fitted estimator for every modality in the "
                f"'estimators' parameter; modality {modality.name!r} has none."
            )
        estimator = estimators[modality.name]
        check_is_fitted(estimator)
        return estimator

    def _out_of_fold(self, jobs, modalities, present):
        if not self._needs_out_of_fold():
            return None
        if self.cv == "prefit":
            outputs = [self._predict_one(model, X) for model, X, _, _ in jobs]
            return self._place(outputs, present)
        predict = as_memory(self.memory).cache(_out_of_fold_predictions)
        method, classifier = self._prediction_method, is_classifier(self)
        raw = Parallel(n_jobs=self.n_jobs)(
            delayed(predict)(m.name, *job, self.cv, method, classifier)
            for m, job in zip(modalities, jobs)
        )
        outputs = [self._align_out_of_fold(r, job[2]) for r, job in zip(raw, jobs)]
        return self._place(outputs, present)

    def _modality_predictions(self, X):
        check_is_fitted(self, "estimators_")
        frame = self._check_input(X)
        present = np.column_stack(
            [presence_mask(frame.iloc[:, positions]) for positions in self._positions]
        )
        outputs = []
        for model, positions, rows in zip(self.estimators_, self._positions, present.T):
            rows_frame = frame.iloc[:, positions].iloc[rows]
            outputs.append(self._predict_one(model, rows_frame) if rows.any() else None)
        return self._place(outputs, present), present

    @property
    def named_estimators_(self):
        return Bunch(**dict(zip(self.modality_names_, self.estimators_)))

    def _needs_out_of_fold(self):
        if self.fusion == "weighted":
            return len(self.modality_columns_) > 1
        return self.fusion == "stacking"

    def __sklearn_tags__(self):
        return multimodal_tags(super().__sklearn_tags__())


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


def _softmax_weights(theta):
    return softmax(np.concatenate([[0.0], theta]))


def _learn_weights(loss, n_modalities):
    if n_modalities == 1:
        return np.ones(1)
    result = minimize(
        lambda theta: loss(_softmax_weights(theta)),
        np.zeros(n_modalities - 1),
        method="L-BFGS-B",
    )
    return _softmax_weights(result.x)


def _weighted_mean(values, present, weights):
    """Average over the present modalities with renormalised weights.

    ``values`` has shape (n, M) or (n, M, K); rows with no modality give NaN.
    """
    active = present * weights
    total = active.sum(axis=1)
    filled = np.nan_to_num(values)
    if values.ndim == 3:
        combined = np.einsum("nm,nmk->nk", active, filled)
        return combined / np.where(total > 0, total, np.nan)[:, None]
    return (active * filled).sum(axis=1) / np.where(total > 0, total, np.nan)


class LateFusionClassifier(ClassifierMixin, _BaseLateFusion):
    """Late-fusion classifier: one classifier per modality, probabilities combined.

    Each modality's columns go through the modality's transformer and its own
    classifier, trained on the rows where that modality is present. Predictions are
    combined by ``fusion``; a modality missing in a row is skipped and the remaining
    weights are renormalised. A row with every modality missing gets the training
    class frequencies.

    Parameters
    ----------
    modalities : "auto" or list of tuple, default="auto"
        The modality spec; see :class:`ModalityUnion`.
    estimators : "auto" or dict, default="auto"
        Classifier per modality name; modalities not in the dict get the default for
        their kind: ``LogisticRegression(C=3.0, max_iter=1000)`` for text and
        ``HistGradientBoostingClassifier`` for tabular modalities. With
        ``cv="prefit"``, fitted models that take the modality's raw columns.
    fusion : {"mean", "weighted", "vote", "product", "stacking"}, default="weighted"
        - ``"mean"``: average of the modalities' probabilities;
        - ``"weighted"``: weighted average, weights learned on out-of-fold
          probabilities by minimising the log loss;
        - ``"vote"``: majority of the modalities' predicted classes, ties broken
          towards the more frequent class; ``predict_proba`` gives the share of
          votes;
        - ``"product"``: product rule, ``P(y) * prod_m P(y | x_m) / P(y)``,
          renormalised;
        - ``"stacking"``: ``final_estimator`` fitted on out-of-fold probabilities (a
          missing modality's probabilities replaced by the class frequencies) and on
          presence indicators.
    final_estimator : classifier or None, default=None
        The stacking classifier; None means ``LogisticRegression()``.
    cv : int, cross-validation generator, iterable or "prefit", default=5
        Splits for the out-of-fold predictions of ``"weighted"`` and ``"stacking"``.
        ``"prefit"`` takes the already fitted models of ``estimators`` as they are.
    class_weight : dict, "balanced" or None, default=None
        Class weights, applied as sample weights of every modality's estimator and of
        the combiner.
    memory : str, joblib.Memory or None, default=None
        Cache of the per-modality fits and out-of-fold predictions (a directory path
        or a ``joblib.Memory``). Candidates of a grid search that differ only in how
        they fuse (``fusion``, ``final_estimator``) then compute them once.
    n_jobs : int or None, default=None
        Number of modalities fitted in parallel.
    random_state : int, RandomState instance or None, default=None
        Seed of the default tabular estimator.
    verbose : bool, default=False
        Print how columns were assigned to modalities.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    estimators_ : list of estimators
        The fitted per-modality models, in the order of ``modality_names_``.
    named_estimators_ : Bunch
        The same, by modality name.
    modality_names_ : list of str
        The fitted modalities.
    weights_ : dict or None
        The weight of each modality in ``"mean"``, ``"weighted"``, ``"vote"`` and
        ``"product"`` fusion; None for ``"stacking"``.
    final_estimator_ : classifier
        The fitted stacking classifier (``fusion="stacking"`` only).
    class_prior_ : ndarray of shape (n_classes,)
        Training class frequencies (sample-weighted).
    missing_in_training_ : list of str
        Modalities missing in some training rows.
    column_kinds_ : dict
        The detected kind of every input column.
    modality_columns_ : dict
        The columns of each modality.
    modality_kinds_ : dict
        ``"text"`` or ``"tabular"`` for each modality.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Input column names, when ``X`` had string column names.

    See Also
    --------
    LateFusionRegressor : The same for continuous targets.
    EarlyFusionClassifier : One classifier on concatenated features.
    sklearn.ensemble.StackingClassifier : Stacking over estimators that all see every
        column.

    Examples
    --------
    >>> from mmsk import LateFusionClassifier
    >>> from mmsk.datasets import make_multimodal_classification
    >>> X, y = make_multimodal_classification(n_samples=300, random_state=0)
    >>> model = LateFusionClassifier(fusion="mean").fit(X, y)
    >>> model.predict_proba(X[:2]).shape
    (2, 2)
    >>> sorted(model.weights_)
    ['tabular', 'text']
    """

    _parameter_constraints = {
        **_LATE_CONSTRAINTS,
        "fusion": [StrOptions({"mean", "weighted", "vote", "product", "stacking"})],
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    def __init__(
        self,
        modalities="auto",
        *,
        estimators="auto",
        fusion="weighted",
        final_estimator=None,
        cv=5,
        class_weight=None,
        memory=None,
        n_jobs=None,
        random_state=None,
        verbose=False,
    ):
        self.modalities = modalities
        self.estimators = estimators
        self.fusion = fusion
        self.final_estimator = final_estimator
        self.cv = cv
        self.class_weight = class_weight
        self.memory = memory
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit one classifier per modality and the combiner.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.
        y : array-like of shape (n_samples,)
            Class labels (strings or numbers).
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights, passed to every modality's estimator and to the combiner.

        Returns
        -------
        self : LateFusionClassifier
            The fitted classifier.
        """
        frame = self._check_fit_input(X)
        y_encoded = encode_classes(self, y, len(frame))
        weights = combined_sample_weight(
            sample_weight, y_encoded, self.class_weight, self.classes_
        )
        self.class_prior_ = np.bincount(
            y_encoded, weights=weights, minlength=len(self.classes_)
        ) / (len(y_encoded) if weights is None else weights.sum())
        self._check_probabilities_available()
        out_of_fold, present = self._fit_modalities(frame, y_encoded, weights)
        self._fit_combiner(out_of_fold, present, y_encoded, weights)
        return self

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        probabilities = self._combine(*self._modality_predictions(X))
        return self.classes_[np.argmax(probabilities, axis=1)]

    def predict_proba(self, X):
        """Predict class probabilities.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        return self._combine(*self._modality_predictions(X))

    @property
    def _prediction_method(self):
        return "predict" if self.fusion == "vote" else "predict_proba"

    def _check_probabilities_available(self):
        if self.fusion == "vote" or self.cv == "prefit" or isinstance(self.estimators, str):
            return
        for name, estimator in self.estimators.items():
            if not hasattr(estimator, "predict_proba"):
                raise ValueError(
                    f"fusion={self.fusion!r} combines probabilities, but the estimator of "
                    f"modality {name!r} ({type(estimator).__name__}) has no predict_proba. "
                    "Use fusion='vote', or wrap it in CalibratedClassifierCV."
                )

    def _default_estimator(self, kind):
        if kind == "text":
            return LogisticRegression(C=3.0, max_iter=1000)
        return HistGradientBoostingClassifier(random_state=self.random_state)

    def _predict_one(self, model, X):
        if self.fusion == "vote":
            labels = np.asarray(model.predict(X), dtype=int)
            return np.eye(len(self.classes_))[labels]
        return as_probabilities(model.predict_proba(X), model.classes_, len(self.classes_))

    def _align_out_of_fold(self, raw, y):
        if self.fusion == "vote":
            return np.eye(len(self.classes_))[np.asarray(raw, dtype=int)]
        return as_probabilities(raw, np.unique(y), len(self.classes_))

    def _place(self, outputs, present):
        placed = np.full((present.shape[0], present.shape[1], len(self.classes_)), np.nan)
        for j, output in enumerate(outputs):
            if output is not None:
                placed[present[:, j], j] = output
        return placed

    def _fit_combiner(self, out_of_fold, present, y, sample_weight):
        n_modalities = present.shape[1]
        self.weights_ = dict.fromkeys(self.modality_names_, 1.0 / n_modalities)
        if self.fusion == "weighted" and out_of_fold is not None:
            weights = _learn_weights(
                lambda w: _log_loss(_weighted_mean(out_of_fold, present, w), y, sample_weight),
                n_modalities,
            )
            self.weights_ = dict(zip(self.modality_names_, weights.tolist()))
        elif self.fusion == "stacking":
            self.weights_ = None
            self.final_estimator_ = clone(
                LogisticRegression() if self.final_estimator is None else self.final_estimator
            )
            params = sample_weight_params(self.final_estimator_, sample_weight, "stacking")
            self.final_estimator_.fit(self._stacking_features(out_of_fold, present), y, **params)

    def _combine(self, probabilities, present):
        if self.fusion == "stacking":
            features = self._stacking_features(probabilities, present)
            raw = self.final_estimator_.predict_proba(features)
            return as_probabilities(raw, self.final_estimator_.classes_, len(self.classes_))
        if self.fusion == "product":
            combined = self._product(probabilities, present)
        elif self.fusion == "vote":
            combined = self._vote_shares(probabilities, present)
        else:
            weights = np.array([self.weights_[name] for name in self.modality_names_])
            combined = _weighted_mean(probabilities, present, weights)
        return _fill_rows_without_modalities(combined, self.class_prior_)

    def _product(self, probabilities, present):
        log_probabilities = np.log(np.clip(np.nan_to_num(probabilities), _EPSILON, None))
        log_prior = np.log(np.clip(self.class_prior_, _EPSILON, None))
        summed = np.einsum("nm,nmk->nk", present.astype(float), log_probabilities)
        n_present = present.sum(axis=1, keepdims=True)
        scores = summed - (n_present - 1) * log_prior
        combined = np.exp(scores - logsumexp(scores, axis=1, keepdims=True))
        combined[n_present[:, 0] == 0] = np.nan
        return combined

    def _vote_shares(self, one_hot_votes, present):
        counts = np.einsum("nm,nmk->nk", present.astype(float), np.nan_to_num(one_hot_votes))
        counts += _TIE_BREAK * self.class_prior_
        shares = counts / counts.sum(axis=1, keepdims=True)
        shares[present.sum(axis=1) == 0] = np.nan
        return shares

    def _stacking_features(self, probabilities, present):
        n_classes = len(self.classes_)
        filled = np.where(np.isnan(probabilities), self.class_prior_, probabilities)
        if n_classes == 2:
            filled = filled[:, :, 1:]
        blocks = [filled.reshape(filled.shape[0], -1)]
        missing = [self.modality_names_.index(name) for name in self.missing_in_training_]
        if missing:
            blocks.append(present[:, missing].astype(float))
        return np.hstack(blocks)


def _log_loss(probabilities, y, sample_weight):
    rows = ~np.isnan(probabilities[:, 0])
    picked = np.clip(probabilities[rows, y[rows]], _EPSILON, None)
    weights = None if sample_weight is None else sample_weight[rows]
    return -np.average(np.log(picked), weights=weights)


def _fill_rows_without_modalities(combined, fallback):
    empty = np.isnan(combined).any(axis=-1) if combined.ndim == 2 else np.isnan(combined)
    if empty.any():
        combined = combined.copy()
        combined[empty] = fallback
    return combined


class LateFusionRegressor(RegressorMixin, _BaseLateFusion):
    """Late-fusion regressor: one regressor per modality, predictions combined.

    Parameters
    ----------
    modalities : "auto" or list of tuple, default="auto"
        The modality spec; see :class:`ModalityUnion`.
    estimators : "auto" or dict, default="auto"
        Regressor per modality name; modalities not in the dict get
        ``Ridge(alpha=1.0)`` for text and ``HistGradientBoostingRegressor`` for
        tabular modalities. With ``cv="prefit"``, fitted models that take the
        modality's raw columns.
    fusion : {"mean", "weighted", "stacking"}, default="weighted"
        ``"mean"`` averages the modalities' predictions; ``"weighted"`` learns
        non-negative weights summing to one on out-of-fold predictions by minimising
        the squared error; ``"stacking"`` fits ``final_estimator`` on out-of-fold
        predictions (a missing modality's prediction replaced by the training mean)
        and presence indicators.
    final_estimator : regressor or None, default=None
        The stacking regressor; None means ``RidgeCV()``.
    cv : int, cross-validation generator, iterable or "prefit", default=5
        Splits for the out-of-fold predictions.
    memory : str, joblib.Memory or None, default=None
        Cache of the per-modality fits and out-of-fold predictions (a directory path
        or a ``joblib.Memory``). Candidates of a grid search that differ only in how
        they fuse (``fusion``, ``final_estimator``) then compute them once.
    n_jobs : int or None, default=None
        Number of modalities fitted in parallel.
    random_state : int, RandomState instance or None, default=None
        Seed of the default tabular estimator.
    verbose : bool, default=False
        Print how columns were assigned to modalities.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted per-modality models, in the order of ``modality_names_``.
    named_estimators_ : Bunch
        The same, by modality name.
    modality_names_ : list of str
        The fitted modalities.
    weights_ : dict or None
        The weight of each modality for ``"mean"`` and ``"weighted"``.
    final_estimator_ : regressor
        The fitted stacking regressor (``fusion="stacking"`` only).
    target_mean_ : float
        The (sample-weighted) training mean, predicted for rows with no modality.
    missing_in_training_ : list of str
        Modalities missing in some training rows.
    column_kinds_ : dict
        The detected kind of every input column.
    modality_columns_ : dict
        The columns of each modality.
    modality_kinds_ : dict
        ``"text"`` or ``"tabular"`` for each modality.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Input column names, when ``X`` had string column names.

    See Also
    --------
    LateFusionClassifier : The same for class labels.
    EarlyFusionRegressor : One regressor on concatenated features.

    Examples
    --------
    >>> from mmsk import LateFusionRegressor
    >>> from mmsk.datasets import make_multimodal_regression
    >>> X, y = make_multimodal_regression(n_samples=300, random_state=0)
    >>> LateFusionRegressor(fusion="mean").fit(X, y).predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **_LATE_CONSTRAINTS,
        "fusion": [StrOptions({"mean", "weighted", "stacking"})],
    }

    _prediction_method = "predict"

    def __init__(
        self,
        modalities="auto",
        *,
        estimators="auto",
        fusion="weighted",
        final_estimator=None,
        cv=5,
        memory=None,
        n_jobs=None,
        random_state=None,
        verbose=False,
    ):
        self.modalities = modalities
        self.estimators = estimators
        self.fusion = fusion
        self.final_estimator = final_estimator
        self.cv = cv
        self.memory = memory
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit one regressor per modality and the combiner.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.
        y : array-like of shape (n_samples,)
            The continuous target.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights, passed to every modality's estimator and to the combiner.

        Returns
        -------
        self : LateFusionRegressor
            The fitted regressor.
        """
        frame = self._check_fit_input(X)
        y = check_target(self, y, len(frame), classification=False)
        weights = check_sample_weight(sample_weight, len(y))
        self.target_mean_ = float(np.average(y, weights=weights))
        out_of_fold, present = self._fit_modalities(frame, y, weights)
        self._fit_combiner(out_of_fold, present, y, weights)
        return self

    def predict(self, X):
        """Predict the target.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        predictions, present = self._modality_predictions(X)
        if self.fusion == "stacking":
            return self.final_estimator_.predict(self._stacking_features(predictions, present))
        weights = np.array([self.weights_[name] for name in self.modality_names_])
        combined = _weighted_mean(predictions, present, weights)
        return _fill_rows_without_modalities(combined, self.target_mean_)

    def _default_estimator(self, kind):
        if kind == "text":
            return Ridge(alpha=1.0)
        return HistGradientBoostingRegressor(random_state=self.random_state)

    def _predict_one(self, model, X):
        return np.asarray(model.predict(X), dtype=np.float64).ravel()

    def _align_out_of_fold(self, raw, y):
        return np.asarray(raw, dtype=np.float64).ravel()

    def _place(self, outputs, present):
        placed = np.full(present.shape, np.nan)
        for j, output in enumerate(outputs):
            if output is not None:
                placed[present[:, j], j] = output
        return placed

    def _fit_combiner(self, out_of_fold, present, y, sample_weight):
        n_modalities = present.shape[1]
        self.weights_ = dict.fromkeys(self.modality_names_, 1.0 / n_modalities)
        if self.fusion == "weighted" and out_of_fold is not None:
            weights = _learn_weights(
                lambda w: _squared_error(
                    _weighted_mean(out_of_fold, present, w), y, sample_weight
                ),
                n_modalities,
            )
            self.weights_ = dict(zip(self.modality_names_, weights.tolist()))
        elif self.fusion == "stacking":
            self.weights_ = None
            self.final_estimator_ = clone(
                RidgeCV() if self.final_estimator is None else self.final_estimator
            )
            params = sample_weight_params(self.final_estimator_, sample_weight, "stacking")
            self.final_estimator_.fit(self._stacking_features(out_of_fold, present), y, **params)

    def _stacking_features(self, predictions, present):
        filled = np.where(np.isnan(predictions), self.target_mean_, predictions)
        missing = [self.modality_names_.index(name) for name in self.missing_in_training_]
        if missing:
            return np.hstack([filled, present[:, missing].astype(float)])
        return filled


def _squared_error(predictions, y, sample_weight):
    rows = ~np.isnan(predictions)
    weights = None if sample_weight is None else sample_weight[rows]
    return np.average((predictions[rows] - y[rows]) ** 2, weights=weights)
