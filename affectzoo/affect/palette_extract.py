"""Colour palettes of images: k-means in CIELab, clusters ordered by size.

:func:`extract_palette` is how Music2Palette (Hu et al., MM 2025) turns an image into a palette, for
its image-driven baseline and for recolouring (:mod:`affectzoo.affect.recolor`):

1. the image is read as 8-bit sRGB (a path, a PIL image or an ``H x W x 3`` uint8 array);
2. if it has more than ``max_pixels`` pixels, a seeded random subset of ``max_pixels`` of them
   (without replacement) stands for it, so large images cost no more than small ones;
3. identical pixels are merged into one point weighted by its count (k-means on weighted distinct
   colours is the same as k-means on the pixels, and flat images become a handful of points);
4. k-means in CIELab (Euclidean distance, i.e. CIE76): k-means++ initialisation drawn with
   ``numpy.random.default_rng(seed)``, then Lloyd iterations until no point changes cluster, or
   at most :data:`MAX_ITERATIONS`; a cluster left empty is moved to the point farthest from its
   centre, so every returned colour stands for some pixels;
5. clusters are sorted by their share of pixels, largest first (equal shares: by L, a, b
   ascending), and the shares are the weights.

The result depends only on the pixels, ``k``, ``seed`` and ``max_pixels``: the same call gives
the same palette on every run.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch
from torch import Tensor

from affectzoo.affect.color import srgb_to_lab
from affectzoo.errors import InputError

#: Most Lloyd iterations of the k-means.
MAX_ITERATIONS = 50


def image_pixels(image: Any) -> np.ndarray:
    """8-bit sRGB pixels ``[H, W, 3]`` of a path, a PIL image or an ``H x W x 3`` uint8 array.

    An unreadable file or an array of the wrong shape or type raises
    :class:`~affectzoo.errors.InputError` naming the file (or the array) and the problem.
    """
    from PIL import Image, UnidentifiedImageError

    if isinstance(image, (str, os.PathLike)):
        path = os.fspath(image)
        if not os.path.isfile(path):
            raise InputError(path, "file not found" if not os.path.exists(path) else "is not a regular file")
        try:
            with Image.open(path) as opened:
                pixels = np.asarray(opened.convert("RGB"), dtype=np.uint8)
        except UnidentifiedImageError:
            raise InputError(path, "not an image Pillow can identify (unsupported format or corrupt file)") from None
        except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as err:
            raise InputError(path, f"corrupt, truncated or unreadable image ({err})") from None
    elif isinstance(image, Image.Image):
        pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
    elif isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[-1] != 3:
            raise InputError("image array", f"expected pixels H x W x 3, got shape {image.shape}")
        if image.dtype != np.uint8:
            raise InputError("image array", f"expected uint8 pixels (0-255), got dtype {image.dtype}")
        pixels = image
    else:
        raise InputError(f"image of type {type(image).__name__}",
                         "expected a path, a PIL image or an H x W x 3 uint8 numpy array")
    if pixels.shape[0] == 0 or pixels.shape[1] == 0:
        name = os.fspath(image) if isinstance(image, (str, os.PathLike)) else "image"
        raise InputError(name, f"image has no pixels (shape {pixels.shape})")
    return pixels


def distinct_colours(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distinct colours ``[U, 3]`` uint8, pixel count of each ``[U]``, index of each pixel's colour ``[N]``).

    ``pixels`` is ``[..., 3]`` uint8; colours come in ascending order of their 24-bit code.
    """
    flat = pixels.reshape(-1, 3).astype(np.int64)
    codes = (flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]
    unique, inverse, counts = np.unique(codes, return_inverse=True, return_counts=True)
    colours = np.stack([(unique >> 16) & 255, (unique >> 8) & 255, unique & 255], axis=1).astype(np.uint8)
    return colours, counts, inverse.reshape(-1)


def rgb8_to_lab(colours: np.ndarray) -> np.ndarray:
    """8-bit sRGB ``[..., 3]`` -> CIELab ``[..., 3]`` float64 (numpy in, numpy out)."""
    rgb = torch.from_numpy(np.asarray(colours, dtype=np.float64) / 255.0)
    return srgb_to_lab(rgb).numpy()


def extract_palette(image: Any, k: int = 5, seed: int = 0, max_pixels: int = 20000) -> tuple[Tensor, Tensor]:
    """The ``k``-colour palette of an image: (CIELab ``[k, 3]`` float64, weights ``[k]`` float64).

    ``image`` is a path, a PIL image or an ``H x W x 3`` uint8 array. Colours are k-means centres in
    CIELab, largest cluster first; ``weights`` are the clusters' shares of the (subsampled) pixels
    and sum to 1. See the module docstring for the steps.

    An image with fewer than ``k`` distinct colours gives those colours, exactly, with their
    shares: the palette then has fewer than ``k`` rows. Deterministic for a given ``seed``.
    """
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if int(max_pixels) != max_pixels or max_pixels < 1:
        raise ValueError(f"max_pixels must be a positive integer, got {max_pixels!r}")
    k, max_pixels = int(k), int(max_pixels)
    pixels = image_pixels(image).reshape(-1, 3)
    rng = np.random.default_rng(seed)
    if len(pixels) > max_pixels:
        pixels = pixels[np.sort(rng.choice(len(pixels), size=max_pixels, replace=False))]
    colours, counts, _ = distinct_colours(pixels)
    points = rgb8_to_lab(colours)
    weights = counts.astype(np.float64)
    if len(points) <= k:
        centres, shares = points, weights
    else:
        centres, labels = _kmeans(points, weights, k, rng)
        shares = np.bincount(labels, weights=weights, minlength=k)
    shares = shares / shares.sum()
    order = np.lexsort((centres[:, 2], centres[:, 1], centres[:, 0], -shares))
    return torch.from_numpy(np.ascontiguousarray(centres[order])), torch.from_numpy(shares[order])


def _kmeans(points: np.ndarray, weights: np.ndarray, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Weighted k-means (k-means++ start, Lloyd iterations): (centres ``[k, 3]``, label of each point)."""
    centres = _kmeans_plus_plus(points, weights, k, rng)
    labels, distances = _assign(points, centres)
    for _ in range(MAX_ITERATIONS):
        centres = _update(points, weights, labels, centres, distances)
        new_labels, distances = _assign(points, centres)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
    return centres, labels


def _kmeans_plus_plus(points: np.ndarray, weights: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding (Arthur & Vassilvitskii 2007), each point counted ``weight`` times."""
    chosen = [int(rng.choice(len(points), p=weights / weights.sum()))]
    nearest = ((points - points[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        mass = weights * nearest
        # distinct points are more than k, so some mass remains; fall back to uniform if rounding ate it
        probabilities = mass / mass.sum() if mass.sum() > 0 else np.full(len(points), 1.0 / len(points))
        index = int(rng.choice(len(points), p=probabilities))
        chosen.append(index)
        nearest = np.minimum(nearest, ((points - points[index]) ** 2).sum(axis=1))
    return points[chosen].copy()


def _assign(points: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the nearest centre, squared distance to it) of every point; ties go to the lower index."""
    squared = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=-1)
    labels = squared.argmin(axis=1)
    return labels, squared[np.arange(len(points)), labels]


def _update(points: np.ndarray, weights: np.ndarray, labels: np.ndarray, centres: np.ndarray,
            distances: np.ndarray) -> np.ndarray:
    """Weighted means of the clusters; an empty cluster takes the point farthest from its centre."""
    k = len(centres)
    mass = np.bincount(labels, weights=weights, minlength=k)
    sums = np.stack([np.bincount(labels, weights=weights * points[:, c], minlength=k) for c in range(3)], axis=1)
    new = centres.copy()
    filled = mass > 0
    new[filled] = sums[filled] / mass[filled, None]
    distances = distances.copy()
    for empty in np.flatnonzero(~filled):
        farthest = int(distances.argmax())
        new[empty] = points[farthest]
        distances[farthest] = -1.0  # a second empty cluster takes another point
    return new


__all__ = ["MAX_ITERATIONS", "distinct_colours", "extract_palette", "image_pixels", "rgb8_to_lab"]
