"""Hand-written recurrent layers, drop-in replacements for ``torch.nn.RNN / GRU / LSTM``.

Elman RNN (Elman 1990), GRU (Cho et al. 2014) and LSTM (Hochreiter & Schmidhuber 1997) with
torch's parameter names, shapes, gate order and initialisation, so state dicts load both ways.
The step equations live in ``seqviz.models.cells``.

Two paths run on the same parameters:

- loop path: a Python loop over time per layer and direction (``cells.run_direction``). Used for
  ``return_internals=True`` and whenever ``layer.fused`` is False; it exposes hidden states,
  cell states and gates as live autograd tensors (``Internals``).
- fused path (default): torch's fused kernel on *these* parameters, by
  ``torch.func.functional_call`` on a private torch module (the "shell") built on the meta
  device. torch's RNN modules re-read their weights when they notice the parameter objects
  changed (``RNNBase._weights_have_changed``, which exists for functional_call), so gradients
  flow to our parameters. The shell is kept out of ``_modules``: it never appears in
  ``state_dict()`` / ``parameters()``; ``.to()`` / ``.double()`` and unpickling rebuild it.
  functional_call swaps tensors into the shell and back, so a per-layer lock makes concurrent
  forwards of one layer (e.g. two Streamlit script threads) take turns instead of racing.
- step path: one time step of a one-directional layer without autograd (decoding: sampling,
  beam search, one token at a time) runs the cells' step equations directly, layer by layer:
  functional_call's parameter swap costs more than the step itself (a 128-unit LSTM step:
  about 250 µs fused, 40 µs stepped). Same numbers as the fused path (tests).

Differences from torch: ``batch_first`` defaults to True; no PackedSequence; LSTM ``proj_size``
is not supported; bad input shapes raise ``ValueError`` naming both numbers.
"""

from __future__ import annotations

import math
import threading

import torch
from torch import Tensor, nn
from torch.func import functional_call

from seqviz.models.cells import GATE_NAMES, Internals, run_direction

State = Tensor | tuple[Tensor, Tensor]


class _Recurrent(nn.Module):
    """Shared machinery; subclasses set cell_name, gate_names and _torch_cls."""

    cell_name: str = ""
    gate_names: tuple[str, ...] = ()
    _torch_cls: type[nn.RNNBase] = nn.RNNBase
    fused: bool = True  # False forces the loop path (e.g. for a fair speed comparison)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = True, dropout: float = 0.0, bidirectional: bool = False,
                 *, nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__()
        extra = {"nonlinearity": nonlinearity} if self.cell_name == "rnn" else {}
        self._shell_args = dict(input_size=input_size, hidden_size=hidden_size,
                                num_layers=num_layers, bias=bias, batch_first=batch_first,
                                dropout=dropout, bidirectional=bidirectional, **extra)
        self._reset_shell()  # torch validates the arguments (and warns about dropout) for us
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.nonlinearity = bidirectional, nonlinearity
        self.num_directions = 2 if bidirectional else 1
        # Same names, shapes and registration order as torch: per layer, forward then reverse.
        self._layer_names: list[list[tuple[str, ...]]] = []
        gate_rows = len(self.gate_names) * hidden_size  # G*H: RNN 1 ("pre"), GRU 3, LSTM 4
        kw = {"device": device, "dtype": dtype}
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else hidden_size * self.num_directions
            dirs = []
            for suffix in ("", "_reverse")[: self.num_directions]:
                names = [f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}"]
                shapes = [(gate_rows, layer_in), (gate_rows, hidden_size)]
                if bias:
                    names += [f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}"]
                    shapes += [(gate_rows,), (gate_rows,)]
                for name, shape in zip(names, shapes):
                    self.register_parameter(name, nn.Parameter(torch.empty(shape, **kw)))
                dirs.append(tuple(names))
            self._layer_names.append(dirs)
        self._flat_names = [n for dirs in self._layer_names for names in dirs for n in names]
        self.reset_parameters()

    def _reset_shell(self) -> None:
        """A fresh meta-device torch module, kept out of _modules, and the lock guarding it."""
        self.__dict__["_shell"] = self._torch_cls(**self._shell_args, device="meta")
        self.__dict__["_shell_lock"] = threading.Lock()

    def _apply(self, fn, recurse=True):
        out = super()._apply(fn, recurse)
        self._reset_shell()  # forget cached weight refs (on CUDA the next call re-flattens)
        return out

    def __getstate__(self):
        state = self.__dict__.copy()  # deepcopy / pickle: rebuild the shell and lock instead
        state.pop("_shell", None)
        state.pop("_shell_lock", None)
        return state

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        self._reset_shell()

    def reset_parameters(self) -> None:
        """torch's init: every parameter ~ U(-1/sqrt(H), 1/sqrt(H)), in registration order."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for weight in self.parameters():
            nn.init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """No-op, for code written against torch.nn.RNNBase."""

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"
        if self.cell_name == "rnn":
            s += f", nonlinearity={self.nonlinearity!r}"
        s += f", bias={self.bias}, batch_first={self.batch_first}, dropout={self.dropout}"
        return s + f", bidirectional={self.bidirectional}"

    def forward(self, x: Tensor, state: State | None = None, return_internals: bool = False):
        """x: (B, T, I) if batch_first else (T, B, I), or unbatched (T, I).

        state: h_0 (L*D, B, H), or (h_0, c_0) for LSTM; None means zeros.
        Returns (output, final_state) like torch -- output (B, T, D*H), h_n (L*D, B, H), LSTM
        state (h_n, c_n) -- plus an ``Internals`` when return_internals=True (loop path, whose
        tensors stay in the autograd graph). ``self.fused = False`` forces the loop path.
        """
        unbatched = self._check_input(x)
        if unbatched:
            x = x.unsqueeze(0 if self.batch_first else 1)
            if state is not None:
                state = (tuple(s.unsqueeze(1) for s in state) if self._is_lstm
                         else state.unsqueeze(1))
        batch = x.size(0 if self.batch_first else 1)
        if state is not None:
            self._check_state(state, batch)
        internals = None
        if return_internals or not self.fused:
            output, final, internals = self._loop_forward(x, state)
        elif self._one_step(x):
            output, final = self._step_forward(x, state)
        else:
            output, final = self._fused_forward(x, state)
        if unbatched:
            output = output.squeeze(0 if self.batch_first else 1)
            final = tuple(s.squeeze(1) for s in final) if self._is_lstm else final.squeeze(1)
        return (output, final, internals) if return_internals else (output, final)

    @property
    def _is_lstm(self) -> bool:
        return self.cell_name == "lstm"

    def _one_step(self, x: Tensor) -> bool:
        """x (batched) is one time step of a one-directional layer, with no autograd and no
        inter-layer dropout to apply: the step path."""
        return (x.size(1 if self.batch_first else 0) == 1 and self.num_directions == 1
                and not torch.is_grad_enabled() and not (self.training and self.dropout > 0))

    def _step_forward(self, x: Tensor, state: State | None) -> tuple[Tensor, State]:
        """One time step, layer by layer: the loop path's ``run_direction`` on a single step,
        without collecting ``Internals``."""
        inp = x.reshape(-1, 1, x.size(-1))  # (B, 1, I): the single step, batch-first
        h0, c0 = self._initial_state(state, inp)  # (L, B, H) each; c0 None unless LSTM
        relu = self.nonlinearity == "relu"
        hs, cs = [], []
        for layer, (names,) in enumerate(self._layer_names):
            weights = tuple(getattr(self, n) for n in names)
            if not self.bias:
                weights = weights + (None, None)
            tr = run_direction(self.cell_name, inp, h0[layer],
                               None if c0 is None else c0[layer], weights, False, relu)
            hs.append(tr.hidden[0])  # (B, H)
            if tr.cell is not None:
                cs.append(tr.cell[0])
            inp = tr.hidden[0].unsqueeze(1)  # (B, 1, H): the next layer's input
        output = inp if self.batch_first else inp.transpose(0, 1)  # (B, 1, H) or (1, B, H)
        final = (torch.stack(hs), torch.stack(cs)) if self._is_lstm else torch.stack(hs)
        return output, final

    def _fused_forward(self, x: Tensor, state: State | None) -> tuple[Tensor, State]:
        params = {name: getattr(self, name) for name in self._flat_names}
        # functional_call swaps our parameters into the shell and back: one caller at a time.
        with self.__dict__["_shell_lock"]:
            shell = self.__dict__["_shell"]
            shell.training = self.training  # inter-layer dropout only while training
            shell.dropout, shell.batch_first = self.dropout, self.batch_first
            return functional_call(shell, params, (x, state))

    def _loop_forward(self, x: Tensor, state: State | None) -> tuple[Tensor, State, Internals]:
        if not self.batch_first:
            x = x.transpose(0, 1)  # (B, T, I)
        h0, c0 = self._initial_state(state, x)  # (L*D, B, H) each; c0 None unless LSTM
        relu = self.nonlinearity == "relu"
        internals = Internals(self.cell_name, self.num_directions)
        layer_input, h_n, c_n = x, [], []
        for layer, dir_names in enumerate(self._layer_names):
            traces = []
            for d, names in enumerate(dir_names):
                k = layer * self.num_directions + d
                weights = tuple(getattr(self, n) for n in names)
                if not self.bias:
                    weights = weights + (None, None)
                tr = run_direction(self.cell_name, layer_input, h0[k],
                                   None if c0 is None else c0[k], weights, d == 1, relu)
                last = -1 if d == 0 else 0  # the reverse direction ends at t = 0
                h_n.append(tr.hidden[last])  # (B, H)
                if tr.cell is not None:
                    c_n.append(tr.cell[last])  # (B, H)
                traces.append(tr)
            hidden = internals.add_layer(traces)  # (B, T, D*H), the very tensor fed upwards
            layer_input = hidden
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = nn.functional.dropout(hidden, self.dropout, training=True)
        output = internals.hidden[-1]  # (B, T, D*H)
        if not self.batch_first:
            output = output.transpose(0, 1)  # (T, B, D*H)
        h_stack = torch.stack(h_n)  # (L*D, B, H)
        final = (h_stack, torch.stack(c_n)) if self._is_lstm else h_stack
        return output, final, internals

    def _initial_state(self, state: State | None, x: Tensor) -> tuple[Tensor, Tensor | None]:
        if state is None:
            shape = (self.num_layers * self.num_directions, x.size(0), self.hidden_size)
            zeros = torch.zeros(shape, dtype=x.dtype, device=x.device)
            return zeros, (zeros if self._is_lstm else None)
        return (state[0], state[1]) if self._is_lstm else (state, None)

    def _check_input(self, x: Tensor) -> bool:
        """Validate x; return True when it is unbatched (2-D)."""
        name = type(self).__name__
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: expected a Tensor input (PackedSequence is not supported; "
                            f"pad the batch instead), got {type(x).__name__}")
        if x.dim() not in (2, 3):
            raise ValueError(f"{name}: expected 3-D (batched) or 2-D (unbatched) input, got "
                             f"{x.dim()}-D with shape {tuple(x.shape)}")
        if x.size(-1) != self.input_size:
            raise ValueError(f"{name}: input has {x.size(-1)} features but the layer was built "
                             f"with input_size={self.input_size}")
        if x.size(-2 if x.dim() == 2 or not self.batch_first else 1) == 0:
            raise ValueError(f"{name}: input sequence is empty (T=0)")
        weight = self.weight_ih_l0
        if x.dtype != weight.dtype:
            raise ValueError(f"{name}: input dtype {x.dtype} does not match weight dtype "
                             f"{weight.dtype}; convert one of them with .to()")
        return x.dim() == 2

    def _check_state(self, state: State, batch: int) -> None:
        name = type(self).__name__
        expected = (self.num_layers * self.num_directions, batch, self.hidden_size)
        if self._is_lstm:
            if not isinstance(state, (tuple, list)) or len(state) != 2:
                raise ValueError(f"{name}: state must be a tuple (h_0, c_0)")
            parts = {"h_0": state[0], "c_0": state[1]}
        else:
            if not isinstance(state, Tensor):
                raise ValueError(f"{name}: state must be a Tensor h_0, got {type(state).__name__}")
            parts = {"h_0": state}
        for part, tensor in parts.items():
            if tuple(tensor.shape) != expected:
                raise ValueError(f"{name}: {part} has shape {tuple(tensor.shape)}, expected "
                                 f"{expected} = (num_layers*num_directions, batch, hidden_size)")


class RNN(_Recurrent):
    """Elman RNN (Elman 1990), same parameters as ``torch.nn.RNN``; nonlinearity tanh or relu."""

    cell_name = "rnn"
    gate_names = GATE_NAMES["rnn"]
    _torch_cls = nn.RNN

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = True,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, nonlinearity=nonlinearity, device=device, dtype=dtype)


class GRU(_Recurrent):
    """GRU (Cho et al. 2014), same parameters and r, z, n gate order as ``torch.nn.GRU``."""

    cell_name = "gru"
    gate_names = GATE_NAMES["gru"]
    _torch_cls = nn.GRU


class LSTM(_Recurrent):
    """LSTM (Hochreiter & Schmidhuber 1997), same parameters and i, f, g, o order as torch."""

    cell_name = "lstm"
    gate_names = GATE_NAMES["lstm"]
    _torch_cls = nn.LSTM

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = True, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):
        if proj_size:
            raise ValueError(f"LSTM: proj_size={proj_size} is not supported by seqviz's LSTM; "
                             "use proj_size=0 (or torch.nn.LSTM for a projected LSTM)")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)


CELLS: dict[str, type[_Recurrent]] = {"rnn": RNN, "gru": GRU, "lstm": LSTM}


def build_recurrent(cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
                    nonlinearity: str = "tanh", dropout: float = 0.0,
                    bidirectional: bool = False, **kwargs) -> _Recurrent:
    """Build a layer by registry name; nonlinearity applies to "rnn" only and is ignored
    otherwise. kwargs (bias, batch_first, device, dtype) go to the constructor."""
    key = str(cell).strip().lower()
    if key not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; valid names: {', '.join(sorted(CELLS))}")
    if key == "rnn":
        kwargs["nonlinearity"] = nonlinearity
    return CELLS[key](input_size, hidden_size, num_layers, dropout=dropout,
                      bidirectional=bidirectional, **kwargs)
