"""Ranking paintings by a user's music ratings (Yilma & Leiva, Algorithm 2, eqs. 7-8).

A user rates music clips on 1-5; the ratings become weights ``w_i = r_i / sum(r)`` (eq. 8), and a
painting's distance to the user's taste is the weighted sum of its Euclidean distances to the
rated clips, ``d(p) = sum_i w_i ||z_i - z_p||`` (eq. 7), in whichever space the engine works in
(Mozart's joint space, Haydn's V/A plane). The paintings with the smallest ``d`` are recommended.
"""

from __future__ import annotations

import numpy as np

from affectzoo.errors import InputError

RATING_RANGE = (1.0, 5.0)


def rating_weights(ratings, attention_checks=None) -> np.ndarray:
    """``w_i = r_i / sum(r)`` of ratings on 1-5; items flagged in ``attention_checks`` weigh 0."""
    r = np.asarray(ratings, dtype=np.float64)
    if r.ndim != 1 or len(r) == 0:
        raise InputError("ratings", "must be a non-empty list of numbers")
    low, high = RATING_RANGE
    if np.isnan(r).any() or (r < low).any() or (r > high).any():
        raise InputError("ratings", f"must lie in [{low:g}, {high:g}], got {r.tolist()}")
    if attention_checks is not None:
        r = np.where(np.asarray(attention_checks, dtype=bool), 0.0, r)
    if r.sum() <= 0:
        raise InputError("ratings", "no rated item is left once attention checks (and the curation filter) are "
                                    "excluded")
    return r / r.sum()


def read_ratings(source, path_column: str = "audio_path") -> tuple[list[str], np.ndarray]:
    """(paths, ratings) of a user's ratings: a ``{path: rating}`` mapping, ``(path, rating)`` pairs, or
    a ``.csv``/``.tsv`` file with ``path_column`` and ``rating`` columns (paths relative to the
    file's folder)."""
    from pathlib import Path


    if isinstance(source, dict):
        pairs = list(source.items())
    elif isinstance(source, (str, Path)):
        from affectzoo.data.readers._common import read_table

        path = Path(source).expanduser()
        table = read_table(path, (path_column, "rating"), sep="\t" if path.suffix.lower() == ".tsv" else ",")
        try:
            pairs = [(str(path.parent / item), float(rating)) for item, rating in zip(table[path_column], table["rating"])]
        except ValueError as err:
            raise InputError(path, f"a rating is not a number ({err})") from None
    else:
        pairs = list(source)
    if not pairs:
        raise InputError("ratings", "none given: rate at least one clip")
    return [str(clip) for clip, _ in pairs], np.asarray([float(r) for _, r in pairs], dtype=np.float64)


#: The user study's curation (section 4): items with valence above 0.1 and |arousal| at least 0.1.
CURATION = {"min_valence": 0.1, "min_abs_arousal": 0.1}


def curated(va) -> np.ndarray:
    """Mask of the V/A ``[N, 2]`` that pass the user study's curation filter (:data:`CURATION`)."""
    va = np.asarray(va, dtype=np.float64)
    return (va[:, 0] > CURATION["min_valence"]) & (np.abs(va[:, 1]) >= CURATION["min_abs_arousal"])


def recommend_by_ratings(music_codes, ratings, catalogue, k: int = 10, attention_checks=None,
                         music_va=None, curate: bool = False) -> list:
    """Algorithm 2: the ``k`` catalogue items nearest (eq. 7) to the rated clips' codes ``[M, D]``
    weighted by their ratings (eq. 8), as :class:`~affectzoo.catalog.Recommendation` ``(id,
    distance)``, nearest first. ``curate`` applies the user study's filter (:func:`curated`) to
    both sides: rated clips outside it (by ``music_va``) weigh 0, and catalogue items outside it
    (by their V/A) are not recommended."""
    from affectzoo.catalog import Catalog, Recommendation

    checks = np.zeros(len(ratings), dtype=bool) if attention_checks is None else np.asarray(attention_checks, bool)
    if curate:
        if music_va is None or catalogue.va is None:
            raise ValueError("curation needs the V/A of the rated clips and of the catalogue")
        checks = checks | ~curated(music_va)
        keep = np.flatnonzero(curated(catalogue.va))
        if len(keep) == 0:
            raise InputError("catalogue", "no catalogue item passes the curation filter")
        catalogue = Catalog([catalogue.ids[i] for i in keep], np.asarray(catalogue.embeddings[keep]),
                            np.asarray(catalogue.va[keep]), catalogue.model, catalogue.va_source, catalogue.kind)
    weights = rating_weights(ratings, checks)
    index, distances = catalogue.nearest_weighted(np.asarray(music_codes, dtype=np.float64), weights, k)
    return [Recommendation(catalogue.ids[i], float(d)) for i, d in zip(index.tolist(), distances.tolist())]
