"""Two targets of the clothing reviews learned jointly, against one model per target.

The women's clothing reviews hold two targets: ``Recommended IND`` (binary, the
``clothing_recommend`` task's target, scored by ROC AUC) and ``Rating`` (1-5 stars,
which the task drops; scored here as a regression by R^2 and as five classes by
accuracy). On the official split of ``clothing_recommend`` (both targets removed from
X), each model learns both targets at once and is compared with two single-target models
of the same kind, score by score, with the total fit time of each side:

- per-target families (early, late, MRF fusion): a 2-D ``y`` (Rating as five classes),
  one model per target sharing the per-modality work through the memory cache;
- neural fusion: ``NeuralFusionClassifier`` on the 2-D ``y`` (one network, one head per
  target) and ``NeuralFusionMultiTask`` with Rating as a regression target and
  Recommended IND as a class target, against a single-target classifier and regressor.

Run from the repository root: ``python benchmarks/multitask.py``. Writes
``benchmarks/results/multitask.json`` and ``.md``.
"""

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

import pandas as pd
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tasks import DATA_DIR  # noqa: E402

import mmsk  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
RECOMMEND, RATING = "Recommended IND", "Rating"


def load_split():
    """The clothing_recommend split with both targets, removed from X."""
    from sklearn.model_selection import train_test_split

    spec = json.loads((DATA_DIR / "tasks.json").read_text())["clothing_recommend"]
    frame = pd.read_csv(DATA_DIR / spec["file"])
    Y = frame[[RATING, RECOMMEND]]
    X = frame.drop(columns=[RATING, RECOMMEND])
    return train_test_split(X, Y, test_size=0.2, random_state=0, stratify=Y[RECOMMEND])


def timed_fit(model, X, y):
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start


def scores_of(rating_pred, recommend_proba, Y_test, rating_as):
    rating = Y_test[RATING].to_numpy()
    scores = {"recommend_roc_auc": roc_auc_score(Y_test[RECOMMEND], recommend_proba)}
    if rating_as == "classes":
        scores["rating_accuracy"] = accuracy_score(rating, rating_pred.astype(int))
    else:
        scores["rating_r2"] = r2_score(rating, rating_pred.astype(float))
    return scores


def per_target_family(name, make, X_train, X_test, Y_train, Y_test):
    joint = make()
    joint_seconds = timed_fit(joint, X_train, Y_train)
    joint_scores = scores_of(
        joint.predict(X_test)[:, 0], joint.predict_proba(X_test)[1][:, 1], Y_test, "classes"
    )
    rating, recommend = make(), make()
    single_seconds = timed_fit(rating, X_train, Y_train[RATING]) + timed_fit(
        recommend, X_train, Y_train[RECOMMEND]
    )
    single_scores = scores_of(
        rating.predict(X_test), recommend.predict_proba(X_test)[:, 1], Y_test, "classes"
    )
    return _row(name, joint_scores, joint_seconds, single_scores, single_seconds)


def neural_rows(X_train, X_test, Y_train, Y_test, params):
    rows = []
    joint = mmsk.NeuralFusionClassifier(**params)
    seconds = timed_fit(joint, X_train, Y_train)
    joint_scores = scores_of(
        joint.predict(X_test)[:, 0], joint.predict_proba(X_test)[1][:, 1], Y_test, "classes"
    )
    rating = mmsk.NeuralFusionClassifier(**params)
    recommend = mmsk.NeuralFusionClassifier(**params)
    single_seconds = timed_fit(rating, X_train, Y_train[RATING])
    single_seconds += timed_fit(recommend, X_train, Y_train[RECOMMEND])
    recommend_proba = recommend.predict_proba(X_test)[:, 1]
    single_scores = scores_of(rating.predict(X_test), recommend_proba, Y_test, "classes")
    rows.append(
        _row("neural (2-D y, classes)", joint_scores, seconds, single_scores, single_seconds)
    )

    mixed = mmsk.NeuralFusionMultiTask(
        tasks={RATING: "regression", RECOMMEND: "classification"}, **params
    )
    seconds = timed_fit(mixed, X_train, Y_train)
    predicted = mixed.predict(X_test)
    mixed_scores = scores_of(
        predicted[RATING].to_numpy(),
        mixed.predict_proba(X_test)[RECOMMEND][:, 1],
        Y_test,
        "regression",
    )
    regressor = mmsk.NeuralFusionRegressor(**params)
    regressor_seconds = timed_fit(regressor, X_train, Y_train[RATING].astype(float))
    single_scores = scores_of(regressor.predict(X_test), recommend_proba, Y_test, "regression")
    rows.append(
        _row(
            "neural multi-task (Rating regression)",
            mixed_scores,
            seconds,
            single_scores,
            regressor_seconds + single_seconds / 2,
            note="single-target side: NeuralFusionRegressor on Rating plus the "
            "Recommended IND classifier above (its fit time counted once)",
        )
    )
    return rows


def _row(name, joint_scores, joint_seconds, single_scores, single_seconds, note=""):
    return {
        "model": name,
        "joint": {"scores": joint_scores, "fit_seconds": joint_seconds},
        "single": {"scores": single_scores, "fit_seconds": single_seconds},
        "note": note,
    }


def write_markdown(report, path):
    lines = [
        "# Two targets at once: Rating and Recommended IND of the clothing reviews",
        "",
        report["setup"],
        "",
        "| model | side | Recommended IND roc_auc | Rating | total fit s |",
        "|---|---|---:|---:|---:|",
    ]
    for row in report["rows"]:
        for side in ("joint", "single"):
            scores = row[side]["scores"]
            rating = (
                f"{scores['rating_accuracy']:.4f} (accuracy)"
                if "rating_accuracy" in scores
                else f"{scores['rating_r2']:.4f} (r2)"
            )
            label = "one model, both targets" if side == "joint" else "one model per target"
            lines.append(
                f"| {row['model']} | {label} | {scores['recommend_roc_auc']:.4f} | {rating} | "
                f"{row[side]['fit_seconds']:.1f} |"
            )
    notes = [f"- {row['model']}: {row['note']}" for row in report["rows"] if row["note"]]
    lines += ["", *notes, "", f"Whole benchmark: {report['seconds']:.0f} s.", ""]
    path.write_text("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--skip-neural", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    X_train, X_test, Y_train, Y_test = load_split()
    families = {
        "early": lambda: mmsk.EarlyFusionClassifier(),
        "late (stacking)": lambda: mmsk.LateFusionClassifier(fusion="stacking", random_state=0),
        "mrf (gaussian)": lambda: mmsk.MarkovRandomFieldFusionClassifier(random_state=0),
    }
    rows = []
    with threadpool_limits(limits=1):
        for name, make in families.items():
            rows.append(per_target_family(name, make, X_train, X_test, Y_train, Y_test))
            print(rows[-1], flush=True)
        if not args.skip_neural:
            import torch

            torch.set_num_threads(2)
            params = {"max_epochs": args.max_epochs, "random_state": 0, "device": "cpu"}
            rows.extend(neural_rows(X_train, X_test, Y_train, Y_test, params))
            print(rows[-2:], flush=True)
    report = {
        "setup": (
            f"clothing_recommend's official split ({len(X_train):,} training, "
            f"{len(X_test):,} test rows; both targets removed from X). Default estimators, "
            f"`random_state=0`; neural models {args.max_epochs} epochs on the CPU. "
            f"Machine: {os.cpu_count()} cores, load average at start "
            f"{os.getloadavg()[0]:.1f}; {datetime.datetime.now().isoformat(timespec='seconds')}."
        ),
        "rows": rows,
        "seconds": time.perf_counter() - start,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "multitask.json").write_text(json.dumps(report, indent=2, default=float))
    write_markdown(report, RESULTS / "multitask.md")
    print((RESULTS / "multitask.md").read_text())


if __name__ == "__main__":
    main()
