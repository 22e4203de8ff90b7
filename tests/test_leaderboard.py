"""The leaderboard: rows and keys, the runner (selection, error rows, reruns), open-pairs scoring per
task, the efficiency helpers, the generated documents and site (rendered in headless Chromium)."""

from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from affectzoo._pretrained import PretrainedCfg
from affectzoo.leaderboard import open_pairs, runner
from affectzoo.leaderboard.markdown import to_html
from affectzoo.leaderboard.rows import COLUMNS, Measurement, key, read_csv, write_csv


def test_keys_are_normalised():
    assert key("MAP@10") == "map_at_10"
    assert key("SRCC (test)") == "srcc_test"
    assert key("open-pairs") == "open_pairs"
    assert key(" oasis_valence_srcc ") == "oasis_valence_srcc"


def test_csv_roundtrip_keeps_every_column_and_empty_values(tmp_path):
    rows = [{"model": "a", "metric": "srcc", "value": 0.123456789}, {"model": "b", "metric": "error", "value": None,
                                                                      "error": "boom"},
            {"model": "c", "metric": "plcc", "value": float("nan")}]
    path = write_csv(tmp_path / "out" / "benchmark.csv", rows)
    header = path.read_text().splitlines()[0].split(",")
    assert tuple(header) == COLUMNS
    back = read_csv(path)
    assert back[0]["value"] == pytest.approx(0.123457) and back[1]["value"] is None and back[2]["value"] is None
    assert back[1]["error"] == "boom"
    assert not list((tmp_path / "out").glob(".*tmp"))


class FakeScorer:
    """A pair scorer that knows the truth up to a monotone transform, plus V/A and rating recommendations."""

    def __init__(self, truth: dict, va: dict):
        self.truth, self.va = truth, va

    def score(self, images, clip):
        return np.array([self.truth[(image, clip)] ** 2 for image in images])

    def predict_va(self, images=None, audio=None):
        import torch

        out = {}
        if images is not None:
            out["image"] = torch.tensor([self.va[p] for p in images], dtype=torch.float64)
        if audio is not None:
            out["music"] = torch.tensor([self.va[p] for p in audio], dtype=torch.float64)
        return out

    def index(self, images):
        return list(images)

    def recommend(self, ratings, catalogue, k):
        (clip, _), = ratings.items()
        return sorted(((image, 1 - self.truth[(image, clip)]) for image in catalogue), key=lambda r: r[1])[:k]


def toy_pairs(monkeypatch):
    """3 images x 3 clips with scores from V/A, and preference pairs, as the open-pairs build has them."""
    va = {"i0.png": [0.8, 0.5], "i1.png": [-0.6, -0.4], "i2.png": [0.1, 0.9],
          "m0.wav": [0.7, 0.6], "m1.wav": [-0.45, -0.5], "m2.wav": [0.05, 0.75]}
    rows = []
    for i in range(3):
        for m in range(3):
            distance = np.linalg.norm(np.subtract(va[f"i{i}.png"], va[f"m{m}.wav"])) / (2 * math.sqrt(2))
            rows.append({"image_id": f"i{i}", "music_id": f"m{m}", "image_path": f"i{i}.png", "audio_path": f"m{m}.wav",
                         "score": 1 - distance, "kind": "best" if i == m else "random", "split": "test"})
    pairs = pd.DataFrame(rows)
    prefs = pd.DataFrame({"query_modality": ["image", "music"], "query_id": ["i0", "m1"], "preferred_id": ["m0", "i1"],
                          "rejected_id": ["m1", "i0"], "split": "test"})
    from affectzoo.data.datamodules import with_queries

    monkeypatch.setattr(open_pairs, "_pairs", lambda root, split: (with_queries(pairs), prefs))
    truth = {(r["image_path"], r["audio_path"]): r["score"] for r in rows}
    return FakeScorer(truth, va)


def test_open_pairs_scores_each_task_its_own_way(monkeypatch):
    model = toy_pairs(monkeypatch)
    cfg = PretrainedCfg(architecture="x", family="haydn", tasks=("pair-scorer", "va-predictor", "recommender"))
    measured = open_pairs.evaluate(model, cfg, "unused")
    by = {(m.task, m.metric): m.value for m in measured}
    for task in ("pair-scorer", "va-predictor", "recommender"):
        assert by[(task, "srcc")] == pytest.approx(1.0)  # each ordering is the truth's
        assert by[(task, "pref_acc")] == 1.0
        assert by[(task, "map_at_1")] == pytest.approx(1.0)
        assert (task, "map_at_10") not in by  # 3 candidates per image: no MAP@10
    assert by[("va-predictor", "mae")] == pytest.approx(0.0, abs=1e-6)  # the composition is the label
    assert ("recommender", "mae") not in by  # distances are not scores in [0, 1]
    assert all(m.n == 9 for m in measured if m.metric != "pref_acc")


def test_open_pairs_applies_to_rating_recommenders_only():
    assert open_pairs.applies(PretrainedCfg(architecture="m", family="mozart", tasks=("recommender",))) == ["recommender"]
    assert open_pairs.applies(PretrainedCfg(architecture="e", family="emi_ncf", tasks=("recommender",))) == []
    assert open_pairs.applies(PretrainedCfg(architecture="p", family="music2palette", tasks=("palette-generator",))) == []


def fake_zoo(monkeypatch):
    cfgs = {"good.a": PretrainedCfg(architecture="good", tag="a", family="good", tasks=("pair-scorer",), sha256="ab"),
            "bad.a": PretrainedCfg(architecture="bad", tag="a", family="bad", tasks=("pair-scorer",)),
            "painter.a": PretrainedCfg(architecture="painter", tag="a", family="painter", tasks=("palette-generator",))}

    def evaluate(model, cfg, root, split):
        if cfg.architecture == "bad":
            raise RuntimeError("cannot read\nthe data")
        return [Measurement(split, "SRCC", float(np.random.rand()), 5, "pair-scorer"),
                Measurement(split, "MAP@10", 0.5, 5, "pair-scorer")]

    monkeypatch.setattr(runner, "candidate_models", lambda: cfgs)
    monkeypatch.setattr(runner, "DATASETS", {"toy-pairs": (lambda cfg: ["pair-scorer"] if "pair-scorer" in cfg.tasks else [],
                                                           evaluate)})
    monkeypatch.setattr("affectzoo.load", lambda name: object())


def test_runner_writes_error_rows_goes_on_and_reruns_identically(tmp_path, monkeypatch):
    fake_zoo(monkeypatch)
    first = read_csv(runner.run_benchmark("*", "*", "root", tmp_path / "a", command="cmd", show_progress=False))
    second = read_csv(runner.run_benchmark("*", "*", "root", tmp_path / "b", command="cmd", show_progress=False))
    assert first == second  # seeded: the random metric repeats
    assert {r["model"] for r in first} == {"good.a", "bad.a"}  # the palette model has no applicable dataset
    error = next(r for r in first if r["model"] == "bad.a")
    assert error["metric"] == "error" and error["value"] is None and "cannot read the data" in error["error"]
    good = {r["metric"]: r for r in first if r["model"] == "good.a"}
    assert set(good) == {"srcc", "map_at_10"} and good["srcc"]["dataset"] == "toy_pairs"
    assert good["srcc"]["weights_sha256"] == "ab" and good["srcc"]["seed"] == "0" and good["srcc"]["command"] == "cmd"


def test_runner_selects_by_pattern_and_refuses_an_empty_selection(tmp_path, monkeypatch):
    fake_zoo(monkeypatch)
    rows = read_csv(runner.run_benchmark("good*", "toy*", "root", tmp_path, show_progress=False))
    assert {r["model"] for r in rows} == {"good.a"}
    assert runner.select(["open-pairs", "open-palettes"], "open_pairs") == ["open-pairs"]  # keys select too
    with pytest.raises(ValueError, match="nothing to run"):
        runner.run_benchmark("nomatch*", "*", "root", tmp_path, show_progress=False)


def test_media_factory_makes_new_content_every_call(tmp_path):
    from affectzoo.leaderboard.efficiency import MediaFactory, matmul_gflops, peak_memory_mb

    media = MediaFactory(tmp_path)
    first, second = media.images(2), media.images(1)
    assert len(set(first + second)) == 3
    assert Path(first[0]).read_bytes() != Path(first[1]).read_bytes()
    clip = media.clips(1)[0]
    assert Path(clip).stat().st_size > 100_000
    assert matmul_gflops(repeats=1, n=128) > 0
    assert 10 < peak_memory_mb() < 100_000


def test_markdown_escapes_and_converts():
    page = to_html("---\nlicense: x\n---\n# Title <b>\n\nSome `code` and **bold** [link](a.html)\n\n- one\n- two\n\n"
                   "| a | b |\n|---|---|\n| 1 | 2 |\n\n```\nx < y\n```\n![plot](p.png)\n")
    assert "license" not in page and "<h1>Title &lt;b&gt;</h1>" in page
    assert "<code>code</code>" in page and "<strong>bold</strong>" in page and '<a href="a.html">link</a>' in page
    assert page.count("<li>") == 2 and "<td>1</td>" in page and "x &lt; y" in page
    assert '<img src="p.png" alt="plot">' in page


def write_results(folder: Path) -> None:
    rows = []
    for model, task in (("judge.open", "pair-scorer"), ("va.open", "va-predictor"), ("va.open", "pair-scorer")):
        for metric, value in [("srcc", 0.3), ("plcc", 0.35), ("pref_acc", 0.5)] + [(f"map_at_{k}", 0.1 * k) for k in range(1, 11)]:
            rows.append({"model": model, "task": task, "dataset": "open_pairs", "split": "test", "metric": metric,
                         "value": value, "n": 10, "affectzoo_version": "0", "torch_version": "t", "device": "cpu",
                         "date": "2026-12-05"})
    rows.append({"model": "broken.open", "task": "pair-scorer", "dataset": "open_pairs", "metric": "error",
                 "error": "RuntimeError: nope", "affectzoo_version": "0", "torch_version": "t", "device": "cpu"})
    write_csv(folder / "benchmark.csv", rows)
    with open(folder / "efficiency_cpu_torch-t.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["model", "task", "operation", "item", "params", "throughput_b32_per_s",
                                                    "matmul_fp32_gflops", "device", "torch_version", "threads"])
        writer.writeheader()
        writer.writerow({"model": "judge.open", "task": "pair-scorer", "operation": "score", "item": "pair",
                         "params": 10, "throughput_b32_per_s": 20.0, "matmul_fp32_gflops": 150, "device": "cpu",
                         "torch_version": "t", "threads": 2})


def write_checkpoint(folder: Path) -> None:
    cfg = PretrainedCfg(architecture="judge", tag="open", family="judge", tasks=("pair-scorer",),
                        description="a judge", metrics={"open-pairs test": {"srcc": 0.3}},
                        limitations="sees only toy data")
    (folder / "judge.open").mkdir(parents=True)
    (folder / "judge.open" / "config.json").write_text(json.dumps(
        {"class_path": "x.Judge", "init_args": {"width": 4}, "pretrained_cfg": cfg.to_dict()}))


def test_documents_and_site_are_generated_from_the_csvs(tmp_path):
    from affectzoo.leaderboard.report import write_docs

    results, docs, checkpoints = tmp_path / "results", tmp_path / "docs", tmp_path / "checkpoints"
    results.mkdir()
    write_results(results)
    write_checkpoint(checkpoints)
    index = write_docs(results, docs, checkpoints)
    board = (docs / "leaderboard.md").read_text()
    assert "| `judge.open` | 0.3000 | 0.3500 |" in board
    assert "`va.open (va-predictor)`" in board and "`va.open (pair-scorer)`" in board  # several tasks: named
    assert "RuntimeError: nope" in board and "150" in board
    plots = {p.name for p in (docs / "leaderboard").glob("*.png")}
    assert plots == {"bars_open_pairs.png", "map_at_k_open_pairs.png", "quality_vs_throughput.png"}
    card = (docs / "models" / "judge.open.md").read_text()
    assert "# judge.open" in card and "- tasks: `pair-scorer`" in card and "inputs (pair-scorer)" in card
    assert "## Limitations\nsees only toy data" in card
    assert (checkpoints / "judge.open" / "README.md").read_text() == card  # the checkpoint's card is the same text
    page = index.read_text()
    assert page.count('<img src="plots/') == 3 and "<table>" in page and 'href="models/judge.open.html"' in page
    assert (docs / "site" / "models" / "judge.open.html").is_file()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="headless Chromium not installed (.ci/venv installs it)")
def test_site_renders_in_headless_chromium_with_its_table_and_plots(tmp_path):
    from affectzoo.leaderboard.report import write_docs

    results = tmp_path / "results"
    results.mkdir()
    write_results(results)
    write_checkpoint(tmp_path / "checkpoints")
    index = write_docs(results, tmp_path / "docs", tmp_path / "checkpoints")
    dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                          "--dump-dom", index.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert "<table>" in dom and "judge.open" in dom
    sources = [s.split('"')[0] for s in dom.split('<img src="')[1:]]
    assert len(sources) == 3 and all((index.parent / s).is_file() for s in sources)


def test_recommender_simulation_rewards_lists_that_follow_the_music(monkeypatch):
    from affectzoo.catalog import Recommendation
    from affectzoo.leaderboard import recommender_simulation as simulation

    rng = np.random.default_rng(1)
    pictures = pd.DataFrame({"image_path": [f"p{i}.png" for i in range(60)], "valence": rng.uniform(-1, 1, 60),
                             "arousal": rng.uniform(-1, 1, 60)})
    songs = pd.DataFrame({"audio_path": [f"s{i}.wav" for i in range(30)], "valence": rng.uniform(-1, 1, 30),
                          "arousal": rng.uniform(-1, 1, 30)})
    monkeypatch.setattr(simulation, "held_out_items", lambda root: (pictures, songs))
    song_va = dict(zip(songs["audio_path"], songs[["valence", "arousal"]].to_numpy()))
    picture_va = pictures[["valence", "arousal"]].to_numpy()

    class Follower:  # recommends the pictures nearest the rated songs' labelled V/A
        def index(self, paths):
            return paths

        def recommend(self, ratings, catalogue, k):
            weights = np.array(list(ratings.values()), dtype=float)
            target = (weights / weights.sum()) @ np.array([song_va[s] for s in ratings])
            order = np.argsort(np.linalg.norm(picture_va - target, axis=1))[:k]
            return [Recommendation(catalogue[i], 0.0) for i in order]

    class Fixed(Follower):  # the same list for everybody
        def recommend(self, ratings, catalogue, k):
            return [Recommendation(p, 0.0) for p in catalogue[:k]]

    cfg = PretrainedCfg(architecture="m", family="mozart", tasks=("recommender",))
    follower = {m.metric: m.value for m in simulation.evaluate(Follower(), cfg, "unused")}
    fixed = {m.metric: m.value for m in simulation.evaluate(Fixed(), cfg, "unused")}
    assert follower["valence_tracking"] > 0.8 and follower["arousal_tracking"] > 0.8
    assert follower["affective_distance"] < fixed["affective_distance"]
    assert fixed["coverage"] == pytest.approx(10 / 60) and follower["coverage"] > fixed["coverage"]
    assert simulation.applies(PretrainedCfg(architecture="e", family="emi_ncf", tasks=("recommender",))) == []


def test_peers_run_in_their_own_process_and_are_optional(tmp_path):
    import sys

    from affectzoo.leaderboard.peers import VibeNetPeer, installed_peers, peer_keeps

    assert installed_peers(tmp_path) == {}  # no .cache/peers here: the leaderboard runs without
    worker = tmp_path / "worker.py"
    worker.write_text("import json, sys\npaths = json.load(sys.stdin)\n"
                      "print(json.dumps({'predictions': {p: {'valence': 0.0, 'energy': 1.0} for p in paths},"
                      " 'seconds': 0.0, 'failed': {}}))\n")
    va = VibeNetPeer(Path(sys.executable), worker).predict_va(audio=["a.wav", "b.wav"])["music"]
    assert va.tolist() == [[-1.0, 1.0], [-1.0, 1.0]]  # [0, 1] -> [-1, 1], energy as arousal
    with pytest.raises(ValueError, match="music only"):
        VibeNetPeer(Path(sys.executable), worker).predict_va(images=["x.png"])
    assert peer_keeps("vgmidi_valence_srcc") and not peer_keeps("deam_valence_mae")
