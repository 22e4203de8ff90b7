"""ImageMusic's trainable network as a plain ``nn.Module`` (no Lightning), and its waveform cropping.

Image FC (pooled backbone features -> 256, ReLU); music branch (SampleCNN without its head, or an
FC 250 -> 512 over frozen musicnn patch features, in SampleCNN's place) then FC 512 -> 128, ReLU;
fusion by concatenation (384) -> FC 128, ReLU; two linear heads with a sigmoid: image (valence,
arousal) and music (valence, arousal), four outputs in [0, 1].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from affectzoo.affect.similarity import affect_similarity
from affectzoo.backbones.musicnn import FEATURE_DIM as MUSICNN_FEATURES
from affectzoo.backbones.samplecnn import SAMPLECNN_INPUT_SAMPLES, SampleCNN

IMAGE_WIDTH, MUSIC_WIDTH, FUSED_WIDTH = 256, 128, 128


class ImageMusicNet(nn.Module):
    """The trainable part: image FC, music branch, fusion and the two sigmoid heads."""

    def __init__(self, image_features: int, music_branch: str) -> None:
        super().__init__()
        self.image_fc = nn.Sequential(nn.Linear(image_features, IMAGE_WIDTH), nn.ReLU())
        if music_branch == "samplecnn":
            self.music_encoder = SampleCNN()
        else:  # musicnn patch features -> the 512-d vector SampleCNN would give
            self.music_encoder = nn.Sequential(nn.Linear(MUSICNN_FEATURES, SampleCNN.embedding_dim), nn.ReLU())
        self.music_fc = nn.Sequential(nn.Linear(SampleCNN.embedding_dim, MUSIC_WIDTH), nn.ReLU())
        self.fusion = nn.Sequential(nn.Linear(IMAGE_WIDTH + MUSIC_WIDTH, FUSED_WIDTH), nn.ReLU())
        self.image_head = nn.Linear(FUSED_WIDTH, 2)
        self.music_head = nn.Linear(FUSED_WIDTH, 2)

    def encode_image(self, features: Tensor) -> Tensor:
        """Pooled backbone features ``[B, C]`` -> image vectors ``[B, 256]``."""
        return self.image_fc(features)

    def encode_music(self, music: Tensor) -> Tensor:
        """Waveform crops ``[B, 59049]`` (SampleCNN) or patch features ``[B, 250]`` -> ``[B, 128]``."""
        return self.music_fc(self.music_encoder(music))

    def head(self, image: Tensor, music: Tensor) -> Tensor:
        """Image ``[..., 256]`` and music ``[..., 128]`` vectors -> ``[..., 4]`` in [0, 1] (image V, A, music V, A)."""
        fused = self.fusion(torch.cat([image, music], dim=-1))
        return torch.sigmoid(torch.cat([self.image_head(fused), self.music_head(fused)], dim=-1))


def predicted_similarity(outputs: Tensor) -> Tensor:
    """IMUSE score of predicted V/A ``[..., 4]`` on [0, 1] (:func:`~affectzoo.affect.similarity.affect_similarity`):
    a pair's predicted similarity."""
    va = outputs * 2.0 - 1.0
    return affect_similarity(va[..., :2], va[..., 2:])


def waveform_patches(waves: Tensor, lengths: Tensor | None, training: bool) -> tuple[Tensor, Tensor]:
    """SampleCNN inputs of waveforms ``[B, T]``: ``([B, 1, 59049]`` random crops, ones) in training,
    else (consecutive segments ``[B, S, 59049]``, valid segments per clip ``[B]``)."""
    size = SAMPLECNN_INPUT_SAMPLES
    if waves.shape[1] < size:
        waves = F.pad(waves, (0, size - waves.shape[1]))
    lengths = (lengths.to(waves.device) if lengths is not None
               else torch.full((len(waves),), waves.shape[1], device=waves.device)).clamp(min=size)
    if training:
        starts = (torch.rand(len(waves), device=waves.device) * (lengths - size + 1)).long()
        crops = torch.stack([wave[start:start + size] for wave, start in zip(waves, starts.tolist())])
        return crops[:, None], torch.ones_like(lengths)
    count = waves.shape[1] // size
    return waves[:, :count * size].unflatten(1, (count, size)), (lengths // size).clamp(min=1)
