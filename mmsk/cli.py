"""The ``mmsk`` command: compare fusion methods on a table, fit one, predict with it.

Run ``mmsk --help`` (or ``python -m mmsk --help``) for the sub-commands.
"""

import argparse
import json
import sys
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate, train_test_split
from sklearn.utils.multiclass import type_of_target

from ._image_io import anchor_image_paths
from ._registry import FAMILIES
from .datasets import load_clothing_reviews, load_poster_listings

TASKS = ("auto", "binary", "multiclass", "regression")
DEFAULT_SCORING = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "r2"}
_MAX_CLASSES_FOR_INTEGERS = 20


class CommandError(Exception):
    """A problem with the command's input, reported in one line with exit status 2."""


def candidate_models(task, *, memory=None, random_state=0):
    """Every fusion model the installed extras provide, by name, for ``task``.

    The candidates come from the registry of fusion families: one per value of each
    family's option (``late-stacking``, ``bayes-tan``, ``neural-gated`` ...), for the
    families whose extra is installed.

    Parameters
    ----------
    task : {"binary", "multiclass", "regression"}
        The learning task.
    memory : str or None, default=None
        Cache directory shared by the late, Bayesian and neural candidates, so their
        per-modality fits are computed once per fold.
    random_state : int, default=0
        Seed of every candidate.

    Returns
    -------
    models : dict
        Candidate name (``"early"``, ``"late-stacking"``, ``"bayes-naive"``,
        ``"neural-gated"`` ...) to an unfitted estimator.
    """
    models = {}
    for family in FAMILIES:
        if family.available():
            models.update(family.candidates(task, memory=memory, random_state=random_state))
    return models


def default_candidates(models, task="binary"):
    """The names compared when none are given.

    Every candidate of every installed family except the neural fusion layers beyond
    ``"neural-concat"``: each neural candidate trains a network per fold, so the
    others run only when named.
    """
    default = {name for family in FAMILIES for name in family.default_candidate_names(task)}
    return [name for name in models if name in default]


def infer_task(y):
    """``"binary"``, ``"multiclass"`` or ``"regression"`` from the target's values."""
    target_type = type_of_target(np.asarray(y))
    if target_type == "binary":
        return "binary"
    if target_type == "multiclass":
        if pd.api.types.is_numeric_dtype(pd.Series(y).dtype):
            few = pd.Series(y).nunique() <= _MAX_CLASSES_FOR_INTEGERS
            return "multiclass" if few else "regression"
        return "multiclass"
    if target_type == "continuous":
        return "regression"
    raise CommandError(f"cannot tell the task from the target (type {target_type!r}); pass --task")


def compare(X, y, task, *, candidates=None, cv=5, scoring=None, random_state=0, stream=None):
    """Cross-validate fusion candidates on the same folds; rows of a leaderboard, best first.

    Parameters
    ----------
    X : pandas.DataFrame
        The input table.
    y : array-like of shape (n_samples,)
        The target.
    task : {"binary", "multiclass", "regression"}
        The learning task.
    candidates : list of str or None, default=None
        Names among :func:`candidate_models`; None means :func:`default_candidates`.
    cv : int, default=5
        Number of folds (stratified for classification, shuffled with ``random_state``).
    scoring : str or None, default=None
        A scikit-learn scorer name; None means roc_auc (binary), accuracy (multiclass)
        or r2 (regression).
    random_state : int, default=0
        Seed of the folds and of the candidates.
    stream : file-like or None, default=None
        Where progress lines go; None means nowhere.

    Returns
    -------
    rows : list of dict
        ``model``, ``score_mean``, ``score_std``, ``fit_time`` and ``predict_time``
        (means over folds, in seconds), sorted by ``score_mean``, best first.
    """
    scoring = scoring or DEFAULT_SCORING[task]
    splitter = StratifiedKFold if task != "regression" else KFold
    folds = splitter(n_splits=cv, shuffle=True, random_state=random_state)
    with tempfile.TemporaryDirectory(prefix="mmsk-compare-") as cache:
        models = _select(
            candidate_models(task, memory=cache, random_state=random_state), candidates, task
        )
        rows = [
            _cross_validate(name, model, X, y, folds, scoring, f"[{i}/{len(models)}]", stream)
            for i, (name, model) in enumerate(models.items(), start=1)
        ]
    return sorted(rows, key=lambda row: -np.nan_to_num(row["score_mean"], nan=-np.inf))


def _select(models, names, task):
    if not names:
        names = default_candidates(models, task)
    unknown = [name for name in names if name not in models]
    if unknown:
        raise CommandError(
            f"unknown fusion candidates {unknown}; available here: {', '.join(models)}"
        )
    return {name: models[name] for name in names}


def _cross_validate(name, model, X, y, folds, scoring, counter, stream):
    _say(stream, f"{counter} {name} ...")
    result = cross_validate(model, X, y, cv=folds, scoring=scoring, error_score=np.nan)
    row = {
        "model": name,
        "score_mean": float(np.mean(result["test_score"])),
        "score_std": float(np.std(result["test_score"])),
        "fit_time": float(np.mean(result["fit_time"])),
        "predict_time": float(np.mean(result["score_time"])),
    }
    _say(stream, f"{counter} {name}: {row['score_mean']:.4f} ± {row['score_std']:.4f}")
    return row


def _say(stream, text):
    if stream is not None:
        print(text, file=stream, flush=True)


def format_leaderboard(rows, scoring):
    """The leaderboard as an aligned text table."""
    header = f"{'model':<18} {scoring:>18} {'fit s':>8} {'predict s':>10}"
    lines = [header, "-" * len(header)]
    for row in rows:
        score = f"{row['score_mean']:.4f} ± {row['score_std']:.4f}"
        lines.append(
            f"{row['model']:<18} {score:>18} {row['fit_time']:>8.2f} {row['predict_time']:>10.2f}"
        )
    return "\n".join(lines)


def plot_leaderboard(rows, scoring, path):
    """Save a horizontal bar chart of the leaderboard (mean score with its spread)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ordered = rows[::-1]
    figure, ax = plt.subplots(figsize=(7, 0.45 * len(rows) + 1.2))
    ax.barh(
        [row["model"] for row in ordered],
        [row["score_mean"] for row in ordered],
        xerr=[row["score_std"] for row in ordered],
        color="#4C72B0",
        capsize=3,
    )
    low = min(row["score_mean"] - row["score_std"] for row in rows)
    high = max(row["score_mean"] + row["score_std"] for row in rows)
    margin = max((high - low) * 0.15, 0.005)
    ax.set_xlim(low - margin, high + margin)
    ax.set_xlabel(f"{scoring} (cross-validated mean ± std)")
    ax.set_title("mmsk compare: fusion leaderboard")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def read_csv(path):
    """Read a CSV file; a missing or unreadable file is a :class:`CommandError`.

    Image paths relative to the file's folder are made absolute, so a CSV and its
    images can be used from any working directory.
    """
    try:
        return anchor_image_paths(pd.read_csv(path), Path(path).resolve().parent)
    except FileNotFoundError:
        raise CommandError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise CommandError(f"cannot read {path} as CSV: {_first_line(error)}") from None


def read_table(path, target):
    """Read a CSV and split off the target column, with one-line errors."""
    frame = read_csv(path)
    if target not in frame.columns:
        raise CommandError(
            f"target column {target!r} is not in {path}; its columns are {list(frame.columns)}"
        )
    y = frame.pop(target)
    if y.isna().any():
        kept = y.notna().to_numpy()
        print(f"note: dropping {int((~kept).sum())} rows whose target is missing", file=sys.stderr)
        frame, y = frame[kept].reset_index(drop=True), y[kept].reset_index(drop=True)
    return frame, y


def _first_line(error):
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


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
    task = infer_task(y) if args.task == "auto" else args.task
    if task != "regression" and pd.Series(y).nunique() < 2:
        raise CommandError(f"the target has a single value ({pd.Series(y).iloc[0]!r})")
    return task


def run_compare(args):
    """``mmsk compare``."""
    X, y = _load_data(args)
    task = _task(args, y)
    if args.output and find_spec("matplotlib") is None:
        raise CommandError('--output draws charts and needs matplotlib: pip install "mmsk[plot]"')
    scoring = args.scoring or DEFAULT_SCORING[task]
    print(f"Task: {task}; scoring: {scoring}; {args.cv}-fold cross-validation\n")
    start = time.perf_counter()
    rows = compare(
        X, y, task, candidates=args.fusions, cv=args.cv, scoring=scoring, stream=sys.stdout
    )
    print()
    print(format_leaderboard(rows, scoring))
    print(
        "\nLate, Bayesian and MRF candidates share cached per-modality fits within each "
        "fold, so after the first\nof them the fit time shows mostly the combining step."
    )
    print(f"Total time: {time.perf_counter() - start:.1f} s")
    if args.output:
        _write_outputs(Path(args.output), rows, scoring, task, X, y, args)
    return 0


def _write_outputs(folder, rows, scoring, task, X, y, args):
    folder.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows)
    frame.to_csv(folder / "leaderboard.csv", index=False)
    summary = {"task": task, "scoring": scoring, "cv": args.cv, "leaderboard": rows}
    (folder / "leaderboard.json").write_text(json.dumps(summary, indent=2) + "\n")
    plot_leaderboard(rows, scoring, folder / "leaderboard.png")
    best = rows[0]["model"]
    print(f"Refitting the best model ({best}) on all rows ...")
    template = candidate_models(task)[best]
    model = clone(template).fit(X, y)
    joblib.dump(model, folder / "best_model.joblib")
    print("Measuring modality importance on a held-out quarter of the rows ...")
    _plot_importance(template, task, X, y, scoring, folder / "modality_importance.png")
    print(
        f"Wrote leaderboard.csv, leaderboard.json, leaderboard.png, best_model.joblib and "
        f"modality_importance.png to {folder}"
    )


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
    display.figure_.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(display.figure_)


def run_fit(args):
    """``mmsk fit``."""
    X, y = read_table(args.data, args.target)
    task = _task(args, y)
    models = candidate_models(task)
    if args.fusion not in models:
        raise CommandError(
            f"unknown --fusion {args.fusion!r}; available here: {', '.join(models)}"
        )
    start = time.perf_counter()
    model = clone(models[args.fusion]).fit(X, y)
    joblib.dump(model, args.output)
    print(
        f"Fitted {args.fusion} ({task}) on {len(X)} rows in {time.perf_counter() - start:.1f} s; "
        f"saved to {args.output}"
    )
    return 0


def run_predict(args):
    """``mmsk predict``."""
    try:
        model = joblib.load(args.model)
    except FileNotFoundError:
        raise CommandError(f"no such model file: {args.model}") from None
    except Exception as error:  # an unreadable pickle fails in many ways
        raise CommandError(
            f"cannot load a model from {args.model}: {_first_line(error)}"
        ) from None
    if not hasattr(model, "predict") or not hasattr(model, "feature_names_in_"):
        raise CommandError(f"{args.model} does not hold an mmsk model fitted on a table")
    X = _read_features(args.data, model)
    predictions = pd.DataFrame({"prediction": model.predict(X)})
    if is_classifier(model) and hasattr(model, "predict_proba"):
        probabilities = model.predict_proba(X)
        for i, label in enumerate(model.classes_):
            predictions[f"proba_{label}"] = probabilities[:, i]
    predictions.to_csv(args.output, index=False)
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
    """``mmsk retrieve``."""
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
        for rank, (distance, index) in enumerate(zip(row_distances, row_indices), start=1):
            cells = "  ".join(_shorten(table.iloc[index][column]) for column in shown)
            print(f"{rank:>3}. row {index:<6} similarity {1 - distance:.3f}  {cells}")
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
            "Cross-validate early fusion, every late-fusion rule and, when the extras "
            "are installed, Bayesian-network fusion, on the same folds. Without DATA, "
            "runs on a bundled demo: the women's clothing reviews (target 'Recommended "
            "IND'), or with --demo posters the poster listings (images, descriptions and "
            "prices; target 'sold'). Image paths in DATA may be relative to its folder."
        ),
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
        "--fusions",
        nargs="+",
        metavar="NAME",
        help=(
            "candidates to compare, e.g. early late-stacking neural-gated (default: all "
            "available, with neural-concat as the only neural one)"
        ),
    )
    compare_command.add_argument(
        "--scoring", help="scikit-learn scorer name (default: roc_auc, accuracy or r2)"
    )
    compare_command.add_argument(
        "--output",
        metavar="DIR",
        help="write leaderboard.{json,csv,png}, best_model.joblib and modality_importance.png",
    )
    compare_command.set_defaults(handler=run_compare)


def _add_fit(commands):
    fit_command = commands.add_parser("fit", help="fit one fusion model and save it")
    fit_command.add_argument("data", metavar="DATA.csv", help="input CSV")
    fit_command.add_argument("--target", required=True, help="target column")
    _add_task_options(fit_command)
    fit_command.add_argument(
        "--fusion",
        default="late-stacking",
        help="candidate name as listed by 'mmsk compare' (default: late-stacking)",
    )
    fit_command.add_argument("-o", "--output", required=True, metavar="MODEL", help="model file")
    fit_command.set_defaults(handler=run_fit)


def _add_predict(commands):
    predict_command = commands.add_parser("predict", help="predict with a saved model")
    predict_command.add_argument("model", metavar="MODEL", help="file written by 'mmsk fit'")
    predict_command.add_argument("data", metavar="DATA.csv", help="input CSV")
    predict_command.add_argument(
        "-o", "--output", required=True, metavar="PREDICTIONS.csv", help="output CSV"
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


def main(argv=None):
    """Run the ``mmsk`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except CommandError as error:
        print(f"mmsk {args.command}: error: {error}", file=sys.stderr)
        return 2
    except (ValueError, TypeError) as error:
        print(f"mmsk {args.command}: error: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
