"""Multi-head attention with its projections as plain ``nn.Linear`` layers, for int8 inference.

``nn.MultiheadAttention`` keeps the query/key/value projections in one packed ``in_proj_weight`` and
its inference fast path reads that float tensor directly, so dynamic quantisation cannot reach it:
in a ViT a third of the linear work stays fp32. :func:`split_attention` swaps every stand-alone
``nn.MultiheadAttention`` of a model for :class:`SplitAttention`, which holds the same weights as
four ``nn.Linear`` modules and attends with ``F.scaled_dot_product_attention``; the outputs equal the
original's (up to float rounding) and the four projections can then be quantised like any linear.
Attention inside PyTorch's fused transformer layers is left alone (their fast paths need the packed
weights).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

FUSED_LAYERS = (nn.TransformerEncoderLayer, nn.TransformerDecoderLayer)


class SplitAttention(nn.Module):
    """``nn.MultiheadAttention``'s forward (``batch_first`` or not, masks, ``need_weights``) with
    separate ``q``, ``k``, ``v`` and ``out`` linear projections."""

    def __init__(self, embed_dim: int, num_heads: int, kdim: int, vdim: int, bias: bool, batch_first: bool,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        self.embed_dim, self.num_heads, self.batch_first, self.dropout = embed_dim, num_heads, batch_first, dropout
        self.q = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.k = nn.Linear(kdim, embed_dim, bias=bias)
        self.v = nn.Linear(vdim, embed_dim, bias=bias)
        self.out = nn.Linear(embed_dim, embed_dim, bias=bias)

    @classmethod
    def from_attention(cls, attention: nn.MultiheadAttention) -> "SplitAttention":
        """The same attention (weights copied) as a :class:`SplitAttention`."""
        if attention.bias_k is not None or attention.add_zero_attn:
            raise ValueError("SplitAttention does not support add_bias_kv or add_zero_attn")
        bias = attention.in_proj_bias is not None
        split = cls(attention.embed_dim, attention.num_heads, attention.kdim, attention.vdim, bias,
                    attention.batch_first, attention.dropout)
        if attention._qkv_same_embed_dim:
            weights = attention.in_proj_weight.chunk(3)
        else:
            weights = (attention.q_proj_weight, attention.k_proj_weight, attention.v_proj_weight)
        biases = attention.in_proj_bias.chunk(3) if bias else (None, None, None)
        with torch.no_grad():
            for layer, weight, b in zip((split.q, split.k, split.v), weights, biases):
                layer.weight.copy_(weight)
                if b is not None:
                    layer.bias.copy_(b)
            split.out.weight.copy_(attention.out_proj.weight)
            if bias:
                split.out.bias.copy_(attention.out_proj.bias)
        return split.to(attention.out_proj.weight.device).train(attention.training)

    def _heads(self, x: Tensor) -> Tensor:
        batch, length, _ = x.shape
        return x.view(batch, length, self.num_heads, -1).transpose(1, 2)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None,
                need_weights: bool = True, attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        unbatched = query.dim() == 2
        if unbatched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
        elif not self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        q, k, v = self._heads(self.q(query)), self._heads(self.k(key)), self._heads(self.v(value))
        mask = _additive_mask(attn_mask, key_padding_mask, q, k.shape[-2])
        dropout = self.dropout if self.training else 0.0
        if need_weights:
            scores = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5
            if mask is not None:
                scores = scores + mask
            elif is_causal:
                scores = scores.masked_fill(torch.ones_like(scores, dtype=torch.bool).triu(1), float("-inf"))
            weights = F.dropout(scores.softmax(dim=-1), dropout, self.training)
            attended = weights @ v
        else:
            weights = None
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout,
                                                      is_causal=is_causal and mask is None)
        batch, _, length, _ = attended.shape
        output = self.out(attended.transpose(1, 2).reshape(batch, length, self.embed_dim))
        if weights is not None and average_attn_weights:
            weights = weights.mean(dim=1)
        if unbatched:
            output = output.squeeze(0)
            weights = weights.squeeze(0) if weights is not None else None
        elif not self.batch_first:
            output = output.transpose(0, 1)
        return output, weights


def _additive_mask(attn_mask: Tensor | None, key_padding_mask: Tensor | None, q: Tensor,
                   keys: int) -> Tensor | None:
    """``attn_mask`` ([L, S] or [B*H, L, S]) and ``key_padding_mask`` ([B, S]) as one float mask that
    broadcasts to ``[B, H, L, S]`` (``True`` in a boolean mask means "do not attend", as in PyTorch)."""
    batch, heads, length, _ = q.shape
    mask = None
    for part, padding in ((attn_mask, False), (key_padding_mask, True)):
        if part is None:
            continue
        if part.dtype == torch.bool:
            part = torch.zeros(part.shape, dtype=q.dtype, device=q.device).masked_fill(part, float("-inf"))
        if padding:
            part = part.view(batch, 1, 1, keys)
        elif part.dim() == 3:
            part = part.view(batch, heads, length, keys)
        mask = part.to(q.dtype) if mask is None else mask + part.to(q.dtype)
    return mask


def split_attention(model: nn.Module) -> nn.Module:
    """Replace, in place, every ``nn.MultiheadAttention`` outside PyTorch's fused transformer layers by
    the equivalent :class:`SplitAttention`; returns ``model``."""
    inside_fused = {id(module) for layer in model.modules() if isinstance(layer, FUSED_LAYERS)
                    for module in layer.modules()}
    for parent in list(model.modules()):
        if id(parent) in inside_fused:
            continue
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.MultiheadAttention):
                setattr(parent, name, SplitAttention.from_attention(child))
    return model
