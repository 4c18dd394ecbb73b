"""Prediction speed of BayesianNetworkFusionClassifier against pgmpy's own predict.

Both answer the same question on the same fitted network: the target's state given the
evidence of the nodes present in each row. mmsk computes the exact posterior once per
distinct evidence pattern and looks rows up; pgmpy's ``DiscreteBayesianNetwork.predict``
groups equal rows and runs one variable-elimination query per group.

Three timings per size:

- ``mmsk_predict_proba``: the whole ``predict_proba`` (per-modality estimators included);
- ``mmsk_network``: the network part alone (discretising the modality predictions, coding
  the feature column, posterior lookup), from the modality predictions;
- ``mmsk_posterior``: the posterior lookup alone, from the evidence codes.

pgmpy's ``predict`` starts from the same evidence (as a DataFrame of state names), so
``pgmpy_predict / mmsk_posterior`` compares like with like; the end-to-end ratio adds the
modality predictions and the discretisation to both sides.

Run from the repository root: ``python benchmarks/bayes_speed.py``. Writes
``benchmarks/results/bayes_speed.json`` and ``.md``.
"""

import argparse
import contextlib
import io
import json
import logging
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression

from mmsk import BayesianNetworkFusionClassifier
from mmsk.datasets import make_multimodal_classification

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = (10_000, 100_000, 1_000_000)
MODALITIES = [
    ("numeric_a", "auto", ["num_0", "num_1"]),
    ("numeric_b", "auto", ["num_2", "num_3"]),
    ("categories", "auto", ["cat_0", "cat_1"]),
]
MISSING_RATE = 0.1
PGMPY_SECONDS_LIMIT = 240.0
PGMPY_SAMPLE_ROWS = 100_000


def make_table(n_samples, random_state):
    """Small-width tabular data; numeric_a and numeric_b each missing in 10% of rows."""
    X, y = make_multimodal_classification(
        n_samples=n_samples, n_text=0, signal=0.6, random_state=random_state
    )
    rng = np.random.RandomState(random_state)
    for _, _, columns in MODALITIES[:2]:
        X.loc[rng.rand(n_samples) < MISSING_RATE, columns] = np.nan
    return X, y


def fit_model(n_train):
    X, y = make_table(n_train, random_state=0)
    model = BayesianNetworkFusionClassifier(
        MODALITIES,
        estimators={name: LogisticRegression() for name, _, _ in MODALITIES},
        structure="tan",
        n_bins=10,
        include_features=["cat_0"],
        random_state=0,
    )
    return model.fit(X, y)


def best_time(repeats, function, *args):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - start)
    return min(times), result


def evidence_codes(model, X, outputs, present):
    """The state of every node but the target in each row, -1 where it is missing."""
    return np.column_stack(model._modality_codes(outputs, present) + model._feature_codes(X))


def evidence_frame(model, evidence):
    """The evidence codes as pgmpy wants them: state names, NaN where missing."""
    nodes = list(model.node_states_)[1:]
    columns = {}
    for j, node in enumerate(nodes):
        names = np.asarray(model.node_states_[node], dtype=object)
        states = evidence[:, j]
        columns[node] = np.where(states >= 0, names[np.maximum(states, 0)], np.nan)
    return pd.DataFrame(columns)


def pgmpy_predict(model, frame):
    logger = logging.getLogger("pgmpy")
    logger.disabled = True
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            return model.network_.predict(frame)
    finally:
        logger.disabled = False


def time_pgmpy(model, evidence, previous_seconds_per_row):
    """pgmpy's predict on all rows, or on a sample extrapolated when it would be too slow."""
    n_rows = len(evidence)
    expected = None if previous_seconds_per_row is None else previous_seconds_per_row * n_rows
    if expected is not None and expected > PGMPY_SECONDS_LIMIT:
        rows = np.random.RandomState(0).choice(n_rows, PGMPY_SAMPLE_ROWS, replace=False)
        frame = evidence_frame(model, evidence[rows])
        seconds, predicted = best_time(1, pgmpy_predict, model, frame)
        return seconds * n_rows / len(rows), predicted, rows, f"sample of {len(rows)}"
    frame = evidence_frame(model, evidence)
    seconds, predicted = best_time(1, pgmpy_predict, model, frame)
    return seconds, predicted, np.arange(n_rows), "all rows"


def agreement(model, posterior, predicted, rows, evidence):
    ours = np.asarray(model.node_states_["target"], dtype=object)[posterior[rows].argmax(axis=1)]
    theirs = predicted.loc[np.arange(len(rows)), "target"].to_numpy(dtype=object)
    same = ours == theirs
    complete = np.all(evidence[rows] >= 0, axis=1)
    return float(same.mean()), float(same[complete].mean())


def check_against_variable_elimination(model, evidence, n_patterns=200):
    """Largest difference to pgmpy's VariableElimination, and seconds per query."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgmpy.inference import VariableElimination

    inference = VariableElimination(model.network_)
    nodes = list(model.node_states_)[1:]
    patterns = np.unique(evidence, axis=0)[:n_patterns]
    ours = model._tables.posterior(patterns)
    target_states = model.node_states_["target"]
    worst, seconds = 0.0, 0.0
    for pattern, posterior in zip(patterns, ours):
        given = {
            node: model.node_states_[node][state]
            for node, state in zip(nodes, pattern)
            if state >= 0
        }
        start = time.perf_counter()
        factor = inference.query(["target"], evidence=given, show_progress=False)
        seconds += time.perf_counter() - start
        exact = factor.values[[factor.state_names["target"].index(s) for s in target_states]]
        worst = max(worst, float(np.abs(exact - posterior).max()))
    return worst, len(patterns), seconds / len(patterns)


def network_part(model, X, outputs, present):
    """From the modality predictions: discretise, code the feature node, look up."""
    return model._tables.posterior(evidence_codes(model, X, outputs, present))


def measure_size(model, X, seconds_per_row):
    n_rows = len(X)
    repeats = 3 if n_rows <= 100_000 else 2
    total, posterior = best_time(repeats, model.predict_proba, X)
    modalities, (outputs, present) = best_time(repeats, model._modality_predictions, X)
    network, _ = best_time(repeats, network_part, model, X, outputs, present)
    evidence = evidence_codes(model, X, outputs, present)
    lookup, _ = best_time(repeats, model._tables.posterior, evidence)
    build, _ = best_time(1, evidence_frame, model, evidence)
    pgmpy_seconds, predicted, checked, how = time_pgmpy(model, evidence, seconds_per_row)
    agree_all, agree_complete = agreement(model, posterior, predicted, checked, evidence)
    discretise = max(network - lookup, 0.0)
    print(
        f"{n_rows:>9} rows: mmsk {total:.3f} s (posterior {lookup:.4f} s), "
        f"pgmpy {pgmpy_seconds:.1f} s ({how}), ratio {pgmpy_seconds / lookup:.0f}x",
        flush=True,
    )
    return {
        "rows": n_rows,
        "distinct_evidence_patterns": int(len(np.unique(evidence, axis=0))),
        "mmsk_predict_proba_s": total,
        "mmsk_modality_estimators_s": modalities,
        "mmsk_network_s": network,
        "mmsk_posterior_s": lookup,
        "pgmpy_predict_s": pgmpy_seconds,
        "pgmpy_measured_on": how,
        "pgmpy_evidence_frame_s": build,
        "ratio_posterior": pgmpy_seconds / lookup,
        "ratio_network": (build + pgmpy_seconds) / network,
        "ratio_end_to_end": (modalities + discretise + build + pgmpy_seconds) / total,
        "same_class_all_rows": agree_all,
        "same_class_complete_rows": agree_complete,
    }


def measure(model, X, sizes):
    rows = []
    seconds_per_row = None
    for n_rows in sizes:
        rows.append(measure_size(model, X.iloc[:n_rows], seconds_per_row))
        seconds_per_row = rows[-1]["pgmpy_predict_s"] / n_rows
    return rows


def write_markdown(report, path):
    lines = [
        "# Bayesian-network fusion: prediction speed",
        "",
        report["setup"],
        "",
        "| rows | distinct patterns | mmsk predict_proba (s) | of which modality estimators (s) "
        "| mmsk network part (s) | mmsk posterior lookup (s) | pgmpy predict (s) "
        "| lookup vs pgmpy | network part vs pgmpy | end to end vs pgmpy "
        "| pgmpy, one query per row (s, extrapolated) | same class (all / complete rows) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in report["results"]:
        measured = "" if row["pgmpy_measured_on"] == "all rows" else " (extrapolated)"
        lines.append(
            f"| {row['rows']:,} | {row['distinct_evidence_patterns']:,} "
            f"| {row['mmsk_predict_proba_s']:.3f} | {row['mmsk_modality_estimators_s']:.3f} "
            f"| {row['mmsk_network_s']:.4f} | {row['mmsk_posterior_s']:.4f} "
            f"| {row['pgmpy_predict_s']:.2f}{measured} | {row['ratio_posterior']:.0f}x "
            f"| {row['ratio_network']:.0f}x | {row['ratio_end_to_end']:.1f}x "
            f"| {row['pgmpy_query_per_row_s']:,.0f} "
            f"| {row['same_class_all_rows']:.4f} / {row['same_class_complete_rows']:.4f} |"
        )
    lines += ["", *report["notes"], ""]
    path.write_text("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--train-rows", type=int, default=20_000)
    args = parser.parse_args()

    start = time.perf_counter()
    model = fit_model(args.train_rows)
    X, _ = make_table(max(args.sizes), random_state=1)
    sample = X.iloc[:20_000]
    evidence_sample = evidence_codes(model, sample, *model._modality_predictions(sample))
    worst, n_checked, seconds_per_query = check_against_variable_elimination(
        model, evidence_sample
    )
    results = measure(model, X, args.sizes)
    for row in results:
        row["pgmpy_query_per_row_s"] = seconds_per_query * row["rows"]
    setup = (
        f"Synthetic table (`make_multimodal_classification`, {args.train_rows:,} training "
        "rows, no text): three small tabular modalities (`numeric_a`, `numeric_b`, "
        "`categories`, each with `LogisticRegression`), `numeric_a` and `numeric_b` each "
        f"missing in {MISSING_RATE:.0%} of rows, `cat_0` as a feature node, "
        f"`structure='tan'`, `n_bins=10`; network edges: {sorted(model.network_.edges())}. "
        f"Machine: {os.cpu_count()} cores, load average at start "
        f"{os.getloadavg()[0]:.1f} (shared with other jobs), Python "
        f"{platform.python_version()}, scikit-learn {sklearn.__version__}, pgmpy "
        f"{_pgmpy_version()}. Best of 3 runs up to 100k rows, of 2 at 1M; pgmpy once."
    )
    notes = [
        "- *lookup vs pgmpy*: pgmpy's `DiscreteBayesianNetwork.predict` against the "
        "posterior lookup, both from the same evidence. *network part*: discretising the "
        "modality predictions and coding the feature node as well (pgmpy side: building its "
        "DataFrame of state names). *end to end*: the modality estimators' predictions "
        "added to both sides.",
        "- pgmpy 1.1's `predict` already groups identical rows and runs one variable "
        "elimination per group, then assembles the answer with one `pd.concat` per group. "
        f"Querying `VariableElimination` once per row instead would take "
        f"{seconds_per_query * 1e3:.1f} ms per row (measured over {n_checked} queries), "
        "the column *one query per row*.",
        "- *same class*: share of rows where pgmpy's predicted state equals the argmax of "
        "mmsk's posterior. pgmpy predicts the joint most probable state of the target *and* "
        "the missing nodes, which can differ from the most probable target state once "
        "missing nodes are summed out (mmsk's answer); on rows with complete evidence the "
        "two agree.",
        f"- Largest absolute difference between mmsk's posterior and pgmpy's "
        f"`VariableElimination.query` over {n_checked} distinct evidence patterns: "
        f"{worst:.2e}.",
        f"- Whole benchmark: {time.perf_counter() - start:.0f} s.",
    ]
    report = {
        "setup": setup,
        "results": results,
        "max_abs_difference_to_variable_elimination": worst,
        "variable_elimination_seconds_per_query": seconds_per_query,
        "patterns_checked_against_variable_elimination": n_checked,
        "notes": notes,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bayes_speed.json").write_text(json.dumps(report, indent=2))
    write_markdown(report, RESULTS / "bayes_speed.md")
    print((RESULTS / "bayes_speed.md").read_text())


def _pgmpy_version():
    from importlib.metadata import version

    return version("pgmpy")


if __name__ == "__main__":
    main()
