"""open-image-va and open-music-va on the leaderboard: a V/A predictor against each source's labels.

Each source is scored by what its labels allow: continuous ratings (OASIS, BASS, VGMIDI, DEAM) by
MAE and SRCC per axis; binary quadrant labels (EMOPIA) by sign accuracy per axis and quadrant
accuracy; GEMS proxy values (Emotify) by SRCC per axis. Metrics are named ``<source>_<metric>``
(e.g. ``oasis_valence_srcc``), so one dataset row set covers every source of the split.
"""

from __future__ import annotations

import torch
from torchmetrics.functional import spearman_corrcoef

from affectzoo.leaderboard.rows import Measurement

AXES = ("valence", "arousal")
BATCH = 32


def source_metrics(label_type: str, predicted: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """Metrics of predicted V/A ``[N, 2]`` against labels ``[N, 2]`` (both in [-1, 1]) for one label type."""
    out = {}
    for j, axis in enumerate(AXES):
        if label_type == "continuous":
            out[f"{axis}_mae"] = float((predicted[:, j] - labels[:, j]).abs().mean())
            if len(labels) >= 3:
                out[f"{axis}_srcc"] = float(spearman_corrcoef(predicted[:, j], labels[:, j]))
        elif label_type == "binary":
            out[f"{axis}_sign_acc"] = float(((predicted[:, j] >= 0) == (labels[:, j] >= 0)).float().mean())
        elif label_type == "proxy" and len(labels) >= 3:
            out[f"{axis}_proxy_srcc"] = float(spearman_corrcoef(predicted[:, j], labels[:, j]))
    if label_type == "binary":
        out["quadrant_acc"] = float(((predicted >= 0) == (labels >= 0)).all(dim=1).float().mean())
    return out


def evaluator(build_name: str, modality: str):
    """The evaluate function of one open V/A build (``modality``: ``image`` or ``music``)."""

    def evaluate(model, cfg, root: str, split: str = "test") -> list[Measurement]:
        from affectzoo.data.builds import build, load_build

        build(build_name, root)
        items = load_build(build_name)["items"]
        items = items[items["split"] == split].reset_index(drop=True)
        paths = items["image_path" if modality == "image" else "audio_path"].tolist()
        argument = "images" if modality == "image" else "audio"
        predicted = torch.cat([model.predict_va(**{argument: paths[i:i + BATCH]})[modality]
                               for i in range(0, len(paths), BATCH)]).float()
        labels = torch.tensor(items[list(AXES)].to_numpy(), dtype=torch.float32)
        out = []
        for (source, label_type), index in items.groupby(["source", "label_type"]).groups.items():
            index = torch.as_tensor(list(index))
            for metric, value in source_metrics(label_type, predicted[index], labels[index]).items():
                out.append(Measurement(split, f"{source}_{metric}", value, len(index), "va-predictor"))
        return out

    return evaluate
