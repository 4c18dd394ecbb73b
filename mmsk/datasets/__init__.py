"""Datasets: a bundled real table and generators of synthetic multimodal tables."""

from ._clothing import load_clothing_reviews
from ._synthetic import make_multimodal_classification, make_multimodal_regression

__all__ = [
    "load_clothing_reviews",
    "make_multimodal_classification",
    "make_multimodal_regression",
]
