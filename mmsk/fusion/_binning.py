"""Discretised per-modality predictions: the node states of the network families.

Bayesian-network and Markov-random-field fusion both turn each modality's (out-of-fold)
predictions into the states of one discrete node: quantile bins of the probability of
the second class (two classes), of the predicted class's probability within each
predicted class (more classes), or of the predicted value (regression). A regression
target is cut the same way, each bin predicting the mean of its training targets.
"""

import numpy as np


class ModalityBinsMixin:
    """Fit and apply each modality node's bins; needs ``n_bins`` and ``modality_names_``.

    The classifier and regressor mixins of :mod:`._per_modality` say what is binned
    (``_bin_inputs``) and how the groups are named (``_bin_group_names``).
    """

    def _fit_modality_nodes(self, outputs, present):
        self.bin_edges_ = {}
        codes, states = [], []
        for j, name in enumerate(self.modality_names_):
            groups, values, n_groups = self._bin_inputs(outputs[present[:, j], j])
            edges = fit_bins(groups, values, n_groups, self.n_bins)
            self.bin_edges_[name] = edges if n_groups > 1 else edges[0]
            column = np.full(len(present), -1, dtype=np.int64)
            column[present[:, j]] = apply_bins(edges, groups, values)
            codes.append(column)
            states.append(bin_state_names(edges, self._bin_group_names(n_groups)))
        return codes, states

    def _modality_codes(self, outputs, present):
        columns = []
        for j, name in enumerate(self.modality_names_):
            groups, values, _ = self._bin_inputs(outputs[:, j])
            edges = self.bin_edges_[name]
            codes = apply_bins(edges if isinstance(edges, list) else [edges], groups, values)
            columns.append(np.where(present[:, j], codes, -1))
        return columns


def quantile_edges(values, n_bins):
    """At most ``n_bins - 1`` increasing thresholds; every bin holds some of ``values``."""
    if len(values) == 0:
        return np.empty(0)
    levels = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    edges = np.unique(np.quantile(values, levels, method="inverted_cdf"))
    return edges[edges > values.min()]


def fit_bins(groups, values, n_groups, n_bins):
    """Quantile thresholds of ``values`` within each group; all values for an empty group."""
    edges = []
    for group in range(n_groups):
        in_group = values[groups == group]
        edges.append(quantile_edges(in_group if len(in_group) else values, n_bins))
    return edges


def apply_bins(edges, groups, values):
    """State of each value: its group's first state plus its bin within the group.

    Values beyond the training range fall into the group's first or last bin.
    """
    if len(edges) == 1:
        return np.searchsorted(edges[0], values, side="right")
    offsets = np.cumsum([0] + [len(group_edges) + 1 for group_edges in edges])
    codes = np.empty(len(values), dtype=np.int64)
    for group, group_edges in enumerate(edges):
        rows = groups == group
        codes[rows] = offsets[group] + np.searchsorted(group_edges, values[rows], side="right")
    return codes


def bin_state_names(edges, group_names):
    names = []
    for group_name, group_edges in zip(group_names, edges):
        prefix = f"{group_name}:" if group_name else ""
        names.extend(f"{prefix}bin{j}" for j in range(len(group_edges) + 1))
    return names


def unique_strings(labels, fallback_prefix):
    names = [str(label) for label in labels]
    if len(set(names)) == len(names):
        return names
    return [f"{fallback_prefix}{i}" for i in range(len(names))]


def fit_target_bins(y, n_bins, weights=None):
    """Quantile bins of a regression target and the (weighted) mean target of each bin.

    Returns
    -------
    edges : ndarray of shape (n_states - 1,)
    values : ndarray of shape (n_states,)
    codes : ndarray of int of shape (n_samples,)
        The bin of each training target.
    """
    edges = quantile_edges(y, n_bins)
    codes = np.searchsorted(edges, y, side="right")
    values = np.empty(len(edges) + 1)
    for state in range(len(values)):
        rows = codes == state
        bin_weights = None if weights is None else weights[rows]
        if bin_weights is not None and bin_weights.sum() <= 0:
            bin_weights = None
        values[state] = np.average(y[rows], weights=bin_weights)
    return edges, values, codes
