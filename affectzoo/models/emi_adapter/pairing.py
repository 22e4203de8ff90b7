"""Emotion-aligned music-image pairing: the EMID construction pipeline (Zou et al., "EMID: An Emotional
Aligned Dataset in Audio-Visual Modality", section 3.1), on any music and images.

For music rows ``X [N, D]`` and image rows ``Y [M, D]`` of one joint space (:mod:`.embedders`):

1. semantic scores ``S``: the row-wise softmax of ``X Y^T`` (the paper's formula; ``temperature``
   divides the logits first) or the cosine of the rows (which the paper's text also describes);
2. each clip keeps its ``K`` (default 100, clipped to ``M``) best images by ``S`` as candidates;
3. emotional scores ``E``: cosine of the clip's and the candidate's valence/arousal vectors (in
   [-1, 1]; from labels where given, else from the embedder or the zoo's V/A predictor);
4. ``T = alpha S + (1 - alpha) E`` (``alpha`` = 0.6) and the ``m`` (= 3) best candidates by ``T`` are
   the clip's images.

Row-wise softmax over ``M`` images gives values near ``1 / M`` when ``X Y^T`` is a cosine (unit-length
rows), so with ``alpha`` = 0.6 the ``E`` term, spread over [-1, 1], decides the order among the
candidates unless a temperature sharpens ``S``. The diagnostics show how much: they repeat the
selection with ``alpha`` = 1 (semantic only) and report mean ``E``, mean V/A distance and the share of
pairs the two selections have in common, beside the all-pairs floor.

The result is written in the ``EMID_data.csv`` layout (:func:`affectzoo.data.readers.read_emid` reads
it back): fields the pipeline cannot know (genre, feeling, emotion ratings, captions) are empty;
``Image{k}_tag`` is the nearest of the zoo's eight Russell categories to the image's V/A (not a
Mikels label as in EMID; empty at the neutral point); extra columns hold each chosen image's ``T``,
``S``, ``E`` and both sides' V/A.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from affectzoo.errors import InputError
from affectzoo.models.emi_adapter.embedders import IdLookup, embedder_by_name

DEFAULT_ALPHA, DEFAULT_TOP_K, DEFAULT_M = 0.6, 100, 3
SEMANTIC = ("softmax", "cosine")
CHUNK = 8  # files per embedder call: a bad file costs its chunk one retry, item by item
_EPS = 1e-12


# ------------------------------------------------------------------------------------------ scores


def _unit_rows(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=-1, keepdims=True), _EPS)


def semantic_scores(music: np.ndarray, images: np.ndarray, semantic: str = "softmax",
                    temperature: float = 1.0) -> np.ndarray:
    """``S [N, M]`` of music rows ``[N, D]`` and image rows ``[M, D]``: ``"softmax"``, the row-wise
    softmax of ``X Y^T / temperature`` (each row sums to 1), or ``"cosine"``, the cosine of the rows
    (in [-1, 1]; ``temperature`` unused)."""
    music, images = np.asarray(music, dtype=np.float64), np.asarray(images, dtype=np.float64)
    if semantic == "cosine":
        return _unit_rows(music) @ _unit_rows(images).T
    if semantic != "softmax":
        raise ValueError(f"semantic must be one of {SEMANTIC}, got {semantic!r}")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    logits = music @ images.T / temperature
    logits -= logits.max(axis=1, keepdims=True)  # the same softmax, without overflow
    weights = np.exp(logits)
    return weights / weights.sum(axis=1, keepdims=True)


def top_candidates(scores: np.ndarray, top_k: int) -> np.ndarray:
    """``[N, K]`` image indices of each row's ``K = min(top_k, M)`` highest scores, best first (ties
    keep the lower index)."""
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    return np.argsort(-scores, axis=1, kind="stable")[:, :min(top_k, scores.shape[1])]


def va_cosine(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Cosine of V/A vectors along the last axis (broadcast); 0 where either is the neutral point (0, 0)."""
    first, second = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    norms = np.linalg.norm(first, axis=-1) * np.linalg.norm(second, axis=-1)
    dots = (first * second).sum(axis=-1)
    return np.where(norms > _EPS, dots / np.maximum(norms, _EPS), 0.0)


def emotional_scores(music_va: np.ndarray, image_va: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """``E [N, K]``: cosine of each clip's V/A ``[N, 2]`` with its candidates' V/A (``image_va [M, 2]``)."""
    return va_cosine(np.asarray(music_va)[:, None, :], np.asarray(image_va)[candidates])


@dataclass
class Selection:
    """The ``m`` images chosen per clip: ``images [N, m]`` (image indices, best first) and their
    ``total`` (T), ``semantic`` (S) and ``emotional`` (E) scores, each ``[N, m]``; ``alpha`` used."""

    alpha: float
    images: np.ndarray
    total: np.ndarray
    semantic: np.ndarray
    emotional: np.ndarray

    def pairs(self) -> set[tuple[int, int]]:
        """The chosen (music index, image index) pairs."""
        return {(row, int(image)) for row, chosen in enumerate(self.images) for image in chosen}


def select_pairs(scores: np.ndarray, candidates: np.ndarray, emotional: np.ndarray, alpha: float = DEFAULT_ALPHA,
                 m: int = DEFAULT_M) -> Selection:
    """Re-rank each clip's candidates by ``T = alpha S + (1 - alpha) E`` and keep the ``min(m, K)`` best
    (ties keep the semantic order, so ``alpha = 1`` gives the top ``m`` by ``S``)."""
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    if m < 1:
        raise ValueError(f"m must be at least 1, got {m}")
    semantic = np.take_along_axis(scores, candidates, axis=1)
    total = alpha * semantic + (1 - alpha) * emotional
    order = np.argsort(-total, axis=1, kind="stable")[:, :min(m, candidates.shape[1])]
    pick = lambda values: np.take_along_axis(values, order, axis=1)  # noqa: E731
    return Selection(alpha, pick(candidates), pick(total), pick(semantic), pick(emotional))


# ------------------------------------------------------------------------------------- diagnostics


def selection_summary(selection: Selection, music_va: np.ndarray, image_va: np.ndarray) -> dict:
    """Means over the chosen pairs: ``T``, ``S``, ``E`` (V/A cosine) and V/A (Euclidean) distance."""
    distance = np.linalg.norm(np.asarray(music_va)[:, None, :] - np.asarray(image_va)[selection.images], axis=-1)
    return {"alpha": float(selection.alpha), "mean_T": float(selection.total.mean()),
            "mean_S": float(selection.semantic.mean()), "mean_E": float(selection.emotional.mean()),
            "mean_va_distance": float(distance.mean())}


def selection_overlap(first: Selection, second: Selection) -> float:
    """Share of ``first``'s chosen (music, image) pairs that ``second`` chose too."""
    pairs = first.pairs()
    return len(pairs & second.pairs()) / len(pairs) if pairs else float("nan")


def pairing_diagnostics(scores: np.ndarray, candidates: np.ndarray, emotional: np.ndarray, music_va: np.ndarray,
                        image_va: np.ndarray, alpha: float, m: int) -> tuple[dict, Selection]:
    """(diagnostics, the selection at ``alpha``): summaries at ``alpha`` and at 1 (semantic only), their
    overlap, the all-pairs floor (what pairing at random gives on average) and the mean spread
    (max - min over a clip's candidates) of ``S`` and ``E``, which says which term can move the order."""
    chosen = select_pairs(scores, candidates, emotional, alpha, m)
    semantic_only = select_pairs(scores, candidates, emotional, 1.0, m)
    every = va_cosine(np.asarray(music_va)[:, None, :], np.asarray(image_va)[None, :, :])
    distance = np.linalg.norm(np.asarray(music_va)[:, None, :] - np.asarray(image_va)[None, :, :], axis=-1)
    semantic = np.take_along_axis(scores, candidates, axis=1)
    diagnostics = {
        "counts": {"music": int(scores.shape[0]), "images": int(scores.shape[1]), "top_k": int(candidates.shape[1]),
                   "m": int(chosen.images.shape[1])},
        "selections": {"given": selection_summary(chosen, music_va, image_va),
                       "semantic_only": selection_summary(semantic_only, music_va, image_va)},
        "overlap": selection_overlap(chosen, semantic_only),
        "all_pairs": {"mean_E": float(every.mean()), "mean_va_distance": float(distance.mean())},
        "spread": {"S": float(np.ptp(semantic, axis=1).mean()), "E": float(np.ptp(emotional, axis=1).mean())},
    }
    return diagnostics, chosen


# ------------------------------------------------------------------------------------ V/A labels


def read_va_labels(source) -> tuple[IdLookup, np.ndarray]:
    """(lookup, V/A ``[n, 2]`` in [-1, 1]) of known labels: a dict ``id -> (valence, arousal)`` or a CSV
    with columns ``id`` (or ``file``, as ``affectzoo va --csv`` writes), ``valence``, ``arousal``.
    Ids are matched by path, file name or stem (:class:`~.embedders.IdLookup`)."""
    if isinstance(source, Mapping):
        ids = list(source)
        try:
            values = np.asarray([tuple(map(float, source[key])) for key in ids], dtype=np.float64).reshape(len(ids), 2)
        except (TypeError, ValueError):
            raise InputError("va_labels", "each label should be a (valence, arousal) pair of numbers") from None
        where = "va_labels"
    else:
        from affectzoo.data.readers._common import numeric, read_table

        where = Path(source).expanduser()
        table = read_table(where, ["valence", "arousal"])
        column = next((name for name in ("id", "file") if name in table.columns), None)
        if column is None:
            raise InputError(where, f"no 'id' (or 'file') column; the file has {', '.join(map(repr, table.columns))}")
        ids = list(table[column])
        values = np.stack([numeric(table, name, where, low=-1, high=1).to_numpy() for name in ("valence", "arousal")],
                          axis=1)
    if not (np.isfinite(values).all() and np.abs(values).max(initial=0) <= 1):
        raise InputError(where, "valence and arousal labels must be numbers in [-1, 1]")
    return IdLookup(ids, where), values


def russell_word(va: Sequence[float]) -> str:
    """The nearest of the zoo's eight Russell categories (by angle on the V/A plane); "" at (0, 0)."""
    from affectzoo.affect.russell import ANGLES_DEG, CATEGORIES

    valence, arousal = float(va[0]), float(va[1])
    if math.hypot(valence, arousal) < _EPS:
        return ""
    angle = math.degrees(math.atan2(arousal, valence)) % 360
    gaps = [min(abs(angle - phi) % 360, 360 - abs(angle - phi) % 360) for phi in ANGLES_DEG]
    return CATEGORIES[int(np.argmin(gaps))]


# ------------------------------------------------------------------------------------- the table


def emid_table(music_names: Sequence[str], image_names: Sequence[str], selection: Selection,
               music_va: np.ndarray, image_va: np.ndarray) -> pd.DataFrame:
    """The chosen pairs in the ``EMID_data.csv`` layout, one row per clip (see the module docstring)."""
    rows = []
    for row, name in enumerate(music_names):
        record = {"Audio_Filename": name, "genre": "", "feeling": "", "emotion": ""}
        for k, image in enumerate(selection.images[row], start=1):
            record.update({f"Image{k}_filename": image_names[image], f"Image{k}_tag": russell_word(image_va[image]),
                           f"Image{k}_text": ""})
        record.update({"is_original_clip": "True", "music_valence": music_va[row, 0], "music_arousal": music_va[row, 1]})
        for k, image in enumerate(selection.images[row], start=1):
            record.update({f"Image{k}_T": selection.total[row, k - 1], f"Image{k}_S": selection.semantic[row, k - 1],
                           f"Image{k}_E": selection.emotional[row, k - 1], f"Image{k}_valence": image_va[image, 0],
                           f"Image{k}_arousal": image_va[image, 1]})
        rows.append(record)
    return pd.DataFrame(rows)


def diagnostics_path(csv_path: str | os.PathLike) -> Path:
    """Where the diagnostics of ``csv_path`` are written: ``<name>.diagnostics.json`` beside it."""
    return Path(csv_path).with_suffix(".diagnostics.json")


def write_outputs(table: pd.DataFrame, diagnostics: dict, path: str | os.PathLike) -> tuple[Path, Path]:
    """Write the table (CSV) and the diagnostics (JSON beside it), each atomically; their paths."""
    from affectzoo._io import atomic_write, atomic_write_text

    path = Path(path).expanduser()
    atomic_write(path, lambda tmp: table.to_csv(tmp, index=False, float_format="%.6f"))
    side = atomic_write_text(diagnostics_path(path), json.dumps(diagnostics, indent=1) + "\n")
    return path, side


def _names(paths: Sequence[str], source) -> list[str]:
    """File names as the table writes them: relative to ``source`` when it is one folder (or a list of
    one folder; as EMID names files inside its ``music`` and ``images`` folders), else absolute paths."""
    from affectzoo import media

    sources = media.as_list(source)
    if len(sources) == 1 and media.is_path(sources[0]) and Path(sources[0]).expanduser().is_dir():
        root = Path(sources[0]).expanduser()
        return [os.path.relpath(path, root) for path in paths]
    return [os.path.abspath(path) for path in paths]


# -------------------------------------------------------------------------------------- pipeline


def _as_numpy(values) -> np.ndarray:
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=np.float64)


def _is_about(err: InputError, item: str) -> bool:
    return os.path.abspath(err.path) == os.path.abspath(item)


def _reason(err: InputError, item: str) -> str:
    """The skip reason: the problem alone when the error names the item, else the whole message."""
    return err.problem if _is_about(err, item) else str(err)


def run_chunked(run: Callable[[list], np.ndarray], items: list, on_error: str, desc: str,
                chunk: int = CHUNK) -> tuple[list, np.ndarray | None, list[tuple[str, str]]]:
    """(kept items, stacked rows of ``run`` over them, skipped ``(item, reason)``), with a progress bar.

    ``run`` takes a list of items and returns one row per item. A chunk that raises an
    :class:`InputError` raises (``on_error="raise"``) or is retried item by item so one bad file
    costs only itself (``"skip"``).
    """
    from tqdm.auto import tqdm

    kept, rows, skipped = [], [], []

    def rows_of(part: list) -> np.ndarray:
        values = _as_numpy(run(part))
        if values.ndim != 2 or len(values) != len(part):
            raise ValueError(f"{desc}: expected {len(part)} rows, got shape {values.shape}")
        return values

    with tqdm(total=len(items), desc=desc, unit="file", disable=len(items) <= chunk) as bar:
        for start in range(0, len(items), chunk):
            part = items[start:start + chunk]
            try:
                rows.append(rows_of(part))
                kept += part
            except InputError as err:
                if on_error == "raise" and any(_is_about(err, str(item)) for item in part):
                    raise  # it names its file already
                for item in part:  # find the bad file(s): each item alone
                    try:
                        rows.append(rows_of([item]))
                        kept.append(item)
                    except InputError as item_err:
                        if on_error == "raise":
                            raise
                        skipped.append((str(item), _reason(item_err, str(item))))
            bar.update(len(part))
    return kept, (np.concatenate(rows) if rows else None), skipped


class _Predictor:
    """The V/A predictor, loaded on first use (only when some item has neither a label nor a V/A from
    the embedder): ``None`` -> the zoo's ``imagemusic``, a name -> ``affectzoo.load(name)``, else as given."""

    def __init__(self, model) -> None:
        self._model = model

    def __call__(self):
        if self._model is None or isinstance(self._model, (str, os.PathLike)):
            from affectzoo._factory import load

            self._model = load(self._model or "imagemusic")
        return self._model

    def name(self) -> str:
        cfg = getattr(self._model, "pretrained_cfg", None)
        return (cfg.name if cfg is not None else "") or type(self._model).__name__


def resolve_va(side: str, items: list, labels, embedder, predictor: _Predictor,
               on_error: str) -> tuple[np.ndarray, dict[str, int], list[tuple[str, str]]]:
    """(V/A ``[n, 2]``, NaN rows for items skipped; how many came from each source; skipped) of ``items``
    (``side``: ``"music"`` or ``"image"``): labels first, then the embedder's own predictions, then
    the V/A predictor."""
    va = np.full((len(items), 2), np.nan)
    sources: dict[str, int] = {}
    if labels is not None:
        lookup, values = labels
        for position, item in enumerate(items):
            row = lookup.find(item)
            if row is not None:
                va[position] = values[row]
    sources["labels"] = int((~np.isnan(va[:, 0])).sum())
    need = [i for i in range(len(items)) if np.isnan(va[i, 0])]
    from_embedder = getattr(embedder, "predicted_va", None)
    if need and from_embedder is not None:
        known = from_embedder([items[i] for i in need])
        if known is not None:
            va[need] = _as_numpy(known)
            sources[f"embedder:{embedder.name}"] = len(need)
            need = []
    skipped: list[tuple[str, str]] = []
    if need:
        model = predictor()
        key = "audio" if side == "music" else "images"
        kept, values, skipped = run_chunked(lambda part: model.predict_va(**{key: part})[side],
                                            [items[i] for i in need], on_error, f"V/A of {side}")
        position = {item: i for i, item in enumerate(items)}
        for item, value in zip(kept, values if values is not None else []):
            va[position[item]] = value
        sources[f"predictor:{predictor.name()}"] = len(kept)
    if not np.all(np.abs(va[~np.isnan(va[:, 0])]) <= 1 + 1e-6):
        raise ValueError(f"V/A of {side} outside [-1, 1]: the embedder or predictor does not give the zoo's scale")
    return va, sources, skipped


def _embed_side(side: str, source, embedder, on_error: str):
    """(kept paths, rows, skipped) of the ``side`` files of ``source`` (files and folders)."""
    from affectzoo import media

    collected = media.collect(source, "audio" if side == "music" else "image", on_error)
    paths = [item for item in collected.items if media.is_path(item)]
    if len(paths) != len(collected.items):
        raise InputError(f"{side} inputs", "the EMID pipeline takes files and folders (it writes file names)")
    run = embedder.embed_music if side == "music" else embedder.embed_images
    kept, rows, skipped = run_chunked(run, paths, on_error, f"embedding {side}")
    if not kept:
        raise InputError(str(source), f"no readable {side} file" + (f" ({len(skipped)} skipped)" if skipped else ""))
    return kept, rows, list(collected.skipped) + skipped


def build_emid_like(music, images, embedder="mozart", out: str | os.PathLike | None = None,
                    alpha: float = DEFAULT_ALPHA, top_k: int = DEFAULT_TOP_K, m: int = DEFAULT_M,
                    semantic: str = "softmax", temperature: float = 1.0, va_labels=None, va_predictor=None,
                    on_error: str = "raise") -> tuple[pd.DataFrame, dict]:
    """Pair music with images as EMID was built (see the module docstring): (table, diagnostics).

    ``music``, ``images``: files and folders. ``embedder``: ``"mozart"``, ``"imagebind"``, an
    embedding file or a :class:`~.embedders.JointEmbedder`. ``va_labels``: known V/A in [-1, 1] (a
    dict ``id -> (valence, arousal)`` or a CSV, :func:`read_va_labels`); items without one take the
    embedder's own V/A where it has them, else ``va_predictor``'s (default the zoo's ``imagemusic``).
    ``out``: the CSV to write (its diagnostics go beside it as ``.diagnostics.json``); None writes
    nothing. Unreadable files raise an :class:`InputError` naming them, or with ``on_error="skip"``
    are left out and listed in ``diagnostics["skipped"]``.
    """
    if semantic not in SEMANTIC:
        raise ValueError(f"semantic must be one of {SEMANTIC}, got {semantic!r}")
    if not 0 <= alpha <= 1 or top_k < 1 or m < 1 or not temperature > 0:
        raise ValueError(f"need 0 <= alpha <= 1, top_k >= 1, m >= 1, temperature > 0; got alpha={alpha}, "
                         f"top_k={top_k}, m={m}, temperature={temperature}")
    labels = read_va_labels(va_labels) if va_labels is not None else None
    embedder = embedder_by_name(embedder)
    music_paths, music_rows, skipped = _embed_side("music", music, embedder, on_error)
    image_paths, image_rows, image_skipped = _embed_side("image", images, embedder, on_error)
    skipped += image_skipped
    if music_rows.shape[1] != image_rows.shape[1]:
        raise InputError(embedder.name, f"music rows have {music_rows.shape[1]} dimensions but image rows "
                                        f"{image_rows.shape[1]}: they must share one joint space")
    predictor = _Predictor(va_predictor)
    music_va, music_sources, failed = resolve_va("music", music_paths, labels, embedder, predictor, on_error)
    skipped += failed
    image_va, image_sources, failed = resolve_va("image", image_paths, labels, embedder, predictor, on_error)
    skipped += failed
    keep_music, keep_images = ~np.isnan(music_va[:, 0]), ~np.isnan(image_va[:, 0])
    if not keep_music.any() or not keep_images.any():
        raise InputError(str(music if not keep_music.any() else images), "no file with a valence/arousal left")
    music_paths = [p for p, keep in zip(music_paths, keep_music) if keep]
    image_paths = [p for p, keep in zip(image_paths, keep_images) if keep]
    music_rows, music_va = music_rows[keep_music], music_va[keep_music]
    image_rows, image_va = image_rows[keep_images], image_va[keep_images]

    scores = semantic_scores(music_rows, image_rows, semantic, temperature)
    candidates = top_candidates(scores, top_k)
    emotional = emotional_scores(music_va, image_va, candidates)
    diagnostics, chosen = pairing_diagnostics(scores, candidates, emotional, music_va, image_va, alpha, m)
    diagnostics = {"embedder": embedder.name, "semantic": semantic,
                   "temperature": temperature if semantic == "softmax" else None, "alpha": alpha,
                   "requested": {"top_k": top_k, "m": m}, **diagnostics,
                   "va_sources": {"music": music_sources, "image": image_sources},
                   "skipped": [{"file": item, "reason": reason} for item, reason in skipped]}
    diagnostics["counts"]["skipped"] = len(skipped)
    table = emid_table(_names(music_paths, music), _names(image_paths, images), chosen, music_va, image_va)
    if out is not None:
        csv_path, json_path = write_outputs(table, {**diagnostics, "csv": str(Path(out).expanduser())}, out)
        diagnostics.update(csv=str(csv_path), diagnostics_file=str(json_path))
    return table, diagnostics


def format_diagnostics(diagnostics: dict) -> str:
    """The diagnostics as a short text table (what ``affectzoo data build emid-like`` prints)."""
    counts, given, semantic = diagnostics["counts"], diagnostics["selections"]["given"], \
        diagnostics["selections"]["semantic_only"]
    temperature = f" (temperature {diagnostics['temperature']:g})" if diagnostics.get("temperature") else ""
    lines = [f"music {counts['music']}, images {counts['images']}, K {counts['top_k']}, m {counts['m']}, "
             f"skipped {counts['skipped']}; embedder {diagnostics['embedder']}, semantic "
             f"{diagnostics['semantic']}{temperature}",
             f"{'selection':<24}{'mean T':>9}{'mean S':>9}{'mean E':>9}{'V/A dist':>10}"]
    for label, row in ((f"alpha {given['alpha']:g}", given), ("alpha 1 (semantic only)", semantic)):
        lines.append(f"{label:<24}{row['mean_T']:>9.4f}{row['mean_S']:>9.4f}{row['mean_E']:>9.4f}"
                     f"{row['mean_va_distance']:>10.4f}")
    floor = diagnostics["all_pairs"]
    lines.append(f"{'all pairs (floor)':<24}{'':>9}{'':>9}{floor['mean_E']:>9.4f}{floor['mean_va_distance']:>10.4f}")
    lines.append(f"overlap of the two selections: {diagnostics['overlap']:.3f}; mean spread over a clip's "
                 f"candidates: S {diagnostics['spread']['S']:.4f}, E {diagnostics['spread']['E']:.4f}")
    lines.append("V/A from: " + "; ".join(f"{side} " + ", ".join(f"{k} {v}" for k, v in sources.items() if v)
                                          for side, sources in diagnostics["va_sources"].items()))
    return "\n".join(lines)
