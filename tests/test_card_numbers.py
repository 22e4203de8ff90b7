"""Golden check: the numbers on the shipped checkpoints' cards equal the latest leaderboard rows.

The cards were written at export from each model's own evaluation command; the leaderboard
(``benchmarks/results/leaderboard/benchmark.csv``, from ``affectzoo leaderboard``) reloads every
shipped checkpoint through ``affectzoo.load`` and measures again. Where both report a metric of the
same dataset and split, they must agree, or a card (or the loading path) is wrong.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from affectzoo.leaderboard.rows import key, read_csv

ROOT = Path(__file__).resolve().parent.parent
BOARD = ROOT / "benchmarks" / "results" / "leaderboard" / "benchmark.csv"
TOLERANCE = 2e-3  # the cards round to 4-6 digits; a Lightning test and a reload may differ in float order

#: card dataset (regular expression) -> (leaderboard dataset, task, metric prefix)
CARD_DATASETS = [
    (r"open-pairs test", ("open_pairs", "pair-scorer", "")),
    (r"imemnet-interactions test \(sampled: 99 negatives\)", ("imemnet_interactions", "recommender", "")),
    (r"open-palettes test \(\d+ songs\): music2palette", ("open_palettes", "palette-generator", "")),
    (r"open-image-va test: (\w+)", ("open_image_va", "va-predictor", "{0}_")),
    (r"open-music-va test: (\w+)", ("open_music_va", "va-predictor", "{0}_")),
]


def comparisons() -> list[tuple[str, str, str, float, float]]:
    """(checkpoint, card dataset, metric, card value, leaderboard value) for every metric both report."""
    rows = read_csv(BOARD)
    board = {(r["model"], r["dataset"], r["task"], r["metric"]): r["value"] for r in rows if r["value"] is not None}
    out = []
    for config in sorted((ROOT / "checkpoints").glob("*/config.json")):
        name = config.parent.name
        metrics = json.loads(config.read_text())["pretrained_cfg"].get("metrics") or {}
        for card_dataset, values in metrics.items():
            for pattern, (dataset, task, prefix) in CARD_DATASETS:
                match = re.fullmatch(pattern, card_dataset)
                if not match:
                    continue
                for metric, value in values.items():
                    found = board.get((name, dataset, task, key(prefix.format(*match.groups()) + metric)))
                    if found is not None:
                        out.append((name, card_dataset, metric, float(value), found))
    return out


@pytest.mark.skipif(not BOARD.is_file(), reason="no leaderboard run committed yet")
def test_card_numbers_equal_the_latest_leaderboard_rows():
    compared = comparisons()
    assert len({c[0] for c in compared}) >= 8, "most shipped checkpoints should have a card metric on the leaderboard"
    wrong = [c for c in compared if abs(c[3] - c[4]) > TOLERANCE]
    assert not wrong, "card value != leaderboard value:\n" + "\n".join(map(str, wrong))
