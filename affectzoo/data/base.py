"""``ZooDataModule``: the DataModule base with the zoo's loader conventions.

* Evaluation loaders shard without padding under DDP (see ``samplers``), so metrics gathered
  across processes count every item exactly once.
* Training loaders are left to Lightning, which adds its (padding) distributed sampler.
"""

from __future__ import annotations

import lightning as L
from torch.utils.data import DataLoader, Dataset

from affectzoo.data.samplers import UnpaddedDistributedSampler


class ZooDataModule(L.LightningDataModule):
    """Base DataModule: subclasses build datasets in ``setup`` and call the loader helpers."""

    def __init__(self, batch_size: int = 32, num_workers: int = 0) -> None:
        super().__init__()
        self.batch_size = batch_size
        self.num_workers = num_workers

    def _train_loader(self, dataset: Dataset, collate_fn=None) -> DataLoader:
        return DataLoader(dataset, batch_size=self.batch_size, shuffle=True, num_workers=self.num_workers,
                          collate_fn=collate_fn, persistent_workers=self.num_workers > 0)

    def _eval_loader(self, dataset: Dataset, collate_fn=None, batch_size: int | None = None) -> DataLoader:
        sampler = None
        trainer = self.trainer
        if trainer is not None and trainer.world_size > 1:
            sampler = UnpaddedDistributedSampler(dataset, num_replicas=trainer.world_size, rank=trainer.global_rank)
        return DataLoader(dataset, batch_size=batch_size or self.batch_size, shuffle=False, sampler=sampler,
                          num_workers=self.num_workers, collate_fn=collate_fn,
                          persistent_workers=self.num_workers > 0)
