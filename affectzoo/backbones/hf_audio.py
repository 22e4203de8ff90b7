"""``HFAudioEncoder``: a frozen Hugging Face audio transformer (MERT) as a clip-level music encoder.

Mozart's paper encodes music with MERT-v1-330M (24 kHz mono). Its weights cannot be had offline
here, so the zoo never downloads them: :func:`resolve_audio_model` finds a folder given by path,
or the model already in the Hugging Face cache (``m-a-p/MERT-v1-330M``, ``m-a-p/MERT-v1-95M``),
and otherwise raises a :class:`~affectzoo.errors.CheckpointError` that says so.

Features: the waveform normalised per clip as the model's feature extractor says
(``preprocessor_config.json``: ``do_normalize``, ``sampling_rate``), every hidden layer's states
averaged over time, then over layers (MERT's layers carry different musical information; their
mean is a layer-agnostic summary) -> ``[B, hidden_size]``. MERT ships its own modelling code, so
it is loaded with ``trust_remote_code``: the code that runs is the code in the local folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import Tensor

from affectzoo.backbones.frozen import FrozenEncoder
from affectzoo._hub import cached_snapshot
from affectzoo.errors import CheckpointError

#: Encoder names -> their Hugging Face repositories.
HF_AUDIO_MODELS = {"MERT-v1-330M": "m-a-p/MERT-v1-330M", "MERT-v1-95M": "m-a-p/MERT-v1-95M"}


def resolve_audio_model(name_or_path: str) -> Path:
    """The local folder of an audio model: a path, or the cached snapshot of its repository."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path
    repo = HF_AUDIO_MODELS.get(name_or_path, name_or_path)
    cached = cached_snapshot(repo)
    if cached is None:
        raise CheckpointError(name_or_path, f"the weights of {repo} are not on this machine",
                              f"download {repo} into the Hugging Face cache where there is a network "
                              "(huggingface-cli download), or pass its folder")
    return cached


class HFAudioEncoder(FrozenEncoder):
    """Mono waveforms ``[B, T]`` at the model's rate -> layer- and time-averaged states ``[B, hidden]``."""

    modality = "audio"

    def __init__(self, name_or_path: str = "MERT-v1-330M", clip_seconds: float | None = 30.0) -> None:
        super().__init__()
        from transformers import AutoModel

        folder = resolve_audio_model(name_or_path)
        self.model = AutoModel.from_pretrained(folder, trust_remote_code=True, local_files_only=True)
        extractor = _read_json(folder / "preprocessor_config.json")
        self.normalize = bool(extractor.get("do_normalize", True))
        rate = int(extractor.get("sampling_rate", 24000))
        self.num_features = int(self.model.config.hidden_size)
        self.cfg = {"name": name_or_path, "weights": str(folder), "num_features": self.num_features}
        self.preprocess = {"sample_rate": rate, "clip_seconds": clip_seconds, "mono": True}
        self.freeze()

    def feature_name(self) -> str:
        return "layer-mean"

    def encode_batch(self, batch: Tensor) -> Tensor:
        waves = batch.float()
        if self.normalize:
            waves = (waves - waves.mean(-1, keepdim=True)) / (waves.var(-1, keepdim=True) + 1e-7).sqrt()
        states = self.model(waves, output_hidden_states=True).hidden_states
        return torch.stack([layer.mean(1) for layer in states]).mean(0)


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}
