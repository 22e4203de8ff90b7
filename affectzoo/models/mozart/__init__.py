"""Mozart, Haydn, Salieri (Yilma & Leiva, "Affect-aware Cross-Domain Recommendation for Art Therapy
via Music Preference Elicitation", RecSys 2025): paintings recommended from a user's music ratings.

Built so far: the networks (``torch_model``), the affect-contrastive loss
(:mod:`affectzoo.losses.affect_contrastive`), the ranking of Algorithm 2 (``ranking``: ratings,
their weights, eq. 7 over a catalogue) and the Haydn engine (``haydn``: eq. 7 on the V/A plane
of the zoo's V/A predictor). Not registered yet: ``affectzoo.load("haydn")`` comes with Mozart.
"""
