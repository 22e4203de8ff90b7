"""MPJudge architectures: shapes, registry, inference (score, rank, modulation maps, explain PNG), save/load."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

import affectzoo
from affectzoo import _registry
from affectzoo.errors import InputError
from affectzoo.models.mpjudge import FUSIONS, MPJudge

TINY = {"image_size": 32, "patch_size": 8, "width": 32, "depth": 2, "heads": 2, "n_mels": 8, "music_channels": [4, 8]}


def tiny(seed: int = 0, **kwargs) -> MPJudge:
    torch.manual_seed(seed)
    return MPJudge(**{**TINY, **kwargs})


def paintings(n: int, seed: int = 1) -> torch.Tensor:
    return torch.randn(n, 3, 32, 32, generator=torch.Generator().manual_seed(seed))


def mels(n: int, frames: int = 12, seed: int = 2) -> torch.Tensor:
    return torch.randn(n, frames, 8, generator=torch.Generator().manual_seed(seed))


def _vit_params(d: int, depth: int, tokens: int, patch: int, block_extra: int, head_in: int) -> int:
    attn = 3 * d * d + 3 * d + d * d + d
    mlp = d * 4 * d + 4 * d + 4 * d * d + d
    block = 2 * d + attn + 2 * d + mlp + block_extra
    return 3 * patch * patch * d + d + tokens * d + depth * block + 2 * d + head_in + 1


def test_paper_configuration_shapes_and_parameter_count_symbolically():
    with torch.device("meta"):  # shapes without computing: the paper model is ~46 M parameters
        model = affectzoo.create_model("mpjudge")
        tokens, y = model.net.encode_music(model._check_music(torch.empty(2, 469, 128)))
        score, intensity = model.net.judge(torch.empty(2, 3, 256, 256), tokens, y)
    assert tokens.shape == (2, 30 * 8, 512) and y.shape == (2, 512)  # 469 x 128 -> 30 x 8 after 4 stride-2 convs
    assert score.shape == (2,) and intensity.shape == (2, 12, 256)  # 12 layers x (256 / 16)^2 patches
    assert model.net.painting.pos_embed.shape == (1, 256, 512)
    assert model.net.painting.blocks[0].attn.num_heads == 8
    channels = [1, 64, 128, 256, 512]
    music = sum(9 * a * b + b + 2 * b for a, b in zip(channels, channels[1:])) + 512 * 512 + 512
    man = 2 * (512 * 512 + 512)
    assert model.num_params == music + _vit_params(512, 12, 256, 16, man, 512)


def test_official_configuration_parameter_count_symbolically():
    with torch.device("meta"):
        model = affectzoo.create_model("mpjudge_official")
    channels = [3, 64, 128, 256, 512]
    music = sum(16 * a * b + b + 2 * b for a, b in zip(channels, channels[1:])) + 512 * 1024 + 1024
    d = 1024
    block = 2 * d + (4 * d * d + 4 * d) + 2 * (d * d + d) + (8 * d * d + 5 * d)  # adain1, attn, adain2, ffn
    assert model.num_params == music + 3 * 256 * d + d + 256 * d + 12 * block + d + 1


@pytest.mark.parametrize("fusion", FUSIONS)
def test_every_fusion_scores_in_unit_interval(fusion):
    model = tiny(fusion=fusion).eval()
    scores = model(paintings(3), mels(3))
    assert scores.shape == (3,) and ((scores > 0) & (scores < 1)).all()
    assert (model.net.music is None) == (fusion == "none")


def test_official_variant_returns_the_raw_head_output():
    model = tiny(variant="official").eval()
    spectrograms = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        tokens, y = model.net.encode_music(spectrograms)
        x = model.net.painting.patch_embed(paintings(2)).flatten(2).transpose(1, 2) + model.net.painting.pos_embed
        for block in model.net.painting.blocks:
            x, _ = block(x, tokens, y, 1.0)
        expected = model.net.painting.head(x.mean(dim=1)).squeeze(-1)
        assert torch.equal(model(paintings(2), spectrograms), expected)
    with pytest.raises(ValueError, match="fusion='man'"):
        tiny(variant="official", fusion="concat")


def test_bad_inputs_name_the_argument():
    model = tiny()
    with pytest.raises(InputError, match=r"^image: .*\[B, 3, 32, 32\]"):
        model(torch.zeros(1, 3, 16, 16), mels(1))
    with pytest.raises(InputError, match=r"^mel: .*\[B, T, 8\]"):
        model(paintings(1), torch.zeros(1, 12, 5))
    with pytest.raises(InputError, match="audio: 2 music inputs for 3 paintings"):
        model.score(paintings(3), mels(2))
    with pytest.raises(InputError, match="spectrogram images"):
        tiny(variant="official")(paintings(1), mels(1))


def test_score_batches_pairs_and_pairs_one_music_with_every_painting():
    model = tiny().train()
    images, music = paintings(5), mels(5)
    together = model.score(images, music, batch_size=64)
    assert model.training  # score() restores the mode it found
    assert torch.allclose(model.score(images, music, batch_size=2), together, atol=1e-6)
    one = model.score(images, music[0])
    assert torch.allclose(one, model.score(images, music[:1].expand(5, -1, -1)), atol=1e-6)
    assert torch.allclose(model.score(images[2], music[2]), together[2:3], atol=1e-6)


def test_rank_equals_scoring_pairs_one_by_one():
    model = tiny(fusion="man")
    gallery, clip = paintings(7), mels(1)[0]
    indices, scores = model.rank(clip, gallery, k=3, batch_size=2)
    single = torch.cat([model.score(gallery[i:i + 1], clip[None]) for i in range(7)])
    best = torch.argsort(single, descending=True)[:3]
    assert indices.tolist() == best.tolist()
    assert torch.allclose(scores, single[best], atol=1e-6)
    assert len(model.rank(clip, gallery, k=50)[0]) == 7
    with pytest.raises(InputError, match="one music input"):
        model.rank(mels(2), gallery)


def test_modulation_maps_are_the_per_token_change_man_makes():
    model = tiny().eval()
    captured = []
    model.net.painting.blocks[0].man.register_forward_hook(lambda m, args, out: captured.append((args[0], out[0])))
    maps, intensities = model.modulation_maps(paintings(1)[0], mels(1)[0])
    assert maps.shape == (2, 4, 4) and intensities.shape == (2,)  # 2 layers, 32 px / patch 8
    assert (maps >= 0).all() and maps.sum() > 0
    assert torch.allclose(intensities, maps.mean(dim=(1, 2)))
    before, after = captured[0]
    assert torch.allclose(maps[0].flatten(), (after - before).abs().sum(dim=-1)[0], atol=1e-5)
    l2, _ = model.modulation_maps(paintings(1)[0], mels(1)[0], ord=2)
    assert torch.allclose(l2[0].flatten(), (after - before).norm(dim=-1)[0], atol=1e-5)
    with pytest.raises(ValueError, match="MAN fusion"):
        tiny(fusion="concat").modulation_maps(paintings(1)[0], mels(1)[0])


def test_explain_writes_a_png_with_the_painting_and_two_maps(tmp_path):
    model = tiny()
    path = model.explain(paintings(1)[0], mels(1)[0], tmp_path / "out" / "explain.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        assert image.size == (960, 340)
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    assert len(np.unique(pixels, axis=0)) > 50  # a real picture, not a blank canvas
    assert not list(path.parent.glob("*.tmp"))


def test_registry_entries_and_tags():
    assert {"mpjudge", "mpjudge_small", "mpjudge_official"} <= set(affectzoo.list_models("mpjudge*"))
    for arch in ("mpjudge", "mpjudge_small", "mpjudge_official"):
        assert _registry.model_family(arch) == "mpjudge"
    cfg = _registry.get_pretrained_cfg("mpjudge")
    assert cfg.name == "mpjudge.paper" and cfg.output_range == (0.0, 1.0) and "AAAI 2026" in cfg.paper
    assert {k: cfg.preprocess[k] for k in ("sample_rate", "clip_seconds", "n_fft", "hop_length", "n_mels")} == {
        "sample_rate": 16000, "clip_seconds": 15.0, "n_fft": 1024, "hop_length": 512, "n_mels": 128}
    assert _registry.get_pretrained_cfg("mpjudge_official").output_range is None
    with torch.device("meta"):
        assert affectzoo.create_model("mpjudge").init_args["width"] == 512
        small = affectzoo.create_model("mpjudge_small")
    assert small.hparams.image_size == 128 and small.pretrained_cfg.preprocess["image_size"] == 128
    for tag, fusion in (("concat", "concat"), ("cross_attention", "cross_attention"), ("no_fusion", "none")):
        assert affectzoo.create_model(f"mpjudge.{tag}", **TINY).hparams.fusion == fusion
    assert affectzoo.create_model("mpjudge.wo_dpo", **TINY).dpo_active is False


@pytest.mark.parametrize("variant", ["paper", "official"])
def test_save_pretrained_and_load_round_trip(tmp_path, variant):
    model = tiny(variant=variant)
    music = mels(4) if variant == "paper" else torch.randn(4, 3, 32, 32)
    model.train()
    model(paintings(4), music)  # a training-mode forward moves the BatchNorm running statistics
    folder = model.save_pretrained(tmp_path / "ckpt")
    config = json.loads((folder / "config.json").read_text())
    assert config["class_path"] == "affectzoo.models.mpjudge.MPJudge" and config["init_args"]["variant"] == variant
    loaded = affectzoo.load(folder)
    assert isinstance(loaded, MPJudge) and not loaded.training
    assert torch.equal(loaded.score(paintings(4), music), model.score(paintings(4), music))


def test_score_and_rank_accept_files_pil_and_waveforms(tmp_path, monkeypatch):
    import numpy as np
    import soundfile as sf
    from PIL import Image

    import affectzoo
    from affectzoo.data.datasets import MediaLoader

    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    torch.manual_seed(0)
    model = affectzoo.create_model("mpjudge_small", image_size=32, width=32, depth=1, heads=2,
                                   music_channels=[4, 8, 8, 8]).eval()
    model.pretrained_cfg = model.pretrained_cfg.replace(preprocess={**model.pretrained_cfg.preprocess,
                                                                    "image_size": 32, "clip_seconds": 2.0})
    paths = []
    for k in range(3):
        Image.new("RGB", (40, 30), (80 * k, 20, 200 - 50 * k)).save(tmp_path / f"p{k}.png")
        paths.append(tmp_path / f"p{k}.png")
    wave = 0.3 * np.sin(np.arange(16000 * 2) * 0.05).astype(np.float32)
    sf.write(tmp_path / "clip.wav", wave, 16000)
    loader = MediaLoader(model.pretrained_cfg.preprocess)
    pixels = torch.stack([loader.image(str(p)) for p in paths])
    mel = loader.audio(str(tmp_path / "clip.wav"))["mel"]
    expected = model.score(pixels, mel)
    assert torch.allclose(model.score([str(p) for p in paths], str(tmp_path / "clip.wav")), expected, atol=1e-6)
    assert torch.allclose(model.score([Image.open(p) for p in paths], torch.from_numpy(wave)), expected, atol=1e-4)
    indices, scores = model.rank(tmp_path / "clip.wav", paths, k=2)
    assert indices.tolist() == expected.topk(2).indices.tolist()


def test_judge_command_scores_files_and_writes_the_explain_png(tmp_path, monkeypatch, capsys):
    import numpy as np
    import soundfile as sf
    from PIL import Image

    import affectzoo
    from affectzoo.cli import main

    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    torch.manual_seed(0)
    model = affectzoo.create_model("mpjudge_small", image_size=32, width=32, depth=2, heads=2,
                                   music_channels=[4, 8, 8, 8])
    folder = affectzoo.save_pretrained(model, tmp_path / "ckpt")
    Image.new("RGB", (40, 30), (200, 40, 10)).save(tmp_path / "p.png")
    sf.write(tmp_path / "m.wav", 0.3 * np.sin(np.arange(16000 * 3) * 0.05), 16000)
    assert main(["judge", "--image", str(tmp_path / "p.png"), "--audio", str(tmp_path / "m.wav"),
                 "--model", str(folder), "--explain", str(tmp_path / "maps.png")]) == 0
    out = capsys.readouterr().out
    score = float(out.split()[0])
    assert 0 <= score <= 1 and (tmp_path / "maps.png").stat().st_size > 1000
