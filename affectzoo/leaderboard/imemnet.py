"""IMEMNet interactions on the leaderboard: the EMI adapters' held-out interactions (the recipes' split).

The split and protocol are the recipes' (``imemnet-interactions``: score >= 0.5 as implicit
feedback, seed 0, 10% of the V/A-labelled images cold, leave-one-out per clip, each held-out image
ranked among 99 sampled negatives); the figures are the model's own Lightning test metrics
(HR@10, NDCG@10, and their cold-start variants), run through ``Trainer.test`` on one CPU process.
"""

from __future__ import annotations

from affectzoo.leaderboard.rows import Measurement, key

#: The DataModule arguments of recipes/emi_*_imemnet.yaml.
SPLIT = {"threshold": 0.5, "negatives": 99, "cold_fraction": 0.1, "seed": 0, "batch_size": 256}


def applies(cfg) -> list[str]:
    return ["recommender"] if cfg.family.startswith("emi_") else []


def evaluate(model, cfg, root: str, split: str = "test") -> list[Measurement]:
    from lightning import Trainer

    from affectzoo.data.interactions_datamodule import InteractionsDataModule

    if split != "test":
        raise ValueError(f"imemnet-interactions is evaluated on its test split, not {split!r}")
    data = InteractionsDataModule(root=root, **SPLIT)
    trainer = Trainer(accelerator="cpu", devices=1, logger=False, enable_progress_bar=False,
                      enable_model_summary=False, enable_checkpointing=False)
    results = trainer.test(model, datamodule=data, verbose=False)[0]
    held_out, cold = len(data.data.test), len(data.data.cold)  # queries: warm test interactions, cold images
    return [Measurement(split, key(name.removeprefix("test/")), float(value),
                        cold if "cold" in name else held_out, "recommender")
            for name, value in sorted(results.items())]
