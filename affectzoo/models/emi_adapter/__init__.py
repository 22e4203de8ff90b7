"""EMI-Adapter and the EMID construction pipeline (Zou et al., "EMID: An Emotional Aligned Dataset in
Audio-Visual Modality").

Files: ``embedders.py`` (joint music/image embedders: Mozart, an embedding file, ImageBind) and
``pairing.py`` (section 3.1: semantic top-K candidates re-ranked by valence/arousal agreement, written
in the ``EMID_data.csv`` layout); ``torch_model.py`` (NCF, BMF, SVD++ and the content adapter),
``lightning_model.py`` (:class:`EMIAdapter`: training on interactions, HR@10 / NDCG@10),
``inference.py`` (the ``recommender`` API), ``cfgs.py`` (``emi_ncf``, ``emi_bmf``, ``emi_svdpp``,
``emi_content``).
"""

from affectzoo.models.emi_adapter.lightning_model import KINDS, PAPER, EMIAdapter

__all__ = ["KINDS", "PAPER", "EMIAdapter"]
