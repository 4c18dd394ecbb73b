"""The picture of the image guide: poster predictions and modality importance.

A ``LateFusionClassifier`` with its defaults (``modalities="auto"``: the image,
description and tabular columns are detected; the image through
``ImageEmbedder(backend="cnn")``) is fitted on a stratified 75% of
:func:`mmsk.datasets.load_poster_listings` (``random_state=0``). The figure shows, on
the left, a grid of held-out poster thumbnails, each titled with the predicted class
and the true one (green when they agree, red when not), and on the right the
permutation importance of each modality on the held-out rows
(:class:`mmsk.inspection.ModalityImportanceDisplay`, 10 repeats), with the weights
late fusion learned written beside the bars.

Run from the repository root (about a minute on 2 cores, most of it the CNN)::

    python benchmarks/image_figure.py

Writes ``docs/images/image_predictions.png`` and prints the held-out accuracy and the
importances, which ``docs/images.md`` quotes.
"""

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from mmsk import LateFusionClassifier  # noqa: E402
from mmsk.datasets import load_poster_listings  # noqa: E402
from mmsk.inspection import ModalityImportanceDisplay  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "images" / "image_predictions.png"
GRID = (4, 6)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=224, help="ImageEmbedder size")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    bunch = load_poster_listings()
    X, y = bunch.data, bunch.target
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    model = LateFusionClassifier(random_state=0)
    model.set_params(image__image_size=args.image_size)
    model.fit(X_train, y_train)
    predicted = model.predict(X_test)
    accuracy = float(np.mean(predicted == y_test.to_numpy()))

    rows, columns = GRID
    figure = plt.figure(figsize=(13.5, 6.2), layout="constrained")
    left, right = figure.subfigures(1, 2, width_ratios=[1.45, 1])
    axes = left.subplots(rows, columns)
    names = bunch.target_names
    for ax, position in zip(axes.ravel(), range(rows * columns)):
        with Image.open(X_test["image"].iloc[position]) as image:
            ax.imshow(np.asarray(image.convert("RGB")))
        guess, truth = predicted[position], y_test.iloc[position]
        ax.set_title(
            f"pred: {names[guess]}\ntrue: {names[truth]}",
            fontsize=8.5,
            color="tab:green" if guess == truth else "tab:red",
        )
        ax.set_axis_off()
    left.suptitle(
        f"Held-out posters, LateFusionClassifier (accuracy {accuracy:.2f} on {len(y_test)} rows)",
        fontsize=11,
    )
    ax = right.subplots()
    display = ModalityImportanceDisplay.from_estimator(
        model, X_test, y_test, n_repeats=10, random_state=0, ax=ax
    )
    ax.set_title("Modality importance (held-out rows)", fontsize=11)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.output, dpi=110)
    frame = display.result.to_frame()
    summary = {
        "accuracy": accuracy,
        "n_test": int(len(y_test)),
        "weights": {name: float(w) for name, w in (model.weights_ or {}).items()},
        "importance": frame.to_dict(orient="records"),
        "output": str(args.output),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
