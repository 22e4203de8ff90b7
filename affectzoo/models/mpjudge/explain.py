"""MPJudge's explanation picture: a painting beside its modulation intensity maps (paper eq. 4)."""

from __future__ import annotations

import os
from pathlib import Path

from torch import Tensor

from affectzoo._io import atomic_write


def write_modulation_png(path: str | os.PathLike, rgb: Tensor, maps: Tensor, intensities: Tensor) -> Path:
    """PNG of a painting ``rgb`` ``[3, H, W]`` in [0, 1] beside its first- and last-layer modulation maps.

    Each map ``[g, g]`` is upsampled bilinearly over the painting and coloured from its own minimum
    to its maximum (the reference code's overlay does the same); the panel titles give the layer
    intensities. Written atomically with matplotlib's Agg canvas.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    height, width = rgb.shape[-2:]
    picture = rgb.permute(1, 2, 0).numpy()
    figure = Figure(figsize=(9.6, 3.4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, 3)
    axes[0].imshow(picture)
    axes[0].set_title("painting")
    last = len(maps) - 1
    for axis, layer in zip(axes[1:], (0, last)):
        axis.imshow(picture)
        overlay = axis.imshow(maps[layer].numpy(), cmap="inferno", alpha=0.55, interpolation="bilinear",
                              extent=(0, width, height, 0))
        figure.colorbar(overlay, ax=axis, fraction=0.046, pad=0.04)
        axis.set_title(f"layer {layer + 1}/{last + 1}: intensity {float(intensities[layer]):.3g}")
    for axis in axes:
        axis.set_axis_off()
    figure.tight_layout()
    return atomic_write(path, lambda tmp: figure.savefig(tmp, format="png"))


