"""The checkpoint folder format: ``model.safetensors`` + ``config.json`` + a ``README.md`` model card.

``config.json`` holds the model class, its constructor arguments and its :class:`PretrainedCfg`
(with the sha256 of the weights). This module writes and reads folders without knowing any model
class (so the model base class can save itself without an import cycle); building a model from a
folder is :mod:`affectzoo._checkpoint`'s job. Every failure is a :class:`CheckpointError` naming
the file, the problem and the fix.
"""

from __future__ import annotations

import json
from pathlib import Path

from affectzoo._card import model_card
from affectzoo._io import atomic_write, atomic_write_text, file_sha256
from affectzoo._pretrained import PretrainedCfg
from affectzoo._version import __version__
from affectzoo.errors import CheckpointError

FORMAT_VERSION = 1
WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
CARD_NAME = "README.md"
FILES = (WEIGHTS_NAME, CONFIG_NAME, CARD_NAME)


def save_pretrained(model, directory, **cfg_updates) -> Path:
    """Save ``model`` (a ZooModule) as a checkpoint folder; returns the folder.

    ``cfg_updates`` overwrite fields of ``model.pretrained_cfg`` (e.g. ``metrics=...``,
    ``training_data=...``); the checksum, parameter count and file size are filled in here, and the
    model class's tasks when the cfg names none (a model built from its class, not the registry).
    """
    cfg = model.pretrained_cfg.replace(**cfg_updates)
    if not cfg.tasks:
        cfg = cfg.replace(tasks=tuple(getattr(model, "tasks", ())))
    return write_folder(Path(directory), model.class_path(), model.init_args, model.state_dict(), cfg,
                        model.num_params)


def write_folder(directory: Path, class_path: str, init_args: dict, state_dict: dict, cfg: PretrainedCfg,
                 num_params: int) -> Path:
    """Write weights, config and card into ``directory`` (each file atomically)."""
    from safetensors.torch import save_file

    try:  # check before writing anything, so a failed save leaves no half-written folder
        json.dumps(init_args)
    except TypeError as err:
        raise CheckpointError(directory / CONFIG_NAME, f"constructor arguments are not JSON-serialisable: {err}",
                              "keep ZooModule constructor arguments to numbers, strings, lists and dicts") from err
    directory.mkdir(parents=True, exist_ok=True)
    weights = directory / WEIGHTS_NAME
    tensors = {k: v.detach().cpu().clone().contiguous() for k, v in state_dict.items()}
    atomic_write(weights, lambda tmp: save_file(tensors, str(tmp), metadata={"format": "pt",
                                                                             "affectzoo_version": __version__}))
    cfg = cfg.replace(sha256=file_sha256(weights), file_size=weights.stat().st_size, num_params=num_params,
                      model_args=dict(init_args))
    config = {"format_version": FORMAT_VERSION, "affectzoo_version": __version__, "class_path": class_path,
              "init_args": init_args, "pretrained_cfg": cfg.to_dict()}
    atomic_write_text(directory / CONFIG_NAME, json.dumps(config, indent=2, sort_keys=True) + "\n")
    atomic_write_text(directory / CARD_NAME, model_card(cfg, class_path, init_args))
    return directory


def read_config(directory: Path) -> dict:
    """Parse and check ``config.json`` of a checkpoint folder."""
    path = Path(directory) / CONFIG_NAME
    if not path.is_file():
        raise CheckpointError(path, "no config.json beside the weights",
                              "save checkpoints with affectzoo.save_pretrained or `affectzoo export`")
    try:
        config = json.loads(path.read_text())
    except ValueError as err:
        raise CheckpointError(path, f"config.json is not valid JSON ({err})", "re-export the checkpoint") from err
    version = config.get("format_version")
    if not isinstance(version, int):
        raise CheckpointError(path, "config.json has no integer format_version", "re-export the checkpoint")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            path, f"written by a newer affectzoo (format {version}, this affectzoo {__version__} reads up to "
            f"{FORMAT_VERSION})", "upgrade affectzoo: pip install -U affectzoo")
    for key in ("class_path", "init_args", "pretrained_cfg"):
        if key not in config:
            raise CheckpointError(path, f"config.json lacks {key!r}", "re-export the checkpoint")
    return config


def folder_of(source) -> Path:
    """The checkpoint folder of ``source`` (a folder, or the ``model.safetensors`` inside one)."""
    directory = Path(source)
    if directory.is_file():
        directory = directory.parent
    if not directory.is_dir():
        raise CheckpointError(directory, "no such checkpoint folder", "check the path")
    return directory


def read_weights(directory: Path, expected_sha256: str | None = None) -> dict:
    """The state dict of a folder's ``model.safetensors``, after checking its sha256 against
    ``config.json`` and (when given) the checkpoint index's."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    cfg = PretrainedCfg.from_dict(read_config(directory)["pretrained_cfg"])
    weights = directory / WEIGHTS_NAME
    if not weights.is_file():
        raise CheckpointError(weights, "weights file is missing", "copy model.safetensors next to config.json")
    digest = file_sha256(weights)
    for label, want in (("config.json", cfg.sha256), ("checkpoint index", expected_sha256)):
        if want and digest != want:
            raise CheckpointError(weights, f"checksum mismatch: file sha256 {digest}, {label} says {want}",
                                  "the file is corrupt or was replaced; download or export it again")
    try:
        return load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(weights, f"not a readable safetensors file ({err})", "download or export it again") from err
