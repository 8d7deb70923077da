"""seqviz.models recurrent layers against torch.nn.RNN / GRU / LSTM (float64 oracle)."""

from __future__ import annotations

import copy
import io
import pathlib
import threading

import numpy as np
import pytest
import torch
from torch import nn
from torch.testing import assert_close

from seqviz.models import CELLS, GRU, LSTM, RNN, Internals, build_recurrent

I, H, B, T = 4, 3, 2, 5
KINDS = {  # name -> (ours, torch, extra kwargs)
    "rnn_tanh": (RNN, nn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (RNN, nn.RNN, {"nonlinearity": "relu"}),
    "gru": (GRU, nn.GRU, {}),
    "lstm": (LSTM, nn.LSTM, {}),
}


def make_pair(kind, num_layers=1, bidirectional=False, batch_first=True, bias=True, seed=0):
    """(ours, reference) in float64, ours loaded from the reference's state dict (strict)."""
    ours_cls, ref_cls, kw = KINDS[kind]
    torch.manual_seed(seed)
    ref = ref_cls(I, H, num_layers, bias=bias, batch_first=batch_first,
                  bidirectional=bidirectional, **kw).double()
    ours = ours_cls(I, H, num_layers, bias=bias, batch_first=batch_first,
                    bidirectional=bidirectional, **kw).double()
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ours, ref


def inputs(kind, num_layers, bidirectional, batch_first=True, with_state=True, seed=1):
    g = torch.Generator().manual_seed(seed)
    shape = (B, T, I) if batch_first else (T, B, I)
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    state = None
    if with_state:
        s_shape = (num_layers * (2 if bidirectional else 1), B, H)
        h0 = torch.randn(s_shape, generator=g, dtype=torch.float64)
        c0 = torch.randn(s_shape, generator=g, dtype=torch.float64)
        state = (h0, c0) if kind == "lstm" else h0
    return x, state


def leafs(x, state):
    """Fresh leaf copies (requires_grad) of x and state, to compare input gradients too."""
    x = x.clone().requires_grad_()
    if state is None:
        return x, None, []
    parts = state if isinstance(state, tuple) else (state,)
    parts = tuple(p.clone().requires_grad_() for p in parts)
    return x, (parts if isinstance(state, tuple) else parts[0]), list(parts)


def linear_loss(output, final, seed=2):
    """A random linear function of the output and every part of the final state."""
    g = torch.Generator().manual_seed(seed)
    parts = [output] + (list(final) if isinstance(final, tuple) else [final])
    return sum((p * torch.randn(p.shape, generator=g, dtype=p.dtype)).sum() for p in parts)


def run_and_grads(module, x, state, **kw):
    x, state, state_leafs = leafs(x, state)
    module.zero_grad()
    output, final = module(x, state, **kw)[:2]
    linear_loss(output, final).backward()
    grads = {n: p.grad.clone() for n, p in module.named_parameters()}
    return output, final, grads, x.grad, [s.grad for s in state_leafs]


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("fused", [False, True], ids=["loop", "fused"])
@pytest.mark.parametrize("with_state", [False, True], ids=["state0", "state"])
def test_matches_torch_outputs_and_gradients(kind, num_layers, bidirectional, fused, with_state):
    ours, ref = make_pair(kind, num_layers, bidirectional)
    ours.fused = fused
    x, state = inputs(kind, num_layers, bidirectional, with_state=with_state)
    got = run_and_grads(ours, x, state)
    want = run_and_grads(ref, x, state)
    assert_close(got[0], want[0])
    assert_close(got[1], want[1])
    assert got[2].keys() == want[2].keys()
    for name in want[2]:
        assert_close(got[2][name], want[2][name], msg=name)
    assert_close(got[3], want[3])  # dL/dx
    for g_ours, g_ref in zip(got[4], want[4]):  # dL/d(initial state)
        assert_close(g_ours, g_ref)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("num_layers", [1, 2])
def test_one_step_decoding_path_matches_torch(kind, num_layers, monkeypatch):
    """One token at a time without autograd (sampling, beam search) takes the step path, not
    functional_call, and gives torch's numbers: batched and unbatched, time-major, no bias,
    with and without a state, several steps in a row."""
    for batch_first, bias, with_state in [(True, True, True), (False, True, False),
                                          (True, False, True)]:
        ours, ref = make_pair(kind, num_layers, batch_first=batch_first, bias=bias)
        ours.eval()
        x, state = inputs(kind, num_layers, False, batch_first=batch_first,
                          with_state=with_state)
        calls = []
        monkeypatch.setattr(type(ours), "_fused_forward",
                            lambda self, *a: calls.append(a) or (_ for _ in ()).throw(
                                AssertionError("fused path used for one step")))
        ours_state, ref_state = state, state
        with torch.no_grad():
            for t in range(3):  # three single steps, each carrying the last one's state
                x_t = x[:, t:t + 1] if batch_first else x[t:t + 1]
                got, ours_state = ours(x_t, ours_state)
                want, ref_state = ref(x_t, ref_state)
                assert_close(got, want)
                assert_close(ours_state, ref_state)
            single = x[0, 0:1] if batch_first else x[0:1, 0]  # unbatched (1, I)
            assert_close(ours(single)[0], ref(single)[0])
        monkeypatch.undo()
        assert not calls
    with torch.no_grad():  # more than one step, or with autograd: the fused path as before
        assert not ours._one_step(x)
    assert not ours._one_step(x[:, :1] if batch_first else x[:1])


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("path", ["loop", "fused", "internals"])
def test_time_major_and_no_bias(kind, path):
    for batch_first, bias in [(False, True), (True, False)]:
        ours, ref = make_pair(kind, 2, True, batch_first=batch_first, bias=bias)
        ours.fused = path == "fused"
        x, state = inputs(kind, 2, True, batch_first=batch_first)
        kw = {"return_internals": True} if path == "internals" else {}
        got, want = run_and_grads(ours, x, state, **kw), run_and_grads(ref, x, state)
        assert_close(got[0], want[0])
        assert_close(got[1], want[1])
        for name in want[2]:
            assert_close(got[2][name], want[2][name], msg=name)


@pytest.mark.parametrize("kind", list(KINDS))
def test_same_init_and_state_dict_round_trip(kind):
    ours_cls, ref_cls, kw = KINDS[kind]
    torch.manual_seed(3)
    ours = ours_cls(I, H, 2, bidirectional=True, **kw)
    torch.manual_seed(3)
    ref = ref_cls(I, H, 2, bidirectional=True, batch_first=True, **kw)
    assert list(ours.state_dict()) == list(ref.state_dict())
    for name, value in ref.state_dict().items():  # same init, same random stream
        assert torch.equal(ours.state_dict()[name], value), name
    bound = 1 / H**0.5
    assert all(p.abs().max() <= bound for p in ours.parameters())

    fresh = ref_cls(I, H, 2, bidirectional=True, batch_first=True, **kw)
    fresh.load_state_dict(ours.state_dict(), strict=True)
    x = torch.randn(B, T, I)
    assert_close(fresh(x)[0], ours(x)[0])


@pytest.mark.parametrize("kind", list(KINDS))
def test_shell_is_private_and_module_moves(kind):
    ours, ref = make_pair(kind, 2)
    assert len(list(ours.parameters())) == len(list(ref.parameters()))
    assert list(ours.children()) == []
    ours, ref = ours.float(), ref.float()
    x = torch.randn(B, T, I)
    assert_close(ours(x)[0], ref(x)[0])
    twin = copy.deepcopy(ours).double()
    assert_close(twin(x.double())[0], ref.double()(x.double())[0])


def test_pickle_and_concurrent_forwards():
    ours, ref = make_pair("lstm", 2)
    x, state = inputs("lstm", 2, False)
    want = ref(x, state)[0]
    buf = io.BytesIO()
    torch.save(ours, buf)
    buf.seek(0)
    loaded = torch.load(buf, weights_only=False)
    assert_close(loaded(x, state)[0], want)

    errors, small = [], x[:1, :2]
    small_state = tuple(s[:, :1] for s in state)
    small_want = ref(small, small_state)[0]

    def work():
        for _ in range(50):
            try:
                assert_close(ours(small, small_state)[0], small_want)
            except Exception as exc:  # noqa: BLE001 - collected and reported below
                errors.append(repr(exc))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    shell = ours.__dict__["_shell"]  # every swap was undone: the shell holds no real tensors
    assert all(p.device.type == "meta" for p in shell._parameters.values())


@pytest.mark.parametrize("kind", list(KINDS))
def test_fused_path_sees_updated_and_replaced_parameters(kind):
    ours, ref = make_pair(kind)
    x, state = inputs(kind, 1, False)
    ours(x, state), ref(x, state)  # warm: the shell caches weight references
    with torch.no_grad():
        for p, q in zip(ours.parameters(), ref.parameters()):
            p.mul_(1.5)
            q.mul_(1.5)
    assert_close(ours(x, state)[0], ref(x, state)[0])
    new = torch.randn_like(ref.weight_hh_l0)
    ours.weight_hh_l0 = nn.Parameter(new.clone())
    ref.weight_hh_l0 = nn.Parameter(new.clone())
    assert_close(ours(x, state)[0], ref(x, state)[0])


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("path", ["loop", "fused"])
def test_unbatched_input(kind, path):
    ours, ref = make_pair(kind, 2)
    ours.fused = path == "fused"
    x, state = inputs(kind, 2, False)
    x1 = x[0]  # (T, I)
    s1 = tuple(s[:, 0] for s in state) if kind == "lstm" else state[:, 0]
    for s in (None, s1):
        got, want = ours(x1, s), ref(x1, s)
        assert got[0].shape == (T, H)
        assert_close(got[0], want[0])
        assert_close(got[1], want[1])


@pytest.mark.parametrize("kind", list(KINDS))
def test_internals_shapes_and_consistency(kind):
    ours, _ = make_pair(kind, 2, True)
    x, state = inputs(kind, 2, True)
    output, final, internals = ours(x, state, return_internals=True)
    assert isinstance(internals, Internals)
    h_n = final[0] if kind == "lstm" else final
    for layer in range(2):
        hidden = internals.hidden[layer]
        assert hidden.shape == (B, T, 2 * H)
        assert_close(h_n[2 * layer], hidden[:, -1, :H])  # forward ends at t = T-1
        assert_close(h_n[2 * layer + 1], hidden[:, 0, H:])  # reverse ends at t = 0
        assert set(internals.gates[layer]) == set(ours.gate_names)
        assert all(g.shape == (B, T, 2 * H) for g in internals.gates[layer].values())
        assert (internals.cell[layer] is None) == (kind != "lstm")
    assert internals.hidden[-1] is output

    uni, _ = make_pair(kind, 2)
    x, state = inputs(kind, 2, False)
    output, final, internals = uni(x, state, return_internals=True)
    assert internals.hidden[-1] is output
    h_n = final[0] if kind == "lstm" else final
    assert_close(h_n[-1], internals.hidden[-1][:, -1])
    if kind == "lstm":
        assert_close(final[1][-1], internals.cell[-1][:, -1])

    arrays = internals.detach_numpy()
    assert isinstance(arrays.hidden[0], np.ndarray)
    np.testing.assert_allclose(arrays.hidden[1], output.detach().numpy())
    assert all(isinstance(v, np.ndarray) for v in arrays.gates[0].values())


def recompute_gates(kind, module, x, h0, c0, hidden, cell):
    """Equations applied to the returned (shifted) states: layer 0, one direction."""
    h_prev = torch.cat([h0[:, None], hidden[:, :-1]], dim=1)  # (B, T, H)
    pre = x @ module.weight_ih_l0.T + module.bias_ih_l0  # (B, T, G*H)
    hh = h_prev @ module.weight_hh_l0.T + module.bias_hh_l0
    if kind.startswith("rnn"):
        pre = pre + hh
        act = torch.relu if kind == "rnn_relu" else torch.tanh
        return {"pre": pre}, act(pre), None
    if kind == "gru":
        (x_r, x_z, x_n), (h_r, h_z, h_n) = pre.chunk(3, -1), hh.chunk(3, -1)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        return {"r": r, "z": z, "n": n}, (1 - z) * n + z * h_prev, None
    p_i, p_f, p_g, p_o = (pre + hh).chunk(4, -1)
    gates = {"i": p_i.sigmoid(), "f": p_f.sigmoid(), "g": p_g.tanh(), "o": p_o.sigmoid()}
    c_prev = torch.cat([c0[:, None], cell[:, :-1]], dim=1)
    c = gates["f"] * c_prev + gates["i"] * gates["g"]
    assert_close(c, cell)
    return gates, gates["o"] * c.tanh(), c


@pytest.mark.parametrize("kind", list(KINDS))
def test_internals_gates_follow_the_equations(kind):
    ours, _ = make_pair(kind)
    x, state = inputs(kind, 1, False)
    h0, c0 = state if kind == "lstm" else (state, None)
    _, _, internals = ours(x, state, return_internals=True)
    hidden, cell = internals.hidden[0], internals.cell[0]
    gates, h, _ = recompute_gates(kind, ours, x, h0[0], None if c0 is None else c0[0], hidden, cell)
    assert_close(h, hidden)
    for name, value in gates.items():
        assert_close(internals.gates[0][name], value, msg=name)


@pytest.mark.parametrize("kind", list(KINDS))
def test_internals_hidden_gradients_match_torch(kind):
    ours, ref = make_pair(kind, 2)
    x, state = inputs(kind, 2, False)
    output, final, internals = ours(x, state, return_internals=True)
    loss = linear_loss(output, final)
    g_top, g_bottom = torch.autograd.grad(loss, [internals.hidden[-1], internals.hidden[0]])

    ref_out, ref_final = ref(x, state)
    assert_close(g_top, torch.autograd.grad(linear_loss(ref_out, ref_final), ref_out)[0])

    # hidden[0] feeds layer 1: its gradient is dL/d(input) of a torch layer holding layer 1.
    _, ref_cls, kw = KINDS[kind]
    top = ref_cls(H, H, batch_first=True, **kw).double()
    top.load_state_dict({k.replace("l1", "l0"): v for k, v in ref.state_dict().items()
                         if k.endswith("l1")})
    inp = internals.hidden[0].detach().requires_grad_()
    s1 = tuple(s[1:] for s in state) if kind == "lstm" else state[1:]
    out1, fin1 = top(inp, s1)
    # the loss's final-state term only involves the top layer's rows (index 1)
    g = torch.Generator().manual_seed(2)
    w_out = torch.randn(output.shape, generator=g, dtype=torch.float64)
    w_fin = [torch.randn(f.shape, generator=g, dtype=torch.float64)
             for f in (final if isinstance(final, tuple) else (final,))]
    parts = fin1 if isinstance(fin1, tuple) else (fin1,)
    loss1 = (out1 * w_out).sum() + sum((p * w[1:]).sum() for p, w in zip(parts, w_fin))
    assert_close(g_bottom, torch.autograd.grad(loss1, inp)[0])


@pytest.mark.parametrize("kind", list(KINDS))
def test_step_grads_are_total_bptt_gradients(kind):
    """dL/dh_t through the recurrence equals d/dh0 of torch run on the suffix x[t+1:]."""
    ours, ref = make_pair(kind)
    x, state = inputs(kind, 1, False)
    _, final, internals = ours(x, state, return_internals=True)
    g = torch.Generator().manual_seed(5)
    w = torch.randn(1, B, H, generator=g, dtype=torch.float64)
    h_last = final[0] if kind == "lstm" else final
    grads = internals.step_grads((h_last * w).sum(), layer=0)
    assert grads.shape == (B, T, H)
    assert_close(grads[:, -1], w[0])
    for t in range(T - 1):
        h_t = internals.hidden[0][:, t].detach()[None].requires_grad_()  # (1, B, H)
        s_t = (h_t, internals.cell[0][:, t].detach()[None]) if kind == "lstm" else h_t
        _, fin = ref(x[:, t + 1:], s_t)
        fin_h = fin[0] if kind == "lstm" else fin
        assert_close(grads[:, t], torch.autograd.grad((fin_h * w).sum(), h_t)[0][0])


def test_registry_and_builder():
    assert CELLS == {"rnn": RNN, "gru": GRU, "lstm": LSTM}
    for name, cls in CELLS.items():
        layer = build_recurrent(name, 4, 6, num_layers=2, dropout=0.1, bidirectional=True)
        assert type(layer) is cls and layer.cell_name == name
        assert layer.num_layers == 2 and layer.bidirectional and layer.batch_first
        out, _ = layer(torch.randn(2, 3, 4))
        assert out.shape == (2, 3, 12)
    assert GRU.gate_names == ("r", "z", "n") and LSTM.gate_names == ("i", "f", "g", "o")
    assert RNN.gate_names == ("pre",)
    assert build_recurrent("RNN", 2, 3, nonlinearity="relu").nonlinearity == "relu"


def test_dropout_only_while_training():
    torch.manual_seed(0)
    layer = build_recurrent("lstm", I, H, num_layers=2, dropout=0.5)
    x = torch.randn(B, T, I)
    layer.eval()
    ref = layer(x)[0]
    assert_close(layer(x, return_internals=True)[0], ref)
    layer.train()
    for fused in (True, False):
        layer.fused = fused
        assert not torch.allclose(layer(x)[0], ref)


def test_bad_inputs():
    layer = build_recurrent("gru", 4, 3)
    with pytest.raises(ValueError, match=r"7.*4|4.*7"):
        layer(torch.randn(2, 5, 7))
    with pytest.raises(ValueError, match="3-D"):
        layer(torch.randn(2, 2, 5, 4))
    with pytest.raises(ValueError, match="shape"):
        layer(torch.randn(2, 5, 4), torch.zeros(2, 2, 3))
    with pytest.raises(ValueError, match="tuple"):
        build_recurrent("lstm", 4, 3)(torch.randn(2, 5, 4), torch.zeros(1, 2, 3))
    with pytest.raises(ValueError, match="dtype"):
        layer(torch.randn(2, 5, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match="gru, lstm, rnn"):
        build_recurrent("transformer", 4, 3)
    with pytest.raises(ValueError, match="proj_size"):
        LSTM(4, 3, proj_size=2)
    with pytest.raises(ValueError):
        RNN(4, 3, nonlinearity="sigmoid")


def test_no_ui_imports_in_model_sources():
    root = pathlib.Path(__file__).resolve().parents[1] / "seqviz"
    for path in [root / "models" / "recurrent.py", root / "models" / "cells.py", root / "bench.py"]:
        if path.exists():
            text = path.read_text()
            assert "streamlit" not in text and "plotly" not in text, path
