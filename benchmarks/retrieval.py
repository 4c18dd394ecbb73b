"""Cross-modal retrieval and transfer on the real paired text columns of the data folder.

Three pairs: clothing reviews (Title -> Review Text), IMDB movies (Title -> Description)
and wine reviews (title -> description), on each task's official split. For each pair,
the rows of the train part where both columns are set (at most ``--train`` of them, a
fixed sample) train the retrievers; a fixed sample of ``--test`` paired rows of the test
part is the benchmark: each test query is ranked against every test target, and
recall@1/5/10, the mean reciprocal rank and the median rank are reported for every
method of :class:`mmsk.CrossModalRetriever` next to the baselines a user would try
first:

- ``tfidf-cosine``: one ``TfidfVectorizer`` (word 1-2-grams, sublinear tf) fitted on both
  columns of the training rows, cosine between a query's and a target's vectors;
- ``embedding-cosine``: cosine between the raw all-MiniLM-L6-v2 sentence embeddings
  (:class:`mmsk.SentenceEmbedder`, offline) of the query and the target.

The mmsk methods see each column as one modality whose features are its TF-IDF
(:class:`mmsk.TextVectorizer`) next to its sentence embedding. The embeddings are
computed once per column and cached (``--cache``, default ``/tmp/mmsk_retrieval_cache``),
so the methods' fit times exclude them; the fit time of the TF-IDF is included.
``"ridge"``, which starts from a space the two columns share, sees each column as
:class:`mmsk.SentenceEmbedder` next to a unit-norm TF-IDF over 4,096 hashed word
indices (the same indices for both columns), so its start, ``ridge-start``, is the mean
of the embedding cosine and that TF-IDF cosine; the embedder's cache is filled from the
disk cache, so no text is encoded twice. Its shrinkage is chosen on 20% of the training
pairs held out (never the test rows).

Cross-modal transfer, on clothing: :class:`mmsk.CrossModalTransferClassifier` learns
``Recommended IND`` from the titles of the training rows and predicts the test rows
from their review text alone (titles removed), next to the same classifier trained
directly on the review features with the same labels (the ceiling) and the majority
class (the floor).

Run from the repository root::

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/retrieval.py

Writes ``benchmarks/results/retrieval.json`` and ``benchmarks/results/retrieval.md``.
"""

import argparse
import hashlib
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.pipeline import make_union
from sklearn.preprocessing import normalize

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tasks import load_task  # noqa: E402

import mmsk  # noqa: E402
from mmsk import CrossModalRetriever, CrossModalTransferClassifier, TextVectorizer  # noqa: E402
from mmsk._kinds import cell_to_text  # noqa: E402
from mmsk.metrics import mean_reciprocal_rank, median_rank, recall_at_k  # noqa: E402
from mmsk.modality._embedding import _model_location, shared_cache  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
PAIRS = {
    "clothing": ("clothing_recommend", "Title", "Review Text"),
    "imdb": ("imdb_rating", "Title", "Description"),
    "wine": ("wine_points", "title", "description"),
}
EMBEDDING_WIDTH = 384
METHODS = {
    "cca": {"method": "cca", "n_components": 64, "regularization": 10.0},
    "pls": {"method": "pls", "n_components": 64},
    "ridge": {"method": "ridge", "random_state": 0},
    "ridge-start (identity, no pairs used)": {"method": "ridge", "shrinkage": np.inf},
    "contrastive": {
        "method": "contrastive",
        "n_components": 64,
        "max_epochs": 30,
        "batch_size": 256,
        "lr": 2e-3,
        "temperature": 0.05,
        "random_state": 0,
        "device": "cpu",
    },
}


def embed_column(texts, cache_dir, label):
    """Sentence embeddings of ``texts`` (one per row), cached on disk by content."""
    digest = hashlib.sha1("\x00".join(texts).encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"{label}-{digest}.npy"
    if path.exists():
        return np.load(path)
    embedder = mmsk.SentenceEmbedder(device="cpu", show_progress=False)
    start = time.perf_counter()
    values = embedder.fit_transform(pd.DataFrame({"text": texts}))
    print(f"  embedded {len(texts)} texts of {label} in {time.perf_counter() - start:.0f} s")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, values)
    return values


def paired_rows(X, query, target, size, seed):
    both = X[query].notna() & X[target].notna()
    both &= X[query].astype(str).str.strip().ne("") & X[target].astype(str).str.strip().ne("")
    rows = X[both]
    if len(rows) > size:
        rows = rows.sample(size, random_state=seed)
    return rows


def with_embeddings(frame, columns, cache_dir, pair):
    """``frame`` with one block of embedding columns per text column."""
    parts = [frame.reset_index(drop=True)]
    for column in columns:
        values = embed_column(frame[column].astype(str).tolist(), cache_dir, f"{pair}-{column}")
        names = [f"{column}__e{i}" for i in range(values.shape[1])]
        parts.append(pd.DataFrame(values, columns=names))
    return pd.concat(parts, axis=1)


class HashedTfidf(TransformerMixin, BaseEstimator):
    """Unit-norm TF-IDF of one text column over hashed word indices (the same for any column)."""

    def __init__(self, n_features=4096):
        self.n_features = n_features

    def _counts(self, X):
        hashing = HashingVectorizer(n_features=self.n_features, alternate_sign=False, norm=None)
        return hashing.transform(pd.DataFrame(X).iloc[:, 0].astype(str).tolist())

    def fit(self, X, y=None):
        self.tfidf_ = TfidfTransformer(sublinear_tf=True).fit(self._counts(X))
        return self

    def transform(self, X):
        return self.tfidf_.transform(self._counts(X))

    def get_feature_names_out(self, input_features=None):
        return np.array([f"hash{i}" for i in range(self.n_features)], dtype=object)


def shared_space_modality(name, column):
    """What a user would pick for a space both columns share: sentence embedding + hashed TF-IDF.

    Both parts are unit-norm, so the raw cosine of two rows is the mean of their
    embedding cosine and their TF-IDF cosine. Hashing gives both columns the same
    feature indices (each column keeps its own IDF).
    """
    union = make_union(mmsk.SentenceEmbedder(device="cpu"), HashedTfidf())
    return (name, union, [column])


def fill_embedding_cache(frame, columns, cache_dir, pair):
    """Put the cached embeddings into SentenceEmbedder's process cache (no re-encoding)."""
    cache = shared_cache(_model_location("all-MiniLM-L6-v2"))
    for column in columns:
        texts = [cell_to_text(value) for value in frame[column].tolist()]
        values = embed_column(frame[column].astype(str).tolist(), cache_dir, f"{pair}-{column}")
        cache.store(texts, values.astype(np.float32))


def modality(name, column, embedding_weight=1.0):
    names = [f"{column}__e{i}" for i in range(EMBEDDING_WIDTH)]
    features = ColumnTransformer(
        [("tfidf", TextVectorizer(), [column]), ("embedding", "passthrough", names)],
        transformer_weights={"tfidf": 1.0, "embedding": embedding_weight},
    )
    return (name, features, [column, *names])


def ranking_metrics(scores):
    return {
        "recall@1": recall_at_k(scores, k=1),
        "recall@5": recall_at_k(scores, k=5),
        "recall@10": recall_at_k(scores, k=10),
        "mrr": mean_reciprocal_rank(scores),
        "median_rank": median_rank(scores),
    }


def run_pair(pair, n_train, n_test, cache_dir):
    task, query, target = PAIRS[pair]
    X_train, X_test, y_train, y_test, _ = load_task(task)
    train = paired_rows(X_train, query, target, n_train, seed=0)
    test = paired_rows(X_test, query, target, n_test, seed=1)
    train = with_embeddings(train, (query, target), cache_dir, pair)
    test = with_embeddings(test, (query, target), cache_dir, pair)
    results = {"n_train_pairs": len(train), "n_test_pairs": len(test), "methods": {}}

    start = time.perf_counter()
    tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    tfidf.fit(pd.concat([train[query], train[target]]).astype(str))
    scores = (tfidf.transform(test[query].astype(str)) @ tfidf.transform(test[target]).T).toarray()
    results["methods"]["tfidf-cosine"] = {
        **ranking_metrics(scores),
        "fit_seconds": time.perf_counter() - start,
        "kind": "baseline",
    }
    embedded = [
        normalize(test[[f"{column}__e{i}" for i in range(EMBEDDING_WIDTH)]].to_numpy())
        for column in (query, target)
    ]
    results["methods"]["embedding-cosine"] = {
        **ranking_metrics(embedded[0] @ embedded[1].T),
        "fit_seconds": 0.0,
        "kind": "baseline",
    }
    spec = [modality("query_text", query), modality("target_text", target)]
    shared_spec = [
        shared_space_modality("query_text", query),
        shared_space_modality("target_text", target),
    ]
    for frame in (train, test):
        fill_embedding_cache(frame, (query, target), cache_dir, pair)
    for name, params in METHODS.items():
        method_spec = shared_spec if params["method"] == "ridge" else spec
        retriever = CrossModalRetriever(
            method_spec, query="query_text", target="target_text", **params
        )
        start = time.perf_counter()
        retriever.fit(train)
        seconds = time.perf_counter() - start
        results["methods"][name] = {
            **ranking_metrics(retriever.paired_similarities(test)),
            "fit_seconds": seconds,
            "kind": "mmsk",
            "params": {k: _jsonable(v) for k, v in params.items() if k != "device"},
        }
        if params["method"] == "ridge":
            results["methods"][name]["chosen_shrinkage"] = _jsonable(retriever.space_.shrinkage)
            results["methods"][name]["validation_mrr"] = {
                str(k): v for k, v in retriever.space_.validation_scores.items()
            }
        print(f"  {pair} {name}: recall@10 {results['methods'][name]['recall@10']:.3f}")
    return results


def _jsonable(value):
    return "inf" if isinstance(value, float) and np.isinf(value) else value


def run_transfer(n_train, n_test, cache_dir):
    task, query, target = PAIRS["clothing"]
    X_train, X_test, y_train, y_test, _ = load_task(task)
    train = paired_rows(X_train, query, target, n_train, seed=0)
    test = paired_rows(X_test, query, target, n_test, seed=1)
    y_fit = y_train.loc[train.index].to_numpy()
    y_true = y_test.loc[test.index].to_numpy()
    train = with_embeddings(train, (query, target), cache_dir, "clothing")
    test = with_embeddings(test, (query, target), cache_dir, "clothing")
    # The test rows hold the review only: the title is removed.
    review_only = test.assign(**{query: None})
    spec = [modality("title", query), modality("review", target)]
    rows = {}
    start = time.perf_counter()
    transfer = CrossModalTransferClassifier(
        source="title",
        target="review",
        aligner=CrossModalRetriever(spec, **METHODS["cca"]),
        estimator=LogisticRegression(max_iter=2000, C=1.0),
    ).fit(train, y_fit)
    seconds = time.perf_counter() - start
    rows["transfer (title -> review)"] = _classification_scores(
        transfer, review_only, y_true, seconds
    )
    features = modality("review", target)[1]
    start = time.perf_counter()
    ceiling = LogisticRegression(max_iter=2000, C=1.0).fit(features.fit_transform(train), y_fit)
    seconds = time.perf_counter() - start
    probabilities = ceiling.predict_proba(features.transform(review_only))[:, 1]
    rows["ceiling (trained on review)"] = {
        "accuracy": accuracy_score(y_true, probabilities > 0.5),
        "roc_auc": roc_auc_score(y_true, probabilities),
        "fit_seconds": seconds,
    }
    majority = pd.Series(y_fit).mode()[0]
    rows["floor (majority class)"] = {
        "accuracy": accuracy_score(y_true, np.full(len(y_true), majority)),
        "roc_auc": 0.5,
        "fit_seconds": 0.0,
    }
    return {"task": task, "n_train": len(train), "n_test": len(test), "rows": rows}


def _classification_scores(model, X, y_true, seconds):
    probabilities = model.predict_proba(X)[:, list(model.classes_).index(1)]
    return {
        "accuracy": accuracy_score(y_true, model.predict(X)),
        "roc_auc": roc_auc_score(y_true, probabilities),
        "fit_seconds": seconds,
    }


def markdown(report):
    lines = [
        "# Cross-modal retrieval",
        "",
        f"Test-split retrieval among {report['n_test']} paired test rows per pair (each query "
        "ranked against every test target); retrievers trained on at most "
        f"{report['n_train']} paired training rows. Fit times exclude the sentence "
        "embeddings (cached). Machine: "
        f"{report['machine']['cpus']} CPUs, {report['machine']['python']}.",
        "",
        "| pair | method | R@1 | R@5 | R@10 | MRR | median rank | fit s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for pair, result in report["pairs"].items():
        for name, row in result["methods"].items():
            lines.append(
                f"| {pair} ({result['n_test_pairs']} pairs) | {name} | {row['recall@1']:.3f} | "
                f"{row['recall@5']:.3f} | {row['recall@10']:.3f} | {row['mrr']:.3f} | "
                f"{row['median_rank']:.0f} | {row['fit_seconds']:.1f} |"
            )
    transfer = report["transfer"]
    lines += [
        "",
        "## Cross-modal transfer",
        "",
        f"{transfer['task']}: learn `Recommended IND` from the titles of {transfer['n_train']} "
        f"training rows, predict {transfer['n_test']} test rows from their review text alone.",
        "",
        "| model | accuracy | ROC AUC | fit s |",
        "|---|---|---|---|",
    ]
    for name, row in transfer["rows"].items():
        lines.append(
            f"| {name} | {row['accuracy']:.3f} | {row['roc_auc']:.3f} | {row['fit_seconds']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", nargs="+", default=list(PAIRS), choices=list(PAIRS))
    parser.add_argument("--train", type=int, default=3000)
    parser.add_argument("--test", type=int, default=1000)
    parser.add_argument("--cache", default="/tmp/mmsk_retrieval_cache")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    report = {
        "n_train": args.train,
        "n_test": args.test,
        "machine": {
            "cpus": __import__("os").cpu_count(),
            "python": platform.python_version(),
            "sklearn": sklearn.__version__,
            "date": time.strftime("%Y-%m-%d"),
        },
        "pairs": {},
    }
    for pair in args.pairs:
        print(f"pair {pair}")
        report["pairs"][pair] = run_pair(pair, args.train, args.test, args.cache)
    print("transfer")
    report["transfer"] = run_transfer(args.train, args.test, args.cache)
    report["total_seconds"] = time.perf_counter() - start
    text = markdown(report)
    print(text)
    if not args.no_write:
        RESULTS_DIR.mkdir(exist_ok=True)
        (RESULTS_DIR / "retrieval.json").write_text(json.dumps(report, indent=2) + "\n")
        (RESULTS_DIR / "retrieval.md").write_text(text)


if __name__ == "__main__":
    main()
