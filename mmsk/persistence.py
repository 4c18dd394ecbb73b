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

import inspect
import io
import json
import os
import zipfile

from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._base import KindSelector
from ._registry import COORDINATED_STATE_TYPES, FAMILIES, family_of, public_estimators
from ._utils import import_optional

__all__ = [
    "DEFAULT_MAX_SIZE",
    "TRUSTED_TYPES",
    "ModelFileError",
    "UntrustedPatternError",
    "dump",
    "get_untrusted_types",
    "is_model_file",
    "load",
]


class ModelFileError(ValueError):
    """A file that :func:`load` cannot read as an mmsk model in the skops format.

    Raised for a file that is not a zip archive (a truncated file, a pickle or joblib
    file), an archive without a valid ``schema.json``, an archive larger than
    ``max_size`` once decompressed, content that skops cannot rebuild, and a model
    whose fitted state is incomplete. The message names the file and what is wrong.
    """


class UntrustedPatternError(ValueError):
    """A loaded model carries a regular expression that :func:`load` does not trust.

    A crafted pattern (``token_pattern="(a+)+$"``) can make ``transform`` or ``predict``
    run for hours on a short text. :func:`load` accepts the patterns of the classes'
    defaults and those mmsk itself uses, and any pattern listed in its
    ``trusted_patterns``.
    """


#: The largest total size, in bytes, of a model file's members once decompressed that
#: :func:`load` reads unless given a larger ``max_size``: 2 GiB.
DEFAULT_MAX_SIZE = 2**31

_SCHEMA = "schema.json"
_SCHEMA_KEYS = ("__class__", "__module__", "__loader__", "protocol")
# Pickle protocols 2 and above start with this opcode (joblib.dump writes one too).
_PICKLE_START = b"\x80"


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

    Unlike a pickle or joblib file, which is code (loading one runs whatever it names,
    so it must come from a trusted source), the file holds JSON and numpy arrays only,
    and :func:`load` reads it without running code from it.

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


def load(file, trusted=None, *, trusted_patterns=None, max_size=DEFAULT_MAX_SIZE):
    """Load an estimator saved by :func:`dump`, without running code from the file.

    What "safe" promises here: no function named in the file is called while loading,
    and the loaded model is complete. In detail, ``load`` refuses

    - a file that is not an mmsk model in the skops format (not a zip archive, no
      valid ``schema.json``, content skops cannot rebuild): :class:`ModelFileError`;
    - a file larger than ``max_size`` bytes once decompressed (a zip bomb):
      :class:`ModelFileError`, before anything is decompressed;
    - a file holding a type that is not trusted, by skops's defaults, by
      :data:`TRUSTED_TYPES` or by ``trusted``:
      ``skops.io.exceptions.UntrustedTypesFoundException``, before anything is built;
    - a model whose fitted state is incomplete (a fitted attribute such as
      ``classes_`` or ``estimators_`` removed from the file), so that a model that
      loads also predicts: :class:`ModelFileError`;
    - a regular expression that is neither the default of its parameter nor one mmsk
      uses itself (``token_pattern`` of a text vectorizer or of
      :class:`~mmsk.TextTokenizer`, any parameter whose name ends in ``pattern``),
      unless listed in ``trusted_patterns``: a crafted pattern can make ``predict``
      run for hours. :class:`UntrustedPatternError`.

    It does not promise that the numbers in the file are the ones :func:`dump` wrote:
    a crafted file can hold a complete model that predicts anything. Load models from
    sources you trust to have trained them. Pickle and joblib files are code: loading
    one runs whatever it names, so never pass one from an untrusted source to
    :func:`pickle.load` or :func:`joblib.load` (``load`` refuses them).

    Parameters
    ----------
    file : str, path-like or binary file object
        The saved file.
    trusted : list of str or type, or None, default=None
        Further types to trust, by their full name as :func:`get_untrusted_types`
        gives it (``"sklearn.tree._tree.Tree"``) or as the class. Add only types you
        have reviewed; never trust a file's whole list just to make it load.
    trusted_patterns : list of str or None, default=None
        Regular expressions to accept beyond the defaults, exactly as the
        :class:`UntrustedPatternError` message quotes them. Add only patterns you
        have reviewed.
    max_size : int, default=DEFAULT_MAX_SIZE
        The largest total size, in bytes, of the file's members once decompressed
        (2 GiB by default).

    Returns
    -------
    estimator : object
        The loaded estimator.

    Raises
    ------
    ModelFileError
        A subclass of ValueError: the file is not a readable mmsk model file, is
        larger than ``max_size`` decompressed, or holds an incomplete fitted model;
        the message names the file and what is wrong.
    UntrustedPatternError
        A subclass of ValueError, naming the estimator, the parameter and the pattern.
    skops.io.exceptions.UntrustedTypesFoundException
        A subclass of TypeError, naming the types that are not trusted.
    FileNotFoundError, IsADirectoryError
        When ``file`` is a path with no file, or the path of a directory.
    TypeError
        When ``trusted`` or ``trusted_patterns`` is not a list (``trusted=True`` in
        particular is refused), or ``file`` is a text-mode file object.
    ImportError
        When skops is not installed.

    See Also
    --------
    dump : Save an estimator.
    get_untrusted_types : Review a file's types before loading it.
    is_model_file : Whether a file looks like an mmsk model in the skops format.
    """
    sio = _import_skops()
    from skops.io.exceptions import UntrustedTypesFoundException

    extra = _trusted_list(trusted)
    patterns = _trusted_pattern_list(trusted_patterns)
    name, data = _read_model_file(file, max_size)
    try:
        estimator = sio.loads(data, trusted=[*TRUSTED_TYPES, *extra])
    except UntrustedTypesFoundException as error:
        error.args = (
            f"{error.args[0]}\n\nmmsk trusts its own classes and the types in "
            "mmsk.persistence.TRUSTED_TYPES. If you trust where this file comes from, "
            "review the types above and pass them as "
            "mmsk.persistence.load(file, trusted=[...]).",
        )
        raise
    except Exception as error:
        raise _unreadable(name, error) from error
    _check_complete(estimator, name)
    _check_patterns(estimator, name, patterns)
    return estimator


def get_untrusted_types(file, *, max_size=DEFAULT_MAX_SIZE):
    """The types in a saved file that :func:`load` refuses unless given in ``trusted``.

    Parameters
    ----------
    file : str, path-like or binary file object
        The saved file.
    max_size : int, default=DEFAULT_MAX_SIZE
        The largest total size, in bytes, of the file's members once decompressed.

    Returns
    -------
    untrusted_types : list of str
        Full type names, sorted; empty when :func:`load` accepts the file as it is.

    Raises
    ------
    ModelFileError
        When the file is not a readable mmsk model file (see :func:`load`).

    Notes
    -----
    A file object is read to its end.
    """
    sio = _import_skops()
    name, data = _read_model_file(file, max_size)
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as error:
        raise _unreadable(name, error) from error
    return sorted(set(untrusted) - set(TRUSTED_TYPES))


def is_model_file(file):
    """Whether ``file`` looks like an mmsk model saved in the skops format.

    A cheap test of the layout, meant to choose between :func:`load` and a pickle
    loader: a zip archive with a ``schema.json`` member. It reads the zip archive's
    directory, not the members, so a file it accepts can still be refused by
    :func:`load`. It needs neither skops nor a trusted file, and runs no code from it.

    Parameters
    ----------
    file : str, path-like or binary file object
        The file to test; a file object is read from its current position, which is
        restored.

    Returns
    -------
    is_model_file : bool
        False for a path with no file, a directory, or any file that is not a zip
        archive with a ``schema.json`` (a pickle or joblib file in particular).
    """
    if hasattr(file, "read"):
        start = file.tell()
        try:
            return _has_schema(file)
        finally:
            file.seek(start)
    try:
        if not os.path.isfile(os.fspath(file)):
            return False
        with open(os.fspath(file), "rb") as handle:
            return _has_schema(handle)
    except (OSError, TypeError):
        return False


def _has_schema(handle):
    try:
        with zipfile.ZipFile(handle) as archive:
            return _SCHEMA in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False


# ------------------------------------------------------------ reading a file


def _read_model_file(file, max_size):
    """The file's name (for messages) and bytes, once its layout has been checked."""
    _check_max_size(max_size)
    if hasattr(file, "read"):
        name = repr(getattr(file, "name", "<file object>"))
        data = file.read()
        if not isinstance(data, bytes):
            raise TypeError(
                f"The model file {name} was opened in text mode; open it in binary mode "
                "(open(path, 'rb')) or pass its path."
            )
    else:
        path = os.fspath(file)
        name = repr(path)
        _check_path(path)
        with open(path, "rb") as handle:
            data = handle.read()
    _check_archive(name, data, max_size)
    return name, data


def _check_max_size(max_size):
    if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
        raise ValueError(f"max_size must be a positive int (bytes); got {max_size!r}.")


def _check_path(path):
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"The model file {path!r} is a directory; pass the path of the file that "
            "mmsk.persistence.dump wrote."
        )
    if not os.path.exists(path):
        raise FileNotFoundError(f"There is no model file at {path!r}.")


def _check_archive(name, data, max_size):
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ModelFileError(f"The model file {name} is {_not_a_zip_reason(data)}")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            _check_size(name, members, max_size)
            schema = _read_schema(name, archive)
    except zipfile.BadZipFile as error:
        raise ModelFileError(f"The model file {name} is a damaged zip archive: {error}.") from None
    _check_schema(name, schema)


def _not_a_zip_reason(data):
    if not data:
        return "empty: it holds no model."
    if data.startswith(_PICKLE_START):
        return (
            "a pickle (what pickle.dump and joblib.dump write), not an mmsk model in the "
            "skops format. Loading a pickle runs code from the file: load it with "
            "joblib.load only if you trust its source."
        )
    return (
        "not a zip archive, so not an mmsk model in the skops format (a truncated copy "
        "of one, or a file of another format)."
    )


def _check_size(name, members, max_size):
    total = sum(member.file_size for member in members)
    if total > max_size:
        raise ModelFileError(
            f"The model file {name} would take {total} bytes once decompressed, more than "
            f"max_size={max_size}. If you trust the file, load it with a larger "
            "max_size."
        )


def _read_schema(name, archive):
    if _SCHEMA not in archive.namelist():
        raise ModelFileError(
            f"The model file {name} is a zip archive without {_SCHEMA}, so not an mmsk "
            "model in the skops format."
        )
    try:
        return json.loads(archive.read(_SCHEMA))
    except (ValueError, RecursionError) as error:
        raise ModelFileError(
            f"The {_SCHEMA} of the model file {name} is not valid JSON ({error})."
        ) from None


def _check_schema(name, schema):
    missing = [key for key in _SCHEMA_KEYS if not isinstance(schema, dict) or key not in schema]
    if missing:
        raise ModelFileError(
            f"The {_SCHEMA} of the model file {name} lacks the key(s) {missing} that "
            "every skops file has; the file is damaged or of another format."
        )


def _unreadable(name, error):
    return ModelFileError(
        f"The model file {name} could not be rebuilt: its content is damaged or was not "
        f"written by mmsk.persistence.dump ({type(error).__name__}: {error})."
    )


# ----------------------------------------------------- checking a loaded model

# The fitted attributes without which an mmsk estimator cannot predict or transform,
# by class name. Each is set by every fit (tests/test_persistence.py checks that every
# public estimator saved in the skops format has an entry, and the round trips that
# none is missing from a fitted model).
_MODALITY_STATE = ("n_features_in_", "column_kinds_", "modality_columns_", "modality_kinds_")
_PER_MODALITY_STATE = (*_MODALITY_STATE, "estimators_", "modality_names_")
_REQUIRED_STATE = {
    "TabularEncoder": (
        "n_features_in_",
        "column_kinds_",
        "numeric_columns_",
        "categorical_columns_",
        "datetime_columns_",
        "dropped_columns_",
    ),
    "TextVectorizer": ("n_features_in_", "vectorizers_"),
    "TextTokenizer": ("n_features_in_", "vocabulary_", "vocabulary_size_"),
    "SentenceEmbedder": ("n_features_in_", "embedding_dim_", "device_"),
    "ImageEmbedder": ("n_features_in_", "embedding_dim_", "backend_"),
    "ImageArrays": ("n_features_in_", "image_shape_"),
    "ModalityUnion": (*_MODALITY_STATE, "transformers_"),
    "EarlyFusionClassifier": (*_MODALITY_STATE, "transformers_", "estimator_", "classes_"),
    "EarlyFusionRegressor": (*_MODALITY_STATE, "transformers_", "estimator_"),
    "LateFusionClassifier": (*_PER_MODALITY_STATE, "fusion_", "weights_", "classes_"),
    "LateFusionRegressor": (*_PER_MODALITY_STATE, "fusion_", "weights_"),
    "BayesianNetworkFusionClassifier": (
        *_PER_MODALITY_STATE,
        "cpds_",
        "network_",
        "node_states_",
        "classes_",
    ),
    "BayesianNetworkFusionRegressor": (*_PER_MODALITY_STATE, "cpds_", "network_", "node_states_"),
    "MarkovRandomFieldFusionClassifier": (*_PER_MODALITY_STATE, "field_", "edges_", "classes_"),
    "MarkovRandomFieldFusionRegressor": (*_PER_MODALITY_STATE, "field_", "edges_"),
    "CrossModalRetriever": (*_MODALITY_STATE, "transformers_", "space_"),
    "CrossModalTransferClassifier": (
        "n_features_in_",
        "aligner_",
        "estimator_",
        "source_",
        "target_",
        "classes_",
    ),
    "CrossModalTransferRegressor": (
        "n_features_in_",
        "aligner_",
        "estimator_",
        "source_",
        "target_",
    ),
    "EnsembleSelectionClassifier": ("estimators_", "member_names_", "weights_", "classes_"),
    "EnsembleSelectionRegressor": ("estimators_", "member_names_", "weights_"),
}

# A pattern mmsk's own classes pass to scikit-learn (TextVectorizer's word vectorizers).
_MMSK_PATTERNS = (r"(?u)\b\w+\b",)


def required_state(cls):
    """The fitted attributes an mmsk estimator of class ``cls`` needs; () if none listed."""
    if not cls.__module__.startswith("mmsk."):
        return ()
    return _REQUIRED_STATE.get(cls.__name__, ())


def _check_complete(model, name):
    """Refuse a model whose fitted state, or that of an estimator inside it, is partial."""
    for path, estimator, inside_fitted in _estimators(model, type(model).__name__):
        problem = _state_problem(estimator, inside_fitted)
        if problem:
            raise ModelFileError(
                f"The model file {name} holds an incomplete model: {path} "
                f"({type(estimator).__name__}) {problem}. The file is damaged or was "
                "edited; save the model again from the fitted original."
            )


def _state_problem(estimator, inside_fitted):
    required = required_state(type(estimator))
    fitted = [key for key in vars(estimator) if key.endswith("_") and not key.startswith("__")]
    missing = [key for key in required if key not in vars(estimator)]
    if required and missing and (fitted or inside_fitted):
        return f"lacks the fitted attribute(s) {missing}"
    if inside_fitted and not required:
        try:
            check_is_fitted(estimator)
        except (NotFittedError, TypeError, AttributeError, ValueError):
            return "is not fitted, yet it is part of a fitted model"
    return None


def _estimators(value, path, inside_fitted=False, seen=None):
    """Every estimator within ``value``, its path, and whether it is in fitted state."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, BaseEstimator):
        yield path, value, inside_fitted
        # A fitted Pipeline keeps its fitted steps in its parameters; other estimators'
        # parameters hold templates (cloned at fit), which are rightly unfitted.
        steps_fitted = inside_fitted and isinstance(value, Pipeline)
        for key, child in vars(value).items():
            child_fitted = steps_fitted or (key.endswith("_") and not key.startswith("__"))
            yield from _estimators(child, f"{path}.{key}", child_fitted, seen)
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from _estimators(child, f"{path}[{key!r}]", inside_fitted, seen)
    elif isinstance(value, (list, tuple)):
        for i, child in enumerate(value):
            yield from _estimators(child, f"{path}[{i}]", inside_fitted, seen)


def _check_patterns(model, name, trusted_patterns):
    for path, estimator, _ in _estimators(model, type(model).__name__):
        for parameter, pattern in _patterns(estimator):
            if pattern in trusted_patterns or pattern in _safe_patterns(estimator, parameter):
                continue
            raise UntrustedPatternError(
                f"The model file {name} sets {path}.{parameter}={pattern!r} "
                f"({type(estimator).__name__}), a regular expression that is not the "
                "default: a crafted pattern can make predict run for hours on a short "
                "text. If you have reviewed it, pass "
                f"mmsk.persistence.load(file, trusted_patterns=[{pattern!r}])."
            )


def _patterns(estimator):
    return [
        (key, value)
        for key, value in vars(estimator).items()
        if key.endswith("pattern") and isinstance(value, str)
    ]


def _safe_patterns(estimator, parameter):
    try:
        default = inspect.signature(type(estimator)).parameters[parameter].default
    except (KeyError, TypeError, ValueError):
        default = None
    return (default, *_MMSK_PATTERNS)


def _trusted_pattern_list(trusted_patterns):
    if trusted_patterns is None:
        return []
    if isinstance(trusted_patterns, str):
        return [trusted_patterns]
    if not isinstance(trusted_patterns, (list, tuple)) or not all(
        isinstance(item, str) for item in trusted_patterns
    ):
        raise TypeError(
            "trusted_patterns must be None or a list of regular expressions (str), as "
            f"UntrustedPatternError quotes them; got {trusted_patterns!r}."
        )
    return list(trusted_patterns)


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
