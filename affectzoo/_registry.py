"""Model registry: architectures registered by decorator, addressed as ``arch.tag``; listing imports no torch.

* ``arch`` alone means the architecture's default (first) tag.
* Patterns are fnmatch wildcards, as in timm (``list_models("mpjudge*")``).
* Deprecated names map to their replacement with a ``FutureWarning``.
* A *family* (mpjudge, imagemusic, ...) groups the architectures of one paper; ``load(family)``
  gives the family's recommended shipped checkpoint (see ``checkpoints/index.json``).
* Every architecture declares its tasks (:mod:`affectzoo.tasks`), copied into each tag's cfg.

Two sources, one view. The package's architectures are described by ``_manifest.json`` (builder
``module:function``, family, tasks, every tag's cfg with its parameter count), a file generated
from the decorators by ``python -m affectzoo._manifest --write`` and checked against them by a
test. Listing, ``info`` and task checks read only that file and the checkpoint index, so they
never import torch; :func:`get_builder` imports the architecture's module on demand, which runs
its decorators. Architectures registered at run time (a user's own, a test's) are added on top.
Shipped and published weights come from the checkpoint index (:mod:`affectzoo._index`).
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from affectzoo._pretrained import PretrainedCfg
from affectzoo.errors import UnknownModelError

MANIFEST_PATH = Path(__file__).resolve().parent / "_manifest.json"


@dataclass
class Architecture:
    """One registered architecture: where its builder lives, its family, tasks and tagged cfgs."""

    name: str
    builder: str  # "module:function"
    family: str | None = None
    tasks: tuple[str, ...] = ()
    cfgs: dict[str, PretrainedCfg] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"builder": self.builder, "family": self.family, "tasks": list(self.tasks),
                "cfgs": {tag: cfg.to_dict() for tag, cfg in self.cfgs.items()}}

    @classmethod
    def from_dict(cls, name: str, data: dict) -> "Architecture":
        return cls(name, data["builder"], data.get("family"), tuple(data.get("tasks", ())),
                   {tag: PretrainedCfg.from_dict(cfg) for tag, cfg in data.get("cfgs", {}).items()})


#: Architectures whose decorators ran in this process (the package's, once imported, and any others).
_architectures: dict[str, Architecture] = {}
_builders: dict[str, Callable] = {}
_deprecated: dict[str, str] = {}
_manifest_cache: list[dict[str, Architecture]] = []


def register_model(fn: Callable | None = None, *, family: str | None = None, tasks: Iterable[str] = (),
                   cfgs: dict | None = None):
    """Register a model builder under its function name.

    ``cfgs`` maps tag -> :class:`PretrainedCfg` (or a dict of its fields); the first tag is the
    default. Without ``cfgs`` the architecture gets one empty tag ``""``. ``tasks`` names what the
    model offers (see :mod:`affectzoo.tasks`). Usable bare (``@register_model``) or with
    arguments (``@register_model(family="mpjudge", tasks=["pair-scorer"], cfgs=...)``).
    """
    from affectzoo.tasks import check_task_names

    tasks = tuple(tasks)
    check_task_names(tasks)
    if family is not None and not family.isidentifier():
        raise ValueError(f"family must be an identifier (letters, digits, _), got {family!r}")

    def decorate(builder: Callable) -> Callable:
        name = builder.__name__
        if name in _builders and _builders[name] is not builder:
            raise ValueError(f"architecture {name!r} is already registered by {_builders[name]}")
        tagged = {}
        for tag, cfg in (cfgs or {"": PretrainedCfg()}).items():
            cfg = cfg if isinstance(cfg, PretrainedCfg) else PretrainedCfg.from_dict(cfg)
            tagged[tag] = cfg.replace(architecture=name, tag=tag, family=family or "", tasks=tasks)
        _architectures[name] = Architecture(name, f"{builder.__module__}:{builder.__qualname__}", family, tasks,
                                            tagged)
        _builders[name] = builder
        return builder

    return decorate(fn) if fn is not None else decorate


def register_deprecated(old: str, new: str) -> None:
    """Keep ``old`` working as a name for ``new`` (with a FutureWarning on use)."""
    _deprecated[old] = new


def read_manifest() -> dict[str, Architecture]:
    """The package's architectures as ``_manifest.json`` describes them (read once per process)."""
    if not _manifest_cache:
        data = json.loads(MANIFEST_PATH.read_text()) if MANIFEST_PATH.is_file() else {}
        _manifest_cache.append({name: Architecture.from_dict(name, entry)
                                for name, entry in data.get("architectures", {}).items()})
        _deprecated.update({old: new for old, new in data.get("deprecated", {}).items() if old not in _deprecated})
    return _manifest_cache[0]


def architectures() -> dict[str, Architecture]:
    """Every known architecture: the manifest's (which also hold the generated parameter counts and
    preprocessing) and those registered in this process from outside the package."""
    return {**_architectures, **read_manifest()}


def _all_cfgs() -> dict[str, PretrainedCfg]:
    """Every ``arch.tag`` -> cfg: registered tags, overlaid with the checkpoint index's weights."""
    from affectzoo._index import indexed_cfgs

    archs = architectures()
    out = {cfg.name: cfg for arch in archs.values() for cfg in arch.cfgs.values()}
    for name, cfg in indexed_cfgs().items():
        if cfg.architecture in archs:
            out[name] = with_architecture_facts(cfg)
    return out


def with_architecture_facts(cfg: PretrainedCfg) -> PretrainedCfg:
    """``cfg`` with its architecture's family and tasks (facts of the code, not of the weights),
    and its parameter count when the cfg lacks one and its arguments are a registered tag's."""
    arch = architectures().get(cfg.architecture)
    if arch is None:
        return cfg
    cfg = cfg.replace(family=arch.family or "", tasks=arch.tasks)
    if cfg.num_params is None:
        same = [c for c in arch.cfgs.values() if c.model_args == cfg.model_args and c.num_params is not None]
        cfg = cfg.replace(num_params=same[0].num_params) if same else cfg
    return cfg


def split_name(name: str) -> tuple[str, str]:
    arch, _, tag = name.partition(".")
    return arch, tag


def families() -> list[str]:
    """The families of the known architectures."""
    return sorted({arch.family for arch in architectures().values() if arch.family})


def resolve_name(name: str) -> str:
    """Canonical ``arch.tag`` for a name (bare arch -> default tag; deprecated -> new, warned)."""
    read_manifest()
    if name in _deprecated:
        new = _deprecated[name]
        warnings.warn(f"model name {name!r} is deprecated; use {new!r}", FutureWarning, stacklevel=3)
        name = new
    arch, tag = split_name(name)
    archs = architectures()
    if arch not in archs:
        raise UnknownModelError(name, difflib.get_close_matches(name, _known_names(), n=3))
    if "." not in name:
        return PretrainedCfg(architecture=arch, tag=next(iter(archs[arch].cfgs))).name
    cfgs = _all_cfgs()
    if f"{arch}.{tag}" not in cfgs:
        raise UnknownModelError(name, sorted(c.name for c in cfgs.values() if c.architecture == arch))
    return f"{arch}.{tag}"


def _known_names() -> list[str]:
    return sorted(set(architectures()) | set(_all_cfgs()) | set(_deprecated) | set(families()))


def get_pretrained_cfg(name: str) -> PretrainedCfg:
    """The cfg of ``name`` (arch, arch.tag or deprecated name)."""
    full = resolve_name(name)
    arch, tag = split_name(full)
    return _all_cfgs().get(full) or PretrainedCfg(architecture=arch, tag=tag)


def get_builder(arch: str) -> Callable:
    """The builder function of ``arch``, importing its module (which registers it) when needed."""
    if arch not in _builders:
        entry = architectures().get(arch)
        if entry is None:
            raise UnknownModelError(arch, difflib.get_close_matches(arch, _known_names(), n=3))
        importlib.import_module(entry.builder.partition(":")[0])
        if arch not in _builders:
            raise RuntimeError(f"{entry.builder} did not register {arch!r}: regenerate the manifest "
                               "(python -m affectzoo._manifest --write)")
    return _builders[arch]


def model_family(arch: str) -> str | None:
    entry = architectures().get(arch)
    return entry.family if entry else None


def models_with_task(task: str) -> list[str]:
    """Families and (family-less) architectures that offer ``task``."""
    archs = [name for name, arch in architectures().items() if task in arch.tasks]
    offering = {model_family(name) for name in archs} - {None}
    return sorted(offering) + sorted(name for name in archs if model_family(name) is None)


def list_models(pattern: str | Iterable[str] = "*", pretrained: bool = False, exclude: str | Iterable[str] = (),
                task: str | None = None) -> list[str]:
    """Registered names matching ``pattern`` (fnmatch), sorted.

    Without ``pretrained`` the result lists architectures; with it, the ``arch.tag`` names that
    have weights (shipped in ``checkpoints/`` or published on the Hub). ``task`` keeps the models
    that offer that task.
    """
    patterns = [pattern] if isinstance(pattern, str) else list(pattern)
    excludes = [exclude] if isinstance(exclude, str) else list(exclude)
    archs = architectures()
    if pretrained:
        names = [n for n, cfg in _all_cfgs().items() if cfg.has_weights]
    else:
        names = list(archs)
    if task is not None:
        names = [n for n in names if task in archs[split_name(n)[0]].tasks]

    def matches(name: str, pats: list[str]) -> bool:
        return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(split_name(name)[0], p) for p in pats)

    return sorted(n for n in names if matches(n, patterns) and not matches(n, excludes))


def list_pretrained(pattern: str | Iterable[str] = "*") -> list[str]:
    """``arch.tag`` names that have weights."""
    return list_models(pattern, pretrained=True)


def list_deprecated() -> dict[str, str]:
    read_manifest()
    return dict(_deprecated)
