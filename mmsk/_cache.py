"""A content-keyed cache of fits, shared by the candidates of a search.

:class:`FitCache` answers the ``memory`` parameter of every fusion estimator (it has the
``cache`` method of ``joblib.Memory``). Its keys are built from the content of the
arguments, with a fast path for DataFrames (pandas' vectorised row hashing instead of
pickling every cell), so that looking a fit up costs milliseconds even for tables of
text. Results live in a folder (shared by worker processes) or, without one, in this
process. Each entry remembers how long it took to compute, so that a search can report
what a fit would have cost without the cache (:func:`seconds_saved`).
"""

import copy
import hashlib
import os
import pickle
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

#: ``pd.api.types.infer_dtype`` answers whose cells pandas hashes exactly (text of a
#: cell is the cell). Other object columns (arrays, images, lists) are hashed by pickling.
_EXACTLY_HASHED = {
    "string",
    "empty",
    "integer",
    "floating",
    "mixed-integer-float",
    "boolean",
    "decimal",
    "datetime",
    "date",
    "timedelta",
}

_saved = {"seconds": 0.0, "hits": 0}


def seconds_saved():
    """Compute seconds answered from any :class:`FitCache` in this process so far.

    The difference of two readings around a fit is what the fit would have taken
    longer without the cache (a search's honest fit time is the measured time plus it).

    Returns
    -------
    seconds : float
    """
    return _saved["seconds"]


def content_key(value):
    """A hex digest of ``value``'s content: equal content, equal key.

    DataFrames and Series of numbers, text, dates and booleans are hashed by pandas'
    row hashing (their index is ignored: fits are positional); everything else by
    ``joblib.hash``.

    Parameters
    ----------
    value : object
        Any picklable value, or a tuple, list or dict of them.

    Returns
    -------
    key : str
    """
    digest = hashlib.sha256()
    _feed(digest, value)
    return digest.hexdigest()


def _feed(digest, value):
    if isinstance(value, (tuple, list)):
        digest.update(f"{type(value).__name__}{len(value)}".encode())
        for item in value:
            _feed(digest, item)
    elif isinstance(value, dict):
        digest.update(f"dict{len(value)}".encode())
        for name, item in value.items():
            _feed(digest, name)
            _feed(digest, item)
    elif isinstance(value, pd.DataFrame):
        digest.update(b"frame")
        digest.update(joblib.hash((list(value.columns), [str(t) for t in value.dtypes])).encode())
        for position in range(value.shape[1]):
            _feed_column(digest, value.iloc[:, position])
    elif isinstance(value, pd.Series):
        digest.update(joblib.hash((value.name, str(value.dtype))).encode())
        _feed_column(digest, value)
    elif isinstance(value, np.ndarray) and value.dtype != object:
        digest.update(f"{value.dtype.str}{value.shape}".encode())
        digest.update(np.ascontiguousarray(value).view(np.uint8).tobytes())
    else:
        digest.update(joblib.hash(value).encode())


def _feed_column(digest, column):
    if column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) not in (
        _EXACTLY_HASHED
    ):
        digest.update(joblib.hash(column.to_numpy()).encode())
        return
    hashed = pd.util.hash_pandas_object(column, index=False).to_numpy()
    digest.update(hashed.tobytes())


class FitCache:
    """Results of function calls keyed by the content of their arguments.

    A drop-in for ``joblib.Memory`` as the ``memory`` parameter of the fusion
    estimators. With a ``location`` the results are files in that folder, so worker
    processes (``n_jobs``) and later fits share them; without one they stay in this
    process (and are handed out as copies, so callers may modify them).

    Parameters
    ----------
    location : str, os.PathLike or None, default=None
        The folder to keep results in; None keeps them in memory.

    Attributes
    ----------
    hits : int
        Calls answered from the cache by this object in this process.
    misses : int
        Calls computed.

    Examples
    --------
    >>> from mmsk._cache import FitCache
    >>> cache = FitCache()
    >>> square = cache.cache(pow)
    >>> square(3, 2), square(3, 2), cache.hits
    (9, 9, 1)
    """

    def __init__(self, location=None):
        self.location = None if location is None else os.fspath(location)
        self.hits = 0
        self.misses = 0
        self._results = {}

    def cache(self, function):
        """``function``, answering repeated calls from the results kept so far.

        Parameters
        ----------
        function : callable
            A module-level function (its results must be picklable with a location).

        Returns
        -------
        cached : callable
            Same signature; picklable, so it can be sent to worker processes.
        """
        return _CachedFunction(self, function)

    def _lookup(self, key):
        if self.location is None:
            entry = self._results.get(key)
            return None if entry is None else (copy.deepcopy(entry[0]), entry[1])
        path = Path(self.location) / f"{key}.pkl"
        if not path.exists():
            return None
        try:
            with path.open("rb") as file:
                return pickle.load(file)
        except (OSError, EOFError, pickle.UnpicklingError):
            return None

    def _store(self, key, result, seconds):
        if self.location is None:
            self._results[key] = (copy.deepcopy(result), seconds)
            return
        folder = Path(self.location)
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
        with os.fdopen(handle, "wb") as file:
            pickle.dump((result, seconds), file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, folder / f"{key}.pkl")

    def __getstate__(self):
        state = self.__dict__.copy()
        if self.location is not None:
            state["_results"] = {}
        return state

    def __repr__(self):
        return f"FitCache(location={self.location!r})"


class _CachedFunction:
    """A function call answered by a :class:`FitCache` (picklable, unlike a closure)."""

    def __init__(self, store, function):
        # Private names: scikit-learn's ``delayed`` copies this object's ``__dict__``
        # onto its own wrapper, whose ``function`` attribute must stay this object.
        self._store = store
        self._function = function
        self.__name__ = getattr(function, "__name__", type(function).__name__)
        self.__doc__ = function.__doc__

    def __call__(self, *args, **kwargs):
        key = content_key((self._function.__module__, self._function.__qualname__, args, kwargs))
        found = self._store._lookup(key)
        if found is not None:
            result, seconds = found
            self._store.hits += 1
            _saved["seconds"] += seconds
            _saved["hits"] += 1
            return result
        began = time.perf_counter()
        result = self._function(*args, **kwargs)
        seconds = time.perf_counter() - began
        self._store.misses += 1
        self._store._store(key, result, seconds)
        return result
