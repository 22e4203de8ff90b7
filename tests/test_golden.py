"""Golden outputs of the shipped checkpoints: fixed inputs, stored outputs.

The inputs are the deterministic pictures and clips of ``golden_media``; the outputs were stored
by running this file with ``AFFECTZOO_REGENERATE_GOLDEN=1`` (each JSON file records the checkpoint
sha256 it was made with). Tolerance: 1e-4 absolute plus 1e-5 relative (the modulation maps reach
~100). The models run in float32 on the CPU, where reordered reductions (thread count, another
BLAS kernel) move outputs by ~1e-6; anything larger means the weights or the computation changed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import affectzoo
from golden_media import golden_audio, golden_images

GOLDEN = Path(__file__).resolve().parent / "golden"
TOLERANCE, RELATIVE = 1e-4, 1e-5
REGENERATE = os.environ.get("AFFECTZOO_REGENERATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    folder = tmp_path_factory.mktemp("golden")
    return golden_images(folder / "images"), golden_audio(folder / "audio")


def mpjudge_outputs(model, images, audio) -> dict:
    scores = [model.score([str(p) for p in images], str(clip)).tolist() for clip in audio]
    maps, intensities = model.modulation_maps(model.painting_input(str(images[0])), model.music_input(str(audio[0])))
    return {"scores": scores, "intensities": intensities.tolist(), "map_layer0": maps[0].flatten().tolist()}


def imagemusic_outputs(model, images, audio) -> dict:
    va = model.predict_va(images=[str(p) for p in images], audio=[str(p) for p in audio])
    ranked = model.recommend(str(images[0]), model.index([str(p) for p in audio]), k=3)
    return {"image_va": np.asarray(va["image"]).tolist(), "music_va": np.asarray(va["music"]).tolist(),
            "recommend": [[Path(item).name, score] for item, score in ranked]}


def mozart_outputs(model, images, audio) -> dict:
    catalogue = model.index([str(p) for p in images])
    ratings = {str(clip): rating for clip, rating in zip(audio, (5, 2, 4))}
    return {"painting_z": catalogue.embeddings[:, :8].tolist(), "painting_va": catalogue.va.tolist(),
            "recommend": [[Path(item).name, score] for item, score in model.recommend(ratings, catalogue, k=3)]}


def music2palette_outputs(model, images, audio) -> dict:
    return {"palettes": [model.generate(str(clip), n=2, seed=0) for clip in audio]}


#: What ``affectzoo.load`` is given -> the outputs recorded for it (the name of the JSON file in golden/).
CASES = {"mpjudge": mpjudge_outputs, "imagemusic": imagemusic_outputs, "imagemusic_lite0.musicnn": imagemusic_outputs,
         "mozart": mozart_outputs, "salieri": mozart_outputs,
         "music2palette": music2palette_outputs}


def _flatten(value) -> list:
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _flatten(item)]
    return [value]


@pytest.mark.parametrize("family", sorted(CASES))
def test_shipped_checkpoint_reproduces_its_golden_outputs(family, media, monkeypatch, tmp_path):
    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    model = affectzoo.load(family)
    outputs = CASES[family](model, *media)
    path = GOLDEN / f"{family}.json"
    if REGENERATE:
        path.write_text(json.dumps({"checkpoint": model.pretrained_cfg.name, "sha256": model.pretrained_cfg.sha256,
                                    "outputs": outputs}, indent=1) + "\n")
        pytest.skip(f"wrote {path}")
    golden = json.loads(path.read_text())
    if golden["sha256"] != model.pretrained_cfg.sha256:
        pytest.fail(f"{family} now loads {model.pretrained_cfg.name} ({model.pretrained_cfg.sha256}); the golden "
                    f"outputs are of {golden['checkpoint']} ({golden['sha256']}): regenerate them on purpose")
    for key, expected in golden["outputs"].items():
        got = outputs[key]
        numbers = [(g, e) for g, e in zip(_flatten(got), _flatten(expected))]
        assert len(_flatten(got)) == len(_flatten(expected)), key
        for g, e in numbers:
            if isinstance(e, str):
                assert g == e, key
            else:
                assert abs(g - e) <= TOLERANCE + RELATIVE * abs(e), f"{family} {key}: {g} vs golden {e}"
