"""Inference precision of any zoo model: ``create_model(..., precision=...)``, ``load(..., precision=...)``
and ``--precision`` on the task commands.

* ``"32-true"`` (default): float32, as trained.
* ``"bf16-mixed"``: the forward pass and every task method run under ``torch.autocast`` with
  bfloat16 (matrix products and convolutions in bf16, reductions and normalisations in fp32); the
  weights stay fp32. On CPUs with AMX or AVX512-BF16 units this is several times faster; on CPUs
  without them it is usually slower, so it is never chosen for you.
* ``"int8"``: dynamic quantisation of the ``nn.Linear`` layers (int8 weights, activations quantised
  per batch). Stand-alone ``nn.MultiheadAttention`` is first split into four linear projections
  (:mod:`affectzoo.attention`) so its projections are quantised too; inside PyTorch's fused
  transformer layers, whose fast paths need float weights, they stay fp32, as do convolutions and
  normalisations. It needs no bf16 units (VNNI makes it faster).
* ``"int8-static"``: as ``"int8"``, except that the submodules a model class names in
  ``static_int8_modules`` (its compute-heavy trunk: MPJudge's painting and music encoders) are
  exported whole, quantised statically (weights and activations, ranges calibrated on the first batch
  they see, or on several inside :func:`affectzoo.static_int8.calibrating`) and compiled by Inductor
  (:mod:`affectzoo.static_int8`). Much faster than ``"int8"`` where it applies; the first call of
  each new batch size compiles (tens of seconds). Needs ``torchao`` and a C++ compiler. A class that
  names no modules gets plain ``"int8"``.

``ZooModule.__call__`` and ``ZooModule._inference`` enter :func:`model_precision`, so ``model(batch)``
and every task method (``score``, ``predict_va``, ``recommend``, ...) run in the chosen precision.
The names are Lightning's (``Trainer(precision=...)`` takes the first two for training). The choice is
recorded on the model (``model.precision``) and applied in place; an int8 model cannot go back to
fp32 (load it again).
"""

from __future__ import annotations

import functools
from contextlib import contextmanager, nullcontext
from typing import Iterator

import torch
from torch import nn

from affectzoo.attention import FUSED_LAYERS, split_attention
from affectzoo.static_int8 import make_static_int8

PRECISIONS = ("32-true", "bf16-mixed", "int8", "int8-static")
ALIASES = {"32": "32-true", "fp32": "32-true", "float32": "32-true", "bf16": "bf16-mixed", "qint8": "int8"}


def canonical(precision: str | None) -> str:
    """Lightning's name for ``precision`` (``None`` -> ``"32-true"``); a clear error for unknown names."""
    if precision is None:
        return "32-true"
    name = ALIASES.get(str(precision), str(precision))
    if name not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS} (or {sorted(ALIASES)}), got {precision!r}")
    return name


def autocast(precision: str, device_type: str = "cpu"):
    """The autocast context of ``precision`` (a no-op unless ``"bf16-mixed"``)."""
    if precision == "bf16-mixed":
        return torch.autocast(device_type, dtype=torch.bfloat16)
    return nullcontext()


@contextmanager
def model_precision(model: nn.Module) -> Iterator[None]:
    """Run a task method of ``model`` in the model's precision (used by ``ZooModule._inference``)."""
    precision = getattr(model, "precision", "32-true")
    if precision != "bf16-mixed":  # nothing to enter: no device lookup on the fp32 path of every call
        yield
        return
    with autocast(precision, _device_type(model)):
        yield


def float32_outputs(value):
    """``value`` with its reduced-precision float tensors (in dicts, lists, tuples) turned to float32:
    what a model returns does not depend on the precision it computed in."""
    if isinstance(value, torch.Tensor):
        return value.float() if value.dtype in (torch.bfloat16, torch.float16) else value
    if isinstance(value, dict):
        return {key: float32_outputs(item) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(float32_outputs(item) for item in value)
    return value


def returns_float32(method):
    """Wrap a task method so its outputs are float32 whatever the model's precision."""
    if getattr(method, "_returns_float32", False):
        return method

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        return float32_outputs(method(self, *args, **kwargs))

    wrapper._returns_float32 = True
    return wrapper


def set_precision(model: nn.Module, precision: str | None) -> nn.Module:
    """Apply ``precision`` to ``model`` in place (see the module docstring) and return it."""
    name = canonical(precision)
    current = getattr(model, "precision", "32-true")
    if current.startswith("int8") and name != current:
        raise ValueError(f"an {current} model cannot be turned into {name}: load it again")
    if name.startswith("int8") and current != name:
        static = static_int8_modules(model) if name == "int8-static" else {}
        for module in static.values():  # first: a missing torchao fails before the model is changed
            make_static_int8(module)
        split_attention(model)
        linears = {linear for linear in quantizable_linears(model)
                   if not any(linear.startswith(f"{prefix}.") for prefix in static)}
        torch.ao.quantization.quantize_dynamic(model, linears, dtype=torch.qint8, inplace=True)
    model.precision = name
    return model


def static_int8_modules(model: nn.Module) -> dict[str, nn.Module]:
    """The submodules ``"int8-static"`` compiles: the model class's ``static_int8_modules`` names that
    exist on this instance (a variant without one of them, e.g. no frozen backbone, skips it)."""
    found = {}
    for name in getattr(model, "static_int8_modules", ()):
        try:  # a missing name or a None attribute (e.g. net.music of the painting-only judge)
            found[name] = model.get_submodule(name)
        except AttributeError:
            continue
    return found


# PyTorch's fused transformer layers and attention read their linear layers' weights directly
FUSED = (*FUSED_LAYERS, nn.MultiheadAttention)


def quantizable_linears(model: nn.Module) -> set[str]:
    """Names of the ``nn.Linear`` modules int8 replaces: all but those inside PyTorch's fused
    transformer layers and attention (their fast paths need float weights; :func:`set_precision`
    splits stand-alone attention first, so only the fused layers' remain)."""
    inside = {f"{name}.{child}" if name else child for name, module in model.named_modules()
              if isinstance(module, FUSED) for child, _ in module.named_modules() if child}
    return {name for name, module in model.named_modules() if type(module) is nn.Linear and name not in inside}


def _device_type(model: nn.Module) -> str:
    parameter = next(model.parameters(), None)
    return parameter.device.type if parameter is not None else "cpu"


def cpu_flags() -> dict[str, bool]:
    """Which reduced-precision units this CPU has (``/proc/cpuinfo``): amx_bf16, avx512_bf16, vnni."""
    try:
        with open("/proc/cpuinfo") as handle:
            flags = next((line.split(":", 1)[1].split() for line in handle if line.startswith("flags")), [])
    except OSError:
        flags = []
    return {"amx_bf16": "amx_bf16" in flags, "avx512_bf16": "avx512_bf16" in flags,
            "vnni": "avx512_vnni" in flags or "avx_vnni" in flags}
