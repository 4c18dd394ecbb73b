"""Markov-random-field fusion: per-modality predictions as nodes of an undirected model.

Each modality's estimator gives out-of-fold predictions (the per-modality machinery
shared with late and Bayesian-network fusion). An undirected model couples them with
the target: a sparse Gaussian field over real-valued scores (``kind="gaussian"``) or a
pairwise discrete field over binned predictions (``kind="discrete"``). Prediction is
P(target | the modalities present), a missing modality marginalised exactly.
"""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy.special import softmax
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from sklearn_compat.base import _fit_context

from .._utils import import_optional
from .._validation import check_sample_weight, check_target
from ._binning import ModalityBinsMixin, fit_target_bins, unique_strings
from ._common import encode_classes
from ._mrf_model import (
    MAX_EXACT_STATES,
    DiscreteField,
    GaussianField,
    JointGaussianField,
    complete_edges,
    partial_correlations,
    star_edges,
)
from ._multitask import MultiTargetMixin, is_multi_target, per_target
from ._per_modality import (
    PER_MODALITY_CONSTRAINTS,
    BasePerModality,
    ClassifierOutputsMixin,
    RegressorOutputsMixin,
)

TARGET_NODE = "target"
_EPSILON = 1e-6
#: Partial correlations smaller than this (in absolute value) count as no edge.
EDGE_THRESHOLD = 1e-4
#: Most per-modality scores (modalities x (classes - 1)) of a Gaussian classifier field.
MAX_GAUSSIAN_SCORES = 64

_MRF_CONSTRAINTS = {
    **PER_MODALITY_CONSTRAINTS,
    "kind": [StrOptions({"gaussian", "discrete"})],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "structure": [StrOptions({"star", "complete"})],
    "n_bins": [Interval(Integral, 2, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
}


class _BaseMarkovFusion(ModalityBinsMixin, BasePerModality):
    """The field shared by the MRF classifier and regressor."""

    def __getstate__(self):
        # The partial-correlation tables are stored as names and arrays, which the
        # skops format can hold, and rebuilt as DataFrames on load.
        state = dict(super().__getstate__())
        tables = state.pop("partial_correlations_", None)
        if isinstance(tables, pd.DataFrame):
            state["_partial_correlations"] = _table_state(tables)
        elif tables is not None:
            state["_partial_correlations_by_class"] = [
                [label, _table_state(table)] for label, table in tables.items()
            ]
        return state

    def __setstate__(self, state):
        state = dict(state)
        if "_partial_correlations" in state:
            state["partial_correlations_"] = _table(state.pop("_partial_correlations"))
        elif "_partial_correlations_by_class" in state:
            pairs = state.pop("_partial_correlations_by_class")
            state["partial_correlations_"] = {label: _table(table) for label, table in pairs}
        super().__setstate__(state)

    def _needs_out_of_fold(self):
        return True

    def _discrete_edges(self, n_nodes):
        return star_edges(n_nodes) if self.structure == "star" else complete_edges(n_nodes)

    def _fit_discrete(self, target_codes, target_states, outputs, present, weights):
        modality_codes, modality_states = self._fit_modality_nodes(outputs, present)
        states = [target_states, *modality_states]
        field = DiscreteField(
            [len(s) for s in states],
            self._discrete_edges(len(states)),
            self.alpha,
            self.max_iter,
        )
        if not field.exact and self.structure == "complete":
            raise ValueError(
                f"structure='complete' would need {field.n_states:,} joint states, more "
                f"than the {MAX_EXACT_STATES:,} that exact likelihood and inference "
                f"handle. Lower n_bins (now {self.n_bins}) or use structure='star', "
                "which is fitted by pseudo-likelihood and solved leaf by leaf."
            )
        codes = np.column_stack([target_codes, *modality_codes])
        self.field_ = field.fit(codes, weights)
        self.n_iter_ = field.n_iter_
        self.fit_method_ = field.method_
        self.node_states_ = dict(zip([TARGET_NODE, *self.modality_names_], states))
        nodes = list(self.node_states_)
        self.edges_ = [(nodes[i], nodes[j]) for i, j in field.edges]

    def _discrete_posterior(self, X):
        outputs, present = self._modality_predictions(X)
        codes = np.column_stack(
            [np.full(len(present), -1), *self._modality_codes(outputs, present)]
        )
        return self.field_.posterior(codes)

    def plot_network(self, ax=None):
        """Draw the fitted field: the target on top, an edge per coupling.

        For ``kind="gaussian"`` an edge joins two nodes with a non-zero partial
        correlation (the width grows with its size; blue positive, red negative), and
        in a classifier the target joins every modality (the class-conditional
        fields). For ``kind="discrete"`` the edges are the structure's. Needs
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
        check_is_fitted(self, "edges_")
        plt = import_optional("matplotlib.pyplot", purpose="plot_network")
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 5))
        nodes = [TARGET_NODE, *self.modality_names_]
        angles = np.pi / 2 + 2 * np.pi * np.arange(len(nodes)) / len(nodes)
        position = {node: (np.cos(a), np.sin(a)) for node, a in zip(nodes, angles)}
        for (a, b), strength in zip(self.edges_, self._edge_strengths()):
            (x0, y0), (x1, y1) = position[a], position[b]
            colour = "#4477aa" if strength >= 0 else "#cc3311"
            ax.plot([x0, x1], [y0, y1], color=colour, linewidth=1 + 6 * min(abs(strength), 1))
        for node, (x, y) in position.items():
            colour = "#f4a261" if node == TARGET_NODE else "#8ecae6"
            ax.scatter([x], [y], s=2000, color=colour, zorder=3)
            ax.annotate(node, (x, y), ha="center", va="center", fontsize=9, zorder=4)
        ax.set_title(f"{type(self).__name__}(kind={self.kind!r})")
        ax.set_xlim(-1.35, 1.35)
        ax.set_ylim(-1.35, 1.35)
        ax.set_axis_off()
        return ax

    def _edge_strengths(self):
        if self.kind == "discrete":
            return [1.0] * len(self.edges_)
        return [self._coupling(a, b) for a, b in self.edges_]


def _table_state(table):
    return {"names": [str(name) for name in table.columns], "values": table.to_numpy()}


def _table(state):
    return pd.DataFrame(state["values"], index=state["names"], columns=state["names"])


def _gaussian_edges(partial, names):
    """Pairs of named variables whose partial correlation is not zero."""
    return [
        (names[i], names[j])
        for i in range(len(names))
        for j in range(i + 1, len(names))
        if abs(partial[i, j]) > EDGE_THRESHOLD
    ]


class MarkovRandomFieldFusionClassifier(
    MultiTargetMixin, ClassifierMixin, ClassifierOutputsMixin, _BaseMarkovFusion
):
    """Markov-random-field fusion classifier: an undirected model of the modalities.

    One classifier per modality, trained on the rows where that modality is present,
    gives out-of-fold class probabilities. An undirected model couples them with the
    target, and the prediction is the exact posterior of the class given the
    modalities present in a row: a missing modality is marginalised out.

    Parameters
    ----------
    modalities : "auto" or list of tuple, default="auto"
        The modality spec; see :class:`ModalityUnion`.
    estimators : "auto" or dict, default="auto"
        Classifier per modality name (it needs ``predict_proba``); modalities not in the dict get
        ``LogisticRegression(C=3.0, max_iter=1000)`` for text, a standardised
        ``LogisticRegression(C=0.05)`` for image and ``HistGradientBoostingClassifier`` for tabular
        modalities (fed category codes, see ``TabularEncoder(encoding="native")``, with early
        stopping from 5,000 rows).
    kind : {"gaussian", "discrete"}, default="gaussian"
        - ``"gaussian"``: each modality's probabilities become log-odds scores
          (``log p_k / p_0`` for ``k >= 1``); for each class a sparse Gaussian
          graphical model (the graphical lasso, penalty ``alpha``) over the scores of
          all modalities gives ``p(scores | class)``, and Bayes' rule the posterior.
          A missing modality's scores are dropped from the Gaussian, which
          marginalises them exactly.
        - ``"discrete"``: each modality's probabilities are binned into the states of
          a node (as in Bayesian-network fusion); a pairwise log-linear model over the
          target and the modality nodes is fitted by maximum likelihood (exact when
          the joint state space has at most 262,144 states, pseudo-likelihood on
          complete rows otherwise) with an L2 penalty ``alpha``.
    alpha : float, default=0.01
        Regularisation: the graphical lasso's L1 penalty on the correlation scale
        (``"gaussian"``; larger gives a sparser field), or the L2 penalty on every
        potential per unit of training weight (``"discrete"``).
    structure : {"complete", "star"}, default="complete"
        Edges of the discrete field: ``"complete"`` couples every pair of nodes (the
        modalities with each other too); ``"star"`` couples each modality with the
        target only. The Gaussian field learns its own sparsity and ignores it.
    n_bins : int, default=5
        Bins of each modality's predicted probability (per predicted class when
        there are more than two classes), for ``kind="discrete"``.
    max_iter : int, default=200
        Iterations of the graphical lasso or of the likelihood's L-BFGS.
    cv : int, cross-validation generator, iterable or "prefit", default=5
        Splits for the out-of-fold predictions the field learns from. An int or a
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
        takes the fitted models of ``estimators`` as they are. Their ``classes_`` are
        matched with the classes of ``y`` by value: a class of ``y`` a prefit model
        never saw gets probability 0 from it (and none of its votes); a prefit model
        that knows a label absent from ``y`` is an error.
    memory : str, joblib.Memory or None, default=None
        Cache of the per-modality fits and out-of-fold predictions, shared by grid
        search candidates that differ only in the field (``kind``, ``alpha``, ...).
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
    class_prior_ : ndarray of shape (n_classes,)
        Training class frequencies (sample-weighted).
    field_ : GaussianField or DiscreteField
        The fitted field.
    partial_correlations_ : dict of label to pandas.DataFrame
        For ``kind="gaussian"``: for each class, the partial correlation of every
        pair of modality scores given all the others (zero where the graphical lasso
        found them conditionally independent).
    score_names_ : list of str
        For ``kind="gaussian"``: the scores, one per modality (two classes) or
        ``"{modality}:{class}"`` (more classes).
    edges_ : list of tuple of str
        The coupled pairs of nodes (``"target"`` and the modality names).
    node_states_ : dict of str to list of str
        For ``kind="discrete"``: the states of each node.
    bin_edges_ : dict
        For ``kind="discrete"``: each modality's bin thresholds.
    fit_method_ : str
        For ``kind="discrete"``: ``"exact"`` or ``"pseudo-likelihood"``.
    n_iter_ : int
        Iterations of the graphical lasso (the most over the classes' fields) or of
        L-BFGS.
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
    MarkovRandomFieldFusionRegressor : The same for continuous targets.
    BayesianNetworkFusionClassifier : A directed network over binned predictions.
    LateFusionClassifier : Fixed rules or stacking over the same predictions.

    Notes
    -----
    The Gaussian field's per-class covariance is estimated on the training rows
    where every modality is present (means use every row where a score is present)
    and shrunk towards the pooled within-class covariance with the weight of
    ``d + 1`` rows, ``d`` the number of scores. The discrete field's exact
    likelihood sums out the nodes of modalities missing in a training row;
    pseudo-likelihood uses complete rows only.

    Examples
    --------
    >>> from mmsk import MarkovRandomFieldFusionClassifier
    >>> from mmsk.datasets import make_multimodal_classification
    >>> X, y = make_multimodal_classification(n_samples=300, random_state=0)
    >>> model = MarkovRandomFieldFusionClassifier(cv=3).fit(X, y)
    >>> model.predict_proba(X[:2]).shape
    (2, 2)
    >>> sorted(model.partial_correlations_[0].columns)
    ['tabular', 'text']
    """

    _parameter_constraints = dict(_MRF_CONSTRAINTS)

    def __init__(
        self,
        modalities="auto",
        *,
        estimators="auto",
        kind="gaussian",
        alpha=0.01,
        structure="complete",
        n_bins=5,
        max_iter=200,
        cv=5,
        memory=None,
        n_jobs=None,
        random_state=None,
        verbose=False,
    ):
        self.modalities = modalities
        self.estimators = estimators
        self.kind = kind
        self.alpha = alpha
        self.structure = structure
        self.n_bins = n_bins
        self.max_iter = max_iter
        self.cv = cv
        self.memory = memory
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, groups=None):
        """Fit one classifier per modality, then the field on their predictions.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Class labels (strings or numbers); a 2-D ``y`` fits one model per target
            (``classes_`` is then a list, ``predict`` gives one column per target).
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights, passed to every modality's estimator and to the field.
        groups : array-like of shape (n_samples,) or None, default=None
            Group labels of the rows, passed to a group splitter given as ``cv``
            (``GroupKFold``, ``StratifiedGroupKFold``, ``LeaveOneGroupOut``), each
            modality's splitter getting the labels of the rows where it is present.
            Ignored by other splitters and by ``cv="prefit"``. Under scikit-learn's
            metadata routing, a meta-estimator passes it once requested with
            ``set_fit_request(groups=True)``.

        Returns
        -------
        self : MarkovRandomFieldFusionClassifier
            The fitted classifier.
        """
        if is_multi_target(y):
            return self._fit_targets(X, y, sample_weight, groups=groups)
        self._single_target()
        frame = self._check_fit_input(X)
        y_encoded = encode_classes(self, y, len(frame), X=frame)
        weights = check_sample_weight(sample_weight, len(y_encoded), X=frame)
        self._check_estimators_have_proba("the field learns from predicted probabilities")
        self.class_prior_ = np.bincount(
            y_encoded, weights=weights, minlength=len(self.classes_)
        ) / (len(y_encoded) if weights is None else weights.sum())
        outputs, present = self._fit_modalities(frame, y_encoded, weights, groups)
        if self.kind == "gaussian":
            self._fit_gaussian(outputs, present, y_encoded, weights)
        else:
            target_states = unique_strings(self.classes_, "class")
            self._fit_discrete(y_encoded, target_states, outputs, present, weights)
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
        check_is_fitted(self, "field_")
        if self.kind == "discrete":
            return self._discrete_posterior(X)
        outputs, present = self._modality_predictions(X)
        scores, observed = self._scores(outputs, present)
        log_posterior = np.log(np.clip(self.class_prior_, 1e-300, None)) + (
            self.field_.log_likelihood(scores, observed)
        )
        return softmax(log_posterior, axis=1)

    def _scores(self, outputs, present):
        """Log-odds of every class against the first, per modality; NaN where missing."""
        log_p = np.log(np.clip(np.nan_to_num(outputs, nan=0.5), _EPSILON, None))
        ratios = log_p[:, :, 1:] - log_p[:, :, :1]
        scores = ratios.reshape(len(outputs), -1)
        observed = np.repeat(present, len(self.classes_) - 1, axis=1)
        return np.where(observed, scores, np.nan), observed

    def _fit_gaussian(self, outputs, present, y, weights):
        n_scores = len(self.modality_names_) * (len(self.classes_) - 1)
        if n_scores > MAX_GAUSSIAN_SCORES:
            raise ValueError(
                f"kind='gaussian' would model {n_scores} scores "
                f"({len(self.modality_names_)} modalities x {len(self.classes_) - 1} class "
                f"log-odds), more than the {MAX_GAUSSIAN_SCORES} whose covariance can be "
                "estimated per class. Use kind='discrete', or group rare classes of y."
            )
        scores, observed = self._scores(outputs, present)
        self.field_ = GaussianField(self.alpha, self.max_iter).fit(
            scores, observed, y, len(self.classes_), weights
        )
        self.n_iter_ = self.field_.n_iter_
        if len(self.classes_) == 2:
            self.score_names_ = list(self.modality_names_)
        else:
            labels = unique_strings(self.classes_, "class")[1:]
            self.score_names_ = [f"{m}:{c}" for m in self.modality_names_ for c in labels]
        self.partial_correlations_ = {
            label: pd.DataFrame(
                partial_correlations(precision), index=self.score_names_, columns=self.score_names_
            )
            for label, precision in zip(self.classes_.tolist(), self.field_.precisions_)
        }
        coupled = {
            edge
            for table in self.partial_correlations_.values()
            for edge in _gaussian_edges(table.to_numpy(), self._score_modalities())
            if edge[0] != edge[1]
        }
        self.edges_ = [(TARGET_NODE, name) for name in self.modality_names_] + sorted(coupled)

    def _score_modalities(self):
        per_modality = max(len(self.classes_) - 1, 1)
        return [name for name in self.modality_names_ for _ in range(per_modality)]

    def _coupling(self, a, b):
        if TARGET_NODE in (a, b):
            return 1.0
        modalities = self._score_modalities()
        rows = [i for i, m in enumerate(modalities) if m == a]
        columns = [j for j, m in enumerate(modalities) if m == b]
        tables = [
            table.to_numpy()[np.ix_(rows, columns)]
            for table in self.partial_correlations_.values()
        ]
        return float(max((t.flat[np.argmax(np.abs(t))] for t in tables), key=abs))


class MarkovRandomFieldFusionRegressor(
    MultiTargetMixin, RegressorMixin, RegressorOutputsMixin, _BaseMarkovFusion
):
    """Markov-random-field fusion regressor: an undirected model of the modalities.

    One regressor per modality, trained on the rows where that modality is present,
    gives out-of-fold predictions. An undirected model couples them with the target;
    the prediction is the target's posterior mean given the modalities present.

    Parameters
    ----------
    modalities : "auto" or list of tuple, default="auto"
        The modality spec; see :class:`ModalityUnion`.
    estimators : "auto" or dict, default="auto"
        Regressor per modality name; modalities not in the dict get ``Ridge(alpha=1.0)`` for text,
        a standardised ``RidgeCV`` for image and ``HistGradientBoostingRegressor`` for tabular
        modalities (fed category codes, see ``TabularEncoder(encoding="native")``, with early
        stopping from 5,000 rows).
    kind : {"gaussian", "discrete"}, default="gaussian"
        - ``"gaussian"``: one sparse Gaussian graphical model (the graphical lasso,
          penalty ``alpha``) over the target and every modality's prediction; the
          prediction is the conditional mean of the target given the predictions
          present, in closed form (a missing modality's row and column dropped).
        - ``"discrete"``: the target cut into ``target_bins`` quantile bins and each
          modality's prediction into ``n_bins``; a pairwise log-linear model over
          them (see :class:`MarkovRandomFieldFusionClassifier`); the prediction is
          the posterior mean of the bins' mean targets.
    alpha : float, default=0.01
        Regularisation: the graphical lasso's L1 penalty on the correlation scale
        (``"gaussian"``), or the L2 penalty on every potential (``"discrete"``).
    structure : {"complete", "star"}, default="complete"
        Edges of the discrete field; see :class:`MarkovRandomFieldFusionClassifier`.
    n_bins : int, default=5
        Bins of each modality's prediction, for ``kind="discrete"``.
    target_bins : int, default=10
        Bins of the target, for ``kind="discrete"``.
    max_iter : int, default=200
        Iterations of the graphical lasso or of the likelihood's L-BFGS.
    cv : int, cross-validation generator, iterable or "prefit", default=5
        Splits for the out-of-fold predictions the field learns from. An int or a
        splitter splits the rows where each modality is present (an int gives
        ``StratifiedKFold`` for a classifier, ``KFold`` otherwise); a group splitter
        (``GroupKFold``, ``LeaveOneGroupOut`` ...) needs ``groups`` in ``fit``. An
        iterable of ``(train, test)`` row indices of ``X`` (a generator is read once,
        for every modality) is restricted to each modality's rows. The test parts must
        hold every row exactly once, as in
        :func:`~sklearn.model_selection.cross_val_predict`: ``ShuffleSplit``,
        ``TimeSeriesSplit`` and a ``PredefinedSplit`` with ``-1`` entries are refused.
        ``"prefit"`` takes the fitted models of ``estimators`` as they are.
    memory : str, joblib.Memory or None, default=None
        Cache of the per-modality fits and out-of-fold predictions.
    n_jobs : int or None, default=None
        Number of modalities fitted in parallel.
    random_state : int, RandomState instance or None, default=None
        Seed of the default tabular estimator.
    verbose : bool, default=False
        Print how columns were assigned to modalities.

    Attributes
    ----------
    field_ : JointGaussianField or DiscreteField
        The fitted field.
    partial_correlations_ : pandas.DataFrame
        For ``kind="gaussian"``: partial correlations of the target and the
        modalities' predictions, each pair given all the others.
    edges_ : list of tuple of str
        The coupled pairs of nodes.
    target_bin_edges_, target_bin_values_ : ndarray
        For ``kind="discrete"``: the target's bin thresholds and each bin's mean.
    node_states_ : dict of str to list of str
        For ``kind="discrete"``: the states of each node.
    bin_edges_ : dict
        For ``kind="discrete"``: each modality's bin thresholds.
    fit_method_ : str
        For ``kind="discrete"``: ``"exact"`` or ``"pseudo-likelihood"``.
    n_iter_ : int
        Iterations of the graphical lasso (the most over the classes' fields) or of
        L-BFGS.
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
    MarkovRandomFieldFusionClassifier : The same for class labels.
    BayesianNetworkFusionRegressor : A directed network over a binned target.

    Examples
    --------
    >>> from mmsk import MarkovRandomFieldFusionRegressor
    >>> from mmsk.datasets import make_multimodal_regression
    >>> X, y = make_multimodal_regression(n_samples=300, random_state=0)
    >>> model = MarkovRandomFieldFusionRegressor(cv=3).fit(X, y)
    >>> model.predict(X[:3]).shape
    (3,)
    >>> list(model.partial_correlations_.columns)
    ['target', 'tabular', 'text']
    """

    _parameter_constraints = {
        **_MRF_CONSTRAINTS,
        "target_bins": [Interval(Integral, 2, None, closed="left")],
    }

    def __init__(
        self,
        modalities="auto",
        *,
        estimators="auto",
        kind="gaussian",
        alpha=0.01,
        structure="complete",
        n_bins=5,
        target_bins=10,
        max_iter=200,
        cv=5,
        memory=None,
        n_jobs=None,
        random_state=None,
        verbose=False,
    ):
        self.modalities = modalities
        self.estimators = estimators
        self.kind = kind
        self.alpha = alpha
        self.structure = structure
        self.n_bins = n_bins
        self.target_bins = target_bins
        self.max_iter = max_iter
        self.cv = cv
        self.memory = memory
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, groups=None):
        """Fit one regressor per modality, then the field on their predictions.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            The continuous target; a 2-D ``y`` fits one model per target
            (``predict`` then gives one column per target).
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights, passed to every modality's estimator and to the field.
        groups : array-like of shape (n_samples,) or None, default=None
            Group labels of the rows, passed to a group splitter given as ``cv``
            (``GroupKFold``, ``StratifiedGroupKFold``, ``LeaveOneGroupOut``), each
            modality's splitter getting the labels of the rows where it is present.
            Ignored by other splitters and by ``cv="prefit"``. Under scikit-learn's
            metadata routing, a meta-estimator passes it once requested with
            ``set_fit_request(groups=True)``.

        Returns
        -------
        self : MarkovRandomFieldFusionRegressor
            The fitted regressor.
        """
        if is_multi_target(y):
            return self._fit_targets(X, y, sample_weight, groups=groups)
        self._single_target()
        frame = self._check_fit_input(X)
        y = check_target(self, y, len(frame), classification=False, X=frame)
        weights = check_sample_weight(sample_weight, len(y), X=frame)
        outputs, present = self._fit_modalities(frame, y, weights, groups)
        if self.kind == "gaussian":
            self._fit_gaussian(outputs, present, y, weights)
        else:
            self.target_bin_edges_, self.target_bin_values_, codes = fit_target_bins(
                y, self.target_bins, weights
            )
            states = [f"bin{j}" for j in range(len(self.target_bin_values_))]
            self._fit_discrete(codes, states, outputs, present, weights)
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
        check_is_fitted(self, "field_")
        if self.kind == "discrete":
            return self._discrete_posterior(X) @ self.target_bin_values_
        outputs, present = self._modality_predictions(X)
        values, observed = _joint_values(np.zeros(len(outputs)), outputs, present)
        return self.field_.predict(values, observed)

    def _fit_gaussian(self, outputs, present, y, weights):
        values, observed = _joint_values(y, outputs, present)
        self.field_ = JointGaussianField(self.alpha, self.max_iter).fit(values, observed, weights)
        self.n_iter_ = self.field_.n_iter_
        names = [TARGET_NODE, *self.modality_names_]
        partial = partial_correlations(self.field_.precision_)
        self.partial_correlations_ = pd.DataFrame(partial, index=names, columns=names)
        self.edges_ = _gaussian_edges(partial, names)

    def _coupling(self, a, b):
        return float(self.partial_correlations_.loc[a, b])


def _joint_values(y, outputs, present):
    values = np.column_stack([y, np.where(present, outputs, np.nan)])
    observed = np.column_stack([np.ones(len(y), dtype=bool), present])
    return values, observed
