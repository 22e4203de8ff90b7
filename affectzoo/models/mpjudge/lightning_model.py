"""MPJudge (Jiang et al., AAAI 2026) as a LightningModule: construction, input checks, training, metrics.

Batch format (what a DataModule yields; every tensor already prepared as the model's
``preprocess`` says)::

    {
      "image": [B, 3, S, S]  paintings, normalised with the cfg's mean / std,
      "image_tokens": [B, N, C]  lite0 only, instead of "image" (wins if both are given): the frozen
                             backbone's tokens of the paintings (``model.backbone.cached(path)``),
      "mel":   [B, T, n_mels] or [B, 1, T, n_mels] log-mel (official: [B, 3, H, W] spectrogram image),
      "music_features": [B, P, 250]  musicnn encoder, instead of "mel": the frozen encoder's patch features,
      "score": [B]           perceptual-coherence score of each pair, in [0, 1],
      "image_valence", ... (PAIR_VA_LABELS)  optional, each side's own V/A for the auxiliary heads,
      "image_prior_va", "music_prior_va": [B, 2]  with ``prior_model`` only: the frozen V/A predictor's
                             V/A of each side (``prior_va=True`` DataModules; ``model.va_prior.of(paths)``),
      "pref": {              optional, P preference samples (ambiguous pairs), both directions:
        "image_pos": [P, 3, S, S], "mel_pos": [P, ...],   the preferred pair
        "image_neg": [P, 3, S, S], "mel_neg": [P, ...],   the rejected pair
        (lite0: "image_tokens_pos" / "image_tokens_neg" [P, N, C] instead of image_pos / image_neg)
        (prior_model: "image_prior_va_pos", "image_prior_va_neg", "music_prior_va_pos", "music_prior_va_neg")
        "query_modality": P strings, "music" (one clip, two paintings: mel_pos == mel_neg) or
                          "image" (one painting, two clips: image_pos == image_neg),
      },
    }

All music inputs of one batch share one length T. Either part may be missing: a batch of only
scored pairs trains regression; one of only preferences trains DPO.

Training: ``loss = lambda_reg * MSE(f(x, y), score) + lambda_dpo * DPO (+ lambda_va * V/A MSE)``
(defaults 1, 0.5 and 1) with the DPO of :mod:`affectzoo.losses.dpo` on the preference samples,
against a frozen reference model: a copy of the model taken at the first preference batch (kept in
Lightning checkpoints, so a resumed run keeps its reference) or, with ``reference_checkpoint``, a
loaded MPJudge. ``f`` is the model's output (the sigmoid score; the official variant's raw head
output). ``use_dpo=False`` or ``lambda_dpo=0`` is the "w/o DPO" variant. The reference runs in
eval mode (BatchNorm running statistics) while the model trains in train mode, so the first DPO
step costs exactly ``log 2`` only for a model without BatchNorm. ``dpo_beta`` defaults to 1 (the
paper does not state its value; with scores in [0, 1] a beta of 1 gives DPO gradients of the
order of the MSE ones). Optimiser: Adam, lr 1e-5, weight decay 0.05 (paper; configurable).

Metrics (torchmetrics collections, logged per epoch as ``val/...`` and ``test/...``): ``srcc``,
``plcc``, ``mae`` and ``acc`` on scored pairs (ACC: prediction and target on the same side of
``acc_threshold``, 0.5); on preference samples ``pref_acc`` (share with f(pos) > f(neg); ties
count as wrong), also split by query modality (``pref_acc_music_query``, ``pref_acc_image_query``).
"""

from __future__ import annotations

import copy
from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics import MeanMetric, MetricCollection

from affectzoo.affect.scales import PAIR_VA_LABELS
from affectzoo.backbones.musicnn import FEATURE_DIM as MUSICNN_FEATURE_DIM
from affectzoo.backbones.musicnn import Musicnn
from affectzoo.backbones.timm_image import efficientnet_lite0
from affectzoo.errors import InputError
from affectzoo.losses.dpo import dpo_loss
from affectzoo.metrics import MAE, PLCC, SRCC, ThresholdAccuracy
from affectzoo.models.base import ZooModule
from affectzoo.models.mpjudge.inference import MPJudgeInference
from affectzoo.models.mpjudge.torch_model import MPJudgeNet
from affectzoo.models.va_prior import composition_score, frozen_prior

FUSIONS = ("none", "concat", "cross_attention", "man")
VARIANTS = ("paper", "official", "lite0")
MUSIC_ENCODERS = ("mel", "musicnn")
QUERY_MODALITIES = ("music", "image")
#: Batch keys of the frozen V/A prior's predictions (``prior_model``), painting side then music side.
PRIOR_KEYS = ("image_prior_va", "music_prior_va")
#: Total stride of EfficientNet-Lite0: one token per 32 x 32 px cell of the painting.
LITE0_STRIDE = 32
#: The paper's music input: the first 15 s of a clip.
CLIP_SECONDS = 15.0
#: Batch key of paintings -> key of their precomputed backbone tokens (lite0), which wins when both are given.
TOKEN_KEYS = {"image": "image_tokens", "image_pos": "image_tokens_pos", "image_neg": "image_tokens_neg"}
PAPER = ('Jiang et al., "MPJudge: Towards Perceptual Assessment of Music-Induced Paintings", AAAI 2026 '
         "(arXiv:2511.07137); reference code github.com/Erinqi/MPJudge")
#: The paper's mel front-end: 16 kHz, n_fft 1024, hop 512, 128 bands, log (15 s -> 469 x 128).
MEL_PREPROCESS = {"sample_rate": 16000, "clip_seconds": CLIP_SECONDS, "mono": True, "n_fft": 1024, "hop_length": 512,
                  "n_mels": 128, "scale": "log", "center": True}


class MPJudge(MPJudgeInference, ZooModule):
    """MPJudge scorer, trainer and explainer (see the module docstring for the batch format).

    Architecture args: ``variant`` (one of :data:`VARIANTS`), ``image_size``, ``patch_size`` (lite0:
    the backbone's stride, 32), ``width``, ``depth``, ``heads``, ``mlp_ratio``, ``fusion`` (one of
    :data:`FUSIONS`; the official variant has only ``"man"``, its AdaIN), ``n_mels`` (checked on
    input), ``music_channels``, ``music_kernel`` and ``music_pool`` (paper music encoder; ``music_pool``
    is the (time, frequency) average pooling of the mel before the first conv). The official variant
    ignores ``mlp_ratio``, ``n_mels``, ``music_channels``, ``music_kernel`` and ``music_pool`` (its
    shapes are fixed by the reference code).

    The lite0 variant also holds :attr:`backbone`, the frozen ImageNet EfficientNet-Lite0: outside
    :attr:`net`, so the optimiser and the DPO reference copy never see it, and once in
    ``state_dict()`` (``backbone.model.*``), so checkpoints carry it and load it strictly.

    ``music_encoder="musicnn"`` (not for the official variant) replaces the mel encoder by a small
    MLP over the frozen musicnn MagnaTagATune tagger's per-patch features (:attr:`music_backbone`,
    held like the lite0 backbone; inputs are then ``[B, P, 250]`` features, or audio it encodes).
    ``va_heads=True`` adds two linear heads predicting each side's own valence/arousal (image: mean
    patch embedding; music: ``y``), trained with ``lambda_va`` x MSE when the batch has
    :data:`~affectzoo.affect.scales.PAIR_VA_LABELS`: deep supervision that tells the encoders which direction in their
    features carries emotion when the pair scores alone are too few to find it. ``va_prior=True``
    (needs ``va_heads``) adds ``prior_weight`` (learned, starts at 1) x the logit of those heads'
    emotion-distance score (:func:`~affectzoo.affect.similarity.affect_similarity`) to the head's logit: the MAN network then learns a
    correction to an emotion-distance prior instead of the whole score.

    ``prior_model`` (a zoo ``va-predictor`` name, e.g. ``"imagemusic"``) adds a frozen prior from
    outside: the V/A-distance composition of that model's predicted V/A of the painting and the
    music (:func:`~affectzoo.models.va_prior.composition_score`), whose logit, times
    ``composition_weight`` (learned, starts at 1), is added to the head's logit. A list of K names
    adds K compositions, each with its own weight (starting at 1/K: the mean of their logits), and
    every V/A input is then ``[.., K, 2]``. The predictor is
    :attr:`va_prior` (:class:`~affectzoo.models.va_prior.FrozenVAPrior`: loaded on first use, its
    per-file V/A cached like the backbones' features); it is not part of this model's weights, so a
    checkpoint names it and loads it from the zoo. Media inputs get their V/A from it; prepared
    tensors need ``image_va`` / ``music_va`` given (training batches carry them, see above).

    Training args: ``lr``, ``weight_decay`` (Adam), ``lambda_reg``, ``lambda_dpo``, ``use_dpo``,
    ``dpo_beta``, ``reference_checkpoint`` (a saved MPJudge of the same variant to use as the DPO
    reference instead of a copy of this model), ``lambda_va`` and ``acc_threshold`` (of the ACC metric).
    """

    tasks = ("pair-scorer",)
    static_int8_modules = ("net.music", "net.painting")  # the judge network; frozen encoders stay as in "int8"

    def __init__(self, variant: str = "paper", image_size: int = 256, patch_size: int = 16, width: int = 512,
                 depth: int = 12, heads: int = 8, mlp_ratio: float = 4.0, fusion: str = "man", n_mels: int = 128,
                 music_channels: tuple[int, ...] = (64, 128, 256, 512), music_kernel: int = 3,
                 music_pool: tuple[int, int] = (1, 1), music_encoder: str = "mel", va_heads: bool = False,
                 va_prior: bool = False, prior_model: str | list[str] | None = None,
                 lr: float = 1e-5, weight_decay: float = 0.05, lambda_reg: float = 1.0, lambda_dpo: float = 0.5,
                 use_dpo: bool = True, dpo_beta: float = 1.0, reference_checkpoint: str | None = None,
                 lambda_va: float = 1.0, acc_threshold: float = 0.5) -> None:
        super().__init__()
        self.save_hyperparameters()
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}, got {fusion!r}")
        if variant == "official" and fusion != "man":
            raise ValueError("the official variant fuses music only by its AdaIN: use fusion='man'")
        if variant == "lite0" and patch_size != LITE0_STRIDE:
            raise ValueError(f"the lite0 variant's patches are the {LITE0_STRIDE}-px cells of its backbone's "
                             f"feature map: use patch_size={LITE0_STRIDE}")
        if image_size % patch_size:
            raise ValueError(f"image_size {image_size} is not a multiple of patch_size {patch_size}")
        if width % heads:
            raise ValueError(f"width {width} is not divisible by heads {heads}")
        if not music_channels:
            raise ValueError("music_channels needs at least one conv block")
        if len(music_pool) != 2 or min(music_pool) < 1:
            raise ValueError(f"music_pool must be two positive integers (time, frequency), got {music_pool!r}")
        if music_encoder not in MUSIC_ENCODERS:
            raise ValueError(f"music_encoder must be one of {MUSIC_ENCODERS}, got {music_encoder!r}")
        if variant == "official" and (music_encoder != "mel" or va_heads):
            raise ValueError("the official variant has its own music encoder and no V/A heads")
        if va_prior and not va_heads:
            raise ValueError("va_prior reads the auxiliary V/A heads: set va_heads=True")
        self.backbone = efficientnet_lite0(pooled=False, image_size=image_size) if variant == "lite0" else None
        self.music_backbone = (Musicnn.from_checkpoint(frozen=True, clip_seconds=CLIP_SECONDS)
                               if music_encoder == "musicnn" else None)
        if prior_model is not None and variant == "official":
            raise ValueError("the official variant has no prior: prior_model needs the paper or lite0 variant")
        self.va_prior = frozen_prior(prior_model)
        self.net = MPJudgeNet(variant, image_size, patch_size, width, depth, heads, mlp_ratio, fusion,
                              tuple(music_channels), music_kernel, tuple(music_pool),
                              None if self.backbone is None else self.backbone.num_features,
                              MUSICNN_FEATURE_DIM if music_encoder == "musicnn" else None, va_heads, va_prior,
                              composition_prior=None if self.va_prior is None else self.va_prior.shape[:-1])
        scored = MetricCollection({"srcc": SRCC(), "plcc": PLCC(), "mae": MAE(),
                                   "acc": ThresholdAccuracy(acc_threshold)})
        preference = MetricCollection({"pref_acc": MeanMetric(), "pref_acc_music_query": MeanMetric(),
                                       "pref_acc_image_query": MeanMetric()}, compute_groups=False)
        self.val_metrics, self.test_metrics = scored.clone(prefix="val/"), scored.clone(prefix="test/")
        self.val_pref_metrics, self.test_pref_metrics = preference.clone(prefix="val/"), preference.clone(prefix="test/")
        # the frozen DPO reference is not a submodule: no optimiser, no state_dict, no device moves
        object.__setattr__(self, "_reference", None)

    # ------------------------------------------------------------------------------ inputs

    @property
    def grid(self) -> int:
        """Patches per side of the painting (lite0: cells per side of the backbone's feature map)."""
        return self.hparams.image_size // self.hparams.patch_size

    def _require_backbone(self, what: str):
        if self.backbone is None:
            raise ValueError(f"{what} needs the lite0 variant's backbone; this model is {self.hparams.variant!r}")
        return self.backbone

    @property
    def token_shape(self) -> tuple[int, int]:
        """Shape ``(N, C)`` of one painting's backbone tokens (lite0 only)."""
        return self.grid ** 2, self._require_backbone("token_shape").num_features

    @property
    def has_modulation(self) -> bool:
        """True when the model fuses by MAN/AdaIN, i.e. has modulation maps."""
        return self.hparams.fusion == "man"

    def _check_image(self, image, name: str = "image") -> Tensor:
        size = self.hparams.image_size
        if not isinstance(image, Tensor) or image.ndim != 4 or tuple(image.shape[1:]) != (3, size, size):
            got = tuple(image.shape) if isinstance(image, Tensor) else type(image).__name__
            raise InputError(name, f"expected paintings as a tensor [B, 3, {size}, {size}], got {got}")
        return image

    def _are_tokens(self, paintings) -> bool:
        return (self.backbone is not None and isinstance(paintings, Tensor) and paintings.ndim == 3
                and tuple(paintings.shape[1:]) == self.token_shape)

    def _check_paintings(self, paintings, name: str = "image") -> Tensor:
        """Paintings as pixels ``[B, 3, S, S]`` or, for the lite0 variant, as backbone tokens ``[B, N, C]``."""
        if self._are_tokens(paintings):
            return paintings
        if self.backbone is None or isinstance(paintings, Tensor) and paintings.ndim == 4:
            return self._check_image(paintings, name)
        size, (n, c) = self.hparams.image_size, self.token_shape
        got = tuple(paintings.shape) if isinstance(paintings, Tensor) else type(paintings).__name__
        raise InputError(name, f"expected paintings as a tensor [B, 3, {size}, {size}] or backbone tokens "
                               f"[B, {n}, {c}], got {got}")

    def _painting_batch(self, paintings, name: str = "images") -> Tensor:
        """Like :meth:`_check_paintings`, also accepting one painting (``[3, S, S]``; lite0 tokens ``[N, C]``)."""
        if isinstance(paintings, Tensor) and (paintings.ndim == 3 and not self._are_tokens(paintings)
                                              or paintings.ndim == 2 and self.backbone is not None):
            paintings = paintings.unsqueeze(0)
        return self._check_paintings(paintings, name)

    def _encode_paintings(self, paintings: Tensor) -> Tensor:
        """What the network reads from checked paintings: the pixels, or (lite0) their backbone tokens."""
        return self.image_tokens(paintings) if self.backbone is not None and paintings.ndim == 4 else paintings

    def image_tokens(self, images: Tensor) -> Tensor:
        """The frozen backbone's tokens ``[B, N, C]`` of paintings ``[B, 3, S, S]`` (lite0; no gradient).

        Token ``i * grid + j`` is the feature vector of the painting's cell (row i, column j). A data
        pipeline computes them once per painting file (``model.backbone.cached(path)``) and passes them
        as ``image_tokens``; they are returned on the model's device.
        """
        backbone = self._require_backbone("image_tokens")
        return backbone.encode_batch(self._check_image(images, "images").to(self.device))

    def frozen_encoders(self) -> dict:
        """The frozen pretrained encoders whose cached features a DataModule may feed instead of media."""
        encoders = {"image": self.backbone, "audio": self.music_backbone, "va": self.va_prior}
        return {kind: encoder for kind, encoder in encoders.items() if encoder is not None}

    def default_preprocess(self) -> dict:
        """How inputs are prepared: the image encoder's settings (lite0) or the paper's (mean = std =
        0.5), and the paper's mel front-end or musicnn's 16-kHz audio."""
        size = self.hparams.image_size
        if self.hparams.variant == "official":
            return {"image_size": size, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5],
                    "music_input": "mel spectrogram rendered as an RGB PNG (rendering not in the public code), "
                                   "resized to 256x256, normalised with mean=std=0.5",
                    "spectrogram_size": 256, "spectrogram_mean": [0.5, 0.5, 0.5], "spectrogram_std": [0.5, 0.5, 0.5]}
        image = dict(self.backbone.preprocess) if self.backbone is not None else \
            {"image_size": size, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}
        if self.music_backbone is None:
            return {**image, **MEL_PREPROCESS}
        return {**image, **self.music_backbone.preprocess,
                "music_features": "musicnn MTT_musicnn per 3-s patch: 200-d penultimate embedding + 50 tag probabilities"}

    def example_batch(self, batch_size: int = 2) -> dict:
        """Random scored pairs (with V/A labels when the model has V/A heads) and preference samples,
        in the batch format above; lite0 and musicnn variants get encoder features, not media."""
        size, n = self.hparams.image_size, batch_size

        def paintings() -> Tensor:
            return torch.randn(n, *self.token_shape) if self.backbone is not None else torch.randn(n, 3, size, size)

        def music() -> Tensor:
            if self.music_backbone is not None:
                return torch.rand(n, 5, MUSICNN_FEATURE_DIM)
            if self.hparams.variant == "official":
                return torch.randn(n, 3, 64, 64)
            return torch.randn(n, 64, self.hparams.n_mels)

        image_key = "image_tokens" if self.backbone is not None else "image"
        music_key = "music_features" if self.music_backbone is not None else "mel"
        batch = {image_key: paintings(), music_key: music(), "score": torch.rand(n)}
        if self.net.va_image is not None:
            batch.update({label: torch.rand(n) * 2 - 1 for label in PAIR_VA_LABELS})
        shared = music()
        batch["pref"] = {f"{image_key}_pos": paintings(), f"{image_key}_neg": paintings(),
                         "mel_pos": shared, "mel_neg": shared, "query_modality": ["music"] * n}
        if self.va_prior is not None:
            def va() -> Tensor:
                return torch.rand(n, *self.va_prior.shape) * 2 - 1

            batch.update({key: va() for key in PRIOR_KEYS})
            shared_va = va()
            batch["pref"].update({"image_prior_va_pos": va(), "image_prior_va_neg": va(),
                                  "music_prior_va_pos": shared_va, "music_prior_va_neg": shared_va})
        return batch

    def _check_music(self, music, name: str = "mel") -> Tensor:
        """Music batch as the encoder takes it: ``[B, 1, T, n_mels]`` (paper), ``[B, 3, H, W]`` (official)
        or ``[B, P, 250]`` musicnn features."""
        got = tuple(music.shape) if isinstance(music, Tensor) else type(music).__name__
        if self.music_backbone is not None:
            if isinstance(music, Tensor) and music.ndim == 3 and music.shape[-1] == MUSICNN_FEATURE_DIM:
                return music
            raise InputError(name, f"expected musicnn patch features as a tensor [B, P, {MUSICNN_FEATURE_DIM}], "
                                   f"got {got}")
        if self.hparams.variant == "official":
            if isinstance(music, Tensor) and music.ndim == 4 and music.shape[1] == 3:
                return music
            raise InputError(name, f"expected spectrogram images as a tensor [B, 3, H, W], got {got}")
        n_mels = self.hparams.n_mels
        if isinstance(music, Tensor) and music.ndim == 3 and music.shape[-1] == n_mels:
            return music.unsqueeze(1)
        if isinstance(music, Tensor) and music.ndim == 4 and music.shape[1] == 1 and music.shape[-1] == n_mels:
            return music
        raise InputError(name, f"expected log-mel spectrograms as a tensor [B, T, {n_mels}] or "
                               f"[B, 1, T, {n_mels}], got {got}")

    def _music_batch(self, music, name: str = "mel") -> Tensor:
        """Like :meth:`_check_music`, also accepting one unbatched input (``[T, n_mels]``, ``[3, H, W]``
        or ``[P, 250]``)."""
        single = 3 if self.hparams.variant == "official" else 2
        if isinstance(music, Tensor) and music.ndim == single:
            music = music.unsqueeze(0)
        return self._check_music(music, name)

    def forward(self, image: Tensor, mel: Tensor, composition: Tensor | None = None) -> Tensor:
        """Scores ``[B]`` of the pairs ``(image[i], mel[i])`` (sigmoid; official: raw head output).

        ``image``: pixels ``[B, 3, S, S]``; the lite0 variant also takes its backbone tokens ``[B, N, C]``
        (:meth:`image_tokens`) and then skips the backbone. ``composition`` ``[B]``: with
        ``prior_model``, the frozen predictor's V/A-distance score of each pair (required then).
        """
        paintings, music = self._check_paintings(image), self._check_music(mel)
        return self.net(self._encode_paintings(paintings), music, self._check_composition(composition, len(paintings)))

    def _check_composition(self, composition, n: int) -> Tensor | None:
        """``composition`` as a ``[n]`` (``[n, K]`` with K priors) tensor on the model's device, or None
        for a model without a prior."""
        if self.va_prior is None:
            return None
        expected = (n, *self.va_prior.shape[:-1])
        if not isinstance(composition, Tensor) or composition.shape != expected:
            got = tuple(composition.shape) if isinstance(composition, Tensor) else type(composition).__name__
            raise InputError("composition", f"this MPJudge adds the V/A-distance composition of "
                                            f"{self.hparams.prior_model!r} to its score: give it as {list(expected)} "
                                            f"(or the batch's {PRIOR_KEYS}), got {got}")
        return composition.to(self.device)

    def _batch_composition(self, batch: Mapping, suffix: str = "", where: str = "batch") -> Tensor | None:
        """The composition score ``[B]`` of a batch's (or preference part's) prior V/A keys; None without a prior."""
        if self.va_prior is None:
            return None
        keys = [key + suffix for key in PRIOR_KEYS]
        missing = [key for key in keys if key not in batch]
        if missing:
            raise InputError(where, f"lacks {missing}: this MPJudge reads {self.hparams.prior_model!r}'s V/A "
                                    "of each side (a DataModule with prior_va=True provides them)")
        return composition_score(*(batch[key].float() for key in keys))

    # ------------------------------------------------------------------------------ training

    @property
    def dpo_active(self) -> bool:
        return bool(self.hparams.use_dpo) and self.hparams.lambda_dpo > 0

    @staticmethod
    def _batch_music(batch: Mapping) -> Tensor:
        """The batch's music: its precomputed ``music_features`` when given, else its ``mel``."""
        music = batch.get("music_features", batch.get("mel"))
        if music is None:
            raise InputError("batch", "lacks 'mel' (or 'music_features')")
        return music

    @staticmethod
    def _batch_paintings(batch: Mapping, key: str, where: str = "batch") -> Tensor:
        """``batch[key]``'s paintings: its precomputed tokens (:data:`TOKEN_KEYS`) when given, else its pixels."""
        paintings = batch.get(TOKEN_KEYS[key], batch.get(key))
        if paintings is None:
            raise InputError(where, f"lacks {key!r} (or {TOKEN_KEYS[key]!r})")
        return paintings

    def _preferences(self, batch: Mapping) -> dict | None:
        """The batch's checked preference part, or None when it has none (or an empty one).

        Its paintings come back under ``image_pos`` / ``image_neg``, whether pixels or tokens.
        """
        pref = batch.get("pref")
        if pref is None:
            return None
        images = {k: pref.get(TOKEN_KEYS[k], pref.get(k)) for k in ("image_pos", "image_neg")}
        missing = [f"{k} (or {TOKEN_KEYS[k]})" for k, v in images.items() if v is None]
        missing += [k for k in ("mel_pos", "mel_neg", "query_modality") if k not in pref]
        if missing:
            raise InputError("batch['pref']", f"lacks {missing}")
        pref = {**pref, **images}
        if len(pref["image_pos"]) == 0:
            return None
        queries = list(pref["query_modality"])
        bad = sorted({q for q in queries if q not in QUERY_MODALITIES})
        if bad or len(queries) != len(pref["image_pos"]):
            raise InputError("batch['pref']['query_modality']",
                             f"needs one of {QUERY_MODALITIES} per preference sample ({len(pref['image_pos'])}), "
                             f"got {len(queries)} values" + (f" including {bad}" if bad else ""))
        return {**pref, "query_modality": queries}

    def _net_inputs(self, paintings: list, music: list) -> tuple[list[Tensor], list[Tensor]]:
        """Check several pair batches and turn them into network inputs (lite0 pixels -> tokens, once)."""
        paintings = [self._encode_paintings(self._check_paintings(x, f"batch image #{i}"))
                     for i, x in enumerate(paintings)]
        music = [self._check_music(m, f"batch mel #{i}") for i, m in enumerate(music)]
        return paintings, music

    def _score_many(self, net: nn.Module, paintings: list[Tensor], music: list[Tensor],
                    compositions: list | None = None) -> list[Tensor]:
        """Score several network-ready pair batches in one forward (one BatchNorm batch); one tensor per
        batch. ``compositions``: the prior's score of each batch (models with ``prior_model``)."""
        composition = None
        if self.va_prior is not None:
            composition = self._check_composition(torch.cat(compositions), sum(len(x) for x in paintings))
        scores = net(torch.cat(paintings), torch.cat(music), composition)
        return list(scores.split([len(x) for x in paintings]))

    def reference_net(self) -> MPJudgeNet:
        """The frozen DPO reference: a loaded checkpoint's network, or a copy of this one taken on first use.

        It reads the same network inputs as :attr:`net`; for the lite0 variant that is the tokens of
        this model's frozen backbone, computed once for both.
        """
        reference = self._reference
        if reference is None:
            if self.hparams.reference_checkpoint:
                reference = _load_reference(self.hparams.reference_checkpoint, self.hparams.variant)
            else:
                reference = copy.deepcopy(self.net)
            reference.requires_grad_(False).eval()
            object.__setattr__(self, "_reference", reference)
        return reference.to(self.device)

    def compute_losses(self, batch: Mapping) -> dict[str, Tensor]:
        """``loss`` (the weighted sum), ``mse`` (with scores) and ``dpo`` (with preferences, when DPO is on)."""
        scored = "score" in batch
        pref = self._preferences(batch) if self.dpo_active else None
        if not scored and pref is None:
            raise InputError("batch", "has no 'score' (regression) and no 'pref' (preference, with DPO on): "
                                      "nothing to train on")
        # take the reference before this step's forward moves the BatchNorm running statistics
        reference = self.reference_net() if pref is not None else None
        paintings, music, compositions = [], [], []
        if scored:
            paintings.append(self._batch_paintings(batch, "image")), music.append(self._batch_music(batch))
            compositions.append(self._batch_composition(batch))
        if pref is not None:
            paintings += [pref["image_pos"], pref["image_neg"]]
            music += [pref["mel_pos"], pref["mel_neg"]]
            compositions += self._pref_compositions(pref)
        paintings, music = self._net_inputs(paintings, music)
        outputs = self._score_many(self.net, paintings, music, compositions)
        losses: dict[str, Tensor] = {}
        total = outputs[0].new_zeros(())
        if scored:
            preds = outputs.pop(0)
            losses["mse"] = F.mse_loss(preds, batch["score"].to(preds.dtype).reshape(preds.shape))
            total = total + self.hparams.lambda_reg * losses["mse"]
            if self.net.va_image is not None and self.hparams.lambda_va > 0 and all(k in batch for k in PAIR_VA_LABELS):
                losses["va"] = self._va_loss(paintings[0], music[0], batch)
                total = total + self.hparams.lambda_va * losses["va"]
        if reference is not None:
            pos, neg = outputs
            with torch.no_grad():
                ref_pos, ref_neg = self._score_many(reference, paintings[-2:], music[-2:], compositions[-2:])
            losses["dpo"] = dpo_loss(pos, neg, ref_pos, ref_neg, beta=self.hparams.dpo_beta)
            total = total + self.hparams.lambda_dpo * losses["dpo"]
        losses["loss"] = total
        return losses

    def _pref_compositions(self, pref: Mapping) -> list:
        """The prior's scores of a preference part's (preferred, rejected) pairs; [None, None] without a prior."""
        return [self._batch_composition(pref, suffix, "batch['pref']") for suffix in ("_pos", "_neg")]

    def _va_loss(self, paintings: Tensor, music: Tensor, batch: Mapping) -> Tensor:
        """MSE of the auxiliary heads' V/A (both sides) against the batch's :data:`PAIR_VA_LABELS`."""
        image_va, music_va = self.net.predict_va(paintings, self.net.encode_music(music)[1])
        target = torch.stack([batch[k] for k in PAIR_VA_LABELS], dim=-1).to(image_va.dtype)
        return F.mse_loss(torch.cat([image_va, music_va], dim=-1), target)

    def training_step(self, batch: dict, batch_idx: int) -> Tensor:
        losses = self.compute_losses(batch)
        size = len(batch["score"]) if "score" in batch else len(batch["pref"]["query_modality"])
        self.log_dict({f"train/{k}": v for k, v in losses.items() if k != "loss"}, batch_size=size)
        self.log("train/loss", losses["loss"], prog_bar=True, batch_size=size)
        return losses["loss"]

    def _evaluate(self, batch: dict, stage: str) -> None:
        metrics = self.val_metrics if stage == "val" else self.test_metrics
        pref_metrics = self.val_pref_metrics if stage == "val" else self.test_pref_metrics
        if "score" in batch:
            preds = self(self._batch_paintings(batch, "image"), self._batch_music(batch), self._batch_composition(batch))
            metrics.update(preds, batch["score"])
            self.log_dict(metrics, on_step=False, on_epoch=True, batch_size=len(preds))
        pref = self._preferences(batch)
        if pref is not None:
            pos, neg = self._score_many(self.net, *self._net_inputs([pref["image_pos"], pref["image_neg"]],
                                                                    [pref["mel_pos"], pref["mel_neg"]]),
                                        self._pref_compositions(pref))
            correct = (pos > neg).float()
            self._log_mean(pref_metrics, "pref_acc", stage, correct)
            for modality in QUERY_MODALITIES:
                mask = torch.tensor([q == modality for q in pref["query_modality"]], device=correct.device)
                if mask.any():
                    self._log_mean(pref_metrics, f"pref_acc_{modality}_query", stage, correct[mask])

    def _log_mean(self, collection: MetricCollection, key: str, stage: str, values: Tensor) -> None:
        metric = collection[key]
        metric.update(values)
        self.log(f"{stage}/{key}", metric, on_step=False, on_epoch=True, batch_size=len(values))

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def predict_step(self, batch: dict, batch_idx: int) -> Tensor:
        return self(self._batch_paintings(batch, "image"), self._batch_music(batch), self._batch_composition(batch))

    def configure_optimizers(self):
        return torch.optim.Adam(self.net.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        super().on_save_checkpoint(checkpoint)
        if self._reference is not None and not self.hparams.reference_checkpoint:
            checkpoint["mpjudge_reference"] = {k: v.detach().cpu() for k, v in self._reference.state_dict().items()}

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        state = checkpoint.get("mpjudge_reference")
        if state is not None:
            reference = copy.deepcopy(self.net)
            reference.load_state_dict(state)
            object.__setattr__(self, "_reference", reference.requires_grad_(False).eval())


def _load_reference(path: str, variant: str) -> MPJudgeNet:
    """The network of a saved MPJudge of the same variant (the DPO reference)."""
    from affectzoo._factory import load

    model = load(path)
    if not isinstance(model, MPJudge):
        raise InputError(path, f"reference_checkpoint must hold an MPJudge model, it holds {type(model).__name__}")
    if model.hparams.variant != variant:
        raise InputError(path, f"reference_checkpoint holds the {model.hparams.variant!r} variant; "
                               f"this model is {variant!r}")
    return model.net
