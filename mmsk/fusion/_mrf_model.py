"""The Markov random fields behind MRF fusion.

Two undirected models over the per-modality (out-of-fold) predictions:

- :class:`GaussianField`: a sparse Gaussian graphical model (the graphical lasso) over
  real-valued scores. A modality missing in a row is marginalised exactly by dropping
  its rows and columns of the covariance; conditionals are closed-form.
- :class:`DiscreteField`: a pairwise log-linear model over discrete nodes (the target
  and one node per modality), fitted by mmsk itself (pgmpy has Markov networks but no
  parameter learning): exact maximum likelihood, with missing nodes marginalised, when
  the joint state space is small, pseudo-likelihood on complete rows otherwise, both
  L2-regularised. Posteriors are exact.

Neither knows about modalities or estimators: nodes are integer positions.
"""

import itertools
import warnings

import numpy as np
from scipy import linalg
from scipy.optimize import minimize
from scipy.special import log_softmax, logsumexp, softmax
from sklearn.covariance import graphical_lasso
from sklearn.exceptions import ConvergenceWarning

#: Largest joint state space fitted by exact likelihood and enumerated at inference.
MAX_EXACT_STATES = 1 << 18
_LOG_2PI = np.log(2 * np.pi)


# ------------------------------------------------------------------------ Gaussian


def weighted_moments(X, weights=None):
    """Mean and (biased) covariance of the rows of ``X``, optionally weighted."""
    weights = np.ones(len(X)) if weights is None else np.asarray(weights, dtype=np.float64)
    total = weights.sum()
    mean = weights @ X / total
    centred = X - mean
    return mean, (centred * weights[:, None]).T @ centred / total


def sparse_covariance(covariance, alpha, max_iter=100):
    """The graphical lasso on the correlation scale of ``covariance``.

    The L1 penalty ``alpha`` then means the same whatever the scale of each variable.
    A variable with no variance keeps a unit variance and no coupling.

    Returns
    -------
    covariance : ndarray of shape (d, d)
        The regularised covariance, back on the original scale.
    precision : ndarray of shape (d, d)
        Its inverse: zeros mark variables that are conditionally independent.
    n_iter : int
        Iterations of the graphical lasso.
    """
    scale = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    scale[scale <= 1e-12] = 1.0
    correlation = covariance / np.outer(scale, scale)
    np.fill_diagonal(correlation, 1.0)
    if len(correlation) == 1:
        sparse, precision, n_iter = correlation, np.ones((1, 1)), 0
    else:
        sparse, precision, n_iter = _solve_graphical_lasso(correlation, alpha, max_iter)
    return sparse * np.outer(scale, scale), precision / np.outer(scale, scale), n_iter


def _solve_graphical_lasso(correlation, alpha, max_iter):
    """The graphical lasso by coordinate descent, or by LARS where that does not converge.

    Coordinate descent stalls on some small, nearly singular problems (two predictions
    correlated at 0.98 with a third) that LARS solves in a few steps; LARS in turn
    fails on others. The first that converges wins; failing both, coordinate
    descent's result is kept with its ConvergenceWarning.
    """
    # The default inner tolerance (1e-4) leaves small problems, a 2 x 2 negative
    # correlation among them, short of the optimum.
    options = {"alpha": alpha, "max_iter": max_iter, "enet_tol": 1e-5, "return_n_iter": True}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            result = graphical_lasso(correlation, mode="cd", **options)
        except FloatingPointError:
            result = None
    stalled = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    if result is not None and not stalled:
        return result
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            return graphical_lasso(correlation, mode="lars", **options)
    except (FloatingPointError, ConvergenceWarning):
        if result is None:
            raise ValueError(
                "The graphical lasso failed on a nearly singular covariance of the "
                f"modalities' predictions (alpha={alpha}); increase alpha."
            ) from None
    for warning in stalled:
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return result


def partial_correlations(precision):
    """Partial correlation of every pair of variables given all the others."""
    diagonal = np.sqrt(np.diag(precision))
    partial = -precision / np.outer(diagonal, diagonal)
    np.fill_diagonal(partial, 1.0)
    return partial


def gaussian_log_density(X, mean, covariance):
    """Log density of each row of ``X`` under N(mean, covariance)."""
    factor = linalg.cho_factor(covariance, lower=True)
    centred = X - mean
    solved = linalg.cho_solve(factor, centred.T).T
    log_det = 2 * np.log(np.diag(factor[0])).sum()
    return -0.5 * (np.einsum("ij,ij->i", centred, solved) + log_det + X.shape[1] * _LOG_2PI)


def conditional_mean(x, mean, covariance, target, observed):
    """E[x_target | x_observed] for each row, in closed form."""
    if not len(observed):
        return np.full(len(x), mean[target])
    cross = covariance[np.ix_([target], observed)]
    block = covariance[np.ix_(observed, observed)]
    weights = linalg.solve(block, cross.T, assume_a="pos").ravel()
    return mean[target] + (x - mean[observed]) @ weights


def observed_patterns(observed):
    """Rows grouped by which variables they observe.

    Parameters
    ----------
    observed : ndarray of bool of shape (n_samples, d)

    Returns
    -------
    patterns : list of (ndarray of int, ndarray of int)
        The observed variables of each distinct pattern and the rows that have it.
    """
    patterns, inverse = np.unique(observed, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    return [
        (np.flatnonzero(pattern), np.flatnonzero(inverse == i))
        for i, pattern in enumerate(patterns)
    ]


class _SparseGaussianField:
    """What the Gaussian fields share: the graphical lasso's settings."""

    def __init__(self, alpha, max_iter=100):
        self.alpha = alpha
        self.max_iter = max_iter


def _complete_rows(observed, weights):
    """Rows that observe every variable and weigh something; at least two of them."""
    complete = observed.all(axis=1) & (weights > 0)
    if complete.sum() < 2:
        raise ValueError(
            "Gaussian MRF fusion needs at least two training rows in which every "
            f"modality is present; got {int(complete.sum())}. Drop the modality that "
            "is most often missing, or use kind='discrete'."
        )
    return complete


class GaussianField(_SparseGaussianField):
    """Class-conditional sparse Gaussian fields over per-modality scores.

    Each class gets its own graphical-lasso covariance, shrunk towards the pooled
    within-class covariance with the weight of ``d + 1`` rows, so that a class with
    few complete rows still has a well-conditioned covariance.

    Parameters
    ----------
    alpha : float
        L1 penalty of the graphical lasso, on the correlation scale.
    max_iter : int
        Iterations of the graphical lasso.
    """

    def fit(self, scores, observed, y, n_classes, weights=None):
        """Fit on ``scores`` (NaN where unobserved) of the rows labelled ``y``."""
        weights = np.ones(len(y)) if weights is None else weights
        complete = _complete_rows(observed, weights)
        n_variables = scores.shape[1]
        self.means_ = np.empty((n_classes, n_variables))
        pooled = np.zeros((n_variables, n_variables))
        class_covariances, class_weights = [], []
        for c in range(n_classes):
            rows = complete & (y == c)
            self.means_[c] = _class_mean(scores, observed, weights, y == c, complete)
            if weights[rows].sum() > 0:
                centred = scores[rows] - self.means_[c]
                covariance = (centred * weights[rows, None]).T @ centred / weights[rows].sum()
            else:
                covariance = np.zeros((n_variables, n_variables))
            class_covariances.append(covariance)
            class_weights.append(weights[rows].sum())
            pooled += weights[rows].sum() * covariance
        pooled /= max(sum(class_weights), 1e-12)
        pooled += 1e-6 * np.eye(n_variables) * max(np.trace(pooled) / n_variables, 1e-12)
        prior_rows = n_variables + 1
        self.covariances_ = np.empty((n_classes, n_variables, n_variables))
        self.precisions_ = np.empty_like(self.covariances_)
        self.n_iter_ = 0
        for c, (covariance, weight) in enumerate(zip(class_covariances, class_weights)):
            shrunk = (weight * covariance + prior_rows * pooled) / (weight + prior_rows)
            self.covariances_[c], self.precisions_[c], n_iter = sparse_covariance(
                shrunk, self.alpha, self.max_iter
            )
            self.n_iter_ = max(self.n_iter_, n_iter)
        return self

    def log_likelihood(self, scores, observed):
        """log p(observed scores | class) for every row and class, missing ones
        marginalised; zero where nothing is observed."""
        result = np.zeros((len(scores), len(self.means_)))
        for variables, rows in observed_patterns(observed):
            if not len(variables):
                continue
            x = scores[np.ix_(rows, variables)]
            for c, (mean, covariance) in enumerate(zip(self.means_, self.covariances_)):
                block = covariance[np.ix_(variables, variables)]
                result[rows, c] = gaussian_log_density(x, mean[variables], block)
        return result


def _class_mean(scores, observed, weights, in_class, complete):
    """Mean of each variable over the class's rows that observe it (complete rows if none)."""
    mean = np.empty(scores.shape[1])
    for j in range(scores.shape[1]):
        rows = in_class & observed[:, j] & (weights > 0)
        if not rows.any():
            rows = complete & (weights > 0)
        mean[j] = np.average(scores[rows, j], weights=weights[rows])
    return mean


class JointGaussianField(_SparseGaussianField):
    """One sparse Gaussian field over the target and the per-modality predictions.

    The field is fitted on each variable divided by its largest training magnitude
    (``scale_``); ``mean_``, ``covariance_`` and ``precision_`` are in those units.

    Parameters
    ----------
    alpha : float
        L1 penalty of the graphical lasso, on the correlation scale.
    max_iter : int
        Iterations of the graphical lasso.
    """

    def fit(self, values, observed, weights=None):
        """Fit on ``values`` (column 0 the target; NaN where unobserved)."""
        weights = np.ones(len(values)) if weights is None else weights
        complete = _complete_rows(observed, weights)
        # Each variable divided by its largest magnitude: predictions far beyond the
        # target's range would otherwise overflow the covariance.
        magnitude = np.abs(values[complete]).max(axis=0)
        self.scale_ = np.where(magnitude > 0, magnitude, 1.0)
        scaled = values[complete] / self.scale_
        self.mean_, covariance = weighted_moments(scaled, weights[complete])
        covariance += 1e-9 * np.eye(len(covariance)) * max(np.trace(covariance), 1e-12)
        self.covariance_, self.precision_, self.n_iter_ = sparse_covariance(
            covariance, self.alpha, self.max_iter
        )
        return self

    def predict(self, values, observed):
        """E[target | the observed predictions] for each row (column 0 is ignored)."""
        scaled = values / self.scale_
        result = np.empty(len(values))
        for variables, rows in observed_patterns(observed[:, 1:]):
            observed_columns = variables + 1
            result[rows] = conditional_mean(
                scaled[np.ix_(rows, observed_columns)],
                self.mean_,
                self.covariance_,
                0,
                observed_columns,
            )
        return result * self.scale_[0]


# ------------------------------------------------------------------------ discrete


class DiscreteField:
    """A pairwise log-linear Markov random field over discrete nodes.

    ``log p(x) = sum_i theta_i[x_i] + sum_(i,j) psi_ij[x_i, x_j] - log Z``.

    Parameters
    ----------
    cardinalities : sequence of int
        Number of states of each node; node 0 is the target.
    edges : list of tuple (int, int)
        The pairs ``(i, j)``, ``i < j``, with a pairwise potential.
    alpha : float
        L2 penalty on every potential (per unit of training weight).
    max_iter : int
        Iterations of L-BFGS.
    """

    def __init__(self, cardinalities, edges, alpha, max_iter=200):
        self.cardinalities = tuple(int(c) for c in cardinalities)
        self.edges = [(int(i), int(j)) for i, j in edges]
        self.alpha = alpha
        self.max_iter = max_iter

    @property
    def n_states(self):
        """Size of the joint state space."""
        return int(np.prod(self.cardinalities, dtype=np.float64))

    @property
    def exact(self):
        """Whether the joint space is small enough for exact likelihood."""
        return self.n_states <= MAX_EXACT_STATES

    # ---------------------------------------------------------------- parameters

    def _shapes(self):
        unary = [(c,) for c in self.cardinalities]
        pairwise = [(self.cardinalities[i], self.cardinalities[j]) for i, j in self.edges]
        return unary + pairwise

    def _unpack(self, theta):
        arrays, start = [], 0
        for shape in self._shapes():
            size = int(np.prod(shape))
            arrays.append(theta[start : start + size].reshape(shape))
            start += size
        n_nodes = len(self.cardinalities)
        return arrays[:n_nodes], arrays[n_nodes:]

    @staticmethod
    def _pack(unary, pairwise):
        return np.concatenate([table.ravel() for table in [*unary, *pairwise]])

    # ----------------------------------------------------------------------- fit

    def fit(self, codes, weights=None):
        """Fit the potentials to ``codes`` (n_samples, n_nodes), -1 where unobserved.

        Exact (marginal) likelihood when :attr:`exact`, else pseudo-likelihood on the
        rows that observe every node.
        """
        weights = np.ones(len(codes)) if weights is None else np.asarray(weights, float)
        if self.exact:
            self.method_ = "exact"
            objective = self._exact_objective(*_distinct_rows(codes, weights))
        else:
            complete = (codes >= 0).all(axis=1) & (weights > 0)
            if not complete.any():
                raise ValueError(
                    "The discrete MRF's joint state space is too large for exact "
                    "likelihood, and pseudo-likelihood needs rows where every modality "
                    "is present; there are none. Lower n_bins or drop a modality."
                )
            self.method_ = "pseudo-likelihood"
            objective = self._pseudo_objective(codes[complete], weights[complete])
        start = np.zeros(sum(int(np.prod(shape)) for shape in self._shapes()))
        result = minimize(
            objective, start, jac=True, method="L-BFGS-B", options={"maxiter": self.max_iter}
        )
        self.unary_, self.pairwise_ = self._unpack(result.x)
        self.n_iter_ = int(result.nit)
        return self

    def _log_potential(self, unary, pairwise):
        """Unnormalised log-probability of every joint state, as a tensor."""
        n_nodes = len(self.cardinalities)
        total = np.zeros(self.cardinalities)
        for i, table in enumerate(unary):
            total = total + table.reshape(_axis_shape(n_nodes, i, len(table)))
        for (i, j), table in zip(self.edges, pairwise):
            shape = [1] * n_nodes
            shape[i], shape[j] = table.shape
            total = total + table.reshape(shape)
        return total

    def _exact_objective(self, patterns, pattern_weights):
        total_weight = pattern_weights.sum()
        share = pattern_weights / total_weight

        def objective(theta):
            unary, pairwise = self._unpack(theta)
            log_potential = self._log_potential(unary, pairwise)
            log_z = logsumexp(log_potential)
            model = np.exp(log_potential - log_z)
            data = np.zeros_like(model)
            log_likelihood = 0.0
            for pattern, weight in zip(patterns, share):
                index = tuple(slice(None) if v < 0 else int(v) for v in pattern)
                sub = log_potential[index]
                log_marginal = logsumexp(sub)
                log_likelihood += weight * (log_marginal - log_z)
                data[index] += weight * np.exp(sub - log_marginal)
            grad = self._pack(*self._moment_difference(model, data)) + self.alpha * theta
            return -log_likelihood + 0.5 * self.alpha * theta @ theta, grad

        return objective

    def _moment_difference(self, model, data):
        """Model minus data marginals of every potential's states."""
        n_nodes = len(self.cardinalities)
        difference = model - data
        unary = [
            difference.sum(axis=tuple(k for k in range(n_nodes) if k != i)) for i in range(n_nodes)
        ]
        pairwise = [
            difference.sum(axis=tuple(k for k in range(n_nodes) if k not in (i, j)))
            for i, j in self.edges
        ]
        return unary, pairwise

    def _pseudo_objective(self, codes, weights):
        share = weights / weights.sum()
        n_nodes = len(self.cardinalities)
        neighbours = {i: [] for i in range(n_nodes)}
        for edge, (i, j) in enumerate(self.edges):
            neighbours[i].append((j, edge, False))
            neighbours[j].append((i, edge, True))

        def objective(theta):
            unary, pairwise = self._unpack(theta)
            value = 0.0
            grad_unary = [np.zeros_like(u) for u in unary]
            grad_pairwise = [np.zeros_like(table) for table in pairwise]
            for i in range(n_nodes):
                logits = np.repeat(unary[i][None, :], len(codes), axis=0)
                for j, edge, transposed in neighbours[i]:
                    table = pairwise[edge].T if transposed else pairwise[edge]
                    logits = logits + table[:, codes[:, j]].T
                log_p = log_softmax(logits, axis=1)
                rows = np.arange(len(codes))
                value -= share @ log_p[rows, codes[:, i]]
                residual = np.exp(log_p)
                residual[rows, codes[:, i]] -= 1.0
                residual *= share[:, None]
                grad_unary[i] += residual.sum(axis=0)
                for j, edge, transposed in neighbours[i]:
                    per_state = np.zeros((self.cardinalities[j], self.cardinalities[i]))
                    np.add.at(per_state, codes[:, j], residual)
                    grad_pairwise[edge] += per_state if transposed else per_state.T
            grad = self._pack(grad_unary, grad_pairwise) + self.alpha * theta
            return value + 0.5 * self.alpha * theta @ theta, grad

        return objective

    # ----------------------------------------------------------------- inference

    def posterior(self, codes):
        """P(node 0 | the observed other nodes) for each row of ``codes`` (-1: missing).

        Column 0 of ``codes`` is ignored. Rows are grouped by their distinct evidence;
        unobserved nodes are summed out exactly.
        """
        evidence = codes.copy()
        evidence[:, 0] = -1
        patterns, inverse = np.unique(evidence, axis=0, return_inverse=True)
        solved = np.vstack([self._posterior_of(pattern) for pattern in patterns])
        return solved[inverse.reshape(-1)]

    def _posterior_of(self, pattern):
        if not self.exact:
            return self._star_posterior_of(pattern)
        hidden = [i for i, v in enumerate(pattern) if v < 0]
        shape = [self.cardinalities[i] for i in hidden]
        axis = {node: k for k, node in enumerate(hidden)}
        total = np.zeros(shape)
        for i, table in enumerate(self.unary_):
            if i in axis:
                total = total + table.reshape(_axis_shape(len(hidden), axis[i], len(table)))
        for (i, j), table in zip(self.edges, self.pairwise_):
            total = total + _restricted(table, i, j, pattern, axis, len(hidden))
        return softmax(logsumexp(total.reshape(shape[0], -1), axis=1))

    def _star_posterior_of(self, pattern):
        """The same for a star (every edge at the target), leaf by leaf: the hidden
        leaves are independent given the target, so each is summed out on its own."""
        if any(0 not in edge for edge in self.edges):
            raise ValueError("Inference beyond the exact state space needs a star structure.")
        scores = self.unary_[0].copy()
        for (_, leaf), table in zip(self.edges, self.pairwise_):
            if pattern[leaf] >= 0:
                scores += table[:, int(pattern[leaf])]
            else:
                scores += logsumexp(table + self.unary_[leaf][None, :], axis=1)
        return softmax(scores)

    def joint_table(self):
        """Normalised joint probabilities of every state (small fields only)."""
        log_potential = self._log_potential(self.unary_, self.pairwise_)
        return np.exp(log_potential - logsumexp(log_potential))


def _axis_shape(n_axes, axis, size):
    shape = [1] * n_axes
    shape[axis] = size
    return shape


def _restricted(table, i, j, pattern, axis, n_axes):
    """A pairwise table with its observed nodes fixed, broadcast over the hidden ones."""
    if i in axis and j in axis:
        shape = [1] * n_axes
        shape[axis[i]], shape[axis[j]] = table.shape
        return table.reshape(shape)
    if i in axis:
        column = table[:, int(pattern[j])]
        return column.reshape(_axis_shape(n_axes, axis[i], len(column)))
    if j in axis:
        row = table[int(pattern[i]), :]
        return row.reshape(_axis_shape(n_axes, axis[j], len(row)))
    return 0.0


def _distinct_rows(codes, weights):
    patterns, inverse = np.unique(codes, axis=0, return_inverse=True)
    totals = np.bincount(inverse.reshape(-1), weights=weights, minlength=len(patterns))
    keep = totals > 0
    return patterns[keep], totals[keep]


def star_edges(n_nodes):
    """Edges between the target (node 0) and every other node."""
    return [(0, i) for i in range(1, n_nodes)]


def complete_edges(n_nodes):
    """Edges between every pair of nodes."""
    return list(itertools.combinations(range(n_nodes), 2))
