"""Test scores of the core mmsk estimators next to the published baselines.

Fits each estimator with its defaults on the train part of a task's official split and
scores it on the test part: ``EarlyFusionClassifier()`` and
``LateFusionClassifier(fusion=f, random_state=0)`` for every fusion rule on the
classification tasks; with ``--all-tasks`` also ``EarlyFusionRegressor()`` and
``LateFusionRegressor(fusion="stacking", random_state=0)`` on the regression tasks.

Run from the repository root::

    python benchmarks/core_scores.py --all-tasks

Writes ``benchmarks/results/core_scores.json`` and ``benchmarks/results/core_scores.md``.
"""

import argparse
import datetime
import json
import os
import platform
import sys
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
import sklearn
from threadpoolctl import threadpool_info, threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tasks import load_task, score  # noqa: E402

from mmsk import (  # noqa: E402
    EarlyFusionClassifier,
    EarlyFusionRegressor,
    LateFusionClassifier,
    LateFusionRegressor,
)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
CLASSIFICATION_TASKS = ("clothing_recommend", "airline_sentiment")
REGRESSION_TASKS = ("wine_points", "imdb_rating")
HAND_BUILT = ("sk_linear", "sk_hgb", "sk_stack")

# Copied from ../shared/BASELINES.md (scores on the test part of the same split, fit
# times in wall seconds on the 2-core machine where they were measured, 2026-11-22).
# imdb_rating's skrub score is given there as the range 0.6051-0.6277.
BASELINES = {
    "clothing_recommend": {
        "sk_linear": {"score": 0.9413, "fit_seconds": 5.5},
        "sk_hgb": {"score": 0.8522, "fit_seconds": 4.9},
        "sk_stack": {"score": 0.9372, "fit_seconds": 18.8},
        "skrub": {"score": 0.9138, "fit_seconds": 7.3},
        "AutoGluon": {"score": 0.9417, "fit_seconds": 172.0},
    },
    "airline_sentiment": {
        "sk_linear": {"score": 0.8064, "fit_seconds": 7.1},
        "sk_hgb": {"score": 0.7490, "fit_seconds": 3.5},
        "sk_stack": {"score": 0.8111, "fit_seconds": 19.5},
        "skrub": {"score": 0.7500, "fit_seconds": 5.6},
        "AutoGluon": {"score": 0.8070, "fit_seconds": 122.0},
    },
    "wine_points": {
        "sk_linear": {"score": 0.6343, "fit_seconds": 0.6},
        "sk_hgb": {"score": 0.5846, "fit_seconds": 2.1},
        "sk_stack": {"score": 0.6456, "fit_seconds": 3.7},
        "skrub": {"score": 0.6358, "fit_seconds": 2.1},
        "AutoGluon": {"score": 0.7285, "fit_seconds": 200.0},
    },
    "imdb_rating": {
        "sk_linear": {"score": 0.5420, "fit_seconds": 0.2},
        "sk_hgb": {"score": 0.5433, "fit_seconds": 1.0},
        "sk_stack": {"score": 0.5496, "fit_seconds": 1.8},
        "skrub": {"score": 0.6277, "score_low": 0.6051, "fit_seconds": 1.7},
        "AutoGluon": {"score": 0.4869, "fit_seconds": 13.0},
    },
}

LATE_FUSIONS = ("stacking", "mean", "weighted", "vote", "product")


def models_for(task):
    """``(label, estimator)`` pairs to run on a task of the given type."""
    if task == "regression":
        return [
            ("EarlyFusionRegressor()", EarlyFusionRegressor()),
            (
                'LateFusionRegressor(fusion="stacking")',
                LateFusionRegressor(fusion="stacking", random_state=0),
            ),
        ]
    models = [("EarlyFusionClassifier()", EarlyFusionClassifier())]
    models += [
        (
            f'LateFusionClassifier(fusion="{fusion}")',
            LateFusionClassifier(fusion=fusion, random_state=0),
        )
        for fusion in LATE_FUSIONS
    ]
    return models


def run_model(label, estimator, data):
    X_train, X_test, y_train, y_test, spec = data
    entry = {"model": label, "params": _params(estimator)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            start = time.perf_counter()
            estimator.fit(X_train, y_train)
            entry["fit_seconds"] = time.perf_counter() - start
            start = time.perf_counter()
            entry["score"] = float(score(estimator, X_test, y_test, spec))
            entry["score_seconds"] = time.perf_counter() - start
        except Exception as error:  # noqa: BLE001 - one failure must not end the run
            entry["error"] = f"{type(error).__name__}: {error}"
            entry["traceback"] = traceback.format_exc()
    entry["warnings"] = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    return entry


def _params(estimator):
    return {
        key: value
        for key, value in estimator.get_params(deep=False).items()
        if isinstance(value, (str, int, float, bool, type(None)))
    }


def _standing(ours, theirs):
    """'beats', 'ties' or 'does not beat', at the 4 decimals the baselines are given in."""
    ours = round(ours, 4)
    if ours > theirs:
        return "beats"
    return "ties" if ours == theirs else "does not beat"


def compare(task_name, results):
    """How the best mmsk score of a task stands against the baselines."""
    baselines = BASELINES[task_name]
    scored = [entry for entry in results if "score" in entry]
    if not scored:
        return {}
    best = max(scored, key=lambda entry: entry["score"])
    best_hand_built = max(HAND_BUILT, key=lambda name: baselines[name]["score"])
    best_overall = max(baselines, key=lambda name: baselines[name]["score"])
    return {
        "best_mmsk": best["model"],
        "best_mmsk_score": best["score"],
        "best_hand_built": best_hand_built,
        "best_hand_built_score": baselines[best_hand_built]["score"],
        "vs_best_hand_built": _standing(best["score"], baselines[best_hand_built]["score"]),
        "best_baseline": best_overall,
        "best_baseline_score": baselines[best_overall]["score"],
        "vs_best_baseline": _standing(best["score"], baselines[best_overall]["score"]),
    }


def machine_info(blas_threads):
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "sklearn": sklearn.__version__,
        "blas_threads": blas_threads,
        "threadpools": [
            {key: info.get(key) for key in ("internal_api", "num_threads", "version")}
            for info in threadpool_info()
        ],
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def _baseline_score(entry):
    if "score_low" in entry:
        return f"{entry['score_low']:.4f}-{entry['score']:.4f}"
    return f"{entry['score']:.4f}"


def markdown(result):
    lines = [
        "# Core scores",
        "",
        "Default estimators fitted on the train part of each task's official split "
        "(`train_test_split(test_size=0.2, random_state=0)`, stratified for "
        "classification) and scored on the test part; higher is better. mmsk fit times "
        f"are wall seconds from this run ({result['machine']['cpu_count']} CPUs, BLAS "
        f"threads: {result['machine']['blas_threads']}, {result['machine']['date']}); "
        "baseline scores and fit times are copied from `../shared/BASELINES.md` (another "
        "run on another 2-core machine: compare the times loosely). Scores are compared "
        "at the 4 decimals the baselines are given in.",
    ]
    for task_name, task in result["tasks"].items():
        lines += [
            "",
            f"## {task_name} ({task['metric']}; train {task['n_train']}, "
            f"test {task['n_test']} rows)",
            "",
            "| model | score | fit time |",
            "|---|---|---|",
        ]
        for entry in task["mmsk"]:
            if "error" in entry:
                lines.append(f"| mmsk {entry['model']} | error: {entry['error']} | |")
                continue
            lines.append(
                f"| mmsk {entry['model']} | {entry['score']:.4f} | {entry['fit_seconds']:.1f} s |"
            )
        for name, entry in task["baselines"].items():
            lines.append(
                f"| baseline {name} | {_baseline_score(entry)} | {entry['fit_seconds']:.1f} s |"
            )
        summary = task["comparison"]
        if summary:
            hand, overall = summary["vs_best_hand_built"], summary["vs_best_baseline"]
            lines += [
                "",
                f"Best mmsk: {summary['best_mmsk']} ({summary['best_mmsk_score']:.4f}); it "
                f"{hand} the best hand-built pipeline ({summary['best_hand_built']}, "
                f"{summary['best_hand_built_score']:.4f}) and {overall} the best baseline "
                f"({summary['best_baseline']}, {summary['best_baseline_score']:.4f}).",
            ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--all-tasks",
        action="store_true",
        help="also run the regression tasks (wine_points, imdb_rating)",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS threads during the run (1: steadier timings on a loaded machine)",
    )
    parser.add_argument("--output-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    with threadpool_limits(args.blas_threads):
        return run(args)


def run(args):
    started = time.perf_counter()
    task_names = CLASSIFICATION_TASKS + (REGRESSION_TASKS if args.all_tasks else ())
    tasks = {}
    for task_name in task_names:
        data = load_task(task_name)
        X_train, X_test, _, _, spec = data
        results = []
        for label, estimator in models_for(spec["task"]):
            entry = run_model(label, estimator, data)
            results.append(entry)
            shown = f"{entry['score']:.4f}" if "score" in entry else entry["error"]
            seconds = entry.get("fit_seconds", float("nan"))
            print(f"{task_name:20s} {label:42s} {shown}  fit {seconds:.1f} s", flush=True)
        tasks[task_name] = {
            "metric": spec["metric"],
            "task": spec["task"],
            "n_train": len(X_train),
            "n_test": len(X_test),
            "mmsk": results,
            "baselines": BASELINES[task_name],
            "comparison": compare(task_name, results),
        }
    result = {
        "all_tasks": args.all_tasks,
        "tasks": tasks,
        "machine": machine_info(args.blas_threads),
        "total_seconds": time.perf_counter() - started,
    }
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "core_scores.json").write_text(json.dumps(result, indent=2) + "\n")
    table = markdown(result)
    (args.output_dir / "core_scores.md").write_text(table)
    print(table)
    failed = any("error" in entry for task in tasks.values() for entry in task["mmsk"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
