"""The time-series page's exports: a standalone PyTorch script of the run.

The script rebuilds both forecasters with ``torch.nn.Linear / ReLU`` (the autoregressive MLP)
and ``torch.nn.RNN|GRU|LSTM + Linear`` (the recurrent one) in the page's construction order, so
``torch.manual_seed(seed)`` gives the same weights (``seqviz``'s recurrent layers have torch's
parameter names, shapes and initialisation order). The standardised series the models train on
is embedded (float32, as the page holds it; an uploaded column too), training windows are drawn
from two ``torch.Generator``s seeded as the page seeds them, and both models take one Adam step
each per step with global-norm clipping at 1. It prints both training losses at every step and,
at the end, both one-step validation errors. Not reproduced: divergence handling and live
changes of the learning rate.
"""

from __future__ import annotations

import base64
import zlib

import numpy as np

from seqviz.engine.export import LessonExport, wrap
from seqviz.timeseries.experiment import TimeSeriesExperiment

LESSON = "timeseries"
MODULES = {"rnn": "nn.RNN(1, {H}, batch_first=True)", "gru": "nn.GRU(1, {H}, batch_first=True)",
           "lstm": "nn.LSTM(1, {H}, batch_first=True)"}

TEMPLATE = '''"""Two forecasters exported from seqviz's Time series page, trained side by side.

An MLP on tau = {tau} past values and a {cell_upper} with a linear read-out, on one series.

Plain PyTorch, no seqviz: the same series, initial weights (seed {seed}), training windows and
optimiser as the page, so it prints the same training losses at every step (up to float
rounding), then both one-step validation errors. Run:  python seqviz-timeseries.py [--steps N]

Config: {config}
Not reproduced: the page's divergence handling, and live changes of the learning rate made
while it trained (this script uses the value at export time).
"""

import argparse
import array
import base64
import sys
import zlib

import torch
import torch.nn.functional as F
from torch import nn

SEED, STEPS = {seed}, {steps}
TAU, WIDTH, BATCH_SIZE, LR, CLIP = {tau}, {width}, {batch_size}, {lr!r}, 1.0
TRAIN_END = {train_end}  # x[:TRAIN_END] trains, the rest validates
MEAN, STD = {mean!r}, {std!r}  # the raw series is x * STD + MEAN
SERIES = {series}  # the standardised series, float32


def unpack_floats(text):
    """base64 -> zlib -> little-endian float32 values (a FloatTensor)."""
    values = array.array("f", zlib.decompress(base64.b64decode(text)))
    if sys.byteorder != "little":
        values.byteswap()
    return torch.tensor(values.tolist(), dtype=torch.float32)


class ARModel(nn.Module):
    """x_t = MLP(x_(t-tau) .. x_(t-1)): one hidden ReLU layer."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(TAU, {H}), nn.ReLU(), nn.Linear({H}, 1))

    def forward(self, windows):
        return self.net(windows).squeeze(-1)  # (B, tau) -> (B,)


class RNNForecaster(nn.Module):
    """A recurrent layer over the scalar series and a linear read-out of its state."""

    def __init__(self):
        super().__init__()
        self.rnn = {rnn}
        self.out = nn.Linear({H}, 1)

    def forward(self, x):
        h, _state = self.rnn(x.unsqueeze(-1))  # (B, T, H)
        return self.out(h).squeeze(-1)  # (B, T): the next value at each position


def windows(x, generator, width):
    """Random training windows: inputs (B, width) and the values after each (B, width)."""
    start = torch.randint(0, TRAIN_END - width - 1 + 1, (BATCH_SIZE,), generator=generator)
    w = x[start[:, None] + torch.arange(width + 1)]
    return w[:, :-1], w[:, 1:]


def update(model, optimizer, loss):
    """Backward, global-norm clipping at CLIP (as the page), Adam step."""
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    norm = float(torch.linalg.vector_norm(torch.stack([g.norm(2) for g in grads]), 2))
    if CLIP / (norm + 1e-6) < 1.0:
        for g in grads:
            g.mul_(CLIP / (norm + 1e-6))
    optimizer.step()


@torch.no_grad()
def validation(ar, rnn, x):
    """One-step mean squared error over the validation span, each from true values only."""
    targets = torch.arange(max(TRAIN_END, TAU, WIDTH), len(x))
    ar.eval()
    rnn.eval()
    truth = x[targets].double()
    mlp = ar(x[targets[:, None] - TAU + torch.arange(TAU)])  # from (N, tau) true values
    rec = rnn(x[targets[:, None] - WIDTH + torch.arange(WIDTH)])[:, -1]  # (N, width)
    return (float(((mlp.double() - truth) ** 2).mean()),
            float(((rec.double() - truth) ** 2).mean()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args()
    x = unpack_floats(SERIES)
    torch.manual_seed(SEED)
    ar, rnn = ARModel(), RNNForecaster()  # same construction order as seqviz: same weights
    gen_ar = torch.Generator().manual_seed(SEED)  # the page's windows of each model
    gen_rnn = torch.Generator().manual_seed(SEED + 1)
    opt_ar = torch.optim.Adam(ar.parameters(), lr=LR)
    opt_rnn = torch.optim.Adam(rnn.parameters(), lr=LR)
    ar.train()
    rnn.train()
    for step in range(1, args.steps + 1):
        inputs, targets = windows(x, gen_ar, TAU)
        opt_ar.zero_grad(set_to_none=True)
        loss_ar = F.mse_loss(ar(inputs), targets[:, -1])
        update(ar, opt_ar, loss_ar)
        inputs, targets = windows(x, gen_rnn, WIDTH)
        opt_rnn.zero_grad(set_to_none=True)
        loss_rnn = F.mse_loss(rnn(inputs), targets)
        update(rnn, opt_rnn, loss_rnn)
        print(f"step {{step}} mlp_loss {{loss_ar.item():.6f}} rnn_loss {{loss_rnn.item():.6f}}",
              flush=True)
    mlp_val, rnn_val = validation(ar, rnn, x)
    print(f"validation mlp_mse {{mlp_val:.6f}} rnn_mse {{rnn_val:.6f}}", flush=True)


if __name__ == "__main__":
    main()
'''


def pack_floats(values: np.ndarray) -> str:
    """float32 values as base64 of zlib-compressed little-endian bytes (``unpack_floats``)."""
    arr = np.ascontiguousarray(np.asarray(values, dtype="<f4"))
    return base64.b64encode(zlib.compress(arr.tobytes(), 9)).decode("ascii")


def timeseries_script(exp: TimeSeriesExperiment, steps: int | None = None) -> str:
    """The standalone script of ``exp`` (see the module docstring)."""
    cfg, s = exp.cfg, exp.series
    H = cfg.hidden_size
    return TEMPLATE.format(
        tau=cfg.tau, cell_upper=cfg.cell.upper(), seed=cfg.seed,
        config=", ".join(f"{k}={v}" for k, v in vars(cfg).items()),
        steps=int(exp.steps if steps is None else steps), width=exp.rnn.warmup,
        batch_size=cfg.batch_size, lr=float(exp.trainers[0].lr), train_end=s.train_end,
        mean=float(s.mean), std=float(s.std), series=wrap(pack_floats(exp.x.numpy())), H=H,
        rnn=MODULES[cfg.cell].format(H=H))


EXPORT = LessonExport(LESSON, script=True)
