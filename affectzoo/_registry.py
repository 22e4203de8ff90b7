"""Model registry: architectures registered by decorator, addressed as ``arch.tag``.

* ``arch`` alone means the architecture's default (first) tag.
* Patterns are fnmatch wildcards, as in timm (``list_models("mpjudge*")``).
* Deprecated names map to their replacement with a ``FutureWarning``.
* A *family* (mpjudge, imagemusic, ...) groups architectures of one paper; ``load(family)``
  resolves to the family's recommended shipped checkpoint (see ``checkpoints/index.json``).

Tags that carry weights come from two places: cfgs registered with the architecture, and the
checkpoint index (``affectzoo._index``), which adds the shipped and published weights.
"""

from __future__ import annotations

import difflib
import fnmatch
import warnings
from dataclasses import dataclass, field
from typing import Callable, Iterable

from affectzoo._pretrained import PretrainedCfg
from affectzoo.errors import UnknownModelError

FAMILIES = ("mpjudge", "imagemusic", "music2palette", "emi_adapter", "mozart")


@dataclass
class _Architecture:
    name: str
    builder: Callable
    family: str | None
    cfgs: dict[str, PretrainedCfg] = field(default_factory=dict)


_architectures: dict[str, _Architecture] = {}
_deprecated: dict[str, str] = {}


def register_model(fn: Callable | None = None, *, family: str | None = None, cfgs: dict | None = None):
    """Register a model builder under its function name.

    ``cfgs`` maps tag -> :class:`PretrainedCfg` (or a dict of its fields); the first tag is the
    default. Without ``cfgs`` the architecture gets one empty tag ``""``. Usable bare
    (``@register_model``) or with arguments (``@register_model(family="mpjudge", cfgs=...)``).
    """

    def decorate(builder: Callable) -> Callable:
        name = builder.__name__
        if name in _architectures and _architectures[name].builder is not builder:
            raise ValueError(f"architecture {name!r} is already registered by {_architectures[name].builder}")
        if family is not None and family not in FAMILIES:
            raise ValueError(f"unknown family {family!r}; families are {FAMILIES}")
        tagged = {}
        for tag, cfg in (cfgs or {"": PretrainedCfg()}).items():
            cfg = cfg if isinstance(cfg, PretrainedCfg) else PretrainedCfg.from_dict(cfg)
            tagged[tag] = cfg.replace(architecture=name, tag=tag)
        _architectures[name] = _Architecture(name, builder, family, tagged)
        return builder

    return decorate(fn) if fn is not None else decorate


def register_deprecated(old: str, new: str) -> None:
    """Keep ``old`` working as a name for ``new`` (with a FutureWarning on use)."""
    _deprecated[old] = new


def _all_cfgs() -> dict[str, PretrainedCfg]:
    """Every ``arch.tag`` -> cfg: registered tags, overlaid with the checkpoint index."""
    from affectzoo._index import indexed_cfgs

    out = {cfg.name: cfg for arch in _architectures.values() for cfg in arch.cfgs.values()}
    for name, cfg in indexed_cfgs().items():
        if cfg.architecture in _architectures:
            out[name] = cfg
    return out


def split_name(name: str) -> tuple[str, str]:
    arch, _, tag = name.partition(".")
    return arch, tag


def resolve_name(name: str) -> str:
    """Canonical ``arch.tag`` for a name (bare arch -> default tag; deprecated -> new, warned)."""
    if name in _deprecated:
        new = _deprecated[name]
        warnings.warn(f"model name {name!r} is deprecated; use {new!r}", FutureWarning, stacklevel=3)
        name = new
    arch, tag = split_name(name)
    if arch not in _architectures:
        raise UnknownModelError(name, difflib.get_close_matches(name, _known_names(), n=3))
    cfgs = _all_cfgs()
    if "." not in name:
        default_tag = next(iter(_architectures[arch].cfgs))
        return PretrainedCfg(architecture=arch, tag=default_tag).name
    if f"{arch}.{tag}" not in cfgs:
        tags = sorted(c.name for c in cfgs.values() if c.architecture == arch)
        raise UnknownModelError(name, tags)
    return f"{arch}.{tag}"


def _known_names() -> list[str]:
    return sorted(set(_architectures) | set(_all_cfgs()) | set(_deprecated) | set(FAMILIES))


def get_pretrained_cfg(name: str) -> PretrainedCfg:
    """The cfg of ``name`` (arch, arch.tag or deprecated name)."""
    full = resolve_name(name)
    cfgs = _all_cfgs()
    return cfgs.get(full) or PretrainedCfg(architecture=split_name(full)[0], tag=split_name(full)[1])


def get_builder(arch: str) -> Callable:
    return _architectures[arch].builder


def model_family(arch: str) -> str | None:
    return _architectures[arch].family if arch in _architectures else None


def list_models(
    pattern: str | Iterable[str] = "*", pretrained: bool = False, exclude: str | Iterable[str] = ()
) -> list[str]:
    """Registered names matching ``pattern`` (fnmatch), sorted.

    Without ``pretrained`` the result lists architectures; with it, the ``arch.tag`` names that
    have weights (shipped in ``checkpoints/`` or published on the Hub).
    """
    patterns = [pattern] if isinstance(pattern, str) else list(pattern)
    excludes = [exclude] if isinstance(exclude, str) else list(exclude)
    if pretrained:
        names = [n for n, cfg in _all_cfgs().items() if cfg.has_weights]
    else:
        names = list(_architectures)

    def matches(name: str, pats: list[str]) -> bool:
        return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(split_name(name)[0], p) for p in pats)

    return sorted(n for n in names if matches(n, patterns) and not matches(n, excludes))


def list_pretrained(pattern: str | Iterable[str] = "*") -> list[str]:
    """``arch.tag`` names that have weights."""
    return list_models(pattern, pretrained=True)


def list_deprecated() -> dict[str, str]:
    return dict(_deprecated)
