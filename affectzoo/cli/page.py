"""A self-contained HTML page of recommendations (``affectzoo recommend ... --html OUT.html``).

Pictures appear as embedded thumbnails (the page works when moved or mailed); other items (music)
as their names with an audio player pointing at the file. The query is shown above: the rated
clips with their ratings, or the query picture.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from affectzoo._io import atomic_write_text

THUMBNAIL = 200
_PICTURE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


def thumbnail_uri(path: str) -> str | None:
    """A JPEG data URI of the picture at ``path`` (at most THUMBNAIL px), or None when it cannot be read."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            image = image.convert("RGB")
            image.thumbnail((THUMBNAIL, THUMBNAIL))
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=85)
    except (OSError, ValueError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _item(path: str, caption: str) -> str:
    name = html.escape(Path(path).name)
    uri = thumbnail_uri(path) if Path(path).suffix.lower() in _PICTURE_SUFFIXES else None
    if uri:
        body = f'<img src="{uri}" alt="{name}">'
    else:
        body = f'<audio controls preload="none" src="{html.escape(Path(path).resolve().as_uri())}"></audio>'
    return f'<figure>{body}<figcaption>{name}<br>{html.escape(caption)}</figcaption></figure>'


def _query_items(query) -> list[str]:
    if isinstance(query, dict):
        return [_item(str(clip), f"rated {rating:g}") for clip, rating in query.items()]
    if isinstance(query, (str, Path)) and Path(query).suffix.lower() in (".csv", ".tsv"):
        from affectzoo.models.mozart.ranking import read_ratings

        clips, ratings = read_ratings(query)
        return [_item(clip, f"rated {rating:g}") for clip, rating in zip(clips, ratings)]
    queries = query if isinstance(query, (list, tuple)) else [query]
    return [_item(str(item), "query") for item in queries]


def write_recommendation_page(path, query, recommendations, model: str) -> Path:
    """Write the page for ``recommendations`` (``(item, score)`` pairs, best first) of ``query``."""
    found = [_item(item, f"#{rank}  score {score:.4f}") for rank, (item, score) in enumerate(recommendations, start=1)]
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>affectzoo recommendations ({html.escape(model)})</title>
<style>body{{font-family:sans-serif;margin:2em}} .grid{{display:flex;flex-wrap:wrap;gap:1em}}
figure{{margin:0;width:{THUMBNAIL}px}} img{{max-width:{THUMBNAIL}px;max-height:{THUMBNAIL}px}}
figcaption{{font-size:.8em;word-break:break-all}} audio{{width:{THUMBNAIL}px}}</style></head>
<body><h1>Recommendations by {html.escape(model)}</h1>
<h2>Query</h2><div class="grid">{''.join(_query_items(query))}</div>
<h2>Recommended</h2><div class="grid">{''.join(found)}</div>
</body></html>
"""
    return atomic_write_text(path, page)
