"""Test scores of neural fusion, one row per fusion layer, next to the published baselines.

Fits ``NeuralFusionClassifier`` / ``NeuralFusionRegressor`` with its defaults and
``fusion=f`` (``random_state=0``) for every fusion layer on the train part of each task's
official split and scores it on the test part (the transformers are fitted once per
task through the ``memory`` cache), next to the best core mmsk model of
``results/core_scores.json`` and the baselines of ``../shared/BASELINES.md``.

Run from the repository root::

    python benchmarks/neural_quality.py                 # all four tasks
    python benchmarks/neural_quality.py --tasks imdb_rating --fusions concat gated

Writes ``benchmarks/results/neural_quality.json`` and ``benchmarks/results/neural_quality.md``.
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


def run_task(task_name, fusions, cache):
    data = load_task(task_name)
    X_train, X_test, _, _, spec = data
    neural = NeuralFusionRegressor if spec["task"] == "regression" else NeuralFusionClassifier
    results = []
    for fusion in fusions:
        label = f'{neural.__name__}(fusion="{fusion}")'
        model = neural(fusion=fusion, memory=cache, random_state=0)
        entry = run_model(label, model, data)
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


def markdown(result):
    machine = result["machine"]
    lines = [
        "# Neural fusion scores, per fusion layer",
        "",
        "Default `NeuralFusion*` estimators (20 epochs, AdamW, `random_state=0`) with each "
        "fusion layer, fitted on the train part of each task's official split and scored "
        "on the test part; higher is better. The modality transformers are fitted once per task "
        "and reused from a `memory` cache, so the first fit time of a task includes them and "
        "the others do not. Fit times are wall seconds on this machine "
        f"({machine['cpu_count']} CPUs, torch threads: {result['torch_threads']}, "
        f"{machine['date']}); baselines are copied from `../shared/BASELINES.md`.",
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
        for entry in task["neural"]:
            if "error" in entry:
                lines.append(f"| mmsk {entry['model']} | error: {entry['error']} | |")
            else:
                lines.append(
                    f"| mmsk {entry['model']} | {entry['score']:.4f} | "
                    f"{entry['fit_seconds']:.1f} s |"
                )
        core = task["best_core"]
        if core:
            lines.append(
                f"| best core mmsk: {core['model']} | {core['score']:.4f} | "
                f"{core['fit_seconds']:.1f} s |"
            )
        for name, entry in task["baselines"].items():
            marker = " (hand-built)" if name in HAND_BUILT else ""
            lines.append(
                f"| baseline {name}{marker} | {_baseline_score(entry)} | "
                f"{entry['fit_seconds']:.1f} s |"
            )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=task_names())
    parser.add_argument("--fusions", nargs="+", default=list(FUSIONS), choices=FUSIONS)
    parser.add_argument("--torch-threads", type=int, default=2)
    parser.add_argument("--output-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.torch_threads)
    started = time.perf_counter()
    with threadpool_limits(1), tempfile.TemporaryDirectory() as cache:
        tasks = {name: run_task(name, args.fusions, cache) for name in args.tasks}
    result = {
        "machine": {**machine_info(1), "torch": torch.__version__},
        "torch_threads": args.torch_threads,
        "total_seconds": time.perf_counter() - started,
        "tasks": tasks,
    }
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "neural_quality.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.output_dir / "neural_quality.md").write_text(markdown(result))
    print(f"done in {result['total_seconds']:.0f} s")


if __name__ == "__main__":
    main()
