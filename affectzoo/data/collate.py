"""Batch collation that handles variable-length audio and mel tensors.

Tensors of equal shape are stacked; tensors whose first dimension differs (waveforms of several
durations, mel spectrograms with different frame counts) are zero-padded at the end to the longest
and their true lengths returned as ``<key>_lengths``; numbers become tensors; anything else
(ids, paths) stays a list; nested dicts are collated the same way.
"""

from __future__ import annotations

import numbers

import torch
from torch.nn.utils.rnn import pad_sequence


def collate_padded(items: list[dict]) -> dict:
    batch: dict = {}
    for key in items[0]:
        values = [item[key] for item in items]
        first = values[0]
        if isinstance(first, dict):
            batch[key] = collate_padded(values)
        elif isinstance(first, torch.Tensor):
            if all(v.shape == first.shape for v in values):
                batch[key] = torch.stack(values)
            else:
                batch[key] = pad_sequence(values, batch_first=True)
                batch[f"{key}_lengths"] = torch.tensor([v.shape[0] for v in values])
        elif isinstance(first, bool):
            batch[key] = torch.tensor(values)
        elif isinstance(first, numbers.Number):
            batch[key] = torch.tensor(values, dtype=torch.float32 if isinstance(first, float) else torch.long)
        else:
            batch[key] = values
    return batch
