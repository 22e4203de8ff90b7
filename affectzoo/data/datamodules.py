"""Registered DataModules: one per open benchmark build and one per published dataset format.

All take the model's preprocessing from the model they feed, so transforms never come from user
code: ``affectzoo fit`` attaches the recipe's model (:meth:`TableDataModule.attach_model`), which
also lends its frozen encoders for cached features; used on their own they take ``model`` (a
registered name whose cfg supplies the preprocessing, read without building anything) or
``preprocess`` (a dict like a PretrainedCfg's). A DataModule never builds a model.
Evaluation loaders shard without padding under DDP (``ZooDataModule``); batches are collated
with :func:`collate_padded`.

Use from a recipe by class path::

    data:
      class_path: affectzoo.data.datamodules.OpenPairsDataModule
      init_args: {batch_size: 16, image_tokens: true}
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd

import torch

from affectzoo.affect.color import hex_to_lab
from affectzoo.data.base import ZooDataModule
from affectzoo.data.builds import build, load_build
from affectzoo.data.builds.splits import SPLITS, by_split, split_groups
from affectzoo.data.collate import collate_padded
from affectzoo.data.datasets import MediaLoader, PairsWithPreferences, TableDataset, WithTargets
from affectzoo.data.readers import (read_1000songs, read_bass, read_deam, read_emopia, read_emotify,
                                    read_imemnet_c_images, read_mpd_pairs, read_mpd_preferences, read_oasis,
                                    read_pmemo, read_vgmidi_pieces)
from affectzoo.data.registry import register_datamodule


def resolve_preprocess(preprocess: dict | None, model: str | None) -> dict:
    """The preprocessing dict: given directly, or the registered model's ``pretrained_cfg.preprocess``."""
    if preprocess is not None:
        return dict(preprocess)
    if model is not None:
        from affectzoo import get_pretrained_cfg

        return dict(get_pretrained_cfg(model).preprocess)
    return {}


def with_rendered_audio(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with ``audio_path`` = the cached fluidsynth rendering of each ``midi_path``.

    Rows whose MIDI cannot be rendered are dropped (a warning lists them); nothing else is lost.
    """
    import warnings

    from affectzoo.data.midi import render_many

    audio, failures = render_many(table["midi_path"].tolist())
    if failures:
        warnings.warn(f"left out {len(failures)} MIDI files that did not render: " + "; ".join(failures[:5]))
    return table.assign(audio_path=audio).dropna(subset=["audio_path"])


class TableDataModule(ZooDataModule):
    """Base: subclasses provide ``split_tables()`` -> {split: table}; media and labels are class attributes."""

    media: tuple[str, ...] = ("image",)
    labels: tuple[str, ...] = ("valence", "arousal")

    def __init__(self, preprocess: dict | None = None, model: str | None = None, batch_size: int = 32,
                 num_workers: int = 0, image_tokens: bool = False, music_features: bool = False,
                 prior_va: bool = False) -> None:
        """``image_tokens=True`` feeds the model's frozen image encoder's cached features instead of
        pixels, ``music_features=True`` its frozen music encoder's instead of audio, ``prior_va=True``
        adds its frozen V/A prior's V/A of each file (``image_prior_va``, ``music_prior_va``); all
        need the model attached (:meth:`attach_model`)."""
        super().__init__(batch_size=batch_size, num_workers=num_workers)
        self.explicit_preprocess = preprocess is not None
        self.preprocess = resolve_preprocess(preprocess, model)
        self.use_image_tokens, self.use_music_features = image_tokens, music_features
        self.use_prior_va = prior_va
        self.encoders: dict = {}

    def attach_model(self, model) -> None:
        """Feed ``model``: take its preprocessing (unless ``preprocess`` was given) and its frozen
        encoders (for ``image_tokens`` / ``music_features``). ``affectzoo fit`` calls this."""
        if not self.explicit_preprocess:
            self.preprocess = dict(model.preprocess)
        self.encoders = dict(model.frozen_encoders())

    def split_tables(self) -> dict[str, pd.DataFrame]:
        raise NotImplementedError

    def _feature_hooks(self) -> dict:
        """The frozen encoders' cached-feature functions the loader should use instead of decoding media."""
        hooks = {}
        for wanted, kind, hook in ((self.use_image_tokens, "image", "image_tokens"),
                                   (self.use_music_features, "audio", "music_features"),
                                   (self.use_prior_va, "va", "prior_va")):
            if not wanted:
                continue
            if kind not in self.encoders:
                what = "V/A prior (prior_model)" if kind == "va" else f"{kind} encoder"
                raise ValueError(f"{hook}=True needs a model with a frozen {what} attached: call "
                                 "datamodule.attach_model(model) (affectzoo fit does it for recipes)")
            hooks[hook] = self.encoders[kind] if kind == "va" else self.encoders[kind].cached
        return hooks

    def setup(self, stage: str | None = None) -> None:
        tables, hooks = self.split_tables(), self._feature_hooks()
        if "prior_va" in hooks:  # predict every file's V/A in batches now, not one by one in the loader
            every = pd.concat(tables.values())
            for column, kind in (("image_path", "image"), ("audio_path", "audio")):
                if column in every:
                    hooks["prior_va"].of(sorted(set(every[column])), kind)
        self.datasets = {split: TableDataset(table, MediaLoader(self.preprocess, split == "train", **hooks),
                                             self.labels, self.media) for split, table in tables.items()}

    def train_dataloader(self):
        return self._train_loader(self.datasets["train"], collate_padded)

    def val_dataloader(self):
        return self._eval_loader(self.datasets["val"], collate_padded)

    def test_dataloader(self):
        return self._eval_loader(self.datasets["test"], collate_padded)

    def predict_dataloader(self):
        return self._eval_loader(self.datasets["test"], collate_padded)


class BuildDataModule(TableDataModule):
    """A table of an open benchmark build, split by its ``split`` column (built on first use)."""

    build_name: str = ""
    table: str = "items"

    def __init__(self, root: str = "../shared/data", seed: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.root, self.seed = root, seed

    def builds_needed(self) -> tuple[str, ...]:
        return (self.build_name,)

    def prepare_data(self) -> None:
        for name in self.builds_needed():
            build(name, self.root, self.seed)  # returns at once when already built

    def filter(self, table: pd.DataFrame) -> pd.DataFrame:
        return table

    def split_tables(self) -> dict[str, pd.DataFrame]:
        return by_split(self.filter(load_build(self.build_name, self.seed)[self.table]))


@register_datamodule("open-image-va")
class OpenImageVADataModule(BuildDataModule):
    """Images with valence/arousal (OASIS + BASS); ``sources`` narrows to some of them."""

    build_name = "open-image-va"

    def __init__(self, sources: list[str] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sources = sources

    def filter(self, table):
        return table if self.sources is None else table[table["source"].isin(self.sources)]


@register_datamodule("open-music-va")
class OpenMusicVADataModule(BuildDataModule):
    """Music with valence/arousal; ``label_types`` picks binary / continuous / proxy labels."""

    build_name = "open-music-va"
    media = ("audio",)

    def __init__(self, label_types: list[str] | None = None, sources: list[str] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.label_types, self.sources = label_types, sources

    def filter(self, table):
        if self.label_types is not None:
            table = table[table["label_type"].isin(self.label_types)]
        return table if self.sources is None else table[table["source"].isin(self.sources)]


@register_datamodule("open-pairs")
class OpenPairsDataModule(BuildDataModule):
    """Scored music-image pairs (``image``, ``audio``/``mel``, ``score``), each with a preference
    sample under ``pref`` unless ``preferences=False`` (see ``PairsWithPreferences``)."""

    build_name, table = "open-pairs", "pairs"
    media = ("image", "audio")
    ITEM_VA = ("image_valence", "image_arousal", "music_valence", "music_arousal")

    def __init__(self, preferences: bool = True, item_va: bool = False, **kwargs) -> None:
        """``item_va=True`` adds each side's own ratings (from open-image-va / open-music-va, in
        [-1, 1]) as ``image_valence``, ``image_arousal``, ``music_valence``, ``music_arousal``:
        the four targets of ImageMusic and the auxiliary targets of MPJudge's ``lambda_va``."""
        super().__init__(**kwargs)
        self.preferences, self.item_va = preferences, item_va
        self.labels = ("score", *self.ITEM_VA) if item_va else ("score",)

    def builds_needed(self) -> tuple[str, ...]:
        return (self.build_name, "open-image-va", "open-music-va") if self.item_va else (self.build_name,)

    def filter(self, table: pd.DataFrame) -> pd.DataFrame:
        if not self.item_va:
            return table
        for side, build_name in (("image", "open-image-va"), ("music", "open-music-va")):
            ratings = load_build(build_name, self.seed)["items"].set_index("id")
            for axis in ("valence", "arousal"):
                table = table.assign(**{f"{side}_{axis}": table[f"{side}_id"].map(ratings[axis])})
        return table

    def setup(self, stage: str | None = None) -> None:
        super().setup(stage)
        if self.preferences:
            prefs = load_build(self.build_name, self.seed)["preferences"]
            self.datasets = {split: PairsWithPreferences(dataset, prefs[prefs["split"] == split])
                             for split, dataset in self.datasets.items()}


@register_datamodule("open-palettes")
class OpenPalettesDataModule(BuildDataModule):
    """Music (``audio``/``mel``, ``valence``, ``arousal``) with palette targets in CIELab:
    ``palette`` [5, 3] (the best match) and ``candidates`` [K, 5, 3] (the top-K matches, best first)."""

    build_name, table = "open-palettes", "music"
    media = ("audio",)
    _color_emotion = None

    @property
    def color_emotion(self):
        """The colour-emotion model the build matched with (fitted once from BCP-37 and the Bottini
        picks under ``root``): Music2Palette's emotion-consistency loss reads palettes through it."""
        if self._color_emotion is None:
            from affectzoo.affect.color_emotion import ColorEmotionModel
            from affectzoo.data.readers_palettes import read_bcp37, read_bottini_experiment4

            root = Path(self.root)
            self._color_emotion = ColorEmotionModel.fit(read_bcp37(root / "palettes" / "bcp37" / "T_BCP.csv"),
                                                        read_bottini_experiment4(root / "color_emotion"))
        return self._color_emotion

    def setup(self, stage: str | None = None) -> None:
        super().setup(stage)
        tables = load_build(self.build_name, self.seed)
        palettes = tables["palettes"].set_index("palette_id")
        hex_columns = [c for c in palettes.columns if c.startswith("hex_")]
        lab = {pid: hex_to_lab(list(row)) for pid, row in zip(palettes.index, palettes[hex_columns].values)}
        ranked = tables["matches"].sort_values(["music_id", "rank"])
        candidates = {mid: torch.stack([lab[p] for p in group["palette_id"]]).float()
                      for mid, group in ranked.groupby("music_id")}
        self.datasets = {split: WithTargets(ds, {"candidates": candidates}) for split, ds in self.datasets.items()}


class FormatDataModule(TableDataModule):
    """A published dataset read by its reader; split by the table's ``split`` column when it has one,
    else 80/10/10 by ``group_column`` (seeded)."""

    reader: Callable[..., pd.DataFrame]
    group_column = "id"

    def __init__(self, path: str, seed: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.path, self.seed = path, seed

    def split_tables(self) -> dict[str, pd.DataFrame]:
        table = type(self).reader(self.path)
        if "split" not in table or not set(SPLITS) <= set(table["split"]):
            table = table.assign(split=split_groups(table[self.group_column].tolist(), seed=self.seed))
        return by_split(table)


@register_datamodule("oasis")
class OASISDataModule(FormatDataModule):
    reader = staticmethod(lambda path: read_oasis(path, drop_missing=True))


@register_datamodule("bass")
class BASSDataModule(FormatDataModule):
    reader = staticmethod(read_bass)


@register_datamodule("imemnet-c")
class IMEMNetCDataModule(FormatDataModule):
    reader = staticmethod(read_imemnet_c_images)


@register_datamodule("deam")
class DEAMDataModule(FormatDataModule):
    reader, media = staticmethod(read_deam), ("audio",)


@register_datamodule("1000songs")
class ThousandSongsDataModule(FormatDataModule):
    reader, media = staticmethod(read_1000songs), ("audio",)


@register_datamodule("pmemo")
class PMEmoDataModule(FormatDataModule):
    reader, media = staticmethod(read_pmemo), ("audio",)


@register_datamodule("emotify")
class EmotifyDataModule(FormatDataModule):
    """Emotify audio with its GEMS-derived V/A proxy as ``valence``/``arousal``."""

    reader, media = staticmethod(lambda path: read_emotify(path).assign(
        valence=lambda t: t["valence_proxy"], arousal=lambda t: t["arousal_proxy"])), ("audio",)


@register_datamodule("emopia")
class EMOPIADataModule(FormatDataModule):
    """EMOPIA MIDI clips rendered to audio (fluidsynth, cached), binary V/A, official splits."""

    media, group_column = ("audio",), "song_id"

    reader = staticmethod(lambda path: with_rendered_audio(read_emopia(path)))


@register_datamodule("vgmidi")
class VGMIDIDataModule(FormatDataModule):
    """VGMIDI pieces rendered to audio (cached), continuous V/A, split by piece."""

    media, group_column = ("audio",), "piece_id"

    reader = staticmethod(lambda path: with_rendered_audio(read_vgmidi_pieces(path)))


@register_datamodule("mpd")
class MPDDataModule(FormatDataModule):
    """MPD scored pairs (the MPJudge reference JSON) as ``image``, ``audio``/``mel``, ``score``.

    ``preferences``: an MPD preference JSON (layout in :mod:`affectzoo.data.readers.mpd`); its
    pairs are fed to training as ``pref`` samples (``PairsWithPreferences``), cycled so every
    scored training pair carries one. Evaluation splits get none: MPD has no split of them.
    """

    reader, media, labels = staticmethod(read_mpd_pairs), ("image", "audio"), ("score",)

    def __init__(self, path: str, preferences: str | None = None, **kwargs) -> None:
        super().__init__(path, **kwargs)
        self.preferences = preferences

    def setup(self, stage: str | None = None) -> None:
        super().setup(stage)
        if self.preferences:
            prefs = read_mpd_preferences(self.preferences).rename(columns={
                "query_path": "query_id", "chosen_path": "preferred_id", "rejected_path": "rejected_id"})
            prefs["query_modality"] = prefs["query_modality"].replace({"audio": "music"})
            self.datasets["train"] = PairsWithPreferences(self.datasets["train"], prefs, ids_are_paths=True)


# ------------------------------------------------------------------------------------ ImageMusic


def with_queries(pairs: pd.DataFrame) -> pd.DataFrame:
    """Pairs with their ranking query for MAP@K: ``query`` (a number per image, the same in every
    split) and ``relevant`` (1 for the image's ground-truth best music, ``kind == "best"``, else 0)."""
    codes = {image_id: float(code) for code, image_id in enumerate(sorted(pairs["image_id"].unique(), key=str))}
    return pairs.assign(query=pairs["image_id"].map(codes), relevant=(pairs["kind"] == "best").astype(float))


@register_datamodule("open-pairs-va")
class OpenPairsVADataModule(OpenPairsDataModule):
    """open-pairs as ImageMusic trains on it: ``score``, each side's V/A (``item_va``), the ranking
    labels ``query`` and ``relevant`` (:func:`with_queries`), and no preference samples."""

    LABELS = ("score", *OpenPairsDataModule.ITEM_VA, "query", "relevant")

    def __init__(self, **kwargs) -> None:
        super().__init__(preferences=False, item_va=True, **kwargs)
        self.labels = self.LABELS

    def filter(self, table: pd.DataFrame) -> pd.DataFrame:
        return with_queries(super().filter(table))


@register_datamodule("imuse")
class IMUSEDataModule(TableDataModule):
    """IMUSE pairs built from OASIS and a music table (``affectzoo.data.readers.imuse``), split 75 / 25
    stratified by song, with the labels of :class:`OpenPairsVADataModule`.

    The paper has no validation split: with ``val_fraction=0`` (the default) the validation loader
    serves the test split; a positive ``val_fraction`` is carved out of the test share.
    """

    media, labels = ("image", "audio"), OpenPairsVADataModule.LABELS

    def __init__(self, oasis: str, music: str, music_format: str = "table", music_scale: str = "-1..1",
                 audio_dir: str | None = None, seed: int = 0, test_fraction: float = 0.25, val_fraction: float = 0.0,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not 0 <= val_fraction <= test_fraction < 1:
            raise ValueError(f"need 0 <= val_fraction <= test_fraction < 1, got {val_fraction}, {test_fraction}")
        self.oasis, self.music, self.music_format, self.music_scale = oasis, music, music_format, music_scale
        self.audio_dir, self.seed = audio_dir, seed
        self.fractions = (1.0 - test_fraction, val_fraction, test_fraction - val_fraction)

    def split_tables(self) -> dict[str, pd.DataFrame]:
        from affectzoo.data.readers.imuse import read_imuse

        pairs = read_imuse(self.oasis, self.music, music_format=self.music_format, music_scale=self.music_scale,
                           audio_dir=self.audio_dir, seed=self.seed, fractions=self.fractions)
        tables = by_split(with_queries(pairs))
        if self.fractions[1] == 0:
            tables["val"] = tables["test"]
        return tables
