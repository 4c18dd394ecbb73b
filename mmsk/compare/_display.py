"""Plot of a comparison's leaderboard, following scikit-learn's display convention."""

import numpy as np
import pandas as pd

from .._utils import import_optional
from ._compare import ENSEMBLE_NAME, Comparison, rank

_REQUIRED_COLUMNS = ("model", "score_mean")
_BAR_COLOR = "tab:blue"
_ENSEMBLE_COLOR = "tab:orange"
_PARTLY_FAILED_COLOR = "0.65"
_PARTLY_FAILED_HATCH = "//"
_CLIPPED_HATCH = "xx"
_TEXT_COLOR = "0.2"
_NOTE_COLOR = "0.35"
_VALUE_MARGIN = 0.22
_PLAIN_MARGIN = 0.06


class LeaderboardDisplay:
    """Horizontal bars of each candidate's cross-validated score, the best on top.

    Build it with :meth:`from_results` rather than directly. Each bar is a
    candidate's mean score over the folds, with its standard deviation as an error
    bar and its value written beside it. The ensemble has a colour of its own; a
    candidate that failed in some folds is drawn grey and hatched (its score is the
    mean over the other folds) and its label says how many folds failed; a candidate
    that failed in every fold has no score and is left out, named in a note under
    the axis.

    The score axis starts at zero when every score is non-negative, and ends at zero
    when every score is negative (``neg_log_loss`` and the other ``neg_*`` scorers).
    When both signs occur (an r2 below zero), the axis spans both, with a line at
    zero; a score below ``-max(best score, 1)`` (an r2 of -40, say) would crush the
    other bars, so its bar is cut there, cross-hatched, and its value still written.

    Parameters
    ----------
    leaderboard : pandas.DataFrame
        The :attr:`~mmsk.compare.Comparison.leaderboard` of
        :func:`~mmsk.compare.compare_models`: at least ``model`` and ``score_mean``;
        ``score_std`` and ``failed_folds`` are used when present.
    scoring : str or None, default=None
        Name of the metric, for the axis label; None writes ``"score"``.
    title : str or None, default=None
        Title of the plot; None writes ``"Leaderboard"``.

    Attributes
    ----------
    leaderboard : pandas.DataFrame
        The leaderboard, as given.
    models_ : list of str
        The candidates drawn, best first (the top bar first).
    failed_ : list of str
        The candidates left out because they failed in every fold.
    ax_ : matplotlib Axes
        The axes of the plot.
    figure_ : matplotlib Figure
        The figure of the plot.
    bars_ : matplotlib BarContainer
        The bars, bottom (worst) to top (best), as matplotlib draws them.
    value_texts_ : list of matplotlib Text
        The value written beside each bar, in the order of ``bars_``; empty with
        ``show_values=False``.

    See Also
    --------
    mmsk.compare.compare_models : Compute the leaderboard.
    mmsk.inspection.ModalityImportanceDisplay : Plot how much each modality matters.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from mmsk.compare import LeaderboardDisplay
    >>> leaderboard = pd.DataFrame(
    ...     {
    ...         "model": ["ensemble", "late-stacking", "early"],
    ...         "score_mean": [0.91, 0.89, 0.84],
    ...         "score_std": [0.01, 0.02, 0.03],
    ...         "failed_folds": [0, 0, 0],
    ...     }
    ... )
    >>> display = LeaderboardDisplay.from_results(leaderboard, scoring="roc_auc")
    >>> display.models_
    ['ensemble', 'late-stacking', 'early']
    >>> [text.get_text() for text in display.value_texts_]
    ['0.840', '0.890', '0.910']
    >>> float(display.ax_.get_xlim()[0])
    0.0
    >>> plt.close(display.figure_)
    """

    def __init__(self, leaderboard, *, scoring=None, title=None):
        self.leaderboard = leaderboard
        self.scoring = scoring
        self.title = title

    @classmethod
    def from_results(cls, results, *, scoring=None, title=None, ax=None, show_values=True):
        """Plot the leaderboard of a comparison.

        Parameters
        ----------
        results : Comparison or pandas.DataFrame
            What :func:`~mmsk.compare.compare_models` returned, or its
            ``leaderboard``.
        scoring : str or None, default=None
            Name of the metric for the axis label; None takes the comparison's
            ``scoring`` (or writes ``"score"`` for a bare leaderboard).
        title : str or None, default=None
            Title of the plot; None writes ``"Leaderboard"``.
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.
        show_values : bool, default=True
            Write each mean score beside its bar.

        Returns
        -------
        display : LeaderboardDisplay
            The display, with the plot drawn.
        """
        if isinstance(results, Comparison):
            leaderboard = results.leaderboard
            if scoring is None and isinstance(results.scoring, str):
                scoring = results.scoring
        else:
            leaderboard = results
        display = cls(leaderboard, scoring=scoring, title=title)
        return display.plot(ax=ax, show_values=show_values)

    def plot(self, ax=None, *, show_values=True):
        """Draw the leaderboard, the best candidate on top.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.
        show_values : bool, default=True
            Write each mean score beside its bar.

        Returns
        -------
        display : LeaderboardDisplay
            The display, with ``ax_``, ``figure_``, ``bars_`` and ``value_texts_``
            set.
        """
        plt = _pyplot(f"{type(self).__name__}.plot")
        rows = _ranked_rows(self.leaderboard)
        scored = [row for row in rows if np.isfinite(row["score_mean"])]
        drawn = scored[::-1]  # matplotlib draws from the bottom up
        if ax is None:
            height = 1.6 + 0.45 * max(len(drawn), 1)
            _, ax = plt.subplots(figsize=(7.0, height), layout="constrained")
        means = np.array([row["score_mean"] for row in drawn], dtype=np.float64)
        stds = np.array([row["score_std"] for row in drawn], dtype=np.float64)
        axis = _ScoreAxis(means, stds, margin=_VALUE_MARGIN if show_values else _PLAIN_MARGIN)
        positions = np.arange(len(drawn))
        self.bars_ = _draw_bars(ax, drawn, axis, positions)
        self.value_texts_ = _write_values(ax, axis, positions) if show_values else []
        failed = [row["model"] for row in rows if not np.isfinite(row["score_mean"])]
        _label(ax, drawn, positions, axis, failed, self.scoring, self.title)
        self.models_ = [row["model"] for row in scored]
        self.failed_ = failed
        self.ax_, self.figure_ = ax, ax.figure
        return self


def _pyplot(purpose):
    """matplotlib's pyplot, or an ImportError that names the ``plot`` extra."""
    return import_optional("matplotlib.pyplot", purpose=purpose, extra="plot")


def _ranked_rows(leaderboard):
    if not isinstance(leaderboard, pd.DataFrame):
        raise TypeError(
            "The 'leaderboard' of LeaderboardDisplay must be a pandas DataFrame such as "
            f"Comparison.leaderboard. Got {type(leaderboard).__name__} instead."
        )
    missing = [column for column in _REQUIRED_COLUMNS if column not in leaderboard.columns]
    if missing:
        raise ValueError(
            f"The 'leaderboard' of LeaderboardDisplay lacks the columns {missing}; pass "
            "the leaderboard of compare_models, which has 'model' and 'score_mean'."
        )
    rows = []
    for record in leaderboard.to_dict("records"):
        mean = pd.to_numeric(record["score_mean"], errors="coerce")
        std = pd.to_numeric(record.get("score_std", 0.0), errors="coerce")
        failed = pd.to_numeric(record.get("failed_folds", 0), errors="coerce")
        rows.append(
            {
                "model": str(record["model"]),
                "score_mean": float(mean) if pd.notna(mean) else np.nan,
                "score_std": float(std) if pd.notna(std) else 0.0,
                "failed_folds": int(failed) if pd.notna(failed) else 0,
            }
        )
    return rank(rows)


class _ScoreAxis:
    """Where the score axis starts and ends, and where a far negative bar is cut."""

    def __init__(self, means, stds, *, margin):
        self.means = means
        self.stds = stds
        lows, highs = means - stds, means + stds
        if not means.size:
            self.floor, self.limits = None, (0.0, 1.0)
            return
        if lows.min() >= 0:
            self.floor = None
            self.limits = (0.0, _away_from_zero(highs.max(), margin))
            return
        if highs.max() <= 0:
            self.floor = None
            self.limits = (_away_from_zero(lows.min(), margin), 0.0)
            return
        self.floor = -max(highs.max(), 1.0)
        low = max(lows.min(), self.floor)
        span = highs.max() - low
        self.limits = (low - margin * span, highs.max() + margin * span)

    def clipped(self):
        """Whether each bar is cut at the floor."""
        if self.floor is None:
            return np.zeros(self.means.shape, dtype=bool)
        return self.means < self.floor

    def widths(self):
        """The drawn length of each bar: the mean score, or the floor for a cut bar."""
        return np.where(self.clipped(), self.floor, self.means)

    def error_bars(self):
        """The standard deviations, none on a cut bar (it would leave the axis)."""
        return np.where(self.clipped(), 0.0, self.stds)

    def crosses_zero(self):
        return self.limits[0] < 0


def _away_from_zero(end, margin):
    """The end of an axis from zero to ``end``, with room for the value labels."""
    return end * (1.0 + margin) if end else 1.0


def _draw_bars(ax, rows, axis, positions):
    colors = [_bar_color(row) for row in rows]
    bars = ax.barh(
        positions,
        axis.widths(),
        xerr=axis.error_bars(),
        height=0.62,
        color=colors,
        alpha=0.9,
        capsize=3,
        ecolor="0.25",
    )
    for bar, row, clipped in zip(bars, rows, axis.clipped()):
        if clipped:
            bar.set_hatch(_CLIPPED_HATCH)
        elif row["failed_folds"]:
            bar.set_hatch(_PARTLY_FAILED_HATCH)
    return bars


def _bar_color(row):
    if row["failed_folds"]:
        return _PARTLY_FAILED_COLOR
    return _ENSEMBLE_COLOR if row["model"] == ENSEMBLE_NAME else _BAR_COLOR


def _write_values(ax, axis, positions):
    texts = []
    for position, mean, std, clipped in zip(
        positions, axis.means, axis.error_bars(), axis.clipped()
    ):
        if clipped:
            anchor, offset, align = axis.floor, -4, "right"
        elif mean >= 0:
            anchor, offset, align = mean + std, 4, "left"
        else:
            anchor, offset, align = mean - std, -4, "right"
        texts.append(
            ax.annotate(
                _format_score(mean),
                xy=(anchor, position),
                xytext=(offset, 0),
                textcoords="offset points",
                ha=align,
                va="center",
                fontsize="small",
                color=_TEXT_COLOR,
            )
        )
    return texts


def _format_score(value):
    return f"{value:.3f}" if abs(value) < 1000 else f"{value:,.0f}"


def _label(ax, rows, positions, axis, failed, scoring, title):
    ax.set_yticks(positions, labels=[_tick_label(row) for row in rows])
    ax.set_ylim(-0.6, max(len(rows), 1) - 0.4)
    ax.set_xlim(*axis.limits)
    if axis.crosses_zero():
        ax.axvline(0.0, color="0.4", linewidth=0.8, linestyle="--")
    lines = [f"{scoring or 'score'} (cross-validated mean ± std)"]
    if axis.clipped().any():
        lines.append(f"cross-hatched bars are cut at {axis.floor:.3g}; their value is written")
    if failed:
        lines.append("not shown, failed in every fold: " + ", ".join(failed))
    ax.set_xlabel("\n".join(lines))
    ax.set_title(title or "Leaderboard")
    if not rows:
        ax.text(
            0.5,
            0.5,
            "no candidate has a score",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color=_NOTE_COLOR,
        )


def _tick_label(row):
    failed = row["failed_folds"]
    if not failed:
        return row["model"]
    return f"{row['model']} ({failed} fold{'s' if failed > 1 else ''} failed)"
