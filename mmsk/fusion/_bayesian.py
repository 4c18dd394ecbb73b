"""Bayesian-network fusion: per-modality predictions become discrete nodes of a network.

Each modality's estimator gives out-of-fold predictions, discretised into the states of
one node. Those nodes, the target and optionally a few categorical input columns form a
discrete Bayesian network whose structure and probability tables are learned with
pgmpy. Prediction is the exact posterior of the target given the nodes present in a row.
"""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.validation import check_is_fitted
from sklearn_compat.base import _fit_context

from .._validation import check_sample_weight, check_target
from ._bayes_network import (
    MAX_TABLE_ENTRIES,
    PGMPY_SCORES,
    TARGET_NODE,
    PosteriorTables,
    distinct_cells,
    draw_network,
    entropy,
    fit_network,
    hillclimb_edges,
    import_pgmpy,
    level_codes,
    mutual_information,
    naive_edges,
    quiet_pgmpy,
    rebuild_network,
    tan_edges,
)
from ._binning import ModalityBinsMixin, fit_target_bins, unique_strings
from ._common import encode_classes
from ._multitask import MultiTargetMixin, is_multi_target, per_target
from ._per_modality import (
    PER_MODALITY_CONSTRAINTS,
    BasePerModality,
    ClassifierOutputsMixin,
    RegressorOutputsMixin,
)

OTHER_LEVEL = "(other)"
MAX_NODES = 50

_BAYESIAN_CONSTRAINTS = {
    **PER_MODALITY_CONSTRAINTS,
    "structure": [StrOptions({"naive", "tan", "hillclimb"})],
    "scoring": [StrOptions(set(PGMPY_SCORES))],
    "n_bins": [Interval(Integral, 2, None, closed="left")],
    "include_features": [list, None],
    "min_frequency": [
        Interval(Integral, 1, None, closed="left"),
        Interval(RealNotInt, 0, 1, closed="neither"),
    ],
    "equivalent_sample_size": [Interval(Real, 0, None, closed="neither")],
}


class _BaseBayesianFusion(ModalityBinsMixin, BasePerModality):
    """The network shared by the Bayesian-network classifier and regressor."""

    def __getstate__(self):
        # The pgmpy network (a networkx graph) and the influence table (a DataFrame)
        # are stored as plain lists and dicts, which the skops format can hold, and
        # rebuilt on load; the network's probability tables are already in cpds_.
        state = dict(super().__getstate__())
        if "network_" in state:
            network = state.pop("network_")
            state["_network_nodes"] = list(network.nodes())
            state["_network_edges"] = [tuple(edge) for edge in network.edges()]
            influence = state.pop("modality_influence_")
            state["_influence_columns"] = influence.reset_index().to_dict(orient="list")
        return state

    def __setstate__(self, state):
        state = dict(state)
        if "_network_edges" in state:
            nodes, edges = state.pop("_network_nodes"), state.pop("_network_edges")
            state["network_"] = rebuild_network(nodes, edges, state["cpds_"])
            columns = state.pop("_influence_columns")
            state["modality_influence_"] = pd.DataFrame(columns).set_index("node")
        super().__setstate__(state)

    def _needs_out_of_fold(self):
        return True

    def _check_structure_supports_weights(self, sample_weight):
        if sample_weight is not None and self.structure == "hillclimb":
            raise ValueError(
                "structure='hillclimb' cannot honour sample_weight: pgmpy's structure "
                "scores (bic, bdeu, k2) count rows without weights. Use structure='naive' "
                "or structure='tan', which weight the structure and the probability "
                "tables, or fit without sample_weight."
            )

    def _build_network(self, pgmpy, frame, target_codes, target_states, outputs, present, weights):
        modality_codes, modality_states = self._fit_modality_nodes(outputs, present)
        feature_codes, feature_states = self._fit_feature_nodes(frame)
        nodes = [TARGET_NODE, *self.modality_names_, *self.feature_nodes_]
        self._check_node_names(nodes)
        states = {
            TARGET_NODE: target_states,
            **dict(zip(self.modality_names_, modality_states)),
            **dict(zip(self.feature_nodes_, feature_states)),
        }
        codes = np.column_stack([target_codes, *modality_codes, *feature_codes])
        self._check_table_sizes(nodes, states)
        with quiet_pgmpy():
            edges = self._learn_edges(pgmpy, nodes, states, codes, weights)
            self.network_ = fit_network(
                pgmpy, nodes, states, codes, edges, self.equivalent_sample_size, weights
            )
        self.node_states_ = states
        self.cpds_ = {node: self.network_.get_cpds(node) for node in nodes}
        self._tables = PosteriorTables.from_network(self.network_, nodes, states)
        self.modality_influence_ = self._influence(nodes)

    def _check_table_sizes(self, nodes, states):
        """Refuse a network whose probability tables would not fit in memory.

        Every node's table is indexed by its own states, the target's and, beyond the
        naive structure, another node's; with many classes the modality nodes (classes
        crossed with probability bins) make that product explode.
        """
        target, *others = (len(states[node]) for node in nodes)
        widest = sorted(zip(others, nodes[1:]), reverse=True)[
            : 1 if self.structure == "naive" else 2
        ]
        entries = target * int(np.prod([size for size, _ in widest]))
        if entries > MAX_TABLE_ENTRIES:
            names = [name for _, name in widest]
            raise ValueError(
                f"structure={self.structure!r} would need a probability table of {entries:,} "
                f"entries for the nodes {names} with the target ({target} states), more than "
                f"the {MAX_TABLE_ENTRIES:,} allowed. Lower n_bins (now {self.n_bins}), use "
                "structure='naive', or group rare classes of y."
            )

    def _learn_edges(self, pgmpy, nodes, states, codes, weights):
        if self.structure == "naive" or len(nodes) == 2:
            return naive_edges(nodes[1:])
        if self.structure == "tan":
            cardinalities = [len(states[node]) for node in nodes]
            return tan_edges(nodes, codes, cardinalities, weights)
        return hillclimb_edges(
            pgmpy,
            nodes,
            states,
            codes,
            self.modality_names_,
            self.scoring,
            self.equivalent_sample_size,
        )

    def _check_node_names(self, nodes):
        if len(nodes) > MAX_NODES:
            raise ValueError(
                f"The network would have {len(nodes)} nodes (the target, "
                f"{len(self.modality_names_)} modalities and {len(self.feature_nodes_)} "
                f"include_features columns); exact inference here supports at most "
                f"{MAX_NODES}. Pass fewer include_features columns."
            )
        seen = set()
        for node in nodes:
            if node in seen:
                raise ValueError(
                    f"Two nodes of the network would be named {node!r}: the target node is "
                    f"named {TARGET_NODE!r}, modality nodes take the modality's name and "
                    "include_features nodes the column's name. Rename the modality or "
                    "leave the column out of include_features."
                )
            seen.add(node)

    def _fit_feature_nodes(self, frame):
        columns = self._check_include_features(frame)
        self.feature_nodes_ = [str(column) for column in columns]
        self._feature_columns = columns
        self.feature_levels_ = {}
        codes, states = [], []
        for column in columns:
            cell_codes, strings = distinct_cells(frame[column])
            if not len(strings):
                raise ValueError(
                    f"Column {column!r} of include_features is missing in every training "
                    "row, so its node has nothing to learn from. Leave it out of "
                    "include_features."
                )
            counts = np.bincount(cell_codes[cell_codes >= 0], minlength=len(strings))
            levels = self._frequent_levels(strings, counts)
            self.feature_levels_[column] = levels
            codes.append(level_codes(cell_codes, strings, levels))
            states.append([*levels, OTHER_LEVEL])
        return codes, states

    def _check_include_features(self, frame):
        columns = [] if self.include_features is None else list(self.include_features)
        for column in columns:
            if column not in frame.columns:
                raise ValueError(
                    f"The 'include_features' parameter names column {column!r}, which is "
                    f"not in X. X has columns {list(frame.columns)}."
                )
        if len(set(columns)) != len(columns):
            raise ValueError(
                f"The 'include_features' parameter names some columns twice: {columns}."
            )
        return columns

    def _frequent_levels(self, strings, counts):
        threshold = self.min_frequency
        if isinstance(threshold, float):
            threshold = threshold * counts.sum()
        return [
            level
            for level, count in zip(strings.tolist(), counts)
            if count >= threshold and level != OTHER_LEVEL
        ]

    def _feature_codes(self, X):
        if not self.feature_nodes_:
            return []
        frame = self._check_input(X)
        codes = []
        for column in self._feature_columns:
            cell_codes, strings = distinct_cells(frame[column])
            codes.append(level_codes(cell_codes, strings, self.feature_levels_[column]))
        return codes

    def _evidence(self, X):
        outputs, present = self._modality_predictions(X)
        return np.column_stack(self._modality_codes(outputs, present) + self._feature_codes(X))

    def _posterior(self, X):
        check_is_fitted(self, "network_")
        return self._tables.posterior(self._evidence(X))

    def _influence(self, nodes):
        target_entropy = entropy(self._tables.marginal(1).sum(axis=1))
        rows = []
        for i, node in enumerate(nodes[1:], start=1):
            information = mutual_information(self._tables.marginal(i))
            rows.append(
                {
                    "node": node,
                    "kind": "modality" if node in self.modality_names_ else "feature",
                    "n_states": len(self.node_states_[node]),
                    "mutual_information": information,
                    "share_of_target_entropy": (
                        information / target_entropy if target_entropy > 0 else 0.0
                    ),
                }
            )
        table = pd.DataFrame(rows).set_index("node")
        return table.sort_values("mutual_information", ascending=False, kind="stable")

    def plot_network(self, ax=None):
        """Draw the fitted network, the target on top and arrows from parent to child.

        The nodes sit on a circle, so that no arrow crosses a node. The target is
        orange, modality nodes blue and ``include_features`` nodes green. Needs
        matplotlib (``pip install "mmsk[plot]"``).

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            Where to draw; None draws on a new figure.

        Returns
        -------
        ax : matplotlib.axes.Axes
            The axes holding the drawing.
        """
        check_is_fitted(self, "network_")
        title = f"{type(self).__name__}(structure={self.structure!r})"
        return draw_network(
            list(self.node_states_), self.network_.edges(), self.feature_nodes_, title, ax
        )


class BayesianNetworkFusionClassifier(
    MultiTargetMixin, ClassifierMixin, ClassifierOutputsMixin, _BaseBayesianFusion
):
    """Bayesian-network fusion classifier: exact posterior given the modalities present.

    One classifier per modality, trained on the rows where that modality is present,
    gives out-of-fold class probabilities. Each modality's probabilities are
    discretised into the states of one node; the target, these nodes and optionally a
    few categorical columns form a discrete Bayesian network. ``predict_proba``
    returns the exact posterior ``P(target | nodes observed in the row)``: a missing
    modality gives no evidence and is summed out, so nothing is imputed.

    Needs pgmpy (``pip install "mmsk[bayes]"``).

    Parameters
    ----------
    modalities : "auto" or list of tuple, default="auto"
        The modality spec; see :class:`ModalityUnion`.
    estimators : "auto" or dict, default="auto"
        Classifier per modality name, each with ``predict_proba``; modalities not in the dict get
        the default for their kind: ``LogisticRegression(C=3.0, max_iter=1000)`` for text, a
        standardised ``LogisticRegression(C=0.05)`` for image and
        ``HistGradientBoostingClassifier`` for tabular modalities (fed category codes, see
        ``TabularEncoder(encoding="native")``, with early stopping from 5,000 rows). With
        ``cv="prefit"``, fitted models that take the modality's raw columns, fitted on labels of
        ``y`` (see ``cv``). A classifier is required: a regressor (or a Pipeline ending in one) is
        refused.
    structure : {"naive", "tan", "hillclimb"}, default="tan"
        How the nodes are linked; the target is always a root.

        - ``"naive"``: the target is the only parent of every node (naive Bayes).
        - ``"tan"``: tree-augmented naive Bayes: ``"naive"`` plus a maximum spanning
          tree of the conditional mutual information given the target (Chow-Liu),
          directed away from the node most informative of the target.
        - ``"hillclimb"``: pgmpy's hill-climbing search under the ``scoring`` score,
          at most 3 parents per node, an edge from the target to every modality node
          required and every edge into the target forbidden.
    scoring : {"bic", "bdeu", "k2"}, default="bic"
        Structure score of ``structure="hillclimb"``: pgmpy's discrete ``BIC``,
        ``BDeu`` (with ``equivalent_sample_size``) or ``K2``.
    n_bins : int, default=5
        Number of quantile bins of a modality's predicted probabilities. Two classes:
        bins of the probability of ``classes_[1]``. More classes: the predicted class
        crossed with bins of its probability, so up to ``n_classes * n_bins`` states.
        Thresholds are quantiles of the out-of-fold predictions (ties merge bins);
        predictions beyond the training range fall into the outer bins.
    include_features : list of column labels or None, default=None
        Input columns that become nodes of their own, for example a key categorical
        column. Their cells are cast to strings; levels seen fewer than
        ``min_frequency`` times, and levels unseen in training, share the state
        ``"(other)"``; a missing cell gives no evidence.
    min_frequency : int or float, default=10
        Least count (int), or share of the rows where the column is set (float in
        (0, 1)), for a level of an ``include_features`` column to keep its own state.
    equivalent_sample_size : float, default=10.0
        Equivalent sample size of the BDeu prior of every probability table (and of
        the ``"bdeu"`` score): each cell of a table with ``r`` states and ``q`` parent
        configurations gets ``equivalent_sample_size / (r * q)`` pseudo-counts, so
        every state keeps a non-zero probability.
    cv : int, cross-validation generator, iterable or "prefit", default=5
        Splits for the out-of-fold predictions the network learns from. An int or a
        splitter splits the rows where each modality is present (an int gives
        ``StratifiedKFold`` for a classifier, ``KFold`` otherwise); a group splitter
        (``GroupKFold``, ``LeaveOneGroupOut`` ...) needs ``groups`` in ``fit``. An
        iterable of ``(train, test)`` row indices of ``X`` (a generator is read once,
        for every modality) is restricted to each modality's rows. The test parts must
        hold every row exactly once, as in
        :func:`~sklearn.model_selection.cross_val_predict`: ``ShuffleSplit``,
        ``TimeSeriesSplit`` and a ``PredefinedSplit`` with ``-1`` entries are refused. A
        class missing from the training part of a fold gets probability 0 from that
        fold's model, with a warning naming the modality and the class. ``"prefit"``
        takes the fitted models of ``estimators`` as they are and learns the network
        from their predictions on the training rows. Their ``classes_`` are matched with
        the classes of ``y`` by value: a class of ``y`` a prefit model never saw gets
        probability 0 from it (and none of its votes); a prefit model that knows a label
        absent from ``y`` is an error.
    memory : str, joblib.Memory or None, default=None
        Cache of the per-modality fits and out-of-fold predictions (a directory path
        or a ``joblib.Memory``). Candidates of a grid search that differ only in the
        network (``structure``, ``scoring``, ``n_bins``, ...) then compute them once.
    n_jobs : int or None, default=None
        Number of modalities fitted in parallel.
    random_state : int, RandomState instance or None, default=None
        Seed of the default tabular estimator.
    verbose : bool, default=False
        Print how columns were assigned to modalities.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels; their strings are the states of the ``"target"`` node.
    network_ : pgmpy.models.DiscreteBayesianNetwork
        The fitted network with its conditional probability tables.
    cpds_ : dict of str to pgmpy.factors.discrete.TabularCPD
        Each node's conditional probability table (``print`` shows it).
    node_states_ : dict of str to list of str
        The states of each node: ``"target"``, then one node per modality (named after
        the modality), then one per ``include_features`` column (named after it).
    bin_edges_ : dict of str to ndarray or list of ndarray
        Each modality's thresholds: of the probability of ``classes_[1]`` for two
        classes; otherwise a list with the thresholds of the top probability for each
        predicted class.
    modality_influence_ : pandas.DataFrame of shape (n_nodes - 1, 4)
        One row per node but the target, from the most to the least influential:
        ``mutual_information`` with the target under the fitted network, in nats (it
        equals the expected Kullback-Leibler shift of the target's distribution when
        the node is observed), the same as ``share_of_target_entropy``, the node's
        ``kind`` (``"modality"`` or ``"feature"``) and ``n_states``.
    feature_nodes_ : list of str
        The nodes of the ``include_features`` columns.
    feature_levels_ : dict
        The levels of each ``include_features`` column that have a state of their own.
    estimators_ : list of estimators
        The fitted per-modality models, in the order of ``modality_names_``.
    named_estimators_ : Bunch
        The same, by modality name.
    modality_names_ : list of str
        The fitted modalities.
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
    BayesianNetworkFusionRegressor : The same for continuous targets.
    LateFusionClassifier : Combines the modalities' probabilities by fixed rules or
        stacking.

    Notes
    -----
    Each modality's estimator is trained on the rows where the modality is present;
    its out-of-fold predictions there are the training data of the modality's node, so
    the network learns how far to trust each modality from predictions made without
    seeing the labels. pgmpy's ``DiscreteBayesianEstimator`` learns each probability
    table (BDeu prior, every state declared) from the rows where the node and its
    parents are all observed. ``structure="tan"`` estimates each conditional mutual
    information from the rows where both nodes are observed; ``structure="hillclimb"``
    scores structures on the complete rows only, because scores of families counted on
    different rows cannot be compared (with fewer than two complete rows it keeps the
    ``"naive"`` structure).

    A modality missing in a row gives no evidence: its node is summed out. The
    posterior is exact; it is computed once per distinct pattern of node states among
    the rows, by variable elimination over the probability tables, and looked up for
    every row. Few patterns exist, since every node has few states.

    An ``include_features`` column also stays in its modality. With
    ``structure="naive"`` its information then counts twice; ``"tan"`` and
    ``"hillclimb"`` can link its node to the modality's node and discount it.

    ``sample_weight`` weights the modality estimators, the probability tables and the
    ``"tan"`` structure; the bin thresholds are unweighted quantiles.
    ``structure="hillclimb"`` refuses it: pgmpy's structure scores count rows without
    weights.

    Examples
    --------
    >>> from mmsk import BayesianNetworkFusionClassifier
    >>> from mmsk.datasets import make_multimodal_classification
    >>> X, y = make_multimodal_classification(n_samples=300, random_state=0)
    >>> model = BayesianNetworkFusionClassifier(cv=3, random_state=0).fit(X, y)
    >>> sorted(model.network_.edges())
    [('tabular', 'text'), ('target', 'tabular'), ('target', 'text')]
    >>> X_without_text = X.assign(text_0=None)
    >>> model.predict_proba(X_without_text[:2]).shape
    (2, 2)
    >>> model.modality_influence_.columns.tolist()
    ['kind', 'n_states', 'mutual_information', 'share_of_target_entropy']
    """

    _parameter_constraints = dict(_BAYESIAN_CONSTRAINTS)
    _prediction_method = "predict_proba"

    def __init__(
        self,
        modalities="auto",
        *,
        estimators="auto",
        structure="tan",
        scoring="bic",
        n_bins=5,
        include_features=None,
        min_frequency=10,
        equivalent_sample_size=10.0,
        cv=5,
        memory=None,
        n_jobs=None,
        random_state=None,
        verbose=False,
    ):
        self.modalities = modalities
        self.estimators = estimators
        self.structure = structure
        self.scoring = scoring
        self.n_bins = n_bins
        self.include_features = include_features
        self.min_frequency = min_frequency
        self.equivalent_sample_size = equivalent_sample_size
        self.cv = cv
        self.memory = memory
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, groups=None):
        """Fit one classifier per modality, then the network on their predictions.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Class labels (strings or numbers); a 2-D ``y`` fits one model per target
            (``classes_`` is then a list, ``predict`` gives one column per target).
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights, passed to every modality's estimator and to the network.
        groups : array-like of shape (n_samples,) or None, default=None
            Group labels of the rows, passed to a group splitter given as ``cv``
            (``GroupKFold``, ``StratifiedGroupKFold``, ``LeaveOneGroupOut``), each
            modality's splitter getting the labels of the rows where it is present.
            Ignored by other splitters and by ``cv="prefit"``. Under scikit-learn's
            metadata routing, a meta-estimator passes it once requested with
            ``set_fit_request(groups=True)``.

        Returns
        -------
        self : BayesianNetworkFusionClassifier
            The fitted classifier.
        """
        if is_multi_target(y):
            return self._fit_targets(X, y, sample_weight, groups=groups)
        self._single_target()
        frame = self._check_fit_input(X)
        y_encoded = encode_classes(self, y, len(frame), X=frame)
        weights = check_sample_weight(sample_weight, len(y_encoded), X=frame)
        self._check_structure_supports_weights(weights)
        self._check_probabilities_available()
        pgmpy = import_pgmpy()
        outputs, present = self._fit_modalities(frame, y_encoded, weights, groups)
        target_states = unique_strings(self.classes_, "class")
        self._build_network(pgmpy, frame, y_encoded, target_states, outputs, present, weights)
        return self

    @per_target
    def predict(self, X):
        """Predict class labels: the most probable class under the posterior.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        probabilities = self.predict_proba(X)
        return self.classes_[np.argmax(probabilities, axis=1)]

    @per_target
    def predict_proba(self, X):
        """Posterior class probabilities given the modalities present in each row.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        return self._posterior(X)

    def _check_probabilities_available(self):
        self._check_estimators_have_proba("the network learns from predicted probabilities")


class BayesianNetworkFusionRegressor(
    MultiTargetMixin, RegressorMixin, RegressorOutputsMixin, _BaseBayesianFusion
):
    """Bayesian-network fusion regressor, predicting through a discretised target.

    One regressor per modality, trained on the rows where that modality is present,
    gives out-of-fold predictions, discretised into the states of one node per
    modality. The target, cut into ``target_bins`` quantile bins, is the network's
    root. ``predict`` returns the posterior mean: the bins' posterior probabilities
    given the modalities present in the row, times the mean training target of each
    bin. A missing modality gives no evidence and is summed out.

    Needs pgmpy (``pip install "mmsk[bayes]"``).

    Parameters
    ----------
    modalities : "auto" or list of tuple, default="auto"
        The modality spec; see :class:`ModalityUnion`.
    estimators : "auto" or dict, default="auto"
        Regressor per modality name; modalities not in the dict get ``Ridge(alpha=1.0)`` for text,
        a standardised ``RidgeCV`` for image and ``HistGradientBoostingRegressor`` for tabular
        modalities (fed category codes, see ``TabularEncoder(encoding="native")``, with early
        stopping from 5,000 rows). With ``cv="prefit"``, fitted models that take the modality's raw
        columns. A regressor is required: a classifier is refused.
    structure : {"naive", "tan", "hillclimb"}, default="tan"
        How the nodes are linked; the target is always a root.

        - ``"naive"``: the target is the only parent of every node (naive Bayes).
        - ``"tan"``: tree-augmented naive Bayes: ``"naive"`` plus a maximum spanning
          tree of the conditional mutual information given the target (Chow-Liu),
          directed away from the node most informative of the target.
        - ``"hillclimb"``: pgmpy's hill-climbing search under the ``scoring`` score,
          at most 3 parents per node, an edge from the target to every modality node
          required and every edge into the target forbidden.
    scoring : {"bic", "bdeu", "k2"}, default="bic"
        Structure score of ``structure="hillclimb"``: pgmpy's discrete ``BIC``,
        ``BDeu`` (with ``equivalent_sample_size``) or ``K2``.
    n_bins : int, default=5
        Number of quantile bins of each modality's out-of-fold predictions (ties merge
        bins); predictions beyond the training range fall into the outer bins.
    target_bins : int, default=10
        Number of quantile bins of the target (ties merge bins). More bins resolve the
        target more finely but leave fewer rows to learn each bin's tables from.
    include_features : list of column labels or None, default=None
        Input columns that become nodes of their own, for example a key categorical
        column. Their cells are cast to strings; levels seen fewer than
        ``min_frequency`` times, and levels unseen in training, share the state
        ``"(other)"``; a missing cell gives no evidence.
    min_frequency : int or float, default=10
        Least count (int), or share of the rows where the column is set (float in
        (0, 1)), for a level of an ``include_features`` column to keep its own state.
    equivalent_sample_size : float, default=10.0
        Equivalent sample size of the BDeu prior of every probability table (and of
        the ``"bdeu"`` score): each cell of a table with ``r`` states and ``q`` parent
        configurations gets ``equivalent_sample_size / (r * q)`` pseudo-counts, so
        every state keeps a non-zero probability.
    cv : int, cross-validation generator, iterable or "prefit", default=5
        Splits for the out-of-fold predictions the network learns from. An int or a
        splitter splits the rows where each modality is present (an int gives
        ``StratifiedKFold`` for a classifier, ``KFold`` otherwise); a group splitter
        (``GroupKFold``, ``LeaveOneGroupOut`` ...) needs ``groups`` in ``fit``. An
        iterable of ``(train, test)`` row indices of ``X`` (a generator is read once,
        for every modality) is restricted to each modality's rows. The test parts must
        hold every row exactly once, as in
        :func:`~sklearn.model_selection.cross_val_predict`: ``ShuffleSplit``,
        ``TimeSeriesSplit`` and a ``PredefinedSplit`` with ``-1`` entries are refused.
        ``"prefit"`` takes the fitted models of ``estimators`` as they are and learns
        the network from their predictions on the training rows.
    memory : str, joblib.Memory or None, default=None
        Cache of the per-modality fits and out-of-fold predictions (a directory path
        or a ``joblib.Memory``). Candidates of a grid search that differ only in the
        network (``structure``, ``scoring``, ``n_bins``, ...) then compute them once.
    n_jobs : int or None, default=None
        Number of modalities fitted in parallel.
    random_state : int, RandomState instance or None, default=None
        Seed of the default tabular estimator.
    verbose : bool, default=False
        Print how columns were assigned to modalities.

    Attributes
    ----------
    target_bin_edges_ : ndarray of shape (n_target_states - 1,)
        Thresholds between the target's bins.
    target_bin_values_ : ndarray of shape (n_target_states,)
        The (sample-weighted) mean training target of each bin.
    network_ : pgmpy.models.DiscreteBayesianNetwork
        The fitted network with its conditional probability tables.
    cpds_ : dict of str to pgmpy.factors.discrete.TabularCPD
        Each node's conditional probability table (``print`` shows it).
    node_states_ : dict of str to list of str
        The states of each node: ``"target"`` (its bins), then one node per modality
        (named after the modality), then one per ``include_features`` column.
    bin_edges_ : dict of str to ndarray
        Thresholds between the bins of each modality's predictions.
    modality_influence_ : pandas.DataFrame of shape (n_nodes - 1, 4)
        One row per node but the target, from the most to the least influential:
        ``mutual_information`` with the target's bins under the fitted network, in
        nats (the expected Kullback-Leibler shift of the target's distribution when
        the node is observed), the same as ``share_of_target_entropy``, the node's
        ``kind`` (``"modality"`` or ``"feature"``) and ``n_states``.
    feature_nodes_ : list of str
        The nodes of the ``include_features`` columns.
    feature_levels_ : dict
        The levels of each ``include_features`` column that have a state of their own.
    estimators_ : list of estimators
        The fitted per-modality models, in the order of ``modality_names_``.
    named_estimators_ : Bunch
        The same, by modality name.
    modality_names_ : list of str
        The fitted modalities.
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
    BayesianNetworkFusionClassifier : The same for class labels.
    LateFusionRegressor : Combines the modalities' predictions by weights or stacking.

    Notes
    -----
    The network is learned as in :class:`BayesianNetworkFusionClassifier`, with the
    target's bins in place of the classes. The posterior mean treats the modalities
    as saying nothing more about the target within one of its bins, so predictions
    stay within the range of the bins' means and resolve the target no finer than its
    bins. Prefer :class:`LateFusionRegressor` when every modality is always present;
    this regressor earns its place when modalities go missing, or when the posterior
    over the target's bins is of interest.

    ``sample_weight`` weights the modality estimators, the probability tables, the
    ``"tan"`` structure and the bins' means; the bin thresholds are unweighted
    quantiles. ``structure="hillclimb"`` refuses it.

    Examples
    --------
    >>> from mmsk import BayesianNetworkFusionRegressor
    >>> from mmsk.datasets import make_multimodal_regression
    >>> X, y = make_multimodal_regression(n_samples=300, random_state=0)
    >>> model = BayesianNetworkFusionRegressor(cv=3, random_state=0).fit(X, y)
    >>> model.predict(X[:3]).shape
    (3,)
    >>> len(model.node_states_["target"])
    10
    """

    _parameter_constraints = {
        **_BAYESIAN_CONSTRAINTS,
        "target_bins": [Interval(Integral, 2, None, closed="left")],
    }
    _prediction_method = "predict"

    def __init__(
        self,
        modalities="auto",
        *,
        estimators="auto",
        structure="tan",
        scoring="bic",
        n_bins=5,
        target_bins=10,
        include_features=None,
        min_frequency=10,
        equivalent_sample_size=10.0,
        cv=5,
        memory=None,
        n_jobs=None,
        random_state=None,
        verbose=False,
    ):
        self.modalities = modalities
        self.estimators = estimators
        self.structure = structure
        self.scoring = scoring
        self.n_bins = n_bins
        self.target_bins = target_bins
        self.include_features = include_features
        self.min_frequency = min_frequency
        self.equivalent_sample_size = equivalent_sample_size
        self.cv = cv
        self.memory = memory
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, groups=None):
        """Fit one regressor per modality, then the network on their predictions.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            The continuous target; a 2-D ``y`` fits one model per target
            (``predict`` then gives one column per target).
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights, passed to every modality's estimator and to the network.
        groups : array-like of shape (n_samples,) or None, default=None
            Group labels of the rows, passed to a group splitter given as ``cv``
            (``GroupKFold``, ``StratifiedGroupKFold``, ``LeaveOneGroupOut``), each
            modality's splitter getting the labels of the rows where it is present.
            Ignored by other splitters and by ``cv="prefit"``. Under scikit-learn's
            metadata routing, a meta-estimator passes it once requested with
            ``set_fit_request(groups=True)``.

        Returns
        -------
        self : BayesianNetworkFusionRegressor
            The fitted regressor.
        """
        if is_multi_target(y):
            return self._fit_targets(X, y, sample_weight, groups=groups)
        self._single_target()
        frame = self._check_fit_input(X)
        y = check_target(self, y, len(frame), classification=False, X=frame)
        weights = check_sample_weight(sample_weight, len(y), X=frame)
        self._check_structure_supports_weights(weights)
        pgmpy = import_pgmpy()
        outputs, present = self._fit_modalities(frame, y, weights, groups)
        target_codes = self._fit_target_bins(y, weights)
        target_states = [f"bin{j}" for j in range(len(self.target_bin_values_))]
        self._build_network(pgmpy, frame, target_codes, target_states, outputs, present, weights)
        return self

    @per_target
    def predict(self, X):
        """Predict the target: its posterior mean given the modalities present.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self._posterior(X) @ self.target_bin_values_

    def _fit_target_bins(self, y, weights):
        self.target_bin_edges_, self.target_bin_values_, codes = fit_target_bins(
            y, self.target_bins, weights
        )
        return codes
