"""The EMID construction pipeline (affectzoo.models.emi_adapter.pairing / embedders) on tiny data the
tests write: placeholder media files (the embedders here never decode them), a fake embedder or an
embedding file, and V/A labels. No network, no model weights."""

from __future__ import annotations

import json

import numpy as np
import pytest

from affectzoo.cli import main
from affectzoo.data.readers import read_emid
from affectzoo.errors import CheckpointError, InputError
from affectzoo.models.emi_adapter.embedders import (EmbeddingFileEmbedder, IdLookup, ImageBindEmbedder,
                                                    JointEmbedder, embedder_by_name)
from affectzoo.models.emi_adapter.pairing import (build_emid_like, emotional_scores, read_va_labels, russell_word,
                                                  select_pairs, semantic_scores, top_candidates, va_cosine)

VECTORS = {  # stem -> joint-space row (music and images share the space)
    "m1": [1.0, 0.0, 0.0], "m2": [0.0, 1.0, 0.0], "m3": [0.0, 0.0, 1.0],
    "p1": [1.0, 0.1, 0.0], "p2": [0.9, 0.0, 0.3], "p3": [0.2, 1.0, 0.0], "p4": [0.0, 0.8, 0.5],
    "p5": [0.1, 0.1, 1.0],
}
LABELS = {  # stem -> (valence, arousal) in [-1, 1]
    "m1": (0.6, 0.6), "m2": (-0.5, -0.5), "m3": (0.5, -0.6),
    "p1": (-0.6, -0.6), "p2": (0.7, 0.5), "p3": (-0.4, -0.6), "p4": (0.6, 0.6), "p5": (0.6, -0.5),
}


class FakeEmbedder:
    """Rows from :data:`VECTORS` by file stem."""

    name = "fake"

    def __init__(self):
        self.calls = []

    def _rows(self, items):
        from pathlib import Path

        self.calls.append(list(items))
        return np.array([VECTORS[Path(item).stem] for item in items])

    def embed_music(self, items):
        return self._rows(items)

    def embed_images(self, items):
        return self._rows(items)


class NoPredictor:
    def predict_va(self, **_):
        raise AssertionError("the V/A predictor should not be asked")


@pytest.fixture
def media(tmp_path):
    music, images = tmp_path / "music", tmp_path / "images"
    music.mkdir(), images.mkdir()
    for stem in ("m1", "m2", "m3"):
        (music / f"{stem}.wav").write_bytes(b"RIFF placeholder")
    for stem in ("p1", "p2", "p3", "p4", "p5"):
        (images / f"{stem}.png").write_bytes(b"\x89PNG placeholder")
    return music, images


def write_embedding_csv(path, skip=()):
    lines = ["id,v0,v1,v2"] + [f"{stem}.{'wav' if stem[0] == 'm' else 'png'},{','.join(map(str, row))}"
                               for stem, row in VECTORS.items() if stem not in skip]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_labels_csv(path):
    path.write_text("id,valence,arousal\n" + "".join(f"{stem},{v},{a}\n" for stem, (v, a) in LABELS.items()))
    return path


# --------------------------------------------------------------------------------------- scores


def test_softmax_and_cosine_semantic_scores():
    music = np.array([[2.0, 0.0], [0.0, 1.0]])
    images = np.array([[1.0, 0.0], [0.0, 3.0], [1.0, 1.0]])
    soft = semantic_scores(music, images, "softmax")
    logits = music @ images.T
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert np.allclose(soft, expected) and np.allclose(soft.sum(axis=1), 1)
    sharp = semantic_scores(music, images, "softmax", temperature=0.1)
    assert (sharp.max(axis=1) > soft.max(axis=1)).all()              # a low temperature sharpens each row
    cosine = semantic_scores(music, images, "cosine")
    assert np.allclose(cosine, [[1, 0, 2 ** -0.5], [0, 1, 2 ** -0.5]])
    with pytest.raises(ValueError, match="semantic must be one of"):
        semantic_scores(music, images, "dot")
    # unit-length rows: softmax values stay near 1/M, which is why E dominates T at alpha 0.6
    unit = semantic_scores(np.eye(3)[:1], np.eye(3)[[0, 1, 2, 0, 1, 2, 0, 1]], "softmax")
    assert np.all(np.abs(unit - 1 / 8) < 0.15)


def test_top_k_is_clipped_to_the_images():
    scores = np.array([[0.1, 0.4, 0.3, 0.2], [0.4, 0.1, 0.2, 0.3]])
    assert top_candidates(scores, 100).shape == (2, 4)
    assert top_candidates(scores, 2).tolist() == [[1, 2], [0, 3]]


def test_alpha_one_keeps_the_semantic_order_and_m_best_by_t():
    rng = np.random.default_rng(0)
    scores = rng.random((6, 9))
    music_va, image_va = rng.uniform(-1, 1, (6, 2)), rng.uniform(-1, 1, (9, 2))
    candidates = top_candidates(scores, 5)
    emotional = emotional_scores(music_va, image_va, candidates)
    assert np.allclose(emotional[0, 0], va_cosine(music_va[0], image_va[candidates[0, 0]]))
    semantic_only = select_pairs(scores, candidates, emotional, alpha=1.0, m=3)
    assert (semantic_only.images == candidates[:, :3]).all()
    chosen = select_pairs(scores, candidates, emotional, alpha=0.6, m=3)
    total = 0.6 * np.take_along_axis(scores, candidates, 1) + 0.4 * emotional
    for row in range(6):
        best = np.sort(total[row])[::-1][:3]
        assert np.allclose(chosen.total[row], best)                      # the m best by T, best first
        assert set(chosen.images[row]) <= set(candidates[row])           # only among the K candidates
    assert select_pairs(scores, candidates, emotional, 0.6, m=10).images.shape == (6, 5)   # m clipped to K


def test_va_cosine_neutral_point_and_russell_words():
    assert va_cosine([0.0, 0.0], [0.5, 0.5]) == 0
    assert russell_word((0.5, 0.5)) == "excited" and russell_word((-0.6, -0.1)) == "sad"
    assert russell_word((0.0, 0.0)) == ""


# -------------------------------------------------------------------------------------- pipeline


def test_pipeline_uses_given_labels_and_reads_back(media, tmp_path):
    music, images = media
    out = tmp_path / "out" / "EMID_data.csv"
    table, diagnostics = build_emid_like(music, images, FakeEmbedder(), out, top_k=4, m=3, semantic="cosine",
                                         va_labels=LABELS, va_predictor=NoPredictor())
    assert list(table["Audio_Filename"]) == ["m1.wav", "m2.wav", "m3.wav"]      # relative to the music folder
    first = table.iloc[0]
    chosen = [first[f"Image{k}_filename"] for k in (1, 2, 3)]
    for k, name in enumerate(chosen, start=1):
        stem = name.split(".")[0]
        assert first[f"Image{k}_E"] == pytest.approx(float(va_cosine(LABELS["m1"], LABELS[stem])))
        assert first[f"Image{k}_T"] == pytest.approx(0.6 * first[f"Image{k}_S"] + 0.4 * first[f"Image{k}_E"])
    # p1 is semantically nearest to m1 but of the opposite feeling: second after p2; p4 agrees in feeling
    # (E = 1) but is not among m1's K = 4 semantic candidates
    assert chosen == ["p2.png", "p1.png", "p5.png"]
    assert diagnostics["va_sources"]["music"] == {"labels": 3} and diagnostics["va_sources"]["image"] == {"labels": 5}

    pairs = read_emid(out, audio_dir=music, image_dir=images)
    assert len(pairs) == 9 and pairs["genre"].isna().all() and pairs["emotion_ratings"].isna().all()
    assert pairs["audio_path"].iloc[0] == str(music / "m1.wav")
    assert pairs["image_path"].iloc[0] == str(images / chosen[0]) and pairs["is_original_clip"].all()

    written = json.loads((tmp_path / "out" / "EMID_data.diagnostics.json").read_text())
    assert {"counts", "selections", "overlap", "all_pairs", "spread", "va_sources", "skipped"} <= set(written)
    assert written["counts"] == {"music": 3, "images": 5, "top_k": 4, "m": 3, "skipped": 0}
    given, semantic = written["selections"]["given"], written["selections"]["semantic_only"]
    assert {"mean_E", "mean_va_distance", "mean_S", "mean_T", "alpha"} <= set(given)
    assert semantic["alpha"] == 1 and given["mean_E"] >= semantic["mean_E"]
    assert 0 <= written["overlap"] <= 1 and written["csv"] == str(out)


def test_alpha_one_pipeline_matches_the_semantic_selection(media):
    music, images = media
    _, diagnostics = build_emid_like(music, images, FakeEmbedder(), None, alpha=1.0, top_k=100, m=2,
                                     va_labels=LABELS, va_predictor=NoPredictor())
    assert diagnostics["overlap"] == 1.0 and diagnostics["counts"]["top_k"] == 5
    assert diagnostics["selections"]["given"] == diagnostics["selections"]["semantic_only"]


def test_va_from_the_embedder_then_the_predictor(media):
    music, images = media

    class WithVA(FakeEmbedder):
        def predicted_va(self, items):
            from pathlib import Path

            return np.array([LABELS[Path(item).stem] for item in items])

    class Predictor:
        asked = []

        def predict_va(self, images=None, audio=None):
            from pathlib import Path

            self.asked += list(images or audio)
            return {"image" if images else "music": np.array([LABELS[Path(p).stem] for p in images or audio])}

    _, diagnostics = build_emid_like(music, images, WithVA(), None, top_k=3, va_labels={"m1": (0.6, 0.6)},
                                     va_predictor=NoPredictor())
    assert diagnostics["va_sources"]["music"] == {"labels": 1, "embedder:fake": 2}
    predictor = Predictor()
    _, diagnostics = build_emid_like(music, images, FakeEmbedder(), None, top_k=3, va_labels={"m1.wav": (0.6, 0.6)},
                                     va_predictor=predictor)
    assert len(predictor.asked) == 2 + 5                                    # m2, m3 and every image
    assert diagnostics["va_sources"]["image"] == {"labels": 0, "predictor:Predictor": 5}


def test_on_error_skip_reports_and_keeps_the_rest(media, tmp_path):
    music, images = media
    vectors = write_embedding_csv(tmp_path / "vectors.csv", skip=("p3",))
    with pytest.raises(InputError, match=r"vectors.csv: no embedding for 'p3.png'"):
        build_emid_like(music, images, str(vectors), None, top_k=3, va_labels=LABELS)
    (images / "broken.png").mkdir()      # a folder named like an image: left out by the folder scan
    table, diagnostics = build_emid_like([music, tmp_path / "missing.wav"], images, str(vectors), None, top_k=3,
                                         va_labels=LABELS, on_error="skip")
    skipped = {row["file"]: row["reason"] for row in diagnostics["skipped"]}
    assert set(skipped) == {str(tmp_path / "missing.wav"), str(images / "p3.png")}
    assert "no embedding for 'p3.png'" in skipped[str(images / "p3.png")]
    assert diagnostics["counts"]["images"] == 4 and len(table) == 3
    assert not (table.filter(like="_filename") == "p3.png").any().any()


# ------------------------------------------------------------------------------------- embedders


def test_embedding_file_lookup_and_missing_id(tmp_path):
    path = tmp_path / "vectors.npz"
    np.savez(path, ids=np.array(["a.wav", "a.png", "sub/b"]), vectors=np.arange(9.0).reshape(3, 3))
    embedder = EmbeddingFileEmbedder(path)
    assert isinstance(embedder, JointEmbedder)
    assert embedder.embed_music(["x/a.wav"]).tolist() == [[0, 1, 2]]
    assert embedder.embed_images(["y/a.png", "z/b.jpg"]).tolist() == [[3, 4, 5], [6, 7, 8]]   # name, then stem
    with pytest.raises(InputError, match=r"vectors.npz: no embedding for 'c.png'"):
        embedder.embed_images(["y/c.png"])
    with pytest.raises(InputError, match="matches several ids"):
        embedder.embed_images(["y/a.jpg"])
    np.savez(path, ids=np.array(["a", "a"]), vectors=np.zeros((2, 3)))
    with pytest.raises(InputError, match="'a' appears more than once"):
        EmbeddingFileEmbedder(path)
    bad = tmp_path / "bad.csv"
    bad.write_text("name,v0\na,1\n")
    with pytest.raises(InputError, match="bad.csv: expected a header id,v0"):
        EmbeddingFileEmbedder(bad)
    bad.write_text("id,v0\na,x\n")
    with pytest.raises(InputError, match="non-number 'x'"):
        EmbeddingFileEmbedder(bad)
    assert IdLookup(["/data/m/1.mp3"], "t").find("/data/m/1.mp3") == 0


def test_imagebind_offline_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("AFFECTZOO_IMAGEBIND_CHECKPOINT", raising=False)
    with pytest.raises(CheckpointError, match="imagebind_huge.pth") as error:
        embedder_by_name("imagebind")
    assert "--embedder mozart" in str(error.value) and "embedding file" in str(error.value)
    with pytest.raises(CheckpointError, match="nowhere.pth"):
        ImageBindEmbedder(checkpoint=tmp_path / "nowhere.pth")
    with pytest.raises(InputError, match="unknown embedder"):
        embedder_by_name("clap")


def test_va_labels_csv(tmp_path):
    path = tmp_path / "va.csv"
    path.write_text("file,kind,valence,arousal\n/x/a.png,image,0.5,-0.25\n")   # what `affectzoo va --csv` writes
    lookup, values = read_va_labels(path)
    assert values[lookup.find("elsewhere/a.png")].tolist() == [0.5, -0.25]
    path.write_text("id,valence,arousal\na,5,1\n")
    with pytest.raises(InputError, match="outside"):
        read_va_labels(path)


# -------------------------------------------------------------------------------------------- CLI


def test_cli_end_to_end(media, tmp_path, capsys, monkeypatch):
    music, images = media
    vectors, labels = write_embedding_csv(tmp_path / "vectors.csv"), write_labels_csv(tmp_path / "va.csv")
    out = tmp_path / "built" / "EMID_data.csv"
    code = main(["data", "build", "emid-like", "--embedder", str(vectors), "--music", str(music),
                 "--images", str(images), "--out", str(out), "--top-k", "4", "--m", "3", "--va-labels", str(labels)])
    printed = capsys.readouterr().out
    assert code == 0 and f"wrote {out}" in printed
    assert "alpha 0.6" in printed and "alpha 1 (semantic only)" in printed and "overlap" in printed
    pairs = read_emid(out, audio_dir=music, image_dir=images)
    assert len(pairs) == 9 and pairs["clip_id"].iloc[0] == "m1.wav"     # names relative to the one folder given
    assert json.loads(out.with_suffix(".diagnostics.json").read_text())["va_sources"]["music"] == {"labels": 3}
    assert main(["data", "build", "emid-like", "--embedder", str(vectors), "--music", str(music)]) == 2
    assert "needs --images" in capsys.readouterr().err
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("AFFECTZOO_IMAGEBIND_CHECKPOINT", raising=False)
    assert main(["data", "build", "emid-like", "--embedder", "imagebind", "--music", str(music),
                 "--images", str(images)]) == 2
    assert "--embedder mozart" in capsys.readouterr().err
