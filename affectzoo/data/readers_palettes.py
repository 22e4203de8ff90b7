"""Readers for colour palettes and colour-emotion association data, in their published formats.

* ``read_nice_palettes``: the npm package ``nice-color-palettes`` (``1000.json``: a JSON list of
  palettes, each a list of 5 ``#rrggbb`` strings; the 4.0.0 release holds 992 palettes after its
  own de-duplication).
* ``read_bcp37``: the Berkeley Color Project 37 colours (``T_BCP.csv``) with CIE xyY, CIELab and
  the mean happy / sad / angry association ratings of each colour.
* ``read_bottini_experiment4``: experiment 4 of the Bottini lab colour-emotion study ("Color-Emotion
  Associations in a Low-Dimensional Conceptual Space"): each participant picked a colour on an RGB
  wheel for each of 27 emotion words (``rawdata/4/emotion_color_association.csv``, 1,970 rows).

Each reader returns a pandas DataFrame with the columns its docstring lists and raises
``InputError`` naming the file (and the line, where there is one) for anything it cannot use.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from affectzoo.errors import InputError

_HEX = re.compile(r"#[0-9a-f]{6}")
_RGB = re.compile(r"rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)")

BCP37_COLUMNS = {
    "ColorName": "name", "ColorNumber": "number", "Happy": "happy", "Sad": "sad", "Angry": "angry",
    "CIE_x": "x", "CIE_y": "y", "CIE_Y": "Y", "L": "L", "a": "a", "b": "b", "C": "C",
}
BOTTINI_EXPERIMENT4 = Path("rawdata") / "4" / "emotion_color_association.csv"


def _existing_file(path: Path) -> Path:
    if not path.is_file():
        raise InputError(path, "file not found")
    return path


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(_existing_file(path), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InputError(path, f"not a readable CSV file ({error})") from error
    if frame.empty:
        raise InputError(path, "the CSV file has no data rows")
    return frame


def read_nice_palettes(path: str | Path, n_colors: int = 5) -> pd.DataFrame:
    """nice-color-palettes JSON -> one row per palette: ``palette_id`` (its index in the file) and
    ``hex_0`` .. ``hex_{n-1}`` (lower-case ``#rrggbb``, in the palette's order).

    Every palette must have exactly ``n_colors`` colours (the package itself drops shorter ones).
    """
    path = _existing_file(Path(path))
    try:
        palettes = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(path, f"not valid JSON ({error})") from error
    if not isinstance(palettes, list) or not palettes:
        raise InputError(path, "expected a non-empty JSON list of palettes")
    rows = []
    for index, palette in enumerate(palettes):
        if not isinstance(palette, list) or len(palette) != n_colors:
            raise InputError(path, f"palette {index} is not a list of {n_colors} colours: {palette!r}")
        colors = [color.lower() if isinstance(color, str) else color for color in palette]
        bad = [color for color in colors if not (isinstance(color, str) and _HEX.fullmatch(color))]
        if bad:
            raise InputError(path, f"palette {index} has colours that are not '#rrggbb': {bad!r}")
        rows.append([index, *colors])
    return pd.DataFrame(rows, columns=["palette_id", *(f"hex_{i}" for i in range(n_colors))])


def read_bcp37(path: str | Path) -> pd.DataFrame:
    """BCP-37 ``T_BCP.csv`` -> columns ``name, number, happy, sad, angry, x, y, Y, L, a, b, C``.

    ``happy, sad, angry`` are the file's mean association ratings, kept on their published scale
    (roughly -100 .. 100; higher = more associated). ``x, y, Y`` are the measured CIE xyY and
    ``L, a, b, C`` the file's CIELab/chroma, relative to the study's display white (Y = 116).
    """
    path = Path(path)
    frame = _read_csv(path)
    missing = [column for column in BCP37_COLUMNS if column not in frame.columns]
    if missing:
        raise InputError(path, f"missing column(s) {missing}; expected the T_BCP.csv columns {list(BCP37_COLUMNS)}")
    frame = frame[list(BCP37_COLUMNS)].rename(columns=BCP37_COLUMNS)
    frame["name"] = frame["name"].str.strip()
    if (frame["name"] == "").any() or frame["name"].duplicated().any():
        raise InputError(path, "colour names (ColorName) must be present and unique")
    for column in [name for name in frame.columns if name != "name"]:
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.isna().any():
            line = int(values.isna().to_numpy().nonzero()[0][0]) + 2
            raise InputError(path, f"line {line}: column {column!r} is not a number")
        frame[column] = values
    frame["number"] = frame["number"].astype("int64")
    return frame


def read_bottini_experiment4(path: str | Path) -> pd.DataFrame:
    """Bottini experiment 4 picks -> columns ``subject, emotion, r, g, b, hex``.

    ``path`` is the CSV file or the dataset folder holding ``rawdata/4/emotion_color_association.csv``.
    ``emotion`` is the word in lower case; ``r, g, b`` the picked 8-bit sRGB colour. A few ``Color``
    cells carry an experiment-platform note beside the pick (e.g. "A loading delay of more than 10s
    was detected."); the single ``rgb(...)`` in the cell is taken and the note dropped.
    """
    path = Path(path)
    if path.is_dir():
        path = path / BOTTINI_EXPERIMENT4
    frame = _read_csv(path)
    missing = [column for column in ("Subject ID", "Emotion", "Color") if column not in frame.columns]
    if missing:
        raise InputError(path, f"missing column(s) {missing}; expected 'Subject ID', 'Emotion', 'Color'")
    rows = []
    for index, (subject, emotion, color) in enumerate(frame[["Subject ID", "Emotion", "Color"]].itertuples(
            index=False)):
        line = index + 2
        try:
            subject_id = int(float(subject))
        except ValueError:
            raise InputError(path, f"line {line}: 'Subject ID' {subject!r} is not a number") from None
        if not emotion.strip():
            raise InputError(path, f"line {line}: empty 'Emotion'")
        picks = _RGB.findall(color)
        if len(picks) != 1:
            raise InputError(path, f"line {line}: 'Color' must hold exactly one rgb(r, g, b), got {color!r}")
        rgb = [int(channel) for channel in picks[0]]
        if max(rgb) > 255:
            raise InputError(path, f"line {line}: rgb channel above 255 in {color!r}")
        rows.append([subject_id, emotion.strip().lower(), *rgb, "#{:02x}{:02x}{:02x}".format(*rgb)])
    return pd.DataFrame(rows, columns=["subject", "emotion", "r", "g", "b", "hex"])


__all__ = ["read_bcp37", "read_bottini_experiment4", "read_nice_palettes"]
