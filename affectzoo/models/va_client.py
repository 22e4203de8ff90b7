"""``UsesVAPredictor``: a model that asks the zoo's ``va-predictor`` task for the V/A of unlabelled media.

Recommenders need the valence/arousal of a user's music and pictures that nobody labelled. They
take it from the model named by ``hparams.va_predictor`` (default ``imagemusic``), loaded on first
use in the model's own precision, or from any object with ``predict_va`` given to :meth:`use_va_predictor`; what they build
records which one (:meth:`_va_source`).
"""

from __future__ import annotations


class UsesVAPredictor:
    """Mixin for models with a ``va_predictor`` hyperparameter (see the module docstring)."""

    _va_model = None

    def use_va_predictor(self, model) -> None:
        """Take V/A from ``model`` (anything with ``predict_va``) instead of ``hparams.va_predictor``."""
        self.__dict__["_va_model"] = model  # not a submodule: its weights are not this model's

    def _va_predictor_name(self) -> str:
        """The zoo model to load when none was given: ``hparams.va_predictor``."""
        return self.hparams.va_predictor

    @property
    def va_predictor(self):
        if self._va_model is None:
            from affectzoo._factory import load

            self.use_va_predictor(load(self._va_predictor_name(), precision=getattr(self, "precision", None)))
        return self._va_model

    def _va_source(self) -> str:
        cfg = getattr(self.va_predictor, "pretrained_cfg", None)
        return (cfg.name if cfg is not None else "") or type(self.va_predictor).__name__
