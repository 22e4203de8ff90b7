"""Model architectures; importing this package registers them."""

from affectzoo.models import imagemusic, mpjudge, test_models  # noqa: F401
from affectzoo.models.base import ZooModule

__all__ = ["ZooModule"]
