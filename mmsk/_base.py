"""The modality machinery shared by every fusion family.

It resolves the ``modalities`` spec against the columns of ``X``, routes
``get_params``/``set_params`` through modality names, selects each modality's columns
and tells, row by row, whether a modality is present.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils.metaestimators import _BaseComposition

from ._image_io import holds_images, image_cells_present
from ._kinds import COLUMN_KINDS, TABULAR_KINDS, detect_column_kinds
from ._validation import check_frame
from .modality import ImageEmbedder, TabularEncoder, TextVectorizer

_SPECIAL_TRANSFORMERS = ("auto", "passthrough", "drop")


class KindSelector:
    """Select the columns of ``X`` whose detected kind is one of ``kinds``.

    Use it as the ``columns`` of a modality, like scikit-learn's
    ``make_column_selector``. A modality whose selector matches no column is left out
    (and reported) instead of raising, so one spec fits tables with and without text.

    Parameters
    ----------
    *kinds : str
        Kinds among ``"numeric"``, ``"categorical"``, ``"datetime"``, ``"text"``,
        ``"image"``, ``"identifier"`` and ``"empty"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from mmsk import KindSelector
    >>> X = pd.DataFrame({"age": [31, 45], "review": ["fits well and looks great", "too small"]})
    >>> KindSelector("text")(X)
    ['review']
    """

    def __init__(self, *kinds):
        unknown = [kind for kind in kinds if kind not in COLUMN_KINDS]
        if not kinds or unknown:
            raise ValueError(
                f"KindSelector expects one or more kinds among {list(COLUMN_KINDS)}; "
                f"got {list(kinds)}."
            )
        self.kinds = tuple(kinds)

    def __call__(self, X, column_kinds=None):
        if column_kinds is None:
            column_kinds = detect_column_kinds(X)
        return [column for column, kind in column_kinds.items() if kind in self.kinds]

    def __repr__(self):
        return f"KindSelector({', '.join(map(repr, self.kinds))})"

    def __eq__(self, other):
        return isinstance(other, KindSelector) and other.kinds == self.kinds

    def __hash__(self):
        return hash(self.kinds)


def default_modalities():
    """The spec that ``modalities="auto"`` stands for.

    Returns
    -------
    modalities : list of tuple
        ``("tabular", TabularEncoder(), KindSelector("numeric", "categorical",
        "datetime"))``, ``("text", TextVectorizer(), KindSelector("text"))`` and
        ``("image", ImageEmbedder(), KindSelector("image"))``. Identifier-like and
        entirely missing columns belong to none.

    Examples
    --------
    >>> from mmsk import default_modalities
    >>> [name for name, _, _ in default_modalities()]
    ['tabular', 'text', 'image']
    """
    return [
        ("tabular", TabularEncoder(), KindSelector(*TABULAR_KINDS)),
        ("text", TextVectorizer(), KindSelector("text")),
        ("image", ImageEmbedder(), KindSelector("image")),
    ]


_DEFAULT_NAMES = ("tabular", "text", "image")


@dataclass
class Modality:
    """One resolved modality: its name, transformer, columns and kind.

    Attributes
    ----------
    name : str
        The modality's name.
    transformer : estimator, "passthrough"
        An unfitted clone of the modality's transformer.
    columns : list
        Labels of the modality's columns in ``X``.
    positions : ndarray of int
        Positions of those columns in ``X``.
    kind : {"text", "image", "tabular"}
        ``"text"`` when every column is free text, ``"image"`` when every column
        holds images, ``"tabular"`` otherwise.
    """

    name: str
    transformer: object
    columns: list
    positions: np.ndarray
    kind: str

    def select(self, frame):
        """The modality's columns of ``frame``, as a DataFrame."""
        return frame.iloc[:, self.positions]

    def presence(self, frame):
        """Boolean mask of the rows where at least one of the modality's cells is set."""
        return presence_mask(self.select(frame))


def presence_mask(frame):
    """Whether each row has at least one non-missing cell.

    Missing means NaN, None, NaT, or a string that is empty or only whitespace; in a
    column of images, also a cell whose image cannot be read.

    Parameters
    ----------
    frame : pandas.DataFrame
        The columns of one modality.

    Returns
    -------
    present : ndarray of bool of shape (n_samples,)
    """
    present = np.zeros(len(frame), dtype=bool)
    for position in range(frame.shape[1]):
        present |= _cell_present(frame.iloc[:, position])
    return present


def presence_matrix(parts):
    """Whether each row has each modality: :func:`presence_mask` of every part.

    Parameters
    ----------
    parts : list of pandas.DataFrame
        The columns of each modality.

    Returns
    -------
    present : ndarray of bool of shape (n_samples, n_modalities)
    """
    return np.column_stack([presence_mask(part) for part in parts])


def modalities_present(modalities, frame):
    """Whether each row of the training ``frame`` has each resolved modality.

    Returns
    -------
    present : ndarray of bool of shape (n_samples, n_modalities)
    """
    return presence_matrix([modality.select(frame) for modality in modalities])


def _cell_present(column):
    present = column.notna().to_numpy()
    if pd.api.types.is_numeric_dtype(column.dtype):
        return present & np.isfinite(column.to_numpy(dtype=np.float64, na_value=np.nan))
    text_like = isinstance(column.dtype, pd.StringDtype) or pd.api.types.is_object_dtype(
        column.dtype
    )
    if text_like and holds_images(column):
        return image_cells_present(column)
    if isinstance(column.dtype, pd.StringDtype):
        blank = column.str.strip().eq("").fillna(False)
        return present & ~blank.to_numpy(dtype=bool)
    if pd.api.types.is_object_dtype(column.dtype):
        blank = column.map(_is_blank)
        return present & ~blank.to_numpy(dtype=bool)
    return present


def _is_blank(value):
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and not np.isfinite(value)


class ModalityComposition(_BaseComposition):
    """Base class of estimators that take a ``modalities`` spec.

    It routes parameters through modality names (``text__max_features``,
    ``set_params(text="drop")``), resolves the spec at fit time and gives subclasses
    the resolved :class:`Modality` list. Think twice before adding anything here.
    """

    @property
    def _modality_transformers(self):
        if isinstance(self.modalities, str):
            return []
        try:
            return [(name, transformer) for name, transformer, _ in self.modalities]
        except (TypeError, ValueError):
            return []

    @_modality_transformers.setter
    def _modality_transformers(self, pairs):
        columns = [entry[2] for entry in self.modalities]
        self.modalities = [(name, trans, cols) for (name, trans), cols in zip(pairs, columns)]

    def get_params(self, deep=True):
        """Get parameters, including those of each modality's transformer.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of the modality transformers, as
            ``"{modality}__{parameter}"``.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return self._get_params("_modality_transformers", deep=deep)

    def set_params(self, **params):
        """Set parameters, routing ``"{modality}__{parameter}"`` to that modality.

        With ``modalities="auto"``, a parameter of the ``tabular``, ``text`` or
        ``image`` modality first turns the spec into :func:`default_modalities`, so
        ``set_params(text__max_features=1000)`` and ``set_params(text="drop")`` work
        without writing the spec out.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
            The estimator.
        """
        if self._routes_to_default_modalities(params):
            self.modalities = default_modalities()
        self._set_params("_modality_transformers", **params)
        return self

    def _routes_to_default_modalities(self, params):
        if "modalities" in params or not isinstance(self.modalities, str):
            return False
        return self.modalities == "auto" and any(
            key.split("__")[0] in _DEFAULT_NAMES for key in params
        )

    def _check_fit_input(self, X):
        """Validate ``X`` in fit; sets ``n_features_in_`` and ``feature_names_in_``."""
        return check_frame(self, X, reset=True)

    def _resolve_modalities(self, frame):
        """Detect column kinds of a validated ``frame`` and resolve the spec.

        Sets ``column_kinds_``, ``modality_columns_`` and ``modality_kinds_``.

        Returns
        -------
        frame : pandas.DataFrame
        modalities : list of Modality

        Raises
        ------
        ValueError
            When a modality is missing in every row of ``frame``: nothing can be
            learned from it.
        """
        self.column_kinds_ = detect_column_kinds(frame)
        spec = default_modalities() if _is_auto(self.modalities) else self.modalities
        modalities = _resolve_spec(self, spec, frame, self.column_kinds_)
        for modality in modalities:
            _check_seen_in_training(modality, frame)
        self.modality_columns_ = {m.name: list(m.columns) for m in modalities}
        self.modality_kinds_ = {m.name: m.kind for m in modalities}
        if getattr(self, "verbose", False):
            print(describe_resolution(self.column_kinds_, modalities))
        return frame, modalities

    def _spec_names(self):
        """Names of the modalities in the spec, including those left out at fit time."""
        spec = default_modalities() if _is_auto(self.modalities) else self.modalities
        return [entry[0] for entry in spec]

    def _check_input(self, X):
        """Validate ``X`` at predict or transform time against what fit saw.

        A DataFrame is matched by column label (any order, extra columns ignored);
        an array by position.
        """
        return check_frame(self, X, reset=False, required=self._required_columns())

    def _required_columns(self):
        """Every column read at predict time, mapped to what reads it."""
        return {
            column: f"modality {name!r}"
            for name, columns in self.modality_columns_.items()
            for column in columns
        }

    def _select_modalities(self, X):
        """Validate ``X`` at predict time and return the columns of each fitted modality.

        Returns
        -------
        parts : list of pandas.DataFrame
            The columns of each modality of ``modality_columns_``, in fit order; see
            :func:`presence_matrix` for where each is present.
        """
        frame = self._check_input(X)
        return [select_columns(frame, columns) for columns in self.modality_columns_.values()]

    def _check_modality_dict(self, parameter, mapping):
        """Validate a parameter keyed by modality name; see :func:`check_modality_dict`."""
        return check_modality_dict(type(self).__name__, parameter, mapping, self._spec_names())


def check_modality_dict(owner, parameter, mapping, names):
    """Check that a dict parameter is keyed by names of the modality spec.

    Every parameter keyed by modality name (late fusion's ``estimators``, early
    fusion's ``modality_weights``, neural fusion's ``encoders``) follows one rule: a
    key must name a modality of the spec. A modality of the spec that selects no
    column of this table (a :class:`KindSelector` that found nothing, or one set to
    ``"drop"``) may be named; its entry is then unused, so one set of parameters fits
    tables with and without that modality.

    Parameters
    ----------
    owner : str
        The estimator's class name, for the message.
    parameter : str
        The parameter's name.
    mapping : dict or str
        The parameter's value; a string (``"auto"``) means no entries.
    names : list of str
        The names of the modalities in the spec.

    Returns
    -------
    mapping : dict
        ``mapping``, or an empty dict for a string.

    Raises
    ------
    ValueError
        When a key is not the name of a modality of the spec.
    """
    if isinstance(mapping, str):
        return {}
    unknown = [key for key in mapping if key not in names]
    if unknown:
        raise ValueError(
            f"The {parameter!r} parameter of {owner} names modalities {unknown} that are "
            f"not in its modalities spec; the spec's modalities are {list(names)}. Use "
            "those names as keys."
        )
    return mapping


def select_columns(frame, columns):
    """The ``columns`` of ``frame`` (labels, checked present), as a DataFrame.

    Positions come from a plain dict rather than the columns' index engine, which
    pandas builds lazily and not thread-safely on first use: several threads may
    predict on one DataFrame at once.
    """
    position = {label: i for i, label in enumerate(frame.columns.tolist())}
    return frame.iloc[:, [position[column] for column in columns]]


def _check_seen_in_training(modality, frame):
    columns = modality.select(frame)
    head = 1024
    if presence_mask(columns.iloc[:head]).any() or presence_mask(columns.iloc[head:]).any():
        return
    raise ValueError(
        f"Modality {modality.name!r} is missing in every training row: its columns "
        f"{modality.columns} hold only missing values (NaN, None, infinite numbers or "
        f"blank strings) in all {len(frame)} rows, so nothing can be learned from it. "
        f"Drop it with set_params({modality.name}='drop') or provide rows where it is set."
    )


def _is_auto(spec):
    return isinstance(spec, str) and spec == "auto"


def _resolve_spec(owner, spec, frame, column_kinds):
    entries = _check_spec_entries(owner, spec)
    owner._validate_names([name for name, _, _ in entries])
    modalities, claimed = [], {}
    for name, transformer, columns in entries:
        if _is_drop(transformer):
            continue
        labels = _resolve_columns(name, columns, frame, column_kinds)
        if not labels:
            if isinstance(columns, KindSelector):
                continue
            raise ValueError(
                f"Modality {name!r} selects no columns of X (columns={columns!r}); give "
                "it at least one column or set its transformer to 'drop'."
            )
        _claim_columns(claimed, name, labels)
        modalities.append(_build_modality(name, transformer, labels, frame, column_kinds))
    if not modalities:
        raise ValueError(
            f"No column of X belongs to a modality of {type(owner).__name__}. Detected "
            f"column kinds: {column_kinds}. Identifier-like and entirely missing columns "
            "are left out by default; pass an explicit modalities spec to use them."
        )
    return modalities


def _check_spec_entries(owner, spec):
    owner_name = type(owner).__name__
    if isinstance(spec, str) or not isinstance(spec, (list, tuple)) or not spec:
        raise ValueError(
            f"The 'modalities' parameter of {owner_name} must be 'auto' or a non-empty "
            f"list of (name, transformer, columns) tuples. Got {spec!r} instead."
        )
    for entry in spec:
        if not isinstance(entry, tuple) or len(entry) != 3 or not isinstance(entry[0], str):
            raise ValueError(
                f"Each entry of the 'modalities' parameter of {owner_name} must be a "
                f"(name, transformer, columns) tuple with a string name. Got {entry!r}."
            )
        _check_transformer(entry[0], entry[1])
    return spec


def _check_transformer(name, transformer):
    if isinstance(transformer, str):
        if transformer not in _SPECIAL_TRANSFORMERS:
            raise ValueError(
                f"The transformer of modality {name!r} must be an estimator or one of "
                f"{list(_SPECIAL_TRANSFORMERS)}. Got {transformer!r}."
            )
        return
    if isinstance(transformer, type):
        raise TypeError(
            f"The transformer of modality {name!r} must be an instance "
            f"({transformer.__name__}()), not the class {transformer.__name__}."
        )
    if not (hasattr(transformer, "fit") and hasattr(transformer, "transform")):
        raise TypeError(
            f"The transformer of modality {name!r} must implement fit and transform, "
            f"or be one of {list(_SPECIAL_TRANSFORMERS)}. Got {transformer!r}."
        )


def _is_drop(transformer):
    return isinstance(transformer, str) and transformer == "drop"


def _resolve_columns(name, columns, frame, column_kinds):
    if isinstance(columns, KindSelector):
        return columns(frame, column_kinds)
    if callable(columns):
        columns = columns(frame)
    if isinstance(columns, slice):
        return list(frame.columns[columns])
    if isinstance(columns, (str, int, np.integer)):
        columns = [columns]
    columns = list(np.asarray(columns, dtype=object).ravel()) if len(columns) else []
    if columns and all(isinstance(c, (bool, np.bool_)) for c in columns):
        return _columns_from_mask(name, columns, frame)
    return [_column_label(name, column, frame) for column in columns]


def _columns_from_mask(name, mask, frame):
    if len(mask) != frame.shape[1]:
        raise ValueError(
            f"The boolean column mask of modality {name!r} has {len(mask)} entries but X "
            f"has {frame.shape[1]} columns."
        )
    return [column for column, keep in zip(frame.columns, mask) if keep]


def _column_label(name, column, frame):
    if column in frame.columns:
        return column
    if isinstance(column, (int, np.integer)) and not isinstance(column, bool):
        if -frame.shape[1] <= column < frame.shape[1]:
            return frame.columns[column]
        raise ValueError(
            f"Modality {name!r} selects column position {column}, but X has only "
            f"{frame.shape[1]} columns."
        )
    raise ValueError(
        f"Modality {name!r} selects column {column!r}, which is not in X. "
        f"X has columns {list(frame.columns)}."
    )


def _claim_columns(claimed, name, labels):
    for label in labels:
        if label in claimed:
            raise ValueError(
                f"Column {label!r} belongs to both modality {claimed[label]!r} and "
                f"modality {name!r}; modalities must not overlap. Give each column "
                "to one modality."
            )
        claimed[label] = name


def _build_modality(name, transformer, labels, frame, column_kinds):
    kind = _modality_kind([column_kinds[label] for label in labels])
    if isinstance(transformer, str) and transformer == "auto":
        transformer = _AUTO_TRANSFORMERS[kind]()
    elif not isinstance(transformer, str):
        transformer = clone(transformer)
    positions = np.asarray([frame.columns.get_loc(label) for label in labels], dtype=int)
    return Modality(name, transformer, list(labels), positions, kind)


_AUTO_TRANSFORMERS = {"text": TextVectorizer, "image": ImageEmbedder, "tabular": TabularEncoder}


def _modality_kind(kinds):
    for kind in ("text", "image"):
        if all(column_kind == kind for column_kind in kinds):
            return kind
    return "tabular"


def describe_resolution(column_kinds, modalities):
    """Readable account of which columns went to which modality, and why.

    Parameters
    ----------
    column_kinds : dict
        Column label to detected kind.
    modalities : list of Modality
        The resolved modalities.

    Returns
    -------
    text : str
    """
    lines = ["[mmsk] column kinds: " + ", ".join(f"{c!r}={k}" for c, k in column_kinds.items())]
    used = set()
    for modality in modalities:
        used.update(modality.columns)
        transformer = modality.transformer
        shown = transformer if isinstance(transformer, str) else type(transformer).__name__
        lines.append(
            f"[mmsk] modality {modality.name!r} ({modality.kind}, {shown}): "
            + ", ".join(map(repr, modality.columns))
        )
    unused = [f"{c!r} ({k})" for c, k in column_kinds.items() if c not in used]
    if unused:
        lines.append("[mmsk] columns in no modality: " + ", ".join(unused))
    return "\n".join(lines)
