"""Permutation importance of whole modalities."""

from collections.abc import Mapping
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import is_classifier, is_regressor
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_array, check_is_fitted

_FRAME_COLUMNS = ["modality", "importance_mean", "importance_std", "weight"]


class ModalityImportanceResult(Bunch):
    """What :func:`modality_importance` returns: a Bunch with a ``to_frame`` method.

    It is a :class:`~sklearn.utils.Bunch`, so values are reached as attributes
    (``result.importances_mean``) or as keys (``result["importances_mean"]``), as with
    :func:`sklearn.inspection.permutation_importance`.

    Attributes
    ----------
    importances : ndarray of shape (n_modalities, n_repeats)
        Drop of the score when the modality is permuted, for each repeat.
    importances_mean : ndarray of shape (n_modalities,)
        Mean of ``importances`` over the repeats.
    importances_std : ndarray of shape (n_modalities,)
        Standard deviation of ``importances`` over the repeats.
    baseline_score : float
        The score on the unpermuted ``X``.
    modalities : list of str
        The modality names, in the order of the rows of ``importances``.
    modality_columns : dict
        The columns permuted together for each modality.
    weights : dict or None
        The estimator's ``weights_`` (the weight of each modality in late fusion),
        or None when it has none.
    scorer_name : str
        Name of the score, used in plot labels.

    See Also
    --------
    modality_importance : Compute this result.
    ModalityImportanceDisplay : Plot it.
    """

    def to_frame(self):
        """One row per modality, the most important first.

        Returns
        -------
        frame : pandas.DataFrame
            Columns ``modality``, ``importance_mean``, ``importance_std`` and
            ``weight`` (NaN where the estimator has no weight for the modality),
            sorted by decreasing ``importance_mean``.

        Examples
        --------
        >>> import numpy as np
        >>> from mmsk.inspection import ModalityImportanceResult
        >>> result = ModalityImportanceResult(
        ...     modalities=["tabular", "text"],
        ...     importances_mean=np.array([0.05, 0.2]),
        ...     importances_std=np.array([0.01, 0.02]),
        ...     weights={"tabular": 0.3, "text": 0.7},
        ... )
        >>> result.to_frame()
          modality  importance_mean  importance_std  weight
        0     text             0.20            0.02     0.7
        1  tabular             0.05            0.01     0.3
        """
        weights = self.get("weights") or {}
        frame = pd.DataFrame(
            {
                "modality": list(self.modalities),
                "importance_mean": np.asarray(self.importances_mean, dtype=np.float64),
                "importance_std": np.asarray(self.importances_std, dtype=np.float64),
                "weight": [float(weights.get(name, np.nan)) for name in self.modalities],
            },
            columns=_FRAME_COLUMNS,
        )
        return frame.sort_values(
            "importance_mean", ascending=False, kind="stable", ignore_index=True
        )

    def __dir__(self):
        return [*self.keys(), "to_frame"]


@validate_params(
    {
        "estimator": [HasMethods(["fit"])],
        "X": ["array-like"],
        "y": ["array-like", None],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "n_repeats": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "sample_weight": ["array-like", None],
        "modalities": [dict, list, None],
    },
    prefer_skip_nested_validation=True,
)
def modality_importance(
    estimator,
    X,
    y,
    *,
    scoring=None,
    n_repeats=5,
    random_state=None,
    n_jobs=None,
    sample_weight=None,
    modalities=None,
):
    """Permutation importance of whole modalities.

    For each modality, every one of its columns is shuffled with the same row
    permutation, so the modality's values stay together as they were observed (a
    title stays with its review, an age with its category), while the columns of the
    other modalities are left as they are. The importance of a modality is how much
    the score drops: a modality the estimator relies on gets a clearly positive
    importance, one it ignores gets about zero.

    Parameters
    ----------
    estimator : estimator
        A fitted estimator. Its modalities are read from its ``modality_columns_``
        (every mmsk fusion estimator), or from the last step's when it is a
        :class:`~sklearn.pipeline.Pipeline`. Any other fitted estimator works when
        ``modalities`` gives the columns of each modality.
    X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
        The data to score on, preferably held out from training. Columns are
        matched by name in a DataFrame and by integer position in an array.
    y : array-like of shape (n_samples,) or None
        The target.
    scoring : str, callable or None, default=None
        The score: a scorer name such as ``"roc_auc"``, a callable
        ``scorer(estimator, X, y)``, or None for the estimator's ``score`` method
        (accuracy for classifiers, R² for regressors).
    n_repeats : int, default=5
        Number of permutations of each modality.
    random_state : int, RandomState instance or None, default=None
        Draws the row permutations. Pass an int for reproducible results.
    n_jobs : int or None, default=None
        Number of (modality, repeat) scorings run in parallel with joblib. The
        result does not depend on it.
    sample_weight : array-like of shape (n_samples,) or None, default=None
        Row weights passed to the scorer.
    modalities : dict, list or None, default=None
        Which column groups to permute:

        - None: every modality of the estimator's ``modality_columns_``;
        - a list of modality names: those modalities of the estimator, in that
          order;
        - a dict ``{name: columns}`` or a list of ``(name, columns)`` pairs (such as
          the ``modalities`` of the synthetic datasets' Bunch): explicit groups, for
          any estimator; ``columns`` is a column name or position, or a list of
          them.

    Returns
    -------
    result : ModalityImportanceResult
        A :class:`~sklearn.utils.Bunch` with ``importances`` of shape
        (n_modalities, n_repeats), ``importances_mean``, ``importances_std``,
        ``baseline_score``, ``modalities`` (names, in the order of the rows),
        ``modality_columns``, ``weights`` (the estimator's ``weights_`` dict, as
        learned by late fusion, or None) and ``scorer_name``. Its ``to_frame()``
        gives one row per modality, sorted by importance.

    Raises
    ------
    NotFittedError
        When the estimator is not fitted.
    ValueError
        When ``modalities`` names an unknown modality or column, or when the
        estimator has no ``modality_columns_`` and ``modalities`` is not given.

    See Also
    --------
    ModalityImportanceDisplay : Plot the result.
    sklearn.inspection.permutation_importance : The same, one column at a time.

    Notes
    -----
    In a given repeat every modality is shuffled with the same row permutation,
    so differences between modalities do not come from different shuffles. With
    rows permuted, the values of a modality are still realistic; only their link
    to the other modalities and to the target is broken. Importances computed on
    the training data measure what the estimator memorised, so prefer held-out data.

    Examples
    --------
    >>> from mmsk import EarlyFusionClassifier
    >>> from mmsk.datasets import make_multimodal_classification
    >>> from mmsk.inspection import modality_importance
    >>> X, y = make_multimodal_classification(
    ...     n_samples=300, signal={"text": 0.0}, random_state=0
    ... )
    >>> model = EarlyFusionClassifier().fit(X[:200], y[:200])
    >>> result = modality_importance(
    ...     model, X[200:], y[200:], n_repeats=3, random_state=0
    ... )
    >>> result.modalities
    ['tabular', 'text']
    >>> result.importances.shape
    (2, 3)
    >>> result.to_frame()["modality"].tolist()
    ['tabular', 'text']
    """
    check_is_fitted(estimator)
    groups = _modality_groups(estimator, modalities)
    X = _check_X(X)
    positions = {name: _column_positions(name, columns, X) for name, columns in groups.items()}
    scorer = check_scoring(estimator, scoring=scoring)
    baseline = _score(scorer, estimator, X, y, sample_weight)
    rng = check_random_state(random_state)
    permutations = [rng.permutation(X.shape[0]) for _ in range(n_repeats)]
    scores = Parallel(n_jobs=n_jobs)(
        delayed(_permuted_score)(scorer, estimator, X, y, sample_weight, columns, permutation)
        for columns in positions.values()
        for permutation in permutations
    )
    importances = baseline - np.asarray(scores, dtype=np.float64).reshape(-1, n_repeats)
    return ModalityImportanceResult(
        importances=importances,
        importances_mean=importances.mean(axis=1),
        importances_std=importances.std(axis=1),
        baseline_score=baseline,
        modalities=list(groups),
        modality_columns={name: list(columns) for name, columns in groups.items()},
        weights=_fusion_weights(estimator),
        scorer_name=_scorer_name(scoring, estimator),
    )


def _final_estimator(estimator):
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps else estimator


def _modality_groups(estimator, modalities):
    """The columns of each modality to permute, as ``{name: [columns]}``."""
    if modalities is not None and len(modalities) == 0:
        raise ValueError(
            "The 'modalities' parameter of modality_importance must name at least one "
            f"modality. Got {modalities!r} instead."
        )
    if modalities is None or _is_name_list(modalities):
        fitted = _fitted_modality_columns(estimator)
        return fitted if modalities is None else _pick(fitted, modalities, estimator)
    return _explicit_groups(modalities)


def _is_name_list(modalities):
    return isinstance(modalities, list) and all(isinstance(name, str) for name in modalities)


def _fitted_modality_columns(estimator):
    final = _final_estimator(estimator)
    columns = getattr(final, "modality_columns_", None)
    if not isinstance(columns, Mapping):
        owner = type(estimator).__name__
        if final is not estimator:
            owner = f"the last step of {owner} ({type(final).__name__})"
        raise ValueError(
            f"modality_importance needs the columns of each modality, but {owner} has "
            "no modality_columns_ attribute. Pass modalities={name: columns}, for "
            "example modalities={'text': ['review'], 'tabular': ['age', 'price']}."
        )
    return {name: list(cols) for name, cols in columns.items()}


def _pick(fitted, names, estimator):
    unknown = [name for name in names if name not in fitted]
    if unknown:
        raise ValueError(
            f"The 'modalities' parameter of modality_importance names {unknown}, which "
            f"are not modalities of {type(estimator).__name__}; its modalities are "
            f"{list(fitted)}."
        )
    if len(set(names)) != len(names):
        raise ValueError(
            "The 'modalities' parameter of modality_importance must not repeat a name. "
            f"Got {names!r} instead."
        )
    return {name: fitted[name] for name in names}


def _explicit_groups(modalities):
    pairs = modalities.items() if isinstance(modalities, dict) else modalities
    groups = {}
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str)):
            raise ValueError(
                "The 'modalities' parameter of modality_importance must be a dict "
                "{name: columns}, a list of (name, columns) pairs or a list of modality "
                f"names, with string names. Got the entry {pair!r} instead."
            )
        name, columns = pair
        if name in groups:
            raise ValueError(
                f"The 'modalities' parameter of modality_importance names modality "
                f"{name!r} twice; give each modality once."
            )
        groups[name] = _as_column_list(name, columns)
    return groups


def _as_column_list(name, columns):
    if isinstance(columns, (str, Integral)):
        return [columns]
    columns = list(columns)
    if not columns:
        raise ValueError(
            f"Modality {name!r} in the 'modalities' parameter of modality_importance "
            "has no columns; give it at least one column name or position."
        )
    return columns


def _check_X(X):
    if isinstance(X, pd.DataFrame):
        if not X.columns.is_unique:
            duplicated = X.columns[X.columns.duplicated()].unique().tolist()
            raise ValueError(
                f"X has duplicated column names {duplicated}; modality_importance "
                "selects columns by name, so every column needs a unique name."
            )
        return X
    return check_array(X, dtype=None, ensure_all_finite=False, input_name="X")


def _column_positions(name, columns, X):
    """Positions in ``X`` of the columns of modality ``name``."""
    if isinstance(X, pd.DataFrame):
        return _positions_by_label(name, columns, X.columns)
    if all(_is_position(column) for column in columns):
        return _positions_by_index(name, columns, X.shape[1])
    raise ValueError(
        f"Modality {name!r} selects columns {columns} by name, but X is an array "
        "without column names. Pass X as a DataFrame, or give integer column "
        "positions in the 'modalities' parameter."
    )


def _is_position(column):
    return isinstance(column, Integral) and not isinstance(column, bool)


def _positions_by_label(name, columns, labels):
    positions = labels.get_indexer(pd.Index(columns, dtype=object))
    missing = [column for column, position in zip(columns, positions) if position < 0]
    if missing:
        raise ValueError(
            f"Modality {name!r} has columns {missing} that are not in X. "
            f"X has columns {list(labels)}."
        )
    return positions.astype(int)


def _positions_by_index(name, columns, n_features):
    out_of_range = [column for column in columns if not -n_features <= column < n_features]
    if out_of_range:
        raise ValueError(
            f"Modality {name!r} selects column positions {out_of_range}, but X has only "
            f"{n_features} columns."
        )
    return np.asarray(columns, dtype=int) % n_features


def _score(scorer, estimator, X, y, sample_weight):
    if sample_weight is None:
        return float(scorer(estimator, X, y))
    return float(scorer(estimator, X, y, sample_weight=sample_weight))


def _permuted_score(scorer, estimator, X, y, sample_weight, positions, permutation):
    return _score(scorer, estimator, _permute_rows(X, positions, permutation), y, sample_weight)


def _permute_rows(X, positions, permutation):
    """A copy of ``X`` whose ``positions`` columns all take rows in ``permutation`` order."""
    if isinstance(X, pd.DataFrame):
        permuted = X.copy(deep=False)
        for position in positions:
            column = X.iloc[:, position].take(permutation).set_axis(X.index)
            permuted.isetitem(position, column)
        return permuted
    permuted = X.copy()
    permuted[:, positions] = X[np.ix_(permutation, positions)]
    return permuted


def _fusion_weights(estimator):
    """The modality weights of a late-fusion model, or None.

    An ensemble's ``weights_`` weigh its members, not modalities: None.
    """
    final = _final_estimator(estimator)
    weights = getattr(final, "weights_", None)
    modalities = getattr(final, "modality_names_", None)
    if isinstance(weights, Mapping) and modalities is not None and set(weights) <= set(modalities):
        return {name: float(weight) for name, weight in weights.items()}
    return None


def _scorer_name(scoring, estimator):
    if isinstance(scoring, str):
        return scoring
    if scoring is None:
        if is_classifier(estimator):
            return "accuracy"
        return "R²" if is_regressor(estimator) else "score"
    function = getattr(scoring, "_score_func", scoring)
    return getattr(function, "__name__", "score")
