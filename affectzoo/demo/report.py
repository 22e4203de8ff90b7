"""The demo's HTML report: one self-contained page (pictures embedded, clips linked beside it).

Sections: a summary table (one row per clip: predicted V/A, each model's first choice, the
palette), the valence/arousal plane with every clip and picture (inline SVG, no plotting library),
one section per clip with the judge's and the recommenders' paintings and the recoloured
painting, and the samples' credits and licences.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from affectzoo._io import atomic_write_text
from affectzoo.cli.page import thumbnail_uri
from affectzoo.demo.run import DemoResult

PLANE = 420  # px, the V/A plane's side
LABEL_ROOM = 160  # px right of the plane, for the labels of points near its edge
STYLE = """body{font-family:sans-serif;margin:2em;max-width:1100px}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:middle}
td.palette{white-space:nowrap}
.grid{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0;width:170px}figure img{max-width:170px;max-height:150px}
figcaption{font-size:.8em}.swatch{display:inline-block;width:28px;height:28px;border:1px solid #888;margin-right:2px}
.credits{font-size:.8em;color:#444}"""


def _e(text) -> str:
    return html.escape(str(text))


def _swatches(palette: list[str]) -> str:
    return "".join(f'<span class="swatch" title="{_e(c)}" style="background:{_e(c)}"></span>' for c in palette)


def _figure(path: Path, caption: str) -> str:
    uri = thumbnail_uri(str(path)) or ""
    return f'<figure><img src="{uri}" alt="{_e(path.name)}"><figcaption>{_e(caption)}</figcaption></figure>'


def _title(result: DemoResult, path: Path) -> str:
    titles = {s.path: s.title for s in result.samples}
    return titles.get(path, path.stem)


def va_plane_svg(points: list[tuple[str, float, float, str]]) -> str:
    """An SVG of the V/A square [-1, 1]^2: ``points`` are (label, valence, arousal, kind); kinds
    ``clip`` (red, labelled), ``painting`` (blue, labelled) and ``shape`` (grey)."""
    half = PLANE / 2

    def xy(v: float, a: float) -> tuple[float, float]:
        return half + v * (half - 20), half - a * (half - 20)

    width = PLANE + LABEL_ROOM
    parts = [f'<svg id="va-plane" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{PLANE}" '
             f'viewBox="0 0 {width} {PLANE}" role="img" aria-label="valence/arousal plane">',
             f'<rect width="{PLANE}" height="{PLANE}" fill="white" stroke="#999"/>',
             f'<line x1="0" y1="{half}" x2="{PLANE}" y2="{half}" stroke="#ccc"/>',
             f'<line x1="{half}" y1="0" x2="{half}" y2="{PLANE}" stroke="#ccc"/>',
             f'<text x="{PLANE - 4}" y="{half - 4}" font-size="11" text-anchor="end">valence +</text>',
             f'<text x="{half + 4}" y="12" font-size="11">arousal +</text>']
    colours = {"clip": "#c0392b", "painting": "#2c5aa0", "shape": "#888"}
    for label, v, a, kind in points:
        x, y = xy(v, a)
        shape = (f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{colours[kind]}"/>' if kind == "clip"
                 else f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colours[kind]}"/>')
        parts.append(f'<g class="point {kind}"><title>{_e(label)} (V {v:+.2f}, A {a:+.2f})</title>{shape}')
        if kind != "shape":
            parts.append(f'<text x="{x + 6:.1f}" y="{y + 4:.1f}" font-size="10" fill="{colours[kind]}">{_e(label)}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def write_report(result: DemoResult, path: Path) -> Path:
    """Write the report of ``result`` to ``path`` (atomically) and return it."""
    path = Path(path)
    rows, sections = [], []
    roles = [("judge", "pair scorer"), ("mozart", "recommender"), ("haydn", "recommender")]
    for clip in result.clips:
        firsts = [_e(_title(result, clip.judged[0][0]))] + [
            _e(_title(result, clip.recommended[role][0][0])) for role in ("mozart", "haydn")]
        rows.append(f"<tr><td>{_e(clip.path.stem)}</td><td>{clip.va[0]:+.2f}</td><td>{clip.va[1]:+.2f}</td>"
                    + "".join(f"<td>{f}</td>" for f in firsts) + f'<td class="palette">{_swatches(clip.palette)}</td></tr>')
        audio = _e(os.path.relpath(clip.path, path.parent))
        found = []
        for role, _ in roles:
            if role == "judge":
                items = [_figure(p, f"{_title(result, p)}: match {s:.3f}") for p, s in clip.judged]
            else:
                items = [_figure(p, f"{_title(result, p)}: distance {s:.3f}") for p, s in clip.recommended[role]]
            found.append(f"<h4>{_e(result.models.get(role, role))}</h4><div class=\"grid\">{''.join(items)}</div>")
        pictures = _figure(clip.recoloured_from, "the judge's first painting") + _figure(
            clip.recoloured, "recoloured with the palette")
        sections.append(
            f'<section class="clip" id="clip-{_e(clip.path.stem)}"><h3>{_e(clip.path.stem)}</h3>'
            f"<p>{_e(clip.description)}</p><audio controls preload=\"none\" src=\"{audio}\"></audio>"
            f"<p>predicted valence {clip.va[0]:+.2f}, arousal {clip.va[1]:+.2f}; palette {_swatches(clip.palette)} "
            f"{_e(' '.join(clip.palette))}</p>"
            f'<div class="grid">{pictures}</div>{"".join(found)}</section>')
    points = [(c.path.stem, c.va[0], c.va[1], "clip") for c in result.clips]
    points += [(s.title, s.va[0], s.va[1], s.kind) for s in result.samples if s.va is not None]
    credits = "".join(f"<li>{_e(s.path.name)}: {_e(s.title)}, {_e(s.artist)}, {_e(s.year)}; {_e(s.licence)}</li>"
                      for s in result.samples)
    models = ", ".join(f"{_e(role)}: <code>{_e(name)}</code>" for role, name in result.models.items())
    head = "".join(f"<th>{h}</th>" for h in ("clip", "valence", "arousal", f"best match ({_e(result.models.get('judge', 'judge'))})",
                                             "Mozart's first", "Haydn's first", "palette"))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>affectzoo demo</title><style>{STYLE}</style></head>
<body><h1>affectzoo demo</h1>
<p>Four synthesised clips and the packaged paintings through every task of the zoo. Models: {models}.
Recommenders were told that the user rated the clip 5/5; distances are smaller for closer paintings.</p>
<h2>Summary</h2><table id="summary"><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>
<h2>Valence and arousal (predicted)</h2><p>Squares: clips; blue: paintings; grey: BASS shapes.</p>
{va_plane_svg(points)}
<h2>Clips</h2>{''.join(sections)}
<h2>Credits</h2><ul class="credits">{credits}</ul>
<p class="credits">BASS images: Kawai et al. (2021), Bicolor Affective Silhouettes and Shapes, CC BY 4.0.
Clips synthesised by <code>affectzoo.demo.music</code>.</p>
</body></html>
"""
    return atomic_write_text(path, page)
