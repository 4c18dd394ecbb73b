"""Contrastive shared space: one encoder per modality trained to align paired rows.

The encoders are those of neural fusion (an MLP for dense blocks, a sparse projection
for TF-IDF, a bag of token embeddings for token ids), trained through skorch with the
symmetric InfoNCE loss of neural fusion and its device-resident batches. torch and
skorch are imported only when a contrastive space is fitted or used.
"""

import copy

import numpy as np
from sklearn.utils.validation import check_random_state

from .._devices import torch_device
from ..fusion._neural import _block_kind, _checked_block, _import_torch, _seeded

#: The encoder of neural fusion used for each kind of block.
_ENCODER_BY_KIND = {"dense": "mlp", "sparse": "sparse", "tokens": "bag"}
_PROJECT_BATCH_SIZE = 4096


class ContrastiveSpace:
    """Trained encoders mapping each modality's block into the shared space.

    Parameters
    ----------
    net : skorch.NeuralNet
        The trained net; ``net.module_`` holds one encoder per modality.
    token_blocks : set of str
        Modalities whose blocks hold token ids.
    n_components : int
        Width of the embeddings.
    """

    def __init__(self, net, token_blocks, n_components):
        self.net = net
        self.token_blocks = token_blocks
        self.n_components = n_components
        self.correlations = None

    def project(self, name, block):
        """Embeddings of the rows of ``block`` (modality ``name``)."""
        torch, _, training = _import_torch()
        block = _checked_block(name, block)
        module = self.net.module_
        on_cpu = torch.device(self.net.device).type == "cpu"
        # On the CPU a float64 copy: a row's embedding must not depend on its batch.
        encoder = copy.deepcopy(module.encoder(name)).double() if on_cpu else module.encoder(name)
        encoder.eval()
        dataset = training.BlockDataset(
            {name: block},
            np.ones((block.shape[0], 1), dtype=bool),
            device=self.net.device,
            token_blocks=self.token_blocks & {name},
            dtype=np.float64 if on_cpu else np.float32,
        )
        outputs = []
        with torch.inference_mode():
            for batch, _ in training.BatchIterator(dataset, batch_size=_PROJECT_BATCH_SIZE):
                outputs.append(encoder(batch["blocks"][name]).to(torch.float64).cpu())
        return torch.cat(outputs).numpy().astype(np.float64)


def fit_contrastive(retriever, blocks):
    """Train one encoder per modality on the paired blocks; see :class:`CrossModalRetriever`."""
    torch, nn_modules, training = _import_torch()
    from . import _contrastive_nn

    blocks = {name: _checked_block(name, block) for name, block in blocks.items()}
    transformers = {name: transformer for name, transformer, _ in retriever.transformers_}
    kinds = {name: _block_kind(transformers[name], block) for name, block in blocks.items()}
    token_blocks = {name for name, kind in kinds.items() if kind == "tokens"}
    device = torch_device(torch, retriever.device)
    seed = check_random_state(retriever.random_state).randint(np.iinfo(np.int32).max)
    n_rows = next(iter(blocks.values())).shape[0]
    with _seeded(torch, seed, device):
        encoders = []
        for name, block in blocks.items():
            encoder_class = nn_modules.ENCODERS[_ENCODER_BY_KIND[kinds[name]]]
            width = (
                int(transformers[name].vocabulary_size_)
                if name in token_blocks
                else block.shape[1]
            )
            encoders.append(
                (
                    name,
                    encoder_class(
                        width,
                        embedding_dim=retriever.n_components,
                        hidden_units=retriever.hidden_units,
                        dropout=retriever.dropout,
                    ),
                )
            )
        net = _contrastive_nn.ContrastiveNet(
            _contrastive_nn.ModalityEncoders,
            module__blocks=encoders,
            criterion=_contrastive_nn.InfoNCELoss,
            criterion__temperature=retriever.temperature,
            optimizer=torch.optim.AdamW,
            optimizer__weight_decay=retriever.weight_decay,
            lr=retriever.lr,
            max_epochs=retriever.max_epochs,
            batch_size=min(retriever.batch_size, n_rows),
            train_split=None,
            iterator_train=training.BatchIterator,
            iterator_valid=training.BatchIterator,
            iterator_train__shuffle=True,
            iterator_train__seed=seed,
            device=device,
            verbose=int(retriever.verbose),
        )
        dataset = training.BlockDataset(
            blocks,
            np.ones((n_rows, len(blocks)), dtype=bool),
            device=device,
            token_blocks=token_blocks,
        )
        del encoders
        net.fit(dataset, None)
    net.module_.eval()
    return ContrastiveSpace(net, token_blocks, retriever.n_components)
