"""Image decoding and the model-side transform: file -> RGB PIL image -> normalised ``3 x H x W`` tensor.

:func:`load_image` opens a file with Pillow, refuses images above a pixel limit (a decompression
bomb guard that raises InputError instead of Pillow's warning or exception), decodes it fully (so a
truncated file fails here, not later in a worker), applies the EXIF orientation
(``ImageOps.exif_transpose``) and converts every mode to 8-bit RGB with :func:`to_rgb`:

* transparency (RGBA, LA, PA, P or L/RGB with a transparent colour) is composited onto **white**,
  the background a viewer shows a painting or icon on, rather than the black a plain drop of the
  alpha channel would give;
* 16-bit grey (``I;16*``) and 32-bit integer (``I``, read as 16-bit data, as Pillow stores 16-bit
  PNG/TIFF) are scaled by 255/65535, not clipped at 255;
* 32-bit float (``F``) is read as 0-1 when its maximum is at most 1, else as 0-255 (Pillow's
  convention), and clipped;
* everything else (L, P, 1, CMYK, YCbCr, LAB, HSV) goes through Pillow's own conversion; no ICC
  colour management is applied. Multi-frame files (GIF, TIFF) give their first frame.

:class:`ImageCfg` is the image part of a pretrained cfg's ``preprocess`` (timm's eval transform:
resize the short side to ``image_size / crop_pct``, centre-crop ``image_size``, scale to [0, 1],
normalise by ``mean``/``std``). :func:`load_image_batch` raises on, or skips and reports, bad files.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torchvision import transforms

from affectzoo.data.batch import BatchResult, load_each
from affectzoo.errors import InputError, check_readable_file

#: Default pixel limit: Pillow's own default ``Image.MAX_IMAGE_PIXELS`` (about 89.5 Mpx).
DEFAULT_MAX_PIXELS = 89_478_485
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_WHITE = (255, 255, 255, 255)
_INTERPOLATIONS = {"bilinear": transforms.InterpolationMode.BILINEAR,
                   "bicubic": transforms.InterpolationMode.BICUBIC,
                   "nearest": transforms.InterpolationMode.NEAREST}


def load_image(path: Path | str, *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Decode ``path`` into an upright 8-bit RGB image; ``max_pixels`` None disables the size guard.

    Pillow raises its own error above twice its ``Image.MAX_IMAGE_PIXELS`` whatever ``max_pixels``
    says; a limit above that needs Pillow's global raised as well.
    """
    path = Path(path)
    check_readable_file(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if max_pixels is not None and width * height > max_pixels:
                    raise InputError(path, f"image is {width}x{height} = {width * height} pixels, above the "
                                           f"limit of {max_pixels} (possible decompression bomb; raise max_pixels "
                                           f"if it is genuine)")
                image.load()
                return to_rgb(ImageOps.exif_transpose(image))
    except Image.DecompressionBombError as err:
        raise InputError(path, f"image too large for Pillow's limit ({err})") from None
    except UnidentifiedImageError:
        raise InputError(path, "not an image Pillow can identify (unsupported format or corrupt header)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise InputError(path, f"corrupt or truncated image ({err})") from None


def to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB version of ``image`` following the rules in the module docstring."""
    if image.has_transparency_data:
        background = Image.new("RGBA", image.size, _WHITE)
        return Image.alpha_composite(background, image.convert("RGBA")).convert("RGB")
    if image.mode == "RGB":
        return image
    if image.mode.startswith("I"):
        values = np.asarray(image, dtype=np.float64) * (255.0 / 65535.0)
        return _grey_to_rgb(values)
    if image.mode == "F":
        values = np.asarray(image, dtype=np.float64)
        return _grey_to_rgb(values * 255.0 if values.max(initial=0.0) <= 1.0 else values)
    return image.convert("RGB")


def _grey_to_rgb(values: np.ndarray) -> Image.Image:
    grey = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    return Image.fromarray(grey, mode="L").convert("RGB")


@dataclass(frozen=True)
class ImageCfg:
    """Eval-time image transform of a model, timm style; calling it turns an RGB image into ``3 x H x W``.

    ``image_size`` is an int (square) or ``(height, width)``; ``crop_pct`` 1.0 resizes straight
    to the crop size.
    """

    image_size: int | tuple[int, int] = 224
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    crop_pct: float = 0.875
    interpolation: str = "bicubic"

    def __post_init__(self) -> None:
        if self.interpolation not in _INTERPOLATIONS:
            raise ValueError(f"interpolation must be one of {sorted(_INTERPOLATIONS)}, got {self.interpolation!r}")
        if not 0.0 < self.crop_pct <= 1.0:
            raise ValueError(f"crop_pct must be in (0, 1], got {self.crop_pct}")

    @classmethod
    def resolve(cls, preprocess: Mapping | None = None) -> "ImageCfg":
        """The image settings of a ``preprocess`` dict (timm's ``resolve_data_config`` in spirit).

        Reads ``image_size`` (or timm's ``input_size`` ``(3, H, W)``), ``mean``, ``std``,
        ``crop_pct`` and ``interpolation``; other keys (audio, mel) are ignored, missing ones
        take the ImageNet defaults.
        """
        preprocess = dict(preprocess or {})
        kwargs = {}
        size = preprocess.get("image_size", tuple(preprocess["input_size"][1:]) if "input_size" in preprocess else None)
        if size is not None:
            kwargs["image_size"] = size if isinstance(size, int) else tuple(size)
        for key in ("mean", "std"):
            if key in preprocess:
                kwargs[key] = tuple(float(v) for v in preprocess[key])
        for key in ("crop_pct", "interpolation"):
            if key in preprocess:
                kwargs[key] = preprocess[key]
        return cls(**kwargs)

    def __call__(self, image: Image.Image) -> torch.Tensor:
        size = self.image_size
        scale = math.floor(size / self.crop_pct) if isinstance(size, int) else \
            tuple(math.floor(s / self.crop_pct) for s in size)
        pipeline = transforms.Compose([
            transforms.Resize(scale, interpolation=_INTERPOLATIONS[self.interpolation]),
            transforms.CenterCrop(size),
            transforms.ToTensor(),
            transforms.Normalize(self.mean, self.std),
        ])
        return pipeline(to_rgb(image))


def load_image_batch(paths: Iterable[Path | str], cfg: ImageCfg | None = None, *, on_error: str = "raise",
                     max_pixels: int | None = DEFAULT_MAX_PIXELS) -> BatchResult[torch.Tensor]:
    """Load and transform every path with ``cfg`` (default :class:`ImageCfg`), raising or skipping bad files."""
    cfg = cfg or ImageCfg()
    return load_each(paths, lambda p: cfg(load_image(p, max_pixels=max_pixels)), on_error)
