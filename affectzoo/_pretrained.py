"""``PretrainedCfg``: everything a set of weights says about itself.

A cfg travels with the weights (inside ``config.json``), so a loaded model knows how its inputs
must be prepared, what its outputs mean, which data it was trained and scored on and by which
commands, and under which licence the weights may be used.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from typing import Any

#: Fields a cfg that carries weights must fill (an empty value counts as missing).
REQUIRED_WITH_WEIGHTS = (
    "architecture",
    "description",
    "preprocess",
    "output_names",
    "sha256",
    "num_params",
    "file_size",
    "metrics",
    "metric_commands",
    "training_data",
    "held_out",
    "recipe",
    "git_revision",
    "license",
)


@dataclass
class PretrainedCfg:
    """Description of one architecture tag and, when it has weights, of those weights.

    Attributes:
        architecture: registered architecture name (``arch`` in ``arch.tag``).
        tag: the tag; ``""`` for an architecture registered without tags.
        family: the paper family the architecture belongs to (``load(family)`` gives its
            recommended weights).
        tasks: what the model offers (:mod:`affectzoo.tasks`: ``pair-scorer``, ``va-predictor``,
            ``recommender``, ``palette-generator``).
        model_args: keyword arguments the architecture is built with for this tag.
        description: one line for ``affectzoo list`` and the model card.
        paper: citation of the method.
        preprocess: how inputs are prepared (image size/mean/std, sample rate, clip seconds, mel).
        output_names: names of the model's outputs, in order.
        output_range: (low, high) of each output, or None when unbounded.
        lower_better: True when a lower output means "better" (pyiqa's convention).
        file: weights folder or file, relative to the ``checkpoints/`` folder or absolute.
        hf_hub_id: ``org/name`` of a Hugging Face repository holding the weights.
        hf_hub_revision: branch, tag or commit of that repository.
        sha256: checksum of ``model.safetensors``.
        num_params: number of parameters of the model (of the architecture built with
            ``model_args``; known without weights, from the registry manifest).
        file_size: size in bytes of ``model.safetensors``.
        metrics: dataset -> metric name -> value, measured on the weights.
        metric_commands: dataset -> the command that produced those metrics.
        training_data: what the weights were trained on, with labels.
        held_out: what was held out for validation and testing.
        recipe: the recipe (and overrides) that trained the weights.
        git_revision: revision of affectzoo the weights were trained with.
        license: licence of the weights (follows the training data's licence).
    """

    architecture: str = ""
    tag: str = ""
    family: str = ""
    tasks: tuple[str, ...] = ()
    model_args: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    paper: str = ""
    preprocess: dict[str, Any] = field(default_factory=dict)
    output_names: tuple[str, ...] = ()
    output_range: tuple[float, float] | None = None
    lower_better: bool = False
    file: str | None = None
    hf_hub_id: str | None = None
    hf_hub_revision: str | None = None
    sha256: str | None = None
    num_params: int | None = None
    file_size: int | None = None
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    metric_commands: dict[str, str] = field(default_factory=dict)
    training_data: str = ""
    held_out: str = ""
    recipe: str = ""
    git_revision: str = ""
    license: str = ""
    limitations: str = ""  # what the weights should not be trusted for (the card's last section)

    @property
    def name(self) -> str:
        """``arch.tag`` (or ``arch`` when the tag is empty)."""
        if not self.architecture:
            return ""
        return f"{self.architecture}.{self.tag}" if self.tag else self.architecture

    @property
    def has_weights(self) -> bool:
        return bool(self.file or self.hf_hub_id)

    def missing_fields(self) -> list[str]:
        """Names of required fields left empty; only weights-carrying cfgs have requirements."""
        if not self.has_weights:
            return []
        missing = [f for f in REQUIRED_WITH_WEIGHTS if getattr(self, f) in (None, "", {}, (), [])]
        missing += [f"metric_commands[{d!r}]" for d in self.metrics if not self.metric_commands.get(d)]
        return missing

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["output_names"] = list(self.output_names)
        out["tasks"] = list(self.tasks)
        out["output_range"] = list(self.output_range) if self.output_range is not None else None
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PretrainedCfg":
        """Build from a dict; unknown keys (written by a newer affectzoo) are dropped with a warning."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            warnings.warn(f"ignoring unknown PretrainedCfg fields {unknown} (written by a newer affectzoo?)")
        kwargs = {k: v for k, v in data.items() if k in known}
        for key in ("output_names", "tasks"):
            if kwargs.get(key) is not None:
                kwargs[key] = tuple(kwargs[key])
        if kwargs.get("output_range") is not None:
            kwargs["output_range"] = tuple(kwargs["output_range"])
        return cls(**kwargs)

    def without_weights(self) -> "PretrainedCfg":
        """This cfg with every field that describes trained weights cleared (for a fresh model)."""
        return self.replace(file=None, hf_hub_id=None, hf_hub_revision=None, sha256=None, file_size=None,
                            metrics={}, metric_commands={}, training_data="", held_out="", recipe="",
                            git_revision="")

    def replace(self, **changes) -> "PretrainedCfg":
        return dataclasses.replace(self, **changes)
