"""``affectzoo demo``: every task of the zoo on the samples that ship with the package, as one HTML report.

The README's first command. Clips are synthesised, pictures are packaged (public-domain paintings,
BASS shapes), so the demo needs neither the network nor data; the report's path is printed last.
"""

from __future__ import annotations

from pathlib import Path

from affectzoo.cli._common import PRECISION_CHOICES


def register(commands) -> dict:
    p = commands.add_parser("demo", help="run every task on packaged samples and write an HTML report")
    p.add_argument("--out", type=Path, default=Path("affectzoo-demo"),
                   help="folder for the clips, recoloured pictures and report.html (default ./affectzoo-demo)")
    p.add_argument("--precision", default="32-true", choices=PRECISION_CHOICES,
                   help="inference precision of every model (default 32-true)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return {"demo": run}


def run(args) -> int:
    from affectzoo.demo.report import write_report
    from affectzoo.demo.run import run_demo

    result = run_demo(args.out, precision=args.precision, show_progress=not args.quiet)
    for clip in result.clips:
        print(f"{clip.path.stem}: V {clip.va[0]:+.2f} A {clip.va[1]:+.2f}; best painting "
              f"{clip.judged[0][0].name} ({clip.judged[0][1]:.3f}); palette {' '.join(clip.palette)}")
    print(f"report: {write_report(result, args.out / 'report.html').resolve()}")
    return 0
