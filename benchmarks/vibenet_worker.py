"""Runs the public peer VibeNet (GPL-3.0, ``pip install vibenet==0.1.0``) on audio files, in its own environment.

Read by ``peers_music_va.py`` through a subprocess, so VibeNet is never imported into affectzoo's
process (its licence keeps it a benchmark-only dependency). Reads a JSON list of paths on stdin;
writes ``{"predictions": {path: {"energy": x, "valence": y}}, "seconds": s, "failed": {path: why}}``
on stdout. One thread, as the benchmark compares one core against one core: an onnxruntime session
with one intra-op thread (VibeNet's own session would use every core).
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    import onnxruntime
    from vibenet import load_model

    paths = json.load(sys.stdin)
    model = load_model()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    model.ort_sess = onnxruntime.InferenceSession(model.ort_sess._model_path, sess_options=options,
                                                  providers=["CPUExecutionProvider"])
    predictions, failed = {}, {}
    started = time.perf_counter()
    for path in paths:
        try:
            result = model.predict(path)[0]
            predictions[path] = {"energy": float(result.energy), "valence": float(result.valence)}
        except Exception as err:  # report any file VibeNet cannot read, keep going
            failed[path] = f"{type(err).__name__}: {err}"
    json.dump({"predictions": predictions, "seconds": time.perf_counter() - started, "failed": failed}, sys.stdout)


if __name__ == "__main__":
    main()
