"""Joint music/image embedders for the EMID construction pipeline (:mod:`.pairing`).

EMID pairs each clip with the images nearest to it in one joint space (the paper uses ImageBind).
A :class:`JointEmbedder` gives rows of that space for music files and for image files; the pairing
only needs the two matrices to share a dimension. Implementations:

* :class:`MozartEmbedder` (``mozart``): the zoo's shipped Mozart joint space. Its codes are
  compared by distance in Mozart itself, so they are scaled to unit length here (``X Y^T`` is then a
  cosine, as it is for ImageBind's unit-length image side). It also hands back the V/A it predicted
  for each item (:meth:`MozartEmbedder.predicted_va`), so the pipeline does not compute V/A twice.
* :class:`EmbeddingFileEmbedder` (a ``.npz`` or ``.csv`` path): vectors someone computed elsewhere
  (e.g. with ImageBind on a GPU machine), looked up by path, file name or stem.
* :class:`ImageBindEmbedder` (``imagebind``): the paper's encoder, where the ``imagebind`` package
  and its ``imagebind_huge.pth`` are on this machine; nothing is downloaded. Its outputs are kept as
  ImageBind gives them (the audio side carries ImageBind's fixed logit scale of 20).

:func:`embedder_by_name` maps a command-line name to one of these. :class:`IdLookup` (also used
for V/A labels) finds an item's row in a table of ids.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from affectzoo.errors import CheckpointError, InputError

IMAGEBIND_CHECKPOINT = "imagebind_huge.pth"
#: Environment variable naming ImageBind's checkpoint file (checked before the default places).
IMAGEBIND_ENV = "AFFECTZOO_IMAGEBIND_CHECKPOINT"
EMBEDDING_SUFFIXES = (".npz", ".csv")


@runtime_checkable
class JointEmbedder(Protocol):
    """Rows of one joint space for music and images (``items``: paths as :mod:`affectzoo.media` takes them).

    An embedder may also offer ``predicted_va(items) -> [N, 2]`` for items it embedded, V/A in
    [-1, 1] it computed on the way; the pipeline then uses them instead of running a V/A predictor.
    """

    name: str

    def embed_music(self, items: Sequence) -> np.ndarray:
        """``[N, D]`` float rows, one per music item, in order."""

    def embed_images(self, items: Sequence) -> np.ndarray:
        """``[M, D]`` float rows, one per image item, in order."""


# ------------------------------------------------------------------------------------ id lookup


def _lookup_keys(text: str) -> tuple[str, str, str, str]:
    """The keys an id or item is known by, most specific first: as written, absolute path, file name, stem."""
    path = Path(os.path.expanduser(text))
    return text, os.path.normpath(os.path.abspath(path)), path.name, path.stem


class IdLookup:
    """Row numbers of a table's ids, found by an item's path as given, its absolute path, its file
    name or its stem (the first of these that matches exactly one id wins).

    ``source`` is the table's file (or a description), named in every error.
    """

    def __init__(self, ids: Sequence, source) -> None:
        self.source = str(source)
        self.ids = [str(ident).strip() for ident in ids]
        self._levels: list[dict[str, list[int]]] = [{}, {}, {}, {}]
        seen: set[str] = set()
        for row, ident in enumerate(self.ids):
            if not ident:
                raise InputError(self.source, f"empty id at data row {row + 1}")
            if ident in seen:
                raise InputError(self.source, f"the id {ident!r} appears more than once")
            seen.add(ident)
            for level, key in zip(self._levels, _lookup_keys(ident)):
                level.setdefault(key, []).append(row)

    def __len__(self) -> int:
        return len(self.ids)

    def find(self, item) -> int | None:
        """The row of ``item``, or None when no id matches it unambiguously."""
        for level, key in zip(self._levels, _lookup_keys(str(item))):
            rows = level.get(key, [])
            if len(rows) == 1:
                return rows[0]
        return None

    def row(self, item, what: str = "entry") -> int:
        """The row of ``item``; an :class:`InputError` naming the table and the item otherwise."""
        found = self.find(item)
        if found is not None:
            return found
        name = Path(str(item)).name
        shared = [self.ids[i] for level, key in zip(self._levels, _lookup_keys(str(item))) for i in level.get(key, [])]
        if shared:
            raise InputError(self.source, f"{name!r} ({item}) matches several ids ({', '.join(sorted(set(shared)))}); "
                                          "write the file name or path as its id")
        raise InputError(self.source, f"no {what} for {name!r} ({item}); ids are matched by path, file name "
                                      "or file name without suffix")


# -------------------------------------------------------------------------------- embedding file


class EmbeddingFileEmbedder:
    """Vectors from a file: ``.npz`` with arrays ``ids`` (strings) and ``vectors`` ``[N, D]``, or a CSV
    with a header ``id,v0,v1,...``. Music and images share the file (and so the dimension); an item
    is found by path, file name or stem (:class:`IdLookup`), and an item with no vector raises an
    :class:`InputError` naming the file and the id."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path).expanduser()
        if self.path.suffix.lower() not in EMBEDDING_SUFFIXES:
            raise InputError(self.path, f"an embedding file must be .npz (arrays ids, vectors) or .csv "
                                        f"(id,v0,v1,...), got suffix {self.path.suffix!r}")
        if not self.path.is_file():
            raise InputError(self.path, "embedding file not found")
        ids, self.vectors = (_read_npz if self.path.suffix.lower() == ".npz" else _read_csv)(self.path)
        self.lookup = IdLookup(ids, self.path)
        self.name = f"file:{self.path.name}"

    def _embed(self, items: Sequence) -> np.ndarray:
        rows = [self.lookup.row(item, "embedding") for item in items]
        return self.vectors[rows]

    def embed_music(self, items: Sequence) -> np.ndarray:
        return self._embed(items)

    def embed_images(self, items: Sequence) -> np.ndarray:
        return self._embed(items)


def _checked_vectors(path: Path, vectors: np.ndarray, count: int) -> np.ndarray:
    if vectors.ndim != 2 or vectors.shape[1] == 0:
        raise InputError(path, f"vectors should be a 2-D array [items, dims], got shape {vectors.shape}")
    if len(vectors) != count:
        raise InputError(path, f"{count} ids but {len(vectors)} vectors")
    if not np.isfinite(vectors).all():
        raise InputError(path, f"vectors contain NaN or infinite values (first at row {int(np.argwhere(~np.isfinite(vectors))[0, 0]) + 1})")
    return vectors


def _read_npz(path: Path) -> tuple[list[str], np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in ("ids", "vectors") if key not in archive.files]
            if missing:
                raise InputError(path, f"missing array(s) {', '.join(missing)}; the file has {', '.join(archive.files)}")
            ids, vectors = archive["ids"], archive["vectors"]
    except ValueError as err:  # object arrays need pickle, which is not read
        if isinstance(err, InputError):
            raise
        raise InputError(path, f"cannot read the arrays ({err}); save ids as a string array, "
                               "np.savez(path, ids=np.array(ids, dtype=str), vectors=vectors)") from None
    except (OSError, EOFError) as err:
        raise InputError(path, f"not a readable .npz file ({err})") from None
    if ids.ndim != 1 or ids.dtype.kind not in "UST":
        raise InputError(path, f"ids should be a 1-D array of strings, got dtype {ids.dtype} shape {ids.shape}")
    if not np.issubdtype(vectors.dtype, np.number):
        raise InputError(path, f"vectors should be numbers, got dtype {vectors.dtype}")
    ids = [i.decode() if isinstance(i, bytes) else str(i) for i in ids.tolist()]
    return ids, _checked_vectors(path, vectors.astype(np.float64), len(ids))


def _read_csv(path: Path) -> tuple[list[str], np.ndarray]:
    from affectzoo.data.readers._common import numeric, read_table

    table = read_table(path)
    if table.columns[0] != "id" or len(table.columns) < 2:
        raise InputError(path, f"expected a header id,v0,v1,... (an id column first, then the vector), "
                               f"got {', '.join(map(repr, table.columns[:4]))}")
    columns = list(table.columns[1:])
    vectors = np.stack([numeric(table, column, path).to_numpy() for column in columns], axis=1)
    return list(table["id"]), _checked_vectors(path, vectors, len(table))


# ------------------------------------------------------------------------------------------ Mozart


class MozartEmbedder:
    """Mozart's joint space (``affectzoo.load(model)``, default the shipped ``mozart``), codes scaled to
    unit length (``normalize``). The V/A Mozart predicted for each embedded item (from its V/A
    predictor, default the zoo's) are kept: :meth:`predicted_va`. ``va_predictor``: a model with
    ``predict_va`` to use instead of Mozart's own."""

    def __init__(self, model="mozart", va_predictor=None, normalize: bool = True) -> None:
        from affectzoo._factory import load

        self.model = load(model) if isinstance(model, (str, os.PathLike)) else model
        if va_predictor is not None:
            self.model.use_va_predictor(va_predictor)
        self.normalize = normalize
        cfg = getattr(self.model, "pretrained_cfg", None)
        self.name = (cfg.name if cfg is not None else "") or str(model)
        self._va: dict[str, np.ndarray] = {}

    def _embed(self, side: str, items: Sequence) -> np.ndarray:
        codes, va = self.model.embed(side, list(items))
        for item, values in zip(items, va.numpy()):
            self._va[str(item)] = values.astype(np.float64)
        codes = codes.numpy().astype(np.float64)
        if self.normalize:
            codes = codes / np.maximum(np.linalg.norm(codes, axis=1, keepdims=True), 1e-12)
        return codes

    def embed_music(self, items: Sequence) -> np.ndarray:
        return self._embed("music", items)

    def embed_images(self, items: Sequence) -> np.ndarray:
        return self._embed("image", items)

    def predicted_va(self, items: Sequence) -> np.ndarray | None:
        """``[N, 2]`` V/A predicted while embedding ``items``; None when one of them was not embedded."""
        if not all(str(item) in self._va for item in items):
            return None
        return np.stack([self._va[str(item)] for item in items]) if len(items) else np.zeros((0, 2))


# --------------------------------------------------------------------------------------- ImageBind


def imagebind_checkpoint_candidates(checkpoint: str | os.PathLike | None = None) -> list[Path]:
    """Where ImageBind's weights are looked for: ``checkpoint`` if given; else ``$AFFECTZOO_IMAGEBIND_CHECKPOINT``,
    ``.checkpoints/imagebind_huge.pth`` (where the ``imagebind`` package saves it) and the torch hub
    cache's ``checkpoints/imagebind_huge.pth``."""
    if checkpoint is not None:
        return [Path(checkpoint).expanduser()]
    places = [Path(os.environ[IMAGEBIND_ENV]).expanduser()] if os.environ.get(IMAGEBIND_ENV) else []
    torch_home = Path(os.environ.get("TORCH_HOME", Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")) / "torch"))
    return places + [Path(".checkpoints") / IMAGEBIND_CHECKPOINT,
                     torch_home.expanduser() / "hub" / "checkpoints" / IMAGEBIND_CHECKPOINT]


class ImageBindEmbedder:
    """ImageBind (huge) audio and vision embeddings, the encoder EMID was built with. Loads only from
    this machine: the ``imagebind`` package must be importable and its checkpoint present (see
    :func:`imagebind_checkpoint_candidates`); otherwise a :class:`CheckpointError` says what is
    missing and what to use instead. Nothing is downloaded."""

    name = "imagebind_huge"

    def __init__(self, checkpoint: str | os.PathLike | None = None, device: str = "cpu") -> None:
        places = imagebind_checkpoint_candidates(checkpoint)
        found = next((place for place in places if place.is_file()), None)
        missing = []
        if importlib.util.find_spec("imagebind") is None:
            missing.append("the `imagebind` package is not installed (github.com/facebookresearch/ImageBind)")
        if found is None:
            missing.append(f"its weights {IMAGEBIND_CHECKPOINT} are in none of: {', '.join(map(str, places))}")
        if missing:
            raise CheckpointError("imagebind", "cannot load ImageBind on this machine: " + "; ".join(missing),
                                  "use `--embedder mozart` (the zoo's shipped joint space) or an embedding file "
                                  "(`--embedder vectors.npz` with arrays ids and vectors, or a CSV id,v0,v1,...); "
                                  f"or install imagebind and put {IMAGEBIND_CHECKPOINT} in one of the places above "
                                  f"(or set {IMAGEBIND_ENV})")
        import torch
        from imagebind.models import imagebind_model

        self.device = device
        self.model = imagebind_model.imagebind_huge(pretrained=False)
        try:
            self.model.load_state_dict(torch.load(found, map_location="cpu", weights_only=True))
        except Exception as err:  # a truncated or foreign file: say which one
            raise CheckpointError(found, f"not a loadable ImageBind checkpoint ({err})",
                                  "download imagebind_huge.pth again") from err
        self.model.eval().to(device)

    def _embed(self, modality: str, items: Sequence) -> np.ndarray:
        import torch
        from imagebind import data
        from imagebind.models.imagebind_model import ModalityType

        paths = [str(item) for item in items]
        load = {ModalityType.AUDIO: data.load_and_transform_audio_data,
                ModalityType.VISION: data.load_and_transform_vision_data}[getattr(ModalityType, modality)]
        try:
            inputs = load(paths, self.device)
        except Exception as err:  # ImageBind's loaders raise whatever their decoders raise
            raise InputError(paths[0] if len(paths) == 1 else f"{len(paths)} files", f"ImageBind cannot read it ({err})") from err
        with torch.no_grad():
            out = self.model({getattr(ModalityType, modality): inputs})[getattr(ModalityType, modality)]
        return out.float().cpu().numpy().astype(np.float64)

    def embed_music(self, items: Sequence) -> np.ndarray:
        return self._embed("AUDIO", items)

    def embed_images(self, items: Sequence) -> np.ndarray:
        return self._embed("VISION", items)


# ------------------------------------------------------------------------------------------- names


def embedder_by_name(name, **options) -> JointEmbedder:
    """The embedder ``name``: ``"mozart"`` (or a ``mozart.<tag>``), ``"imagebind"``, or the path of an
    embedding file (``.npz`` / ``.csv``); an embedder object is returned as it is. ``options`` go to
    the embedder's constructor."""
    if not isinstance(name, (str, os.PathLike)):
        return name
    text = str(name)
    if text == "mozart" or text.startswith("mozart."):
        return MozartEmbedder(text, **options)
    if text == "imagebind":
        return ImageBindEmbedder(**options)
    if Path(text).suffix.lower() in EMBEDDING_SUFFIXES or Path(text).expanduser().is_file():
        return EmbeddingFileEmbedder(text)
    raise InputError(text, "unknown embedder: use mozart, imagebind, or an embedding file (.npz with arrays "
                           "ids and vectors, or a CSV id,v0,v1,...)")
