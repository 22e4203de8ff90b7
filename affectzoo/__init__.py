"""affectzoo: a PyTorch Lightning model zoo for models that connect music and visual art through emotion.

>>> import affectzoo
>>> affectzoo.list_models("mpjudge*", pretrained=True)
>>> judge = affectzoo.load("mpjudge")

Importing affectzoo and listing models imports no torch: the registry reads a manifest, and the
functions that need torch (``create_model``, ``load``, ...) are imported on first use (PEP 562).
"""

from affectzoo._pretrained import PretrainedCfg
from affectzoo._registry import (get_pretrained_cfg, list_deprecated, list_models, list_pretrained,
                                 register_deprecated, register_model)
from affectzoo._version import __version__

#: Public names imported on first use: name -> module that defines it.
_LAZY = {
    "create_model": "affectzoo._factory",
    "load": "affectzoo._factory",
    "resolve_cfg": "affectzoo._factory",
    "require_task": "affectzoo._factory",
    "default_model": "affectzoo._factory",
    "save_pretrained": "affectzoo._folder",
    "export_lightning_checkpoint": "affectzoo._checkpoint",
    "publish": "affectzoo._hub",
    "Catalog": "affectzoo.catalog",
    "TASKS": "affectzoo.tasks",
}

__all__ = ["PretrainedCfg", "__version__", "get_pretrained_cfg", "list_deprecated", "list_models",
           "list_pretrained", "register_deprecated", "register_model", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'affectzoo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
