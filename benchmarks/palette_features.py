"""Seconds per 30-s clip of Music2Palette's 539-d frame features, on one core, with YIN and with pYIN pitch.

Decoding and resampling are timed apart from the features. Reads a few real recordings
(Emotify) from ``--root``; one thread (OMP/BLAS/numba set to 1 by this script).

    python benchmarks/palette_features.py --clips 5
"""

from __future__ import annotations

import os

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[variable] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from results_csv import append_rows  # noqa: E402


def main() -> None:
    import librosa
    import torch

    from affectzoo import media
    from affectzoo.models.music2palette.features import HOP, N_FFT, PITCH_RANGE_HZ, SAMPLE_RATE, frame_features

    torch.set_num_threads(1)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="../shared/data")
    parser.add_argument("--clips", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    clips = sorted((Path(args.root) / "emotify" / "audio_30s_ogg" / "rock").glob("*.ogg"))[:args.clips]
    preprocess = {"sample_rate": SAMPLE_RATE, "clip_seconds": 30.0, "mono": True}
    timings = {"decode_resample": [], "features_yin": [], "pyin_alone": []}
    frame_features(media.waveform(str(clips[0]), preprocess).numpy())  # warm up numba and librosa caches
    for clip in clips:
        started = time.perf_counter()
        wave = media.waveform(str(clip), preprocess).numpy()
        timings["decode_resample"].append(time.perf_counter() - started)
        started = time.perf_counter()
        frame_features(wave)
        timings["features_yin"].append(time.perf_counter() - started)
        started = time.perf_counter()
        librosa.pyin(wave, fmin=PITCH_RANGE_HZ[0], fmax=PITCH_RANGE_HZ[1], sr=SAMPLE_RATE, frame_length=N_FFT,
                     hop_length=HOP)
        timings["pyin_alone"].append(time.perf_counter() - started)
    result = {name: round(statistics.median(values), 3) for name, values in timings.items()}
    result.update({"clips": len(clips), "unit": "seconds per 30-s clip (median), one core"})
    print(json.dumps(result, indent=1))
    append_rows("palette_features", [{"measurement": name, "value": value, "unit": "s per 30-s clip", "n": len(clips)}
                                     for name, value in result.items() if isinstance(value, float)])
    if args.json:
        from affectzoo._io import atomic_write_text

        atomic_write_text(args.json, json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
