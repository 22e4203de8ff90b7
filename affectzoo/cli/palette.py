"""``affectzoo palette`` and ``affectzoo recolor``: the palette-generator task.

``palette`` prints colour palettes that carry a song's emotion (and writes a swatch image and/or
JSON with hex and CIELCh values); ``recolor`` generates a palette for a song and recolours an
image with it (palette-based recolouring in CIELab, :mod:`affectzoo.affect.recolor`).
"""

from __future__ import annotations

import json

TASK = "palette-generator"


def register(commands) -> dict:
    from affectzoo.cli._common import add_model_option

    p = commands.add_parser("palette", help="colour palettes for a piece of music (palette-generator task)")
    p.add_argument("audio", help="music file")
    p.add_argument("-n", "--n", type=int, default=1, help="how many palettes (default 1)")
    p.add_argument("--seed", type=int, default=None, help="random seed of the sampling (default: random)")
    p.add_argument("--out", metavar="SWATCH.png", help="also write the palettes as a swatch image")
    p.add_argument("--json", action="store_true", help="print JSON (hex and CIELCh of every colour) instead of hex")
    add_model_option(p, TASK)

    p = commands.add_parser("recolor", help="recolour an image with a palette generated for a song")
    p.add_argument("--audio", required=True, help="music file")
    p.add_argument("--image", required=True, help="image to recolour")
    p.add_argument("--out", required=True, metavar="OUT.png", help="where to write the recoloured image")
    p.add_argument("--seed", type=int, default=0, help="random seed of the palette sampling (default 0)")
    add_model_option(p, TASK)
    return {"palette": run, "recolor": run_recolor}


def palette_json(palettes: list[list[str]]) -> list[list[dict]]:
    """Each colour as ``{"hex", "lch": [L, C, h]}`` (CIELCh, D65, hue in degrees)."""
    from affectzoo.affect.color import hex_to_lab, lab_to_lch

    return [[{"hex": colour, "lch": [round(v, 2) for v in lab_to_lch(hex_to_lab(colour)).tolist()]}
             for colour in palette] for palette in palettes]


def run(args) -> int:
    from affectzoo.cli._common import load_for_task

    if args.n < 1:
        raise SystemExit(f"-n must be at least 1, got {args.n}")
    model = load_for_task(args.model, TASK, args.precision)
    palettes = model.generate(args.audio, n=args.n, seed=args.seed)
    if args.json:
        print(json.dumps({"audio": args.audio, "seed": args.seed, "palettes": palette_json(palettes)}, indent=1))
    else:
        for palette in palettes:
            print(" ".join(palette))
    if args.out:
        from affectzoo.affect.recolor import save_image_atomic
        from affectzoo.affect.swatch import swatch_image

        path = save_image_atomic(swatch_image(palettes), args.out)
        if not args.json:
            print(f"wrote {path}")
    return 0


def run_recolor(args) -> int:
    from affectzoo.affect.color import hex_to_lab
    from affectzoo.affect.recolor import recolor, save_image_atomic
    from affectzoo.cli._common import load_for_task

    model = load_for_task(args.model, TASK, args.precision)
    palette = model.generate(args.audio, n=1, seed=args.seed)[0]
    image = recolor(args.image, hex_to_lab(palette))
    print(" ".join(palette))
    print(f"wrote {save_image_atomic(image, args.out)}")
    return 0
