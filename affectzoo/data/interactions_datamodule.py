"""Where the EMI-Adapter interactions come from (IMEMNet pairs, or EMID) and their DataModule.

* **IMEMNet** (``<root>/imemnet/*_matching.txt``): users are music clips ``<song>-<segment>``,
  grouped by song; items are image ids. Content V/A: the song's DEAM static labels for the music
  (``<root>/deam``), IMEMNet-C labels for the images (``<root>/imemnet``; ids listed with
  different labels take their mean).
* **EMID** (``EMID_data.csv``): every listed (clip, image) pair is an interaction (score 1); the
  group of ``106.m4a___172.mp3`` is the part before ``___``. EMID states no valence/arousal the
  reader can name, so its V/A stay unknown and only the ID adapters train on it.

Batches: training ``{"user", "group", "item"}`` (positive pairs; the model draws negatives);
evaluation ``{"user", "group", "candidates" [C], "target" [C]}``. ``test_dataloader`` gives the
warm leave-one-out queries and then the cold-start queries (dataloader 1).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from affectzoo.data.base import ZooDataModule
from affectzoo.data.interactions import DEFAULT_THRESHOLD, EvalSet, Interactions, build_interactions
from affectzoo.data.registry import register_datamodule


def imemnet_source(root: str | os.PathLike) -> tuple[pd.DataFrame, dict, dict]:
    """(pairs with ``user, group, item, score``, song V/A, image V/A) of the open data at ``root``."""
    from affectzoo.data.readers.deam import read_deam
    from affectzoo.data.readers.imemnet import read_imemnet_c_images, read_imemnet_pairs

    root = Path(root).expanduser()
    pairs = read_imemnet_pairs(root / "imemnet")
    table = pd.DataFrame({"user": pairs["music_clip_id"], "group": pairs["song_id"].astype(str),
                          "item": pairs["image_id"], "score": pairs["score"]})
    songs = read_deam(root / "deam")
    song_va = {str(s): (v, a) for s, v, a in zip(songs["song_id"], songs["valence"], songs["arousal"])}
    images = read_imemnet_c_images(root / "imemnet").groupby("id")[["valence", "arousal"]].mean()
    image_va = {i: (v, a) for i, v, a in zip(images.index, images["valence"], images["arousal"])}
    return table, song_va, image_va


def emid_source(path: str | os.PathLike) -> tuple[pd.DataFrame, dict, dict]:
    """(pairs, {}, {}) of an ``EMID_data.csv`` (see the module docstring)."""
    from affectzoo.data.readers.emid import read_emid

    rows = read_emid(path)
    table = pd.DataFrame({"user": rows["clip_id"], "group": rows["clip_id"].str.split("___").str[0],
                          "item": [Path(p).name for p in rows["image_path"]], "score": 1.0})
    return table, {}, {}


class _PairDataset(Dataset):
    def __init__(self, pairs: np.ndarray, user_group: np.ndarray) -> None:
        self.pairs, self.user_group = torch.as_tensor(pairs), torch.as_tensor(user_group)

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> dict:
        user, item = self.pairs[index]
        return {"user": user, "group": self.user_group[user], "item": item}


class _QueryDataset(Dataset):
    def __init__(self, queries: EvalSet, user_group: np.ndarray) -> None:
        self.users = torch.as_tensor(queries.users)
        self.candidates, self.target = torch.as_tensor(queries.candidates), torch.as_tensor(queries.target)
        self.user_group = torch.as_tensor(user_group)

    def __len__(self) -> int:
        return len(self.users)

    def __getitem__(self, index: int) -> dict:
        user = self.users[index]
        return {"user": user, "group": self.user_group[user], "candidates": self.candidates[index],
                "target": self.target[index], "query": index}


@register_datamodule("imemnet-interactions")
class InteractionsDataModule(ZooDataModule):
    """IMEMNet (``root``) or EMID (``emid``: the CSV) interactions, split as :mod:`affectzoo.data.interactions` says."""

    def __init__(self, root: str = "../shared/data", emid: str | None = None, threshold: float = DEFAULT_THRESHOLD,
                 negatives: int = 99, cold_fraction: float = 0.1, seed: int = 0, batch_size: int = 1024,
                 eval_batch_size: int = 256, num_workers: int = 0) -> None:
        super().__init__(batch_size, num_workers)
        self.root, self.emid, self.threshold, self.negatives = root, emid, threshold, negatives
        self.cold_fraction, self.seed, self.eval_batch_size = cold_fraction, seed, eval_batch_size
        self.data: Interactions | None = None

    def prepare(self) -> Interactions:
        """The interactions and splits (built once)."""
        if self.data is None:
            table, user_va, item_va = emid_source(self.emid) if self.emid else imemnet_source(self.root)
            self.data = build_interactions(table, user_va, item_va, self.threshold, self.negatives,
                                           self.cold_fraction if item_va else 0.0, self.seed)
        return self.data

    def setup(self, stage: str | None = None) -> None:
        self.prepare()

    def train_dataloader(self):
        return self._train_loader(_PairDataset(self.data.train, self.data.user_group))

    def _queries(self, queries: EvalSet):
        return self._eval_loader(_QueryDataset(queries, self.data.user_group), batch_size=self.eval_batch_size)

    def val_dataloader(self):
        return self._queries(self.data.val)

    def test_dataloader(self):
        loaders = [self._queries(self.data.test)]
        if len(self.data.cold):
            loaders.append(self._queries(self.data.cold))
        return loaders
