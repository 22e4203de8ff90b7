"""Music2Palette (Hu et al., ACM MM 2025) as a LightningModule: colour palettes that carry a song's emotion.

Music -> 539 frame features (:mod:`~affectzoo.models.music2palette.features`, cached, standardised
with training statistics) -> AST-style encoder -> music tokens ``z`` -> ``z + eps``, ``eps ~
N(0, noise_sigma^2 I)`` (at training and at sampling: different noise, different palettes) ->
colour decoder -> 3-5 CIELCh colours (:mod:`~affectzoo.models.music2palette.torch_model`).

Training (``training_step``): a random ``train_seconds`` window of each clip; the loss is

    lambda_delta_e * dE00 / 100 + lambda_diversity * diversity + lambda_emotion * emotion + lambda_stop * stop

(:mod:`affectzoo.losses.palette`): dE00 under the optimal colour assignment to each of the item's
candidate palettes (``open-palettes`` gives the top 5 matches of each song), weighted by rank
(``candidates="soft"``) or the nearest only (``"min"``); minus the hue spread; the emotion
consistency of music, prediction and the candidates (weighted alike; the music's vector from
its V/A labels, the palettes' from the colour-emotion table :mod:`~affectzoo.models.music2palette.emotion_grid`,
fitted from the DataModule's colour-emotion model at the start of training and saved with the
weights), and the stop-token loss. Validation and test report the same terms on whole clips with
seeded noise; ``val/loss`` is their weighted sum. The Table 1 metrics and baseline C are computed
by ``benchmarks/music2palette_eval.py``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from affectzoo.affect.color import lab_to_srgb, lch_to_lab, srgb_to_hex
from affectzoo.affect.russell import va_to_emotion
from affectzoo.errors import InputError
from affectzoo.losses.palette import (candidate_weights, emotion_consistency, hue_diversity, matched_delta_e,
                                     stop_loss)
from affectzoo.models.base import ZooModule
from affectzoo.models.music2palette.emotion_grid import ColourEmotionGrid
from affectzoo.models.music2palette.features import FEATURE_DIM, HOP, SAMPLE_RATE, PaletteFeatures
from affectzoo.models.music2palette.torch_model import ColourDecoder, FeatureEncoder, palette_lengths
from affectzoo.models.side_features import Standardizer

PAPER = "Hu et al., \"Music2Palette: Emotion-aligned Color Palette Generation via Cross-Modal Representation Learning\", ACM MM 2025"
LOSS_TERMS = ("delta_e", "diversity", "emotion", "stop")


class Music2Palette(ZooModule):
    """Music2Palette's encoder, noise and colour decoder (see the module docstring)."""

    tasks = ("palette-generator",)

    def __init__(self, clip_seconds: float = 30.0, train_seconds: float = 10.0, band: int = 49, span: int = 16,
                 d_model: int = 256, encoder_layers: int = 4, encoder_heads: int = 4, decoder_layers: int = 4,
                 decoder_heads: int = 8, dropout: float = 0.1, min_colours: int = 3, max_colours: int = 5,
                 noise_sigma: float = 1.0, lambda_delta_e: float = 1.0, lambda_diversity: float = 0.1,
                 lambda_emotion: float = 1.0, lambda_stop: float = 0.1, candidates: str = "soft", lr: float = 1e-4,
                 weight_decay: float = 0.01) -> None:
        super().__init__()
        self.save_hyperparameters()
        if not 1 <= min_colours <= max_colours:
            raise ValueError(f"need 1 <= min_colours <= max_colours, got {min_colours}, {max_colours}")
        self.features = PaletteFeatures(clip_seconds)
        self.standardize = Standardizer(FEATURE_DIM)
        self.encoder = FeatureEncoder(FEATURE_DIM, band, span, d_model, encoder_layers, encoder_heads, 2 * d_model,
                                      dropout)
        self.decoder = ColourDecoder(d_model, decoder_layers, decoder_heads, 4 * d_model, dropout, max_colours)
        self.emotion_grid = ColourEmotionGrid()

    # ------------------------------------------------------------------------------ music -> palettes

    def frozen_encoders(self) -> dict:
        return {"audio": self.features}

    def default_preprocess(self) -> dict:
        return dict(self.features.preprocess)

    def encode(self, frames: Tensor, lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Music tokens and their padding mask from raw frame features ``[B, T, 539]``."""
        return self.encoder(self.standardize(frames.float().to(self.device)), lengths)

    def decode(self, tokens: Tensor, padding: Tensor, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """(LCh colours ``[B, S, 3]``, stop logits ``[B, S]``) from the tokens plus fresh noise."""
        noise = torch.randn(tokens.shape, generator=generator, device="cpu").to(tokens) if generator is not None \
            else torch.randn_like(tokens)
        return self.decoder(tokens + self.hparams.noise_sigma * noise, padding)

    def sample_lab(self, frames: Tensor, n: int = 1, seed: int | None = None) -> tuple[Tensor, Tensor]:
        """``n`` palettes of one clip's frame features ``[T, 539]``: (CIELab ``[n, S, 3]``, lengths ``[n]``)."""
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        tokens, padding = self.encode(frames[None])
        lch, stops = self.decode(tokens.expand(n, -1, -1), padding.expand(n, -1), generator)
        return lch_to_lab(lch), palette_lengths(stops, self.hparams.min_colours)

    def clip_features(self, audio, sample_rate: int | None = None) -> Tensor:
        """Frame features ``[T, 539]`` of a file (from the feature cache) or a waveform array."""
        from affectzoo import media

        if media.is_path(audio):
            return self.features.cached(str(audio))
        return self.features.encode(audio, sample_rate)

    def generate(self, audio, n: int = 1, seed: int | None = None, sample_rate: int | None = None) -> list[list[str]]:
        """``n`` palettes (lists of 3-5 ``#rrggbb``) for one piece of music (file or waveform); the
        same ``seed`` gives the same palettes."""
        if n < 1:
            raise InputError("n", f"must be at least 1, got {n}")
        with self._inference():
            lab, lengths = self.sample_lab(self.clip_features(audio, sample_rate), n, seed)
        return [srgb_to_hex(lab_to_srgb(palette[:length].double())) for palette, length in zip(lab.cpu(), lengths)]

    # ------------------------------------------------------------------------------ training

    def on_fit_start(self) -> None:
        super().on_fit_start()
        datamodule = self.trainer.datamodule
        if not bool(self.standardize.fitted):
            self.standardize.set(*_frame_statistics(datamodule.datasets["train"]))
        if not bool(self.emotion_grid.fitted):
            model = getattr(datamodule, "color_emotion", None)
            if model is None and self.hparams.lambda_emotion:
                raise ValueError("lambda_emotion > 0 needs a DataModule with a fitted colour-emotion model "
                                 "(`color_emotion`, as open-palettes has)")
            if model is not None:
                self.emotion_grid.fit(model)

    def _window(self, frames: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """A random ``train_seconds`` window of each clip (shorter clips whole)."""
        span = max(1, round(self.hparams.train_seconds * SAMPLE_RATE / HOP))
        if frames.shape[1] <= span:
            return frames, lengths
        starts = (torch.rand(len(frames)) * (lengths.cpu() - span).clamp(min=0).float()).long()
        windows = torch.stack([frames[b, s:s + span] for b, s in enumerate(starts.tolist())])
        return windows, lengths.clamp(max=span)

    def _losses(self, batch: dict, train: bool, generator: torch.Generator | None = None) -> dict[str, Tensor]:
        frames = batch["music_features"].float()  # cached as float16
        lengths = batch.get("music_features_lengths", torch.full((len(frames),), frames.shape[1]))
        if train:
            frames, lengths = self._window(frames, lengths)
        tokens, padding = self.encode(frames, lengths)
        lch, stops = self.decode(tokens, padding, generator)
        lab = lch_to_lab(lch)
        candidates = batch["candidates"].to(lab)
        per_candidate = matched_delta_e(lab, candidates)
        weights = candidate_weights(per_candidate, self.hparams.candidates)
        delta_e = (per_candidate * weights).sum(1)
        target_emotion = (self.emotion_grid.palette_emotion(candidates.flatten(0, 1)).view(*candidates.shape[:2], -1)
                          * weights[..., None]).sum(1)
        music = va_to_emotion(torch.stack([batch["valence"], batch["arousal"]], -1).float().to(lab))
        emotion = emotion_consistency(music, self.emotion_grid.palette_emotion(lab), target_emotion)
        target_lengths = torch.full((len(lab),), candidates.shape[-2], device=lab.device)
        terms = {"delta_e": delta_e.mean(), "diversity": hue_diversity(lch).mean(), "emotion": emotion.mean(),
                 "stop": stop_loss(stops, target_lengths).mean()}
        weights = {"delta_e": self.hparams.lambda_delta_e / 100.0, "diversity": self.hparams.lambda_diversity,
                   "emotion": self.hparams.lambda_emotion, "stop": self.hparams.lambda_stop}
        terms["loss"] = sum(weights[name] * terms[name] for name in LOSS_TERMS)
        return terms

    def training_step(self, batch: dict, batch_idx: int) -> Tensor:
        terms = self._losses(batch, train=True)
        self.log_dict({f"train/{name}": value for name, value in terms.items()}, prog_bar=False, on_step=False,
                      on_epoch=True, batch_size=len(batch["candidates"]))
        return terms["loss"]

    def _evaluate(self, batch: dict, stage: str) -> None:
        terms = self._losses(batch, train=False, generator=torch.Generator().manual_seed(0))
        self.log_dict({f"{stage}/{name}": value for name, value in terms.items()}, batch_size=len(batch["candidates"]),
                      prog_bar=stage == "val")

    def validation_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._evaluate(batch, "test")

    def predict_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> Tensor:
        """CIELab palettes ``[B, S, 3]`` of the batch's clips (seeded noise)."""
        frames = batch["music_features"]
        tokens, padding = self.encode(frames, batch.get("music_features_lengths"))
        lch, _ = self.decode(tokens, padding, torch.Generator().manual_seed(0))
        return lch_to_lab(lch)

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        epochs = self.trainer.max_epochs if self.trainer is not None and self.trainer.max_epochs else 100
        return {"optimizer": optimizer, "lr_scheduler": torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)}

    def example_batch(self, batch_size: int = 2) -> dict:
        """Random frame features with V/A labels and two candidate five-colour palettes per clip."""
        lab = torch.cat([torch.rand(batch_size, 2, 5, 1) * 60 + 20, torch.rand(batch_size, 2, 5, 2) * 80 - 40], -1)
        return {"music_features": torch.randn(batch_size, 40, FEATURE_DIM),
                "valence": torch.rand(batch_size) * 2 - 1, "arousal": torch.rand(batch_size) * 2 - 1,
                "candidates": lab}


def _frame_statistics(dataset) -> tuple[Tensor, Tensor]:
    """Mean and standard deviation of every frame of every training clip (accumulated in float64)."""
    total, squares, count = torch.zeros(FEATURE_DIM, dtype=torch.float64), torch.zeros(FEATURE_DIM, dtype=torch.float64), 0
    for index in range(len(dataset)):
        frames = dataset[index]["music_features"].double()
        total += frames.sum(0)
        squares += (frames ** 2).sum(0)
        count += len(frames)
    if not count:
        raise InputError("training split", "has no music frames to standardise with")
    mean = total / count
    return mean.float(), (squares / count - mean ** 2).clamp(min=0).sqrt().float()
