"""Neural fusion on a CUDA GPU; every test skips on a machine without one."""

import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from sklearn.metrics import accuracy_score  # noqa: E402

from mmsk import KindSelector, TabularEncoder, TextTokenizer  # noqa: E402
from mmsk.fusion import NeuralFusionClassifier, NeuralFusionRegressor  # noqa: E402

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

FAST = {"embedding_dim": 16, "hidden_units": 32, "lr": 0.01, "random_state": 0}


@pytest.mark.parametrize("fusion", ["concat", "gated", "attention", "tensor", "lowrank"])
def test_trains_and_predicts_on_the_gpu(fusion, multiclass_data):
    X, y = multiclass_data
    model = NeuralFusionClassifier(fusion=fusion, max_epochs=30, device="auto", **FAST)
    model.fit(X, y)
    assert model.device_.type == "cuda"
    assert all(p.device.type == "cuda" for p in model.module_.parameters())
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert accuracy_score(y, model.predict(X)) > 0.8


def test_token_encoders_losses_and_validation_on_the_gpu(classification_data):
    X, y = classification_data
    spec = [
        ("tabular", TabularEncoder(), KindSelector("numeric", "categorical")),
        ("text", TextTokenizer(min_frequency=1), KindSelector("text")),
    ]
    model = NeuralFusionClassifier(
        spec,
        encoders={"text": "transformer"},
        auxiliary_weight=0.5,
        contrastive_weight=0.5,
        modality_dropout=0.2,
        train_split=0.2,
        max_epochs=5,
        device="cuda",
        **FAST,
    ).fit(X, y)
    assert np.isfinite(model.history_[:, "valid_loss"]).all()
    assert model.predict(X).shape == (len(y),)


def test_regressor_on_the_gpu(regression_data):
    X, y = regression_data
    model = NeuralFusionRegressor(max_epochs=20, device="cuda", **FAST).fit(X, y)
    assert np.isfinite(model.predict(X)).all()


def test_a_gpu_trained_model_predicts_on_a_cpu_only_machine(classification_data, tmp_path):
    X, y = classification_data
    model = NeuralFusionClassifier(max_epochs=3, device="cuda", **FAST).fit(X, y)
    expected = model.predict_proba(X)
    model_path, data_path, out_path = (
        tmp_path / "model.pkl",
        tmp_path / "X.pkl",
        tmp_path / "proba.npy",
    )
    model_path.write_bytes(pickle.dumps(model))
    data_path.write_bytes(pickle.dumps(X))
    script = textwrap.dedent(
        f"""
        import pickle, numpy as np, torch
        assert not torch.cuda.is_available()
        model = pickle.loads(open({str(model_path)!r}, "rb").read())
        X = pickle.loads(open({str(data_path)!r}, "rb").read())
        assert str(model.net_.device) == "cpu"
        np.save({str(out_path)!r}, model.predict_proba(X))
        """
    )
    environment = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=environment
    )
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(np.load(out_path), expected, atol=1e-4)
