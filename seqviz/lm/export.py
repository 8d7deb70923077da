"""The language-model page's exports: a checkpoint of the run and a standalone PyTorch script.

The checkpoint is an ``"lm"`` checkpoint (``seqviz.checkpoint.save_lm``: the hidden-states,
beam-search and embeddings pages open it too) whose meta holds the page config and step, plus
the optimiser and batch-stream state so a re-opened run continues exactly where it stopped.

The script rebuilds the same run with ``torch.nn.Embedding / LSTM / Linear``: ``seqviz``'s
recurrent layers have torch's parameter names, shapes and initialisation order, so
``torch.manual_seed(seed)`` before the same construction order gives the same weights; batches
come from a ``torch.Generator`` seeded the same way over the same training ids (embedded). It
prints the training loss at every step. Two things the page does that the script does not:
divergence roll-back, and live changes of the learning rate or clipping (the script uses the
config at export time throughout).
"""

from __future__ import annotations

from dataclasses import asdict, replace

from seqviz.checkpoint import CheckpointError, load_lm, save_checkpoint
from seqviz.config import check
from seqviz.engine.export import (MAX_SCRIPT_BYTES, SCRIPT_CLIP_GRADIENTS, UNPACK_IDS,
                                  LessonExport, Reopened, config_from_meta, pack_ids, run_meta,
                                  to_bytes, wrap)
from seqviz.i18n import _
from seqviz.lm.config import LMConfig
from seqviz.lm.experiment import VAL_TOKENS, LMExperiment
from seqviz.limits import MAX_CHECKPOINT_BYTES
from seqviz.train import StepStats

LESSON = "lm"
MAX_SCRIPT_IDS = 1_000_000  # training ids a script embeds; a longer text is cut (documented)


# ---- checkpoint ---------------------------------------------------------------------------
def run_state(exp: LMExperiment) -> dict:
    """Worker side: weights, optimiser and batch state, step, config (CPU, picklable)."""
    tr = exp.trainer
    weights = {k: v.detach().cpu().clone() for k, v in exp.model.state_dict().items()}
    state = {"state_dict": weights, "spec": exp.model.spec, "step": tr.steps,
             "vocab": exp.data.vocab.to_dict(), "level": exp.data.level, "cfg": exp.cfg}
    size = sum(v.numel() * v.element_size() for v in weights.values())
    if 3 * size < MAX_CHECKPOINT_BYTES:  # Adam's two moments: the file still re-opens here
        state["optimizer"] = tr.optimizer.state_dict()
        state["sampler"] = tr.batches.state_dict()
    kept = [h for h in tr.history if not h.diverged]
    state["history"] = {name: [getattr(h, name) for h in kept] for name in HISTORY}
    state["evals"] = {"step": [s for s, _v in tr.evals], "value": [v for _s, v in tr.evals]}
    return state


HISTORY = ("step", "loss", "grad_norm", "grad_norm_clipped", "lr")  # per step, in checkpoints


def _columns(table, names: tuple[str, ...], most: int) -> list[tuple] | None:
    """Rows of a saved ``{name: [numbers]}`` table, or None when it is malformed (a file
    edited by hand must not break the page: the curves then just start empty)."""
    if not isinstance(table, dict):
        return None
    cols = [table.get(n) for n in names]
    if not all(isinstance(c, list) for c in cols) or len({len(c) for c in cols}) != 1:
        return None
    rows = list(zip(*cols))[-most:]
    ok = all(isinstance(x, (int, float)) and not isinstance(x, bool) for r in rows for x in r)
    return rows if ok else None


def save_run(state: dict, cfg: LMConfig) -> bytes:
    """A checkpoint of the run (``state`` from ``run_state``) as bytes: the format of
    ``seqviz.checkpoint.save_lm``, with the page config, step and training state in meta."""
    extra = {k: state[k] for k in ("optimizer", "sampler", "history", "evals") if k in state}
    meta = {**run_meta(LESSON, cfg, state["step"]), "train_state": extra,
            "corpus": cfg.corpus}  # the hidden-states page probes the model on this corpus
    return to_bytes(lambda buf: save_checkpoint(buf, "lm", asdict(state["spec"]),
                                                state["state_dict"], meta,
                                                vocab=state["vocab"], level=state["level"]))


def read_run(data: bytes) -> Reopened:
    """A checkpoint (bytes) read back for the LM page; ``CheckpointError`` with a clear message
    for anything else. Any ``"lm"`` checkpoint opens (a bundled one too): without a saved page
    config, the model's shape fills in the defaults."""
    model, vocab, level, meta = load_lm(data)
    cfg = config_from_meta(LMConfig, meta)
    spec = model.spec
    cfg = replace(cfg, level=level, cell=spec.cell, hidden_size=spec.hidden_size,
                  embed_size=spec.embed_size, num_layers=spec.num_layers)
    problems = check(cfg)
    if problems:
        raise CheckpointError(_("This checkpoint's model cannot be trained on this page: "
                                "{problems}.").format(problems="; ".join(problems)))
    step = meta.get("step", 0)
    step = step if isinstance(step, int) and not isinstance(step, bool) and step >= 0 else 0
    train = meta.get("train_state") if isinstance(meta.get("train_state"), dict) else {}
    state = {"state_dict": model.state_dict(), "vocab": vocab.to_dict(), "level": level,
             **{k: train.get(k) for k in ("optimizer", "sampler", "history", "evals")}}
    return Reopened(cfg, state, step)


def fits(live, reopened: Reopened) -> None:
    """Server side: the checkpoint's vocabulary must be that of the page's corpus (``live``:
    the page's ``LiveLM``, which holds its ``TextData``)."""
    if reopened.state.get("vocab") != live.data.vocab.to_dict() \
            or reopened.state.get("level") != live.data.level:
        raise CheckpointError(_("The checkpoint was trained on another text or tokenisation: "
                                "its vocabulary differs from this corpus's. Choose the corpus "
                                "it was trained on (for your own text, upload the same file "
                                "first), then open the checkpoint again."))


def restore(exp: LMExperiment, state: dict, step: int) -> None:
    """Worker side: the re-opened weights (and optimiser and batch state when the file has
    them) in the running experiment, counting on from ``step``; the curves start again there.
    ``fits`` has checked the vocabulary; a mismatch here is refused all the same."""
    if state.get("vocab") != exp.data.vocab.to_dict():
        raise ValueError("the checkpoint's vocabulary differs from the run's")
    tr = exp.trainer
    with tr.lock:
        exp.model.load_state_dict(state["state_dict"])
        if state.get("optimizer") is not None:
            try:
                tr.optimizer.load_state_dict(state["optimizer"])
            except (ValueError, KeyError, TypeError, RuntimeError):
                tr.optimizer = type(tr.optimizer)(exp.model.parameters(), lr=tr.lr)
        else:  # a fresh optimiser: its moments belonged to the old weights
            tr.optimizer = type(tr.optimizer)(exp.model.parameters(), lr=tr.lr)
        tr.set_lr(exp.cfg.lr)
        if state.get("sampler") is not None:
            try:
                tr.batches.load_state_dict(state["sampler"])
            except (KeyError, TypeError, RuntimeError, ValueError):
                pass
        tr.history.clear()
        tr.evals.clear()
        tr.divergences.clear()
        for s, loss, norm, clipped, lr in _columns(state.get("history"), HISTORY,
                                                   tr.history.maxlen) or []:
            if s <= step:  # the curves as they were when the checkpoint was saved
                tr.history.append(StepStats(int(s), loss, norm, clipped, clipped < norm, lr,
                                            False, 0.0))
        for s, value in _columns(state.get("evals"), ("step", "value"), tr.evals.maxlen) or []:
            if s <= step:
                tr.evals.append((int(s), value))
        tr.resume_at(step)
        tr._good = type(tr._good)()  # no roll-back past the re-opened weights
    if not tr.evals or tr.evals[-1][0] != step:
        tr.evaluate_now()


EXPORT = LessonExport(LESSON, save=save_run, read=read_run, check=fits, script=True)


# ---- standalone script ----------------------------------------------------------------------
MODULES = {"rnn": "nn.RNN({E}, {H}, num_layers={L}, nonlinearity=\"tanh\", batch_first=True)",
           "gru": "nn.GRU({E}, {H}, num_layers={L}, batch_first=True)",
           "lstm": "nn.LSTM({E}, {H}, num_layers={L}, batch_first=True)"}

TEMPLATE = '''"""A {cell_upper} language model exported from seqviz's Language model page.

Plain PyTorch, no seqviz: the same model, initial weights (seed {seed}), batches and
optimiser as the page, so it prints the same training loss at every step (up to float
rounding). Run:  python {file_name} [--steps N] [--init checkpoint.pt]

Config: {config}
{data_note}
Not reproduced: the page's divergence roll-back, and live changes of the learning rate or
clipping made while it trained (this script uses the values at export time throughout).
"""

import argparse
import array
import base64
import math
import sys
import zlib

import torch
import torch.nn.functional as F
from torch import nn

SEED = {seed}
STEPS = {steps}  # steps the page had trained when this was exported
BATCH_SIZE, SEQ_LEN = {batch_size}, {seq_len}
LR, OPTIMIZER = {lr!r}, {optimizer!r}
CLIP, CLIP_THRESHOLD = {clip!r}, {clip_threshold!r}
LEVEL = {level!r}  # "char": tokens are characters; "word": words and punctuation
VOCAB = {vocab!r}
TRAIN_IDS = {train_ids}
VAL_IDS = {val_ids}  # the first validation tokens, as the page scores them


{unpack}

class LanguageModel(nn.Module):
    """Embedding -> recurrent stack -> linear head (same names and order as seqviz)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding({V}, {E})
        self.rnn = {rnn}
        self.head = nn.Linear({H}, {V})

    def forward(self, x, y):
        out, _state = self.rnn(self.embed(x))  # (B, T, H), zero initial state
        logits = self.head(out)  # (B, T, V)
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))


{clip_gradients}

@torch.no_grad()
def perplexity(model, ids, batch=32):
    """exp(mean cross-entropy) over every target in ids[1:], each scored once: (B, T) chunks
    of the stream in order, then a last partial chunk."""
    total, n = 0.0, len(ids) - 1
    full = n // SEQ_LEN
    for first in range(0, full, batch):
        rows = min(batch, full - first)
        window = ids[first * SEQ_LEN:(first + rows) * SEQ_LEN + 1]
        x, y = window[:-1].reshape(rows, SEQ_LEN), window[1:].reshape(rows, SEQ_LEN)
        total += float(model(x, y)) * x.numel()
    if n > full * SEQ_LEN:
        x, y = ids[full * SEQ_LEN:n][None], ids[full * SEQ_LEN + 1:n + 1][None]
        total += float(model(x, y)) * x.numel()
    return math.exp(total / max(n, 1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--init", help="start from a seqviz checkpoint's weights")
    args = parser.parse_args()
    torch.manual_seed(SEED)
    model = LanguageModel()  # same construction order as seqviz: same initial weights
    if args.init:
        model.load_state_dict(torch.load(args.init, weights_only=True)["state_dict"])
    train_ids, val_ids = unpack_ids(TRAIN_IDS), unpack_ids(VAL_IDS)
    generator = torch.Generator().manual_seed(SEED)  # the page's batch stream
    offsets = torch.arange(SEQ_LEN + 1)
    optimizer = (torch.optim.Adam if OPTIMIZER == "adam" else torch.optim.SGD)(
        model.parameters(), lr=LR)
    model.train()
    for step in range(1, args.steps + 1):
        starts = torch.randint(0, len(train_ids) - SEQ_LEN, (BATCH_SIZE,), generator=generator)
        windows = train_ids[starts[:, None] + offsets]  # (B, T+1)
        x, y = windows[:, :-1], windows[:, 1:]
        optimizer.zero_grad(set_to_none=True)
        loss = model(x, y)
        loss.backward()
        norm = clip_gradients(list(model.parameters()), CLIP, CLIP_THRESHOLD)
        optimizer.step()
        print(f"step {{step}} loss {{loss.item():.6f}} grad_norm {{norm:.4f}}", flush=True)
    model.eval()
    print(f"validation perplexity {{perplexity(model, val_ids):.4f}}", flush=True)


if __name__ == "__main__":
    main()
'''


def lm_script(exp: LMExperiment, steps: int | None = None) -> str:
    """The standalone script of ``exp`` (see the module docstring)."""
    cfg, data = exp.cfg, exp.data
    train = data.train
    note = ""
    if len(train) > MAX_SCRIPT_IDS:
        train = train[:MAX_SCRIPT_IDS]
        note = (f"\nData: the page trained on {len(data.train):,} tokens; this script embeds the "
                f"first {MAX_SCRIPT_IDS:,} only, so its batches (and losses) differ from the "
                "page's.\n")
    val = data.val[: VAL_TOKENS + 1]
    spec = exp.model.spec
    text = TEMPLATE.format(
        clip_gradients=SCRIPT_CLIP_GRADIENTS,
        cell_upper=spec.cell.upper(), seed=cfg.seed, file_name="seqviz_lm.py",
        config=", ".join(f"{k}={v}" for k, v in asdict(cfg).items() if k != "upload"),
        data_note=note, steps=int(exp.trainer.steps if steps is None else steps),
        batch_size=cfg.batch_size, seq_len=cfg.seq_len, lr=float(exp.trainer.lr),
        optimizer=cfg.optimizer, clip=cfg.clip, clip_threshold=float(cfg.clip_threshold),
        level=data.level, vocab=list(data.vocab.itos), train_ids=wrap(pack_ids(train)),
        val_ids=wrap(pack_ids(val)), unpack=UNPACK_IDS, V=spec.vocab_size, E=spec.embed_size,
        H=spec.hidden_size,
        rnn=MODULES[spec.cell].format(E=spec.embed_size, H=spec.hidden_size,
                                      L=spec.num_layers))
    if len(text.encode("utf-8")) > MAX_SCRIPT_BYTES:  # a huge word vocabulary; cannot happen
        raise ValueError("script too large")  # with the limits, kept as a guard
    return text

