"""Early fusion: transform each modality, concatenate the blocks, fit one estimator."""

import os
from numbers import Integral

import numpy as np
from scipy import sparse
from sklearn.base import ClassifierMixin, RegressorMixin, TransformerMixin, clone, is_classifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils import Bunch
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted
from sklearn_compat.base import _fit_context

from .._base import ModalityComposition, presence_mask
from .._blocks import block_feature_names, fit_blocks, transform_blocks
from .._validation import check_sample_weight, check_target
from ._common import (
    check_estimator_type,
    combined_sample_weight,
    encode_classes,
    multimodal_tags,
    sample_weight_params,
)
from ._multitask import MultiTargetMixin, is_multi_target, per_target, single_target_only


class _ModalityStack:
    """Weight the modality blocks of the shared path and stack them into one matrix."""

    def _fit_stack(self, frame):
        frame, modalities = self._resolve_modalities(frame)
        self.transformers_, blocks = fit_blocks(
            modalities, frame, memory=self.memory, n_jobs=self.n_jobs
        )
        self.modality_weights_ = self._learn_modality_weights(blocks)
        present = {m.name: m.presence(frame) for m in modalities}
        self.presence_indicators_ = [
            name for name, mask in present.items() if self.presence_indicators and not mask.all()
        ]
        return self._stack(blocks, present)

    def _transform_stack(self, X):
        parts = self._select_modalities(X)
        blocks = transform_blocks(self.transformers_, parts)
        present = {
            name: presence_mask(part)
            for name, part in zip(self.modality_columns_, parts)
            if name in self.presence_indicators_
        }
        return self._stack(blocks, present)

    def _learn_modality_weights(self, blocks):
        names = [name for name, _, _ in self.transformers_]
        weights = self.modality_weights
        if weights is None:
            return dict.fromkeys(names, 1.0)
        if isinstance(weights, str):
            return {name: _balancing_weight(block) for name, block in zip(names, blocks)}
        weights = self._check_modality_dict("modality_weights", weights)
        return {name: float(weights.get(name, 1.0)) for name in names}

    def _stack(self, blocks, present):
        """Weight the blocks and stack them, then the presence indicators, side by side.

        ``blocks`` is emptied, so that each block can be freed as soon as it is stacked.
        """
        names = [name for name, _, _ in self.transformers_]
        weighted = [
            _scale(block, self.modality_weights_[name]) for name, block in zip(names, blocks)
        ]
        blocks.clear()
        weighted += [
            present[name].astype(np.float64).reshape(-1, 1) for name in self.presence_indicators_
        ]
        if any(sparse.issparse(block) for block in weighted):
            return _stack_csr(weighted)
        return np.hstack(weighted).astype(np.float64, copy=False)

    @property
    def named_transformers_(self):
        return Bunch(**{name: transformer for name, transformer, _ in self.transformers_})

    def __sklearn_tags__(self):
        return multimodal_tags(super().__sklearn_tags__())

    def _stacked_feature_names(self):
        names = block_feature_names(self.transformers_, self.presence_indicators_)
        return np.asarray(names, dtype=object)


def _balancing_weight(block):
    n_rows = max(block.shape[0], 1)
    if sparse.issparse(block):
        block = block.tocsr()
        block.sum_duplicates()
        squared = np.dot(block.data, block.data)
    else:
        squared = np.einsum("ij,ij->", block, block)
    mean_squared_norm = float(squared) / n_rows
    return 1.0 / np.sqrt(mean_squared_norm) if mean_squared_norm > 0 else 1.0


def _scale(block, weight):
    """Multiply a block by its modality weight, in place when the block owns its data.

    Transformer outputs are fresh arrays, so scaling them in place avoids holding an
    unscaled and a scaled copy of the widest block at the same time.
    """
    if weight == 1.0:
        return block
    if sparse.issparse(block):
        # Sparse input is refused, so a sparse block is always a transformer's own output.
        in_place = block.data.flags.writeable
        values = block.data
    else:
        in_place = block.flags.owndata and block.flags.writeable
        values = block
    if in_place and values.dtype == np.float64:
        values *= weight
        return block
    return block * weight


# Rows converted or copied in one step: bounds the temporaries of a step to a few MB.
_ROWS_PER_STEP = 1 << 16


def _stack_csr(blocks):
    """Stack dense and sparse blocks side by side into one float64 CSR matrix.

    Each dense block is converted to CSR on its own, a slice of rows at a time, and
    released; then each CSR block is copied into the preallocated output and released.
    So neither a dense copy of all the blocks nor a COO form of the whole stack ever
    exists. ``blocks`` is emptied.

    Parameters
    ----------
    blocks : list of {ndarray, sparse matrix}
        Blocks with the same number of rows, in column order.

    Returns
    -------
    stacked : csr_matrix or csr_array of shape (n_samples, total width)
        In canonical format (sorted indices, no duplicates), as
        ``sparse.hstack(blocks).tocsr()`` gives, but always float64. A ``csr_array``
        when any block is a sparse array.
    """
    is_array = any(isinstance(block, sparse.sparray) for block in blocks)
    for i in range(len(blocks)):
        blocks[i] = _as_csr(blocks[i])
    n_rows = blocks[0].shape[0]
    n_columns = sum(block.shape[1] for block in blocks)
    row_nnz = sum((np.diff(block.indptr) for block in blocks), np.zeros(n_rows, np.int64))
    indptr = _indptr(row_nnz, n_rows, n_columns)
    indices = np.empty(indptr[-1], dtype=indptr.dtype)
    data = np.empty(indptr[-1], dtype=np.float64)
    next_free = indptr[:-1].astype(np.int64)
    offset = 0
    while blocks:
        offset += _copy_block(blocks.pop(0), offset, next_free, indices, data)
    container = sparse.csr_array if is_array else sparse.csr_matrix
    stacked = container((data, indices, indptr), shape=(n_rows, n_columns))
    stacked.sum_duplicates()
    return stacked


def _as_csr(block):
    """CSR form of a block; a dense block is converted a slice of rows at a time."""
    if sparse.issparse(block):
        return block.tocsr()
    block = np.asarray(block)
    steps = _row_steps(block.shape[0])
    row_nnz = np.concatenate([np.count_nonzero(block[rows], axis=1) for rows in steps])
    indptr = _indptr(row_nnz, *block.shape)
    indices = np.empty(indptr[-1], dtype=indptr.dtype)
    data = np.empty(indptr[-1], dtype=np.float64)
    for rows in steps:
        part = block[rows]
        nonzero = part != 0
        start, stop = indptr[rows.start], indptr[rows.stop]
        indices[start:stop] = np.nonzero(nonzero)[1]
        data[start:stop] = part[nonzero]
    return sparse.csr_array((data, indices, indptr), shape=block.shape)


def _copy_block(block, offset, next_free, indices, data):
    """Copy a CSR block's entries after those already in each output row; its width."""
    for rows in _row_steps(block.shape[0]):
        first, last = block.indptr[rows.start], block.indptr[rows.stop]
        row_nnz = np.diff(block.indptr[rows.start : rows.stop + 1])
        shift = next_free[rows] - block.indptr[rows.start : rows.stop]
        target = np.repeat(shift, row_nnz) + np.arange(first, last)
        indices[target] = block.indices[first:last].astype(indices.dtype) + offset
        data[target] = block.data[first:last]
        next_free[rows] += row_nnz
    return block.shape[1]


def _row_steps(n_rows):
    starts = range(0, max(n_rows, 1), _ROWS_PER_STEP)
    return [slice(start, min(start + _ROWS_PER_STEP, n_rows)) for start in starts]


def _indptr(row_nnz, n_rows, n_columns):
    """Row pointers of a CSR matrix, in the smallest index type scipy would choose."""
    nnz = int(np.sum(row_nnz))
    largest = max(nnz, n_rows, n_columns)
    dtype = np.int32 if largest <= np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(n_rows + 1, dtype=dtype)
    np.cumsum(row_nnz, out=indptr[1:])
    return indptr


_STACK_CONSTRAINTS = {
    "modalities": [StrOptions({"auto"}), list],
    "modality_weights": [StrOptions({"balanced"}), dict, None],
    "presence_indicators": ["boolean"],
    "memory": [None, str, os.PathLike, HasMethods(["cache"])],
    "n_jobs": [Integral, None],
    "verbose": ["verbose"],
}


class ModalityUnion(_ModalityStack, TransformerMixin, ModalityComposition):
    """Transform each modality and concatenate the feature blocks.

    This is the feature side of early fusion, usable on its own in a
    :class:`~sklearn.pipeline.Pipeline` before any estimator. Sparse blocks stay
    sparse. Each block can be weighted so that a wide block (tens of thousands of
    TF-IDF columns) does not drown a narrow one (a few numeric columns), and each
    modality that was missing in some training rows gets a presence-indicator column.

    Parameters
    ----------
    modalities : "auto" or list of tuple, default="auto"
        ``"auto"`` detects a ``"tabular"`` modality (numeric, categorical and datetime
        columns, through :class:`TabularEncoder`) and a ``"text"`` modality (free-text
        columns, through :class:`TextVectorizer`). Otherwise a list of
        ``(name, transformer, columns)`` tuples as in
        :class:`~sklearn.compose.ColumnTransformer`: ``transformer`` is a transformer,
        ``"auto"`` (chosen by the columns' kind), ``"passthrough"`` or ``"drop"``;
        ``columns`` is a name, a list of names, integer positions, a boolean mask, a
        callable or a :class:`KindSelector`.
    modality_weights : "balanced", dict or None, default="balanced"
        ``"balanced"`` scales each block so that its rows have a root-mean-square norm
        of one on the training data; a dict maps modality names to factors (others get
        1); None leaves the blocks as they are.
    presence_indicators : bool, default=True
        Add a ``"{modality}__present"`` column for each modality missing in at least
        one training row.
    memory : str, joblib.Memory or None, default=None
        Cache of the fitted modality transformers and their output blocks (a directory
        path or a ``joblib.Memory``), reused by grid-search candidates that differ only
        after the transforms.
    n_jobs : int or None, default=None
        Number of modalities transformed in parallel during fit.
    verbose : bool, default=False
        Print how columns were assigned to modalities.

    Attributes
    ----------
    transformers_ : list of tuple
        ``(name, fitted_transformer, columns)`` for each modality.
    named_transformers_ : Bunch
        The fitted transformers by modality name.
    modality_weights_ : dict
        The factor applied to each modality's block.
    presence_indicators_ : list of str
        Modalities that got a presence-indicator column.
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
    EarlyFusionClassifier : This union followed by a classifier.
    sklearn.compose.ColumnTransformer : The general column-wise transformer.

    Examples
    --------
    >>> from mmsk import ModalityUnion
    >>> from mmsk.datasets import make_multimodal_classification
    >>> X, y = make_multimodal_classification(n_samples=200, random_state=0)
    >>> union = ModalityUnion().fit(X)
    >>> sorted(union.modality_columns_)
    ['tabular', 'text']
    >>> union.transform(X).shape[0]
    200
    """

    _parameter_constraints = dict(_STACK_CONSTRAINTS)

    def __init__(
        self,
        modalities="auto",
        *,
        modality_weights="balanced",
        presence_indicators=True,
        memory=None,
        n_jobs=None,
        verbose=False,
    ):
        self.modalities = modalities
        self.modality_weights = modality_weights
        self.presence_indicators = presence_indicators
        self.memory = memory
        self.n_jobs = n_jobs
        self.verbose = verbose

    def fit(self, X, y=None):
        """Fit every modality's transformer.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.
        y : None
            Ignored.

        Returns
        -------
        self : ModalityUnion
            The fitted union.
        """
        self.fit_transform(X)
        return self

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_transform(self, X, y=None):
        """Fit every modality's transformer and return the stacked blocks.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.
        y : None
            Ignored.

        Returns
        -------
        X_out : {ndarray, sparse matrix} of shape (n_samples, n_features_out)
            Sparse (CSR) when any block is sparse.
        """
        return self._fit_stack(self._check_fit_input(X))

    def transform(self, X):
        """Transform every modality and return the stacked blocks.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table, with the columns seen during fit.

        Returns
        -------
        X_out : {ndarray, sparse matrix} of shape (n_samples, n_features_out)
            Sparse (CSR) when any block is sparse.
        """
        check_is_fitted(self, "transformers_")
        return self._transform_stack(X)

    def get_feature_names_out(self, input_features=None):
        """Names of the output features, as ``"{modality}__{feature}"``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against the columns seen during fit, if given.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "transformers_")
        _check_feature_names_in(self, input_features)
        return self._stacked_feature_names()


class _BaseEarlyFusion(_ModalityStack, ModalityComposition):
    """Fit and predict logic shared by the early-fusion classifier and regressor."""

    def _fit_estimator(self, frame, y, sample_weight):
        if self.estimator is not None:
            check_estimator_type(
                self.estimator,
                "classifier" if is_classifier(self) else "regressor",
                f"The 'estimator' parameter of {type(self).__name__}",
            )
        features = self._fit_stack(frame)
        self.estimator_ = clone(
            self._default_estimator() if self.estimator is None else self.estimator
        )
        params = sample_weight_params(self.estimator_, sample_weight, "early fusion")
        self.estimator_.fit(features, y, **params)
        self.n_features_out_ = features.shape[1]
        return self

    def _features(self, X):
        check_is_fitted(self, "estimator_")
        return self._transform_stack(X)


def _estimator_has(method):
    def check(self):
        estimator = getattr(self, "estimator_", None)
        if estimator is None:
            estimator = self._default_estimator() if self.estimator is None else self.estimator
        return hasattr(estimator, method)

    return check


def _single_target_estimator_has(method):
    has = _estimator_has(method)
    return lambda self: single_target_only(self) and has(self)


_EARLY_CONSTRAINTS = {
    **_STACK_CONSTRAINTS,
    "estimator": [HasMethods(["fit", "predict"]), None],
}


class EarlyFusionClassifier(MultiTargetMixin, ClassifierMixin, _BaseEarlyFusion):
    """Early-fusion classifier: one estimator on the concatenated modality features.

    Each modality is transformed by its own transformer (TF-IDF for text, one-hot and
    scaling for tabular columns by default), the blocks are weighted and concatenated
    (sparse stays sparse), a presence indicator is added for each modality that can
    be missing, and one classifier is fitted on the result.

    Parameters
    ----------
    modalities : "auto" or list of tuple, default="auto"
        The modality spec; see :class:`ModalityUnion`.
    estimator : classifier or None, default=None
        The classifier fitted on the fused features. None means
        ``LogisticRegression(C=3.0, max_iter=1000)``.
    modality_weights : "balanced", dict or None, default="balanced"
        Scaling of each modality's block; see :class:`ModalityUnion`.
    presence_indicators : bool, default=True
        Add one presence feature per modality missing in some training rows.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, applied as sample weights of the estimator's fit, so
        it works with any estimator that accepts ``sample_weight``.
    memory : str, joblib.Memory or None, default=None
        Cache of the fitted modality transformers and their output blocks (a directory
        path or a ``joblib.Memory``), reused by grid-search candidates that differ only
        after the transforms.
    n_jobs : int or None, default=None
        Number of modalities transformed in parallel during fit.
    verbose : bool, default=False
        Print how columns were assigned to modalities.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    estimator_ : classifier
        The fitted classifier; it sees classes encoded as ``0 .. n_classes - 1``.
    transformers_ : list of tuple
        ``(name, fitted_transformer, columns)`` for each modality.
    named_transformers_ : Bunch
        The fitted transformers by modality name.
    modality_weights_ : dict
        The factor applied to each modality's block.
    presence_indicators_ : list of str
        Modalities that got a presence-indicator feature.
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
    EarlyFusionRegressor : The same for continuous targets.
    LateFusionClassifier : One classifier per modality, predictions combined.
    ModalityUnion : The feature side of early fusion.

    Notes
    -----
    A row where a modality is missing gets that modality's imputed features (median
    and missing indicators for tabular columns, an all-zero TF-IDF row for text) and a
    zero in the modality's presence feature.

    Examples
    --------
    >>> from mmsk import EarlyFusionClassifier
    >>> from mmsk.datasets import make_multimodal_classification
    >>> X, y = make_multimodal_classification(n_samples=300, random_state=0)
    >>> model = EarlyFusionClassifier().fit(X, y)
    >>> model.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints = {
        **_EARLY_CONSTRAINTS,
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    def __init__(
        self,
        modalities="auto",
        *,
        estimator=None,
        modality_weights="balanced",
        presence_indicators=True,
        class_weight=None,
        memory=None,
        n_jobs=None,
        verbose=False,
    ):
        self.modalities = modalities
        self.estimator = estimator
        self.modality_weights = modality_weights
        self.presence_indicators = presence_indicators
        self.class_weight = class_weight
        self.memory = memory
        self.n_jobs = n_jobs
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the modality transformers and the classifier.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Class labels (strings or numbers); a 2-D ``y`` fits one model per target
            (``classes_`` is then a list, ``predict`` gives one column per target).
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights, passed to the classifier's fit.

        Returns
        -------
        self : EarlyFusionClassifier
            The fitted classifier.
        """
        if is_multi_target(y):
            return self._fit_targets(X, y, sample_weight)
        self._single_target()
        frame = self._check_fit_input(X)
        y_encoded = encode_classes(self, y, len(frame), X=frame)
        weights = combined_sample_weight(
            sample_weight, y_encoded, self.class_weight, self.classes_, X=frame
        )
        return self._fit_estimator(frame, y_encoded, weights)

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
        features = self._features(X)
        return self.classes_[self.estimator_.predict(features).astype(int)]

    @available_if(_estimator_has("predict_proba"))
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
        features = self._features(X)
        return self.estimator_.predict_proba(features)

    @available_if(
        lambda self: single_target_only(self) and _estimator_has("decision_function")(self)
    )
    def decision_function(self, X):
        """Decision function of the classifier.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        features = self._features(X)
        return self.estimator_.decision_function(features)

    def _default_estimator(self):
        return LogisticRegression(C=3.0, max_iter=1000)


class EarlyFusionRegressor(MultiTargetMixin, RegressorMixin, _BaseEarlyFusion):
    """Early-fusion regressor: one estimator on the concatenated modality features.

    Parameters
    ----------
    modalities : "auto" or list of tuple, default="auto"
        The modality spec; see :class:`ModalityUnion`.
    estimator : regressor or None, default=None
        The regressor fitted on the fused features. None means ``Ridge(alpha=1.0)``.
    modality_weights : "balanced", dict or None, default="balanced"
        Scaling of each modality's block; see :class:`ModalityUnion`.
    presence_indicators : bool, default=True
        Add one presence feature per modality missing in some training rows.
    memory : str, joblib.Memory or None, default=None
        Cache of the fitted modality transformers and their output blocks (a directory
        path or a ``joblib.Memory``), reused by grid-search candidates that differ only
        after the transforms.
    n_jobs : int or None, default=None
        Number of modalities transformed in parallel during fit.
    verbose : bool, default=False
        Print how columns were assigned to modalities.

    Attributes
    ----------
    estimator_ : regressor
        The fitted regressor.
    transformers_ : list of tuple
        ``(name, fitted_transformer, columns)`` for each modality.
    named_transformers_ : Bunch
        The fitted transformers by modality name.
    modality_weights_ : dict
        The factor applied to each modality's block.
    presence_indicators_ : list of str
        Modalities that got a presence-indicator feature.
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
    EarlyFusionClassifier : The same for class labels.
    LateFusionRegressor : One regressor per modality, predictions combined.

    Examples
    --------
    >>> from mmsk import EarlyFusionRegressor
    >>> from mmsk.datasets import make_multimodal_regression
    >>> X, y = make_multimodal_regression(n_samples=300, random_state=0)
    >>> EarlyFusionRegressor().fit(X, y).predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = dict(_EARLY_CONSTRAINTS)

    def __init__(
        self,
        modalities="auto",
        *,
        estimator=None,
        modality_weights="balanced",
        presence_indicators=True,
        memory=None,
        n_jobs=None,
        verbose=False,
    ):
        self.modalities = modalities
        self.estimator = estimator
        self.modality_weights = modality_weights
        self.presence_indicators = presence_indicators
        self.memory = memory
        self.n_jobs = n_jobs
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the modality transformers and the regressor.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            The continuous target; a 2-D ``y`` fits one model per target
            (``predict`` then gives one column per target).
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights, passed to the regressor's fit.

        Returns
        -------
        self : EarlyFusionRegressor
            The fitted regressor.
        """
        if is_multi_target(y):
            return self._fit_targets(X, y, sample_weight)
        self._single_target()
        frame = self._check_fit_input(X)
        y = check_target(self, y, len(frame), classification=False, X=frame)
        return self._fit_estimator(frame, y, check_sample_weight(sample_weight, len(y), X=frame))

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
        features = self._features(X)
        return np.asarray(self.estimator_.predict(features), dtype=np.float64).ravel()

    def _default_estimator(self):
        return Ridge(alpha=1.0)
