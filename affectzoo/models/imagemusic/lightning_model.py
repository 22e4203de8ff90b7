"""ImageMusic (Chheda et al. 2023) as a LightningModule: encoders, forward, training and metrics.

Inputs. Images: pixels ``[B, 3, S, S]`` with S >= ``image_size`` (the model's preprocessing gives
``round(image_size / 0.875)`` px, short side resized and centre-cropped); the frozen image encoder
crops ``image_size`` itself: a random crop and a horizontal flip with probability 0.5 in training,
the centre crop otherwise (resize 256 + centre 224 is timm's eval transform at crop_pct 0.875).
Or the encoder's pooled features ``[B, C]`` / ``[B, 1, C]`` (``model.image_backbone.cached(path)``:
computed from the centre crop, so a pipeline on cached features trains without image augmentation).
Music: SampleCNN takes mono waveforms ``[B, T]`` at 22,050 Hz (T >= 59,049 or zero-padded to it):
in training a random 59,049-sample crop per clip, otherwise the mean of the 128-d branch vectors of
the consecutive 59,049-sample segments (``audio_lengths`` marks padding). musicnn takes its patch
features ``[B, P, 250]`` (or 16-kHz waveforms it encodes): in training one random patch per clip,
otherwise the mean of the branch vectors over the clip's patches (``music_features_lengths`` marks
padding).

Training (paper section 4.4): Huber loss on the four outputs against the labels rescaled to [0, 1]
(the batch's :data:`~affectzoo.affect.scales.PAIR_VA_LABELS`, in [-1, 1]); Adam, lr 0.01, weight
decay 1e-4 (the defaults). Only :attr:`ImageMusic.net` is trained: the frozen encoders stay in eval
mode, and the state dict holds them too, so a saved model loads strictly and complete.

The model keeps the branch vectors of its last ``reference_size`` training samples (buffers saved
with the weights): :meth:`~ImageMusicInference.predict_va` pairs a lone item with them.

Metrics (val/test, per epoch): ``mae``, ``rmse`` of the predicted similarity against the pair's
``score``; ``map@1`` .. ``map@10`` (:class:`~affectzoo.metrics.MAPCurve`, queries = images via the
batch's ``query``, relevance = its ``relevant`` label, the ground-truth best-5 music);
``srcc_image_valence``, ``srcc_image_arousal``, ``srcc_music_valence``, ``srcc_music_arousal`` of
the predicted V/A against the labels (over pairs); ``loss``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torchmetrics import MetricCollection

from affectzoo.affect.scales import PAIR_VA_LABELS
from affectzoo.backbones.musicnn import FEATURE_DIM as MUSICNN_FEATURES
from affectzoo.backbones.musicnn import Musicnn
from affectzoo.backbones.samplecnn import SAMPLECNN_SAMPLE_RATE
from affectzoo.errors import InputError
from affectzoo.metrics import MAE, RMSE, SRCC, MAPCurve
from affectzoo.models.base import ZooModule
from affectzoo.models.imagemusic.inference import ImageMusicInference
from affectzoo.models.imagemusic.torch_model import (IMAGE_WIDTH, MUSIC_WIDTH, ImageMusicNet, predicted_similarity,
                                                     waveform_patches)

PAPER = 'Chheda et al., "Music recommendation based on affective image content analysis", 2023'
MUSIC_BRANCHES = ("samplecnn", "musicnn")
#: Seed of the random initialisation of image backbones that have no offline weights.
BACKBONE_SEED = 0
#: Seconds of music per item: SampleCNN reads a 10-s window, musicnn the first 15 s (five 3-s patches,
#: the setting MPJudge's musicnn variant uses, so both share the feature cache).
CLIP_SECONDS = {"samplecnn": 10.0, "musicnn": 15.0}
#: timm's eval transform: the crop is this share of the resized picture.
CROP_PCT = 0.875


class ImageMusic(ImageMusicInference, ZooModule):
    """ImageMusic regressor, trainer and recommender (see the module docstring).

    Args: ``image_backbone`` (timm name), ``image_weights`` (``"offline"``: packaged ImageNet
    weights where they exist, else a seed-0 random init; ``"random"``; or a state-dict file),
    ``music_branch`` (:data:`MUSIC_BRANCHES`), ``image_size`` (the crop the backbone sees),
    ``lr``, ``weight_decay``, ``huber_delta``, ``map_k`` (MAP@1..map_k) and ``reference_size``
    (how many training vectors of each branch :meth:`predict_va` pairs with).
    """

    tasks = ("va-predictor", "pair-scorer", "recommender")

    def __init__(self, image_backbone: str = "mobilenetv3_large_100", image_weights: str = "offline",
                 music_branch: str = "samplecnn", image_size: int = 224,
                 lr: float = 0.01, weight_decay: float = 1e-4, huber_delta: float = 1.0, map_k: int = 10,
                 reference_size: int = 128) -> None:
        super().__init__()
        self.save_hyperparameters()
        if music_branch not in MUSIC_BRANCHES:
            raise ValueError(f"music_branch must be one of {MUSIC_BRANCHES}, got {music_branch!r}")
        self.image_backbone = _image_backbone(image_backbone, image_weights, image_size)
        self.music_backbone = (Musicnn.from_checkpoint(frozen=True, clip_seconds=CLIP_SECONDS["musicnn"])
                               if music_branch == "musicnn" else None)
        self.net = ImageMusicNet(self.image_backbone.num_features, music_branch)
        self.register_buffer("image_reference", torch.zeros(reference_size, IMAGE_WIDTH))
        self.register_buffer("music_reference", torch.zeros(reference_size, MUSIC_WIDTH))
        self.register_buffer("reference_count", torch.zeros((), dtype=torch.long))
        metrics = MetricCollection({"mae": MAE(), "rmse": RMSE(),
                                    **{f"srcc_{name}": SRCC() for name in PAIR_VA_LABELS}}, compute_groups=False)
        self.val_metrics, self.test_metrics = metrics.clone(prefix="val/"), metrics.clone(prefix="test/")
        self.val_map, self.test_map = MAPCurve(map_k), MAPCurve(map_k)

    def frozen_encoders(self) -> dict:
        """The frozen pretrained encoders whose cached features a DataModule may feed instead of media."""
        encoders = {"image": self.image_backbone, "audio": self.music_backbone}
        return {kind: encoder for kind, encoder in encoders.items() if encoder is not None}

    def default_preprocess(self) -> dict:
        """The image encoder's settings (pictures of ``image_size / 0.875`` px, which it crops) and the
        music branch's audio: 22,050 Hz, 10 s (SampleCNN) or musicnn's 16 kHz, 15 s."""
        audio = (self.music_backbone.preprocess if self.music_backbone is not None else
                 {"sample_rate": SAMPLECNN_SAMPLE_RATE, "clip_seconds": CLIP_SECONDS["samplecnn"], "mono": True})
        return {**self.image_backbone.preprocess, **audio}

    def example_batch(self, batch_size: int = 2) -> dict:
        """Random pairs in the training format: pooled image features, musicnn patch features (or
        SampleCNN waveforms), the four V/A labels, a score and the MAP@K ranking labels."""
        from affectzoo.backbones.samplecnn import SAMPLECNN_INPUT_SAMPLES

        n = batch_size
        music = (torch.rand(n, 5, MUSICNN_FEATURES) if self.music_backbone is not None
                 else torch.randn(n, SAMPLECNN_INPUT_SAMPLES) * 0.1)
        return {"image_tokens": torch.randn(n, self.image_backbone.num_features),
                "music_features" if self.music_backbone is not None else "audio": music,
                **{label: torch.rand(n) * 2 - 1 for label in PAIR_VA_LABELS}, "score": torch.rand(n),
                "query": torch.zeros(n), "relevant": (torch.arange(n) == 0).float()}

    # ------------------------------------------------------------------------------ encoders

    def image_features(self, pixels: Tensor, augment: bool | None = None) -> Tensor:
        """The frozen backbone's pooled features ``[B, C]`` of pictures ``[B, 3, H, W]`` (no gradient):
        of a random crop and flip when ``augment`` (default: in training), else the centre crop."""
        if pixels.ndim != 4 or pixels.shape[1] != 3:
            raise InputError("image", f"expected images as a tensor [B, 3, H, W], got {tuple(pixels.shape)}")
        random = self.training if augment is None else augment
        return self.image_backbone.encode_batch(pixels.to(self.device), augment=random)

    def _image_features(self, images: Tensor) -> Tensor:
        """Pixels -> backbone features; features ``[B, C]`` or tokens ``[B, 1, C]`` pass through."""
        channels = self.image_backbone.num_features
        if images.ndim == 4:
            return self.image_features(images)
        if images.ndim == 3 and images.shape[1] == 1:
            images = images[:, 0]
        if images.ndim == 2 and images.shape[1] == channels:
            return images.to(self.device)
        raise InputError("image", f"expected images [B, 3, H, W] or backbone features [B, {channels}] / "
                                  f"[B, 1, {channels}], got {tuple(images.shape)}")

    @property
    def music_sample_rate(self) -> int:
        return self.preprocess["sample_rate"]

    def _music_vectors(self, music: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Music vectors ``[B, 128]``: one random crop / patch per clip in training, the mean over all otherwise."""
        music = music.to(self.device)
        if self.hparams.music_branch == "samplecnn":
            if music.ndim != 2:
                raise InputError("audio", f"expected mono waveforms [B, T] at {SAMPLECNN_SAMPLE_RATE} Hz, "
                                          f"got {tuple(music.shape)}")
            patches, counts = waveform_patches(music, lengths, self.training)
        else:
            if music.ndim == 2:  # 16-kHz waveforms: encode with the frozen musicnn
                music = self.music_backbone.encode_batch(music)
                lengths = None
            if music.ndim != 3 or music.shape[-1] != MUSICNN_FEATURES:
                raise InputError("music_features", f"expected musicnn patch features [B, P, {MUSICNN_FEATURES}] "
                                                   f"or 16-kHz waveforms [B, T], got {tuple(music.shape)}")
            patches = music
            counts = lengths.to(self.device) if lengths is not None else music.new_full((len(music),), music.shape[1])
            if self.training:
                pick = (torch.rand(len(music), device=self.device) * counts).long().clamp(max=music.shape[1] - 1)
                patches, counts = music[torch.arange(len(music)), pick][:, None], torch.ones_like(counts)
        batch, per_clip = patches.shape[:2]
        vectors = self.net.encode_music(patches.flatten(0, 1)).unflatten(0, (batch, per_clip))
        mask = (torch.arange(per_clip, device=self.device)[None] < counts[:, None].to(self.device)).float()
        return (vectors * mask[..., None]).sum(dim=1) / mask.sum(dim=1, keepdim=True).clamp(min=1)

    # ------------------------------------------------------------------------------ forward / training

    def encode(self, image: Tensor, music: Tensor, music_lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """(image vectors ``[B, 256]``, music vectors ``[B, 128]``) of a batch of pairs."""
        image_vectors = self.net.encode_image(self._image_features(image))
        music_vectors = self._music_vectors(music, music_lengths)
        if len(image_vectors) != len(music_vectors):
            raise InputError("batch", f"{len(image_vectors)} images but {len(music_vectors)} music inputs")
        return image_vectors, music_vectors

    def forward(self, image: Tensor, music: Tensor, music_lengths: Tensor | None = None) -> Tensor:
        """Outputs ``[B, 4]`` in [0, 1] (:data:`PAIR_VA_LABELS` order) of the pairs ``(image[i], music[i])``."""
        return self.net.head(*self.encode(image, music, music_lengths))

    @staticmethod
    def _batch_inputs(batch: dict) -> tuple[Tensor, Tensor, Tensor | None]:
        image = batch.get("image_tokens", batch.get("image"))
        key = "music_features" if "music_features" in batch else "audio"
        if image is None or key not in batch:
            raise InputError("batch", "needs 'image' (or 'image_tokens') and 'audio' (or 'music_features')")
        return image, batch[key], batch.get(f"{key}_lengths")

    @staticmethod
    def _targets(batch: dict) -> Tensor:
        missing = [name for name in PAIR_VA_LABELS if name not in batch]
        if missing:
            raise InputError("batch", f"lacks the V/A labels {missing} (open-pairs: item_va=True)")
        return (torch.stack([batch[name] for name in PAIR_VA_LABELS], dim=-1).float() + 1.0) / 2.0

    def training_step(self, batch: dict, batch_idx: int) -> Tensor:
        image_vectors, music_vectors = self.encode(*self._batch_inputs(batch))
        outputs = self.net.head(image_vectors, music_vectors)
        loss = F.huber_loss(outputs, self._targets(batch).to(outputs), delta=self.hparams.huber_delta)
        self._remember(image_vectors.detach(), music_vectors.detach())
        self.log("train/loss", loss, prog_bar=True, batch_size=len(outputs))
        return loss

    def _remember(self, image_vectors: Tensor, music_vectors: Tensor) -> None:
        """Keep the latest training vectors (ring buffers) as partners for :meth:`predict_va`."""
        size = len(self.image_reference)
        n = min(len(image_vectors), size)
        slots = (int(self.reference_count) + torch.arange(n, device=self.device)) % size
        self.image_reference[slots] = image_vectors[-n:]
        self.music_reference[slots] = music_vectors[-n:]
        self.reference_count += n

    def _evaluate(self, batch: dict, stage: str) -> None:
        outputs = self(*self._batch_inputs(batch))
        targets = self._targets(batch).to(outputs)
        metrics = self.val_metrics if stage == "val" else self.test_metrics
        similarity = predicted_similarity(outputs)
        if "score" in batch:
            metrics["mae"].update(similarity, batch["score"])
            metrics["rmse"].update(similarity, batch["score"])
        for column, name in enumerate(PAIR_VA_LABELS):
            metrics[f"srcc_{name}"].update(outputs[:, column], targets[:, column])
        if "query" in batch and "relevant" in batch:
            (self.val_map if stage == "val" else self.test_map).update(
                similarity, batch["relevant"], batch["query"].long())
        self.log(f"{stage}/loss", F.huber_loss(outputs, targets, delta=self.hparams.huber_delta),
                 batch_size=len(outputs))

    def _log_epoch(self, stage: str) -> None:
        metrics = self.val_metrics if stage == "val" else self.test_metrics
        curve = self.val_map if stage == "val" else self.test_map
        updated = {k: m for k, m in metrics.items() if m.update_called}
        self.log_dict({k: m.compute() for k, m in updated.items()})
        if curve.update_called:
            self.log_dict({f"{stage}/map@{k}": value for k, value in enumerate(curve.compute(), start=1)})
        metrics.reset(), curve.reset()

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def predict_step(self, batch: dict, batch_idx: int) -> dict[str, Tensor]:
        outputs = self(*self._batch_inputs(batch))
        return {"va": outputs * 2.0 - 1.0, "similarity": predicted_similarity(outputs)}

    def configure_optimizers(self):
        return torch.optim.Adam(self.net.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)


def _image_backbone(name: str, weights: str, image_size: int):
    """Frozen, pooled timm encoder reading ``image_size / 0.875`` px pictures and cropping ``image_size``;
    a random initialisation is drawn with :data:`BACKBONE_SEED`."""
    from affectzoo.backbones.timm_image import timm_image_encoder

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(BACKBONE_SEED)
        encoder = timm_image_encoder(name, weights=weights, pooled=True, frozen=True,
                                     image_size=round(image_size / CROP_PCT), crop_pct=1.0, crop=image_size)
    if not encoder.cfg["pretrained"]:
        encoder.cfg["weights"] += f" (seed {BACKBONE_SEED})"
    return encoder
