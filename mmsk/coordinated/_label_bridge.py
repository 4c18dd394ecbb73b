"""Zero-shot image-to-text matching through the names of the ImageNet classes.

The pretrained CNN of the image modality already says, for every image, how likely
each of the 1,000 ImageNet classes is; a sentence-transformers model places text in a
space where related sentences lie close. The label bridge joins the two without any
paired training data: an image's coordinates are the mean of the sentence embeddings
of its likely classes' names, weighted by their probabilities,

    z(image) = sum_c p(c | image) * e(template.format(name=name_c)),

over the ``label_top_k`` most likely classes (renormalised to sum to one), and a
text's coordinates are its own sentence embedding. Both live in the sentence space
and are compared by cosine similarity.

The image block is the CNN's pooled features (:class:`ImageEmbedder` with the CNN
backend), which the network's own classifier turns into class probabilities; the
text block is the output of a :class:`SentenceEmbedder`, whose model also embeds the
class names. The classifier's weights and the class names' embeddings are computed
once per process, the names only for the classes that some image ranks among its
most likely.
"""

import dataclasses
import threading
from importlib.util import find_spec

import numpy as np
import pandas as pd

from ..modality import ImageEmbedder, SentenceEmbedder
from ..modality._image import cnn_available, imagenet_class_names
from ..modality._image_cnn import CNN_FEATURES, load_network

_METHOD = "method='label_bridge'"
_LOCK = threading.Lock()
#: The CNN's classifier, ``(weights of shape (1000, 1280), bias of shape (1000,))``.
_CLASSIFIER = []
#: ``(model, template)`` -> {class index: unit-norm sentence embedding of its prompt}.
_NAME_EMBEDDINGS = {}
#: ``str(model)`` -> a fitted SentenceEmbedder that encodes the prompts.
_PROMPT_ENCODERS = {}


class LabelBridgeSpace:
    """The sentence space, reached from images through their ImageNet class names.

    Parameters
    ----------
    image, text : str
        Names of the image and the text modality.
    model : str or path-like
        The sentence-transformers model of the text modality, which also embeds the
        class names.
    template : str
        The prompt each class name is put into, with a ``{name}`` placeholder.
    top_k : int or None
        How many of each image's most likely classes are mixed; None mixes all 1,000.
    n_components : int
        Width of the sentence embeddings.
    device : str
        Device of the sentence-transformers model when it embeds class names.

    Attributes
    ----------
    correlations : None
        The label bridge learns no directions from paired rows.
    """

    def __init__(self, image, text, model, template, top_k, n_components, device):
        self.image = image
        self.text = text
        self.model = model
        self.template = template
        self.top_k = top_k
        self.n_components = n_components
        self.device = device
        self.correlations = None

    def project(self, name, block):
        """Sentence-space coordinates of the rows of ``block`` (modality ``name``).

        Parameters
        ----------
        name : str
            The image or the text modality.
        block : ndarray of shape (n_rows, n_columns * width)
            The modality's transformed block: pooled CNN features (``width`` 1,280)
            or sentence embeddings, one chunk per column of the modality.

        Returns
        -------
        coordinates : ndarray of shape (n_rows, n_components)
            The sum over the modality's columns; zeros for a row where every column
            is missing.
        """
        block = np.asarray(block, dtype=np.float64)
        if name == self.image:
            chunks = _column_chunks(block, CNN_FEATURES, name)
            return sum(self.image_coordinates(chunk) for chunk in chunks)
        return sum(_column_chunks(block, self.n_components, name))

    def class_probabilities(self, features):
        """ImageNet class probabilities of pooled CNN features; zeros for zero rows.

        Parameters
        ----------
        features : ndarray of shape (n_rows, 1280)
            Pooled features of one image column; a row of zeros is a missing image.

        Returns
        -------
        probabilities : ndarray of shape (n_rows, 1000)
        """
        weights, bias = _classifier()
        present = np.any(features != 0.0, axis=1)
        probabilities = np.zeros((features.shape[0], weights.shape[0]))
        if present.any():
            logits = features[present] @ weights.T + bias
            logits -= logits.max(axis=1, keepdims=True)
            exponentials = np.exp(logits)
            probabilities[present] = exponentials / exponentials.sum(axis=1, keepdims=True)
        return probabilities

    def image_coordinates(self, features):
        """Probability-weighted mean of the class-name embeddings of each image.

        Parameters
        ----------
        features : ndarray of shape (n_rows, 1280)
            Pooled features of one image column.

        Returns
        -------
        coordinates : ndarray of shape (n_rows, n_components)
            Zeros for the rows of missing images.
        """
        probabilities = self.class_probabilities(features)
        n_classes = probabilities.shape[1]
        top_k = n_classes if self.top_k is None else min(int(self.top_k), n_classes)
        if top_k < n_classes:
            dropped = np.argpartition(-probabilities, top_k - 1, axis=1)[:, top_k:]
            np.put_along_axis(probabilities, dropped, 0.0, axis=1)
        totals = probabilities.sum(axis=1, keepdims=True)
        np.divide(probabilities, totals, out=probabilities, where=totals > 0)
        classes = np.flatnonzero(probabilities.any(axis=0))
        coordinates = np.zeros((features.shape[0], self.n_components))
        if classes.size:
            names = _name_embeddings(self.model, self.template, classes, self.device)
            coordinates = probabilities[:, classes] @ names
        return coordinates


def prepare_label_bridge(retriever, modalities):
    """Check the two modalities and give the text one a :class:`SentenceEmbedder`.

    Parameters
    ----------
    retriever : CrossModalRetriever
        The retriever being fitted.
    modalities : list of Modality
        Its query and target modalities, with unfitted transformers.

    Returns
    -------
    modalities : list of Modality
        The same modalities; a text modality whose transformer was left to
        ``"auto"`` (or the whole spec to ``modalities="auto"``) now has a
        ``SentenceEmbedder()``.
    """
    image, text = _image_and_text(modalities)
    missing = [
        extra
        for extra, available in (
            ("image", cnn_available()),
            ("text", find_spec("sentence_transformers") is not None),
        )
        if not available
    ]
    if missing:
        extras = ",".join(missing)
        raise ImportError(
            f"CrossModalRetriever({_METHOD}) needs the pretrained CNN of the 'image' extra "
            "and the sentence-transformers model of the 'text' extra; missing: "
            f"{', '.join(repr(extra) for extra in missing)}. Install it with: "
            f'pip install "mmsk[{extras}]"'
        )
    _check_template(retriever.label_template)
    _check_image_transformer(image)
    if not isinstance(text.transformer, SentenceEmbedder):
        if not _left_to_auto(retriever, text.name):
            raise ValueError(
                f"CrossModalRetriever({_METHOD}) compares images with texts in the space "
                "of sentence embeddings, so the transformer of the text modality "
                f"{text.name!r} must be a SentenceEmbedder (or 'auto', which means "
                f"SentenceEmbedder() for this method); got {text.transformer!r}."
            )
        text = dataclasses.replace(text, transformer=SentenceEmbedder())
    return [text if modality.name == text.name else modality for modality in modalities]


def fit_label_bridge(retriever, blocks):
    """The label-bridge space; fitting learns nothing from ``blocks``.

    Parameters
    ----------
    retriever : CrossModalRetriever
        The retriever, fitted up to ``transformers_``.
    blocks : dict
        The paired rows' blocks (possibly none): not used, the space is zero-shot.

    Returns
    -------
    space : LabelBridgeSpace
    """
    transformers = {name: transformer for name, transformer, _ in retriever.transformers_}
    image = next(
        name
        for name in blocks
        if isinstance(transformers[name], ImageEmbedder)
        or retriever.modality_kinds_[name] == "image"
    )
    (text,) = [name for name in blocks if name != image]
    embedder = transformers[image]
    if getattr(embedder, "backend_", None) != "cnn":
        raise ValueError(
            f"CrossModalRetriever({_METHOD}) needs the CNN features of the image modality "
            f"{image!r}, but its ImageEmbedder used the {embedder.backend_!r} backend. "
            "Pass ImageEmbedder(backend='cnn') and install the image extra: "
            'pip install "mmsk[image]"'
        )
    encoder = transformers[text]
    return LabelBridgeSpace(
        image,
        text,
        model=encoder.model,
        template=retriever.label_template,
        top_k=retriever.label_top_k,
        n_components=int(encoder.embedding_dim_),
        device=encoder.device_,
    )


def _image_and_text(modalities):
    described = ", ".join(f"{m.name!r} (kind {m.kind!r})" for m in modalities)
    images = [
        m for m in modalities if m.kind == "image" or isinstance(m.transformer, ImageEmbedder)
    ]
    if not images:
        raise ValueError(
            f"CrossModalRetriever({_METHOD}) matches an image modality with a text "
            f"modality, but neither of its modalities holds images: {described}. Make the "
            "query or the target a column of images (file paths, bytes, PIL images or "
            "pixel arrays), or choose method='cca', 'pls' or 'contrastive'."
        )
    image = images[0]
    (text,) = [m for m in modalities if m is not image]
    if not (text.kind == "text" or isinstance(text.transformer, SentenceEmbedder)):
        raise ValueError(
            f"CrossModalRetriever({_METHOD}) matches the image modality {image.name!r} "
            f"with a text modality, but the other modality {text.name!r} holds "
            f"{text.kind!r} columns {list(text.columns)}, not free text. Name a text "
            "column (captions, titles, descriptions) as the other modality."
        )
    return image, text


def _check_image_transformer(image):
    transformer = image.transformer
    if not isinstance(transformer, ImageEmbedder):
        raise ValueError(
            f"CrossModalRetriever({_METHOD}) reads ImageNet class probabilities from the "
            f"CNN features of the image modality {image.name!r}, so its transformer must "
            f"be an ImageEmbedder (or 'auto'); got {transformer!r}."
        )
    if transformer.backend not in ("auto", "cnn"):
        raise ValueError(
            f"CrossModalRetriever({_METHOD}) needs the CNN features of the image modality "
            f"{image.name!r}: its ImageEmbedder's backend must be 'cnn' or 'auto'; got "
            f"backend={transformer.backend!r}."
        )
    if transformer.n_components is not None:
        raise ValueError(
            f"CrossModalRetriever({_METHOD}) needs the full 1,280 CNN features of the "
            f"image modality {image.name!r}, from which the network's classifier gives "
            "the class probabilities: its ImageEmbedder's n_components must be None; got "
            f"n_components={transformer.n_components!r}."
        )


def _left_to_auto(retriever, name):
    if isinstance(retriever.modalities, str):
        return True
    for entry in retriever.modalities:
        if entry[0] == name:
            return isinstance(entry[1], str) and entry[1] == "auto"
    return False


def _check_template(template):
    try:
        prompt = template.format(name="tabby cat")
    except (KeyError, IndexError, ValueError) as error:
        raise ValueError(
            "The 'label_template' parameter of CrossModalRetriever must be a string with "
            "one '{name}' placeholder for the class name, such as 'a photo of a {name}'; "
            f"got {template!r} ({type(error).__name__}: {error})."
        ) from None
    if prompt == template:
        raise ValueError(
            "The 'label_template' parameter of CrossModalRetriever must contain the "
            f"placeholder '{{name}}' for the class name; got {template!r}."
        )
    return template


def _column_chunks(block, width, name):
    if block.shape[1] == 0 or block.shape[1] % width:
        raise ValueError(
            f"The block of modality {name!r} has {block.shape[1]} columns, expected a "
            f"multiple of {width} (one chunk of {width} features per column)."
        )
    return [block[:, start : start + width] for start in range(0, block.shape[1], width)]


def _classifier():
    """The CNN's last layer as float64 arrays, loaded once per process."""
    with _LOCK:
        if not _CLASSIFIER:
            layer = load_network("cpu")._fc
            weights = layer.weight.detach().double().numpy().copy()
            bias = layer.bias.detach().double().numpy().copy()
            _CLASSIFIER.append((weights, bias))
        return _CLASSIFIER[0]


def _name_embeddings(model, template, classes, device):
    """Unit-norm sentence embeddings of the prompts of ``classes``, cached per process."""
    key = (str(model), template)
    with _LOCK:
        known = _NAME_EMBEDDINGS.setdefault(key, {})
        todo = [int(c) for c in classes if int(c) not in known]
        if todo:
            names = imagenet_class_names()
            prompts = [template.format(name=names[c]) for c in todo]
            encoder = _prompt_encoder(model, device)
            embeddings = encoder.transform(pd.DataFrame({"prompt": prompts}))
            norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
            embeddings = embeddings / np.where(norms > 0, norms, 1.0)
            known.update(zip(todo, embeddings))
        return np.stack([known[int(c)] for c in classes])


def _prompt_encoder(model, device):
    key = str(model)
    if key not in _PROMPT_ENCODERS:
        encoder = SentenceEmbedder(model=model, device=device, show_progress=False)
        _PROMPT_ENCODERS[key] = encoder.fit(pd.DataFrame({"prompt": ["a photo"]}))
    return _PROMPT_ENCODERS[key]
