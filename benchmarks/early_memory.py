"""Peak memory and time of early fusion's stacking step, previous and current code, at 1M rows.

The table is the synthetic one of ``scaling.py`` (its ``make_table``, same seed). Every
measurement runs in a fresh Python process, with ``--threads`` threads for BLAS and
OpenMP (default 1, as in ``scaling.py``):

- ``prepare`` (once): ``ModalityUnion()`` (the transformers, block weights and presence
  indicators of ``EarlyFusionClassifier()``) is fitted on the table and stopped at the
  stacking step, whose input (the transformers' blocks, the weights, the presence masks)
  is saved to a temporary folder.
- ``stack``: loads that input and runs the stacking step alone, either the current
  ``_ModalityStack._stack`` of ``mmsk/fusion/_early.py`` or ``previous_stack`` below.
  In a *memory* run, tracemalloc traces from before the blocks are loaded, so its peak
  during the step counts the blocks and what the step adds, less what it frees; in a
  *time* run nothing is traced, and the step's wall and CPU time and the process's peak
  resident memory (``VmHWM`` after a reset, as in ``scaling.py``) are taken. Both record
  a fingerprint of the stacked matrix (SHA-1 of its shape, format, dtype, row pointers,
  column indices and values; once as returned and once after ``sum_duplicates`` and
  ``sort_indices``), so that the two implementations are shown to give the same matrix.
- ``fit``: ``EarlyFusionClassifier().fit`` on the table, with the current or the
  previous stacking step: wall and CPU time, the peak resident memory of the fit
  (``VmHWM`` reset just before it) and ``getrusage``'s ``ru_maxrss`` (the process's
  lifetime peak, the table's generation included). A *phases* run per implementation
  resets and reads the peak around each phase of the fit instead (the modality
  transforms, the stacking, the estimator's fit), to show where the peak now lies.

``previous_stack`` is the stacking step as it was before issue 15 (part 4), kept here only
for this side-by-side comparison. Run from the repository root::

    python benchmarks/early_memory.py                  # 19 minutes on 2 busy cores
    python benchmarks/early_memory.py --rows 100000    # a quick check
    python benchmarks/early_memory.py --from-json benchmarks/results/early_memory.json

Writes ``benchmarks/results/early_memory.json`` and ``early_memory.md``. Linux only
(``/proc/self/status``, ``clear_refs``).
"""

import argparse
import gc
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import types
from pathlib import Path

import numpy as np
from scipy import sparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scaling import (  # noqa: E402
    MB,
    THREAD_VARIABLES,
    TRAIN_SEED,
    current_rss,
    lifetime_peak_rss,
    machine_info,
    make_table,
    measured,
    peak_rss,
    release_free_memory,
    reset_peak_rss,
    source_state,
)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ROWS = 1_000_000
VARIANTS = ("previous", "current")


# ------------------------------------------------------- the previous implementation


def previous_stack(self, blocks, present):
    """The PREVIOUS stacking step (``_ModalityStack._stack`` before issue 15, part 4).

    Kept only to measure the current code against it: a COO form of every block (a
    dense block's through ``np.nonzero``), their concatenation, then its CSR form.
    """
    from mmsk.fusion._early import _scale

    names = [name for name, _, _ in self.transformers_]
    weighted = [_scale(block, self.modality_weights_[name]) for name, block in zip(names, blocks)]
    indicators = [
        present[name].astype(np.float64).reshape(-1, 1) for name in self.presence_indicators_
    ]
    if any(sparse.issparse(block) for block in weighted):
        return sparse.hstack(weighted + indicators).tocsr()
    return np.hstack(weighted + indicators).astype(np.float64, copy=False)


def stacking_step(variant):
    from mmsk.fusion._early import _ModalityStack

    return previous_stack if variant == "previous" else _ModalityStack._stack


def use_stacking(variant):
    """Make early fusion stack its blocks with ``variant``'s implementation."""
    from mmsk.fusion._early import _ModalityStack

    _ModalityStack._stack = stacking_step(variant)


# ------------------------------------------------------------------------- prepare


class _Captured(Exception):
    """Stops the union's fit once the stacking step's input is saved."""


def run_prepare(n_rows, folder):
    from mmsk import ModalityUnion
    from mmsk.fusion._early import _ModalityStack

    folder = Path(folder)

    def capture(self, blocks, present):
        save_stack_input(folder, self, blocks, present)
        raise _Captured

    X, _ = make_table(n_rows, TRAIN_SEED)
    _ModalityStack._stack = capture
    start = time.perf_counter()
    try:
        ModalityUnion().fit(X)
    except _Captured:
        pass
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "blocks": json.loads((folder / "meta.json").read_text())}


def save_stack_input(folder, union, blocks, present):
    kinds = []
    for i, block in enumerate(blocks):
        if sparse.issparse(block):
            sparse.save_npz(folder / f"block{i}.npz", block, compressed=False)
            kinds.append("sparse")
        else:
            np.save(folder / f"block{i}.npy", block)
            kinds.append("dense")
    for name in union.presence_indicators_:
        np.save(folder / f"present_{name}.npy", present[name])
    meta = {
        "names": [name for name, _, _ in union.transformers_],
        "kinds": kinds,
        "shapes": [list(block.shape) for block in blocks],
        "dtypes": [str(block.dtype) for block in blocks],
        "nnz": [int(_nnz(block)) for block in blocks],
        "nbytes": [int(_nbytes(block)) for block in blocks],
        "modality_weights": union.modality_weights_,
        "presence_indicators": union.presence_indicators_,
    }
    (folder / "meta.json").write_text(json.dumps(meta))


def load_stack_input(folder):
    """The stacking step's owner (its fitted attributes only), blocks and presence masks."""
    folder = Path(folder)
    meta = json.loads((folder / "meta.json").read_text())
    blocks = [
        sparse.load_npz(folder / f"block{i}.npz")
        if kind == "sparse"
        else _owned(np.load(folder / f"block{i}.npy"))
        for i, kind in enumerate(meta["kinds"])
    ]
    present = {
        name: np.load(folder / f"present_{name}.npy") for name in meta["presence_indicators"]
    }
    owner = types.SimpleNamespace(
        transformers_=[(name, None, None) for name in meta["names"]],
        modality_weights_=meta["modality_weights"],
        presence_indicators_=meta["presence_indicators"],
    )
    return owner, blocks, present


def _owned(array):
    """``array``, owning its data as a transformer's output does.

    ``np.load`` returns a view, which the block weighting would copy instead of scaling
    in place.
    """
    return array if array.flags.owndata else array.copy()


def _nnz(block):
    return block.nnz if sparse.issparse(block) else np.count_nonzero(block)


def _nbytes(block):
    if sparse.issparse(block):
        return block.data.nbytes + block.indices.nbytes + block.indptr.nbytes
    return block.nbytes


# --------------------------------------------------------------------------- stack


def run_stack(variant, mode, folder):
    stack = stacking_step(variant)
    if mode == "memory":
        tracemalloc.start()
    owner, blocks, present = load_stack_input(folder)
    gc.collect()
    measure = traced if mode == "memory" else measured
    stacked, record = measure(lambda: stack(owner, blocks, present))
    blocks.clear()
    record.update(describe(stacked))
    return record


def traced(call):
    """Result, and tracemalloc's memory before, at its peak during and after ``call``."""
    before = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    after, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, {
        "traced_before_bytes": before,
        "traced_peak_bytes": peak,
        "traced_after_bytes": after,
        "seconds_traced": seconds,
    }


def describe(stacked):
    """Format, sizes and fingerprints of a stacked matrix, as returned and canonical."""
    record = {
        "type": type(stacked).__name__,
        "format": getattr(stacked, "format", "dense"),
        "dtype": str(stacked.dtype),
        "shape": list(stacked.shape),
        "result_bytes": _nbytes(stacked),
    }
    if not sparse.issparse(stacked):
        record["fingerprint"] = record["canonical_fingerprint"] = _digest(stacked)
        return record
    record.update(
        nnz=int(stacked.nnz),
        index_dtype=str(stacked.indices.dtype),
        has_canonical_format=bool(stacked.has_canonical_format),
        fingerprint=_sparse_digest(stacked),
    )
    stacked.sum_duplicates()
    stacked.sort_indices()
    record["canonical_fingerprint"] = _sparse_digest(stacked)
    return record


def _sparse_digest(matrix):
    return _digest(
        np.asarray(matrix.shape),
        matrix.indptr.astype(np.int64),
        matrix.indices.astype(np.int64),
        matrix.data,
        text=f"{matrix.format} {matrix.dtype}",
    )


def _digest(*arrays, text=""):
    digest = hashlib.sha1(text.encode())
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


# ----------------------------------------------------------------------------- fit


def run_fit(variant, n_rows, phases):
    from mmsk import EarlyFusionClassifier

    use_stacking(variant)
    X, y = make_table(n_rows, TRAIN_SEED)
    model = EarlyFusionClassifier()
    marks = watch_phases(model) if phases else None
    _, fit = measured(lambda: model.fit(X, y))
    fit["ru_maxrss_bytes"] = lifetime_peak_rss()
    record = {
        "fit": fit,
        "data_bytes": int(X.memory_usage(deep=True).sum()),
        "n_features_out": int(model.n_features_out_),
        "n_iter": int(np.max(model.estimator_.n_iter_)),
        "coef_sha1": _digest(model.estimator_.coef_, model.estimator_.intercept_),
    }
    if marks is not None:
        record["phase_peaks"] = marks
    return record


def watch_phases(model):
    """Reset and read the peak resident memory around each phase of ``model``'s fit."""
    import mmsk.fusion._early as early

    marks = []

    def timed(label, call):
        def wrapper(*args, **kwargs):
            release_free_memory()
            reset_peak_rss()
            before, start = current_rss(), time.perf_counter()
            result = call(*args, **kwargs)
            marks.append(
                {
                    "phase": label,
                    "seconds": time.perf_counter() - start,
                    "rss_before_bytes": before,
                    "peak_bytes": peak_rss(),
                }
            )
            return result

        return wrapper

    early.fit_blocks = timed("modality transforms (fit_blocks)", early.fit_blocks)
    early._ModalityStack._stack = timed("stacking (_stack)", early._ModalityStack._stack)
    # The estimator is cloned before its fit, so its class is wrapped, in this process only.
    estimator_class = type(model._default_estimator())
    estimator_class.fit = timed(f"{estimator_class.__name__}.fit", estimator_class.fit)
    return marks


# -------------------------------------------------------------------------- driver


def run_worker(kind, options, result_file):
    if kind == "prepare":
        record = run_prepare(options["rows"], options["folder"])
    elif kind == "stack":
        record = run_stack(options["variant"], options["mode"], options["folder"])
    else:
        record = run_fit(options["variant"], options["rows"], options["phases"])
    record.update(kind=kind, **options)
    Path(result_file).write_text(json.dumps(record))


def run_process(kind, options, threads):
    """One measurement in a fresh process; its record."""
    env = dict(os.environ, **dict.fromkeys(THREAD_VARIABLES, str(threads)))
    with tempfile.TemporaryDirectory() as scratch:
        result_file = Path(scratch) / "result.json"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            json.dumps({"kind": kind, "options": options}),
            "--result-file",
            str(result_file),
        ]
        load = os.getloadavg()[0]
        start = time.perf_counter()
        completed = subprocess.run(command, env=env, capture_output=True, text=True)
        if completed.returncode != 0:
            sys.stderr.write(completed.stderr[-3000:])
            raise SystemExit(f"{kind} {options} failed with status {completed.returncode}")
        record = json.loads(result_file.read_text())
    record["process_seconds"] = time.perf_counter() - start
    record["load_average_at_start"] = load
    return record


def run_all(args):
    folder = tempfile.mkdtemp(prefix="mmsk_early_memory_")
    records = []
    try:
        print(f"prepare: {args.rows:,} rows, stacking input saved to {folder}", flush=True)
        records.append(run_process("prepare", {"rows": args.rows, "folder": folder}, args.threads))
        plan = [("stack", {"variant": v, "mode": "memory"}) for v in VARIANTS]
        plan += [
            ("stack", {"variant": v, "mode": "time"})
            for _ in range(args.stack_repeats)
            for v in VARIANTS
        ]
        plan += [
            ("fit", {"variant": v, "phases": False})
            for _ in range(args.fit_repeats)
            for v in VARIANTS
        ]
        plan += [("fit", {"variant": v, "phases": True}) for v in VARIANTS]
        for kind, options in plan:
            options = dict(options, rows=args.rows, folder=folder)
            record = run_process(kind, options, args.threads)
            records.append(record)
            print(
                f"{kind} {options['variant']} {options.get('mode', '')}: {_line(record)}",
                flush=True,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return records


def _line(record):
    if "traced_peak_bytes" in record:
        return f"traced peak {record['traced_peak_bytes'] / MB:,.0f} MB"
    if record["kind"] == "stack":
        return f"{record['seconds']:.2f} s"
    fit = record["fit"]
    return f"{fit['seconds']:.1f} s, peak {fit['peak_bytes'] / MB:,.0f} MB"


# ------------------------------------------------------------------------- reports


def summarise(records):
    """Medians per implementation, current / previous ratios and the equality checks."""
    by = {}
    for variant in VARIANTS:
        memory = _one(records, kind="stack", variant=variant, mode="memory")
        times = _all(records, kind="stack", variant=variant, mode="time")
        fits = _all(records, kind="fit", variant=variant, phases=False)
        by[variant] = {
            "stack_traced_peak_mb": memory["traced_peak_bytes"] / MB,
            "stack_traced_above_blocks_mb": (
                memory["traced_peak_bytes"] - memory["traced_before_bytes"]
            )
            / MB,
            "blocks_traced_mb": memory["traced_before_bytes"] / MB,
            "stack_seconds": _median(times, lambda r: r["seconds"]),
            "stack_cpu_seconds": _median(times, lambda r: r["cpu_seconds"]),
            "stack_rss_above_mb": _median(
                times, lambda r: (r["peak_bytes"] - r["rss_before_bytes"]) / MB
            ),
            "fit_seconds": _median(fits, lambda r: r["fit"]["seconds"]),
            "fit_cpu_seconds": _median(fits, lambda r: r["fit"]["cpu_seconds"]),
            "fit_peak_mb": _median(fits, lambda r: r["fit"]["peak_bytes"] / MB),
            "fit_above_data_mb": _median(
                fits, lambda r: (r["fit"]["peak_bytes"] - r["fit"]["rss_before_bytes"]) / MB
            ),
            "fit_ru_maxrss_mb": _median(fits, lambda r: r["fit"]["ru_maxrss_bytes"] / MB),
        }
    ratios = {key: by["current"][key] / by["previous"][key] for key in by["current"]}
    stacks = [r for r in records if r["kind"] == "stack"]
    fits = [r for r in records if r["kind"] == "fit"]
    checks = {
        "same_matrix_as_returned": len({r["fingerprint"] for r in stacks}) == 1,
        "same_matrix_canonical": len({r["canonical_fingerprint"] for r in stacks}) == 1,
        "same_type_format_dtype": len({(r["type"], r["format"], r["dtype"]) for r in stacks}) == 1,
        "same_coefficients_after_fit": len({r["coef_sha1"] for r in fits}) == 1,
        "stacked": {k: stacks[0][k] for k in ("type", "format", "dtype", "shape", "nnz")},
    }
    return {"by_variant": by, "ratios": ratios, "checks": checks}


def _all(records, **keys):
    return [r for r in records if all(r.get(k) == v for k, v in keys.items())]


def _one(records, **keys):
    return _all(records, **keys)[0]


def _median(records, value):
    return statistics.median(value(r) for r in records)


ROWS_SHOWN = [
    ("stacking step: traced peak, blocks included (MB)", "stack_traced_peak_mb", "{:,.0f}"),
    (
        "stacking step: traced peak above the blocks (MB)",
        "stack_traced_above_blocks_mb",
        "{:,.0f}",
    ),
    ("stacking step: resident peak above the blocks (MB)", "stack_rss_above_mb", "{:,.0f}"),
    ("stacking step: wall time (s)", "stack_seconds", "{:.2f}"),
    ("stacking step: CPU time (s)", "stack_cpu_seconds", "{:.2f}"),
    ("`EarlyFusionClassifier().fit`: wall time (s)", "fit_seconds", "{:.1f}"),
    ("`EarlyFusionClassifier().fit`: CPU time (s)", "fit_cpu_seconds", "{:.1f}"),
    ("fit: process peak, `VmHWM` reset before fit (MB)", "fit_peak_mb", "{:,.0f}"),
    ("fit: peak above the data (MB)", "fit_above_data_mb", "{:,.0f}"),
    ("fit: `ru_maxrss` (lifetime peak, MB)", "fit_ru_maxrss_mb", "{:,.0f}"),
]


def markdown(report):
    machine, summary = report["machine"], report["summary"]
    prepare = _one(report["records"], kind="prepare")
    meta_lines = [
        f"- `{name}`: {kind}, {shape[0]:,} x {shape[1]:,} {dtype}, {nnz:,} non-zeros, "
        f"{nbytes / MB:,.0f} MB"
        for name, kind, shape, dtype, nnz, nbytes in zip(
            *(report["blocks"][k] for k in ("names", "kinds", "shapes", "dtypes", "nnz", "nbytes"))
        )
    ]
    lines = [
        f"# Early fusion's stacking step: memory and time at {report['rows']:,} rows",
        "",
        f"Table: `benchmarks/scaling.py`'s synthetic table (`make_table({report['rows']}, "
        f"{TRAIN_SEED})`). *previous*: the stacking step before issue 15 part 4 "
        "(`sparse.hstack(weighted + indicators).tocsr()`, kept in the benchmark script as "
        "`previous_stack`); *current*: `_ModalityStack._stack` of `mmsk/fusion/_early.py` "
        "(each dense block converted to CSR on its own, a slice of rows at a time, and "
        "released; then each CSR block copied into one preallocated CSR output and "
        "released). Each figure is from a fresh process; times and fit memory are medians "
        f"of {report['stack_repeats']} (stacking) and {report['fit_repeats']} (fit) runs, "
        "alternating the two implementations.",
        "",
        f"Machine: {machine['cpu_count']} CPUs, {machine['memory_total_gb']:.0f} GB RAM, "
        f"shared with other jobs (1-minute load average {_load_range(report)} before the "
        f"runs); {machine['threads']} thread(s) for BLAS and OpenMP; Python "
        f"{machine['python']}, numpy {machine['numpy']}, scipy {machine['scipy']}, "
        f"scikit-learn {machine['sklearn']}, pandas {machine['pandas']}, {machine['date']}; "
        + _source_line(machine),
        "",
        f"Input of the stacking step (saved once from `ModalityUnion().fit`, "
        f"{prepare['seconds']:.0f} s):",
        "",
        *meta_lines,
        "- presence indicators (one dense float64 column each): "
        + (", ".join(f"`{n}`" for n in report["blocks"]["presence_indicators"]) or "none"),
        "",
        "| measure | previous | current | current / previous |",
        "|---|---:|---:|---:|",
    ]
    for label, key, form in ROWS_SHOWN:
        previous, current = (summary["by_variant"][v][key] for v in VARIANTS)
        lines.append(
            f"| {label} | {form.format(previous)} | {form.format(current)} "
            f"| {summary['ratios'][key]:.2f} |"
        )
    checks = summary["checks"]
    stacked = checks["stacked"]
    lines += [
        "",
        "## Same output",
        "",
        f"Stacked matrix: {stacked['type']} ({stacked['format']}, {stacked['dtype']}), "
        f"{stacked['shape'][0]:,} x {stacked['shape'][1]:,}, {stacked['nnz']:,} non-zeros.",
        "",
        f"- identical as returned (shape, format, dtype, row pointers, column indices, "
        f"values), over all {sum(r['kind'] == 'stack' for r in report['records'])} stacking "
        f"runs of both implementations: **{_yes(checks['same_matrix_as_returned'])}**",
        f"- identical after `sum_duplicates()` and `sort_indices()`: "
        f"**{_yes(checks['same_matrix_canonical'])}**",
        f"- same container type, format and dtype: **{_yes(checks['same_type_format_dtype'])}**",
        f"- identical `LogisticRegression` coefficients after every fit: "
        f"**{_yes(checks['same_coefficients_after_fit'])}**",
        "",
        "## Where the fit's peak lies",
        "",
        "One more fit per implementation, with the peak resident memory reset and read "
        "around each phase (MB; *above* is above the resident memory when the phase starts).",
        "",
        "| implementation | phase | seconds | resident at start | peak | peak above start |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for variant in VARIANTS:
        record = _one(report["records"], kind="fit", variant=variant, phases=True)
        for mark in record["phase_peaks"]:
            lines.append(
                f"| {variant} | {mark['phase']} | {mark['seconds']:.1f} "
                f"| {mark['rss_before_bytes'] / MB:,.0f} | {mark['peak_bytes'] / MB:,.0f} "
                f"| {(mark['peak_bytes'] - mark['rss_before_bytes']) / MB:,.0f} |"
            )
    lines += ["", "## Notes", ""] + [f"- {note}" for note in NOTES]
    lines += ["", f"Whole benchmark: {report['total_seconds'] / 60:.1f} minutes.", ""]
    return "\n".join(lines)


def _load_range(report):
    loads = [r["load_average_at_start"] for r in report["records"]]
    return f"{min(loads):.1f} to {max(loads):.1f}"


def _source_line(machine):
    source = machine["source"]
    line = f"mmsk at commit `{(source['git_commit'] or 'unknown')[:7]}`"
    if source["mmsk_uncommitted"]:
        line += f" with uncommitted changes in {len(source['mmsk_uncommitted'])} files"
    if machine.get("source_changed_during_run"):
        line += (
            "; other jobs changed mmsk's sources during the run (the *same output* checks "
            "below show whether the stacked matrix and the fitted model changed)"
        )
    return line + "."


def _yes(flag):
    return "yes" if flag else "NO"


NOTES = [
    "*traced peak*: tracemalloc's peak during the stacking step, tracing from before the "
    "blocks were loaded, so the blocks count and a block freed during the step counts "
    "no more; it counts an allocation at once, even before its pages are written. *above "
    "the blocks*: that peak less the traced memory when the step starts (the blocks, "
    "weights and presence masks).",
    "*resident peak above the blocks*: the process's peak resident memory during the "
    "step (`VmHWM`, reset just before it by writing 5 to `/proc/self/clear_refs`) less "
    "its resident memory just before it, in an untraced run.",
    "*fit: process peak*: the same for the whole `fit`, as `scaling.py` reports it; "
    "*above the data*: less the resident memory just before `fit`. `ru_maxrss` "
    "(`getrusage`) is the process's lifetime peak, which includes building the table "
    "and which no reset lowers.",
    "On a machine shared with other jobs the wall times swing with the load (the "
    "1-minute load average before each run is in the JSON); CPU times are steadier, "
    "though contention for the cores and caches inflates them too.",
    "The fit's phases do not cover the whole fit (input checks, the presence masks and "
    "the block weights lie between them), so their peaks need not reach the fit's.",
]


def measure(args):
    """Every measurement, in fresh processes; the report."""
    started = time.perf_counter()
    machine = machine_info(args.threads)
    machine["source"] = source_state()
    records = run_all(args)
    machine["source_changed_during_run"] = (
        source_state()["mmsk_sources_sha1"] != machine["source"]["mmsk_sources_sha1"]
    )
    return {
        "rows": args.rows,
        "stack_repeats": args.stack_repeats,
        "fit_repeats": args.fit_repeats,
        "machine": machine,
        "records": records,
        "blocks": _one(records, kind="prepare")["blocks"],
        "summary": summarise(records),
        "notes": NOTES,
        "total_seconds": time.perf_counter() - started,
    }


def write_reports(report, output_dir, name):
    output_dir.mkdir(parents=True, exist_ok=True)
    stem = output_dir / name
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    stem.with_suffix(".md").write_text(text)
    print(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--stack-repeats", type=int, default=3)
    parser.add_argument("--fit-repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--output-name", default="early_memory")
    parser.add_argument("--output-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--from-json", type=Path, help="rebuild the reports from an earlier run's JSON"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        task = json.loads(args.worker)
        run_worker(task["kind"], task["options"], args.result_file)
        return 0
    if args.from_json:
        report = json.loads(args.from_json.read_text())
        report["summary"], report["notes"] = summarise(report["records"]), NOTES
    else:
        report = measure(args)
    write_reports(report, args.output_dir, args.output_name)
    checks = report["summary"]["checks"]
    return 0 if checks["same_matrix_canonical"] and checks["same_coefficients_after_fit"] else 1


if __name__ == "__main__":
    sys.exit(main())
