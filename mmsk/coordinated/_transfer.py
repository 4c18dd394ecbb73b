"""Cross-modal transfer: learn from one modality, predict from another, in a shared space.

A :class:`CrossModalRetriever` (the aligner) learns the shared space of the source
and target modalities from the rows where both are present; an estimator learns the
labels from the source modality's coordinates; predictions come from the target
modality's coordinates, so rows that hold only the target modality can be predicted.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted
from sklearn_compat.base import _fit_context

from .._base import presence_matrix
from .._blocks import transform_blocks
from .._validation import check_frame, check_target
from ..fusion._common import encode_classes, multimodal_tags
from ._retriever import CrossModalRetriever

_TRANSFER_CONSTRAINTS = {
    "source": [str, None],
    "target": [str, None],
    "aligner": [HasMethods(["fit", "embed"]), None],
    "estimator": [HasMethods(["fit", "predict"]), None],
}


class _BaseCrossModalTransfer(BaseEstimator):
    """Fit and predict logic shared by the transfer classifier and regressor."""

    def _fit_transfer(self, X, y_fit):
        aligner = CrossModalRetriever() if self.aligner is None else self.aligner
        self.aligner_ = clone(aligner).set_params(query=self.source, target=self.target)
        self.aligner_.fit(X)
        self.source_, self.target_ = self.aligner_.query_, self.aligner_.target_
        rows = self.aligner_.index_rows_[self.source_]
        features = self.aligner_.index_embeddings_[self.source_]
        estimator = self._default_estimator() if self.estimator is None else self.estimator
        self.estimator_ = clone(estimator).fit(features, y_fit[rows])
        self.n_source_rows_ = len(rows)
        return self

    def _features(self, X):
        """Target-modality coordinates; the source's where the target is missing."""
        check_is_fitted(self, "estimator_")
        aligner = self.aligner_
        parts = aligner._select_modalities(X)
        present = presence_matrix(parts)
        names = list(aligner.modality_columns_)
        coordinates = {
            name: aligner._coordinates(name, block, present[:, position])
            for position, (name, block) in enumerate(
                zip(names, transform_blocks(aligner.transformers_, parts))
            )
        }
        has_target = present[:, names.index(self.target_)]
        return np.where(has_target[:, None], coordinates[self.target_], coordinates[self.source_])

    def __sklearn_tags__(self):
        return multimodal_tags(super().__sklearn_tags__())


def _estimator_has(method):
    def check(self):
        estimator = getattr(self, "estimator_", None)
        if estimator is None:
            estimator = self._default_estimator() if self.estimator is None else self.estimator
        return hasattr(estimator, method)

    return check


_SHARED_PARAMETERS = """    source : str or None, default=None
        The modality the estimator learns from: a modality of the aligner's spec (or,
        with the aligner's ``modalities="auto"``, a column of ``X``; see
        :class:`CrossModalRetriever`). None takes the spec's first modality. It
        replaces the aligner's ``query``.
    target : str or None, default=None
        The modality predictions are made from; it replaces the aligner's ``target``.
        None takes the spec's next modality.
    aligner : CrossModalRetriever or None, default=None
        The (unfitted) retriever whose shared space the estimator works in; cloned.
        None means ``CrossModalRetriever()`` (regularised CCA)."""

_SHARED_ATTRIBUTES = """    aligner_ : CrossModalRetriever
        The fitted aligner.
    estimator_ : estimator
        The estimator fitted on the source modality's shared-space coordinates.
    source_, target_ : str
        The names of the source and target modalities.
    n_source_rows_ : int
        Number of training rows (where the source modality is present) the estimator
        learned from.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Input column names, when ``X`` had string column names."""

_SHARED_NOTES = """    The aligner learns the space from the rows that hold both modalities; the
    estimator learns from every row where the source modality is present, from its
    unit-norm coordinates in that space. At predict time a row is represented by
    its target modality's coordinates; a row whose target modality is missing falls
    back on its source modality, and a row with neither gets the zero vector."""


class CrossModalTransferClassifier(ClassifierMixin, _BaseCrossModalTransfer):
    __doc__ = f"""Classify from one modality after learning the labels from another.

    Parameters
    ----------
{_SHARED_PARAMETERS}
    estimator : classifier or None, default=None
        Fitted on the source modality's shared-space coordinates; cloned. None means
        ``LogisticRegression(max_iter=1000)``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
{_SHARED_ATTRIBUTES}

    See Also
    --------
    CrossModalTransferRegressor : The same for continuous targets.
    CrossModalRetriever : The aligner.

    Notes
    -----
{_SHARED_NOTES}

    Examples
    --------
    >>> import pandas as pd
    >>> from mmsk import CrossModalRetriever, CrossModalTransferClassifier
    >>> X = pd.DataFrame({{
    ...     "title": ["great fit", "so lovely", "torn seams", "too small"] * 5,
    ...     "review": ["fits great", "lovely soft fabric", "seams torn", "far too small"] * 5,
    ... }})
    >>> y = ["good", "good", "bad", "bad"] * 5
    >>> model = CrossModalTransferClassifier(
    ...     source="title", target="review", aligner=CrossModalRetriever(n_components=3)
    ... ).fit(X, y)
    >>> model.predict(pd.DataFrame({{"title": [None], "review": ["torn seams"]}})).tolist()
    ['bad']
    """

    _parameter_constraints = dict(_TRANSFER_CONSTRAINTS)

    def __init__(self, source=None, target=None, *, aligner=None, estimator=None):
        self.source = source
        self.target = target
        self.aligner = aligner
        self.estimator = estimator

    def _default_estimator(self):
        return LogisticRegression(max_iter=1000)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Learn the shared space, then the labels from the source modality.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The table.
        y : array-like of shape (n_samples,)
            Class labels; only those of rows holding the source modality are used.

        Returns
        -------
        self : CrossModalTransferClassifier
            The fitted classifier.
        """
        frame = check_frame(self, X, reset=True)
        y_encoded = encode_classes(self, y, len(frame), X=frame)
        return self._fit_transfer(frame, y_encoded)

    def predict(self, X):
        """Predict class labels from the target modality.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The table, with the columns seen during fit (the source's may be missing
            values).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        features = self._features(X)
        return self.classes_[np.asarray(self.estimator_.predict(features), dtype=int)]

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Predict class probabilities from the target modality.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The table.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        features = self._features(X)
        probabilities = self.estimator_.predict_proba(features)
        full = np.zeros((probabilities.shape[0], len(self.classes_)))
        full[:, np.asarray(self.estimator_.classes_, dtype=int)] = probabilities
        return full

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the estimator on the target modality's coordinates.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The table.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            As the estimator's ``decision_function``.
        """
        features = self._features(X)
        return self.estimator_.decision_function(features)


class CrossModalTransferRegressor(RegressorMixin, _BaseCrossModalTransfer):
    __doc__ = f"""Regress from one modality after learning the target from another.

    Parameters
    ----------
{_SHARED_PARAMETERS}
    estimator : regressor or None, default=None
        Fitted on the source modality's shared-space coordinates; cloned. None means
        ``Ridge()``.

    Attributes
    ----------
{_SHARED_ATTRIBUTES}

    See Also
    --------
    CrossModalTransferClassifier : The same for class labels.
    CrossModalRetriever : The aligner.

    Notes
    -----
{_SHARED_NOTES}

    Examples
    --------
    >>> import pandas as pd
    >>> from mmsk import CrossModalRetriever, CrossModalTransferRegressor
    >>> X = pd.DataFrame({{
    ...     "title": ["cheap", "pricey", "cheap", "pricey"] * 5,
    ...     "review": ["low price", "very expensive", "low price", "very expensive"] * 5,
    ... }})
    >>> y = [10.0, 90.0, 10.0, 90.0] * 5
    >>> model = CrossModalTransferRegressor(
    ...     source="title", target="review", aligner=CrossModalRetriever(n_components=1)
    ... ).fit(X, y)
    >>> model.predict(pd.DataFrame({{"title": [None], "review": ["very expensive"]}})) > 50
    array([ True])
    """

    _parameter_constraints = dict(_TRANSFER_CONSTRAINTS)

    def __init__(self, source=None, target=None, *, aligner=None, estimator=None):
        self.source = source
        self.target = target
        self.aligner = aligner
        self.estimator = estimator

    def _default_estimator(self):
        return Ridge()

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Learn the shared space, then the target from the source modality.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The table.
        y : array-like of shape (n_samples,)
            Targets; only those of rows holding the source modality are used.

        Returns
        -------
        self : CrossModalTransferRegressor
            The fitted regressor.
        """
        frame = check_frame(self, X, reset=True)
        y = check_target(self, y, len(frame), classification=False, X=frame)
        return self._fit_transfer(frame, np.asarray(y, dtype=np.float64))

    def predict(self, X):
        """Predict targets from the target modality.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The table.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        features = self._features(X)
        return np.asarray(self.estimator_.predict(features), dtype=np.float64)
