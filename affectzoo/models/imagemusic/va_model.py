"""ImageMusic's open-data V/A model: each modality's own valence/arousal head on frozen encoders.

The paper's ImageMusic (:class:`~affectzoo.models.imagemusic.ImageMusic`) predicts the V/A of a
pair through fused heads and was trained on scored pairs. This variant keeps ImageMusic's principle
(an item's emotion, and music recommended for an image by the closeness of their predicted
emotions) but predicts each side on its own, so that it can learn from every labelled source of
either modality, pairs or not:

* image side: frozen ImageNet encoders (``image_encoders``, e.g. EfficientNet-Lite2; features
  averaged over ``image_views``: centre crop, mirrored, whole picture, mirrored) and colour
  statistics, concatenated;
* music side: frozen musicnn taggers (``music_encoders``: MTT and/or MSD), their per-patch
  embedding + tags pooled by mean and standard deviation over the clip's patches (all 3-s patches
  of the first ``clip_seconds``, or ``music_patches`` spread over them; computed in
  ``music_precision``), and loudness / spectral statistics, concatenated;
* each side standardised (statistics of the training features, fitted at the start of training
  and saved with the weights), then a head: ``hidden`` = 0 is linear, else Linear -> GELU ->
  dropout -> Linear; tanh, so V/A lie in [-1, 1];
* ``music_arousal="tag-vote"``: music arousal is read from a vote of a few of the musicnn taggers'
  own tags instead of the head (:mod:`~affectzoo.models.imagemusic.tag_vote`; the tags are chosen
  on the training sources when training starts, up to ``vote_max_tags`` each way), because the
  fitted head ranks unseen collections of real recordings worse than the tags do.

Training (:mod:`affectzoo.losses.va`): MSE plus a within-source ranking loss (``rank_weight``) on
continuous ratings, the ranking loss on Emotify's GEMS proxy, a sign loss on EMOPIA's quadrants; batches are source-balanced by the
DataModule (``open-va``). Music features are cropped in training (a random run of at least
``min_crop_patches`` 3-s patches is pooled), so the head sees short and long excerpts. AdamW.

Batches: ``{"image": part, "music": part}`` (either may be missing) where a part has ``features``
(encoder name -> tensor; musicnn ``[B, P, 250]`` with ``<name>_lengths``), ``valence``,
``arousal``, ``label_type`` and ``source`` codes. Metrics per epoch: ``val/<side>_<axis>_srcc`` over
the continuous and proxy items, ``val/<side>_<axis>_sign_acc`` over the binary ones,
``val/<side>_loss`` and their mean ``val/loss`` (``test/...`` likewise).
"""

from __future__ import annotations

import torch
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor, nn
from torchmetrics import MeanMetric

from affectzoo.backbones.musicnn import Musicnn
from affectzoo.backbones.named import ALL_VIEWS
from affectzoo.errors import InputError
from affectzoo.losses.va import LABEL_TYPES, va_losses
from affectzoo.metrics import SRCC
from affectzoo.models.base import ZooModule
from affectzoo.models.imagemusic.tag_vote import TagVote
from affectzoo.models.imagemusic.va_inference import ImageMusicVAInference
from affectzoo.models.side_features import SIDES, SideFeatures, Standardizer

AXES = ("valence", "arousal")


HEAD_INITS = ("default", "zero")
MUSIC_AROUSAL = ("head", "tag-vote")


def head(dim: int, hidden: int, dropout: float, init: str = "default") -> nn.Module:
    """A side's V/A head: linear (``hidden == 0``) or one hidden layer. ``init="zero"`` starts the
    output layer at zero: a linear head trained for a fixed number of steps is then early-stopped
    gradient descent from the origin (a ridge-like shrinkage), instead of keeping a random
    projection of ~1,000 standardised features that a small learning rate never washes out."""
    if init not in HEAD_INITS:
        raise ValueError(f"head_init must be one of {HEAD_INITS}, got {init!r}")
    if hidden == 0:
        layers = [nn.Dropout(dropout), nn.Linear(dim, 2)]
    else:
        layers = [nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, 2)]
    if init == "zero":
        nn.init.zeros_(layers[-1].weight)
        nn.init.zeros_(layers[-1].bias)
    return nn.Sequential(*layers)


class ImageMusicVA(ImageMusicVAInference, SideFeatures, ZooModule):
    """Per-modality V/A heads on frozen encoders (see the module docstring)."""

    tasks = ("va-predictor", "pair-scorer", "recommender")

    def __init__(self, image_encoders: tuple[str, ...] = ("tf_efficientnet_lite0", "colour-statistics"),
                 image_views: tuple[str, ...] = ALL_VIEWS,
                 music_encoders: tuple[str, ...] = ("MTT_musicnn", "audio-statistics"), clip_seconds: float = 30.0,
                 music_patches: int | None = None, music_precision: str = "fp32", min_crop_patches: int = 3,
                 hidden: int = 0, dropout: float = 0.5,
                 lr: float = 1e-4, weight_decay: float = 1e-2, proxy_mse: float = 0.25, rank_weight: float = 1.0,
                 head_init: str = "default", music_arousal: str = "head", vote_max_tags: int = 8) -> None:
        super().__init__()
        self.save_hyperparameters()
        dims = self._build_side_encoders(image_encoders, image_views, music_encoders, clip_seconds, music_patches,
                                         music_precision)
        self.standardize = nn.ModuleDict({side: Standardizer(dims[side]) for side in SIDES if dims[side]})
        self.heads = nn.ModuleDict({side: head(dims[side], hidden, dropout, head_init) for side in SIDES if dims[side]})
        self.music_vote = self._tag_vote(music_arousal, dims["music"], vote_max_tags)
        self.val_srcc = nn.ModuleDict({f"{s}_{a}": SRCC() for s in SIDES for a in AXES})
        self.val_sign = nn.ModuleDict({f"{s}_{a}": MeanMetric() for s in SIDES for a in AXES})
        self.val_loss = nn.ModuleDict({side: MeanMetric() for side in SIDES})

    # ------------------------------------------------------------------------------ encoders

    def _tag_vote(self, mode: str, dim: int, max_tags: int) -> TagVote | None:
        """The music arousal vote when ``mode`` asks for it; its candidates are the musicnn tags' means."""
        if mode not in MUSIC_AROUSAL:
            raise ValueError(f"music_arousal must be one of {MUSIC_AROUSAL}, got {mode!r}")
        if mode == "head" or not dim:  # no music side: nothing to vote on
            return None
        candidates = [position for position, _ in self._tag_positions()]
        if not candidates:
            raise ValueError("music_arousal='tag-vote' needs a musicnn tagger among music_encoders "
                             "(pass music_arousal='head' to read arousal from the head)")
        return TagVote(dim, candidates, max_tags)

    def _tag_positions(self) -> list[tuple[int, str]]:
        """(position in the music vector, ``encoder:tag``) of every musicnn tag's mean over patches."""
        out, offset = [], 0
        for name, encoder in self.music_encoders.items():
            if isinstance(encoder, Musicnn):
                out += [(offset + encoder.embedding_dim + i, f"{name}:{tag}") for i, tag in enumerate(encoder.tags)]
            offset += self._width(encoder)
        return out

    def vote_tags(self) -> dict[str, list[str]]:
        """The tags the fitted music arousal vote reads, ``{"for": [...], "against": [...]}`` (empty without a vote)."""
        if self.music_vote is None or not bool(self.music_vote.fitted):
            return {"for": [], "against": []}
        names = dict(self._tag_positions())
        positive, negative = self.music_vote.chosen()
        return {"for": [names[p] for p in positive], "against": [names[p] for p in negative]}

    def va_of(self, side: str, vector: Tensor) -> Tensor:
        """V/A ``[B, 2]`` in [-1, 1] from a side's concatenated features."""
        standardized = self.standardize[side](vector)
        out = self.heads[side](standardized)
        if side == "music" and self.music_vote is not None:
            out = torch.stack([out[:, 0], self.music_vote(standardized)], dim=-1)
        return torch.tanh(out)

    # ------------------------------------------------------------------------------ training

    def on_fit_start(self) -> None:
        super().on_fit_start()
        pending = [side for side in self.standardize if not bool(self.standardize[side].fitted)]
        vote_pending = self.music_vote is not None and not bool(self.music_vote.fitted)
        if not pending and not vote_pending:
            return
        wanted = set(pending) | ({"music"} if vote_pending else set())
        training = self.training_vectors(wanted)
        for side in pending:
            if side in training:
                self.standardize[side].fit(training[side]["vector"])
        if vote_pending and "music" in training:
            self._fit_vote(training["music"])

    def _fit_vote(self, music: dict) -> None:
        """Choose the arousal vote's tags on the training rows (standardised as the head sees them)."""
        with torch.no_grad():
            fitted = self.music_vote.fit(self.standardize["music"](music["vector"]), music["arousal"].float(),
                                         music["source"])
        tags = self.vote_tags()
        rank_zero_info(f"music arousal vote: k={fitted['k']}, for {tags['for']}, against {tags['against']}")

    def _side_loss(self, side: str, part: dict, crop: bool) -> tuple[Tensor, dict]:
        pred = self.va_of(side, self.side_vector(side, part["features"], crop))
        target = torch.stack([part["valence"], part["arousal"]], dim=-1).float().to(self.device)
        losses = va_losses(pred, target, part["label_type"].to(self.device), part["source"].to(self.device),
                           proxy_mse=self.hparams.proxy_mse, rank_weight=self.hparams.rank_weight)
        return sum(losses.values()), {f"{side}_{k}": v for k, v in losses.items()}

    def training_step(self, batch: dict, batch_idx: int) -> Tensor:
        total, logged = 0.0, {}
        for side in SIDES:
            if side in batch and side in self.heads:
                loss, parts = self._side_loss(side, batch[side], crop=True)
                total, logged = total + loss, {**logged, **parts}
        if not logged:
            raise InputError("batch", "has no 'image' or 'music' part this model has a head for")
        self.log_dict({f"train/{k}": v for k, v in logged.items()}, on_step=False, on_epoch=True)
        self.log("train/loss", total, prog_bar=True, on_step=False, on_epoch=True)
        return total

    def validation_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._evaluate(batch)

    def test_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._evaluate(batch)

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def _evaluate(self, batch: dict) -> None:
        for side in SIDES:
            if side not in batch or side not in self.heads:
                continue
            part = batch[side]
            loss, _ = self._side_loss(side, part, crop=False)
            self.val_loss[side].update(loss.detach(), weight=len(part["valence"]))
            pred = self.va_of(side, self.side_vector(side, part["features"])).cpu()
            kinds = part["label_type"].cpu()
            ranked = kinds != LABEL_TYPES.index("binary")
            for column, axis in enumerate(AXES):
                target = part[axis].float().cpu()
                if ranked.sum() > 1:
                    self.val_srcc[f"{side}_{axis}"].update(pred[ranked, column], target[ranked])
                if (~ranked).any():
                    correct = (torch.sign(pred[~ranked, column]) == torch.sign(target[~ranked])).float()
                    self.val_sign[f"{side}_{axis}"].update(correct)

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def _log_epoch(self, stage: str) -> None:
        """Log the epoch's metrics under ``stage/`` (validation and test share the metric objects)."""
        losses = [metric.compute() for metric in self.val_loss.values() if metric.update_called]
        if losses:
            self.log(f"{stage}/loss", torch.stack(losses).mean())
        for side, metric in self.val_loss.items():
            if metric.update_called:
                self.log(f"{stage}/{side}_loss", metric.compute())
            metric.reset()
        for key in self.val_srcc:
            for kind, metric in (("srcc", self.val_srcc[key]), ("sign_acc", self.val_sign[key])):
                if metric.update_called:
                    self.log(f"{stage}/{key}_{kind}", metric.compute())
                metric.reset()

    def predict_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> dict:
        return {side: self.va_of(side, self.side_vector(side, batch[side]["features"]))
                for side in SIDES if side in batch and side in self.heads}

    def configure_optimizers(self):
        trained = list(self.heads.parameters()) + (list(self.music_vote.parameters()) if self.music_vote is not None else [])
        return torch.optim.AdamW(trained, lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)

    def example_batch(self, batch_size: int = 2) -> dict:
        """Random encoder features and labels of every kind, for both sides."""
        def part(side: str) -> dict:
            features = self.example_features(side, batch_size)
            kinds = torch.arange(batch_size) % len(LABEL_TYPES)
            return {"features": features, "valence": torch.rand(batch_size) * 2 - 1,
                    "arousal": torch.rand(batch_size) * 2 - 1, "label_type": kinds, "source": kinds}
        return {side: part(side) for side in SIDES if side in self.heads}

