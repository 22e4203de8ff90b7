"""Image decoding (modes, EXIF orientation, size guard), the model transform and bad-input errors.

Every image is written by the tests themselves.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import soundfile as sf
import torch
from PIL import Image

from affectzoo.data.image import ImageCfg, load_image, load_image_batch, to_rgb
from affectzoo.errors import InputError


def pixel(image: Image.Image, xy=(0, 0)) -> tuple[int, int, int]:
    assert image.mode == "RGB"
    return image.getpixel(xy)


# --- modes to RGB ------------------------------------------------------------------------------


def _palette(transparent: bool) -> Image.Image:
    image = Image.new("P", (2, 2), 1)
    image.putpalette([0, 0, 255] + [255, 0, 0] * 255)
    if transparent:
        image.info["transparency"] = 1
    return image


MODES = {
    "RGB": (Image.new("RGB", (2, 2), (10, 20, 30)), (10, 20, 30)),
    "RGBA-opaque": (Image.new("RGBA", (2, 2), (10, 20, 30, 255)), (10, 20, 30)),
    "RGBA-transparent": (Image.new("RGBA", (2, 2), (10, 20, 30, 0)), (255, 255, 255)),
    "RGBA-half": (Image.new("RGBA", (2, 2), (0, 0, 0, 128)), (127, 127, 127)),
    "LA-transparent": (Image.new("LA", (2, 2), (0, 0)), (255, 255, 255)),
    "LA-opaque": (Image.new("LA", (2, 2), (40, 255)), (40, 40, 40)),
    "P": (_palette(False), (255, 0, 0)),
    "P-transparent": (_palette(True), (255, 255, 255)),
    "L": (Image.new("L", (2, 2), 77), (77, 77, 77)),
    "1": (Image.new("1", (2, 2), 1), (255, 255, 255)),
    "CMYK-white": (Image.new("CMYK", (2, 2), (0, 0, 0, 0)), (255, 255, 255)),
    "CMYK-cyan": (Image.new("CMYK", (2, 2), (255, 0, 0, 0)), (0, 255, 255)),
    "I;16-max": (Image.fromarray(np.full((2, 2), 65535, np.uint16)), (255, 255, 255)),
    "I;16-mid": (Image.fromarray(np.full((2, 2), 32896, np.uint16)), (128, 128, 128)),  # 128 * 257
    "I": (Image.fromarray(np.full((2, 2), 65535 // 4, np.int32)), (64, 64, 64)),
    "F-unit": (Image.fromarray(np.full((2, 2), 0.5, np.float32)), (128, 128, 128)),
    "F-255": (Image.fromarray(np.full((2, 2), 200.0, np.float32)), (200, 200, 200)),
}


@pytest.mark.parametrize("case", sorted(MODES))
def test_every_mode_becomes_rgb(case):
    image, expected = MODES[case]
    assert pixel(to_rgb(image)) == expected


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path):
    ramp = np.linspace(0, 65535, 256, dtype=np.uint16).reshape(16, 16)
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    grey = np.asarray(load_image(tmp_path / "deep.png"))[..., 0]
    assert grey.min() == 0 and grey.max() == 255
    assert len(np.unique(grey)) > 200, "a clip at 255 would leave almost everything white"


def test_rgba_png_file_composited_on_white(tmp_path):
    data = np.zeros((4, 4, 4), np.uint8)
    data[:2, :, :] = (255, 0, 0, 255)  # top half opaque red, bottom half fully transparent black
    Image.fromarray(data, mode="RGBA").save(tmp_path / "logo.png")
    image = load_image(tmp_path / "logo.png")
    assert pixel(image, (0, 0)) == (255, 0, 0) and pixel(image, (0, 3)) == (255, 255, 255)


# --- EXIF orientation ----------------------------------------------------------------------------


def test_exif_orientation_is_applied(tmp_path):
    data = np.zeros((20, 40, 3), np.uint8)  # stored landscape, 40 wide, red on the left
    data[:, :20] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    Image.fromarray(data).save(tmp_path / "phone.jpg", exif=exif, quality=95)
    with Image.open(tmp_path / "phone.jpg") as raw:
        assert raw.size == (40, 20) and raw.getexif()[0x0112] == 6
    image = load_image(tmp_path / "phone.jpg")
    assert image.size == (20, 40)
    top, bottom = pixel(image, (10, 5)), pixel(image, (10, 35))
    assert top[0] > 200 and top[1] < 50, "the left (red) half must end up on top after a 90-degree CW turn"
    assert bottom[0] < 50


# --- transform -------------------------------------------------------------------------------------


def test_resolve_reads_preprocess_and_ignores_other_keys():
    cfg = ImageCfg.resolve({"image_size": 32, "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25], "crop_pct": 1.0,
                            "sample_rate": 16000, "n_mels": 128})
    assert cfg == ImageCfg(image_size=32, mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25), crop_pct=1.0)
    assert ImageCfg.resolve({"input_size": [3, 48, 64]}).image_size == (48, 64)
    assert ImageCfg.resolve(None) == ImageCfg()
    with pytest.raises(ValueError, match="interpolation"):
        ImageCfg.resolve({"interpolation": "lanczos5"})
    with pytest.raises(ValueError, match="crop_pct"):
        ImageCfg(crop_pct=1.5)


def test_transform_resize_crop_normalise():
    data = np.zeros((100, 200, 3), np.uint8)
    data[:, 100:] = 255  # left half black, right half white
    cfg = ImageCfg(image_size=64, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), crop_pct=0.8)
    out = cfg(Image.fromarray(data))
    assert out.shape == (3, 64, 64) and out.dtype == torch.float32
    # short side 100 -> floor(64 / 0.8) = 80, long side 160; the centre 64 columns straddle the edge
    assert out[:, :, :20].max() < -0.95 and out[:, :, -20:].min() > 0.95
    assert ImageCfg(image_size=(24, 40), crop_pct=1.0)(Image.fromarray(data)).shape == (3, 24, 40)


def test_transform_accepts_any_mode():
    assert ImageCfg(image_size=8)(Image.new("LA", (10, 10))).shape == (3, 8, 8)


# --- bad input ---------------------------------------------------------------------------------------


def _saved(path, fmt, size=(32, 24)):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(path, format=fmt)
    return path


def _truncated(path, fmt):
    _saved(path, fmt, size=(64, 64))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _bytes(path, data: bytes):
    path.write_bytes(data)
    return path


def _wav(path):
    sf.write(path, np.zeros(800, np.float32), 8000, format="WAV")
    return path


BAD_FILES = {
    "missing": (lambda d: d / "nope.jpg", "file not found"),
    "empty": (lambda d: _bytes(d / "empty.png", b""), r"empty \(0 bytes\)"),
    "garbage": (lambda d: _bytes(d / "noise.jpg", np.random.default_rng(0).bytes(2000)), "not an image"),
    "text": (lambda d: _bytes(d / "notes.png", b"hello\n" * 40), "not an image"),
    "audio": (lambda d: _wav(d / "sound.jpg"), "not an image"),
    "truncated-jpeg": (lambda d: _truncated(d / "cut.jpg", "JPEG"), "corrupt or truncated image"),
    "truncated-png": (lambda d: _truncated(d / "cut.png", "PNG"), "corrupt or truncated image"),
    "directory": (lambda d: (d / "folder.png").mkdir() or d / "folder.png", "not a regular file"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_input_raises_input_error_naming_file(tmp_path, case):
    make, problem = BAD_FILES[case]
    path = make(tmp_path)
    with pytest.raises(InputError, match=problem) as info:
        load_image(path)
    assert info.value.path == str(path) and str(path) in str(info.value)


def test_pixel_limit_refuses_without_pillow_warning(tmp_path):
    path = _saved(tmp_path / "huge.png", "PNG", size=(40, 30))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InputError, match=r"huge\.png: image is 40x30 = 1200 pixels, above the limit of 1000"):
            load_image(path, max_pixels=1000)
        assert load_image(path, max_pixels=1200).size == (40, 30)
        assert load_image(path, max_pixels=None).size == (40, 30)


def test_pillow_bomb_error_becomes_input_error(tmp_path, monkeypatch):
    path = _saved(tmp_path / "bomb.png", "PNG", size=(40, 30))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow raises above twice this
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InputError, match=r"bomb\.png: image too large"):
            load_image(path, max_pixels=None)


# --- batches -------------------------------------------------------------------------------------------


def test_batch_skip_reports_bad_and_keeps_good(tmp_path):
    good = [_saved(tmp_path / f"g{i}.png", "PNG") for i in range(3)]
    bad = _truncated(tmp_path / "cut.jpg", "JPEG")
    result = load_image_batch([good[0], bad, good[1], tmp_path / "gone.png", good[2]], ImageCfg(image_size=16),
                              on_error="skip")
    assert [p for p, _ in result.items] == good
    assert all(t.shape == (3, 16, 16) for _, t in result.items)
    assert [p.name for p, _ in result.skipped] == ["cut.jpg", "gone.png"]
    assert result.skipped[1][1] == "file not found" and "truncated" in result.skipped[0][1]


def test_batch_raise_by_default(tmp_path):
    with pytest.raises(InputError, match="gone.png: file not found"):
        load_image_batch([_saved(tmp_path / "g.png", "PNG"), tmp_path / "gone.png"], ImageCfg(image_size=16))
