"""Palette extraction (k-means in CIELab) and Music2Palette's baseline C (nearest image by V/A)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from affectzoo.affect.color import delta_e_2000, srgb_to_lab
from affectzoo.affect.palette_extract import extract_palette
from affectzoo.errors import InputError

BLOCKS = ((200, 40, 40), (30, 160, 60), (40, 60, 210))
WIDTHS = (10, 6, 4)  # shares 0.5, 0.3, 0.2 of a 20-column image


def three_blocks(height: int = 8) -> np.ndarray:
    columns = np.concatenate([np.full((width, 3), colour, np.uint8) for colour, width in zip(BLOCKS, WIDTHS)])
    return np.repeat(columns[None], height, axis=0)


def lab_of(rgb) -> torch.Tensor:
    return srgb_to_lab(torch.tensor(rgb, dtype=torch.float64) / 255.0)


def test_flat_blocks_give_their_colours_and_shares():
    lab, weights = extract_palette(three_blocks(), k=3)
    assert lab.shape == (3, 3) and lab.dtype == torch.float64
    assert delta_e_2000(lab, lab_of(BLOCKS)).max() < 1.0  # largest block first
    assert torch.allclose(weights, torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64))


def test_noisy_blocks_cluster_to_block_means_from_a_file(tmp_path):
    rng = np.random.default_rng(1)
    image = np.clip(three_blocks(30).astype(int) + rng.integers(-3, 4, (30, 20, 3)), 0, 255).astype(np.uint8)
    path = tmp_path / "blocks.png"
    Image.fromarray(image).save(path)
    lab, weights = extract_palette(path, k=3, seed=3)
    assert delta_e_2000(lab, lab_of(BLOCKS)).max() < 1.0
    assert torch.allclose(weights, torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64))


def test_deterministic_for_a_seed_and_subsampled():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (60, 50, 3), dtype=np.uint8)
    first = extract_palette(image, k=5, seed=7, max_pixels=500)
    again = extract_palette(Image.fromarray(image), k=5, seed=7, max_pixels=500)
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])
    assert first[0].shape == (5, 3)
    assert torch.all(first[1][:-1] >= first[1][1:])  # largest cluster first
    assert first[1].sum().item() == pytest.approx(1.0)
    assert torch.allclose(first[1] * 500, (first[1] * 500).round())  # shares of the 500 sampled pixels


def test_fewer_distinct_colours_than_k():
    lab, weights = extract_palette(three_blocks(), k=5)
    assert lab.shape == (3, 3)
    assert torch.allclose(weights, torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64))


def test_bad_inputs_raise_input_error_naming_them(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"this is not a png")
    with pytest.raises(InputError, match="broken.png"):
        extract_palette(broken)
    with pytest.raises(InputError, match="missing.jpg.*not found"):
        extract_palette(tmp_path / "missing.jpg")
    with pytest.raises(InputError, match="H x W x 3"):
        extract_palette(np.zeros((4, 4), np.uint8))
    with pytest.raises(InputError, match="uint8"):
        extract_palette(np.zeros((4, 4, 3), np.float32))


# --- baseline C -------------------------------------------------------------------------------

def _labelled_images(tmp_path):
    colours = {"red.png": (210, 30, 30), "green.png": (30, 170, 50), "blue.png": (30, 40, 200),
               "teal.png": (20, 150, 150)}
    for name, colour in colours.items():
        pixels = np.full((6, 6, 3), colour, np.uint8)
        pixels[:2] = (250, 250, 250)  # a second colour, one third of the image
        Image.fromarray(pixels).save(tmp_path / name)
    table = pd.DataFrame({
        "image_path": [str(tmp_path / name) for name in colours],
        "valence": [0.8, 0.5, -0.6, 0.5],
        "arousal": [0.7, -0.4, 0.2, 0.4],
    })
    return table, colours


def test_baseline_c_takes_the_palette_of_the_nearest_image(tmp_path, monkeypatch):
    from affectzoo.models.music2palette import baseline_c

    table, colours = _labelled_images(tmp_path)
    baseline = baseline_c.ImagePaletteBaseline(table, k=5, seed=0)
    assert baseline.nearest([0.9, 0.9]) == 0
    palette = baseline.palette_for_va(torch.tensor([-0.5, 0.1]))
    expected, _ = extract_palette(tmp_path / "blue.png", k=5)
    assert torch.equal(palette, expected)
    assert delta_e_2000(palette[0], lab_of(colours["blue.png"])) < 1.0  # blue covers two thirds

    calls = []
    monkeypatch.setattr(baseline_c, "extract_palette", lambda *a, **kw: calls.append(a) or extract_palette(*a, **kw))
    palettes = baseline.palettes_for_va([[0.6, -0.5], [0.4, -0.3], [-0.7, 0.3]])
    assert [delta_e_2000(p[0], lab_of(c)).item() < 1.0 for p, c in
            zip(palettes, [colours["green.png"], colours["green.png"], colours["blue.png"]])] == [True] * 3
    assert len(calls) == 1  # green extracted once; blue came from the cache


def test_baseline_c_ties_go_to_the_first_row_and_bad_tables_fail(tmp_path):
    from affectzoo.models.music2palette.baseline_c import ImagePaletteBaseline

    table, _ = _labelled_images(tmp_path)
    baseline = ImagePaletteBaseline(table)
    assert baseline.nearest([0.5, 0.0]) == 1  # green (0.5, -0.4) and teal (0.5, 0.4) are both 0.4 away
    swapped = ImagePaletteBaseline(table.iloc[[0, 3, 2, 1]].reset_index(drop=True))
    assert swapped.nearest([0.5, 0.0]) == 1 and swapped.image_paths[1].endswith("teal.png")
    with pytest.raises(InputError, match="arousal"):
        ImagePaletteBaseline(table.drop(columns="arousal"))
    with pytest.raises(InputError, match=r"\[-1, 1\]"):
        ImagePaletteBaseline(table.assign(valence=table.valence * 4))
    with pytest.raises(InputError, match="va"):
        baseline.palettes_for_va(torch.zeros(3))
