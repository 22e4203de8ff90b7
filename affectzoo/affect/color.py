"""Colour science in torch: hex <-> sRGB <-> linear RGB <-> XYZ (D65) <-> CIELab <-> CIELCh, and CIEDE2000.

Colours travel as sRGB hex at the package's edges and are computed in CIELab inside (DESIGN.md).
Every function here is vectorised over leading dimensions (colour channels last), keeps the input's
floating dtype (use float64 for reference-grade numbers) and is differentiable, because the palette
losses back-propagate through ``delta_e_2000`` and ``lab_to_srgb``.

Conventions and sources:

* sRGB is IEC 61966-2-1: piecewise transfer function (linear below 0.04045 / 0.0031308), primaries
  R (0.64, 0.33), G (0.30, 0.60), B (0.15, 0.06) and white D65 (0.3127, 0.3290). The RGB->XYZ matrix
  is derived from these chromaticities (not typed in rounded), so sRGB white maps to exactly the
  white point used by Lab, i.e. to Lab (100, 0, 0).
* XYZ is scaled so that the white has Y = 1; CIELab uses the CIE 1976 definitions with the exact
  constants epsilon = (6/29)^3 and kappa = (29/3)^3.
* CIEDE2000 follows Sharma, Wu & Dalal (2005), "The CIEDE2000 color-difference formula:
  implementation notes, supplementary test data, and mathematical observations", Color Research
  and Application 30(1):21-30, including its conventions for zero chroma (hue 0, hue difference 0,
  mean hue = sum of hues). The tests check all 34 pairs of its supplementary data.

Gradients: ``sqrt`` and ``atan2`` have infinite or undefined derivatives at 0 (grey colours, identical
colours). Where those occur the value is computed with a guarded branch whose derivative is the
zero subgradient, so a training loss built on ``delta_e_2000`` never produces NaN gradients.
"""

from __future__ import annotations

import re
from typing import Sequence

import torch
from torch import Tensor

from affectzoo.errors import InputError

_HEX = re.compile(r"#?([0-9a-fA-F]{6})")

SRGB_PRIMARIES_XY = ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06))
D65_XY = (0.3127, 0.3290)

_LAB_EPSILON = (6.0 / 29.0) ** 3  # 216/24389: below this, the cube root is replaced by a line
_LAB_DELTA = 6.0 / 29.0
_POW25_7 = 25.0**7


def _safe_sqrt(x: Tensor) -> Tensor:
    """``sqrt(x)`` for x >= 0 whose gradient at exactly 0 is 0 instead of inf (which would give NaN)."""
    positive = x > 0
    return torch.where(positive, torch.sqrt(torch.where(positive, x, torch.ones_like(x))), torch.zeros_like(x))


def _safe_atan2_deg(y: Tensor, x: Tensor) -> Tensor:
    """``atan2(y, x)`` in degrees in [0, 360); 0 with zero gradient at the origin (undefined hue)."""
    origin = (x == 0) & (y == 0)
    angle = torch.atan2(torch.where(origin, torch.zeros_like(y), y), torch.where(origin, torch.ones_like(x), x))
    return torch.remainder(torch.rad2deg(angle), 360.0)


def _as_float(x: Tensor | Sequence) -> Tensor:
    tensor = torch.as_tensor(x)
    if not tensor.is_floating_point():
        tensor = tensor.to(torch.get_default_dtype())
    if tensor.shape[-1:] != (3,):
        raise InputError("colour tensor", f"the last dimension must hold 3 channels, got shape {tuple(tensor.shape)}")
    return tensor


# --- hex <-> sRGB -------------------------------------------------------------------------------

def hex_to_srgb(colors: str | Sequence[str], dtype: torch.dtype = torch.float64) -> Tensor:
    """``'#rrggbb'`` (or a list of them; '#' optional, any case) -> sRGB in [0, 1], shape [3] or [N, 3]."""
    single = isinstance(colors, str)
    values = []
    for color in [colors] if single else colors:
        match = _HEX.fullmatch(color.strip()) if isinstance(color, str) else None
        if match is None:
            raise InputError(repr(color), "not a hex colour of the form '#rrggbb'")
        digits = match.group(1)
        values.append([int(digits[i:i + 2], 16) for i in (0, 2, 4)])
    rgb = torch.tensor(values, dtype=dtype).reshape(-1, 3) / 255.0
    return rgb[0] if single else rgb


def srgb_to_hex(rgb: Tensor) -> str | list[str]:
    """sRGB in [0, 1] (clipped), shape [3] or [..., 3] -> ``'#rrggbb'`` or a flat list of them."""
    rgb = _as_float(rgb).detach()
    codes = torch.round(rgb.clamp(0.0, 1.0) * 255.0).to(torch.int64).reshape(-1, 3).tolist()
    hexes = ["#{:02x}{:02x}{:02x}".format(*code) for code in codes]
    return hexes[0] if rgb.dim() == 1 else hexes


# --- sRGB transfer function -------------------------------------------------------------------

def srgb_to_linear(rgb: Tensor) -> Tensor:
    """Decode the sRGB transfer function (IEC 61966-2-1): gamma-encoded [0, 1] -> linear light."""
    rgb = _as_float(rgb)
    curve = torch.pow((rgb.clamp(min=0.04045) + 0.055) / 1.055, 2.4)
    return torch.where(rgb <= 0.04045, rgb / 12.92, curve)


def linear_to_srgb(linear: Tensor) -> Tensor:
    """Encode linear light with the sRGB transfer function (inverse of ``srgb_to_linear``)."""
    linear = _as_float(linear)
    curve = 1.055 * torch.pow(linear.clamp(min=0.0031308), 1.0 / 2.4) - 0.055
    return torch.where(linear <= 0.0031308, linear * 12.92, curve)


# --- chromaticities, XYZ ----------------------------------------------------------------------

def xyy_to_xyz(xyy: Tensor) -> Tensor:
    """CIE xyY -> XYZ (same scale as Y). A chromaticity with y = 0 carries no light: XYZ = 0."""
    xyy = _as_float(xyy)
    x, y, big_y = xyy.unbind(-1)
    dark = y == 0
    ratio = big_y / torch.where(dark, torch.ones_like(y), y)
    ratio = torch.where(dark, torch.zeros_like(ratio), ratio)
    return torch.stack([x * ratio, torch.where(dark, torch.zeros_like(big_y), big_y), (1.0 - x - y) * ratio], dim=-1)


def _white_xyz(dtype: torch.dtype, device: torch.device | None = None) -> Tensor:
    """XYZ of the D65 white with Y = 1 (from its chromaticity, as sRGB defines it)."""
    return xyy_to_xyz(torch.tensor([*D65_XY, 1.0], dtype=dtype, device=device))


def _rgb_to_xyz_matrix(dtype: torch.dtype, device: torch.device | None = None) -> Tensor:
    """The linear-sRGB -> XYZ matrix: primaries' XYZ columns scaled so that RGB (1, 1, 1) is the white."""
    primaries = torch.tensor([[x / y, 1.0, (1.0 - x - y) / y] for x, y in SRGB_PRIMARIES_XY],
                             dtype=torch.float64).T
    scale = torch.linalg.solve(primaries, _white_xyz(torch.float64))
    return (primaries * scale).to(dtype=dtype, device=device)


def linear_rgb_to_xyz(linear: Tensor) -> Tensor:
    """Linear sRGB -> CIE XYZ (D65, white Y = 1)."""
    linear = _as_float(linear)
    return linear @ _rgb_to_xyz_matrix(linear.dtype, linear.device).T


def xyz_to_linear_rgb(xyz: Tensor) -> Tensor:
    """CIE XYZ (D65, white Y = 1) -> linear sRGB (out-of-gamut colours fall outside [0, 1])."""
    xyz = _as_float(xyz)
    inverse = torch.linalg.inv(_rgb_to_xyz_matrix(torch.float64)).to(dtype=xyz.dtype, device=xyz.device)
    return xyz @ inverse.T


# --- CIELab, CIELCh ---------------------------------------------------------------------------

def _lab_f(t: Tensor) -> Tensor:
    cube_root = torch.pow(t.clamp(min=_LAB_EPSILON), 1.0 / 3.0)
    return torch.where(t > _LAB_EPSILON, cube_root, t / (3.0 * _LAB_DELTA**2) + 4.0 / 29.0)


def _lab_f_inverse(f: Tensor) -> Tensor:
    return torch.where(f > _LAB_DELTA, f**3, 3.0 * _LAB_DELTA**2 * (f - 4.0 / 29.0))


def xyz_to_lab(xyz: Tensor) -> Tensor:
    """CIE XYZ (D65, white Y = 1) -> CIELab (L in [0, 100] for real surface colours)."""
    xyz = _as_float(xyz)
    fx, fy, fz = _lab_f(xyz / _white_xyz(xyz.dtype, xyz.device)).unbind(-1)
    return torch.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], dim=-1)


def lab_to_xyz(lab: Tensor) -> Tensor:
    """CIELab -> CIE XYZ (D65, white Y = 1)."""
    lab = _as_float(lab)
    lightness, a, b = lab.unbind(-1)
    fy = (lightness + 16.0) / 116.0
    f = torch.stack([fy + a / 500.0, fy, fy - b / 200.0], dim=-1)
    return _lab_f_inverse(f) * _white_xyz(lab.dtype, lab.device)


def lab_to_lch(lab: Tensor) -> Tensor:
    """CIELab -> CIELCh: (L, chroma, hue in degrees in [0, 360)); hue is 0 for greys."""
    lab = _as_float(lab)
    lightness, a, b = lab.unbind(-1)
    return torch.stack([lightness, _safe_sqrt(a * a + b * b), _safe_atan2_deg(b, a)], dim=-1)


def lch_to_lab(lch: Tensor) -> Tensor:
    """CIELCh (hue in degrees) -> CIELab."""
    lch = _as_float(lch)
    lightness, chroma, hue = lch.unbind(-1)
    radians = torch.deg2rad(hue)
    return torch.stack([lightness, chroma * torch.cos(radians), chroma * torch.sin(radians)], dim=-1)


# --- compositions used across the package -----------------------------------------------------

def srgb_to_lab(rgb: Tensor) -> Tensor:
    """Gamma-encoded sRGB in [0, 1] -> CIELab (D65)."""
    return xyz_to_lab(linear_rgb_to_xyz(srgb_to_linear(rgb)))


def lab_to_srgb(lab: Tensor) -> Tensor:
    """CIELab (D65) -> gamma-encoded sRGB, not clipped (out-of-gamut colours fall outside [0, 1])."""
    return linear_to_srgb(xyz_to_linear_rgb(lab_to_xyz(lab)))


def hex_to_lab(colors: str | Sequence[str], dtype: torch.dtype = torch.float64) -> Tensor:
    """``'#rrggbb'`` or a list of them -> CIELab, shape [3] or [N, 3]."""
    return srgb_to_lab(hex_to_srgb(colors, dtype=dtype))


def lab_to_hex(lab: Tensor) -> str | list[str]:
    """CIELab -> nearest 8-bit sRGB hex (out-of-gamut colours are clipped per channel)."""
    return srgb_to_hex(lab_to_srgb(lab))


# --- CIEDE2000 --------------------------------------------------------------------------------

def delta_e_2000(lab1: Tensor, lab2: Tensor, k_l: float = 1.0, k_c: float = 1.0, k_h: float = 1.0) -> Tensor:
    """CIEDE2000 colour difference between CIELab colours (broadcast over leading dims) -> [...].

    Implements the formula as written out by Sharma, Wu & Dalal (2005), equations (1)-(22), with
    the parametric weights ``k_l, k_c, k_h`` (1 for the reference conditions). Differentiable
    everywhere, with zero-subgradients at the non-differentiable points (identical colours, greys).
    """
    lab1, lab2 = torch.broadcast_tensors(_as_float(lab1), _as_float(lab2))
    l1, a1, b1 = lab1.unbind(-1)
    l2, a2, b2 = lab2.unbind(-1)

    # a' rescaling that corrects the blue-region hue of near-neutral colours (eqs. 2-5)
    c_mean = (_safe_sqrt(a1 * a1 + b1 * b1) + _safe_sqrt(a2 * a2 + b2 * b2)) / 2.0
    c7 = c_mean**3.5  # sqrt(C^7 / (C^7 + 25^7)) written so its gradient is finite at C = 0
    g = 0.5 * (1.0 - c7 / torch.sqrt(c_mean**7 + _POW25_7))
    a1p, a2p = (1.0 + g) * a1, (1.0 + g) * a2
    c1p, c2p = _safe_sqrt(a1p * a1p + b1 * b1), _safe_sqrt(a2p * a2p + b2 * b2)
    h1p, h2p = _safe_atan2_deg(b1, a1p), _safe_atan2_deg(b2, a2p)

    # differences (eqs. 8-11); the hue difference is 0 when either colour is achromatic
    chromatic = (c1p * c2p) != 0
    dlp = l2 - l1
    dcp = c2p - c1p
    dh = h2p - h1p
    dh = torch.where(dh > 180.0, dh - 360.0, torch.where(dh < -180.0, dh + 360.0, dh))
    dh = torch.where(chromatic, dh, torch.zeros_like(dh))
    dhp = 2.0 * _safe_sqrt(c1p * c2p) * torch.sin(torch.deg2rad(dh) / 2.0)

    # means (eqs. 12-14); the mean hue is the sum when either colour is achromatic
    lp_mean = (l1 + l2) / 2.0
    cp_mean = (c1p + c2p) / 2.0
    h_sum = h1p + h2p
    h_mean = torch.where(
        (h1p - h2p).abs() <= 180.0, h_sum / 2.0,
        torch.where(h_sum < 360.0, (h_sum + 360.0) / 2.0, (h_sum - 360.0) / 2.0))
    h_mean = torch.where(chromatic, h_mean, h_sum)

    # weighting functions and the rotation term (eqs. 15-21)
    def cos_deg(angle: Tensor) -> Tensor:
        return torch.cos(torch.deg2rad(angle))

    t = (1.0 - 0.17 * cos_deg(h_mean - 30.0) + 0.24 * cos_deg(2.0 * h_mean)
         + 0.32 * cos_deg(3.0 * h_mean + 6.0) - 0.20 * cos_deg(4.0 * h_mean - 63.0))
    d_theta = 30.0 * torch.exp(-(((h_mean - 275.0) / 25.0) ** 2))
    r_c = 2.0 * cp_mean**3.5 / torch.sqrt(cp_mean**7 + _POW25_7)
    lp_offset = (lp_mean - 50.0) ** 2
    s_l = 1.0 + 0.015 * lp_offset / torch.sqrt(20.0 + lp_offset)
    s_c = 1.0 + 0.045 * cp_mean
    s_h = 1.0 + 0.015 * cp_mean * t
    r_t = -torch.sin(torch.deg2rad(2.0 * d_theta)) * r_c

    term_l = dlp / (k_l * s_l)
    term_c = dcp / (k_c * s_c)
    term_h = dhp / (k_h * s_h)
    squared = term_l**2 + term_c**2 + term_h**2 + r_t * term_c * term_h
    return _safe_sqrt(squared.clamp(min=0.0))  # the form is positive semi-definite; clamp rounding noise


__all__ = [
    "D65_XY", "SRGB_PRIMARIES_XY", "delta_e_2000", "hex_to_lab", "hex_to_srgb", "lab_to_hex", "lab_to_lch",
    "lab_to_srgb", "lab_to_xyz", "lch_to_lab", "linear_rgb_to_xyz", "linear_to_srgb", "srgb_to_hex",
    "srgb_to_lab", "srgb_to_linear", "xyy_to_xyz", "xyz_to_lab", "xyz_to_linear_rgb",
]
