"""The registered EMI-Adapter architectures: one per scorer, all :class:`EMIAdapter` (``kind`` differs)."""

from __future__ import annotations

from affectzoo._registry import register_model
from affectzoo.models.emi_adapter.lightning_model import PAPER, EMIAdapter

_OUTPUT = {"paper": PAPER, "output_names": ["match"], "output_range": [0.0, 1.0]}
_DATA = ("trained on IMEMNet matching pairs (score >= 0.5) as implicit feedback, music clips as users and images "
         "as items")


@register_model(family="emi_ncf", cfgs={"imemnet": {
    "description": f"EMI-Adapter NCF (NeuMF: GMF and MLP towers, song-level factors): images for music; {_DATA}",
    **_OUTPUT}})
def emi_ncf(**kwargs) -> EMIAdapter:
    return EMIAdapter(**{"kind": "ncf", **kwargs})


@register_model(family="emi_bmf", cfgs={"imemnet": {
    "description": f"EMI-Adapter BMF (biases plus dot product, song-level factors): images for music; {_DATA}",
    **_OUTPUT}})
def emi_bmf(**kwargs) -> EMIAdapter:
    return EMIAdapter(**{"kind": "bmf", **kwargs})


@register_model(family="emi_svdpp", cfgs={"imemnet": {
    "description": f"EMI-Adapter SVD++ (implicit feedback of the song's other clips): images for music; {_DATA}",
    **_OUTPUT}})
def emi_svdpp(**kwargs) -> EMIAdapter:
    return EMIAdapter(**{"kind": "svdpp", **kwargs})


@register_model(family="emi_content", cfgs={"imemnet": {
    "description": "EMI-Adapter content variant: music and image factors from V/A by small MLPs, so new music "
                   f"and images are served (cold start); {_DATA}",
    **_OUTPUT}})
def emi_content(**kwargs) -> EMIAdapter:
    return EMIAdapter(**{"kind": "content", **kwargs})
