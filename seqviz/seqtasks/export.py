"""The sequence-tasks page's standalone script: the same classifier or tagger in plain PyTorch.

``torch.nn.Embedding / Dropout / RNN|GRU|LSTM / Linear`` in ``SeqModel``'s construction order,
so ``torch.manual_seed(seed)`` gives the same weights; the training examples embedded as ids;
mini-batches drawn by ``random.Random(seed)`` as ``seqviz.seqtasks.data.Batches`` draws them;
dropout masks seeded per step as the page seeds them; Adam with the live weight decay and
global-norm clipping at 5. It prints the training loss at every step. A run that started from
a bundled model is reproduced from the seed instead (the script says so).

The checkpoint is a ``"seqtasks"`` checkpoint in the project's safe format
(``seqviz.checkpoint``: weights-only, its model description checked before anything is built)
whose meta holds the page config and step, the optimiser and mini-batch stream state, the loss
curve and the evaluations; the vocabulary it was trained with is saved beside the weights. A
re-opened run continues exactly where it stopped. A file whose model is not the one its settings
describe (a tagger saved as sentiment, another size), or whose vocabulary is not the data's, is
refused with a message.
"""

from __future__ import annotations

from dataclasses import replace

from seqviz.checkpoint import CheckpointError, load_checkpoint, load_weights, save_checkpoint
from seqviz.config import check
from seqviz.engine.export import (UNPACK_IDS, LessonExport, Reopened, config_from_meta,
                                  pack_ids, read_step, restore_trainer, run_meta, table_rows,
                                  to_bytes, trainer_state, wrap)
from seqviz.i18n import _
from seqviz.seqtasks.config import SeqTaskConfig
from seqviz.seqtasks.corpora import LABELS, TAGS
from seqviz.seqtasks.data import build_data
from seqviz.seqtasks.experiment import Evaluation, SeqTaskExperiment
from seqviz.seqtasks.models import SeqModel

LESSON = "seqtasks"
SIZES = ("vocab_size", "num_classes", "embed_size", "hidden_size", "num_layers")  # whole numbers
SHAPE = ("cell", "embed_size", "hidden_size", "num_layers", "bidirectional")  # spec = config
EVALS = ("step", "train_acc", "val_acc", "train_loss", "val_loss")


# ---- checkpoint ---------------------------------------------------------------------------
def run_state(exp: SeqTaskExperiment) -> dict:
    """Worker side: weights, model description, vocabulary, trainer state (optimiser,
    mini-batch stream, curve), evaluations and step (CPU tensors and plain values)."""
    return {"state_dict": {k: v.detach().cpu().clone() for k, v in exp.model.state_dict().items()},
            "spec": dict(exp.model.spec), "vocab": list(exp.data.itos),
            "classes": list(exp.data.classes), "step": exp.trainer.steps,
            "trainer": trainer_state(exp.trainer),
            "evals": {name: [getattr(e, name) for e in exp.evals] for name in EVALS}}


def save_run(state: dict, cfg: SeqTaskConfig) -> bytes:
    """A checkpoint of the run (``state`` from ``run_state``) as bytes. A run that started from
    a bundled model is saved as the model it now is (``pretrained="none"``)."""
    meta = {**run_meta(LESSON, replace(cfg, pretrained="none"), state["step"]),
            "train_state": state["trainer"], "evals": state["evals"]}
    return to_bytes(lambda buf: save_checkpoint(buf, LESSON, state["spec"],
                                                state["state_dict"], meta,
                                                vocab=state["vocab"], classes=state["classes"]))


def _task_name(tagger: bool) -> str:
    return _("tagging") if tagger else _("sentiment")


def read_run(data: bytes) -> Reopened:
    """A checkpoint (bytes) read back for the sequence-tasks page; ``CheckpointError`` with a
    clear message for anything else (size, not weights-only, another kind, out of bounds, a
    model that is not the one its settings describe)."""
    payload = load_checkpoint(data, LESSON)
    spec, meta = payload["spec"], payload.get("meta")
    meta = meta if isinstance(meta, dict) else {}
    if not all(isinstance(spec.get(k), int) and not isinstance(spec.get(k), bool)
               for k in SIZES) or not isinstance(spec.get("bidirectional"), bool) \
            or not isinstance(spec.get("tagger"), bool) or "cell" not in spec:  # bounds: checked
        raise CheckpointError(_("The checkpoint's model description is incomplete: it needs "
                                "whole numbers for {names}.").format(names=", ".join(SIZES)))
    cfg = replace(config_from_meta(SeqTaskConfig, meta), pretrained="none")
    if spec["tagger"] != (cfg.task == "tagging"):
        raise CheckpointError(_("This checkpoint's model is a {have} model but its settings "
                                "are for the {want} task: it was not saved by this page, or "
                                "it was edited.").format(have=_task_name(spec["tagger"]),
                                                         want=_task_name(cfg.task == "tagging")))
    cfg = replace(cfg, **{k: spec[k] for k in SHAPE})  # the weights' shape decides
    problems = check(cfg)
    classes = TAGS if spec["tagger"] else LABELS
    if spec["num_classes"] != len(classes):
        problems.append(f"num_classes={spec['num_classes']}")
    if problems:
        raise CheckpointError(_("This checkpoint's model cannot be trained on this page: "
                                "{problems}.").format(problems="; ".join(problems)))
    vocab = payload.get("vocab")
    if not isinstance(vocab, list) or len(vocab) != spec["vocab_size"] \
            or not all(isinstance(w, str) for w in vocab):
        raise CheckpointError(_("The checkpoint's vocabulary is missing or damaged."))
    model = SeqModel(spec["vocab_size"], spec["num_classes"], cell=cfg.cell,  # small: bounded
                     embed_size=cfg.embed_size, hidden_size=cfg.hidden_size,
                     num_layers=cfg.num_layers, bidirectional=cfg.bidirectional,
                     tagger=spec["tagger"])
    load_weights(model, payload["state_dict"])
    train = meta.get("train_state") if isinstance(meta.get("train_state"), dict) else {}
    state = {"state_dict": model.state_dict(), "spec": _shape(model.spec), "vocab": vocab,
             "trainer": train, "evals": meta.get("evals")}
    return Reopened(cfg, state, read_step(meta))


def _shape(spec: dict) -> dict:
    """A model description without its dropout (a live setting)."""
    return {k: v for k, v in spec.items() if k != "dropout"}


def fits(live, reopened: Reopened) -> None:
    """Server side: the page's run (``live.cfg``) must be of the checkpoint's task, model and
    data (its vocabulary), else the weights would mean nothing there."""
    have, want = reopened.cfg, live.cfg
    if have.task != want.task:
        raise CheckpointError(_("This checkpoint holds a {have} model; the page's run is a "
                                "{want} model. Open the checkpoint again.").format(
            have=_task_name(have.task == "tagging"), want=_task_name(want.task == "tagging")))
    if any(getattr(have, k) != getattr(want, k) for k in SHAPE):
        raise CheckpointError(_("This checkpoint's model ({have}) is not the page's ({want}). "
                                "Open the checkpoint again.").format(
            have=_describe(have), want=_describe(want)))
    data = build_data(want.task, want.train_size, want.seed, want.reviews)
    if list(data.itos) != reopened.state["vocab"]:
        raise CheckpointError(_("The checkpoint was trained on other examples (another "
                                "vocabulary). Choose its training examples, reviews language "
                                "and seed, then open the checkpoint again."))


def _describe(cfg: SeqTaskConfig) -> str:
    from seqviz.seqtasks.config import describe

    return f"{describe(cfg)}, E {cfg.embed_size}"


def restore(exp: SeqTaskExperiment, state: dict, step: int) -> None:
    """Worker side: the re-opened weights, optimiser, mini-batch stream, curve and evaluations
    in the running experiment, counting on from ``step``. A checkpoint of another task, model
    or vocabulary is refused (``fits`` has checked; refused all the same)."""
    if _shape(exp.model.spec) != state["spec"]:
        raise ValueError("the checkpoint's model differs from the run's")
    if list(exp.data.itos) != state["vocab"]:
        raise ValueError("the checkpoint's vocabulary differs from the run's")
    with exp.trainer.lock:
        exp.model.load_state_dict(state["state_dict"])
    restore_trainer(exp.trainer, state.get("trainer") or {}, step)
    exp.apply_live(exp.cfg)  # the run's live settings (weight decay in the optimiser)
    exp.evals[:] = [Evaluation(int(r[0]), *map(float, r[1:]))
                    for r in table_rows(state.get("evals"), EVALS, 10_000) if 0 <= r[0] <= step]
    exp.evaluate()  # the re-opened model's accuracy and validation predictions

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


EXPORT = LessonExport(LESSON, save=save_run, read=read_run, check=fits, script=True)
