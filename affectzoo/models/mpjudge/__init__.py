"""MPJudge (Jiang et al., AAAI 2026): does a painting perceptually match the music that induced it?

A music-conditioned Vision Transformer scores a (painting, music) pair in [0, 1]. Four registered
architectures, one LightningModule (:class:`MPJudge`):

``mpjudge`` (paper configuration)
    Music encoder (:class:`MelEncoder`): the log-mel spectrogram (16 kHz, n_fft 1024, hop 512, 128
    mels; 15 s -> 469 x 128) as a one-channel image through four blocks Conv2d(k=3, stride 2,
    padding 1) -> BatchNorm2d -> SiLU with 64, 128, 256, 512 channels. Each block halves time and
    frequency (469 x 128 -> 30 x 8), so the feature map [512, 30, 8] becomes 240 tokens, projected
    linearly to the model width d; their mean is the music vector ``y`` [B, d]. The paper gives the
    block types but not kernel, stride or channels: kernel 3 (the smallest odd, centred kernel) with
    stride 2 and the reference code's channel widths are our choice.
    Painting encoder (:class:`PaintingEncoder`): 256 x 256 RGB, patch 16 (256 tokens), 12 pre-norm
    Transformer blocks, 8 heads, width 512, learned position embedding, mean pooling, final
    LayerNorm, Linear head and a sigmoid. With ``fusion="man"`` every block applies
    ``MAN(x, y)`` (:mod:`affectzoo.layers.man`) right after its self-attention residual, as the
    paper describes (the MAN output replaces the token stream; the MLP residual follows).
    ``fusion`` makes the ablations of the paper's Table 3 variants of one model: ``"none"``
    (painting-only baseline, no music encoder), ``"concat"`` (pooled painting and music vectors
    concatenated before the head), ``"cross_attention"`` (after each self-attention, a residual
    cross-attention from image tokens to the music tokens) and ``"man"``.

``mpjudge_small``
    The same model at a CPU-trainable shape (128 px, width 192, depth 4, 3 heads, music channels
    32-192): ~2.5 M parameters and under 1 GFLOP per pair. No weights yet.

``mpjudge_lite0`` (tag ``open_pairs``: CPU training on open data; no weights yet)
    The paper design with the painting ViT's patch pixels replaced by ImageNet features. The frozen,
    pretrained EfficientNet-Lite0 (:func:`affectzoo.backbones.efficientnet_lite0`: no gradient,
    always in eval mode, so its BatchNorm statistics never move) turns a 192 x 192 painting into its
    last feature map [1280, 6, 6]: 36 tokens, one per 32 x 32 px cell. ``patch_embed`` (Linear
    1280 -> 128) plus a learned position embedding feed 3 trainable :class:`PaintingBlock` s (4
    heads, MLP 4x) with the chosen fusion, then mean pooling, LayerNorm, head and sigmoid as above.
    Music: :class:`MelEncoder` with 16, 32, 64, 128 channels after a (4, 2) average pooling of the
    mel (469 x 128 -> 117 x 64 -> 8 x 4 = 32 tokens). 0.98 M trainable parameters, 4.35 M with the
    backbone. The backbone is :attr:`MPJudge.backbone`, outside :attr:`MPJudge.net`: the optimiser
    and the DPO reference copy never hold it, and the state dict holds it once (``backbone.model.*``,
    13 MB), saved and loaded strictly with the rest.
    Measured costs (FLOPs, step times, the choice of 192 px and (4, 2) mel pooling) are in
    docs/mpjudge.md.

``mpjudge_official``
    Exactly the authors' public code (``model_adain.py``: ``MyModel`` + ``Music``), which differs
    from the paper; see :class:`OfficialPaintingEncoder` and :class:`OfficialMusicEncoder`. Its
    music input is the mel spectrogram rendered as a 3-channel 256 x 256 image normalised with
    mean = std = 0.5, and its forward returns the raw head output (no sigmoid; the reference code
    regresses scores in [0, 1] with an L1 loss). :func:`convert_official_state_dict` and
    :func:`load_official_checkpoint` load the reference code's two saved files.

Files: ``torch_model.py`` (the paper's networks), ``official.py`` (the reference code's networks and
the converter for its weights), ``lightning_model.py`` (:class:`MPJudge`: checks, training, metrics;
batch format), ``inference.py`` (``score``, ``rank``, modulation maps), ``explain.py`` (the
``--explain`` picture), ``cfgs.py`` (the registered architectures). MPJudge offers the
``pair-scorer`` task.
"""

from affectzoo.models.mpjudge.lightning_model import (FUSIONS, LITE0_STRIDE, PAPER, QUERY_MODALITIES, VARIANTS,
                                                      MPJudge)
from affectzoo.models.mpjudge.official import convert_official_state_dict, load_official_checkpoint
from affectzoo.models.mpjudge.torch_model import (FeatureMusicEncoder, MelEncoder, MPJudgeNet, PaintingBlock,
                                                  PaintingEncoder)

__all__ = ["FUSIONS", "LITE0_STRIDE", "PAPER", "QUERY_MODALITIES", "VARIANTS", "FeatureMusicEncoder", "MPJudge",
           "MPJudgeNet", "MelEncoder", "PaintingBlock", "PaintingEncoder", "convert_official_state_dict",
           "load_official_checkpoint"]
