"""Training losses shared by the zoo's models (preference optimisation, ...)."""

from affectzoo.losses.dpo import dpo_loss

__all__ = ["dpo_loss"]
