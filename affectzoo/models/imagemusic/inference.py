"""ImageMusic's inference API: valence/arousal, pair scores, and music recommendation for an image.

A mixin of :class:`~affectzoo.models.imagemusic.ImageMusic`. It offers three tasks
(:mod:`affectzoo.tasks`):

* ``va-predictor``: :meth:`predict_va`. The heads read both branches, so every prediction belongs to
  a pair; a lone item's V/A is its head output averaged over pairs with the model's stored training
  vectors of the other modality, so an item's V/A does not depend on what else is in the call. A
  model that never trained has no stored vectors and pairs with a zero vector.
* ``pair-scorer``: :meth:`score`, :meth:`rank`: the predicted similarity of a pair, i.e. the IMUSE
  score of its predicted V/A (paper section 5).
* ``recommender``: :meth:`index` turns music into a :class:`~affectzoo.catalog.Catalog` (one 128-d
  vector per clip, cached per file, plus each clip's predicted V/A); :meth:`recommend` runs an
  image through its branch once and scores it against every catalogue vector with the fused head.

Inputs are media as :mod:`affectzoo.media` describes them (files, folders, PIL images, numpy or
torch images and waveforms with ``sample_rate``) or prepared tensors.
"""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import torch
from torch import Tensor

from affectzoo import media
from affectzoo.catalog import Catalog, Recommendation, encode_catalogue, existing_catalogue
from affectzoo.data.cache import FeatureCache
from affectzoo.errors import InputError
from affectzoo.models.rank_by_score import RankByScore
from affectzoo.models.imagemusic.torch_model import IMAGE_WIDTH, MUSIC_WIDTH, predicted_similarity


class ImageMusicInference(RankByScore):
    """V/A, pair scores and recommendation of ImageMusic (see the module docstring)."""

    # ------------------------------------------------------------------------------ vectors

    def image_vectors(self, images, batch_size: int = 32) -> Tensor:
        """Image vectors ``[N, 256]`` of images as media, prepared pixels or backbone features."""
        if isinstance(images, Tensor) and images.is_floating_point():
            tokens = images.ndim == 3 and tuple(images.shape[1:]) == (1, self.image_backbone.num_features)
            images = images[None] if images.ndim == 1 or images.ndim == 3 and not tokens else images
        else:
            images, _ = media.prepare_images(images, self.preprocess)
            if images is None:
                raise InputError("images", "no image given")
        with self._inference():
            return torch.cat([self.net.encode_image(self._image_features(images[i:i + batch_size])).cpu()
                              for i in range(0, len(images), batch_size)])

    def music_vector(self, music, sample_rate: int | None = None) -> Tensor:
        """The 128-d vector of one clip: a file or waveform (its first ``clip_seconds``), or musicnn
        patch features ``[P, 250]``."""
        if media.is_path(music) and self.music_backbone is not None:
            music = self.music_backbone.cached(music)
        elif not (isinstance(music, Tensor) and music.ndim == 2):
            music = media.waveform(music, self.preprocess, sample_rate)
            if self.hparams.music_branch == "samplecnn":
                from affectzoo.backbones.samplecnn import SAMPLECNN_INPUT_SAMPLES
                from affectzoo.data.audio import fit_length

                music = fit_length(music, max(len(music), SAMPLECNN_INPUT_SAMPLES))
        if not isinstance(music, Tensor) or music.ndim not in (1, 2):
            got = tuple(music.shape) if isinstance(music, Tensor) else type(music).__name__
            raise InputError("audio", f"expected a file, a waveform [T] or musicnn features [P, 250], got {got}")
        with self._inference():
            return self._music_vectors(music[None]).cpu()[0]

    def music_vectors(self, audio, sample_rate: int | None = None) -> Tensor:
        """Vectors ``[M, 128]`` of clips (files, folders, waveforms)."""
        collected = media.collect(audio, "audio")
        return torch.stack([self.music_vector(item, sample_rate) for item in collected.items])

    # ------------------------------------------------------------------------------ va-predictor

    def _va_of(self, vectors: Tensor, side: str) -> Tensor:
        """V/A ``[N, 2]`` in [-1, 1] of image (``side="image"``) or music vectors, each paired with the
        stored training vectors of the other side and averaged."""
        count = min(int(self.reference_count), len(self.image_reference))
        with self._inference():
            vectors = vectors.to(self.device)
            if side == "image":
                partners = self.music_reference[:count] if count else self.music_reference.new_zeros(1, MUSIC_WIDTH)
                pairs = self.net.head(vectors[:, None].expand(-1, len(partners), -1),
                                      partners[None].expand(len(vectors), -1, -1))
                return (pairs[..., :2].mean(dim=1) * 2 - 1).cpu()
            partners = self.image_reference[:count] if count else self.image_reference.new_zeros(1, IMAGE_WIDTH)
            pairs = self.net.head(partners[None].expand(len(vectors), -1, -1),
                                  vectors[:, None].expand(-1, len(partners), -1))
            return (pairs[..., 2:].mean(dim=1) * 2 - 1).cpu()

    def predict_va(self, images=None, audio=None, sample_rate: int | None = None) -> dict[str, Tensor]:
        """Valence and arousal in [-1, 1]: ``{"image": [N, 2], "music": [M, 2]}`` (each side only when given).

        ``images`` and ``audio``: one input or a list (files, folders in sorted order, PIL images,
        numpy/torch images, waveforms at ``sample_rate``, prepared tensors).
        """
        out = {}
        if images is not None:
            out["image"] = self._va_of(self.image_vectors(images), "image")
        if audio is not None:
            out["music"] = self._va_of(self.music_vectors(audio, sample_rate), "music")
        return out

    # ------------------------------------------------------------------------------ pair-scorer

    def score(self, images, audio, sample_rate: int | None = None) -> Tensor:
        """Predicted similarity ``[N]`` of the pairs ``(images[i], audio[i])`` (one clip: with every image)."""
        image_vectors = self.image_vectors(images)
        music_vectors = self.music_vectors(audio, sample_rate)
        if len(music_vectors) not in (1, len(image_vectors)):
            raise InputError("audio", f"{len(music_vectors)} music inputs for {len(image_vectors)} images: give one "
                                      "per image or a single one for all")
        with self._inference():
            outputs = self.net.head(image_vectors.to(self.device),
                                    music_vectors.to(self.device).expand(len(image_vectors), -1))
            return predicted_similarity(outputs).float().cpu()

    # ------------------------------------------------------------------------------ recommender

    def _music_weights_digest(self) -> str:
        """Checksum of every weight the music vectors depend on (the catalogue cache's key)."""
        digest = hashlib.sha256()
        for module in (self.net.music_encoder, self.net.music_fc, self.music_backbone):
            for name, tensor in (module.state_dict().items() if module is not None else ()):
                digest.update(name.encode())
                digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        return digest.hexdigest()

    def index(self, items, on_error: str = "raise") -> Catalog:
        """A music :class:`~affectzoo.catalog.Catalog` (vectors and predicted V/A) of a folder, a list of
        files or a ``.csv``/``.tsv`` table with an ``audio_path`` column; a saved catalogue file or a
        Catalog is returned as it is.

        Each file's vector is cached (namespace ``imagemusic-music``, keyed by the file's content,
        the music weights and ``clip_seconds``), so indexing again computes only new or changed
        files. ``on_error="skip"`` leaves out unreadable files with a warning instead of raising.
        """
        existing = existing_catalogue(items)
        if existing is not None:
            return existing
        cache = FeatureCache("imagemusic-music")
        cfg = {"weights": self._music_weights_digest(), "branch": self.hparams.music_branch,
               "seconds": self.preprocess["clip_seconds"]}
        kept, vectors = encode_catalogue(
            items, "audio", lambda path: cache.tensor(path, cfg, lambda: self.music_vector(path), encoder="imagemusic"),
            on_error)
        vectors = torch.stack(vectors)
        name = self.pretrained_cfg.name or type(self).__name__
        return Catalog(kept, vectors.numpy(), self._va_of(vectors, "music").numpy(), model=name, va_source=name,
                       kind="music", meta={"weights": cfg["weights"]})

    def recommend(self, query, catalogue, k: int = 10, on_error: str = "raise") -> list[Recommendation]:
        """The ``k`` catalogue clips whose pairing with the image ``query`` has the highest predicted
        similarity, best first. ``catalogue``: a Catalog from :meth:`index`, its saved file, or what
        :meth:`index` takes (indexed on the fly)."""
        if k < 1:
            raise ValueError(f"k must be positive, got {k}")
        catalogue = self.index(catalogue, on_error)
        image_vector = self.image_vectors(query)
        if len(image_vector) != 1:
            raise InputError("image", f"recommend takes one image, got {len(image_vector)}")

        def similarity(queries: np.ndarray, block: np.ndarray) -> np.ndarray:
            with self._inference():
                music = torch.tensor(block, device=self.device)
                outputs = self.net.head(torch.from_numpy(queries).to(self.device).expand(len(music), -1), music)
                return predicted_similarity(outputs).cpu().numpy()[None]

        return [Recommendation(item, score) for item, score in
                catalogue.top(image_vector.numpy(), k, metric=similarity)]

    def recommend_music(self, image, catalog, k: int = 10, on_error: str = "raise") -> list[Recommendation]:
        """Deprecated name of :meth:`recommend`."""
        warnings.warn("recommend_music is deprecated; use recommend", FutureWarning, stacklevel=2)
        return self.recommend(image, catalog, k, on_error)
