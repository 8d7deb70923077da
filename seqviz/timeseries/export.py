"""The time-series page's exports: a checkpoint of the run and a standalone PyTorch script.

The checkpoint is a ``"timeseries"`` checkpoint in the project's safe format
(``seqviz.checkpoint``: weights-only, its model description checked before anything is built)
holding both models' weights (``ar.*`` and ``rnn.*``); its meta holds the page config and step,
both trainers' optimiser and window-stream state and curves, the validation errors so far and the
standardised series, so a re-opened run continues exactly where it stopped and a checkpoint of
another series is refused.

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

from dataclasses import replace

import numpy as np
import torch

from seqviz.checkpoint import CheckpointError, load_checkpoint, load_weights, save_checkpoint
from seqviz.config import check
from seqviz.engine.export import (LessonExport, Reopened, config_from_meta, read_step,
                                  restore_trainer, run_meta, table_rows, to_bytes,
                                  trainer_state, wrap)
from seqviz.i18n import _
from seqviz.timeseries.config import HORIZON, TimeSeriesConfig
from seqviz.timeseries.experiment import Evaluation, TimeSeriesExperiment, make_series
from seqviz.timeseries.models import ARModel, RNNForecaster

LESSON = "timeseries"
SPEC = ("tau", "hidden_size", "warmup")  # whole numbers of the model description (+ "cell")


# ---- checkpoint ---------------------------------------------------------------------------
def run_state(exp: TimeSeriesExperiment) -> dict:
    """Worker side: both models' weights, both trainers' state, the validation errors, the
    series and the step (CPU tensors and plain values)."""
    weights = {f"{name}.{k}": v.detach().cpu().clone()
               for name, model in (("ar", exp.ar), ("rnn", exp.rnn))
               for k, v in model.state_dict().items()}
    return {"state_dict": weights, "step": exp.steps,
            "spec": {"tau": exp.ar.tau, "hidden_size": exp.cfg.hidden_size,
                     "cell": exp.cfg.cell, "warmup": exp.rnn.warmup},
            "trainers": [trainer_state(tr) for tr in exp.trainers],
            "evals": {"step": [e.step for e in exp.evals],
                      "mlp": [e.val[0] for e in exp.evals],
                      "rnn": [e.val[1] for e in exp.evals]},
            "series": exp.x.detach().clone()}


def save_run(state: dict, cfg: TimeSeriesConfig) -> bytes:
    """A checkpoint of the run (``state`` from ``run_state``) as bytes."""
    meta = {**run_meta(LESSON, cfg, state["step"]), "train_state": state["trainers"],
            "evals": state["evals"]}
    return to_bytes(lambda buf: save_checkpoint(buf, LESSON, state["spec"],
                                                state["state_dict"], meta,
                                                series=state["series"]))


def _models(spec: dict) -> tuple[ARModel, RNNForecaster]:
    return (ARModel(spec["tau"], spec["hidden_size"]),
            RNNForecaster(spec["cell"], spec["hidden_size"], spec["warmup"]))


def read_run(data: bytes) -> Reopened:
    """A checkpoint (bytes) read back for the time-series page; ``CheckpointError`` with a
    clear message for anything else (size, not weights-only, another kind, out of bounds)."""
    payload = load_checkpoint(data, LESSON)
    spec, meta = payload["spec"], payload.get("meta")
    meta = meta if isinstance(meta, dict) else {}
    if not all(isinstance(spec.get(k), int) and not isinstance(spec.get(k), bool)
               for k in SPEC) or spec.get("cell") not in ("rnn", "gru", "lstm"):
        raise CheckpointError(_("The checkpoint's model description is incomplete: it needs "
                                "whole numbers for {names}.").format(names=", ".join(SPEC)))
    cfg = replace(config_from_meta(TimeSeriesConfig, meta), tau=spec["tau"],
                  hidden_size=spec["hidden_size"], cell=spec["cell"])
    problems = check(cfg)
    if not 1 <= spec["warmup"] <= cfg.seq_len:
        problems.append(f"warmup={spec['warmup']}")
    if problems:
        raise CheckpointError(_("This checkpoint's model cannot be trained on this page: "
                                "{problems}.").format(problems="; ".join(problems)))
    series = payload.get("series")
    if not isinstance(series, torch.Tensor) or series.dim() != 1 \
            or series.dtype != torch.float32 or len(series) > 10 * max(cfg.length, 5_000):
        raise CheckpointError(_("The checkpoint is incomplete: it has no model description or "
                                "no weights."))
    ar, rnn = _models(spec)  # small: within the config's bounds
    weights = payload["state_dict"]
    for name, model in (("ar", ar), ("rnn", rnn)):
        load_weights(model, {k[len(name) + 1:]: v for k, v in weights.items()
                             if isinstance(k, str) and k.startswith(name + ".")})
    train = meta.get("train_state")
    train = train if isinstance(train, list) and len(train) == 2 \
        and all(isinstance(t, dict) for t in train) else [{}, {}]
    state = {"ar": ar.state_dict(), "rnn": rnn.state_dict(), "trainers": train,
             "evals": meta.get("evals"), "series": series}
    return Reopened(cfg, state, read_step(meta))


def fits(live, reopened: Reopened) -> None:
    """Server side: the checkpoint's series must be the page's (``live``: the page's
    ``LiveTimeSeries``, which holds its config and uploaded values)."""
    try:
        x = make_series(live.cfg, getattr(live, "values", None)).x
    except ValueError:
        x = None
    saved = reopened.state["series"]
    if x is None or len(x) != len(saved) \
            or not torch.equal(torch.tensor(x, dtype=torch.float32), saved):
        raise CheckpointError(_("The checkpoint was trained on another series. Choose its "
                                "signal (for an uploaded CSV, upload the same file and column "
                                "first), then open the checkpoint again."))


def restore(exp: TimeSeriesExperiment, state: dict, step: int) -> None:
    """Worker side: the re-opened weights, optimisers, window streams, curves and validation
    errors in the running experiment (same models: ``apply_pending`` checked), counting on
    from ``step``. A checkpoint of another series is refused."""
    if not torch.equal(state["series"], exp.x):  # ``fits`` has checked; refused all the same
        raise ValueError("the checkpoint's series differs from the run's")
    for model, trainer, name, tr_state in zip(exp.models, exp.trainers, ("ar", "rnn"),
                                              state["trainers"]):
        with trainer.lock:
            model.load_state_dict(state[name])
        restore_trainer(trainer, tr_state, step)
    nan = np.full(HORIZON, np.nan)
    exp.evals[:] = [Evaluation(int(s), (float(a), float(b)), (nan, nan))
                    for s, a, b in table_rows(state.get("evals"), ("step", "mlp", "rnn"), 10_000)
                    if 0 <= s < step]
    exp.evaluate_now()  # the re-opened models' predictions and errors
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


EXPORT = LessonExport(LESSON, save=save_run, read=read_run, check=fits, script=True)
