"""Public peers on the leaderboard, run in their own environment and never imported here.

VibeNet (Shim; GPL-3.0; an ONNX EfficientNet distilled on the Free Music Archive) predicts a music
clip's valence and energy in [0, 1]. Its licence keeps it a benchmark-only dependency, so it runs in
the virtual environment ``.cache/peers`` (made once by ``python benchmarks/peers_music_va.py
--setup``) through ``benchmarks/vibenet_worker.py``, a subprocess that reads paths on stdin and
writes predictions on stdout. On the leaderboard it is the model ``vibenet`` (tag ``peer``) on
``open-music-va`` only (it reads no pictures): its outputs mapped to [-1, 1] (energy as arousal),
scored by SRCC and sign/quadrant accuracy; MAE is left out, its scale not being the labels'.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from affectzoo._pretrained import PretrainedCfg

CHECKOUT = Path(__file__).resolve().parents[2]
PEER_DATASETS = ("open-music-va",)


def peer_keeps(metric: str) -> bool:
    """Whether a peer's metric is shown (scale-free ones only)."""
    return not metric.endswith("_mae")


class VibeNetPeer:
    """``predict_va(audio=paths)`` through the VibeNet worker: ``{"music": [N, 2]}`` (valence, energy) in [-1, 1]."""

    pretrained_cfg = PretrainedCfg(architecture="vibenet", tag="peer", family="vibenet", tasks=("va-predictor",),
                                   description="VibeNet (Shim, GPL-3.0), a public peer run in its own environment")

    def __init__(self, python: Path, worker: Path) -> None:
        self.python, self.worker = python, worker

    def predict_va(self, images=None, audio=None, sample_rate=None) -> dict:
        import torch

        if images is not None:
            raise ValueError("VibeNet reads music only")
        paths = [str(p) for p in audio]
        done = subprocess.run([str(self.python), "-W", "ignore", str(self.worker)], input=json.dumps(paths),
                              capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"VibeNet worker failed: {done.stderr[-500:]}")
        result = json.loads(done.stdout)
        if result["failed"]:
            raise RuntimeError(f"VibeNet could not read {sorted(result['failed'])[:3]}")
        values = [[result["predictions"][p]["valence"], result["predictions"][p]["energy"]] for p in paths]
        return {"music": torch.tensor(values, dtype=torch.float32) * 2 - 1}


def installed_peers(checkout: Path = CHECKOUT) -> dict[str, VibeNetPeer]:
    """The peers that can run here: name -> peer (empty when ``.cache/peers`` or the worker is missing)."""
    python, worker = checkout / ".cache" / "peers" / "bin" / "python", checkout / "benchmarks" / "vibenet_worker.py"
    return {"vibenet": VibeNetPeer(python, worker)} if python.is_file() and worker.is_file() else {}
