"""The ``mmsk`` command: compare fusion methods on a table, fit one, predict with it.

Run ``mmsk --help`` (or ``python -m mmsk --help``) for the sub-commands.

Every problem ends in one line on standard error, never a traceback, and an exit
status: 2 for a usage or input error (a bad option, an unreadable or unsuitable input,
an output that cannot be written or would replace an input: all checked before any
work), 1 for a failure at run time (a write that fails, every ``compare`` candidate
failing, an unexpected error), 130 for Ctrl+C. No output ever replaces an input, and a
file is written to a temporary file beside it and renamed, so a failed write leaves
nothing half written.
"""

import argparse
import codecs
import json
import os
import stat
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.model_selection import train_test_split

from ._image_io import anchor_image_paths
from .compare import PRESETS, EveryCandidateFailed, compare_models, infer_task, rank, search_space
from .compare._compare import ENSEMBLE_NAME, TASKS, check_scoring_name, task_reason
from .datasets import load_clothing_reviews, load_poster_listings

MODEL_FORMATS = ("joblib", "skops")
_MAX_REASON_CHARACTERS = 200

#: The files ``mmsk compare --output DIR`` writes in DIR (replacing files of these names).
COMPARE_OUTPUTS = (
    "leaderboard.csv",
    "leaderboard.json",
    "leaderboard.png",
    "best_model.joblib",
    "modality_importance.png",
)

STDOUT = "-"
EXIT_USAGE = 2
EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130


class CommandError(Exception):
    """A problem with the command's input, reported in one line with exit status 2."""


class CommandFailure(Exception):
    """A failure at run time (a write, every candidate), one line with exit status 1."""


class CompareInterrupted(KeyboardInterrupt):
    """Ctrl+C during :func:`compare`.

    Parameters
    ----------
    rows : list of dict
        The leaderboard of the candidates finished before the interruption, best first.
    n_candidates : int
        How many candidates the comparison had.
    """

    def __init__(self, rows, n_candidates):
        super().__init__(f"interrupted after {len(rows)} of {n_candidates} candidates")
        self.rows = rows
        self.n_candidates = n_candidates


def candidate_models(task, *, memory=None, random_state=0):
    """Every candidate ``mmsk compare --fusions`` and ``mmsk fit --fusion`` may name.

    Parameters
    ----------
    task : {"binary", "multiclass", "regression"}
        The learning task.
    memory : str or None, default=None
        Cache shared by the candidates.
    random_state : int, default=0
        Seed of every candidate.

    Returns
    -------
    models : dict
        Candidate name to an unfitted estimator: the ``"best"`` search space of
        :func:`mmsk.compare.search_space`.
    """
    return search_space(task, preset="best", memory=memory, random_state=random_state)


def compare(X, y, task, *, candidates=None, preset="default", stream=None, **options):
    """Run :func:`mmsk.compare.compare_models`, printing a line per candidate.

    Parameters
    ----------
    X : pandas.DataFrame
        The input table.
    y : array-like of shape (n_samples,)
        The target.
    task : {"binary", "multiclass", "regression"}
        The learning task.
    candidates : list of str or None, default=None
        Names among :func:`candidate_models`; None runs ``preset``.
    preset : {"fast", "default", "best"}, default="default"
        The search space when no candidates are named.
    stream : file-like or None, default=None
        Where progress lines go; None means nowhere.
    **options
        ``cv``, ``scoring``, ``time_limit``, ``ensemble``, ``refit``,
        ``random_state`` and ``n_jobs`` of :func:`~mmsk.compare.compare_models`.

    Returns
    -------
    comparison : mmsk.compare.Comparison
        The leaderboard, the refitted best model and the out-of-fold predictions.

    Raises
    ------
    CompareInterrupted
        On Ctrl+C (a :class:`KeyboardInterrupt`), holding the rows finished so far.
    CommandFailure
        When every candidate failed.
    """
    rows, total = [], [0]
    n_folds = options.get("cv", 5)

    def started(name, position, count):
        total[0] = count
        _say(stream, f"[{position}/{count}] {name} ...")

    def finished(row):
        rows.append(row)
        counter = f"[{len(rows)}/{total[0]}]" if row["model"] != ENSEMBLE_NAME else "[+]"
        _say(stream, f"{counter} {row['model']}: {_row_summary(row, n_folds)}")

    try:
        return compare_models(
            X,
            y,
            task=task,
            preset=preset,
            candidates=candidates or None,
            on_start=started,
            on_result=finished,
            **options,
        )
    except KeyboardInterrupt:
        raise CompareInterrupted(rank(rows), total[0]) from None
    except EveryCandidateFailed as error:
        raise CommandFailure(f"every candidate failed; the first: {error.first_error}") from None


def _row_summary(row, n_folds):
    if row.get("members"):
        return f"{row['score_mean']:.4f} ± {row['score_std']:.4f} ({row['members']})"
    score = f"{row['score_mean']:.4f} ± {row['score_std']:.4f}"
    if not row["failed_folds"]:
        return score
    failed = f"failed in {row['failed_folds']} of {n_folds} folds: {row['error']}"
    return failed if row["failed_folds"] == n_folds else f"{score}; {failed}"


def _reason(error):
    text = f"{type(error).__name__}: {' '.join(str(error).split())}"
    if len(text) <= _MAX_REASON_CHARACTERS:
        return text
    return text[: _MAX_REASON_CHARACTERS - 3] + "..."


def _say(stream, text):
    if stream is not None:
        print(text, file=stream, flush=True)


def format_leaderboard(rows, scoring):
    """The leaderboard as an aligned text table; a failure shows on a line of its own."""
    header = f"{'model':<18} {scoring:>18} {'fit s':>8} {'predict s':>10}"
    lines = [header, "-" * len(header)]
    for row in rows:
        failed = row.get("failed_folds", 0)
        if failed and not np.isfinite(row["score_mean"]):
            lines.append(f"{row['model']:<18} {'failed':>18} {'-':>8} {'-':>10}")
        else:
            score = f"{row['score_mean']:.4f} ± {row['score_std']:.4f}"
            lines.append(
                f"{row['model']:<18} {score:>18} {row['fit_time']:>8.2f} "
                f"{row['predict_time']:>10.2f}"
            )
        if failed:
            lines.append(f"    failed in {failed} fold(s): {row['error']}")
    return "\n".join(lines)


def plot_leaderboard(rows, scoring, path):
    """Save a horizontal bar chart of the leaderboard (mean score with its spread).

    Candidates without a score (failed in every fold) are left out.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ordered = [row for row in rows[::-1] if np.isfinite(row["score_mean"])]
    figure, ax = plt.subplots(figsize=(7, 0.45 * len(ordered) + 1.2))
    ax.barh(
        [row["model"] for row in ordered],
        [row["score_mean"] for row in ordered],
        xerr=[row["score_std"] for row in ordered],
        color="#4C72B0",
        capsize=3,
    )
    if ordered:
        low = min(row["score_mean"] - row["score_std"] for row in ordered)
        high = max(row["score_mean"] + row["score_std"] for row in ordered)
        margin = max((high - low) * 0.15, 0.005)
        ax.set_xlim(low - margin, high + margin)
    ax.set_xlabel(f"{scoring} (cross-validated mean ± std)")
    ax.set_title("mmsk compare: fusion leaderboard")
    figure.tight_layout()
    figure.savefig(path, dpi=120, format="png")
    plt.close(figure)


# --- reading inputs ---------------------------------------------------------------------


def read_csv(path):
    """Read a CSV file with at least one row; any problem is a :class:`CommandError`.

    Image paths relative to the file's folder are made absolute, so a CSV and its
    images can be used from any working directory.
    """
    _check_input_file(path)
    try:
        frame = pd.read_csv(path)
    except UnicodeDecodeError:
        byte, line = _first_non_utf8_byte(path)
        raise CommandError(
            f"cannot read {path} as CSV: it is not UTF-8 text (byte 0x{byte:02x} on line "
            f"{line}); save it as UTF-8"
        ) from None
    except pd.errors.EmptyDataError:
        raise CommandError(f"{path} is empty: no header, no rows") from None
    except (OSError, pd.errors.ParserError) as error:
        raise CommandError(f"cannot read {path} as CSV: {_first_line(error)}") from None
    _check_unique_header(path)
    if frame.empty:
        raise CommandError(f"{path} has a header but no rows")
    return anchor_image_paths(frame, Path(path).resolve().parent)


def _first_non_utf8_byte(path, chunk_size=1 << 20):
    """The first byte of a file that is not UTF-8, and its line (pandas's position is
    relative to a buffer)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    newlines = 0
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            pending = decoder.getstate()[0]
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                data = pending + chunk
                return data[error.start], newlines + data.count(b"\n", 0, error.start) + 1
            newlines += chunk.count(b"\n")
    pending = decoder.getstate()[0]  # an unfinished character at the end of the file
    return (pending or b"\0")[0], newlines + 1


def _check_input_file(path):
    if not os.path.exists(path):
        raise CommandError(f"no such file: {path}")
    if os.path.isdir(path):
        raise CommandError(f"{path} is a folder, not a file")
    if os.path.isfile(path) and os.path.getsize(path) == 0:
        raise CommandError(f"{path} is empty: no header, no rows")


def _check_unique_header(path):
    """pandas renames a repeated column ``a`` to ``a.1`` silently: refuse instead."""
    header = pd.read_csv(path, header=None, nrows=1, dtype=str).iloc[0].dropna()
    repeated = sorted(set(header[header.duplicated()]))
    if repeated:
        raise CommandError(
            f"{path} has duplicated column names {repeated}; give every column its own name"
        )


def read_table(path, target):
    """Read a CSV and split off the target column, with one-line errors."""
    frame = read_csv(path)
    if target not in frame.columns:
        raise CommandError(
            f"target column {target!r} is not in {path}; its columns are {list(frame.columns)}"
        )
    y = frame.pop(target)
    if frame.shape[1] == 0:
        raise CommandError(
            f"the target column {target!r} is the only column of {path}: there is nothing "
            "to learn from"
        )
    if y.isna().all():
        raise CommandError(
            f"the target column {target!r} of {path} is empty: its {len(y)} values are all missing"
        )
    if y.isna().any():
        kept = y.notna().to_numpy()
        print(f"note: dropping {int((~kept).sum())} rows whose target is missing", file=sys.stderr)
        frame, y = frame[kept].reset_index(drop=True), y[kept].reset_index(drop=True)
    return frame, y


def _first_line(error):
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


# --- checking and writing outputs ---------------------------------------------------------


def check_output_file(path, option, inputs=()):
    """Refuse, before any work, an output file that cannot be written or is an input.

    Parameters
    ----------
    path : str
        The output file.
    option : str
        The option that named it, for the message (``"-o"``).
    inputs : sequence of str, default=()
        The command's input files: the output may be none of them, by any name
        (symbolic or hard links included).

    Raises
    ------
    CommandError
        When ``path`` is a folder or not a regular file, is one of ``inputs``, or its
        folder does not exist or is not writable.
    """
    target = Path(path)
    if target.is_dir():
        raise CommandError(f"{option} {path} is a folder; give a file name")
    if target.exists() and not target.is_file():
        raise CommandError(f"{option} {path} is not a regular file; give a file name")
    _check_not_an_input(target, option, inputs)
    _check_writable_folder(target.resolve().parent, f"{option} {path}")


def check_output_folder(path, option, inputs=()):
    """Refuse, before any work, an output folder whose files cannot be written.

    The folder may exist: the files of :data:`COMPARE_OUTPUTS` in it are replaced
    (they are what an earlier run wrote), every other file is left alone. It may not
    exist yet when its nearest existing parent is a writable folder.

    Parameters
    ----------
    path : str
        The output folder.
    option : str
        The option that named it, for the message (``"--output"``).
    inputs : sequence of str, default=()
        The command's input files, none of which may be one of the files written.

    Raises
    ------
    CommandError
        When ``path`` is a file, a file it would write is a folder, not a regular file
        or an input, or no folder on its way can be written.
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"{option} {path} is a file, not a folder")
    existing = folder.resolve()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise CommandError(f"{option} {path} cannot be created: {existing} is a file")
    _check_writable_folder(existing, f"{option} {path}")
    for name in COMPARE_OUTPUTS:
        target = folder / name
        if target.exists() and not target.is_file():
            raise CommandError(f"{option} {path}: {target} is not a regular file")
        _check_not_an_input(target, option, inputs)


def _check_not_an_input(target, option, inputs):
    if not target.exists():
        return
    for source in inputs:
        if source is not None and os.path.exists(source) and os.path.samefile(target, source):
            raise CommandError(
                f"{option} {target} is the input {source}; refusing to overwrite it, "
                "give another output name"
            )


def _check_writable_folder(folder, what):
    if not folder.exists():
        raise CommandError(f"{what}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise CommandError(f"{what}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CommandError(f"{what}: the folder {folder} is not writable")


def write_atomically(path, write):
    """Write a file through a temporary file in its folder, renamed over it at the end.

    Parameters
    ----------
    path : str or path-like
        The file to write (a symbolic link is written through, to its target).
    write : callable
        ``write(temporary_path)`` writes the content; the temporary path keeps the
        file's extension.

    Raises
    ------
    CommandFailure
        When the file cannot be written (a full disk, a read-only folder); no partial
        file is left and an existing file at ``path`` is unchanged.
    """
    final = Path(path).resolve()
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(
            dir=final.parent, prefix=f".{final.name}.", suffix=final.suffix
        )
        os.close(handle)
        write(temporary)
        os.chmod(temporary, _new_file_mode(final))
        os.replace(temporary, final)
    except OSError as error:
        _remove(temporary)
        raise CommandFailure(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:
        _remove(temporary)
        raise


def _new_file_mode(path):
    if path.exists():
        return stat.S_IMODE(path.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _remove(path):
    if path is not None and os.path.exists(path):
        os.remove(path)


# --- model files ------------------------------------------------------------------------

# The first bytes of a pickle (protocols 2 to 5) and of joblib's compressed files.
_PICKLE_SIGNATURES = (
    *(bytes([0x80, protocol]) for protocol in range(2, 6)),
    b"\x78\x01",
    b"\x78\x5e",
    b"\x78\x9c",
    b"\x78\xda",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"\x5d\x00\x00",
    b"\x04\x22\x4d\x18",
)


def model_file_format(path):
    """``"skops"``, ``"joblib"`` or None (neither), from a file's content, not its name.

    A skops file is a zip archive with a ``schema.json`` member
    (:func:`mmsk.persistence.is_model_file`); a joblib file is a pickle, compressed or
    not.
    """
    from .persistence import is_model_file

    if is_model_file(path):
        return "skops"
    with open(path, "rb") as handle:
        head = handle.read(8)
    return "joblib" if head.startswith(_PICKLE_SIGNATURES) else None


def skops_installed():
    """Whether the ``persist`` extra (skops) is installed."""
    return find_spec("skops") is not None


_PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")


def _model_format(requested, model, path):
    """The format ``mmsk fit`` saves ``model`` in: ``--format``, else the name's
    extension when it says joblib or pickle, else skops where it can store the model."""
    from .persistence import _check_not_neural

    try:
        _check_not_neural(model)
        storable = True
    except TypeError:
        storable = False
    if requested == "skops" and not storable:
        raise CommandError(
            f"--format skops cannot store {type(model).__name__}: its PyTorch network "
            "would be a pickle inside the file; use --format joblib (see "
            "docs/persistence.md)"
        )
    if requested is not None:
        return requested
    if Path(path).suffix.lower() in _PICKLE_SUFFIXES:
        reason = f"the name {path} says so"
    elif not storable:
        reason = "the skops format cannot store neural models"
    elif not skops_installed():
        reason = 'the skops format needs skops: pip install "mmsk[persist]"'
    else:
        return "skops"
    print(
        f"note: saving in the joblib format ({reason}); loading it runs code from the "
        "file, so load only your own copy (--format skops writes the safe format)",
        file=sys.stderr,
    )
    return "joblib"


def _save_model(model, path, file_format):
    from . import persistence

    if file_format == "skops":
        write_atomically(path, lambda temporary: persistence.dump(model, temporary))
        return persistence.get_untrusted_types(path)
    write_atomically(path, lambda temporary: joblib.dump(model, temporary))
    return []


def load_model(path, trusted=()):
    """Load a model saved by ``mmsk fit``, safely when it is a skops file.

    Parameters
    ----------
    path : str
        The model file, in the skops or the joblib format (told apart by content).
    trusted : sequence of str, default=()
        Type names a skops file may hold beyond those mmsk trusts.

    Returns
    -------
    model : estimator
        The fitted model.

    Raises
    ------
    CommandError
        When the file is missing, empty, in neither format, holds untrusted types or
        cannot be loaded.
    """
    if not os.path.exists(path):
        raise CommandError(f"no such model file: {path}")
    if os.path.isdir(path):
        raise CommandError(f"the model {path} is a folder, not a file written by 'mmsk fit'")
    if os.path.getsize(path) == 0:
        raise CommandError(f"the model file {path} is empty")
    file_format = model_file_format(path)
    if file_format is None:
        raise CommandError(
            f"{path} is not a model file written by 'mmsk fit': neither the skops format "
            "nor a joblib/pickle file"
        )
    if file_format == "skops":
        return _load_skops(path, trusted)
    print(
        f"warning: {path} is a joblib/pickle file: loading it runs code from the file; "
        "use only files you made or trust (mmsk fit --format skops writes a safe one)",
        file=sys.stderr,
    )
    return _load_or_refuse(path, joblib.load)


def _load_skops(path, trusted):
    if not skops_installed():
        raise CommandError(
            f'{path} is in the skops format, which needs skops: pip install "mmsk[persist]"'
        )
    from . import persistence

    listed = _load_or_refuse(path, persistence.get_untrusted_types)
    untrusted = [name for name in listed if name not in trusted]
    if untrusted:
        options = " ".join(f"--trust {name}" for name in untrusted)
        raise CommandError(
            f"{path} holds types mmsk does not trust by default: {', '.join(untrusted)}. "
            f"If you trust where the file comes from, rerun with {options}"
        )
    try:
        return persistence.load(path, trusted=list(trusted))
    except (persistence.ModelFileError, persistence.UntrustedPatternError) as error:
        raise CommandError(f"cannot load a model from {path}: {error}") from None
    except Exception as error:  # what skops raises on a crafted file is not listed
        raise CommandError(
            f"cannot load a model from {path}: {type(error).__name__}: {_first_line(error)}"
        ) from None


def _load_or_refuse(path, loader):
    try:
        return loader(path)
    except Exception as error:  # a damaged or foreign file fails in many ways
        raise CommandError(
            f"cannot load a model from {path}, damaged or not written by 'mmsk fit': "
            f"{type(error).__name__}: {_first_line(error)}"
        ) from None


#: The bundled demo tables ``mmsk compare --demo`` runs on.
DEMOS = {"clothing": load_clothing_reviews, "posters": load_poster_listings}


def _load_data(args):
    if args.data is None:
        demo = args.demo or "clothing"
        X, y = DEMOS[demo](return_X_y=True)
        print(
            f"Bundled demo data ({demo}): {X.shape[0]} rows, {X.shape[1]} columns; "
            f"target {y.name!r}"
        )
        return X, y
    if args.demo is not None:
        raise CommandError("--demo runs on a bundled table; give either DATA or --demo")
    if args.target is None:
        raise CommandError("--target is required when a data file is given")
    X, y = read_table(args.data, args.target)
    print(f"{args.data}: {X.shape[0]} rows, {X.shape[1]} columns; target {args.target!r}")
    return X, y


def _task(args, y):
    task = _inferred_task(y) if args.task == "auto" else args.task
    if task != "regression" and pd.Series(y).nunique() < 2:
        value = pd.Series(y).iloc[0]
        value = value.item() if hasattr(value, "item") else value
        raise CommandError(
            f"the target column {y.name!r} has a single value ({value!r}) in its {len(y)} "
            "rows; a classifier needs at least two classes"
        )
    return task


def _inferred_task(y):
    try:
        return infer_task(y)
    except ValueError as error:
        raise CommandError(f"{error} (--task)") from None


def _scoring(args, task):
    try:
        return check_scoring_name(args.scoring, task)
    except ValueError as error:
        raise CommandError(f"--scoring: {error}") from None


# --- the commands -------------------------------------------------------------------------


def run_compare(args):
    """``mmsk compare``."""
    _check_compare_outputs(args)
    X, y = _load_data(args)
    task = _task(args, y)
    scoring = _scoring(args, task)
    _check_candidate_names(args.fusions, task)
    how = f"{len(args.fusions)} named candidates" if args.fusions else f"preset {args.preset}"
    inferred = ""
    if args.task == "auto":
        inferred = " (inferred: " + task_reason(y, task).replace("task=", "--task ") + ")"
        inferred = inferred.replace("'", "")
    print(f"Task: {task}{inferred}; scoring: {scoring}; {args.cv}-fold cross-validation; {how}\n")
    start = time.perf_counter()
    try:
        comparison = compare(
            X,
            y,
            task,
            candidates=args.fusions,
            preset=args.preset,
            cv=args.cv,
            scoring=scoring,
            time_limit=args.time_limit,
            ensemble=not args.no_ensemble,
            refit=bool(args.output),
            random_state=args.random_state,
            n_jobs=args.n_jobs,
            stream=sys.stdout,
        )
    except CompareInterrupted as interruption:
        _report_interrupted(interruption, scoring, task, args)
        raise
    rows = _records(comparison.leaderboard)
    print()
    print(format_leaderboard(rows, scoring))
    if comparison.skipped:
        print(
            f"\nNot started (--time-limit {args.time_limit:g} s): {', '.join(comparison.skipped)}"
        )
    print(
        "\nCandidates share cached per-modality fits within each fold, so after the first "
        "of a family\nthe fit time shows mostly the combining step."
    )
    refitted = " and refit" if args.output else ""
    print(f"Time: {time.perf_counter() - start:.1f} s (cross-validation, ensemble{refitted})")
    if args.output:
        _write_outputs(Path(args.output), comparison, X, y, args)
        print(f"Total time: {time.perf_counter() - start:.1f} s")
    return 0


def _check_candidate_names(names, task):
    if not names:
        return
    available = candidate_models(task)
    unknown = [name for name in names if name not in available]
    if unknown:
        raise CommandError(
            f"unknown fusion candidates {unknown}; available here: {', '.join(available)}"
        )


def _records(leaderboard):
    """Leaderboard rows as dicts with plain Python values (NaN stays NaN)."""
    return [
        {key: value.item() if hasattr(value, "item") else value for key, value in row.items()}
        for row in leaderboard.to_dict("records")
    ]


def _check_compare_outputs(args):
    if not args.output:
        return
    if args.output == STDOUT:
        raise CommandError("--output names a folder; standard output (-) cannot hold its files")
    if find_spec("matplotlib") is None:
        raise CommandError('--output draws charts and needs matplotlib: pip install "mmsk[plot]"')
    check_output_folder(args.output, "--output", inputs=[args.data])


def _report_interrupted(interruption, scoring, task, args):
    rows = interruption.rows
    print(f"\nInterrupted after {len(rows)} of {interruption.n_candidates} candidates.")
    if not rows:
        return
    print(format_leaderboard(rows, scoring))
    if args.output:
        folder = Path(args.output)
        _write_leaderboard(folder, rows, scoring, task, args)
        print(f"Wrote the partial leaderboard (no best model) to {folder}")


def _write_outputs(folder, comparison, X, y, args):
    rows, scoring, task = _records(comparison.leaderboard), comparison.scoring, comparison.task
    _write_leaderboard(folder, rows, scoring, task, args, skipped=comparison.skipped)
    model = comparison.best_model
    print(f"Refitted the best model ({comparison.best_name}) on all rows.")
    write_atomically(folder / "best_model.joblib", lambda path: joblib.dump(model, path))
    template, measured = _importance_template(comparison)
    print(f"Measuring the modality importance of {measured} on a held-out quarter of the rows ...")
    written = "leaderboard.csv, leaderboard.json, leaderboard.png, best_model.joblib"
    try:
        _plot_importance(template, task, X, y, scoring, folder / "modality_importance.png")
        written += " and modality_importance.png"
    except (ValueError, TypeError) as error:
        print(f"warning: no modality importance: {_reason(error)}", file=sys.stderr)
    print(f"Wrote {written} to {folder}")


def _importance_template(comparison):
    """The unfitted model whose importance is drawn, and its name.

    For the ensemble: its member of largest weight (refitting the whole ensemble on
    three quarters of the rows would cost a second cross-validation).
    """
    if comparison.best_name != ENSEMBLE_NAME:
        return comparison.candidates[comparison.best_name], comparison.best_name
    weights = comparison.best_model.weights_
    member = max(weights, key=weights.get)
    return comparison.candidates[member], f"{member} (the ensemble's largest member)"


def _write_leaderboard(folder, rows, scoring, task, args, skipped=()):
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandFailure(f"cannot create {folder}: {error.strerror or error}") from None
    frame = pd.DataFrame(rows)
    write_atomically(folder / "leaderboard.csv", lambda path: frame.to_csv(path, index=False))
    summary = {
        "task": task,
        "scoring": scoring,
        "cv": args.cv,
        "preset": None if args.fusions else args.preset,
        "random_state": args.random_state,
        "skipped": list(skipped),
        "leaderboard": _json_rows(rows),
    }
    text = json.dumps(summary, indent=2) + "\n"
    write_atomically(folder / "leaderboard.json", lambda path: Path(path).write_text(text))
    write_atomically(
        folder / "leaderboard.png", lambda path: plot_leaderboard(rows, scoring, path)
    )


def _json_rows(rows):
    """The rows with NaN as null: JSON has no NaN."""
    return [
        {
            key: None if isinstance(value, float) and np.isnan(value) else value
            for key, value in row.items()
        }
        for row in rows
    ]


def _plot_importance(template, task, X, y, scoring, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .inspection import ModalityImportanceDisplay

    stratify = y if task != "regression" else None
    X_fit, X_held, y_fit, y_held = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=stratify
    )
    model = clone(template).fit(X_fit, y_fit)
    display = ModalityImportanceDisplay.from_estimator(
        model, X_held, y_held, scoring=scoring, n_repeats=5, random_state=0
    )
    write_atomically(
        path, lambda file: display.figure_.savefig(file, dpi=120, bbox_inches="tight")
    )
    plt.close(display.figure_)


def run_fit(args):
    """``mmsk fit``."""
    _check_fit_output(args)
    X, y = read_table(args.data, args.target)
    task = _task(args, y)
    models = candidate_models(task)
    if args.fusion not in models:
        raise CommandError(
            f"unknown --fusion {args.fusion!r}; available here: {', '.join(models)}"
        )
    model = clone(models[args.fusion])
    file_format = _model_format(args.format, model, args.output)
    start = time.perf_counter()
    model.fit(X, y)
    untrusted = _save_model(model, args.output, file_format)
    print(
        f"Fitted {args.fusion} ({task}) on {len(X)} rows in {time.perf_counter() - start:.1f} s; "
        f"saved to {args.output} ({file_format} format)"
    )
    if untrusted:
        options = " ".join(f"--trust {name}" for name in untrusted)
        print(
            f"note: 'mmsk predict' loads it with {options} (types skops does not trust by "
            "default; see docs/persistence.md)"
        )
    return 0


def _check_fit_output(args):
    if args.output == STDOUT:
        raise CommandError("-o names the model file; a model cannot go to standard output (-)")
    if args.format == "skops" and not skops_installed():
        raise CommandError('--format skops needs skops: pip install "mmsk[persist]"')
    check_output_file(args.output, "-o", inputs=[args.data])


def run_predict(args):
    """``mmsk predict``."""
    if args.output != STDOUT:
        check_output_file(args.output, "-o", inputs=[args.model, args.data])
    model = load_model(args.model, trusted=args.trust or ())
    if not hasattr(model, "predict") or not hasattr(model, "feature_names_in_"):
        raise CommandError(f"{args.model} does not hold an mmsk model fitted on a table")
    X = _read_features(args.data, model)
    predictions = pd.DataFrame({"prediction": model.predict(X)})
    if is_classifier(model) and hasattr(model, "predict_proba"):
        probabilities = model.predict_proba(X)
        for i, label in enumerate(model.classes_):
            predictions[f"proba_{label}"] = probabilities[:, i]
    if args.output == STDOUT:
        predictions.to_csv(sys.stdout, index=False)
        print(f"Wrote {len(predictions)} predictions to standard output", file=sys.stderr)
        return 0
    write_atomically(args.output, lambda path: predictions.to_csv(path, index=False))
    print(f"Wrote {len(predictions)} predictions to {args.output}")
    return 0


def _read_features(path, model):
    """The CSV's columns that the model reads, by name; others (an id, the target) are
    left out."""
    frame = read_csv(path)
    required = _columns_read_by(model)
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise CommandError(
            f"{path} lacks columns the model was fitted on: "
            + ", ".join(f"{column!r} (read by {required[column]})" for column in missing)
        )
    return frame


def _columns_read_by(model):
    if hasattr(model, "_required_columns"):
        return model._required_columns()
    return dict.fromkeys(model.feature_names_in_, "the model")


RETRIEVAL_METHODS = ("cca", "pls", "ridge", "contrastive")
_SHOWN_CHARACTERS = 160


def run_retrieve(args):
    """``mmsk retrieve`` (it writes no file: the matches go to standard output)."""
    table = read_csv(args.data)
    for option, column in (
        ("--query-column", args.query_column),
        ("--target-column", args.target_column),
    ):
        if column not in table.columns:
            raise CommandError(
                f"{option} {column!r} is not in {args.data}; its columns are {list(table.columns)}"
            )
    if args.query_column == args.target_column:
        raise CommandError("--query-column and --target-column must be two different columns")
    shown = [args.target_column, *[c for c in args.show or [] if c != args.target_column]]
    unknown = [column for column in shown if column not in table.columns]
    if unknown:
        raise CommandError(
            f"--show names columns not in {args.data}: {unknown}; its columns are "
            f"{list(table.columns)}"
        )
    queries = _retrieval_queries(args)
    retriever = _fitted_retriever(args, table)
    n_indexed = len(retriever.index_rows_[retriever.target_])
    distances, indices = retriever.kneighbors(queries, n_neighbors=min(args.k, n_indexed))
    for query, row_distances, row_indices in zip(queries[args.query_column], distances, indices):
        print(f"\nquery: {query}")
        for position, (distance, index) in enumerate(zip(row_distances, row_indices), start=1):
            cells = "  ".join(_shorten(table.iloc[index][column]) for column in shown)
            print(f"{position:>3}. row {index:<6} similarity {1 - distance:.3f}  {cells}")
    return 0


def _retrieval_queries(args):
    if bool(args.query) == bool(args.queries):
        raise CommandError("give the queries with --query TEXT (repeatable) or --queries CSV")
    if args.query:
        return pd.DataFrame({args.query_column: args.query})
    frame = read_csv(args.queries)
    if args.query_column not in frame.columns:
        raise CommandError(
            f"the query CSV {args.queries} has no column {args.query_column!r}; its "
            f"columns are {list(frame.columns)}"
        )
    return frame[[args.query_column]]


def _fitted_retriever(args, table):
    from .coordinated import CrossModalRetriever

    start = time.perf_counter()
    retriever = CrossModalRetriever(
        _retrieval_spec(args),
        query="queries",
        target="targets",
        method=args.method,
        n_components=args.n_components,
        random_state=0,
    ).fit(table[[args.query_column, args.target_column]])
    n_indexed = len(retriever.index_rows_[retriever.target_])
    print(
        f"Indexed {n_indexed} rows of {args.data} ({args.method}, "
        f"{retriever.n_components_} components) in {time.perf_counter() - start:.1f} s"
    )
    return retriever


def _retrieval_spec(args):
    """TF-IDF of each column; for ``ridge``, the sentence embeddings both columns share."""
    if args.method != "ridge":
        return [
            ("queries", "auto", [args.query_column]),
            ("targets", "auto", [args.target_column]),
        ]
    if find_spec("sentence_transformers") is None:
        raise CommandError(
            '--method ridge starts from sentence embeddings: pip install "mmsk[text]"'
        )
    from .modality import SentenceEmbedder

    return [
        ("queries", SentenceEmbedder(), [args.query_column]),
        ("targets", SentenceEmbedder(), [args.target_column]),
    ]


def _shorten(value):
    text = " ".join(str(value).split())
    if len(text) <= _SHOWN_CHARACTERS:
        return text
    return text[: _SHOWN_CHARACTERS - 3] + "..."


# --- the parser ---------------------------------------------------------------------------

_EXIT_STATUSES = (
    "Exit status: 0 on success; 2 for a usage or input error (checked before any work, "
    "including every output path: no output may replace an input); 1 for a failure at "
    "run time (a write that fails, every compared candidate failing); 130 on Ctrl+C."
)

_PICKLE_WARNING = (
    "A joblib file is a pickle: loading it runs code from the file, so load only files "
    "you made or whose source you trust."
)


def build_parser():
    """The argument parser of the ``mmsk`` command."""
    parser = argparse.ArgumentParser(
        prog="mmsk",
        description=(
            "Multimodal learning on tables of numbers, categories and free text. "
            "'compare' cross-validates every fusion method the installed extras provide "
            "and prints a leaderboard; 'fit' fits one and saves it; 'predict' applies a "
            "saved model to a CSV; 'retrieve' indexes a CSV's column and finds the rows "
            "that match a query written in another column's terms."
        ),
        epilog=_EXIT_STATUSES,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_compare(commands)
    _add_fit(commands)
    _add_predict(commands)
    _add_retrieve(commands)
    return parser


def _add_task_options(command):
    command.add_argument(
        "--task",
        choices=TASKS,
        default="auto",
        help="learning task; auto infers it from the target (default: auto)",
    )


def _add_compare(commands):
    compare_command = commands.add_parser(
        "compare",
        help="cross-validate fusion methods and print a leaderboard",
        description=(
            "Cross-validate fusion methods crossed with text representations (--preset) on "
            "the same folds, add a greedy ensemble of them built from their out-of-fold "
            "predictions, and with --output refit the best on every row. Without DATA, "
            "runs on a bundled demo: the women's clothing reviews (target 'Recommended "
            "IND'), or with --demo posters the poster listings (images, descriptions and "
            "prices; target 'sold'). Image paths in DATA may be relative to its folder. "
            "A candidate that fails in some or all folds is listed with its error, after "
            "the candidates that succeeded in every fold. Ctrl+C prints (and, with "
            "--output, writes) the leaderboard of the candidates finished so far."
        ),
        epilog=_EXIT_STATUSES,
    )
    compare_command.add_argument("data", nargs="?", metavar="DATA.csv", help="input CSV")
    compare_command.add_argument(
        "--demo",
        choices=sorted(DEMOS),
        help="bundled demo table to run on when no DATA is given (default: clothing)",
    )
    compare_command.add_argument("--target", help="target column (required with DATA)")
    _add_task_options(compare_command)
    compare_command.add_argument(
        "--cv", type=_at_least_two, default=5, metavar="K", help="number of folds (default: 5)"
    )
    compare_command.add_argument(
        "--preset",
        choices=PRESETS,
        default="default",
        help=(
            "search space: fast (early, late-weighted, late-stacking), default (also "
            "Bayesian and MRF fusion, word+character TF-IDF variants, neural-concat on "
            "tables up to 5,000 rows) or best (every candidate, boosted and "
            "sentence-embedding variants) (default: default)"
        ),
    )
    compare_command.add_argument(
        "--fusions",
        nargs="+",
        metavar="NAME",
        help=(
            "candidates to compare instead of a preset, e.g. early late-stacking+char "
            "neural-gated (any name of --preset best)"
        ),
    )
    compare_command.add_argument(
        "--time-limit",
        type=_positive_seconds,
        metavar="SECONDS",
        help=(
            "stop starting candidates once the next one would likely end past this many "
            "seconds (the first always runs); the ones not started are listed"
        ),
    )
    compare_command.add_argument(
        "--no-ensemble",
        action="store_true",
        help="do not add the greedy ensemble of the candidates to the leaderboard",
    )
    compare_command.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        metavar="N",
        help="folds of a candidate cross-validated in parallel processes (default: one)",
    )
    compare_command.add_argument(
        "--random-state",
        type=int,
        default=0,
        metavar="SEED",
        help="seed of the folds and of every candidate (default: 0)",
    )
    compare_command.add_argument(
        "--scoring", help="scikit-learn scorer name (default: roc_auc, accuracy or r2)"
    )
    compare_command.add_argument(
        "--output",
        metavar="DIR",
        help=(
            "folder to write leaderboard.{json,csv,png}, best_model.joblib (a pickle) and "
            "modality_importance.png in, created if needed; files of these names in it "
            "are replaced, other files are left alone"
        ),
    )
    compare_command.set_defaults(handler=run_compare)


def _add_fit(commands):
    fit_command = commands.add_parser(
        "fit",
        help="fit one fusion model and save it",
        description=(
            "Fit one fusion model on DATA and save it to MODEL: in the skops format, "
            "whose loading runs no code from the file, unless --format joblib or a "
            "MODEL name ending in .joblib, .pkl or .pickle asks for joblib, or the "
            "model is neural (skops cannot store it). " + _PICKLE_WARNING
        ),
        epilog=_EXIT_STATUSES,
    )
    fit_command.add_argument("data", metavar="DATA.csv", help="input CSV")
    fit_command.add_argument("--target", required=True, help="target column")
    _add_task_options(fit_command)
    fit_command.add_argument(
        "--fusion",
        default="late-stacking",
        help="candidate name as listed by 'mmsk compare' (default: late-stacking)",
    )
    fit_command.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="MODEL",
        help="model file to write (not an input; replaced if it exists)",
    )
    fit_command.add_argument(
        "--format",
        choices=MODEL_FORMATS,
        default=None,
        help=(
            "file format (default: joblib when MODEL ends in .joblib, .pkl or .pickle; "
            "otherwise skops, safe to load, for every model it can store, and joblib, "
            "with a note, for neural models or without the persist extra). 'mmsk "
            "predict' tells the format from the content, not the name."
        ),
    )
    fit_command.set_defaults(handler=run_fit)


def _add_predict(commands):
    predict_command = commands.add_parser(
        "predict",
        help="predict with a saved model",
        description=(
            "Apply a model saved by 'mmsk fit' to DATA. A skops MODEL loads without "
            "running code from the file; a type it holds that mmsk does not trust by "
            "default (the trees of gradient boosting, for instance) must be named with "
            "--trust. A joblib/pickle MODEL loads with a one-line warning. " + _PICKLE_WARNING
        ),
        epilog=_EXIT_STATUSES,
    )
    predict_command.add_argument("model", metavar="MODEL", help="file written by 'mmsk fit'")
    predict_command.add_argument("data", metavar="DATA.csv", help="input CSV")
    predict_command.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="PREDICTIONS.csv",
        help="output CSV, or - for standard output (not an input; replaced if it exists)",
    )
    predict_command.add_argument(
        "--trust",
        action="append",
        metavar="TYPE",
        help=(
            "full name of a type a skops MODEL may hold beyond those mmsk trusts "
            "(repeat for several); name only types you have reviewed"
        ),
    )
    predict_command.set_defaults(handler=run_predict)


def _add_retrieve(commands):
    retrieve_command = commands.add_parser(
        "retrieve",
        help="index a CSV and find the rows whose target column matches a query",
        description=(
            "Learn a shared space for two columns of DATA from its rows where both are "
            "set (a title and its review, a caption and its description), index the "
            "target column, and print the best matches of each query, written like the "
            "query column."
        ),
        epilog=_EXIT_STATUSES,
    )
    retrieve_command.add_argument("data", metavar="DATA.csv", help="input CSV")
    retrieve_command.add_argument(
        "--query-column", required=True, metavar="COLUMN", help="column the queries are like"
    )
    retrieve_command.add_argument(
        "--target-column", required=True, metavar="COLUMN", help="column searched"
    )
    retrieve_command.add_argument(
        "--query", action="append", metavar="TEXT", help="a query (repeat for several)"
    )
    retrieve_command.add_argument(
        "--queries", metavar="QUERIES.csv", help="CSV of queries, in the query column"
    )
    retrieve_command.add_argument(
        "--method",
        choices=RETRIEVAL_METHODS,
        default="cca",
        help=(
            "shared space (default: cca, on each column's TF-IDF); ridge starts from "
            "the columns' sentence embeddings and needs the text extra"
        ),
    )
    retrieve_command.add_argument(
        "--n-components",
        type=_positive,
        default=32,
        metavar="N",
        help="dimensions of the shared space (default: 32)",
    )
    retrieve_command.add_argument(
        "-k", type=_positive, default=5, metavar="K", help="matches per query (default: 5)"
    )
    retrieve_command.add_argument(
        "--show", nargs="+", metavar="COLUMN", help="other columns to print with each match"
    )
    retrieve_command.set_defaults(handler=run_retrieve)


def _positive_seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _at_least_two(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2, got {value}")
    return value


# --- the entry point ----------------------------------------------------------------------


@contextmanager
def _one_line_warnings(prefix):
    """Show each warning as one line on standard error, without its source line."""

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"{prefix}: warning: {_first_line(message)}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def main(argv=None):
    """Run the ``mmsk`` command; returns the exit status.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments; None means ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 2 for a usage or input error, 1 for a failure at run time, 130
        when interrupted (Ctrl+C). Every error is one line on standard error.
    """
    parser = build_parser()
    prefix = "mmsk"
    try:
        args = parser.parse_args(argv)
        prefix = f"mmsk {args.command}"
        with _one_line_warnings(prefix):
            return args.handler(args)
    except KeyboardInterrupt:
        return _fail(prefix, "interrupted", EXIT_INTERRUPTED, label=None)
    except CommandError as error:
        return _fail(prefix, error, EXIT_USAGE)
    except CommandFailure as error:
        return _fail(prefix, error, EXIT_FAILURE)
    except (ValueError, TypeError, ImportError) as error:
        return _fail(prefix, error, EXIT_USAGE)
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_FAILURE
    except MemoryError:
        return _fail(prefix, "out of memory", EXIT_FAILURE)
    except Exception as error:  # the last resort: one line, never a traceback
        return _fail(prefix, _reason(error), EXIT_FAILURE)


def _fail(prefix, message, status, label="error"):
    text = " ".join(str(message).split())
    print(f"{prefix}: {label}: {text}" if label else f"{prefix}: {text}", file=sys.stderr)
    return status


def _silence_stdout():
    """After a closed pipe (``mmsk predict ... -o - | head``), stop writing to it."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
