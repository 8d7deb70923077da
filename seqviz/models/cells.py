"""One time step of the Elman RNN, GRU and LSTM, a readable loop over time, and `Internals`.

Equations and gate order follow ``torch.nn.RNN / GRU / LSTM`` exactly, so parameters copied from
torch give the same numbers:

- Elman RNN (Elman 1990, "Finding structure in time"):
  ``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`` with act = tanh or relu.
- GRU (Cho et al. 2014, "Learning phrase representations using RNN encoder-decoder"), gates r, z, n:
  ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h_t = (1 - z) * n + z * h_{t-1}``.
- LSTM (Hochreiter & Schmidhuber 1997, "Long short-term memory"; forget gate as in torch),
  gates i, f, g, o: ``c_t = f * c_{t-1} + i * g``, ``h_t = o * tanh(c_t)``.

Shape letters: B batch, T time, I input features, H hidden, D directions (1 or 2), G gate count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

GATE_NAMES = {"rnn": ("pre",), "gru": ("r", "z", "n"), "lstm": ("i", "f", "g", "o")}


def rnn_step(gi_t: Tensor, h_prev: Tensor, w_hh: Tensor, b_hh: Tensor | None, relu: bool):
    """Elman step. gi_t = W_ih x_t + b_ih, (B, H). Returns (h_t, gates)."""
    pre = gi_t + F.linear(h_prev, w_hh, b_hh)  # (B, H) pre-activation
    h_t = torch.relu(pre) if relu else torch.tanh(pre)  # (B, H)
    return h_t, {"pre": pre}


def gru_step(gi_t: Tensor, h_prev: Tensor, w_hh: Tensor, b_hh: Tensor | None):
    """GRU step. gi_t = W_ih x_t + b_ih, (B, 3H) in r, z, n order. Returns (h_t, gates)."""
    gh = F.linear(h_prev, w_hh, b_hh)  # (B, 3H)
    x_r, x_z, x_n = gi_t.chunk(3, dim=1)  # each (B, H)
    h_r, h_z, h_n = gh.chunk(3, dim=1)  # each (B, H)
    r = torch.sigmoid(x_r + h_r)  # reset gate (B, H)
    z = torch.sigmoid(x_z + h_z)  # update gate (B, H)
    n = torch.tanh(x_n + r * h_n)  # candidate (B, H); r scales W_hn h + b_hn, like torch/cuDNN
    h_t = (1 - z) * n + z * h_prev  # (B, H)
    return h_t, {"r": r, "z": z, "n": n}


def lstm_step(gi_t: Tensor, h_prev: Tensor, c_prev: Tensor, w_hh: Tensor, b_hh: Tensor | None):
    """LSTM step. gi_t = W_ih x_t + b_ih, (B, 4H) in i, f, g, o order. Returns (h_t, c_t, gates)."""
    pre = gi_t + F.linear(h_prev, w_hh, b_hh)  # (B, 4H)
    p_i, p_f, p_g, p_o = pre.chunk(4, dim=1)  # each (B, H)
    i = torch.sigmoid(p_i)  # input gate (B, H)
    f = torch.sigmoid(p_f)  # forget gate (B, H)
    g = torch.tanh(p_g)  # candidate cell (B, H)
    o = torch.sigmoid(p_o)  # output gate (B, H)
    c_t = f * c_prev + i * g  # (B, H)
    h_t = o * torch.tanh(c_t)  # (B, H)
    return h_t, c_t, {"i": i, "f": f, "g": g, "o": o}


@dataclass
class DirectionTrace:
    """One layer, one direction, in natural time order (index t is time t, also when reversed)."""

    hidden: list[Tensor]  # T tensors (B, H): the very tensors the recurrence consumed
    cell: list[Tensor] | None  # T tensors (B, H) for LSTM, else None
    gates: dict[str, list[Tensor]]  # name -> T tensors (B, H)


def run_direction(
    cell: str,
    x: Tensor,
    h0: Tensor,
    c0: Tensor | None,
    weights: tuple[Tensor | None, ...],
    reverse: bool = False,
    relu: bool = False,
) -> DirectionTrace:
    """Run one layer in one direction over x (B, T, I) from h0 (B, H) (and c0 for LSTM)."""
    w_ih, w_hh, b_ih, b_hh = weights
    gi = F.linear(x, w_ih, b_ih)  # (B, T, G*H): input projections for all steps at once
    steps = range(x.size(1) - 1, -1, -1) if reverse else range(x.size(1))
    h, c = h0, c0  # (B, H)
    hs: list[Tensor] = []
    cs: list[Tensor] = []
    gates: dict[str, list[Tensor]] = {name: [] for name in GATE_NAMES[cell]}
    for t in steps:
        if cell == "lstm":
            h, c, g = lstm_step(gi[:, t], h, c, w_hh, b_hh)
            cs.append(c)
        elif cell == "gru":
            h, g = gru_step(gi[:, t], h, w_hh, b_hh)
        else:
            h, g = rnn_step(gi[:, t], h, w_hh, b_hh, relu)
        hs.append(h)
        for name, value in g.items():
            gates[name].append(value)
    if reverse:  # back to natural time order
        hs.reverse()
        cs.reverse()
        for values in gates.values():
            values.reverse()
    return DirectionTrace(hidden=hs, cell=cs if cell == "lstm" else None, gates=gates)


@dataclass
class Internals:
    """What the loop path saw, per layer (list index = layer). Always batch-first, and batched
    (B = 1 for an unbatched input).

    For a bidirectional layer the forward and backward directions are concatenated along the
    feature axis, forward first, exactly like torch's output: width D*H.

    - ``hidden[l]``: (B, T, D*H), layer l's output sequence. It is the tensor fed to layer l+1
      (through dropout while training; for the top layer it *is* the output when
      batch_first=True), so
      ``torch.autograd.grad(loss, hidden[l])`` gives the direct gradient of the loss w.r.t. that
      output, not including paths through layer l's own recurrence.
    - ``cell[l]``: (B, T, D*H) LSTM cell states, None for RNN / GRU.
    - ``gates[l]``: name -> (B, T, D*H); "i", "f", "g", "o" (LSTM, g = candidate), "r", "z", "n"
      (GRU, n = candidate), "pre" (RNN pre-activation).
    - ``hidden_steps[l][d][t]``: (B, H), the per-step tensors the recurrence really consumed;
      gradients w.r.t. them are total (BPTT) per-timestep gradients: see ``step_grads``.
    """

    cell_name: str
    num_directions: int
    hidden: list = field(default_factory=list)
    cell: list = field(default_factory=list)
    gates: list = field(default_factory=list)
    hidden_steps: list = field(default_factory=list)

    def add_layer(self, traces: list[DirectionTrace]) -> Tensor:
        """Stack one layer's direction traces, append them, return hidden (B, T, D*H)."""
        hidden = _stack_dirs([tr.hidden for tr in traces])
        self.hidden.append(hidden)
        is_lstm = traces[0].cell is not None
        self.cell.append(_stack_dirs([tr.cell for tr in traces]) if is_lstm else None)
        names = traces[0].gates.keys()
        self.gates.append({n: _stack_dirs([tr.gates[n] for tr in traces]) for n in names})
        self.hidden_steps.append([tr.hidden for tr in traces])
        return hidden

    def step_grads(self, loss: Tensor, layer: int = 0, direction: int = 0,
                   retain_graph: bool = True) -> Tensor:
        """Total per-timestep gradients dL/dh_t through the recurrence: (B, T, H)."""
        steps = self.hidden_steps[layer][direction]
        grads = torch.autograd.grad(loss, steps, retain_graph=retain_graph, allow_unused=True)
        return torch.stack(
            [torch.zeros_like(s) if g is None else g for s, g in zip(steps, grads)], dim=1
        )

    def detach_numpy(self) -> "Internals":
        """A copy holding numpy arrays (no autograd graph); hidden_steps is left empty."""

        def to_np(t: Tensor | None) -> np.ndarray | None:
            return None if t is None else t.detach().cpu().numpy().copy()

        return Internals(
            cell_name=self.cell_name,
            num_directions=self.num_directions,
            hidden=[to_np(h) for h in self.hidden],
            cell=[to_np(c) for c in self.cell],
            gates=[{n: to_np(v) for n, v in g.items()} for g in self.gates],
            hidden_steps=[],
        )


def _stack_dirs(per_dir: list[list[Tensor]]) -> Tensor:
    """[direction][t] of (B, H) -> (B, T, D*H), directions side by side."""
    stacked = [torch.stack(steps, dim=1) for steps in per_dir]  # D x (B, T, H)
    return stacked[0] if len(stacked) == 1 else torch.cat(stacked, dim=-1)
