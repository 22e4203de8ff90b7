"""``create_model`` and ``load``: the two ways to get a model, and ``resolve_cfg`` to learn about one first.

``create_model("arch[.tag]")`` builds an architecture (randomly initialised unless
``pretrained=True``). ``load(source)`` returns trained weights in eval mode, from the first source
that applies, in this order: an existing file or folder path > ``local-dir:DIR`` > a registered
name or family alias, resolved through the package's checkpoint index (shipped files first,
then the Hub entry it names) > ``hf-hub:org/name@revision``. A local source never downloads.
"""

from __future__ import annotations

from pathlib import Path

from affectzoo import _engines, _folder, _hub, _index, _registry
from affectzoo._pretrained import PretrainedCfg
from affectzoo.errors import CheckpointError
from affectzoo.tasks import TASKS, TaskError


def create_model(name: str, pretrained: bool = False, *, precision: str | None = None, **overrides):
    """Build the architecture ``name`` (``arch`` or ``arch.tag``); ``overrides`` change its arguments.

    With ``pretrained=True`` the tag's weights are loaded (strictly, checksum verified).
    ``precision`` (``"32-true"``, ``"bf16-mixed"``, ``"int8"``, ``"int8-static"``): see :mod:`affectzoo.precision`.
    """
    cfg = _registry.get_pretrained_cfg(name)
    if pretrained:
        return _with_precision(_load_indexed(cfg, overrides), precision)
    model = _registry.get_builder(cfg.architecture)(**{**cfg.model_args, **overrides})
    # the built model's own preprocessing: the tag's, or what the overrides made of it (image_size=...)
    model.pretrained_cfg = cfg.without_weights().replace(num_params=model.num_params,
                                                         preprocess=model.default_preprocess() or cfg.preprocess)
    return _with_precision(model, precision)


def _with_precision(model, precision: str | None):
    """``model`` in ``precision`` (unchanged when None); an engine without weights of its own passes it
    to the zoo model it runs (Haydn: its V/A predictor) or, having none, refuses it."""
    if precision is None:
        return model
    import torch

    from affectzoo.precision import canonical, set_precision

    if isinstance(model, torch.nn.Module):
        return set_precision(model, precision)
    if not hasattr(model, "precision"):
        raise ValueError(f"{type(model).__name__} has no precision option (it runs no zoo model of its own)")
    model.precision = canonical(precision)
    return model


def load(name_or_path, device="cpu", *, cache_dir=None, revision: str | None = None, precision: str | None = None,
         **overrides):
    """Trained model from a path, ``local-dir:``, registered name, family alias or ``hf-hub:`` source
    (or an engine without weights of its own, ``haydn`` or ``visual``: :mod:`affectzoo._engines`).

    The model is returned in eval mode on ``device``. ``cache_dir`` and ``revision`` apply to Hub
    sources; ``overrides`` change constructor arguments that do not change weight shapes;
    ``precision`` (``"32-true"``, ``"bf16-mixed"``, ``"int8"``, ``"int8-static"``): see :mod:`affectzoo.precision`.
    """
    from affectzoo import _checkpoint

    source = str(name_or_path)
    if _engines.is_engine(source):  # nothing to load: built with the overrides as its options
        return _with_precision(_engines.build_engine(source, **overrides), precision)
    kind, target = _classify(source)
    if kind == "hub":
        repo_id, spec_revision = _hub.parse_hub_spec(source)
        model = _checkpoint.load_folder(_hub.download_from_hub(repo_id, revision or spec_revision, cache_dir), overrides)
    elif kind == "lightning":
        model = _checkpoint.load_lightning_checkpoint(target, overrides)
    elif kind == "folder":
        model = _checkpoint.load_folder(target, overrides)
    else:
        model = _load_indexed(_registry.get_pretrained_cfg(target), overrides, cache_dir, revision)
    return _with_precision(model.eval().to(device), precision)


def resolve_cfg(name_or_path) -> PretrainedCfg:
    """The cfg ``load(name_or_path)`` would give the model, read without building it (no torch for
    registered names, families and checkpoint folders)."""
    source = str(name_or_path)
    if _engines.is_engine(source):
        return _engines.engine_cfg(source)
    kind, target = _classify(source)
    if kind == "hub":
        repo_id, revision = _hub.parse_hub_spec(source)
        target, kind = _hub.download_from_hub(repo_id, revision), "folder"
    if kind == "folder":
        config = _folder.read_config(_folder.folder_of(target))
        return _registry.with_architecture_facts(PretrainedCfg.from_dict(config["pretrained_cfg"]))
    if kind == "lightning":
        from affectzoo._checkpoint import read_lightning_checkpoint

        meta = read_lightning_checkpoint(target)["affectzoo"]
        return _registry.with_architecture_facts(PretrainedCfg.from_dict(meta["pretrained_cfg"]))
    return _registry.get_pretrained_cfg(target)


def default_model(task: str) -> str:
    """The family a task's command uses without ``--model``: the index's choice, else the first
    family that offers the task and ships weights."""
    chosen = _index.task_default(task)
    if chosen:
        return chosen
    offering = _registry.models_with_task(task)
    candidates = [name for name in offering if _index.recommended(name)]
    if not candidates:
        raise TaskError(f"no model with shipped weights offers the {task} task"
                        + (f" (untrained: {', '.join(offering)}); pass --model with a checkpoint" if offering
                           else " yet"))
    return candidates[0]


def require_task(source, task: str) -> PretrainedCfg:
    """The cfg of ``source`` (anything :func:`load` takes, read without building the model), after
    checking it offers ``task``: else a one-line :class:`TaskError` naming the models that have it."""
    cfg = resolve_cfg(source)
    if task not in cfg.tasks:
        offering = _registry.models_with_task(task)
        has = f"models with it: {', '.join(offering)}" if offering else "no registered model has it yet"
        label = str(source) if cfg.name in ("", str(source)) else f"{source} ({cfg.name})"
        raise TaskError(f"{label} does not offer the {task} task ({TASKS[task].summary}); {has}")
    return cfg


def _classify(source: str) -> tuple[str, object]:
    """(kind, target) of a load source: hub, folder, lightning (a .ckpt file) or indexed (a name)."""
    if source.startswith(_hub.HUB_PREFIX):
        return "hub", source
    if source.startswith(_hub.LOCAL_DIR_PREFIX):
        return "folder", Path(source[len(_hub.LOCAL_DIR_PREFIX):]).expanduser()
    path = Path(source)
    if path.exists():
        return ("lightning" if path.suffix == ".ckpt" else "folder"), path
    if source in _registry.families():
        return "indexed", _family_checkpoint(source)
    if source.endswith((".safetensors", ".ckpt", ".json")) or "/" in source:
        raise CheckpointError(source, "no such file or folder",
                              "check the path; Hub sources are written hf-hub:org/name[@revision]")
    return "indexed", source


def _family_checkpoint(family: str) -> str:
    name = _index.recommended(family)
    if name is None:
        raise CheckpointError(family, f"the {family} family ships no trained weights yet",
                              f"train one with a recipe in recipes/, or build the untrained paper model with "
                              f"affectzoo.create_model({family!r})")
    return name


def _load_indexed(cfg: PretrainedCfg, overrides: dict, cache_dir=None, revision: str | None = None):
    """Load the weights an index/registry cfg points to: shipped folder first, then its Hub entry."""
    from affectzoo import _checkpoint

    if not cfg.has_weights:
        tags = _registry.list_pretrained(f"{cfg.architecture}.*")
        raise CheckpointError(cfg.name, "has no trained weights",
                              (f"use one of {tags}" if tags else "no tag of this architecture has weights yet")
                              + f"; affectzoo.create_model({cfg.name!r}) builds it untrained")
    local = _index.local_weights_dir(cfg)
    if local is not None and local.exists():
        model = _checkpoint.load_folder(local, overrides, expected_sha256=cfg.sha256)
    elif cfg.hf_hub_id:
        folder = _hub.download_from_hub(cfg.hf_hub_id, revision or cfg.hf_hub_revision, cache_dir)
        model = _checkpoint.load_folder(folder, overrides, expected_sha256=cfg.sha256)
    else:
        raise CheckpointError(local, f"the shipped weights of {cfg.name} are missing",
                              "reinstall affectzoo (its wheel carries the shipped weights) or use a source checkout")
    model.pretrained_cfg = model.pretrained_cfg.replace(architecture=cfg.architecture, tag=cfg.tag)
    return model
