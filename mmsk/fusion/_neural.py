"""Neural (intermediate) fusion: per-modality encoders fused inside one network.

Each modality's block (from the shared modality machinery) goes through its own
encoder, the embeddings are fused by a fusion layer and a head predicts; the network is
trained end to end through skorch. torch and skorch are imported only when a model is
fitted or used, so that ``import mmsk`` does not need them.
"""

import copy
import os
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, check_random_state
from sklearn_compat.base import _fit_context

from .._base import ModalityComposition, modalities_present, presence_matrix
from .._blocks import fit_blocks, transform_blocks
from .._utils import import_optional
from .._validation import check_sample_weight, check_target
from ._common import combined_sample_weight, encode_classes, multimodal_tags

FUSIONS = (
    "concat",
    "mean",
    "weighted",
    "gated",
    "attention",
    "tensor",
    "lowrank",
    "conv",
    "film",
    "deepset",
)
_ENCODERS_BY_KIND = {
    "dense": ("mlp",),
    "sparse": ("sparse", "mlp"),
    "tokens": ("gru", "transformer", "bag"),
}
_OPTIMIZERS = ("adamw", "adam", "sgd")
_PREDICT_BATCH_SIZE = 4096
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _import_torch():
    """torch and mmsk's torch modules, or an ImportError that says what to install."""
    torch = import_optional("torch", purpose="Neural fusion")
    import_optional("skorch", purpose="Neural fusion")
    from . import _nn, _nn_training

    return torch, _nn, _nn_training


@contextmanager
def _seeded(torch, seed, device):
    """Seed torch's generators for the duration of the block, restoring them after."""
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


_NEURAL_CONSTRAINTS = {
    "modalities": [StrOptions({"auto"}), list],
    "encoders": [StrOptions({"auto"}), dict],
    "fusion": [StrOptions(set(FUSIONS))],
    "embedding_dim": [Interval(Integral, 1, None, closed="left")],
    "hidden_units": [Interval(Integral, 1, None, closed="left")],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "modality_dropout": [Interval(Real, 0, 1, closed="left")],
    "auxiliary_weight": [Interval(Real, 0, None, closed="left")],
    "contrastive_weight": [Interval(Real, 0, None, closed="left")],
    "contrastive_temperature": [Interval(Real, 0, None, closed="neither")],
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "optimizer": [StrOptions(set(_OPTIMIZERS)), callable],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "callbacks": [list, None],
    "train_split": [Interval(Real, 0, 1, closed="neither"), callable, None],
    "net_params": [dict, None],
    "device": [str],
    "memory": [None, str, os.PathLike, HasMethods(["cache"])],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


class _BaseNeuralFusion(ModalityComposition):
    """Data preparation, network construction and training shared by both tasks."""

    # ------------------------------------------------------------------ fitting

    def _fit_network(self, frame, target, sample_weight, n_outputs, split_y):
        torch, nn_modules, training = _import_torch()
        frame, modalities = self._resolve_modalities(frame)
        blocks = self._fit_blocks(frame, modalities)
        present = modalities_present(modalities, frame)
        self.device_ = self._resolve_device(torch)
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        with _seeded(torch, seed, self.device_):
            encoders = [
                (name, self._build_encoder(nn_modules, name, block))
                for name, block in blocks.items()
            ]
            net = self._build_net(torch, nn_modules, training, encoders, n_outputs, seed)
            dataset = training.BlockDataset(
                blocks,
                present,
                target,
                sample_weight,
                device=self.device_,
                token_blocks=self._token_blocks(),
            )
            # The dataset holds its own float32 copies; the blocks need not live on.
            del blocks, encoders
            net.fit(dataset, split_y)
        net.module_.eval()
        self.net_ = net
        self.n_iter_ = len(net.history)
        return self

    def _fit_blocks(self, frame, modalities):
        self.transformers_, fitted = fit_blocks(modalities, frame, memory=self.memory)
        blocks = {m.name: _checked_block(m.name, block) for m, block in zip(modalities, fitted)}
        self.block_kinds_ = {
            name: _block_kind(transformer, blocks[name])
            for name, transformer, _ in self.transformers_
        }
        return blocks

    def _resolve_device(self, torch):
        requested = str(self.device)
        if requested == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        try:
            device = torch.device(requested)
        except RuntimeError as error:
            raise ValueError(
                f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got {requested!r} ({error})."
            ) from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                f"device={requested!r} asks for a CUDA GPU, but torch sees none on this "
                "machine. Use device='auto' to fall back to the CPU."
            )
        return device

    def _build_encoder(self, nn_modules, name, block):
        kind = self.block_kinds_[name]
        choice = self._encoder_choices().get(name, "auto")
        if not isinstance(choice, str):
            return copy.deepcopy(choice)
        allowed = _ENCODERS_BY_KIND[kind]
        if choice == "auto":
            choice = allowed[0]
        elif choice not in allowed:
            raise ValueError(
                f"encoders[{name!r}]={choice!r} does not fit modality {name!r}, whose "
                f"block is {kind} ({_describe_block(block)}). Expected one of "
                f"{list(allowed)}, 'auto' or a torch.nn.Module."
            )
        encoder_class = nn_modules.ENCODERS[choice]
        common = {
            "embedding_dim": self.embedding_dim,
            "hidden_units": self.hidden_units,
            "dropout": self.dropout,
        }
        if kind == "tokens":
            vocabulary_size = int(self._transformer(name).vocabulary_size_)
            if choice == "transformer":
                _check_heads(name, self.hidden_units)
                common["max_length"] = block.shape[1]
            return encoder_class(vocabulary_size, **common)
        return encoder_class(block.shape[1], **common)

    def _encoder_choices(self):
        encoders = self._check_modality_dict("encoders", self.encoders)
        for name, choice in encoders.items():
            if not (isinstance(choice, str) or _is_torch_module(choice)):
                raise TypeError(
                    f"encoders[{name!r}] must be an encoder name or a torch.nn.Module "
                    f"instance; got {type(choice).__name__}."
                )
        return encoders

    def _build_net(self, torch, nn_modules, training, encoders, n_outputs, seed):
        if self.fusion == "attention":
            _check_heads("the attention fusion", self.embedding_dim, parameter="embedding_dim")
        params = {
            "module__blocks": encoders,
            "module__fusion": self.fusion,
            "module__n_outputs": n_outputs,
            "module__embedding_dim": self.embedding_dim,
            "module__hidden_units": self.hidden_units,
            "module__dropout": self.dropout,
            "module__modality_dropout": self.modality_dropout,
            "module__auxiliary_heads": self.auxiliary_weight > 0,
            "criterion": self._criterion(torch),
            "optimizer": self._optimizer_class(torch),
            "lr": self.lr,
            "max_epochs": self.max_epochs,
            "batch_size": self.batch_size,
            "callbacks": copy.deepcopy(self.callbacks),
            "train_split": self._train_split(seed),
            "iterator_train": training.BatchIterator,
            "iterator_valid": training.BatchIterator,
            "iterator_train__shuffle": True,
            "iterator_train__seed": seed,
            "device": self.device_,
            "verbose": int(self.verbose),
            "auxiliary_weight": self.auxiliary_weight,
            "contrastive_weight": self.contrastive_weight,
            "contrastive_temperature": self.contrastive_temperature,
        }
        if self.weight_decay:
            params["optimizer__weight_decay"] = self.weight_decay
        params.update(self.net_params or {})
        return training.FusionNet(nn_modules.MultimodalNetwork, **params)

    def _optimizer_class(self, torch):
        if callable(self.optimizer):
            return self.optimizer
        return {"adamw": torch.optim.AdamW, "adam": torch.optim.Adam, "sgd": torch.optim.SGD}[
            self.optimizer
        ]

    def _train_split(self, seed):
        if not isinstance(self.train_split, Real) or isinstance(self.train_split, bool):
            return self.train_split
        from skorch.dataset import ValidSplit

        return ValidSplit(
            self.train_split, stratified=self._stratified_split, random_state=seed % 2**31
        )

    # --------------------------------------------------------------- predicting

    def _network_output(self, X):
        check_is_fitted(self, "net_")
        torch, _, training = _import_torch()
        parts = self._select_modalities(X)
        blocks = {
            name: _checked_block(name, block)
            for name, block in zip(
                self.modality_columns_, transform_blocks(self.transformers_, parts)
            )
        }
        module, dtype = self._inference_module(torch)
        dataset = training.BlockDataset(
            blocks,
            presence_matrix(parts),
            device=self.net_.device,
            token_blocks=self._token_blocks(),
            dtype=dtype,
        )
        outputs = []
        with torch.inference_mode():
            for batch_X, _ in training.BatchIterator(dataset, batch_size=_PREDICT_BATCH_SIZE):
                outputs.append(module(**batch_X).to(torch.float64).cpu())
        return torch.cat(outputs).numpy().astype(np.float64)

    def _inference_module(self, torch):
        """The network to predict with, and the dtype of its inputs.

        On the CPU, a float64 copy: float32 kernels round differently with the
        number of rows in a batch, and a row's prediction must not depend on which
        other rows it is predicted with. On a GPU, the trained float32 network.
        """
        module = self.net_.module_
        if module.training:
            module.eval()
        if torch.device(self.net_.device).type != "cpu":
            return module, np.float32
        return copy.deepcopy(module).double(), np.float64

    # -------------------------------------------------------------- inspection

    @property
    def history_(self):
        """The skorch history of the fit: losses and durations per epoch."""
        check_is_fitted(self, "net_")
        return self.net_.history

    @property
    def module_(self):
        """The fitted PyTorch network."""
        check_is_fitted(self, "net_")
        return self.net_.module_

    def _token_blocks(self):
        return {name for name, kind in self.block_kinds_.items() if kind == "tokens"}

    def _transformer(self, name):
        return next(t for n, t, _ in self.transformers_ if n == name)

    def __sklearn_tags__(self):
        tags = multimodal_tags(super().__sklearn_tags__())
        tags.non_deterministic = False
        return tags


def _is_torch_module(value):
    try:
        import torch
    except ImportError:
        return False
    return isinstance(value, torch.nn.Module)


def _check_heads(owner, width, parameter="hidden_units", n_heads=4):
    if width % n_heads:
        raise ValueError(
            f"{parameter} must be a multiple of {n_heads} for {owner} ({n_heads} attention "
            f"heads); got {width}."
        )


def _block_kind(transformer, block):
    if sparse.issparse(block):
        return "sparse"
    if hasattr(transformer, "vocabulary_size_"):
        return "tokens"
    return "dense"


def _describe_block(block):
    kind = "sparse" if sparse.issparse(block) else np.asarray(block).dtype
    return f"{kind} of shape {block.shape}"


def _checked_block(name, block):
    """The block as an array or CSR matrix, refusing non-finite values."""
    if sparse.issparse(block):
        block = sparse.csr_matrix(block)
        values = block.data
    else:
        block = np.asarray(block)
        if not (np.issubdtype(block.dtype, np.number) or block.dtype == bool):
            raise TypeError(
                f"The transformer of modality {name!r} returned values of dtype "
                f"{block.dtype}; neural fusion needs numbers. Give the modality a "
                "transformer that encodes its columns numerically."
            )
        values = block
    # The extremes show NaN and infinities without a copy of the block.
    high = float(values.max()) if values.size else 0.0
    low = float(values.min()) if values.size else 0.0
    if not (np.isfinite(high) and np.isfinite(low)):
        raise ValueError(
            f"The block of modality {name!r} holds NaN or infinite values; neural fusion "
            "needs finite inputs. Give the modality a transformer that imputes (for "
            "example TabularEncoder) instead of 'passthrough'."
        )
    largest = max(abs(high), abs(low))
    if largest > _FLOAT32_MAX:
        raise ValueError(
            f"The block of modality {name!r} holds values up to {largest:.3g}, beyond the "
            f"float32 range the network computes in (about {_FLOAT32_MAX:.3g}). Rescale "
            "those columns, or clip values far outside the range seen in training."
        )
    return block


_COMMON_PARAMETERS = """    modalities : "auto" or list of tuple, default="auto"
        ``"auto"`` detects a ``"tabular"`` modality (numeric, categorical and datetime
        columns, through :class:`TabularEncoder`) and a ``"text"`` modality (free-text
        columns, through :class:`TextVectorizer`). Otherwise a list of
        ``(name, transformer, columns)`` tuples as in
        :class:`~sklearn.compose.ColumnTransformer`; use :class:`TextTokenizer` for a
        text modality read as token sequences and :class:`SentenceEmbedder` for
        pretrained sentence embeddings.
    encoders : "auto" or dict, default="auto"
        The encoder of each modality. ``"auto"`` chooses by the block the modality's
        transformer returns: ``"mlp"`` for a dense block (numbers, embeddings),
        ``"sparse"`` for a sparse block (TF-IDF; a sparse linear projection that never
        densifies the data) and ``"gru"`` for token ids (from a transformer with a
        ``vocabulary_size_`` attribute such as :class:`TextTokenizer`). A dict maps
        modality names to ``"mlp"``, ``"sparse"``, ``"gru"``, ``"transformer"``,
        ``"bag"`` (mean of token embeddings) or a ``torch.nn.Module`` that maps the
        modality's batch to ``(n_samples, embedding_dim)``; others stay ``"auto"``.
    fusion : {"concat", "mean", "weighted", "gated", "attention", "tensor", \
"lowrank", "conv", "film", "deepset"}, default="concat"
        How the modality embeddings are fused: concatenated; averaged; summed with
        learned softmax weights; mixed by a gated multimodal unit; passed through
        self-attention over one token per modality; combined by the outer product of
        the embeddings each extended with a constant 1 (tensor fusion); by a low-rank
        factorisation of that product; by a 1-D convolution across the modalities in
        input order (so the order matters), then the mean and maximum over them; by
        feature-wise linear modulation (FiLM) of each embedding by the mean of the
        others, then the mean (a single modality gets a learned scale and shift); or by
        DeepSets, a shared network on each embedding, the mean and a second network
        (independent of the modality order).
    embedding_dim : int, default=64
        Width of every modality embedding.
    hidden_units : int, default=128
        Width of the encoders' hidden layers and of the head's hidden layer.
    dropout : float, default=0.1
        Dropout in the encoders and the head.
    modality_dropout : float, default=0.0
        During training, the probability that a modality of a row is replaced by its
        learned placeholder as if it were missing (each row keeps at least one of its
        present modalities), so that the network learns to predict from any subset.
    auxiliary_weight : float, default=0.0
        Weight of the intra-modal loss: the mean task loss of one small head per
        modality, computed on rows where the modality is present.
    contrastive_weight : float, default=0.0
        Weight of the inter-modal loss: a symmetric InfoNCE loss pulling together the
        embeddings of the same row from every pair of modalities.
    contrastive_temperature : float, default=0.1
        Temperature of the contrastive loss.
    max_epochs : int, default=20
        Number of passes over the training data.
    lr : float, default=1e-3
        Learning rate.
    batch_size : int, default=256
        Rows per training batch.
    optimizer : {"adamw", "adam", "sgd"} or torch optimizer class, default="adamw"
        The optimizer.
    weight_decay : float, default=0.0
        Weight decay of the optimizer.
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (for example ``EarlyStopping`` with ``train_split``,
        ``LRScheduler`` or ``Checkpoint``); copied at each fit.
    train_split : float, callable or None, default=None
        Held-out part of the training data, scored after each epoch as
        ``valid_loss``: a fraction (stratified for classifiers), a skorch splitter
        such as ``ValidSplit(5)``, or None to train on every row.
    net_params : dict or None, default=None
        Further parameters of the underlying :class:`skorch.NeuralNet`, skorch-style
        (``{"optimizer__momentum": 0.9, "iterator_train__batch_size": 512}``); they
        override the ones derived from this estimator's parameters.
    device : str, default="auto"
        ``"auto"`` trains on the CUDA GPU when torch sees one and on the CPU otherwise;
        or ``"cpu"``, ``"cuda"``, ``"cuda:N"``. A model trained on a GPU predicts on a
        CPU-only machine after unpickling.
    memory : str, joblib.Memory or None, default=None
        Cache of the fitted modality transformers and their output blocks, reused by
        grid-search candidates that differ only in the network.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout and batch order; the same integer gives
        the same model on the CPU.
    verbose : int, default=0
        Print the column assignment and one line of losses per epoch."""

_COMMON_ATTRIBUTES = """    net_ : skorch.NeuralNet
        The fitted skorch net; ``net_.module_`` is the PyTorch network.
    history_ : skorch.History
        ``net_.history``: per epoch ``train_loss``, ``valid_loss`` (with a validation
        split) and ``dur``.
    module_ : torch.nn.Module
        The fitted network.
    n_iter_ : int
        Number of epochs run.
    device_ : torch.device
        The device the model was trained on.
    transformers_ : list of tuple
        ``(name, fitted_transformer, columns)`` for each modality.
    block_kinds_ : dict
        ``"dense"``, ``"sparse"`` or ``"tokens"``: the kind of each modality's block.
    column_kinds_ : dict
        The detected kind of every input column.
    modality_columns_ : dict
        The columns of each modality.
    modality_kinds_ : dict
        ``"text"`` or ``"tabular"`` for each modality.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Input column names, when ``X`` had string column names."""


class NeuralFusionClassifier(ClassifierMixin, _BaseNeuralFusion):
    __doc__ = f"""Neural-fusion classifier: per-modality encoders fused in one network.

    Each modality's columns are transformed by the modality's transformer, encoded by
    its own encoder into an embedding, and the embeddings are fused by a fusion layer
    whose output feeds a classification head; the whole network is trained end to end
    with cross-entropy through skorch. A modality missing in a row is replaced by a
    learned placeholder embedding.

    Needs torch and skorch (``pip install "mmsk[neural]"``).

    Parameters
    ----------
{_COMMON_PARAMETERS}
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, applied as per-row weights of the loss.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
{_COMMON_ATTRIBUTES}

    See Also
    --------
    NeuralFusionRegressor : The same for continuous targets.
    EarlyFusionClassifier : One linear model on the concatenated features.
    LateFusionClassifier : One classifier per modality, predictions combined.

    Notes
    -----
    Batches are cut from tensors that are moved to the device once, and the loss is
    read back once per epoch, so skorch's per-sample indexing and per-batch
    bookkeeping do not slow training down (see ``benchmarks/neural_speed.py``).

    On the CPU, predictions are computed by a float64 copy of the trained network, so
    that a row's prediction does not depend on the other rows of its batch (float32
    kernels round differently with the batch size); on a GPU the float32 network
    predicts.

    Examples
    --------
    >>> from mmsk import NeuralFusionClassifier
    >>> from mmsk.datasets import make_multimodal_classification
    >>> X, y = make_multimodal_classification(n_samples=300, random_state=0)
    >>> model = NeuralFusionClassifier(fusion="gated", max_epochs=5, random_state=0)
    >>> model.fit(X, y).predict_proba(X).shape
    (300, 2)
    >>> len(model.history_)
    5
    """

    _parameter_constraints = {
        **_NEURAL_CONSTRAINTS,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }
    _stratified_split = True

    def __init__(
        self,
        modalities="auto",
        *,
        encoders="auto",
        fusion="concat",
        embedding_dim=64,
        hidden_units=128,
        dropout=0.1,
        modality_dropout=0.0,
        auxiliary_weight=0.0,
        contrastive_weight=0.0,
        contrastive_temperature=0.1,
        max_epochs=20,
        lr=1e-3,
        batch_size=256,
        optimizer="adamw",
        weight_decay=0.0,
        callbacks=None,
        train_split=None,
        net_params=None,
        device="auto",
        class_weight=None,
        memory=None,
        random_state=None,
        verbose=0,
    ):
        self.modalities = modalities
        self.encoders = encoders
        self.fusion = fusion
        self.embedding_dim = embedding_dim
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.modality_dropout = modality_dropout
        self.auxiliary_weight = auxiliary_weight
        self.contrastive_weight = contrastive_weight
        self.contrastive_temperature = contrastive_temperature
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.callbacks = callbacks
        self.train_split = train_split
        self.net_params = net_params
        self.device = device
        self.class_weight = class_weight
        self.memory = memory
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the transformers and train the network.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.
        y : array-like of shape (n_samples,)
            Class labels (strings or numbers).
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights of the loss.

        Returns
        -------
        self : NeuralFusionClassifier
            The fitted classifier.
        """
        frame = self._check_fit_input(X)
        y_encoded = encode_classes(self, y, len(frame))
        weights = combined_sample_weight(
            sample_weight, y_encoded, self.class_weight, self.classes_
        )
        return self._fit_network(
            frame, y_encoded.astype(np.int64), weights, len(self.classes_), y_encoded
        )

    def _criterion(self, torch):
        return torch.nn.CrossEntropyLoss(reduction="none")

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        logits = self._network_output(X)
        return self.classes_[np.argmax(logits, axis=1)]

    def predict_proba(self, X):
        """Predict class probabilities.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        logits = self._network_output(X)
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """Predict the logarithm of class probabilities.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        logits = self._network_output(X)
        logits -= logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


class NeuralFusionRegressor(RegressorMixin, _BaseNeuralFusion):
    __doc__ = f"""Neural-fusion regressor: per-modality encoders fused in one network.

    Each modality's columns are transformed by the modality's transformer, encoded by
    its own encoder into an embedding, and the embeddings are fused by a fusion layer
    whose output feeds a regression head; the network is trained end to end with the
    squared error on standardised targets through skorch. A modality missing in a row
    is replaced by a learned placeholder embedding.

    Needs torch and skorch (``pip install "mmsk[neural]"``).

    Parameters
    ----------
{_COMMON_PARAMETERS}

    Attributes
    ----------
{_COMMON_ATTRIBUTES}
    target_mean_ : float
        Mean of the training target, added back to the predictions.
    target_scale_ : float
        Standard deviation of the training target (1 for a constant target).

    See Also
    --------
    NeuralFusionClassifier : The same for class labels.
    EarlyFusionRegressor : One linear model on the concatenated features.
    LateFusionRegressor : One regressor per modality, predictions combined.

    Examples
    --------
    >>> from mmsk import NeuralFusionRegressor
    >>> from mmsk.datasets import make_multimodal_regression
    >>> X, y = make_multimodal_regression(n_samples=300, random_state=0)
    >>> model = NeuralFusionRegressor(fusion="lowrank", max_epochs=5, random_state=0)
    >>> model.fit(X, y).predict(X).shape
    (300,)
    """

    _parameter_constraints = dict(_NEURAL_CONSTRAINTS)
    _stratified_split = False

    def __init__(
        self,
        modalities="auto",
        *,
        encoders="auto",
        fusion="concat",
        embedding_dim=64,
        hidden_units=128,
        dropout=0.1,
        modality_dropout=0.0,
        auxiliary_weight=0.0,
        contrastive_weight=0.0,
        contrastive_temperature=0.1,
        max_epochs=20,
        lr=1e-3,
        batch_size=256,
        optimizer="adamw",
        weight_decay=0.0,
        callbacks=None,
        train_split=None,
        net_params=None,
        device="auto",
        memory=None,
        random_state=None,
        verbose=0,
    ):
        self.modalities = modalities
        self.encoders = encoders
        self.fusion = fusion
        self.embedding_dim = embedding_dim
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.modality_dropout = modality_dropout
        self.auxiliary_weight = auxiliary_weight
        self.contrastive_weight = contrastive_weight
        self.contrastive_temperature = contrastive_temperature
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.callbacks = callbacks
        self.train_split = train_split
        self.net_params = net_params
        self.device = device
        self.memory = memory
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the transformers and train the network.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights of the loss.

        Returns
        -------
        self : NeuralFusionRegressor
            The fitted regressor.
        """
        frame = self._check_fit_input(X)
        y = check_target(self, y, len(frame), classification=False)
        self.target_mean_ = float(y.mean())
        scale = float(y.std())
        self.target_scale_ = scale if scale > 0 else 1.0
        standardised = ((y - self.target_mean_) / self.target_scale_).astype(np.float32)
        weights = check_sample_weight(sample_weight, len(frame))
        return self._fit_network(frame, standardised.reshape(-1, 1), weights, 1, None)

    def _criterion(self, torch):
        return torch.nn.MSELoss(reduction="none")

    def predict(self, X):
        """Predict targets.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predictions, in the units of the training target.
        """
        return self._network_output(X)[:, 0] * self.target_scale_ + self.target_mean_
