"""Adapters to encoders whose weights exist offline, shared by the models of the zoo.

- :func:`timm_image_encoder`: any timm image architecture by name as a frozen feature extractor;
  ImageNet weights where a package carries them (EfficientNet-Lite0/1/2), otherwise random init and
  ``cfg["pretrained"] = False``. :func:`efficientnet_lite0` is the packaged-weights shortcut.
- :class:`SampleCNN`: the 3^9 raw-waveform CNN of Lee et al. (59,049 samples at 22,050 Hz ->
  512-d), trained from scratch.
- :class:`Musicnn`: a PyTorch port of musicnn's MagnaTagATune tagger, loaded from the TF1
  checkpoint in the ``musicnn`` package by :func:`read_tf1_checkpoint` (no TensorFlow).

Every pretrained encoder is a :class:`FrozenEncoder`: it carries a ``cfg`` dict (output size,
where its weights came from), its ``preprocess`` and its feature cache (``encoder.cached(path)``). Missing weight packages raise :class:`~affectzoo.errors.CheckpointError`
with the pip command that installs them.
"""

from affectzoo.backbones.efficientnet_lite import LITE_NAMES, lite_state_dict, lite_weights_path
from affectzoo.backbones.frozen import FrozenEncoder
from affectzoo.backbones.musicnn import (FEATURE_DIM as MUSICNN_FEATURE_DIM, MTT_TAGS, MusicnnLogMel, Musicnn,
                                         musicnn_checkpoint_prefix)
from affectzoo.backbones.samplecnn import SampleCNN
from affectzoo.backbones.tf1_checkpoint import TensorEntry, read_tf1_checkpoint, read_tf1_index
from affectzoo.backbones.timm_image import (PAPER_IMAGE_BACKBONES, ImageEncoder, efficientnet_lite0,
                                            timm_image_encoder)

__all__ = [
    "MTT_TAGS",
    "MUSICNN_FEATURE_DIM",
    "PAPER_IMAGE_BACKBONES",
    "FrozenEncoder",
    "ImageEncoder",
    "MusicnnLogMel",
    "Musicnn",
    "SampleCNN",
    "TensorEntry",
    "efficientnet_lite0",
    "LITE_NAMES",
    "lite_state_dict",
    "lite_weights_path",
    "musicnn_checkpoint_prefix",
    "read_tf1_checkpoint",
    "read_tf1_index",
    "timm_image_encoder",
]
