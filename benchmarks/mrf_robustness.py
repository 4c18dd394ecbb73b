"""Markov-random-field fusion on the benchmark tasks, beside late and Bayesian-network fusion.

1. Quality: MarkovRandomFieldFusion* with ``kind="gaussian"`` and ``kind="discrete"`` on
   the four tasks of ../shared/data/tasks.json (the official split), next to late fusion
   (``fusion="weighted"``) and Bayesian-network fusion (``structure="tan"``) fitted here on
   the same split, and to the baselines of ../shared/BASELINES.md.
2. Robustness (the two classification tasks): accuracy when one modality is removed (all
   its cells set missing) from 0, 25, 50, 75 and 100% of the test rows, the same rows for
   every model (the protocol of ``bayes_robustness.py``).

All four models of a task share one ``memory`` cache: they use the same per-modality
estimators and folds, so the per-modality fits and out-of-fold predictions are computed
once and each fit time after the first is mostly the model's own combining step.

Run from the repository root: ``python benchmarks/mrf_robustness.py``. Writes
``benchmarks/results/mrf_quality.json`` and ``.md``.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from sklearn.metrics import get_scorer
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tasks import load_task, task_names  # noqa: E402
from bayes_robustness import (  # noqa: E402
    MODALITIES,
    fit_all,
    parse_baselines,
    quality_table,
    robustness,
    robustness_tables,
    subsample,
)

from mmsk import (  # noqa: E402
    BayesianNetworkFusionClassifier,
    BayesianNetworkFusionRegressor,
    LateFusionClassifier,
    LateFusionRegressor,
    MarkovRandomFieldFusionClassifier,
    MarkovRandomFieldFusionRegressor,
)

RESULTS = Path(__file__).resolve().parent / "results"


def candidates(task, spec, memory):
    modalities = MODALITIES.get(task, "auto")
    regression = spec["task"] == "regression"
    late = LateFusionRegressor if regression else LateFusionClassifier
    bayes = BayesianNetworkFusionRegressor if regression else BayesianNetworkFusionClassifier
    mrf = MarkovRandomFieldFusionRegressor if regression else MarkovRandomFieldFusionClassifier
    shared = {"memory": memory, "random_state": 0}
    return {
        "late_weighted": late(modalities, fusion="weighted", **shared),
        "bayes_tan": bayes(modalities, structure="tan", **shared),
        "mrf_gaussian": mrf(modalities, kind="gaussian", **shared),
        "mrf_discrete": mrf(modalities, kind="discrete", **shared),
    }


def run_task(task, max_rows):
    X_train, X_test, y_train, y_test, spec = load_task(task)
    n_available = len(X_train)
    X_train, y_train = subsample(X_train, y_train, spec, max_rows)
    print(f"{task}: {len(X_train)} of {n_available} training rows", flush=True)
    with tempfile.TemporaryDirectory(prefix="mmsk-mrf-") as memory:
        models = candidates(task, spec, memory)
        fit_seconds = fit_all(models, X_train, y_train)
    scorer = get_scorer(spec["metric"])
    result = {
        "task": task,
        "metric": spec["metric"],
        "training_rows": len(X_train),
        "training_rows_available": n_available,
        "test_rows": len(X_test),
        "scores": {name: scorer(model, X_test, y_test) for name, model in models.items()},
        "fit_seconds": fit_seconds,
        "edges": {
            name: [list(edge) for edge in model.edges_]
            for name, model in models.items()
            if name.startswith("mrf_")
        },
        "partial_correlations": _partial_correlations(models["mrf_gaussian"]),
    }
    if spec["task"] != "regression":
        result["robustness"] = robustness(models, X_test, y_test, spec)
    return result


def _partial_correlations(model):
    tables = model.partial_correlations_
    if isinstance(tables, dict):
        return {str(label): table.round(4).to_dict() for label, table in tables.items()}
    return tables.round(4).to_dict()


def write_markdown(report, path):
    lines = [
        "# Markov-random-field fusion: quality and robustness to missing modalities",
        "",
        report["setup"],
        "",
        "## Scores on the test part (higher is better)",
        "",
        *quality_table(report["results"], report["baselines"]),
        "",
        "Baseline columns are copied from BASELINES.md (measured elsewhere, same split); "
        "the four mmsk models were fitted in this run.",
        "",
        "## Fit time (s; the first model of a task also fits the shared per-modality models)",
        "",
        "| task | " + " | ".join(report["results"][0]["fit_seconds"]) + " |",
        "|---|" + "---:|" * len(report["results"][0]["fit_seconds"]),
    ]
    for result in report["results"]:
        seconds = [f"{value:.1f}" for value in result["fit_seconds"].values()]
        lines.append(f"| {result['task']} | " + " | ".join(seconds) + " |")
    lines += ["", "## Robustness", *robustness_tables(report["results"]), "", "## Edges", ""]
    for result in report["results"]:
        for name, edges in result["edges"].items():
            lines.append(f"- {result['task']}, {name}: {[tuple(edge) for edge in edges]}")
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
            f"Training part subsampled to at most {args.max_train_rows:,} rows (stratified). "
            if subsampled
            else "Full training part. "
        )
        + "Default per-modality estimators (HistGradientBoosting for tabular, "
        "LogisticRegression/Ridge on TF-IDF for text), `cv=5`, `random_state=0`; MRF "
        "defaults `alpha=0.01`, `n_bins=5`, `structure='complete'`. Clothing reviews: three "
        "modalities (tabular, Title, Review Text); other tasks: tabular + text. Machine: "
        f"{os.cpu_count()} cores (load average at start {os.getloadavg()[0]:.1f}); "
        "OpenMP/BLAS threads limited to 1."
    )
    report = {
        "setup": setup,
        "baselines": parse_baselines(),
        "results": results,
        "seconds": time.perf_counter() - start,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "mrf_quality.json").write_text(json.dumps(report, indent=2, default=str))
    write_markdown(report, RESULTS / "mrf_quality.md")
    print((RESULTS / "mrf_quality.md").read_text())


if __name__ == "__main__":
    main()
