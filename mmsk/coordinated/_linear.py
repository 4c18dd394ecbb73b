"""Closed-form linear shared spaces: regularised CCA and PLS.

Both work in a reduced basis of each view: the leading principal directions of the
centred block, computed exactly for a narrow dense block and by a seeded randomized
range finder otherwise, with the centring done implicitly so that a sparse TF-IDF block
is never densified. In that basis the covariance of a view is diagonal, so whitening by
``(C + ridge I)^(-1/2)`` is a division, and the shared directions come from one SVD of
the small cross-covariance matrix. The result folds back into one dense
``(n_features, n_components)`` map per view.
"""

import numpy as np
from scipy import linalg, sparse
from sklearn.utils.extmath import svd_flip
from sklearn.utils.validation import check_random_state

_OVERSAMPLING = 10
_POWER_ITERATIONS = 2
_RELATIVE_RANK_TOLERANCE = 1e-9
_GRAM_RANK_TOLERANCE = 1e-6


class LinearSpace:
    """Affine maps of each modality's block into the shared space.

    Parameters
    ----------
    weights : dict
        Modality name to an ndarray of shape ``(n_features, n_components)``.
    offsets : dict
        Modality name to the ndarray of shape ``(n_components,)`` subtracted after the
        product (the training mean of the block, mapped).
    correlations : ndarray of shape (n_components,)
        Correlation of the two views along each shared direction, on the paired
        training rows (for PLS, the covariance along each direction divided by the
        two views' standard deviations along it).

    Attributes
    ----------
    n_components : int
        Width of the shared space.
    """

    def __init__(self, weights, offsets, correlations):
        self.weights = weights
        self.offsets = offsets
        self.correlations = correlations

    @property
    def n_components(self):
        return len(self.correlations)

    def project(self, name, block):
        """Coordinates of the rows of ``block`` (modality ``name``) in the shared space."""
        coordinates = block @ self.weights[name]
        return np.asarray(coordinates, dtype=np.float64) - self.offsets[name]


def fit_cca(retriever, blocks):
    """Regularised CCA of the two paired blocks; see :class:`CrossModalRetriever`."""
    return _fit_linear(retriever, blocks, whiten=True)


def fit_pls(retriever, blocks):
    """PLS-SVD (no deflation) of the two paired blocks; see :class:`CrossModalRetriever`."""
    return _fit_linear(retriever, blocks, whiten=False)


def _fit_linear(retriever, blocks, whiten):
    names = list(blocks)
    for name, block in blocks.items():
        _check_finite(name, block)
    # The randomized basis is seeded even without random_state: fit is deterministic.
    rng = check_random_state(0 if retriever.random_state is None else retriever.random_state)
    bases = {
        name: _principal_basis(block, _basis_size(retriever, block), rng)
        for name, block in blocks.items()
    }
    n_components = retriever.n_components
    _check_n_components(retriever, names, bases, blocks[names[0]].shape[0])
    n_samples = blocks[names[0]].shape[0]
    scaled = {}
    for name, (_, _, variances, _) in bases.items():
        if whiten:
            ridge = retriever.regularization * variances.mean()
            scaled[name] = 1.0 / np.sqrt(variances + ridge)
        else:
            scaled[name] = np.ones_like(variances)
    left = bases[names[0]][1] * scaled[names[0]]
    right = bases[names[1]][1] * scaled[names[1]]
    cross = left.T @ right / max(n_samples - 1, 1)
    u, singular, vt = linalg.svd(cross, full_matrices=False)
    u, vt = svd_flip(u, vt)
    directions = {names[0]: u[:, :n_components], names[1]: vt[:n_components].T}
    weights, offsets = {}, {}
    for name in names:
        mean, _, _, components = bases[name]
        in_basis = scaled[name][:, None] * directions[name]
        weights[name] = np.ascontiguousarray(components.T @ in_basis)
        offsets[name] = mean @ weights[name]
    correlations = _correlations(bases, names, weights, singular[:n_components], whiten)
    return LinearSpace(weights, offsets, correlations)


def _check_finite(name, block):
    values = block.data if sparse.issparse(block) else np.asarray(block)
    if not np.issubdtype(values.dtype, np.number):
        raise TypeError(
            f"The transformer of modality {name!r} returned values of dtype {values.dtype}; "
            "a shared space needs numbers. Give the modality a transformer that encodes "
            "its columns numerically."
        )
    if not np.isfinite(values).all():
        raise ValueError(
            f"The block of modality {name!r} holds NaN or infinite values; a shared space "
            "needs finite features. Give the modality a transformer that imputes (for "
            "example TabularEncoder, or 'auto') instead of 'passthrough'."
        )


def _correlations(bases, names, weights, singular, whiten):
    if whiten:
        return np.clip(singular, 0.0, 1.0)
    scores = [bases[name][1] @ (bases[name][3] @ weights[name]) for name in names]
    spread = np.sqrt((scores[0] ** 2).sum(0) * (scores[1] ** 2).sum(0))
    return np.where(spread > 0, (scores[0] * scores[1]).sum(0) / np.maximum(spread, 1e-300), 0)


def _basis_size(retriever, block):
    if retriever.basis_size == "auto":
        return max(256, 2 * retriever.n_components)
    return retriever.basis_size


def _check_n_components(retriever, names, bases, n_samples):
    ranks = {name: basis[2].size for name, basis in bases.items()}
    largest = min(ranks.values())
    if retriever.n_components <= largest:
        return
    listed = " and ".join(f"{ranks[name]} ({name!r})" for name in names)
    raise ValueError(
        f"n_components={retriever.n_components} is too large for CrossModalRetriever("
        f"method={retriever.method!r}): the shared space of modalities {names[0]!r} and "
        f"{names[1]!r} has at most {largest} dimensions here, the smaller rank of their "
        f"centred blocks over the {n_samples} paired training rows ({listed}; at most "
        f"the number of paired rows minus one, the number of features and basis_size). "
        f"Use n_components <= {largest}."
    )


def _principal_basis(block, size, rng):
    """Mean, scores ``U S``, variances and components of the centred block's top directions.

    Returns
    -------
    mean : ndarray of shape (n_features,)
    scores : ndarray of shape (n_samples, rank)
    variances : ndarray of shape (rank,)
        ``S ** 2 / (n_samples - 1)``.
    components : ndarray of shape (rank, n_features)
    """
    n_samples, n_features = block.shape
    mean = np.asarray(block.mean(axis=0), dtype=np.float64).ravel()
    size = max(1, min(size, n_samples - 1, n_features))
    tolerance = _RELATIVE_RANK_TOLERANCE
    if not sparse.issparse(block) and n_features <= max(size, 2 * _OVERSAMPLING):
        centred = np.asarray(block, dtype=np.float64) - mean
        u, singular, vt = linalg.svd(centred, full_matrices=False)
    else:
        u, singular, vt = _randomized_svd(block, mean, size + _OVERSAMPLING, rng)
        # The sketch's singular values come from a Gram matrix (see _randomized_svd):
        # exact to about sqrt(eps) times the largest.
        tolerance = _GRAM_RANK_TOLERANCE
    u, vt = svd_flip(u, vt)
    keep = min(size, int(np.sum(singular > tolerance * max(singular[0], 1e-300))))
    if n_samples < 2 or keep == 0:
        keep = 0
    singular = singular[:keep]
    variances = singular**2 / max(n_samples - 1, 1)
    return mean, u[:, :keep] * singular, variances, vt[:keep]


def _randomized_svd(block, mean, width, rng):
    """SVD of ``block - mean`` restricted to a randomized range of width ``width``."""
    n_samples, n_features = block.shape
    width = min(width, n_samples, n_features)
    block = sparse.csr_matrix(block, dtype=np.float64) if sparse.issparse(block) else block
    block = block if sparse.issparse(block) else np.asarray(block, dtype=np.float64)

    def times(matrix):  # (block - mean) @ matrix
        return np.asarray(block @ matrix) - mean @ matrix

    def transposed_times(matrix):  # (block - mean).T @ matrix
        return np.asarray(block.T @ matrix) - np.outer(mean, matrix.sum(axis=0))

    range_, _ = linalg.qr(times(rng.standard_normal((n_features, width))), mode="economic")
    for _ in range(_POWER_ITERATIONS):
        # Only the sample side is orthonormalised: a QR of the (n_features, width) side
        # would cost more than everything else for a wide TF-IDF block.
        range_, _ = linalg.qr(times(transposed_times(range_)), mode="economic")
    small = transposed_times(range_).T
    # The SVD of the (width, n_features) matrix ``small`` through its (width, width)
    # Gram matrix: for a wide block, a dense SVD of ``small`` was most of the fit time.
    eigenvalues, u_small = linalg.eigh(small @ small.T)
    eigenvalues, u_small = eigenvalues[::-1], u_small[:, ::-1]
    singular = np.sqrt(np.clip(eigenvalues, 0.0, None))
    inverse = np.divide(1.0, singular, out=np.zeros_like(singular), where=singular > 0)
    vt = (u_small.T @ small) * inverse[:, None]
    return range_ @ u_small, singular, vt


#: Shrinkages tried by ``shrinkage="auto"``, relative to the mean eigenvalue of the
#: query's Gram matrix in the basis; ``inf`` is the start itself (the identity map).
SHRINKAGE_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, np.inf)


class IdentityRidgeSpace:
    """The target block's own feature space; the query block mapped by ``I + P M``.

    Parameters
    ----------
    query, target : str
        The modality names.
    basis : ndarray of shape (n_features, rank)
        Orthonormal directions ``P`` of the query block the correction acts on.
    correction : ndarray of shape (rank, n_features)
        ``M``; zeros when the identity (the start) was chosen.
    shrinkage : float
        The chosen shrinkage (``inf``: the identity).
    validation_scores : dict
        Mean reciprocal rank of the held-out pairs for each shrinkage tried (empty when
        the shrinkage was given).
    """

    def __init__(self, query, target, basis, correction, shrinkage, validation_scores):
        self.query = query
        self.target = target
        self.basis = basis
        self.correction = correction
        self.shrinkage = shrinkage
        self.validation_scores = validation_scores
        self.correlations = None

    @property
    def n_components(self):
        return self.correction.shape[1]

    def project(self, name, block):
        """The target's rows as they are; the query's rows mapped into the target's space."""
        block = block.toarray() if sparse.issparse(block) else np.asarray(block)
        block = block.astype(np.float64, copy=False)
        if name == self.target:
            return block
        return block + (block @ self.basis) @ self.correction


def fit_ridge(retriever, blocks):
    """Ridge map of the query block onto the target block, shrunk toward the identity.

    ``W = I + P M`` minimises ``||Q W - T||^2 + lambda ||W - I||^2`` with the
    correction restricted to the leading directions ``P`` of the query block; see
    :class:`CrossModalRetriever`.
    """
    (query, query_block), (target, target_block) = blocks.items()
    for name, block in blocks.items():
        _check_finite(name, block)
    if query_block.shape[1] != target_block.shape[1]:
        raise ValueError(
            f"CrossModalRetriever(method='ridge') starts from a feature space the two "
            f"modalities share, so their blocks must have the same width; modality "
            f"{query!r} has {query_block.shape[1]} features and {target!r} has "
            f"{target_block.shape[1]}. Give both the same transformer (for example "
            "SentenceEmbedder() on each text column)."
        )
    dense = [
        (block.toarray() if sparse.issparse(block) else np.asarray(block)).astype(np.float64)
        for block in (query_block, target_block)
    ]
    rng = check_random_state(0 if retriever.random_state is None else retriever.random_state)
    size = _basis_size(retriever, query_block)
    scores = {}
    shrinkage = retriever.shrinkage
    if shrinkage == "auto":
        fit_rows, valid_rows = validation_split(len(dense[0]), retriever.validation_fraction, rng)
        basis, gram, residual = _ridge_system(dense[0][fit_rows], dense[1][fit_rows], size, rng)
        valid_query, valid_target = dense[0][valid_rows], dense[1][valid_rows]
        for candidate in SHRINKAGE_GRID:
            correction = _ridge_correction(gram, residual, candidate)
            mapped = valid_query + (valid_query @ basis) @ correction
            scores[float(candidate)] = _mean_reciprocal_rank(mapped, valid_target)
        # The largest shrinkage among the best: the closest to the start.
        best = max(scores.values())
        shrinkage = max(value for value, score in scores.items() if score >= best - 1e-12)
    basis, gram, residual = _ridge_system(dense[0], dense[1], size, rng)
    correction = _ridge_correction(gram, residual, shrinkage)
    return IdentityRidgeSpace(query, target, basis, correction, float(shrinkage), scores)


def validation_split(n_rows, fraction, rng):
    """Positions of the fitting and the held-out rows (at least one of each)."""
    n_valid = min(max(1, int(round(fraction * n_rows))), n_rows - 1)
    order = rng.permutation(n_rows)
    return np.sort(order[n_valid:]), np.sort(order[:n_valid])


def _ridge_system(query, target, size, rng):
    """Basis ``P`` of the query, and the normal equations of ``M`` in it."""
    _, _, _, components = _principal_basis(query, size, rng)
    basis = components.T
    scores = query @ basis
    return basis, scores.T @ scores, scores.T @ (target - query)


def _ridge_correction(gram, residual, shrinkage):
    if np.isinf(shrinkage) or gram.shape[0] == 0:
        return np.zeros_like(residual)
    scale = max(np.trace(gram) / gram.shape[0], 1e-300)
    return linalg.solve(gram + shrinkage * scale * np.eye(gram.shape[0]), residual, assume_a="pos")


def _mean_reciprocal_rank(queries, targets):
    def unit(rows):
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)

    similarities = unit(queries) @ unit(targets).T
    own = np.diag(similarities)
    ranks = 1 + (similarities > own[:, None]).sum(axis=1)
    return float(np.mean(1.0 / ranks))
