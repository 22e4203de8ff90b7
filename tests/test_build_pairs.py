"""Split and pair construction of the open benchmark builds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from affectzoo.data.builds.pairs import imuse_score, preference_pairs, scored_pairs
from affectzoo.data.builds.splits import split_groups


def test_split_groups_is_deterministic_disjoint_and_proportional():
    groups = [f"song{i // 3}" for i in range(300)]  # 100 songs, 3 clips each
    splits = split_groups(groups, seed=1)
    assert splits == split_groups(list(groups), seed=1)
    assert split_groups(groups[::-1], seed=1) == splits[::-1], "row order does not matter"
    by_group = pd.DataFrame({"g": groups, "s": splits}).groupby("g")["s"].nunique()
    assert (by_group == 1).all(), "a song never straddles splits"
    counts = pd.Series(splits).value_counts()
    assert counts.to_dict() == {"train": 240, "val": 30, "test": 30}
    assert split_groups(groups, seed=2) != splits


def test_split_fractions_are_validated():
    with pytest.raises(ValueError, match="sum to 1"):
        split_groups(["a"], fractions=(0.5, 0.5, 0.5))


def test_imuse_score_endpoints():
    assert imuse_score(np.array([0.3, -0.2]), np.array([0.3, -0.2])) == pytest.approx(1.0)
    # opposite corners of the [-1,1]^2 plane are sqrt(2) apart on the [0,1] scale
    assert imuse_score(np.array([1.0, 1.0]), np.array([-1.0, -1.0])) == pytest.approx(1 - np.sqrt(2))
    # one unit on the [-1,1] scale is half a unit on [0,1]
    assert imuse_score(np.array([0.0, 0.0]), np.array([1.0, 0.0])) == pytest.approx(0.5)


def _tables(n_images=4, n_music=20, seed=0):
    rng = np.random.default_rng(seed)
    images = pd.DataFrame({"id": [f"i{k}" for k in range(n_images)], "valence": rng.uniform(-1, 1, n_images),
                           "arousal": rng.uniform(-1, 1, n_images)})
    music = pd.DataFrame({"id": [f"m{k}" for k in range(n_music)], "valence": rng.uniform(-1, 1, n_music),
                          "arousal": rng.uniform(-1, 1, n_music)})
    return images, music


def test_scored_pairs_pick_best_worst_and_random():
    images, music = _tables()
    pairs = scored_pairs(images, music, seed=3)
    assert pairs.equals(scored_pairs(images, music, seed=3))
    assert not pairs.duplicated(["image_id", "music_id"]).any()
    for image_id, group in pairs.groupby("image_id"):
        assert group["kind"].value_counts().to_dict() == {"best": 5, "worst": 5, "random": 5}
        row = images.set_index("id").loc[image_id]
        all_scores = np.sort(imuse_score(np.array([row.valence, row.arousal]),
                                         music[["valence", "arousal"]].to_numpy()))
        assert np.allclose(np.sort(group[group.kind == "best"].score), all_scores[-5:])
        assert np.allclose(np.sort(group[group.kind == "worst"].score), all_scores[:5])


def test_preference_pairs_prefer_the_higher_score_in_both_directions():
    pairs = pd.DataFrame({
        "image_id": ["a", "a", "a", "b", "b", "c"],
        "music_id": ["x", "y", "z", "x", "y", "x"],
        "score":    [0.45, 0.55, 0.9, 0.5, 0.41, 0.58],
    })
    prefs = preference_pairs(pairs, per_query=5)
    assert set(prefs.query_modality) == {"image", "music"}
    assert (prefs.preferred_score > prefs.rejected_score).all()
    image_a = prefs[(prefs.query_modality == "image") & (prefs.query_id == "a")]
    assert image_a[["preferred_id", "rejected_id"]].values.tolist() == [["y", "x"]], "0.9 is not ambiguous"
    music_x = prefs[(prefs.query_modality == "music") & (prefs.query_id == "x")]
    assert len(music_x) == 3 and set(music_x.preferred_id) <= {"c", "b"}
