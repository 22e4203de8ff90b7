"""Music2Palette's frame features (Hu et al., MM 2025, section 6.1): 539 numbers per frame, time-aligned.

Per STFT frame of a mono 22.05-kHz clip (n_fft 2048, hop 512, centred frames, librosa as the
reference implementation):

=========================  ====  =====================================================================
feature                    dims  how
=========================  ====  =====================================================================
mel spectrogram             128  power mel bands in dB (absolute, ref 1.0, so loudness stays)
chroma                       12  ``chroma_stft`` of the power spectrogram
spectral contrast             7  ``spectral_contrast`` of the magnitude spectrogram
tonnetz                       6  ``tonnetz`` of that chroma (not of a CQT chroma: same frames, faster)
tempogram (rhythm)          384  autocorrelation tempogram of the onset strength (384-frame window)
RMS                           1  frame RMS in dB
pitch                         1  YIN f0 (65 Hz - 2.1 kHz) as a MIDI note number
=========================  ====  =====================================================================

Pitch uses YIN rather than pYIN (seconds per clip) or a neural tracker: it is the one that keeps
the whole extraction of a 30-s clip well under half a second on one core
(``benchmarks/palette_features.py`` measures it against pYIN). The features are stored in the
feature cache as float16 ``[T, 539]`` (T = 1 + samples // 512); Music2Palette standardises them
with statistics of its training split.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from affectzoo.backbones.frozen import FrozenEncoder

SAMPLE_RATE, N_FFT, HOP = 22050, 2048, 512
TEMPOGRAM_WINDOW = 384
GROUPS = (("mel", 128), ("chroma", 12), ("contrast", 7), ("tonnetz", 6), ("tempogram", TEMPOGRAM_WINDOW),
          ("rms", 1), ("pitch", 1))
FEATURE_DIM = sum(width for _, width in GROUPS)  # 539
PITCH_RANGE_HZ = (65.0, 2093.0)


def frame_features(wave: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The 539 features of every frame of a mono waveform: ``[T, 539]`` float32 (see the module docstring)."""
    import librosa

    wave = np.asarray(wave, dtype=np.float32)
    if len(wave) < N_FFT:
        wave = np.pad(wave, (0, N_FFT - len(wave)))
    magnitude = np.abs(librosa.stft(wave, n_fft=N_FFT, hop_length=HOP))
    power = magnitude ** 2
    mel_db = librosa.power_to_db(librosa.feature.melspectrogram(S=power, sr=sample_rate, n_mels=128), ref=1.0)
    chroma = librosa.feature.chroma_stft(S=power, sr=sample_rate)
    contrast = librosa.feature.spectral_contrast(S=magnitude, sr=sample_rate)
    tonnetz = librosa.feature.tonnetz(chroma=chroma, sr=sample_rate)
    onset = librosa.onset.onset_strength(S=mel_db, sr=sample_rate)
    tempogram = librosa.feature.tempogram(onset_envelope=onset, sr=sample_rate, hop_length=HOP,
                                          win_length=TEMPOGRAM_WINDOW)
    rms_db = librosa.amplitude_to_db(librosa.feature.rms(S=magnitude), ref=1.0)
    f0 = librosa.yin(wave, fmin=PITCH_RANGE_HZ[0], fmax=PITCH_RANGE_HZ[1], sr=sample_rate, frame_length=N_FFT,
                     hop_length=HOP)
    pitch = librosa.hz_to_midi(f0)[None]
    frames = magnitude.shape[1]
    parts = [mel_db, chroma, contrast, tonnetz, tempogram, rms_db, pitch]
    return np.concatenate([p[:, :frames] for p in parts], axis=0).T.astype(np.float32)


class PaletteFeatures(FrozenEncoder):
    """Mono 22.05-kHz waveforms ``[B, N]`` -> frame features ``[B, T, 539]`` (float16; nothing is learned)."""

    modality = "audio"

    def __init__(self, clip_seconds: float | None = 30.0) -> None:
        super().__init__()
        self.cfg = {"name": "music2palette-features", "weights": "none (librosa features)",
                    "groups": [list(group) for group in GROUPS]}
        self.preprocess = {"sample_rate": SAMPLE_RATE, "clip_seconds": clip_seconds, "mono": True}
        self.num_features = FEATURE_DIM
        self.freeze()

    def feature_name(self) -> str:
        return "frames-v1"

    def encode_batch(self, batch: Tensor) -> Tensor:
        rows = [torch.from_numpy(frame_features(wave.float().cpu().numpy())) for wave in batch]
        return torch.stack(rows).to(torch.float16)
