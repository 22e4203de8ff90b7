"""Data layer: datasets, DataModules and samplers."""

from affectzoo.data.base import ZooDataModule
from affectzoo.data.samplers import UnpaddedDistributedSampler
from affectzoo.data.synthetic import SyntheticPairs, SyntheticPairsDataModule

__all__ = ["SyntheticPairs", "SyntheticPairsDataModule", "UnpaddedDistributedSampler", "ZooDataModule"]
