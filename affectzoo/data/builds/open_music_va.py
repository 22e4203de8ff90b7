"""``open-music-va``: music with valence/arousal labels of three honest kinds.

* EMOPIA (1,078 pop-piano MIDI clips, rendered with fluidsynth): binary V/A from the Russell
  quadrant, official song-disjoint splits. Supports sign accuracy / AUC, not correlation.
* VGMIDI pieces (rendered) and the 10 DEAM/1000-Songs clips: continuous mean ratings. Support
  SRCC/PLCC/MAE/RMSE. Split 80/10/10 by piece / song.
* Emotify (real recordings): a V/A *proxy* from GEMS-9 vote shares (see the Emotify reader).
  Supports rank correlation against the proxy only. Split 80/10/10 by track.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from affectzoo.data.builds.registry import BuildResult, register_build
from affectzoo.data.builds.splits import split_counts, split_groups
from affectzoo.data.midi import render_many
from affectzoo.data.readers import read_1000songs, read_emopia, read_emotify, read_vgmidi_pieces

RENDER_RATE = 22050
COLUMNS = ["id", "source", "audio_path", "midi_path", "valence", "arousal", "label_type", "group", "split",
           "supports"]
SUPPORTS = {
    "binary": "sign accuracy / AUC of valence and arousal (quadrant); no correlation",
    "continuous": "SRCC, PLCC, MAE, RMSE",
    "proxy": "rank correlation against the GEMS-derived proxy only (not a rating)",
}


def music_items(root: Path, seed: int) -> tuple[pd.DataFrame, list[str]]:
    emopia = read_emopia(root / "emopia")
    emopia = emopia[emopia["split"] != "none"].assign(
        id="emopia:" + emopia["id"], source="emopia", label_type="binary", group=emopia["song_id"])
    vgmidi = read_vgmidi_pieces(root / "vgmidi")
    vgmidi = vgmidi.assign(id="vgmidi:" + vgmidi["id"], source="vgmidi", label_type="continuous",
                           group=vgmidi["piece_id"])
    vgmidi = vgmidi[[Path(p).is_file() for p in vgmidi["midi_path"]]]
    vgmidi = vgmidi.assign(split=split_groups(vgmidi["group"].tolist(), seed=seed))
    deam = read_1000songs(root / "deam" / "1000songs_annotations", audio_dir=root / "deam" / "audio_1000songs")
    deam = deam[[Path(p).is_file() for p in deam["audio_path"]]]
    deam = deam.assign(id="deam:" + deam["id"], source="deam", label_type="continuous", group=deam["id"],
                       midi_path="")
    deam = deam.assign(split=split_groups(deam["group"].tolist(), seed=seed))
    emotify = read_emotify(root / "emotify")
    emotify = emotify.assign(id="emotify:" + emotify["id"], source="emotify", label_type="proxy",
                             group=emotify["id"], valence=emotify["valence_proxy"],
                             arousal=emotify["arousal_proxy"], midi_path="")
    emotify = emotify[[Path(p).is_file() for p in emotify["audio_path"]]]
    emotify = emotify.assign(split=split_groups(emotify["group"].tolist(), seed=seed))

    midi = pd.concat([emopia, vgmidi], ignore_index=True)
    audio, failures = render_many(midi["midi_path"].tolist(), RENDER_RATE)
    midi = midi.assign(audio_path=audio).dropna(subset=["audio_path"])
    items = pd.concat([midi, deam, emotify], ignore_index=True)
    items = items.assign(supports=items["label_type"].map(SUPPORTS))
    return items.sort_values("id", kind="stable", ignore_index=True)[COLUMNS], failures


@register_build("open-music-va", version=1,
                description="Music with valence/arousal: EMOPIA (binary), VGMIDI + DEAM clips (continuous), "
                            "Emotify (GEMS proxy)")
def build_open_music_va(root: Path, seed: int) -> BuildResult:
    items, failures = music_items(root, seed)
    counts = split_counts(items)
    return BuildResult(
        tables={"items": items},
        counts=counts,
        label_sources={
            "emopia": "Russell quadrant per clip (4 annotators) -> valence/arousal = +1/-1 (binary); official "
                      "song-disjoint splits (clips outside the split files left out)",
            "vgmidi": "continuous mean V/A per piece over ~30 annotators (vgmidi_piece_va_from_raw.csv), in [-1, 1]",
            "deam": "1000-Songs static means (mean_valence / mean_arousal as named there, 1-9) -> (x-5)/4; "
                    "the 10 clips with audio",
            "emotify": "V/A proxy from GEMS-9 vote shares (Trost et al. 2012; Zentner et al. 2008): a proxy, "
                       "not a rating",
            "metrics": "; ".join(f"{k}: {v}" for k, v in SUPPORTS.items()),
        },
        licences={"emopia": "CC BY-NC-SA 4.0, research only", "vgmidi": "no licence; cite Ferreira & Whitehead 2019",
                  "deam": "non-commercial CC (as quoted); audio from Free Music Archive",
                  "emotify": "cite Aljanaki et al. 2016; Magnatune audio, licence not stated"},
        notes=[f"MIDI rendered with fluidsynth + FluidR3 GM at {RENDER_RATE} Hz, gain 0.5 (quiet: normalise "
               "before features); renders live in the feature cache"] + [f"render failed: {f}" for f in failures],
    )
