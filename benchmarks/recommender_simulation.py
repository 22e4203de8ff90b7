"""Offline proxy of Yilma & Leiva's user study: simulated users, held-out items, four engines side by side.

The paper reports a user study only; this is a seeded simulation on items no engine was trained
on, a proxy and not the study. The catalogue is the ``test`` split of the labelled pictures
(OASIS photos, BASS shapes; stand-ins for paintings), the songs the ``test`` split of the music
with a V/A position (VGMIDI, DEAM, Emotify; EMOPIA's quadrant signs are left out). Each simulated
user has a hidden taste point ``t`` in the V/A plane (uniform in [-1, 1]^2) and rates 11 songs drawn
from the pool: ``rating = clip(round(5 - 2 * |va - t|), 1, 5)`` on the songs' labelled V/A. The
Visual baseline, which learns from rated paintings, gets 11 pictures rated the same way (from
the catalogue; they are not recommended back).

Engines: ``mozart`` and ``salieri`` (the shipped or given checkpoints; Salieri's items described by
its V/A-word template, no user texts), ``haydn`` (the zoo's V/A predictor),
``visual`` (EfficientNet-Lite2 cosine), ``random`` (a floor). Per engine, over the users' top-k:

* ``affective_distance``: V/A distance (labels) of each recommended picture to the
  rating-weighted V/A of the user's songs (labels), mean; lower is more affectively consistent;
* ``taste_distance``: the same to the hidden taste point;
* ``valence_tracking`` / ``arousal_tracking``: Spearman correlation, over users, of the
  rating-weighted song valence (arousal) with the mean labelled valence (arousal) of the user's
  recommended pictures: scale-free (the two modalities' labels come from different studies, so
  their absolute V/A need not agree; whether the lists move with the music does not depend on that);
* ``intra_list_diversity``: mean pairwise V/A distance (labels) within a list;
* ``coverage``: share of the catalogue recommended to at least one user;
* between engines: ``jaccard@k`` and truncated rank-biased overlap (``p = 0.9``) of their lists;
* ``oracle``: the k pictures whose labelled V/A is nearest the user's rating-weighted song V/A (a
  ceiling for ``affective_distance``, not an engine).

The energy check (``energetic`` / ``calm`` rows): one user who rates the 5 most arousing songs of
the pool (labels) 5, another the 5 calmest; the mean labelled arousal of each music engine's top-k
pictures for each, beside the catalogue's mean. Energetic music should go to arousing pictures.

    python benchmarks/recommender_simulation.py --users 200 -k 10 --json benchmarks/results/recommender_simulation.json
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr
from tqdm.auto import tqdm

from affectzoo.leaderboard.recommender_simulation import RATED, held_out_items, rate
from results_csv import append_rows

def rbo(a: list, b: list, p: float = 0.9) -> float:
    """Truncated rank-biased overlap of two ranked lists (Webber et al. 2010), normalised to 1 for equal lists."""
    depth = min(len(a), len(b))
    weights = [(1 - p) * p ** (d - 1) for d in range(1, depth + 1)]
    overlap = [len(set(a[:d]) & set(b[:d])) / d for d in range(1, depth + 1)]
    return float(np.dot(weights, overlap) / sum(weights))


MUSIC_ENGINES = ("mozart", "salieri", "haydn")


def energy_check(run: dict, songs, va_of: dict, k: int) -> dict:
    """Mean labelled arousal of the top-k pictures for an energetic and a calm listener, per music engine."""
    order = songs["arousal"].to_numpy(float).argsort()
    users = {"calm": songs["audio_path"].iloc[order[:5]], "energetic": songs["audio_path"].iloc[order[-5:]]}
    out = {"catalogue mean arousal": round(float(np.mean([va[1] for va in va_of.values()])), 4)}
    for listener, clips in users.items():
        for name in MUSIC_ENGINES:
            found = run[name]({"songs": dict.fromkeys(clips, 5.0), "pictures": {}})
            out[f"{name}: {listener} listener's pictures, mean arousal"] = round(float(np.mean([va_of[p][1] for p in found])), 4)
        out[f"{listener} songs' mean arousal"] = round(float(songs.set_index("audio_path").loc[list(clips), "arousal"].mean()), 4)
    return out


def engines(args, pictures) -> dict:
    """Each engine as ``recommend(user) -> list of picture paths`` (catalogues indexed once)."""
    import affectzoo
    from affectzoo.models.mozart import Haydn, Visual

    paths = pictures["image_path"].tolist()
    mozart = affectzoo.load(args.mozart)
    salieri = affectzoo.load(args.salieri)
    salieri.use_va_predictor(mozart.va_predictor)
    haydn = Haydn(mozart.va_predictor)
    visual = Visual()
    music = {"mozart": mozart, "salieri": salieri, "haydn": haydn}
    catalogues = {name: engine.index(paths) for name, engine in music.items()}
    catalogues["visual"] = visual.index(paths)
    rng = np.random.default_rng(args.seed + 1)

    def by_music(name):
        return lambda user: [r.item for r in music[name].recommend(user["songs"], catalogues[name], k=args.k)]

    return {
        **{name: by_music(name) for name in MUSIC_ENGINES},
        "visual": lambda user: [r.item for r in visual.recommend(user["pictures"], catalogues["visual"], k=args.k)],
        "random": lambda user: [paths[i] for i in rng.choice(
            [i for i, p in enumerate(paths) if p not in user["pictures"]], args.k, replace=False)],
    }


def simulate(args) -> dict:
    pictures, songs = held_out_items(args.root)
    picture_va = pictures[["valence", "arousal"]].to_numpy(float)
    song_va = songs[["valence", "arousal"]].to_numpy(float)
    va_of = dict(zip(pictures["image_path"], map(tuple, picture_va)))
    run = engines(args, pictures)
    rng = np.random.default_rng(args.seed)
    run["oracle"] = None  # filled per user below: the labelled nearest pictures
    lists = {name: [] for name in run}
    scores = {name: {"affective_distance": [], "taste_distance": [], "intra_list_diversity": []} for name in run}
    targets, means = [], {name: [] for name in run}
    for _ in tqdm(range(args.users), desc="simulated users"):
        taste = rng.uniform(-1, 1, 2)
        chosen = rng.choice(len(songs), RATED, replace=False)
        ratings = rate(song_va[chosen], taste)
        shown = rng.choice(len(pictures), RATED, replace=False)
        user = {"songs": dict(zip(songs["audio_path"].iloc[chosen], ratings)),
                "pictures": dict(zip(pictures["image_path"].iloc[shown], rate(picture_va[shown], taste)))}
        target = (ratings / ratings.sum()) @ song_va[chosen]
        targets.append(target)
        nearest = np.argsort(np.linalg.norm(picture_va - target, axis=1))[:args.k]
        for name, recommend in run.items():
            found = [pictures["image_path"].iloc[i] for i in nearest] if recommend is None else recommend(user)
            va = np.array([va_of[p] for p in found])
            lists[name].append(found)
            means[name].append(va.mean(0))
            scores[name]["affective_distance"].append(np.linalg.norm(va - target, axis=1).mean())
            scores[name]["taste_distance"].append(np.linalg.norm(va - taste, axis=1).mean())
            pairwise = np.linalg.norm(va[:, None] - va[None], axis=-1)
            scores[name]["intra_list_diversity"].append(pairwise[np.triu_indices(len(va), 1)].mean())
    result = {name: {metric: round(float(np.mean(values)), 4) for metric, values in per.items()}
              for name, per in scores.items()}
    for name in run:
        for axis, label in enumerate(("valence", "arousal")):
            tracking = spearmanr(np.array(targets)[:, axis], np.array(means[name])[:, axis]).statistic
            result[name][f"{label}_tracking"] = round(float(tracking), 4)
        result[name]["coverage"] = round(len(set(itertools.chain.from_iterable(lists[name]))) / len(pictures), 4)
    for a, b in itertools.combinations(run, 2):
        jaccard = [len(set(x) & set(y)) / len(set(x) | set(y)) for x, y in zip(lists[a], lists[b])]
        result[f"{a} vs {b}"] = {f"jaccard@{args.k}": round(float(np.mean(jaccard)), 4),
                                 "rbo": round(float(np.mean([rbo(x, y) for x, y in zip(lists[a], lists[b])])), 4)}
    result["energy check"] = energy_check(run, songs, va_of, args.k)
    result["setup"] = {"users": args.users, "k": args.k, "seed": args.seed, "catalogue": len(pictures),
                       "song_pool": len(songs), "rated_per_user": RATED, "mozart": args.mozart,
                       "salieri": args.salieri}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="../shared/data")
    parser.add_argument("--mozart", default="mozart", help="Mozart weights to load (name or folder)")
    parser.add_argument("--salieri", default="salieri", help="Salieri weights to load (name, folder or .ckpt)")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the figures as a metrics JSON (model cards read it)")
    args = parser.parse_args()
    result = simulate(args)
    print(json.dumps(result, indent=1))
    rows = [{"measurement": f"{name} {metric}", "value": value, "n": args.users}
            for name, metrics in result.items() if name != "setup" for metric, value in metrics.items()]
    append_rows("recommender_simulation", rows)
    if args.json:
        from affectzoo._io import atomic_write_text

        command = f"python benchmarks/recommender_simulation.py --users {args.users} -k {args.k} --seed {args.seed}"
        command += "".join(f" --{name} {value}" for name, value in (("mozart", args.mozart), ("salieri", args.salieri))
                           if value != name)
        cards = {f"simulation ({args.users} users, top-{args.k}): {name}": {"metrics": metrics, "command": command}
                 for name, metrics in result.items() if name != "setup"}
        atomic_write_text(args.json, json.dumps(cards, indent=1) + "\n")


if __name__ == "__main__":
    main()
