"""Palette-based recolouring (simplified Chang et al. 2015) and atomic image saving."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from affectzoo.affect.color import delta_e_2000, hex_to_lab, srgb_to_lab
from affectzoo.affect.palette_extract import extract_palette
from affectzoo.affect.recolor import lightness_curve, match_palettes, recolor, save_image_atomic
from affectzoo.errors import InputError


def lab_pixels(image) -> torch.Tensor:
    return srgb_to_lab(torch.from_numpy(np.asarray(image, dtype=np.float64) / 255.0))


def smooth_image(height: int = 24, width: int = 32) -> np.ndarray:
    """A colourful gradient with noise: many distinct colours, no flat regions."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([40 + 180 * x / width, 60 + 150 * y / height, 200 - 120 * (x + y) / (width + height)], axis=-1)
    rgb += np.random.default_rng(0).normal(0, 4, rgb.shape)
    return np.clip(rgb, 0, 255).round().astype(np.uint8)


def red_blue(rng_noise: int = 3) -> np.ndarray:
    pixels = np.zeros((20, 30, 3), np.int64)
    pixels[:, :12] = (220, 30, 30)
    pixels[:, 12:] = (30, 40, 200)
    pixels += np.random.default_rng(2).integers(-rng_noise, rng_noise + 1, pixels.shape)
    return np.clip(pixels, 0, 255).astype(np.uint8)


def test_own_palette_leaves_the_image_unchanged():
    image = smooth_image()
    own, _ = extract_palette(image, k=5)
    out = recolor(image, own)
    assert out.size == (32, 24) and out.mode == "RGB"
    assert delta_e_2000(lab_pixels(out), lab_pixels(image)).mean() < 2.0


def test_red_blue_to_green_yellow_moves_each_region_to_its_target(tmp_path):
    path = tmp_path / "red_blue.png"
    Image.fromarray(red_blue()).save(path)
    target = hex_to_lab(["#f2d23c", "#2e8b3a"])  # yellow, green
    source, _ = extract_palette(path, k=2)  # blue (60 % of the pixels), red
    rows, cols = match_palettes(source, target)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]  # blue -> green, red -> yellow
    out = np.asarray(recolor(path, target))
    assert out.shape == (20, 30, 3)
    for region, expected in ((np.s_[:, :12], target[0]), (np.s_[:, 12:], target[1])):
        mean = lab_pixels(out[region]).reshape(-1, 3).mean(dim=0)
        assert delta_e_2000(mean, expected) < 3.0


def test_lightness_curve_is_monotone_even_for_an_inverting_match():
    xs, ys = lightness_curve([70.0, 30.0, 50.0, 50.0], [20.0, 80.0, 60.0, 40.0])
    assert xs.tolist() == [0.0, 30.0, 50.0, 70.0, 100.0]
    assert ys.tolist() == [0.0, 80.0, 80.0, 80.0, 100.0]
    assert np.all(np.diff(xs) > 0) and np.all(np.diff(ys) >= 0)


def test_recoloured_lightness_keeps_the_tonal_order():
    source = hex_to_lab(["#1a2a6c", "#f0e68c"])  # dark blue (L 20), light yellow (L 90)
    target = hex_to_lab(["#8fb8ff", "#8a7a20"])  # light blue (L 74), olive (L 51): hues pair them inverted
    assert match_palettes(source, target)[1].tolist() == [0, 1]
    steps = np.linspace(0.0, 1.0, 40)[:, None]
    ramp = (np.array([0x1A, 0x2A, 0x6C]) * (1 - steps) + np.array([0xF0, 0xE6, 0x8C]) * steps).round()
    ramp = ramp.astype(np.uint8)[None]
    assert torch.all(torch.diff(lab_pixels(ramp)[0, :, 0]) > 0)
    out = lab_pixels(recolor(ramp, target, source_palette_lab=source))[0, :, 0]
    assert torch.all(torch.diff(out) > -0.5)  # non-decreasing up to 8-bit rounding, never folded over


def test_bad_palettes_and_images(tmp_path):
    with pytest.raises(InputError, match="target palette"):
        recolor(smooth_image(), torch.zeros(4))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(InputError, match="broken.jpg"):
        recolor(broken, hex_to_lab(["#ff0000"]))


def test_save_image_atomic(tmp_path):
    image = Image.fromarray(smooth_image())
    written = save_image_atomic(image, tmp_path / "out" / "recoloured.png")
    assert np.array_equal(np.asarray(Image.open(written)), np.asarray(image))
    assert [p.name for p in written.parent.iterdir()] == ["recoloured.png"]  # no temporary file left
    with pytest.raises(InputError, match="recoloured.xyz"):
        save_image_atomic(image, tmp_path / "recoloured.xyz")
