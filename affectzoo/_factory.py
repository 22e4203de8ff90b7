"""``create_model`` and ``load``: the two ways to get a model.

``create_model("arch[.tag]")`` builds an architecture (randomly initialised unless
``pretrained=True``). ``load(source)`` returns trained weights in eval mode, from the first source
that applies, in this order: an existing file or folder path > ``local-dir:DIR`` > a registered
name or family alias, resolved through the package's ``checkpoints/`` index (shipped files first,
then the Hub entry it names) > ``hf-hub:org/name@revision``. A local source never downloads.
"""

from __future__ import annotations

from pathlib import Path

from affectzoo import _hub, _index, _registry
from affectzoo._pretrained import PretrainedCfg
from affectzoo.errors import CheckpointError


def create_model(name: str, pretrained: bool = False, **overrides):
    """Build the architecture ``name`` (``arch`` or ``arch.tag``); ``overrides`` change its arguments.

    With ``pretrained=True`` the tag's weights are loaded (strictly, checksum verified).
    """
    cfg = _registry.get_pretrained_cfg(name)
    if pretrained:
        return _load_indexed(cfg, overrides)
    model = _registry.get_builder(cfg.architecture)(**{**cfg.model_args, **overrides})
    model.pretrained_cfg = cfg.without_weights()
    return model


def load(name_or_path, device="cpu", *, cache_dir=None, revision: str | None = None, **overrides):
    """Trained model from a path, ``local-dir:``, registered name, family alias or ``hf-hub:`` source.

    The model is returned in eval mode on ``device``. ``cache_dir`` and ``revision`` apply to Hub
    sources; ``overrides`` change constructor arguments that do not change weight shapes.
    """
    source = str(name_or_path)
    if source.startswith(_hub.HUB_PREFIX):
        repo_id, spec_revision = _hub.parse_hub_spec(source)
        folder = _hub.download_from_hub(repo_id, revision or spec_revision, cache_dir)
        model = _hub.load_folder(folder, overrides)
    elif source.startswith(_hub.LOCAL_DIR_PREFIX):
        model = _hub.load_folder(Path(source[len(_hub.LOCAL_DIR_PREFIX):]).expanduser(), overrides)
    elif Path(source).exists():
        path = Path(source)
        if path.suffix == ".ckpt":
            model = _hub.load_lightning_checkpoint(path, overrides)
        else:
            model = _hub.load_folder(path, overrides)
    elif source in _registry.FAMILIES:
        model = _load_indexed(_registry.get_pretrained_cfg(_family_checkpoint(source)), overrides, cache_dir, revision)
    elif source.endswith((".safetensors", ".ckpt", ".json")) or "/" in source:
        raise CheckpointError(source, "no such file or folder",
                              "check the path; Hub sources are written hf-hub:org/name[@revision]")
    else:
        model = _load_indexed(_registry.get_pretrained_cfg(source), overrides, cache_dir, revision)
    return model.eval().to(device)


def _family_checkpoint(family: str) -> str:
    name = _index.recommended(family)
    if name is None:
        raise CheckpointError(family, f"the {family} family ships no trained weights yet",
                              f"train one with a recipe in recipes/, or build the untrained paper model with "
                              f"affectzoo.create_model({family!r})")
    return name


def _load_indexed(cfg: PretrainedCfg, overrides: dict, cache_dir=None, revision: str | None = None):
    """Load the weights an index/registry cfg points to: shipped folder first, then its Hub entry."""
    if not cfg.has_weights:
        tags = _registry.list_pretrained(f"{cfg.architecture}.*")
        raise CheckpointError(cfg.name, "has no trained weights",
                              (f"use one of {tags}" if tags else "no tag of this architecture has weights yet")
                              + f"; affectzoo.create_model({cfg.name!r}) builds it untrained")
    local = _index.local_weights_dir(cfg)
    if local is not None and local.exists():
        model = _hub.load_folder(local, overrides, expected_sha256=cfg.sha256)
    elif cfg.hf_hub_id:
        folder = _hub.download_from_hub(cfg.hf_hub_id, revision or cfg.hf_hub_revision, cache_dir)
        model = _hub.load_folder(folder, overrides, expected_sha256=cfg.sha256)
    else:
        raise CheckpointError(local, f"the shipped weights of {cfg.name} are missing",
                              "use a source checkout of affectzoo (checkpoints/ holds the shipped weights)")
    model.pretrained_cfg = model.pretrained_cfg.replace(architecture=cfg.architecture, tag=cfg.tag)
    return model
