"""SplitAttention equals nn.MultiheadAttention; int8 models quantise attention projections too."""

import pytest
import torch
from torch import nn

from affectzoo.attention import SplitAttention, split_attention
from affectzoo.precision import set_precision


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("need_weights", [True, False])
def test_split_attention_matches_multihead_attention(batch_first, need_weights):
    torch.manual_seed(0)
    reference = nn.MultiheadAttention(16, 4, batch_first=batch_first).eval()
    split = SplitAttention.from_attention(reference).eval()
    shape = (2, 5, 16) if batch_first else (5, 2, 16)
    query, key = torch.randn(shape), torch.randn(shape)
    padding = torch.tensor([[False] * 4 + [True], [False] * 5])
    with torch.no_grad():
        expected, expected_weights = reference(query, key, key, key_padding_mask=padding, need_weights=need_weights)
        got, weights = split(query, key, key, key_padding_mask=padding, need_weights=need_weights)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4)
    if need_weights:
        torch.testing.assert_close(weights, expected_weights, atol=1e-6, rtol=1e-4)
    else:
        assert weights is None


def test_split_attention_with_different_key_width_and_a_causal_mask():
    torch.manual_seed(1)
    reference = nn.MultiheadAttention(8, 2, kdim=6, vdim=5, batch_first=True).eval()
    split = SplitAttention.from_attention(reference).eval()
    query, key, value = torch.randn(3, 4, 8), torch.randn(3, 4, 6), torch.randn(3, 4, 5)
    causal = torch.ones(4, 4, dtype=torch.bool).triu(1)
    with torch.no_grad():
        expected = reference(query, key, value, attn_mask=causal, need_weights=False)[0]
        got = split(query, key, value, attn_mask=causal, need_weights=False)[0]
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4)


def test_split_attention_leaves_fused_transformer_layers_alone():
    model = nn.Sequential(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True),
                          nn.Module())
    model[1].attn = nn.MultiheadAttention(8, 2, batch_first=True)
    split_attention(model)
    assert isinstance(model[0].self_attn, nn.MultiheadAttention)
    assert isinstance(model[1].attn, SplitAttention)


def test_int8_quantises_the_attention_projections_and_keeps_the_output():
    torch.manual_seed(2)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(32, 4, batch_first=True)

        def forward(self, x):
            return self.attn(x, x, x, need_weights=False)[0]

    model = Block().eval()
    x = torch.randn(2, 10, 32)
    with torch.no_grad():
        expected = model(x)
        set_precision(model, "int8")
        got = model(x)
    assert isinstance(model.attn, SplitAttention)
    assert all(type(layer).__module__.startswith("torch.ao.nn.quantized")
               for layer in (model.attn.q, model.attn.k, model.attn.v, model.attn.out))
    assert (got - expected).abs().max() < 0.05
