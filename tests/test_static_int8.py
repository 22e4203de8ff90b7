"""Precision ``int8-static``: MPJudge's judge network exported, statically quantised and compiled;
batch padding to compiled sizes; the clear errors; the CLI's choices match the library's."""

from __future__ import annotations

import copy

import pytest
import torch

import affectzoo.precision as precision
import affectzoo.static_int8 as static_int8
from affectzoo.cli._common import PRECISION_CHOICES
from affectzoo.precision import PRECISIONS, set_precision, static_int8_modules
from affectzoo.static_int8 import StaticInt8Forward, _pad, _unpad, calibrating, is_static_int8, padded_size
from test_mpjudge_model import mels, paintings, tiny


def test_cli_choices_are_the_library_precisions():
    assert PRECISION_CHOICES == PRECISIONS


def test_batches_pad_to_the_next_power_of_two_and_outputs_are_cut_back():
    assert [padded_size(n) for n in (1, 2, 3, 5, 8, 9)] == [1, 2, 4, 8, 8, 16]
    x = torch.arange(6.0).reshape(3, 2)
    padded = _pad(x, 4)
    assert padded.shape == (4, 2) and torch.equal(padded[3], x[2]) and torch.equal(padded[:3], x)
    out = _unpad((padded.sum(1), None, [padded]), 4, 3)
    assert out[0].shape == (3,) and out[1] is None and out[2][0].shape == (3, 2)


def tiny_judges(n: int):
    """A tiny fp32 MPJudge, n paintings and clips, its fp32 scores, and an int8-static copy of it."""
    model = tiny().eval()
    images, music = paintings(n), mels(n)
    with torch.no_grad():
        reference = model(images, music)
    return model, images, music, reference, set_precision(copy.deepcopy(model), "int8-static")


def test_int8_static_judge_matches_fp32_and_keeps_float_weights():
    _, images, music, reference, quantized = tiny_judges(5)
    assert quantized.precision == "int8-static"
    assert set(static_int8_modules(quantized)) == {"net.music", "net.painting"}
    assert all(is_static_int8(module) for module in static_int8_modules(quantized).values())
    with torch.no_grad():
        first = quantized(images, music)      # calibrates and compiles batch size 8 (5 padded)
        second = quantized(images[:3], music[:3])  # batch 3 runs at compiled size 4
    assert first.shape == (5,) and second.shape == (3,)
    assert (first - reference).abs().max() < 0.05
    assert (second - reference[:3]).abs().max() < 0.05
    judge = {key: value for key, value in quantized.state_dict().items() if key.startswith("net.")}
    assert judge and all(value.dtype in (torch.float32, torch.int64) for value in judge.values())  # float weights kept
    with pytest.raises(ValueError, match="load it again"):
        set_precision(quantized, "int8")


def test_calibrating_takes_ranges_over_several_batches_then_compiles():
    model, images, music, reference, quantized = tiny_judges(6)
    with torch.no_grad():
        with calibrating(quantized):
            during = quantized(images[:2], music[:2])  # float while the ranges are collected
            quantized(images[2:], music[2:])
        assert torch.allclose(during, reference[:2], atol=1e-5)
        assert all(module.forward.compiled is not None for module in static_int8_modules(quantized).values())
        assert (quantized(images, music) - reference).abs().max() < 0.05
    with pytest.raises(ValueError, match="already calibrated"):
        with calibrating(quantized):
            pass
    with pytest.raises(ValueError, match="no int8-static submodules"):
        with calibrating(model):
            pass


def test_mismatched_batch_sizes_are_a_clear_error():
    forward = StaticInt8Forward(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="same non-zero batch size"):
        forward(torch.zeros(2, 2), torch.zeros(3, 2))


def test_missing_torchao_or_compiler_is_named(monkeypatch):
    monkeypatch.setattr(static_int8, "static_int8_available", lambda: "it needs torchao")
    with pytest.raises(RuntimeError, match="'int8-static' is not available here: it needs torchao"):
        set_precision(tiny().eval(), "int8-static")
    assert precision.static_int8_modules(torch.nn.Linear(2, 2)) == {}
