"""Music2Palette (Hu et al., "Music2Palette: Emotion-aligned Color Palette Generation via Cross-Modal
Representation Learning", ACM MM 2025): colour palettes for music, the ``palette-generator`` task.

Files: ``features.py`` (the 539 frame features and their frozen "encoder" for the feature cache),
``torch_model.py`` (AST-style encoder, colour decoder with stop token), ``emotion_grid.py`` (the
colour-emotion model as a table saved with the weights), ``lightning_model.py``
(:class:`Music2Palette`: losses, training, ``generate``), ``baseline_c.py`` (baseline C: the
palette of the labelled image nearest in V/A), ``cfgs.py``.
"""

from affectzoo.models.music2palette.lightning_model import PAPER, Music2Palette

__all__ = ["PAPER", "Music2Palette"]
