"""Models from saved weights: checkpoint folders and Lightning ``.ckpt`` files, loaded strictly.

Only classes derived from :class:`~affectzoo.models.base.ZooModule` are built, from affectzoo or
from modules the user already imported; keys and shapes must match exactly; Lightning files are
read with ``weights_only=True`` (no arbitrary pickles). Every failure is a :class:`CheckpointError`.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import torch

from affectzoo import _folder
from affectzoo._pretrained import PretrainedCfg
from affectzoo._registry import get_pretrained_cfg, with_architecture_facts
from affectzoo.errors import CheckpointError
from affectzoo.models.base import ZooModule

_MAX_LISTED_KEYS = 12


def zoo_class(class_path: str, source) -> type:
    """Import the model class of a checkpoint; only ZooModule subclasses from affectzoo or imported modules."""
    module_name, _, class_name = class_path.rpartition(".")
    fix = "upgrade affectzoo, or import the module that defines the model before loading"
    if not module_name.startswith("affectzoo.") and module_name not in sys.modules:
        raise CheckpointError(source, f"unknown architecture class {class_path!r} (module not imported)", fix)
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as err:
        raise CheckpointError(source, f"unknown architecture class {class_path!r} ({err})", fix) from err
    if not (isinstance(cls, type) and issubclass(cls, ZooModule)):
        raise CheckpointError(source, f"{class_path!r} is not an affectzoo model class", fix)
    return cls


def build_and_load(class_path: str, init_args: dict, cfg: PretrainedCfg, state_dict: dict, source,
                   overrides: dict | None = None) -> ZooModule:
    """Instantiate the model class and load ``state_dict`` strictly; errors list the offending keys."""
    cls = zoo_class(class_path, source)
    try:
        model = cls(**{**init_args, **(overrides or {})})
    except TypeError as err:
        raise CheckpointError(source, f"cannot build {class_path} from its saved arguments: {err}",
                              "check the overrides passed to load()") from err
    model.pretrained_cfg = with_architecture_facts(cfg)
    load_state_dict_strict(model, state_dict, source)
    return model


def load_state_dict_strict(model: torch.nn.Module, state_dict: dict, source) -> None:
    """Load with strict key and shape checks, raising a CheckpointError that lists what differs."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    mismatched = sorted(k for k in set(expected) & set(state_dict) if expected[k].shape != state_dict[k].shape)
    problems = []
    for label, keys in (("missing keys", missing), ("unexpected keys", unexpected)):
        if keys:
            shown = ", ".join(keys[:_MAX_LISTED_KEYS]) + (f", ... ({len(keys)} in all)" if len(keys) > _MAX_LISTED_KEYS else "")
            problems.append(f"{label}: {shown}")
    if mismatched:
        problems.append("shape mismatch: " + ", ".join(
            f"{k} file {tuple(state_dict[k].shape)} vs model {tuple(expected[k].shape)}" for k in mismatched[:_MAX_LISTED_KEYS]))
    if problems:
        raise CheckpointError(source, "weights do not fit the model: " + "; ".join(problems),
                              "load with the architecture and arguments the weights were trained with "
                              "(drop overrides that change shapes)")
    model.load_state_dict(state_dict, strict=True)


def load_folder(source, overrides: dict | None = None, expected_sha256: str | None = None) -> ZooModule:
    """Load a checkpoint folder (or the ``model.safetensors`` inside one), verifying its checksum."""
    directory = _folder.folder_of(source)
    config = _folder.read_config(directory)
    state_dict = _folder.read_weights(directory, expected_sha256)
    cfg = PretrainedCfg.from_dict(config["pretrained_cfg"])
    return build_and_load(config["class_path"], config["init_args"], cfg, state_dict,
                          directory / _folder.WEIGHTS_NAME, overrides)


def read_lightning_checkpoint(path) -> dict:
    """Read a Lightning ``.ckpt`` without unpickling arbitrary objects (``weights_only=True``)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such file", "check the path")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises UnpicklingError, RuntimeError, EOFError, ...
        raise CheckpointError(path, f"not a readable Lightning checkpoint ({type(err).__name__}: {err})",
                              "pass a .ckpt written by an affectzoo training run") from err
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise CheckpointError(path, "no state_dict in this checkpoint", "pass a .ckpt written by Lightning")
    if "affectzoo" not in ckpt:
        raise CheckpointError(path, "not written by an affectzoo model (no 'affectzoo' record)",
                              "train with an affectzoo recipe; the ZooModule base records class and arguments")
    return ckpt


def load_lightning_checkpoint(path, overrides: dict | None = None) -> ZooModule:
    ckpt = read_lightning_checkpoint(path)
    meta = ckpt["affectzoo"]
    cfg = PretrainedCfg.from_dict(meta["pretrained_cfg"])
    return build_and_load(meta["class_path"], meta["init_args"], cfg, ckpt["state_dict"], Path(path), overrides)


def export_lightning_checkpoint(ckpt_path, out_dir, name: str | None = None, allow_dirty: bool = False,
                                **cfg_updates) -> Path:
    """Turn a Lightning training checkpoint into a checkpoint folder (state dict only, sha256 recorded).

    ``name`` (``arch.tag``) says which registered model the weights are; its registered cfg supplies
    the description and paper (registry text, which may have been revised since training) and what
    the training run did not record (preprocessing, outputs, licence). Weights trained from, or
    exported from, a work tree with uncommitted changes cannot be traced to a revision: that is a
    :class:`CheckpointError` unless ``allow_dirty``.
    """
    from affectzoo.models.base import code_revision

    model = load_lightning_checkpoint(ckpt_path)
    trained = model.pretrained_cfg
    if not allow_dirty:
        for what, revision in (("were trained", trained.git_revision), ("are being exported", code_revision())):
            if revision.endswith("+dirty"):
                raise CheckpointError(ckpt_path, f"these weights {what} from a work tree with uncommitted changes "
                                                 f"({revision}), so no commit reproduces them",
                                      "commit the changes (and retrain), or pass --allow-dirty to export anyway")
    if name:
        registered = get_pretrained_cfg(name).without_weights()
        carried = {k: v for k, v in trained.to_dict().items() if v not in (None, "", {}, [], ())}
        for key in ("architecture", "tag", "family", "tasks", "description", "paper"):
            carried.pop(key, None)
        model.pretrained_cfg = PretrainedCfg.from_dict({**registered.to_dict(), **carried})
    built = model.default_preprocess()
    if built:  # what the exported model's own encoders read, never another build's cfg
        model.pretrained_cfg = model.pretrained_cfg.replace(preprocess=built)
    return _folder.save_pretrained(model, out_dir, **{k: v for k, v in cfg_updates.items() if v})
