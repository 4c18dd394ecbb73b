"""LeaderboardDisplay: bars, order, labels and axis limits of a comparison's leaderboard."""

import numpy as np
import pandas as pd
import pytest

from mmsk.compare import LeaderboardDisplay, compare_models
from mmsk.datasets import make_multimodal_classification


@pytest.fixture
def pyplot():
    """matplotlib's pyplot on the Agg backend; figures are closed after the test."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def _leaderboard(models, means, stds=None, failed=None):
    return pd.DataFrame(
        {
            "model": models,
            "score_mean": means,
            "score_std": stds if stds is not None else [0.01] * len(models),
            "failed_folds": failed if failed is not None else [0] * len(models),
        }
    )


def _tick_labels(display):
    return [label.get_text() for label in display.ax_.get_yticklabels()]


def test_bars_are_drawn_best_on_top(pyplot):
    board = _leaderboard(["early", "ensemble", "late-mean"], [0.80, 0.90, 0.85])
    display = LeaderboardDisplay.from_results(board, scoring="roc_auc")
    assert len(display.bars_) == 3
    assert display.models_ == ["ensemble", "late-mean", "early"]
    assert _tick_labels(display) == ["early", "late-mean", "ensemble"]  # bottom to top
    widths = [bar.get_width() for bar in display.bars_]
    assert widths == sorted(widths)
    assert display.ax_.get_xlabel() == "roc_auc (cross-validated mean ± std)"
    assert display.ax_.get_title() == "Leaderboard"
    assert display.figure_ is display.ax_.figure


def test_values_are_written_beside_the_bars(pyplot):
    board = _leaderboard(["a", "b"], [0.9123, 0.5])
    display = LeaderboardDisplay.from_results(board)
    assert [text.get_text() for text in display.value_texts_] == ["0.500", "0.912"]
    assert display.ax_.get_xlabel().startswith("score (")
    hidden = LeaderboardDisplay(board).plot(show_values=False)
    assert hidden.value_texts_ == []


def test_non_negative_scores_start_the_axis_at_zero(pyplot):
    display = LeaderboardDisplay.from_results(_leaderboard(["a", "b"], [0.91, 0.93]))
    left, right = display.ax_.get_xlim()
    assert left == 0.0 and right > 0.94


def test_negative_scores_end_the_axis_at_zero(pyplot):
    board = _leaderboard(["a", "b"], [-0.35, -0.52], stds=[0.02, 0.03])
    display = LeaderboardDisplay.from_results(board, scoring="neg_log_loss")
    left, right = display.ax_.get_xlim()
    assert right == 0.0 and left < -0.55
    assert display.models_ == ["a", "b"]
    assert [text.get_text() for text in display.value_texts_] == ["-0.520", "-0.350"]


def test_a_far_negative_r2_is_cut_and_keeps_its_value(pyplot):
    board = _leaderboard(["good", "fair", "awful"], [0.6, -0.2, -40.0], stds=[0.05, 0.1, 9.0])
    display = LeaderboardDisplay.from_results(board, scoring="r2")
    left, right = display.ax_.get_xlim()
    assert -1.6 < left < -1.0 and 0.65 < right < 1.1
    awful = display.bars_[0]
    assert awful.get_width() == pytest.approx(-1.0)
    assert awful.get_hatch() == "xx"
    assert display.value_texts_[0].get_text() == "-40.000"
    assert "cut at -1" in display.ax_.get_xlabel()
    assert display.bars_[1].get_width() == pytest.approx(-0.2)


def test_failed_candidates_are_hatched_or_left_out_with_a_note(pyplot):
    board = _leaderboard(["early", "late-mean", "bayes-tan"], [0.9, 0.8, np.nan], failed=[0, 1, 5])
    display = LeaderboardDisplay.from_results(board, title="t.csv · target 'y' · roc_auc")
    assert display.models_ == ["early", "late-mean"]
    assert display.failed_ == ["bayes-tan"]
    assert _tick_labels(display) == ["late-mean (1 fold failed)", "early"]
    assert display.bars_[0].get_hatch() == "//"
    assert display.bars_[1].get_hatch() is None
    assert "not shown, failed in every fold: bayes-tan" in display.ax_.get_xlabel()
    assert display.ax_.get_title() == "t.csv · target 'y' · roc_auc"


def test_an_unranked_leaderboard_is_ranked(pyplot):
    board = _leaderboard(["c", "a", "b"], [0.7, 0.9, 0.8], failed=[0, 2, 0])
    display = LeaderboardDisplay.from_results(board)
    assert display.models_ == ["b", "c", "a"]  # a failed in some folds: ranked last


def test_every_candidate_failing_draws_an_empty_axis(pyplot):
    board = _leaderboard(["a", "b"], [np.nan, np.nan], failed=[3, 3])
    display = LeaderboardDisplay.from_results(board)
    assert len(display.bars_) == 0 and display.models_ == []
    assert display.failed_ == ["a", "b"]
    assert "no candidate has a score" in [text.get_text() for text in display.ax_.texts]


def test_a_comparison_gives_its_leaderboard_and_scoring(pyplot):
    X, y = make_multimodal_classification(n_samples=60, random_state=0)
    comparison = compare_models(X, y, candidates=["early"], cv=2, ensemble=False, refit=False)
    display = LeaderboardDisplay.from_results(comparison)
    assert display.models_ == ["early"]
    assert display.ax_.get_xlabel().startswith("roc_auc (")


def test_drawing_on_given_axes(pyplot):
    figure, (left, right) = pyplot.subplots(1, 2)
    display = LeaderboardDisplay.from_results(_leaderboard(["a"], [0.5]), ax=right)
    assert display.ax_ is right and display.figure_ is figure
    assert len(left.patches) == 0


@pytest.mark.parametrize(
    "leaderboard, error, message",
    [
        ([{"model": "a"}], TypeError, "must be a pandas DataFrame"),
        (pd.DataFrame({"model": ["a"]}), ValueError, "lacks the columns ['score_mean']"),
    ],
)
def test_bad_leaderboard_is_refused(pyplot, leaderboard, error, message):
    with pytest.raises(error, match=message.replace("[", r"\[").replace("]", r"\]")):
        LeaderboardDisplay(leaderboard).plot()


def test_without_matplotlib_the_error_names_the_plot_extra(monkeypatch):
    import importlib

    real_import_module = importlib.import_module

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import_module(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", no_matplotlib)
    with pytest.raises(ImportError, match=r'LeaderboardDisplay.plot needs .* "mmsk\[plot\]"'):
        LeaderboardDisplay(_leaderboard(["a"], [0.5])).plot()
