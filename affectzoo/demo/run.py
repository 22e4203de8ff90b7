"""The demo pipeline: every task of the zoo on the packaged samples, through the public API only.

For each synthesised clip (:mod:`affectzoo.demo.music`) it predicts valence/arousal, judges the
packaged paintings with the pair scorer, recommends paintings with two recommenders (the user has
rated that clip 5/5), generates a palette and recolours the painting the judge liked best. The
pictures' V/A is predicted too, for the report's V/A plane. Models are loaded by task or family
name, so the demo follows the checkpoint index: better shipped weights change the demo, not this
code. The feature cache makes a second run fast.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from affectzoo.demo.music import PIECES, write_clips

SAMPLES = Path(__file__).resolve().parent / "samples"

#: The models the demo runs: role -> registry name (a family alias resolves to its recommended weights).
MODELS = {"va": "imagemusic", "judge": "mpjudge", "mozart": "mozart", "haydn": "haydn", "palette": "music2palette"}

TOP_K = 3


@dataclass
class Sample:
    """A packaged picture and where it comes from (``samples.csv``)."""

    path: Path
    kind: str  # "painting" or "shape"
    title: str
    artist: str
    year: str
    licence: str
    va: tuple[float, float] | None = None


@dataclass
class ClipResult:
    """Everything the demo found for one clip."""

    path: Path
    description: str
    va: tuple[float, float]
    judged: list[tuple[Path, float]]  # (painting, match score), best first
    recommended: dict[str, list[tuple[Path, float]]]  # recommender -> (painting, distance), nearest first
    palette: list[str]
    recoloured: Path
    recoloured_from: Path


@dataclass
class DemoResult:
    clips: list[ClipResult]
    samples: list[Sample]
    models: dict[str, str] = field(default_factory=dict)  # role -> the loaded weights' name


def packaged_samples() -> list[Sample]:
    """The pictures that ship with the package, in ``samples.csv`` order."""
    with open(SAMPLES / "samples.csv", newline="") as handle:
        return [Sample(SAMPLES / row["file"], row["kind"], row["title"], row["artist"], row["year"], row["licence"])
                for row in csv.DictReader(handle)]


def _load_models(precision: str, progress) -> tuple[dict, dict[str, str]]:
    import affectzoo

    models, names = {}, {}
    for role, name in MODELS.items():
        progress.set_postfix_str(f"loading {name}")
        models[role] = affectzoo.load(name, precision=precision)
        names[role] = getattr(getattr(models[role], "pretrained_cfg", None), "name", None) or name
    return models, names


def run_demo(out: Path, precision: str = "32-true", show_progress: bool = True) -> DemoResult:
    """Run every task on the samples; clips and recoloured pictures are written under ``out``."""
    from tqdm.auto import tqdm

    from affectzoo.affect.color import hex_to_lab
    from affectzoo.affect.recolor import recolor, save_image_atomic

    out = Path(out)
    samples = packaged_samples()
    paintings = [s.path for s in samples if s.kind == "painting"]
    steps = 2 + len(PIECES)
    with tqdm(total=steps, desc="affectzoo demo", unit="step", disable=not show_progress) as progress:
        clips = write_clips(out / "clips")
        models, names = _load_models(precision, progress)
        progress.update()
        progress.set_postfix_str("V/A of the pictures")
        image_va = models["va"].predict_va(images=[str(s.path) for s in samples])["image"].tolist()
        for sample, va in zip(samples, image_va):
            sample.va = (float(va[0]), float(va[1]))
        catalogues = {role: models[role].index([str(p) for p in paintings]) for role in ("mozart", "haydn")}
        progress.update()
        results = []
        for piece, clip in zip(PIECES, clips):
            progress.set_postfix_str(piece.name)
            va = models["va"].predict_va(audio=str(clip))["music"][0].tolist()
            indices, scores = models["judge"].rank(str(clip), [str(p) for p in paintings], k=TOP_K)
            judged = [(paintings[i], float(s)) for i, s in zip(indices.tolist(), scores.tolist())]
            recommended = {role: [(Path(r.item), float(r.score))
                                  for r in models[role].recommend({str(clip): 5}, catalogues[role], k=TOP_K)]
                           for role in ("mozart", "haydn")}
            palette = models["palette"].generate(str(clip), n=1, seed=0)[0]
            source = judged[0][0]
            recoloured = save_image_atomic(recolor(source, hex_to_lab(palette)), out / "recoloured" / f"{piece.name}.jpg")
            results.append(ClipResult(clip, piece.description, (float(va[0]), float(va[1])), judged, recommended,
                                      palette, recoloured, source))
            progress.update()
    return DemoResult(results, samples, names)
