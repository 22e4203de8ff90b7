"""MPJudge training: MSE + DPO against a frozen reference, w/o DPO, every fusion trains, Lightning metrics."""

from __future__ import annotations

import math

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

import affectzoo
from affectzoo.errors import InputError
from affectzoo.models.mpjudge import FUSIONS, MPJudge

TINY = {"image_size": 32, "patch_size": 8, "width": 32, "depth": 2, "heads": 2, "n_mels": 8, "music_channels": [4, 8]}


def tiny(seed: int = 0, **kwargs) -> MPJudge:
    torch.manual_seed(seed)
    return MPJudge(**{**TINY, **kwargs})


def music_like(n: int, official: bool, generator: torch.Generator) -> torch.Tensor:
    return torch.randn(n, 3, 32, 32, generator=generator) if official else torch.randn(n, 12, 8, generator=generator)


def make_batch(n: int = 4, p: int = 4, official: bool = False, seed: int = 0) -> dict:
    """Scored pairs plus preference samples in both directions (music query, then image query, alternating)."""
    g = torch.Generator().manual_seed(seed)
    queries = ["music" if i % 2 == 0 else "image" for i in range(p)]
    image_pos, image_neg = torch.randn(p, 3, 32, 32, generator=g), torch.randn(p, 3, 32, 32, generator=g)
    mel_pos, mel_neg = music_like(p, official, g), music_like(p, official, g)
    for i, query in enumerate(queries):  # the query side is shared by the two pairs
        if query == "music":
            mel_neg[i] = mel_pos[i]
        else:
            image_neg[i] = image_pos[i]
    return {"image": torch.randn(n, 3, 32, 32, generator=g), "mel": music_like(n, official, g),
            "score": torch.rand(n, generator=g),
            "pref": {"image_pos": image_pos, "image_neg": image_neg, "mel_pos": mel_pos, "mel_neg": mel_neg,
                     "query_modality": queries}}


def state_copy(module: torch.nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


@pytest.mark.parametrize("variant,fusion", [("paper", f) for f in FUSIONS] + [("official", "man")])
def test_every_variant_trains_one_step(variant, fusion):
    model = tiny(variant=variant, fusion=fusion).train()
    optimizer = model.configure_optimizers()
    assert isinstance(optimizer, torch.optim.Adam) and optimizer.defaults["lr"] == 1e-5
    assert optimizer.defaults["weight_decay"] == 0.05
    before = state_copy(model.net)
    losses = model.compute_losses(make_batch(official=variant == "official"))
    assert set(losses) == {"loss", "mse", "dpo"} and torch.isfinite(losses["loss"])
    losses["loss"].backward()
    unused = [name for name, p in model.net.named_parameters() if p.grad is None]
    assert unused == []  # every parameter takes part (DDP needs no find_unused_parameters)
    if model.net.music is not None:
        assert any(p.grad.abs().sum() > 0 for p in model.net.music.parameters())
    optimizer.step()
    changed = [k for k, v in model.net.state_dict().items() if not torch.equal(v, before[k])]
    assert any(k.startswith("painting.") for k in changed)
    assert any(k.startswith("music.") for k in changed) == (fusion != "none")


def test_reference_is_a_frozen_copy_taken_at_the_first_preference_batch_and_unchanged_by_steps():
    model = tiny().train()
    optimizer = model.configure_optimizers()
    assert model._reference is None
    model.compute_losses({k: v for k, v in make_batch().items() if k != "pref"})
    assert model._reference is None  # no preferences yet: no reference
    start = state_copy(model.net)
    for seed in range(2):
        optimizer.zero_grad()
        model.compute_losses(make_batch(seed=seed))["loss"].backward()
        optimizer.step()
    reference = model.reference_net()
    assert not reference.training and not any(p.requires_grad for p in reference.parameters())
    assert all(torch.equal(v, start[k]) for k, v in reference.state_dict().items())
    assert any(not torch.equal(v, start[k]) for k, v in model.net.state_dict().items())
    assert not any(k.startswith("_reference") for k in model.state_dict())
    optimised = {id(p) for group in optimizer.param_groups for p in group["params"]}
    assert not optimised & {id(p) for p in reference.parameters()}


def test_dpo_is_log2_while_the_model_equals_its_reference():
    model = tiny(fusion="none", dpo_beta=4.0)  # no BatchNorm: train and eval forwards agree
    losses = model.compute_losses(make_batch())
    assert losses["dpo"].item() == pytest.approx(math.log(2), abs=1e-6)


def test_losses_equal_the_hand_computation_with_a_reference_checkpoint(tmp_path):
    folder = tiny(seed=1, fusion="none").save_pretrained(tmp_path / "reference")
    model = tiny(seed=0, fusion="none", dpo_beta=3.0, lambda_reg=2.0, lambda_dpo=0.25,
                 reference_checkpoint=str(folder))
    reference = affectzoo.load(folder)
    batch = make_batch()
    pref = batch["pref"]
    losses = model.compute_losses(batch)
    with torch.no_grad():
        preds = model(batch["image"], batch["mel"]).tolist()
        pos, neg = model(pref["image_pos"], pref["mel_pos"]).tolist(), model(pref["image_neg"], pref["mel_neg"]).tolist()
        ref_pos = reference(pref["image_pos"], pref["mel_pos"]).tolist()
        ref_neg = reference(pref["image_neg"], pref["mel_neg"]).tolist()
    mse = sum((p - s) ** 2 for p, s in zip(preds, batch["score"].tolist())) / len(preds)
    margins = [(a - b) - (c - d) for a, b, c, d in zip(pos, neg, ref_pos, ref_neg)]
    dpo = sum(math.log1p(math.exp(-3.0 * m)) for m in margins) / len(margins)
    assert losses["mse"].item() == pytest.approx(mse, rel=1e-5)
    assert losses["dpo"].item() == pytest.approx(dpo, rel=1e-5)
    assert losses["loss"].item() == pytest.approx(2.0 * mse + 0.25 * dpo, rel=1e-5)


@pytest.mark.parametrize("switch", [{"use_dpo": False}, {"lambda_dpo": 0.0}])
def test_without_dpo_only_regression_is_trained(switch):
    model = tiny(**switch)
    losses = model.compute_losses(make_batch())
    assert set(losses) == {"loss", "mse"} and torch.equal(losses["loss"], losses["mse"])
    assert model._reference is None
    with pytest.raises(InputError, match="nothing to train on"):
        model.compute_losses({"pref": make_batch()["pref"]})


def test_a_batch_of_only_preferences_trains_dpo_and_bad_preferences_are_named():
    model = tiny()
    losses = model.compute_losses({"pref": make_batch()["pref"]})
    assert set(losses) == {"loss", "dpo"} and losses["loss"].item() == pytest.approx(0.5 * losses["dpo"].item())
    bad = make_batch()
    bad["pref"]["query_modality"] = ["music", "painting", "music", "image"]
    with pytest.raises(InputError, match=r"query_modality.*'painting'"):
        model.compute_losses(bad)
    del bad["pref"]["mel_neg"]
    with pytest.raises(InputError, match=r"batch\['pref'\]: lacks \['mel_neg'\]"):
        model.compute_losses(bad)


def test_the_reference_travels_in_lightning_checkpoints():
    model = tiny()
    model.compute_losses(make_batch())
    with torch.no_grad():
        for p in model.net.parameters():
            p.add_(0.1)  # the model moves on; the reference must not
    checkpoint = {}
    model.on_save_checkpoint(checkpoint)
    resumed = tiny(seed=5)
    resumed.on_load_checkpoint(checkpoint)
    expected = model.reference_net().state_dict()
    assert all(torch.equal(v, expected[k]) for k, v in resumed.reference_net().state_dict().items())
    assert not resumed.reference_net().training


class PairSamples(Dataset):
    """Samples as a DataModule would yield them; default collation builds the documented batch."""

    def __init__(self, n: int) -> None:
        batch = make_batch(n=n, p=n, seed=7)
        self.items = [{"image": batch["image"][i], "mel": batch["mel"][i], "score": batch["score"][i],
                       "pref": {k: v[i] for k, v in batch["pref"].items()}} for i in range(n)]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        return self.items[index]


def test_lightning_fit_and_test_log_epoch_metrics(tmp_path):
    model = tiny(lr=1e-3)
    data = DataLoader(PairSamples(8), batch_size=4)
    trainer = L.Trainer(accelerator="cpu", max_epochs=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                        default_root_dir=tmp_path)
    trainer.fit(model, data, data)
    logged = trainer.callback_metrics
    assert {"train/loss", "train/mse", "train/dpo", "val/srcc", "val/plcc", "val/mae", "val/acc", "val/pref_acc",
            "val/pref_acc_music_query", "val/pref_acc_image_query"} <= set(logged)
    samples = PairSamples(8).items
    images, music = torch.stack([s["image"] for s in samples]), torch.stack([s["mel"] for s in samples])
    scores = torch.stack([s["score"] for s in samples])
    preds = model.score(images, music)
    assert logged["val/mae"].item() == pytest.approx((preds - scores).abs().mean().item(), rel=1e-5)
    agree = ((preds >= 0.5) == (scores >= 0.5)).float().mean().item()
    assert logged["val/acc"].item() == pytest.approx(agree)
    pos = model.score(torch.stack([s["pref"]["image_pos"] for s in samples]),
                      torch.stack([s["pref"]["mel_pos"] for s in samples]))
    neg = model.score(torch.stack([s["pref"]["image_neg"] for s in samples]),
                      torch.stack([s["pref"]["mel_neg"] for s in samples]))
    assert logged["val/pref_acc"].item() == pytest.approx((pos > neg).float().mean().item())
    results = trainer.test(model, data, verbose=False)[0]
    assert {"test/srcc", "test/plcc", "test/mae", "test/acc", "test/pref_acc"} <= set(results)
