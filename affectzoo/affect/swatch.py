"""Palette swatches: rows of colour blocks as an image, so palettes can be looked at, not only read."""

from __future__ import annotations

from PIL import Image, ImageDraw

from affectzoo.affect.color import hex_to_srgb


def swatch_image(palettes: list[list[str]], block: int = 64, gap: int = 8) -> Image.Image:
    """One row of ``block``-pixel squares per palette (``#rrggbb`` lists), on white, rows ``gap`` apart."""
    if not palettes or not all(palettes):
        raise ValueError("swatch_image needs at least one non-empty palette")
    width = max(len(p) for p in palettes) * block + 2 * gap
    height = len(palettes) * (block + gap) + gap
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for row, palette in enumerate(palettes):
        top = gap + row * (block + gap)
        for column, colour in enumerate(palette):
            rgb = tuple(round(255 * float(v)) for v in hex_to_srgb(colour))
            draw.rectangle([gap + column * block, top, gap + (column + 1) * block - 1, top + block - 1], fill=rgb)
    return image
