"""The sequence-tasks page's standalone script: the same classifier or tagger in plain PyTorch.

``torch.nn.Embedding / Dropout / RNN|GRU|LSTM / Linear`` in ``SeqModel``'s construction order,
so ``torch.manual_seed(seed)`` gives the same weights; the training examples embedded as ids;
mini-batches drawn by ``random.Random(seed)`` as ``seqviz.seqtasks.data.Batches`` draws them;
dropout masks seeded per step as the page seeds them; Adam with the live weight decay and
global-norm clipping at 5. It prints the training loss at every step. A run that started from
a bundled model is reproduced from the seed instead (the script says so).
"""

from __future__ import annotations

from seqviz.engine.export import UNPACK_IDS, LessonExport, pack_ids, wrap
from seqviz.seqtasks.experiment import SeqTaskExperiment

LESSON = "seqtasks"
EXPORT = LessonExport(LESSON, script=True)
MODULES = {"rnn": "nn.RNN", "gru": "nn.GRU", "lstm": "nn.LSTM"}

TEMPLATE = '''"""A {what} exported from seqviz's Sequence tasks page ({task}).

Plain PyTorch, no seqviz: the same model, initial weights (seed {seed}), mini-batches, dropout
masks and optimiser as the page, so it prints the same training loss at every step (up to
float rounding). Run:  python seqviz-seqtasks.py [--steps N]

Config: {config}
{note}Not reproduced: the page's divergence roll-back, and live changes of the learning rate,
dropout or weight decay made while it trained (this script uses the values at export time).
"""

import argparse
import array
import base64
import random
import sys
import zlib

import torch
import torch.nn.functional as F
from torch import nn

SEED, STEPS = {seed}, {steps}
BATCH_SIZE, LR, DROPOUT, WEIGHT_DECAY, CLIP = {batch_size}, {lr!r}, {dropout!r}, {wd!r}, 5.0
TAGGER, BIDIRECTIONAL = {tagger}, {bidirectional}
WORDS = {words!r}  # id -> word (0 <pad>, 1 <unk>)
CLASSES = {classes!r}
LENGTHS = {lengths}  # tokens per training example
IDS = {ids}  # every example's word ids, one after another
LABELS = {labels}  # one label per example, or one tag per token (tagger)


{unpack}

class SeqModel(nn.Module):
    """embedding -> dropout -> recurrent -> dropout -> linear (same order as seqviz)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding({V}, {E}, padding_idx=0)
        self.drop_in, self.drop_out = nn.Dropout(DROPOUT), nn.Dropout(DROPOUT)
        self.rnn = {rnn}
        self.head = nn.Linear({D} * {H}, {C})

    def forward(self, ids, lengths):
        out, _state = self.rnn(self.drop_in(self.embed(ids)))  # (B, T, D*H)
        if not TAGGER:  # many-to-one: the state after the last real token
            last = (lengths - 1).clamp(min=0).view(-1, 1, 1).expand(-1, 1, out.size(2))
            H = self.rnn.hidden_size
            fwd = out.gather(1, last).squeeze(1)[:, :H]
            out = torch.cat([fwd, out[:, 0, H:]], dim=1) if BIDIRECTIONAL else fwd
        return self.head(self.drop_out(out))


def pad(rows, fill):
    T = max(len(r) for r in rows)
    return torch.tensor([r + [fill] * (T - len(r)) for r in rows], dtype=torch.long)


def examples():
    lengths, ids, labels = (unpack_ids(x).tolist() for x in (LENGTHS, IDS, LABELS))
    out, at, lab = [], 0, 0
    for n in lengths:
        k = n if TAGGER else 1
        out.append((ids[at:at + n], labels[lab:lab + k] if TAGGER else labels[lab]))
        at, lab = at + n, lab + k
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args()
    torch.manual_seed(SEED)
    model = SeqModel()
    train = examples()
    rng = random.Random(SEED)  # the page's mini-batches
    optimizer = torch.optim.Adam(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    model.train()
    for step in range(1, args.steps + 1):
        picks = [train[rng.randrange(len(train))] for _ in range(min(BATCH_SIZE, len(train)))]
        ids = pad([p[0] for p in picks], 0)
        lengths = torch.tensor([len(p[0]) for p in picks], dtype=torch.long)
        optimizer.zero_grad(set_to_none=True)
        with torch.random.fork_rng(devices=[]):  # the page's dropout masks for this step
            torch.manual_seed(SEED * 1_000_003 + step - 1)
            logits = model(ids, lengths)
            if TAGGER:
                tags = pad([list(p[1]) for p in picks], -100)
                loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), tags.reshape(-1),
                                       ignore_index=-100)
            else:
                loss = F.cross_entropy(logits, torch.tensor([p[1] for p in picks]))
        loss.backward()
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        norm = float(torch.linalg.vector_norm(torch.stack([g.norm(2) for g in grads]), 2))
        if CLIP / (norm + 1e-6) < 1.0:  # global-norm clipping, as the page does it
            for g in grads:
                g.mul_(CLIP / (norm + 1e-6))
        optimizer.step()
        print(f"step {{step}} loss {{loss.item():.6f}} grad_norm {{norm:.4f}}", flush=True)


if __name__ == "__main__":
    main()
'''


def seqtasks_script(exp: SeqTaskExperiment, steps: int | None = None) -> str:
    cfg, data, spec = exp.cfg, exp.data, exp.model.spec
    tagger = bool(spec["tagger"])
    ids = [i for ex in data.train for i in data.ids(ex.tokens)]
    labels = [t for ex in data.train for t in ex.label] if tagger else \
        [ex.label for ex in data.train]
    rnn = (f"{MODULES[spec['cell']]}({spec['embed_size']}, {spec['hidden_size']}, "
           f"num_layers={spec['num_layers']}, batch_first=True, "
           f"bidirectional={bool(spec['bidirectional'])}"
           + (f", dropout={float(cfg.dropout)!r}" if spec["num_layers"] > 1 else "") + ")")
    note = "" if cfg.pretrained == "none" else (
        f"Note: the page started from the bundled {cfg.pretrained!r} model; this script "
        "starts from the seed instead, so its losses differ from the page's.\n")
    group = exp.trainer.optimizer.param_groups[0]
    return TEMPLATE.format(
        what="tagger" if tagger else "classifier", task=cfg.task, seed=cfg.seed,
        config=", ".join(f"{k}={v}" for k, v in vars(cfg).items()), note=note,
        steps=int(exp.trainer.steps if steps is None else steps), batch_size=cfg.batch_size,
        lr=float(exp.trainer.lr), dropout=float(cfg.dropout),
        wd=float(group.get("weight_decay", 0.0)), tagger=tagger,
        bidirectional=bool(spec["bidirectional"]), words=list(data.itos),
        classes=list(data.classes), lengths=wrap(pack_ids([len(ex.tokens) for ex in data.train])),
        ids=wrap(pack_ids(ids)), labels=wrap(pack_ids(labels)), unpack=UNPACK_IDS,
        V=spec["vocab_size"], E=spec["embed_size"], H=spec["hidden_size"],
        D=2 if spec["bidirectional"] else 1, C=spec["num_classes"], rnn=rnn)
