"""Per-modality feature blocks: the transform step of the shared modality path.

:func:`fit_blocks` fits every resolved modality's transformer on its columns (through
the ``memory`` cache, modalities in parallel) and :func:`transform_blocks` applies the
fitted transformers at predict time. Families that transform modalities themselves
(early and neural fusion, coordinated representations) use both; families whose
per-modality estimators hold their own transformer (late, Bayesian) use only the
selection and presence steps of :class:`mmsk._base.ModalityComposition`.
"""

import numpy as np
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_array

from ._names import unique_names
from ._utils import as_memory, modality_error


def fit_blocks(modalities, frame, *, memory=None, n_jobs=None):
    """Fit each modality's transformer on its columns of ``frame``.

    Parameters
    ----------
    modalities : list of Modality
        The resolved modalities, with unfitted transformers.
    frame : pandas.DataFrame
        The training table.
    memory : str, joblib.Memory or None, default=None
        Cache of the fitted transformers and their blocks.
    n_jobs : int or None, default=None
        Number of modalities fitted in parallel.

    Returns
    -------
    transformers : list of tuple
        ``(name, fitted_transformer, columns)`` for each modality.
    blocks : list of {ndarray, sparse matrix}
        Each modality's transformed training block.
    """
    fit_transform = as_memory(memory).cache(_fit_transform_block)
    fitted = Parallel(n_jobs=n_jobs)(
        delayed(fit_transform)(m.transformer, m.select(frame), m.name) for m in modalities
    )
    transformers = [
        (m.name, transformer, m.columns) for m, (transformer, _) in zip(modalities, fitted)
    ]
    return transformers, [block for _, block in fitted]


def transform_blocks(transformers, parts):
    """Apply each fitted transformer to its modality's columns.

    Parameters
    ----------
    transformers : list of tuple
        ``(name, fitted_transformer, columns)``, as returned by :func:`fit_blocks`.
    parts : list of pandas.DataFrame
        Each modality's columns, in the same order.

    Returns
    -------
    blocks : list of {ndarray, sparse matrix}
    """
    return [
        _transform_block(transformer, part)
        for (_, transformer, _), part in zip(transformers, parts)
    ]


def block_feature_names(transformers, presence_indicators=()):
    """Output feature names of every block, then of the presence indicators.

    Parameters
    ----------
    transformers : list of tuple
        ``(name, fitted_transformer, columns)``, as returned by :func:`fit_blocks`.
    presence_indicators : iterable of str, default=()
        The modalities that get a presence-indicator column after the blocks.

    Returns
    -------
    names : list of str
        ``"{modality}__{feature}"`` for every block's features, then
        ``"{modality}__present"`` for each presence indicator. A name already taken by
        an earlier one (a feature named ``"present"``, or a transformer that repeats a
        name) gets the first free suffix among ``"__2"``, ``"__3"``, ...
    """
    names = []
    for name, transformer, columns in transformers:
        if isinstance(transformer, str):
            features = [str(column) for column in columns]
        else:
            features = transformer.get_feature_names_out()
        names.extend(f"{name}__{feature}" for feature in features)
    names.extend(f"{name}__present" for name in presence_indicators)
    return unique_names(names)


def _fit_transform_block(transformer, columns, name):
    try:
        if isinstance(transformer, str):
            return transformer, _passthrough(columns)
        _pin_default_output(transformer)
        return transformer, transformer.fit_transform(columns)
    except Exception as error:
        raise modality_error(
            error, f"Fitting the transformer of modality {name!r} failed"
        ) from error


def _transform_block(transformer, columns):
    if isinstance(transformer, str):
        return _passthrough(columns)
    return transformer.transform(columns)


def _pin_default_output(transformer):
    """Keep a modality's block an array or sparse matrix, whatever the global config says.

    Blocks are stacked or turned into tensors; the fusion estimator's own output
    follows ``set_output`` instead.
    """
    if hasattr(transformer, "set_output"):
        transformer.set_output(transform="default")


def _passthrough(columns):
    return check_array(
        columns, dtype=np.float64, ensure_all_finite=False, copy=True, input_name="X"
    )
