"""``affectzoo va``: the va-predictor task. Valence and arousal in [-1, 1] of images and music.

Files and folders (image and audio files told apart by suffix); a table on stdout, and optionally
a CSV, a JSON and a scatter plot of the items on the valence/arousal plane.
"""

from __future__ import annotations

import json
from pathlib import Path

TASK = "va-predictor"
COLUMNS = ("file", "kind", "valence", "arousal")


def register(commands) -> dict:
    from affectzoo.cli._common import add_model_option, add_on_error_option

    p = commands.add_parser("va", help="valence and arousal in [-1, 1] of image and audio files (va-predictor task)")
    p.add_argument("files", nargs="+", metavar="FILE", help="image and/or audio files or folders (told apart by suffix)")
    add_model_option(p, TASK)
    add_on_error_option(p)
    p.add_argument("--csv", metavar="OUT.csv", help="also write the rows as CSV")
    p.add_argument("--json", metavar="OUT.json", help="also write the rows as JSON (with the model's name)")
    p.add_argument("--plot", metavar="OUT.png", help="draw the items on the valence/arousal plane")
    p.add_argument("--music-precision", choices=("fp32", "bf16"),
                   help="musicnn's compute precision (default: the model's own, fp32); bf16 is faster on CPUs "
                        "with AMX / AVX512-BF16 and moves V/A by ~0.005 (docs/imagemusic.md)")
    return {"va": run}


def run(args) -> int:
    from affectzoo import media
    from affectzoo.cli._common import in_chunks, load_for_task, report_skipped

    found = media.split_by_kind(args.files, args.on_error)
    options = {"music_precision": args.music_precision} if args.music_precision else {}
    model = load_for_task(args.model, TASK, args.precision, **options)
    rows, skipped = [], [pair for collected in found.values() for pair in collected.skipped]
    for kind, key, side in (("image", "images", "image"), ("audio", "audio", "music")):
        items = found[kind].items
        kept, values, failed = in_chunks(lambda part: model.predict_va(**{key: part})[side].tolist(), items,
                                         args.on_error)
        rows += [{"file": path, "kind": side, "valence": v, "arousal": a} for path, (v, a) in zip(kept, values)]
        skipped += failed
    print(f"{'valence':>8} {'arousal':>8}  kind   file")
    for row in rows:
        print(f"{row['valence']:>8.4f} {row['arousal']:>8.4f}  {row['kind']:<5}  {row['file']}")
    report_skipped(skipped)
    name = model.pretrained_cfg.name or args.model
    if args.csv:
        write_csv(Path(args.csv), rows)
    if args.json:
        write_json(Path(args.json), rows, name, skipped)
    if args.plot:
        plot_va(Path(args.plot), rows, name)
    return 0


def write_csv(path: Path, rows: list[dict]) -> Path:
    import csv
    import io

    from affectzoo._io import atomic_write_text

    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows({k: (f"{v:.6f}" if isinstance(v, float) else v) for k, v in row.items()} for row in rows)
    return atomic_write_text(path, text.getvalue())


def write_json(path: Path, rows: list[dict], model: str, skipped: list) -> Path:
    from affectzoo._io import atomic_write_text

    payload = {"model": model, "range": [-1.0, 1.0], "items": rows,
               "skipped": [{"file": item, "reason": reason} for item, reason in skipped]}
    return atomic_write_text(path, json.dumps(payload, indent=1) + "\n")


def plot_va(path: Path, rows: list[dict], model: str) -> Path:
    """Scatter of the items on the valence (x) / arousal (y) plane, images and music apart, each point
    labelled with its file name; quadrant lines and Russell's quadrant words for orientation."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from affectzoo._io import atomic_write

    figure = Figure(figsize=(6.4, 6.0), dpi=110)
    FigureCanvasAgg(figure)
    axis = figure.subplots()
    axis.axhline(0, color="0.8", lw=0.8), axis.axvline(0, color="0.8", lw=0.8)
    for x, y, word in ((0.97, 0.97, "excited / happy"), (-0.97, 0.97, "afraid / angry"),
                       (-0.97, -0.97, "sad / depressed"), (0.97, -0.97, "calm / content")):
        axis.text(x, y, word, ha="right" if x > 0 else "left", va="top" if y > 0 else "bottom", color="0.55",
                  fontsize=8)
    for side, marker, colour in (("image", "s", "tab:orange"), ("music", "o", "tab:blue")):
        points = [row for row in rows if row["kind"] == side]
        if points:
            axis.scatter([p["valence"] for p in points], [p["arousal"] for p in points], marker=marker, c=colour,
                         label=f"{side} ({len(points)})", edgecolors="white", linewidths=0.5, zorder=3)
            if len(points) <= 40:
                for p in points:
                    axis.annotate(Path(p["file"]).name, (p["valence"], p["arousal"]), fontsize=6,
                                  xytext=(3, 3), textcoords="offset points")
    axis.set(xlim=(-1.05, 1.05), ylim=(-1.05, 1.05), xlabel="valence", ylabel="arousal", aspect="equal",
             title=f"valence / arousal ({model})")
    if rows:
        axis.legend(loc="upper center", fontsize=8, frameon=False)
    figure.tight_layout()
    return atomic_write(path, lambda tmp: figure.savefig(tmp, format="png"))
