"""affectzoo: a PyTorch Lightning model zoo for models that connect music and visual art through emotion.

>>> import affectzoo
>>> affectzoo.list_models("mpjudge*", pretrained=True)
>>> judge = affectzoo.load("mpjudge")
"""

__version__ = "0.1.0"

from affectzoo._factory import create_model, load  # noqa: E402
from affectzoo._hub import export_lightning_checkpoint, publish, save_pretrained  # noqa: E402
from affectzoo._pretrained import PretrainedCfg  # noqa: E402
from affectzoo._registry import (  # noqa: E402
    get_pretrained_cfg,
    list_deprecated,
    list_models,
    list_pretrained,
    register_deprecated,
    register_model,
)
from affectzoo import models  # noqa: E402,F401  (registers the architectures)

__all__ = [
    "PretrainedCfg",
    "create_model",
    "export_lightning_checkpoint",
    "get_pretrained_cfg",
    "list_deprecated",
    "list_models",
    "list_pretrained",
    "load",
    "publish",
    "register_deprecated",
    "register_model",
    "save_pretrained",
]
