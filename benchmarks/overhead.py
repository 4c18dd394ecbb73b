"""Overhead of EarlyFusionClassifier over the same model built by hand in scikit-learn.

On the ``clothing_recommend`` task, the default ``EarlyFusionClassifier()`` is compared
with a ``Pipeline`` of a ``ColumnTransformer`` (``TabularEncoder`` on the tabular
columns, ``TextVectorizer`` on the text columns, the fitted model's block weights as
``transformer_weights`` and one presence-indicator column per modality that mmsk gave
one) and ``LogisticRegression(C=3.0, max_iter=1000)``. Both must predict the same
probabilities; then fit time, predict time and the peak traced memory of fit and of
predict are measured, alternating the two models, and reported as medians and ratios.

Run from the repository root::

    python benchmarks/overhead.py

Writes ``benchmarks/results/overhead.json`` and ``benchmarks/results/overhead.md``.
"""

import argparse
import cProfile
import datetime
import gc
import json
import os
import platform
import pstats
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from threadpoolctl import threadpool_info, threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tasks import load_task, score  # noqa: E402

from mmsk import EarlyFusionClassifier, TabularEncoder, TextVectorizer  # noqa: E402

TASK = "clothing_recommend"
TARGET_RATIO = 1.05
RESULTS_DIR = Path(__file__).resolve().parent / "results"
MODELS = ("mmsk", "reference")
METRICS = ("fit_seconds", "predict_seconds", "fit_peak_bytes", "predict_peak_bytes")
CPU_METRICS = ("fit_cpu_seconds", "predict_cpu_seconds")


def presence_column(frame):
    """1.0 where at least one cell of the row is set, else 0.0, as one column.

    A cell is unset when it is NaN, None, NaT, an infinite number, or a string that is
    empty or only whitespace.
    """
    present = np.zeros(len(frame), dtype=bool)
    for position in range(frame.shape[1]):
        present |= _cells_set(frame.iloc[:, position])
    return present.astype(np.float64).reshape(-1, 1)


def _cells_set(column):
    set_ = column.notna().to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(column.dtype):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        return set_ & np.isfinite(values)
    if isinstance(column.dtype, pd.StringDtype):
        blank = column.str.strip().eq("").fillna(False).to_numpy(dtype=bool)
        return set_ & ~blank
    if pd.api.types.is_object_dtype(column.dtype):
        blank = column.map(_blank).to_numpy(dtype=bool)
        return set_ & ~blank
    return set_


def _blank(value):
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and not np.isfinite(value)


def reference_pipeline(fitted):
    """The hand-built scikit-learn equivalent of a fitted default EarlyFusionClassifier.

    Only data-derived constants are read from ``fitted``: the columns of each
    modality, the block weights and which modalities get a presence indicator.
    """
    columns = fitted.modality_columns_
    transformers = [
        ("tabular", TabularEncoder(), columns["tabular"]),
        ("text", TextVectorizer(), columns["text"]),
    ]
    transformers += [
        (f"{name}_present", FunctionTransformer(presence_column), columns[name])
        for name in fitted.presence_indicators_
    ]
    weights = {name: float(weight) for name, weight in fitted.modality_weights_.items()}
    features = ColumnTransformer(transformers, transformer_weights=weights)
    model = LogisticRegression(C=3.0, max_iter=1000)
    return Pipeline([("features", features), ("model", model)])


def make_model(which, fitted):
    return EarlyFusionClassifier() if which == "mmsk" else reference_pipeline(fitted)


def timed(call):
    """Result, wall seconds and CPU seconds of this process for ``call``."""
    gc.collect()
    start, start_cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, time.perf_counter() - start, time.process_time() - start_cpu


def traced_peak(call):
    """Peak traced bytes allocated during ``call`` above what was traced before it."""
    gc.collect()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    result = call()
    _, peak = tracemalloc.get_traced_memory()
    return result, peak - before


def check_equal(data, fitted):
    X_train, X_test, y_train, y_test, spec = data
    reference = reference_pipeline(fitted).fit(X_train, y_train)
    ours_proba = fitted.predict_proba(X_test)
    reference_proba = reference.predict_proba(X_test)
    difference = float(np.max(np.abs(ours_proba - reference_proba)))
    try:
        np.testing.assert_allclose(ours_proba, reference_proba, rtol=1e-6, atol=1e-6)
        passed, message = True, "predict_proba equal within rtol=atol=1e-6"
    except AssertionError as error:
        passed, message = False, str(error).strip()
    n_ours = fitted.n_features_out_
    n_reference = reference.named_steps["features"].transform(X_test.iloc[:5]).shape[1]
    return {
        "passed": passed,
        "message": message,
        "max_abs_difference": difference,
        "n_features_mmsk": int(n_ours),
        "n_features_reference": int(n_reference),
        "roc_auc": {
            "mmsk": float(score(fitted, X_test, y_test, spec)),
            "reference": float(score(reference, X_test, y_test, spec)),
        },
    }


def measure(data, fitted, repeats, memory_repeats):
    X_train, X_test, y_train, _, _ = data
    raw = {model: {metric: [] for metric in METRICS + CPU_METRICS} for model in MODELS}

    for repeat in range(repeats):
        for which in MODELS if repeat % 2 == 0 else MODELS[::-1]:
            model, seconds, cpu = timed(
                lambda w=which: make_model(w, fitted).fit(X_train, y_train)
            )
            raw[which]["fit_seconds"].append(seconds)
            raw[which]["fit_cpu_seconds"].append(cpu)
            _, seconds, cpu = timed(lambda m=model: m.predict_proba(X_test))
            raw[which]["predict_seconds"].append(seconds)
            raw[which]["predict_cpu_seconds"].append(cpu)
            del model

    tracemalloc.start()
    try:
        for repeat in range(memory_repeats):
            for which in MODELS if repeat % 2 == 0 else MODELS[::-1]:
                model, peak = traced_peak(
                    lambda w=which: make_model(w, fitted).fit(X_train, y_train)
                )
                raw[which]["fit_peak_bytes"].append(peak)
                _, peak = traced_peak(lambda m=model: m.predict_proba(X_test))
                raw[which]["predict_peak_bytes"].append(peak)
                del model
    finally:
        tracemalloc.stop()
    return raw


def profile(data, fitted, n_top=12):
    """Own time of the most expensive functions in fit and predict of both models."""
    X_train, X_test, y_train, _, _ = data
    out = {}
    for which in MODELS:
        model = make_model(which, fitted)
        for step, call in (
            ("fit", lambda m=model: m.fit(X_train, y_train)),
            ("predict", lambda m=model: m.predict_proba(X_test)),
        ):
            profiler = cProfile.Profile()
            profiler.enable()
            call()
            profiler.disable()
            stats = pstats.Stats(profiler)
            rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)
            out[f"{which}_{step}"] = {
                "total_seconds": float(stats.total_tt),
                "top_own_time": [
                    {
                        "function": f"{Path(file).name}:{line}({name})",
                        "calls": int(calls),
                        "own_seconds": round(float(own), 4),
                        "cumulative_seconds": round(float(cumulative), 4),
                    }
                    for (file, line, name), (_, calls, own, cumulative, _) in rows[:n_top]
                ],
            }
    return out


def summarize(raw):
    medians = {
        model: {metric: statistics.median(values) for metric, values in metrics.items()}
        for model, metrics in raw.items()
    }
    ratios = {
        metric: medians["mmsk"][metric] / medians["reference"][metric]
        for metric in METRICS + CPU_METRICS
    }
    # Each repetition runs both models back to back, so the ratio within a repetition
    # sees the same machine load; its median is steadier than the ratio of medians.
    paired = {
        metric: statistics.median(
            ours / reference
            for ours, reference in zip(raw["mmsk"][metric], raw["reference"][metric])
        )
        for metric in METRICS + CPU_METRICS
    }
    return medians, ratios, paired


def machine_info():
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "sklearn": sklearn.__version__,
        "threadpools": [
            {key: info.get(key) for key in ("internal_api", "num_threads", "version")}
            for info in threadpool_info()
        ],
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def _bytes(value):
    return f"{value / 2**20:.1f} MiB"


def _seconds(value):
    return f"{value:.3f} s"


def markdown(result):
    medians, ratios, paired = result["medians"], result["ratios"], result["paired_ratios"]
    equality = result["equality"]
    lines = [
        f"# Overhead of EarlyFusionClassifier on `{TASK}`",
        "",
        f"Train {result['n_train']} rows, test {result['n_test']} rows; "
        f"{result['repeats']} timing and {result['memory_repeats']} memory repetitions "
        "per model, alternating; medians. Peak memory is the tracemalloc peak during "
        f"the call. BLAS threads: {result['blas_threads']}. Ratio = median of mmsk / "
        "median of hand-built (target <= 1.05); paired = median over repetitions of the "
        "ratio within a repetition (both models run back to back). CPU time is this "
        "process's, less sensitive to other load on the machine (supplementary).",
        "",
        "| measure | mmsk | hand-built sklearn | ratio | paired | within target |",
        "|---|---|---|---|---|---|",
    ]
    show = {
        "fit_seconds": ("fit time", _seconds),
        "predict_seconds": ("predict_proba time", _seconds),
        "fit_peak_bytes": ("fit peak memory", _bytes),
        "predict_peak_bytes": ("predict_proba peak memory", _bytes),
        "fit_cpu_seconds": ("fit CPU time", _seconds),
        "predict_cpu_seconds": ("predict_proba CPU time", _seconds),
    }
    for metric, (label, fmt) in show.items():
        ok = "yes" if ratios[metric] <= TARGET_RATIO else "**no**"
        if metric in CPU_METRICS:
            ok = "(supplementary)"
        lines.append(
            f"| {label} | {fmt(medians['mmsk'][metric])} | "
            f"{fmt(medians['reference'][metric])} | {ratios[metric]:.3f} | "
            f"{paired[metric]:.3f} | {ok} |"
        )
    auc = equality["roc_auc"]
    lines += [
        f"| test roc_auc | {auc['mmsk']:.4f} | {auc['reference']:.4f} | | | |",
        "",
        f"Equality check: {'passed' if equality['passed'] else '**FAILED**'} "
        f"(max |difference| of predict_proba {equality['max_abs_difference']:.2e}; "
        f"{equality['n_features_mmsk']} vs {equality['n_features_reference']} features).",
        "",
        f"Machine: {result['machine']['cpu_count']} CPUs, Python "
        f"{result['machine']['python']}, scikit-learn {result['machine']['sklearn']}, "
        f"pandas {result['machine']['pandas']}, numpy {result['machine']['numpy']}, "
        f"{result['machine']['date']}.",
    ]
    if result.get("notes"):
        lines += ["", "Notes:", ""] + [f"- {note}" for note in result["notes"]]
    if result.get("causes"):
        lines += ["", "Over target, and why:", ""]
        lines += [f"- {cause}" for cause in result["causes"].values()]
    if result.get("profile"):
        lines += ["", "cProfile of one fit and one predict of each model: `overhead.json`."]
    return "\n".join(lines) + "\n"


NOTES = [
    "The reference pipeline reads three data-derived constants from a fitted "
    "EarlyFusionClassifier: the columns of each modality (`modality_columns_`), the "
    "block weights (`modality_weights_`, used as `transformer_weights`) and the "
    "modalities that get a presence column (`presence_indicators_`). Its presence "
    "column is a `FunctionTransformer` over that modality's columns.",
    "BLAS is limited to one thread for both models: on a loaded 2-core machine a "
    "second OpenBLAS thread made the LogisticRegression solver several times slower "
    "and far noisier.",
]

# Causes found by profiling this benchmark (cProfile for time; tracemalloc peaks of the
# individual steps, and the same model with the step done the ColumnTransformer way,
# for memory) on 2026-11-22. Shown for the measures that are over target.
CAUSES = {
    "fit_seconds": (
        "Fit time: mmsk does work that the reference gets as constants. Column-kind "
        "detection over the whole table (`_resolve_modalities` -> `detect_column_kinds`) "
        "costs about 0.12 s, almost all of it on the long `Review Text` column, where "
        "the number check (`parse_numbers`, a regex `sub`) and the date check "
        "(`_DATE_HINT` regex `search`) run over 2,000 sampled reviews before the column "
        "is recognised as text; the presence masks of both modalities (about 0.02 s), "
        "the balanced block weights (about 0.01 s) and `sparse.hstack(..., "
        'format="csr")` (about 0.01 s slower than `sparse.hstack(...).tocsr()`) add '
        "the rest: about 0.17 s in all, 7-8% of a fit that took about 2.2 s on the quiet "
        "machine."
    ),
    "fit_peak_bytes": (
        "Fit memory: `_ModalityStack._stack` builds scaled copies of every block (`block "
        "* weight`) while `_fit_stack` still holds the unscaled blocks, so both exist at "
        "the peak (about 26 MiB here: a 4.9 MiB dense tabular block and a 21 MiB CSR "
        "text block); ColumnTransformer scales each block as soon as its transformer "
        'returns and drops the unscaled one. `sparse.hstack(blocks, format="csr")` '
        "then peaks about 9 MiB higher than `sparse.hstack(blocks).tocsr()`. With the "
        "blocks scaled in place and `.tocsr()`, the mmsk fit peak measured 93.1 MiB "
        "against 93.0 MiB for the reference, with identical predictions."
    ),
    "predict_peak_bytes": (
        "Predict memory: the same two causes in `_transform_stack`: unscaled and scaled "
        'blocks alive together (about 6 MiB on the test part) and `format="csr"` in '
        "`sparse.hstack` (about 2 MiB); without them the peak measured 19.2 MiB, as for "
        "the reference."
    ),
    "predict_seconds": (
        "Predict time: besides the shared transformers, mmsk validates the frame, "
        "computes the presence mask and stacks the blocks itself; see the cProfile "
        "output in `overhead.json`."
    ),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timing repetitions per model")
    parser.add_argument(
        "--memory-repeats", type=int, default=5, help="memory repetitions per model"
    )
    parser.add_argument(
        "--profile",
        choices=("auto", "always", "never"),
        default="auto",
        help="profile fit and predict with cProfile; 'auto' when a ratio is over target",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS threads during the run (1: a loaded 2-core machine makes more threads "
        "spin and inflates the noise)",
    )
    parser.add_argument("--output-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    with threadpool_limits(args.blas_threads):
        return run(args)


def run(args):

    started = time.perf_counter()
    data = load_task(TASK)
    X_train, X_test, y_train, _, _ = data
    # The fit below is also the warm-up of both code paths before anything is measured.
    fitted = EarlyFusionClassifier().fit(X_train, y_train)
    equality = check_equal(data, fitted)
    print(
        f"equality check: {equality['message']} "
        f"(max |difference| {equality['max_abs_difference']:.2e})"
    )

    raw = measure(data, fitted, args.repeats, args.memory_repeats)
    medians, ratios, paired = summarize(raw)
    result = {
        "task": TASK,
        "n_train": len(X_train),
        "n_test": len(X_test),
        "repeats": args.repeats,
        "blas_threads": args.blas_threads,
        "memory_repeats": args.memory_repeats,
        "target_ratio": TARGET_RATIO,
        "reference": {
            "modality_columns": fitted.modality_columns_,
            "transformer_weights": {k: float(v) for k, v in fitted.modality_weights_.items()},
            "presence_indicators": list(fitted.presence_indicators_),
        },
        "equality": equality,
        "raw": raw,
        "medians": medians,
        "ratios": ratios,
        "paired_ratios": paired,
        "over_target": [metric for metric in METRICS if ratios[metric] > TARGET_RATIO],
        "machine": machine_info(),
        "notes": NOTES,
    }
    result["causes"] = {metric: CAUSES[metric] for metric in result["over_target"]}
    if args.profile == "always" or (args.profile == "auto" and result["over_target"]):
        result["profile"] = profile(data, fitted)
    result["total_seconds"] = time.perf_counter() - started

    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "overhead.json").write_text(json.dumps(result, indent=2) + "\n")
    table = markdown(result)
    (args.output_dir / "overhead.md").write_text(table)
    print(table)
    return 0 if equality["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
