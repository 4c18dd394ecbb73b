"""Transformers that turn the columns of one modality into a numeric feature block."""

from ._embedding import SentenceEmbedder
from ._image import ImageArrays, ImageEmbedder
from ._tabular import TabularEncoder
from ._text import TextVectorizer
from ._tokens import TextTokenizer

__all__ = [
    "ImageArrays",
    "ImageEmbedder",
    "SentenceEmbedder",
    "TabularEncoder",
    "TextTokenizer",
    "TextVectorizer",
]
