"""Shared fixtures: small multimodal tables that every test can fit in well under a second."""

import pytest

from mmsk.datasets import make_multimodal_classification, make_multimodal_regression


@pytest.fixture(scope="session")
def classification_data():
    """200 rows: 4 numeric, 2 categorical and 1 text column, two classes."""
    return make_multimodal_classification(n_samples=200, random_state=0)


@pytest.fixture(scope="session")
def multiclass_data():
    """240 rows, three string classes, 20% of rows missing one modality."""
    X, y = make_multimodal_classification(
        n_samples=240, n_classes=3, missing_rate=0.2, random_state=1
    )
    labels = {0: "negative", 1: "neutral", 2: "positive"}
    return X, [labels[value] for value in y]


@pytest.fixture(scope="session")
def regression_data():
    """200 rows with a continuous target."""
    return make_multimodal_regression(n_samples=200, random_state=0)


@pytest.fixture(scope="session")
def missing_data():
    """300 rows where 25% of rows lack the tabular and 25% lack the text modality."""
    return make_multimodal_classification(n_samples=300, missing_rate=0.25, random_state=2)


@pytest.fixture(scope="session")
def image_classification():
    """120 rows with a column of 16x16 images (20% of rows missing a modality)."""
    return make_multimodal_classification(
        n_samples=120, image=True, image_size=16, missing_rate=0.2, random_state=0
    )
