"""The content-keyed cache behind ``memory`` and the main job's shared work."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.parallel import Parallel, delayed

from mmsk._cache import FitCache, content_key, seconds_saved


def _table(index=None):
    return pd.DataFrame(
        {"text": ["a b", "c", None], "n": [1.0, np.nan, 3.0], "k": ["x", "y", "x"]},
        index=index,
    )


def test_equal_content_gives_equal_keys_whatever_the_index():
    assert content_key(_table()) == content_key(_table(index=[7, 8, 9]))


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.assign(n=[1.0, np.nan, 3.5]),
        lambda t: t.assign(text=["a b", "c", ""]),
        lambda t: t.rename(columns={"k": "kind"}),
        lambda t: t.astype({"n": "float32"}),
        lambda t: t.iloc[[1, 0, 2]],
        lambda t: t[["n", "text", "k"]],
    ],
    ids=["value", "text", "name", "dtype", "row order", "column order"],
)
def test_any_change_of_content_changes_the_key(change):
    assert content_key(change(_table())) != content_key(_table())


def test_cells_that_print_alike_are_told_apart():
    # Large arrays print with "..." and share their printed form; their bytes differ.
    first, second = np.zeros(5000), np.zeros(5000)
    second[2500] = 1.0
    assert str(first) == str(second)
    keys = {content_key(pd.DataFrame({"image": [cell]})) for cell in (first, second)}
    assert len(keys) == 2


def _square(value):
    return value * value


def test_results_are_reused_and_their_cost_is_counted():
    cache = FitCache()
    square = cache.cache(_square)
    before = seconds_saved()
    assert square(np.arange(3)).tolist() == [0, 1, 4]
    assert square(np.arange(3)).tolist() == [0, 1, 4]
    assert (cache.hits, cache.misses) == (1, 1)
    assert seconds_saved() >= before


def test_in_memory_results_are_handed_out_as_copies():
    cache = FitCache()
    square = cache.cache(_square)
    square(np.arange(3))[:] = -1
    assert square(np.arange(3)).tolist() == [0, 1, 4]


def test_a_folder_is_shared_by_caches_and_worker_processes(tmp_path):
    first = FitCache(tmp_path).cache(_square)
    values = Parallel(n_jobs=2)(delayed(first)(np.arange(n)) for n in (2, 3))
    assert [v.tolist() for v in values] == [[0, 1], [0, 1, 4]]
    assert len(list(tmp_path.glob("*.pkl"))) == 2
    later = FitCache(tmp_path)
    assert later.cache(_square)(np.arange(3)).tolist() == [0, 1, 4]
    assert (later.hits, later.misses) == (1, 0)


def test_a_damaged_entry_is_computed_again(tmp_path):
    cache = FitCache(tmp_path)
    square = cache.cache(_square)
    square(4)
    (entry,) = tmp_path.glob("*.pkl")
    entry.write_bytes(b"not a pickle")
    assert square(4) == 16 and cache.misses == 2


def test_the_cache_pickles_without_its_in_memory_results_only_when_on_disk(tmp_path):
    on_disk = FitCache(tmp_path)
    on_disk.cache(_square)(5)
    assert pickle.loads(pickle.dumps(on_disk))._results == {}
    in_memory = FitCache()
    in_memory.cache(_square)(5)
    assert len(pickle.loads(pickle.dumps(in_memory))._results) == 1
