"""The tasks a model can offer, as small :class:`typing.Protocol` s, and the checks built on them.

| task | methods | what it answers |
|---|---|---|
| ``pair-scorer`` | ``score(images, audio)``, ``rank(audio, images, k)`` | how well paintings fit music |
| ``va-predictor`` | ``predict_va(images=, audio=, sample_rate=)`` | valence/arousal in [-1, 1] |
| ``recommender`` | ``index(items)`` -> :class:`~affectzoo.catalog.Catalog`, ``recommend(query, catalogue, k)`` | items for a query |
| ``palette-generator`` | ``generate(audio, n, seed)`` | hex colour palettes for music |

Every registered architecture names its tasks (``@register_model(tasks=[...])``); the names are
copied into each tag's cfg. The command line, the benchmarks and the demo are written against
tasks: ``affectzoo judge|va|index|recommend|palette --model NAME`` checks the task before it loads
any weights (:func:`affectzoo.require_task`, torch-free), and a test checks that each model class
has the methods its tasks promise (:func:`implements`). :func:`affectzoo.list_models` takes
``task=`` to list the models that offer one.

The default model of a task is the family named under ``"tasks"`` in the checkpoint index
(:func:`affectzoo.default_model`), so shipping better weights for a task is a change to the index
alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Sequence, runtime_checkable

from affectzoo.errors import AffectZooError


@runtime_checkable
class PairScorer(Protocol):
    """Scores (image, music) pairs: higher means the painting fits the music better."""

    def score(self, images: Any, audio: Any) -> Any: ...

    def rank(self, audio: Any, images: Any, k: int = 10) -> Any: ...


@runtime_checkable
class VAPredictor(Protocol):
    """Valence and arousal in [-1, 1] of images and/or music: ``{"image": [N, 2], "music": [M, 2]}``."""

    def predict_va(self, images: Any = None, audio: Any = None, sample_rate: int | None = None) -> dict: ...


@runtime_checkable
class Recommender(Protocol):
    """Indexes a catalogue once, then recommends its items for a query (an image, rated music, ...)."""

    def index(self, items: Any, on_error: str = "raise") -> Any: ...

    def recommend(self, query: Any, catalogue: Any, k: int = 10) -> list: ...


@runtime_checkable
class PaletteGenerator(Protocol):
    """Colour palettes (lists of ``#rrggbb``) that carry the emotion of a piece of music."""

    def generate(self, audio: Any, n: int = 1, seed: int | None = None) -> list: ...


@dataclass(frozen=True)
class Task:
    """A task: its name, the protocol that defines it, its methods and the command that serves it."""

    name: str
    protocol: type
    methods: tuple[str, ...]
    command: str
    summary: str


TASKS: dict[str, Task] = {task.name: task for task in (
    Task("pair-scorer", PairScorer, ("score", "rank"), "judge", "how well paintings fit music"),
    Task("va-predictor", VAPredictor, ("predict_va",), "va", "valence/arousal of images and music"),
    Task("recommender", Recommender, ("index", "recommend"), "recommend", "catalogue items for a query"),
    Task("palette-generator", PaletteGenerator, ("generate",), "palette", "colour palettes for music"),
)}


class TaskError(AffectZooError, ValueError):
    """A model was asked for a task it does not offer (or no model offers the task)."""


def check_task_names(tasks: Sequence[str]) -> None:
    """Raise ValueError for a task name that is not one of :data:`TASKS`."""
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        raise ValueError(f"unknown task(s) {unknown}; tasks are {sorted(TASKS)}")


def implements(model: Any, task: str) -> bool:
    """True when ``model`` has every method of ``task`` (the protocol's runtime check)."""
    return isinstance(model, TASKS[task].protocol)
