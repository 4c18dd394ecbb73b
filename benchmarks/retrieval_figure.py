"""Recall@k curves of cross-modal retrieval on the bundled clothing reviews (docs picture).

The rows of :func:`mmsk.datasets.load_clothing_reviews` whose ``Title`` and ``Review
Text`` are both set are split once (seed 0): ``--test`` of them (default 500) are held
out, the others (at most ``--train``) train the retrievers. Each held-out title is
ranked against the 500 held-out reviews, and the recall@k of the true review is drawn
for k = 1..50, for:

- the mmsk methods ``cca``, ``pls`` and ``contrastive`` (left out unless
  ``--skip`` is given without names: about two minutes more on 2 cores; it needs
  torch and skorch): ``CrossModalRetriever(query="Title", target="Review Text",
  ...)`` on the TF-IDF of each column (the default text modality);
- ``cca-embeddings``: the same CCA on the all-MiniLM-L6-v2 sentence embeddings of
  each column (a :class:`mmsk.SentenceEmbedder` per modality), when the text extra is
  installed;
- ``ridge``: ``method="ridge"`` from the space both columns share, each column's
  sentence embedding next to a unit-norm hashed TF-IDF (the spec of
  ``benchmarks/retrieval.py``), its shrinkage chosen on held-out training pairs;
- ``tfidf-cosine``: cosine between the TF-IDF vectors of a title and a review, one
  ``TfidfVectorizer`` (word 1-2-grams, sublinear tf) fitted on both columns of the
  training rows;
- ``embedding-cosine``: cosine between the raw all-MiniLM-L6-v2 sentence embeddings
  (:class:`mmsk.SentenceEmbedder`) of the held-out titles and reviews, when the text
  extra is installed.

Run from the repository root::

    python benchmarks/retrieval_figure.py      # about 6 minutes on 2 CPU cores

Writes ``docs/images/retrieval_recall.png`` and prints the recall@1/5/10/50 of each curve.
"""

import argparse
import time
from importlib.util import find_spec
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from retrieval import shared_space_modality  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import normalize  # noqa: E402

from mmsk import CrossModalRetriever, SentenceEmbedder  # noqa: E402
from mmsk.datasets import load_clothing_reviews  # noqa: E402
from mmsk.metrics import recall_at_k  # noqa: E402

OUTPUT = Path(__file__).resolve().parents[1] / "docs" / "images" / "retrieval_recall.png"
QUERY, TARGET = "Title", "Review Text"
KS = np.arange(1, 51)
SENTENCE_SPEC = [
    ("title", SentenceEmbedder(device="cpu", show_progress=False), QUERY),
    ("review", SentenceEmbedder(device="cpu", show_progress=False), TARGET),
]
METHODS = {
    "cca-embeddings": {
        "modalities": SENTENCE_SPEC,
        "query": "title",
        "target": "review",
        "method": "cca",
        "n_components": 64,
        "regularization": 10.0,
    },
    "ridge": {
        "modalities": [
            shared_space_modality("title", QUERY),
            shared_space_modality("review", TARGET),
        ],
        "query": "title",
        "target": "review",
        "method": "ridge",
        "random_state": 0,
    },
    "cca": {"method": "cca", "n_components": 64, "regularization": 10.0},
    "pls": {"method": "pls", "n_components": 64},
    "contrastive": {
        "method": "contrastive",
        "n_components": 64,
        "max_epochs": 30,
        "lr": 2e-3,
        "temperature": 0.05,
        "random_state": 0,
        "device": "cpu",
    },
}


def paired_split(n_train, n_test):
    """The paired rows of the clothing reviews, split into train and held-out parts."""
    X = load_clothing_reviews(return_X_y=True)[0][[QUERY, TARGET]]
    both = X[QUERY].notna() & X[TARGET].notna()
    both &= X[QUERY].str.strip().ne("") & X[TARGET].str.strip().ne("")
    pairs = X[both].reset_index(drop=True)
    train, test = train_test_split(pairs, test_size=n_test, random_state=0)
    return train.head(n_train), test


def retriever_similarities(params, train, test):
    params = {"query": QUERY, "target": TARGET, **params}
    retriever = CrossModalRetriever(**params).fit(train)
    return retriever.paired_similarities(test)


def tfidf_similarities(train, test):
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    vectorizer.fit(pd.concat([train[QUERY], train[TARGET]]))
    queries = normalize(vectorizer.transform(test[QUERY]))
    targets = normalize(vectorizer.transform(test[TARGET]))
    return (queries @ targets.T).toarray()


def embedding_similarities(train, test):
    embedder = SentenceEmbedder(device="cpu", show_progress=False)
    queries = embedder.fit_transform(test[[QUERY]].set_axis(["text"], axis=1))
    targets = embedder.transform(test[[TARGET]].set_axis(["text"], axis=1))
    return queries @ targets.T


def curves(train, test, skip):
    """The recall@k curve of each available method, with its fit-and-score time."""
    candidates = {name: (retriever_similarities, params) for name, params in METHODS.items()}
    candidates["tfidf-cosine"] = (tfidf_similarities, None)
    candidates["embedding-cosine"] = (embedding_similarities, None)
    available = {
        "contrastive": find_spec("torch") is not None and find_spec("skorch") is not None,
        "embedding-cosine": find_spec("sentence_transformers") is not None,
        "cca-embeddings": find_spec("sentence_transformers") is not None,
        "ridge": find_spec("sentence_transformers") is not None,
    }
    results = {}
    for name, (function, params) in candidates.items():
        if name in skip or not available.get(name, True):
            print(f"{name:>17}: skipped")
            continue
        start = time.perf_counter()
        args = (train, test) if params is None else (params, train, test)
        similarities = function(*args)
        seconds = time.perf_counter() - start
        results[name] = np.array([recall_at_k(similarities, k=int(k)) for k in KS])
        shown = "  ".join(f"R@{k}={results[name][k - 1]:.3f}" for k in (1, 5, 10, 50))
        print(f"{name:>17}: {shown}  ({seconds:.1f} s)")
    return results


def draw(results, n_train, n_test, path):
    styles = {"tfidf-cosine": ":", "embedding-cosine": "--"}
    figure, axis = plt.subplots(figsize=(7, 4.5))
    for name, recall in results.items():
        axis.plot(KS, recall, styles.get(name, "-"), linewidth=2, label=name)
    axis.plot(KS, KS / n_test, color="grey", linewidth=1, label="chance")
    axis.set_xlabel("k")
    axis.set_ylabel(f"recall@k (true review among the top k of {n_test})")
    axis.set_xlim(1, KS[-1])
    axis.set_ylim(0, 1)
    axis.grid(alpha=0.3)
    axis.set_title(
        f"Title -> Review Text, clothing reviews: {n_train} training pairs, {n_test} held out"
    )
    axis.legend(loc="upper left")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=2500, help="most training pairs")
    parser.add_argument("--test", type=int, default=500, help="held-out pairs")
    parser.add_argument(
        "--skip",
        nargs="*",
        default=["contrastive"],
        help="curves to leave out (default: contrastive, the slowest; --skip with no "
        "name draws every curve)",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the picture")
    args = parser.parse_args(argv)
    train, test = paired_split(args.train, args.test)
    results = curves(train, test, set(args.skip))
    draw(results, len(train), len(test), args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
