"""Ensembles over fitted or unfitted models: greedy forward selection, or stacking.

Each member's out-of-fold predictions are computed once, on one set of splits shared by
every member. Greedy selection (Caruana et al., 2004) then starts from the best member
and repeatedly adds, with replacement, the member whose addition scores best on those
predictions; a member's weight is the share of the steps that picked it. The ensemble
keeps the best step, so on its own out-of-fold predictions it never scores below its
best member. Stacking fits a final estimator on the same predictions instead.
"""

import inspect
import textwrap
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone, is_classifier
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv, cross_val_predict
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import Bunch, get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _num_samples, check_is_fitted
from sklearn_compat.base import _fit_context

from .._validation import check_sample_weight, check_target
from ..fusion._common import multimodal_tags

_ENSEMBLE_CONSTRAINTS = {
    "estimators": [list],
    "method": [StrOptions({"greedy", "stacking"})],
    "n_iterations": [Interval(Integral, 1, None, closed="left")],
    "final_estimator": [HasMethods(["fit", "predict"]), None],
    "cv": ["cv_object", StrOptions({"prefit"})],
    "scoring": [str, callable, None],
    "n_jobs": [Integral, None],
}


class _BaseEnsembleSelection(_BaseComposition):
    """Selection and prediction logic shared by the classifier and the regressor."""

    def get_params(self, deep=True):
        """Get parameters, including each member's as ``"{name}__{parameter}"``.

        Parameters
        ----------
        deep : bool, default=True
            Also return the members' parameters.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return self._get_params("estimators", deep=deep)

    def set_params(self, **params):
        """Set parameters, routing ``"{name}__{parameter}"`` to that member.

        Parameters
        ----------
        **params : dict
            Parameters of the ensemble or of its members.

        Returns
        -------
        self : estimator
            The ensemble.
        """
        self._set_params("estimators", **params)
        return self

    def _check_members(self):
        if not self.estimators:
            raise ValueError(
                f"{type(self).__name__} needs at least one member in 'estimators'; got an "
                "empty list."
            )
        try:
            names, members = zip(*self.estimators)
        except (TypeError, ValueError):
            raise ValueError(
                f"The 'estimators' parameter of {type(self).__name__} must be a list of "
                f"(name, estimator) pairs; got {self.estimators!r:.200}."
            ) from None
        self._validate_names(names)
        for name, member in zip(names, members):
            self._check_member_type(name, member)
            if self.cv == "prefit":
                check_is_fitted(member)
        return list(names), list(members)

    def _check_member_type(self, name, member):
        wanted = is_classifier(self)
        if not hasattr(member, "fit") or is_classifier(member) != wanted:
            kind = "a classifier" if wanted else "a regressor"
            raise TypeError(
                f"Member {name!r} of {type(self).__name__} must be {kind}; got "
                f"{type(member).__name__}."
            )

    def _fit_ensemble(self, X, y, sample_weight, predictions=None):
        names, members = self._check_members()
        sample_weight = check_sample_weight(sample_weight, len(y), X=X)
        scorer = check_scoring(self, scoring=self._scoring())
        if predictions is None:
            predictions = self._member_predictions(X, y, members, sample_weight)
        else:
            predictions = self._check_given_predictions(predictions, names, len(y))
        self.member_scores_ = {
            name: self._score(scorer, output, y, sample_weight)
            for name, output in zip(names, predictions)
        }
        if self.method == "greedy":
            weights, self.score_path_ = greedy_weights(
                predictions,
                lambda output: self._score(scorer, output, y, sample_weight),
                self.n_iterations,
            )
        else:
            weights = np.ones(len(names))
            self.final_estimator_ = clone(self._final_estimator()).fit(
                self._stacking_features(predictions), y, **_weight_params(sample_weight)
            )
            self.score_path_ = []
        self.weights_ = dict(zip(names, weights.tolist()))
        selected = [i for i, weight in enumerate(weights) if weight > 0]
        fitted = self._fitted_members([members[i] for i in selected], X, y, sample_weight)
        self.member_names_ = [names[i] for i in selected]
        self.estimators_ = list(fitted)
        self._copy_input_description(self.estimators_[0])
        self.out_of_fold_score_ = self._score(
            scorer, self._blend_out_of_fold(predictions, weights), y, sample_weight
        )
        return self

    def _scoring(self):
        return self.scoring if self.scoring is not None else self._default_scoring

    def _member_predictions(self, X, y, members, sample_weight):
        if self.cv == "prefit":
            return [self._output(member, X) for member in members]
        splits = list(check_cv(self.cv, y, classifier=is_classifier(self)).split(X, y))
        params = _weight_params(sample_weight)
        return Parallel(n_jobs=self.n_jobs)(
            delayed(cross_val_predict)(
                clone(member), X, y, cv=splits, method=self._output_method(member), params=params
            )
            for member in members
        )

    def _check_given_predictions(self, predictions, names, n_samples):
        if len(predictions) != len(names):
            raise ValueError(
                f"{type(self).__name__} got out-of-fold predictions for {len(predictions)} "
                f"members but has {len(names)} ({names})."
            )
        checked = []
        for name, output in zip(names, predictions):
            output = np.asarray(output, dtype=np.float64)
            if output.shape[0] != n_samples or not np.isfinite(output).all():
                raise ValueError(
                    f"The out-of-fold predictions of member {name!r} must be finite, one row "
                    f"per sample ({n_samples}); got shape {output.shape}."
                )
            checked.append(output)
        return checked

    def _score(self, scorer, output, y, sample_weight):
        return score_predictions(scorer, output, y, self._score_classes(), sample_weight)

    def _blend_out_of_fold(self, predictions, weights):
        if self.method == "stacking":
            features = self._stacking_features(predictions)
            return self._final_output(features)
        return sum(w * output for w, output in zip(weights, predictions))

    def _fitted_members(self, members, X, y, sample_weight):
        if self.cv == "prefit":
            return members
        params = _weight_params(sample_weight)
        return Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_member)(clone(member), X, y, params) for member in members
        )

    def _members_output(self, X):
        check_is_fitted(self, "estimators_")
        outputs = [self._output(member, X) for member in self.estimators_]
        if self.method == "stacking":
            return self._final_output(self._stacking_features(outputs))
        weights = [self.weights_[name] for name in self.member_names_]
        return sum(w * output for w, output in zip(weights, outputs))

    @property
    def named_estimators_(self):
        """The fitted members with a positive weight, by name."""
        check_is_fitted(self, "estimators_")
        return Bunch(**dict(zip(self.member_names_, self.estimators_)))

    def _copy_input_description(self, member):
        for attribute in ("n_features_in_", "feature_names_in_"):
            if hasattr(member, attribute):
                setattr(self, attribute, getattr(member, attribute))

    @property
    def modality_columns_(self):
        """The columns of each modality, over every fitted member that has modalities.

        Lets :func:`mmsk.inspection.modality_importance` permute a modality's columns
        for the whole ensemble.
        """
        check_is_fitted(self, "estimators_")
        merged = {}
        for member in self.estimators_:
            for name, columns in getattr(member, "modality_columns_", {}).items():
                merged.setdefault(name, [])
                merged[name] += [column for column in columns if column not in merged[name]]
        if not merged:
            raise AttributeError(f"No member of this {type(self).__name__} has modality_columns_.")
        return merged

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        members = [member for _, member in getattr(self, "estimators", None) or []]
        if not members:
            return multimodal_tags(tags)
        member_tags = [get_tags(member).input_tags for member in members]
        for tag in ("allow_nan", "sparse", "string", "categorical"):
            setattr(tags.input_tags, tag, all(getattr(t, tag) for t in member_tags))
        return tags


def greedy_weights(predictions, score, n_iterations=25):
    """Forward selection with replacement: each member's share of the best prefix of picks.

    Starting from an empty ensemble, each step adds the member whose addition gives
    the highest score of the mean of the picked predictions (ties go to the earlier
    member). The picks up to the best-scoring step are kept, so the ensemble scores
    at least as well as the best single member on these predictions.

    Parameters
    ----------
    predictions : list of ndarray
        Each member's out-of-fold predictions (1-D) or probabilities (2-D), all of
        one shape.
    score : callable
        Maps a blended prediction array to a float, higher is better.
    n_iterations : int, default=25
        Steps of the selection.

    Returns
    -------
    weights : ndarray of shape (n_members,)
        Non-negative, summing to one.
    path : list of float
        The ensemble's score after each step.
    """
    counts = np.zeros(len(predictions))
    best_counts, best_score, path = None, -np.inf, []
    total = np.zeros_like(predictions[0], dtype=np.float64)
    for step in range(1, n_iterations + 1):
        scores = [score((total + output) / step) for output in predictions]
        pick = int(np.argmax(scores))
        counts[pick] += 1
        total = total + predictions[pick]
        path.append(scores[pick])
        if scores[pick] > best_score:
            best_score, best_counts = scores[pick], counts.copy()
    return best_counts / best_counts.sum(), path


def score_predictions(scorer, output, y, classes=None, sample_weight=None):
    """A scorer's value for given predictions, as if an estimator had made them.

    Parameters
    ----------
    scorer : callable
        A scikit-learn scorer, ``scorer(estimator, X, y)``.
    output : ndarray
        Predictions (regression, ``classes=None``) or class probabilities with
        columns in the order of ``classes``.
    y : array-like of shape (n_samples,)
        The true target.
    classes : ndarray or None, default=None
        The sorted class labels; None for regression.
    sample_weight : array-like or None, default=None
        Passed to the scorer.

    Returns
    -------
    score : float
    """
    fixed = _FixedRegressor(output) if classes is None else _FixedClassifier(output, classes)
    if sample_weight is None:
        return float(scorer(fixed, None, y))
    return float(scorer(fixed, None, y, sample_weight=sample_weight))


def _fit_member(member, X, y, params):
    return member.fit(X, y, **params)


def _weight_params(sample_weight):
    return {} if sample_weight is None else {"sample_weight": sample_weight}


class _FixedClassifier(ClassifierMixin, BaseEstimator):
    """Stands in for an ensemble in a scorer call: its outputs are given, not computed."""

    def __init__(self, probabilities, classes):
        self.probabilities = probabilities
        self.classes = classes
        self.classes_ = classes

    def predict_proba(self, X):
        return self.probabilities

    def predict(self, X):
        return self.classes_[np.argmax(self.probabilities, axis=1)]


class _FixedRegressor(RegressorMixin, BaseEstimator):
    """Stands in for an ensemble in a scorer call: its predictions are given."""

    def __init__(self, predictions):
        self.predictions = predictions

    def predict(self, X):
        return self.predictions


_SHARED_PARAMETERS = """    method : {{"greedy", "stacking"}}, default="greedy"
        - ``"greedy"``: forward selection with replacement over the members'
          out-of-fold {outputs}, starting from the best member; the weights are
          the shares of ``n_iterations`` steps, cut at the best-scoring step.
        - ``"stacking"``: ``final_estimator`` fitted on the out-of-fold {outputs}.
    n_iterations : int, default=25
        Steps of greedy selection (the ensemble holds at most this many picks).
    final_estimator : estimator or None, default=None
        The stacking model; None means {final}.
    cv : int, cross-validation generator, iterable or "prefit", default=5
        Splits for the out-of-fold predictions, shared by every member.
        ``"prefit"`` takes fitted members as they are and selects on their
        predictions for the ``X`` given to ``fit``, which should be rows they were
        not fitted on.
    scoring : str, callable or None, default=None
        What selection maximises: a scikit-learn scorer name or a scorer; None means
        {default_scoring}.
    n_jobs : int or None, default=None
        Members cross-validated and refitted in parallel.

    Attributes
    ----------
    weights_ : dict
        Each member's weight (zero for a member never picked; all ones for
        ``"stacking"``).
    estimators_ : list of estimators
        The members with a positive weight, refitted on all rows (with
        ``cv="prefit"``, the given members).
    member_names_ : list of str
        Their names.
    named_estimators_ : Bunch
        The same members, by name.
    member_scores_ : dict
        Each member's score on its out-of-fold predictions.
    score_path_ : list of float
        The ensemble's out-of-fold score after each greedy step.
    out_of_fold_score_ : float
        The ensemble's score on the out-of-fold predictions it was selected on (an
        optimistic estimate: selection saw them).
    final_estimator_ : estimator
        The fitted stacking model (``method="stacking"`` only)."""


class EnsembleSelectionClassifier(ClassifierMixin, _BaseEnsembleSelection):
    """Weighted ensemble of classifiers chosen by greedy selection on out-of-fold predictions.

    Parameters
    ----------
    estimators : list of (str, estimator)
        The members: fitted or unfitted classifiers with ``predict_proba`` (a member
        without it votes with a one-hot row). Their parameters are reachable as
        ``"{name}__{parameter}"``.
    {shared}
    classes_ : ndarray of shape (n_classes,)
        The class labels.

    See Also
    --------
    EnsembleSelectionRegressor : The same for continuous targets.
    sklearn.ensemble.StackingClassifier : Stacking with a final estimator only.

    Notes
    -----
    The members must see the same columns (for mmsk's fusion estimators: the whole
    table). Selection maximises the score of the weighted mean of the members'
    probabilities. :meth:`fit_from_predictions` selects on out-of-fold
    probabilities computed elsewhere, such as those ``mmsk compare`` computes for its
    leaderboard, so no second cross-validation is run.

    References
    ----------
    R. Caruana, A. Niculescu-Mizil, G. Crew and A. Ksikes, "Ensemble selection from
    libraries of models", ICML 2004.

    Examples
    --------
    >>> from mmsk import EarlyFusionClassifier, LateFusionClassifier
    >>> from mmsk.ensemble import EnsembleSelectionClassifier
    >>> from mmsk.datasets import make_multimodal_classification
    >>> X, y = make_multimodal_classification(n_samples=200, random_state=0)
    >>> ensemble = EnsembleSelectionClassifier(
    ...     [("early", EarlyFusionClassifier()), ("late", LateFusionClassifier())], cv=3
    ... ).fit(X, y)
    >>> round(sum(ensemble.weights_.values()), 6)
    1.0
    >>> ensemble.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints = _ENSEMBLE_CONSTRAINTS
    _default_scoring = "neg_log_loss"

    def __init__(
        self,
        estimators,
        *,
        method="greedy",
        n_iterations=25,
        final_estimator=None,
        cv=5,
        scoring=None,
        n_jobs=None,
    ):
        self.estimators = estimators
        self.method = method
        self.n_iterations = n_iterations
        self.final_estimator = final_estimator
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Cross-validate every member, select the ensemble and refit its members.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table, as every member takes it.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Weights of the members' fits and of the selection score.

        Returns
        -------
        self : EnsembleSelectionClassifier
            The fitted ensemble.
        """
        y = self._encode(y, X)
        return self._fit_ensemble(X, y, sample_weight)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_from_predictions(self, X, y, predictions, sample_weight=None):
        """Select on out-of-fold probabilities computed elsewhere, then refit the members.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The rows the selected members are refitted on.
        y : array-like of shape (n_samples,)
            Class labels.
        predictions : list of ndarray of shape (n_samples, n_classes)
            Each member's out-of-fold probabilities, in the order of ``estimators``,
            columns in the sorted order of the labels.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Weights of the members' fits and of the selection score.

        Returns
        -------
        self : EnsembleSelectionClassifier
            The fitted ensemble.
        """
        y = self._encode(y, X)
        return self._fit_ensemble(X, y, sample_weight, predictions=predictions)

    def predict_proba(self, X):
        """Class probabilities: the members' weighted mean (or the stacking model's).

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.

        Returns
        -------
        probabilities : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return self._members_output(X)

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels among ``classes_``.
        """
        check_is_fitted(self, "estimators_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def _encode(self, y, X):
        y = check_target(self, y, _n_rows(X), classification=True, X=X)
        self.classes_ = LabelEncoder().fit(y).classes_
        if len(self.classes_) < 2:
            raise ValueError(
                f"y has only one class ({self.classes_[0]!r}): {type(self).__name__} needs "
                "at least two classes."
            )
        return y

    def _output_method(self, member):
        return "predict_proba" if hasattr(member, "predict_proba") else "predict"

    def _output(self, member, X):
        if hasattr(member, "predict_proba"):
            probabilities = np.asarray(member.predict_proba(X), dtype=np.float64)
            return _in_class_order(probabilities, member.classes_, self.classes_)
        labels = np.asarray(member.predict(X))
        return (labels[:, None] == self.classes_[None, :]).astype(np.float64)

    def _check_given_predictions(self, predictions, names, n_samples):
        checked = super()._check_given_predictions(predictions, names, n_samples)
        for name, output in zip(names, checked):
            if output.ndim != 2 or output.shape[1] != len(self.classes_):
                raise ValueError(
                    f"The out-of-fold predictions of member {name!r} must have one column "
                    f"per class ({len(self.classes_)}); got shape {output.shape}."
                )
        return checked

    def _member_predictions(self, X, y, members, sample_weight):
        outputs = super()._member_predictions(X, y, members, sample_weight)
        return [
            output
            if output.ndim == 2
            else (output[:, None] == self.classes_[None, :]).astype(np.float64)
            for output in map(np.asarray, outputs)
        ]

    def _score_classes(self):
        return self.classes_

    def _final_estimator(self):
        if self.final_estimator is not None:
            return self.final_estimator
        return LogisticRegression(max_iter=1000)

    def _stacking_features(self, outputs):
        if len(self.classes_) == 2:
            outputs = [output[:, 1:] for output in outputs]
        return np.hstack(outputs)

    def _final_output(self, features):
        probabilities = self.final_estimator_.predict_proba(features)
        return _in_class_order(probabilities, self.final_estimator_.classes_, self.classes_)


class EnsembleSelectionRegressor(RegressorMixin, _BaseEnsembleSelection):
    """Weighted ensemble of regressors chosen by greedy selection on out-of-fold predictions.

    Parameters
    ----------
    estimators : list of (str, estimator)
        The members: fitted or unfitted regressors. Their parameters are reachable as
        ``"{name}__{parameter}"``.
    {shared}

    See Also
    --------
    EnsembleSelectionClassifier : The same for class labels.
    sklearn.ensemble.StackingRegressor : Stacking with a final estimator only.

    Notes
    -----
    Selection maximises the score of the weighted mean of the members' predictions;
    :meth:`fit_from_predictions` selects on out-of-fold predictions computed
    elsewhere.

    References
    ----------
    R. Caruana, A. Niculescu-Mizil, G. Crew and A. Ksikes, "Ensemble selection from
    libraries of models", ICML 2004.

    Examples
    --------
    >>> from mmsk import EarlyFusionRegressor, LateFusionRegressor
    >>> from mmsk.ensemble import EnsembleSelectionRegressor
    >>> from mmsk.datasets import make_multimodal_regression
    >>> X, y = make_multimodal_regression(n_samples=200, random_state=0)
    >>> ensemble = EnsembleSelectionRegressor(
    ...     [("early", EarlyFusionRegressor()), ("late", LateFusionRegressor())], cv=3
    ... ).fit(X, y)
    >>> ensemble.predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints = _ENSEMBLE_CONSTRAINTS
    _default_scoring = "r2"

    def __init__(
        self,
        estimators,
        *,
        method="greedy",
        n_iterations=25,
        final_estimator=None,
        cv=5,
        scoring=None,
        n_jobs=None,
    ):
        self.estimators = estimators
        self.method = method
        self.n_iterations = n_iterations
        self.final_estimator = final_estimator
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Cross-validate every member, select the ensemble and refit its members.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table, as every member takes it.
        y : array-like of shape (n_samples,)
            The target.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Weights of the members' fits and of the selection score.

        Returns
        -------
        self : EnsembleSelectionRegressor
            The fitted ensemble.
        """
        y = check_target(self, y, _n_rows(X), classification=False, X=X)
        return self._fit_ensemble(X, y, sample_weight)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_from_predictions(self, X, y, predictions, sample_weight=None):
        """Select on out-of-fold predictions computed elsewhere, then refit the members.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The rows the selected members are refitted on.
        y : array-like of shape (n_samples,)
            The target.
        predictions : list of ndarray of shape (n_samples,)
            Each member's out-of-fold predictions, in the order of ``estimators``.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Weights of the members' fits and of the selection score.

        Returns
        -------
        self : EnsembleSelectionRegressor
            The fitted ensemble.
        """
        y = check_target(self, y, _n_rows(X), classification=False, X=X)
        predictions = [np.asarray(p, dtype=np.float64).ravel() for p in predictions]
        return self._fit_ensemble(X, y, sample_weight, predictions=predictions)

    def predict(self, X):
        """The members' weighted mean prediction (or the stacking model's).

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self._members_output(X)

    def _output_method(self, member):
        return "predict"

    def _output(self, member, X):
        return np.asarray(member.predict(X), dtype=np.float64).ravel()

    def _member_predictions(self, X, y, members, sample_weight):
        outputs = super()._member_predictions(X, y, members, sample_weight)
        return [np.asarray(output, dtype=np.float64).ravel() for output in outputs]

    def _score_classes(self):
        return None

    def _final_estimator(self):
        if self.final_estimator is not None:
            return self.final_estimator
        return RidgeCV()

    def _stacking_features(self, outputs):
        return np.column_stack(outputs)

    def _final_output(self, features):
        return np.asarray(self.final_estimator_.predict(features), dtype=np.float64).ravel()


def _in_class_order(probabilities, member_classes, classes):
    """Probability columns placed by label value; a label the member lacks gets 0."""
    unknown = [label for label in member_classes if label not in set(classes.tolist())]
    if unknown:
        raise ValueError(
            f"A member predicts labels {unknown} that are not among the ensemble's "
            f"classes {classes.tolist()}."
        )
    ordered = np.zeros((probabilities.shape[0], len(classes)))
    positions = np.searchsorted(classes, member_classes)
    ordered[:, positions] = probabilities
    return ordered


def _n_rows(X):
    n_rows = _num_samples(X)
    if n_rows == 0:
        raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
    return n_rows


for _estimator in (EnsembleSelectionClassifier, EnsembleSelectionRegressor):
    _outputs = "probabilities" if _estimator is EnsembleSelectionClassifier else "predictions"
    _final = (
        "``LogisticRegression(max_iter=1000)``"
        if _estimator is EnsembleSelectionClassifier
        else "``RidgeCV()``"
    )
    _scoring = "the log loss" if _estimator is EnsembleSelectionClassifier else "R²"
    # Both texts dedented first: Python 3.13 strips a docstring's indentation, 3.12 keeps it.
    _estimator.__doc__ = inspect.cleandoc(_estimator.__doc__).replace(
        "{shared}",
        textwrap.dedent(
            _SHARED_PARAMETERS.format(outputs=_outputs, final=_final, default_scoring=_scoring)
        ),
    )
