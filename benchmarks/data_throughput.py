"""Data-layer throughput on the open data (CSV rows in benchmarks/results/data_throughput.csv).

1. decode + resample + log-mel (MPJudge front-end: 16 kHz, n_fft 1024, hop 512, 128 mels) of real
   recordings, on one thread: seconds of audio per wall second ("times real time per core");
2. one epoch reading mels from the feature cache against decoding every file again (the ratio);
3. build times of the open benchmarks, from each build's build_log.json.

    python benchmarks/data_throughput.py --root ../shared/data [--files 24]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from affectzoo.data.audio import audio_duration, load_audio
from affectzoo.data.builds import build_dir, list_builds
from affectzoo.data.cache import FeatureCache
from affectzoo.layers.mel import MelFrontEnd, cached_mel
from results_csv import append_rows

MPJUDGE_MEL = {"sample_rate": 16000, "n_fft": 1024, "hop_length": 512, "n_mels": 128}


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="../shared/data")
    parser.add_argument("--files", type=int, default=24)
    args = parser.parse_args()
    torch.set_num_threads(1)
    root = Path(args.root)
    files = sorted((root / "emotify" / "audio_30s_ogg").rglob("*.ogg"))[: args.files // 2]
    files += sorted((root / "deam" / "audio_1000songs").glob("*.mp3"))[: args.files - len(files)]
    seconds = sum(audio_duration(f) for f in files)
    frontend = MelFrontEnd.from_cfg(MPJUDGE_MEL)

    def decode_all():
        for f in files:
            with torch.no_grad():
                frontend(load_audio(f, 16000))

    decode = timed(decode_all)
    rows = [{"measurement": "decode+resample+mel", "value": round(seconds / decode, 2), "unit": "x real time per core",
             "n": len(files), "note": f"{seconds:.0f} s of Emotify ogg + DEAM mp3 at 16 kHz"}]

    with tempfile.TemporaryDirectory() as tmp:
        import os

        os.environ["AFFECTZOO_CACHE"] = tmp
        fill = timed(lambda: [cached_mel(f, frontend) for f in files])
        cached = timed(lambda: [cached_mel(f, frontend) for f in files])
        entries = sum(1 for _ in Path(tmp, "mel").rglob("*.safetensors"))
    assert entries == len(files), "every file cached once"
    rows += [
        {"measurement": "epoch decoding every file", "value": round(decode, 3), "unit": "s", "n": len(files)},
        {"measurement": "epoch filling the cache", "value": round(fill, 3), "unit": "s", "n": len(files)},
        {"measurement": "epoch from cached mels", "value": round(cached, 3), "unit": "s", "n": len(files),
         "ratio_to": "epoch decoding every file", "ratio": round(decode / cached, 1),
         "note": "ratio = decoding epoch / cached epoch"},
    ]
    for name in list_builds():
        log = build_dir(name) / "build_log.json"
        if log.is_file():
            rows.append({"measurement": f"build {name}", "value": json.loads(log.read_text())["seconds"],
                         "unit": "s", "note": "from build_log.json of the last build (cold renders for music)"})
    append_rows("data_throughput", rows)


if __name__ == "__main__":
    main()
