"""SampleCNN: the sample-level raw-waveform CNN of Lee et al. (SMC 2017; Applied Sciences 2018).

The 3^9 model reads 59,049 raw samples (3^10; 2.68 s at 22,050 Hz) and reduces time by 3 at every
layer until one frame is left:

    layer                                         channels   output length
    strided conv 3 (stride 3) + BN + ReLU              128          19,683
    block 1: conv 3 + BN + ReLU + max-pool 3           128           6,561
    block 2                                            128           2,187
    block 3                                            256             729
    block 4                                            256             243
    block 5                                            256              81
    block 6                                            256              27
    block 7                                            256               9
    block 8                                            256               3
    block 9                                            512               1

Block convolutions use 'same' padding (1 each side). Channel widths follow the authors' 3^9
configuration (``build_model19683frames_power3_input2678_ETE`` in jongpillee/sampleCNN: the
strided conv with 128 filters, then 128, 128, 256 x6, 512; the reimplementation
tae-jun/sample-cnn has the same widths). The paper's tagging head follows the blocks: a 1x1
conv with 512 filters + BN + ReLU, dropout 0.5 and a sigmoid dense layer (50 MagnaTagATune
tags); here ``num_classes=0`` removes it and the model returns the 512-d output of block 9 (the
ImageMusic music branch puts its own FC 512 -> 128 there). The head returns logits; apply the
sigmoid (or use a logits loss) outside.
Initialisation is He-uniform with zero biases as in the reference code (Keras ``he_uniform`` =
``kaiming_uniform_`` with ReLU gain).
"""

from __future__ import annotations

import torch
from torch import nn

from affectzoo.errors import InputError

#: Output channels of the strided conv followed by the nine blocks.
SAMPLECNN_CHANNELS = (128, 128, 128, 256, 256, 256, 256, 256, 256, 512)
SAMPLECNN_INPUT_SAMPLES = 59_049
SAMPLECNN_SAMPLE_RATE = 22_050


def _conv_bn_relu(in_channels: int, out_channels: int, kernel: int, stride: int, padding: int) -> list[nn.Module]:
    return [
        nn.Conv1d(in_channels, out_channels, kernel, stride=stride, padding=padding),
        nn.BatchNorm1d(out_channels),
        nn.ReLU(inplace=True),
    ]


class SampleCNN(nn.Module):
    """Raw waveform ``[B, 59049]`` (or ``[B, 1, 59049]``) -> ``[B, 512]`` features or ``[B, num_classes]`` logits.

    ``num_classes=0`` (the default) builds the backbone without the tagging head.
    ``embedding_dim`` is 512 either way; ``cfg`` holds the input settings and says the weights are
    a random initialisation.
    """

    embedding_dim = SAMPLECNN_CHANNELS[-1]
    input_samples = SAMPLECNN_INPUT_SAMPLES
    sample_rate = SAMPLECNN_SAMPLE_RATE

    def __init__(self, num_classes: int = 0, dropout: float = 0.5):
        super().__init__()
        first, *widths = SAMPLECNN_CHANNELS
        layers = _conv_bn_relu(1, first, 3, stride=3, padding=0)
        in_channels = first
        for width in widths:
            layers += _conv_bn_relu(in_channels, width, 3, stride=1, padding=1)
            layers.append(nn.MaxPool1d(3))
            in_channels = width
        self.features = nn.Sequential(*layers)
        self.num_classes = num_classes
        self.cfg = {"name": "samplecnn", "sample_rate": SAMPLECNN_SAMPLE_RATE,
                    "input_samples": SAMPLECNN_INPUT_SAMPLES, "embedding_dim": self.embedding_dim,
                    "num_classes": num_classes, "pretrained": False,
                    "weights": "random init (no pretrained SampleCNN exists offline; trained from scratch)"}
        self.head = None
        if num_classes:
            self.head = nn.Sequential(
                *_conv_bn_relu(in_channels, in_channels, 1, stride=1, padding=0),
                nn.Flatten(),
                nn.Dropout(dropout),
                nn.Linear(in_channels, num_classes),
            )
        for module in self.modules():
            if isinstance(module, (nn.Conv1d, nn.Linear)):
                nn.init.kaiming_uniform_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)

    def forward_features(self, waveform: torch.Tensor) -> torch.Tensor:
        """The feature map after block 9: ``[B, 512, 1]`` for a 59,049-sample input."""
        if waveform.dim() == 2:
            waveform = waveform.unsqueeze(1)
        if waveform.dim() != 3 or waveform.shape[1] != 1 or waveform.shape[-1] < SAMPLECNN_INPUT_SAMPLES:
            raise InputError("waveform", f"SampleCNN needs [B, {SAMPLECNN_INPUT_SAMPLES}] or "
                                         f"[B, 1, {SAMPLECNN_INPUT_SAMPLES}] samples, got {tuple(waveform.shape)}")
        return self.features(waveform)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        """``[B, 512]`` features (no head) or ``[B, num_classes]`` logits.

        Longer inputs than 59,049 samples leave several frames after block 9; they are
        max-pooled over time into one vector.
        """
        feats = self.forward_features(waveform)
        if self.head is None:
            return feats.amax(dim=-1)
        return self.head(feats.amax(dim=-1, keepdim=True))
