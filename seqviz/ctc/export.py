"""The CTC page's exports: a checkpoint of the run and a standalone PyTorch script.

The checkpoint is a ``"ctc"`` checkpoint in the project's safe format (``seqviz.checkpoint``:
weights-only, its model description checked before anything is built) whose meta holds the page
config and step, the optimiser and utterance-stream state, the loss curve and the held-out
evaluations, so a re-opened run continues exactly where it stopped.

The script rebuilds the run with ``torch.nn.LSTM(bidirectional=True) / Linear``: ``seqviz``'s
LSTM has torch's parameter names, shapes and initialisation order, so ``torch.manual_seed(seed)``
before the same construction order gives the same weights. The generated "speech" is made by
the same NumPy code as ``seqviz.ctc.tasks`` (copied into the script) from
``numpy.random.default_rng(seed)``, so every step sees the same utterances; Adam, global-norm
clipping and ``F.ctc_loss`` as the page. It prints the training loss at every step and, at the
end, the held-out CTC loss on the page's held-out utterances. Not reproduced: divergence
roll-back and live changes of the learning rate or clip threshold.
"""

from __future__ import annotations

from dataclasses import replace

from seqviz.checkpoint import CheckpointError, load_checkpoint, load_weights, save_checkpoint
from seqviz.config import check
from seqviz.ctc.config import CTCConfig
from seqviz.ctc.experiment import TEST_UTTERANCES, CTCExperiment, CTCModel, Evaluation
from seqviz.ctc.tasks import BANDS, EDGE_SILENCE, FORMANTS, TEST_SEED, WIDTH
from seqviz.engine.export import (LessonExport, Reopened, config_from_meta, read_step,
                                  restore_trainer, run_meta, table_rows, to_bytes,
                                  trainer_state)
from seqviz.i18n import _

LESSON = "ctc"
SPEC = ("symbols", "hidden_size", "num_layers")  # the model description (the rest: config)
EVALS = ("step", "greedy", "beam", "greedy_sub", "beam_width", "blank_share", "loss")


# ---- checkpoint ---------------------------------------------------------------------------
def run_state(exp: CTCExperiment) -> dict:
    """Worker side: weights, trainer state (optimiser, utterance stream, curve), held-out
    evaluations and step (CPU tensors and plain values)."""
    return {"state_dict": {k: v.detach().cpu().clone() for k, v in exp.model.state_dict().items()},
            "spec": dict(exp.model.spec), "step": exp.trainer.steps,
            "trainer": trainer_state(exp.trainer),
            "evals": {name: [getattr(e, name) for e in exp.evals] for name in EVALS}}


def save_run(state: dict, cfg: CTCConfig) -> bytes:
    """A checkpoint of the run (``state`` from ``run_state``) as bytes."""
    meta = {**run_meta(LESSON, cfg, state["step"]), "train_state": state["trainer"],
            "evals": state["evals"]}
    return to_bytes(lambda buf: save_checkpoint(buf, LESSON, state["spec"],
                                                state["state_dict"], meta))


def read_run(data: bytes) -> Reopened:
    """A checkpoint (bytes) read back for the CTC page; ``CheckpointError`` with a clear
    message for anything else (size, not weights-only, another kind, out of bounds)."""
    payload = load_checkpoint(data, LESSON)
    spec, meta = payload["spec"], payload.get("meta")
    meta = meta if isinstance(meta, dict) else {}
    if not all(isinstance(spec.get(k), int) and not isinstance(spec.get(k), bool)
               for k in SPEC):
        raise CheckpointError(_("The checkpoint's model description is incomplete: it needs "
                                "whole numbers for {names}.").format(names=", ".join(SPEC)))
    cfg = replace(config_from_meta(CTCConfig, meta), **{k: spec[k] for k in SPEC})
    problems = check(cfg)
    if problems:
        raise CheckpointError(_("This checkpoint's model cannot be trained on this page: "
                                "{problems}.").format(problems="; ".join(problems)))
    model = CTCModel(cfg.symbols, cfg.hidden_size, cfg.num_layers)  # small: within the config
    load_weights(model, payload["state_dict"])
    train = meta.get("train_state") if isinstance(meta.get("train_state"), dict) else {}
    state = {"state_dict": model.state_dict(), "trainer": train, "evals": meta.get("evals")}
    return Reopened(cfg, state, read_step(meta))


def restore(exp: CTCExperiment, state: dict, step: int) -> None:
    """Worker side: the re-opened weights, optimiser, utterance stream, curve and evaluations
    in the running experiment (same model: ``apply_pending`` checked), counting on from
    ``step``."""
    with exp.trainer.lock:
        exp.model.load_state_dict(state["state_dict"])
    restore_trainer(exp.trainer, state.get("trainer") or {}, step)
    rows = table_rows(state.get("evals"), EVALS, 10_000)
    exp.evals[:] = [Evaluation(int(r[0]), *map(float, r[1:4]), int(r[4]), *map(float, r[5:]))
                    for r in rows if 0 <= r[0] <= step]
    if not exp.evals or exp.evals[-1].step != step:
        exp.evaluate_now()

TEMPLATE = '''"""A CTC speech recogniser exported from seqviz's CTC page.

Plain PyTorch (and NumPy for the generated "speech"), no seqviz: the same bidirectional LSTM,
initial weights (seed {seed}), utterances and optimiser as the page, so it prints the same
training loss at every step (up to float rounding), then the held-out CTC loss.
Run:  python seqviz-ctc.py [--steps N]

Config: {config}
Not reproduced: the page's divergence roll-back, and live changes of the learning rate or
clip threshold made while it trained (this script uses the values at export time).
"""

import argparse

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

SEED, STEPS = {seed}, {steps}
BATCH_SIZE, LR, CLIP_THRESHOLD = {batch_size}, {lr!r}, {clip!r}
HIDDEN_SIZE, NUM_LAYERS = {hidden_size}, {num_layers}

# The speech task: K symbols, labels of MIN_LEN..MAX_LEN symbols, each spoken as a run of
# MIN_FRAMES..MAX_FRAMES frames of a BANDS-band "spectrum" (two formant bumps), with pauses,
# loudness and noise. Id 0 is the CTC blank (and silence), symbols are 1..K.
SYMBOLS, MIN_LEN, MAX_LEN = {symbols}, {min_len}, {max_len}
MIN_FRAMES, MAX_FRAMES = {min_frames}, {max_frames}
NOISE, SILENCE = {noise!r}, {silence!r}
BANDS, WIDTH, EDGE_SILENCE = {bands}, {width!r}, {edge!r}
FORMANTS = {formants!r}
TEST_SEED, TEST_UTTERANCES = {test_seed}, {test_utterances}


def prototypes():
    """(K + 1, BANDS): row 0 is silence, row k the spectrum of symbol k."""
    bands = np.arange(BANDS)
    out = np.zeros((SYMBOLS + 1, BANDS))
    for k, (f1, f2) in enumerate(FORMANTS[:SYMBOLS], start=1):
        out[k] = (np.exp(-0.5 * ((bands - f1) / WIDTH) ** 2)
                  + 0.8 * np.exp(-0.5 * ((bands - f2) / WIDTH) ** 2))
    return out


def speak(label, rng, protos):
    """One utterance of ``label``: (frames (T, BANDS) float32, label)."""
    gain = rng.uniform(0.7, 1.3)  # speaker loudness
    parts = [np.zeros((int(rng.integers(EDGE_SILENCE[0], EDGE_SILENCE[1] + 1)), BANDS))]
    for i, k in enumerate(label):
        if i and rng.random() < SILENCE:
            parts.append(np.zeros((int(rng.integers(1, max(1, MAX_FRAMES // 2) + 1)), BANDS)))
        n = int(rng.integers(MIN_FRAMES, MAX_FRAMES + 1))
        envelope = 1.0 - 0.6 * np.arange(n) / max(n - 1, 1)  # attack, then decay to 0.4
        parts.append(gain * envelope[:, None] * protos[k][None, :])
    parts.append(np.zeros((int(rng.integers(EDGE_SILENCE[0], EDGE_SILENCE[1] + 1)), BANDS)))
    clean = np.concatenate(parts)
    return (clean + NOISE * rng.standard_normal(clean.shape)).astype(np.float32), label


def random_label(rng):
    n = int(rng.integers(MIN_LEN, MAX_LEN + 1))
    return tuple(int(k) for k in rng.integers(1, SYMBOLS + 1, n))


def make_batch(utterances):
    """Pad utterances (with silence, at the end) into (frames, frame_lengths, targets,
    target_lengths)."""
    lengths = [len(f) for f, _label in utterances]
    frames = np.zeros((len(utterances), max(lengths), BANDS), dtype=np.float32)
    targets = np.zeros((len(utterances), max(len(y) for _f, y in utterances)), dtype=np.int64)
    for i, (f, y) in enumerate(utterances):
        frames[i, :len(f)] = f
        targets[i, :len(y)] = y
    return (torch.from_numpy(frames), torch.tensor(lengths), torch.from_numpy(targets),
            torch.tensor([len(y) for _f, y in utterances]))


class CTCModel(nn.Module):
    """Bidirectional LSTM + linear read-out: per-frame log-probabilities over blank + K."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(BANDS, HIDDEN_SIZE, NUM_LAYERS, batch_first=True,
                           bidirectional=True)
        self.out = nn.Linear(2 * HIDDEN_SIZE, SYMBOLS + 1)

    def forward(self, frames):
        h, _state = self.rnn(frames)  # (B, T, 2H)
        return F.log_softmax(self.out(h), dim=-1)  # (B, T, K + 1)


def ctc(model, batch):
    frames, frame_lengths, targets, target_lengths = batch
    log_probs = model(frames).transpose(0, 1)  # (T, B, C)
    return F.ctc_loss(log_probs, targets, frame_lengths, target_lengths, blank=0,
                      reduction="mean", zero_infinity=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args()
    torch.manual_seed(SEED)
    model = CTCModel()  # same construction order as seqviz: same initial weights
    protos = prototypes()
    rng = np.random.default_rng(SEED)  # the page's utterances
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    model.train()
    for step in range(1, args.steps + 1):
        batch = make_batch([speak(random_label(rng), rng, protos) for _ in range(BATCH_SIZE)])
        optimizer.zero_grad(set_to_none=True)
        loss = ctc(model, batch)
        loss.backward()
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        norm = float(torch.linalg.vector_norm(torch.stack([g.norm(2) for g in grads]), 2))
        if CLIP_THRESHOLD / (norm + 1e-6) < 1.0:  # global-norm clipping, as the page does it
            for g in grads:
                g.mul_(CLIP_THRESHOLD / (norm + 1e-6))
        optimizer.step()
        print(f"step {{step}} loss {{loss.item():.6f}} grad_norm {{norm:.4f}}", flush=True)
    test_rng = np.random.default_rng(TEST_SEED)  # the page's held-out utterances
    test = [speak(random_label(test_rng), test_rng, protos) for _ in range(TEST_UTTERANCES)]
    model.eval()
    with torch.no_grad():
        print(f"held-out loss {{float(ctc(model, make_batch(test))):.6f}}", flush=True)


if __name__ == "__main__":
    main()
'''


def ctc_script(exp: CTCExperiment, steps: int | None = None) -> str:
    """The standalone script of ``exp`` (see the module docstring)."""
    cfg, spec, tr = exp.cfg, exp.cfg.spec(), exp.trainer
    return TEMPLATE.format(
        seed=cfg.seed, config=", ".join(f"{k}={v}" for k, v in vars(cfg).items()),
        steps=int(tr.steps if steps is None else steps), batch_size=cfg.batch_size,
        lr=float(tr.lr), clip=float(tr.clip_threshold), hidden_size=cfg.hidden_size,
        num_layers=cfg.num_layers, symbols=spec.symbols, min_len=spec.min_len,
        max_len=spec.max_len, min_frames=spec.min_frames, max_frames=spec.max_frames,
        noise=float(spec.noise), silence=float(spec.silence), bands=BANDS, width=float(WIDTH),
        edge=tuple(EDGE_SILENCE), formants=tuple(FORMANTS), test_seed=TEST_SEED,
        test_utterances=TEST_UTTERANCES)


EXPORT = LessonExport(LESSON, save=save_run, read=read_run, script=True)
