"""seqviz.gradients.onednn: the oneDNN products equal F.linear, and everything falls back."""

import pytest
import torch
from torch.nn import functional as F

from seqviz.gradients import onednn


def _data(dtype=torch.float32):
    g = torch.Generator().manual_seed(0)
    return tuple(torch.randn(*shape, generator=g, dtype=dtype)
                 for shape in ((6, 5, 40), (24, 40), (24,)))


@pytest.mark.parametrize("bias", [True, False])
def test_linear_equals_f_linear(bias):
    x, w, b = _data()
    b = b if bias else None
    with torch.no_grad():
        torch.testing.assert_close(onednn.linear(x, w, b), F.linear(x, w, b))
        xt = x.transpose(0, 1)  # non-contiguous input, as bptt passes it
        torch.testing.assert_close(onednn.linear(xt, w, b), F.linear(xt, w, b))


@pytest.mark.parametrize("shape", [(24, 40), (128, 512)])  # F.linear, then oneDNN packed
def test_packed_weight_equals_f_linear_for_every_row(shape):
    g = torch.Generator().manual_seed(1)
    w = torch.randn(*shape, generator=g)
    x = torch.randn(6, 5, shape[1], generator=g)
    with torch.no_grad():
        step = onednn.Packed(w, rows=5)
        assert step.fast == (onednn.available() and w.numel() >= onednn.PACK_MIN_ENTRIES)
        for t in range(6):  # sums of 512 terms ~N(0, 1): summation order moves ~1e-5
            torch.testing.assert_close(step(x[t]), F.linear(x[t], w), rtol=1e-5, atol=1e-4)


def test_uses_onednn_for_float32_without_autograd_only():
    if not onednn.available():
        pytest.skip("this torch build has no oneDNN products")
    x, w, b = _data()
    with torch.no_grad():
        assert onednn._eligible(x, w, b) and not onednn.Packed(w, 5).fast  # too small to pay
        assert onednn.Packed(torch.randn(512, 128), 32).fast
        assert not onednn._eligible(x.double(), w.double())  # oneDNN has no float64 product
    assert not onednn._eligible(x, w)  # autograd on: F.linear, which records the graph
    wg = w.clone().requires_grad_(True)
    assert onednn.linear(x, wg, b).grad_fn is not None


def test_float64_and_grad_fall_back_to_f_linear():
    x, w, b = _data(torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(onednn.linear(x, w, b), F.linear(x, w, b), rtol=0, atol=0)
        torch.testing.assert_close(onednn.Packed(w, 5)(x[0]), F.linear(x[0], w), rtol=0, atol=0)


def test_a_build_without_the_ops_falls_back(monkeypatch):
    monkeypatch.setattr(onednn, "_ops", lambda: (None, None))
    monkeypatch.setattr(onednn, "_state", {})
    x, w, b = _data()
    assert not onednn.available()
    with torch.no_grad():
        torch.testing.assert_close(onednn.linear(x, w, b), F.linear(x, w, b), rtol=0, atol=0)
        assert not onednn.Packed(torch.randn(512, 128), 5).fast


def test_a_disagreeing_op_is_not_used(monkeypatch):
    def wrong(x, w, b, *args):
        return F.linear(x, w, b) + 1.0

    monkeypatch.setattr(onednn, "_ops", lambda: (wrong, lambda w, rows: w))
    monkeypatch.setattr(onednn, "_state", {})
    assert not onednn.available()
