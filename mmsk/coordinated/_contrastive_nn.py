"""PyTorch side of the contrastive shared space: paired encoders and their InfoNCE loss.

Importing this module imports torch and skorch; :mod:`mmsk.coordinated._contrastive`
imports it only when a contrastive space is fitted or used.
"""

import torch
from torch import nn

from ..fusion._nn import contrastive_loss
from ..fusion._nn_training import FusionNet


class ModalityEncoders(nn.Module):
    """One encoder per modality; the forward pass stacks their embeddings.

    Parameters
    ----------
    blocks : list of tuple
        ``(name, encoder)`` for each modality; ``encoder`` maps the modality's batch
        to ``(n_samples, embedding_dim)``.
    """

    def __init__(self, blocks):
        super().__init__()
        self.names = [name for name, _ in blocks]
        # A list, not a ModuleDict: modality names may hold dots.
        self.encoder_list = nn.ModuleList(encoder for _, encoder in blocks)

    def encoder(self, name):
        """The encoder of modality ``name``."""
        return self.encoder_list[self.names.index(name)]

    def forward(self, blocks, present):
        """Embeddings of shape ``(n_samples, n_modalities, embedding_dim)``."""
        return torch.stack(
            [encoder(blocks[name]) for name, encoder in zip(self.names, self.encoder_list)], 1
        )


class InfoNCELoss(nn.Module):
    """Symmetric InfoNCE loss of the stacked embeddings of paired rows.

    Parameters
    ----------
    temperature : float, default=0.1
        Temperature of the softmax over the cosine similarities.
    """

    def __init__(self, temperature=0.1):
        super().__init__()
        self.temperature = temperature

    def forward(self, embeddings, present):
        return contrastive_loss(embeddings, present, self.temperature)


class ContrastiveNet(FusionNet):
    """The lean skorch net of neural fusion, trained on the InfoNCE loss alone."""

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if X is None:
            present = torch.ones(y_pred.shape[:2], dtype=torch.bool, device=y_pred.device)
        else:
            present = X["present"]
        return self.criterion_(y_pred, present)
