"""Test scores of neural fusion, one row per fusion layer, next to the published baselines.

Fits ``NeuralFusionClassifier`` / ``NeuralFusionRegressor`` with its defaults and
``fusion=f`` (``random_state=0``) for every fusion layer on the train part of each task's
official split and scores it on the test part (the transformers are fitted once per
task through the ``memory`` cache), next to the best core mmsk model of
``results/core_scores.json`` and the baselines of ``../shared/BASELINES.md``.

Run from the repository root::

    python benchmarks/neural_quality.py                 # all four tasks
    python benchmarks/neural_quality.py --tasks imdb_rating --fusions concat gated
    python benchmarks/neural_quality.py --tasks imdb_rating --fusions conv --merge

Writes ``benchmarks/results/neural_quality.json`` and ``benchmarks/results/neural_quality.md``.
With ``--merge`` the rows measured now replace the rows of the same layer and task in the
existing results and every other row is kept; ``runs`` in the JSON lists every run that
measured rows of the file (the top-level ``machine``, ``torch_threads`` and
``total_seconds`` are those of the latest run), and each row says when it was measured.
``--warm-cache`` fits the modality transformers into the cache, untimed, before the first
timed fit of a task, so that no fit time includes them.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tasks import load_task, task_names  # noqa: E402
from core_scores import BASELINES, HAND_BUILT, _baseline_score, machine_info, run_model  # noqa: E402

from mmsk.fusion import NeuralFusionClassifier, NeuralFusionRegressor  # noqa: E402
from mmsk.fusion._neural import FUSIONS  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def best_core(task_name):
    """The best core (early/late) mmsk score of a task from ``core_scores.json``."""
    path = RESULTS_DIR / "core_scores.json"
    if not path.exists():
        return None
    task = json.loads(path.read_text())["tasks"].get(task_name)
    scored = [entry for entry in (task or {}).get("mmsk", []) if "score" in entry]
    return max(scored, key=lambda entry: entry["score"]) if scored else None


def run_task(task_name, fusions, cache, measured, warm_cache=False):
    data = load_task(task_name)
    X_train, X_test, y_train, _, spec = data
    neural = NeuralFusionRegressor if spec["task"] == "regression" else NeuralFusionClassifier
    if warm_cache:
        # One untimed epoch fits the modality transformers into the cache.
        neural(max_epochs=1, memory=cache, random_state=0).fit(X_train, y_train)
    results = []
    for position, fusion in enumerate(fusions):
        label = f'{neural.__name__}(fusion="{fusion}")'
        model = neural(fusion=fusion, memory=cache, random_state=0)
        entry = run_model(label, model, data)
        entry["measured"] = measured
        entry["transformers_in_fit_time"] = position == 0 and not warm_cache
        print(f"{task_name:20s} {label:45s} {entry.get('score', entry.get('error'))}")
        results.append(entry)
    return {
        "metric": spec["metric"],
        "n_train": len(X_train),
        "n_test": len(X_test),
        "neural": results,
        "best_core": best_core(task_name),
        "baselines": BASELINES[task_name],
    }


def _fusions_of(entries):
    return [entry["params"]["fusion"] for entry in entries if "fusion" in entry.get("params", {})]


def _fusion_order(entry):
    fusion = entry.get("params", {}).get("fusion")
    return FUSIONS.index(fusion) if fusion in FUSIONS else len(FUSIONS)


def _run_summary(result, tasks, fusions, warm_cache, note=None):
    return {
        "date": result["machine"]["date"],
        "machine": result["machine"],
        "torch_threads": result["torch_threads"],
        "total_seconds": result["total_seconds"],
        "warm_cache": warm_cache,
        "tasks": list(tasks),
        "fusions": list(fusions),
        "note": note,
    }


def _with_runs(result):
    """``result`` with its run history, filled in for a file from a single run.

    Such a file holds one run, which measured every row, with the first fit of each task
    fitting the transformers into the cache.
    """
    if "runs" in result:
        return result
    date = result["machine"]["date"]
    for task in result["tasks"].values():
        for position, entry in enumerate(task["neural"]):
            entry.setdefault("measured", date)
            entry.setdefault("transformers_in_fit_time", position == 0)
    fusions = {
        fusion for task in result["tasks"].values() for fusion in _fusions_of(task["neural"])
    }
    run = _run_summary(result, result["tasks"], sorted(fusions, key=FUSIONS.index), False)
    return {**result, "runs": [run]}


def merge(previous, result):
    """``previous`` updated by ``result``: its rows replace those of the same model and task.

    Every other row of ``previous`` is kept; rows are listed in the order of ``FUSIONS``,
    tasks in the order of ``previous`` followed by new ones. Runs none of whose rows are
    left are dropped from the history.
    """
    previous = _with_runs(previous)
    tasks = dict(previous["tasks"])
    for name, task in result["tasks"].items():
        measured = {entry["model"] for entry in task["neural"]}
        kept = [e for e in tasks.get(name, {}).get("neural", []) if e["model"] not in measured]
        tasks[name] = {**task, "neural": sorted(kept + task["neural"], key=_fusion_order)}
    dates = {entry.get("measured") for task in tasks.values() for entry in task["neural"]}
    runs = [run for run in previous["runs"] + result["runs"] if run["date"] in dates]
    return {**result, "tasks": tasks, "runs": runs}


def _run_line(run):
    machine = run["machine"]
    cache = "; transformers fitted into the cache before timing" if run["warm_cache"] else ""
    note = f" {run['note']}" if run.get("note") else ""
    return (
        f"- {run['date']}: {', '.join(f'`{fusion}`' for fusion in run['fusions'])} on "
        f"{', '.join(run['tasks'])} ({machine['cpu_count']} CPUs, torch threads: "
        f"{run['torch_threads']}, {run['total_seconds']:.0f} s in all{cache}).{note}"
    )


def _neural_row(entry):
    measured = entry.get("measured", "")[:10]
    if "error" in entry:
        return f"| mmsk {entry['model']} | error: {entry['error']} | | {measured} |"
    marker = " *" if entry.get("transformers_in_fit_time") else ""
    return (
        f"| mmsk {entry['model']} | {entry['score']:.4f} | "
        f"{entry['fit_seconds']:.1f} s{marker} | {measured} |"
    )


def markdown(result):
    result = _with_runs(result)
    lines = [
        "# Neural fusion scores, per fusion layer",
        "",
        "Default `NeuralFusion*` estimators (20 epochs, AdamW, `random_state=0`) with each "
        "fusion layer, fitted on the train part of each task's official split and scored "
        "on the test part; higher is better. In each run the modality transformers are fitted "
        "once per task and reused from a `memory` cache; a fit time marked * includes fitting "
        "them (the first fit of its run on the task), the others do not. Fit times are wall "
        "seconds on this machine; baselines are copied from `../shared/BASELINES.md`. The rows "
        "come from these runs (the *measured* column gives each row's run):",
        "",
        *(_run_line(run) for run in result["runs"]),
    ]
    for task_name, task in result["tasks"].items():
        lines += [
            "",
            f"## {task_name} ({task['metric']}; train {task['n_train']}, "
            f"test {task['n_test']} rows)",
            "",
        ]
        missing = [fusion for fusion in FUSIONS if fusion not in _fusions_of(task["neural"])]
        if missing:
            names = ", ".join(f"`{fusion}`" for fusion in missing)
            lines += [f"Not measured on this task: {names}.", ""]
        lines += ["| model | score | fit time | measured |", "|---|---|---|---|"]
        lines += [_neural_row(entry) for entry in task["neural"]]
        core = task["best_core"]
        if core:
            lines.append(
                f"| best core mmsk: {core['model']} | {core['score']:.4f} | "
                f"{core['fit_seconds']:.1f} s | |"
            )
        for name, entry in task["baselines"].items():
            marker = " (hand-built)" if name in HAND_BUILT else ""
            lines.append(
                f"| baseline {name}{marker} | {_baseline_score(entry)} | "
                f"{entry['fit_seconds']:.1f} s | |"
            )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=task_names())
    parser.add_argument("--fusions", nargs="+", default=list(FUSIONS), choices=FUSIONS)
    parser.add_argument("--torch-threads", type=int, default=2)
    parser.add_argument("--output-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--merge",
        action="store_true",
        help="update the measured rows of the existing results and keep the others",
    )
    parser.add_argument(
        "--warm-cache",
        action="store_true",
        help="fit the modality transformers, untimed, before the first timed fit of a task",
    )
    parser.add_argument("--note", help="a remark on this run, kept with it in the results")
    args = parser.parse_args(argv)
    json_path = args.output_dir / "neural_quality.json"
    previous = json.loads(json_path.read_text()) if args.merge and json_path.exists() else None
    torch.set_num_threads(args.torch_threads)
    machine = {**machine_info(1), "torch": torch.__version__}
    started = time.perf_counter()
    with threadpool_limits(1), tempfile.TemporaryDirectory() as cache:
        tasks = {
            name: run_task(name, args.fusions, cache, machine["date"], args.warm_cache)
            for name in args.tasks
        }
    result = {
        "machine": machine,
        "torch_threads": args.torch_threads,
        "total_seconds": time.perf_counter() - started,
        "tasks": tasks,
    }
    result["runs"] = [_run_summary(result, args.tasks, args.fusions, args.warm_cache, args.note)]
    if previous is not None:
        result = merge(previous, result)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(result, indent=2) + "\n")
    (args.output_dir / "neural_quality.md").write_text(markdown(result))
    print(f"done in {result['runs'][-1]['total_seconds']:.0f} s")


if __name__ == "__main__":
    main()
