"""``affectzoo fit | validate | test | predict --config recipes/X.yaml``: LightningCLI over the zoo.

Model and DataModule are chosen by class path (subclass mode); ``${...}`` interpolation works
(omegaconf parser mode); ``seed_everything`` and the resolved config are saved beside each run's
logs. After instantiation the DataModule is attached to the model (``attach_model``): it takes the
model's preprocessing and frozen encoders from there, so a recipe names its model once.
"""

from __future__ import annotations

import os
import sys

# Checkpoints whose hyperparameters carry id vocabularies (EMI-Adapter: thousands of clip and image ids)
# exceed omegaconf's default guard against YAML alias bombs when LightningCLI re-reads them for
# ``--ckpt_path``; the CLI only reads the user's own configs and checkpoints, so it allows more.
YAML_EXPANDED_NODES = "1000000"

LIGHTNING_COMMANDS = {
    "fit": "train a model from a recipe (LightningCLI)",
    "validate": "evaluate on the validation split (LightningCLI)",
    "test": "evaluate on the test split (LightningCLI)",
    "predict": "run predictions (LightningCLI)",
}


def run_lightning(argv: list[str]):
    """Run LightningCLI on ``argv`` (e.g. ``["fit", "--config", "recipes/mpjudge.yaml"]``); returns the CLI."""
    import lightning as L
    from lightning.pytorch.cli import LightningCLI

    from affectzoo.models.base import ZooModule

    os.environ.setdefault("OMEGACONF_MAX_YAML_EXPANDED_NODES", YAML_EXPANDED_NODES)

    class ZooCLI(LightningCLI):
        def instantiate_classes(self) -> None:
            super().instantiate_classes()
            attach = getattr(self.datamodule, "attach_model", None)
            if attach is not None:
                attach(self.model)

    return ZooCLI(
        ZooModule,
        L.LightningDataModule,
        subclass_mode_model=True,
        subclass_mode_data=True,
        parser_kwargs={"parser_mode": "omegaconf"},
        save_config_kwargs={"overwrite": True},
        trainer_defaults={"logger": {"class_path": "lightning.pytorch.loggers.CSVLogger",
                                     "init_args": {"save_dir": "runs"}}},
        # LightningCLI warns when given args that equal the command line; pass None then
        args=None if argv == sys.argv[1:] else argv,
    )
