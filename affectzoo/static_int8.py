"""Static int8 for a model's compute-heavy submodules: PyTorch 2 export, the x86 Inductor quantiser
and Inductor compilation (the ``"int8-static"`` precision of :mod:`affectzoo.precision`).

Dynamic int8 (``"int8"``) quantises each ``nn.Linear`` on its own and re-quantises its activations on
every call; GELU, normalisation, attention and convolutions stay fp32 eager ops between them. Here a
whole submodule (a ViT trunk, a conv encoder) is exported as one graph, its linear layers, convolutions
and their activations are quantised to int8 with ranges calibrated once, and Inductor compiles the graph
(weights frozen and prepacked for oneDNN, elementwise ops fused into the int8 kernels).

:func:`make_static_int8` replaces the submodule's ``forward`` in place (parameters and ``state_dict``
are unchanged). The work happens on the first call: its inputs calibrate the activation ranges, which
then stay fixed, so the first batch should be representative; :func:`calibrating` takes the ranges over
several batches instead. The leading dimension of every tensor input is exported as dynamic, so other
batch sizes reuse the quantised graph; each compiles once per power-of-two batch size (batches are
padded up).
Needs ``torchao`` and a C++ compiler (Inductor builds its kernels with it).
"""

from __future__ import annotations

import importlib.util
import shutil
from contextlib import contextmanager
from typing import Any, Iterator

import torch
from torch import nn


def static_int8_available() -> str | None:
    """None when static int8 can run here, else why not (named in the error of ``precision="int8-static"``)."""
    if importlib.util.find_spec("torchao") is None:
        return "it needs torchao (pip install 'affectzoo[int8]')"
    if shutil.which("g++") is None and shutil.which("c++") is None:
        return "Inductor needs a C++ compiler (g++) to build its kernels"
    return None


def _float_forward(module: nn.Module, *args: Any) -> Any:
    """``module``'s own class forward, bypassing the patched instance ``forward``."""
    return type(module).forward(module, *args)


class _Unpatched(nn.Module):
    """The submodule with its class's own forward, so export does not call the patched one."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, *args: Any) -> Any:
        return _float_forward(self.module, *args)


class StaticInt8Forward:
    """The ``forward`` of a submodule made static int8: exports, calibrates and compiles on the first call.

    Inductor compiles one kernel set per input shape, so each call's batch is padded (its last row
    repeated) to the next power of two and the outputs cut back: any batch size reuses one of a few
    compiled shapes.
    """

    def __init__(self, module: nn.Module) -> None:
        self.module = module
        self.compiled = None
        self.recorded: list[tuple] | None = None  # inputs kept for calibration inside calibrating()

    def __call__(self, *args: Any) -> Any:
        sizes = {arg.shape[0] for arg in args if isinstance(arg, torch.Tensor)}
        if len(sizes) != 1 or 0 in sizes:
            raise ValueError(f"int8-static {type(self.module).__name__}: every tensor input needs the same "
                             f"non-zero batch size, got leading dimensions {sorted(sizes)}")
        n = sizes.pop()
        size = padded_size(n)
        padded = tuple(_pad(arg, size) if isinstance(arg, torch.Tensor) else arg for arg in args)
        if self.recorded is not None:
            self.recorded.append(padded)
            return _float_forward(self.module, *args)  # float, while calibrating
        if self.compiled is None:
            self.compiled = self._build([padded])
        return _unpad(self.compiled(*padded), size, n)

    def _build(self, batches: list[tuple]) -> Any:
        import torch._inductor.config as inductor_config
        from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
        from torchao.quantization.pt2e.quantizer import x86_inductor_quantizer as x86

        batch = torch.export.Dim("batch", min=1)
        shapes = tuple({0: batch} if isinstance(arg, torch.Tensor) else None for arg in batches[0])
        with torch.no_grad():
            graph = torch.export.export(_Unpatched(self.module).eval(), batches[0], dynamic_shapes=(shapes,)).module()
            quantizer = x86.X86InductorQuantizer().set_global(x86.get_default_x86_inductor_quantization_config())
            prepared = prepare_pt2e(graph, quantizer)
            for args in batches:  # calibration: the activation ranges over these batches
                prepared(*args)
            quantized = convert_pt2e(prepared)
        compiled = torch.compile(quantized, dynamic=False)  # the x86 int8 passes need concrete shapes

        def run(*call_args: Any) -> Any:
            # freezing folds the int8 weights into prepacked oneDNN kernels; it applies when a shape compiles
            with torch.no_grad(), inductor_config.patch(freezing=True):
                return compiled(*call_args)
        return run


@contextmanager
def calibrating(model: nn.Module) -> Iterator[None]:
    """Calibrate ``model``'s int8-static submodules on every batch run inside the block (in float),
    instead of on the first batch alone; they are quantised and compiled when the block ends::

        with calibrating(judge):
            for batch in some_batches:
                judge(batch["image"], batch["music"])
    """
    forwards = [module.__dict__["forward"] for module in model.modules() if is_static_int8(module)]
    if not forwards:
        raise ValueError(f"{type(model).__name__} has no int8-static submodules: "
                         "load it with precision='int8-static'")
    if any(forward.compiled is not None for forward in forwards):
        raise ValueError("this model is already calibrated (its first batch did it): load it again to recalibrate")
    for forward in forwards:
        forward.recorded = []
    try:
        yield
        for forward in forwards:
            if forward.recorded:
                forward.compiled = forward._build(forward.recorded)
    finally:
        for forward in forwards:
            forward.recorded = None


def padded_size(n: int) -> int:
    """The compiled batch size that serves a batch of ``n``: the next power of two."""
    return 1 << (n - 1).bit_length()


def _pad(tensor: torch.Tensor, size: int) -> torch.Tensor:
    extra = size - tensor.shape[0]
    if extra:
        tensor = torch.cat([tensor, tensor[-1:].expand(extra, *tensor.shape[1:])])
    return tensor.contiguous()


def _unpad(value: Any, size: int, n: int) -> Any:
    if isinstance(value, torch.Tensor):
        return value[:n] if value.ndim and value.shape[0] == size and size != n else value
    if isinstance(value, (tuple, list)):
        return type(value)(_unpad(item, size, n) for item in value)
    return value


def make_static_int8(module: nn.Module) -> nn.Module:
    """Make ``module`` (in eval mode, tensor inputs with a leading batch dimension) static int8 in place."""
    reason = static_int8_available()
    if reason is not None:
        raise RuntimeError(f"precision 'int8-static' is not available here: {reason}")
    module.eval()
    module.forward = StaticInt8Forward(module)
    return module


def is_static_int8(module: nn.Module) -> bool:
    return isinstance(module.__dict__.get("forward"), StaticInt8Forward)
