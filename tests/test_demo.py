"""The demo: synthesised clips, the report writer, the packaged samples, and the README's first command end to end."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from affectzoo.demo.music import PIECES, SAMPLE_RATE, SECONDS, render, write_clips
from affectzoo.demo.report import va_plane_svg, write_report
from affectzoo.demo.run import ClipResult, DemoResult, Sample, packaged_samples


def test_clips_are_deterministic_distinct_and_kept(tmp_path):
    paths = write_clips(tmp_path)
    assert [p.stem for p in paths] == [piece.name for piece in PIECES]
    waves = [sf.read(p)[0] for p in paths]
    assert all(len(w) == int(SECONDS * SAMPLE_RATE) for w in waves)
    assert all(0.2 < np.abs(w).max() <= 1.0 for w in waves)
    np.testing.assert_array_equal(render(PIECES[0]), render(PIECES[0]))
    # loud fast pieces are louder on average than the quiet slow ones
    rms = {p.stem: float(np.sqrt((w ** 2).mean())) for p, w in zip(paths, waves)}
    assert rms["bright_major_fast"] > rms["dark_minor_slow"]
    before = paths[0].stat().st_mtime_ns
    write_clips(tmp_path)
    assert paths[0].stat().st_mtime_ns == before  # an existing clip is kept (the cache stays warm)


def test_packaged_samples_exist_and_carry_their_licences():
    samples = packaged_samples()
    assert {s.kind for s in samples} == {"painting", "shape"}
    for sample in samples:
        assert sample.path.is_file(), sample.path
        assert sample.licence and sample.title
        with Image.open(sample.path) as image:
            assert max(image.size) <= 320
    assert all("CC BY" in s.licence for s in samples if s.kind == "shape")


def fake_result(tmp_path: Path) -> DemoResult:
    pictures = []
    for k in range(3):
        path = tmp_path / f"p{k}.png"
        Image.new("RGB", (40, 30), (80 * k, 60, 200 - 50 * k)).save(path)
        pictures.append(Sample(path, "painting" if k < 2 else "shape", f"Title <{k}>", "artist", "1900", "public domain",
                               va=(0.3 * k - 0.3, 0.1 * k)))
    clip = tmp_path / "clips" / "c.wav"
    clip.parent.mkdir()
    sf.write(clip, np.zeros(100), 8000)
    result = ClipResult(clip, "a clip", (0.5, -0.25), [(pictures[1].path, 0.9), (pictures[0].path, 0.7)],
                        {"mozart": [(pictures[0].path, 0.1)], "haydn": [(pictures[1].path, 0.2)]},
                        ["#ff0000", "#00ff00"], pictures[0].path, pictures[1].path)
    return DemoResult([result], pictures, {"judge": "judge.tag", "mozart": "mozart.open"})


def test_report_has_summary_plane_sections_and_credits(tmp_path):
    out = write_report(fake_result(tmp_path), tmp_path / "report.html")
    page = out.read_text()
    summary = re.search(r'<table id="summary">.*?</table>', page, re.S).group(0)
    assert summary.count("<tr>") == 2 and "+0.50" in summary and "-0.25" in summary
    assert "Title &lt;1&gt;" in summary  # titles are escaped
    assert page.count('class="point clip"') == 1 and page.count('class="point painting"') == 2
    assert page.count("data:image/jpeg;base64,") >= 5
    assert 'src="clips/c.wav"' in page  # the clip is linked relative to the report
    assert "background:#ff0000" in page and "public domain" in page
    assert not list(tmp_path.glob(".report.html.*"))  # written atomically, no temporary left


def test_va_plane_places_points_by_valence_and_arousal():
    svg = va_plane_svg([("up-right", 1.0, 1.0, "painting"), ("down-left", -1.0, -1.0, "shape")])
    (x1, y1), (x2, y2) = [tuple(map(float, m)) for m in re.findall(r'cx="([\d.]+)" cy="([\d.]+)"', svg)]
    assert x1 > x2 and y1 < y2  # positive valence to the right, positive arousal up


def test_demo_command_runs_every_task_and_prints_the_report_last(tmp_path, monkeypatch, capsys):
    """The README's first command on the real shipped models (packaged weights, no network)."""
    from affectzoo.cli import main

    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    assert main(["demo", "--out", str(tmp_path / "demo"), "--quiet"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == f"report: {(tmp_path / 'demo' / 'report.html').resolve()}"
    assert len(lines) == len(PIECES) + 1 and all("palette #" in line for line in lines[:-1])
    page = (tmp_path / "demo" / "report.html").read_text()
    assert page.count('class="clip"') == len(PIECES)
    assert len(list((tmp_path / "demo" / "recoloured").glob("*.jpg"))) == len(PIECES)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="headless Chromium not installed (.ci/venv installs it)")
def test_report_renders_in_headless_chromium(tmp_path):
    out = write_report(fake_result(tmp_path), tmp_path / "report.html")
    dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", out.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    assert '<table id="summary">' in dom and "<svg" in dom and 'id="va-plane"' in dom
