"""How much a fusion search gains from sharing per-modality work, at identical scores.

Three measurements, each side by side in one process with one native thread:

1. ``gridsearch``: ``GridSearchCV`` over the five late-fusion rules on the bundled clothing
   reviews (4,000 rows, 5 folds), with and without ``memory=<folder>``, alternating.
2. ``compare``: :func:`mmsk.compare.compare_models` over the seven per-modality candidates
   (late ``mean``, ``weighted``, ``vote``, ``product``, ``stacking``, Bayesian ``tan``, MRF
   ``gaussian``) on the training part of the airline tweets (11,712 rows, 5 folds, refit of
   the best included, no ensemble), with ``cache=True`` and ``cache=False``.
3. ``default``: the whole default ``compare_models`` (every candidate of the default
   preset, the ensemble and its refit) on the same airline training part, against
   AutoGluon's 120-second budget of ../shared/BASELINES.md.

Writes ``results/search_cache.json`` and ``.md``.

Run from the repository root: ``python benchmarks/search_cache.py [--parts NAME ...]``.
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import sklearn
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).parent))
from _tasks import load_task  # noqa: E402

from mmsk import LateFusionClassifier  # noqa: E402
from mmsk.compare import compare_models  # noqa: E402
from mmsk.datasets import load_clothing_reviews  # noqa: E402

RULES = ["mean", "weighted", "vote", "product", "stacking"]
PER_MODALITY = [f"late-{rule}" for rule in RULES] + ["bayes-tan", "mrf-gaussian"]
RESULTS = Path(__file__).parent / "results"
AUTOGLUON_BUDGET = 120.0


def run_grid_search(X, y, memory):
    search = GridSearchCV(
        LateFusionClassifier(random_state=0, memory=memory),
        {"fusion": RULES},
        cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=0),
        scoring="roc_auc",
    )
    began = time.perf_counter()
    search.fit(X, y)
    return time.perf_counter() - began, search.cv_results_["mean_test_score"]


def measure_grid_search(repeats):
    X, y = load_clothing_reviews(return_X_y=True)
    timings = {"no_cache": [], "cache": []}
    scores = {}
    for _ in range(repeats):
        seconds, scores["no_cache"] = run_grid_search(X, y, memory=None)
        timings["no_cache"].append(seconds)
        with tempfile.TemporaryDirectory() as folder:
            seconds, scores["cache"] = run_grid_search(X, y, memory=folder)
        timings["cache"].append(seconds)
        print(f"grid search: no cache {timings['no_cache'][-1]:.1f} s, cache {seconds:.1f} s")
    medians = {name: float(np.median(values)) for name, values in timings.items()}
    return {
        "data": f"bundled clothing reviews, {X.shape[0]} rows; 5 folds; roc_auc",
        "candidates": RULES,
        "seconds": timings,
        "median_seconds": medians,
        "speedup": medians["no_cache"] / medians["cache"],
        "identical_scores": bool(np.array_equal(scores["no_cache"], scores["cache"])),
        "mean_test_score": dict(zip(RULES, scores["cache"].tolist())),
    }


def _airline():
    X, _, y, _, _ = load_task("airline_sentiment")
    return X, y


def measure_compare():
    X, y = _airline()
    runs = {}
    for cache in (True, False):
        began = time.perf_counter()
        result = compare_models(X, y, candidates=PER_MODALITY, ensemble=False, cache=cache)
        runs[cache] = (time.perf_counter() - began, result)
        print(f"compare, cache={cache}: {runs[cache][0]:.1f} s")
    boards = {cache: run.leaderboard.set_index("model") for cache, (_, run) in runs.items()}
    identical = all(
        np.array_equal(runs[True][1].out_of_fold[name], runs[False][1].out_of_fold[name])
        for name in PER_MODALITY
    ) and boards[True]["score_mean"].equals(boards[False]["score_mean"].loc[boards[True].index])
    return {
        "data": f"airline tweets, training part, {len(X)} rows; 5 folds; accuracy",
        "candidates": PER_MODALITY,
        "seconds": {"cache": runs[True][0], "no_cache": runs[False][0]},
        "speedup": runs[False][0] / runs[True][0],
        "identical_scores": bool(identical),
        "score_mean": boards[True]["score_mean"].to_dict(),
        "fit_time": boards[True]["fit_time"].to_dict(),
        "fit_time_alone": boards[True]["fit_time_alone"].to_dict(),
    }


def measure_default():
    X, y = _airline()
    began = time.perf_counter()
    result = compare_models(X, y)
    seconds = time.perf_counter() - began
    X_train, X_test, y_train, y_test, _ = load_task("airline_sentiment")
    test_score = float(result.best_model.score(X_test, y_test))
    print(f"default compare: {seconds:.1f} s, best {result.best_name}, test {test_score:.4f}")
    board = result.leaderboard
    return {
        "data": f"airline tweets, training part, {len(X)} rows; 5 folds; accuracy",
        "seconds": seconds,
        "autogluon_budget_seconds": AUTOGLUON_BUDGET,
        "within_budget": seconds <= AUTOGLUON_BUDGET,
        "best": result.best_name,
        "test_accuracy_of_best": test_score,
        "leaderboard": board[["model", "score_mean", "fit_time", "fit_time_alone"]].to_dict(
            orient="records"
        ),
    }


def markdown(report):
    lines = ["# Sharing per-modality work in a fusion search", ""]
    if "gridsearch" in report:
        part = report["gridsearch"]
        lines += [
            "## GridSearchCV over the five late-fusion rules, `memory=<folder>`",
            "",
            "| search | median seconds |",
            "|---|---:|",
            f"| no cache | {part['median_seconds']['no_cache']:.1f} |",
            f"| `memory=<folder>` | {part['median_seconds']['cache']:.1f} |",
            f"| **speed-up** | **{part['speedup']:.2f}x** |",
            "",
            f"Identical `cv_results_` scores: {part['identical_scores']}. {part['data']}. "
            "GridSearchCV hands each candidate only its training rows, so every candidate "
            "cross-validates inside them on folds of its own: the cache shares one set of "
            "inner fits and one refit per outer fold among the five rules (15 units of "
            "work become 6, a ceiling of 2.5x).",
            "",
        ]
    if "compare" in report:
        part = report["compare"]
        lines += [
            "## compare_models over the seven per-modality candidates",
            "",
            "| search | seconds |",
            "|---|---:|",
            f"| `cache=False` (every candidate alone) | {part['seconds']['no_cache']:.1f} |",
            f"| `cache=True` (the default) | {part['seconds']['cache']:.1f} |",
            f"| **speed-up** | **{part['speedup']:.2f}x** |",
            "",
            f"Identical scores and out-of-fold predictions: {part['identical_scores']}. "
            f"{part['data']}; candidates {', '.join(part['candidates'])}; refit of the best "
            "included. The candidates' inner folds are the comparison's own folds, so one "
            "modality model fitted outside two folds serves both folds' inner "
            "cross-validation, one fitted outside a fold serves that fold and the refit, "
            "and all seven candidates share them: 16 fits per modality instead of 121.",
            "",
        ]
    if "default" in report:
        part = report["default"]
        verdict = "within" if part["within_budget"] else "over"
        lines += [
            "## The whole default compare_models on the airline tweets",
            "",
            f"{part['seconds']:.0f} s ({verdict} AutoGluon's "
            f"{part['autogluon_budget_seconds']:.0f} s budget); best `{part['best']}`, "
            f"test accuracy {part['test_accuracy_of_best']:.4f}. {part['data']}.",
            "",
            "| model | score | fit s per fold | alone s per fold |",
            "|---|---:|---:|---:|",
        ]
        for row in part["leaderboard"]:
            lines.append(
                f"| {row['model']} | {row['score_mean']:.4f} | {row['fit_time']:.1f} | "
                f"{row['fit_time_alone']:.1f} |"
            )
        lines.append("")
    machine = report["machine"]
    lines.append(
        f"Machine: {machine['cpus']} CPUs (shared; load average {machine['load_average']:.1f} "
        f"at start), Python {machine['python']}, scikit-learn "
        f"{report['versions']['scikit-learn']}, one native thread; {report['date']}."
    )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["gridsearch", "compare", "default"],
        choices=["gridsearch", "compare", "default"],
    )
    parser.add_argument("--repeats", type=int, default=2, help="grid-search repetitions")
    args = parser.parse_args(argv)
    path = RESULTS / "search_cache.json"
    report = json.loads(path.read_text()) if path.exists() else {}
    report = {key: report[key] for key in ("gridsearch", "compare", "default") if key in report}
    report.update(
        date=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        machine={
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": os.getloadavg()[0],
        },
        versions={"scikit-learn": sklearn.__version__},
    )
    measures = {"gridsearch": lambda: measure_grid_search(args.repeats)}
    measures.update(compare=measure_compare, default=measure_default)
    with threadpool_limits(limits=1):
        for part in args.parts:
            report[part] = measures[part]()
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "search_cache.md").write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
