"""Palette-based image recolouring in CIELab, a simplified version of Chang et al. (2015).

Chang, Fried, Liu, DiVerdi & Finkelstein, "Palette-based photo recoloring", ACM Transactions on
Graphics 34(4), 2015. Music2Palette (Hu et al., MM 2025) uses such a recolouring to show a
generated palette on an image. :func:`recolor` does it in four steps:

1. **Source palette.** The image's own palette: ``source_palette_lab`` if given, else
   :func:`~affectzoo.affect.palette_extract.extract_palette` with ``k`` = the number of target
   colours.
2. **Matching.** Source and target colours are paired one to one by the assignment of least total
   CIEDE2000 (``scipy.optimize.linear_sum_assignment``). With unequal counts, the surplus colours of
   the larger palette stay unpaired; an unpaired source colour keeps its own colour (zero offset).
3. **Chroma (a, b).** Each pixel's (a, b) moves by a weighted sum of the paired colours' (a, b)
   offsets ``target - source``. The weights are Chang et al.'s normalised Gaussian radial basis
   functions of the pixel's Lab distance to each source colour:
   ``phi(r) = exp(-r^2 / (2 sigma^2))`` with ``sigma`` (default) the mean pairwise Lab distance of
   the source palette; the coefficients ``lambda`` solve ``Phi lambda = I`` on the source colours,
   so that a pixel equal to source colour ``i`` gets weight 1 on ``i`` and 0 elsewhere (it lands
   exactly on its target's chroma); ``w_i(x) = sum_j lambda_ij phi(|x - C_j|)`` is clipped at 0
   and normalised to sum 1. Where every clipped weight is 0, or the system is singular (coincident
   source colours), the plain normalised Gaussians are used instead.
4. **Lightness.** L goes through a monotone piecewise-linear curve through (0, 0), the pairs
   (source L, target L) sorted by source L, and (100, 100). Target L values are made
   non-decreasing along that order by a running maximum (``cummax``), so the curve never inverts
   the image's tonal order (darker stays darker); source colours of equal L take the largest of
   their targets. Without the running maximum a pairing that maps a darker source colour to a
   lighter target than a brighter one would fold the tones over.

The result is converted back to sRGB and clipped per channel to [0, 1] (the gamut), then rounded to
8 bits. Simplifications against the paper: the chroma transfer is a plain translation in (a, b)
rather than Chang et al.'s gamut-aware ray transfer, and the palette comes from k-means rather
than their weighted k-means with a lightness-ordered palette. Since every pixel's new colour
depends only on its old colour, the transfer is computed once per distinct colour of the image.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from affectzoo._io import atomic_write
from affectzoo.affect.color import delta_e_2000, lab_to_srgb
from affectzoo.affect.palette_extract import distinct_colours, extract_palette, image_pixels, rgb8_to_lab
from affectzoo.errors import InputError


def _palette(value: Any, name: str) -> Tensor:
    palette = torch.as_tensor(value, dtype=torch.float64)
    if palette.ndim != 2 or palette.shape[1] != 3 or palette.shape[0] < 1:
        raise InputError(name, f"expected CIELab colours [m, 3] with m >= 1, got shape {tuple(palette.shape)}")
    if not torch.isfinite(palette).all():
        raise InputError(name, "contains NaN or infinite values")
    return palette


def match_palettes(source_lab: Tensor, target_lab: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one pairing of least total CIEDE2000: (source indices, target indices), by source index.

    With unequal counts only ``min(n, m)`` pairs are returned.
    """
    from scipy.optimize import linear_sum_assignment

    source, target = _palette(source_lab, "source palette"), _palette(target_lab, "target palette")
    cost = delta_e_2000(source[:, None, :], target[None, :, :]).numpy()
    rows, cols = linear_sum_assignment(cost)
    return rows, cols


def lightness_curve(source_l: Tensor | np.ndarray, target_l: Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knots (x, y) of the monotone lightness map from paired source and target L values.

    x is strictly increasing from 0 to 100 and y non-decreasing from 0 (or the darkest target) to
    100: the pairs sorted by source L, targets clipped to [0, 100] and then raised to the running
    maximum, between the anchors (0, 0) and (100, 100). Source values that coincide (also with an
    anchor) keep one knot with the largest of their targets.
    """
    source_l = np.clip(np.asarray(source_l, dtype=np.float64).reshape(-1), 0.0, 100.0)
    target_l = np.clip(np.asarray(target_l, dtype=np.float64).reshape(-1), 0.0, 100.0)
    if source_l.shape != target_l.shape:
        raise ValueError(f"source and target lightness differ in length: {source_l.shape} vs {target_l.shape}")
    order = np.lexsort((target_l, source_l))
    xs = np.concatenate([[0.0], source_l[order], [100.0]])
    ys = np.maximum.accumulate(np.concatenate([[0.0], target_l[order], [100.0]]))
    # ys is non-decreasing, so among equal xs the last knot holds the largest target
    keep = np.append(xs[1:] != xs[:-1], True)
    return xs[keep], ys[keep]


def _rbf_weights(lab: Tensor, source: Tensor, sigma: float) -> Tensor:
    """Chang et al.'s normalised RBF weights ``[N, n]`` of colours ``lab [N, 3]`` on ``source [n, 3]``."""
    n = len(source)
    if n == 1:
        return torch.ones(len(lab), 1, dtype=torch.float64)
    gaussian = torch.exp(-torch.cdist(lab, source) ** 2 / (2.0 * sigma**2))
    plain = gaussian / gaussian.sum(dim=1, keepdim=True).clamp(min=torch.finfo(torch.float64).tiny)
    # a pixel far from every source colour underflows to all zeros: give it to the nearest one
    far = gaussian.sum(dim=1) == 0
    if far.any():
        plain[far] = torch.nn.functional.one_hot(torch.cdist(lab[far], source).argmin(dim=1), n).double()
    phi = torch.exp(-torch.cdist(source, source) ** 2 / (2.0 * sigma**2))
    try:
        if torch.linalg.cond(phi) > 1e12:
            return plain
        lambdas = torch.linalg.inv(phi)  # lambdas[j, i]: coefficient of phi_j in w_i
    except RuntimeError:
        return plain
    weights = (gaussian @ lambdas).clamp(min=0.0)
    total = weights.sum(dim=1, keepdim=True)
    usable = total[:, 0] > 1e-12
    return torch.where(usable[:, None], weights / total.clamp(min=1e-300), plain)


def recolor(image: Any, target_palette_lab: Tensor, source_palette_lab: Tensor | None = None,
            sigma: float | None = None, seed: int = 0) -> Image.Image:
    """Recolour ``image`` so that its palette becomes ``target_palette_lab`` (CIELab ``[m, 3]``).

    ``image`` is a path, a PIL image or an ``H x W x 3`` uint8 array; the result is an RGB PIL image
    of the same size. ``source_palette_lab`` (CIELab ``[n, 3]``) is the image's palette; None
    extracts it with k = m (``seed`` seeds that k-means). ``sigma`` is the RBF width in Lab units;
    None uses the mean pairwise Lab distance of the source palette. See the module docstring for
    the algorithm. A target equal to the image's own palette returns the image unchanged (up to
    8-bit rounding).
    """
    target = _palette(target_palette_lab, "target palette")
    pixels = image_pixels(image)
    if source_palette_lab is None:
        source, _ = extract_palette(pixels, k=len(target), seed=seed)
    else:
        source = _palette(source_palette_lab, "source palette")
    if sigma is None:
        distances = torch.pdist(source) if len(source) > 1 else torch.zeros(0, dtype=torch.float64)
        sigma = float(distances.mean()) if distances.numel() and float(distances.mean()) > 0 else 1.0
    elif not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma!r}")

    rows, cols = match_palettes(source, target)
    matched = source.clone()  # unpaired source colours map to themselves
    matched[torch.as_tensor(rows)] = target[torch.as_tensor(cols)]
    offsets = matched[:, 1:] - source[:, 1:]
    knots_x, knots_y = lightness_curve(source[:, 0].numpy(), matched[:, 0].numpy())

    colours, _, inverse = distinct_colours(pixels)
    lab = torch.from_numpy(rgb8_to_lab(colours))
    weights = _rbf_weights(lab, source, sigma)
    new = torch.empty_like(lab)
    new[:, 0] = torch.from_numpy(np.interp(lab[:, 0].numpy(), knots_x, knots_y))
    new[:, 1:] = lab[:, 1:] + weights @ offsets
    rgb = torch.round(lab_to_srgb(new).clamp(0.0, 1.0) * 255.0).to(torch.uint8).numpy()
    return Image.fromarray(np.ascontiguousarray(rgb[inverse].reshape(pixels.shape)))


def save_image_atomic(image: Image.Image, path: str | os.PathLike, **save_options: Any) -> Path:
    """Write a PIL image to ``path`` atomically, in the format its suffix names (``.png``, ``.jpg``, ...).

    Readers never see a half-written file (:func:`affectzoo._io.atomic_write`). ``save_options``
    go to ``Image.save`` (e.g. ``quality=90``). A suffix Pillow cannot write raises
    :class:`~affectzoo.errors.InputError` naming the path.
    """
    path = Path(path)
    image_format = Image.registered_extensions().get(path.suffix.lower())
    if image_format is None or image_format not in Image.SAVE:
        raise InputError(path, f"cannot write images with suffix {path.suffix!r} (use e.g. .png or .jpg)")
    if image_format == "JPEG" and image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    return atomic_write(path, lambda tmp: image.save(tmp, format=image_format, **save_options))


__all__ = ["lightness_curve", "match_palettes", "recolor", "save_image_atomic"]
