"""Settings for every test run, the doctests of the package included."""

import importlib.util

import pytest
from _pytest.doctest import DoctestItem
from threadpoolctl import threadpool_limits

from mmsk._registry import extra_installed, public_estimators

# Modules whose doctests fit or save a model through an optional extra.
DOCTEST_EXTRAS = {
    **{cls.__module__: extra for cls, extra in public_estimators() if extra},
    "mmsk.fusion._bayes_network": "bayes",
    "mmsk.persistence": "persist",
    "mmsk.compare._display": "plot",
    "mmsk.inspection._display": "plot",
}

# Modules that cannot even be imported without their extra (doctest collection imports
# every module of the package).
collect_ignore = (
    []
    if extra_installed("neural")
    else [
        "mmsk/fusion/_nn.py",
        "mmsk/fusion/_nn_training.py",
        "mmsk/coordinated/_contrastive_nn.py",
    ]
)


def pytest_collection_modifyitems(config, items):
    """Skip, by name of the extra, the doctests whose extra is not installed."""
    for item in items:
        if not isinstance(item, DoctestItem):
            continue
        extra = DOCTEST_EXTRAS.get(item.dtest.globs.get("__name__"))
        if extra and not extra_installed(extra):
            reason = f'the example needs the {extra!r} extra: pip install "mmsk[{extra}]"'
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session", autouse=True)
def one_native_thread_per_test_process():
    """Keep OpenMP and BLAS to one thread in each test process.

    The suite runs in parallel processes (``pytest -n 2``); native thread pools in each
    of them on top would oversubscribe the cores, and OpenMP's busy waiting then slows
    the gradient-boosting fits by an order of magnitude.
    """
    _one_torch_thread()
    with threadpool_limits(limits=1):
        yield


def _one_torch_thread():
    """torch keeps its own intra-op pool, outside threadpoolctl's reach."""
    if importlib.util.find_spec("torch") is None:
        return
    import torch

    torch.set_num_threads(1)
