"""Engines with no trained weights of their own, loaded by name like any model.

Haydn ranks paintings on the V/A plane of the zoo's V/A predictor and Visual by cosine similarity
of frozen image features: neither has a checkpoint, yet a user writes ``affectzoo.load("haydn")``
and ``affectzoo recommend --model visual`` as for Mozart. :func:`~affectzoo._factory.load`,
:func:`~affectzoo._factory.resolve_cfg` and the task commands look names up here first.
"""

from __future__ import annotations

import importlib

from affectzoo._pretrained import PretrainedCfg

#: name -> (builder "module:attribute", tasks, description)
ENGINES = {
    "haydn": ("affectzoo.models.mozart.haydn:Haydn", ("recommender",),
              "Haydn (Yilma & Leiva): paintings ranked by eq. 7 on the V/A plane of the zoo's V/A predictor"),
    "visual": ("affectzoo.models.mozart.visual:Visual", ("recommender",),
               "Visual baseline (Yilma & Leiva): paintings like the rated paintings (EfficientNet-Lite2 cosine)"),
}


def is_engine(name) -> bool:
    return str(name) in ENGINES


def engine_cfg(name: str) -> PretrainedCfg:
    """A cfg describing the engine (no weights)."""
    _, tasks, description = ENGINES[name]
    return PretrainedCfg(architecture=name, family=name, tasks=tasks, description=description)


def build_engine(name: str, **options):
    """The engine ``name`` built with ``options`` (its constructor's arguments)."""
    target, _, _ = ENGINES[name]
    module, attribute = target.split(":")
    engine = getattr(importlib.import_module(module), attribute)(**options)
    engine.pretrained_cfg = engine_cfg(name)
    return engine


def engines_with_task(task: str) -> list[str]:
    return sorted(name for name, (_, tasks, _) in ENGINES.items() if task in tasks)
