"""``affectzoo index`` and ``affectzoo recommend``: the recommender task.

``index`` turns a collection (a folder, files, or a table of paths) into a catalogue file once;
``recommend`` answers a query against it: an image (ImageMusic recommends music for it) or rated
music (``clip.ogg=5 other.ogg=2``, for recommenders that learn from a user's ratings). A catalogue
may also be given as a folder, which is then indexed on the fly.
"""

from __future__ import annotations

import sys

TASK = "recommender"


def register(commands) -> dict:
    from affectzoo.cli._common import add_model_option, add_on_error_option

    p = commands.add_parser("index", help="index a collection into a catalogue file (recommender task)")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="folders, files, or a .csv/.tsv table of paths")
    p.add_argument("--out", required=True, metavar="CATALOG.safetensors", help="where to write the catalogue")
    add_descriptions_option(p)
    add_model_option(p, TASK)
    add_on_error_option(p)

    p = commands.add_parser("recommend", help="recommend catalogue items for a query (recommender task)")
    p.add_argument("query", nargs="*", metavar="QUERY",
                   help="the query: an image file, or rated items written FILE=RATING (1-5)")
    p.add_argument("--ratings", metavar="RATINGS.csv",
                   help="rated music as a table with audio_path and rating columns (instead of FILE=RATING)")
    p.add_argument("--html", metavar="OUT.html", help="also write a page with the recommended items (thumbnails)")
    p.add_argument("--music", metavar="MUSIC",
                   help="the music to find images for (emi_* models): a music clip id the model was trained on; "
                        "emi_content also takes an audio file or V/A written VALENCE,AROUSAL")
    p.add_argument("--catalog",
                   help="a catalogue file from `affectzoo index`, or a folder / table to index now (optional for "
                        "models with a catalogue of their own: emi_*)")
    p.add_argument("-k", type=int, default=10, help="how many items to return (default 10)")
    p.add_argument("--curate", action="store_true",
                   help="the user study's filter (Yilma & Leiva): only clips and paintings with valence > 0.1 and "
                        "|arousal| >= 0.1 (mozart, salieri, haydn)")
    add_descriptions_option(p)
    add_model_option(p, TASK)
    add_on_error_option(p)

    p = commands.add_parser("recommend-music", help="deprecated: `affectzoo recommend IMAGE --catalog ...`")
    p.add_argument("--image", required=True)
    p.add_argument("--catalog", required=True)
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--model", default="imagemusic")
    add_on_error_option(p)
    return {"index": run_index, "recommend": run_recommend, "recommend-music": run_recommend_music}


def add_descriptions_option(parser) -> None:
    parser.add_argument("--descriptions", metavar="TEXTS.csv",
                        help="texts of the items (a table with a path column and a description column), for models "
                             "that read them (salieri); items without one are described from their V/A")


def description_options(model, args) -> dict:
    """``{"descriptions": ...}`` when ``--descriptions`` is given and the model reads texts."""
    if not getattr(args, "descriptions", None):
        return {}
    if not getattr(model, "reads_descriptions", False):
        raise SystemExit(f"--descriptions: {args.model or 'the default model'} reads no descriptions (salieri does)")
    return {"descriptions": args.descriptions}


def curation_options(model, args) -> dict:
    """``{"curate": True}`` with ``--curate``, for models whose ``recommend`` has the filter."""
    import inspect

    if not getattr(args, "curate", False):
        return {}
    if "curate" not in inspect.signature(model.recommend).parameters:
        raise SystemExit(f"--curate: {args.model or 'the default model'} has no curation filter "
                         "(mozart, salieri and haydn do)")
    return {"curate": True}


def run_index(args) -> int:
    from affectzoo.cli._common import load_for_task

    model = load_for_task(args.model, TASK, args.precision)
    sources = args.sources[0] if len(args.sources) == 1 else args.sources
    catalogue = model.index(sources, on_error=args.on_error, **description_options(model, args))
    path = catalogue.save(args.out)
    print(f"wrote {path}: {len(catalogue)} items, {catalogue.embeddings.shape[1]}-d embeddings"
          + (f", V/A from {catalogue.va_source}" if catalogue.va is not None else ""))
    return 0


def parse_query(items: list[str]):
    """One item, several items, or ``{item: rating}`` when written ``FILE=RATING``."""
    if not any("=" in item for item in items):
        return items[0] if len(items) == 1 else items
    ratings = {}
    for item in items:
        path, sep, value = item.rpartition("=")
        try:
            ratings[path] = float(value)
        except ValueError:
            raise SystemExit(f"{item}: write rated items as FILE=RATING, e.g. clip.ogg=4") from None
        if not sep or not path:
            raise SystemExit(f"{item}: write rated items as FILE=RATING, e.g. clip.ogg=4")
    return ratings


def has_own_catalogue(model) -> bool:
    """Whether ``model.recommend`` works without a catalogue (its ``catalogue`` defaults to None)."""
    import inspect

    parameter = inspect.signature(model.recommend).parameters.get("catalogue")
    return parameter is not None and parameter.default is None


def parse_music(text: str):
    """``--music``: ``(valence, arousal)`` when written ``V,A``, else the clip id or file as given."""
    parts = text.split(",")
    if len(parts) == 2:
        try:
            return float(parts[0]), float(parts[1])
        except ValueError:
            pass
    return text


def run_recommend(args) -> int:
    from affectzoo.cli._common import load_for_task

    if args.k < 1:
        raise SystemExit(f"-k must be positive, got {args.k}")
    if sum(map(bool, (args.query, args.ratings, args.music))) != 1:
        raise SystemExit("give the query as QUERY arguments, as --ratings FILE or as --music (one of them)")
    model = load_for_task(args.model, TASK, args.precision)
    if not args.catalog and not has_own_catalogue(model):
        raise SystemExit(f"--catalog is needed: {args.model or 'the default model'} has no catalogue of its own")
    query = parse_music(args.music) if args.music else args.ratings or parse_query(args.query)
    recommendations = model.recommend(query, args.catalog, k=args.k, on_error=args.on_error,
                                      **description_options(model, args), **curation_options(model, args))
    for rank, (item, score) in enumerate(recommendations, start=1):
        print(f"{rank:>3}  {score:.4f}  {item}")
    if args.html:
        from affectzoo.cli.page import write_recommendation_page

        print(f"wrote {write_recommendation_page(args.html, query, recommendations, args.model or 'default')}")
    return 0


def run_recommend_music(args) -> int:
    print("affectzoo recommend-music is deprecated: use `affectzoo recommend IMAGE --catalog ...`", file=sys.stderr)
    args.query, args.ratings, args.html, args.music, args.precision = [args.image], None, None, None, None
    return run_recommend(args)
