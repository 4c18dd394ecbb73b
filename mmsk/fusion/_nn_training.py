"""Training machinery of neural fusion: device-resident batches and a lean skorch net.

skorch's defaults index a dataset one sample at a time, collate the samples, run four
callbacks around every batch and read the loss back from the device after every batch.
Here the modality blocks are moved to the device once, a batch is cut out of them with a
few tensor operations, and the loss of an epoch is summed on the device and read once.
Importing this module imports torch and skorch.
"""

import math

import numpy as np
import torch
from scipy import sparse
from skorch import NeuralNet
from skorch.callbacks import EpochTimer, PrintLog
from torch.utils.data import Dataset, Subset

from ._neural import TrainingDivergedError
from ._nn import MultiTaskLoss, column_weighted_means, contrastive_loss, weighted_mean


class SparseRows:
    """A CSR matrix held as three device tensors, from which batches of rows are cut.

    A batch comes out as ``(indices, offsets, values)``, the input of an
    ``EmbeddingBag`` with per-sample weights.
    """

    def __init__(self, matrix, device, dtype=np.float32):
        matrix = sparse.csr_matrix(matrix, copy=True)
        matrix.sum_duplicates()
        self.shape = matrix.shape
        self.indptr = torch.as_tensor(matrix.indptr.astype(np.int64), device=device)
        self.indices = torch.as_tensor(matrix.indices.astype(np.int64), device=device)
        self.values = torch.as_tensor(matrix.data.astype(dtype), device=device)
        # Row lengths stay on the host too, so that a batch's size is known without
        # waiting for the device.
        self.host_lengths = torch.as_tensor(np.diff(matrix.indptr).astype(np.int64))

    def __len__(self):
        return self.shape[0]

    def rows(self, index, host_index=None):
        """The rows at ``index`` (row numbers on the same device).

        ``host_index``, the same row numbers on the CPU, saves a device synchronisation.
        """
        starts = self.indptr[index]
        lengths = self.indptr[index + 1] - starts
        offsets = torch.cumsum(lengths, 0) - lengths
        if host_index is None:
            total = int(lengths.sum())
        else:
            total = int(self.host_lengths[host_index].sum())
        positions = torch.repeat_interleave(
            starts - offsets, lengths, output_size=total
        ) + torch.arange(total, device=starts.device)
        return self.indices[positions], offsets, self.values[positions]


def block_to_device(block, device, tokens=False, dtype=np.float32):
    """A modality block as a device tensor or :class:`SparseRows`.

    Token ids (``tokens=True``) become int64, every other block ``dtype`` (float32
    unless asked otherwise), whatever the dtype the transformer returned.
    """
    if sparse.issparse(block):
        return SparseRows(block, device, dtype)
    dtype = np.int64 if tokens else dtype
    # A writable array: torch warns about sharing memory with a read-only one.
    return torch.as_tensor(np.require(block, dtype=dtype, requirements="W"), device=device)


def _rows(block, index, host_index):
    return block.rows(index, host_index) if isinstance(block, SparseRows) else block[index]


class BlockDataset(Dataset):
    """Modality blocks, presence mask, target and weights, all on one device.

    Parameters
    ----------
    blocks : dict
        Modality name -> block (anything :func:`block_to_device` accepts).
    present : ndarray of bool of shape (n_samples, n_modalities)
    target : ndarray or None
        Encoded classes (int) or standardised regression targets (float); for several
        targets one column per target (class indices as floats, or standardised
        values).
    weight : ndarray or None
        Sample weights, of shape ``(n_samples,)``, or ``(n_samples, n_targets)`` for
        one weight per row and target.
    device : str or torch.device
    token_blocks : collection of str, default=()
        Names of the blocks that hold token ids.
    dtype : numpy dtype, default=np.float32
        The floating-point type of the blocks that do not hold token ids.
    """

    def __init__(
        self,
        blocks,
        present,
        target=None,
        weight=None,
        device="cpu",
        token_blocks=(),
        dtype=np.float32,
    ):
        self.device = torch.device(device)
        self.blocks = {
            name: block_to_device(block, device, tokens=name in token_blocks, dtype=dtype)
            for name, block in blocks.items()
        }
        self.present = torch.as_tensor(np.asarray(present, dtype=bool), device=device)
        self.target = None if target is None else torch.as_tensor(target, device=device)
        self.weight = (
            None
            if weight is None
            else torch.as_tensor(np.asarray(weight, dtype=np.float32), device=device)
        )

    def __len__(self):
        return self.present.shape[0]

    def __getitem__(self, i):
        return self.batch(torch.as_tensor([i], device=self.device))

    def batch(self, index, host_index=None):
        """``(X, y)`` for the rows at ``index``, ready for the network and the loss.

        ``host_index``, the same row numbers on the CPU when ``index`` is on a GPU,
        lets sparse blocks size the batch without a device synchronisation.
        """
        X = {
            "blocks": {
                name: _rows(block, index, host_index) for name, block in self.blocks.items()
            },
            "present": self.present[index],
        }
        if self.target is None:
            return X, None
        y = {"target": self.target[index]}
        if self.weight is not None:
            y["weight"] = self.weight[index]
        return X, y


class BatchIterator:
    """Yields whole batches of a :class:`BlockDataset` (or a ``Subset`` of one).

    Used as skorch's ``iterator_train`` and ``iterator_valid`` in place of a
    ``DataLoader``. Each pass draws a new order from its own seeded generator when
    ``shuffle`` is true, so training is reproducible without touching global state.
    """

    def __init__(self, dataset, batch_size=256, shuffle=False, seed=None):
        if isinstance(dataset, Subset):
            self.dataset = dataset.dataset
            self.rows = torch.as_tensor(np.asarray(dataset.indices), dtype=torch.int64)
        else:
            self.dataset = dataset
            self.rows = None
        self.n_samples = len(dataset)
        self.batch_size = self.n_samples if batch_size == -1 else batch_size
        self.shuffle = shuffle
        self.generator = torch.Generator()
        if seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(int(seed))

    def __len__(self):
        return math.ceil(self.n_samples / self.batch_size)

    def __iter__(self):
        if self.shuffle:
            order = torch.randperm(self.n_samples, generator=self.generator)
        else:
            order = torch.arange(self.n_samples)
        host_index = order if self.rows is None else self.rows[order]
        index = host_index.to(self.dataset.device)
        for start in range(0, self.n_samples, self.batch_size):
            stop = start + self.batch_size
            yield self.dataset.batch(index[start:stop], host_index[start:stop])


class FusionNet(NeuralNet):
    """A skorch ``NeuralNet`` with the multimodal losses and a lean training loop.

    The epoch's loss is accumulated on the device and read once per epoch; the history
    keeps ``train_loss`` and ``valid_loss`` per epoch (with ``*_best`` flags, so
    ``EarlyStopping`` and ``Checkpoint`` work) and the batch sizes per batch. An epoch
    whose loss is NaN or infinite stops training with a :class:`TrainingDivergedError`. The only
    default callbacks are the epoch timer and the progress table, which prints only
    when ``verbose`` is set.

    With a :class:`MultiTaskLoss` criterion (several targets), the loss is the sum of
    the per-target losses weighted by the criterion's ``task_weights``, and the
    history also keeps each target's unweighted loss per epoch as
    ``"{target}_train_loss"`` and ``"{target}_valid_loss"``.

    Parameters
    ----------
    module : type
        The network class.
    auxiliary_weight : float, default=0.0
        Weight of the mean of the per-modality auxiliary losses.
    contrastive_weight : float, default=0.0
        Weight of the contrastive alignment loss between modality embeddings.
    contrastive_temperature : float, default=0.1
        Temperature of that loss.
    **kwargs
        Passed to :class:`skorch.NeuralNet`.
    """

    def __init__(
        self,
        module,
        *args,
        auxiliary_weight=0.0,
        contrastive_weight=0.0,
        contrastive_temperature=0.1,
        **kwargs,
    ):
        super().__init__(module, *args, **kwargs)
        self.auxiliary_weight = auxiliary_weight
        self.contrastive_weight = contrastive_weight
        self.contrastive_temperature = contrastive_temperature

    @property
    def _default_callbacks(self):
        return [("epoch_timer", EpochTimer()), ("print_log", PrintLog())]

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if iterator is None:
            return
        total, per_target, count = None, None, 0
        try:
            for batch in iterator:
                self.notify("on_batch_begin", batch=batch, training=training)
                step = step_fn(batch, **fit_params)
                size = batch[0]["present"].shape[0]
                total = _accumulate(total, step["loss"].detach(), size)
                per_target = _accumulate(per_target, self._take_target_losses(), size)
                count += size
                self.history.record_batch(prefix + "_batch_size", size)
                self.notify("on_batch_end", batch=batch, training=training, **step)
        finally:
            # A device tensor left behind would travel into a pickle of the net.
            self._target_losses = None
        loss = float(total) / count if count else float("nan")
        self._record_epoch_loss(prefix + "_loss", loss)
        if count and not math.isfinite(loss):
            epoch = len(self.history)
            raise TrainingDivergedError(
                f"the {prefix} loss of epoch {epoch} is {loss}", epoch=epoch, loss=loss
            )
        if per_target is not None:
            self._record_target_losses(prefix, per_target.cpu().double().numpy() / count)

    def _take_target_losses(self):
        losses, self._target_losses = getattr(self, "_target_losses", None), None
        return losses

    def _record_target_losses(self, prefix, losses):
        for name, loss in zip(self.criterion_.names, losses.tolist()):
            self.history.record(f"{name}_{prefix}_loss", loss)

    def _record_epoch_loss(self, key, loss):
        earlier = [row[key] for row in self.history[:-1] if key in row]
        self.history.record(key, loss)
        self.history.record(key + "_best", not earlier or loss < min(earlier))

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if isinstance(y_pred, tuple):
            predictions, auxiliary, embeddings = y_pred
        else:
            predictions, auxiliary, embeddings = y_pred, None, None
        target, weight = y_true["target"], y_true.get("weight")
        loss = self._task_loss(predictions, target, weight, record=True)
        if X is None:
            return loss
        present = X["present"]
        if self.auxiliary_weight and auxiliary is not None and auxiliary.shape[1]:
            loss = loss + self.auxiliary_weight * self._auxiliary_loss(
                auxiliary, target, weight, present
            )
        if self.contrastive_weight and embeddings is not None and embeddings.shape[1] > 1:
            loss = loss + self.contrastive_weight * contrastive_loss(
                embeddings, present, self.contrastive_temperature
            )
        return loss

    def _task_loss(self, predictions, target, weight, record=False):
        """The row-weighted loss; with several targets, their task-weighted sum.

        ``record`` keeps the per-target losses of the batch for the history.
        """
        if not isinstance(self.criterion_, MultiTaskLoss):
            return weighted_mean(self._per_sample_loss(predictions, target), weight)
        per_target = column_weighted_means(self.criterion_(predictions, target), weight)
        if record:
            self._target_losses = per_target.detach()
        return self.criterion_.combine(per_target)

    def _per_sample_loss(self, predictions, target):
        losses = self.criterion_(predictions, target)
        return losses.flatten(1).mean(1) if losses.dim() > 1 else losses

    def _auxiliary_loss(self, auxiliary, target, weight, present):
        total = 0.0
        for m in range(auxiliary.shape[1]):
            rows = present[:, m].to(auxiliary.dtype)
            if weight is not None:
                rows = rows * weight if weight.dim() == 1 else rows.unsqueeze(1) * weight
            total = total + self._task_loss(auxiliary[:, m], target, rows)
        return total / auxiliary.shape[1]


def _accumulate(total, value, factor=1):
    """``total + factor * value``, where a None total or value starts or skips the sum."""
    if value is None:
        return total
    return value * factor if total is None else total + value * factor
