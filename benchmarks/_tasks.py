"""Load the benchmark tasks of ../shared/data/tasks.json with their fixed split."""

import json
from pathlib import Path

import pandas as pd
from sklearn.metrics import get_scorer
from sklearn.model_selection import train_test_split

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"


def load_task(name, data_dir=DATA_DIR):
    """Return ``(X_train, X_test, y_train, y_test, spec)`` for one task.

    The split is ``train_test_split(test_size=0.2, random_state=0)``, stratified on
    the target for classification, as the data README prescribes.
    """
    spec = json.loads((Path(data_dir) / "tasks.json").read_text())[name]
    frame = pd.read_csv(Path(data_dir) / spec["file"])
    y = frame.pop(spec["target"])
    X = frame.drop(columns=spec["drop"])
    stratify = y if spec["task"] != "regression" else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0, stratify=stratify
    )
    return X_train, X_test, y_train, y_test, spec


def task_names(data_dir=DATA_DIR):
    """Names of the tasks, in file order."""
    return list(json.loads((Path(data_dir) / "tasks.json").read_text()))


def score(estimator, X_test, y_test, spec):
    """The task's metric of a fitted estimator on the test part."""
    return get_scorer(spec["metric"])(estimator, X_test, y_test)
