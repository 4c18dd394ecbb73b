"""Property-based tests: random mixed-type tables either fit and predict well-formed
output, or raise one of mmsk's documented errors; and concurrent predictions agree."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from mmsk import EarlyFusionClassifier, LateFusionClassifier
from mmsk.datasets import make_multimodal_classification

WORDS = ["good", "bad", "fit", "size", "🎉", "ünï", "", "  ", "long " * 20]
CELLS = {
    "numeric": st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=32), st.none()),
    "category": st.one_of(st.sampled_from(["a", "b", "c", "ß", ""]), st.none()),
    "text": st.one_of(
        st.lists(st.sampled_from(WORDS), min_size=0, max_size=8).map(" ".join),
        st.none(),
        st.text(max_size=12),
    ),
}


@st.composite
def mixed_tables(draw):
    n_rows = draw(st.integers(min_value=6, max_value=30))
    kinds = draw(st.lists(st.sampled_from(sorted(CELLS)), min_size=1, max_size=4))
    columns = {
        f"{kind}_{i}": draw(st.lists(CELLS[kind], min_size=n_rows, max_size=n_rows))
        for i, kind in enumerate(kinds)
    }
    labels = draw(
        st.lists(st.sampled_from(["yes", "no", "maybe"]), min_size=n_rows, max_size=n_rows)
    )
    return pd.DataFrame(columns), np.array(labels, dtype=object)


MODELS = [
    EarlyFusionClassifier(estimator=LogisticRegression(max_iter=200)),
    LateFusionClassifier(estimators={"tabular": LogisticRegression(max_iter=200)}, fusion="mean"),
]


@pytest.mark.parametrize("model", MODELS, ids=repr)
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(table=mixed_tables())
def test_random_tables_fit_and_predict_or_fail_clearly(model, table):
    X, y = table
    try:
        fitted = model.fit(X, y)
    except (ValueError, TypeError) as error:
        message = str(error)
        assert any(
            hint in message
            for hint in ("modality", "Modality", "class", "column", "No column", "TextVectorizer")
        ), message
        return
    probabilities = fitted.predict_proba(X)
    assert probabilities.shape == (len(X), len(fitted.classes_))
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert set(fitted.predict(X)) <= set(np.unique(y))


@pytest.mark.parametrize(
    "model",
    [EarlyFusionClassifier(), LateFusionClassifier(fusion="stacking", cv=3, random_state=0)],
    ids=repr,
)
def test_concurrent_predictions_match_a_single_thread(model):
    X, y = make_multimodal_classification(n_samples=300, missing_rate=0.2, random_state=0)
    fitted = model.fit(X, y)
    expected = fitted.predict_proba(X)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: fitted.predict_proba(X), range(16)))
    for result in results:
        np.testing.assert_array_equal(result, expected)
