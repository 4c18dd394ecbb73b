"""Bayesian-network fusion on the benchmark tasks: quality, and robustness to missing modalities.

1. Quality: each structure ("naive", "tan", "hillclimb") of BayesianNetworkFusionClassifier
   and BayesianNetworkFusionRegressor on the four tasks of ../shared/data/tasks.json (the
   official split), next to late fusion (``fusion="weighted"``) fitted here and to the
   baselines of ../shared/BASELINES.md.
2. Robustness (the two classification tasks): accuracy when one modality is removed (all
   its cells set missing) from 0, 25, 50, 75 and 100% of the test rows, for every
   structure and for LateFusionClassifier(fusion="weighted"). The rows losing a modality
   at 25% are among those losing it at 50%, and so on.

Run from the repository root: ``python benchmarks/bayes_robustness.py``. Writes
``benchmarks/results/bayes_quality.json`` and ``.md``. ``--max-train-rows`` subsamples the
training part (stratified for classification); the output says when it did.
"""

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, get_scorer
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tasks import DATA_DIR, load_task, task_names  # noqa: E402

from mmsk import KindSelector, LateFusionClassifier, LateFusionRegressor  # noqa: E402
from mmsk.fusion._bayesian import (  # noqa: E402
    BayesianNetworkFusionClassifier,
    BayesianNetworkFusionRegressor,
)

RESULTS = Path(__file__).resolve().parent / "results"
BASELINES_FILE = DATA_DIR.parent / "BASELINES.md"
STRUCTURES = ("naive", "tan", "hillclimb")
SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)
CLASSIFICATION_TASKS = ("clothing_recommend", "airline_sentiment")
TABULAR = KindSelector("numeric", "categorical", "datetime")
# The clothing reviews have two text columns of different nature (a short, often missing
# title and the review itself); giving each its own modality makes the robustness study
# richer. The other tasks use the default spec (tabular + text).
MODALITIES = {
    "clothing_recommend": [
        ("tabular", "auto", TABULAR),
        ("title", "auto", ["Title"]),
        ("review", "auto", ["Review Text"]),
    ],
}


def parse_baselines(path=BASELINES_FILE):
    """The scores of BASELINES.md, by task and baseline, as printed there."""
    rows = [line for line in path.read_text().splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    table = {}
    for line in rows[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        task = cells[0].split(" ")[0]
        table[task] = {
            name: re.sub(r"\s*\(.*\)", "", cell).replace("**", "")
            for name, cell in zip(header[1:], cells[1:])
        }
    return table


def subsample(X, y, spec, max_rows):
    if max_rows is None or len(X) <= max_rows:
        return X, y
    stratify = y if spec["task"] != "regression" else None
    X, _, y, _ = train_test_split(X, y, train_size=max_rows, random_state=0, stratify=stratify)
    return X, y


def candidates(task, spec):
    modalities = MODALITIES.get(task, "auto")
    if spec["task"] == "regression":
        bayesian, late = BayesianNetworkFusionRegressor, LateFusionRegressor
    else:
        bayesian, late = BayesianNetworkFusionClassifier, LateFusionClassifier
    models = {"late_weighted": late(modalities, fusion="weighted", random_state=0)}
    for structure in STRUCTURES:
        models[f"bayes_{structure}"] = bayesian(modalities, structure=structure, random_state=0)
    return models


def fit_all(models, X_train, y_train):
    fit_seconds = {}
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(X_train, y_train)
        fit_seconds[name] = time.perf_counter() - start
        print(f"  fitted {name} in {fit_seconds[name]:.1f} s", flush=True)
    return fit_seconds


def without_modality(X, columns, rows):
    damaged = X.copy()
    damaged.loc[damaged.index[rows], columns] = np.nan
    return damaged


def robustness(models, X_test, y_test, spec):
    order = np.random.RandomState(0).permutation(len(X_test))
    scorer = get_scorer(spec["metric"])
    reference = next(iter(models.values()))
    curves = []
    for modality, columns in reference.modality_columns_.items():
        for share in SHARES:
            rows = order[: round(share * len(X_test))]
            damaged = without_modality(X_test, columns, rows)
            entry = {"modality": modality, "share_removed": share}
            for name, model in models.items():
                entry[f"{name}_accuracy"] = accuracy_score(y_test, model.predict(damaged))
                entry[f"{name}_{spec['metric']}"] = scorer(model, damaged, y_test)
            curves.append(entry)
            print(
                f"  {modality} removed from {share:.0%}: "
                + ", ".join(f"{n} {entry[f'{n}_accuracy']:.4f}" for n in models),
                flush=True,
            )
    return curves


def run_task(task, max_rows):
    X_train, X_test, y_train, y_test, spec = load_task(task)
    n_available = len(X_train)
    X_train, y_train = subsample(X_train, y_train, spec, max_rows)
    print(f"{task}: {len(X_train)} of {n_available} training rows", flush=True)
    models = candidates(task, spec)
    fit_seconds = fit_all(models, X_train, y_train)
    scorer = get_scorer(spec["metric"])
    scores = {name: scorer(model, X_test, y_test) for name, model in models.items()}
    result = {
        "task": task,
        "metric": spec["metric"],
        "training_rows": len(X_train),
        "training_rows_available": n_available,
        "test_rows": len(X_test),
        "modalities": {
            name: list(columns)
            for name, columns in models["late_weighted"].modality_columns_.items()
        },
        "scores": scores,
        "fit_seconds": fit_seconds,
        "edges": {
            name: sorted(model.network_.edges())
            for name, model in models.items()
            if name.startswith("bayes_")
        },
        "influence": {
            name: model.modality_influence_["mutual_information"].round(4).to_dict()
            for name, model in models.items()
            if name.startswith("bayes_")
        },
    }
    if spec["task"] != "regression":
        result["robustness"] = robustness(models, X_test, y_test, spec)
    return result


def quality_table(results, baselines):
    baseline_names = list(next(iter(baselines.values())))
    model_names = list(results[0]["scores"])
    header = ["task (metric)", "train rows", *model_names, *baseline_names]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for result in results:
        scores = [f"{result['scores'][name]:.4f}" for name in model_names]
        given = [baselines.get(result["task"], {}).get(name, "") for name in baseline_names]
        rows = f"{result['training_rows']:,}"
        if result["training_rows"] < result["training_rows_available"]:
            rows += f" of {result['training_rows_available']:,}"
        lines.append(
            f"| {result['task']} ({result['metric']}) | {rows} | "
            + " | ".join(scores + given)
            + " |"
        )
    return lines


def robustness_tables(results):
    lines = []
    for result in results:
        if "robustness" not in result:
            continue
        names = list(result["scores"])
        lines += [
            "",
            f"### {result['task']}: accuracy with one modality removed from a share of test rows",
            "",
            "| modality removed | share of rows | " + " | ".join(names) + " |",
            "|---|---:|" + "---:|" * len(names),
        ]
        for entry in result["robustness"]:
            accuracies = [f"{entry[f'{name}_accuracy']:.4f}" for name in names]
            lines.append(
                f"| {entry['modality']} | {entry['share_removed']:.0%} | "
                + " | ".join(accuracies)
                + " |"
            )
    return lines


def write_markdown(report, path):
    lines = [
        "# Bayesian-network fusion: quality and robustness to missing modalities",
        "",
        report["setup"],
        "",
        "## Scores on the test part (higher is better)",
        "",
        *quality_table(report["results"], report["baselines"]),
        "",
        "Baseline columns are copied from BASELINES.md (measured elsewhere, same split); "
        "`late_weighted` and `bayes_*` were fitted in this run.",
        "",
        "## Robustness",
        *robustness_tables(report["results"]),
        "",
        "## Learned structures",
        "",
    ]
    for result in report["results"]:
        for name, edges in result["edges"].items():
            lines.append(f"- {result['task']}, {name}: {edges}")
    lines += ["", f"Whole benchmark: {report['seconds']:.0f} s.", ""]
    path.write_text("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=task_names())
    parser.add_argument("--max-train-rows", type=int, default=None)
    args = parser.parse_args()

    start = time.perf_counter()
    with threadpool_limits(limits=1):
        results = [run_task(task, args.max_train_rows) for task in args.tasks]
    subsampled = args.max_train_rows is not None and any(
        r["training_rows"] < r["training_rows_available"] for r in results
    )
    setup = (
        "Official split of each task (`train_test_split(test_size=0.2, random_state=0)`, "
        "stratified for classification). "
        + (
            f"Training part subsampled to at most {args.max_train_rows:,} rows (stratified) "
            "to keep the run short; the test part is complete. "
            if subsampled
            else "Full training part. "
        )
        + "Default per-modality estimators (HistGradientBoosting for tabular, "
        "LogisticRegression/Ridge on TF-IDF for text), `cv=5`, `n_bins=5`, "
        "`random_state=0`. Clothing reviews: three modalities (tabular, Title, Review Text); "
        f"other tasks: the default tabular + text spec. Machine: {os.cpu_count()} cores "
        f"shared with other jobs (load average at start {os.getloadavg()[0]:.1f}), so "
        "OpenMP/BLAS threads are limited to 1 to avoid oversubscription."
    )
    report = {
        "setup": setup,
        "baselines": parse_baselines(),
        "results": results,
        "seconds": time.perf_counter() - start,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bayes_quality.json").write_text(json.dumps(report, indent=2, default=str))
    write_markdown(report, RESULTS / "bayes_quality.md")
    print((RESULTS / "bayes_quality.md").read_text())


if __name__ == "__main__":
    main()
