"""DataModule registry: DataModules registered by name, like models.

Recipes refer to DataModules by class path (LightningCLI); the registry is for discovery and for
code that picks a dataset by name (``create_datamodule("open-pairs", batch_size=16)``).
"""

from __future__ import annotations

import difflib
import fnmatch

from affectzoo.errors import AffectZooError

_datamodules: dict[str, type] = {}


class UnknownDataModuleError(AffectZooError, KeyError):
    def __str__(self) -> str:
        return self.args[0]


def register_datamodule(name: str):
    """Class decorator registering a LightningDataModule under ``name``."""

    def decorate(cls: type) -> type:
        if name in _datamodules and _datamodules[name] is not cls:
            raise ValueError(f"DataModule name {name!r} is already registered by {_datamodules[name]}")
        _datamodules[name] = cls
        cls.registry_name = name
        return cls

    return decorate


#: Modules whose classes register themselves; imported on the first lookup by name.
DATAMODULE_MODULES = ("affectzoo.data.datamodules", "affectzoo.data.va_datamodule", "affectzoo.data.synthetic",
                      "affectzoo.data.interactions_datamodule")


def _import_datamodules() -> None:
    import importlib

    for module in DATAMODULE_MODULES:
        importlib.import_module(module)


def list_datamodules(pattern: str = "*") -> list[str]:
    _import_datamodules()
    return sorted(n for n in _datamodules if fnmatch.fnmatchcase(n, pattern))


def get_datamodule_class(name: str) -> type:
    _import_datamodules()
    if name not in _datamodules:
        close = difflib.get_close_matches(name, list(_datamodules), n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UnknownDataModuleError(f"unknown DataModule {name!r}.{hint} Registered: {', '.join(sorted(_datamodules))}")
    return _datamodules[name]


def create_datamodule(name: str, **kwargs):
    """Instantiate the DataModule registered as ``name``."""
    return get_datamodule_class(name)(**kwargs)
