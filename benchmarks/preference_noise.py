"""How learnable are the open-pairs preference pairs? Label noise from the raters' standard deviations.

Every open-pairs score is S = 1 - ||VA(image) - VA(music)|| on [0, 1] scales, computed from *mean*
ratings; a preference pair says S(query, preferred) > S(query, rejected), with both scores in the
ambiguous band 0.4-0.6 and a gap of at least 0.02. Each mean rating has a standard error
SD / sqrt(n) (OASIS: SD and n per image; BASS: the pooled US + Chinese samples; VGMIDI: the SD
between its ~30 annotators; DEAM 1000 Songs: the per-song SD, 10 raters each as the dataset
describes). This script asks, for the split's preference pairs:

1. label reliability: drawing every item's V/A from N(mean, SE^2) (what the means could be with
   another panel of the same size), how often does the recorded preference keep its direction?
   A judge that knew the true emotions perfectly would agree with the labels at about this rate.
2. the gaps: the distribution of S(preferred) - S(rejected) against the scale of the judges'
   errors: a scorer whose score error has standard deviation sigma, independent across the two
   pairs, orders a pair of gap g correctly with probability Phi(g / (sigma sqrt 2)). The expected
   preference accuracy is given for the sigma of a scorer with the test RMSE of each judge passed
   with ``--rmse`` (e.g. the shipped model's).
3. sampling: with n pairs, a judge at chance measures a preference accuracy within
   0.5 +- 1.96 sqrt(0.25 / n) 95% of the time; judges closer than that half-width are not told apart.

    python benchmarks/preference_noise.py [--split test] [--draws 2000] [--rmse 0.15 0.17]

Rows go to results/preference_noise.csv. Needs the open-pairs build and ../shared/data.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from affectzoo.data.builds import load_build
from affectzoo.data.readers import read_1000songs, read_oasis, read_vgmidi_pieces
from results_csv import append_rows

DEAM_RATERS = 10  # the 1000 Songs annotation: 10 crowd workers per song


def standard_errors(root: Path) -> pd.DataFrame:
    """Per item id (as in the open builds): V/A mean and standard error, on the [0, 1] scale of S."""
    frames = []
    oasis = read_oasis(root / "oasis", drop_missing=True)
    frames.append(pd.DataFrame({"id": "oasis:" + oasis["id"], "v": oasis["valence"], "a": oasis["arousal"],
                                "v_se": oasis["valence_sd"] / np.sqrt(oasis["valence_n"]),
                                "a_se": oasis["arousal_sd"] / np.sqrt(oasis["arousal_n"])}))
    bass = pd.read_csv(root / "bass" / "BASS_data.csv")
    for dim, name in (("val", "v"), ("aro", "a")):
        n_us, n_ch = bass[f"{dim}_n_us"], bass[f"{dim}_n_ch"]
        m_us, m_ch = bass[f"{dim}_mean_us"], bass[f"{dim}_mean_ch"]
        pooled = (m_us * n_us + m_ch * n_ch) / (n_us + n_ch)
        # variance of the pooled raters: within-sample spreads plus the spread between the two means
        variance = (n_us * (bass[f"{dim}_sd_us"] ** 2 + (m_us - pooled) ** 2)
                    + n_ch * (bass[f"{dim}_sd_ch"] ** 2 + (m_ch - pooled) ** 2)) / (n_us + n_ch)
        bass[name] = (pooled - 5) / 4
        bass[f"{name}_se"] = np.sqrt(variance / (n_us + n_ch)) / 4
    frames.append(pd.DataFrame({"id": "bass:" + bass["file_name"].str.removesuffix(".png"), "v": bass["v"],
                                "a": bass["a"], "v_se": bass["v_se"], "a_se": bass["a_se"]}))
    vgmidi = read_vgmidi_pieces(root / "vgmidi")
    frames.append(pd.DataFrame({"id": "vgmidi:" + vgmidi["id"], "v": vgmidi["valence"], "a": vgmidi["arousal"],
                                "v_se": vgmidi["valence_sd"] / np.sqrt(vgmidi["n_annotators"]),
                                "a_se": vgmidi["arousal_sd"] / np.sqrt(vgmidi["n_annotators"])}))
    deam = read_1000songs(root / "deam" / "1000songs_annotations", audio_dir=root / "deam" / "audio_1000songs")
    frames.append(pd.DataFrame({"id": "deam:" + deam["id"].astype(str), "v": deam["valence"], "a": deam["arousal"],
                                "v_se": deam["valence_std"] / np.sqrt(DEAM_RATERS),
                                "a_se": deam["arousal_std"] / np.sqrt(DEAM_RATERS)}))
    items = pd.concat(frames, ignore_index=True).drop_duplicates("id").set_index("id")
    # [-1, 1] -> [0, 1]: means move, standard errors halve
    return pd.DataFrame({"v": (items["v"] + 1) / 2, "a": (items["a"] + 1) / 2,
                         "v_se": items["v_se"] / 2, "a_se": items["a_se"] / 2})


def reliability(prefs: pd.DataFrame, items: pd.DataFrame, draws: int, seed: int = 0) -> np.ndarray:
    """Per preference pair, the share of draws (item V/A ~ N(mean, SE^2)) that keep the recorded direction."""
    rng = np.random.default_rng(seed)

    def sample(ids: pd.Series) -> np.ndarray:
        rows = items.loc[ids.to_numpy()]
        mean = rows[["v", "a"]].to_numpy()[:, None, :]
        se = rows[["v_se", "a_se"]].to_numpy()[:, None, :]
        return mean + se * rng.standard_normal((len(rows), draws, 2))

    query, preferred, rejected = sample(prefs["query_id"]), sample(prefs["preferred_id"]), sample(prefs["rejected_id"])
    gap = np.linalg.norm(query - rejected, axis=-1) - np.linalg.norm(query - preferred, axis=-1)
    return (gap > 0).mean(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=["train", "val", "test"])
    parser.add_argument("--root", type=Path, default=Path("../shared/data"))
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--rmse", type=float, nargs="*", default=[],
                        help="score RMSEs of judges, for their expected preference accuracy at these gaps")
    args = parser.parse_args()
    prefs = load_build("open-pairs")["preferences"]
    prefs = prefs[prefs["split"] == args.split].reset_index(drop=True)
    items = standard_errors(args.root)
    known = prefs[["query_id", "preferred_id", "rejected_id"]].isin(items.index).all(axis=1)
    prefs = prefs[known].reset_index(drop=True)
    kept = reliability(prefs, items, args.draws)
    gaps = (prefs["preferred_score"] - prefs["rejected_score"]).to_numpy()
    note = f"open-pairs {args.split}; {len(prefs)} preference pairs with rater SDs ({int((~known).sum())} without)"
    rows = [{"measurement": "label reliability (direction kept under rating noise) mean", "value": round(kept.mean(), 4),
             "n": len(prefs), "note": note},
            {"measurement": "label reliability share of pairs below 0.75", "value": round((kept < 0.75).mean(), 4),
             "n": len(prefs), "note": note},
            {"measurement": "preference gap median", "value": round(float(np.median(gaps)), 4), "n": len(prefs),
             "note": note},
            {"measurement": "preference gap mean", "value": round(float(gaps.mean()), 4), "n": len(prefs), "note": note},
            {"measurement": "chance-level preference accuracy 95% half-width",
             "value": round(float(1.96 * np.sqrt(0.25 / len(prefs))), 4), "n": len(prefs),
             "note": f"{note}; binomial, 1.96 sqrt(0.25 / n)"}]
    for rmse in args.rmse:
        expected = norm.cdf(gaps / (rmse * np.sqrt(2))).mean()
        rows.append({"measurement": f"expected preference accuracy of a scorer with RMSE {rmse:g}",
                     "value": round(float(expected), 4), "n": len(prefs),
                     "note": f"{note}; independent errors, Phi(gap / (rmse sqrt 2))"})
    for row in rows:
        print(f"{row['measurement']}: {row['value']}")
    append_rows("preference_noise", rows)


if __name__ == "__main__":
    main()
