"""Mozart, Haydn, Salieri (Yilma & Leiva, "Affect-aware Cross-Domain Recommendation for Art Therapy
via Music Preference Elicitation", RecSys 2025): paintings recommended from a user's music ratings.

Built so far: the networks (``torch_model``), the affect-contrastive loss
(:mod:`affectzoo.losses.affect_contrastive`) and the rating weights of the ranking (``ranking``).
"""
