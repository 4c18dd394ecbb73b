"""Save and load fitted mmsk models in a format whose loading runs no code from the file.

:func:`pickle.load` and :func:`joblib.load` rebuild an object by calling whatever
functions the file names, so loading a file from an untrusted source can run any code.
This module stores a model in the `skops <https://skops.readthedocs.io>`_ format
instead: a zip archive of JSON and ``.npy`` arrays (read with ``allow_pickle=False``).
Loading first lists every type the file would create and refuses the file unless each
one is trusted; a trusted class is rebuilt with ``cls.__new__(cls)`` and its saved
attributes, never by calling a function from the file.

mmsk trusts, beyond skops's own defaults (Python containers and primitives, numpy
arrays, scipy sparse matrices, scikit-learn's public estimators), only the types in
:data:`TRUSTED_TYPES`:

- mmsk's own classes, listed one by one: :class:`~mmsk.KindSelector`, the modality
  transformers and the early-, late- and Bayesian-network-fusion estimators. They hold
  plain attributes (parameters, fitted scikit-learn objects, numpy arrays, dicts and
  lists) and are rebuilt without running ``__init__``. Their methods are pure
  Python, numpy, pandas and scipy code, so a crafted attribute value makes them raise
  an exception, not read memory out of bounds.
- ``numpy.dtype``: skops saves a dtype as an empty ``.npy`` array and loads it with
  ``allow_pickle=False``.
- ``pgmpy.factors.discrete.CPD.TabularCPD``: a conditional probability table of the
  Bayesian network, a plain object of numpy arrays, lists and dicts.

Nothing in the list is a function, and nothing from torch or skorch is in it.

Not trusted, so :func:`load` asks for them by name in ``trusted``:

- ``sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor`` (the
  default tabular estimator of late fusion) and ``sklearn.tree._tree.Tree``: skops
  withholds them on purpose, because scikit-learn indexes their node arrays without
  bounds checks, so a crafted file can crash the process when the model predicts.
  Trust them for files you made yourself or whose source you trust.
- Your own estimators or transformers inside an mmsk model.

Neural fusion is refused by :func:`dump`: skops would store its network (through
skorch) as the pickle that ``torch.save`` writes, and loading that pickle runs code
from the file, which is what this format exists to avoid. Save a neural model with
:func:`joblib.dump` and load it only from sources you trust, or share its weights
alone (see ``docs/persistence.md``).

Examples
--------
>>> import io
>>> import numpy as np
>>> from mmsk import EarlyFusionClassifier, persistence
>>> from mmsk.datasets import make_multimodal_classification
>>> X, y = make_multimodal_classification(n_samples=200, random_state=0)
>>> model = EarlyFusionClassifier().fit(X, y)
>>> buffer = io.BytesIO()
>>> persistence.dump(model, buffer)
>>> _ = buffer.seek(0)
>>> persistence.get_untrusted_types(buffer)
[]
>>> _ = buffer.seek(0)
>>> loaded = persistence.load(buffer)
>>> np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
True
"""

import os
import zipfile

from sklearn.base import BaseEstimator

from ._base import KindSelector
from ._registry import COORDINATED_STATE_TYPES, FAMILIES, family_of, public_estimators
from ._utils import import_optional

__all__ = ["TRUSTED_TYPES", "dump", "get_untrusted_types", "load"]


def _skops_safe(cls):
    family = family_of(cls)
    return family is None or family.skops_safe


#: Every public estimator of the registry whose fitted state skops can hold, and the
#: helper classes their state refers to.
_MMSK_CLASSES = (
    KindSelector,
    *(cls for cls, _ in public_estimators() if _skops_safe(cls)),
    *(cls for family in FAMILIES if family.skops_safe for cls in family.state_types),
    *COORDINATED_STATE_TYPES,
)

_OTHER_TYPES = (
    "numpy.dtype",
    "pgmpy.factors.discrete.CPD.TabularCPD",
)


def _type_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


#: Types :func:`load` trusts beyond skops's defaults: mmsk's own classes, numpy dtypes
#: and pgmpy's probability tables. No function, and nothing from torch or skorch.
TRUSTED_TYPES = tuple(_type_name(cls) for cls in _MMSK_CLASSES) + _OTHER_TYPES

# Top-level modules whose objects never load safely: torch.load of a pickle.
_UNSAFE_MODULES = ("torch", "skorch")


def _import_skops():
    """``skops.io``, or an ImportError that says which extra to install."""
    return import_optional(
        "skops.io", purpose="Saving and loading mmsk models in the skops format"
    )


def _neural_refusal(owner):
    return (
        f"{owner} cannot be saved in the skops format: its PyTorch network would be "
        "stored (through skorch) as a torch.save pickle, and loading that runs code "
        "from the file. Save it with joblib.dump(model, path) and load it only from "
        "sources you trust, or share the weights alone: "
        "torch.save(model.module_.state_dict(), path), loaded with "
        "model.module_.load_state_dict(torch.load(path, weights_only=True)) into a "
        "model of the same architecture fitted on the same columns (see "
        "docs/persistence.md)."
    )


def _check_not_neural(estimator):
    if not _skops_safe(type(estimator)):
        raise TypeError(_neural_refusal(type(estimator).__name__))


def _unsaveable_parts(sio, value, path):
    """Where skops fails within ``value``: paths of the innermost parts it cannot store.

    The search descends through dicts, lists, tuples and estimators and stops at any
    other object, so that the answer names an attribute and the foreign type in it.
    """
    parts = []
    for key, child in _children(value):
        if not _saveable(sio, child):
            parts.extend(_unsaveable_parts(sio, child, f"{path}{key}"))
    return parts or [f"{path} ({_type_name(type(value))})"]


def _children(value):
    if isinstance(value, dict):
        return [(f"[{key!r}]", child) for key, child in value.items()]
    if isinstance(value, (list, tuple)):
        return [(f"[{i}]", child) for i, child in enumerate(value)]
    if isinstance(value, BaseEstimator):
        return [(f".{key}", child) for key, child in vars(value).items()]
    return []


def _saveable(sio, value):
    try:
        sio.dumps(value)
    except (RecursionError, TypeError, ValueError):
        return False
    return True


def dump(estimator, file, *, compression=zipfile.ZIP_DEFLATED):
    """Save a fitted (or unfitted) estimator in the skops format.

    Parameters
    ----------
    estimator : estimator instance
        An mmsk estimator or transformer, or any object skops can store (a
        scikit-learn pipeline or search holding mmsk estimators, for example).
    file : str, path-like or binary file object
        Where to write; ``.skops`` is the customary extension.
    compression : int, default=zipfile.ZIP_DEFLATED
        The compression of the zip archive, a constant of :mod:`zipfile`.

    Raises
    ------
    TypeError
        When the estimator holds a neural-fusion network (its PyTorch state cannot be
        stored without pickle) or an object skops cannot store; the message names it
        and the alternative. Nothing is written then.
    ImportError
        When skops is not installed.

    See Also
    --------
    load : Load the saved estimator.
    get_untrusted_types : The types of a saved file that ``load`` would refuse.
    """
    sio = _import_skops()
    _check_not_neural(estimator)
    try:
        data = sio.dumps(estimator, compression=compression)
    except (RecursionError, TypeError) as error:
        parts = _unsaveable_parts(sio, estimator, type(estimator).__name__)
        raise TypeError(
            f"{type(estimator).__name__} cannot be saved in the skops format: skops "
            f"cannot store {', '.join(parts[:3])} ({type(error).__name__}: {error}). "
            "Save it with joblib.dump(model, path) instead and load it only from "
            "sources you trust."
        ) from error
    torch_types = [
        name for name in sio.get_untrusted_types(data=data) if _top_module(name) in _UNSAFE_MODULES
    ]
    if torch_types:
        owner = (
            f"{type(estimator).__name__}, which holds torch or skorch objects "
            f"({', '.join(torch_types[:3])}),"
        )
        raise TypeError(_neural_refusal(owner))
    if hasattr(file, "write"):
        file.write(data)
    else:
        with open(os.fspath(file), "wb") as handle:
            handle.write(data)


def load(file, trusted=None):
    """Load an estimator saved by :func:`dump`, without running code from the file.

    The file is refused unless every type in it is trusted: by skops's defaults, by
    :data:`TRUSTED_TYPES` or by ``trusted``.

    Parameters
    ----------
    file : str, path-like or binary file object
        The saved file.
    trusted : list of str or type, or None, default=None
        Further types to trust, by their full name as :func:`get_untrusted_types`
        gives it (``"sklearn.tree._tree.Tree"``) or as the class. Add only types you
        have reviewed; never trust a file's whole list just to make it load.

    Returns
    -------
    estimator : object
        The loaded estimator.

    Raises
    ------
    skops.io.exceptions.UntrustedTypesFoundException
        A subclass of TypeError, naming the types that are not trusted.
    TypeError
        When ``trusted`` is not a list of names or types (``trusted=True`` in
        particular is refused).
    ImportError
        When skops is not installed.

    See Also
    --------
    dump : Save an estimator.
    get_untrusted_types : Review a file's types before loading it.
    """
    sio = _import_skops()
    from skops.io.exceptions import UntrustedTypesFoundException

    extra = _trusted_list(trusted)
    try:
        return sio.load(file, trusted=[*TRUSTED_TYPES, *extra])
    except UntrustedTypesFoundException as error:
        error.args = (
            f"{error.args[0]}\n\nmmsk trusts its own classes and the types in "
            "mmsk.persistence.TRUSTED_TYPES. If you trust where this file comes from, "
            "review the types above and pass them as "
            "mmsk.persistence.load(file, trusted=[...]).",
        )
        raise


def get_untrusted_types(file):
    """The types in a saved file that :func:`load` refuses unless given in ``trusted``.

    Parameters
    ----------
    file : str, path-like or binary file object
        The saved file.

    Returns
    -------
    untrusted_types : list of str
        Full type names, sorted; empty when :func:`load` accepts the file as it is.

    Notes
    -----
    A file object is read to its end.
    """
    sio = _import_skops()
    if hasattr(file, "read"):
        untrusted = sio.get_untrusted_types(data=file.read())
    else:
        untrusted = sio.get_untrusted_types(file=os.fspath(file))
    return sorted(set(untrusted) - set(TRUSTED_TYPES))


def _trusted_list(trusted):
    if trusted is None:
        return []
    if isinstance(trusted, (str, type)):
        return [trusted]
    if not isinstance(trusted, (list, tuple)) or not all(
        isinstance(item, (str, type)) for item in trusted
    ):
        raise TypeError(
            "trusted must be None or a list of type names (str) or types, as "
            f"get_untrusted_types returns them; got {trusted!r}. Trusting everything "
            "(trusted=True) is not possible: review the types and list them."
        )
    return list(trusted)


def _top_module(type_name):
    return type_name.split(".", 1)[0]
