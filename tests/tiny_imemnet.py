"""A tiny IMEMNet written for tests: 6 songs of 3 clips, 200 images with IMEMNet-C V/A, DEAM static
labels for the songs, and matching scores that fall with the V/A distance of song and image (as
IMEMNet's do), so a content adapter has something real to learn."""

from __future__ import annotations

import numpy as np

N_SONGS, CLIPS, N_IMAGES = 6, 3, 200


def write_tiny_imemnet(root, seed: int = 0):
    """``root/imemnet`` (two matching files, IMEMNet-C V/A) and ``root/deam`` (static labels); returns root."""
    rng = np.random.default_rng(seed)
    song_va = rng.uniform(-0.9, 0.9, (N_SONGS, 2))
    image_va = rng.uniform(-0.9, 0.9, (N_IMAGES, 2))
    (root / "imemnet").mkdir(parents=True)
    (root / "deam").mkdir()
    lines = {"test": [], "val": []}
    for song in range(N_SONGS):
        for clip in range(CLIPS):
            near = np.argsort(np.linalg.norm(image_va - song_va[song], axis=1))[:60]
            far = rng.choice(np.setdiff1d(np.arange(N_IMAGES), near), 6, replace=False)
            for image in np.concatenate([rng.choice(near, 10, replace=False), far]):
                score = float(np.exp(-2 * np.linalg.norm(song_va[song] - image_va[image])))
                split = "val" if clip == 2 else "test"
                lines[split].append(f"{2001 + song}-{clip} img_{image:03d} {score}")
    for split, rows in lines.items():
        (root / "imemnet" / f"{split}_matching.txt").write_text("\n".join(rows) + "\n")
    va = [",img,valence,arousal"] + [f"{k},img_{k:03d},{(v + 1) / 2},{(a + 1) / 2}" for k, (v, a) in enumerate(image_va)]
    (root / "imemnet" / "imemnet_c_image_va.csv").write_text("\n".join(va) + "\n")
    deam = ["song_id, valence_mean, valence_std, arousal_mean, arousal_std"]
    deam += [f"{2001 + s}, {5 + 4 * v:.3f}, 1.0, {5 + 4 * a:.3f}, 1.0" for s, (v, a) in enumerate(song_va)]
    (root / "deam" / "static_annotations_averaged_songs_2000_2058.csv").write_text("\n".join(deam) + "\n")
    return root
