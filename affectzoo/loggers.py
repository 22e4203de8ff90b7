"""Experiment loggers with the zoo's defaults.

``WandbLogger`` runs offline unless the user turns it on: ``WANDB_MODE`` wins when set
(``online``, ``offline`` or ``disabled``); otherwise the run is written to ``./wandb`` offline and
can be uploaded later with ``wandb sync``. Nothing talks to the network by default.
"""

from __future__ import annotations

import os

from lightning.pytorch.loggers import WandbLogger as _LightningWandbLogger


def wandb_mode(explicit: str | None = None) -> str:
    """The wandb mode to use: ``explicit`` if given, else ``$WANDB_MODE``, else ``offline``."""
    mode = (explicit or os.environ.get("WANDB_MODE") or "offline").lower()
    if mode not in {"online", "offline", "disabled"}:
        raise ValueError(f"unknown wandb mode {mode!r}; use online, offline or disabled")
    return mode


class WandbLogger(_LightningWandbLogger):
    """Lightning's WandbLogger, offline unless ``mode="online"`` or ``WANDB_MODE=online``."""

    def __init__(self, project: str = "affectzoo", save_dir: str = "runs", mode: str | None = None, **kwargs) -> None:
        resolved = wandb_mode(mode)
        super().__init__(project=project, save_dir=save_dir, offline=resolved == "offline", mode=resolved, **kwargs)
        self.mode = resolved
