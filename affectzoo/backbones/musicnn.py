"""PyTorch port of musicnn's taggers (Pons & Serra 2019): ``MTT_musicnn`` (MagnaTagATune) and ``MSD_musicnn``.

The weights are the TF1 checkpoints shipped in the ``musicnn`` package (0.1.0,
``musicnn/<name>/.index`` + ``.data-00000-of-00001``), read with
:func:`~affectzoo.backbones.tf1_checkpoint.read_tf1_checkpoint`; TensorFlow is not needed.
Install the package with ``pip install --no-deps musicnn==0.1.0``: its metadata asks for
TensorFlow and numpy<1.17, neither of which is used here. The two checkpoints have the same
architecture (the same 64 model tensors with the same shapes: 64 mid-end filters, 200 back-end
units, 50 outputs) and differ in their weights and their 50 tags: MagnaTagATune's (instruments,
genres and arousal words such as fast, slow, loud, quiet, soft) or the Million Song Dataset's
Last.fm tags (genres, decades and mood words such as happy, sad, mellow, chill, party). The
package also carries VGG-style taggers (``MTT_vgg``, ``MSD_vgg``), not ported here.

Architecture (``musicnn/models.py``: ``build_musicnn`` with ``num_filt_midend=64``,
``num_units_backend=200``), for a log-mel patch ``[T=187 frames, 96 bands]``; TensorFlow's NHWC
tensors become NCHW here, and TF layer names are given in brackets:

- input BatchNorm over the single channel [batch_normalization];
- front-end, five branches on the normalised patch, each conv -> ReLU -> BatchNorm -> max over
  the remaining frequency axis (so the order is ReLU *before* BN, as in the original):
  timbral 7x38 and 7x67 kernels, 204 filters each, time zero-padded 3+3, no frequency padding
  [conv2d, conv2d_1]; temporal 128x1, 64x1, 32x1 kernels, 51 filters each, TF 'same' padding in
  time (63+64, 31+32, 15+16) and frequency [conv2d_2..4]; concatenated to 561 channels in
  that order;
- mid-end, three 1-D convs over time (kernel 7, zero padding 3+3, 64 filters) on the 561
  channels, each conv -> ReLU -> BatchNorm, the second and third with a residual connection
  [conv2d_5..7]; the dense concatenation [front-end, conv1, res2, res3] has 753 channels;
- back-end: max and mean over time, interleaved per channel as TF flattens ``[753, 2]``
  (max_0, mean_0, max_1, ...), BatchNorm -> dropout 0.5 -> dense 200 + ReLU -> BatchNorm
  (this is musicnn's ``penultimate``) -> dropout 0.5 -> dense 50 (logits) -> sigmoid.

Every BatchNorm has TF's ``epsilon=0.001`` (``momentum=0.99`` in TF = 0.01 in torch).

Outputs of :meth:`Musicnn.forward`: ``tags`` (sigmoid probabilities of the checkpoint's tags),
``logits``, ``embedding`` = musicnn's ``penultimate`` (200-d, the batch-normalised hidden layer
the tag classifier reads: the compact, tag-level summary, used as this backbone's embedding),
``max_pool`` and ``mean_pool`` (753-d each, musicnn's features of the same names).

Front-end (:class:`MusicnnLogMel`): musicnn computes ``librosa.feature.melspectrogram(y, sr=16000,
hop_length=256, n_fft=512, n_mels=96)``, casts to float16 and takes ``log10(10000 x + 1)``. The
port uses torchaudio's ``MelSpectrogram`` with the same settings as that librosa call (periodic
Hann window, centred frames with reflect padding as in librosa < 0.10, power 2, Slaney mel scale
and Slaney area normalisation, 0-8000 Hz) and keeps the float16 rounding. Known differences:
float32 arithmetic and filter-bank construction (librosa builds it in float64), and resampling to
16 kHz by ``torchaudio.functional.resample`` instead of librosa's resampy ``kaiser_best``.

Without TensorFlow the port is validated by structure and behaviour, not against TF outputs.
Structure (tests/test_backbones.py): each of the 64 model tensors of the checkpoint maps to
exactly one torch parameter or buffer of the same size, and nothing is left over but the Adam
optimiser state (86 tensors). Behaviour, measured once during development on 60 real recordings
(25 classical and 25 rock Emotify excerpts, 10 DEAM clips; 650 patches): the activations that
reach every BatchNorm match the running statistics stored in the checkpoint (correlation of
per-channel means 0.999-1.000 in the front-end, 0.95-0.99 in the mid-end, 0.994 at the pooled
layer; the input BN sees mean/variance within 0.1 sd / 5% of its stored values, which checks the
log-mel scale), while controls break it (frequency axis flipped: 0.977 and 0.744 for the timbral
branches; max/mean concatenated instead of interleaved: -0.06 at the pooled layer). The mean
tags are 'classical', 'strings', 'violin' for the classical excerpts (top-1 'classical' on 16 of
25) and 'guitar', 'rock', 'pop' for the rock ones; a synthesised piano arpeggio gets 'piano'
(0.87), a kick/snare loop 'techno', 'electronic', 'beat', white noise 'fast', 'loud'.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torchaudio.functional import resample
from torchaudio.transforms import MelSpectrogram

from affectzoo.backbones.frozen import FrozenEncoder
from affectzoo.backbones.tf1_checkpoint import read_tf1_checkpoint
from affectzoo.errors import CheckpointError, InputError

PACKAGE = "musicnn"
PIP_COMMAND = "pip install --no-deps musicnn==0.1.0"

SAMPLE_RATE = 16_000
N_FFT = 512
HOP = 256
N_MELS = 96
#: Frames per patch: librosa.time_to_frames(3 s) + 1, what musicnn's extractor feeds the model.
PATCH_FRAMES = 187

#: The 50 MagnaTagATune tags in output order (``musicnn.configuration.MTT_LABELS``).
MTT_TAGS = (
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast", "piano",
    "ambient", "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male", "singing",
    "vocals", "no vocals", "harpsichord", "loud", "quiet", "flute", "woman", "male vocal", "no vocal",
    "pop", "soft", "sitar", "solo", "man", "classic", "choir", "voice", "new age", "dance",
    "male voice", "female vocal", "beats", "harp", "cello", "no voice", "weird", "country", "metal",
    "female voice", "choral",
)

#: The 50 Million Song Dataset (Last.fm) tags in output order (``musicnn.configuration.MSD_LABELS``).
MSD_TAGS = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s", "alternative rock",
    "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock", "soul", "indie rock", "Mellow",
    "electronica", "80s", "folk", "90s", "chill", "instrumental", "punk", "oldies", "blues", "hard rock", "ambient",
    "acoustic", "experimental", "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country", "easy listening",
    "sexy", "catchy", "funk", "electro", "heavy metal", "Progressive rock", "60s", "rnb", "indie pop", "sad",
    "House", "happy",
)
PRECISIONS = ("fp32", "bf16")
#: The ported checkpoints of the package and their tags.
CHECKPOINTS = {"MTT_musicnn": MTT_TAGS, "MSD_musicnn": MSD_TAGS}

_BN = {"gamma": "weight", "beta": "bias", "moving_mean": "running_mean", "moving_variance": "running_var"}
_OPTIMIZER_STATE = ("/Adam", "/Adam_1")
_OPTIMIZER_SCALARS = {"beta1_power", "beta2_power"}


class MusicnnLogMel(nn.Module):
    """Waveform ``[..., samples]`` at 16 kHz -> musicnn's log-mel ``[..., frames, 96]``."""

    def __init__(self):
        super().__init__()
        self.mel = MelSpectrogram(sample_rate=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS,
                                  f_min=0.0, f_max=SAMPLE_RATE / 2, power=2.0, center=True,
                                  pad_mode="reflect", norm="slaney", mel_scale="slaney")

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        power = self.mel(waveform.float())  # [..., 96, frames]
        power = power.to(torch.float16).float()  # musicnn stores the mel as float16 before the log
        return torch.log10(10000.0 * power + 1.0).transpose(-1, -2)


def _bn(channels: int, dims: int) -> nn.Module:
    norm = nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d
    return norm(channels, eps=1e-3, momentum=0.01)


class _FrontEndBranch(nn.Module):
    """conv -> ReLU -> BN -> max over frequency; ``pad`` = (time before, time after, freq before, after).

    Under bfloat16 autocast, in eval mode, a branch with a wide kernel (the timbral 7x38 and 7x67
    ones, most of musicnn's arithmetic) runs its convolution as a GEMM (:func:`single_channel_conv`)
    on the CPU's matrix units; for the narrow temporal kernels the unfolding costs more than it
    saves, and float32 always takes the direct convolution (so float32 outputs never change).
    """

    def __init__(self, filters: int, kernel: tuple[int, int], pad: tuple[int, int, int, int]):
        super().__init__()
        self.pad = pad
        self.conv = nn.Conv2d(1, filters, kernel)
        self.bn = _bn(filters, 2)

    @property
    def wide(self) -> bool:
        """A kernel wider than one frequency band (the timbral branches)."""
        return self.conv.kernel_size[1] > 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, 1, T, F] -> [B, filters, T]
        time_before, time_after, freq_before, freq_after = self.pad
        x = F.pad(x, (freq_before, freq_after, time_before, time_after))
        if self.wide and not self.bn.training and torch.is_autocast_enabled(x.device.type):
            return self._gemm_forward(x.to(torch.get_autocast_dtype(x.device.type)))
        return self.bn(F.relu(self.conv(x))).amax(dim=-1)

    def _gemm_forward(self, x: torch.Tensor) -> torch.Tensor:
        z = single_channel_conv(x, self.conv.weight.to(x.dtype), self.conv.bias.to(x.dtype))  # [B, T, F, filters]
        # BN in eval mode is a per-filter affine map and ReLU is monotonic, so the maximum over
        # frequency of BN(ReLU(z)) is BN(ReLU(max z)) for a positive scale and BN(ReLU(min z)) for
        # a negative one: reduce first, then map [B, T, filters] instead of every position.
        scale = self.bn.weight / torch.sqrt(self.bn.running_var + self.bn.eps)
        shift = self.bn.bias - self.bn.running_mean * scale
        extreme = torch.where(scale >= 0, z.amax(dim=2).float(), z.amin(dim=2).float())
        return (F.relu(extreme) * scale + shift).transpose(1, 2)


#: Elements of the unfolded windows (im2col) of one chunk of :func:`single_channel_conv`.
IM2COL_CHUNK = 1 << 24


def single_channel_conv(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``F.conv2d(x, weight, bias)`` for one input channel as one matrix product, channels last.

    musicnn's front-end convolutions read a single channel with large kernels (7x38, 7x67, 128x1,
    ...): most of musicnn's arithmetic. As a GEMM of the unfolded windows ``[positions, kh*kw] @
    [kh*kw, filters]`` the arithmetic runs near the matrix-multiply limit, and in bfloat16 on the
    CPU's matrix units (AMX) where it has them, several times faster than the direct convolution.
    The windows are unfolded a few patches at a time (:data:`IM2COL_CHUNK`) so that long batches
    do not need gigabytes. ``x`` is ``[B, 1, H, W]``; the result is ``[B, H', W', filters]``.
    """
    filters, _, kh, kw = weight.shape
    out_h, out_w = x.shape[2] - kh + 1, x.shape[3] - kw + 1
    matrix = weight.reshape(filters, kh * kw).t()
    step = max(1, IM2COL_CHUNK // max(out_h * out_w * kh * kw, 1))
    parts = []
    for start in range(0, x.shape[0], step):
        windows = x[start:start + step, 0].unfold(1, kh, 1).unfold(2, kw, 1).reshape(-1, kh * kw)
        parts.append(torch.addmm(bias, windows, matrix).view(-1, out_h, out_w, filters))
    return torch.cat(parts)


def _same(kernel: int) -> tuple[int, int]:
    """TF 'same' padding for stride 1: the extra pad of an even kernel goes after."""
    return (kernel - 1) // 2, kernel // 2


class Musicnn(FrozenEncoder):
    """A musicnn tagger in PyTorch: log-mel or 16-kHz audio -> 50 tag probabilities + embeddings.

    Build with :meth:`from_checkpoint` for a pretrained tagger (``"MTT_musicnn"`` or ``"MSD_musicnn"``). ``frozen`` (the default there)
    stops gradients and keeps the module in eval mode even under a parent's ``.train()``.
    ``cfg`` holds the front-end settings, the embedding size and where the weights came from.
    As a frozen encoder its features are :meth:`patch_features` of a clip's first
    ``clip_seconds`` (:attr:`preprocess`; the whole file when None), cached per file.
    """

    modality = "audio"
    encoder_side_keys = ("patches",)

    sample_rate = SAMPLE_RATE
    patch_frames = PATCH_FRAMES
    embedding_dim = 200

    def __init__(self, frozen: bool = False, clip_seconds: float | None = None, checkpoint: str = "MTT_musicnn",
                 patches: int | None = None, precision: str = "fp32"):
        super().__init__()
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        self.precision = precision
        if checkpoint not in CHECKPOINTS:
            raise ValueError(f"checkpoint must be one of {sorted(CHECKPOINTS)}, got {checkpoint!r}")
        self.tags = CHECKPOINTS[checkpoint]
        self.preprocess = {"sample_rate": SAMPLE_RATE, "clip_seconds": clip_seconds, "mono": True}
        if patches is not None:
            self.preprocess["patches"] = int(patches)
        self.logmel = MusicnnLogMel()
        self.input_bn = _bn(1, 2)
        timbral = [_FrontEndBranch(204, (7, int(frac * N_MELS)), (3, 3, 0, 0)) for frac in (0.4, 0.7)]
        temporal = [_FrontEndBranch(51, (k, 1), (*_same(k), 0, 0)) for k in (128, 64, 32)]
        self.frontend = nn.ModuleList(timbral + temporal)
        front_channels = 2 * 204 + 3 * 51
        self.midend_convs = nn.ModuleList([nn.Conv1d(front_channels, 64, 7, padding=3),
                                           nn.Conv1d(64, 64, 7, padding=3), nn.Conv1d(64, 64, 7, padding=3)])
        self.midend_bns = nn.ModuleList([_bn(64, 1) for _ in range(3)])
        pooled = 2 * (front_channels + 3 * 64)
        self.pool_bn = _bn(pooled, 1)
        self.dense = nn.Linear(pooled, self.embedding_dim)
        self.dense_bn = _bn(self.embedding_dim, 1)
        self.classifier = nn.Linear(self.embedding_dim, len(self.tags))
        self.dropout = nn.Dropout(0.5)
        self.cfg = {"name": checkpoint, "sample_rate": SAMPLE_RATE, "n_fft": N_FFT, "hop_length": HOP,
                    "n_mels": N_MELS, "patch_frames": PATCH_FRAMES, "embedding_dim": self.embedding_dim,
                    "embedding": "penultimate", "pretrained": False, "weights": "random init"}
        self.freeze(frozen)

    @classmethod
    def from_checkpoint(cls, prefix: str | Path | None = None, frozen: bool = True, clip_seconds: float | None = None,
                        checkpoint: str = "MTT_musicnn", patches: int | None = None,
                        precision: str = "fp32") -> "Musicnn":
        """The pretrained tagger ``checkpoint``; ``prefix`` defaults to the ``musicnn`` package's folder of it.

        ``clip_seconds`` and ``patches`` say what its features (:meth:`patch_features`) cover;
        ``precision="bf16"`` computes them under bfloat16 autocast (about twice as fast on CPUs with
        AVX512-BF16; the embedding moves by about 0.4 % of its norm).
        """
        prefix = musicnn_checkpoint_prefix(checkpoint) if prefix is None else str(prefix)
        model = cls(clip_seconds=clip_seconds, checkpoint=checkpoint, patches=patches, precision=precision)
        state = convert_musicnn_checkpoint(read_tf1_checkpoint(prefix), model, prefix)
        model.load_state_dict(state, strict=True)
        model.cfg.update(pretrained=True, weights=f"musicnn 0.1.0 {checkpoint} checkpoint ({prefix})")
        return model.freeze(frozen)

    def forward_mel(self, mel: torch.Tensor) -> dict[str, torch.Tensor]:
        """Log-mel patches ``[B, T, 96]`` (T >= 1; musicnn uses 187) -> outputs (see the module docstring)."""
        if mel.dim() != 3 or mel.shape[-1] != N_MELS or mel.shape[1] < 1:
            raise InputError("mel", f"expected log-mel patches [B, T, {N_MELS}], got {tuple(mel.shape)}")
        x = self.input_bn(mel.unsqueeze(1))  # [B, 1, T, 96]
        front = torch.cat([branch(x) for branch in self.frontend], dim=1)  # [B, 561, T]
        dense_parts = [front]
        h = front
        for index, (conv, bn) in enumerate(zip(self.midend_convs, self.midend_bns)):
            out = bn(F.relu(conv(h)))
            h = out if index == 0 else out + h
            dense_parts.append(h)
        features = torch.cat(dense_parts, dim=1)  # [B, 753, T]
        max_pool = features.amax(dim=-1)
        mean_pool = features.mean(dim=-1)
        pooled = torch.stack([max_pool, mean_pool], dim=-1).flatten(1)  # TF order: max_0, mean_0, ...
        hidden = self.dense_bn(F.relu(self.dense(self.dropout(self.pool_bn(pooled)))))
        logits = self.classifier(self.dropout(hidden))
        return {"tags": torch.sigmoid(logits), "logits": logits, "embedding": hidden,
                "max_pool": max_pool, "mean_pool": mean_pool}

    def forward(self, waveform: torch.Tensor) -> dict[str, torch.Tensor]:
        """Waveforms ``[B, samples]`` at 16 kHz, each read as one patch of any length (>= 1 frame)."""
        if waveform.dim() != 2 or waveform.shape[-1] < 1:
            raise InputError("waveform",
                             f"expected [B, samples] at {SAMPLE_RATE} Hz, got {tuple(waveform.shape)}")
        return self.forward_mel(self.logmel(waveform))

    @torch.no_grad()
    def taggram(self, waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
        """musicnn's ``extractor``: one mono clip -> tag probabilities ``[patches, 50]``.

        The clip is resampled to 16 kHz, its log-mel cut into consecutive non-overlapping
        187-frame patches (the remainder is dropped, as musicnn does); the mean over patches is
        musicnn's ``top_tags`` score.
        """
        if waveform.dim() != 1:
            raise InputError("waveform", f"expected one mono clip [samples], got {tuple(waveform.shape)}")
        if sample_rate != SAMPLE_RATE:
            waveform = resample(waveform.float(), sample_rate, SAMPLE_RATE)
        mel = self.logmel(waveform)
        patches = mel.shape[0] // PATCH_FRAMES
        if patches == 0:
            raise InputError("waveform", f"clip too short for one {PATCH_FRAMES}-frame patch (3 s): "
                                         f"{mel.shape[0]} frames")
        batch = mel[: patches * PATCH_FRAMES].reshape(patches, PATCH_FRAMES, N_MELS)
        return self.forward_mel(batch)["tags"]


    @torch.no_grad()
    def patch_features(self, waveform: torch.Tensor) -> torch.Tensor:
        """One mono 16-kHz clip -> ``[patches, 250]``: per 3-s patch, the 200-d ``embedding`` then the
        50 tag probabilities (the compact summary other models condition on).

        The patches are the clip's consecutive 3-s patches, or with ``preprocess["patches"] = n``
        the middle patch of each of n equal stretches of the clip (:func:`spread_patches`): n
        forward passes instead of all, for a cheaper summary of a long clip. A clip shorter than
        one patch is zero-padded to one; a trailing partial patch is dropped.
        """
        if waveform.dim() != 1:
            raise InputError("waveform", f"expected one mono clip [samples], got {tuple(waveform.shape)}")
        mel = self.logmel(waveform.float())
        count = max(1, mel.shape[0] // PATCH_FRAMES)
        mel = F.pad(mel, (0, 0, 0, max(0, PATCH_FRAMES - mel.shape[0])))
        patches = mel[: count * PATCH_FRAMES].reshape(count, PATCH_FRAMES, N_MELS)
        wanted = self.preprocess.get("patches")
        if wanted and wanted < count:
            patches = patches[spread_patches(count, wanted)]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            out = self.forward_mel(patches)
        return torch.cat([out["embedding"], out["tags"]], dim=-1).float()

    def feature_name(self) -> str:
        return "patches" if self.precision == "fp32" else f"patches-{self.precision}"

    def cached(self, path, augment: int | None = None, prepared=None) -> torch.Tensor:
        """As :meth:`FrozenEncoder.cached`; with a patch budget, the spread patches are taken from
        the cached features of all patches when those are there (each patch is encoded on its own,
        so the subset equals encoding only those patches)."""
        wanted = self.preprocess.get("patches")
        if wanted:
            full = self._all_patches_entry(path, augment)
            if full is not None:
                return full[spread_patches(len(full), wanted)] if wanted < len(full) else full
        return super().cached(path, augment, prepared)

    def _all_patches_entry(self, path, augment: int | None) -> torch.Tensor | None:
        from affectzoo.data.cache import FeatureCache

        preprocess = {k: v for k, v in self.preprocess.items() if k != "patches"}
        cfg = {**self.cache_cfg, "preprocess": dict(sorted(preprocess.items()))}
        if augment is not None:
            cfg["augment"] = int(augment)
        try:
            return FeatureCache(self.cache_namespace, keep_in_memory=True).lookup(path, cfg, str(self.cfg.get("name")))
        except InputError:
            return None

    def encode_batch(self, batch: torch.Tensor) -> torch.Tensor:
        """:meth:`patch_features` of each waveform of ``[B, T]`` -> ``[B, patches, 250]``."""
        return torch.stack([self.patch_features(wave.to(self.device)) for wave in batch])


FEATURE_DIM = Musicnn.embedding_dim + len(MTT_TAGS)


def spread_patches(count: int, wanted: int) -> torch.Tensor:
    """Indices of ``wanted`` of ``count`` consecutive patches: the middle one of each of ``wanted``
    equal stretches (one patch: the clip's middle; never only the intro and the outro)."""
    return ((torch.arange(wanted) + 0.5) * count / wanted).long().clamp(max=count - 1)


def musicnn_checkpoint_prefix(name: str = "MTT_musicnn") -> str:
    """The checkpoint prefix (``.../musicnn/<name>/``) inside the installed ``musicnn`` package."""
    try:
        package = importlib.import_module(PACKAGE)
    except ImportError as err:
        raise CheckpointError(PACKAGE, "package not installed; it carries the musicnn TF1 checkpoints",
                              PIP_COMMAND) from err
    folder = Path(package.__file__).parent / name
    if not (folder / ".index").is_file():
        raise CheckpointError(folder / ".index", f"checkpoint {name} missing from the {PACKAGE} package",
                              f"reinstall: {PIP_COMMAND}")
    return f"{folder}/"


def musicnn_tensor_map(model: Musicnn) -> dict[str, str]:
    """TF variable name -> torch state-dict key, for every model tensor of a musicnn checkpoint."""
    layers = [("batch_normalization", "input_bn")]
    for index in range(len(model.frontend)):
        suffix = f"_{index}" if index else ""
        layers += [(f"conv2d{suffix}", f"frontend.{index}.conv"),
                   (f"batch_normalization_{index + 1}", f"frontend.{index}.bn")]
    offset = len(model.frontend)
    for index in range(len(model.midend_convs)):
        layers += [(f"conv2d_{offset + index}", f"midend_convs.{index}"),
                   (f"batch_normalization_{offset + 1 + index}", f"midend_bns.{index}")]
    bn_next = offset + 1 + len(model.midend_convs)
    layers += [(f"batch_normalization_{bn_next}", "pool_bn"), ("dense", "dense"),
               (f"batch_normalization_{bn_next + 1}", "dense_bn"), ("dense_1", "classifier")]
    mapping = {}
    for tf_layer, torch_module in layers:
        if tf_layer.startswith("batch_normalization"):
            mapping.update({f"{tf_layer}/{tf}": f"{torch_module}.{pt}" for tf, pt in _BN.items()})
        else:
            mapping.update({f"{tf_layer}/kernel": f"{torch_module}.weight",
                            f"{tf_layer}/bias": f"{torch_module}.bias"})
    return mapping


def convert_musicnn_checkpoint(tensors: dict[str, np.ndarray], model: Musicnn,
                               source) -> dict[str, torch.Tensor]:
    """A strict-loadable state dict for ``model`` from the TF tensors of a musicnn checkpoint.

    Kernels are transposed to torch layouts: conv2d ``[kh, kw, in, out] -> [out, in, kh, kw]``;
    the mid-end convs, whose TF kernel ``[7, C, 1, 64]`` slides over time with the C features
    as width, become Conv1d ``[64, C, 7]``; dense ``[in, out] -> [out, in]``. A missing tensor, a
    shape mismatch or any tensor left over (besides Adam slots and ``beta1/2_power``) is a
    :class:`CheckpointError`.
    """
    target = model.state_dict()
    # constants that are not in the checkpoint: BN step counters and the mel front-end's buffers
    state = {key: value for key, value in target.items()
             if key.endswith("num_batches_tracked") or key.startswith("logmel.")}
    mapping = musicnn_tensor_map(model)
    for tf_name, torch_key in mapping.items():
        if tf_name not in tensors:
            raise CheckpointError(source, f"tensor {tf_name!r} missing: not a musicnn checkpoint")
        value = torch.from_numpy(np.ascontiguousarray(tensors[tf_name]))
        if value.dim() == 4 and target[torch_key].dim() == 3:
            value = value[:, :, 0, :].permute(2, 1, 0)
        elif value.dim() == 4:
            value = value.permute(3, 2, 0, 1)
        elif value.dim() == 2:
            value = value.t()
        if tuple(value.shape) != tuple(target[torch_key].shape):
            raise CheckpointError(source, f"tensor {tf_name!r} has shape {tuple(tensors[tf_name].shape)}, "
                                          f"which does not fit {torch_key} {tuple(target[torch_key].shape)}")
        state[torch_key] = value.contiguous().float()
    leftovers = sorted(name for name in tensors if name not in mapping and not _is_optimizer_state(name))
    if leftovers:
        raise CheckpointError(source, "unexpected tensors (not part of a musicnn tagger): " + ", ".join(leftovers[:5]))
    return state


def _is_optimizer_state(name: str) -> bool:
    return name in _OPTIMIZER_SCALARS or name.endswith(_OPTIMIZER_STATE)
