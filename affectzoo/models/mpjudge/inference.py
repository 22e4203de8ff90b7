"""MPJudge's pair-scorer API: ``score``, ``rank``, modulation maps and the ``--explain`` picture.

A mixin of :class:`~affectzoo.models.mpjudge.MPJudge` (it uses the model's network, encoders and
input checks). Every method takes media as :mod:`affectzoo.media` describes them (files, folders,
PIL images, arrays, waveforms with ``sample_rate``) as well as prepared tensors, and prepares them
as the model's ``preprocess`` says.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import Tensor

from affectzoo import media
from affectzoo.errors import InputError
from affectzoo.models.mpjudge.explain import write_modulation_png


class MPJudgeInference:
    """Scoring and explanation methods of MPJudge (see the module docstring)."""

    # ------------------------------------------------------------------------------ inputs

    def painting_input(self, images) -> Tensor:
        """Paintings as the model reads them: pixels ``[N, 3, S, S]`` (one input: ``[3, S, S]``);
        prepared tensors (pixels, lite0 tokens) pass through."""
        if isinstance(images, Tensor) and images.is_floating_point():
            return images
        pixels, _ = media.prepare_images(images, self.preprocess)
        return pixels[0] if media.is_single(images) else pixels

    def music_input(self, audio, sample_rate: int | None = None) -> Tensor:
        """What the music encoder reads (musicnn patch features, or a log-mel of the first
        ``clip_seconds``, padded to that length) for files, folders, waveforms or prepared tensors.
        One input gives one unbatched tensor, a list a batch."""
        if isinstance(audio, Tensor) and audio.ndim > 1:
            return audio
        collected = media.collect(audio, "audio")
        prepared = torch.stack([self._one_music(item, sample_rate) for item in collected.items])
        return prepared[0] if media.is_single(audio) else prepared

    def _one_music(self, item, sample_rate: int | None) -> Tensor:
        if isinstance(item, Tensor) and item.ndim > 1:
            return item
        if self.music_backbone is not None:
            if media.is_path(item):
                return self.music_backbone.cached(item)
            return self.music_backbone.encode(item, sample_rate)
        from affectzoo.data.audio import fit_length
        from affectzoo.layers.mel import MelFrontEnd

        preprocess = self.preprocess
        if "n_mels" not in preprocess:
            raise InputError("audio", f"the {self.hparams.variant} variant reads a spectrogram image, not audio: "
                                      "pass the prepared tensor [3, H, W]")
        wave = media.waveform(item, preprocess, sample_rate)
        wave = fit_length(wave, round(preprocess["clip_seconds"] * preprocess["sample_rate"]))
        with torch.no_grad():
            return MelFrontEnd.from_cfg(preprocess)(wave.float())

    # ------------------------------------------------------------------------------ scoring

    def score(self, images, audio, batch_size: int = 32, sample_rate: int | None = None) -> Tensor:
        """Scores ``[N]`` (CPU, float32; higher = better fit) of the pairs ``(images[i], audio[i])``.

        ``images``: painting files, a folder, PIL images or arrays, or prepared tensors ``[N, 3, S, S]``
        / one ``[3, S, S]`` (lite0: or backbone tokens ``[N, N_tok, C]``); ``audio``: files,
        waveforms (at ``sample_rate``), or prepared music inputs (mel ``[N, T, n_mels]``, musicnn
        features ``[N, P, 250]``, official spectrogram images ``[N, 3, H, W]``). A single music
        input is paired with every painting and encoded once. Computed ``batch_size`` pairs at a time.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        paintings = self._painting_batch(self.painting_input(images), "images")
        music = self._music_batch(self.music_input(audio, sample_rate), "audio")
        if len(music) not in (1, len(paintings)):
            raise InputError("audio", f"{len(music)} music inputs for {len(paintings)} paintings: give one per "
                                      "painting or a single one for all")
        with self._inference():
            if len(music) == 1:
                return self._score_against(music, paintings, batch_size)
            out = [self.net(self._encode_paintings(paintings[i:i + batch_size].to(self.device)),
                            music[i:i + batch_size].to(self.device)) for i in range(0, len(paintings), batch_size)]
            return torch.cat(out).float().cpu()

    def _score_against(self, music: Tensor, paintings: Tensor, batch_size: int) -> Tensor:
        """Scores ``[N]`` of one music input ``[1, ...]`` against checked paintings ``[N, ...]``, music encoded once."""
        tokens, y = self.net.encode_music(music.to(self.device))
        out = []
        for start in range(0, len(paintings), batch_size):
            chunk = self._encode_paintings(paintings[start:start + batch_size].to(self.device))
            n = len(chunk)
            out.append(self.net.judge(chunk, None if tokens is None else tokens.expand(n, -1, -1),
                                      None if y is None else y.expand(n, -1))[0].float().cpu())
        return torch.cat(out)

    def rank(self, audio, images, k: int = 10, batch_size: int = 32,
             sample_rate: int | None = None) -> tuple[Tensor, Tensor]:
        """The ``k`` paintings that best match one music input: (indices ``[k]``, scores ``[k]``), best first.

        The music is encoded once and its vector reused for every painting; ``k`` larger than the
        number of paintings returns them all.
        """
        if k < 1:
            raise ValueError(f"k must be positive, got {k}")
        music = self._music_batch(self.music_input(audio, sample_rate), "audio")
        if len(music) != 1:
            raise InputError("audio", f"rank takes one music input, got {len(music)}")
        scores = self.score(images, music, batch_size)
        top = torch.topk(scores, min(k, len(scores)))
        return top.indices, top.values

    # ------------------------------------------------------------------------------ explanation

    def modulation_maps(self, image, audio, ord: float = 1.0, sample_rate: int | None = None) -> tuple[Tensor, Tensor]:
        """Modulation intensity of one pair (paper eq. 4): maps ``[L, S/p, S/p]`` and layer intensities ``[L]``.

        Map entry (l, i, j) is ``||MAN_l(x, y) - x||_ord`` of the token of patch row i, column j in
        layer l (L1 as in the paper; ``ord=2`` is the reference code's visualisation); a layer's
        intensity is the mean of its map. ``image``: one painting (any media, or pixels ``[3, S, S]``;
        lite0: or its tokens ``[N, C]``, whose grid is the backbone's feature map); ``audio`` one music input.
        """
        if not self.has_modulation:
            raise ValueError(f"modulation maps need MAN fusion; this model has fusion={self.hparams.fusion!r}")
        paintings = self._painting_batch(self.painting_input(image), "image")
        music = self._music_batch(self.music_input(audio, sample_rate), "audio")
        if len(paintings) != 1 or len(music) != 1:
            raise InputError("image", f"modulation maps are for one pair, got {len(paintings)} paintings and "
                                      f"{len(music)} music inputs")
        with self._inference():
            tokens, y = self.net.encode_music(music.to(self.device))
            _, intensity = self.net.judge(self._encode_paintings(paintings.to(self.device)), tokens, y, ord)
        maps = intensity[0].float().cpu().reshape(-1, self.grid, self.grid)
        return maps, maps.flatten(1).mean(dim=1)

    def explain(self, image, audio, path: str | os.PathLike, sample_rate: int | None = None) -> Path:
        """Write the ``--explain`` PNG of one pair: the painting and its first- and last-layer maps overlaid.

        ``image`` is a painting as media, or its prepared pixels ``[3, S, S]`` (the PNG shows them).
        """
        size = self.hparams.image_size
        pixels = self.painting_input(image)
        if not isinstance(pixels, Tensor) or tuple(pixels.shape) not in ((3, size, size), (1, 3, size, size)):
            got = tuple(pixels.shape) if isinstance(pixels, Tensor) else type(pixels).__name__
            raise InputError("image", f"explain draws the painting: pass one painting or its pixels "
                                      f"[3, {size}, {size}], got {got}")
        pixels = pixels.reshape(1, 3, size, size)
        maps, intensities = self.modulation_maps(pixels, audio, sample_rate=sample_rate)
        mean = torch.tensor(self.preprocess["mean"]).view(3, 1, 1)
        std = torch.tensor(self.preprocess["std"]).view(3, 1, 1)
        rgb = (pixels[0].detach().cpu().float() * std + mean).clamp(0, 1)
        return write_modulation_png(path, rgb, maps, intensities)
