"""Checkpoint files: save, verify, load, export from Lightning, fetch from and publish to the Hub.

A checkpoint folder holds ``model.safetensors`` (weights, no pickle), ``config.json`` (class,
constructor arguments, :class:`PretrainedCfg` with the sha256 of the weights) and a generated
``README.md`` model card. Every failure raises :class:`CheckpointError` naming the file, the
problem and the fix.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from affectzoo import __version__
from affectzoo._card import model_card
from affectzoo._pretrained import PretrainedCfg
from affectzoo.errors import CheckpointError

FORMAT_VERSION = 1
WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
CARD_NAME = "README.md"
HUB_PREFIX = "hf-hub:"
LOCAL_DIR_PREFIX = "local-dir:"
_MAX_LISTED_KEYS = 12


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def save_pretrained(model, directory, **cfg_updates) -> Path:
    """Save ``model`` (a ZooModule) as a checkpoint folder; returns the folder.

    ``cfg_updates`` overwrite fields of ``model.pretrained_cfg`` (e.g. ``metrics=...``,
    ``training_data=...``); the checksum, parameter count and file size are filled in here.
    """
    return _write_folder(
        Path(directory), model.class_path(), model.init_args, model.state_dict(),
        model.pretrained_cfg.replace(**cfg_updates), model.num_params,
    )


def _write_folder(directory: Path, class_path: str, init_args: dict, state_dict: dict,
                  cfg: PretrainedCfg, num_params: int) -> Path:
    try:  # check before writing anything, so a failed save leaves no half-written folder
        json.dumps(init_args)
    except TypeError as err:
        raise CheckpointError(directory / CONFIG_NAME, f"constructor arguments are not JSON-serialisable: {err}",
                              "keep ZooModule constructor arguments to numbers, strings, lists and dicts") from err
    directory.mkdir(parents=True, exist_ok=True)
    weights = directory / WEIGHTS_NAME
    tensors = {k: v.detach().cpu().clone().contiguous() for k, v in state_dict.items()}
    tmp = weights.with_name(weights.name + ".tmp")
    save_file(tensors, str(tmp), metadata={"format": "pt", "affectzoo_version": __version__})
    os.replace(tmp, weights)
    cfg = cfg.replace(sha256=sha256_of(weights), file_size=weights.stat().st_size, num_params=num_params,
                      model_args=dict(init_args))
    config = {
        "format_version": FORMAT_VERSION,
        "affectzoo_version": __version__,
        "class_path": class_path,
        "init_args": init_args,
        "pretrained_cfg": cfg.to_dict(),
    }
    text = json.dumps(config, indent=2, sort_keys=True) + "\n"
    _atomic_write_text(directory / CONFIG_NAME, text)
    _atomic_write_text(directory / CARD_NAME, model_card(cfg, class_path, init_args))
    return directory


def read_config(directory: Path) -> dict:
    """Parse and check ``config.json`` of a checkpoint folder."""
    path = directory / CONFIG_NAME
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


def _zoo_class(class_path: str, source: Path):
    """Import the model class of a checkpoint; only ZooModule subclasses from affectzoo or already-imported modules."""
    from affectzoo.models.base import ZooModule

    module_name, _, class_name = class_path.rpartition(".")
    fix = "upgrade affectzoo, or import the module that defines the model before loading"
    if not module_name.startswith("affectzoo.") and module_name not in importlib.sys.modules:
        raise CheckpointError(source, f"unknown architecture class {class_path!r} (module not imported)", fix)
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as err:
        raise CheckpointError(source, f"unknown architecture class {class_path!r} ({err})", fix) from err
    if not (isinstance(cls, type) and issubclass(cls, ZooModule)):
        raise CheckpointError(source, f"{class_path!r} is not an affectzoo model class", fix)
    return cls


def build_and_load(class_path: str, init_args: dict, cfg: PretrainedCfg, state_dict: dict, source: Path,
                   overrides: dict | None = None):
    """Instantiate the model class and load ``state_dict`` strictly; errors list the offending keys."""
    cls = _zoo_class(class_path, source)
    try:
        model = cls(**{**init_args, **(overrides or {})})
    except TypeError as err:
        raise CheckpointError(source, f"cannot build {class_path} from its saved arguments: {err}",
                              "check the overrides passed to load()") from err
    model.pretrained_cfg = cfg
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


def load_folder(directory, overrides: dict | None = None, expected_sha256: str | None = None):
    """Load a checkpoint folder (or the ``model.safetensors`` inside one), verifying its checksum."""
    directory = Path(directory)
    if directory.is_file():
        directory = directory.parent
    if not directory.is_dir():
        raise CheckpointError(directory, "no such checkpoint folder", "check the path")
    config = read_config(directory)
    cfg = PretrainedCfg.from_dict(config["pretrained_cfg"])
    weights = directory / WEIGHTS_NAME
    if not weights.is_file():
        raise CheckpointError(weights, "weights file is missing", "copy model.safetensors next to config.json")
    digest = sha256_of(weights)
    for label, want in (("config.json", cfg.sha256), ("checkpoint index", expected_sha256)):
        if want and digest != want:
            raise CheckpointError(weights, f"checksum mismatch: file sha256 {digest}, {label} says {want}",
                                  "the file is corrupt or was replaced; download or export it again")
    try:
        state_dict = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(weights, f"not a readable safetensors file ({err})", "download or export it again") from err
    return build_and_load(config["class_path"], config["init_args"], cfg, state_dict, weights, overrides)


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


def load_lightning_checkpoint(path, overrides: dict | None = None):
    ckpt = read_lightning_checkpoint(path)
    meta = ckpt["affectzoo"]
    cfg = PretrainedCfg.from_dict(meta["pretrained_cfg"])
    return build_and_load(meta["class_path"], meta["init_args"], cfg, ckpt["state_dict"], Path(path), overrides)


def export_lightning_checkpoint(ckpt_path, out_dir, name: str | None = None, **cfg_updates) -> Path:
    """Turn a Lightning training checkpoint into a checkpoint folder (state dict only, sha256 recorded).

    ``name`` (``arch.tag``) says which registered model the weights are; its registered cfg supplies
    the description and paper (registry text, which may have been revised since training) and what
    the training run did not record (preprocessing, outputs, licence).
    """
    from affectzoo._registry import get_pretrained_cfg

    model = load_lightning_checkpoint(ckpt_path)
    trained = model.pretrained_cfg
    if name:
        registered = get_pretrained_cfg(name).without_weights()
        carried = {k: v for k, v in trained.to_dict().items() if v not in (None, "", {}, [], ())}
        for key in ("architecture", "tag", "description", "paper"):
            carried.pop(key, None)
        model.pretrained_cfg = PretrainedCfg.from_dict({**registered.to_dict(), **carried})
    return save_pretrained(model, out_dir, **{k: v for k, v in cfg_updates.items() if v})


def parse_hub_spec(spec: str) -> tuple[str, str | None]:
    """``hf-hub:org/name@revision`` -> (``org/name``, ``revision`` or None)."""
    body = spec[len(HUB_PREFIX):] if spec.startswith(HUB_PREFIX) else spec
    repo_id, _, revision = body.partition("@")
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise CheckpointError(spec, "a Hub source must look like hf-hub:org/name or hf-hub:org/name@revision",
                              "fix the repository id")
    return repo_id, revision or None


def hub_offline() -> bool:
    """True when HF_HUB_OFFLINE is set now (huggingface_hub itself reads it once at import)."""
    import huggingface_hub.constants as hf_constants

    env = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
    return env or bool(hf_constants.HF_HUB_OFFLINE)


def download_from_hub(repo_id: str, revision: str | None = None, cache_dir=None) -> Path:
    """Fetch (or find in the local Hugging Face cache when offline) a checkpoint folder from the Hub."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    offline = hub_offline()
    source = f"{HUB_PREFIX}{repo_id}" + (f"@{revision}" if revision else "")
    try:
        folder = snapshot_download(repo_id, revision=revision, cache_dir=cache_dir, local_files_only=offline,
                                   allow_patterns=[WEIGHTS_NAME, CONFIG_NAME, CARD_NAME])
    except LocalEntryNotFoundError as err:
        fix = ("unset HF_HUB_OFFLINE to download it, or point cache_dir at a cache that holds it"
               if offline else "check your network connection, or download it elsewhere and use local-dir:")
        raise CheckpointError(source, f"not in the local Hugging Face cache ({cache_dir or 'default cache'}) "
                              f"and cannot be downloaded", fix) from err
    except HfHubHTTPError as err:
        raise CheckpointError(source, f"the Hub refused: {err}", "check the repository id, revision and token") from err
    except (ValueError, OSError) as err:
        raise CheckpointError(source, f"cannot fetch from the Hub ({err})", "check the repository id and revision") from err
    return Path(folder)


def publish(folder, repo_id: str, *, revision: str | None = None, private: bool = False, token: str | None = None,
            commit_message: str | None = None, api=None):
    """Upload a verified checkpoint folder to the Hub repository ``repo_id``; returns the commit info."""
    from huggingface_hub import HfApi

    folder = Path(folder)
    model = load_folder(folder)  # refuse to publish anything that does not load strictly
    api = api or HfApi(token=token)
    api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
    message = commit_message or f"affectzoo {__version__}: {model.pretrained_cfg.name or folder.name}"
    return api.upload_folder(repo_id=repo_id, folder_path=str(folder), revision=revision, commit_message=message,
                             allow_patterns=[WEIGHTS_NAME, CONFIG_NAME, CARD_NAME])
