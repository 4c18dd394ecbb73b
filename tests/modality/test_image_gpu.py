"""ImageEmbedder and the pixel CNN on a CUDA GPU; every test skips on a machine without one."""

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from mmsk import ImageEmbedder  # noqa: E402
from mmsk.modality._image import cnn_available  # noqa: E402

pytestmark = [
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
    pytest.mark.skipif(not cnn_available(), reason='needs the "image" extra'),
]


def _photos(n=6):
    rng = np.random.default_rng(0)
    cells = [rng.integers(0, 256, (40, 40, 3), dtype=np.uint8) for _ in range(n)]
    return pd.DataFrame({"photo": pd.Series(cells, dtype=object)})


def test_cnn_features_on_the_gpu_match_the_cpu():
    X = _photos()
    on_gpu = ImageEmbedder(backend="cnn", device="auto", image_size=64, cache=False).fit(X)
    assert on_gpu.device_ == "cuda"
    on_cpu = ImageEmbedder(backend="cnn", device="cpu", image_size=64, cache=False)
    np.testing.assert_allclose(on_gpu.transform(X), on_cpu.fit_transform(X), rtol=1e-2, atol=1e-2)


def test_neural_fusion_trains_the_pixel_cnn_on_the_gpu():
    pytest.importorskip("skorch")
    from mmsk import ImageArrays, KindSelector, NeuralFusionClassifier

    X = _photos(40)
    X["size"] = np.arange(40.0)
    y = np.tile([0, 1], 20)
    spec = [
        ("image", ImageArrays(image_size=16), KindSelector("image")),
        ("tabular", "auto", ["size"]),
    ]
    model = NeuralFusionClassifier(
        modalities=spec, max_epochs=3, device="cuda", random_state=0
    ).fit(X, y)
    assert model.device_.type == "cuda"
    assert model.predict_proba(X).shape == (40, 2)
