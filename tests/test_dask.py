"""Grid searches over fusion families on a Dask cluster, and estimators that pickle cleanly.

One ``distributed.LocalCluster`` with two process workers serves the whole module: its
workers are separate Python processes, so every estimator, every fold and every result
crosses a pickle boundary, exactly as on a real cluster.
"""

import importlib.util
import logging
import pickle
from operator import methodcaller

import joblib
import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

# One cluster for the module: under `pytest -n 2 --dist loadgroup` its tests share an xdist worker.
pytestmark = pytest.mark.xdist_group("dask")

import cloudpickle  # noqa: E402  (a dependency of distributed)
from scipy import sparse  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from mmsk import (  # noqa: E402
    CrossModalRetriever,
    CrossModalTransferClassifier,
    CrossModalTransferRegressor,
    EarlyFusionClassifier,
    EarlyFusionRegressor,
    EnsembleSelectionClassifier,
    EnsembleSelectionRegressor,
    ImageArrays,
    ImageEmbedder,
    KindSelector,
    LateFusionClassifier,
    LateFusionRegressor,
    MarkovRandomFieldFusionClassifier,
    MarkovRandomFieldFusionRegressor,
    ModalityUnion,
    TabularEncoder,
    TextTokenizer,
    TextVectorizer,
)
from mmsk.datasets import (  # noqa: E402
    make_multimodal_classification,
    make_multimodal_regression,
)


def _installed(*modules):
    return all(importlib.util.find_spec(module) is not None for module in modules)


HAS_NEURAL = _installed("torch", "skorch")
HAS_BAYES = _installed("pgmpy")
HAS_TEXT = _installed("sentence_transformers")

NEEDS_NEURAL = pytest.mark.skipif(not HAS_NEURAL, reason="needs the neural extra")
NEEDS_BAYES = pytest.mark.skipif(not HAS_BAYES, reason="needs the bayes extra")
NEEDS_TEXT = pytest.mark.skipif(not HAS_TEXT, reason="needs the text extra")

# Small settings that keep every fit well under a second; behaviour is the same.
FAST_NEURAL = {"max_epochs": 3, "embedding_dim": 16, "hidden_units": 32, "device": "cpu"}
TABULAR = KindSelector("numeric", "categorical")
TEXT = KindSelector("text")


@pytest.fixture(scope="module")
def client():
    """Two single-threaded process workers; started once, since each start costs seconds."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            memory_limit="2GiB",
            # No dashboard, and the scheduler's small HTTP server on a free port, so that
            # clusters of parallel test processes do not compete for port 8787.
            scheduler_kwargs={"dashboard_address": ":0"},
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module", autouse=True)
def one_thread_per_process():
    """Run this process's BLAS and OpenMP pools on one thread, as the workers do.

    Nanny-started workers get ``OMP_NUM_THREADS=1``; the sequential reference searches
    then compute under the same settings, and the boosted trees do not oversubscribe
    the cores the workers are using.
    """
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def classification():
    return make_multimodal_classification(n_samples=200, random_state=0)


@pytest.fixture(scope="module")
def regression():
    return make_multimodal_regression(n_samples=200, random_state=0)


def _classifier_grid():
    """One dict per fusion family: the pipeline's last step is replaced by each family."""
    grid = [
        {
            "model": [EarlyFusionClassifier(estimator=LogisticRegression(C=3.0))],
            "model__estimator__C": [0.3, 3.0],
        },
        {
            "model": [
                LateFusionClassifier(
                    estimators={"tabular": HistGradientBoostingClassifier(max_iter=15)},
                    cv=3,
                    random_state=0,
                )
            ],
            "model__fusion": ["mean", "stacking"],
        },
    ]
    if HAS_NEURAL:
        from mmsk.fusion import NeuralFusionClassifier

        model = NeuralFusionClassifier(**FAST_NEURAL, random_state=0)
        grid.append({"model": [model], "model__fusion": ["concat", "gated"]})
    if HAS_BAYES:
        from mmsk import BayesianNetworkFusionClassifier

        model = BayesianNetworkFusionClassifier(
            estimators={"tabular": HistGradientBoostingClassifier(max_iter=15)},
            cv=3,
            random_state=0,
        )
        grid.append({"model": [model], "model__structure": ["naive", "tan"]})
    return grid


def _regressor_grid():
    grid = [
        {"model": [EarlyFusionRegressor(estimator=Ridge())], "model__estimator__alpha": [1.0]},
        {
            "model": [
                LateFusionRegressor(
                    estimators={"tabular": HistGradientBoostingRegressor(max_iter=15)},
                    cv=3,
                    random_state=0,
                )
            ],
            "model__fusion": ["mean"],
        },
    ]
    if HAS_NEURAL:
        from mmsk.fusion import NeuralFusionRegressor

        model = NeuralFusionRegressor(**FAST_NEURAL, lr=0.01, random_state=0)
        grid.append({"model": [model], "model__fusion": ["concat"]})
    return grid


def _n_candidates(grid):
    return sum(int(np.prod([len(values) for values in point.values()])) for point in grid)


def _search_on_cluster_and_locally(client, first_model, grid, X, y, scoring):
    """Fit the same search on the cluster and sequentially; return both and the task stream."""

    def search(n_jobs):
        pipeline = Pipeline([("model", first_model)])
        return GridSearchCV(pipeline, grid, cv=2, scoring=scoring, n_jobs=n_jobs)

    with distributed.get_task_stream(client=client) as stream:
        with joblib.parallel_backend("dask"):
            on_cluster = search(n_jobs=-1).fit(X, y)
    sequential = search(n_jobs=1).fit(X, y)
    return on_cluster, sequential, stream.data


def _check_search_matches(client, on_cluster, sequential, tasks, n_candidates):
    results = on_cluster.cv_results_
    assert len(results["params"]) == n_candidates
    assert np.isfinite(results["mean_test_score"]).all()
    assert np.isfinite(results["split0_test_score"]).all()
    # Same folds, same seeds: the cluster must reproduce the sequential search exactly.
    np.testing.assert_allclose(
        results["mean_test_score"],
        sequential.cv_results_["mean_test_score"],
        rtol=0,
        atol=1e-9,
    )
    assert on_cluster.best_index_ == sequential.best_index_
    assert on_cluster.best_score_ == pytest.approx(sequential.best_score_, rel=0, abs=1e-9)
    assert type(on_cluster.best_estimator_[-1]) is type(sequential.best_estimator_[-1])
    # The fits ran on the workers: while the search ran, the scheduler recorded the tasks
    # joblib sent, each with the worker that computed it.
    assert tasks, "no task reached the cluster"
    assert {task["worker"] for task in tasks} <= set(client.scheduler_info()["workers"])


def test_grid_search_over_fusion_families_runs_on_dask(client, classification):
    X, y = classification
    grid = _classifier_grid()
    on_cluster, sequential, tasks = _search_on_cluster_and_locally(
        client, EarlyFusionClassifier(), grid, X, y, scoring="neg_log_loss"
    )
    _check_search_matches(client, on_cluster, sequential, tasks, _n_candidates(grid))
    assert on_cluster.best_score_ > np.log(0.5)  # better than a coin


def test_regressor_grid_search_runs_on_dask(client, regression):
    X, y = regression
    grid = _regressor_grid()
    on_cluster, sequential, tasks = _search_on_cluster_and_locally(
        client, EarlyFusionRegressor(), grid, X, y, scoring="r2"
    )
    _check_search_matches(client, on_cluster, sequential, tasks, _n_candidates(grid))
    assert on_cluster.best_score_ > 0.3


def test_memory_cache_on_a_shared_directory_gives_the_same_search(
    client, classification, tmp_path
):
    # A LocalCluster's workers share this machine's disk, as a real cluster's workers would
    # share a network filesystem: candidates differing only in fusion reuse cached fits.
    X, y = classification
    model = LateFusionClassifier(
        estimators={"tabular": HistGradientBoostingClassifier(max_iter=15)},
        cv=3,
        random_state=0,
    )
    grid = {"fusion": ["mean", "weighted"]}
    with joblib.parallel_backend("dask"):
        cached = GridSearchCV(model.set_params(memory=str(tmp_path)), grid, cv=2).fit(X, y)
    plain = GridSearchCV(model.set_params(memory=None), grid, cv=2, n_jobs=1).fit(X, y)
    np.testing.assert_allclose(
        cached.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"], atol=1e-9
    )
    assert any(path.is_file() for path in tmp_path.rglob("*"))


# ---------------------------------------------------------------- pickling


def _dense(output):
    return output.toarray() if sparse.issparse(output) else np.asarray(output)


def _neural(name, **params):
    from mmsk import fusion

    return getattr(fusion, name)(**FAST_NEURAL, random_state=0, **params)


def _bayesian(name):
    import mmsk

    return getattr(mmsk, name)(cv=3, random_state=0)


def _image_column(X):
    return ["image"]


def _sentence_embedder():
    from mmsk import SentenceEmbedder

    return SentenceEmbedder(device="cpu")


# factory, data set, columns the estimator sees (None: all), method compared locally and on a
# worker. Every public estimator of mmsk, the optional ones when their extra is installed.
PICKLED = [
    pytest.param(TabularEncoder, "classification", TABULAR, "transform", id="TabularEncoder"),
    pytest.param(TextVectorizer, "classification", TEXT, "transform", id="TextVectorizer"),
    pytest.param(
        lambda: TextTokenizer(min_frequency=1, max_length=16),
        "classification",
        TEXT,
        "transform",
        id="TextTokenizer",
    ),
    pytest.param(
        lambda: ImageEmbedder(backend="classical"),
        "image_classification",
        _image_column,
        "transform",
        id="ImageEmbedder",
    ),
    pytest.param(
        lambda: ImageArrays(image_size=8),
        "image_classification",
        _image_column,
        "transform",
        id="ImageArrays",
    ),
    pytest.param(ModalityUnion, "classification", None, "transform", id="ModalityUnion"),
    pytest.param(
        EarlyFusionClassifier, "classification", None, "predict_proba", id="EarlyFusionClassifier"
    ),
    pytest.param(EarlyFusionRegressor, "regression", None, "predict", id="EarlyFusionRegressor"),
    pytest.param(
        lambda: LateFusionClassifier(cv=3, random_state=0),
        "classification",
        None,
        "predict_proba",
        id="LateFusionClassifier",
    ),
    pytest.param(
        lambda: LateFusionRegressor(fusion="stacking", cv=3, random_state=0),
        "regression",
        None,
        "predict",
        id="LateFusionRegressor",
    ),
    pytest.param(
        lambda: _neural("NeuralFusionClassifier", fusion="attention"),
        "classification",
        None,
        "predict_proba",
        id="NeuralFusionClassifier",
        marks=NEEDS_NEURAL,
    ),
    pytest.param(
        lambda: _neural("NeuralFusionRegressor"),
        "regression",
        None,
        "predict",
        id="NeuralFusionRegressor",
        marks=NEEDS_NEURAL,
    ),
    pytest.param(
        lambda: _neural("NeuralFusionMultiTask"),
        "classification",
        None,
        "predict",
        id="NeuralFusionMultiTask",
        marks=NEEDS_NEURAL,
    ),
    pytest.param(
        lambda: _bayesian("BayesianNetworkFusionClassifier"),
        "classification",
        None,
        "predict_proba",
        id="BayesianNetworkFusionClassifier",
        marks=NEEDS_BAYES,
    ),
    pytest.param(
        lambda: _bayesian("BayesianNetworkFusionRegressor"),
        "regression",
        None,
        "predict",
        id="BayesianNetworkFusionRegressor",
        marks=NEEDS_BAYES,
    ),
    pytest.param(
        lambda: MarkovRandomFieldFusionClassifier(kind="discrete", cv=3, random_state=0),
        "classification",
        None,
        "predict_proba",
        id="MarkovRandomFieldFusionClassifier",
    ),
    pytest.param(
        lambda: MarkovRandomFieldFusionRegressor(cv=3, random_state=0),
        "regression",
        None,
        "predict",
        id="MarkovRandomFieldFusionRegressor",
    ),
    pytest.param(
        _sentence_embedder,
        "classification",
        TEXT,
        "transform",
        id="SentenceEmbedder",
        marks=NEEDS_TEXT,
    ),
    pytest.param(
        lambda: CrossModalRetriever(n_components=4),
        "classification",
        None,
        "transform",
        id="CrossModalRetriever",
    ),
    pytest.param(
        lambda: CrossModalTransferClassifier(aligner=CrossModalRetriever(n_components=4)),
        "classification",
        None,
        "predict_proba",
        id="CrossModalTransferClassifier",
    ),
    pytest.param(
        lambda: CrossModalTransferRegressor(aligner=CrossModalRetriever(n_components=4)),
        "regression",
        None,
        "predict",
        id="CrossModalTransferRegressor",
    ),
    pytest.param(
        lambda: EnsembleSelectionClassifier(
            [("early", EarlyFusionClassifier()), ("late", LateFusionClassifier(cv=3))], cv=3
        ),
        "classification",
        None,
        "predict_proba",
        id="EnsembleSelectionClassifier",
    ),
    pytest.param(
        lambda: EnsembleSelectionRegressor(
            [("early", EarlyFusionRegressor()), ("late", LateFusionRegressor(cv=3))], cv=3
        ),
        "regression",
        None,
        "predict",
        id="EnsembleSelectionRegressor",
    ),
]


@pytest.mark.parametrize("factory, task, columns, method", PICKLED)
def test_fitted_estimator_pickles_and_predicts_on_a_worker(
    factory, task, columns, method, client, request
):
    X, y = request.getfixturevalue(task)
    n_rows = 10 if factory is _sentence_embedder else 80
    X, y = X.iloc[:n_rows], np.asarray(y)[:n_rows]
    if columns is not None:
        X = X[columns(X)]
    model = factory().fit(X, y)
    expected = _dense(getattr(model, method)(X))

    # cloudpickle is what distributed uses to ship a task's arguments.
    cloudpickle.dumps(model)
    # The standard library pickler is stricter: it refuses lambdas and local functions
    # (it pickles functions by name), locks and open file handles (no reduce method), so
    # a round trip through it proves the fitted state holds none of them, however deep.
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(_dense(getattr(restored, method)(X)), expected)

    # The worker runs a standard library callable, not a lambda or a function of this file:
    # functions are unpickled by reference, and under pytest's importlib mode the workers
    # cannot import this file (distributed then waits for ever; hence the timeout too).
    on_worker = client.submit(methodcaller(method, X), model, pure=False).result(timeout=120)
    np.testing.assert_array_equal(_dense(on_worker), expected)


def test_pickled_cases_cover_every_public_estimator_of_the_registry():
    from mmsk._registry import public_estimators

    covered = {param.id for param in PICKLED}
    missing = [cls.__name__ for cls, _ in public_estimators() if cls.__name__ not in covered]
    assert missing == [], f"add a PICKLED case for {missing}"
