"""Datasets: bundled real tables and generators of synthetic multimodal tables."""

from ._clothing import load_clothing_reviews
from ._posters import get_data_folder, load_poster_listings
from ._synthetic import make_multimodal_classification, make_multimodal_regression

__all__ = [
    "get_data_folder",
    "load_clothing_reviews",
    "load_poster_listings",
    "make_multimodal_classification",
    "make_multimodal_regression",
]
