"""Neural fusion's torch modules and training machinery: shapes, gradients, exact maths.

These tests work on the modules of ``mmsk.fusion._nn`` and ``mmsk.fusion._nn_training``
directly, with tiny tensors, and check every layer against a hand computation.
"""

import numpy as np
import pytest
from scipy import sparse

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from sklearn.preprocessing import OrdinalEncoder  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.data import Subset  # noqa: E402

from mmsk.datasets import make_multimodal_classification  # noqa: E402
from mmsk.fusion import NeuralFusionClassifier  # noqa: E402
from mmsk.fusion._nn import (  # noqa: E402
    ENCODERS,
    FUSION_LAYERS,
    AttentionFusion,
    BagOfTokensEncoder,
    ConvFusion,
    DeepSetFusion,
    FiLMFusion,
    GatedFusion,
    LowRankFusion,
    MLPEncoder,
    MultimodalNetwork,
    SparseEncoder,
    TensorFusion,
    WeightedFusion,
    contrastive_loss,
    weighted_mean,
)
from mmsk.fusion._nn_training import (  # noqa: E402
    BatchIterator,
    BlockDataset,
    FusionNet,
    SparseRows,
    block_to_device,
)

torch.set_num_threads(1)

EMBEDDING_DIM = 4  # a multiple of the 4 heads of AttentionFusion
HIDDEN = 8
VOCABULARY = 12
TENSOR_RANK_DIM = 8  # TensorFusion's default rank_dim
FUSIONS = sorted(FUSION_LAYERS)


def _generator(seed):
    return torch.Generator().manual_seed(seed)


def _random_embeddings(n_samples=5, n_modalities=2, dim=EMBEDDING_DIM, seed=0):
    return torch.randn(n_samples, n_modalities, dim, generator=_generator(seed))


def _random_projection(output, seed=123):
    """A fixed random weighting of ``output``: a scalar whose gradient is never trivial.

    A plain sum would not do: the sum of a LayerNorm output (AttentionFusion) is the sum
    of its bias whatever the input, so its gradient vanishes.
    """
    return (output * torch.randn(output.shape, generator=_generator(seed))).sum()


def _expected_output_dim(fusion, n_modalities, dim=EMBEDDING_DIM):
    if fusion == "concat":
        return n_modalities * dim
    if fusion == "conv":
        return 2 * dim
    if fusion == "tensor":
        return (TENSOR_RANK_DIM + 1) ** n_modalities
    return dim


def _structurally_constant(fusion, n_modalities):
    """Parameters whose gradient is exactly 0 by construction, with a single modality."""
    if n_modalities == 1 and fusion == "weighted":
        return {"logits"}
    if n_modalities == 1 and fusion == "gated":
        return {"gate.weight", "gate.bias"}
    if n_modalities == 1 and fusion == "film":
        return {"modulations.0.weight"}  # the context of a lone modality is zero
    return set()


# ---------------------------------------------------------------------- fusion layers


@pytest.mark.parametrize("n_modalities", [1, 2, 3])
@pytest.mark.parametrize("fusion", FUSIONS)
def test_fusion_layer_output_has_documented_width(fusion, n_modalities):
    torch.manual_seed(0)
    layer = FUSION_LAYERS[fusion](n_modalities, EMBEDDING_DIM)
    assert layer.output_dim == _expected_output_dim(fusion, n_modalities)
    output = layer(_random_embeddings(n_samples=5, n_modalities=n_modalities))
    assert output.shape == (5, layer.output_dim)
    assert torch.isfinite(output).all()


@pytest.mark.parametrize("n_modalities", [1, 2, 3])
@pytest.mark.parametrize("fusion", FUSIONS)
def test_fusion_layer_passes_gradients_to_every_parameter_and_modality(fusion, n_modalities):
    torch.manual_seed(0)
    layer = FUSION_LAYERS[fusion](n_modalities, EMBEDDING_DIM)
    embeddings = _random_embeddings(n_modalities=n_modalities).requires_grad_()
    _random_projection(layer(embeddings)).backward()
    for m in range(n_modalities):
        assert embeddings.grad[:, m].abs().sum() > 0, f"no gradient to modality {m}"
    constant = _structurally_constant(fusion, n_modalities)
    for name, parameter in layer.named_parameters():
        assert parameter.grad is not None, name
        if name in constant:
            assert torch.all(parameter.grad == 0), name
        else:
            assert parameter.grad.abs().sum() > 0, f"no gradient to {name}"


def test_concat_fusion_lays_modalities_side_by_side_in_order():
    embeddings = _random_embeddings(n_modalities=3)
    output = FUSION_LAYERS["concat"](3, EMBEDDING_DIM)(embeddings)
    expected = torch.cat([embeddings[:, 0], embeddings[:, 1], embeddings[:, 2]], 1)
    torch.testing.assert_close(output, expected, rtol=0, atol=0)


def test_mean_fusion_is_the_mean_of_the_modalities():
    embeddings = _random_embeddings(n_modalities=3)
    output = FUSION_LAYERS["mean"](3, EMBEDDING_DIM)(embeddings)
    torch.testing.assert_close(
        output, (embeddings[:, 0] + embeddings[:, 1] + embeddings[:, 2]) / 3
    )


def test_weighted_fusion_weights_sum_to_one_and_weigh_the_modalities():
    layer = WeightedFusion(3, EMBEDDING_DIM)
    with torch.no_grad():
        layer.logits.copy_(torch.tensor([0.5, -1.0, 2.0]))
    weights = layer.weights
    torch.testing.assert_close(weights.sum(), torch.tensor(1.0))
    assert torch.all(weights > 0)
    # Larger logits, larger weights, in the same order.
    assert weights[2] > weights[0] > weights[1]
    embeddings = _random_embeddings(n_modalities=3)
    expected = sum(weights[m] * embeddings[:, m] for m in range(3))
    torch.testing.assert_close(layer(embeddings), expected)


def test_gated_fusion_with_a_neutral_gate_averages_the_transformed_modalities():
    torch.manual_seed(0)
    layer = GatedFusion(2, EMBEDDING_DIM)
    with torch.no_grad():
        layer.gate.weight.zero_()
        layer.gate.bias.zero_()
    embeddings = _random_embeddings(n_modalities=2)
    transformed = [torch.tanh(layer.transforms[m](embeddings[:, m])) for m in range(2)]
    torch.testing.assert_close(layer(embeddings), (transformed[0] + transformed[1]) / 2)


def test_gated_fusion_gate_can_select_one_modality():
    torch.manual_seed(0)
    layer = GatedFusion(2, EMBEDDING_DIM)
    with torch.no_grad():
        layer.gate.weight.zero_()
        layer.gate.bias.copy_(torch.tensor([-50.0, 50.0]))
    embeddings = _random_embeddings(n_modalities=2)
    expected = torch.tanh(layer.transforms[1](embeddings[:, 1]))
    torch.testing.assert_close(layer(embeddings), expected)


@pytest.mark.parametrize("n_modalities", [2, 3])
def test_tensor_fusion_contains_every_unimodal_projection(n_modalities):
    torch.manual_seed(0)
    rank_dim = 3
    layer = TensorFusion(n_modalities, EMBEDDING_DIM, rank_dim=rank_dim)
    embeddings = _random_embeddings(n_modalities=n_modalities)
    with torch.no_grad():
        product = layer(embeddings)
        projected = [layer.projections[m](embeddings[:, m]) for m in range(n_modalities)]
    assert product.shape == (5, (rank_dim + 1) ** n_modalities)
    # Axis m of the product runs over modality m's projection extended with a 1; fixing
    # every other axis at that constant 1 (index rank_dim) leaves modality m alone.
    cube = product.reshape((5,) + (rank_dim + 1,) * n_modalities)
    for m in range(n_modalities):
        index = [slice(None)] + [rank_dim] * n_modalities
        index[1 + m] = slice(0, rank_dim)
        torch.testing.assert_close(cube[tuple(index)], projected[m])
    torch.testing.assert_close(cube[(slice(None),) + (rank_dim,) * n_modalities], torch.ones(5))
    if n_modalities == 2:
        extended = [torch.cat([p, torch.ones(5, 1)], 1) for p in projected]
        outer = extended[0].unsqueeze(2) * extended[1].unsqueeze(1)
        torch.testing.assert_close(cube, outer)


@pytest.mark.parametrize("rank", [1, 2])
def test_low_rank_fusion_equals_a_linear_layer_on_the_full_outer_product(rank):
    torch.manual_seed(0)
    dim = 2
    layer = LowRankFusion(2, dim, rank=rank)
    with torch.no_grad():
        layer.rank_weights.copy_(torch.randn(rank))
        layer.bias.copy_(torch.randn(dim))
    embeddings = _random_embeddings(n_samples=6, n_modalities=2, dim=dim)
    first, second = (torch.cat([embeddings[:, m], torch.ones(6, 1)], 1) for m in range(2))
    # The full weight tensor: W[i, j, o] = sum_r w_r A_r[i, o] B_r[j, o].
    factor_a, factor_b = layer.factors[0], layer.factors[1]
    full_weight = torch.einsum("r,rio,rjo->ijo", layer.rank_weights, factor_a, factor_b)
    outer = first.unsqueeze(2) * second.unsqueeze(1)  # (n, dim + 1, dim + 1)
    expected = torch.einsum("nij,ijo->no", outer, full_weight) + layer.bias
    with torch.no_grad():
        torch.testing.assert_close(layer(embeddings), expected.detach())


def test_low_rank_fusion_equals_the_full_product_with_three_modalities():
    torch.manual_seed(1)
    dim = 2
    layer = LowRankFusion(3, dim, rank=2)
    embeddings = _random_embeddings(n_samples=4, n_modalities=3, dim=dim)
    a, b, c = (torch.cat([embeddings[:, m], torch.ones(4, 1)], 1) for m in range(3))
    with torch.no_grad():
        full_weight = torch.einsum("r,rio,rjo,rko->ijko", layer.rank_weights, *layer.factors)
        expected = torch.einsum("ni,nj,nk,ijko->no", a, b, c, full_weight) + layer.bias
        torch.testing.assert_close(layer(embeddings), expected)


def test_attention_fusion_tells_modalities_apart_only_through_their_embeddings():
    torch.manual_seed(0)
    layer = AttentionFusion(3, EMBEDDING_DIM).eval()
    embeddings = _random_embeddings(n_modalities=3)
    permuted = embeddings[:, [2, 0, 1]]
    with torch.no_grad():
        # Zero modality embeddings: self-attention then the mean is order-free.
        torch.testing.assert_close(layer(permuted), layer(embeddings))
        layer.modality_embedding.copy_(torch.randn(3, EMBEDDING_DIM))
        assert not torch.allclose(layer(permuted), layer(embeddings), atol=1e-4)


@pytest.mark.parametrize("fusion", FUSIONS)
def test_fusion_layer_is_deterministic_and_keeps_rows_apart(fusion):
    """Same seed, same layer and output; a row's output depends on that row alone, so a
    placeholder in one row cannot reach another."""
    embeddings = _random_embeddings(n_samples=6, n_modalities=3)
    outputs = []
    for _ in range(2):
        torch.manual_seed(0)
        layer = FUSION_LAYERS[fusion](3, EMBEDDING_DIM).eval()
        with torch.no_grad():
            outputs.append(layer(embeddings))
            torch.testing.assert_close(layer(embeddings), outputs[-1], rtol=0, atol=0)
    torch.testing.assert_close(outputs[0], outputs[1], rtol=0, atol=0)
    with torch.no_grad():
        for row in range(6):
            alone = layer(embeddings[row : row + 1])
            torch.testing.assert_close(alone, outputs[0][row : row + 1], rtol=1e-5, atol=1e-6)


def _reference_conv(layer, embeddings):
    """ConvFusion by hand: zero-pad the modality axis, then a window product per position."""
    weight, bias = layer.conv.weight, layer.conv.bias  # (out, in, kernel), (out,)
    n_samples, n_modalities, dim = embeddings.shape
    kernel_size = weight.shape[2]
    left = (kernel_size - 1) // 2
    right = kernel_size - 1 - left
    padded = torch.cat(
        [torch.zeros(n_samples, left, dim), embeddings, torch.zeros(n_samples, right, dim)], 1
    )
    positions = []
    for m in range(n_modalities):
        window = padded[:, m : m + kernel_size]  # (n, kernel, in)
        positions.append(torch.relu(torch.einsum("nki,oik->no", window, weight) + bias))
    states = torch.stack(positions, 1)  # (n, modalities, out)
    return torch.cat([states.mean(1), states.max(1).values], 1)


@pytest.mark.parametrize(("n_modalities", "kernel_size"), [(1, 1), (2, 2), (3, 3), (5, 3)])
def test_conv_fusion_equals_a_hand_computed_convolution(n_modalities, kernel_size):
    torch.manual_seed(0)
    layer = ConvFusion(n_modalities, EMBEDDING_DIM)
    assert layer.conv.kernel_size == (kernel_size,)
    embeddings = _random_embeddings(n_modalities=n_modalities)
    with torch.no_grad():
        torch.testing.assert_close(layer(embeddings), _reference_conv(layer, embeddings))


def test_conv_fusion_with_a_fixed_kernel_mixes_each_modality_with_its_neighbours():
    layer = ConvFusion(3, 1)
    with torch.no_grad():
        layer.conv.weight.copy_(torch.tensor([[[1.0, 2.0, 4.0]]]))
        layer.conv.bias.zero_()
    embeddings = torch.tensor([[[1.0], [10.0], [100.0]]])
    # Position m sees (h[m-1], h[m], h[m+1]) with zeros beyond the ends.
    states = torch.tensor([0 + 2 + 40, 1 + 20 + 400, 10 + 200 + 0.0])
    expected = torch.stack([states.mean(), states.max()]).unsqueeze(0)
    with torch.no_grad():
        torch.testing.assert_close(layer(embeddings), expected)


@pytest.mark.parametrize("n_modalities", [3, 4])
def test_conv_fusion_depends_on_the_modality_order(n_modalities):
    torch.manual_seed(0)
    layer = ConvFusion(n_modalities, EMBEDDING_DIM)
    embeddings = _random_embeddings(n_modalities=n_modalities)
    reversed_order = embeddings.flip(1)
    with torch.no_grad():
        output = layer(embeddings)
        assert not torch.allclose(layer(reversed_order), output, atol=1e-4)
        # With an odd kernel and symmetric padding, reversing the modalities is the
        # same as flipping the kernel.
        layer.conv.weight.copy_(layer.conv.weight.flip(2))
        torch.testing.assert_close(layer(reversed_order), output)


def _affine(values, linear):
    return values @ linear.weight.T + linear.bias


def _reference_film(layer, embeddings):
    n_modalities = embeddings.shape[1]
    modulated = []
    for m in range(n_modalities):
        others = [embeddings[:, k] for k in range(n_modalities) if k != m]
        context = torch.stack(others, 1).mean(1) if others else torch.zeros_like(embeddings[:, m])
        parameters = _affine(context, layer.modulations[m])
        gamma, beta = parameters[:, :EMBEDDING_DIM], parameters[:, EMBEDDING_DIM:]
        modulated.append((1 + gamma) * embeddings[:, m] + beta)
    return sum(modulated) / n_modalities


@pytest.mark.parametrize("n_modalities", [1, 2, 3])
def test_film_fusion_modulates_each_modality_by_the_mean_of_the_others(n_modalities):
    torch.manual_seed(0)
    layer = FiLMFusion(n_modalities, EMBEDDING_DIM)
    embeddings = _random_embeddings(n_modalities=n_modalities)
    with torch.no_grad():
        torch.testing.assert_close(layer(embeddings), _reference_film(layer, embeddings))


def test_film_fusion_with_zero_modulation_is_the_mean():
    torch.manual_seed(0)
    layer = FiLMFusion(3, EMBEDDING_DIM)
    with torch.no_grad():
        for linear in layer.modulations:
            linear.weight.zero_()
            linear.bias.zero_()
    embeddings = _random_embeddings(n_modalities=3)
    with torch.no_grad():
        torch.testing.assert_close(layer(embeddings), embeddings.mean(1))


def test_film_fusion_of_a_single_modality_is_a_learned_scale_and_shift():
    torch.manual_seed(0)
    layer = FiLMFusion(1, EMBEDDING_DIM)
    embeddings = _random_embeddings(n_modalities=1)
    bias = layer.modulations[0].bias
    expected = (1 + bias[:EMBEDDING_DIM]) * embeddings[:, 0] + bias[EMBEDDING_DIM:]
    with torch.no_grad():
        torch.testing.assert_close(layer(embeddings), expected)
        layer.modulations[0].weight.normal_()  # the context is zero: weights do nothing
        torch.testing.assert_close(layer(embeddings), expected)
        bias.zero_()
        torch.testing.assert_close(layer(embeddings), embeddings[:, 0])


def test_film_fusion_a_modality_scales_another():
    layer = FiLMFusion(2, 1)
    with torch.no_grad():
        layer.modulations[0].weight.copy_(torch.tensor([[2.0], [0.0]]))  # gamma_0 = 2 h_1
        layer.modulations[0].bias.zero_()
        layer.modulations[1].weight.zero_()
        layer.modulations[1].bias.copy_(torch.tensor([0.0, 3.0]))  # beta_1 = 3
    embeddings = torch.tensor([[[5.0], [0.5]], [[5.0], [-0.5]]])
    # Row 0: (1 + 1) * 5 and 0.5 + 3; row 1: (1 - 1) * 5 and -0.5 + 3.
    with torch.no_grad():
        torch.testing.assert_close(layer(embeddings), torch.tensor([[6.75], [1.25]]))


@pytest.mark.parametrize("n_modalities", [1, 2, 3])
def test_deepset_fusion_is_rho_of_the_mean_of_phi(n_modalities):
    torch.manual_seed(0)
    layer = DeepSetFusion(n_modalities, EMBEDDING_DIM)
    embeddings = _random_embeddings(n_modalities=n_modalities)
    phi_1, _, phi_2, _ = layer.phi
    encoded = [
        torch.relu(_affine(torch.relu(_affine(embeddings[:, m], phi_1)), phi_2))
        for m in range(n_modalities)
    ]
    expected = torch.relu(_affine(sum(encoded) / n_modalities, layer.rho[0]))
    assert expected.abs().sum() > 0
    with torch.no_grad():
        torch.testing.assert_close(layer(embeddings), expected)


def test_deepset_fusion_ignores_the_modality_order_and_number_in_its_parameters():
    torch.manual_seed(0)
    layer = DeepSetFusion(3, EMBEDDING_DIM)
    embeddings = _random_embeddings(n_modalities=3)
    other = DeepSetFusion(5, EMBEDDING_DIM)
    other.load_state_dict(layer.state_dict())  # the same parameters for any number
    with torch.no_grad():
        output = layer(embeddings)
        for order in ([2, 0, 1], [1, 0, 2], [2, 1, 0]):
            torch.testing.assert_close(layer(embeddings[:, order]), output)
        torch.testing.assert_close(other(embeddings), output)
        # The mean, not the sum: every modality twice gives the same output.
        torch.testing.assert_close(layer(embeddings.repeat(1, 2, 1)), output)


# ---------------------------------------------------------------------------- encoders


def _sparse_matrix(n_rows=8, n_features=7, seed=0):
    """A CSR matrix with empty rows, duplicate entries and unsorted column indices."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 6, size=n_rows)
    lengths[[2, 5]] = 0  # rows 2 and 5 stay empty
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    # Columns drawn with replacement, in random order: duplicates and unsorted rows.
    indices = rng.integers(0, n_features, size=indptr[-1])
    data = rng.normal(size=indptr[-1])
    matrix = sparse.csr_matrix((data, indices, indptr), shape=(n_rows, n_features))
    assert not matrix.has_canonical_format
    return matrix


def _tokens(n_samples=5, length=6, seed=0):
    """Token ids padded at the end, with one row of padding only."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, VOCABULARY, size=(n_samples, length))
    lengths = rng.integers(1, length + 1, size=n_samples)
    lengths[-1] = 0
    tokens[np.arange(length) >= lengths[:, None]] = 0
    return torch.as_tensor(tokens, dtype=torch.int64)


def _encoder_and_batch(kind, dropout=0.0, max_length=6):
    torch.manual_seed(0)
    if kind == "mlp":
        encoder = MLPEncoder(6, EMBEDDING_DIM, hidden_units=HIDDEN, dropout=dropout)
        return encoder, torch.randn(5, 6, generator=_generator(1))
    if kind == "sparse":
        encoder = SparseEncoder(7, EMBEDDING_DIM, hidden_units=HIDDEN, dropout=dropout)
        return encoder, SparseRows(_sparse_matrix(), "cpu").rows(torch.arange(8))
    if kind == "cnn":
        encoder = ENCODERS["cnn"](
            3 * 8 * 8, EMBEDDING_DIM, hidden_units=HIDDEN, dropout=dropout, image_shape=(3, 8, 8)
        )
        return encoder, torch.rand(5, 3 * 8 * 8, generator=_generator(1))
    options = {"hidden_units": HIDDEN, "dropout": dropout}
    if kind == "transformer":
        options["max_length"] = max_length
    encoder = ENCODERS[kind](VOCABULARY, EMBEDDING_DIM, **options)
    return encoder, _tokens()


def test_pixel_cnn_refuses_an_image_shape_that_does_not_fit_the_block():
    with pytest.raises(ValueError, match=r"image shape \(3, 8, 8\) holds 192 pixels, but the"):
        ENCODERS["cnn"](100, EMBEDDING_DIM, image_shape=(3, 8, 8))


@pytest.mark.parametrize("kind", sorted(ENCODERS))
def test_encoder_output_shape_and_gradients(kind):
    encoder, batch = _encoder_and_batch(kind)
    if kind == "mlp":
        batch.requires_grad_()
    elif kind == "sparse":
        batch[2].requires_grad_()
    output = encoder(batch)
    n_samples = 8 if kind == "sparse" else 5
    assert output.shape == (n_samples, EMBEDDING_DIM)
    assert torch.isfinite(output).all()
    _random_projection(output).backward()
    for name, parameter in encoder.named_parameters():
        assert parameter.grad is not None, name
        assert parameter.grad.abs().sum() > 0, f"no gradient to {name}"
    if kind == "mlp":
        assert batch.grad.abs().sum() > 0
    elif kind == "sparse":
        assert batch[2].grad.abs().sum() > 0


def test_sparse_encoder_equals_the_dense_computation():
    encoder, _ = _encoder_and_batch("sparse", dropout=0.5)
    encoder.eval()
    matrix = _sparse_matrix()
    index = torch.tensor([4, 2, 4, 0, 7, 5])
    dense = torch.as_tensor(matrix.toarray()[index.numpy()], dtype=torch.float32)
    with torch.no_grad():
        output = encoder(SparseRows(matrix, "cpu").rows(index))
        hidden = dense @ encoder.projection.weight + encoder.bias
        expected = encoder.output(hidden)
    torch.testing.assert_close(output, expected)


@pytest.mark.parametrize("kind", ["bag", "gru", "transformer"])
@pytest.mark.parametrize("training", [True, False])
def test_token_encoders_give_finite_output_for_rows_of_padding_only(kind, training):
    encoder, _ = _encoder_and_batch(kind, dropout=0.1)
    encoder.train(training)
    tokens = torch.tensor([[0, 0, 0, 0, 0, 0], [3, 4, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]])
    with torch.set_grad_enabled(training):  # eval without grad takes torch's fast paths
        output = encoder(tokens)
    assert output.shape == (3, EMBEDDING_DIM)
    assert torch.isfinite(output).all()


def test_transformer_encoder_gradients_stay_finite_for_rows_of_padding_only():
    encoder, _ = _encoder_and_batch("transformer")
    tokens = torch.tensor([[0, 0, 0, 0, 0, 0], [3, 4, 5, 0, 0, 0]])
    _random_projection(encoder(tokens)).backward()
    for name, parameter in encoder.named_parameters():
        assert torch.isfinite(parameter.grad).all(), name


@pytest.mark.parametrize("kind", ["bag", "gru", "transformer"])
def test_token_encoders_ignore_extra_padding(kind):
    encoder, _ = _encoder_and_batch(kind, dropout=0.1, max_length=10)
    encoder.eval()
    short = _tokens(length=6)
    long = torch.cat([short, torch.zeros(5, 4, dtype=torch.int64)], 1)
    with torch.no_grad():
        torch.testing.assert_close(encoder(long), encoder(short), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", ["bag", "gru", "transformer"])
def test_token_encoders_depend_on_the_tokens(kind):
    encoder, _ = _encoder_and_batch(kind)
    encoder.eval()
    tokens = torch.tensor([[3, 4, 5, 0, 0, 0]])
    with torch.no_grad():
        assert not torch.allclose(encoder(tokens), encoder(torch.tensor([[3, 4, 6, 0, 0, 0]])))


def test_bag_of_tokens_is_the_mean_of_the_real_token_embeddings():
    encoder = BagOfTokensEncoder(VOCABULARY, EMBEDDING_DIM, hidden_units=HIDDEN).eval()
    with torch.no_grad():
        output = encoder(torch.tensor([[3, 7, 7, 0, 0]]))
        mean = (encoder.embedding.weight[3] + 2 * encoder.embedding.weight[7]) / 3
        torch.testing.assert_close(output, encoder.output(mean.unsqueeze(0)))


def test_transformer_encoder_padding_only_row_does_not_disturb_the_others():
    encoder, _ = _encoder_and_batch("transformer")
    encoder.eval()
    tokens = torch.tensor([[3, 4, 5, 0, 0, 0]])
    with torch.no_grad():
        alone = encoder(tokens)
        together = encoder(torch.cat([tokens, torch.zeros(1, 6, dtype=torch.int64)]))
    torch.testing.assert_close(together[:1], alone, rtol=1e-5, atol=1e-5)


# -------------------------------------------------------------------------- SparseRows


def _dense_from_bags(indices, offsets, values, n_features):
    n_bags = len(offsets)
    ends = list(offsets[1:].tolist()) + [len(indices)]
    dense = np.zeros((n_bags, n_features))
    for bag, (start, end) in enumerate(zip(offsets.tolist(), ends)):
        np.add.at(dense[bag], indices[start:end].numpy(), values[start:end].numpy())
    return dense


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sparse_rows_reconstruct_the_selected_rows(seed):
    matrix = _sparse_matrix(seed=seed)
    dense = matrix.toarray()  # duplicates summed
    rows = SparseRows(matrix, "cpu")
    assert len(rows) == 8
    index = torch.as_tensor(np.random.default_rng(seed).integers(0, 8, size=12))
    index = torch.cat([index, torch.tensor([2, 5, 2, 7, 0])])  # empty rows and repeats
    indices, offsets, values = rows.rows(index)
    assert indices.dtype == offsets.dtype == torch.int64
    assert values.dtype == torch.float32
    assert offsets[0] == 0
    assert torch.all(offsets[1:] >= offsets[:-1])
    reconstructed = _dense_from_bags(indices, offsets, values, matrix.shape[1])
    np.testing.assert_allclose(reconstructed, dense[index.numpy()], rtol=1e-6, atol=1e-6)
    # One entry per distinct column of each row, duplicates summed.
    for bag, row in enumerate(index.tolist()):
        end = offsets[bag + 1] if bag + 1 < len(offsets) else len(indices)
        assert indices[offsets[bag] : end].tolist() == np.flatnonzero(dense[row]).tolist()


def test_sparse_rows_of_an_empty_index_and_of_empty_rows_only():
    rows = SparseRows(_sparse_matrix(), "cpu")
    indices, offsets, values = rows.rows(torch.tensor([], dtype=torch.int64))
    assert indices.numel() == offsets.numel() == values.numel() == 0
    indices, offsets, values = rows.rows(torch.tensor([2, 5, 2]))
    assert indices.numel() == values.numel() == 0
    assert offsets.tolist() == [0, 0, 0]


def test_sparse_rows_sum_duplicate_entries():
    matrix = sparse.csr_matrix(
        (np.array([1.0, 2.0, 5.0]), np.array([3, 3, 0]), np.array([0, 2, 3])), shape=(2, 4)
    )
    indices, offsets, values = SparseRows(matrix, "cpu").rows(torch.tensor([0, 1]))
    assert indices.tolist() == [3, 0]
    assert offsets.tolist() == [0, 1]
    assert values.tolist() == [3.0, 5.0]


# ------------------------------------------------------------- BlockDataset, iterators

N_ROWS = 10


def _dataset(target=True, weight=True):
    """Blocks whose every row carries its own row number, so batches can be traced."""
    rng = np.random.default_rng(0)
    ids = np.arange(N_ROWS)
    dense = np.column_stack([ids, rng.normal(size=N_ROWS)])
    tokens = np.column_stack([ids + 1, np.zeros(N_ROWS, dtype=int)])
    text = sparse.csr_matrix(np.diag(ids + 1.0))  # row i holds i + 1 at column i
    present = rng.random((N_ROWS, 2)) < 0.7
    blocks = {"dense": dense, "tokens": tokens, "text": text}
    return BlockDataset(
        blocks,
        present,
        target=ids * 10 if target else None,
        weight=ids / 10 if weight else None,
    )


def _batch_ids(batch):
    X, y = batch
    ids = X["blocks"]["dense"][:, 0].long()
    # Every part of the batch belongs to the same rows.
    assert torch.equal(X["blocks"]["tokens"][:, 0], ids + 1)
    indices, offsets, values = X["blocks"]["text"]
    assert torch.equal(indices, ids)
    assert torch.equal(offsets, torch.arange(len(ids)))
    assert torch.equal(values, ids.float() + 1)
    if y is not None:
        assert torch.equal(y["target"], ids * 10)
        if "weight" in y:
            torch.testing.assert_close(y["weight"], ids.float() / 10)
    return ids.tolist()


def _epoch(iterator):
    return [_batch_ids(batch) for batch in iterator]


def test_block_to_device_keeps_token_ids_and_makes_everything_else_float32():
    assert block_to_device(np.array([[1, 2]]), "cpu", tokens=True).dtype == torch.int64
    assert block_to_device(np.array([[1, 2]]), "cpu").dtype == torch.float32
    assert block_to_device(np.array([[1.5, 2.0]]), "cpu").dtype == torch.float32
    assert block_to_device(np.array([[True, False]]), "cpu").dtype == torch.float32
    assert isinstance(block_to_device(sparse.eye(3, format="csc"), "cpu"), SparseRows)


def test_batch_iterator_cuts_batches_with_a_smaller_last_one():
    iterator = BatchIterator(_dataset(), batch_size=4)
    assert len(iterator) == 3
    batches = _epoch(iterator)
    assert [len(batch) for batch in batches] == [4, 4, 2]
    assert sum(batches, []) == list(range(N_ROWS))


def test_batch_iterator_without_shuffle_keeps_the_order_every_epoch():
    iterator = BatchIterator(_dataset(), batch_size=3, shuffle=False)
    assert sum(_epoch(iterator), []) == list(range(N_ROWS))
    assert sum(_epoch(iterator), []) == list(range(N_ROWS))


def test_batch_iterator_shuffle_is_new_each_epoch_and_reproducible():
    iterator = BatchIterator(_dataset(), batch_size=4, shuffle=True, seed=3)
    orders = [sum(_epoch(iterator), []) for _ in range(3)]
    for order in orders:
        assert sorted(order) == list(range(N_ROWS))
    assert orders[0] != orders[1] != orders[2]
    assert orders[0] != list(range(N_ROWS))
    again = BatchIterator(_dataset(), batch_size=4, shuffle=True, seed=3)
    assert [sum(_epoch(again), []) for _ in range(3)] == orders
    other = BatchIterator(_dataset(), batch_size=4, shuffle=True, seed=4)
    assert [sum(_epoch(other), []) for _ in range(3)] != orders


def test_batch_iterator_on_a_subset_yields_only_its_rows():
    subset = Subset(_dataset(), [7, 2, 5, 9, 0])
    iterator = BatchIterator(subset, batch_size=2)
    assert len(iterator) == 3
    batches = _epoch(iterator)
    assert batches == [[7, 2], [5, 9], [0]]
    shuffled = BatchIterator(subset, batch_size=2, shuffle=True, seed=0)
    for _ in range(2):
        assert sorted(sum(_epoch(shuffled), [])) == [0, 2, 5, 7, 9]


@pytest.mark.parametrize("subset", [False, True])
def test_batch_iterator_batch_size_minus_one_takes_every_row(subset):
    dataset = _dataset()
    if subset:
        dataset = Subset(dataset, np.array([4, 1, 8]))
    iterator = BatchIterator(dataset, batch_size=-1)
    assert len(iterator) == 1
    expected = [4, 1, 8] if subset else list(range(N_ROWS))
    assert _epoch(iterator) == [expected]


def test_block_dataset_without_target_gives_no_y_and_without_weight_no_weight():
    X, y = next(iter(BatchIterator(_dataset(target=False), batch_size=3)))
    assert y is None
    assert set(X) == {"blocks", "present"}
    _, y = next(iter(BatchIterator(_dataset(weight=False), batch_size=3)))
    assert set(y) == {"target"}
    _, y = next(iter(BatchIterator(_dataset(), batch_size=3)))
    assert set(y) == {"target", "weight"}
    assert y["weight"].dtype == torch.float32


def test_block_dataset_item_is_a_batch_of_one_row():
    dataset = _dataset()
    assert len(dataset) == N_ROWS
    X, y = dataset[6]
    assert _batch_ids((X, y)) == [6]
    assert torch.equal(X["present"], dataset.present[6:7])


# ----------------------------------------------------------------------- the network


def _network(fusion="concat", auxiliary_heads=False, modality_dropout=0.0, n_outputs=3):
    torch.manual_seed(0)
    blocks = [
        ("numbers", MLPEncoder(3, EMBEDDING_DIM, hidden_units=HIDDEN, dropout=0.0)),
        ("text", BagOfTokensEncoder(VOCABULARY, EMBEDDING_DIM, hidden_units=HIDDEN, dropout=0.0)),
    ]
    return MultimodalNetwork(
        blocks,
        fusion,
        n_outputs,
        embedding_dim=EMBEDDING_DIM,
        hidden_units=HIDDEN,
        dropout=0.0,
        modality_dropout=modality_dropout,
        auxiliary_heads=auxiliary_heads,
    )


def _network_input(n_samples=6, seed=0):
    blocks = {
        "numbers": torch.randn(n_samples, 3, generator=_generator(seed)),
        "text": _tokens(n_samples=n_samples, seed=seed),
    }
    present = torch.ones(n_samples, 2, dtype=torch.bool)
    present[1, 0] = False
    present[2, 1] = False
    return blocks, present


def test_network_in_eval_mode_returns_the_predictions():
    network = _network(auxiliary_heads=True).eval()
    blocks, present = _network_input()
    output = network(blocks, present)
    assert isinstance(output, torch.Tensor)
    assert output.shape == (6, 3)


@pytest.mark.parametrize("auxiliary_heads", [False, True])
def test_network_in_training_mode_returns_predictions_auxiliary_and_embeddings(
    auxiliary_heads,
):
    network = _network(auxiliary_heads=auxiliary_heads).train()
    blocks, present = _network_input()
    predictions, auxiliary, embeddings = network(blocks, present)
    assert predictions.shape == (6, 3)
    assert auxiliary.shape == ((6, 2, 3) if auxiliary_heads else (6, 0, 3))
    assert embeddings.shape == (6, 2, EMBEDDING_DIM)
    # The raw encoder outputs, also for the rows where a modality is missing.
    torch.testing.assert_close(embeddings[:, 0], network.encoders["numbers"](blocks["numbers"]))
    torch.testing.assert_close(embeddings[:, 1], network.encoders["text"](blocks["text"]))
    if auxiliary_heads:
        for m in range(2):
            torch.testing.assert_close(
                auxiliary[:, m], network.auxiliary_heads[m](embeddings[:, m])
            )
    # Without any dropout, training and evaluation predict the same.
    with torch.no_grad():
        torch.testing.assert_close(predictions.detach(), network.eval()(blocks, present))


@pytest.mark.parametrize("fusion", FUSIONS)
def test_network_replaces_a_missing_modality_by_its_placeholder(fusion):
    network = _network(fusion).eval()
    blocks, present = _network_input()
    fused_inputs = []
    network.fusion.register_forward_hook(lambda module, args, out: fused_inputs.append(args[0]))
    with torch.no_grad():
        before = network(blocks, present)
        torch.testing.assert_close(fused_inputs[0][1, 0], network.placeholders[0])
        torch.testing.assert_close(fused_inputs[0][2, 1], network.placeholders[1])
        changed = {
            "numbers": blocks["numbers"].clone(),
            "text": blocks["text"].clone(),
        }
        changed["numbers"][1] += 5.0  # row 1 lacks "numbers"
        changed["text"][2] = torch.tensor([5, 6, 7, 8, 9, 10])  # row 2 lacks "text"
        torch.testing.assert_close(network(changed, present), before, rtol=0, atol=0)
        changed["numbers"][0] += 5.0  # row 0 has it
        after = network(changed, present)
    assert not torch.allclose(after[0], before[0])
    torch.testing.assert_close(after[1:], before[1:], rtol=0, atol=0)


def test_modality_dropout_keeps_at_least_one_present_modality_per_row():
    network = _network(modality_dropout=0.5)
    generator = _generator(0)
    present = torch.rand(400, 3, generator=generator) < 0.7
    present[:5] = False  # rows without any modality
    torch.manual_seed(0)
    kept = network._drop_modalities(present)
    assert not torch.any(kept & ~present), "a missing modality came back"
    has_any = present.any(1)
    assert torch.all(kept.any(1) == has_any)
    assert kept.sum() < present.sum(), "nothing was dropped"
    fraction = 1 - kept.sum().item() / present.sum().item()
    assert 0.2 < fraction < 0.5


@pytest.mark.parametrize("probability", [0.0, 1.0])
def test_modality_dropout_of_zero_or_one_keeps_every_present_modality(probability):
    # p = 1 drops every modality of every row, so every row falls back to its present
    # ones: the rule that no row loses all its modalities makes it a no-op.
    network = _network(modality_dropout=probability)
    present = torch.rand(50, 2, generator=_generator(0)) < 0.6
    torch.manual_seed(0)
    assert torch.equal(network._drop_modalities(present), present)


def test_modality_dropout_changes_training_predictions_but_not_evaluation():
    blocks, present = _network_input(n_samples=40)
    network = _network(modality_dropout=0.5)
    reference = _network(modality_dropout=0.0)
    network.eval()
    reference.eval()
    with torch.no_grad():
        torch.testing.assert_close(network(blocks, present), reference(blocks, present))
        network.train()
        reference.train()
        torch.manual_seed(0)
        dropped = network(blocks, present)[0]
        torch.testing.assert_close(reference(blocks, present)[0], network.eval()(blocks, present))
    assert not torch.allclose(dropped, reference.eval()(blocks, present))


@pytest.mark.parametrize("name", ["text.title", "values"])
def test_network_accepts_any_modality_name(name):
    blocks = [(name, MLPEncoder(3, EMBEDDING_DIM, hidden_units=HIDDEN))]
    network = MultimodalNetwork(blocks, "concat", 2, embedding_dim=EMBEDDING_DIM).eval()
    output = network({name: torch.randn(4, 3)}, torch.ones(4, 1, dtype=torch.bool))
    assert output.shape == (4, 2)


# --------------------------------------------------------------------------- losses


def _info_nce(first, second, temperature):
    first, second = F.normalize(first, dim=-1), F.normalize(second, dim=-1)
    logits = first @ second.T / temperature
    targets = torch.arange(len(first))
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2


def _reference_contrastive(embeddings, present, temperature):
    n_modalities = embeddings.shape[1]
    pairs = []
    for a in range(n_modalities):
        for b in range(a + 1, n_modalities):
            both = present[:, a] & present[:, b]
            if both.any():
                pairs.append(_info_nce(embeddings[both, a], embeddings[both, b], temperature))
            else:
                pairs.append(torch.tensor(0.0))
    return sum(pairs) / len(pairs)


@pytest.mark.parametrize("n_modalities", [2, 3])
def test_contrastive_loss_is_info_nce_over_rows_with_both_modalities(n_modalities):
    embeddings = _random_embeddings(n_samples=8, n_modalities=n_modalities)
    present = torch.rand(8, n_modalities, generator=_generator(1)) < 0.7
    present[0] = True
    present[1] = True
    loss = contrastive_loss(embeddings, present, temperature=0.5)
    torch.testing.assert_close(loss, _reference_contrastive(embeddings, present, 0.5))


def test_contrastive_loss_is_lower_for_aligned_embeddings():
    embeddings = _random_embeddings(n_samples=8, n_modalities=2)
    aligned = embeddings.clone()
    aligned[:, 1] = aligned[:, 0]
    present = torch.ones(8, 2, dtype=torch.bool)
    assert contrastive_loss(aligned, present) < contrastive_loss(embeddings, present)


def test_contrastive_loss_ignores_rows_with_a_missing_modality():
    embeddings = _random_embeddings(n_samples=6, n_modalities=2)
    present = torch.ones(6, 2, dtype=torch.bool)
    present[2, 1] = False
    present[4, 0] = False
    loss = contrastive_loss(embeddings, present)
    changed = embeddings.clone()
    changed[2] = torch.randn(2, EMBEDDING_DIM, generator=_generator(7)) * 10
    changed[4] = changed[0]  # would even be a perfect negative for row 0
    torch.testing.assert_close(contrastive_loss(changed, present), loss, rtol=0, atol=0)
    changed[3] = torch.randn(2, EMBEDDING_DIM, generator=_generator(8))
    assert not torch.allclose(contrastive_loss(changed, present), loss)


def test_contrastive_loss_without_any_pair_is_zero_and_finite():
    embeddings = _random_embeddings(n_samples=4, n_modalities=2).requires_grad_()
    present = torch.zeros(4, 2, dtype=torch.bool)
    present[:, 0] = True  # the second modality is never there
    loss = contrastive_loss(embeddings, present)
    assert loss.item() == 0.0
    loss.backward()
    assert torch.isfinite(embeddings.grad).all()
    assert torch.all(embeddings.grad == 0)
    single = contrastive_loss(_random_embeddings(n_modalities=1), torch.ones(5, 1, dtype=bool))
    assert single.item() == 0.0


def test_contrastive_loss_gradient_reaches_only_the_rows_it_uses():
    embeddings = _random_embeddings(n_samples=6, n_modalities=2).requires_grad_()
    present = torch.ones(6, 2, dtype=torch.bool)
    present[3, 1] = False
    contrastive_loss(embeddings, present).backward()
    assert torch.isfinite(embeddings.grad).all()
    used = [0, 1, 2, 4, 5]
    assert torch.all(embeddings.grad[used].abs().sum(-1) > 0)
    assert torch.all(embeddings.grad[3] == 0)


def test_weighted_mean_without_weights_is_the_mean():
    values = torch.tensor([1.0, 2.0, 6.0])
    torch.testing.assert_close(weighted_mean(values, None), torch.tensor(3.0))


def test_weighted_mean_excludes_rows_of_zero_weight():
    values = torch.tensor([1.0, 100.0, 3.0, 4.0])
    weights = torch.tensor([1.0, 0.0, 2.0, 1.0])
    torch.testing.assert_close(weighted_mean(values, weights), torch.tensor((1 + 6 + 4) / 4))
    zero = weighted_mean(values, torch.zeros(4))
    assert zero.item() == 0.0


# ---------------------------------------------------------------------------- FusionNet


def _fusion_net(criterion=None, n_outputs=3, **kwargs):
    torch.manual_seed(0)
    blocks = [
        ("numbers", MLPEncoder(3, EMBEDDING_DIM, hidden_units=HIDDEN)),
        ("more", MLPEncoder(2, EMBEDDING_DIM, hidden_units=HIDDEN)),
    ]
    net = FusionNet(
        MultimodalNetwork,
        criterion=criterion or torch.nn.CrossEntropyLoss(reduction="none"),
        module__blocks=blocks,
        module__fusion="concat",
        module__n_outputs=n_outputs,
        module__embedding_dim=EMBEDDING_DIM,
        module__hidden_units=HIDDEN,
        module__auxiliary_heads=True,
        device="cpu",
        **kwargs,
    )
    return net.initialize()


def _loss_inputs(n_samples=7, n_outputs=3, seed=0):
    generator = _generator(seed)
    predictions = torch.randn(n_samples, n_outputs, generator=generator)
    auxiliary = torch.randn(n_samples, 2, n_outputs, generator=generator)
    embeddings = torch.randn(n_samples, 2, EMBEDDING_DIM, generator=generator)
    target = torch.randint(0, n_outputs, (n_samples,), generator=generator)
    weight = torch.rand(n_samples, generator=generator) + 0.1
    present = torch.ones(n_samples, 2, dtype=torch.bool)
    present[1, 0] = present[4, 1] = present[5, 1] = False
    return (predictions, auxiliary, embeddings), target, weight, {"present": present}


def _weighted(values, weights):
    return (values * weights).sum() / weights.sum()


def test_fusion_net_loss_is_the_weighted_task_loss_by_default():
    net = _fusion_net()
    y_pred, target, weight, X = _loss_inputs()
    expected = _weighted(F.cross_entropy(y_pred[0], target, reduction="none"), weight)
    loss = net.get_loss(y_pred, {"target": target, "weight": weight}, X=X, training=True)
    torch.testing.assert_close(loss, expected)
    # Evaluation-mode predictions (a tensor) give the same task loss.
    loss = net.get_loss(y_pred[0], {"target": target, "weight": weight}, X=X)
    torch.testing.assert_close(loss, expected)
    unweighted = net.get_loss(y_pred, {"target": target}, X=X, training=True)
    torch.testing.assert_close(unweighted, F.cross_entropy(y_pred[0], target))


def test_fusion_net_auxiliary_loss_averages_present_row_losses_over_modalities():
    net = _fusion_net()
    y_pred, target, weight, X = _loss_inputs()
    y_true = {"target": target, "weight": weight}
    base = net.get_loss(y_pred, y_true, X=X, training=True)
    net.set_params(auxiliary_weight=0.7)
    present = X["present"].float()
    per_modality = [
        _weighted(
            F.cross_entropy(y_pred[1][:, m], target, reduction="none"), weight * present[:, m]
        )
        for m in range(2)
    ]
    expected = base + 0.7 * (per_modality[0] + per_modality[1]) / 2
    torch.testing.assert_close(net.get_loss(y_pred, y_true, X=X, training=True), expected)
    # Evaluation-mode predictions carry no auxiliary predictions.
    torch.testing.assert_close(net.get_loss(y_pred[0], y_true, X=X), base)


def test_fusion_net_contrastive_term_is_added_with_its_weight_and_temperature():
    net = _fusion_net(contrastive_weight=0.3, contrastive_temperature=0.5)
    y_pred, target, weight, X = _loss_inputs()
    y_true = {"target": target, "weight": weight}
    base = _weighted(F.cross_entropy(y_pred[0], target, reduction="none"), weight)
    expected = base + 0.3 * _reference_contrastive(y_pred[2], X["present"], 0.5)
    torch.testing.assert_close(net.get_loss(y_pred, y_true, X=X, training=True), expected)
    net.set_params(auxiliary_weight=1.5)
    both = net.get_loss(y_pred, y_true, X=X, training=True)
    net.set_params(contrastive_weight=0.0)
    auxiliary_only = net.get_loss(y_pred, y_true, X=X, training=True)
    torch.testing.assert_close(both - auxiliary_only, expected - base)


def test_fusion_net_regression_loss_averages_the_outputs_of_each_row():
    net = _fusion_net(criterion=torch.nn.MSELoss(reduction="none"), n_outputs=2)
    generator = _generator(0)
    predictions = torch.randn(5, 2, generator=generator)
    target = torch.randn(5, 2, generator=generator)
    weight = torch.tensor([1.0, 0.0, 2.0, 1.0, 1.0])
    X = {"present": torch.ones(5, 2, dtype=torch.bool)}
    loss = net.get_loss(predictions, {"target": target, "weight": weight}, X=X)
    expected = _weighted(((predictions - target) ** 2).mean(1), weight)
    torch.testing.assert_close(loss, expected)


def test_fusion_net_train_step_gets_all_losses_through_the_network():
    net = _fusion_net(auxiliary_weight=0.5, contrastive_weight=0.5)
    dataset = BlockDataset(
        {"numbers": np.random.default_rng(0).normal(size=(9, 3)), "more": np.ones((9, 2))},
        np.ones((9, 2), dtype=bool),
        target=np.arange(9) % 3,
    )
    batch = next(iter(BatchIterator(dataset, batch_size=9)))
    step = net.train_step(batch)
    assert torch.isfinite(step["loss"])
    predictions, auxiliary, embeddings = step["y_pred"]
    assert auxiliary.shape == (9, 2, 3)
    assert embeddings.shape == (9, 2, EMBEDDING_DIM)


def test_fusion_net_get_loss_works_without_x_for_evaluation_predictions():
    net = _fusion_net()
    y_pred, target, _, _ = _loss_inputs()
    loss = net.get_loss(y_pred[0], {"target": target})
    torch.testing.assert_close(loss, F.cross_entropy(y_pred[0], target))


# --------------------------------------------------------------------- training history

SMALL = {
    "embedding_dim": EMBEDDING_DIM,
    "hidden_units": HIDDEN,
    "batch_size": 16,
    "random_state": 0,
    "device": "cpu",
}


@pytest.fixture(scope="module")
def small_data():
    return make_multimodal_classification(n_samples=60, random_state=0)


def _check_best_flags(history, key):
    losses = history[:, key]
    flags = history[:, key + "_best"]
    for epoch, (loss, flag) in enumerate(zip(losses, flags)):
        assert flag == (epoch == 0 or loss < min(losses[:epoch])), (key, epoch)


def test_fusion_net_best_flags_mark_strict_new_minima():
    net = _fusion_net()
    for loss in [3.0, 2.0, 2.5, 1.0, 1.0, 0.5]:
        net.history.new_epoch()
        net._record_epoch_loss("valid_loss", loss)
    assert net.history[:, "valid_loss"] == [3.0, 2.0, 2.5, 1.0, 1.0, 0.5]
    assert net.history[:, "valid_loss_best"] == [True, True, False, True, False, True]


def test_fusion_net_history_records_epoch_losses_and_batch_sizes(small_data):
    X, y = small_data
    model = NeuralFusionClassifier(max_epochs=3, train_split=0.25, **SMALL).fit(X, y)
    history = model.net_.history
    assert len(history) == 3
    for key in ("train_loss", "valid_loss"):
        losses = history[:, key]
        assert len(losses) == 3
        assert np.all(np.isfinite(losses))
        _check_best_flags(history, key)
    train_sizes = history[:, "batches", :, "train_batch_size"]
    valid_sizes = history[:, "batches", :, "valid_batch_size"]
    n_valid = 15  # a quarter of the 60 rows
    for sizes in train_sizes:
        assert sum(sizes) == 60 - n_valid
        assert all(size == 16 for size in sizes[:-1])
    for sizes in valid_sizes:
        assert sum(sizes) == n_valid


def test_fusion_net_valid_loss_is_the_row_average_of_the_final_network(small_data):
    X, y = small_data
    captured = {}

    def split(dataset, y=None):
        captured["dataset"] = dataset
        return Subset(dataset, np.arange(40)), Subset(dataset, np.arange(40, 60))

    model = NeuralFusionClassifier(max_epochs=2, train_split=split, **{**SMALL, "batch_size": 8})
    model.fit(X, y)
    net = model.net_
    total = 0.0
    with torch.no_grad():
        for batch_X, batch_y in BatchIterator(Subset(captured["dataset"], range(40, 60)), 8):
            loss = net.get_loss(net.module_(**batch_X), batch_y, X=batch_X)
            total += loss.item() * len(batch_X["present"])
    np.testing.assert_allclose(net.history[-1, "valid_loss"], total / 20, rtol=1e-5)
    assert net.history[-1, "batches", :, "valid_batch_size"] == [8, 8, 4]
    assert net.history[-1, "batches", :, "train_batch_size"] == [8] * 5


def test_neural_fusion_accepts_a_dense_modality_of_integers(small_data):
    X, y = small_data
    modalities = [
        ("codes", OrdinalEncoder(dtype=np.int64), ["cat_0", "cat_1"]),
        ("numbers", "auto", ["num_0", "num_1"]),
    ]
    model = NeuralFusionClassifier(modalities, max_epochs=1, **SMALL).fit(X, y)
    assert model.predict(X).shape == (60,)
