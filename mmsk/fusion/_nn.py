"""PyTorch modules of neural fusion: modality encoders, fusion layers and the network.

Importing this module imports torch; :mod:`mmsk.fusion._neural` imports it only when a
neural estimator is fitted, so that ``import mmsk`` stays free of torch.

Every encoder maps one modality's batch to embeddings of shape
``(n_samples, embedding_dim)``. Every fusion layer maps the stacked embeddings of shape
``(n_samples, n_modalities, embedding_dim)`` to ``(n_samples, output_dim)`` and exposes
``output_dim``.
"""

import math
from itertools import accumulate
from numbers import Integral

import torch
from torch import nn
from torch.nn import functional as F

from .._utils import modality_error

# --------------------------------------------------------------------------- encoders


class MLPEncoder(nn.Module):
    """Dense block (numeric features or precomputed embeddings) -> embedding."""

    def __init__(self, n_features, embedding_dim, hidden_units=128, dropout=0.1):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(n_features, hidden_units),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_units, embedding_dim),
        )

    def forward(self, block):
        return self.layers(block)


class SparseEncoder(nn.Module):
    """Sparse block (TF-IDF) -> embedding, without densifying the batch.

    The block arrives as ``(indices, offsets, values)``, the CSR layout of the batch's
    rows; an ``EmbeddingBag`` in sum mode with per-sample weights is exactly the
    product of the sparse rows with a dense projection matrix.
    """

    def __init__(self, n_features, embedding_dim, hidden_units=128, dropout=0.1):
        super().__init__()
        self.projection = nn.EmbeddingBag(n_features, hidden_units, mode="sum")
        nn.init.normal_(self.projection.weight, std=1.0 / math.sqrt(hidden_units))
        self.bias = nn.Parameter(torch.zeros(hidden_units))
        self.output = nn.Sequential(
            nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden_units, embedding_dim)
        )

    def forward(self, block):
        indices, offsets, values = block
        hidden = self.projection(indices, offsets, per_sample_weights=values)
        return self.output(hidden + self.bias)


def _masked_mean(states, mask):
    """Mean of ``states`` over the sequence axis, counting only unmasked positions."""
    weights = mask.unsqueeze(-1).to(states.dtype)
    return (states * weights).sum(1) / weights.sum(1).clamp(min=1.0)


class BagOfTokensEncoder(nn.Module):
    """Token ids -> mean of token embeddings -> embedding (fast, order-free)."""

    def __init__(self, vocabulary_size, embedding_dim, hidden_units=128, dropout=0.1):
        super().__init__()
        # One bag per row; padding ids are skipped and a row of padding averages to 0.
        self.embedding = nn.EmbeddingBag(vocabulary_size, hidden_units, mode="mean", padding_idx=0)
        self.output = nn.Sequential(
            nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden_units, embedding_dim)
        )

    def forward(self, tokens):
        return self.output(self.embedding(tokens))


class RecurrentEncoder(nn.Module):
    """Token ids -> embeddings -> GRU -> mean of the states over real tokens."""

    def __init__(self, vocabulary_size, embedding_dim, hidden_units=128, dropout=0.1):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary_size, hidden_units, padding_idx=0)
        self.recurrent = nn.GRU(hidden_units, hidden_units, batch_first=True)
        self.output = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden_units, embedding_dim))

    def forward(self, tokens):
        states, _ = self.recurrent(self.embedding(tokens))
        return self.output(_masked_mean(states, tokens != 0))


class TransformerEncoder(nn.Module):
    """Token ids -> embeddings + positions -> transformer layers -> masked mean."""

    def __init__(
        self,
        vocabulary_size,
        embedding_dim,
        hidden_units=128,
        dropout=0.1,
        max_length=512,
        n_heads=4,
        n_layers=2,
    ):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary_size, hidden_units, padding_idx=0)
        self.position = nn.Embedding(max_length, hidden_units)
        layer = nn.TransformerEncoderLayer(
            hidden_units,
            n_heads,
            dim_feedforward=2 * hidden_units,
            dropout=dropout,
            batch_first=True,
        )
        self.layers = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.output = nn.Linear(hidden_units, embedding_dim)

    def forward(self, tokens):
        padding = tokens == 0
        # A row without tokens would mask every key and give NaN attention; let it
        # attend to its first (padding) position instead. Its embedding is replaced by
        # the modality placeholder anyway when the modality is missing.
        padding[:, 0] = padding[:, 0] & ~padding.all(1)
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        hidden = self.embedding(tokens) + self.position(positions)
        states = self.layers(hidden, src_key_padding_mask=padding)
        return self.output(_masked_mean(states, ~padding))


class PixelCNNEncoder(nn.Module):
    """Flattened pixels -> small convolutional network -> embedding.

    Each stage is a 3x3 convolution, batch normalisation, ReLU and 2x2 max pooling,
    doubling the channels from 32, until the feature map is smaller than 4x4 or three
    stages are done; global average pooling and a linear layer give the embedding.
    """

    def __init__(self, n_features, embedding_dim, hidden_units=128, dropout=0.1, *, image_shape):
        super().__init__()
        channels, height, width = (int(side) for side in image_shape)
        if channels * height * width != n_features:
            raise ValueError(
                f"The image shape {tuple(image_shape)} holds {channels * height * width} "
                f"pixels, but the block has {n_features} features."
            )
        self.image_shape = (channels, height, width)
        stages, side, width_out = [], min(height, width), 32
        while len(stages) < 3 and side >= 4:
            stages += [
                nn.Conv2d(channels, width_out, 3, padding=1),
                nn.BatchNorm2d(width_out),
                nn.ReLU(),
                nn.MaxPool2d(2),
            ]
            channels, side, width_out = width_out, side // 2, width_out * 2
        self.features = nn.Sequential(*stages)
        self.output = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(channels, hidden_units),
            nn.ReLU(),
            nn.Linear(hidden_units, embedding_dim),
        )

    def forward(self, pixels):
        images = pixels.reshape(pixels.shape[0], *self.image_shape)
        maps = self.features((images - 0.5) / 0.25)
        return self.output(maps.mean(dim=(2, 3)))


ENCODERS = {
    "mlp": MLPEncoder,
    "cnn": PixelCNNEncoder,
    "sparse": SparseEncoder,
    "bag": BagOfTokensEncoder,
    "gru": RecurrentEncoder,
    "transformer": TransformerEncoder,
}

# ---------------------------------------------------------------------- fusion layers


class ConcatFusion(nn.Module):
    """Concatenate the modality embeddings."""

    def __init__(self, n_modalities, embedding_dim):
        super().__init__()
        self.output_dim = n_modalities * embedding_dim

    def forward(self, embeddings):
        return embeddings.flatten(1)


class MeanFusion(nn.Module):
    """Average the modality embeddings."""

    def __init__(self, n_modalities, embedding_dim):
        super().__init__()
        self.output_dim = embedding_dim

    def forward(self, embeddings):
        return embeddings.mean(1)


class WeightedFusion(nn.Module):
    """Weighted sum of the modality embeddings, with learned softmax weights."""

    def __init__(self, n_modalities, embedding_dim):
        super().__init__()
        self.output_dim = embedding_dim
        self.logits = nn.Parameter(torch.zeros(n_modalities))

    @property
    def weights(self):
        """The modality weights, summing to one."""
        return torch.softmax(self.logits, 0)

    def forward(self, embeddings):
        return torch.einsum("nmd,m->nd", embeddings, self.weights)


class GatedFusion(nn.Module):
    """Gated multimodal unit: a row-wise softmax gate mixes transformed embeddings.

    Each modality's embedding goes through its own ``tanh`` layer; a gate computed from
    all embeddings together decides, row by row, how much each modality contributes.
    """

    def __init__(self, n_modalities, embedding_dim):
        super().__init__()
        self.output_dim = embedding_dim
        self.transforms = nn.ModuleList(
            nn.Linear(embedding_dim, embedding_dim) for _ in range(n_modalities)
        )
        self.gate = nn.Linear(n_modalities * embedding_dim, n_modalities)

    def forward(self, embeddings):
        transformed = torch.stack(
            [torch.tanh(layer(embeddings[:, m])) for m, layer in enumerate(self.transforms)],
            1,
        )
        gates = torch.softmax(self.gate(embeddings.flatten(1)), 1)
        return (transformed * gates.unsqueeze(-1)).sum(1)


class AttentionFusion(nn.Module):
    """Self-attention over one token per modality, then the mean of the tokens."""

    def __init__(self, n_modalities, embedding_dim, n_heads=4):
        super().__init__()
        self.output_dim = embedding_dim
        self.modality_embedding = nn.Parameter(torch.zeros(n_modalities, embedding_dim))
        self.attention = nn.MultiheadAttention(embedding_dim, n_heads, batch_first=True)
        self.norm = nn.LayerNorm(embedding_dim)

    def forward(self, embeddings):
        tokens = embeddings + self.modality_embedding
        attended, _ = self.attention(tokens, tokens, tokens, need_weights=False)
        return self.norm(tokens + attended).mean(1)


def _with_constant_one(values):
    ones = torch.ones(values.shape[:-1] + (1,), dtype=values.dtype, device=values.device)
    return torch.cat([values, ones], -1)


class TensorFusion(nn.Module):
    """Tensor fusion: the outer product of the embeddings, each extended with a 1.

    The constant 1 keeps every unimodal and lower-order term in the product. Each
    embedding is first projected to ``rank_dim`` values so that the product stays
    small: its size is ``(rank_dim + 1) ** n_modalities``.
    """

    def __init__(self, n_modalities, embedding_dim, rank_dim=8):
        super().__init__()
        self.projections = nn.ModuleList(
            nn.Linear(embedding_dim, rank_dim) for _ in range(n_modalities)
        )
        self.output_dim = (rank_dim + 1) ** n_modalities

    def forward(self, embeddings):
        product = None
        for m, projection in enumerate(self.projections):
            factor = _with_constant_one(projection(embeddings[:, m]))
            if product is None:
                product = factor
            else:
                product = (product.unsqueeze(-1) * factor.unsqueeze(1)).flatten(1)
        return product


class LowRankFusion(nn.Module):
    """Low-rank tensor fusion: the tensor-fusion product through rank-r factors.

    Equivalent to a linear layer on the full outer product whose weight tensor is a sum
    of ``rank`` outer products of per-modality factors, computed without forming the
    product: the per-modality projections are multiplied element-wise.
    """

    def __init__(self, n_modalities, embedding_dim, rank=4):
        super().__init__()
        self.output_dim = embedding_dim
        bound = 1.0 / math.sqrt(embedding_dim + 1)
        self.factors = nn.ParameterList(
            nn.Parameter(
                torch.empty(rank, embedding_dim + 1, embedding_dim).uniform_(-bound, bound)
            )
            for _ in range(n_modalities)
        )
        self.rank_weights = nn.Parameter(torch.full((rank,), 1.0 / rank))
        self.bias = nn.Parameter(torch.zeros(embedding_dim))

    def forward(self, embeddings):
        fused = None
        for m, factor in enumerate(self.factors):
            projected = torch.einsum("nd,rdo->rno", _with_constant_one(embeddings[:, m]), factor)
            fused = projected if fused is None else fused * projected
        return torch.einsum("r,rno->no", self.rank_weights, fused) + self.bias


class ConvFusion(nn.Module):
    """A 1-D convolution across the modalities, then their mean and maximum.

    The stacked embeddings are read as a sequence with one position per modality (in
    input order) and the embedding dimensions as channels. A convolution of kernel size
    ``min(3, n_modalities)``, zero-padded to keep one position per modality (the extra
    zero of the even kernel of two modalities goes at the end), mixes each modality
    with its neighbours; after a ReLU, the mean and the maximum over the positions are
    concatenated.

    The layer depends on the modality order: only neighbours in input order share a
    window, and the padding makes the end positions differ from the inner ones. With an
    odd kernel (any number of modalities but two), reversing the order gives the same
    output as flipping the kernel.
    """

    def __init__(self, n_modalities, embedding_dim):
        super().__init__()
        self.output_dim = 2 * embedding_dim
        kernel_size = min(3, n_modalities)
        self.conv = nn.Conv1d(embedding_dim, embedding_dim, kernel_size)
        # Explicit padding: torch's "same" warns for even kernels.
        self.padding = ((kernel_size - 1) // 2, kernel_size // 2)

    def forward(self, embeddings):
        sequence = F.pad(embeddings.transpose(1, 2), self.padding)
        states = torch.relu(self.conv(sequence))
        return torch.cat([states.mean(-1), states.amax(-1)], 1)


class FiLMFusion(nn.Module):
    """Feature-wise linear modulation of each modality by the others, then the mean.

    Modality ``m``'s embedding is scaled and shifted feature by feature,
    ``h_m' = (1 + gamma_m) * h_m + beta_m``, where ``gamma_m`` and ``beta_m`` come from
    one linear layer per modality applied to the context of ``m``: the mean of the
    other modalities' embeddings (a missing modality takes part through its
    placeholder). The scale is predicted around 1, so that small weights modulate
    little. The modulated embeddings are averaged.

    With a single modality the context is a vector of zeros: the modulation is then a
    learned per-feature scale and shift (the layer's biases), and its weights get no
    gradient.
    """

    def __init__(self, n_modalities, embedding_dim):
        super().__init__()
        self.output_dim = embedding_dim
        self.modulations = nn.ModuleList(
            nn.Linear(embedding_dim, 2 * embedding_dim) for _ in range(n_modalities)
        )

    def forward(self, embeddings):
        others = embeddings.sum(1, keepdim=True) - embeddings
        context = others / max(embeddings.shape[1] - 1, 1)
        modulated = []
        for m, layer in enumerate(self.modulations):
            gamma, beta = layer(context[:, m]).chunk(2, -1)
            modulated.append((1 + gamma) * embeddings[:, m] + beta)
        return torch.stack(modulated, 1).mean(1)


class DeepSetFusion(nn.Module):
    """DeepSets: one network on every embedding, their mean, then a second network.

    Computes ``rho(mean_m phi(h_m))`` with ``phi`` two linear layers and ``rho`` one,
    each ``embedding_dim`` wide and followed by a ReLU. ``phi`` is shared by the
    modalities, so the output does not depend on their order and the parameters do not
    depend on their number; modalities are told apart only by their embeddings (a
    missing one by its placeholder). Every row holds all its modalities (missing ones
    as placeholders), so the mean is the DeepSets sum up to a constant factor.
    """

    def __init__(self, n_modalities, embedding_dim):
        super().__init__()
        self.output_dim = embedding_dim
        self.phi = nn.Sequential(
            nn.Linear(embedding_dim, embedding_dim),
            nn.ReLU(),
            nn.Linear(embedding_dim, embedding_dim),
            nn.ReLU(),
        )
        self.rho = nn.Sequential(nn.Linear(embedding_dim, embedding_dim), nn.ReLU())

    def forward(self, embeddings):
        return self.rho(self.phi(embeddings).mean(1))


FUSION_LAYERS = {
    "concat": ConcatFusion,
    "mean": MeanFusion,
    "weighted": WeightedFusion,
    "gated": GatedFusion,
    "attention": AttentionFusion,
    "tensor": TensorFusion,
    "lowrank": LowRankFusion,
    "conv": ConvFusion,
    "film": FiLMFusion,
    "deepset": DeepSetFusion,
}

# ---------------------------------------------------------------------------- network


def _head(input_dim, hidden_units, dropout, n_outputs):
    """One hidden layer with ReLU and dropout, then the output layer."""
    return nn.Sequential(
        nn.Linear(input_dim, hidden_units),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden_units, n_outputs),
    )


class TargetHeads(nn.Module):
    """One head per target on the same fused representation, outputs side by side.

    Target ``t``'s head has its own hidden layer and ``widths[t]`` outputs (its number
    of classes, or 1 for a regression target); the output concatenates the heads in
    target order, so that column ``offsets[t]`` is the first output of target ``t``.
    """

    def __init__(self, input_dim, hidden_units, dropout, widths):
        super().__init__()
        self.heads = nn.ModuleList(
            _head(input_dim, hidden_units, dropout, width) for width in widths
        )
        self.output_dim = int(sum(widths))

    def forward(self, fused):
        return torch.cat([head(fused) for head in self.heads], 1)


class MultimodalNetwork(nn.Module):
    """Per-modality encoders, placeholders for missing modalities, fusion and a head.

    Parameters
    ----------
    blocks : list of tuple
        ``(name, encoder)`` for each modality, in input order; ``encoder`` is an
        ``nn.Module`` mapping the modality's batch to ``(n, embedding_dim)``.
    fusion : str
        A key of ``FUSION_LAYERS``.
    n_outputs : int or list of int
        Width of the prediction (classes, or regression targets) of the one head; or,
        for several targets, the width of each target's head (see
        :class:`TargetHeads`). The auxiliary heads predict every target at once.
    embedding_dim, hidden_units : int
        Width of the modality embeddings and of the head's hidden layer.
    dropout : float
        Dropout of the head.
    modality_dropout : float
        Probability, during training, that a modality of a row is treated as missing
        (at least one present modality of each row is kept).
    auxiliary_heads : bool
        Whether to build one prediction head per modality (for the intra-modal loss).
    """

    def __init__(
        self,
        blocks,
        fusion,
        n_outputs,
        embedding_dim=64,
        hidden_units=128,
        dropout=0.1,
        modality_dropout=0.0,
        auxiliary_heads=False,
    ):
        super().__init__()
        self.names = [name for name, _ in blocks]
        # A list, not a ModuleDict: modality names may hold dots or shadow dict methods.
        self.encoder_list = nn.ModuleList(encoder for _, encoder in blocks)
        self.placeholders = nn.Parameter(torch.zeros(len(blocks), embedding_dim))
        nn.init.normal_(self.placeholders, std=0.02)
        self.fusion = FUSION_LAYERS[fusion](len(blocks), embedding_dim)
        if isinstance(n_outputs, Integral):
            self.head = _head(self.fusion.output_dim, hidden_units, dropout, n_outputs)
            width = n_outputs
        else:
            self.head = TargetHeads(self.fusion.output_dim, hidden_units, dropout, n_outputs)
            width = self.head.output_dim
        self.modality_dropout = modality_dropout
        self.auxiliary_heads = (
            nn.ModuleList(nn.Linear(embedding_dim, width) for _ in blocks)
            if auxiliary_heads
            else None
        )

    @property
    def encoders(self):
        """The encoder of each modality, by name."""
        return dict(zip(self.names, self.encoder_list))

    def embed(self, blocks):
        """Stacked embeddings of shape ``(n_samples, n_modalities, embedding_dim)``."""
        embeddings = []
        for name, encoder in zip(self.names, self.encoder_list):
            try:
                embeddings.append(encoder(blocks[name]))
            except Exception as error:
                raise modality_error(error, f"The encoder of modality {name!r} failed") from error
        return torch.stack(embeddings, 1)

    def forward(self, blocks, present):
        """Predictions; in training mode also auxiliary predictions and embeddings.

        Returns
        -------
        output : Tensor or tuple
            In evaluation mode the ``(n_samples, n_outputs)`` predictions. In training
            mode ``(predictions, auxiliary, embeddings)``, ``auxiliary`` of shape
            ``(n_samples, n_modalities, n_outputs)`` (empty without auxiliary heads).
        """
        embeddings = self.embed(blocks)
        kept = self._drop_modalities(present) if self.training else present
        fused = torch.where(kept.unsqueeze(-1), embeddings, self.placeholders.unsqueeze(0))
        predictions = self.head(self.fusion(fused))
        if not self.training:
            return predictions
        if self.auxiliary_heads is None:
            auxiliary = predictions.new_zeros((predictions.shape[0], 0, predictions.shape[1]))
        else:
            auxiliary = torch.stack(
                [head(embeddings[:, m]) for m, head in enumerate(self.auxiliary_heads)], 1
            )
        return predictions, auxiliary, embeddings

    def _drop_modalities(self, present):
        if self.modality_dropout <= 0:
            return present
        dropped = torch.rand(present.shape, device=present.device) < self.modality_dropout
        kept = present & ~dropped
        # Rows that would lose every modality keep the ones they had.
        return torch.where(kept.any(1, keepdim=True), kept, present)


# ------------------------------------------------------------------------------ losses


def weighted_mean(values, weights):
    """Mean of ``values`` weighted by ``weights`` (plain mean when None)."""
    if weights is None:
        return values.mean()
    return (values * weights).sum() / weights.sum().clamp(min=1e-12)


def contrastive_loss(embeddings, present, temperature=0.1):
    """InfoNCE alignment of every pair of modality embeddings of the same row.

    For each pair of modalities, a row's two embeddings should be closer (in cosine
    similarity) to each other than to the other rows' embeddings of the batch. Rows or
    candidates where either modality is missing are left out, without boolean indexing
    so that nothing synchronises with the device.

    Parameters
    ----------
    embeddings : Tensor of shape (n_samples, n_modalities, embedding_dim)
    present : bool Tensor of shape (n_samples, n_modalities)
    temperature : float

    Returns
    -------
    loss : scalar Tensor
    """
    n_modalities = embeddings.shape[1]
    normalised = F.normalize(embeddings, dim=-1)
    targets = torch.arange(embeddings.shape[0], device=embeddings.device)
    total = embeddings.new_zeros(())
    n_pairs = 0
    for a in range(n_modalities):
        for b in range(a + 1, n_modalities):
            both = present[:, a] & present[:, b]
            candidates = both.unsqueeze(0) & both.unsqueeze(1)
            similarity = normalised[:, a] @ normalised[:, b].T / temperature
            similarity = similarity.masked_fill(~candidates, -1e4)
            pair = F.cross_entropy(similarity, targets, reduction="none") + F.cross_entropy(
                similarity.T, targets, reduction="none"
            )
            total = total + weighted_mean(pair / 2, both.to(embeddings.dtype))
            n_pairs += 1
    return total / max(n_pairs, 1)


def column_weighted_means(values, weights):
    """Weighted mean of each column of ``values``, one weight per row or per entry.

    Parameters
    ----------
    values : Tensor of shape (n_samples, n_columns)
    weights : Tensor of shape (n_samples,) or (n_samples, n_columns), or None
        Row weights shared by the columns, or one weight per entry; None for the
        plain means.

    Returns
    -------
    means : Tensor of shape (n_columns,)
    """
    if weights is None:
        return values.mean(0)
    if weights.dim() == 1:
        weights = weights.unsqueeze(1)
    return (values * weights).sum(0) / weights.sum(0).clamp(min=1e-12)


class MultiTaskLoss(nn.Module):
    """Per-row losses of several targets predicted side by side by :class:`TargetHeads`.

    A classification target gets the cross-entropy of its head's logits, a regression
    target the squared error of its head's single output. The target holds one column
    per target: class indices (as floats) or standardised values.

    Parameters
    ----------
    n_classes : list of int or None
        The number of classes of each target; None for a regression target.
    task_weights : list of float or None, default=None
        The weight of each target's loss in :meth:`combine`; None weighs them equally.
    names : list of str or None, default=None
        The targets' names, for the training history; None gives ``"target_{i}"``.
    """

    def __init__(self, n_classes, task_weights=None, names=None):
        super().__init__()
        self.n_classes = list(n_classes)
        widths = [1 if n is None else int(n) for n in self.n_classes]
        self.slices = [(stop - width, stop) for stop, width in zip(accumulate(widths), widths)]
        self.names = (
            list(names) if names is not None else [f"target_{i}" for i in range(len(widths))]
        )
        weights = [1.0] * len(widths) if task_weights is None else list(task_weights)
        self.register_buffer("task_weights", torch.tensor(weights, dtype=torch.float32))

    def forward(self, predictions, target):
        """The loss of every row and target, of shape ``(n_samples, n_targets)``."""
        losses = []
        for t, (n_classes, (start, stop)) in enumerate(zip(self.n_classes, self.slices)):
            outputs = predictions[:, start:stop]
            if n_classes is None:
                losses.append((outputs[:, 0] - target[:, t].to(outputs.dtype)) ** 2)
            else:
                losses.append(F.cross_entropy(outputs, target[:, t].long(), reduction="none"))
        return torch.stack(losses, 1)

    def combine(self, per_target):
        """The sum of the per-target losses weighted by ``task_weights``."""
        return (per_target * self.task_weights.to(per_target.dtype)).sum()
