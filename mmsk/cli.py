"""Command-line entry point: compare fusion estimators on the bundled demo data."""

import argparse
import sys
import time

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_validate

from .datasets import load_clothing_reviews
from .fusion import EarlyFusionClassifier, LateFusionClassifier


def candidate_models(random_state=0):
    """The estimators compared by the demo: early fusion and every late-fusion rule."""
    models = {"early": EarlyFusionClassifier()}
    for fusion in ("mean", "weighted", "vote", "product", "stacking"):
        models[f"late/{fusion}"] = LateFusionClassifier(fusion=fusion, random_state=random_state)
    return models


def compare(X, y, *, cv=3, scoring="accuracy", random_state=0, stream=sys.stdout):
    """Cross-validate every candidate and return rows of the leaderboard, best first.

    Parameters
    ----------
    X : pandas.DataFrame
        The input table.
    y : array-like of shape (n_samples,)
        The target.
    cv : int, default=3
        Number of stratified folds.
    scoring : str, default="accuracy"
        A scikit-learn scorer name.
    random_state : int, default=0
        Seed of the folds and of the estimators.
    stream : file-like, default=sys.stdout
        Where progress lines go.

    Returns
    -------
    rows : list of dict
        ``model``, ``score_mean``, ``score_std``, ``fit_time`` and ``predict_time``.
    """
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    rows = []
    models = candidate_models(random_state)
    for i, (name, model) in enumerate(models.items(), start=1):
        print(f"[{i}/{len(models)}] {name} ...", file=stream, flush=True)
        result = cross_validate(model, X, y, cv=folds, scoring=scoring)
        rows.append(
            {
                "model": name,
                "score_mean": float(np.mean(result["test_score"])),
                "score_std": float(np.std(result["test_score"])),
                "fit_time": float(np.mean(result["fit_time"])),
                "predict_time": float(np.mean(result["score_time"])),
            }
        )
    return sorted(rows, key=lambda row: -row["score_mean"])


def format_leaderboard(rows, scoring):
    """The leaderboard as an aligned text table."""
    header = f"{'model':<16} {scoring:>18} {'fit s':>8} {'predict s':>10}"
    lines = [header, "-" * len(header)]
    for row in rows:
        score = f"{row['score_mean']:.4f} ± {row['score_std']:.4f}"
        lines.append(
            f"{row['model']:<16} {score:>18} {row['fit_time']:>8.2f} {row['predict_time']:>10.2f}"
        )
    return "\n".join(lines)


def main(argv=None):
    """Run the demo comparison; returns the process exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m mmsk",
        description=(
            "Cross-validate early fusion and every late-fusion rule on the bundled "
            "women's clothing reviews (predict 'Recommended IND' from numbers, "
            "categories and review text) and print a leaderboard."
        ),
    )
    parser.add_argument("--cv", type=int, default=3, help="number of folds (default 3)")
    parser.add_argument(
        "--scoring", default="roc_auc", help="scikit-learn scorer name (default roc_auc)"
    )
    args = parser.parse_args(argv)
    if args.cv < 2:
        parser.error(f"--cv must be at least 2; got {args.cv}")
    X, y = load_clothing_reviews(return_X_y=True)
    print(f"Demo data: {X.shape[0]} rows, {X.shape[1]} columns; target {y.name!r}")
    start = time.perf_counter()
    rows = compare(X, y, cv=args.cv, scoring=args.scoring)
    print()
    print(format_leaderboard(rows, args.scoring))
    print(f"\nTotal time: {time.perf_counter() - start:.1f} s")
    return 0
