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
import bz2
import codecs
import csv
import difflib
import gzip
import io
import json
import lzma
import os
import stat
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import NamedTuple

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.model_selection import train_test_split

from . import __version__
from ._base import default_modalities
from ._image_io import anchor_image_paths
from ._kinds import detect_column_kinds
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
    "modality_importance.csv",
    "modality_importance.json",
)

#: When ``mmsk compare`` draws its progress bar (``--progress``).
PROGRESS_CHOICES = ("auto", "on", "off")

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


def compare(
    X,
    y,
    task,
    *,
    candidates=None,
    preset="default",
    stream=None,
    progress=False,
    fold_lines=False,
    on_rows=None,
    **options,
):
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
    progress : bool, default=False
        Draw a progress bar over candidates and folds on standard error, with the
        time elapsed and an estimate of the time left.
    fold_lines : bool, default=False
        Also write a line to ``stream`` as each fold finishes.
    on_rows : callable or None, default=None
        Called with the leaderboard rows finished so far (ranked, best first) each
        time a candidate finishes, to save them as they come.
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
    report = _Progress(
        stream, n_folds=options.get("cv", 5), bar=progress, fold_lines=fold_lines, on_rows=on_rows
    )
    try:
        return compare_models(
            X,
            y,
            task=task,
            preset=preset,
            candidates=candidates or None,
            on_start=report.started,
            on_result=report.finished,
            on_fold=report.fold_done,
            **options,
        )
    except KeyboardInterrupt:
        raise CompareInterrupted(rank(report.rows), report.n_candidates) from None
    except EveryCandidateFailed as error:
        raise CommandFailure(f"every candidate failed; the first: {error.first_error}") from None
    finally:
        report.close()


class _Progress:
    """The hooks of :func:`compare_models`: a line per candidate, a bar over the folds.

    The bar counts folds over every candidate (``n_candidates * n_folds``), so tqdm's
    estimate of the time left is the mean time of a fold so far times the folds to go.
    """

    _BAR_FORMAT = (
        "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} folds "
        "[{elapsed} elapsed, about {remaining} left{postfix}]"
    )

    def __init__(self, stream, *, n_folds, bar=False, fold_lines=False, on_rows=None):
        self.stream = stream
        self.n_folds = n_folds
        self.want_bar = bar
        self.fold_lines = fold_lines
        self.on_rows = on_rows
        self.rows = []
        self.n_candidates = 0
        self.bar = None

    def started(self, name, position, count):
        self.n_candidates = count
        description = f"[{position}/{count}] {name}"
        if self.want_bar and self.bar is None:
            self.bar = _progress_bar(count * self.n_folds, description)
        elif self.bar is not None:
            self.bar.set_description_str(description)
        self.say(f"[{position}/{count}] {name} ...")

    def fold_done(self, name, done, n_folds):
        if self.bar is not None:
            self.bar.update(1)
        if self.fold_lines:
            self.say(f"    {name}: fold {done} of {n_folds} done")

    def finished(self, row):
        self.rows.append(row)
        is_ensemble = row["model"] == ENSEMBLE_NAME
        counter = "[+]" if is_ensemble else f"[{len(self.rows)}/{self.n_candidates}]"
        self.say(f"{counter} {row['model']}: {_row_summary(row, self.n_folds)}")
        if self.bar is not None:
            self.bar.set_postfix_str(_best_so_far(self.rows), refresh=True)
        if self.on_rows is not None:
            self.on_rows(rank(self.rows))

    def say(self, text):
        if self.stream is None:
            return
        if self.bar is None:
            _say(self.stream, text)
            return
        from tqdm import tqdm

        tqdm.write(text, file=self.stream)
        self.stream.flush()

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _progress_bar(total, description):
    """A tqdm bar on standard error, or None (with a note) when tqdm is missing."""
    try:
        from tqdm import tqdm
    except ImportError:
        print("note: no progress bar: tqdm is not installed (pip install tqdm)", file=sys.stderr)
        return None
    return tqdm(
        total=total,
        desc=description,
        file=sys.stderr,
        bar_format=_Progress._BAR_FORMAT,
        leave=False,
        dynamic_ncols=True,
    )


def _best_so_far(rows):
    scored = [row for row in rank(rows) if np.isfinite(row["score_mean"])]
    if not scored:
        return "no score yet"
    return f"best {scored[0]['model']} {scored[0]['score_mean']:.4f}"


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


#: The leaderboard column the lead engineer adds: one fold's fit without the shared cache.
ALONE_COLUMN = "fit_time_alone"


def format_leaderboard(rows, scoring):
    """The leaderboard as an aligned text table; a failure shows on a line of its own.

    When the rows have a ``fit_time_alone`` entry (the seconds one fold's fit takes
    without the cache the candidates share), it is shown as ``alone s`` beside
    ``fit s``.
    """
    alone = any(ALONE_COLUMN in row for row in rows)
    header = f"{'model':<18} {scoring:>18} {'fit s':>8}"
    header += f" {'alone s':>8}" if alone else ""
    header += f" {'predict s':>10}"
    lines = [header, "-" * len(header)]
    for row in rows:
        failed = row.get("failed_folds", 0)
        if failed and not np.isfinite(row["score_mean"]):
            times = f"{'-':>8}" + (f" {'-':>8}" if alone else "") + f" {'-':>10}"
            lines.append(f"{row['model']:<18} {'failed':>18} {times}")
        else:
            score = f"{row['score_mean']:.4f} ± {row['score_std']:.4f}"
            times = _seconds(row.get("fit_time"), 8)
            times += f" {_seconds(row.get(ALONE_COLUMN), 8)}" if alone else ""
            times += f" {_seconds(row.get('predict_time'), 10)}"
            lines.append(f"{row['model']:<18} {score:>18} {times}")
        if failed:
            lines.append(f"    failed in {failed} fold(s): {row['error']}")
    return "\n".join(lines)


def _seconds(value, width):
    return f"{value:>{width}.2f}" if _finite(value) else f"{'-':>{width}}"


def _finite(value):
    return value is not None and bool(np.isfinite(value))


def _fit_time_note(rows):
    if any(_finite(row.get(ALONE_COLUMN)) for row in rows):
        return (
            "fit s: mean seconds per fold, with the per-modality fits cached and shared "
            "between candidates;\nalone s: what one fold's fit takes without that cache."
        )
    return (
        "Candidates share cached per-modality fits within each fold, so after the first "
        "of a family\nthe fit time shows mostly the combining step."
    )


def plot_leaderboard(rows, scoring, path, *, title=None):
    """Save a horizontal bar chart of the leaderboard (mean score with its spread).

    Drawn by :class:`mmsk.compare.LeaderboardDisplay`: the best on top, values on the
    bars, candidates without a score (failed in every fold) named in a note.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .compare import LeaderboardDisplay

    display = LeaderboardDisplay(pd.DataFrame(rows), scoring=scoring, title=title).plot()
    try:
        display.figure_.savefig(path, dpi=120, format="png")
    finally:
        plt.close(display.figure_)


# --- reading inputs ---------------------------------------------------------------------

#: Compression told by a file name's last suffix (``.csv.gz``, ``.tsv.bz2``).
_COMPRESSIONS = {".gz": ("gzip", gzip.open), ".bz2": ("bz2", bz2.open), ".xz": ("xz", lzma.open)}
_PARQUET_SUFFIXES = (".parquet", ".pq")
_SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
#: The delimiter each suffix implies; other names are delimited text with a comma preferred.
_SUFFIX_DELIMITERS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
_DELIMITERS = (",", "\t", ";", "|")
_SAMPLE_CHARACTERS = 1 << 16
_SAMPLE_RECORDS = 200
DEFAULT_ENCODING = "utf-8"


class TableFile(NamedTuple):
    """How a table file is read, from its name and, for the delimiter, its first lines.

    Attributes
    ----------
    path : str
        The file.
    kind : {"delimited", "parquet"}
        Delimited text (CSV, TSV, ...) or Parquet.
    compression : str or None
        ``"gzip"``, ``"bz2"``, ``"xz"`` or None, from the name's last suffix.
    delimiter : str or None
        The field delimiter of delimited text: ``--sep``, or the one detected.
    encoding : str
        The text encoding of delimited text.
    detected : bool
        Whether the delimiter was detected rather than given.
    """

    path: str
    kind: str
    compression: str | None
    delimiter: str | None
    encoding: str
    detected: bool

    @property
    def label(self):
        """What the file is read as, for messages: ``"CSV"``, ``"TSV"``, ``"Parquet"``."""
        if self.kind == "parquet":
            return "Parquet"
        return {",": "CSV", "\t": "TSV"}.get(self.delimiter, "delimited text")


def table_file(path, *, sep=None, encoding=None):
    """Tell how to read ``path``: Parquet or delimited text, its compression and delimiter.

    Parameters
    ----------
    path : str
        An existing file.
    sep : str or None, default=None
        The delimiter (``--sep``); None detects it.
    encoding : str or None, default=None
        The text encoding (``--encoding``); None means UTF-8.

    Returns
    -------
    source : TableFile

    Raises
    ------
    CommandError
        For a spreadsheet, which mmsk does not read.
    """
    suffixes = [suffix.lower() for suffix in Path(path).suffixes]
    compression, opener = _COMPRESSIONS.get(suffixes[-1] if suffixes else "", (None, None))
    if compression is not None:
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in _SPREADSHEET_SUFFIXES:
        raise CommandError(
            f"{path} is a spreadsheet; mmsk reads delimited text (.csv, .tsv, also "
            "gzipped) and Parquet: save the sheet as CSV"
        )
    encoding = encoding or DEFAULT_ENCODING
    if last in _PARQUET_SUFFIXES and compression is None:
        return TableFile(path, "parquet", None, None, encoding, False)
    if sep is not None:
        return TableFile(path, "delimited", compression, sep, encoding, False)
    preferred = _SUFFIX_DELIMITERS.get(last, ",")
    sample = _text_sample(path, opener or open, encoding)
    delimiter = detect_delimiter(sample, preferred=preferred)
    return TableFile(path, "delimited", compression, delimiter, encoding, True)


def _text_sample(path, opener, encoding):
    """The first characters of a text file, undecodable bytes replaced (reading the
    whole file reports them)."""
    try:
        with opener(path, "rt", encoding=encoding, errors="replace", newline="") as handle:
            return handle.read(_SAMPLE_CHARACTERS)
    except (OSError, EOFError, lzma.LZMAError) as error:
        raise CommandError(f"cannot read {path}: {_first_line(error)}") from None


def detect_delimiter(sample, *, preferred=","):
    """The delimiter that splits the header and the first records alike.

    Parameters
    ----------
    sample : str
        The first characters of the file.
    preferred : str, default=","
        The delimiter the file's name implies, chosen when it qualifies, and returned
        when no delimiter does (a table of one column).

    Returns
    -------
    delimiter : str
        Among ``preferred``, comma, tab, semicolon and vertical bar, the first that
        splits every record of the sample (quotes respected) into the same number of
        fields, more than one.
    """
    for delimiter in dict.fromkeys((preferred, *_DELIMITERS)):
        if _splits_alike(sample, delimiter):
            return delimiter
    return preferred


def _splits_alike(sample, delimiter):
    complete = len(sample) < _SAMPLE_CHARACTERS
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    try:
        records = [record for _, record in zip(range(_SAMPLE_RECORDS + 1), reader) if record]
    except csv.Error:
        return False
    if not complete and len(records) > 1:
        records = records[:-1]  # the sample may end inside the last record
    widths = {len(record) for record in records[:_SAMPLE_RECORDS]}
    return len(widths) == 1 and widths.pop() > 1


def read_data(path, *, sep=None, encoding=None):
    """Read a table file with at least one row; any problem is a :class:`CommandError`.

    Delimited text (``.csv``, ``.tsv``, any other name, optionally compressed as
    ``.gz``, ``.bz2`` or ``.xz``) is read with the delimiter given or detected, in
    the encoding given (UTF-8 by default); ``.parquet`` needs pyarrow. Image paths
    relative to the file's folder are made absolute, so a table and its images can be
    used from any working directory.

    Parameters
    ----------
    path : str
        The file.
    sep : str or None, default=None
        The delimiter of delimited text; None detects it (see :func:`detect_delimiter`).
    encoding : str or None, default=None
        The encoding of delimited text; None means UTF-8.

    Returns
    -------
    frame : pandas.DataFrame
    """
    _check_input_file(path)
    source = table_file(path, sep=sep, encoding=encoding)
    if source.kind == "parquet":
        frame = _read_parquet(source)
    else:
        frame = _read_delimited(source)
    if frame.empty:
        what = "columns" if source.kind == "parquet" else "a header"
        raise CommandError(f"{path} has {what} but no rows")
    return anchor_image_paths(frame, Path(path).resolve().parent)


def _read_delimited(source):
    path = source.path
    options = {
        "sep": source.delimiter,
        "encoding": source.encoding,
        "compression": source.compression,
    }
    try:
        frame = pd.read_csv(path, **options)
    except UnicodeDecodeError:
        raise CommandError(_undecodable_message(source)) from None
    except pd.errors.EmptyDataError:
        raise CommandError(f"{path} is empty: no header, no rows") from None
    except (OSError, EOFError, lzma.LZMAError, pd.errors.ParserError) as error:
        raise CommandError(f"cannot read {path} as {source.label}: {_first_line(error)}") from None
    _check_unique_header(path, options)
    return frame


def _undecodable_message(source):
    byte, line = _first_undecodable_byte(source)
    where = f"byte 0x{byte:02x} on line {line}"
    prefix = f"cannot read {source.path} as {source.label}"
    if codecs.lookup(source.encoding).name == "utf-8":
        return (
            f"{prefix}: it is not UTF-8 text ({where}); save it as UTF-8 or give its "
            "encoding with --encoding (such as --encoding latin-1)"
        )
    return (
        f"{prefix}: {where} is not {source.encoding} text (the --encoding given); give "
        "the file's own encoding with --encoding"
    )


def _first_undecodable_byte(source, chunk_size=1 << 20):
    """The first byte of a file that its encoding cannot decode, and its line (pandas's
    position is relative to a buffer)."""
    decoder = codecs.getincrementaldecoder(source.encoding)()
    opener = dict(_COMPRESSIONS.values()).get(source.compression, open)
    newlines = 0
    with opener(source.path, "rb") as handle:
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


def _read_parquet(source):
    path = source.path
    if find_spec("pyarrow") is None and find_spec("fastparquet") is None:
        raise CommandError(f"reading the Parquet file {path} needs pyarrow: pip install pyarrow")
    try:
        frame = pd.read_parquet(path)
    except Exception as error:  # pyarrow's errors on a damaged file are not one type
        raise CommandError(f"cannot read {path} as Parquet: {_first_line(error)}") from None
    repeated = sorted(set(frame.columns[frame.columns.duplicated()]))
    if repeated:
        raise CommandError(
            f"{path} has duplicated column names {repeated}; give every column its own name"
        )
    return frame


def _check_input_file(path):
    if not os.path.exists(path):
        raise CommandError(f"no such file: {path}")
    if os.path.isdir(path):
        raise CommandError(f"{path} is a folder, not a file")
    if os.path.isfile(path) and os.path.getsize(path) == 0:
        raise CommandError(f"{path} is empty: no header, no rows")


def _check_unique_header(path, options):
    """pandas renames a repeated column ``a`` to ``a.1`` silently: refuse instead."""
    header = pd.read_csv(path, header=None, nrows=1, dtype=str, **options).iloc[0].dropna()
    repeated = sorted(set(header[header.duplicated()]))
    if repeated:
        raise CommandError(
            f"{path} has duplicated column names {repeated}; give every column its own name"
        )


def exclude_columns(frame, source, *, drop=(), id_column=None, target=None):
    """The table without the ``--drop`` columns and the ``--id-column``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as read.
    source : str
        The table's name, for messages.
    drop : sequence of str, default=()
        Columns to leave out.
    id_column : str or None, default=None
        A row identifier, left out of the features.
    target : str or None, default=None
        The target column, which neither option may name.

    Returns
    -------
    frame : pandas.DataFrame

    Raises
    ------
    CommandError
        When a name is not a column (the message lists close names) or is the target.
    """
    drop = list(dict.fromkeys(drop or ()))
    unknown = [name for name in drop if name not in frame.columns]
    if unknown:
        files = [name for name in unknown if os.path.isfile(name)]
        hint = (
            f" ({files[0]} is a file: give --drop after DATA, or end its list with --)"
            if files
            else ""
        )
        raise CommandError(
            f"--drop: {source} has no column {_quoted(unknown)}"
            f"{_close_names(unknown, frame)}{hint}"
        )
    if id_column is not None:
        _check_id_column(frame, id_column, source)
    for option, names in (("--drop", drop), ("--id-column", [id_column])):
        if target is not None and target in names:
            raise CommandError(
                f"{option} names the target column {target!r}; the target is never a feature"
            )
    excluded = [*drop, *([id_column] if id_column not in (None, *drop) else [])]
    return frame.drop(columns=excluded)


def _check_id_column(frame, id_column, source):
    if id_column not in frame.columns:
        close = _close_names([id_column], frame)
        raise CommandError(f"--id-column {id_column!r} is not a column of {source}{close}")


def _quoted(names):
    return ", ".join(repr(name) for name in names)


_LISTED_COLUMNS = 20


def _close_names(names, frame):
    """``"; close names: 'a', 'b'"``, or the table's columns when none is close."""
    columns = [str(column) for column in frame.columns]
    close = []
    for name in names:
        close += difflib.get_close_matches(str(name), columns, n=3, cutoff=0.6)
    if close:
        return f"; close names: {_quoted(dict.fromkeys(close))}"
    shown = columns[:_LISTED_COLUMNS]
    more = f" ... ({len(columns)} in all)" if len(columns) > _LISTED_COLUMNS else ""
    return f"; its columns are {_quoted(shown)}{more}"


def read_table(path, target, *, sep=None, encoding=None, drop=(), id_column=None):
    """Read a table, leave out ``drop`` and ``id_column``, split off the target column.

    Parameters
    ----------
    path : str
        The file; see :func:`read_data`.
    target : str
        The target column.
    sep, encoding : str or None, default=None
        See :func:`read_data`.
    drop : sequence of str, default=()
        Columns left out before anything else (``--drop``).
    id_column : str or None, default=None
        A row identifier, left out of the features (``--id-column``).

    Returns
    -------
    X : pandas.DataFrame
        The features.
    y : pandas.Series
        The target, without the rows where it is missing (a note says how many).
    """
    frame = read_data(path, sep=sep, encoding=encoding)
    frame = exclude_columns(frame, path, drop=drop, id_column=id_column, target=target)
    return split_target(frame, target, path, excluded=bool(drop) or id_column is not None)


def split_target(frame, target, source, *, excluded=False):
    """The features and the target column of a table, with one-line errors.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table, target included.
    target : str
        The target column.
    source : str
        The table's name, for messages.
    excluded : bool, default=False
        Whether columns were left out (the messages say so).

    Returns
    -------
    X : pandas.DataFrame
    y : pandas.Series
    """
    if target not in frame.columns:
        raise CommandError(
            f"target column {target!r} is not in {source}; its columns are {list(frame.columns)}"
        )
    frame = frame.copy()
    y = frame.pop(target)
    if frame.shape[1] == 0:
        left = " left after --drop and --id-column" if excluded else ""
        raise CommandError(
            f"the target column {target!r} is the only column of {source}{left}: there is "
            "nothing to learn from"
        )
    if y.isna().all():
        raise CommandError(
            f"the target column {target!r} of {source} is empty: its {len(y)} values are all "
            "missing"
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


def _load_data(args, say):
    """The features, the target and the data set's name (for titles) of ``compare``."""
    if args.data is None:
        demo = args.demo or "clothing"
        X, y = DEMOS[demo](return_X_y=True)
        X = exclude_columns(
            X, f"the {demo} demo", drop=args.drop, id_column=args.id_column, target=y.name
        )
        say(
            f"Bundled demo data ({demo}): {X.shape[0]} rows, {X.shape[1]} columns; "
            f"target {y.name!r}"
        )
        return X, y, f"{demo} demo"
    if args.demo is not None:
        raise CommandError("--demo runs on a bundled table; give either DATA or --demo")
    if args.target is None:
        raise CommandError("--target is required when a data file is given")
    X, y = read_table(
        args.data,
        args.target,
        sep=args.sep,
        encoding=args.encoding,
        drop=args.drop,
        id_column=args.id_column,
    )
    say(f"{args.data}: {X.shape[0]} rows, {X.shape[1]} columns; target {args.target!r}")
    return X, y, Path(args.data).name


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


def _printer(quiet):
    """``print``, or a function that prints nothing (``--quiet``)."""
    if quiet:
        return lambda *args, **kwargs: None
    return print


class Study(NamedTuple):
    """What a ``compare`` run is about, for the titles of its charts and its JSON files.

    Attributes
    ----------
    data : str
        The data set: the file's name, or ``"clothing demo"``.
    target : str
        The target column.
    task : str
        The learning task.
    scoring : str
        The metric.
    """

    data: str
    target: str
    task: str
    scoring: str

    @property
    def title(self):
        """``"reviews.csv · target 'Recommended IND' · roc_auc"``."""
        return f"{self.data} · target {self.target!r} · {self.scoring}"


# --- the commands -------------------------------------------------------------------------


def run_compare(args):
    """``mmsk compare``."""
    _check_compare_outputs(args)
    say = _printer(args.quiet)
    X, y, data_name = _load_data(args, say)
    task = _task(args, y)
    scoring = _scoring(args, task)
    _check_candidate_names(args.fusions, task)
    study = Study(data_name, str(y.name), task, scoring)
    if args.verbose:
        say("\n".join(_verbose_account(args, X, y, study)))
    say(_plan(args, y, study) + "\n")
    folder = Path(args.output) if args.output else None
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
            stream=None if args.quiet else sys.stdout,
            progress=_shows_progress(args),
            fold_lines=args.verbose,
            on_rows=_partial_writer(folder, study, args),
        )
    except CompareInterrupted as interruption:
        _report_interrupted(interruption, study, args)
        raise
    rows = _records(comparison.leaderboard)
    say()
    print(format_leaderboard(rows, scoring))
    if comparison.skipped:
        say(f"\nNot started (--time-limit {args.time_limit:g} s): {', '.join(comparison.skipped)}")
    say("\n" + _fit_time_note(rows))
    refitted = " and refit" if args.output else ""
    say(f"Time: {time.perf_counter() - start:.1f} s (cross-validation, ensemble{refitted})")
    if folder is not None:
        _write_outputs(folder, comparison, X, y, study, args, say)
        say(f"Total time: {time.perf_counter() - start:.1f} s")
    return 0


def _plan(args, y, study):
    """The line that says what ``compare`` is about to run."""
    if args.fusions:
        how = f"{len(args.fusions)} named candidate{'s' if len(args.fusions) > 1 else ''}"
    else:
        how = f"preset {args.preset}"
    inferred = f" (inferred: {_task_reason(y, study.task)})" if args.task == "auto" else ""
    return (
        f"Task: {study.task}{inferred}; scoring: {study.scoring}; {args.cv}-fold "
        f"cross-validation; {how}"
    )


def _task_reason(y, task):
    """Why the task was inferred, with the option that overrides it (``--task``)."""
    return task_reason(y, task).replace("task=", "--task ").replace("'", "")


def _verbose_account(args, X, y, study):
    """``--verbose``: how the table was read, its modalities, the task, the candidates."""
    lines = []
    if args.data is not None:
        lines.append(_reading_account(args.data, args))
    lines += _excluded_account(args)
    lines += _modality_account(X)
    lines += _task_account(args, y, study)
    names = args.fusions or list(search_space(study.task, preset=args.preset, n_rows=len(X)))
    lines.append(f"Candidates ({len(names)}): {', '.join(names)}")
    return lines


def _reading_account(path, args):
    source = table_file(path, sep=args.sep, encoding=args.encoding)
    if source.kind == "parquet":
        return f"Read {path} as Parquet"
    delimiter = _DELIMITER_NAMES.get(source.delimiter, repr(source.delimiter))
    how = "detected" if source.detected else "--sep"
    compressed = f", {source.compression}-compressed" if source.compression else ""
    return (
        f"Read {path} as {source.label}{compressed}: delimiter {delimiter} ({how}), "
        f"encoding {source.encoding}"
    )


_DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "vertical bar"}


def _excluded_account(args):
    parts = []
    if args.drop:
        parts.append(f"{', '.join(args.drop)} (--drop)")
    if args.id_column is not None:
        parts.append(f"{args.id_column} (--id-column)")
    return [f"Left out of the features: {'; '.join(parts)}"] if parts else []


def _modality_account(X):
    """Which column goes to which modality, by its detected kind, as every candidate
    groups them (``modalities="auto"``)."""
    kinds = detect_column_kinds(X)
    lines = ["Columns by modality (detected kinds):"]
    used = set()
    for name, _, selector in default_modalities():
        columns = selector(X, kinds)
        used.update(columns)
        listed = ", ".join(f"{column} ({kinds[column]})" for column in columns)
        lines.append(f"  {name}: {listed or 'no column'}")
    unused = [f"{column} ({kind})" for column, kind in kinds.items() if column not in used]
    if unused:
        lines.append(f"  in no modality: {', '.join(unused)}")
    return lines


def _task_account(args, y, study):
    if args.task == "auto":
        reason = _task_reason(y, study.task)
        task = f"Task {study.task}, inferred from the target {study.target!r}: {reason}"
    else:
        task = f"Task {study.task}, as --task says"
    if args.scoring is None:
        scoring = f"Scoring {study.scoring}, the default for {study.task} (--scoring changes it)"
    else:
        scoring = f"Scoring {study.scoring}, as --scoring says"
    return [task, scoring]


def _shows_progress(args):
    """``--progress``: on, off, or (auto) when standard error is a terminal and not
    ``--quiet``."""
    if args.progress != "auto":
        return args.progress == "on"
    return not args.quiet and _is_terminal(sys.stderr)


def _is_terminal(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _partial_writer(folder, study, args):
    """The ``on_rows`` hook that rewrites the leaderboard files as each candidate ends."""
    if folder is None:
        return None

    def write(rows):
        _write_leaderboard(folder, rows, study, args, status="running")

    return write


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


def _report_interrupted(interruption, study, args):
    rows = interruption.rows
    say = _printer(args.quiet)
    say(f"\nInterrupted after {len(rows)} of {interruption.n_candidates} candidates.")
    if not rows:
        return
    print(format_leaderboard(rows, study.scoring))
    if args.output:
        folder = Path(args.output)
        _write_leaderboard(folder, rows, study, args, status="interrupted", chart=True)
        say(f"Wrote the partial leaderboard (no best model) to {folder}")


def _write_outputs(folder, comparison, X, y, study, args, say):
    rows = _records(comparison.leaderboard)
    _write_leaderboard(
        folder, rows, study, args, status="complete", skipped=comparison.skipped, chart=True
    )
    model = comparison.best_model
    say(f"Refitted the best model ({comparison.best_name}) on all rows.")
    write_atomically(folder / "best_model.joblib", lambda path: joblib.dump(model, path))
    template, measured, note = _importance_template(comparison)
    shown = f"{measured} ({note})" if note else measured
    say(f"Measuring the modality importance of {shown} on a held-out quarter of the rows ...")
    written = "leaderboard.csv, leaderboard.json, leaderboard.png, best_model.joblib"
    try:
        _write_importance(folder, template, measured, note, X, y, study)
        written += " and modality_importance.png, .csv, .json"
    except (ValueError, TypeError) as error:
        print(f"warning: no modality importance: {_reason(error)}", file=sys.stderr)
    say(f"Wrote {written} to {folder}")


def _importance_template(comparison):
    """The unfitted model whose importance is measured, its name, and a note or None.

    For the ensemble: its member of largest weight (refitting the whole ensemble on
    three quarters of the rows would cost a second cross-validation).
    """
    if comparison.best_name != ENSEMBLE_NAME:
        return comparison.candidates[comparison.best_name], comparison.best_name, None
    weights = comparison.best_model.weights_
    member = max(weights, key=weights.get)
    return comparison.candidates[member], member, "the ensemble's largest member"


def _write_leaderboard(folder, rows, study, args, *, status, skipped=(), chart=False):
    """Write ``leaderboard.csv`` and ``.json`` (and with ``chart``, ``.png``) in ``folder``.

    ``status`` is ``"running"`` (rewritten as each candidate finishes),
    ``"interrupted"`` or ``"complete"``.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandFailure(f"cannot create {folder}: {error.strerror or error}") from None
    frame = pd.DataFrame(rows)
    write_atomically(folder / "leaderboard.csv", lambda path: frame.to_csv(path, index=False))
    summary = {
        "status": status,
        "data": study.data,
        "target": study.target,
        "task": study.task,
        "scoring": study.scoring,
        "cv": args.cv,
        "preset": None if args.fusions else args.preset,
        "random_state": args.random_state,
        "dropped": list(args.drop),
        "id_column": args.id_column,
        "skipped": list(skipped),
        "leaderboard": _json_rows(rows),
    }
    _write_json(folder / "leaderboard.json", summary)
    if chart:
        write_atomically(
            folder / "leaderboard.png",
            lambda path: plot_leaderboard(rows, study.scoring, path, title=study.title),
        )


def _write_json(path, content):
    text = json.dumps(content, indent=2) + "\n"
    write_atomically(path, lambda temporary: Path(temporary).write_text(text))


def _json_rows(rows):
    """The rows with NaN as null: JSON has no NaN."""
    return [{key: _json_value(value) for key, value in row.items()} for row in rows]


def _json_value(value):
    if hasattr(value, "item"):
        value = value.item()
    return None if isinstance(value, float) and not np.isfinite(value) else value


_IMPORTANCE_REPEATS = 5


def _write_importance(folder, template, name, note, X, y, study):
    """Measure the modality importance of ``template`` on a held-out quarter of the rows;
    write it as ``modality_importance.png``, ``.csv`` and ``.json``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .inspection import ModalityImportanceDisplay

    stratify = y if study.task != "regression" else None
    X_fit, X_held, y_fit, y_held = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=stratify
    )
    model = clone(template).fit(X_fit, y_fit)
    display = ModalityImportanceDisplay.from_estimator(
        model,
        X_held,
        y_held,
        scoring=study.scoring,
        n_repeats=_IMPORTANCE_REPEATS,
        random_state=0,
    )
    try:
        _label_importance_chart(display, name, note, study)
        write_atomically(
            folder / "modality_importance.png",
            lambda file: display.figure_.savefig(file, dpi=120, bbox_inches="tight"),
        )
    finally:
        plt.close(display.figure_)
    result = display.result
    table = result.to_frame()
    write_atomically(
        folder / "modality_importance.csv", lambda path: table.to_csv(path, index=False)
    )
    summary = {
        "model": name,
        "note": note,
        "data": study.data,
        "target": study.target,
        "scoring": study.scoring,
        "baseline_score": _json_value(result.baseline_score),
        "held_out_rows": len(X_held),
        "n_repeats": _IMPORTANCE_REPEATS,
        "modalities": [_importance_entry(result, row) for row in table.to_dict("records")],
    }
    _write_json(folder / "modality_importance.json", summary)


def _importance_entry(result, row):
    position = list(result.modalities).index(row["modality"])
    columns = (result.get("modality_columns") or {}).get(row["modality"], [])
    return {
        "modality": row["modality"],
        "columns": [str(column) for column in columns],
        "importance_mean": _json_value(row["importance_mean"]),
        "importance_std": _json_value(row["importance_std"]),
        "weight": _json_value(row["weight"]),
        "importances": [_json_value(value) for value in result.importances[position]],
    }


_VALUE_ROOM = 0.15


def _label_importance_chart(display, name, note, study):
    """Title the importance chart with the data set, target and metric, and write each
    mean drop beside its bar (before the modality's weight, when it has one)."""
    ax, result = display.ax_, display.result
    model = f"{name} ({note})" if note else name
    baseline = result.get("baseline_score")
    baseline = f", baseline {baseline:.3f}" if baseline is not None else ""
    ax.set_title(f"Modality importance of {model}\n{study.title}{baseline}")
    means = dict(zip(result.modalities, np.asarray(result.importances_mean, dtype=float)))
    stds = dict(zip(result.modalities, np.asarray(result.importances_std, dtype=float)))
    weight_texts = {round(text.xy[1]): text for text in display.weight_texts_}
    added = False
    for position, label in zip(ax.get_yticks(), ax.get_yticklabels()):
        modality = label.get_text()
        value = f"{means[modality]:.3f}"
        if round(position) in weight_texts:
            text = weight_texts[round(position)]
            text.set_text(f"{value}   {text.get_text()}")
            continue
        ax.annotate(
            value,
            xy=(max(means[modality] + stds[modality], 0.0), position),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize="small",
            color="0.2",
        )
        added = True
    if added:
        left, right = ax.get_xlim()
        ax.set_xlim(left, right + _VALUE_ROOM * (right - left))


def run_fit(args):
    """``mmsk fit``."""
    _check_fit_output(args)
    X, y = read_table(
        args.data,
        args.target,
        sep=args.sep,
        encoding=args.encoding,
        drop=args.drop,
        id_column=args.id_column,
    )
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
        f"Fitted {args.fusion} ({task}) on {len(X)} rows, {X.shape[1]} columns in "
        f"{time.perf_counter() - start:.1f} s; saved to {args.output} ({file_format} format)"
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


PREDICTION_COLUMN = "prediction"


def run_predict(args):
    """``mmsk predict``."""
    if args.output != STDOUT:
        check_output_file(args.output, "-o", inputs=[args.model, args.data])
    model = load_model(args.model, trusted=args.trust or ())
    if not hasattr(model, "predict") or not hasattr(model, "feature_names_in_"):
        raise CommandError(f"{args.model} does not hold an mmsk model fitted on a table")
    if args.proba:
        _check_gives_probabilities(model, args.model)
    columns = _prediction_columns(model, args.proba)
    frame = read_data(args.data, sep=args.sep, encoding=args.encoding)
    ids = _id_values(frame, args.id_column, args.data, columns)
    X = _check_features(frame, args.data, model)
    predictions = pd.DataFrame({PREDICTION_COLUMN: model.predict(X)})
    if args.proba:
        probabilities = model.predict_proba(X)
        for name, values in zip(columns[1:], probabilities.T):
            predictions[name] = values
    if ids is not None:
        predictions.insert(0, args.id_column, ids.to_numpy())
    if args.output == STDOUT:
        predictions.to_csv(sys.stdout, index=False)
        print(f"Wrote {len(predictions)} predictions to standard output", file=sys.stderr)
        return 0
    write_atomically(args.output, lambda path: predictions.to_csv(path, index=False))
    print(f"Wrote {len(predictions)} predictions to {args.output}")
    return 0


def _check_gives_probabilities(model, path):
    name = type(model).__name__
    if is_regressor(model) or not is_classifier(model):
        kind = "a regressor" if is_regressor(model) else "a model that is not a classifier"
        raise CommandError(
            f"--proba needs a classifier; {path} holds {kind} ({name}), which predicts "
            "values, not class probabilities"
        )
    if not hasattr(model, "predict_proba"):
        raise CommandError(f"--proba: the {name} in {path} gives no class probabilities")


def _prediction_columns(model, proba):
    """The output's columns after the id: the prediction, then ``proba_<class>``."""
    if not proba:
        return [PREDICTION_COLUMN]
    return [PREDICTION_COLUMN, *(f"proba_{label}" for label in model.classes_)]


def _id_values(frame, id_column, path, columns):
    """The ``--id-column`` of the table, copied first into the output, or None."""
    if id_column is None:
        return None
    _check_id_column(frame, id_column, path)
    if id_column in columns:
        raise CommandError(
            f"--id-column {id_column!r} has the name of an output column "
            f"({', '.join(columns)}); rename it in {path}"
        )
    return frame[id_column]


def _check_features(frame, path, model):
    """The table, once it holds every column the model reads (by name; others, such as an
    id or the target, are ignored)."""
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
    table = read_data(args.data, sep=args.sep, encoding=args.encoding)
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
    frame = read_data(args.queries, sep=args.sep, encoding=args.encoding)
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
            "saved model to a table; 'retrieve' indexes a table's column and finds the "
            "rows that match a query written in another column's terms. Tables are CSV, "
            "TSV or other delimited text (also gzipped) or Parquet."
        ),
        epilog=_EXIT_STATUSES,
    )
    parser.add_argument("--version", action="version", version=f"mmsk {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_compare(commands)
    _add_fit(commands)
    _add_predict(commands)
    _add_retrieve(commands)
    return parser


def _add_reading_options(command):
    command.add_argument(
        "--sep",
        type=_separator,
        metavar="CHAR",
        help=(
            "field delimiter of delimited-text input: one character, or tab (also written "
            "\\t); default: detected from the first lines among comma, tab, semicolon and "
            "vertical bar, preferring tab for .tsv and comma otherwise; ignored for Parquet"
        ),
    )
    command.add_argument(
        "--encoding",
        type=_encoding,
        metavar="NAME",
        help=(
            "text encoding of delimited-text input, such as latin-1 or cp1252 (default: "
            "utf-8); ignored for Parquet"
        ),
    )


def _add_threads_option(command):
    command.add_argument(
        "--threads",
        type=_positive_int,
        default=1,
        metavar="N",
        help=(
            "native threads per process for BLAS, OpenMP (gradient boosting) and torch "
            "(default: 1; parallelism comes from --n-jobs processes where the command has "
            "it: on a busy machine, threads of OpenMP that wait for each other can make a "
            "fit many times slower)"
        ),
    )


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of at least 1, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


@contextmanager
def _native_threads(threads):
    """Limit the native thread pools of this process (and of torch) to ``threads``."""
    if threads is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    previous = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        if torch is not None:
            torch.set_num_threads(previous)


def _add_column_options(command):
    command.add_argument(
        "--drop",
        nargs="+",
        action="extend",
        default=[],
        metavar="COL",
        help=(
            "columns to leave out before anything else (repeatable; give it after DATA, "
            "or end its list with --)"
        ),
    )
    command.add_argument(
        "--id-column",
        metavar="COL",
        help="a row identifier column, left out of the features",
    )


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
    compare_command.add_argument(
        "data", nargs="?", metavar="DATA", help="input table (.csv, .tsv, .csv.gz, .parquet ...)"
    )
    compare_command.add_argument(
        "--demo",
        choices=sorted(DEMOS),
        help="bundled demo table to run on when no DATA is given (default: clothing)",
    )
    compare_command.add_argument("--target", help="target column (required with DATA)")
    _add_column_options(compare_command)
    _add_reading_options(compare_command)
    _add_threads_option(compare_command)
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
            "folder to write leaderboard.{csv,json,png}, best_model.joblib (a pickle) and "
            "modality_importance.{png,csv,json} in, created if needed; the leaderboard "
            "CSV and JSON are rewritten as each candidate finishes; files of these names "
            "in it are replaced, other files are left alone"
        ),
    )
    verbosity = compare_command.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help=(
            "print only the final leaderboard, and no progress bar; notes, warnings and "
            "errors still go to standard error"
        ),
    )
    verbosity.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help=(
            "also print how DATA was read, the columns left out, which column went to "
            "which modality (the detected kinds), why the task was inferred, the "
            "candidates, and a line as each fold finishes"
        ),
    )
    compare_command.add_argument(
        "--progress",
        choices=PROGRESS_CHOICES,
        default="auto",
        help=(
            "progress bar over candidates and folds on standard error, with the time "
            "elapsed and an estimate of the time left; auto draws it when standard error "
            "is a terminal and --quiet is not given (default: auto)"
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
    fit_command.add_argument("data", metavar="DATA", help="input table (.csv, .tsv, .parquet ...)")
    fit_command.add_argument("--target", required=True, help="target column")
    _add_column_options(fit_command)
    _add_reading_options(fit_command)
    _add_threads_option(fit_command)
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
    predict_command.add_argument(
        "data", metavar="DATA", help="input table (.csv, .tsv, .parquet ...)"
    )
    predict_command.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="PREDICTIONS.csv",
        help="output CSV, or - for standard output (not an input; replaced if it exists)",
    )
    predict_command.add_argument(
        "--proba",
        action="store_true",
        help=(
            "also write each class's probability, in one column proba_<class> per class "
            "after the prediction (classifiers only)"
        ),
    )
    predict_command.add_argument(
        "--id-column",
        metavar="COL",
        help="column of DATA copied into the output, first, to tell the rows apart",
    )
    _add_reading_options(predict_command)
    _add_threads_option(predict_command)
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
    retrieve_command.add_argument(
        "data", metavar="DATA", help="input table (.csv, .tsv, .parquet ...)"
    )
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
        "--queries", metavar="QUERIES.csv", help="table of queries, in the query column"
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
    _add_reading_options(retrieve_command)
    _add_threads_option(retrieve_command)
    retrieve_command.set_defaults(handler=run_retrieve)


_NAMED_SEPARATORS = {"\\t": "\t", "tab": "\t"}


def _separator(text):
    value = _NAMED_SEPARATORS.get(text.lower(), text)
    if len(value) != 1 or value in '\r\n"':
        raise argparse.ArgumentTypeError(
            f"must be one character other than a quote or a newline, or tab (\\t); got {text!r}"
        )
    return value


def _encoding(text):
    try:
        info = codecs.lookup(text)
    except LookupError:
        raise argparse.ArgumentTypeError(
            f"unknown encoding {text!r}; such as utf-8, latin-1 or cp1252"
        ) from None
    if not getattr(info, "_is_text_encoding", True):
        raise argparse.ArgumentTypeError(f"{text!r} is not a text encoding")
    return text


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
        with _one_line_warnings(prefix), _native_threads(getattr(args, "threads", None)):
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
