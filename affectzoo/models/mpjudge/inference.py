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
from affectzoo.models.va_prior import composition_score


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

    def prior_va_of(self, items, kind: str, given=None, sample_rate: int | None = None) -> Tensor | None:
        """V/A ``[N, 2]`` (``[N, K, 2]`` with K priors) of paintings (``kind="image"``) or music
        (``"audio"``) for the frozen prior (``prior_model``): ``given`` when passed, else the prior's prediction for media. Prepared
        tensors (pixels, tokens, music features) carry no V/A, so they need ``given``. None without a prior."""
        if self.va_prior is None:
            return None
        if given is not None:
            return torch.as_tensor(given, dtype=torch.float32).reshape(-1, *self.va_prior.shape)
        prepared = (isinstance(items, Tensor) and items.is_floating_point() if kind == "image"
                    else isinstance(items, Tensor) and items.ndim > 1)
        if prepared:
            argument = "image_va" if kind == "image" else "music_va"
            raise InputError(argument, f"this MPJudge adds the V/A-distance composition of "
                                       f"{self.hparams.prior_model!r}: prepared tensors carry no V/A, so pass "
                                       f"{argument}= ({[-1, *self.va_prior.shape]} in [-1, 1]) or give the media "
                                       "themselves")
        return self.va_prior.media(items, kind, sample_rate)

    def _pair_composition(self, images, audio, n_images: int, n_music: int, image_va, music_va,
                          sample_rate: int | None) -> Tensor | None:
        """The prior's composition score ``[n_images]`` (``[n_images, K]``; music broadcast when one), or
        None without a prior."""
        image_va = self.prior_va_of(images, "image", image_va)
        if image_va is None:
            return None
        music_va = self.prior_va_of(audio, "audio", music_va, sample_rate)
        if len(image_va) != n_images or len(music_va) != n_music:
            raise InputError("image_va", f"{len(image_va)} painting V/A and {len(music_va)} music V/A for "
                                         f"{n_images} paintings and {n_music} music inputs")
        return composition_score(image_va, music_va.expand(n_images, *music_va.shape[1:]) if n_music == 1 else music_va)

    # ------------------------------------------------------------------------------ scoring

    def score(self, images, audio, batch_size: int = 32, sample_rate: int | None = None,
              image_va=None, music_va=None) -> Tensor:
        """Scores ``[N]`` (CPU, float32; higher = better fit) of the pairs ``(images[i], audio[i])``.

        ``images``: painting files, a folder, PIL images or arrays, or prepared tensors ``[N, 3, S, S]``
        / one ``[3, S, S]`` (lite0: or backbone tokens ``[N, N_tok, C]``); ``audio``: files,
        waveforms (at ``sample_rate``), or prepared music inputs (mel ``[N, T, n_mels]``, musicnn
        features ``[N, P, 250]``, official spectrogram images ``[N, 3, H, W]``). A single music
        input is paired with every painting and encoded once. Computed ``batch_size`` pairs at a time.
        ``image_va`` / ``music_va``: the prior's V/A ``[N, 2]`` (models with ``prior_model``), needed
        only for prepared tensors; media get theirs from the prior.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        paintings = self._painting_batch(self.painting_input(images), "images")
        music = self._music_batch(self.music_input(audio, sample_rate), "audio")
        if len(music) not in (1, len(paintings)):
            raise InputError("audio", f"{len(music)} music inputs for {len(paintings)} paintings: give one per "
                                      "painting or a single one for all")
        composition = self._pair_composition(images, audio, len(paintings), len(music), image_va, music_va,
                                             sample_rate)

        def part(start: int) -> Tensor | None:
            return None if composition is None else composition[start:start + batch_size].to(self.device)

        with self._inference():
            if len(music) == 1:
                return self._score_against(music, paintings, batch_size, part)
            out = [self.net(self._encode_paintings(paintings[i:i + batch_size].to(self.device)),
                            music[i:i + batch_size].to(self.device), part(i))
                   for i in range(0, len(paintings), batch_size)]
            return torch.cat(out).float().cpu()

    def _score_against(self, music: Tensor, paintings: Tensor, batch_size: int, composition) -> Tensor:
        """Scores ``[N]`` of one music input ``[1, ...]`` against checked paintings ``[N, ...]``, music
        encoded once; ``composition(start)`` is the prior's score of the chunk from ``start`` (or None)."""
        tokens, y = self.net.encode_music(music.to(self.device))
        out = []
        for start in range(0, len(paintings), batch_size):
            chunk = self._encode_paintings(paintings[start:start + batch_size].to(self.device))
            n = len(chunk)
            out.append(self.net.judge(chunk, None if tokens is None else tokens.expand(n, -1, -1),
                                      None if y is None else y.expand(n, -1),
                                      composition=composition(start))[0].float().cpu())
        return torch.cat(out)

    def rank(self, audio, images, k: int = 10, batch_size: int = 32,
             sample_rate: int | None = None, image_va=None, music_va=None) -> tuple[Tensor, Tensor]:
        """The ``k`` paintings that best match one music input: (indices ``[k]``, scores ``[k]``), best first.

        The music is encoded once and its vector reused for every painting; ``k`` larger than the
        number of paintings returns them all.
        """
        if k < 1:
            raise ValueError(f"k must be positive, got {k}")
        music = self._music_batch(self.music_input(audio, sample_rate), "audio")
        if len(music) != 1:
            raise InputError("audio", f"rank takes one music input, got {len(music)}")
        music_va = self.prior_va_of(audio, "audio", music_va, sample_rate)
        scores = self.score(images, music, batch_size, image_va=image_va, music_va=music_va)
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
            # the intensities do not depend on the score's priors: read them from the painting encoder
            _, intensity = self.net.painting(self._encode_paintings(paintings.to(self.device)), tokens, y, ord)
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
