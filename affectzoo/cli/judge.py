"""``affectzoo judge``: the pair-scorer task. How well do paintings fit a piece of music?"""

from __future__ import annotations

TASK = "pair-scorer"


def register(commands) -> dict:
    from affectzoo.cli._common import add_model_option, add_on_error_option

    p = commands.add_parser("judge", help="score how well paintings fit a piece of music (pair-scorer task)")
    p.add_argument("--image", nargs="+", required=True, help="painting files or folders")
    p.add_argument("--audio", required=True, help="music file (its first clip_seconds are judged)")
    add_model_option(p, TASK)
    add_on_error_option(p)
    p.add_argument("--explain", metavar="OUT.png", help="write the modulation maps of the first painting "
                                                        "(models with modulation maps: MPJudge with MAN fusion)")
    return {"judge": run}


def run(args) -> int:
    from affectzoo import media
    from affectzoo.cli._common import in_chunks, load_for_task, report_skipped
    from affectzoo.errors import InputError

    model = load_for_task(args.model, TASK, args.precision)
    if args.explain and not hasattr(model, "explain"):
        raise InputError(args.explain, f"{model.pretrained_cfg.name or 'this model'} draws no modulation maps; "
                                       "drop --explain or use an MPJudge model")
    collected = media.collect(args.image, "image", args.on_error)
    kept, scores, skipped = in_chunks(lambda part: model.score(part, args.audio).tolist(), collected.items,
                                      args.on_error)
    for path, value in zip(kept, scores):
        print(f"{value:.4f}  {path}")
    report_skipped(collected.skipped + skipped)
    if args.explain and kept:
        print(f"wrote {model.explain(kept[0], args.audio, args.explain)}")
    return 0
