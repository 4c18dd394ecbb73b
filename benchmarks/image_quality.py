"""Quality of the image modality: backends, raw-pixel pipelines and fusion families.

Four classification tasks that need no download:

- ``lfw_faces``: :func:`skimage.data.lfw_subset`, 200 grey 25x25 crops, the first 100
  faces and the other 100 non-faces (binary).
- ``digits``: :func:`sklearn.datasets.load_digits`, 1,797 grey 8x8 images of the ten
  digits, as uint8 arrays scaled from 0-16 to 0-255.
- ``posters``: :func:`mmsk.datasets.load_poster_listings`, 400 listings with a 48x48
  photo thumbnail (PNG file), a description and three tabular columns; target
  ``sold``.
- ``synthetic``: :func:`mmsk.datasets.make_multimodal_classification` with 1,500 rows,
  32x32 images, captions, four numeric, two categorical and one text column, and the
  class signal split so that each modality alone is weak (see ``SYNTHETIC``).

On every task: :class:`~mmsk.ImageEmbedder` with each backend (``"cnn"``: the pooled
EfficientNet-Lite0 features; ``"classical"``: the 271 NumPy descriptors) followed by
``StandardScaler`` and ``LogisticRegression(C=0.05)`` (the image estimator late fusion
uses by default), next to scikit-learn pipelines written here on the raw pixels
(flattened, scaled to [0, 1], ``StandardScaler`` then ``LogisticRegression`` or an RBF
``SVC``) and a ``NeuralFusionClassifier`` whose image modality is
``ImageArrays`` pixels read by the trainable ``"cnn"`` encoder. On the image-only tasks
also ``EarlyFusionClassifier()`` with its ``"auto"`` spec (one image modality). On the
multimodal tasks (posters, synthetic): each single modality alone (image as above, text
as ``TextVectorizer`` + ``LogisticRegression(C=3)``, tabular as ``TabularEncoder`` +
``HistGradientBoostingClassifier`` or ``LogisticRegression``), and every fusion family
with its defaults and ``modalities="auto"`` (tabular, text and image detected):
early, late, Bayesian-network, Markov-random-field and neural fusion, plus neural
fusion with ``ImageArrays`` + ``"cnn"`` for the image. The report says whether each
family beats the best single modality.

Evaluation: stratified 5-fold cross-validation (``shuffle=True, random_state=0``) on
``lfw_faces``, ``digits`` and ``posters``; one stratified 70/30 split
(``random_state=0``) on ``synthetic``. The score is accuracy (mean and standard
deviation over the folds), with ROC AUC beside it on the binary tasks.

The CNN backend runs at ``image_size=96`` (``--image-size``; 224 is its training
size) in every model that uses it, the ``"auto"`` specs included (set through
``image__image_size``): the images of these tasks are 8 to 48 pixels a side, and the
network costs about five times less at 96 pixels. The ``ImageArrays`` + ``"cnn"``
models train with ``batch_size=64`` (the default 256 would give a 160-row training
fold one optimizer step per epoch) on pixels at about the images' own size (24, 8, 32
and 32 pixels); everything else keeps its defaults. ImageEmbedder keeps the features
of every image it has described in memory, keyed by content, so each image passes
through the network once per process: the script describes every task's images once
before the models (timed and reported as *features*), and the fit times of the
models then exclude the CNN. Fit times are wall seconds, the median over folds.

Run from the repository root with one BLAS/OpenMP thread (on a busy 2-core machine
``HistGradientBoosting`` with two OpenMP threads is several times slower)::

    OMP_NUM_THREADS=1 python benchmarks/image_quality.py --threads 1
    python benchmarks/image_quality.py --tasks lfw_faces,posters

Writes ``benchmarks/results/image_quality.json`` and ``image_quality.md``.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import torch
from PIL import Image
from skimage import data as skimage_data
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC

from mmsk import (
    BayesianNetworkFusionClassifier,
    EarlyFusionClassifier,
    ImageArrays,
    ImageEmbedder,
    KindSelector,
    LateFusionClassifier,
    MarkovRandomFieldFusionClassifier,
    NeuralFusionClassifier,
    TabularEncoder,
    TextVectorizer,
)
from mmsk.datasets import load_poster_listings, make_multimodal_classification

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TASKS = ("lfw_faces", "digits", "posters", "synthetic")
CNN_IMAGE_SIZE = 96
NEURAL_BATCH_SIZE = 64
SEED = 0
#: The synthetic task: every modality carries a weak share of the class.
SYNTHETIC = {
    "n_samples": 1500,
    "image": True,
    "caption": True,
    "image_signal": "all",
    "signal": {
        "numeric": 0.2,
        "categorical": 0.2,
        "text": 0.15,
        "caption": 0.15,
        "image": 0.25,
    },
    "missing_rate": {"image": 0.05, "text": 0.05},
    "random_state": SEED,
}


# --------------------------------------------------------------------------- tasks


def lfw_faces():
    images = skimage_data.lfw_subset()
    cells = [np.rint(image * 255).astype(np.uint8) for image in images]
    y = np.where(np.arange(len(cells)) < 100, "face", "non-face")
    return {
        "X": pd.DataFrame({"image": cells}),
        "y": y,
        "modalities": {"image": ["image"]},
        "pixel_side": 25,
        "arrays_side": 24,
        "evaluation": "cv",
        "about": "200 grey 25x25 crops, 100 faces and 100 non-faces",
    }


def digits():
    bunch = load_digits()
    cells = [np.rint(image * 255 / 16).astype(np.uint8) for image in bunch.images]
    return {
        "X": pd.DataFrame({"image": cells}),
        "y": bunch.target,
        "modalities": {"image": ["image"]},
        "pixel_side": 8,
        "arrays_side": 8,
        "evaluation": "cv",
        "about": "1,797 grey 8x8 images of the digits 0-9",
    }


def posters():
    bunch = load_poster_listings()
    return {
        "X": bunch.data,
        "y": bunch.target.to_numpy(),
        "modalities": dict(bunch.modalities),
        "pixel_side": 48,
        "arrays_side": 32,
        "evaluation": "cv",
        "about": "400 listings: a 48x48 photo thumbnail (PNG), a description, price, "
        "seller rating and paper size; target `sold`",
    }


def synthetic():
    bunch = make_multimodal_classification(**SYNTHETIC, return_X_y=False)
    groups = dict(bunch.modalities)
    # The "auto" specs put every text column into one "text" modality; so does this.
    modalities = {
        "image": groups["image"],
        "text": groups["text"] + groups["caption"],
        "tabular": groups["tabular"],
    }
    return {
        "X": bunch.data,
        "y": bunch.target,
        "modalities": modalities,
        "pixel_side": 32,
        "arrays_side": 32,
        "evaluation": "split",
        "about": "1,500 rows: 32x32 striped-disc images, a caption, a text and six "
        f"tabular columns; signal {SYNTHETIC['signal']}, missing "
        f"{SYNTHETIC['missing_rate']}",
    }


LOADERS = {"lfw_faces": lfw_faces, "digits": digits, "posters": posters, "synthetic": synthetic}


# --------------------------------------------------------------------------- models


def raw_pixels(frame, side):
    """Flattened pixels of the one image column of ``frame``, resized to ``side``, in [0, 1].

    Grey cells stay grey (one channel), colour cells and files give three channels;
    a missing cell gives zeros.
    """
    rows = []
    for cell in frame.iloc[:, 0].tolist():
        rows.append(_cell_pixels(cell, side))
    width = max(len(row) for row in rows if row is not None)
    return np.vstack([np.zeros(width) if row is None else row for row in rows])


def _cell_pixels(cell, side):
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return None
    if isinstance(cell, np.ndarray):
        image = Image.fromarray(cell)
    else:
        with Image.open(cell) as opened:
            image = opened.convert("RGB")
    if image.size != (side, side):
        image = image.resize((side, side), Image.BILINEAR)
    return np.asarray(image, dtype=np.float64).ravel() / 255.0


def image_models(task, image_size):
    """The models of the image column alone."""
    columns = task["modalities"]["image"]

    def on_image(*steps):
        select = ColumnTransformer([("image", steps[0], columns)])
        return make_pipeline(select, *steps[1:])

    def embedder(backend):
        return ImageEmbedder(backend=backend, image_size=image_size, show_progress=False)

    def pixels():
        return FunctionTransformer(raw_pixels, kw_args={"side": task["pixel_side"]})

    side = task["arrays_side"]
    neural = NeuralFusionClassifier(
        modalities=[("image", ImageArrays(image_size=side), columns)],
        batch_size=NEURAL_BATCH_SIZE,
        random_state=SEED,
    )
    return {
        "image: ImageEmbedder(cnn) + LogisticRegression": on_image(
            embedder("cnn"), StandardScaler(), LogisticRegression(C=0.05, max_iter=2000)
        ),
        "image: ImageEmbedder(classical) + LogisticRegression": on_image(
            embedder("classical"), StandardScaler(), LogisticRegression(C=0.05, max_iter=2000)
        ),
        "image: raw pixels + StandardScaler + LogisticRegression (hand-built)": on_image(
            pixels(), StandardScaler(), LogisticRegression(max_iter=2000)
        ),
        "image: raw pixels + StandardScaler + SVC (hand-built)": on_image(
            pixels(), StandardScaler(), SVC()
        ),
        f"image: NeuralFusionClassifier, ImageArrays({side}) + cnn encoder": neural,
    }


def single_modality_models(task):
    """Text alone and tabular alone (multimodal tasks)."""
    text, tabular = task["modalities"]["text"], task["modalities"]["tabular"]
    return {
        "text: TextVectorizer + LogisticRegression": make_pipeline(
            ColumnTransformer([("text", TextVectorizer(), text)]),
            LogisticRegression(C=3.0, max_iter=1000),
        ),
        "tabular: TabularEncoder + HistGradientBoosting": make_pipeline(
            ColumnTransformer([("tabular", TabularEncoder(), tabular)]),
            HistGradientBoostingClassifier(random_state=SEED),
        ),
        "tabular: TabularEncoder + LogisticRegression": make_pipeline(
            ColumnTransformer([("tabular", TabularEncoder(), tabular)]),
            LogisticRegression(max_iter=1000),
        ),
    }


def fusion_models(task, image_size):
    """Every fusion family with its defaults and ``modalities="auto"``."""
    models = {
        "EarlyFusionClassifier()": EarlyFusionClassifier(),
        "LateFusionClassifier()": LateFusionClassifier(random_state=SEED),
        "BayesianNetworkFusionClassifier()": BayesianNetworkFusionClassifier(random_state=SEED),
        "MarkovRandomFieldFusionClassifier()": MarkovRandomFieldFusionClassifier(
            random_state=SEED
        ),
        "NeuralFusionClassifier()": NeuralFusionClassifier(random_state=SEED),
    }
    for model in models.values():
        model.set_params(image__image_size=image_size)
    side = task["arrays_side"]
    models[f"NeuralFusionClassifier(), image as ImageArrays({side}) + cnn encoder"] = (
        NeuralFusionClassifier(
            modalities=[
                ("tabular", "auto", KindSelector("numeric", "categorical")),
                ("text", "auto", KindSelector("text")),
                ("image", ImageArrays(image_size=side), KindSelector("image")),
            ],
            batch_size=NEURAL_BATCH_SIZE,
            random_state=SEED,
        )
    )
    return models


def task_models(name, task, image_size):
    """(group, label, model) for every model of a task."""
    rows = [("image", label, model) for label, model in image_models(task, image_size).items()]
    if set(task["modalities"]) == {"image"}:
        auto = EarlyFusionClassifier().set_params(image__image_size=image_size)
        rows.append(("fusion", "EarlyFusionClassifier() (auto: one image modality)", auto))
        return rows
    rows += [("single", label, model) for label, model in single_modality_models(task).items()]
    rows += [("fusion", label, model) for label, model in fusion_models(task, image_size).items()]
    return rows


# --------------------------------------------------------------------------- evaluation


def splits(task):
    X, y = task["X"], task["y"]
    if task["evaluation"] == "cv":
        return list(StratifiedKFold(5, shuffle=True, random_state=SEED).split(X, y))
    train, test = train_test_split(np.arange(len(y)), test_size=0.3, stratify=y, random_state=SEED)
    return [(train, test)]


def evaluate(model, task, folds):
    """Accuracy (and ROC AUC on binary tasks) and fit time on every fold."""
    X, y = task["X"], task["y"]
    binary = len(np.unique(y)) == 2
    accuracies, aucs, fit_times = [], [], []
    for train, test in folds:
        fitted = clone(model)
        started = time.perf_counter()
        fitted.fit(X.iloc[train], y[train])
        fit_times.append(time.perf_counter() - started)
        X_test = X.iloc[test]
        accuracies.append(accuracy_score(y[test], fitted.predict(X_test)))
        if binary and hasattr(fitted, "predict_proba"):
            positive = list(fitted.classes_).index(np.unique(y)[1])
            aucs.append(
                roc_auc_score(
                    y[test] == np.unique(y)[1], fitted.predict_proba(X_test)[:, positive]
                )
            )
    return {
        "accuracy": float(np.mean(accuracies)),
        "accuracy_std": float(np.std(accuracies)),
        "accuracy_folds": [float(a) for a in accuracies],
        "roc_auc": float(np.mean(aucs)) if aucs else None,
        "fit_seconds": statistics.median(fit_times),
        "fit_seconds_folds": fit_times,
    }


def describe_images(task, image_size):
    """Describe every image once with each backend (fills the in-process caches)."""
    columns = task["modalities"]["image"]
    seconds = {}
    for backend in ("cnn", "classical"):
        embedder = ImageEmbedder(backend=backend, image_size=image_size, show_progress=False)
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            embedder.fit_transform(task["X"][columns])
        seconds[backend] = time.perf_counter() - started
    return seconds


def run_task(name, image_size):
    task = LOADERS[name]()
    folds = splits(task)
    print(f"{name}: {len(task['y'])} rows, {len(folds)} fold(s)", flush=True)
    feature_seconds = describe_images(task, image_size)
    print(f"  features: {feature_seconds}", flush=True)
    rows = []
    for group, label, model in task_models(name, task, image_size):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                result = evaluate(model, task, folds)
        except Exception as error:  # noqa: BLE001 - a failure is a result too
            result = {"error": f"{type(error).__name__}: {error}"}
        rows.append({"group": group, "model": label, **result})
        shown = result.get("accuracy", result.get("error"))
        print(f"  {label}: {shown}  ({result.get('fit_seconds', 0):.1f} s)", flush=True)
    return {
        "task": name,
        "about": task["about"],
        "n_rows": int(len(task["y"])),
        "n_classes": int(len(np.unique(task["y"]))),
        "evaluation": "stratified 5-fold CV"
        if task["evaluation"] == "cv"
        else "stratified 70/30 split",
        "feature_seconds": feature_seconds,
        "rows": rows,
        "verdict": verdict(rows),
    }


def verdict(rows):
    """Best single modality (image models count as the image modality) and fusion gains."""
    scored = [row for row in rows if "accuracy" in row]
    singles = [row for row in scored if row["group"] in ("image", "single")]
    fusions = [row for row in scored if row["group"] == "fusion"]
    if not singles or not fusions or not any(row["group"] == "single" for row in scored):
        return None
    best = max(singles, key=lambda row: row["accuracy"])
    return {
        "best_single": best["model"],
        "best_single_accuracy": best["accuracy"],
        "fusion_gains": {row["model"]: row["accuracy"] - best["accuracy"] for row in fusions},
        "beaten_by": [row["model"] for row in fusions if row["accuracy"] > best["accuracy"]],
    }


# --------------------------------------------------------------------------- report


def machine_info():
    return {
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average_at_start": os.getloadavg()[0],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def markdown(report):
    machine = report["machine"]
    lines = [
        "# Image modality: backends, raw pixels and fusion families",
        "",
        f"Accuracy (mean ± std over folds; ROC AUC beside it on binary tasks) and median "
        f"fit time. The CNN backend runs at image_size={report['image_size']} everywhere. "
        "Each task's images were described once by each backend before the models ran "
        "(*features* below); the fit times then exclude that, because ImageEmbedder "
        "caches features per content within the process.",
        "",
        f"Machine: {machine['cpu_count']} CPUs, torch threads {machine['torch_threads']}, "
        f"load average {machine['load_average_at_start']:.1f} at start and "
        f"{machine['load_average_at_end']:.1f} at end (shared machine), Python "
        f"{machine['python']}, torch {machine['torch']}, scikit-learn {machine['sklearn']}, "
        f"{machine['date']}; {report['seconds']:.0f} s in all.",
    ]
    for task in report["tasks"]:
        features = task["feature_seconds"]
        lines += [
            "",
            f"## {task['task']} ({task['n_classes']} classes, {task['n_rows']} rows; "
            f"{task['evaluation']})",
            "",
            f"{task['about']}. Features of all images: cnn {features['cnn']:.1f} s, "
            f"classical {features['classical']:.1f} s.",
            "",
            "| model | accuracy | ROC AUC | fit time |",
            "|---|---|---|---|",
        ]
        for row in task["rows"]:
            if "error" in row:
                lines.append(f"| {row['model']} | failed: {row['error'][:120]} | | |")
                continue
            auc = f"{row['roc_auc']:.4f}" if row["roc_auc"] is not None else ""
            spread = f" ± {row['accuracy_std']:.4f}" if len(row["accuracy_folds"]) > 1 else ""
            lines.append(
                f"| {row['model']} | {row['accuracy']:.4f}{spread} | "
                f"{auc} | {row['fit_seconds']:.2f} s |"
            )
        outcome = task["verdict"]
        if outcome:
            beaten = len(outcome["beaten_by"])
            total = len(outcome["fusion_gains"])
            lines += [
                "",
                f"Best single modality: {outcome['best_single']} "
                f"({outcome['best_single_accuracy']:.4f}). {beaten} of {total} fusion "
                "models beat it: "
                + ", ".join(
                    f"{model} {gain:+.4f}" for model, gain in outcome["fusion_gains"].items()
                )
                + ".",
            ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=",".join(TASKS), help="comma-separated task names")
    parser.add_argument("--image-size", type=int, default=CNN_IMAGE_SIZE)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--output-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    names = [name.strip() for name in args.tasks.split(",") if name.strip()]
    unknown = sorted(set(names) - set(TASKS))
    if unknown:
        raise SystemExit(f"unknown tasks {unknown}; choose among {list(TASKS)}")

    machine = machine_info()
    started = time.perf_counter()
    tasks = [run_task(name, args.image_size) for name in names]
    machine["load_average_at_end"] = os.getloadavg()[0]
    report = {
        "arguments": {**vars(args), "output_dir": str(args.output_dir)},
        "image_size": args.image_size,
        "synthetic": SYNTHETIC,
        "machine": machine,
        "tasks": tasks,
        "seconds": time.perf_counter() - started,
    }
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "image_quality.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.output_dir / "image_quality.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
