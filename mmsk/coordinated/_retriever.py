"""Cross-modal retrieval: a shared space of two modalities of one table.

The query and target modalities go through the shared modality path (spec resolution,
selection, per-modality transformers, presence masks); a shared-space method learns,
from the rows where both are present, one map per modality into a common space where
rows are compared by cosine similarity. A method is one :class:`SharedSpaceMethod`
entry of :data:`METHODS`: a function ``fit(retriever, blocks)`` that returns an object
with ``project(name, block)`` and ``n_components``.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted
from sklearn_compat.base import _fit_context

from .._base import (
    _DEFAULT_NAMES,
    ModalityComposition,
    _check_seen_in_training,
    _is_auto,
    _resolve_spec,
    default_modalities,
    describe_resolution,
    presence_mask,
    presence_matrix,
    select_columns,
)
from .._blocks import fit_blocks, transform_blocks
from .._kinds import detect_column_kinds
from .._validation import check_frame
from ..fusion._common import multimodal_tags
from ..metrics import recall_at_k
from ..modality import TextVectorizer
from ._contrastive import fit_contrastive
from ._label_bridge import fit_label_bridge, prepare_label_bridge
from ._linear import fit_cca, fit_pls, fit_ridge


@dataclass(frozen=True)
class SharedSpaceMethod:
    """One way of learning the shared space.

    Parameters
    ----------
    name : str
        The value of the retriever's ``method`` parameter.
    fit : callable
        ``fit(retriever, blocks)``: ``blocks`` maps the query and target modality
        names (in that order) to their transformed blocks over the paired training
        rows; the retriever is fitted up to ``transformers_``. Returns the space: an
        object with ``project(name, block)`` (coordinates of shape
        ``(n_rows, n_components)``) and ``n_components``.
    needs_pairs : bool, default=True
        Whether the method learns from paired rows (at least two are required).
    prepare : callable or None, default=None
        ``prepare(retriever, modalities)``, called before the transformers are fitted
        with the query and target :class:`Modality` objects: checks that the method
        suits them and returns them, possibly with other transformers.
    """

    name: str
    fit: Callable
    needs_pairs: bool = True
    prepare: Callable | None = None


#: The shared-space methods, by name.
METHODS = {
    method.name: method
    for method in (
        SharedSpaceMethod("cca", fit_cca),
        SharedSpaceMethod("pls", fit_pls),
        SharedSpaceMethod("ridge", fit_ridge),
        SharedSpaceMethod("contrastive", fit_contrastive),
        SharedSpaceMethod(
            "label_bridge", fit_label_bridge, needs_pairs=False, prepare=prepare_label_bridge
        ),
    )
}

DIRECTIONS = ("query_to_target", "target_to_query")

_RETRIEVER_CONSTRAINTS = {
    "modalities": [StrOptions({"auto"}), list],
    "query": [str, None],
    "target": [str, None],
    "method": [StrOptions(set(METHODS))],
    "n_components": [Interval(Integral, 1, None, closed="left")],
    "regularization": [Interval(Real, 0, None, closed="left")],
    "basis_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "shrinkage": [StrOptions({"auto"}), Interval(Real, 0, np.inf, closed="right")],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "score_k": [Interval(Integral, 1, None, closed="left")],
    "hidden_units": [Interval(Integral, 1, None, closed="left")],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "batch_size": [Interval(Integral, 2, None, closed="left")],
    "temperature": [Interval(Real, 0, None, closed="neither")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "label_template": [str],
    "label_top_k": [Interval(Integral, 1, None, closed="left"), None],
    "device": [str],
    "memory": [None, str, os.PathLike, HasMethods(["cache"])],
    "n_jobs": [Integral, None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


class CrossModalRetriever(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ModalityComposition):
    """Shared space of two modalities of one table, for cross-modal retrieval.

    Two modalities of the spec, the *query* and the *target*, are each transformed
    by their own transformer and mapped into one shared space, learned from the rows
    where both are present, so that a row's query lands near its own target. Then
    :meth:`kneighbors` finds the training rows whose target matches a query (or the
    reverse), :meth:`score` measures recall@k on held-out pairs, so that
    ``GridSearchCV`` can choose the method and its parameters without a ``y``, and
    :meth:`transform` gives the shared-space coordinates as features.

    Parameters
    ----------
    modalities : "auto" or list of tuple, default="auto"
        The modality spec, as in :class:`ModalityUnion`: ``"auto"`` or a list of
        ``(name, transformer, columns)`` tuples. ``query`` and ``target`` name two of
        its modalities; other modalities of the spec are not used. With ``"auto"``,
        ``query`` and ``target`` may also name two *columns* of ``X`` (see Notes),
        each of which then becomes a text modality of its own.
    query, target : str or None, default=None
        The modality (or, with ``modalities="auto"``, the column) that queries and the
        one that is searched. None takes the first and second modality of the
        resolved spec.
    method : {"cca", "pls", "ridge", "contrastive", "label_bridge"}, default="cca"
        How the shared space is learned: ``"cca"`` is regularised canonical
        correlation analysis in closed form (each view whitened by
        ``(C + ridge I)^(-1/2)``, then one SVD of the cross-covariance);
        ``"pls"`` is the SVD of the cross-covariance itself (partial least squares
        without deflation); ``"ridge"`` starts from a feature space the two modalities
        already share (both blocks of the same width, for example
        :class:`SentenceEmbedder` on each text column), where the start is their raw
        cosine similarity, and improves it with the paired rows: the query block is
        mapped by ``W = I + P M``, minimising ``||Q W - T||^2 + lambda ||W - I||^2``
        with the correction restricted to the ``basis_size`` leading directions ``P``
        of the query block (see ``shrinkage``); ``"contrastive"`` trains one
        neural-fusion encoder per modality with the symmetric InfoNCE loss through
        skorch (needs torch and skorch, ``pip install "mmsk[neural]"``);
        ``"label_bridge"`` matches an image
        modality with a text modality zero-shot, with no paired rows: an image's
        coordinates are the sentence embeddings of the names of its most likely
        ImageNet classes, weighted by the CNN's probabilities, and a text's are its
        own sentence embedding (needs ``pip install "mmsk[image,text]"``; the image
        modality's transformer must be an :class:`ImageEmbedder` with the CNN
        backend, the text modality's a :class:`SentenceEmbedder`, which ``"auto"``
        means for this method).
    n_components : int, default=32
        Width of the shared space; not used by ``"label_bridge"``, whose space is
        that of the sentence embeddings, nor by ``"ridge"``, whose space is that of
        the target block.
    regularization : float, default=0.1
        For ``"cca"``: the ridge added to each view's covariance, relative to the mean
        variance of the view's basis directions. Larger values move CCA towards PLS.
    basis_size : int or "auto", default="auto"
        For ``"cca"``, ``"pls"`` and ``"ridge"``: how many leading principal directions of each
        (centred) view the space is computed in; ``"auto"`` is
        ``max(256, 2 * n_components)``. Always capped by the number of paired rows
        minus one and by the view's number of features.
    shrinkage : float or "auto", default="auto"
        For ``"ridge"``: the ``lambda`` pulling the map toward the identity, relative to
        the mean eigenvalue of ``(Q P)^T (Q P)``; larger values stay closer to the raw
        cosine; ``numpy.inf`` is the identity, the raw cosine itself, and uses no
        pairs. ``"auto"`` holds out ``validation_fraction`` of the paired training
        rows, fits the map on the others for each of 0.01, 0.03, ..., 100 and
        infinity (the identity: the raw cosine itself), keeps the value whose mean
        reciprocal rank on the held-out pairs is best (the largest among ties, so the
        start is kept unless a map beats it there), and refits on every pair. Only
        training rows are used; the chosen value is ``space_.shrinkage`` and the
        held-out scores ``space_.validation_scores``.
    validation_fraction : float, default=0.2
        For ``"ridge"`` with ``shrinkage="auto"``: the fraction of the paired training
        rows held out to choose the shrinkage (at least one row, and at least one left
        to fit on).
    score_k : int, default=10
        The k of the recall@k that :meth:`score` returns.
    hidden_units : int, default=256
        For ``"contrastive"``: width of the encoders' hidden layer.
    dropout : float, default=0.1
        For ``"contrastive"``: dropout in the encoders.
    max_epochs : int, default=20
        For ``"contrastive"``: passes over the paired rows.
    lr : float, default=1e-3
        For ``"contrastive"``: learning rate of AdamW.
    batch_size : int, default=256
        For ``"contrastive"``: paired rows per batch, the negatives of each other.
    temperature : float, default=0.1
        For ``"contrastive"``: temperature of the InfoNCE loss.
    weight_decay : float, default=0.0
        For ``"contrastive"``: weight decay of AdamW.
    label_template : str, default="a photo of a {name}"
        For ``"label_bridge"``: the sentence each ImageNet class name is put into
        (at its ``{name}`` placeholder) before it is embedded.
    label_top_k : int or None, default=10
        For ``"label_bridge"``: how many of an image's most likely classes are mixed
        (their probabilities renormalised to sum to one); None mixes all 1,000.
    device : str, default="auto"
        For ``"contrastive"``: ``"auto"`` trains on the CUDA GPU when torch sees one,
        or ``"cpu"``, ``"cuda"``, ``"cuda:N"``.
    memory : str, joblib.Memory or None, default=None
        Cache of the fitted modality transformers and their blocks, reused by
        grid-search candidates that differ only in the shared space.
    n_jobs : int or None, default=None
        Number of modalities transformed in parallel during fit.
    random_state : int, RandomState instance or None, default=None
        Seeds the randomized basis of wide or sparse blocks (``"cca"``, ``"pls"``;
        None means seed 0 there, so that these closed-form methods are deterministic)
        and the weights and batch order of ``"contrastive"``.
    verbose : bool or int, default=False
        Print how columns were assigned to modalities (and, for ``"contrastive"``,
        one line of loss per epoch).

    Attributes
    ----------
    query_, target_ : str
        The names of the query and target modalities.
    space_ : object
        The learned space; ``space_.project(name, block)`` maps a transformed block.
    n_components_ : int
        Width of the shared space.
    correlations_ : ndarray of shape (n_components_,) or None
        For ``"cca"`` and ``"pls"``: correlation of the two views along each shared
        direction on the paired training rows; None for ``"contrastive"`` and
        ``"label_bridge"``.
    n_paired_ : int
        Number of training rows where both modalities are present.
    index_rows_ : dict
        For each of the two modalities, the positions (in the training ``X``) of the
        rows where it is present: the rows :meth:`kneighbors` searches.
    index_embeddings_ : dict
        For each of the two modalities, the unit-norm shared-space coordinates of
        those rows.
    transformers_ : list of tuple
        ``(name, fitted_transformer, columns)`` of the query and target modalities.
    column_kinds_ : dict
        The detected kind of every input column.
    modality_columns_ : dict
        The columns of the query and target modalities.
    modality_kinds_ : dict
        ``"text"`` or ``"tabular"`` for each of them.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Input column names, when ``X`` had string column names.

    See Also
    --------
    CrossModalTransferClassifier : Learn from one modality, predict from another.
    mmsk.metrics.recall_at_k : The metric of :meth:`score`.
    mmsk.metrics.make_retrieval_scorer : Other retrieval scorers for a grid search.

    Notes
    -----
    With ``modalities="auto"``, ``query`` and ``target`` are first read as the default
    modalities ``"tabular"`` and ``"text"``. Otherwise each must name a column of
    ``X``: its exact label, the label in another case, or one word of exactly one
    column label (``"review"`` finds ``"Review Text"``). Each named column becomes a
    modality of its own, named as ``query`` (or ``target``), with a
    :class:`TextVectorizer` for text and categorical columns and the transformer of
    its kind otherwise. To tune those transformers (``title__max_features``), write
    the spec out.

    Rows where the query or the target is missing are left out of learning the
    space (the transformers still see every row where their modality is present).
    :meth:`transform` averages the unit-norm coordinates of the modalities present
    in a row; a row with neither gets zeros. In :meth:`kneighbors`, a row whose query
    modality is missing is at distance 1 from every indexed row.

    Examples
    --------
    >>> import pandas as pd
    >>> from mmsk import CrossModalRetriever
    >>> X = pd.DataFrame({
    ...     "title": ["red dress", "blue jeans", "warm coat", "silk scarf"] * 5,
    ...     "review": ["lovely red summer dress", "comfortable blue denim jeans",
    ...                "warm winter wool coat", "soft silk scarf"] * 5,
    ... })
    >>> retriever = CrossModalRetriever(query="title", target="review", n_components=2)
    >>> distances, rows = retriever.fit(X).kneighbors(X[["title"]].head(2), n_neighbors=1)
    >>> X["review"].iloc[rows.ravel()].tolist()
    ['lovely red summer dress', 'comfortable blue denim jeans']
    >>> retriever.transform(X).shape
    (20, 2)
    """

    _parameter_constraints = dict(_RETRIEVER_CONSTRAINTS)

    def __init__(
        self,
        modalities="auto",
        *,
        query=None,
        target=None,
        method="cca",
        n_components=32,
        regularization=0.1,
        basis_size="auto",
        shrinkage="auto",
        validation_fraction=0.2,
        score_k=10,
        hidden_units=256,
        dropout=0.1,
        max_epochs=20,
        lr=1e-3,
        batch_size=256,
        temperature=0.1,
        weight_decay=0.0,
        label_template="a photo of a {name}",
        label_top_k=10,
        device="auto",
        memory=None,
        n_jobs=None,
        random_state=None,
        verbose=False,
    ):
        self.modalities = modalities
        self.query = query
        self.target = target
        self.method = method
        self.n_components = n_components
        self.regularization = regularization
        self.basis_size = basis_size
        self.shrinkage = shrinkage
        self.validation_fraction = validation_fraction
        self.score_k = score_k
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.temperature = temperature
        self.weight_decay = weight_decay
        self.label_template = label_template
        self.label_top_k = label_top_k
        self.device = device
        self.memory = memory
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fitting

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the two modalities' transformers and learn the shared space.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The table; the rows where both the query and the target are present are
            the pairs the space is learned from.
        y : None
            Ignored.

        Returns
        -------
        self : CrossModalRetriever
            The fitted retriever.
        """
        frame = self._check_fit_input(X)
        method = METHODS[self.method]
        modalities = resolve_pair(self, frame, self.query, self.target, ("query", "target"))
        if method.prepare is not None:
            modalities = method.prepare(self, modalities)
        self.query_, self.target_ = (modality.name for modality in modalities)
        self.transformers_, blocks = fit_blocks(
            modalities, frame, memory=self.memory, n_jobs=self.n_jobs
        )
        present = np.column_stack([modality.presence(frame) for modality in modalities])
        paired = present.all(axis=1)
        self.n_paired_ = int(paired.sum())
        if method.needs_pairs:
            self._check_paired(self.n_paired_, len(frame), "training rows of X")
        names = [self.query_, self.target_]
        self.space_ = method.fit(
            self, {name: _take_rows(block, paired) for name, block in zip(names, blocks)}
        )
        self.n_components_ = int(self.space_.n_components)
        self.correlations_ = getattr(self.space_, "correlations", None)
        self._n_features_out = self.n_components_
        self.index_rows_, self.index_embeddings_ = {}, {}
        for position, (name, block) in enumerate(zip(names, blocks)):
            rows = np.flatnonzero(present[:, position])
            self.index_rows_[name] = rows
            self.index_embeddings_[name] = self._coordinates(name, _take_rows(block, rows))
        return self

    def _check_paired(self, n_paired, n_rows, where):
        if n_paired >= 2:
            return
        found = "no paired rows" if n_paired == 0 else "one paired row"
        raise ValueError(
            f"{type(self).__name__} found {found} among the {n_rows} {where} "
            f"(n_samples={n_rows}): it learns the shared space from rows where both the "
            f"query modality {self.query_!r} (columns {self.modality_columns_[self.query_]}) "
            f"and the target modality {self.target_!r} (columns "
            f"{self.modality_columns_[self.target_]}) are present, and needs at least 2 of "
            "them. Provide rows that hold both."
        )

    # --------------------------------------------------------------- predicting

    def _coordinates(self, name, block, present=None):
        """Unit-norm shared-space coordinates of a transformed block; zeros where absent."""
        coordinates = _unit_rows(self.space_.project(name, block))
        if present is not None:
            coordinates[~present] = 0.0
        return coordinates

    def transform(self, X):
        """Shared-space coordinates: the mean of the present modalities' coordinates.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The table, with the query and target columns seen during fit.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_components_)
            The mean of the unit-norm coordinates of the query and target modalities
            present in each row; zeros for a row with neither.
        """
        check_is_fitted(self, "space_")
        parts = self._select_modalities(X)
        blocks = transform_blocks(self.transformers_, parts)
        present = presence_matrix(parts)
        total = np.zeros((present.shape[0], self.n_components_))
        for position, (name, block) in enumerate(zip(self.modality_columns_, blocks)):
            total += self._coordinates(name, block, present[:, position])
        return total / np.maximum(present.sum(axis=1), 1)[:, None]

    def embed(self, X, modality):
        """Unit-norm shared-space coordinates of one modality.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame}
            Rows holding that modality's columns: a DataFrame (other columns are
            ignored), or an array with either exactly that modality's columns or every
            column seen during fit.
        modality : str
            The query or the target modality (``query_`` or ``target_``).

        Returns
        -------
        embeddings : ndarray of shape (n_samples, n_components_)
            Zeros for the rows where the modality is missing.
        """
        check_is_fitted(self, "space_")
        self._check_side(modality, "modality")
        part = self._modality_part(X, modality)
        (block,) = transform_blocks(self._transformer_entries([modality]), [part])
        return self._coordinates(modality, block, presence_mask(part))

    def kneighbors(self, X, n_neighbors=5, return_distance=True, *, direction="query_to_target"):
        """Find the training rows whose target (or query) best matches each row of X.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame}
            The queries: rows holding the query modality's columns (the target's for
            ``direction="target_to_query"``). A DataFrame is read by column name and
            may hold other columns; an array holds either exactly those columns or
            every column seen during fit.
        n_neighbors : int, default=5
            Number of matches per row.
        return_distance : bool, default=True
            Whether to return the distances too.
        direction : {"query_to_target", "target_to_query"}, default="query_to_target"
            Search the training rows' targets for each query, or the training rows'
            queries for each target.

        Returns
        -------
        distances : ndarray of shape (n_samples, n_neighbors)
            Cosine distances (one minus the cosine similarity) in the shared space,
            increasing along each row; only when ``return_distance`` is True.
        indices : ndarray of shape (n_samples, n_neighbors)
            Positions of the matching rows in the ``X`` the retriever was fitted on;
            only rows where the searched modality was present are candidates.
        """
        check_is_fitted(self, "space_")
        if direction not in DIRECTIONS:
            raise ValueError(
                "The 'direction' parameter of kneighbors must be 'query_to_target' or "
                f"'target_to_query'. Got {direction!r} instead."
            )
        source, searched = (
            (self.query_, self.target_)
            if direction == "query_to_target"
            else (self.target_, self.query_)
        )
        n_indexed = len(self.index_rows_[searched])
        if (
            isinstance(n_neighbors, (bool, np.bool_))
            or not isinstance(n_neighbors, Integral)
            or not 1 <= n_neighbors <= n_indexed
        ):
            raise ValueError(
                f"n_neighbors must be an integer between 1 and {n_indexed}, the number of "
                f"training rows where modality {searched!r} is present; got {n_neighbors!r}."
            )
        queries = self.embed(X, source)
        similarities = queries @ self.index_embeddings_[searched].T
        order = _top_k(similarities, int(n_neighbors))
        indices = self.index_rows_[searched][order]
        if not return_distance:
            return indices
        distances = 1.0 - np.take_along_axis(similarities, order, axis=1)
        return np.clip(distances, 0.0, 2.0), indices

    def paired_similarities(self, X):
        """Cosine similarities between the queries and the targets of X's paired rows.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The table, with the query and target columns seen during fit.

        Returns
        -------
        similarities : ndarray of shape (n_paired, n_paired)
            Entry ``(i, j)`` compares the query of the i-th row where both modalities
            are present with the target of the j-th such row; the diagonal holds the
            true pairs. The input of :mod:`mmsk.metrics`.
        """
        check_is_fitted(self, "space_")
        parts = self._select_modalities(X)
        present = presence_matrix(parts)
        paired = present.all(axis=1)
        self._check_paired(int(paired.sum()), len(paired), "rows of X")
        blocks = transform_blocks(self.transformers_, [part[paired] for part in parts])
        queries, targets = (
            self._coordinates(name, block) for name, block in zip(self.modality_columns_, blocks)
        )
        return queries @ targets.T

    def score(self, X, y=None):
        """Recall@k of the held-out pairs of X: each query should retrieve its own target.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The table; among the rows where both modalities are present, each row's
            query is ranked against every such row's target.
        y : None
            Ignored.

        Returns
        -------
        score : float
            The fraction of those rows whose own target is among the ``score_k``
            targets most similar to their query.
        """
        return recall_at_k(self.paired_similarities(X), k=self.score_k)

    # -------------------------------------------------------------- inspection

    def _check_side(self, name, parameter):
        if name not in (self.query_, self.target_):
            raise ValueError(
                f"The {parameter!r} argument must be the query modality {self.query_!r} or "
                f"the target modality {self.target_!r} of this retriever. Got {name!r}."
            )

    def _transformer_entries(self, names):
        return [entry for entry in self.transformers_ if entry[0] in names]

    def _modality_part(self, X, name):
        """The columns of modality ``name`` of ``X`` (that modality's columns, or all)."""
        columns = self.modality_columns_[name]
        if isinstance(X, pd.DataFrame) or sparse.issparse(X):
            required = {column: f"modality {name!r}" for column in columns}
            return select_columns(check_frame(self, X, reset=False, required=required), columns)
        array = check_array(X, dtype=None, ensure_all_finite=False, input_name="X")
        if array.shape[1] == len(columns) and array.shape[1] != self.n_features_in_:
            return pd.DataFrame(array, columns=columns)
        if array.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {array.shape[1]} columns; {type(self).__name__} expects either the "
                f"{len(columns)} column(s) of modality {name!r} ({columns}) or all "
                f"{self.n_features_in_} columns seen during fit. Pass a DataFrame to "
                "select columns by name."
            )
        return select_columns(self._check_input(array), columns)

    def __sklearn_tags__(self):
        tags = multimodal_tags(super().__sklearn_tags__())
        tags.target_tags.required = False
        return tags


def resolve_pair(owner, frame, first, second, parameters):
    """Resolve ``owner``'s spec on ``frame`` and return its two chosen modalities.

    Sets ``column_kinds_``, ``modality_columns_`` and ``modality_kinds_`` (of the two
    modalities only) on ``owner``.

    Parameters
    ----------
    owner : ModalityComposition
        The estimator; its ``modalities`` is the spec.
    frame : pandas.DataFrame
        The validated training table.
    first, second : str or None
        The names of the two modalities (None: the first, or the next, of the spec).
    parameters : tuple of str
        The names of the parameters that hold them, for the messages.

    Returns
    -------
    modalities : list of Modality
        The two modalities, in the order ``first``, ``second``.
    """
    if frame.shape[1] < 2:
        raise ValueError(
            f"{type(owner).__name__} needs two modalities, {parameters[0]!r} and "
            f"{parameters[1]!r}, hence at least two columns; X has {frame.shape[1]} "
            "feature(s)."
        )
    owner.column_kinds_ = detect_column_kinds(frame)
    spec = _effective_spec(owner, frame, first, second, parameters)
    resolved = {
        modality.name: modality
        for modality in _resolve_spec(owner, spec, frame, owner.column_kinds_)
    }
    spec_names = [entry[0] for entry in spec]
    chosen = []
    for value, parameter in zip((first, second), parameters):
        if value is None:
            value = next((name for name in resolved if name not in chosen), None)
            if value is None:
                raise ValueError(_too_few_modalities(owner, list(resolved), parameters))
        elif value not in spec_names:
            raise ValueError(
                f"The {parameter!r} parameter of {type(owner).__name__} names modality "
                f"{value!r}, which is not in its modalities spec; the spec's modalities "
                f"are {spec_names}. Use one of those names, or write a spec with one "
                f"entry per modality, for example modalities=[('title', TextVectorizer(), "
                "'Title'), ('review', TextVectorizer(), 'Review Text')]."
            )
        elif value not in resolved:
            raise ValueError(
                f"The {parameter!r} modality {value!r} of {type(owner).__name__} selects no "
                f"column of X (or is set to 'drop'), so it cannot be matched; the modalities "
                f"found in X are {list(resolved)}."
            )
        if value in chosen:
            raise ValueError(
                f"{parameters[0]!r} and {parameters[1]!r} of {type(owner).__name__} both "
                f"name modality {value!r}; they must name two different modalities."
            )
        chosen.append(value)
    modalities = [resolved[name] for name in chosen]
    for modality in modalities:
        _check_seen_in_training(modality, frame)
    owner.modality_columns_ = {m.name: list(m.columns) for m in modalities}
    owner.modality_kinds_ = {m.name: m.kind for m in modalities}
    if getattr(owner, "verbose", False):
        print(describe_resolution(owner.column_kinds_, modalities))
    return modalities


def _too_few_modalities(owner, names, parameters):
    return (
        f"{type(owner).__name__} needs two modalities, {parameters[0]!r} and "
        f"{parameters[1]!r}, but its modalities spec resolved to {names} on this X "
        "(with modalities='auto' every text column joins one 'text' modality). Pass a "
        "spec with one entry per modality, for example modalities=[('title', "
        "TextVectorizer(), 'Title'), ('review', TextVectorizer(), 'Review Text')], or "
        f"keep modalities='auto' and name two columns, for example {parameters[0]}='Title', "
        f"{parameters[1]}='Review Text'."
    )


def _effective_spec(owner, frame, first, second, parameters):
    if not _is_auto(owner.modalities):
        return owner.modalities
    given = [value for value in (first, second) if value is not None]
    if all(value in _DEFAULT_NAMES for value in given):
        return default_modalities()
    if len(given) < 2:
        raise ValueError(
            f"With modalities='auto', {type(owner).__name__} reads {parameters[0]!r} and "
            f"{parameters[1]!r} as the default modalities {list(_DEFAULT_NAMES)} or as two "
            f"column names of X; got {parameters[0]}={first!r} and "
            f"{parameters[1]}={second!r}. Name both columns, or pass a modalities spec."
        )
    spec = []
    for value, parameter in zip((first, second), parameters):
        column = _match_column(owner, frame, value, parameter)
        kind = owner.column_kinds_[column]
        transformer = TextVectorizer() if kind in ("text", "categorical") else "auto"
        spec.append((value, transformer, [column]))
    return spec


def _match_column(owner, frame, value, parameter):
    labels = frame.columns.tolist()
    if value in labels:
        return value
    wanted = value.strip().lower()
    same = [label for label in labels if str(label).strip().lower() == wanted]
    if len(same) == 1:
        return same[0]
    by_word = [label for label in labels if wanted in str(label).lower().split()]
    if len(by_word) == 1 and not same:
        return by_word[0]
    found = same or by_word
    detail = f"it matches several columns, {found}" if found else "it matches no column"
    raise ValueError(
        f"The {parameter!r} parameter of {type(owner).__name__} is {value!r}: with "
        "modalities='auto' it must be 'tabular', 'text' or name one column of X (its "
        f"label, in any case, or one word of it), but {detail}. X has columns {labels}."
    )


def _take_rows(block, rows):
    if sparse.issparse(block):
        return sparse.csr_matrix(block)[rows]
    return np.asarray(block)[rows]


def _unit_rows(coordinates):
    norms = np.linalg.norm(coordinates, axis=1, keepdims=True)
    return np.divide(coordinates, norms, out=np.zeros_like(coordinates), where=norms > 0)


def _top_k(similarities, k):
    """Column indices of the ``k`` largest entries of each row, largest first.

    Ties are broken by the lower column index, so results do not depend on the
    sorting algorithm.
    """
    n_columns = similarities.shape[1]
    if k < n_columns:
        candidates = np.argpartition(-similarities, k - 1, axis=1)[:, :k]
    else:
        candidates = np.tile(np.arange(n_columns), (similarities.shape[0], 1))
    values = np.take_along_axis(similarities, candidates, axis=1)
    order = np.lexsort((candidates, -values), axis=1)
    return np.take_along_axis(candidates, order, axis=1)
