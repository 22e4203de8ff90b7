"""Leaderboard runs: every pretrained model on the open benchmarks, efficiency figures, generated docs.

:mod:`.rows` (the long-format CSV), :mod:`.datasets` (which benchmark evaluates which task),
:mod:`.runner` (``affectzoo benchmark``), :mod:`.efficiency` (``affectzoo benchmark --efficiency``)
and :mod:`.report` (``docs/leaderboard.md``, plots and the static site from the CSVs).
"""
