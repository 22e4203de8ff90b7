"""``affectzoo palette``: the palette-generator task. Colour palettes that carry a song's emotion."""

from __future__ import annotations

TASK = "palette-generator"


def register(commands) -> dict:
    from affectzoo.cli._common import add_model_option

    p = commands.add_parser("palette", help="colour palettes for a piece of music (palette-generator task)")
    p.add_argument("audio", help="music file")
    p.add_argument("-n", type=int, default=1, help="how many palettes (default 1)")
    p.add_argument("--seed", type=int, default=None, help="random seed of the sampling (default: random)")
    add_model_option(p, TASK)
    return {"palette": run}


def run(args) -> int:
    from affectzoo.cli._common import load_for_task

    model = load_for_task(args.model, TASK)
    for palette in model.generate(args.audio, n=args.n, seed=args.seed):
        print(" ".join(palette))
    return 0
