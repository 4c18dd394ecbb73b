"""Late (decision-level) fusion: one estimator per modality, predictions combined."""

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax
from sklearn.base import ClassifierMixin, RegressorMixin, clone, is_classifier
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn_compat.base import _fit_context

from .._validation import check_sample_weight, check_target
from ._common import (
    as_probabilities,
    check_estimator_type,
    combined_sample_weight,
    encode_classes,
    sample_weight_params,
)
from ._multitask import MultiTargetMixin, is_multi_target, per_target
from ._per_modality import (
    PER_MODALITY_CONSTRAINTS,
    BasePerModality,
    ClassifierOutputsMixin,
    RegressorOutputsMixin,
)

_EPSILON = 1e-12
_TIE_BREAK = 1e-6

_LATE_CONSTRAINTS = {
    **PER_MODALITY_CONSTRAINTS,
    "final_estimator": [HasMethods(["fit", "predict"]), None],
}


class _BaseLateFusion(BasePerModality):
    """The combining step, written once for classifier and regressor.

    The two differ in the loss the ``"weighted"`` rule minimises
    (``_combiner_loss``), the default stacking estimator
    (``_default_final_estimator``) and what stands in for a missing modality's
    prediction (``_fallback_output``: the class frequencies or the target mean).
    """

    def _needs_out_of_fold(self):
        if self.fusion_ == "weighted":
            return len(self.modality_names_) > 1
        return self.fusion_ == "stacking"

    def _resolve_fusion(self):
        """The rule ``fusion`` names; ``"auto"`` is :meth:`_automatic_fusion`'s choice."""
        return self._automatic_fusion() if self.fusion == "auto" else self.fusion

    def _check_final_estimator(self):
        if self.fusion_ == "stacking" and self.final_estimator is not None:
            check_estimator_type(
                self.final_estimator,
                "classifier" if is_classifier(self) else "regressor",
                f"The 'final_estimator' parameter of {type(self).__name__}",
            )

    def _fit_combiner(self, out_of_fold, present, y, sample_weight):
        n_modalities = present.shape[1]
        self.weights_ = dict.fromkeys(self.modality_names_, 1.0 / n_modalities)
        if self.fusion_ == "weighted" and out_of_fold is not None:
            weights = _learn_weights(
                lambda w: self._combiner_loss(
                    _weighted_mean(out_of_fold, present, w), y, sample_weight
                ),
                n_modalities,
            )
            self.weights_ = dict(zip(self.modality_names_, weights.tolist()))
        elif self.fusion_ == "stacking":
            self.weights_ = None
            final = self.final_estimator
            self.final_estimator_ = clone(
                self._default_final_estimator() if final is None else final
            )
            params = sample_weight_params(self.final_estimator_, sample_weight, "stacking")
            self.final_estimator_.fit(self._stacking_features(out_of_fold, present), y, **params)

    def _stacking_features(self, outputs, present):
        """Out-of-fold outputs (a missing one replaced by the fallback) and presence.

        With two classes only the second class's probability is kept: the first is
        one minus it.
        """
        filled = np.where(np.isnan(outputs), self._fallback_output, outputs)
        if filled.ndim == 3 and filled.shape[2] == 2:
            filled = filled[:, :, 1:]
        blocks = [filled.reshape(filled.shape[0], -1)]
        missing = [self.modality_names_.index(name) for name in self.missing_in_training_]
        if missing:
            blocks.append(present[:, missing].astype(float))
        return np.hstack(blocks)

    def _weighted_combination(self, outputs, present):
        weights = np.array([self.weights_[name] for name in self.modality_names_])
        return _weighted_mean(outputs, present, weights)


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


class LateFusionClassifier(
    MultiTargetMixin, ClassifierMixin, ClassifierOutputsMixin, _BaseLateFusion
):
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
        their kind: ``LogisticRegression(C=3.0, max_iter=1000)`` for text,
        a standardised ``LogisticRegression(C=0.05)`` for image and
        ``HistGradientBoostingClassifier`` for tabular modalities (fed category
        codes, see ``TabularEncoder(encoding="native")``, and with early stopping
        from 5,000 rows). With
        ``cv="prefit"``, fitted models that take the modality's raw columns,
        fitted on labels of ``y`` (see ``cv``). A classifier is required: a
        regressor (or a Pipeline ending in one) is refused.
    fusion : {"auto", "mean", "weighted", "vote", "product", "stacking"}, default="auto"
        - ``"auto"``: ``"stacking"`` with more than two classes (a final model can
          learn which modality to trust for which class, which one weight per
          modality cannot), ``"weighted"`` with two; the choice is ``fusion_``;
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
        Splits for the out-of-fold predictions of ``"weighted"`` and ``"stacking"``. An
        int or a splitter splits the rows where each modality is present (an int gives
        ``StratifiedKFold`` for a classifier, ``KFold`` otherwise); a group splitter
        (``GroupKFold``, ``LeaveOneGroupOut`` ...) needs ``groups`` in ``fit``. An
        iterable of ``(train, test)`` row indices of ``X`` (a generator is read once,
        for every modality) is restricted to each modality's rows. The test parts must
        hold every row exactly once, as in
        :func:`~sklearn.model_selection.cross_val_predict`: ``ShuffleSplit``,
        ``TimeSeriesSplit`` and a ``PredefinedSplit`` with ``-1`` entries are refused. A
        class missing from the training part of a fold gets probability 0 from that
        fold's model, with a warning naming the modality and the class. ``"prefit"``
        takes the fitted models of ``estimators`` as they are. Their ``classes_`` are
        matched with the classes of ``y`` by value: a class of ``y`` a prefit model
        never saw gets probability 0 from it (and none of its votes); a prefit model
        that knows a label absent from ``y`` is an error.
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
    fusion_ : str
        The rule used (``fusion``, or what ``"auto"`` chose).
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
        ``"text"``, ``"image"`` or ``"tabular"`` for each modality.
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
        "fusion": [StrOptions({"auto", "mean", "weighted", "vote", "product", "stacking"})],
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    def __init__(
        self,
        modalities="auto",
        *,
        estimators="auto",
        fusion="auto",
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
    def fit(self, X, y, sample_weight=None, groups=None):
        """Fit one classifier per modality and the combiner.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Class labels (strings or numbers); a 2-D ``y`` fits one model per target
            (``classes_`` is then a list, ``predict`` gives one column per target).
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights, passed to every modality's estimator and to the combiner.
        groups : array-like of shape (n_samples,) or None, default=None
            Group labels of the rows, passed to a group splitter given as ``cv``
            (``GroupKFold``, ``StratifiedGroupKFold``, ``LeaveOneGroupOut``), each
            modality's splitter getting the labels of the rows where it is present.
            Ignored by other splitters and by ``cv="prefit"``. Under scikit-learn's
            metadata routing, a meta-estimator passes it once requested with
            ``set_fit_request(groups=True)``.

        Returns
        -------
        self : LateFusionClassifier
            The fitted classifier.
        """
        if is_multi_target(y):
            return self._fit_targets(X, y, sample_weight, groups=groups)
        self._single_target()
        frame = self._check_fit_input(X)
        y_encoded = encode_classes(self, y, len(frame), X=frame)
        weights = combined_sample_weight(
            sample_weight, y_encoded, self.class_weight, self.classes_, X=frame
        )
        self.class_prior_ = np.bincount(
            y_encoded, weights=weights, minlength=len(self.classes_)
        ) / (len(y_encoded) if weights is None else weights.sum())
        self.fusion_ = self._resolve_fusion()
        self._check_probabilities_available()
        self._check_final_estimator()
        out_of_fold, present = self._fit_modalities(frame, y_encoded, weights, groups)
        self._fit_combiner(out_of_fold, present, y_encoded, weights)
        return self

    @per_target
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

    @per_target
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
        return "predict" if self.fusion_ == "vote" else "predict_proba"

    def _check_probabilities_available(self):
        if self.fusion_ != "vote":
            self._check_estimators_have_proba(f"fusion={self.fusion_!r} combines probabilities")

    def _automatic_fusion(self):
        return "stacking" if len(self.classes_) > 2 else "weighted"

    def _default_final_estimator(self):
        return LogisticRegression()

    @property
    def _fallback_output(self):
        return self.class_prior_

    @staticmethod
    def _combiner_loss(probabilities, y, sample_weight):
        return _log_loss(probabilities, y, sample_weight)

    def _combine(self, probabilities, present):
        if self.fusion_ == "stacking":
            features = self._stacking_features(probabilities, present)
            raw = self.final_estimator_.predict_proba(features)
            return as_probabilities(raw, self.final_estimator_.classes_, len(self.classes_))
        if self.fusion_ == "product":
            combined = self._product(probabilities, present)
        elif self.fusion_ == "vote":
            combined = self._vote_shares(probabilities, present)
        else:
            combined = self._weighted_combination(probabilities, present)
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


class LateFusionRegressor(
    MultiTargetMixin, RegressorMixin, RegressorOutputsMixin, _BaseLateFusion
):
    """Late-fusion regressor: one regressor per modality, predictions combined.

    Parameters
    ----------
    modalities : "auto" or list of tuple, default="auto"
        The modality spec; see :class:`ModalityUnion`.
    estimators : "auto" or dict, default="auto"
        Regressor per modality name; modalities not in the dict get
        ``Ridge(alpha=1.0)`` for text, a standardised ``RidgeCV`` for image and
        ``HistGradientBoostingRegressor`` for tabular modalities (fed category
        codes, see ``TabularEncoder(encoding="native")``, and with early stopping
        from 5,000 rows). With
        ``cv="prefit"``, fitted models that take the modality's raw columns. A
        regressor is required: a classifier is refused.
    fusion : {"auto", "mean", "weighted", "stacking"}, default="auto"
        ``"auto"`` is ``"weighted"`` (the choice is ``fusion_``); ``"mean"`` averages the
        modalities' predictions; ``"weighted"`` learns non-negative weights summing to one on
        out-of-fold predictions by minimising the squared error; ``"stacking"`` fits
        ``final_estimator`` on out-of-fold predictions (a missing modality's prediction replaced by
        the training mean) and presence indicators.
    final_estimator : regressor or None, default=None
        The stacking regressor; None means ``RidgeCV()``.
    cv : int, cross-validation generator, iterable or "prefit", default=5
        Splits for the out-of-fold predictions of ``"weighted"`` and ``"stacking"``. An
        int or a splitter splits the rows where each modality is present (an int gives
        ``StratifiedKFold`` for a classifier, ``KFold`` otherwise); a group splitter
        (``GroupKFold``, ``LeaveOneGroupOut`` ...) needs ``groups`` in ``fit``. An
        iterable of ``(train, test)`` row indices of ``X`` (a generator is read once,
        for every modality) is restricted to each modality's rows. The test parts must
        hold every row exactly once, as in
        :func:`~sklearn.model_selection.cross_val_predict`: ``ShuffleSplit``,
        ``TimeSeriesSplit`` and a ``PredefinedSplit`` with ``-1`` entries are refused.
        ``"prefit"`` takes the fitted models of ``estimators`` as they are.
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
    fusion_ : str
        The rule used (``fusion``, or what ``"auto"`` chose).
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
        ``"text"``, ``"image"`` or ``"tabular"`` for each modality.
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
        "fusion": [StrOptions({"auto", "mean", "weighted", "stacking"})],
    }

    def __init__(
        self,
        modalities="auto",
        *,
        estimators="auto",
        fusion="auto",
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
    def fit(self, X, y, sample_weight=None, groups=None):
        """Fit one regressor per modality and the combiner.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            The continuous target; a 2-D ``y`` fits one model per target
            (``predict`` then gives one column per target).
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights, passed to every modality's estimator and to the combiner.
        groups : array-like of shape (n_samples,) or None, default=None
            Group labels of the rows, passed to a group splitter given as ``cv``
            (``GroupKFold``, ``StratifiedGroupKFold``, ``LeaveOneGroupOut``), each
            modality's splitter getting the labels of the rows where it is present.
            Ignored by other splitters and by ``cv="prefit"``. Under scikit-learn's
            metadata routing, a meta-estimator passes it once requested with
            ``set_fit_request(groups=True)``.

        Returns
        -------
        self : LateFusionRegressor
            The fitted regressor.
        """
        if is_multi_target(y):
            return self._fit_targets(X, y, sample_weight, groups=groups)
        self._single_target()
        frame = self._check_fit_input(X)
        y = check_target(self, y, len(frame), classification=False, X=frame)
        weights = check_sample_weight(sample_weight, len(y), X=frame)
        self.target_mean_ = float(np.average(y, weights=weights))
        self.fusion_ = self._resolve_fusion()
        self._check_final_estimator()
        out_of_fold, present = self._fit_modalities(frame, y, weights, groups)
        self._fit_combiner(out_of_fold, present, y, weights)
        return self

    @per_target
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
        if self.fusion_ == "stacking":
            return self.final_estimator_.predict(self._stacking_features(predictions, present))
        combined = self._weighted_combination(predictions, present)
        return _fill_rows_without_modalities(combined, self.target_mean_)

    def _automatic_fusion(self):
        return "weighted"

    def _default_final_estimator(self):
        return RidgeCV()

    @property
    def _fallback_output(self):
        return self.target_mean_

    @staticmethod
    def _combiner_loss(predictions, y, sample_weight):
        return _squared_error(predictions, y, sample_weight)


def _squared_error(predictions, y, sample_weight):
    rows = ~np.isnan(predictions)
    weights = None if sample_weight is None else sample_weight[rows]
    return np.average((predictions[rows] - y[rows]) ** 2, weights=weights)
