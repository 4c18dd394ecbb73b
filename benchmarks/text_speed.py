"""TextVectorizer fitted on every training part of a 5-fold split: plain path against the memo.

A search fits each modality model on the training part of every fold, then on the whole,
and each fit refits ``TextVectorizer`` on a subset of the same texts. This script times
that sequence (the 5 training parts of ``KFold(5, shuffle=True, random_state=0)``, then
all rows) for ``TextVectorizer(analyzer="word+char")`` with its defaults, two ways:

- *plain*: scikit-learn's ``TfidfVectorizer.fit_transform`` for every column and analyzer
  (``mmsk.modality._text._MEMOISE = False``), which analyses every text again at each fit;
- *memo*: the default path, which analyses each distinct text once per process and builds
  each fit's vocabulary and counts from its memo. The memo is cleared before each
  sequence, so the first fit of a sequence pays for analysing the texts.

After each fit (not timed), the fitted vectorizer transforms the held-out fold, as a
cross-validation does; that transform is timed on its own. Each fit's output, each inner
vectorizer's ``vocabulary_`` (items in order, with their types) and ``idf_``, the feature
names and the held-out transform are fingerprinted (SHA-1 of the bytes), and every
fingerprint of the memo path must equal the plain path's: the script exits with status 1
otherwise. The two paths alternate within each repetition (plain first in even ones), in
one process with one BLAS/OpenMP thread.

Data: the ``text`` column of ``airline_tweets.csv.gz`` and the ``Review Text`` column of
``womens_clothing_reviews.csv.gz`` (``../shared/data``). Run from the repository root::

    python benchmarks/text_speed.py                 # about 25 minutes on 2 busy cores
    python benchmarks/text_speed.py --rows 2000 --repeats 1   # a quick check

Writes ``benchmarks/results/text_speed.json`` (every timing and fingerprint, and the
machine) and ``benchmarks/results/text_speed.md``.
"""

import os

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
for _variable in THREAD_VARIABLES:
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import datetime  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from importlib.metadata import version  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402

from mmsk import TextVectorizer  # noqa: E402
from mmsk.modality import _text  # noqa: E402

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DATASETS = {
    "airline tweets": ("airline_tweets.csv.gz", "text"),
    "clothing reviews": ("womens_clothing_reviews.csv.gz", "Review Text"),
}
PATHS = ("plain", "memo")


def load_column(file, column, rows):
    frame = pd.read_csv(DATA_DIR / file, usecols=[column])
    return frame if rows is None else frame.iloc[:rows]


def training_parts(n_rows):
    """``(name, training rows, held-out rows)`` of each fold, then the whole."""
    folds = KFold(5, shuffle=True, random_state=0).split(np.arange(n_rows))
    parts = [(f"fold {k}", train, test) for k, (train, test) in enumerate(folds, start=1)]
    return [*parts, ("whole", np.arange(n_rows), np.arange(0))]


def fingerprint_matrix(matrix, digest):
    digest.update(repr((type(matrix).__name__, matrix.shape, matrix.dtype.str)).encode())
    for array in (matrix.indptr, matrix.indices, matrix.data):
        digest.update(array.dtype.str.encode())
        digest.update(np.ascontiguousarray(array).tobytes())


def fingerprint_fit(vectorizer, output):
    digest = hashlib.sha1()
    fingerprint_matrix(output, digest)
    for _, _, inner in vectorizer.vectorizers_:
        digest.update(repr(list(inner.vocabulary_.items())).encode())
        digest.update(inner.idf_.dtype.str.encode() + inner.idf_.tobytes())
    digest.update("\n".join(vectorizer.get_feature_names_out()).encode())
    return digest.hexdigest()


def fingerprint_transform(output):
    digest = hashlib.sha1()
    fingerprint_matrix(output, digest)
    return digest.hexdigest()


def run_sequence(X, parts, path):
    """Fit on every part in turn, with the plain path or the memo; one record per part."""
    _text._MEMOISE = path == "memo"
    _text._clear_memos()
    records = []
    try:
        for name, train, test in parts:
            vectorizer = TextVectorizer(analyzer="word+char")
            wall, cpu = time.perf_counter(), time.process_time()
            output = vectorizer.fit_transform(X.iloc[train])
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            record = {
                "part": name,
                "n_rows": len(train),
                "fit_seconds": wall,
                "fit_cpu_seconds": cpu,
                "fit_fingerprint": fingerprint_fit(vectorizer, output),
                "n_features": output.shape[1],
            }
            del output
            if len(test):
                wall = time.perf_counter()
                held_out = vectorizer.transform(X.iloc[test])
                record["transform_seconds"] = time.perf_counter() - wall
                record["transform_fingerprint"] = fingerprint_transform(held_out)
            records.append(record)
        memo_bytes = _text._MEMOS.nbytes
    finally:
        _text._MEMOISE = True
        _text._clear_memos()
    return {"path": path, "parts": records, "memo_megabytes": memo_bytes / 1e6}


def identical(runs):
    """Whether every run gives the plain path's fingerprints, part by part."""
    keys = ("fit_fingerprint", "transform_fingerprint")
    expected = [[part.get(key) for key in keys] for part in runs[0]["parts"]]
    return all([[p.get(key) for key in keys] for p in run["parts"]] == expected for run in runs)


def summarise(runs):
    by_path = {path: [run for run in runs if run["path"] == path] for path in PATHS}
    totals = {
        path: [sum(part["fit_seconds"] for part in run["parts"]) for run in path_runs]
        for path, path_runs in by_path.items()
    }
    cpu = {
        path: [sum(part["fit_cpu_seconds"] for part in run["parts"]) for run in path_runs]
        for path, path_runs in by_path.items()
    }
    transforms = {
        path: [sum(part.get("transform_seconds", 0.0) for part in run["parts"]) for run in rs]
        for path, rs in by_path.items()
    }
    per_part = {
        path: [
            statistics.median(run["parts"][k]["fit_seconds"] for run in path_runs)
            for k in range(len(path_runs[0]["parts"]))
        ]
        for path, path_runs in by_path.items()
    }
    median = {path: statistics.median(values) for path, values in totals.items()}
    return {
        "fit_seconds_median": median,
        "fit_cpu_seconds_median": {path: statistics.median(v) for path, v in cpu.items()},
        "transform_seconds_median": {p: statistics.median(v) for p, v in transforms.items()},
        "fit_seconds_per_part_median": per_part,
        "speedup": median["plain"] / median["memo"],
        "speedup_cpu": statistics.median(cpu["plain"]) / statistics.median(cpu["memo"]),
        "speedup_paired_median": statistics.median(
            plain / memo for plain, memo in zip(totals["plain"], totals["memo"])
        ),
        "memo_megabytes": statistics.median(run["memo_megabytes"] for run in by_path["memo"]),
        "identical": identical(runs),
    }


def machine_info():
    with open("/proc/meminfo") as meminfo:
        memory = dict(line.split(":", 1) for line in meminfo)
    return {
        "cpu_count": os.cpu_count(),
        "memory_total_gb": int(memory["MemTotal"].split()[0]) * 1024 / 1e9,
        "thread_variables": {name: os.environ[name] for name in THREAD_VARIABLES},
        "load_average_at_start": os.getloadavg()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": version("scipy"),
        "pandas": pd.__version__,
        "sklearn": version("scikit-learn"),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def markdown(report):
    machine = report["machine"]
    lines = [
        "# TextVectorizer on the folds of a search: plain path against the memo",
        "",
        f'`TextVectorizer(analyzer="word+char")` (defaults: word 1-2-grams, char_wb 2-5-grams, '
        f"`max_features=50000` each) fitted on the 5 training parts of "
        f"`KFold(5, shuffle=True, random_state=0)` and then on all rows, "
        f"{report['repeats']} repetitions, the two paths alternating, one process, one thread. "
        "Times are the sum of the 6 fits (median over repetitions); the first fit of the memo "
        "path analyses the texts, the memo being cleared before each sequence. *held-out "
        "transforms* is the sum of the 5 transforms of the held-out folds, timed apart.",
        "",
        "| data | rows | plain fits (s) | memo fits (s) | speed-up | paired | CPU speed-up "
        "| held-out transforms plain / memo (s) | memo size (MB) | identical |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, result in report["datasets"].items():
        summary = result["summary"]
        seconds = summary["fit_seconds_median"]
        transforms = summary["transform_seconds_median"]
        lines.append(
            f"| {name} | {result['n_rows']} | {seconds['plain']:.1f} | {seconds['memo']:.1f} "
            f"| {summary['speedup']:.2f}x | {summary['speedup_paired_median']:.2f}x "
            f"| {summary['speedup_cpu']:.2f}x "
            f"| {transforms['plain']:.1f} / {transforms['memo']:.2f} "
            f"| {summary['memo_megabytes']:.0f} | {'yes' if summary['identical'] else 'NO'} |"
        )
    lines += ["", "Per fit (median seconds, plain / memo):", ""]
    parts = [part["part"] for part in next(iter(report["datasets"].values()))["runs"][0]["parts"]]
    lines.append("| data | " + " | ".join(parts) + " |")
    lines.append("|---|" + "---|" * len(parts))
    for name, result in report["datasets"].items():
        per_part = result["summary"]["fit_seconds_per_part_median"]
        cells = [f"{p:.1f} / {m:.2f}" for p, m in zip(per_part["plain"], per_part["memo"])]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "*identical*: every fit's output matrix (data, indices and row pointers in stored "
        "order, dtypes, shape, container), every inner vectorizer's `vocabulary_` (items in "
        "order, with their types) and `idf_`, the feature names and every held-out transform "
        "have the same SHA-1 in both paths and all repetitions.",
        "",
        f"Machine: {machine['cpu_count']} CPUs ({machine['processor']}), "
        f"{machine['memory_total_gb']:.0f} GB RAM, shared with other jobs (load average "
        f"{machine['load_average_at_start']:.1f} at the start, "
        f"{report['load_average_at_end']:.1f} at the end); Python {machine['python']}, "
        f"NumPy {machine['numpy']}, SciPy {machine['scipy']}, scikit-learn "
        f"{machine['sklearn']}; {machine['date']}. Total run {report['seconds'] / 60:.0f} min.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=None, help="only the first ROWS rows")
    parser.add_argument("--output-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    report = {"machine": machine_info(), "repeats": args.repeats, "datasets": {}}
    for name, (file, column) in DATASETS.items():
        X = load_column(file, column, args.rows)
        parts = training_parts(len(X))
        runs = []
        for repeat in range(args.repeats):
            for path in PATHS if repeat % 2 == 0 else PATHS[::-1]:
                runs.append(run_sequence(X, parts, path))
                seconds = sum(part["fit_seconds"] for part in runs[-1]["parts"])
                print(f"{name}, repetition {repeat + 1}, {path}: {seconds:.1f} s", flush=True)
        runs.sort(key=lambda run: PATHS.index(run["path"]))
        report["datasets"][name] = {
            "file": file,
            "column": column,
            "n_rows": len(X),
            "runs": runs,
            "summary": summarise(runs),
        }
    report["load_average_at_end"] = os.getloadavg()[0]
    report["seconds"] = time.perf_counter() - start
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "text_speed.json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    (args.output_dir / "text_speed.md").write_text(text)
    print(text)
    return 0 if all(r["summary"]["identical"] for r in report["datasets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
