"""Early fusion: ModalityUnion, EarlyFusionClassifier and EarlyFusionRegressor."""

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, r2_score
from sklearn.neighbors import KNeighborsClassifier

from mmsk import (
    EarlyFusionClassifier,
    EarlyFusionRegressor,
    ModalityUnion,
    TabularEncoder,
    TextVectorizer,
)
from mmsk.fusion import _early


def test_union_keeps_text_sparse_and_names_features(classification_data):
    X, _ = classification_data
    union = ModalityUnion()
    features = union.fit_transform(X)
    assert sparse.issparse(features)
    names = union.get_feature_names_out()
    assert len(names) == features.shape[1]
    assert names[0].startswith("tabular__")
    assert any(name.startswith("text__text_0__") for name in names)


def test_union_is_dense_and_pandas_ready_without_text():
    X = pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0], "b": ["x", "y", "x", "y"]})
    union = ModalityUnion(modality_weights=None).set_output(transform="pandas")
    out = union.fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(union.get_feature_names_out())
    assert "tabular__a_missing" in out.columns


def test_balanced_weights_give_each_block_unit_rms_row_norm(classification_data):
    X, _ = classification_data
    union = ModalityUnion(presence_indicators=False).fit(X)
    features = union.transform(X)
    widths = [len(t.get_feature_names_out()) for _, t, _ in union.transformers_]
    start = 0
    for width in widths:
        block = features[:, start : start + width]
        start += width
        mean_squared_norm = block.multiply(block).sum() / block.shape[0]
        assert mean_squared_norm == pytest.approx(1.0)


def test_explicit_modality_weights_scale_blocks(classification_data):
    X, _ = classification_data
    plain = ModalityUnion(modality_weights=None, presence_indicators=False).fit_transform(X)
    doubled = ModalityUnion(
        modality_weights={"text": 2.0}, presence_indicators=False
    ).fit_transform(X)
    union = ModalityUnion().fit(X)
    n_tabular = len(union.named_transformers_["tabular"].get_feature_names_out())
    np.testing.assert_allclose(doubled[:, :n_tabular].toarray(), plain[:, :n_tabular].toarray())
    np.testing.assert_allclose(
        doubled[:, n_tabular:].toarray(), 2.0 * plain[:, n_tabular:].toarray()
    )
    with pytest.raises(
        ValueError,
        match=r"'modality_weights' parameter of ModalityUnion names modalities \['audio'\]",
    ):
        ModalityUnion(modality_weights={"audio": 1.0}).fit(X)


def test_presence_indicator_only_for_modalities_missing_at_fit(classification_data, missing_data):
    X_full, _ = classification_data
    assert ModalityUnion().fit(X_full).presence_indicators_ == []
    X_missing, _ = missing_data
    union = ModalityUnion().fit(X_missing)
    assert union.presence_indicators_ == ["tabular", "text"]
    features = union.transform(X_missing).toarray()
    text_present = X_missing["text_0"].notna().to_numpy()
    np.testing.assert_array_equal(features[:, -1], text_present.astype(float))


def _reference_stack(union, X, *, fitting):
    """The union's output rebuilt from its fitted parts with plain hstack.

    TF-IDF's ``fit_transform`` and ``transform`` differ in the last bit, so the
    reference of ``fit_transform`` refits a clone of each transformer.
    """
    blocks = []
    for name, transformer, columns in union.transformers_:
        part = X[columns]
        if isinstance(transformer, str):
            block = part.to_numpy(dtype=float)
        else:
            block = (
                clone(transformer).fit_transform(part) if fitting else transformer.transform(part)
            )
        blocks.append(block * union.modality_weights_[name])
    for name in union.presence_indicators_:
        present = X[union.modality_columns_[name]].notna().any(axis=1)
        blocks.append(present.to_numpy(dtype=float).reshape(-1, 1))
    if any(sparse.issparse(block) for block in blocks):
        return sparse.hstack(blocks).tocsr()
    return np.hstack(blocks)


@pytest.mark.parametrize("fitting", [True, False], ids=["fit_transform", "transform"])
@pytest.mark.parametrize("with_text", [True, False], ids=["dense-and-sparse", "all-dense"])
def test_stack_equals_hstack_of_weighted_blocks(missing_data, monkeypatch, with_text, fitting):
    monkeypatch.setattr(_early, "_ROWS_PER_STEP", 7)
    X, _ = missing_data
    modalities = [("tabular", TabularEncoder(), ["num_0", "num_1", "cat_0", "cat_1"])]
    if with_text:
        modalities.append(("text", TextVectorizer(), ["text_0"]))
    modalities.append(("extra", "passthrough", ["num_2", "num_3"]))
    weights = {"tabular": 0.5, "text": 2.0, "extra": 3.0} if with_text else {"extra": 3.0}
    union = ModalityUnion(modalities, modality_weights=weights)
    stacked = union.fit_transform(X) if fitting else union.fit(X).transform(X)
    assert union.presence_indicators_
    expected = _reference_stack(union, X, fitting=fitting)
    assert stacked.dtype == np.float64
    assert sparse.issparse(stacked) == with_text
    if not with_text:
        np.testing.assert_array_equal(stacked, expected)
        return
    assert stacked.format == "csr" and stacked.has_canonical_format
    assert stacked.shape == expected.shape
    np.testing.assert_array_equal(stacked.indptr, expected.indptr)
    np.testing.assert_array_equal(stacked.indices, expected.indices)
    np.testing.assert_array_equal(stacked.data, expected.data)


def _odd_blocks(n_rows):
    rng = np.random.default_rng(0)
    dense = rng.standard_normal((n_rows, 5))
    dense[rng.random(dense.shape) < 0.5] = 0.0
    dense[0, :2] = [np.nan, -0.0]
    unsorted = sparse.random(n_rows, 6, density=0.4, format="csr", random_state=1)
    for row in range(n_rows):
        entries = slice(unsorted.indptr[row], unsorted.indptr[row + 1])
        unsorted.indices[entries] = unsorted.indices[entries][::-1].copy()
        unsorted.data[entries] = unsorted.data[entries][::-1].copy()
    unsorted.has_sorted_indices = False
    unsorted.data[:2] = 0.0
    duplicates = sparse.coo_matrix((np.ones(4), ([0, 0, 1, 2], [1, 1, 3, 0])), shape=(n_rows, 4))
    csc = sparse.random(n_rows, 3, density=0.5, format="csc", random_state=2, dtype=np.float32)
    indicator = (rng.random((n_rows, 1)) < 0.7).astype(np.float64)
    return [dense, unsorted, duplicates, dense.astype(np.float32), csc, indicator]


@pytest.mark.parametrize("rows_per_step", [1 << 16, 4])
@pytest.mark.parametrize("as_array", [False, True], ids=["spmatrix", "sparray"])
def test_stack_csr_matches_scipy_for_any_block_format(monkeypatch, rows_per_step, as_array):
    monkeypatch.setattr(_early, "_ROWS_PER_STEP", rows_per_step)
    blocks = _odd_blocks(11)
    if as_array:
        blocks[1] = sparse.csr_array(blocks[1])
    expected = sparse.hstack([block.copy() for block in blocks]).tocsr()
    stacked = _early._stack_csr(blocks)
    assert blocks == []
    assert type(stacked) is type(expected)
    assert stacked.dtype == np.float64 and stacked.has_canonical_format
    assert stacked.shape == expected.shape
    np.testing.assert_array_equal(stacked.indptr, expected.indptr)
    np.testing.assert_array_equal(stacked.indices, expected.indices)
    np.testing.assert_array_equal(stacked.data, expected.data)


def test_stack_csr_keeps_rows_of_an_empty_table():
    stacked = _early._stack_csr([np.zeros((0, 3)), sparse.csr_matrix((0, 2))])
    assert stacked.shape == (0, 5) and stacked.nnz == 0


def test_classifier_learns_and_decodes_string_labels(multiclass_data):
    X, y = multiclass_data
    model = EarlyFusionClassifier().fit(X, y)
    assert list(model.classes_) == ["negative", "neutral", "positive"]
    assert set(model.predict(X)) <= set(model.classes_)
    assert accuracy_score(y, model.predict(X)) > 0.8
    proba = model.predict_proba(X)
    assert proba.shape == (len(y), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.decision_function(X).shape == (len(y), 3)


def test_classifier_accepts_another_estimator(classification_data):
    X, y = classification_data
    model = EarlyFusionClassifier(
        estimator=RandomForestClassifier(n_estimators=20, random_state=0)
    )
    model.fit(X, y)
    assert isinstance(model.estimator_, RandomForestClassifier)
    assert not hasattr(
        EarlyFusionClassifier(estimator=KNeighborsClassifier()), "decision_function"
    )


def test_regressor_fits_signal(regression_data):
    X, y = regression_data
    model = EarlyFusionRegressor().fit(X, y)
    assert r2_score(y, model.predict(X)) > 0.5


def test_sample_weight_is_honoured(classification_data):
    X, y = classification_data
    weights = np.where(np.arange(len(y)) % 2 == 0, 1.0, 0.2)
    model = EarlyFusionClassifier().fit(X, y, sample_weight=weights)
    features = ModalityUnion().fit_transform(X)
    expected = LogisticRegression(C=3.0, max_iter=1000).fit(features, y, sample_weight=weights)
    np.testing.assert_allclose(model.estimator_.coef_, expected.coef_, rtol=1e-4, atol=1e-6)
    unweighted = EarlyFusionClassifier().fit(X, y)
    assert not np.allclose(model.estimator_.coef_, unweighted.estimator_.coef_)


def test_sample_weight_refused_clearly_when_estimator_cannot_take_it(classification_data):
    X, y = classification_data
    model = EarlyFusionClassifier(estimator=KNeighborsClassifier())
    with pytest.raises(TypeError, match=r"KNeighborsClassifier\) does not accept sample_weight"):
        model.fit(X, y, sample_weight=np.ones(len(y)))


def test_class_weight_balanced_raises_minority_recall():
    from mmsk.datasets import make_multimodal_classification

    X, y = make_multimodal_classification(n_samples=400, signal=0.3, random_state=3)
    keep = (y == 0) | (np.arange(len(y)) % 6 == 0)
    X, y = X[keep].reset_index(drop=True), y[keep]
    plain = EarlyFusionClassifier().fit(X, y).predict(X)
    balanced = EarlyFusionClassifier(class_weight="balanced").fit(X, y).predict(X)
    assert (balanced[y == 1] == 1).mean() > (plain[y == 1] == 1).mean()


def test_class_weight_dict_keyed_by_labels(multiclass_data):
    X, y = multiclass_data
    EarlyFusionClassifier(class_weight={"negative": 2.0}).fit(X, y)
    with pytest.raises(ValueError, match=r"class_weight has keys \['unknown'\]"):
        EarlyFusionClassifier(class_weight={"unknown": 2.0}).fit(X, y)


def test_missing_modality_rows_are_predicted(missing_data):
    X, y = missing_data
    model = EarlyFusionClassifier().fit(X, y)
    X_gone = X.copy()
    X_gone.loc[:, ["text_0"]] = np.nan
    proba = model.predict_proba(X_gone)
    assert np.isfinite(proba).all()
    X_nothing = pd.DataFrame(None, index=X.index, columns=X.columns, dtype=object)
    assert np.isfinite(model.predict_proba(X_nothing)).all()


def test_plain_numeric_arrays_work():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 4))
    y = (X[:, 0] > 0).astype(int)
    model = EarlyFusionClassifier(estimator=LogisticRegression()).fit(X, y)
    assert list(model.modality_columns_) == ["tabular"]
    assert accuracy_score(y, model.predict(X)) > 0.9


def test_memory_reuses_modality_transforms(classification_data, tmp_path):
    X, y = classification_data
    first = EarlyFusionClassifier(memory=tmp_path).fit(X, y)
    n_entries = len(list(tmp_path.glob("*.pkl")))
    assert n_entries == 2
    second = EarlyFusionClassifier(memory=str(tmp_path), modality_weights=None).fit(X, y)
    assert len(list(tmp_path.glob("*.pkl"))) == n_entries
    plain = EarlyFusionClassifier(modality_weights=None).fit(X, y)
    np.testing.assert_allclose(second.predict_proba(X), plain.predict_proba(X))
    assert first.modality_weights_ != second.modality_weights_
