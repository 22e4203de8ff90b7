"""Model architectures, one package per paper (``torch_model``, ``lightning_model``, ``cfgs``, ...).

Importing a family's ``cfgs`` module registers its architectures; :func:`affectzoo.create_model`
does that on demand (the registry's manifest says which module holds which architecture).
"""

from affectzoo.models.base import ZooModule

__all__ = ["ZooModule"]
