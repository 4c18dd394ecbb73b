"""Settings for every test run, the doctests of the package included."""

import importlib.util

import pytest
from threadpoolctl import threadpool_limits


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
