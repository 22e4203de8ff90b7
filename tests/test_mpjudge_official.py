"""Reference-code compatibility: official parameter names load into ``mpjudge_official`` and compute the same.

The test writes its own small modules with the reference code's naming, as the issue describes them
(``MyModel``: ``patch_embed``, ``pos_embed``, ``blocks.{i}.adain1/cross_attn/adain2.scale|bias/ffn.0|2``,
``head``; ``Music``: ``encoder.0/1, 3/4, 6/7, 9/10``, ``proj``), gives them random weights and
BatchNorm statistics, and checks the converted model against them.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

import affectzoo
from affectzoo.errors import CheckpointError
from affectzoo.models.mpjudge import convert_official_state_dict, load_official_checkpoint

WIDTH, DEPTH, HEADS, IMAGE, PATCH = 32, 2, 4, 32, 8


class RefAdaIN(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.scale, self.bias = nn.Linear(d, d), nn.Linear(d, d)

    def forward(self, x, cond):
        normed = (x - x.mean(dim=1, keepdim=True)) / (x.std(dim=1, keepdim=True) + 1e-5)  # unbiased std
        return normed * self.scale(cond)[:, None] + self.bias(cond)[:, None]


class RefBlock(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.cross_attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.adain1, self.adain2 = nn.LayerNorm(d), RefAdaIN(d)
        self.ffn = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x, cond):
        x = self.adain1(x)
        attended = x + self.cross_attn(x, x, x)[0]
        modulated = self.adain2(attended, cond)
        return modulated + self.ffn(modulated), (modulated - attended).norm(dim=-1)


class RefMyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, WIDTH, PATCH, PATCH)
        self.pos_embed = nn.Parameter(torch.randn(1, (IMAGE // PATCH) ** 2, WIDTH))
        self.blocks = nn.ModuleList(RefBlock(WIDTH, HEADS) for _ in range(DEPTH))
        self.head = nn.Linear(WIDTH, 1)

    def forward(self, image, cond):
        x = self.patch_embed(image).flatten(2).transpose(1, 2) + self.pos_embed
        residuals = []
        for block in self.blocks:
            x, residual = block(x, cond)
            residuals.append(residual)
        return self.head(x.mean(dim=1)), residuals


class RefMusic(nn.Module):
    def __init__(self):
        super().__init__()
        layers, cin = [], 3
        for cout in (64, 128, 256, 512):
            layers += [nn.Conv2d(cin, cout, 4, 2, 1), nn.BatchNorm2d(cout), nn.ReLU()]
            cin = cout
        self.encoder = nn.Sequential(*layers, nn.AdaptiveAvgPool2d((1, 1)))
        self.proj = nn.Linear(512, WIDTH)

    def forward(self, x):
        return self.proj(self.encoder(x).view(len(x), -1))


@pytest.fixture
def reference():
    torch.manual_seed(3)
    painting, music = RefMyModel().eval(), RefMusic().eval()
    with torch.no_grad():
        for module in music.modules():
            if isinstance(module, nn.BatchNorm2d):  # trained-looking statistics, so BatchNorm matters
                module.running_mean.normal_()
                module.running_var.uniform_(0.5, 2.0)
                module.weight.normal_(1.0, 0.1), module.bias.normal_(0.0, 0.1)
    return painting, music


def inputs():
    generator = torch.Generator().manual_seed(4)
    return torch.randn(3, 3, IMAGE, IMAGE, generator=generator), torch.rand(3, 3, 64, 64, generator=generator) * 2 - 1


def test_converted_weights_reproduce_the_reference_computation(reference):
    painting, music = reference
    state = convert_official_state_dict(painting.state_dict(), music.state_dict())
    assert "net.painting.blocks.1.adain2.scale.weight" in state and "net.music.encoder.10.running_var" in state
    model = affectzoo.create_model("mpjudge_official", width=WIDTH, depth=DEPTH, heads=HEADS, image_size=IMAGE,
                                   patch_size=PATCH)
    model.load_state_dict(state, strict=True)
    model.eval()
    images, spectrograms = inputs()
    with torch.no_grad():
        expected, residuals = painting(images, music(spectrograms))
        assert torch.allclose(model(images, spectrograms), expected.squeeze(-1), atol=1e-5)
        maps, _ = model.modulation_maps(images[0], spectrograms[0], ord=2)  # the reference visualises the L2 norm
    assert torch.allclose(maps.flatten(1), torch.stack([r[0] for r in residuals]), atol=1e-4)


def test_load_official_checkpoint_reads_the_two_saved_files(tmp_path, reference):
    painting, music = reference
    model_file, music_file = tmp_path / "best_model1.pt", tmp_path / "best_music_encoder1.pt"
    torch.save(painting.state_dict(), model_file)
    torch.save({f"module.{k}": v for k, v in music.state_dict().items()}, music_file)  # saved from a DDP wrapper
    model = load_official_checkpoint(model_file, music_file, heads=HEADS)
    assert (model.hparams.width, model.hparams.depth, model.hparams.image_size, model.hparams.patch_size) == (
        WIDTH, DEPTH, IMAGE, PATCH)
    images, spectrograms = inputs()
    with torch.no_grad():
        expected = painting(images, music(spectrograms))[0].squeeze(-1)
    assert torch.allclose(model.score(images, spectrograms), expected, atol=1e-5)


def test_load_official_checkpoint_names_the_bad_file(tmp_path, reference):
    painting, music = reference
    good, broken = tmp_path / "model.pt", tmp_path / "music.pt"
    torch.save(painting.state_dict(), good)
    broken.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="music.pt: not a readable PyTorch state dict"):
        load_official_checkpoint(good, broken)
    torch.save(music.state_dict(), broken)
    with pytest.raises(CheckpointError, match="music.pt: no 'pos_embed'"):
        load_official_checkpoint(broken, good)
