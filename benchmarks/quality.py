"""Quality on the four tasks: every fusion family with defaults, and the search-picked model.

For each task of ../shared/data/tasks.json (official split), this script

1. fits each fusion family with default settings on the train part and scores it on the
   test part;
2. runs ``GridSearchCV`` (3 folds, train part only) over fusion families and text
   transformers (TF-IDF words, TF-IDF words + characters and, where the text is short
   enough to encode on a CPU in a few minutes, sentence embeddings), refits the picked
   model and scores it on the test part.

Candidates share a ``memory`` cache, so per-modality fits and out-of-fold predictions are
computed once per fold. Writes ``results/quality.json`` and ``results/quality.md``.

With ``--main-job`` it measures instead the main job as a user runs it: the training part
of each task is written to a CSV, ``mmsk compare`` runs on it (``--preset``,
``--time-limit``), the saved best model is loaded and scored on the test part, and the
whole command's wall time stands next to AutoGluon's. Writes ``results/main_job.json``
and ``results/main_job.md``.

Run from the repository root: ``python benchmarks/quality.py [--tasks NAME ...]
[--main-job [--preset NAME] [--time-limit SECONDS]]``.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import joblib
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

sys.path.insert(0, str(Path(__file__).parent))
from _tasks import load_task, score, task_names  # noqa: E402
from core_scores import BASELINES  # noqa: E402

from mmsk import (  # noqa: E402
    BayesianNetworkFusionClassifier,
    BayesianNetworkFusionRegressor,
    EarlyFusionClassifier,
    EarlyFusionRegressor,
    LateFusionClassifier,
    LateFusionRegressor,
    SentenceEmbedder,
    TextVectorizer,
)

RESULTS = Path(__file__).parent / "results"
#: Tasks whose text is too long to embed on a 2-core CPU within the benchmark's budget
#: (the clothing reviews: about 23,000 texts of about 60 words at ~25 texts per second).
NO_EMBEDDINGS = {"clothing_recommend"}


def default_models(task, memory):
    """Each fusion family with its default settings."""
    if task == "regression":
        return {
            "early": EarlyFusionRegressor(memory=memory),
            "late-weighted": LateFusionRegressor(memory=memory, random_state=0),
            "late-stacking": LateFusionRegressor(fusion="stacking", memory=memory, random_state=0),
            "bayes-tan": BayesianNetworkFusionRegressor(memory=memory, random_state=0),
        }
    return {
        "early": EarlyFusionClassifier(memory=memory),
        "late-weighted": LateFusionClassifier(memory=memory, random_state=0),
        "late-stacking": LateFusionClassifier(fusion="stacking", memory=memory, random_state=0),
        "bayes-tan": BayesianNetworkFusionClassifier(memory=memory, random_state=0),
    }


def text_transformers(name):
    """The text transformers searched over for a task."""
    transformers = {
        "tfidf": TextVectorizer(),
        "tfidf+char": TextVectorizer(analyzer="word+char"),
    }
    if name not in NO_EMBEDDINGS:
        transformers["embeddings"] = SentenceEmbedder()
    return transformers


def search_candidates(name, task, memory):
    """(label, estimator) pairs: fusion families crossed with text transformers."""
    candidates = []
    for family, model in default_models(task, memory).items():
        for text_name, transformer in text_transformers(name).items():
            if family == "bayes-tan" and text_name != "tfidf":
                continue
            candidate = clone(model).set_params(text=clone(transformer))
            candidates.append((f"{family} / {text_name}", candidate))
    return candidates


def run_task(name):
    X_train, X_test, y_train, y_test, spec = load_task(name)
    task = spec["task"]
    report = {"task": name, "metric": spec["metric"], "train_rows": len(X_train)}
    with tempfile.TemporaryDirectory(prefix="mmsk-quality-") as memory:
        report["defaults"] = {}
        for family, model in default_models(task, memory).items():
            start = time.perf_counter()
            model.fit(X_train, y_train)
            seconds = time.perf_counter() - start
            report["defaults"][family] = {
                "score": float(score(model, X_test, y_test, spec)),
                "fit_seconds": seconds,
            }
            print(f"{name} default {family}: {report['defaults'][family]}", flush=True)
        report["search"] = run_search(name, task, spec, memory, X_train, X_test, y_train, y_test)
    return report


def run_search(name, task, spec, memory, X_train, X_test, y_train, y_test):
    candidates = search_candidates(name, task, memory)
    labels = {id(model): label for label, model in candidates}
    search = GridSearchCV(
        Pipeline([("model", candidates[0][1])]),
        {"model": [model for _, model in candidates]},
        cv=3,
        scoring=spec["metric"],
    )
    start = time.perf_counter()
    search.fit(X_train, y_train)
    search_seconds = time.perf_counter() - start
    picked = search.best_params_["model"]
    picked_fit_seconds = time_uncached_fit(picked, X_train, y_train)
    cv_scores = {
        labels[id(params["model"])]: float(mean)
        for params, mean in zip(
            search.cv_results_["params"], search.cv_results_["mean_test_score"]
        )
    }
    result = {
        "picked": labels[id(picked)],
        "cv_score": float(search.best_score_),
        "test_score": float(score(search, X_test, y_test, spec)),
        "search_seconds": search_seconds,
        "picked_fit_seconds": picked_fit_seconds,
        "candidates_cv": cv_scores,
        "embeddings_searched": name not in NO_EMBEDDINGS,
    }
    print(f"{name} search: {result}", flush=True)
    return result


def time_uncached_fit(model, X, y):
    """Seconds to fit ``model`` from scratch, without the shared cache."""
    start = time.perf_counter()
    clone(model).set_params(memory=None).fit(X, y)
    return time.perf_counter() - start


def retime(reports):
    """Re-measure the picked models' fit times without the cache, in saved reports."""
    for report in reports:
        name = report["task"]
        X_train, _, y_train, _, spec = load_task(name)
        candidates = dict(search_candidates(name, spec["task"], None))
        picked = candidates[report["search"]["picked"]]
        report["search"]["picked_fit_seconds"] = time_uncached_fit(picked, X_train, y_train)
        print(
            f"{name}: {report['search']['picked']} fits in "
            f"{report['search']['picked_fit_seconds']:.1f} s",
            flush=True,
        )
    return reports


def markdown(reports):
    lines = [
        "# Quality on the four tasks",
        "",
        "Official split of each task; mmsk fitted on the train part, scored on the test "
        "part. *Search* = `GridSearchCV` (3 folds, train part only) over fusion families "
        "and text transformers; its time covers the whole search and the refit; the picked "
        "model's fit time is measured again from scratch, without the shared cache. The "
        "default models share one cache too, so a late or Bayesian default fitted after "
        "another reuses its per-modality fits (see `fit_seconds` in the JSON). Baselines "
        "from `../shared/BASELINES.md` (another run; times comparable only loosely).",
        "",
        "| task (metric) | early | late-weighted | late-stacking | bayes-tan | **search-picked** "
        "| picked model | search s | picked fit s | best hand-built sklearn | AutoGluon "
        "(2 min) | skrub |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for report in reports:
        name = report["task"]
        base = BASELINES[name]
        hand = max(("sk_linear", "sk_hgb", "sk_stack"), key=lambda k: base[k]["score"])
        defaults = report["defaults"]
        search = report["search"]
        lines.append(
            f"| {name} ({report['metric']}) | "
            + " | ".join(f"{defaults[f]['score']:.4f}" for f in defaults)
            + f" | **{search['test_score']:.4f}** | {search['picked']} | "
            f"{search['search_seconds']:.0f} | {search['picked_fit_seconds']:.1f} | "
            f"{base[hand]['score']:.4f} ({hand}) | {base['AutoGluon']['score']:.4f} "
            f"({base['AutoGluon']['fit_seconds']:.0f} s) | {_skrub(base)} |"
        )
    searched = [
        f"{r['task']}: "
        + ("yes" if r["search"]["embeddings_searched"] else "no (too long for CPU)")
        for r in reports
    ]
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    lines += ["", "Sentence embeddings searched: " + ", ".join(searched) + ".", ""]
    lines.append(f"Run {stamp} on 2 CPUs, one native thread per process.")
    return "\n".join(lines) + "\n"


def run_main_job(name, preset, time_limit, n_jobs=None):
    """``mmsk compare`` on the task's training CSV; its saved model scored on the test part."""
    X_train, X_test, y_train, y_test, spec = load_task(name)
    with tempfile.TemporaryDirectory(prefix="mmsk-main-job-") as folder:
        data = Path(folder) / f"{name}_train.csv"
        X_train.assign(**{spec["target"]: y_train}).to_csv(data, index=False)
        command = [
            sys.executable,
            "-m",
            "mmsk",
            "compare",
            str(data),
            "--target",
            spec["target"],
            "--output",
            str(Path(folder) / "out"),
            "--preset",
            preset,
        ]
        if time_limit is not None:
            command += ["--time-limit", str(time_limit)]
        if n_jobs is not None:
            command += ["--n-jobs", str(n_jobs)]
        start = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, text=True, env=os.environ)
        seconds = time.perf_counter() - start
        if completed.returncode != 0:
            raise RuntimeError(f"mmsk compare failed on {name}: {completed.stderr[-2000:]}")
        summary = json.loads((Path(folder) / "out" / "leaderboard.json").read_text())
        model = joblib.load(Path(folder) / "out" / "best_model.joblib")
        test_score = float(score(model, X_test, y_test, spec))
    report = {
        "task": name,
        "metric": spec["metric"],
        "preset": preset,
        "time_limit": time_limit,
        "n_jobs": n_jobs,
        "train_rows": len(X_train),
        "command_seconds": seconds,
        "picked": summary["leaderboard"][0]["model"],
        "cv_score": summary["leaderboard"][0]["score_mean"],
        "test_score": test_score,
        "candidates": len(summary["leaderboard"]),
        "skipped": summary.get("skipped", []),
        "leaderboard": summary["leaderboard"],
    }
    print(
        f"{name} main job: {report['picked']} test {test_score:.4f} in {seconds:.0f} s", flush=True
    )
    return report


def main_job_markdown(reports):
    lines = [
        "# The main job on the four tasks",
        "",
        "`mmsk compare TRAIN.csv --target T --output OUT` as a user runs it, on the training "
        "part of each task's official split; the saved `best_model.joblib` scored on the test "
        "part. *Command s* is the wall time of the whole command (reading, cross-validation, "
        "ensemble, refit, charts). Baselines from `../shared/BASELINES.md` (another run on a "
        "2-core machine; AutoGluon's time is its `fit`).",
        "",
        "| task (metric) | mmsk compare | picked | command s | best baseline | AutoGluon "
        "| AutoGluon s | skrub | best hand-built |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for report in reports:
        base = BASELINES[report["task"]]
        best = max(base, key=lambda k: base[k]["score"])
        hand = max(("sk_linear", "sk_hgb", "sk_stack"), key=lambda k: base[k]["score"])
        lines.append(
            f"| {report['task']} ({report['metric']}) | **{report['test_score']:.4f}** | "
            f"{report['picked']} | {report['command_seconds']:.0f} | "
            f"{base[best]['score']:.4f} ({best}) | {base['AutoGluon']['score']:.4f} | "
            f"{base['AutoGluon']['fit_seconds']:.0f} | {_skrub(base)} | "
            f"{base[hand]['score']:.4f} ({hand}) |"
        )
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    preset = reports[0]["preset"] if reports else "default"
    limit = reports[0]["time_limit"] if reports else None
    n_jobs = reports[0].get("n_jobs") if reports else None
    lines += [
        "",
        f"Options: `--preset {preset} --time-limit {limit:g} --n-jobs {n_jobs}`. The time "
        "limit stops starting candidates; the first always runs. Leaderboard rows per task: "
        + ", ".join(f"{r['task']} {r['candidates']}" for r in reports)
        + f" (the rest skipped). Run {stamp} on {os.cpu_count()} CPUs, one native thread "
        "per process.",
    ]
    return "\n".join(lines) + "\n"


def _skrub(base):
    value = base["skrub"]["score"]
    return value if isinstance(value, str) else f"{value:.4f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=task_names())
    parser.add_argument(
        "--retime",
        action="store_true",
        help="only re-measure the picked models' uncached fit times in results/quality.json",
    )
    parser.add_argument("--main-job", action="store_true", help="run `mmsk compare` per task")
    parser.add_argument(
        "--markdown-only",
        action="store_true",
        help="only rewrite results/main_job.md from results/main_job.json",
    )
    parser.add_argument("--preset", default="default", help="preset of the main job")
    parser.add_argument("--time-limit", type=float, default=None, help="of the main job")
    parser.add_argument("--n-jobs", type=int, default=None, help="of the main job")
    args = parser.parse_args(argv)
    if args.markdown_only:
        text = main_job_markdown(json.loads((RESULTS / "main_job.json").read_text()))
        (RESULTS / "main_job.md").write_text(text)
        print(text)
        return 0
    if args.main_job:
        reports = [
            run_main_job(name, args.preset, args.time_limit, args.n_jobs) for name in args.tasks
        ]
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "main_job.json").write_text(json.dumps(reports, indent=2) + "\n")
        text = main_job_markdown(reports)
        (RESULTS / "main_job.md").write_text(text)
        print(text)
        return 0
    if args.retime:
        reports = retime(json.loads((RESULTS / "quality.json").read_text()))
    else:
        reports = [run_task(name) for name in args.tasks]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "quality.json").write_text(json.dumps(reports, indent=2) + "\n")
    text = markdown(reports)
    (RESULTS / "quality.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
