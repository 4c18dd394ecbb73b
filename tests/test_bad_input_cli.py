"""Bad-input catalogue of the ``mmsk`` command: every case ends in one line and an exit status.

Each case runs the real entry point, ``mmsk.cli.main(argv)``, on tiny CSVs (60 rows of
``make_multimodal_classification``, or a few hand-made rows) and asserts the exit status
and the one-line message on standard error; a few also run ``python -m mmsk`` in a
subprocess to prove the status and the absence of a traceback. Exit status 2 means a
usage or input error (found before any work), 1 a failure at run time, 130 Ctrl+C.

DATA (the CSV of ``fit``, ``compare`` and ``predict``):

- missing-file: -> 2 "no such file: missing.csv".
- data-is-a-folder: -> 2 "<path> is a folder, not a file".
- empty-file: zero bytes -> 2 "<path> is empty: no header, no rows".
- header-only: -> 2 "<path> has a header but no rows".
- duplicated-column-names: ``a,a,y`` -> 2 "<path> has duplicated column names ['a']"
  (pandas would rename the second one ``a.1`` silently).
- not-utf8: Latin-1 bytes -> 2 "cannot read <path> as CSV: it is not UTF-8 text (byte
  0xe9 on line 2); save it as UTF-8 or give its encoding with --encoding (such as
  --encoding latin-1)".
- huge-line: one text cell of 1 MB -> handled: ``predict`` writes its predictions.
- target-not-there: ``--target nope`` -> 2 "target column 'nope' is not in <path>; its
  columns are [...]".
- target-all-missing: -> 2 "the target column 'y' of <path> is empty: its 10 values are
  all missing".
- target-one-class: -> 2 "the target column 'y' has a single value (1) in its 10 rows;
  a classifier needs at least two classes".
- target-only-column: -> 2 "the target column 'y' is the only column of <path>: there
  is nothing to learn from".
- predict-data-lacks-a-column: -> 2 "<path> lacks columns the model was fitted on:
  'text_0' (read by modality ...)".

MODEL (``predict``; the format is told from the content, not the name):

- model-missing: -> 2 "no such model file: <path>".
- model-is-a-csv: -> 2 "<path> is not a model file written by 'mmsk fit': neither the
  skops format nor a joblib/pickle file".
- model-empty: -> 2 "the model file <path> is empty".
- model-truncated-joblib: the first 200 bytes of a joblib file -> the pickle warning,
  then 2 "cannot load a model from <path>, damaged or not written by 'mmsk fit': ...".
- model-not-an-estimator: a pickled dict -> 2 "<path> does not hold an mmsk model
  fitted on a table".
- model-damaged-skops: a zip archive whose ``schema.json`` is not JSON -> 2 "cannot
  load a model from <path>: ..." (the reason from :mod:`mmsk.persistence`).
- model-joblib: -> handled, with one warning line "<path> is a joblib/pickle file:
  loading it runs code from the file; use only files you made or trust".
- model-skops-named-joblib: a skops file called ``.joblib`` -> handled as skops, no
  warning.
- model-skops-untrusted: a tree inside -> 2 "<path> holds types mmsk does not trust by
  default: sklearn.tree._tree.Tree. If you trust where the file comes from, rerun with
  --trust sklearn.tree._tree.Tree"; with that option -> handled.

Outputs (checked before reading or fitting anything):

- predict-output-is-the-model / -is-the-data / -is-a-hard-link-to-the-model /
  -is-a-symlink-to-the-data: -> 2 "-o <path> is the input <path>; refusing to
  overwrite it", the input unchanged.
- fit-output-is-the-data: -> 2 "is the input", the data unchanged.
- compare-output-holds-the-data: the data CSV is ``DIR/leaderboard.csv`` -> 2 "is the
  input", before the data is read.
- compare-output-is-a-file: -> 2 "--output <path> is a file, not a folder", before the
  data is read.
- compare-output-file-is-a-folder: ``DIR/leaderboard.png`` is a folder -> 2 "is not a
  regular file".
- compare-output-existing-folder: a folder with an earlier run's files and another
  file -> handled: the leaderboard files are replaced, the other file is left alone.
- output-folder-missing: ``-o nodir/m.skops`` -> 2 "the folder <path> does not exist".
- output-is-a-folder: ``-o <folder>`` (fit and predict) -> 2 "is a folder; give a file
  name".
- output-folder-read-only: (``os.access`` says so: the tests may run as root) -> 2
  "the folder <path> is not writable".
- output-stdout: ``predict -o -`` -> handled: the CSV on standard output, the summary
  on standard error; ``fit -o -`` -> 2 "a model cannot go to standard output (-)";
  ``compare --output -`` -> 2 "standard output (-) cannot hold its files".
- disk-full: the writer (joblib, skops or ``to_csv``) writes part of the file and
  raises ``OSError(ENOSPC)`` -> 1 "cannot write <path>: No space left on device"; no
  partial file is left and an earlier file of that name is unchanged.
- write-permission-at-rename: ``os.replace`` raises PermissionError -> 1 "cannot write
  <path>: Permission denied", no temporary file left.
- skops-for-a-neural-model: ``fit --fusion neural-concat --format skops`` -> 2
  "--format skops cannot store NeuralFusionClassifier" (skipped without torch).

Failures while running:

- compare-candidate-fails-every-fold: -> 0; its row says "failed" with the one-line
  reason, the others are ranked above it; no traceback, no FitFailedWarning.
- compare-candidate-fails-one-fold: -> 0; its row has the score of the other fold and
  "failed in 1 fold(s): ...", ranked after the candidates that never failed.
- compare-every-candidate-fails: -> 1 "every candidate failed; the first: ...".
- compare-interrupted: Ctrl+C (KeyboardInterrupt) in the second candidate -> 130
  "mmsk compare: interrupted", the leaderboard of the first printed and written to
  ``--output`` (leaderboard.csv and .json, no best model).
- fit-interrupted: -> 130 "mmsk fit: interrupted", no model file left.
- fit-unexpected-error: a RuntimeError in ``fit`` -> 1 "mmsk fit: error: RuntimeError:
  ...".
"""

import errno
import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import joblib
import pandas as pd
import pytest
from sklearn.tree import DecisionTreeClassifier

import mmsk.cli
from mmsk import EarlyFusionClassifier, LateFusionClassifier, persistence
from mmsk.cli import main
from mmsk.datasets import make_multimodal_classification

REPOSITORY = Path(__file__).resolve().parents[1]
UNTRUSTED_TREE = "sklearn.tree._tree.Tree"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """60 rows of the synthetic multimodal table, target ``y``."""
    X, y = make_multimodal_classification(n_samples=60, random_state=0)
    path = tmp_path_factory.mktemp("data") / "table.csv"
    X.assign(y=y).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def models(data, tmp_path_factory):
    """An early-fusion model fitted on ``data``, saved as joblib and as skops (twice)."""
    pytest.importorskip("skops")
    folder = tmp_path_factory.mktemp("models")
    frame = pd.read_csv(data)
    X, y = frame.drop(columns="y"), frame["y"]
    model = EarlyFusionClassifier().fit(X, y)
    joblib.dump(model, folder / "model.joblib")
    persistence.dump(model, folder / "model.skops")
    persistence.dump(model, folder / "skops-named.joblib")
    tree = EarlyFusionClassifier(estimator=DecisionTreeClassifier(random_state=0)).fit(X, y)
    persistence.dump(tree, folder / "tree.skops")
    return folder


def _error_line(capsys):
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert "Traceback" not in captured.err
    return lines[-1] if lines else ""


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


# --- DATA -------------------------------------------------------------------------------

BAD_TABLES = {
    "empty-file": ("", "is empty: no header, no rows"),
    "header-only": ("a,b,y\n", "has a header but no rows"),
    "duplicated-column-names": ("a,a,y\n1,2,0\n3,4,1\n", "has duplicated column names ['a']"),
    "target-all-missing": (
        "a,y\n" + "".join(f"{i},\n" for i in range(10)),
        "the target column 'y' of {path} is empty: its 10 values are all missing",
    ),
    "target-one-class": (
        "a,y\n" + "".join(f"{i},1\n" for i in range(10)),
        "the target column 'y' has a single value (1) in its 10 rows; a classifier needs",
    ),
    "target-only-column": (
        "y\n" + "0\n1\n" * 5,
        "the target column 'y' is the only column of {path}: there is nothing to learn from",
    ),
}


@pytest.mark.parametrize("command", ["fit", "compare"])
@pytest.mark.parametrize("case", sorted(BAD_TABLES))
def test_bad_table_is_one_line_and_status_two(case, command, tmp_path, capsys):
    text, message = BAD_TABLES[case]
    path = _write(tmp_path / "bad.csv", text)
    output = ["-o", str(tmp_path / "m.skops")] if command == "fit" else []
    assert main([command, str(path), "--target", "y", *output]) == 2
    line = _error_line(capsys)
    assert line.startswith(f"mmsk {command}: error: ")
    assert message.format(path=path) in line
    assert not (tmp_path / "m.skops").exists()


def test_csv_that_is_not_utf8(tmp_path, capsys):
    path = _write(tmp_path / "latin.csv", "a,y\ncafé,0\nthé,1\n", encoding="latin-1")
    assert main(["fit", str(path), "--target", "y", "-o", str(tmp_path / "m.skops")]) == 2
    assert "is not UTF-8 text (byte 0xe9 on line 2); save it as UTF-8" in _error_line(capsys)


def test_csv_that_is_a_folder_or_missing(tmp_path, capsys):
    assert main(["fit", str(tmp_path), "--target", "y", "-o", "m.skops"]) == 2
    assert f"{tmp_path} is a folder, not a file" in _error_line(capsys)
    assert main(["fit", str(tmp_path / "missing.csv"), "--target", "y", "-o", "m.skops"]) == 2
    assert "no such file: " in _error_line(capsys)


def test_target_column_not_there(data, tmp_path, capsys):
    assert main(["fit", str(data), "--target", "nope", "-o", str(tmp_path / "m.skops")]) == 2
    assert "target column 'nope' is not in" in _error_line(capsys)


def test_huge_line_is_read(data, models, tmp_path, capsys):
    frame = pd.read_csv(data)
    frame.loc[0, "text_0"] = "word " * 200_000
    huge = tmp_path / "huge.csv"
    frame.to_csv(huge, index=False)
    output = tmp_path / "predictions.csv"
    assert main(["predict", str(models / "model.skops"), str(huge), "-o", str(output)]) == 0
    assert len(pd.read_csv(output)) == 60


def test_predict_data_lacking_a_column(data, models, tmp_path, capsys):
    lacking = tmp_path / "lacking.csv"
    pd.read_csv(data).drop(columns="text_0").to_csv(lacking, index=False)
    status = main(["predict", str(models / "model.skops"), str(lacking), "-o", "unused.csv"])
    assert status == 2
    assert "lacks columns the model was fitted on: 'text_0' (read by" in _error_line(capsys)


# --- MODEL ------------------------------------------------------------------------------


def _predict(model, data, tmp_path, *options):
    return main(["predict", str(model), str(data), "-o", str(tmp_path / "p.csv"), *options])


def test_model_that_is_not_a_model(data, models, tmp_path, capsys):
    empty = _write(tmp_path / "empty.joblib", "")
    truncated = tmp_path / "truncated.joblib"
    truncated.write_bytes((models / "model.joblib").read_bytes()[:200])
    not_estimator = tmp_path / "dict.pkl"
    not_estimator.write_bytes(pickle.dumps({"a": 1}))
    damaged_skops = tmp_path / "damaged.skops"
    with zipfile.ZipFile(damaged_skops, "w") as archive:
        archive.writestr("schema.json", "{not json")
    cases = [
        (tmp_path / "missing.skops", "no such model file: "),
        (data, "is not a model file written by 'mmsk fit': neither the skops format nor"),
        (empty, "is empty"),
        (truncated, "cannot load a model from"),
        (not_estimator, "does not hold an mmsk model fitted on a table"),
        (damaged_skops, "cannot load a model from"),
    ]
    for model, message in cases:
        assert _predict(model, data, tmp_path) == 2, model
        assert message in _error_line(capsys), model
    assert not (tmp_path / "p.csv").exists()


def test_joblib_model_loads_with_one_warning_line(data, models, tmp_path, capsys):
    assert _predict(models / "model.joblib", data, tmp_path) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "is a joblib/pickle file: loading it runs code from the file" in err


def test_skops_model_is_told_by_content_not_name(data, models, tmp_path, capsys):
    assert _predict(models / "skops-named.joblib", data, tmp_path) == 0
    assert "joblib/pickle" not in capsys.readouterr().err


def test_skops_model_with_untrusted_types_names_the_option(data, models, tmp_path, capsys):
    assert _predict(models / "tree.skops", data, tmp_path) == 2
    line = _error_line(capsys)
    assert f"holds types mmsk does not trust by default: {UNTRUSTED_TREE}." in line
    assert f"rerun with --trust {UNTRUSTED_TREE}" in line
    assert _predict(models / "tree.skops", data, tmp_path, "--trust", UNTRUSTED_TREE) == 0


# --- outputs ----------------------------------------------------------------------------


def _assert_refused_unchanged(argv, victim, capsys):
    before = Path(victim).read_bytes()
    assert main(argv) == 2
    assert "; refusing to overwrite it" in _error_line(capsys)
    assert Path(victim).read_bytes() == before


def test_predict_never_overwrites_its_inputs(data, models, tmp_path, capsys):
    model = tmp_path / "model.skops"
    model.write_bytes((models / "model.skops").read_bytes())
    hard_link = tmp_path / "hard.skops"
    os.link(model, hard_link)
    symlink = tmp_path / "link.csv"
    symlink.symlink_to(data)
    for output, victim in ((model, model), (data, data), (hard_link, model), (symlink, data)):
        argv = ["predict", str(model), str(data), "-o", str(output)]
        _assert_refused_unchanged(argv, victim, capsys)


def test_fit_never_overwrites_its_data(data, capsys):
    _assert_refused_unchanged(["fit", str(data), "--target", "y", "-o", str(data)], data, capsys)


def test_compare_output_holding_the_data_is_refused_before_reading(data, tmp_path, capsys):
    inside = tmp_path / "leaderboard.csv"
    inside.write_bytes(data.read_bytes())
    argv = ["compare", str(inside), "--target", "y", "--cv", "2", "--output", str(tmp_path)]
    _assert_refused_unchanged(argv, inside, capsys)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda folder: _write(folder / "out", "x"), "is a file, not a folder"),
        (
            lambda folder: (folder / "out" / "leaderboard.png").mkdir(parents=True),
            "leaderboard.png is not a regular file",
        ),
    ],
)
def test_compare_output_checked_before_reading(data, tmp_path, capsys, make, message):
    make(tmp_path)
    argv = ["compare", str(data), "--target", "y", "--output", str(tmp_path / "out")]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert captured.out == ""


@pytest.mark.parametrize(
    "argv, message",
    [
        (["fit", "{data}", "--target", "y", "-o", "{tmp}/nodir/m.skops"], "does not exist"),
        (["fit", "{data}", "--target", "y", "-o", "{tmp}"], "is a folder; give a file name"),
        (["predict", "{model}", "{data}", "-o", "{tmp}"], "is a folder; give a file name"),
        (["predict", "{model}", "{data}", "-o", "{tmp}/no/p.csv"], "does not exist"),
        (["fit", "{data}", "--target", "y", "-o", "-"], "cannot go to standard output (-)"),
        (["compare", "{data}", "--target", "y", "--output", "-"], "standard output (-) cannot"),
    ],
)
def test_unwritable_output_is_refused(argv, message, data, models, tmp_path, capsys):
    filled = [a.format(data=data, tmp=tmp_path, model=models / "model.skops") for a in argv]
    assert main(filled) == 2
    assert message in _error_line(capsys)


def test_read_only_folder_is_refused(data, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(mmsk.cli.os, "access", lambda path, mode: False)
    assert main(["fit", str(data), "--target", "y", "-o", str(tmp_path / "m.skops")]) == 2
    assert f"the folder {tmp_path} is not writable" in _error_line(capsys)


def test_predict_to_standard_output(data, models, capsys):
    assert main(["predict", str(models / "model.skops"), str(data), "-o", "-", "--proba"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0] == "prediction,proba_0,proba_1"
    assert len(captured.out.splitlines()) == 61
    assert "Wrote 60 predictions to standard output" in captured.err


def _disk_full_after_half(write):
    """A writer that writes half of what ``write`` would, then finds the disk full."""

    def half_then_full(obj, path, *args, **kwargs):
        write(obj, path, *args, **kwargs)
        content = Path(path).read_bytes()
        Path(path).write_bytes(content[: len(content) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    return half_then_full


@pytest.mark.parametrize("file_format", ["joblib", "skops"])
def test_full_disk_leaves_no_partial_model(file_format, data, tmp_path, monkeypatch, capsys):
    output = tmp_path / "model.bin"
    output.write_bytes(b"the earlier model")
    if file_format == "joblib":
        monkeypatch.setattr(mmsk.cli.joblib, "dump", _disk_full_after_half(joblib.dump))
    else:
        pytest.importorskip("skops")
        monkeypatch.setattr(persistence, "dump", _disk_full_after_half(persistence.dump))
    argv = ["fit", str(data), "--target", "y", "--fusion", "early", "-o", str(output)]
    assert main([*argv, "--format", file_format]) == 1
    assert _error_line(capsys) == (
        f"mmsk fit: error: cannot write {output}: No space left on device"
    )
    assert output.read_bytes() == b"the earlier model"
    assert sorted(os.listdir(tmp_path)) == ["model.bin"]


def test_full_disk_leaves_no_partial_predictions(data, models, tmp_path, monkeypatch, capsys):
    def full(self, path, *args, **kwargs):
        Path(path).write_text("prediction\n1\n")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    assert _predict(models / "model.skops", data, tmp_path) == 1
    assert "cannot write" in _error_line(capsys)
    assert os.listdir(tmp_path) == []


def test_permission_denied_at_rename(data, tmp_path, monkeypatch, capsys):
    def denied(source, target):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(mmsk.cli.os, "replace", denied)
    output = tmp_path / "m.skops"
    assert main(["fit", str(data), "--target", "y", "--fusion", "early", "-o", str(output)]) == 1
    assert f"cannot write {output}: Permission denied" in _error_line(capsys)
    assert os.listdir(tmp_path) == []


def test_skops_refuses_a_neural_model_before_fitting(data, tmp_path, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("skorch")
    argv = ["fit", str(data), "--target", "y", "--fusion", "neural-concat", "--format", "skops"]
    assert main([*argv, "-o", str(tmp_path / "m.skops")]) == 2
    assert "--format skops cannot store NeuralFusionClassifier" in _error_line(capsys)


# --- failures while running -------------------------------------------------------------


def _compare(data, *options):
    return main(
        ["compare", str(data), "--target", "y", "--cv", "2", "--fusions", "early", "late-mean"]
        + list(options)
    )


def _raise(error):
    def fit(self, X, y, sample_weight=None):
        raise error

    return fit


def test_candidate_failing_every_fold_is_a_failed_row(data, monkeypatch, capsys):
    monkeypatch.setattr(LateFusionClassifier, "fit", _raise(RuntimeError("no\nluck")))
    assert _compare(data) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "fits failed" not in captured.err  # sklearn's FitFailedWarning
    assert "[2/2] late-mean: failed in 2 of 2 folds: RuntimeError: no luck" in captured.out
    table = captured.out[captured.out.index("model ") :].splitlines()
    assert table[2].startswith("early ")
    assert table[3].split()[:2] == ["late-mean", "failed"]
    assert set(table[3].split()[2:]) == {"-"}  # fit s, alone s (when measured), predict s
    assert table[4].strip() == "failed in 2 fold(s): RuntimeError: no luck"


def test_candidate_failing_one_fold_is_reported_and_ranked_after(data, monkeypatch, capsys):
    original = EarlyFusionClassifier.fit
    calls = []

    def fails_first(self, X, y, sample_weight=None):
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("first fold")
        return original(self, X, y, sample_weight=sample_weight)

    monkeypatch.setattr(EarlyFusionClassifier, "fit", fails_first)
    assert _compare(data) == 0
    out = capsys.readouterr().out
    table = out[out.index("model ") :].splitlines()
    assert table[2].startswith("late-mean ")
    assert table[3].startswith("early ") and "±" in table[3]
    assert table[4].strip() == "failed in 1 fold(s): ValueError: first fold"


def test_every_candidate_failing_is_status_one(data, monkeypatch, capsys):
    monkeypatch.setattr(LateFusionClassifier, "fit", _raise(RuntimeError("late")))
    monkeypatch.setattr(EarlyFusionClassifier, "fit", _raise(ValueError("early")))
    assert _compare(data) == 1
    assert _error_line(capsys) == (
        "mmsk compare: error: every candidate failed; the first: ValueError: early"
    )


def test_interrupted_compare_keeps_the_finished_candidates(data, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(LateFusionClassifier, "fit", _raise(KeyboardInterrupt()))
    assert _compare(data, "--output", str(tmp_path / "out")) == 130
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines()[-1] == "mmsk compare: interrupted"
    assert "Interrupted after 1 of 2 candidates." in captured.out
    assert "early " in captured.out[captured.out.index("model ") :]
    assert list(pd.read_csv(tmp_path / "out" / "leaderboard.csv")["model"]) == ["early"]
    summary = json.loads((tmp_path / "out" / "leaderboard.json").read_text())
    assert [row["model"] for row in summary["leaderboard"]] == ["early"]
    assert not (tmp_path / "out" / "best_model.joblib").exists()


def test_compare_replaces_only_its_own_files(data, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    _write(out / "leaderboard.csv", "stale")
    _write(out / "notes.txt", "mine")
    assert _compare(data, "--output", str(out)) == 0
    assert (out / "notes.txt").read_text() == "mine"
    assert set(pd.read_csv(out / "leaderboard.csv")["model"]) == {"early", "late-mean", "ensemble"}
    assert (out / "best_model.joblib").stat().st_size > 0
    assert not [name for name in os.listdir(out) if name.startswith(".")]


def test_interrupted_fit_leaves_no_model(data, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(EarlyFusionClassifier, "fit", _raise(KeyboardInterrupt()))
    output = tmp_path / "m.skops"
    assert main(["fit", str(data), "--target", "y", "--fusion", "early", "-o", str(output)]) == 130
    assert _error_line(capsys) == "mmsk fit: interrupted"
    assert os.listdir(tmp_path) == []


def test_unexpected_error_is_status_one(data, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(EarlyFusionClassifier, "fit", _raise(RuntimeError("CUDA\nexploded")))
    argv = ["fit", str(data), "--target", "y", "--fusion", "early", "-o", str(tmp_path / "m")]
    assert main(argv) == 1
    assert _error_line(capsys) == "mmsk fit: error: RuntimeError: CUDA exploded"


# --- through the installed command ------------------------------------------------------


@pytest.mark.parametrize("case", ["output-is-the-model", "empty-csv"])
def test_python_dash_m_mmsk_exits_two_without_a_traceback(case, data, models, tmp_path):
    model = tmp_path / "model.skops"
    model.write_bytes((models / "model.skops").read_bytes())
    if case == "output-is-the-model":
        argv = ["predict", str(model), str(data), "-o", str(model)]
        message = "is the input"
    else:
        argv = ["fit", str(_write(tmp_path / "e.csv", "")), "--target", "y", "-o", "m.skops"]
        message = "is empty: no header, no rows"
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY), "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mmsk", *argv],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert model.read_bytes() == (models / "model.skops").read_bytes()
