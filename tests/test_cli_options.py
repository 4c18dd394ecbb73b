"""The options of the ``mmsk`` command, through its real entry point.

Every case runs ``mmsk.cli.main(argv)`` on a table of 40 rows written to ``tmp_path``
with one cheap candidate (``--fusions early``, two folds); ``--version`` and
``compare --quiet`` also run as ``python -m mmsk`` in a subprocess.
"""

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import joblib
import pandas as pd
import pytest

import mmsk
import mmsk.cli
from mmsk import LateFusionClassifier
from mmsk.cli import format_leaderboard, main, read_data
from mmsk.datasets import make_multimodal_classification, make_multimodal_regression

REPOSITORY = Path(__file__).resolve().parents[1]
COMPARE_FAST = ["--target", "y", "--cv", "2", "--fusions", "early", "--no-ensemble"]


@pytest.fixture(scope="module")
def frame():
    """40 rows: a row id, 4 numeric, 2 categorical and 1 text column, target ``y``."""
    X, y = make_multimodal_classification(n_samples=40, random_state=0)
    table = X.assign(y=y)
    table.insert(0, "row_id", [f"r{i:02d}" for i in range(len(table))])
    return table


@pytest.fixture(scope="module")
def data(frame, tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "table.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def classifier(data, tmp_path_factory):
    """An early-fusion classifier fitted by ``mmsk fit`` (without the row id)."""
    path = tmp_path_factory.mktemp("models") / "classifier.joblib"
    argv = ["fit", str(data), "--target", "y", "--fusion", "early", "--id-column", "row_id"]
    assert main([*argv, "-o", str(path)]) == 0
    return path


def _error_line(capsys):
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    return lines[-1] if lines else ""


def _python_dash_m(*args, cwd):
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mmsk", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
    )


# --- --version ----------------------------------------------------------------------------


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"mmsk {mmsk.__version__}\n"


def test_version_and_quiet_through_python_dash_m(data, tmp_path):
    version = _python_dash_m("--version", cwd=tmp_path)
    assert version.returncode == 0
    assert version.stdout == f"mmsk {mmsk.__version__}\n"
    quiet = _python_dash_m("compare", str(data), *COMPARE_FAST, "--quiet", cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    lines = quiet.stdout.splitlines()
    assert lines[0].split()[:4] == ["model", "roc_auc", "fit", "s"]
    assert len(lines) == 3 and lines[2].startswith("early ")
    assert quiet.stderr == ""


# --- --drop and --id-column ---------------------------------------------------------------


def test_fit_drop_and_id_column_leave_columns_out_of_the_model(data, tmp_path, capsys):
    model_path = tmp_path / "model.joblib"
    argv = ["fit", str(data), "--target", "y", "--fusion", "early", "-o", str(model_path)]
    assert main([*argv, "--drop", "num_0", "cat_1", "--id-column", "row_id"]) == 0
    assert "on 40 rows, 5 columns" in capsys.readouterr().out
    model = joblib.load(model_path)
    assert list(model.feature_names_in_) == ["num_1", "num_2", "num_3", "cat_0", "text_0"]


def test_drop_is_repeatable_and_reported_by_verbose(data, capsys):
    argv = ["compare", str(data), *COMPARE_FAST, "--verbose", "--id-column", "row_id"]
    assert main([*argv, "--drop", "num_0", "--drop", "num_1"]) == 0
    out = capsys.readouterr().out
    assert "table.csv: 40 rows, 5 columns; target 'y'" in out
    assert "Left out of the features: num_0, num_1 (--drop); row_id (--id-column)" in out
    assert "  tabular: num_2 (numeric), num_3 (numeric), cat_0 (categorical)," in out
    assert "num_0 (" not in out


@pytest.mark.parametrize("command", ["compare", "fit"])
def test_drop_of_an_unknown_column_names_it_and_close_names(command, data, tmp_path, capsys):
    output = ["-o", str(tmp_path / "m.joblib")] if command == "fit" else []
    argv = [command, str(data), "--target", "y", "--drop", "text0", *output]
    assert main(argv) == 2
    line = _error_line(capsys)
    assert line.startswith(f"mmsk {command}: error: --drop: ")
    assert "has no column 'text0'; close names: 'text_0'" in line
    assert not (tmp_path / "m.joblib").exists()


def test_drop_far_from_every_column_lists_the_columns(data, capsys):
    assert main(["compare", str(data), "--target", "y", "--drop", "zzz"]) == 2
    assert "has no column 'zzz'; its columns are 'row_id', 'num_0'," in _error_line(capsys)


def test_drop_before_data_says_where_to_put_it(data, capsys):
    assert main(["compare", "--drop", "num_0", str(data), "--target", "y"]) == 2
    line = _error_line(capsys)
    assert f"({data} is a file: give --drop after DATA, or end its list with --)" in line


@pytest.mark.parametrize("option", ["--drop", "--id-column"])
def test_the_target_cannot_be_dropped(option, data, capsys):
    assert main(["compare", str(data), "--target", "y", option, "y"]) == 2
    assert f"{option} names the target column 'y'" in _error_line(capsys)


@pytest.mark.parametrize("command", ["compare", "fit", "predict"])
def test_missing_id_column_is_named(command, data, classifier, tmp_path, capsys):
    argv = {
        "compare": ["compare", str(data), "--target", "y"],
        "fit": ["fit", str(data), "--target", "y", "-o", str(tmp_path / "m.joblib")],
        "predict": ["predict", str(classifier), str(data), "-o", str(tmp_path / "p.csv")],
    }[command]
    assert main([*argv, "--id-column", "rowid"]) == 2
    line = _error_line(capsys)
    assert line.endswith(f"--id-column 'rowid' is not a column of {data}; close names: 'row_id'")
    assert not os.listdir(tmp_path)


# --- --quiet, --verbose, --progress -------------------------------------------------------


def test_quiet_prints_only_the_leaderboard(data, capsys):
    assert main(["compare", str(data), *COMPARE_FAST, "--quiet", "--progress", "auto"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith("model ") and lines[1].startswith("---")
    assert [line.split()[0] for line in lines[2:]] == ["early"]
    assert captured.err == ""


def test_verbose_prints_kinds_task_reason_candidates_and_folds(data, capsys):
    assert main(["compare", str(data), *COMPARE_FAST, "--verbose"]) == 0
    out = capsys.readouterr().out
    assert f"Read {data} as CSV: delimiter comma (detected), encoding utf-8" in out
    assert "Columns by modality (detected kinds):" in out
    assert "  text: text_0 (text)" in out
    assert "  image: no column" in out
    assert "  in no modality: row_id (identifier)" in out
    assert "Task binary, inferred from the target 'y': 2 distinct labels" in out
    assert "Scoring roc_auc, the default for binary (--scoring changes it)" in out
    assert "Candidates (1): early" in out
    assert "    early: fold 2 of 2 done" in out


def test_verbose_says_why_a_regression_was_inferred(tmp_path, capsys):
    X, y = make_multimodal_regression(n_samples=40, random_state=0)
    path = tmp_path / "prices.csv"
    X.assign(price=y).to_csv(path, index=False)
    argv = ["compare", str(path), "--target", "price", "--cv", "2", "--fusions", "early"]
    assert main([*argv, "--no-ensemble", "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "Task regression, inferred from the target 'price': 40 distinct numbers; pass " in out
    assert "--task multiclass" in out


def test_quiet_and_verbose_exclude_each_other(data, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", str(data), "--target", "y", "--quiet", "--verbose"])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize(
    "options, terminal, drawn",
    [
        (["--progress", "on"], False, True),
        (["--progress", "on", "--quiet"], False, True),
        ([], False, False),
        ([], True, True),
        (["--quiet"], True, False),
        (["--progress", "off"], True, False),
    ],
)
def test_progress_bar_over_candidates_and_folds(
    options, terminal, drawn, data, monkeypatch, capsys
):
    monkeypatch.setattr(mmsk.cli, "_is_terminal", lambda stream: terminal)
    assert main(["compare", str(data), *COMPARE_FAST, *options]) == 0
    captured = capsys.readouterr()
    assert ("2/2 folds" in captured.err) is drawn
    if drawn:
        assert "[1/1] early" in captured.err
        assert " elapsed, about " in captured.err and " left" in captured.err
        assert "best early " in captured.err
    assert ("[1/1] early: " in captured.out) is ("--quiet" not in options)


# --- results as they come, charts, importance files, fit times ----------------------------


def test_leaderboard_files_are_rewritten_as_each_candidate_finishes(
    data, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "out"
    seen = {}

    def second_candidate_interrupts(self, X, y, sample_weight=None):
        seen["json"] = json.loads((out / "leaderboard.json").read_text())
        seen["csv"] = pd.read_csv(out / "leaderboard.csv")
        raise KeyboardInterrupt

    monkeypatch.setattr(LateFusionClassifier, "fit", second_candidate_interrupts)
    argv = ["compare", str(data), "--target", "y", "--cv", "2", "--fusions", "early"]
    assert main([*argv, "late-mean", "--output", str(out)]) == 130
    assert seen["json"]["status"] == "running"
    assert [row["model"] for row in seen["json"]["leaderboard"]] == ["early"]
    assert list(seen["csv"]["model"]) == ["early"]
    summary = json.loads((out / "leaderboard.json").read_text())
    assert summary["status"] == "interrupted"
    assert (out / "leaderboard.png").stat().st_size > 0
    assert not (out / "best_model.joblib").exists()


def test_output_charts_are_titled_and_importance_has_csv_and_json(
    data, tmp_path, monkeypatch, capsys
):
    from matplotlib.figure import Figure

    drawn = []
    real_savefig = Figure.savefig

    def recording_savefig(figure, *args, **kwargs):
        ax = figure.axes[0]
        texts = [text.get_text() for text in ax.texts]
        drawn.append({"title": ax.get_title(), "xlim": ax.get_xlim(), "texts": texts})
        return real_savefig(figure, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", recording_savefig)
    out = tmp_path / "out"
    argv = ["compare", str(data), *COMPARE_FAST, "--id-column", "row_id", "--drop", "num_3"]
    assert main([*argv, "--output", str(out)]) == 0
    leaderboard_chart, importance_chart = drawn
    assert leaderboard_chart["title"] == "table.csv · target 'y' · roc_auc"
    assert leaderboard_chart["xlim"][0] == 0.0
    assert len(leaderboard_chart["texts"]) == 1
    assert float(leaderboard_chart["texts"][0]) > 0.5
    assert importance_chart["title"].startswith("Modality importance of early\n")
    assert "table.csv · target 'y' · roc_auc, baseline " in importance_chart["title"]
    assert len(importance_chart["texts"]) == 2  # a value beside each modality's bar
    importance = pd.read_csv(out / "modality_importance.csv")
    assert list(importance.columns) == ["modality", "importance_mean", "importance_std", "weight"]
    assert set(importance["modality"]) == {"tabular", "text"}
    details = json.loads((out / "modality_importance.json").read_text())
    assert details["model"] == "early" and details["scoring"] == "roc_auc"
    assert details["held_out_rows"] == 10 and details["n_repeats"] == 5
    text = next(entry for entry in details["modalities"] if entry["modality"] == "text")
    assert text["columns"] == ["text_0"] and len(text["importances"]) == 5
    summary = json.loads((out / "leaderboard.json").read_text())
    assert summary["status"] == "complete"
    assert summary["dropped"] == ["num_3"] and summary["id_column"] == "row_id"
    assert summary["data"] == "table.csv" and summary["target"] == "y"
    assert "modality_importance.png, .csv, .json" in capsys.readouterr().out


def test_fit_time_alone_is_shown_beside_the_shared_fit_time(data, monkeypatch, capsys):
    real_compare_models = mmsk.cli.compare_models

    def with_alone_times(*args, **kwargs):
        comparison = real_compare_models(*args, **kwargs)
        comparison.leaderboard["fit_time_alone"] = 12.5
        return comparison

    monkeypatch.setattr(mmsk.cli, "compare_models", with_alone_times)
    assert main(["compare", str(data), *COMPARE_FAST]) == 0
    out = capsys.readouterr().out
    table = out[out.index("model ") :].splitlines()
    assert table[0].split() == ["model", "roc_auc", "fit", "s", "alone", "s", "predict", "s"]
    assert table[2].split()[5] == "12.50"
    assert "alone s: what one fold's fit takes without that cache" in out


def test_leaderboard_text_with_and_without_alone_times():
    row = {
        "model": "early",
        "score_mean": 0.9,
        "score_std": 0.01,
        "fit_time": 0.5,
        "predict_time": 0.1,
        "failed_folds": 0,
        "error": None,
    }
    assert "alone s" not in format_leaderboard([row], "roc_auc")
    missing = format_leaderboard([{**row, "fit_time_alone": float("nan")}], "roc_auc")
    assert "alone s" in missing
    assert missing.splitlines()[2].split()[4:] == ["0.50", "-", "0.10"]
    failed = {**row, "score_mean": float("nan"), "failed_folds": 2, "fit_time_alone": 1.0}
    lines = format_leaderboard([failed], "roc_auc").splitlines()
    assert lines[2].split() == ["early", "failed", "-", "-", "-"]


# --- predict --proba and --id-column ------------------------------------------------------


def _predictions(classifier, data, tmp_path, *options):
    output = tmp_path / "predictions.csv"
    assert main(["predict", str(classifier), str(data), "-o", str(output), *options]) == 0
    return pd.read_csv(output)


def test_predict_writes_probabilities_only_with_proba(data, classifier, tmp_path, frame):
    assert list(_predictions(classifier, data, tmp_path).columns) == ["prediction"]
    with_proba = _predictions(classifier, data, tmp_path, "--proba")
    assert list(with_proba.columns) == ["prediction", "proba_0", "proba_1"]
    assert with_proba[["proba_0", "proba_1"]].sum(axis=1).round(6).eq(1).all()


def test_predict_copies_the_id_column_first(data, classifier, tmp_path, frame):
    predictions = _predictions(classifier, data, tmp_path, "--id-column", "row_id", "--proba")
    assert list(predictions.columns) == ["row_id", "prediction", "proba_0", "proba_1"]
    assert list(predictions["row_id"]) == list(frame["row_id"])


def test_predict_proba_with_string_classes(tmp_path, capsys):
    X, y = make_multimodal_classification(n_samples=40, n_classes=3, random_state=0)
    path = tmp_path / "three.csv"
    X.assign(label=[["low", "mid", "high"][value] for value in y]).to_csv(path, index=False)
    model = tmp_path / "m.joblib"
    argv = ["fit", str(path), "--target", "label", "--fusion", "early", "-o", str(model)]
    assert main(argv) == 0
    predictions = _predictions(model, path, tmp_path, "--proba")
    assert list(predictions.columns) == ["prediction", "proba_high", "proba_low", "proba_mid"]


def test_predict_proba_with_a_regressor_is_refused(tmp_path, capsys):
    X, y = make_multimodal_regression(n_samples=40, random_state=0)
    path = tmp_path / "prices.csv"
    X.assign(price=y).to_csv(path, index=False)
    model = tmp_path / "m.joblib"
    argv = ["fit", str(path), "--target", "price", "--fusion", "early", "-o", str(model)]
    assert main(argv) == 0
    output = tmp_path / "p.csv"
    assert main(["predict", str(model), str(path), "-o", str(output), "--proba"]) == 2
    assert _error_line(capsys) == (
        f"mmsk predict: error: --proba needs a classifier; {model} holds a regressor "
        "(EarlyFusionRegressor), which predicts values, not class probabilities"
    )
    assert not output.exists()


def test_predict_id_column_named_like_an_output_column(frame, classifier, tmp_path, capsys):
    path = tmp_path / "renamed.csv"
    frame.rename(columns={"row_id": "prediction"}).to_csv(path, index=False)
    argv = ["predict", str(classifier), str(path), "-o", str(tmp_path / "p.csv")]
    assert main([*argv, "--id-column", "prediction"]) == 2
    assert "--id-column 'prediction' has the name of an output column" in _error_line(capsys)


# --- reading tables: formats, --sep, --encoding -------------------------------------------


def _write_table(frame, path, delimiter):
    text = frame.to_csv(index=False, sep=delimiter)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize(
    "name, delimiter",
    [
        ("t.csv", ","),
        ("t.csv.gz", ","),
        ("t.tsv", "\t"),
        ("t.tsv.gz", "\t"),
        ("semicolons.csv", ";"),
        ("bars.txt", "|"),
        ("no_suffix", "\t"),
    ],
)
def test_delimited_text_is_read_with_its_delimiter_detected(name, delimiter, frame, tmp_path):
    path = _write_table(frame, tmp_path / name, delimiter)
    pd.testing.assert_frame_equal(read_data(str(path)), frame)


def test_tsv_gz_through_fit_and_predict(frame, tmp_path, capsys):
    path = _write_table(frame, tmp_path / "table.tsv.gz", "\t")
    model = tmp_path / "m.joblib"
    argv = ["fit", str(path), "--target", "y", "--fusion", "early", "--id-column", "row_id"]
    assert main([*argv, "-o", str(model)]) == 0
    predictions = _predictions(model, path, tmp_path, "--id-column", "row_id")
    assert len(predictions) == 40


def test_sep_is_used_as_given(frame, tmp_path, capsys):
    path = _write_table(frame, tmp_path / "table.dat", ";")
    argv = ["fit", str(path), "--target", "y", "--fusion", "early", "-o", str(tmp_path / "m")]
    assert main([*argv, "--sep", ";"]) == 0
    capsys.readouterr()
    assert main([*argv, "--sep", "tab"]) == 2
    assert "target column 'y' is not in" in _error_line(capsys)


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--sep", ";;", "argument --sep: must be one character"),
        ("--encoding", "klingon", "argument --encoding: unknown encoding 'klingon'"),
        ("--encoding", "base64", "argument --encoding: 'base64' is not a text encoding"),
    ],
)
def test_bad_sep_or_encoding_is_a_usage_error(option, value, message, data, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", str(data), "--target", "y", "-o", "unused.joblib", option, value])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_encoding_reads_latin1_and_its_absence_names_the_option(tmp_path, capsys):
    rows = "".join(f"{i},{'café' if i % 2 else 'thé'},{i % 2}\n" for i in range(20))
    path = tmp_path / "latin.csv"
    path.write_bytes(("n,drink,y\n" + rows).encode("latin-1"))
    argv = ["fit", str(path), "--target", "y", "--fusion", "early", "-o", str(tmp_path / "m")]
    assert main(argv) == 2
    line = _error_line(capsys)
    assert "is not UTF-8 text (byte 0xe9 on line 2); save it as UTF-8 or give its " in line
    assert "encoding with --encoding (such as --encoding latin-1)" in line
    assert main([*argv, "--encoding", "latin-1"]) == 0
    assert read_data(str(path), encoding="latin-1")["drink"].iloc[0] == "thé"
    assert main([*argv, "--encoding", "ascii"]) == 2
    assert "byte 0xe9 on line 2 is not ascii text (the --encoding given)" in _error_line(capsys)


def test_gzipped_latin1_gives_the_line_of_the_bad_byte(tmp_path, capsys):
    path = tmp_path / "latin.csv.gz"
    path.write_bytes(gzip.compress("a,y\n1,0\ncafé,1\n".encode("latin-1")))
    assert main(["fit", str(path), "--target", "y", "-o", str(tmp_path / "m")]) == 2
    assert "is not UTF-8 text (byte 0xe9 on line 3)" in _error_line(capsys)


def test_parquet_is_read_with_pyarrow(frame, tmp_path):
    pytest.importorskip("pyarrow")
    path = tmp_path / "table.parquet"
    frame.to_parquet(path)
    pd.testing.assert_frame_equal(read_data(str(path)), frame, check_dtype=False)


def test_parquet_without_pyarrow_says_what_to_install(tmp_path, monkeypatch, capsys):
    path = tmp_path / "table.parquet"
    path.write_bytes(b"PAR1 not really")
    real_find_spec = mmsk.cli.find_spec
    missing = {"pyarrow", "fastparquet"}
    monkeypatch.setattr(
        mmsk.cli, "find_spec", lambda name: None if name in missing else real_find_spec(name)
    )
    assert main(["fit", str(path), "--target", "y", "-o", str(tmp_path / "m")]) == 2
    assert _error_line(capsys) == (
        f"mmsk fit: error: reading the Parquet file {path} needs pyarrow: pip install pyarrow"
    )


def test_a_spreadsheet_is_refused(tmp_path, capsys):
    path = tmp_path / "table.xlsx"
    path.write_bytes(b"PK\x03\x04 a zip archive")
    assert main(["compare", str(path), "--target", "y"]) == 2
    assert "is a spreadsheet; mmsk reads delimited text" in _error_line(capsys)


def test_retrieve_reads_a_tsv_and_its_queries(tmp_path, capsys):
    words = ["red summer dress", "warm wool coat", "blue denim jeans", "soft cotton shirt"]
    rows = [
        {"title": words[i % 4].split()[-1], "review": f"{words[i % 4]} fits well {i}"}
        for i in range(40)
    ]
    path = _write_table(pd.DataFrame(rows), tmp_path / "pairs.tsv", "\t")
    queries = _write_table(pd.DataFrame({"title": ["dress"]}), tmp_path / "queries.txt", ";")
    argv = ["retrieve", str(path), "--query-column", "title", "--target-column", "review"]
    assert main([*argv, "--queries", str(queries), "--n-components", "2", "-k", "1"]) == 0
    out = capsys.readouterr().out
    assert out.count("similarity ") == 1


# ------------------------------------------------------------------ native threads


def test_threads_limit_the_native_pools_while_a_command_runs(data, tmp_path, monkeypatch):
    from threadpoolctl import threadpool_info

    seen = []
    real_compare = mmsk.cli.compare_models

    def spying_compare(*args, **kwargs):
        seen.append({pool["internal_api"]: pool["num_threads"] for pool in threadpool_info()})
        return real_compare(*args, **kwargs)

    monkeypatch.setattr(mmsk.cli, "compare_models", spying_compare)
    # The test session runs with one thread per pool; the option must change that.
    status = main(
        ["compare", str(data), *COMPARE_FAST, "--threads", "2", "--output", str(tmp_path), "-q"]
    )
    assert status == 0
    assert seen and all(count == 2 for count in seen[0].values())


@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_threads_must_be_a_positive_whole_number(data, value, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["compare", str(data), "--target", "y", "--threads", value])
    assert stop.value.code == 2
    assert "--threads" in capsys.readouterr().err
