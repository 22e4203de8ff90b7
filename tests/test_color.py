"""Colour science: reference values, round trips, CIEDE2000 against Sharma et al. (2005), gradients."""

from __future__ import annotations

import pytest
import torch

from affectzoo.affect.color import (
    delta_e_2000, hex_to_lab, hex_to_srgb, lab_to_hex, lab_to_lch, lab_to_srgb, lab_to_xyz, lch_to_lab,
    linear_rgb_to_xyz, linear_to_srgb, srgb_to_hex, srgb_to_lab, srgb_to_linear, xyy_to_xyz, xyz_to_lab,
    xyz_to_linear_rgb,
)
from affectzoo.errors import InputError

# The 34 pairs of the supplementary test data of Sharma, Wu & Dalal (2005), Table 1:
# (L1, a1, b1), (L2, a2, b2), published CIEDE2000 rounded to 4 decimals.
SHARMA_2005 = [
    ((50.0000, 2.6772, -79.7751), (50.0000, 0.0000, -82.7485), 2.0425),
    ((50.0000, 3.1571, -77.2803), (50.0000, 0.0000, -82.7485), 2.8615),
    ((50.0000, 2.8361, -74.0200), (50.0000, 0.0000, -82.7485), 3.4412),
    ((50.0000, -1.3802, -84.2814), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, -1.1848, -84.8006), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, -0.9009, -85.5211), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, 0.0000, 0.0000), (50.0000, -1.0000, 2.0000), 2.3669),
    ((50.0000, -1.0000, 2.0000), (50.0000, 0.0000, 0.0000), 2.3669),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0009), 7.1792),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0010), 7.1792),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0011), 7.2195),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0012), 7.2195),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0009, -2.4900), 4.8045),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0010, -2.4900), 4.8045),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0011, -2.4900), 4.7461),
    ((50.0000, 2.5000, 0.0000), (50.0000, 0.0000, -2.5000), 4.3065),
    ((50.0000, 2.5000, 0.0000), (73.0000, 25.0000, -18.0000), 27.1492),
    ((50.0000, 2.5000, 0.0000), (61.0000, -5.0000, 29.0000), 22.8977),
    ((50.0000, 2.5000, 0.0000), (56.0000, -27.0000, -3.0000), 31.9030),
    ((50.0000, 2.5000, 0.0000), (58.0000, 24.0000, 15.0000), 19.4535),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.1736, 0.5854), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.2972, 0.0000), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 1.8634, 0.5757), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.2592, 0.3350), 1.0000),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((63.0109, -31.0961, -5.8663), (62.8187, -29.7946, -4.0864), 1.2630),
    ((61.2901, 3.7196, -5.3901), (61.4292, 2.2480, -4.9620), 1.8731),
    ((35.0831, -44.1164, 3.7933), (35.0232, -40.0716, 1.5901), 1.8645),
    ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
    ((36.4612, 47.8580, 18.3852), (36.2715, 50.5065, 21.2231), 1.4146),
    ((90.8027, -2.0831, 1.4410), (91.1528, -1.6435, 0.0447), 1.4441),
    ((90.9257, -0.5406, -0.9208), (88.6381, -0.8985, -0.7239), 1.5381),
    ((6.7747, -0.2908, -2.4247), (5.8714, -0.0985, -2.2286), 0.6377),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]


def _sharma_tensors() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    lab1 = torch.tensor([pair[0] for pair in SHARMA_2005], dtype=torch.float64)
    lab2 = torch.tensor([pair[1] for pair in SHARMA_2005], dtype=torch.float64)
    expected = torch.tensor([pair[2] for pair in SHARMA_2005], dtype=torch.float64)
    return lab1, lab2, expected


def test_ciede2000_matches_all_34_published_pairs():
    lab1, lab2, expected = _sharma_tensors()
    assert len(SHARMA_2005) == 34
    measured = delta_e_2000(lab1, lab2)
    # published values are rounded to 4 decimals: agreement within half a unit of the last digit
    assert torch.all((measured - expected).abs() <= 5e-5), (measured - expected).abs().max()


def test_ciede2000_is_symmetric_zero_on_identity_and_broadcasts():
    lab1, lab2, expected = _sharma_tensors()
    assert torch.allclose(delta_e_2000(lab2, lab1), delta_e_2000(lab1, lab2), atol=1e-12)
    assert torch.all(delta_e_2000(lab1, lab1) == 0)
    against_one = delta_e_2000(lab1, lab2[0])
    assert against_one.shape == (34,)
    assert against_one[0] == pytest.approx(expected[0].item(), abs=5e-5)
    batched = delta_e_2000(lab1.reshape(2, 17, 3), lab2.reshape(2, 17, 3))
    assert torch.allclose(batched.reshape(-1), delta_e_2000(lab1, lab2))


def test_ciede2000_in_float32_keeps_dtype_and_is_close():
    lab1, lab2, expected = _sharma_tensors()
    measured = delta_e_2000(lab1.float(), lab2.float())
    assert measured.dtype == torch.float32
    assert torch.allclose(measured.double(), expected, atol=2e-3)


@pytest.mark.parametrize("lab1, lab2", [
    ([52.0, 10.0, -20.0], [52.0, 10.0, -20.0]),      # identical colours: sqrt at 0
    ([40.0, 0.0, 0.0], [60.0, 0.0, 0.0]),            # two greys: chroma and hue undefined
    ([50.0, 0.0, 0.0], [50.0, 0.0, 0.0]),            # identical greys: everything at 0
    ([50.0, 0.0, 0.0], [55.0, 20.0, 5.0]),           # grey against a colour
])
def test_ciede2000_gradient_is_finite_at_degenerate_points(lab1, lab2):
    first = torch.tensor(lab1, dtype=torch.float64, requires_grad=True)
    second = torch.tensor(lab2, dtype=torch.float64, requires_grad=True)
    delta_e_2000(first, second).backward()
    assert torch.isfinite(first.grad).all() and torch.isfinite(second.grad).all()


def test_ciede2000_gradient_matches_finite_differences():
    lab1 = torch.tensor([[50.0, 2.5, 0.1], [60.2574, -34.0099, 36.2677], [22.7, 20.1, -46.7]],
                        dtype=torch.float64, requires_grad=True)
    lab2 = torch.tensor([[58.0, 24.0, 15.0], [60.4626, -34.1751, 39.4387], [23.0, 15.0, -42.6]],
                        dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(delta_e_2000, (lab1, lab2))


def test_known_lab_values_of_srgb_primaries():
    lab = hex_to_lab(["#ffffff", "#000000", "#ff0000", "#00ff00", "#0000ff"])
    assert torch.allclose(lab[0], torch.tensor([100.0, 0.0, 0.0], dtype=torch.float64), atol=1e-9)
    assert torch.allclose(lab[1], torch.zeros(3, dtype=torch.float64), atol=1e-12)
    # published values (e.g. Lindbloom's calculator) differ in the third decimal with matrix rounding
    assert torch.allclose(lab[2], torch.tensor([53.24, 80.09, 67.20], dtype=torch.float64), atol=0.01)
    assert torch.allclose(lab[3], torch.tensor([87.73, -86.18, 83.18], dtype=torch.float64), atol=0.01)
    assert torch.allclose(lab[4], torch.tensor([32.30, 79.19, -107.86], dtype=torch.float64), atol=0.01)
    red_lch = lab_to_lch(lab[2])
    assert red_lch[1].item() == pytest.approx(104.55, abs=0.01)
    assert red_lch[2].item() == pytest.approx(40.0, abs=0.01)


def test_white_point_and_xyy():
    white = xyy_to_xyz(torch.tensor([0.3127, 0.3290, 1.0], dtype=torch.float64))
    assert torch.allclose(white, torch.tensor([0.3127 / 0.3290, 1.0, 0.3583 / 0.3290], dtype=torch.float64))
    assert torch.allclose(linear_rgb_to_xyz(torch.ones(3, dtype=torch.float64)), white, atol=1e-12)
    assert torch.equal(xyy_to_xyz(torch.tensor([0.3, 0.0, 5.0])), torch.zeros(3))
    # sRGB luminance coefficients follow from the primaries (0.2126, 0.7152, 0.0722)
    luminance = linear_rgb_to_xyz(torch.eye(3, dtype=torch.float64))[:, 1]
    assert torch.allclose(luminance, torch.tensor([0.2126, 0.7152, 0.0722], dtype=torch.float64), atol=1e-4)


def test_hex_round_trip_through_lab_is_exact():
    generator = torch.Generator().manual_seed(0)
    codes = torch.randint(0, 256, (3000, 3), generator=generator).tolist()
    codes += [[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255], [1, 2, 3], [254, 255, 253]]
    hexes = ["#{:02x}{:02x}{:02x}".format(*code) for code in codes]
    assert lab_to_hex(hex_to_lab(hexes)) == hexes
    assert lab_to_hex(hex_to_lab(hexes, dtype=torch.float32)) == hexes


def test_conversion_round_trips_in_float64():
    generator = torch.Generator().manual_seed(1)
    rgb = torch.rand(500, 3, generator=generator, dtype=torch.float64)
    assert torch.allclose(linear_to_srgb(srgb_to_linear(rgb)), rgb, atol=1e-12)
    assert torch.allclose(xyz_to_linear_rgb(linear_rgb_to_xyz(rgb)), rgb, atol=1e-12)
    lab = srgb_to_lab(rgb)
    assert torch.allclose(xyz_to_lab(lab_to_xyz(lab)), lab, atol=1e-9)
    assert torch.allclose(lch_to_lab(lab_to_lch(lab)), lab, atol=1e-9)
    assert torch.allclose(lab_to_srgb(lab), rgb, atol=1e-10)
    lch = lab_to_lch(lab)
    assert torch.all((lch[:, 2] >= 0) & (lch[:, 2] < 360)) and torch.all(lch[:, 1] >= 0)


def test_dark_colours_use_the_linear_segments():
    dark = torch.tensor([0.02, 0.03, 0.04], dtype=torch.float64)  # below the sRGB knee 0.04045
    assert torch.allclose(srgb_to_linear(dark), dark / 12.92)
    lab = srgb_to_lab(dark)
    assert lab[0] < 8.0 and torch.allclose(lab_to_srgb(lab), dark, atol=1e-12)


def test_hex_parsing_and_formatting():
    assert torch.allclose(hex_to_srgb("FF8000"), torch.tensor([1.0, 128 / 255, 0.0], dtype=torch.float64))
    assert hex_to_srgb(["#000000", "#ffffff"]).shape == (2, 3)
    assert srgb_to_hex(torch.tensor([1.2, 0.5, -0.1])) == "#ff8000"
    assert srgb_to_hex(torch.zeros(2, 2, 3)) == ["#000000"] * 4
    for bad in ["#fff", "#gg0000", "red", 123]:
        with pytest.raises(InputError, match="hex colour"):
            hex_to_srgb(bad if isinstance(bad, str) else [bad])
    with pytest.raises(InputError, match="3 channels"):
        srgb_to_lab(torch.zeros(4, 2))


def test_lab_to_srgb_is_differentiable():
    lab = torch.tensor([[50.0, 0.0, 0.0], [70.0, 30.0, -20.0]], dtype=torch.float64, requires_grad=True)
    lab_to_srgb(lab).sum().backward()
    assert torch.isfinite(lab.grad).all() and lab.grad.abs().sum() > 0
