"""The leaderboard's datasets: which tasks each evaluates and how (one module per dataset).

Every entry maps a normalised dataset key to ``(applies, evaluate)``: ``applies(cfg)`` lists the
tasks of a model's cfg the dataset can evaluate (empty: not applicable, no row), and
``evaluate(model, cfg, root, split)`` returns :class:`~affectzoo.leaderboard.rows.Measurement` s.
A new benchmark is a module with those two functions and a line here.
"""

from __future__ import annotations

from typing import Callable

from affectzoo.leaderboard import imemnet, open_palettes, open_pairs, open_va, recommender_simulation


def _by_task(task: str) -> Callable:
    return lambda cfg: [task] if task in cfg.tasks else []


DATASETS: dict[str, tuple[Callable, Callable]] = {
    "open-pairs": (open_pairs.applies, open_pairs.evaluate),
    "open-image-va": (_by_task("va-predictor"), open_va.evaluator("open-image-va", "image")),
    "open-music-va": (_by_task("va-predictor"), open_va.evaluator("open-music-va", "music")),
    "open-palettes": (_by_task("palette-generator"), open_palettes.evaluate),
    "imemnet-interactions": (imemnet.applies, imemnet.evaluate),
    "recommender-simulation": (recommender_simulation.applies, recommender_simulation.evaluate),
}
