"""Names of torch devices, as the ``device`` parameter of the pretrained encoders takes them."""

import re

from ._utils import import_optional

_DEVICE_PATTERN = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def check_device_name(device, owner):
    """Raise a ValueError naming ``owner`` unless ``device`` is a device name mmsk knows."""
    if not isinstance(device, str) or not _DEVICE_PATTERN.fullmatch(device):
        raise ValueError(
            f"The 'device' parameter of {owner} must be 'auto', 'cpu', 'cuda', "
            f"'cuda:<index>' or 'mps'. Got {device!r} instead."
        )


def resolve_device(device, owner, extra):
    """Turn ``"auto"`` into ``"cuda"`` or ``"cpu"`` and check that the device exists.

    Parameters
    ----------
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:<index>"`` or ``"mps"``.
    owner : str
        The class whose parameter it is, for messages.
    extra : str
        The mmsk extra that installs torch for ``owner``.

    Returns
    -------
    device : str
    """
    check_device_name(device, owner)
    torch = import_optional("torch", purpose=owner, extra=extra)
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        _check_cuda_device(torch, device, owner)
    if device == "mps" and not torch.backends.mps.is_available():
        raise ValueError(
            f"{owner} got device='mps', but MPS is not available in this torch "
            "installation. Use device='auto' or device='cpu'."
        )
    return device


def _check_cuda_device(torch, device, owner):
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    index = int(device.partition(":")[2] or 0)
    if index >= count:
        raise ValueError(
            f"{owner} got device={device!r}, but torch sees {count} CUDA device(s). Use "
            "device='auto' (CUDA when available, else CPU) or device='cpu'."
        )


def torch_device(torch, requested):
    """The ``torch.device`` of a ``device`` parameter; ``"auto"`` is CUDA when present.

    Parameters
    ----------
    torch : module
        The imported torch.
    requested : str or torch.device
        ``"auto"``, or anything ``torch.device`` accepts.

    Returns
    -------
    device : torch.device
    """
    requested = str(requested)
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(requested)
    except RuntimeError as error:
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got {requested!r} ({error})."
        ) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={requested!r} asks for a CUDA GPU, but torch sees none on this "
            "machine. Use device='auto' to fall back to the CPU."
        )
    if device.type == "cuda" and device.index is not None:
        _check_cuda_device(torch, requested, "This model")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(
            "device='mps' asks for Apple's Metal GPU, but MPS is not available in this "
            "torch installation. Use device='auto' or device='cpu'."
        )
    return device
