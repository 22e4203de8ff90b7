"""Mozart, Haydn, Salieri (Yilma & Leiva, "Affect-aware Cross-Domain Recommendation for Art Therapy
via Music Preference Elicitation", RecSys 2025): paintings recommended from a user's music ratings.

Files: ``torch_model.py`` (autoencoder, min-max scaling, projection head), ``lightning_model.py``
(:class:`Mozart`: training in two stages, the affect-contrastive loss, metrics), ``inference.py``
(the ``recommender`` API), ``ranking.py`` (ratings, their weights, eq. 7 over a catalogue),
``haydn.py`` (:class:`Haydn`: eq. 7 on the V/A plane of the zoo's V/A predictor), ``visual.py``
(:class:`Visual`: paintings like the rated paintings), ``salieri.py`` (:class:`Salieri`: Mozart on
features plus sentence embeddings of descriptions, ``descriptions.py``), ``cfgs.py``.
"""

from affectzoo.models.mozart.haydn import Haydn
from affectzoo.models.mozart.lightning_model import PAPER, Mozart
from affectzoo.models.mozart.salieri import Salieri
from affectzoo.models.mozart.visual import Visual

__all__ = ["PAPER", "Haydn", "Mozart", "Salieri", "Visual"]
