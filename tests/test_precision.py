"""Inference precision as a zoo option: names, bf16 autocast on forward and task methods, int8
quantisation, the refusal to go back from int8, engines, and ``--precision`` on a task command."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import affectzoo
from affectzoo.cli import main
from affectzoo.precision import canonical, quantizable_linears, set_precision
from test_imagemusic import private_cache, tiny, write_media  # noqa: F401 (fixture)


def test_names_follow_lightning_and_unknown_ones_are_clear_errors():
    assert canonical(None) == "32-true" and canonical("bf16") == "bf16-mixed" and canonical("fp32") == "32-true"
    with pytest.raises(ValueError, match="precision must be one of"):
        canonical("fp8")


def autocast_seen(model, call) -> list[bool]:
    """Whether autocast was on inside ``model``'s linear layers while ``call`` ran."""
    seen = []
    hooks = [m.register_forward_hook(lambda *_: seen.append(torch.is_autocast_enabled("cpu")))
             for m in model.modules() if isinstance(m, nn.Linear)]
    call()
    for hook in hooks:
        hook.remove()
    return seen


def test_bf16_runs_forward_and_task_methods_under_autocast_and_returns_float32(tmp_path):
    images, clips = write_media(tmp_path / "media")
    model = tiny().eval()
    assert not any(autocast_seen(model, lambda: model.predict_va(images=images)))
    set_precision(model, "bf16-mixed")
    assert model.precision == "bf16-mixed"
    seen = autocast_seen(model, lambda: model.predict_va(images=images))
    assert seen and all(seen)
    va = model.predict_va(images=images, audio=clips)
    assert va["image"].dtype == torch.float32 and va["music"].dtype == torch.float32


def test_bf16_forward_runs_under_autocast_and_returns_float32():
    model = affectzoo.create_model("test_regressor", precision="bf16-mixed")
    batch = model.example_batch()
    seen = autocast_seen(model, lambda: model(batch["image"], batch["audio"]))
    assert seen and all(seen)
    assert model(batch["image"], batch["audio"]).dtype == torch.float32


def test_int8_quantises_linear_layers_and_stays_close(tmp_path):
    images, _ = write_media(tmp_path / "media")
    model = tiny().eval()
    reference = model.predict_va(images=images)["image"]
    names = quantizable_linears(model)
    assert names
    set_precision(model, "int8")
    quantized = dict(model.named_modules())
    assert all(type(quantized[name]).__name__ == "Linear" and "quantized" in type(quantized[name]).__module__
               for name in names)
    assert torch.allclose(model.predict_va(images=images)["image"], reference, atol=0.1)
    with pytest.raises(ValueError, match="load it again"):
        set_precision(model, "32-true")


def test_int8_leaves_fused_transformer_layers_in_float():
    model = nn.Sequential(nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, batch_first=True), 1),
                          nn.Linear(16, 1))
    assert quantizable_linears(model) == {"1"}
    set_precision(model, "int8")
    assert model(torch.randn(2, 5, 16)).shape == (2, 5, 1)


def test_load_and_create_model_take_precision(tmp_path):
    folder = tiny().save_pretrained(tmp_path / "model")
    assert affectzoo.load(folder, precision="bf16-mixed").precision == "bf16-mixed"
    assert affectzoo.load(folder).precision == "32-true"
    assert affectzoo.create_model("test_regressor", precision="int8").precision == "int8"
    assert affectzoo.load("haydn", precision="bf16").precision == "bf16-mixed"
    with pytest.raises(ValueError, match="no precision option"):
        affectzoo.load("visual", precision="int8")


def test_task_commands_take_precision(tmp_path, capsys):
    images, clips = write_media(tmp_path / "media")
    folder = str(tiny().save_pretrained(tmp_path / "model"))
    assert main(["va", images[0], "--model", folder]) == 0
    plain = capsys.readouterr().out.splitlines()[1].split()
    assert main(["va", images[0], "--model", folder, "--precision", "bf16-mixed"]) == 0
    reduced = capsys.readouterr().out.splitlines()[1].split()
    assert reduced[2:] == plain[2:]
    assert all(abs(float(a) - float(b)) < 0.05 for a, b in zip(plain[:2], reduced[:2]))
