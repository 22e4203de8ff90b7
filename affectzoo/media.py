"""One input path for every model: files, folders, PIL images, numpy/torch images and waveforms.

What each kind of input means (the same for every model and command):

* **a path** (``str`` or ``os.PathLike``) to a file: decoded (``affectzoo.data.image`` /
  ``affectzoo.data.audio``; bad files raise :class:`~affectzoo.errors.InputError` naming them);
* **a folder**: its image or audio files, recursively, in sorted order (by suffix);
* **a PIL image**, a **numpy array** ``H x W x 3`` / ``H x W`` (uint8 0-255 or float 0-1) or a
  **uint8 torch tensor** ``3 x H x W``: raw pixels, prepared with the model's preprocessing;
* **a float torch tensor** of pixels: already prepared (as the DataModules give them), used as is;
* **a 1-D numpy array or torch tensor** of audio samples, or a 2-D numpy array of channels
  (``[channels, samples]`` or ``[samples, channels]``, mixed to mono): a waveform at
  ``sample_rate`` (None: the model's own rate), resampled to the model's rate;
* any other torch tensor given as audio (a mel spectrogram, frozen-encoder features) is already
  prepared and used as is.

Audio, from a file or an array, is cut to its first ``clip_seconds`` (when the preprocessing
sets one). Preprocessing always comes from the model's cfg (``model.preprocess``), never from
the caller. :func:`collect` expands folders and, with ``on_error="skip"``, leaves out unreadable
entries and reports them; :func:`prepare_images` and :func:`prepare_waveforms` decode a batch the
same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from affectzoo.errors import InputError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff")
SUFFIXES = {"image": IMAGE_SUFFIXES, "audio": AUDIO_SUFFIXES}
ON_ERROR = ("raise", "skip")


def is_path(item: Any) -> bool:
    return isinstance(item, (str, os.PathLike))


def media_kind(path: str | os.PathLike) -> str | None:
    """``"image"`` or ``"audio"`` by the file's suffix, else None."""
    suffix = Path(path).suffix.lower()
    return next((kind for kind, suffixes in SUFFIXES.items() if suffix in suffixes), None)


@dataclass
class Collected:
    """Inputs after folder expansion: ``items`` (paths as strings, other inputs as given), one
    ``ids`` entry per item (the path, or ``#i`` for an in-memory input), and ``skipped``
    ``(id, reason)`` pairs of inputs left out."""

    items: list = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def keep(self, positions: Iterable[int]) -> "Collected":
        positions = list(positions)
        return Collected([self.items[i] for i in positions], [self.ids[i] for i in positions], list(self.skipped))


def is_single(items: Any) -> bool:
    """True for one input (not a list or tuple, not a folder): methods then return one result."""
    return not isinstance(items, (list, tuple)) and not (is_path(items) and Path(items).is_dir())


def as_list(items: Any) -> list:
    """``items`` as a list: lists and tuples as they are, anything else (one input) wrapped."""
    return list(items) if isinstance(items, (list, tuple)) else [items]


def collect(items: Any, kind: str, on_error: str = "raise") -> Collected:
    """Expand folders into their ``kind`` files (``"image"`` or ``"audio"``); check that paths exist.

    A missing path, an empty folder or a file of the other kind raises :class:`InputError`, or is
    reported in ``skipped`` with ``on_error="skip"``.
    """
    _check_on_error(on_error)
    out = Collected()
    for index, item in enumerate(as_list(items)):
        if not is_path(item):
            out.items.append(item), out.ids.append(f"#{index}")
            continue
        try:
            paths = _expand(Path(item).expanduser(), kind)
        except InputError as err:
            if on_error == "raise":
                raise
            out.skipped.append((str(item), err.problem))
            continue
        out.items += paths
        out.ids += paths
    return out


def _expand(path: Path, kind: str) -> list[str]:
    if path.is_dir():
        found = sorted(str(p) for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES[kind])
        if not found:
            raise InputError(path, f"folder holds no {kind} files ({', '.join(SUFFIXES[kind])})")
        return found
    if not path.exists():
        raise InputError(path, "file not found")
    found_kind = media_kind(path)
    if found_kind is not None and found_kind != kind:
        raise InputError(path, f"is {found_kind}, expected {kind} (by its suffix)")
    return [str(path)]


def split_by_kind(paths: Iterable[str | os.PathLike], on_error: str = "raise") -> dict[str, Collected]:
    """``{"image": ..., "audio": ...}`` of files and folders told apart by suffix (folders give both)."""
    _check_on_error(on_error)
    out = {"image": Collected(), "audio": Collected()}
    for item in paths:
        path = Path(item).expanduser()
        if path.is_dir():
            found = {kind: collect([path], kind, "skip") for kind in out}
            if not any(c.items for c in found.values()):
                _fail_or_skip(out["image"], str(item), "folder holds no image or audio files", on_error)
            for kind, collected in found.items():
                out[kind].items += collected.items
                out[kind].ids += collected.ids
        elif media_kind(path) is None:
            _fail_or_skip(out["image"], str(item), f"neither an image ({', '.join(IMAGE_SUFFIXES)}) nor audio "
                                                   f"({', '.join(AUDIO_SUFFIXES)}) by its suffix", on_error)
        else:
            collected = collect([path], media_kind(path), on_error)
            target = out[media_kind(path)]
            target.items += collected.items
            target.ids += collected.ids
            target.skipped += collected.skipped
    return out


def _fail_or_skip(collected: Collected, item: str, problem: str, on_error: str) -> None:
    if on_error == "raise":
        raise InputError(item, problem)
    collected.skipped.append((item, problem))


def _check_on_error(on_error: str) -> None:
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}")


# ---------------------------------------------------------------------------------------- images


def image_tensor(item: Any, preprocess: Mapping):
    """One image as the model reads it: ``[3, S, S]`` normalised as ``preprocess`` says (see the
    module docstring for what each kind of input means)."""
    import numpy as np
    import torch
    from PIL import Image

    from affectzoo.data.image import ImageCfg, load_image, to_rgb

    if isinstance(item, torch.Tensor) and item.is_floating_point():
        return item
    if is_path(item):
        picture = load_image(item)
    elif isinstance(item, Image.Image):
        picture = to_rgb(item)
    elif isinstance(item, (np.ndarray, torch.Tensor)):
        picture = _array_to_pil(item)
    else:
        raise InputError(f"image of type {type(item).__name__}", "expected a path, a folder, a PIL image, "
                                                                  "a numpy array or a torch tensor")
    return ImageCfg.resolve(preprocess)(picture)


def _array_to_pil(array):
    """Raw pixels (numpy ``H x W [x 3|4]``, uint8 or float 0-1; uint8 torch ``3 x H x W``) -> RGB PIL image."""
    import numpy as np
    import torch
    from PIL import Image

    from affectzoo.data.image import to_rgb

    if isinstance(array, torch.Tensor):
        if array.ndim != 3 or array.shape[0] not in (1, 3, 4):
            raise InputError("image tensor", f"expected uint8 pixels [3, H, W], got {tuple(array.shape)}")
        array = array.permute(1, 2, 0).cpu().numpy()
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise InputError("image array", f"expected pixels H x W, H x W x 3 or H x W x 4, got {array.shape}")
    if array.dtype != np.uint8:
        if not np.isfinite(array).all():
            raise InputError("image array", "contains NaN or infinite values")
        low, high = float(array.min()), float(array.max())
        if low < 0 or high > 1:
            raise InputError("image array", f"float pixels must lie in [0, 1], got [{low:.3g}, {high:.3g}] "
                                            "(pass uint8 for 0-255 values)")
        array = (array * 255).round().astype(np.uint8)
    return to_rgb(Image.fromarray(array))


def prepare_images(items: Any, preprocess: Mapping, on_error: str = "raise"):
    """(pixels ``[N, 3, S, S]`` or None when nothing is readable, :class:`Collected`) of images,
    folders and arrays; unreadable files raise, or are skipped and reported."""
    import torch

    collected = collect(items, "image", on_error)
    tensors, kept = _each(collected, lambda item: image_tensor(item, preprocess), on_error)
    return (torch.stack(tensors) if tensors else None), kept


# ----------------------------------------------------------------------------------------- audio


def waveform(item: Any, preprocess: Mapping, sample_rate: int | None = None):
    """One mono float32 waveform ``[T]`` at ``preprocess["sample_rate"]``, at most ``clip_seconds``
    long (its first seconds). Prepared tensors (mel, features) are returned unchanged."""
    import numpy as np
    import torch
    from torchaudio.functional import resample

    from affectzoo.data.audio import audio_duration, load_audio

    target = preprocess.get("sample_rate")
    seconds = preprocess.get("clip_seconds")
    if is_path(item):
        duration = min(seconds, audio_duration(item)) if seconds else None
        return load_audio(item, target, duration_s=duration)
    if isinstance(item, torch.Tensor) and item.ndim != 1:
        return item
    if not isinstance(item, (np.ndarray, torch.Tensor)):
        raise InputError(f"audio of type {type(item).__name__}", "expected a path, a folder, a waveform "
                                                                  "(numpy or torch) or prepared features")
    wave = torch.as_tensor(np.asarray(item) if isinstance(item, np.ndarray) else item).float()
    if wave.ndim == 2:  # numpy channels, either layout: the shorter axis is the channels
        wave = wave.mean(dim=0 if wave.shape[0] <= wave.shape[1] else 1)
    if wave.ndim != 1 or wave.numel() == 0:
        raise InputError("waveform", f"expected samples [T] or channels x samples, got {tuple(wave.shape)}")
    if not torch.isfinite(wave).all():
        raise InputError("waveform", "contains NaN or infinite samples")
    rate = sample_rate or target
    if seconds and rate:  # cut first, then resample: what reading the window of a file does
        wave = wave[: round(seconds * rate)]
    if target and rate != target:
        wave = resample(wave, int(rate), int(target))
        if seconds:
            wave = wave[: round(seconds * target)]
    return wave


def prepare_waveforms(items: Any, preprocess: Mapping, sample_rate: int | None = None,
                      on_error: str = "raise") -> tuple[list, Collected]:
    """(waveforms, :class:`Collected`) of audio files, folders and arrays (see :func:`waveform`)."""
    collected = collect(items, "audio", on_error)
    return _each(collected, lambda item: waveform(item, preprocess, sample_rate), on_error)


def _each(collected: Collected, prepare: Callable, on_error: str) -> tuple[list, Collected]:
    """Apply ``prepare`` to every collected item; an InputError raises or skips (reported) that item."""
    values, kept = [], []
    for position, item in enumerate(collected.items):
        try:
            values.append(prepare(item))
            kept.append(position)
        except InputError as err:
            if on_error == "raise":
                raise
            collected.skipped.append((collected.ids[position], err.problem))
    return values, collected.keep(kept)
