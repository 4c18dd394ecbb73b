"""The ``mmsk`` command, through its installed entry point and through ``main``."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import joblib
import pandas as pd
import pytest

from mmsk.cli import candidate_models, compare, format_leaderboard, infer_task, main
from mmsk.compare import search_space
from mmsk.datasets import load_clothing_reviews
from mmsk.fusion._neural import FUSIONS

TARGET = "Recommended IND"


def _command():
    executable = shutil.which("mmsk")
    return [executable] if executable else [sys.executable, "-m", "mmsk"]


REPOSITORY = Path(__file__).resolve().parents[1]


def run(*args):
    """Run the command on this checkout's code (the installed script may point elsewhere)."""
    path = os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")]))
    environment = {
        **os.environ,
        "PYTHONPATH": path,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }
    return subprocess.run([*_command(), *args], capture_output=True, text=True, env=environment)


@pytest.fixture(scope="module")
def reviews_csv(tmp_path_factory):
    frame = load_clothing_reviews().frame.iloc[:240]
    path = tmp_path_factory.mktemp("data") / "reviews.csv"
    frame.to_csv(path, index=False)
    return path


def test_compare_writes_every_output(reviews_csv, tmp_path):
    result = run(
        "compare",
        str(reviews_csv),
        "--target",
        TARGET,
        "--cv",
        "2",
        "--fusions",
        "early",
        "late-mean",
        "--output",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "[1/2] early" in result.stdout
    assert "roc_auc" in result.stdout and "±" in result.stdout
    for name in (
        "leaderboard.csv",
        "leaderboard.json",
        "leaderboard.png",
        "best_model.joblib",
        "modality_importance.png",
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    summary = json.loads((tmp_path / "leaderboard.json").read_text())
    assert summary["task"] == "binary"
    assert {row["model"] for row in summary["leaderboard"]} == {"early", "late-mean", "ensemble"}
    assert summary["random_state"] == 0 and summary["skipped"] == []
    model = joblib.load(tmp_path / "best_model.joblib")
    assert hasattr(model, "predict_proba")


def test_fit_then_predict_round_trip(reviews_csv, tmp_path):
    model_path = tmp_path / "model.joblib"
    predictions_path = tmp_path / "predictions.csv"
    fitted = run(
        "fit", str(reviews_csv), "--target", TARGET, "--fusion", "late-mean", "-o", str(model_path)
    )
    assert fitted.returncode == 0, fitted.stderr
    predicted = run(
        "predict", str(model_path), str(reviews_csv), "-o", str(predictions_path), "--proba"
    )
    assert predicted.returncode == 0, predicted.stderr
    predictions = pd.read_csv(predictions_path)
    assert list(predictions.columns) == ["prediction", "proba_0", "proba_1"]
    assert len(predictions) == 240
    assert predictions["prediction"].isin([0, 1]).all()


def test_fit_saves_skops_by_default_and_says_what_predict_must_trust(
    reviews_csv, tmp_path, capsys
):
    import zipfile

    pytest.importorskip("skops")
    model_path = tmp_path / "model.skops"
    argv = ["fit", str(reviews_csv), "--target", TARGET, "--fusion", "late-mean"]
    assert main([*argv, "-o", str(model_path)]) == 0
    out = capsys.readouterr().out
    assert "(skops format)" in out
    assert "schema.json" in zipfile.ZipFile(model_path).namelist()
    options = out.split("'mmsk predict' loads it with ")[1].split(" (")[0].split()
    assert options[0] == "--trust"
    predictions_path = tmp_path / "predictions.csv"
    predict = ["predict", str(model_path), str(reviews_csv), "-o", str(predictions_path)]
    assert main(predict) == 2
    assert "holds types mmsk does not trust by default" in capsys.readouterr().err
    assert main([*predict, *options]) == 0
    assert "joblib" not in capsys.readouterr().err
    assert len(pd.read_csv(predictions_path)) == 240


@pytest.mark.parametrize(
    "args, message",
    [
        (["compare", "missing.csv", "--target", TARGET], "no such file: missing.csv"),
        (["compare", "{data}", "--target", "nope"], "target column 'nope' is not in"),
        (["compare", "{data}"], "--target is required when a data file is given"),
        (["compare", "--cv", "1"], "argument --cv: must be at least 2, got 1"),
        (
            ["compare", "{data}", "--target", TARGET, "--fusions", "magic"],
            "unknown fusion candidates ['magic']",
        ),
        (
            ["fit", "{data}", "--target", TARGET, "--fusion", "magic", "-o", "m.joblib"],
            "unknown --fusion 'magic'",
        ),
        (["predict", "{data}", "{data}", "-o", "p.csv"], "is not a model file written by"),
        (["compare", "{garbage}", "--target", TARGET], "cannot read"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_arguments_give_one_line_and_status_two(args, message, reviews_csv, tmp_path):
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\xff\xfe\x00binary\x00junk")
    filled = [a.format(data=reviews_csv, garbage=garbage) for a in args]
    result = run(*filled)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_every_command():
    result = run("--help")
    assert result.returncode == 0
    for command in ("compare", "fit", "predict"):
        assert command in result.stdout
    assert "--fusions" in run("compare", "--help").stdout


@pytest.mark.parametrize("command", ["fit", "predict"])
def test_help_says_a_joblib_file_runs_code(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "A joblib file is a pickle: loading it runs code from the file" in text
    assert "skops" in text and "Exit status: 0 on success; 2 for a usage" in text


def test_compare_function_ranks_candidates():
    X, y = load_clothing_reviews(return_X_y=True)
    comparison = compare(
        X.iloc[:200], y.iloc[:200], "binary", candidates=["early", "late-mean"], cv=2
    )
    rows = comparison.leaderboard.to_dict("records")
    assert {row["model"] for row in rows} == {"early", "late-mean", "ensemble"}
    scores = [row["score_mean"] for row in rows]
    assert scores == sorted(scores, reverse=True)
    assert "late-mean" in format_leaderboard(rows, "roc_auc")


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_every_neural_fusion_layer_is_a_candidate(task):
    pytest.importorskip("torch")
    pytest.importorskip("skorch")
    models = candidate_models(task)
    neural = sorted(name for name in models if name.startswith("neural-"))
    assert neural == sorted(f"neural-{fusion}" for fusion in FUSIONS)
    assert models["neural-gated"].fusion == "gated"
    assert models["neural-film"].fusion == "film"
    default = search_space(task, n_rows=1000)
    assert [name for name in default if name.startswith("neural-")] == ["neural-concat"]
    assert {"early", "late-stacking+char", "mrf-gaussian"} <= set(default)


def test_compare_a_named_neural_candidate():
    pytest.importorskip("torch")
    pytest.importorskip("skorch")
    X, y = load_clothing_reviews(return_X_y=True)
    comparison = compare(X.iloc[:160], y.iloc[:160], "binary", candidates=["neural-gated"], cv=2)
    rows = comparison.leaderboard.to_dict("records")
    assert rows[0]["model"] == "neural-gated"
    assert 0.0 <= rows[0]["score_mean"] <= 1.0


@pytest.mark.parametrize(
    "y, task",
    [
        ([0, 1, 0, 1], "binary"),
        (["a", "b", "c", "a"], "multiclass"),
        ([1, 2, 3, 4, 5, 1], "multiclass"),
        ([0.5, 1.7, 2.2, 3.9], "regression"),
        (list(range(50)), "regression"),
    ],
)
def test_task_is_inferred_from_the_target(y, task):
    assert infer_task(pd.Series(y)) == task


def test_main_returns_two_on_a_bad_file(capsys):
    assert main(["fit", "missing.csv", "--target", TARGET, "-o", "m.joblib"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_compare_runs_on_the_bundled_data_without_a_file():
    result = run("compare", "--cv", "2", "--fusions", "early", "late-mean")
    assert result.returncode == 0, result.stderr
    assert "Bundled demo data (clothing): 4000 rows" in result.stdout
    assert "late-mean" in result.stdout and "early" in result.stdout


def test_output_without_matplotlib_is_a_one_line_error(monkeypatch, capsys):
    import mmsk.cli

    real_find_spec = mmsk.cli.find_spec
    monkeypatch.setattr(
        mmsk.cli, "find_spec", lambda name: None if name == "matplotlib" else real_find_spec(name)
    )
    status = main(["compare", "--cv", "2", "--fusions", "early", "--output", "unused"])
    assert status == 2
    assert 'needs matplotlib: pip install "mmsk[plot]"' in capsys.readouterr().err


def test_predict_reads_columns_by_name_and_ignores_others(reviews_csv, tmp_path):
    model_path = tmp_path / "model.joblib"
    fitted = run(
        "fit", str(reviews_csv), "--target", TARGET, "--fusion", "early", "-o", str(model_path)
    )
    assert fitted.returncode == 0, fitted.stderr
    frame = pd.read_csv(reviews_csv)
    shuffled = frame[frame.columns[::-1]].assign(row_id=range(len(frame)))
    shuffled_path = tmp_path / "shuffled.csv"
    shuffled.to_csv(shuffled_path, index=False)
    outputs = {}
    for name, path in (("plain", reviews_csv), ("shuffled", shuffled_path)):
        out = tmp_path / f"{name}-predictions.csv"
        result = run("predict", str(model_path), str(path), "-o", str(out))
        assert result.returncode == 0, result.stderr
        outputs[name] = pd.read_csv(out)
    pd.testing.assert_frame_equal(outputs["plain"], outputs["shuffled"])
    lacking = tmp_path / "lacking.csv"
    frame.drop(columns="Review Text").to_csv(lacking, index=False)
    result = run("predict", str(model_path), str(lacking), "-o", str(tmp_path / "x.csv"))
    assert result.returncode == 2
    assert "'Review Text' (read by modality 'text')" in result.stderr


@pytest.fixture(scope="module")
def listings_csv(tmp_path_factory):
    """A CSV of 40 listings whose image paths are relative to the CSV's folder."""
    import numpy as np
    from PIL import Image

    folder = tmp_path_factory.mktemp("listings")
    (folder / "photos").mkdir()
    rng = np.random.default_rng(0)
    sold = np.tile([0, 1], 20)
    paths = []
    for i, label in enumerate(sold):
        pixels = rng.integers(0, 40, (16, 16, 3), dtype=np.uint8)
        pixels[..., 0 if label else 2] += 200
        Image.fromarray(pixels).save(folder / "photos" / f"{i}.png")
        paths.append(f"photos/{i}.png")
    paths[3] = "photos/missing.png"
    frame = pd.DataFrame({"price": rng.normal(size=40), "photo": paths, "sold": sold})
    frame.loc[5, "photo"] = None
    frame.to_csv(folder / "listings.csv", index=False)
    return folder / "listings.csv"


def test_compare_reads_image_paths_relative_to_the_csv(listings_csv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from mmsk.cli import read_table

    X, y = read_table(str(listings_csv), "sold")
    assert os.path.isabs(X.loc[0, "photo"]) and os.path.isfile(X.loc[0, "photo"])
    assert pd.isna(X.loc[5, "photo"])
    result = run(
        "compare",
        str(listings_csv),
        "--target",
        "sold",
        "--cv",
        "2",
        "--fusions",
        "early",
        "late-mean",
    )
    assert result.returncode == 0, result.stderr
    assert "late-mean" in result.stdout


def test_demo_and_data_together_is_a_one_line_error(listings_csv, capsys):
    status = main(["compare", str(listings_csv), "--target", "sold", "--demo", "posters"])
    assert status == 2
    assert "give either DATA or --demo" in capsys.readouterr().err


def test_unknown_demo_is_refused(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--demo", "mnist"])
    assert "invalid choice: 'mnist'" in capsys.readouterr().err


@pytest.fixture(scope="module")
def pairs_csv(tmp_path_factory):
    """120 rows of reviews with their titles, a CSV."""
    frame = load_clothing_reviews().frame.iloc[:120]
    path = tmp_path_factory.mktemp("pairs") / "reviews.csv"
    frame.to_csv(path, index=False)
    return path


def _retrieve(pairs_csv, *options):
    return main(
        [
            "retrieve",
            str(pairs_csv),
            "--query-column",
            "Title",
            "--target-column",
            "Review Text",
            "--n-components",
            "8",
            *options,
        ]
    )


def test_retrieve_prints_the_best_matches_of_each_query(pairs_csv, capsys):
    assert (
        _retrieve(
            pairs_csv,
            "--query",
            "summer dress",
            "--query",
            "runs small",
            "-k",
            "3",
            "--show",
            "Department Name",
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Indexed" in out and "(cca, 8 components)" in out
    assert out.count("query: ") == 2
    assert out.count("similarity ") == 6


def test_retrieve_reads_queries_from_a_csv(pairs_csv, tmp_path, capsys):
    queries = tmp_path / "queries.csv"
    pd.DataFrame({"Title": ["lovely top", "too big"]}).to_csv(queries, index=False)
    assert _retrieve(pairs_csv, "--queries", str(queries), "-k", "2") == 0
    assert capsys.readouterr().out.count("similarity ") == 4


@pytest.mark.parametrize(
    "options, message",
    [
        (["--query-column", "Headline"], "--query-column 'Headline' is not in"),
        (["--target-column", "Title"], "must be two different columns"),
        (["--no-query"], "give the queries with --query TEXT"),
        (["--show", "Colour"], "--show names columns not in"),
    ],
)
def test_retrieve_bad_input_is_a_one_line_error(pairs_csv, options, message, capsys):
    arguments = [
        "retrieve",
        str(pairs_csv),
        "--query-column",
        "Title",
        "--target-column",
        "Review Text",
    ]
    extra = [option for option in options if option != "--no-query"]
    for i in range(0, len(extra) - 1, 2):
        if extra[i] in arguments:
            arguments[arguments.index(extra[i]) + 1] = extra[i + 1]
        else:
            arguments += extra[i : i + 2]
    if "--no-query" not in options:
        arguments += ["--query", "dress"]
    assert main(arguments) == 2
    assert message in capsys.readouterr().err


def test_retrieve_query_csv_without_the_query_column_is_an_error(pairs_csv, tmp_path, capsys):
    queries = tmp_path / "queries.csv"
    pd.DataFrame({"Headline": ["lovely top"]}).to_csv(queries, index=False)
    assert _retrieve(pairs_csv, "--queries", str(queries)) == 2
    assert "has no column 'Title'" in capsys.readouterr().err


def test_retrieve_with_ridge_starts_from_sentence_embeddings(pairs_csv, capsys):
    pytest.importorskip("sentence_transformers")
    assert _retrieve(pairs_csv, "--method", "ridge", "--query", "summer dress", "-k", "2") == 0
    out = capsys.readouterr().out
    assert "(ridge, 384 components)" in out
    assert out.count("similarity ") == 2


def test_compare_preset_time_limit_seed_and_no_ensemble(reviews_csv, tmp_path, capsys):
    argv = ["compare", str(reviews_csv), "--target", TARGET, "--cv", "2", "--preset", "fast"]
    assert (
        main([*argv, "--time-limit", "0.001", "--random-state", "3", "--output", str(tmp_path)])
        == 0
    )
    out = capsys.readouterr().out
    assert "preset fast" in out
    assert "Not started (--time-limit 0.001 s): late-weighted, late-stacking" in out
    summary = json.loads((tmp_path / "leaderboard.json").read_text())
    assert summary["skipped"] == ["late-weighted", "late-stacking"]
    assert summary["random_state"] == 3 and summary["preset"] == "fast"
    assert [row["model"] for row in summary["leaderboard"]] == ["early"]
    assert main([*argv, "--no-ensemble"]) == 0
    assert "[+] ensemble" not in capsys.readouterr().out


def test_compare_refuses_a_bad_scoring_before_any_fit(reviews_csv, capsys):
    argv = ["compare", str(reviews_csv), "--target", TARGET, "--scoring", "acuracy"]
    assert main(argv) == 2
    assert "--scoring: Unknown scoring 'acuracy'" in capsys.readouterr().err
