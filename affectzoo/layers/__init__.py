"""Shared building blocks of the zoo's models (one module per block, e.g. ``mel``: the log-mel front-end)."""
