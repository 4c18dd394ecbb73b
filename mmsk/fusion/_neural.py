"""Neural (intermediate) fusion: per-modality encoders fused inside one network.

Each modality's block (from the shared modality machinery) goes through its own
encoder, the embeddings are fused by a fusion layer and a head predicts; the network is
trained end to end through skorch. torch and skorch are imported only when a model is
fitted or used, so that ``import mmsk`` does not need them.
"""

import copy
import inspect
import math
import os
import types
from contextlib import contextmanager
from itertools import accumulate
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, check_random_state
from sklearn_compat.base import _fit_context

from .._base import ModalityComposition, modalities_present, presence_matrix
from .._blocks import fit_blocks, transform_blocks
from .._devices import check_device_name, torch_device
from .._utils import import_optional
from .._validation import check_sample_weight, check_target
from ._common import combined_sample_weight, encode_classes, multimodal_tags
from ._multitask import MultiOutputMixin, _stack_columns, is_multi_target, split_targets

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
    "pixels": ("cnn", "mlp"),
}
_OPTIMIZERS = ("adamw", "adam", "sgd")
_PREDICT_BATCH_SIZE = 4096
_FLOAT32_MAX = float(np.finfo(np.float32).max)


class TrainingDivergedError(ValueError, FloatingPointError):
    """Training of a neural-fusion network diverged: an epoch's loss was NaN or infinite.

    Raised by ``fit`` at the end of the first epoch whose training (or validation) loss
    is not a finite number, instead of returning a model that would predict NaN. It
    is both a ValueError and a FloatingPointError, so ``except ValueError`` (what
    scikit-learn's model selection tools expect of a failed fit) and
    ``except FloatingPointError`` both catch it. The message names the epoch, the
    loss and what to change (usually a lower ``lr``).

    Attributes
    ----------
    epoch : int or None
        The epoch (counted from 1) whose loss was not finite.
    loss : float or None
        That loss.
    """

    def __init__(self, message, epoch=None, loss=None):
        super().__init__(message)
        self.epoch = epoch
        self.loss = loss


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
    "task_weights": [dict, list, None],
    "memory": [None, str, os.PathLike, HasMethods(["cache"])],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


class _BaseNeuralFusion(ModalityComposition):
    """Data preparation, network construction and training shared by every task."""

    def _check_fit_input(self, X):
        self._check_training_params()
        return super()._check_fit_input(X)

    def _check_training_params(self):
        """Check what ``_parameter_constraints`` cannot: device, callbacks, optimizer."""
        owner = type(self).__name__
        check_device_name(self.device, owner)
        _check_optimizer(self.optimizer, owner)
        _check_callbacks(self.callbacks, self.train_split, owner)
        _check_net_params(self.net_params, owner)

    # ------------------------------------------------------------------ targets

    def _single_target(self, y):
        """Record a fit on one target: ``n_outputs_``, ``target_names_``, task_weights."""
        self._codings = None
        self.n_outputs_ = 1
        self.target_names_ = [_target_name(y)]
        check_task_weights(self.task_weights, self.target_names_)

    def _fit_targets(self, frame, columns, names, classification, sample_weight, class_weight):
        """Train one head per target on the shared fused representation.

        Parameters
        ----------
        frame : pandas.DataFrame
            The validated input table.
        columns : list of ndarray of shape (n_samples,)
            The validated targets (from :func:`split_targets`).
        names : list of str
            Their names.
        classification : list of bool
            Whether each target holds class labels.
        sample_weight : array-like of shape (n_samples,) or None
            Row weights.
        class_weight : dict, list, "balanced" or None
            Class weights of the classification targets; see :func:`class_weights`.

        Returns
        -------
        self : estimator instance
        """
        self.target_names_ = list(names)
        self.n_outputs_ = len(names)
        task_weights = check_task_weights(self.task_weights, self.target_names_)
        owner = type(self).__name__
        coded = [
            code_target(owner, name, column, is_class)
            for name, column, is_class in zip(names, columns, classification)
        ]
        self._codings = [coding for coding, _ in coded]
        encoded = [values for _, values in coded]
        weights = target_weights(sample_weight, self._codings, encoded, class_weight)
        labels = [values for coding, values in coded if coding.classes is not None]
        return self._fit_network(
            frame,
            np.column_stack(encoded).astype(np.float32),
            weights,
            [coding.n_classes for coding in self._codings],
            labels[0] if labels else None,
            task_weights,
        )

    def _several_targets(self):
        check_is_fitted(self, "net_")
        return getattr(self, "_codings", None) is not None

    def _target_outputs(self, X):
        """The network's outputs for ``X``, one array per target."""
        outputs = self._network_output(X)
        stops = list(accumulate(coding.width for coding in self._codings))
        return np.split(outputs, stops[:-1], axis=1)

    # ------------------------------------------------------------------ fitting

    def _fit_network(self, frame, target, sample_weight, outputs, split_y, task_weights=None):
        """Fit the transformers and train the network.

        ``outputs`` is the width of the one head (a single target), or the number of
        classes of each target (None for a regression target) for one head per target,
        whose losses are weighted by ``task_weights``. ``split_y`` stratifies a
        validation split when given.
        """
        torch, nn_modules, training = _import_torch()
        frame, modalities = self._resolve_modalities(frame)
        blocks = self._fit_blocks(frame, modalities)
        present = modalities_present(modalities, frame)
        self.device_ = self._resolve_device(torch)
        _check_split_fraction(self.train_split, len(frame), split_y, type(self).__name__)
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        with _seeded(torch, seed, self.device_):
            encoders = [
                (name, self._build_encoder(nn_modules, name, block))
                for name, block in blocks.items()
            ]
            targets = self._target_params(torch, nn_modules, outputs, task_weights, split_y, seed)
            net = self._build_net(torch, nn_modules, training, encoders, targets, seed)
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
            try:
                net.fit(dataset, split_y)
            except TrainingDivergedError as error:
                raise self._diverged(error) from None
        broken = _non_finite_parts(torch, net.module_)
        if broken:
            epoch = len(net.history)
            error = TrainingDivergedError(
                f"the weights of {', '.join(broken)} are NaN or infinite after epoch {epoch}",
                epoch=epoch,
            )
            raise self._diverged(error)
        net.module_.eval()
        self.net_ = net
        self.n_iter_ = len(net.history)
        return self

    def _diverged(self, error):
        return TrainingDivergedError(
            f"{type(self).__name__} stopped training: {error}, so the network's weights "
            "are no longer numbers and it would predict NaN. Training diverged: lower "
            f"lr (it is {self.lr!r}; try {self.lr / 10:g} or less), lower "
            "auxiliary_weight and contrastive_weight if set, rescale input columns of "
            "very large magnitude, or clip the gradients with "
            "callbacks=[skorch.callbacks.GradientNormClipping(1.0)].",
            epoch=error.epoch,
            loss=error.loss,
        )

    def _fit_blocks(self, frame, modalities):
        self.transformers_, fitted = fit_blocks(modalities, frame, memory=self.memory)
        blocks = {m.name: _checked_block(m.name, block) for m, block in zip(modalities, fitted)}
        self.block_kinds_ = {
            name: _block_kind(transformer, blocks[name])
            for name, transformer, _ in self.transformers_
        }
        return blocks

    def _resolve_device(self, torch):
        return torch_device(torch, self.device)

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
        if choice == "cnn":
            common["image_shape"] = self._transformer(name).image_shape_
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

    def _target_params(self, torch, nn_modules, outputs, task_weights, split_y, seed):
        """The skorch parameters that depend on the targets: heads, loss, split."""
        if isinstance(outputs, Integral):
            n_outputs, criterion = outputs, self._criterion(torch)
        else:
            n_outputs = [1 if n_classes is None else n_classes for n_classes in outputs]
            criterion = nn_modules.MultiTaskLoss(outputs, task_weights, self.target_names_)
        return {
            "module__n_outputs": n_outputs,
            "criterion": criterion,
            "train_split": self._train_split(seed, stratified=split_y is not None),
        }

    def _build_net(self, torch, nn_modules, training, encoders, target_params, seed):
        if self.fusion == "attention":
            _check_heads("the attention fusion", self.embedding_dim, parameter="embedding_dim")
        params = {
            "module__blocks": encoders,
            "module__fusion": self.fusion,
            "module__embedding_dim": self.embedding_dim,
            "module__hidden_units": self.hidden_units,
            "module__dropout": self.dropout,
            "module__modality_dropout": self.modality_dropout,
            "module__auxiliary_heads": self.auxiliary_weight > 0,
            "optimizer": self._optimizer_class(torch),
            "lr": self.lr,
            "max_epochs": self.max_epochs,
            "batch_size": self.batch_size,
            "callbacks": copy.deepcopy(self.callbacks),
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
        params.update(target_params)
        params.update(self.net_params or {})
        return training.FusionNet(nn_modules.MultimodalNetwork, **params)

    def _optimizer_class(self, torch):
        if callable(self.optimizer):
            return self.optimizer
        return {"adamw": torch.optim.AdamW, "adam": torch.optim.Adam, "sgd": torch.optim.SGD}[
            self.optimizer
        ]

    def _train_split(self, seed, stratified):
        if not isinstance(self.train_split, Real) or isinstance(self.train_split, bool):
            return self.train_split
        from skorch.dataset import ValidSplit

        return ValidSplit(self.train_split, stratified=stratified, random_state=seed % 2**31)

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
        outputs = torch.cat(outputs).numpy().astype(np.float64)
        self._check_finite_outputs(torch, outputs, module, "outputs")
        return outputs

    def embed(self, X, modality):
        """Each row's embedding of one modality, from the trained network's encoder.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table, with the columns seen during fit.
        modality : str
            A modality of ``modality_columns_``.

        Returns
        -------
        embeddings : ndarray of shape (n_samples, embedding_dim)
            The encoder's output for each row; a row where the modality is missing
            gets the modality's learned placeholder, which is what the fusion layer
            receives for it. Trained with ``contrastive_weight > 0``, the embeddings
            of the modalities are aligned and can be compared across modalities.
        """
        check_is_fitted(self, "net_")
        names = list(self.modality_columns_)
        if modality not in names:
            raise ValueError(
                f"The 'modality' argument of embed must be a modality of this "
                f"{type(self).__name__}, one of {names}. Got {modality!r}."
            )
        torch, _, training = _import_torch()
        part = self._select_modalities(X)[names.index(modality)]
        entries = [entry for entry in self.transformers_ if entry[0] == modality]
        block = _checked_block(modality, transform_blocks(entries, [part])[0])
        module, dtype = self._inference_module(torch)
        present = presence_matrix([part])
        dataset = training.BlockDataset(
            {modality: block},
            present,
            device=self.net_.device,
            token_blocks=self._token_blocks() & {modality},
            dtype=dtype,
        )
        encoder = module.encoders[modality]
        placeholder = module.placeholders[names.index(modality)]
        outputs = []
        with torch.inference_mode():
            for batch_X, _ in training.BatchIterator(dataset, batch_size=_PREDICT_BATCH_SIZE):
                embedded = encoder(batch_X["blocks"][modality])
                kept = batch_X["present"][:, :1]
                outputs.append(torch.where(kept, embedded, placeholder).to(torch.float64).cpu())
        outputs = torch.cat(outputs).numpy().astype(np.float64)
        self._check_finite_outputs(torch, outputs, module, f"embeddings of modality {modality!r}")
        return outputs

    def _check_finite_outputs(self, torch, outputs, module, what):
        """Refuse to return NaN or infinite predictions; name the rows and the culprits."""
        bad_rows = np.flatnonzero(~np.isfinite(outputs).all(axis=1))
        if not len(bad_rows):
            return
        broken = _non_finite_parts(torch, module)
        cause = (
            f"the parameters of {', '.join(broken)} are NaN or infinite (the model was "
            "damaged after training)"
            if broken
            else "its parameters are finite, so a custom encoder or extreme inputs in "
            "those rows overflowed"
        )
        raise ValueError(
            f"The network of {type(self).__name__} computed NaN or infinite {what} for "
            f"{len(bad_rows)} of {len(outputs)} rows (first rows: "
            f"{bad_rows[:5].tolist()}): {cause}. Refit the model, with a lower lr if "
            "training was unstable."
        )

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


class TargetCoding:
    """How one target is encoded for its head and decoded from the head's outputs.

    Parameters
    ----------
    name : str
        The target's name.
    classes : ndarray or None, default=None
        The labels of a classification target; None for a regression target.
    mean, scale : float, default=0.0, 1.0
        The standardisation of a regression target.
    """

    def __init__(self, name, classes=None, mean=0.0, scale=1.0):
        self.name = name
        self.classes = classes
        self.mean = mean
        self.scale = scale

    @property
    def n_classes(self):
        """The number of classes, or None for a regression target."""
        return None if self.classes is None else len(self.classes)

    @property
    def width(self):
        """The number of outputs of the target's head."""
        return 1 if self.classes is None else len(self.classes)

    def decode(self, outputs):
        """Labels (the most probable class) or values in the target's units."""
        if self.classes is None:
            return outputs[:, 0] * self.scale + self.mean
        return self.classes[np.argmax(outputs, axis=1)]


def code_target(owner, name, column, classification):
    """The coding of a validated target and the target encoded for the network.

    Returns
    -------
    coding : TargetCoding
    encoded : ndarray of shape (n_samples,)
        Class indices, or the standardised values.
    """
    if not classification:
        mean, scale = float(column.mean()), float(column.std())
        scale = scale if scale > 0 else 1.0
        return TargetCoding(name, mean=mean, scale=scale), (column - mean) / scale
    encoder = LabelEncoder()
    encoded = encoder.fit_transform(native_labels(column))
    if len(encoder.classes_) < 2:
        raise ValueError(
            f"Target column {name!r} of y has only one class "
            f"({encoder.classes_.tolist()[0]!r}): {owner} needs at least two classes in "
            "every classification target. Drop that column from y."
        )
    return TargetCoding(name, classes=encoder.classes_), encoded


def native_labels(labels):
    """Labels of dtype object that are all numbers or booleans, in their own dtype.

    A 2-D ``y`` is split into columns through an object array; without this, integer
    labels would come back from ``predict`` as objects.
    """
    if labels.dtype != object:
        return labels
    inferred = pd.Series(labels).infer_objects()
    return inferred.to_numpy() if inferred.dtype.kind in "biuf" else labels


def _target_name(y):
    if isinstance(y, pd.Series) and y.name is not None:
        return str(y.name)
    if isinstance(y, pd.DataFrame) and y.shape[1] == 1:
        return str(y.columns[0])
    return "target_0"


def check_task_weights(task_weights, names):
    """Validate ``task_weights`` against the targets' names.

    Parameters
    ----------
    task_weights : dict, list or None
        A dict mapping target names to weights (others get 1.0), a list with one
        weight per target, or None for equal weights.
    names : list of str
        The targets' names.

    Returns
    -------
    weights : list of float
        One weight per target, in the order of ``names``.
    """
    if task_weights is None:
        return [1.0] * len(names)
    if isinstance(task_weights, dict):
        by_name = {str(key): value for key, value in task_weights.items()}
        unknown = [key for key in by_name if key not in names]
        if unknown:
            raise ValueError(
                f"task_weights names targets {unknown} that are not targets of y; the "
                f"targets are {names}."
            )
        values = [by_name.get(name, 1.0) for name in names]
    else:
        values = list(task_weights)
        if len(values) != len(names):
            raise ValueError(
                f"task_weights has {len(values)} weights, but y has {len(names)} "
                f"target(s) {names}; give one weight per target or a dict keyed by "
                "target name."
            )
    weights = [_task_weight(name, value) for name, value in zip(names, values)]
    if not any(weights):
        raise ValueError(
            "task_weights gives every target a weight of 0, so nothing would be learned; "
            "give at least one target a positive weight."
        )
    return weights


def _task_weight(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise ValueError(f"task_weights[{name!r}] must be a number; got {value!r}.")
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(
            f"task_weights[{name!r}] must be a finite non-negative number; got {value!r}."
        )
    return float(value)


def class_weights(class_weight, codings):
    """The class weight of each target from the ``class_weight`` of several targets.

    ``class_weight`` is None, ``"balanced"`` (every classification target), a list
    with one entry per target (a dict keyed by labels, ``"balanced"`` or None; None
    for regression targets) or a dict keyed by target name (targets not named get
    none).

    Returns
    -------
    specs : list
        One class-weight specification (or None) per target.
    """
    names = [coding.name for coding in codings]
    if class_weight is None:
        return [None] * len(codings)
    if isinstance(class_weight, str):
        return [class_weight if coding.classes is not None else None for coding in codings]
    if isinstance(class_weight, dict):
        by_name = {str(key): value for key, value in class_weight.items()}
        unknown = [key for key in class_weight if str(key) not in names]
        if unknown:
            raise ValueError(
                f"class_weight has keys {unknown} that are not target names {names}: with "
                "several targets (or a multi-task model), class_weight must be None, "
                "'balanced', a list with one entry per target, or a dict keyed by target "
                "name whose values are dicts keyed by labels or 'balanced'."
            )
        specs = [by_name.get(name) for name in names]
    else:
        specs = list(class_weight)
        if len(specs) != len(codings):
            raise ValueError(
                f"class_weight has {len(specs)} entries, but y has {len(codings)} "
                f"targets {names}; give one entry (a dict, 'balanced' or None) per target."
            )
    for coding, spec in zip(codings, specs):
        _check_class_weight_entry(coding, spec)
    return specs


def _check_class_weight_entry(coding, spec):
    if spec is None:
        return
    if coding.classes is None:
        raise ValueError(
            f"class_weight gives weights to target {coding.name!r}, which is a regression "
            "target; give None for it."
        )
    if not (isinstance(spec, dict) or spec == "balanced"):
        raise ValueError(
            f"class_weight of target {coding.name!r} must be a dict keyed by its labels, "
            f"'balanced' or None; got {spec!r}."
        )


def target_weights(sample_weight, codings, encoded, class_weight):
    """Row weights of the losses: per row, or per row and target with class weights.

    Returns
    -------
    weights : ndarray of shape (n_samples,) or (n_samples, n_targets), or None
    """
    n_samples = len(encoded[0])
    weights = check_sample_weight(sample_weight, n_samples)
    specs = class_weights(class_weight, codings)
    if all(spec is None for spec in specs):
        return weights
    columns = []
    for coding, values, spec in zip(codings, encoded, specs):
        try:
            column = combined_sample_weight(None, values, spec, coding.classes)
        except ValueError as error:
            raise ValueError(f"class_weight of target {coding.name!r}: {error}") from None
        columns.append(np.ones(n_samples) if column is None else column)
    matrix = np.column_stack(columns)
    return matrix if weights is None else matrix * weights[:, None]


def softmax(logits):
    """Row-wise softmax of an array of logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    probabilities = np.exp(shifted)
    return probabilities / probabilities.sum(axis=1, keepdims=True)


def log_softmax(logits):
    """Row-wise logarithm of the softmax of an array of logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _non_finite_parts(torch, module):
    """The parts of a MultimodalNetwork (by modality) whose parameters are not finite."""
    names = getattr(module, "names", [])
    parts = []
    for parameter_name, parameter in module.named_parameters():
        if bool(torch.isfinite(parameter).all()):
            continue
        top, _, rest = parameter_name.partition(".")
        if top == "encoder_list":
            part = f"the encoder of modality {names[int(rest.partition('.')[0])]!r}"
        else:
            part = f"the {top} layer"
        if part not in parts:
            parts.append(part)
    return parts


def _check_optimizer(optimizer, owner):
    """A string of _OPTIMIZERS (checked by the constraints), an optimizer class or factory."""
    if isinstance(optimizer, str):
        return
    import_optional("torch", purpose="Neural fusion")
    from torch.optim import Optimizer

    if isinstance(optimizer, type) and not issubclass(optimizer, Optimizer):
        raise TypeError(
            f"The 'optimizer' parameter of {owner} must be one of {list(_OPTIMIZERS)} or a "
            "torch.optim.Optimizer subclass (or a factory such as functools.partial of "
            f"one). Got the class {optimizer.__name__}, which is not an optimizer."
        )
    if isinstance(optimizer, types.BuiltinFunctionType):
        raise TypeError(
            f"The 'optimizer' parameter of {owner} must be one of {list(_OPTIMIZERS)} or a "
            f"torch.optim.Optimizer subclass. Got the built-in function {optimizer!r}."
        )


def _check_callbacks(callbacks, train_split, owner):
    """Each callback a skorch Callback instance (or a (name, instance) pair)."""
    if not callbacks:
        return
    import_optional("skorch", purpose="Neural fusion")
    from skorch.callbacks import Callback

    for i, entry in enumerate(callbacks):
        named = isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str)
        callback = entry[1] if named else entry
        if isinstance(callback, type) and issubclass(callback, Callback):
            raise TypeError(
                f"The 'callbacks' parameter of {owner} must hold skorch callback instances; "
                f"callbacks[{i}] is the class {callback.__name__}. Pass an instance: "
                f"{callback.__name__}()."
            )
        if not isinstance(callback, Callback):
            raise TypeError(
                f"The 'callbacks' parameter of {owner} must be a list of skorch callback "
                "instances (skorch.callbacks.Callback) or (name, callback) pairs; "
                f"callbacks[{i}] is {callback!r} of type {type(callback).__name__}."
            )
        monitor = getattr(callback, "monitor", None)
        if train_split is None and isinstance(monitor, str) and "valid" in monitor:
            raise ValueError(
                f"callbacks[{i}] ({type(callback).__name__}) of {owner} monitors "
                f"{monitor!r}, which needs a validation split, but train_split is None. "
                "Set train_split (for example train_split=0.2) or monitor 'train_loss'."
            )


# Prefixes of skorch parameters routed to a part of the net, beyond NeuralNet.prefixes_.
_NET_PARTS = ("module", "criterion", "optimizer")
_FUSION_NET_PARAMS = ("auxiliary_weight", "contrastive_weight", "contrastive_temperature")


def _check_net_params(net_params, owner):
    """Every key a parameter of skorch.NeuralNet, or a prefixed one skorch routes."""
    if not net_params:
        return
    import_optional("skorch", purpose="Neural fusion")
    from skorch import NeuralNet

    direct = set(inspect.signature(NeuralNet.__init__).parameters) - {"self", "kwargs"}
    prefixes = {*NeuralNet.prefixes_, *_NET_PARTS}
    unknown = [
        key
        for key in net_params
        if not isinstance(key, str)
        or (key.partition("__")[0] not in prefixes if "__" in key else key not in direct)
    ]
    unknown = [key for key in unknown if key not in _FUSION_NET_PARAMS]
    if unknown:
        raise ValueError(
            f"The 'net_params' parameter of {owner} must map skorch.NeuralNet parameters "
            f"({sorted(direct - {'module'})}) or prefixed ones ({sorted(prefixes)} followed "
            f"by '__') to values. Got unknown key(s) {unknown}."
        )


def _check_split_fraction(train_split, n_samples, split_y, owner):
    """A fraction ``train_split`` must leave rows (and every class) on both sides."""
    if not isinstance(train_split, Real) or isinstance(train_split, bool):
        return
    n_valid = math.ceil(train_split * n_samples)
    n_train = n_samples - n_valid
    n_classes = 1 if split_y is None else len(np.unique(split_y))
    if min(n_valid, n_train) < n_classes:
        raise ValueError(
            f"The 'train_split' parameter of {owner} ({train_split!r}) splits the "
            f"{n_samples} training rows into {n_train} for training and {n_valid} for "
            f"validation; each part needs at least {n_classes} row(s)"
            f"{' (one per class)' if split_y is not None else ''}. Choose a fraction "
            "closer to 0.2, or train_split=None."
        )


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
    if hasattr(transformer, "image_shape_"):
        return "pixels"
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
        densifies the data), ``"gru"`` for token ids (from a transformer with a
        ``vocabulary_size_`` attribute such as :class:`TextTokenizer`) and ``"cnn"``
        (a small convolutional network trained on the pixels) for images from a
        transformer with an ``image_shape_`` attribute such as :class:`ImageArrays`.
        A dict maps modality names to ``"mlp"``, ``"sparse"``, ``"gru"``,
        ``"transformer"``, ``"bag"`` (mean of token embeddings), ``"cnn"`` or a
        ``torch.nn.Module`` that maps the modality's batch to
        ``(n_samples, embedding_dim)``; others stay ``"auto"``.
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
        ``valid_loss``: a fraction (stratified by the classes, of the first
        classification target when there are several; plain for regression), a skorch
        splitter such as ``ValidSplit(5)``, or None to train on every row.
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
        split) and ``dur``; with several targets also each target's unweighted loss,
        ``"{target}_train_loss"`` (and ``"{target}_valid_loss"``).
    module_ : torch.nn.Module
        The fitted network.
    n_iter_ : int
        Number of epochs run.
    device_ : torch.device
        The device the model was trained on.
    transformers_ : list of tuple
        ``(name, fitted_transformer, columns)`` for each modality.
    block_kinds_ : dict
        ``"dense"``, ``"sparse"``, ``"tokens"`` or ``"pixels"``: the kind of each
        modality's block.
    column_kinds_ : dict
        The detected kind of every input column.
    modality_columns_ : dict
        The columns of each modality.
    modality_kinds_ : dict
        ``"text"``, ``"image"`` or ``"tabular"`` for each modality.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Input column names, when ``X`` had string column names.
    n_outputs_ : int
        Number of targets.
    target_names_ : list of str
        The targets' names: the column names of a DataFrame ``y`` (or the name of a
        Series), else ``"target_0"``, ``"target_1"``, ..."""

_TASK_WEIGHTS_PARAMETER = """    task_weights : dict, list or None, default=None
        With several targets, the weight of each target's loss in the sum the network
        minimises: a dict mapping target names (see ``target_names_``) to
        non-negative weights, targets not named weighing 1.0, or a list with one
        weight per target in column order; None weighs every target 1.0. A target of
        weight 0 gives its head no gradient; at least one weight must be positive.
        With a single target it is only validated."""


class NeuralFusionClassifier(MultiOutputMixin, ClassifierMixin, _BaseNeuralFusion):
    __doc__ = f"""Neural-fusion classifier: per-modality encoders fused in one network.

    Each modality's columns are transformed by the modality's transformer, encoded by
    its own encoder into an embedding, and the embeddings are fused by a fusion layer
    whose output feeds a classification head; the whole network is trained end to end
    with cross-entropy through skorch. A modality missing in a row is replaced by a
    learned placeholder embedding.

    A 2-D ``y`` (several targets) keeps one fused representation and gives it one
    classification head per target, each with its own classes; the loss is the sum of
    the targets' cross-entropies weighted by ``task_weights``.

    Needs torch and skorch (``pip install "mmsk[neural]"``).

    Parameters
    ----------
{_COMMON_PARAMETERS}
    class_weight : dict, list, "balanced" or None, default=None
        Weights of the classes, applied as per-row weights of the loss. With several
        targets: ``"balanced"`` balances each target's classes in its own loss; a list
        gives one entry (a dict keyed by that target's labels, ``"balanced"`` or None)
        per target, and a dict keyed by target name does the same by name.
{_TASK_WEIGHTS_PARAMETER}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,) or list of ndarray
        The class labels; with several targets, a list with the labels of each.
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
        "class_weight": [dict, list, StrOptions({"balanced"}), None],
    }

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
        task_weights=None,
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
        self.task_weights = task_weights
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
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Class labels (strings or numbers); a 2-D ``y`` (a DataFrame or an array
            with two or more columns) trains one head per target.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights of the loss.

        Returns
        -------
        self : NeuralFusionClassifier
            The fitted classifier.
        """
        frame = self._check_fit_input(X)
        if is_multi_target(y):
            columns, names = split_targets(self, y, len(frame), classification=True)
            classification = [True] * len(columns)
            self._fit_targets(
                frame, columns, names, classification, sample_weight, self.class_weight
            )
            self.classes_ = [coding.classes for coding in self._codings]
            return self
        self._single_target(y)
        if isinstance(self.class_weight, list):
            raise ValueError(
                "class_weight is a list (one entry per target), but y has a single target; "
                "pass a dict keyed by labels, 'balanced' or None."
            )
        y_encoded = encode_classes(self, y, len(frame), X=frame)
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
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predicted labels, from ``classes_``; one column per target.
        """
        if self._several_targets():
            outputs = self._target_outputs(X)
            return _stack_columns([c.decode(o) for c, o in zip(self._codings, outputs)])
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
        proba : ndarray of shape (n_samples, n_classes) or list of ndarray
            Columns follow ``classes_``; with several targets, one array of shape
            ``(n_samples, n_classes_t)`` per target.
        """
        if self._several_targets():
            return [softmax(logits) for logits in self._target_outputs(X)]
        return softmax(self._network_output(X))

    def predict_log_proba(self, X):
        """Predict the logarithm of class probabilities.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes) or list of ndarray
            Columns follow ``classes_``; with several targets, one array of shape
            ``(n_samples, n_classes_t)`` per target.
        """
        if self._several_targets():
            return [log_softmax(logits) for logits in self._target_outputs(X)]
        return log_softmax(self._network_output(X))


class NeuralFusionRegressor(MultiOutputMixin, RegressorMixin, _BaseNeuralFusion):
    __doc__ = f"""Neural-fusion regressor: per-modality encoders fused in one network.

    Each modality's columns are transformed by the modality's transformer, encoded by
    its own encoder into an embedding, and the embeddings are fused by a fusion layer
    whose output feeds a regression head; the network is trained end to end with the
    squared error on standardised targets through skorch. A modality missing in a row
    is replaced by a learned placeholder embedding.

    A 2-D ``y`` (several targets) keeps one fused representation and gives it one
    output per target: each target is standardised on its own, the loss is the sum of
    the targets' squared errors weighted by ``task_weights``, and each prediction comes
    back in its target's units.

    Needs torch and skorch (``pip install "mmsk[neural]"``).

    Parameters
    ----------
{_COMMON_PARAMETERS}
{_TASK_WEIGHTS_PARAMETER}

    Attributes
    ----------
{_COMMON_ATTRIBUTES}
    target_mean_ : float or ndarray of shape (n_targets,)
        Mean of the training target (of each target), added back to the predictions.
    target_scale_ : float or ndarray of shape (n_targets,)
        Standard deviation of the training target (of each target; 1 for a constant
        one).

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
        task_weights=None,
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
        self.task_weights = task_weights
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
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets; a 2-D ``y`` (a DataFrame or an array with two or more columns)
            gives one output per target.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights of the loss.

        Returns
        -------
        self : NeuralFusionRegressor
            The fitted regressor.
        """
        frame = self._check_fit_input(X)
        if is_multi_target(y):
            columns, names = split_targets(self, y, len(frame), classification=False)
            classification = [False] * len(columns)
            self._fit_targets(frame, columns, names, classification, sample_weight, None)
            self.target_mean_ = np.array([coding.mean for coding in self._codings])
            self.target_scale_ = np.array([coding.scale for coding in self._codings])
            return self
        self._single_target(y)
        y = check_target(self, y, len(frame), classification=False, X=frame)
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
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictions, in the units of the training target; one column per target.
        """
        if self._several_targets():
            outputs = self._target_outputs(X)
            return np.column_stack([c.decode(o) for c, o in zip(self._codings, outputs)])
        return self._network_output(X)[:, 0] * self.target_scale_ + self.target_mean_
