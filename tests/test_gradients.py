"""Per-timestep gradients against torch.autograd; histograms against numpy; radius init."""

import math

import numpy as np
import pytest
import torch

from seqviz.gradients.analysis import (BPTT, bptt, histogram_per_step, reach, recurrent_radii,
                                       row_norms, set_spectral_radius, snapshot, spectral_radius,
                                       weight_term_stats, why)
from seqviz.gradients.tasks import build_net, build_task
from seqviz.models import build_recurrent
from seqviz.models.cells import gru_step, lstm_step, rnn_step

CASES = [("rnn", "tanh"), ("rnn", "relu"), ("gru", "tanh"), ("lstm", "tanh")]


def _setup(cell, act, T=9, B=4, H=5, radius=1.2, seed=0):
    task = build_task("recall", T, B, seed)
    net = build_net(cell, task, H, act, radius, seed).double()
    x, y = task.next()
    return task, net, x.double(), y


def _autograd_per_step_terms(layer, x, loss_of_output, h0=None, c0=None):
    """Reference: rerun the recurrence with a separate leaf copy of W_hh at every step, so
    torch.autograd.grad hands back each step's term of dL/dW_hh on its own."""
    B, T, _ = x.shape
    H = layer.hidden_size
    h = torch.zeros(B, H, dtype=x.dtype) if h0 is None else h0
    c = torch.zeros(B, H, dtype=x.dtype) if c0 is None else c0
    gi = torch.nn.functional.linear(x, layer.weight_ih_l0, layer.bias_ih_l0)  # (B, T, GH)
    copies, outs = [], []
    for t in range(T):
        w_t = layer.weight_hh_l0.detach().clone().requires_grad_(True)
        copies.append(w_t)
        if layer.cell_name == "rnn":
            h, _ = rnn_step(gi[:, t], h, w_t, layer.bias_hh_l0, layer.nonlinearity == "relu")
        elif layer.cell_name == "gru":
            h, _ = gru_step(gi[:, t], h, w_t, layer.bias_hh_l0)
        else:
            h, c, _ = lstm_step(gi[:, t], h, c, w_t, layer.bias_hh_l0)
        outs.append(h)
    loss = loss_of_output(torch.stack(outs, dim=1))
    return loss, torch.stack(torch.autograd.grad(loss, copies))  # (T, GH, H)


@pytest.mark.parametrize("cell,act", CASES)
def test_step_grads_equal_autograd(cell, act):
    task, net, x, y = _setup(cell, act)
    loss_fn = net.head_loss(task, y)
    loss, tr = bptt(net.rnn, x, loss_fn)
    out, _, internals = net.rnn(x, return_internals=True)  # the loop path, autograd graph
    ref_loss = loss_fn(out)
    torch.testing.assert_close(loss, ref_loss.detach())
    ref = internals.step_grads(ref_loss)  # (B, T, H), one autograd.grad over all h_t
    torch.testing.assert_close(tr.step_grads(), ref, rtol=1e-10, atol=1e-13)
    for t in (0, 4, 8):  # and each step on its own
        (g,) = torch.autograd.grad(ref_loss, internals.hidden_steps[0][0][t], retain_graph=True)
        torch.testing.assert_close(tr.dh[t], g, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("cell,act", CASES)
def test_weight_terms_equal_autograd_and_sum_to_the_gradient(cell, act):
    task, net, x, y = _setup(cell, act)
    loss_fn = net.head_loss(task, y)
    _, tr = bptt(net.rnn, x, loss_fn)
    terms = tr.weight_hh_terms()  # (T, GH, H)
    _, ref_terms = _autograd_per_step_terms(net.rnn, x, loss_fn)
    torch.testing.assert_close(terms, ref_terms, rtol=1e-10, atol=1e-13)
    full_loss = task.loss(net(x), y)  # the fused path, as in training
    g_w, g_b = torch.autograd.grad(full_loss, [net.rnn.weight_hh_l0, net.rnn.bias_hh_l0])
    torch.testing.assert_close(terms.sum(0), g_w, rtol=1e-10, atol=1e-13)
    torch.testing.assert_close(tr.bias_hh_terms().sum(0), g_b, rtol=1e-10, atol=1e-13)
    assert terms.abs().sum() > 0


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_nonzero_initial_state(cell):
    torch.manual_seed(1)
    layer = build_recurrent(cell, 3, 4).double()
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    h0 = torch.randn(2, 4, dtype=torch.float64)
    c0 = torch.randn(2, 4, dtype=torch.float64) if cell == "lstm" else None
    target = torch.randn(2, 6, 4, dtype=torch.float64)
    loss_fn = lambda out: ((out - target) ** 2).sum()  # a loss at every step  # noqa: E731
    _, tr = bptt(layer, x, loss_fn, h0, c0)
    _, ref_terms = _autograd_per_step_terms(layer, x, loss_fn, h0, c0)
    torch.testing.assert_close(tr.weight_hh_terms(), ref_terms, rtol=1e-10, atol=1e-12)


def test_float32_matches_float64_closely():
    task, net, x, y = _setup("lstm", "tanh", T=30, B=8, H=16)
    _, tr64 = bptt(net.rnn, x, net.head_loss(task, y))
    net32 = net.float()
    _, tr32 = bptt(net32.rnn, x.float(), net32.head_loss(task, y))
    torch.testing.assert_close(tr32.dh.double(), tr64.dh, rtol=1e-3, atol=1e-6)


def test_rejects_stacked_layers():
    layer = build_recurrent("rnn", 3, 4, num_layers=2)
    with pytest.raises(ValueError, match="num_layers=2"):
        bptt(layer, torch.randn(1, 3, 3), lambda out: out.sum())


# ---- histograms ---------------------------------------------------------------------------
def test_linear_histogram_equals_numpy_per_row():
    g = torch.Generator().manual_seed(0)
    v = torch.randn(7, 1000, generator=g) * torch.logspace(-3, 2, 7).unsqueeze(1)
    h = histogram_per_step(v, bins=11)
    m = float(v.abs().max())
    np.testing.assert_allclose(h.edges, np.linspace(-m, m, 12), rtol=1e-6)
    for t in range(7):
        ref, _ = np.histogram(v[t].numpy(), h.edges)
        np.testing.assert_array_equal(h.counts[t], ref)
    assert h.counts.sum() == v.numel() and h.per_step == 1000
    assert "11 bins over ±" in h.describe()


def test_log_histogram_counts_zeros_and_nonfinite_apart():
    g = torch.Generator().manual_seed(1)
    v = torch.randn(5, 200, generator=g) * torch.logspace(-20, 0, 5).unsqueeze(1)
    v[1, :3] = 0.0
    v[2, 0], v[2, 1], v[4, 7] = math.nan, math.inf, -math.inf
    h = histogram_per_step(v, bins=9, scale="log")
    np.testing.assert_array_equal(h.zeros, [0, 3, 0, 0, 0])
    np.testing.assert_array_equal(h.nonfinite, [0, 0, 2, 0, 1])
    for t in range(5):
        a = v[t].abs()
        a = a[torch.isfinite(a) & (a > 0)]
        ref, _ = np.histogram(np.log10(a.numpy()), h.edges)
        np.testing.assert_array_equal(h.counts[t], ref)
    text = h.describe()
    assert "3 exact zeros" in text and "3 NaN/inf" in text


def test_linear_histogram_with_nan_and_inf_bins_the_rest():
    v = torch.tensor([[1.0, -2.0, math.nan, 0.5], [math.inf, math.inf, math.inf, math.inf]])
    h = histogram_per_step(v, bins=4)
    np.testing.assert_array_equal(h.nonfinite, [1, 4])
    np.testing.assert_array_equal(h.counts.sum(1), [3, 0])
    assert h.edges[0] == -2.0 and h.edges[-1] == 2.0  # range of the finite entries only
    allbad = histogram_per_step(torch.full((2, 3), math.nan), bins=4)
    assert allbad.counts.sum() == 0 and allbad.nonfinite.sum() == 6


def test_chunked_weight_term_histogram_equals_whole(monkeypatch):
    import seqviz.gradients.analysis as G

    task, net, x, y = _setup("lstm", "tanh", T=12, B=4, H=6)
    _, tr = bptt(net.rnn, x, net.head_loss(task, y))
    terms = tr.weight_hh_terms()
    whole = histogram_per_step(terms.reshape(12, -1))
    for chunk, keep in [(100, 1 << 30), (100, 0), (1 << 20, 1 << 30)]:
        monkeypatch.setattr(G, "CHUNK_ENTRIES", chunk)
        monkeypatch.setattr(G, "KEEP_ENTRIES", keep)
        norms, hist = weight_term_stats(tr)
        np.testing.assert_array_equal(hist.counts, whole.counts)
        np.testing.assert_allclose(norms, terms.norm(dim=(1, 2)).numpy(), rtol=1e-5)


# ---- reach, why, spectral radius -----------------------------------------------------------
def test_reach_marks_where_the_norm_falls_below_a_thousandth():
    assert reach(0.5 ** np.arange(30)) == (9, 10)  # 0.5^10 = 9.8e-4 < 1e-3
    assert reach(1.1 ** np.arange(30)) == (29, None)  # exploding: reaches everything
    assert reach(np.array([1.0, math.inf, 1e-9])) == (1, 2)
    assert reach(np.full(5, math.nan)) == (4, None)


def test_rnn_jacobian_singular_values_equal_autograd_jacobian():
    task, net, x, y = _setup("rnn", "tanh", T=6, B=3, H=5)
    _, tr = bptt(net.rnn, x, net.head_loss(task, y))
    w = why(tr, max_jacobians=6)
    layer = net.rnn
    for k, t in enumerate(w.steps):
        gi = torch.nn.functional.linear(x[0, t], layer.weight_ih_l0, layer.bias_ih_l0)
        step = lambda h: torch.tanh(gi + h @ layer.weight_hh_l0.T + layer.bias_hh_l0)  # noqa: E731
        jac = torch.autograd.functional.jacobian(step, tr.h_prev[t, 0])
        assert w.value[k] == pytest.approx(float(torch.linalg.matrix_norm(jac, ord=2)), rel=1e-5)


def test_lstm_carry_is_the_product_of_forget_gates():
    task, net, x, y = _setup("lstm", "tanh", T=7, B=3, H=4)
    _, tr = bptt(net.rnn, x, net.head_loss(task, y))
    w = why(tr)
    f = tr.gates["f"]  # (T, B, H)
    for t in (0, 3, 6):
        ref = f[t + 1:].prod(dim=0).mean() if t < 6 else torch.tensor(1.0)
        assert w.carry[t] == pytest.approx(float(ref), rel=1e-9)
    np.testing.assert_allclose(w.value, f.mean(dim=(1, 2)).numpy(), rtol=1e-6)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("radius", [0.3, 1.0, 2.0])
def test_spectral_radius_init_gives_the_requested_radius(cell, radius):
    torch.manual_seed(0)
    layer = build_recurrent(cell, 3, 16)
    set_spectral_radius(layer, radius)
    radii = recurrent_radii(layer)
    assert len(radii) == {"rnn": 1, "gru": 3, "lstm": 4}[cell]
    for value in radii.values():
        assert value == pytest.approx(radius, rel=1e-5)
    w = layer.weight_hh_l0.detach()[:16]
    assert spectral_radius(w) == pytest.approx(float(np.abs(np.linalg.eigvals(w.numpy())).max()),
                                               rel=1e-5)
    with pytest.raises(ValueError):
        set_spectral_radius(layer, 0.0)


def test_exploding_run_at_the_slider_extremes_gives_numbers_not_errors():
    task = build_task("adding", 200, 32, 0)  # T = 200, radius 2.0, relu: the forward overflows
    net = build_net("rnn", task, 64, "relu", 2.0, 0)
    x, y = task.next()
    snap = snapshot(net.rnn, x, net.head_loss(task, y))
    assert not math.isfinite(snap.loss)
    assert snap.dh_hist.counts.shape == (200, 41) and snap.dw_hist.counts.shape == (200, 41)
    assert np.isfinite(snap.dh_hist.edges).all()


def test_nonfinite_gradient_entries_are_counted_apart():
    task, net, x, y = _setup("rnn", "tanh", T=20, B=4, H=8, radius=2.0)
    net = net.float()
    snap = snapshot(net.rnn, x.float(), lambda out: (out * 1e38).sum() * 1e38)  # overflows
    assert snap.dh_hist.nonfinite.sum() > 0 and snap.dw_hist.nonfinite.sum() > 0
    total = snap.dh_hist.counts.sum(1) + snap.dh_hist.nonfinite
    assert (total == 4 * 8).all()  # every entry is either binned or counted as NaN/inf
    assert "NaN/inf" in snap.dh_hist.describe()


def test_snapshot_is_numpy_and_consistent():
    task, net, x, y = _setup("gru", "tanh", T=10, B=4, H=6)
    net = net.float()
    snap = snapshot(net.rnn, x.float(), net.head_loss(task, y))
    _, tr = bptt(net.rnn, x.float(), net.head_loss(task, y))
    assert isinstance(snap.dh_norm, np.ndarray) and snap.dh_norm.shape == (10,)
    np.testing.assert_allclose(snap.dh_norm, tr.dh.norm(dim=(1, 2)).numpy(), rtol=1e-5)
    np.testing.assert_allclose(snap.norm_by_distance, snap.dh_norm[::-1])
    assert snap.dh_hist.counts.sum(1).tolist() == [4 * 6] * 10
    light = snapshot(net.rnn, x.float(), net.head_loss(task, y), detail=False)
    assert light.dh_hist is None and light.why is None
    assert isinstance(tr, BPTT)


def test_histogram_without_pair_counting_equals_numpy():
    g = torch.Generator().manual_seed(2)
    v = torch.randn(5, 999, generator=g)  # odd row length: one entry per slot, not pairs
    h = histogram_per_step(v, bins=7)
    for t in range(5):
        ref, _ = np.histogram(v[t].numpy(), h.edges)
        np.testing.assert_array_equal(h.counts[t], ref)


def test_row_norms_survive_float32_overflow_and_underflow():
    g = torch.Generator().manual_seed(3)
    v = torch.randn(7, 500, generator=g)
    v[0] *= 1e-30  # squares underflow float32
    v[1] *= 1e25  # squares overflow float32
    v[2] = 0.0
    v[3, 5] = math.nan
    v[4, 3] = math.inf
    v[5] *= 1e-44  # denormal entries
    ref = torch.linalg.vector_norm(v.double(), dim=1).numpy()
    got = row_norms(v)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got[[0, 1, 2, 5, 6]], ref[[0, 1, 2, 5, 6]], rtol=1e-5)
    assert math.isnan(got[3]) and got[4] == math.inf


def test_histogram_binned_a_few_rows_at_a_time_equals_numpy(monkeypatch):
    import seqviz.gradients.step_hist as SH

    monkeypatch.setattr(SH, "BIN_CHUNK_ENTRIES", 2500)  # 2 rows of 1000 per call, 4 calls
    g = torch.Generator().manual_seed(4)
    v = torch.randn(7, 1000, generator=g) * torch.logspace(-2, 1, 7).unsqueeze(1)
    h = histogram_per_step(v, bins=9)
    for t in range(7):
        ref, _ = np.histogram(v[t].numpy(), h.edges)
        np.testing.assert_array_equal(h.counts[t], ref)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_float32_onednn_path_matches_float64(cell):
    """H 128: the LSTM's (and GRU's) W_hh is big enough for the packed oneDNN product, and the
    gate recomputation runs through oneDNN too; float64 runs the plain torch reference."""
    from seqviz.gradients import onednn

    task, net, x, y = _setup(cell, "tanh", T=20, B=8, H=128, radius=1.0)
    _, ref = bptt(net.rnn, x, net.head_loss(task, y))
    net32 = net.float()
    if cell == "lstm" and onednn.available():
        with torch.no_grad():
            assert onednn.Packed(net32.rnn.weight_hh_l0.t().contiguous(), 8).fast
    _, got = bptt(net32.rnn, x.float(), net32.head_loss(task, y))
    scale = ref.dh.abs().max()
    torch.testing.assert_close(got.dh.double() / scale, ref.dh / scale, rtol=1e-4, atol=1e-5)
    terms, ref_terms = got.weight_hh_terms().double(), ref.weight_hh_terms()
    top = ref_terms.abs().max()
    torch.testing.assert_close(terms / top, ref_terms / top, rtol=1e-4, atol=1e-5)
