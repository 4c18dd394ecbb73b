"""The discrete Bayesian network behind Bayesian-network fusion.

Binning of per-modality predictions into node states, structure learning (naive
Bayes, tree-augmented naive Bayes, pgmpy's hill climbing), parameter learning with a
BDeu prior, exact vectorised inference (:class:`PosteriorTables`) and drawing. The
estimators in ``_bayesian.py`` own the scikit-learn side; this module knows nothing
of modalities beyond node names.
"""

import logging
import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd

from .._base import presence_mask
from .._utils import import_optional

TARGET_NODE = "target"
MAX_HILLCLIMB_INDEGREE = 3
PGMPY_SCORES = {"bic": "BIC", "bdeu": "BDeu", "k2": "K2"}
# Evidence patterns are found with a dense table of all keys up to this many, else by sorting.
_DENSE_KEY_SPACE = 1 << 22


def import_pgmpy():
    """The pgmpy classes the network needs, imported quietly, or a clear ImportError."""
    purpose = "Bayesian-network fusion"
    models = import_optional("pgmpy.models", purpose=purpose, quiet=True)
    discovery = import_optional("pgmpy.causal_discovery", purpose=purpose, quiet=True)
    estimators = import_optional("pgmpy.parameter_estimator", purpose=purpose, quiet=True)
    return {
        "ExpertKnowledge": discovery.ExpertKnowledge,
        "HillClimbSearch": discovery.HillClimbSearch,
        "DiscreteBayesianNetwork": models.DiscreteBayesianNetwork,
        "DiscreteBayesianEstimator": estimators.DiscreteBayesianEstimator,
        "scores": import_optional("pgmpy.structure_score", purpose=purpose, quiet=True),
    }


@contextmanager
def quiet_pgmpy():
    """Keep pgmpy's log records and warnings from reaching the user."""
    logger = logging.getLogger("pgmpy")
    was_disabled = logger.disabled
    logger.disabled = True
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"pgmpy(\.|$)")
            yield
    finally:
        logger.disabled = was_disabled


def distinct_cells(cells):
    """Index of each cell among the column's distinct stripped strings; -1 where missing.

    Returns
    -------
    codes : ndarray of int of shape (n_samples,)
    strings : ndarray of str
        The distinct strings, sorted.
    """
    codes, uniques = pd.factorize(cells)
    if len(uniques) == 0:
        return np.full(len(cells), -1, dtype=np.int64), np.empty(0, dtype=object)
    set_uniques = presence_mask(uniques.to_frame())
    stripped = np.array([str(value).strip() for value in uniques], dtype=object)
    strings, string_of_unique = np.unique(stripped[set_uniques], return_inverse=True)
    lookup = np.full(len(uniques) + 1, -1, dtype=np.int64)
    lookup[:-1][set_uniques] = string_of_unique.reshape(-1)
    return lookup[codes], strings


def categorical_frame(codes, nodes, states):
    """The node states as a DataFrame of categoricals; code -1 becomes NaN."""
    return pd.DataFrame(
        {
            node: pd.Categorical.from_codes(codes[:, i], categories=states[node])
            for i, node in enumerate(nodes)
        }
    )


def joint_counts(columns, cardinalities, weights):
    """Weighted counts of the joint states of ``columns`` on rows where all are observed."""
    rows = np.all([column >= 0 for column in columns], axis=0)
    index = np.zeros(int(rows.sum()), dtype=np.int64)
    for column, cardinality in zip(columns, cardinalities):
        index = index * cardinality + column[rows]
    row_weights = None if weights is None else weights[rows]
    counts = np.bincount(index, weights=row_weights, minlength=int(np.prod(cardinalities)))
    return counts.reshape(cardinalities)


def mutual_information(joint):
    """Mutual information, in nats, between the first axis of ``joint`` and the others."""
    total = joint.sum()
    if total <= 0:
        return 0.0
    p = joint / total
    first = p.sum(axis=tuple(range(1, p.ndim)), keepdims=True)
    rest = p.sum(axis=0, keepdims=True)
    nonzero = p > 0
    independent = np.broadcast_to(first * rest, p.shape)[nonzero]
    return float(np.sum(p[nonzero] * np.log(p[nonzero] / independent)))


def conditional_mutual_information(joint):
    """I(A; B | T), in nats, for a table of counts with axes (T, A, B)."""
    total = joint.sum()
    if total <= 0:
        return 0.0
    p = joint / total
    p_t = p.sum(axis=(1, 2), keepdims=True)
    p_ta = p.sum(axis=2, keepdims=True)
    p_tb = p.sum(axis=1, keepdims=True)
    nonzero = p > 0
    numerator = (p * p_t)[nonzero]
    denominator = np.broadcast_to(p_ta * p_tb, p.shape)[nonzero]
    return float(np.sum(p[nonzero] * np.log(numerator / denominator)))


def entropy(probabilities):
    nonzero = probabilities[probabilities > 0]
    return float(-np.sum(nonzero * np.log(nonzero)))


def naive_edges(evidence_nodes):
    return [(TARGET_NODE, node) for node in evidence_nodes]


def tan_edges(nodes, codes, cardinalities, weights):
    """Tree-augmented naive Bayes edges.

    The target parents every node; a maximum spanning tree of the conditional mutual
    information given the target (Chow-Liu) links the other nodes, directed away from
    the node that tells most about the target.
    """
    import networkx as nx

    evidence = range(1, len(nodes))
    target = codes[:, 0]
    graph = nx.Graph()
    graph.add_nodes_from(evidence)
    for a in evidence:
        for b in range(a + 1, len(nodes)):
            joint = joint_counts(
                [target, codes[:, a], codes[:, b]],
                [cardinalities[0], cardinalities[a], cardinalities[b]],
                weights,
            )
            graph.add_edge(a, b, weight=conditional_mutual_information(joint))
    relevance = [
        mutual_information(
            joint_counts([target, codes[:, a]], [cardinalities[0], cardinalities[a]], weights)
        )
        for a in evidence
    ]
    root = 1 + int(np.argmax(relevance))
    tree = nx.maximum_spanning_tree(graph)
    tree_edges = [(nodes[u], nodes[v]) for u, v in nx.bfs_edges(tree, root)]
    return naive_edges(nodes[1:]) + tree_edges


def hillclimb_edges(pgmpy, nodes, states, codes, modality_nodes, scoring, sample_size):
    """Edges found by pgmpy's hill climbing on the complete rows.

    The target stays a root with an edge to every modality node.
    """
    complete = codes[np.all(codes >= 0, axis=1)]
    if len(complete) < 2:
        return naive_edges(nodes[1:])
    data = categorical_frame(complete, nodes, states)
    score_class = getattr(pgmpy["scores"], PGMPY_SCORES[scoring])
    if scoring == "bdeu":
        score = score_class(data, equivalent_sample_size=sample_size, state_names=states)
    else:
        score = score_class(data, state_names=states)
    expert = pgmpy["ExpertKnowledge"](
        forbidden_edges=[(node, TARGET_NODE) for node in nodes[1:]],
        required_edges=[(TARGET_NODE, node) for node in modality_nodes],
    )
    search = pgmpy["HillClimbSearch"](
        scoring_method=score,
        expert_knowledge=expert,
        max_indegree=MAX_HILLCLIMB_INDEGREE,
        return_type="dag",
        show_progress=False,
    )
    return list(search.fit(data).causal_graph_.edges())


MAX_TABLE_ENTRIES = 10**7


def fit_network(pgmpy, nodes, states, codes, edges, sample_size, weights):
    order = {node: i for i, node in enumerate(nodes)}
    network = pgmpy["DiscreteBayesianNetwork"](
        sorted(edges, key=lambda edge: (order[edge[0]], order[edge[1]]))
    )
    network.add_nodes_from(nodes)
    estimator = pgmpy["DiscreteBayesianEstimator"](
        prior_type="BDeu", equivalent_sample_size=sample_size, state_names=states
    )
    network.fit(
        categorical_frame(codes, nodes, states), estimator=estimator, sample_weight=weights
    )
    return network


def rebuild_network(nodes, edges, cpds):
    """The fitted network again, from its nodes, edges and probability tables."""
    pgmpy = import_pgmpy()
    with quiet_pgmpy():
        network = pgmpy["DiscreteBayesianNetwork"]()
        network.add_nodes_from(nodes)
        network.add_edges_from(edges)
        network.add_cpds(*(cpds[node] for node in nodes))
    return network


class PosteriorTables:
    """Exact P(target | evidence) of a discrete Bayesian network, vectorised over rows.

    Rows are reduced to their distinct evidence patterns, "no evidence" counting as one
    more state of a node. The patterns that observe the same nodes are solved together
    by one batched variable elimination (``numpy.einsum`` over the conditional
    probability tables, each indexed at the observed states); every row then looks up
    its pattern's posterior.

    Parameters
    ----------
    factors : list of tuple (ndarray, tuple of int)
        Each node's conditional probability table and the node indices of its axes.
    cardinalities : sequence of int
        Number of states of each node; node 0 is the target.
    """

    def __init__(self, factors, cardinalities):
        self.factors = factors
        self.cardinalities = tuple(cardinalities)

    @classmethod
    def from_network(cls, network, nodes, states):
        """Read the conditional probability tables of a fitted pgmpy network."""
        index = {node: i for i, node in enumerate(nodes)}
        factors = []
        for node in nodes:
            cpd = network.get_cpds(node)
            values = np.asarray(cpd.values, dtype=np.float64)
            for axis, variable in enumerate(cpd.variables):
                order = [cpd.state_names[variable].index(state) for state in states[variable]]
                values = np.take(values, order, axis=axis)
            factors.append((values, tuple(index[variable] for variable in cpd.variables)))
        return cls(factors, [len(states[node]) for node in nodes])

    def posterior(self, evidence):
        """P(target | evidence) for each row.

        Parameters
        ----------
        evidence : ndarray of int of shape (n_samples, n_nodes - 1)
            The state of every node but the target, -1 where it gives no evidence.

        Returns
        -------
        posterior : ndarray of shape (n_samples, n_target_states)
        """
        patterns, inverse = self._distinct_patterns(evidence)
        masks, mask_of_pattern = np.unique(patterns >= 0, axis=0, return_inverse=True)
        mask_of_pattern = mask_of_pattern.reshape(-1)
        table = np.empty((len(patterns), self.cardinalities[0]))
        for m, mask in enumerate(masks):
            rows = mask_of_pattern == m
            table[rows] = self._solve(np.flatnonzero(mask) + 1, patterns[rows][:, mask])
        return table[inverse]

    def marginal(self, node):
        """Joint distribution of the target and ``node``, of shape (n_target, n_node)."""
        operands = [item for values, axes in self.factors for item in (values, list(axes))]
        joint = np.einsum(*operands, [0, node], optimize="greedy")
        return joint / joint.sum()

    def _distinct_patterns(self, evidence):
        radices = np.asarray(self.cardinalities[1:], dtype=np.int64) + 1
        if np.prod(radices.astype(np.float64)) >= 2.0**62:
            patterns, inverse = np.unique(evidence, axis=0, return_inverse=True)
            return patterns, inverse.reshape(-1)
        multipliers = np.cumprod(np.concatenate([[1], radices[:-1]]))
        keys = (evidence.astype(np.int64) + 1) @ multipliers
        n_keys = int(np.prod(radices))
        if n_keys <= max(_DENSE_KEY_SPACE, 4 * len(keys)):
            seen = np.zeros(n_keys, dtype=bool)
            seen[keys] = True
            distinct = np.flatnonzero(seen)
            inverse = (np.cumsum(seen) - 1)[keys]
        else:
            distinct, inverse = np.unique(keys, return_inverse=True)
        patterns = (distinct[:, None] // multipliers) % radices - 1
        return patterns, inverse.reshape(-1)

    def _solve(self, observed_nodes, states):
        """Posterior of the target for patterns that all observe ``observed_nodes``."""
        batch = len(self.cardinalities)
        column = {node: j for j, node in enumerate(observed_nodes)}
        operands = []
        for values, axes in self.factors:
            fixed = [position for position, node in enumerate(axes) if node in column]
            if not fixed:
                operands += [values, list(axes)]
                continue
            free = [position for position in range(len(axes)) if position not in fixed]
            picked = values.transpose(fixed + free)[
                tuple(states[:, column[axes[position]]] for position in fixed)
            ]
            operands += [picked, [batch] + [axes[position] for position in free]]
        output = [batch, 0] if len(observed_nodes) else [0]
        joint = np.einsum(*operands, output, optimize="greedy").reshape(-1, self.cardinalities[0])
        return joint / joint.sum(axis=1, keepdims=True)


def draw_network(nodes, edges, feature_nodes, title, ax=None):
    """Draw a network on a circle, the first node (the target) on top.

    Parameters
    ----------
    nodes : list of str
        The nodes, the target first.
    edges : iterable of tuple
        ``(parent, child)`` pairs.
    feature_nodes : list of str
        Nodes drawn green (input columns); the target is orange, the others blue.
    title : str
        The axes' title.
    ax : matplotlib.axes.Axes or None, default=None
        Where to draw; None draws on a new figure.

    Returns
    -------
    ax : matplotlib.axes.Axes
    """
    plt = import_pyplot()
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    nx.draw_networkx(
        graph,
        circle_positions(nodes),
        ax=ax,
        node_color=[node_colour(node, feature_nodes) for node in graph.nodes],
        node_size=2000,
        font_size=9,
        arrows=True,
        arrowsize=15,
    )
    ax.set_title(title)
    ax.set_xlim(-1.35, 1.35)
    ax.set_ylim(-1.35, 1.35)
    ax.set_axis_off()
    return ax


def circle_positions(nodes):
    """The nodes evenly spread on the unit circle, the first one at the top."""
    angles = np.pi / 2 + 2 * np.pi * np.arange(len(nodes)) / len(nodes)
    return {node: (np.cos(angle), np.sin(angle)) for node, angle in zip(nodes, angles)}


def node_colour(node, feature_nodes):
    if node == TARGET_NODE:
        return "#f4a261"
    return "#95d5b2" if node in feature_nodes else "#8ecae6"


def import_pyplot():
    return import_optional("matplotlib.pyplot", purpose="plot_network")


def level_codes(cell_codes, strings, levels):
    """State of each cell: its level's index, the last ("other") state for any other
    level, -1 where the cell is missing."""
    state_of_string = pd.Index(levels, dtype=object).get_indexer(strings).astype(np.int64)
    state_of_string[state_of_string < 0] = len(levels)
    lookup = np.append(state_of_string, -1)
    return lookup[cell_codes]
