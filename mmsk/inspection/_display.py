"""Plot of modality importances, following scikit-learn's display convention."""

from collections.abc import Mapping

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.fixes import parse_version

from ._importance import ModalityImportanceResult, modality_importance

_KINDS = ("bar", "box")
_REQUIRED_KEYS = ("importances", "modalities")
_BAR_COLOR = "tab:blue"
_WEIGHT_COLOR = "0.25"
_WEIGHT_MARGIN = 0.18


class ModalityImportanceDisplay:
    """Horizontal bars (or boxes) of how much the score drops per permuted modality.

    Build it with :meth:`from_estimator` or :meth:`from_result` rather than
    directly. When the estimator combines modalities with weights (late fusion's
    ``weights_``), each modality's weight is written next to its bar, so what the
    model *relies on* can be read beside what it was *told to weigh*.

    Parameters
    ----------
    result : ModalityImportanceResult or mapping
        The output of :func:`modality_importance`. A mapping needs at least
        ``importances`` and ``modalities``.

    Attributes
    ----------
    result : ModalityImportanceResult
        The importances that are plotted.
    importances_ : ndarray of shape (n_modalities, n_repeats)
        The drops of score, rows in the order of ``result.modalities``.
    ax_ : matplotlib Axes
        The axes of the plot.
    figure_ : matplotlib Figure
        The figure of the plot.
    bars_ : matplotlib BarContainer or None
        The bars, with ``kind="bar"``.
    boxes_ : dict or None
        The artists of the box plot, with ``kind="box"``.
    weight_texts_ : list of matplotlib Text
        The ``"w=..."`` annotations; empty when there are no weights to show.

    See Also
    --------
    modality_importance : Compute the importances.
    sklearn.inspection.permutation_importance : Importance of single columns.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.linear_model import LogisticRegression
    >>> from mmsk import LateFusionClassifier
    >>> from mmsk.datasets import make_multimodal_classification
    >>> from mmsk.inspection import ModalityImportanceDisplay
    >>> X, y = make_multimodal_classification(n_samples=300, random_state=0)
    >>> model = LateFusionClassifier(
    ...     estimators={"tabular": LogisticRegression()}, fusion="mean"
    ... ).fit(X[:200], y[:200])
    >>> display = ModalityImportanceDisplay.from_estimator(
    ...     model, X[200:], y[200:], n_repeats=3, random_state=0
    ... )
    >>> display.ax_.get_xlabel()
    'Drop in accuracy when the modality is permuted'
    >>> [text.get_text() for text in display.weight_texts_]
    ['w=0.50', 'w=0.50']
    >>> plt.close(display.figure_)
    """

    def __init__(self, result):
        self.result = result

    @classmethod
    def from_estimator(
        cls,
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
        ax=None,
        kind="bar",
        show_weights=True,
    ):
        """Compute the modality importances of a fitted estimator and plot them.

        Parameters
        ----------
        estimator : estimator
            A fitted estimator; see :func:`modality_importance`.
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The data to score on, preferably held out from training.
        y : array-like of shape (n_samples,) or None
            The target.
        scoring : str, callable or None, default=None
            The score; None uses the estimator's ``score`` method.
        n_repeats : int, default=5
            Number of permutations of each modality.
        random_state : int, RandomState instance or None, default=None
            Draws the row permutations. Pass an int for reproducible results.
        n_jobs : int or None, default=None
            Number of scorings run in parallel.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights passed to the scorer.
        modalities : dict, list or None, default=None
            Which column groups to permute; see :func:`modality_importance`.
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.
        kind : {"bar", "box"}, default="bar"
            Bars of the mean drop with standard-deviation error bars, or box plots
            of the drops over the repeats.
        show_weights : bool, default=True
            Write the estimator's modality weights (``"w=0.63"``) next to the bars,
            when it has some.

        Returns
        -------
        display : ModalityImportanceDisplay
            The display, with the plot drawn.

        See Also
        --------
        ModalityImportanceDisplay.from_result : Plot importances already computed.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        result = modality_importance(
            estimator,
            X,
            y,
            scoring=scoring,
            n_repeats=n_repeats,
            random_state=random_state,
            n_jobs=n_jobs,
            sample_weight=sample_weight,
            modalities=modalities,
        )
        return cls.from_result(result, ax=ax, kind=kind, show_weights=show_weights)

    @classmethod
    def from_result(cls, result, *, ax=None, kind="bar", show_weights=True):
        """Plot the output of :func:`modality_importance`.

        Parameters
        ----------
        result : ModalityImportanceResult or mapping
            The importances; a mapping needs at least ``importances`` and
            ``modalities``.
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.
        kind : {"bar", "box"}, default="bar"
            Bars with error bars, or box plots over the repeats.
        show_weights : bool, default=True
            Write the modality weights next to the bars, when the result has some.

        Returns
        -------
        display : ModalityImportanceDisplay
            The display, with the plot drawn.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np
        >>> from mmsk.inspection import ModalityImportanceDisplay
        >>> result = {
        ...     "modalities": ["tabular", "text"],
        ...     "importances": np.array([[0.02, 0.04], [0.20, 0.24]]),
        ...     "weights": {"tabular": 0.3, "text": 0.7},
        ... }
        >>> display = ModalityImportanceDisplay.from_result(result)
        >>> [label.get_text() for label in display.ax_.get_yticklabels()]
        ['tabular', 'text']
        >>> plt.close(display.figure_)
        """
        check_matplotlib_support(f"{cls.__name__}.from_result")
        return cls(_as_result(result)).plot(ax=ax, kind=kind, show_weights=show_weights)

    def plot(self, ax=None, *, kind="bar", show_weights=True):
        """Draw the importances, the most important modality on top.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.
        kind : {"bar", "box"}, default="bar"
            Bars of the mean drop with standard-deviation error bars, or box plots
            of the drops over the repeats.
        show_weights : bool, default=True
            Write the modality weights (``"w=0.63"``) next to the bars, when the
            result has some.

        Returns
        -------
        display : ModalityImportanceDisplay
            The display, with ``ax_`` and ``figure_`` set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        _check_kind(kind)
        import matplotlib.pyplot as plt

        result = _as_result(self.result)
        importances = np.asarray(result.importances, dtype=np.float64)
        order = np.argsort(importances.mean(axis=1), kind="stable")
        rows, names = importances[order], [result.modalities[i] for i in order]
        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 1.6 + 0.55 * len(names)), layout="constrained")
        positions = np.arange(len(names))
        self.bars_, self.boxes_ = None, None
        if kind == "bar":
            self.bars_, ends = _draw_bars(ax, rows, positions)
        else:
            self.boxes_, ends = _draw_boxes(ax, rows, positions)
        _label(ax, result, names, positions)
        weights = result.get("weights") if show_weights else None
        self.weight_texts_ = _annotate_weights(ax, weights, names, positions, ends)
        self.result, self.importances_ = result, importances
        self.ax_, self.figure_ = ax, ax.figure
        return self


def _as_result(result):
    if isinstance(result, ModalityImportanceResult):
        return result
    if not isinstance(result, Mapping):
        raise TypeError(
            "The 'result' of ModalityImportanceDisplay must be the output of "
            f"modality_importance or a mapping. Got {type(result).__name__} instead."
        )
    missing = [key for key in _REQUIRED_KEYS if key not in result]
    if missing:
        raise ValueError(
            f"The 'result' of ModalityImportanceDisplay lacks the keys {missing}; pass "
            "the output of modality_importance."
        )
    return _completed_result(result)


def _completed_result(result):
    importances = np.asarray(result["importances"], dtype=np.float64)
    modalities = list(result["modalities"])
    if importances.ndim != 2 or importances.shape[0] != len(modalities):
        raise ValueError(
            "The 'importances' of the result must have shape (n_modalities, n_repeats) "
            f"= ({len(modalities)}, n_repeats). Got shape {importances.shape} instead."
        )
    defaults = {
        "importances_mean": importances.mean(axis=1),
        "importances_std": importances.std(axis=1),
        "baseline_score": None,
        "weights": None,
        "scorer_name": "score",
    }
    values = {**defaults, **result, "importances": importances, "modalities": modalities}
    return ModalityImportanceResult(**values)


def _check_kind(kind):
    if not (isinstance(kind, str) and kind in _KINDS):
        raise ValueError(
            f"The 'kind' parameter of ModalityImportanceDisplay.plot must be one of "
            f"{list(_KINDS)}. Got {kind!r} instead."
        )


def _draw_bars(ax, rows, positions):
    means, stds = rows.mean(axis=1), rows.std(axis=1)
    bars = ax.barh(
        positions, means, xerr=stds, height=0.6, color=_BAR_COLOR, alpha=0.85, capsize=4
    )
    return bars, np.maximum(means + stds, 0.0)


def _draw_boxes(ax, rows, positions):
    import matplotlib

    options = {
        "positions": positions,
        "widths": 0.6,
        "patch_artist": True,
        "medianprops": {"color": "black"},
    }
    if parse_version(matplotlib.__version__) >= parse_version("3.10"):
        options["orientation"] = "horizontal"
    else:
        options["vert"] = False
    boxes = ax.boxplot(list(rows), **options)
    for patch in boxes["boxes"]:
        patch.set_facecolor(_BAR_COLOR)
        patch.set_alpha(0.6)
    return boxes, np.maximum(rows.max(axis=1), 0.0)


def _label(ax, result, names, positions):
    ax.axvline(0.0, color="0.4", linewidth=0.8, linestyle="--")
    ax.set_yticks(positions, labels=names)
    ax.set_ylim(-0.6, len(names) - 0.4)
    scorer = result.get("scorer_name") or "score"
    ax.set_xlabel(f"Drop in {scorer} when the modality is permuted")
    title = "Modality importance"
    baseline = result.get("baseline_score")
    if baseline is not None:
        title += f" (baseline {scorer} {baseline:.3f})"
    ax.set_title(title)


def _annotate_weights(ax, weights, names, positions, ends):
    if not weights:
        return []
    texts = [
        ax.annotate(
            f"w={weights[name]:.2f}",
            xy=(end, position),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize="small",
            color=_WEIGHT_COLOR,
        )
        for name, position, end in zip(names, positions, ends)
        if name in weights
    ]
    if texts:
        left, right = ax.get_xlim()
        ax.set_xlim(left, right + _WEIGHT_MARGIN * (right - left))
        ax.text(
            0.99,
            0.02,
            "w: the modality's weight in the fusion",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize="x-small",
            color=_WEIGHT_COLOR,
        )
    return texts
