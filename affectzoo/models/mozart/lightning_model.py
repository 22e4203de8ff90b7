"""Mozart (Yilma & Leiva, RecSys 2025, section 3.2) as a LightningModule: paintings for a user's music.

Items of both modalities go through the zoo's frozen encoders (:class:`~affectzoo.models.side_features.SideFeatures`;
the paper's MERT and ResNet-50 have no offline weights, so music is musicnn MTT patches pooled by
mean and std plus audio statistics, paintings EfficientNet-Lite2 averaged over four views plus
colour statistics), standardised with the training statistics, then:

1. an autoencoder per modality (:class:`~affectzoo.models.mozart.torch_model.Autoencoder`,
   ``[input, 1024, 512, 256]``, mirrored decoder, MSE) compresses the features to a 256-d code;
2. the codes are min-max scaled to [-1, 1] (statistics of the training codes, saved as buffers);
3. one projection head shared by both modalities maps ``[code, valence, arousal]`` (258-d, eq. 2)
   into the 128-d joint space, trained with the affect-contrastive loss
   (:func:`~affectzoo.losses.affect_contrastive.affect_contrastive_loss`, eqs. 3-6).

Training runs in two stages in one ``fit``: the first ``ae_epochs`` epochs train the autoencoders
(reconstruction of both modalities); then the scaling is fitted on the training codes, the
autoencoders stay fixed and the head trains (Adam, ``lr``), with the paper's early stopping: the
head weights of the best validation loss are kept and training stops after ``patience`` epochs
without improvement. In training the items' V/A are their labels; items labelled only by a
quadrant sign (EMOPIA) have no V/A position and train the autoencoders only.

Validation and test (head stage): ``contrastive`` (the loss over all the split's items at once)
and ``affect_gain_at_10``: for each music item, the mean V/A distance of its 10 nearest pictures
in the joint space, against the mean V/A distance to all pictures (1 - ratio; 0 is chance, higher
is better) -- whether energetic music is sent to arousing pictures on items the model never saw.
In the autoencoder stage, ``recon``. ``val/loss`` is the stage's loss.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from affectzoo.backbones.named import ALL_VIEWS
from affectzoo.errors import InputError
from affectzoo.losses.affect_contrastive import MUSIC, PAINTING, affect_contrastive_loss
from affectzoo.losses.va import LABEL_TYPES
from affectzoo.models.base import ZooModule
from affectzoo.models.mozart.inference import MozartInference
from affectzoo.models.mozart.torch_model import Autoencoder, MinMaxScaler, ProjectionHead
from affectzoo.models.side_features import SIDES, SideFeatures, Standardizer

PAPER = ("Yilma & Leiva, \"Affect-aware Cross-Domain Recommendation for Art Therapy via Music Preference "
         "Elicitation\", RecSys 2025")
MODALITY = {"music": MUSIC, "image": PAINTING}
BINARY = LABEL_TYPES.index("binary")


def affect_gain_at_k(music_z: Tensor, music_va: Tensor, image_z: Tensor, image_va: Tensor, k: int = 10) -> Tensor:
    """1 - (mean V/A distance of each music item's ``k`` nearest pictures in the joint space) /
    (mean V/A distance of each music item to all pictures): 0 for an unaffective ranking, 1 at best.
    ``k`` is at most half the pictures (with all of them the ratio would be 1 whatever the ranking)."""
    k = max(1, min(k, len(image_z) // 2))
    nearest = torch.cdist(music_z, image_z).topk(k, largest=False).indices
    va_distance = torch.cdist(music_va, image_va)
    return 1 - va_distance.gather(1, nearest).mean() / va_distance.mean().clamp(min=1e-12)


class Mozart(MozartInference, SideFeatures, ZooModule):
    """Mozart's autoencoders, scaling and projection head on frozen encoders (see the module docstring)."""

    tasks = ("recommender",)

    def __init__(self, image_encoders: tuple[str, ...] = ("tf_efficientnet_lite2", "colour-statistics"),
                 image_views: tuple[str, ...] = ALL_VIEWS,
                 music_encoders: tuple[str, ...] = ("MTT_musicnn", "audio-statistics"), clip_seconds: float = 30.0,
                 music_patches: int | None = 3, music_precision: str = "fp32", min_crop_patches: int = 3,
                 code_dim: int = 256, joint_dim: int = 128, sigma: float = 0.5, margin: float = 0.5,
                 lr: float = 1e-3, ae_epochs: int = 20, patience: int = 5, va_predictor: str = "imagemusic") -> None:
        super().__init__()
        self.save_hyperparameters()
        dims = self._build_side_encoders(image_encoders, image_views, music_encoders, clip_seconds, music_patches,
                                         music_precision)
        if not dims["image"] or not dims["music"]:
            raise ValueError("Mozart needs image_encoders and music_encoders (it joins both modalities)")
        widths = (1024, 512, code_dim)
        self.standardize = nn.ModuleDict({side: Standardizer(dims[side]) for side in SIDES})
        self.autoencoders = nn.ModuleDict({side: Autoencoder(dims[side] + self._description_width(), widths)
                                           for side in SIDES})
        self.scalers = nn.ModuleDict({side: MinMaxScaler(code_dim) for side in SIDES})
        self.head = ProjectionHead(code_dim, 256, joint_dim)
        self._outputs: dict[str, list] = {side: [] for side in SIDES}
        self._best: tuple[float, dict] | None = None
        self._waited = 0

    # ------------------------------------------------------------------------------ features -> joint space

    def _stage(self) -> str:
        """``"head"`` once the code scaling is fitted (from epoch ``ae_epochs`` of training on, and in
        every evaluation of trained weights), else ``"autoencoder"``."""
        return "head" if all(bool(s.fitted) for s in self.scalers.values()) else "autoencoder"

    def _description_width(self) -> int:
        """Width of what :meth:`autoencoder_input` adds to the features (none here; Salieri's text)."""
        return 0

    @property
    def reads_descriptions(self) -> bool:
        """Whether items' text descriptions change their codes (Salieri)."""
        return self._description_width() > 0

    def autoencoder_input(self, side: str, vectors: Tensor, va: Tensor, texts=None) -> Tensor:
        """What a side's autoencoder reads: the raw side vectors (:meth:`side_vector`) standardised.
        ``va`` ``[B, 2]`` and ``texts`` (descriptions) are for subclasses that add to it."""
        return self.standardize[side](vectors)

    def project(self, side: str, inputs: Tensor, va: Tensor) -> Tensor:
        """Joint-space codes ``[B, joint_dim]`` of autoencoder inputs and V/A ``[B, 2]``."""
        code = self.scalers[side](self.autoencoders[side].encode(inputs))
        return self.head(code, va.to(code))

    def embed_vectors(self, side: str, vectors: Tensor, va: Tensor, texts=None) -> Tensor:
        """Joint-space codes of raw side vectors (:meth:`side_vector`), their V/A and (Salieri) descriptions."""
        va = va.to(vectors)
        return self.project(side, self.autoencoder_input(side, vectors, va, texts), va)

    # ------------------------------------------------------------------------------ training

    def on_fit_start(self) -> None:
        super().on_fit_start()
        pending = [side for side in SIDES if not bool(self.standardize[side].fitted)]
        if pending:
            for side, rows in self.training_vectors(pending).items():
                self.standardize[side].fit(rows["vector"])

    def on_train_epoch_start(self) -> None:
        if self.current_epoch >= self.hparams.ae_epochs and self._stage() == "autoencoder":
            with torch.no_grad():
                for side, rows in self.training_vectors(SIDES).items():
                    inputs = self.autoencoder_input(side, rows["vector"], self._labelled(rows)[0])
                    self.scalers[side].fit(self.autoencoders[side].encode(inputs))

    def _labelled(self, part: dict) -> tuple[Tensor, Tensor]:
        """(V/A ``[B, 2]``, mask of the items with a V/A position: not sign-only labels)."""
        va = torch.stack([part["valence"], part["arousal"]], dim=-1).float().to(self.device)
        return va, part["label_type"].to(self.device) != BINARY

    def _step_loss(self, batch: dict, crop: bool) -> Tensor:
        parts = {side: batch[side] for side in SIDES if side in batch}
        if not parts:
            raise InputError("batch", "has no 'image' or 'music' part")
        vectors = {side: self.autoencoder_input(side, self.side_vector(side, part["features"], crop),
                                                self._labelled(part)[0])
                   for side, part in parts.items()}
        if self._stage() == "autoencoder":
            return sum(F.mse_loss(self.autoencoders[side](v), v) for side, v in vectors.items())
        z, va, modality = [], [], []
        for side, part in parts.items():
            labels, kept = self._labelled(part)
            with torch.no_grad():
                code = self.scalers[side](self.autoencoders[side].encode(vectors[side][kept]))
            z.append(self.head(code, labels[kept]))
            va.append(labels[kept])
            modality.append(torch.full((int(kept.sum()),), MODALITY[side], device=self.device))
        return affect_contrastive_loss(torch.cat(z), torch.cat(va), torch.cat(modality),
                                       self.hparams.sigma, self.hparams.margin)

    def training_step(self, batch: dict, batch_idx: int) -> Tensor:
        loss = self._step_loss(batch, crop=True)
        self.log(f"train/{'recon' if self._stage() == 'autoencoder' else 'contrastive'}", loss, prog_bar=True,
                 on_step=False, on_epoch=True)
        return loss

    # ------------------------------------------------------------------------------ evaluation

    def validation_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._collect(batch)

    def test_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._collect(batch)

    def _collect(self, batch: dict) -> None:
        for side, part in batch.items():
            va, kept = self._labelled(part)
            vectors = self.autoencoder_input(side, self.side_vector(side, part["features"]), va)
            recon = F.mse_loss(self.autoencoders[side](vectors), vectors, reduction="none").mean(1)
            self._outputs[side].append({"z": self.project(side, vectors, va)[kept], "va": va[kept], "recon": recon})

    def _epoch_metrics(self) -> dict[str, Tensor]:
        out = {side: {key: torch.cat([o[key] for o in rows]) for key in ("z", "va", "recon")}
               for side, rows in self._outputs.items() if rows}
        self._outputs = {side: [] for side in SIDES}
        metrics = {"recon": torch.cat([o["recon"] for o in out.values()]).mean()}
        if self._stage() == "head" and set(out) == set(SIDES):
            z = torch.cat([out["music"]["z"], out["image"]["z"]])
            va = torch.cat([out["music"]["va"], out["image"]["va"]])
            modality = torch.cat([torch.full((len(out[s]["z"]),), MODALITY[s], device=z.device) for s in ("music", "image")])
            metrics["contrastive"] = affect_contrastive_loss(z, va, modality, self.hparams.sigma, self.hparams.margin)
            metrics["affect_gain_at_10"] = affect_gain_at_k(out["music"]["z"], out["music"]["va"], out["image"]["z"],
                                                            out["image"]["va"])
        metrics["loss"] = metrics.get("contrastive", metrics["recon"])
        return metrics

    def on_validation_epoch_end(self) -> None:
        if not any(self._outputs.values()):
            return
        metrics = self._epoch_metrics()
        self.log_dict({f"val/{name}": value for name, value in metrics.items()})
        if "contrastive" in metrics and not self.trainer.sanity_checking:
            self._early_stopping(float(metrics["contrastive"]))

    def on_test_epoch_end(self) -> None:
        if any(self._outputs.values()):
            self.log_dict({f"test/{name}": value for name, value in self._epoch_metrics().items()})

    def _early_stopping(self, value: float) -> None:
        """The paper's early stopping: keep the head of the best validation loss; stop after
        ``patience`` epochs without improvement (or at the last epoch) with that head restored."""
        if self._best is None or value < self._best[0]:
            self._best, self._waited = (value, copy.deepcopy(self.head.state_dict())), 0
        else:
            self._waited += 1
        last = self.trainer.max_epochs is not None and self.current_epoch >= self.trainer.max_epochs - 1
        if self._waited >= self.hparams.patience or last:
            self.head.load_state_dict(self._best[1])
            self.trainer.should_stop = True

    def predict_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> dict:
        out = {}
        for side, part in batch.items():
            va, _ = self._labelled(part)
            out[side] = self.embed_vectors(side, self.side_vector(side, part["features"]), va)
        return out

    def configure_optimizers(self):
        trained = list(self.autoencoders.parameters()) + list(self.head.parameters())
        return torch.optim.Adam(trained, lr=self.hparams.lr, betas=(0.9, 0.999))

    def example_batch(self, batch_size: int = 2) -> dict:
        """Random encoder features with continuous V/A labels, for both sides."""
        def part(side: str) -> dict:
            return {"features": self.example_features(side, batch_size),
                    "valence": torch.rand(batch_size) * 2 - 1, "arousal": torch.rand(batch_size) * 2 - 1,
                    "label_type": torch.zeros(batch_size, dtype=torch.long), "source": torch.zeros(batch_size,
                                                                                                  dtype=torch.long)}
        return {side: part(side) for side in SIDES}
