"""Samplers for distributed evaluation.

``torch``'s ``DistributedSampler`` pads the dataset with repeated items so every process gets the
same count; for evaluation that counts some items twice and changes the metric. This sampler
shards without padding (process ``r`` takes items ``r, r+W, r+2W, ...``), so metrics synced across
processes see every item exactly once. It subclasses ``DistributedSampler`` so Lightning leaves it
in place instead of swapping in a padding one.
"""

from __future__ import annotations

from torch.utils.data import DistributedSampler


class UnpaddedDistributedSampler(DistributedSampler):
    """Each item once across all processes, in order; shard sizes may differ by one."""

    def __init__(self, dataset, num_replicas: int, rank: int) -> None:
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=False, drop_last=False)

    def __iter__(self):
        return iter(range(self.rank, len(self.dataset), self.num_replicas))

    def __len__(self) -> int:
        return len(range(self.rank, len(self.dataset), self.num_replicas))
