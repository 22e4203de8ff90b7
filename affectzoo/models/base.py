"""``ZooModule``: the LightningModule every affectzoo model derives from.

It adds what a zoo needs on top of Lightning: the model's :class:`PretrainedCfg`, its full
constructor arguments (``self.hparams``, so weights can be rebuilt without the training code), and
a record of both inside every Lightning checkpoint so ``affectzoo export`` can turn a training
checkpoint into a self-describing ``model.safetensors`` + ``config.json`` folder.

Subclasses call ``self.save_hyperparameters()`` first thing in ``__init__`` and keep their
constructor arguments JSON-serialisable. They describe themselves through three hooks:
``default_preprocess()`` (how inputs are prepared, derived from the model's own encoders; the
registry's cfgs and the manifest take it from there), ``frozen_encoders()`` (the frozen pretrained
encoders a DataModule may read cached features from) and ``example_batch()`` (a small batch the
model trains on, for the contract tests that every registered model passes).
"""

from __future__ import annotations

import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import lightning as L
import torch

from affectzoo._folder import save_pretrained
from affectzoo._pretrained import PretrainedCfg
from affectzoo.precision import float32_outputs, model_precision, returns_float32


class ZooModule(L.LightningModule):
    """Base class of zoo models (see module docstring).

    ``tasks`` names what the model class offers (:mod:`affectzoo.tasks`); the registry's manifest
    and saved checkpoints record it, and a contract test checks the class has the tasks' methods.
    """

    tasks: tuple[str, ...] = ()
    # compute-heavy submodules that precision "int8-static" exports and compiles (affectzoo.precision)
    static_int8_modules: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self.pretrained_cfg = PretrainedCfg()
        self.precision = "32-true"  # inference precision: affectzoo.precision.set_precision

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        from affectzoo.tasks import TASKS

        # task methods answer in float32 whatever precision computed them (affectzoo.precision)
        for name in {method for task in cls.tasks if task in TASKS for method in TASKS[task].methods}:
            method = getattr(cls, name, None)
            if callable(method):
                setattr(cls, name, returns_float32(method))

    def __call__(self, *args, **kwargs):
        with model_precision(self):
            out = super().__call__(*args, **kwargs)
        return out if self.precision == "32-true" else float32_outputs(out)

    @classmethod
    def class_path(cls) -> str:
        """The import path checkpoints record: the shortest package that exports the class
        (``affectzoo.models.mpjudge.MPJudge``, not its file), so moving files inside a package
        keeps old checkpoints loadable."""
        import sys

        parts = cls.__module__.split(".")
        for end in range(1, len(parts) + 1):
            module = sys.modules.get(".".join(parts[:end]))
            if module is not None and getattr(module, cls.__qualname__, None) is cls:
                return f"{'.'.join(parts[:end])}.{cls.__qualname__}"
        return f"{cls.__module__}.{cls.__qualname__}"

    @property
    def init_args(self) -> dict:
        """The constructor arguments this instance was built with."""
        return {k: v for k, v in self.hparams.items() if not k.startswith("_")}

    @property
    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    @property
    def preprocess(self) -> dict:
        """How inputs are prepared for this model: its cfg's ``preprocess`` (what the weights were
        trained with), or :meth:`default_preprocess` for a model built without a cfg."""
        return dict(self.pretrained_cfg.preprocess or self.default_preprocess())

    def default_preprocess(self) -> dict:
        """How the architecture, as built, wants its inputs (image size, mean/std, sample rate, ...)."""
        return {}

    def frozen_encoders(self) -> dict:
        """``{"image": encoder, "audio": encoder}``: frozen encoders whose cached features a DataModule
        may feed (as ``image_tokens`` / ``music_features``) instead of decoded media."""
        return {}

    def example_batch(self, batch_size: int = 2) -> dict:
        """A small batch in the model's training format, made of random tensors (contract tests)."""
        raise NotImplementedError(f"{type(self).__name__} does not define example_batch()")

    def on_fit_start(self) -> None:
        # weights trained from here on come from this revision of the code
        self.pretrained_cfg = self.pretrained_cfg.replace(git_revision=code_revision())

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["affectzoo"] = {
            "class_path": self.class_path(),
            "init_args": self.init_args,
            "pretrained_cfg": self.pretrained_cfg.to_dict(),
        }

    @contextmanager
    def _inference(self) -> Iterator[None]:
        """Eval mode and no gradients for an inference call; the previous mode is restored after."""
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad(), model_precision(self):
                yield
        finally:
            self.train(was_training)

    def save_pretrained(self, directory, **cfg_updates) -> Path:
        """Write ``model.safetensors``, ``config.json`` and a model card into ``directory``."""
        return save_pretrained(self, directory, **cfg_updates)


def code_revision() -> str:
    """Git commit of the affectzoo source tree (``+dirty`` when it has uncommitted changes), or ""."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return commit + ("+dirty" if dirty else "")
