"""The gradient pages' standalone script: the memory-task RNNs in plain PyTorch.

One generator serves both pages, which train the same kind of network (``MemoryNet``: one
``nn.RNN|GRU|LSTM`` layer and a linear head on its last hidden state) on the same memory tasks
(``seqviz.gradients.tasks``), several runs in lockstep: the gradient-flow page trains an RNN, a
GRU and an LSTM; the clipping page one cell twice, without and with clipping. Each run is
reproduced with its own batch generator (``torch.Generator`` seeded as the page seeds it), its
own initial weights (``torch.manual_seed(seed)`` before the model, ``W_hh`` blocks scaled to the
spectral radius, the gated cells' carry bias), its optimiser and clipping, and the page's
divergence handling (a non-finite or exploding loss restores the weights and optimiser state
before the last update, a non-finite gradient skips the update; the step counter goes on). It
prints every run's training loss at every step.

The checkpoint (``seqviz.checkpoint``'s weights-only format, kind ``"gradients"`` or
``"clipping"``) holds every run's weights under its name, and in meta the page config and step
plus each run's optimiser state, batch-generator state, loss history and evaluations, so a
re-opened page continues exactly where it stopped, its curves included. The one thing not
kept is the roll-back point: a run whose loss explodes right after being re-opened keeps the
re-opened weights instead of going back to those before their last update.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import torch

from seqviz.checkpoint import CheckpointError, load_checkpoint, load_weights, save_checkpoint
from seqviz.config import check
from seqviz.engine.export import (LessonExport, Reopened, config_from_meta, run_meta,
                                  table_rows, to_bytes)
from seqviz.gradients.clipping import RUNS, ClipConfig
from seqviz.gradients.tasks import (CARRY_BIAS, CELL_NAMES, GFConfig, MemoryNet, Task,
                                    build_task)
from seqviz.i18n import _
from seqviz.train import LastGood, StepStats, Trainer, make_optimizer
MODULES = {"rnn": "nn.RNN", "gru": "nn.GRU", "lstm": "nn.LSTM"}

TEMPLATE = '''"""{title}

Plain PyTorch, no seqviz: the same memory task ({task}, sequence length {seq_len}), initial
weights (seed {seed}), batches, optimiser, clipping and divergence handling as the page, so it
prints the same training loss of every run at every step (up to float rounding).
Run:  python {file} [--steps N]

Config: {config}
Not reproduced: live changes of the learning rate or clipping made while the page trained
(this script uses the values at export time).
"""

import argparse
import math

import torch
import torch.nn.functional as F
from torch import nn

SEED, STEPS = {seed}, {steps}
TASK, SEQ_LEN, BATCH_SIZE, NUM_SYMBOLS = {task!r}, {seq_len}, {batch_size}, 4
HIDDEN, ACTIVATION, RADIUS, CARRY_BIAS = {hidden}, {activation!r}, {radius!r}, {carry_bias!r}
OPTIMIZER = {optimizer!r}
MAX_LOSS = {max_loss!r}  # a loss above this counts as divergence, like NaN
# name: (cell, learning rate, clip mode "none" | "norm" | "value", clip threshold)
RUNS = {runs}
INPUT, OUTPUT = (NUM_SYMBOLS + 2, NUM_SYMBOLS) if TASK == "recall" else (2, 1)


def sample(gen):
    """One training batch: x (B, T, I), target (B,)."""
    B, T = BATCH_SIZE, SEQ_LEN
    if TASK == "recall":  # recall the first of T symbols when the cue comes
        K = NUM_SYMBOLS
        ids = torch.randint(K, (B, T), generator=gen)
        x = F.one_hot(ids, INPUT).float()
        x[:, -1] = 0.0
        x[:, 0, K] = 1.0  # start marker next to the symbol to remember
        x[:, -1, K + 1] = 1.0  # the recall cue
        return x, ids[:, 0]
    half = T // 2  # the adding problem: sum the two marked values
    values = torch.rand((B, T), generator=gen)
    first = torch.randint(half, (B,), generator=gen)
    second = half + torch.randint(T - half, (B,), generator=gen)
    marks = torch.zeros(B, T)
    rows = torch.arange(B)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    return torch.stack([values, marks], dim=-1), values[rows, first] + values[rows, second]


def loss_of(pred, target):
    if TASK == "recall":
        return F.cross_entropy(pred, target)
    return F.mse_loss(pred.squeeze(-1), target)


class MemoryNet(nn.Module):
    """x (B, T, I) -> recurrent layer -> linear head on the last hidden state -> (B, O)."""

    def __init__(self, cell):
        super().__init__()
        if cell == "rnn":
            self.rnn = nn.RNN(INPUT, HIDDEN, batch_first=True, nonlinearity=ACTIVATION)
        else:
            self.rnn = {{"gru": nn.GRU, "lstm": nn.LSTM}}[cell](INPUT, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, OUTPUT)

    def forward(self, x):
        out, _state = self.rnn(x)
        return self.head(out[:, -1])


@torch.no_grad()
def build(cell):
    torch.manual_seed(SEED)
    net = MemoryNet(cell)
    w = net.rnn.weight_hh_l0  # each gate's (H, H) block scaled to spectral radius RADIUS
    for block in w.split(w.size(1), dim=0):
        rho = float(torch.linalg.eigvals(block.double()).abs().max())
        if rho > 0:
            block.mul_(RADIUS / rho)
    if cell in ("gru", "lstm") and CARRY_BIAS:  # open the carry path: GRU z, LSTM f
        net.rnn.bias_ih_l0[HIDDEN:2 * HIDDEN] += CARRY_BIAS
    return net


class Run:
    def __init__(self, name, cell, lr, clip, threshold):
        self.name, self.clip, self.threshold = name, clip, threshold
        self.net = build(cell)
        self.gen = torch.Generator().manual_seed(SEED)  # every run sees the same batches
        params = self.net.parameters()
        self.opt = torch.optim.Adam(params, lr=lr) if OPTIMIZER == "adam" else \\
            torch.optim.SGD(params, lr=lr)
        self.good = None  # weights and optimiser state before the latest update

    def step(self):
        """One update; returns (loss, gradient norm before clipping, what happened)."""
        self.net.train()
        x, y = sample(self.gen)
        self.opt.zero_grad(set_to_none=True)
        loss = loss_of(self.net(x), y)
        value = float(loss.detach())
        if not math.isfinite(value) or value > MAX_LOSS:  # diverged: undo the last update
            self.opt.zero_grad(set_to_none=True)
            if self.good is not None:
                with torch.no_grad():
                    for p, saved in zip(self.net.parameters(), self.good[0]):
                        p.copy_(saved)
                self.opt.load_state_dict(self.good[1])
            return value, math.nan, "diverged"
        loss.backward()
        grads = [p.grad for p in self.net.parameters() if p.grad is not None]
        norm = float(torch.linalg.vector_norm(torch.stack([g.norm(2) for g in grads]), 2))
        if not math.isfinite(norm):  # skip this update
            self.opt.zero_grad(set_to_none=True)
            return value, norm, "diverged"
        clipped = False
        if self.clip == "norm" and self.threshold / (norm + 1e-6) < 1.0:
            clipped = True
            for g in grads:
                g.mul_(self.threshold / (norm + 1e-6))
        elif self.clip == "value":
            clipped = any(bool((g.abs() > self.threshold).any()) for g in grads)
            for g in grads:
                g.clamp_(-self.threshold, self.threshold)
        self.good = ([p.detach().clone() for p in self.net.parameters()],
                     copy_state(self.opt.state_dict()))
        self.opt.step()
        return value, norm, "clipped" if clipped else ""


def copy_state(state):
    if isinstance(state, torch.Tensor):
        return state.detach().clone()
    if isinstance(state, dict):
        return {{k: copy_state(v) for k, v in state.items()}}
    if isinstance(state, list):
        return [copy_state(v) for v in state]
    return state


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args()
    runs = [Run(name, *spec) for name, spec in RUNS.items()]
    for step in range(1, args.steps + 1):
        for run in runs:  # one step of every run in turn, as the page does
            loss, norm, note = run.step()
            print(f"step {{step}} {{run.name}} loss {{loss:.8g}} grad_norm {{norm:.6g}} {{note}}"
                  .rstrip(), flush=True)


if __name__ == "__main__":
    main()
'''


def _max_loss(task: Task) -> float:
    return 10 * math.log(task.output_size) if not task.regression else 1e4


def memory_script(title: str, file: str, cfg, cell_cfg, task: Task,
                  trainers: dict[str, Trainer], steps: int) -> str:
    """The script of runs ``trainers`` (name -> its trainer; the name must be one word) of one
    memory task: ``cfg`` the page config (seed, sizes, optimiser), ``cell_cfg`` name -> cell."""
    runs = "{\n" + "".join(
        f"    {name!r}: ({cell_cfg[name]!r}, {float(t.lr)!r}, {t.clip!r}, "
        f"{float(t.clip_threshold)!r}),\n" for name, t in trainers.items()) + "}"
    return TEMPLATE.format(
        title=title, file=file, task=cfg.task, seq_len=int(cfg.seq_len), seed=int(cfg.seed),
        config=", ".join(f"{k}={v}" for k, v in vars(cfg).items()), steps=int(steps),
        batch_size=int(task.batch_size), hidden=int(cfg.hidden_size),
        activation=str(cfg.activation), radius=float(cfg.radius),
        carry_bias=float(CARRY_BIAS), optimizer=str(cfg.optimizer),
        max_loss=float(_max_loss(task)), runs=runs)


def flow_script(lab, steps: int | None = None) -> str:
    """The gradient-flow page's three runs (``GradientLab``: RNN, GRU, LSTM)."""
    trainers = lab.runs.trainers
    return memory_script(
        "RNN, GRU and LSTM on one memory task, exported from seqviz's Gradient flow page.",
        "seqviz-gradients.py", lab.cfg, {c: c for c in trainers}, lab.task, trainers,
        lab.runs.steps if steps is None else steps)


def clipping_script(comp, steps: int | None = None) -> str:
    """The clipping page's two runs (``ClipComparison``: without and with clipping)."""
    trainers = {name.replace(" ", "_"): t for name, t in comp.trainers.items()}
    task = next(iter(comp.trainers.values())).batches
    return memory_script(
        "One network trained without and with gradient clipping, exported from seqviz's "
        "Gradient clipping page.", "seqviz-clipping.py", comp.cfg,
        {name: comp.cfg.cell for name in trainers}, task, trainers,
        comp.steps if steps is None else steps)


# ---- checkpoints --------------------------------------------------------------------------------
HISTORY = ("step", "loss", "grad_norm", "grad_norm_clipped", "lr", "clipped", "diverged")


def trainers_state(trainers: dict[str, Trainer]) -> dict:
    """Worker side: every run's weights (``name.key``), optimiser, batch generator, history
    and evaluations (CPU tensors and plain numbers: a weights-only file holds them)."""
    weights, runs = {}, {}
    for name, tr in trainers.items():
        with tr.lock:
            for k, v in tr.model.state_dict().items():
                weights[f"{name}.{k}"] = v.detach().cpu().clone()
            hist = list(tr.history)
            runs[name] = {
                "optimizer": tr.optimizer.state_dict(),
                "generator": tr.batches.gen.get_state(),
                "history": {n: [float(getattr(h, n)) if n not in ("step", "clipped", "diverged")
                                else int(getattr(h, n)) for h in hist] for n in HISTORY},
                "evals": {"step": [int(s) for s, _v in tr.evals],
                          "value": [float(v) for _s, v in tr.evals]}}
    step = min(t.steps for t in trainers.values())
    return {"state_dict": weights, "runs": runs, "step": step}


def _save(kind: str, state: dict, cfg: Any) -> bytes:
    spec = {"hidden_size": int(cfg.hidden_size), "cell": getattr(cfg, "cell", "lstm")}
    meta = {**run_meta(kind, cfg, state["step"]), "train_state": state["runs"]}
    return to_bytes(lambda buf: save_checkpoint(buf, kind, spec, state["state_dict"], meta))


def save_flow(state: dict, cfg: GFConfig) -> bytes:
    return _save("gradients", state, cfg)


def save_clipping(state: dict, cfg: ClipConfig) -> bytes:
    return _save("clipping", state, cfg)


def _read(kind: str, cls: type, data: bytes) -> Reopened:
    """A checkpoint (bytes) of ``kind`` read back for its page: its config (the model's shape
    from the file's description), every run's weights checked against the model that config
    builds, the training state; ``CheckpointError`` with a clear message for anything else."""
    payload = load_checkpoint(data, kind)
    spec, meta = payload["spec"], payload["meta"]
    cfg = config_from_meta(cls, meta)
    if "hidden_size" in spec:
        cfg = replace(cfg, hidden_size=spec["hidden_size"])
    if kind == "clipping" and "cell" in spec:
        cfg = replace(cfg, cell=spec["cell"])
    problems = check(cfg)
    if problems:
        raise CheckpointError(_("This checkpoint's model cannot be trained on this page: "
                                "{problems}.").format(problems="; ".join(problems)))
    task = build_task(cfg.task, 2)
    weights, train = payload["state_dict"], meta.get("train_state")
    train = train if isinstance(train, dict) else {}
    runs = {}
    for name in (CELL_NAMES if kind == "gradients" else RUNS):
        cell = name if kind == "gradients" else cfg.cell
        own = {k[len(name) + 1:]: v for k, v in weights.items() if k.startswith(f"{name}.")}
        load_weights(MemoryNet(cell, task.input_size, cfg.hidden_size, task.output_size,
                               cfg.activation), own)  # says what does not fit
        extra = train.get(name) if isinstance(train.get(name), dict) else {}
        runs[name] = {"state_dict": own, **{k: extra.get(k) for k in
                                            ("optimizer", "generator", "history", "evals")}}
    step = meta.get("step", 0)
    step = step if isinstance(step, int) and not isinstance(step, bool) and step >= 0 else 0
    return Reopened(cfg, {"runs": runs}, step)


def read_flow(data: bytes) -> Reopened:
    return _read("gradients", GFConfig, data)


def read_clipping(data: bytes) -> Reopened:
    return _read("clipping", ClipConfig, data)


def restore_trainers(trainers: dict[str, Trainer], state: dict, step: int) -> None:
    """Worker side: the re-opened weights, optimiser and generator states and curves in the
    running trainers (same build: ``read`` checked the weights), counting on from ``step``.
    A part that does not load (a file edited by hand) starts afresh instead."""
    runs = state["runs"]
    for name, tr in trainers.items():
        saved = runs[name]
        with tr.lock:
            tr.model.load_state_dict(saved["state_dict"])
            try:
                tr.optimizer.load_state_dict(saved["optimizer"])
            except (ValueError, KeyError, TypeError, RuntimeError, AttributeError):
                tr.optimizer = make_optimizer(tr.optimizer_name, tr.model.parameters(), tr.lr)
            tr.set_lr(tr.lr)  # the page's live rate, not the file's
            gen = saved.get("generator")
            if isinstance(gen, torch.Tensor):
                try:
                    tr.batches.gen.set_state(gen)
                except (RuntimeError, TypeError, ValueError):
                    pass
            tr.history.clear()
            tr.evals.clear()
            tr.divergences.clear()
            for row in table_rows(saved.get("history"), HISTORY, tr.history.maxlen):
                s, loss, norm, after, lr, clipped, diverged = row
                if s <= step:
                    tr.history.append(StepStats(int(s), loss, norm, after, bool(clipped), lr,
                                                bool(diverged), 0.0))
            for s, value in table_rows(saved.get("evals"), ("step", "value"), tr.evals.maxlen):
                if s <= step:
                    tr.evals.append((int(s), value))
            tr.resume_at(step)
            tr._good = LastGood()  # no roll-back past the re-opened weights


FLOW_EXPORT = LessonExport("gradients", save=save_flow, read=read_flow, script=True)
CLIP_EXPORT = LessonExport("clipping", save=save_clipping, read=read_clipping, script=True)
