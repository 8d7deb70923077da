"""The one-unit cliff: exact gradients, a wall where the attractor flips, clipped descent."""

import math

import numpy as np
import pytest
import torch

from seqviz.gradients.cliff import START, Cliff, compare, descend


def _torch_loss(cliff: Cliff, w: float, b: float):
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    h = torch.tensor(cliff.h0, dtype=torch.float64)
    for _ in range(cliff.steps):
        h = torch.tanh(wt * h + bt)
    loss = (h - cliff.target) ** 2
    gw, gb = torch.autograd.grad(loss, [wt, bt])
    return float(loss.detach()), float(gw), float(gb)


@pytest.mark.parametrize("w,b", [(0.5, 0.3), (3.0, -0.5), (2.0, -0.45), (1.2, -1.7)])
def test_gradient_equals_autograd(w, b):
    cliff = Cliff()
    ref = _torch_loss(cliff, w, b)
    assert cliff.point(w, b) == pytest.approx(ref, rel=1e-9, abs=1e-14)
    loss, gw, gb = cliff.loss_grad(np.array([w]), np.array([b]))
    assert (loss[0], gw[0], gb[0]) == pytest.approx(ref, rel=1e-9, abs=1e-14)


def test_grid_matches_points_and_has_a_wall():
    cliff = Cliff()
    ws, bs, loss = cliff.grid(n=21)
    assert loss.shape == (21, 21)
    assert loss[4, 7] == pytest.approx(cliff.point(ws[7], bs[4])[0])
    ww, wb = cliff.wall()
    for w, b in zip(ww[10::10], wb[10::10]):  # h_T lands on opposite attractors either side
        above = cliff.point(w, b + 0.02)[0]
        below = cliff.point(w, b - 0.02)[0]
        assert abs(above - below) > 1.0
    steep = max(math.hypot(*cliff.point(w, b)[1:]) for w, b in zip(ww[5:], wb[5:]))
    flat = math.hypot(*cliff.point(0.5, 0.3)[1:])
    assert steep > 1e3 * max(flat, 1e-6)


def test_clipped_steps_never_exceed_lr_times_threshold():
    cliff = Cliff()
    plain, clipped = compare(cliff, lr=0.3, threshold=0.5)
    assert plain.w[0] == clipped.w[0] == START[0] and plain.b[0] == clipped.b[0] == START[1]
    steps = np.hypot(np.diff(clipped.w), np.diff(clipped.b))
    assert steps.max() <= 0.3 * 0.5 * (1 + 1e-9)
    assert clipped.clipped.any()
    # the unclipped path hits the wall and is thrown far away; the clipped one stays near
    assert plain.largest_step > 100 * clipped.largest_step
    assert abs(clipped.w[-1]) < 10 and abs(clipped.b[-1]) < 10
    assert clipped.loss[-1] < clipped.loss[0]


def test_clipping_in_descent_equals_torch_clip_grad_norm():
    cliff = Cliff()
    path = descend(cliff, START, lr=0.3, steps=5, clip="norm", threshold=0.5)
    w, b = START
    for k in range(5):
        _, gw, gb = cliff.point(w, b)
        g = [torch.nn.Parameter(torch.zeros((), dtype=torch.float64)) for _ in range(2)]
        for p, v in zip(g, (gw, gb)):
            p.grad = torch.tensor(v, dtype=torch.float64)
        torch.nn.utils.clip_grad_norm_(g, 0.5)
        w, b = w - 0.3 * float(g[0].grad), b - 0.3 * float(g[1].grad)
        assert (path.w[k + 1], path.b[k + 1]) == pytest.approx((w, b), rel=1e-12)


def test_value_clipping_and_no_clipping():
    cliff = Cliff()
    path = descend(cliff, START, lr=0.3, steps=20, clip="value", threshold=0.1)
    assert np.abs(np.diff(path.w)).max() <= 0.03 + 1e-12
    plain = descend(cliff, START, lr=0.3, steps=20)
    assert not plain.clipped.any() and plain.label == "without clipping"
