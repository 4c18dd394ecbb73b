"""Fit time of the per-modality families next to the hand-built scikit-learn stack.

Two multiclass tables with categorical fields: a generated six-class table of 10,000
statements with high-cardinality fields (``_statements.py``: speaker, job, context, subject
lists, party, state and five counts) and the airline tweets task (official split). On each,
in one process and one native thread, alternating repetitions:

- ``sk_stack``: the hand-built baseline of ../shared/BASELINES.md (``_reference.py``);
- ``late``: ``LateFusionClassifier()`` with its defaults;
- ``late n_jobs=2``: the same with its fold fits on two processes;
- ``bayes``: ``BayesianNetworkFusionClassifier()`` with its defaults (needs pgmpy);
- ``late, previous default``: what ``LateFusionClassifier()`` was before (one-hot columns
  into ``HistGradientBoostingClassifier`` without early stopping, ``fusion="weighted"``).

Writes ``results/late_speed.json`` and ``.md``: median fit seconds, the ratio to
``sk_stack`` measured in the same run, and the test-part score (accuracy).

Run from the repository root: ``python benchmarks/late_speed.py [--repeats N]``.
"""

import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).parent))
from _reference import hand_built_stack  # noqa: E402
from _statements import make_statements  # noqa: E402
from _tasks import load_task  # noqa: E402

from mmsk import (  # noqa: E402
    BayesianNetworkFusionClassifier,
    KindSelector,
    LateFusionClassifier,
    TabularEncoder,
    TextVectorizer,
)

RESULTS = Path(__file__).parent / "results"
TABULAR_KINDS = ("numeric", "categorical", "datetime")


def previous_default():
    """``LateFusionClassifier()`` as it was: one-hot columns, no early stopping, weighted."""
    return LateFusionClassifier(
        [
            ("tabular", TabularEncoder(encoding="one-hot"), KindSelector(*TABULAR_KINDS)),
            ("text", TextVectorizer(), KindSelector("text")),
        ],
        estimators={"tabular": HistGradientBoostingClassifier(random_state=0)},
        fusion="weighted",
        random_state=0,
    )


def models(X):
    candidates = {
        "sk_stack": hand_built_stack(X),
        "late": LateFusionClassifier(random_state=0),
        "late n_jobs=2": LateFusionClassifier(random_state=0, n_jobs=2),
        "late, previous default": previous_default(),
    }
    try:
        import pgmpy  # noqa: F401
    except ImportError:
        return candidates
    candidates["bayes"] = BayesianNetworkFusionClassifier(random_state=0)
    return candidates


def tables():
    X, y = make_statements(10000, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0, stratify=y
    )
    yield "statements (generated, 6 classes)", (X_train, X_test, y_train, y_test)
    X_train, X_test, y_train, y_test, _ = load_task("airline_sentiment")
    yield "airline_sentiment (3 classes)", (X_train, X_test, y_train, y_test)


def measure(name, data, repeats):
    X_train, X_test, y_train, y_test = data
    seconds, scores = {}, {}
    for repeat in range(repeats):
        order = list(models(X_train).items())
        if repeat % 2:
            order.reverse()
        for label, model in order:
            began = time.perf_counter()
            model.fit(X_train, y_train)
            seconds.setdefault(label, []).append(time.perf_counter() - began)
            scores[label] = float(model.score(X_test, y_test))
            print(f"{name}: {label} {seconds[label][-1]:.1f} s, accuracy {scores[label]:.4f}")
    medians = {label: float(np.median(values)) for label, values in seconds.items()}
    return {
        "table": name,
        "rows": {"train": len(X_train), "test": len(X_test)},
        "seconds": seconds,
        "median_seconds": medians,
        "ratio_to_sk_stack": {label: m / medians["sk_stack"] for label, m in medians.items()},
        "accuracy": scores,
    }


def markdown(report):
    lines = [
        "# Per-modality families next to the hand-built stack",
        "",
        "Median fit seconds over alternating repetitions in one process, one native thread "
        "(`n_jobs=2`: two processes of one thread); ratio = fit time / `sk_stack`'s in the "
        "same run; accuracy on the test part. `sk_stack` is the hand-built baseline of "
        "`../shared/BASELINES.md`; *previous default* is `LateFusionClassifier()` before "
        "native category codes, early stopping and `fusion='auto'`.",
        "",
    ]
    for table in report["tables"]:
        lines += [
            f"## {table['table']}: {table['rows']['train']:,} training rows",
            "",
            "| model | fit s | ratio to sk_stack | accuracy |",
            "|---|---:|---:|---:|",
        ]
        for label, seconds in table["median_seconds"].items():
            ratio = table["ratio_to_sk_stack"][label]
            lines.append(
                f"| {label} | {seconds:.1f} | {ratio:.2f}x | {table['accuracy'][label]:.4f} |"
            )
        lines.append("")
    machine = report["machine"]
    lines.append(
        f"Machine: {machine['cpus']} CPUs, load average {machine['load_average']:.1f} at "
        f"start (shared), Python {machine['python']}, scikit-learn "
        f"{report['versions']['scikit-learn']}; {report['date']}; {report['repeats']} "
        "repetitions."
    )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    report = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": os.getloadavg()[0],
        },
        "versions": {"scikit-learn": sklearn.__version__},
        "repeats": args.repeats,
        "native_threads": 1,
    }
    with threadpool_limits(limits=1):
        report["tables"] = [measure(name, data, args.repeats) for name, data in tables()]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "late_speed.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "late_speed.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
