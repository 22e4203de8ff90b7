"""mpjudge_lite0: MPJudge on frozen ImageNet EfficientNet-Lite0 tokens (shapes, frozen backbone, tokens path,
fusions, save/load, feature cache, registry). Uses the packaged Lite0 weights; no network, no ../shared."""

from __future__ import annotations

import lightning as L
import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file
from torch.utils.data import DataLoader, Dataset

import affectzoo
from affectzoo import _folder, _registry
from affectzoo._checkpoint import load_state_dict_strict
from affectzoo.errors import CheckpointError, InputError
from affectzoo.models.mpjudge import FUSIONS, MelEncoder, MPJudge

# 64 px -> a 2 x 2 Lite0 feature map (4 tokens of 1280); 12 x 8 mels -> (2, 2) pooling -> 6 x 4 -> 2 x 1 music tokens
TINY = {"variant": "lite0", "image_size": 64, "patch_size": 32, "width": 32, "depth": 2, "heads": 2, "n_mels": 8,
        "music_channels": [4, 8], "music_pool": [2, 2]}


def tiny(seed: int = 0, **kwargs) -> MPJudge:
    torch.manual_seed(seed)
    return MPJudge(**{**TINY, **kwargs})


def paintings(n: int, seed: int = 1) -> torch.Tensor:
    return torch.randn(n, 3, 64, 64, generator=torch.Generator().manual_seed(seed))


def mels(n: int, seed: int = 2) -> torch.Tensor:
    return torch.randn(n, 12, 8, generator=torch.Generator().manual_seed(seed))


def pixel_batch(n: int = 4, seed: int = 0) -> dict:
    """Scored pairs plus preferences in both directions, with painting pixels."""
    g = torch.Generator().manual_seed(seed)
    queries = ["music" if i % 2 == 0 else "image" for i in range(n)]
    image_pos, image_neg = torch.randn(n, 3, 64, 64, generator=g), torch.randn(n, 3, 64, 64, generator=g)
    mel_pos, mel_neg = torch.randn(n, 12, 8, generator=g), torch.randn(n, 12, 8, generator=g)
    for i, query in enumerate(queries):
        if query == "music":
            mel_neg[i] = mel_pos[i]
        else:
            image_neg[i] = image_pos[i]
    return {"image": torch.randn(n, 3, 64, 64, generator=g), "mel": torch.randn(n, 12, 8, generator=g),
            "score": torch.rand(n, generator=g),
            "pref": {"image_pos": image_pos, "image_neg": image_neg, "mel_pos": mel_pos, "mel_neg": mel_neg,
                     "query_modality": queries}}


def token_batch(model: MPJudge, batch: dict) -> dict:
    """The same batch with every painting replaced by its backbone tokens."""
    pref = batch["pref"]
    return {"image_tokens": model.image_tokens(batch["image"]), "mel": batch["mel"], "score": batch["score"],
            "pref": {"image_tokens_pos": model.image_tokens(pref["image_pos"]),
                     "image_tokens_neg": model.image_tokens(pref["image_neg"]), "mel_pos": pref["mel_pos"],
                     "mel_neg": pref["mel_neg"], "query_modality": pref["query_modality"]}}


def state_copy(module: torch.nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_registered_model_shapes_and_parameter_split():
    model = affectzoo.create_model("mpjudge_lite0")
    assert model.hparams.image_size == 192 and model.grid == 6 and model.token_shape == (36, 1280)
    tokens = model.image_tokens(torch.randn(2, 3, 192, 192))
    assert tokens.shape == (2, 36, 1280) and not tokens.requires_grad
    music_tokens, y = model.net.encode_music(model._check_music(torch.randn(2, 469, 128)))
    assert music_tokens.shape == (2, 8 * 4, 128) and y.shape == (2, 128)  # (4, 2) pool, then 4 stride-2 convs
    score, intensity = model.net.judge(tokens, music_tokens, y)
    assert score.shape == (2,) and intensity.shape == (2, 3, 36)
    d, n, c = 128, 36, 1280
    block = 2 * d + (4 * d * d + 4 * d) + 2 * (d * d + d) + 2 * d + (8 * d * d + 5 * d)  # norm1, attn, MAN, norm2, mlp
    painting = c * d + d + n * d + 3 * block + 2 * d + d + 1
    channels = [1, 16, 32, 64, 128]
    music = sum(9 * a * b + b + 2 * b for a, b in zip(channels, channels[1:])) + 128 * d + d
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    backbone = sum(p.numel() for p in model.backbone.parameters())
    assert trainable == painting + music == sum(p.numel() for p in model.net.parameters())
    assert backbone == 3_371_008 and model.num_params == trainable + backbone


def test_backbone_is_frozen_in_eval_mode_and_unchanged_by_a_training_step():
    model = tiny().train()
    assert not model.backbone.training and model.net.training
    assert not any(p.requires_grad for p in model.backbone.parameters())
    optimizer = model.configure_optimizers()
    optimised = {id(p) for group in optimizer.param_groups for p in group["params"]}
    assert optimised == {id(p) for p in model.net.parameters()}
    backbone, net = state_copy(model.backbone), state_copy(model.net)
    for seed in range(2):  # the first step takes the DPO reference, the second trains against it
        optimizer.zero_grad()
        losses = model.compute_losses(pixel_batch(seed=seed))
        assert set(losses) == {"loss", "mse", "dpo"}
        losses["loss"].backward()
        optimizer.step()
    assert all(p.grad is None for p in model.backbone.parameters())
    assert all(torch.equal(v, backbone[k]) for k, v in model.backbone.state_dict().items())  # incl. BN statistics
    assert any(not torch.equal(v, net[k]) for k, v in model.net.state_dict().items())
    assert not any(k.startswith("backbone") for k in model.reference_net().state_dict())


def test_backbone_is_in_the_state_dict_once_and_not_in_the_dpo_reference_checkpoint():
    model = tiny()
    model.compute_losses(pixel_batch())
    keys = list(model.state_dict())
    backbone_keys = [k for k in keys if k.startswith("backbone.")]
    assert len(backbone_keys) == len(model.backbone.state_dict()) == 294  # Lite0 without its classifier
    assert not [k for k in keys if not k.startswith(("backbone.", "net."))]
    checkpoint = {}
    model.on_save_checkpoint(checkpoint)
    assert set(checkpoint["mpjudge_reference"]) == set(model.net.state_dict())


def test_tokens_path_equals_the_image_path():
    model = tiny()
    batch = pixel_batch()
    tokens = token_batch(model, batch)
    model.eval()
    assert torch.equal(model(tokens["image_tokens"], batch["mel"]), model(batch["image"], batch["mel"]))
    one_clip = batch["mel"][0]
    assert torch.equal(model.score(tokens["image_tokens"], one_clip), model.score(batch["image"], one_clip))
    one = model.image_tokens(batch["image"][1:2])[0]  # a batch of one: the backbone's float sums may differ
    assert torch.equal(model.score(one, batch["mel"][1]), model.score(batch["image"][1], batch["mel"][1]))
    maps, _ = model.modulation_maps(model.image_tokens(batch["image"][:1])[0], batch["mel"][0])
    assert maps.shape == (2, 2, 2) and torch.equal(maps, model.modulation_maps(batch["image"][0], batch["mel"][0])[0])
    model.train()
    from_pixels = model.compute_losses(batch)
    from_tokens = model.compute_losses(token_batch(model, batch))
    assert all(torch.equal(from_tokens[k], from_pixels[k]) for k in ("loss", "mse", "dpo"))
    both = {**token_batch(model, batch), "image": torch.zeros(1)}  # tokens win over pixels
    assert torch.equal(model.compute_losses(both)["loss"], from_pixels["loss"])


@pytest.mark.parametrize("fusion", FUSIONS)
def test_every_fusion_trains_on_tokens(fusion):
    model = tiny(fusion=fusion).train()
    losses = model.compute_losses(token_batch(model, pixel_batch()))
    losses["loss"].backward()
    assert [name for name, p in model.net.named_parameters() if p.grad is None] == []
    assert (model.net.music is None) == (fusion == "none")
    scores = model.eval()(paintings(3), mels(3))
    assert scores.shape == (3,) and ((scores > 0) & (scores < 1)).all()


class TokenPairs(Dataset):
    """Samples with precomputed tokens; default collation gives the documented lite0 batch."""

    def __init__(self, model: MPJudge, n: int) -> None:
        batch = token_batch(model, pixel_batch(n=n, seed=3))
        self.items = [{"image_tokens": batch["image_tokens"][i], "mel": batch["mel"][i], "score": batch["score"][i],
                       "pref": {k: v[i] for k, v in batch["pref"].items()}} for i in range(n)]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        return self.items[index]


def test_lightning_fit_on_token_batches_keeps_the_backbone_frozen(tmp_path):
    model = tiny(lr=1e-3)
    backbone = state_copy(model.backbone)
    data = DataLoader(TokenPairs(model, 8), batch_size=4)
    trainer = L.Trainer(accelerator="cpu", max_epochs=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                        default_root_dir=tmp_path)
    trainer.fit(model, data, data)
    assert {"train/loss", "train/dpo", "val/srcc", "val/pref_acc"} <= set(trainer.callback_metrics)
    assert all(torch.equal(v, backbone[k]) for k, v in model.backbone.state_dict().items())
    assert trainer.predict(model, data)[0].shape == (4,)


def test_save_pretrained_and_load_round_trip_strictly(tmp_path):
    model = tiny().train()
    model(paintings(4), mels(4))  # move the music BatchNorm statistics away from their init
    folder = model.save_pretrained(tmp_path / "ckpt")
    saved = load_file(str(folder / _folder.WEIGHTS_NAME))
    assert set(saved) == set(model.state_dict()) and any(k.startswith("backbone.model.") for k in saved)
    loaded = affectzoo.load(folder)
    assert isinstance(loaded, MPJudge) and loaded.hparams.variant == "lite0" and not loaded.backbone.training
    assert torch.equal(loaded.score(paintings(4), mels(4)), model.score(paintings(4), mels(4)))
    without_backbone = {k: v for k, v in saved.items() if not k.startswith("backbone.")}
    with pytest.raises(CheckpointError, match="missing keys: backbone.model"):
        load_state_dict_strict(tiny(), without_backbone, folder)


def test_cached_image_tokens_are_keyed_by_file_and_input_size(tmp_path, monkeypatch):
    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "painting.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(path)
    model = tiny().eval()
    encoder = model.frozen_encoders()["image"]
    assert encoder is model.backbone and encoder.preprocess["image_size"] == 64
    calls, encode = [], encoder.encode
    monkeypatch.setattr(encoder, "encode", lambda item, sample_rate=None, augment=None: calls.append(item) or encode(item, sample_rate, augment))
    first = encoder.cached(path)
    assert torch.equal(first, model.image_tokens(model.painting_input(str(path))[None])[0]) and len(calls) == 1
    assert torch.equal(encoder.cached(path), first) and len(calls) == 1  # a hit: no decoding
    assert list((tmp_path / "cache").glob("frozen-tf_efficientnet_lite0-tokens/*/*.safetensors"))
    assert tiny(image_size=96).backbone.cached(path).shape == (9, 1280)  # another input size, another entry
    Image.fromarray(np.zeros((64, 64, 3), dtype=np.uint8)).save(path)  # new content, new entry
    encoder.cached(path)
    assert len(calls) == 2


def test_mel_pooling_averages_before_the_first_conv():
    torch.manual_seed(0)
    pooled = MelEncoder(16, (4, 8), pool=(2, 2)).eval()
    plain = MelEncoder(16, (4, 8)).eval()
    plain.load_state_dict(pooled.state_dict())  # pooling adds no parameters
    mel = torch.randn(2, 1, 12, 8)
    expected = plain(torch.nn.functional.avg_pool2d(mel, (2, 2)))
    assert all(torch.equal(a, b) for a, b in zip(pooled(mel), expected))


def test_bad_inputs_and_arguments_are_named():
    model = tiny()
    with pytest.raises(InputError, match=r"^image: .*\[B, 3, 64, 64\] or backbone tokens \[B, 4, 1280\], got \(2, 9"):
        model(torch.zeros(2, 9, 1280), mels(2))
    with pytest.raises(InputError, match=r"batch\['pref'\]: lacks \['image_neg \(or image_tokens_neg\)'\]"):
        model.compute_losses({"pref": {k: v for k, v in pixel_batch()["pref"].items() if k != "image_neg"}})
    with pytest.raises(InputError, match=r"batch: lacks 'image' \(or 'image_tokens'\)"):
        model.compute_losses({"mel": mels(2), "score": torch.rand(2)})
    with pytest.raises(InputError, match="explain draws"):
        model.explain(model.image_tokens(paintings(1))[0], mels(1)[0], "unused.png")
    paper = MPJudge(image_size=32, patch_size=8, width=32, depth=1, heads=2, n_mels=8, music_channels=[4])
    with pytest.raises(InputError, match=r"\[B, 3, 32, 32\], got \(2, 16, 1280\)"):
        paper(torch.zeros(2, 16, 1280), mels(2))
    with pytest.raises(ValueError, match="lite0 variant's backbone"):
        paper.image_tokens(torch.zeros(1, 3, 32, 32))
    assert paper.frozen_encoders() == {}
    with pytest.raises(ValueError, match="patch_size=32"):
        tiny(patch_size=16)
    with pytest.raises(ValueError, match="music_pool"):
        tiny(music_pool=[2])


def test_a_reference_checkpoint_must_be_of_the_same_variant(tmp_path):
    folder = MPJudge(image_size=32, patch_size=8, width=32, depth=1, heads=2, n_mels=8,
                     music_channels=[4]).save_pretrained(tmp_path / "paper")
    with pytest.raises(InputError, match="holds the 'paper' variant; this model is 'lite0'"):
        tiny(reference_checkpoint=str(folder)).compute_losses(pixel_batch())


def test_registry_entry_and_preprocess_follow_the_backbone():
    assert "mpjudge_lite0" in affectzoo.list_models("mpjudge*")
    assert _registry.model_family("mpjudge_lite0") == "mpjudge"
    cfg = _registry.get_pretrained_cfg("mpjudge_lite0")
    assert cfg.name == "mpjudge_lite0.base" and not cfg.has_weights and cfg.output_range == (0.0, 1.0)
    assert cfg.model_args == {} and "AAAI 2026" in cfg.paper
    backbone = tiny().backbone.cfg
    pre = cfg.preprocess
    assert pre["image_size"] == 192 and pre["crop_pct"] == backbone["crop_pct"]
    assert pre["interpolation"] == backbone["interpolation"]
    assert tuple(pre["mean"]) == tuple(backbone["mean"]) and tuple(pre["std"]) == tuple(backbone["std"])
    assert {k: pre[k] for k in ("sample_rate", "clip_seconds", "n_fft", "hop_length", "n_mels")} == {
        "sample_rate": 16000, "clip_seconds": 15.0, "n_fft": 1024, "hop_length": 512, "n_mels": 128}
    # overrides that change the input size change the preprocessing with it
    assert affectzoo.create_model("mpjudge_lite0.base", **TINY).pretrained_cfg.preprocess == {**pre, "image_size": 64}
