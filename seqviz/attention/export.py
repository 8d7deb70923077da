"""The attention page's exports: a checkpoint of the run and a standalone PyTorch script.

The checkpoint is a ``"seq2seq"`` checkpoint as ``S2SExperiment.save`` writes it (the bundled
models' format, so the beam-search page opens it too), in full precision, whose meta holds the
page config and step, and the optimiser and batch-stream state and loss curve, so a re-opened
run continues exactly where it stopped (the largest models, whose file would pass the upload
limit, leave out Adam's moments and are saved in half precision); the held-out scores and the
heatmap timeline come back with it. A checkpoint of another task (other vocabularies) is refused.

The script rebuilds ``seqviz.models.seq2seq.Seq2Seq`` with ``torch.nn.Embedding / RNN|GRU|LSTM /
Linear`` under the same module names and in the same construction order, so
``torch.manual_seed(seed)`` gives the same weights (``seqviz``'s recurrent layers have torch's
parameter names, shapes and initialisation order) and a seqviz seq2seq checkpoint loads into it
(``--init``). The training pairs are embedded as token ids; batches are drawn with
``numpy.random.default_rng(seed)`` as ``seqviz.attention.tasks.S2SBatches`` draws them; the
optimiser and clipping are the page's at export time. It prints the training loss at every step
and, at the end, the model's greedy output for the page's probe input. A run that started from a
bundled model is reproduced with ``--init`` and that model's file.
"""

from __future__ import annotations

import io
from dataclasses import asdict, replace

from seqviz.attention.checkpoint import load_s2s_payload
from seqviz.attention.experiment import (EvalPoint, S2SConfig, S2SExperiment, Snapshot,
                                         max_output_len)
from seqviz.attention.tasks import S2SVocab, tokenize
from seqviz.checkpoint import CheckpointError, load_weights, spec_from_dict
from seqviz.config import check
from seqviz.engine.export import (MAX_SCRIPT_BYTES, SCRIPT_CLIP_GRADIENTS, UNPACK_IDS,
                                  LessonExport, Reopened, pack_ids, read_step, restore_trainer,
                                  run_meta, trainer_state, wrap)
from seqviz.i18n import _
from seqviz.limits import MAX_CHECKPOINT_BYTES
from seqviz.models.seq2seq import Seq2Seq, Seq2SeqSpec

LESSON = "attention"
MODEL = ("embed_size", "hidden_size", "num_layers", "cell", "bidirectional", "attention")
MAX_VOCAB = 1_000  # the tasks' vocabularies have < 100 tokens


# ---- checkpoint ---------------------------------------------------------------------------
def run_state(exp: S2SExperiment) -> dict:
    """Worker side: the whole checkpoint, written by ``S2SExperiment.save`` in full precision,
    with the trainer's state in its meta (bytes: the experiment knows its own format)."""
    tr = exp.trainer
    size = sum(v.numel() * v.element_size() for v in exp.model.state_dict().values())
    train = trainer_state(tr)
    if 3 * size >= MAX_CHECKPOINT_BYTES:  # Adam's two moments: the file still re-opens here
        del train["optimizer"]
    meta = {**exp.meta, **run_meta(LESSON, exp.cfg, tr.steps), "steps": tr.steps,
            "train_state": train}
    buf = io.BytesIO()
    exp.save(buf, meta, half=size >= 0.9 * MAX_CHECKPOINT_BYTES)  # the largest models: half
    return {"bytes": buf.getvalue(), "step": tr.steps}


def save_run(state: dict, cfg: S2SConfig) -> bytes:
    return state["bytes"]


def read_run(data: bytes) -> Reopened:
    """A checkpoint (bytes) read back for the attention page (one of the bundled models too);
    ``CheckpointError`` with a clear message for anything else."""
    payload = load_s2s_payload(data)
    try:
        cfg = spec_from_dict(S2SConfig, payload["config"])
        spec = spec_from_dict(Seq2SeqSpec, payload["spec"])
        problems = check(cfg)
        vocabs = (S2SVocab.from_dict(payload["src_vocab"]),
                  S2SVocab.from_dict(payload["tgt_vocab"]))
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(_("The checkpoint's model description is damaged: {error}").format(
            error=str(err)[:200])) from err
    if not problems and any(getattr(cfg, k) != getattr(spec, k) for k in MODEL):
        problems = [_("its settings do not describe its model")]
    if not problems and not all(len(v) == n <= MAX_VOCAB for v, n in zip(
            vocabs, (spec.src_vocab_size, spec.tgt_vocab_size))):
        problems = [_("its vocabularies do not fit its model")]
    if problems:
        raise CheckpointError(_("This checkpoint's model cannot be trained on this page: "
                                "{problems}.").format(problems="; ".join(problems)))
    model = Seq2Seq(spec)  # small: the config is within the page's bounds
    load_weights(model, payload["state_dict"])
    meta = payload.get("meta") if isinstance(payload.get("meta"), dict) else {}
    step = read_step({"step": meta.get("steps", meta.get("step", 0))})
    train = meta.get("train_state") if isinstance(meta.get("train_state"), dict) else {}
    state = {"state_dict": model.state_dict(), "trainer": train,
             "src_vocab": vocabs[0].itos, "tgt_vocab": vocabs[1].itos,
             "evals": payload.get("evals"), "snapshots": payload.get("snapshots")}
    return Reopened(replace(cfg, pretrained="none"), state, step)


def fits(live, reopened: Reopened) -> None:
    """Server side: the checkpoint's vocabularies must be those of the page's task (``live``:
    the page's ``LiveS2S``, which holds its ``S2SData``)."""
    if reopened.state["src_vocab"] != live.data.src_vocab.itos \
            or reopened.state["tgt_vocab"] != live.data.tgt_vocab.itos:
        raise CheckpointError(_("The checkpoint was trained on another task or alphabet: its "
                                "vocabularies differ from this task's. Choose the task it was "
                                "trained on, then open the checkpoint again."))


def _evals(rows, step: int) -> list[EvalPoint]:
    try:
        out = [EvalPoint(int(r[0]), *map(float, r[1:5])) for r in rows]
    except (TypeError, ValueError, IndexError):
        return []
    return [e for e in out if 0 <= e.step <= step]


def _snapshots(snaps, step: int) -> list[Snapshot]:
    try:
        weights = snaps["weights"]
        out = [Snapshot(int(s), w.float().numpy(), str(o)) for s, w, o in
               zip(snaps["steps"], weights, snaps["outputs"])]
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return []
    return [s for s in out if 0 <= s.step <= step]


def restore(exp: S2SExperiment, state: dict, step: int) -> None:
    """Worker side: the re-opened weights, optimiser, batch stream, curve, held-out scores and
    timeline in the running experiment (same model, ``fits`` checked), counting on from
    ``step``."""
    if state["src_vocab"] != exp.data.src_vocab.itos:  # ``fits`` has checked; all the same
        raise ValueError("the checkpoint's vocabulary differs from the run's")
    with exp.trainer.lock:
        exp.model.load_state_dict(state["state_dict"])
    restore_trainer(exp.trainer, state.get("trainer") or {}, step)
    exp.evals = _evals(state.get("evals") or [], step)
    snaps = _snapshots(state.get("snapshots") or {}, step)
    want = exp.current_snapshot().weights.shape if not snaps else None
    exp.snapshots = [s for s in snaps if want is None or s.weights.shape == want]
    exp.meta = {}
    exp.record(snapshot=True, evaluation=True)  # the re-opened model, now
MODULES = {"rnn": "nn.RNN", "gru": "nn.GRU", "lstm": "nn.LSTM"}

TEMPLATE = '''"""A sequence-to-sequence model ({what}) exported from seqviz's Attention page.

Plain PyTorch (and NumPy for the batch order), no seqviz: the same model, initial weights
(seed {seed}), batches and optimiser as the page, so it prints the same training loss at every
step (up to float rounding), then its greedy output for the page's probe input.
Run:  python seqviz-attention.py [--steps N] [--init checkpoint.pt]

Config: {config}
{note}Not reproduced: the page's divergence roll-back, and live changes of the learning rate or
clipping made while it trained (this script uses the values at export time).
"""

import argparse
import array
import base64
import math
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

SEED, STEPS = {seed}, {steps}
BATCH_SIZE, LR, OPTIMIZER = {batch_size}, {lr!r}, {optimizer!r}
CLIP, CLIP_THRESHOLD = {clip!r}, {clip_threshold!r}
CELL, EMBED_SIZE, HIDDEN_SIZE, NUM_LAYERS = {cell!r}, {E}, {H}, {L}
BIDIRECTIONAL, ATTENTION = {bidirectional}, {attention!r}
PAD, BOS, EOS = 0, 2, 3
LEVEL = {level!r}  # "char": tokens are characters; "word": words
SRC_VOCAB = {src_vocab!r}
TGT_VOCAB = {tgt_vocab!r}
SRC_LENGTHS = {src_lengths}  # tokens of each training source
SRC_IDS = {src_ids}  # every source's ids, one after another
TGT_LENGTHS = {tgt_lengths}
TGT_IDS = {tgt_ids}
PROBE = {probe!r}  # the page's probe input
MAX_OUTPUT = {max_output}


{unpack}
RNNS = {{"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}}


def masked_softmax(scores, mask):
    """softmax over real (mask True) positions; padded ones get exactly 0."""
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    return weights.masked_fill(~mask, 0.0)


class Attention(nn.Module):
    """dot: h.k; general: h.(W_a k); additive (Bahdanau): v_a . tanh(W_q h + W_k k)."""

    def __init__(self, kind, query_size, key_size, attn_size):
        super().__init__()
        self.kind = kind
        if kind == "general":
            self.W_a = nn.Linear(key_size, query_size, bias=False)
        elif kind == "additive":
            self.W_q = nn.Linear(query_size, attn_size, bias=False)
            self.W_k = nn.Linear(key_size, attn_size, bias=True)
            self.v_a = nn.Linear(attn_size, 1, bias=False)

    def forward(self, query, keys, mask):  # (B, T, C), (B, S, C), (B, S)
        if self.kind == "dot":
            scores = query @ keys.transpose(1, 2)
        elif self.kind == "general":
            scores = query @ self.W_a(keys).transpose(1, 2)
        else:
            scores = self.v_a(torch.tanh(self.W_q(query).unsqueeze(2)
                                         + self.W_k(keys).unsqueeze(1))).squeeze(-1)
        weights = masked_softmax(scores, mask.unsqueeze(1))  # (B, T, S)
        return weights @ keys, weights


def reverse_padded(x, lengths):
    """Reverse each sequence of x (B, S, F) within its own length; padding stays put."""
    t = torch.arange(x.size(1)).unsqueeze(0)
    idx = torch.where(t < lengths.unsqueeze(1), lengths.unsqueeze(1) - 1 - t, t)
    return x.gather(1, idx.unsqueeze(-1).expand_as(x))


class Seq2Seq(nn.Module):
    """Encoder (optionally bidirectional) -> decoder with attention (same names and order
    as seqviz, so a seqviz checkpoint's state_dict loads)."""

    def __init__(self):
        super().__init__()
        E, H, L = EMBED_SIZE, HIDDEN_SIZE, NUM_LAYERS
        C = H * (2 if BIDIRECTIONAL else 1)
        RNN = RNNS[CELL]
        self.src_embed = nn.Embedding(len(SRC_VOCAB), E, padding_idx=PAD)
        self.tgt_embed = nn.Embedding(len(TGT_VOCAB), E, padding_idx=PAD)
        self.enc_fwd = nn.ModuleList(
            [RNN(E if i == 0 else C, H, batch_first=True) for i in range(L)])
        self.enc_bwd = nn.ModuleList(
            [RNN(E if i == 0 else C, H, batch_first=True) for i in range(L)]
            if BIDIRECTIONAL else [])
        self.init_proj = nn.Linear(C, L * C)  # summary -> h_0 of every decoder layer
        self.decoder = RNN(E, C, num_layers=L, batch_first=True)
        self.attn = None if ATTENTION == "none" else Attention(ATTENTION, C, C, H)
        self.combine = nn.Linear(2 * C, C)  # [c_t; h_t] -> h~_t
        self.out = nn.Linear(C, len(TGT_VOCAB))

    def encode(self, src, lengths):
        mask = torch.arange(src.size(1)) < lengths.unsqueeze(1)  # (B, S)
        x = self.src_embed(src)
        for i, fwd in enumerate(self.enc_fwd):
            out = fwd(x)[0]  # (B, S, H)
            if BIDIRECTIONAL:
                back = self.enc_bwd[i](reverse_padded(x, lengths))[0]
                out = torch.cat([out, reverse_padded(back, lengths)], dim=-1)  # (B, S, 2H)
            x = out
        outputs = x * mask.unsqueeze(-1)  # (B, S, C)
        last = outputs.gather(1, (lengths - 1).view(-1, 1, 1).expand(-1, 1, outputs.size(2)))
        summary = last[:, 0, :HIDDEN_SIZE]  # forward state at the last real position
        if BIDIRECTIONAL:
            summary = torch.cat([summary, outputs[:, 0, HIDDEN_SIZE:]], dim=-1)
        return outputs, mask, summary

    def init_state(self, summary):
        N, C = summary.size(0), summary.size(1)
        h0 = torch.tanh(self.init_proj(summary)).view(N, NUM_LAYERS, C).transpose(0, 1)
        h0 = h0.contiguous()
        return (h0, torch.zeros_like(h0)) if CELL == "lstm" else h0

    def decode(self, tgt_in, state, outputs, mask, summary):
        h, state = self.decoder(self.tgt_embed(tgt_in), state)  # (B, T, C)
        if self.attn is None:  # the fixed-vector baseline: the summary at every step
            context = summary.unsqueeze(1).expand_as(h)
        else:
            context, _weights = self.attn(h, outputs, mask)
        return self.out(torch.tanh(self.combine(torch.cat([context, h], dim=-1)))), state

    def forward(self, src, lengths, tgt_in):
        outputs, mask, summary = self.encode(src, lengths)
        return self.decode(tgt_in, self.init_state(summary), outputs, mask, summary)[0]


def pad(seqs):
    lengths = torch.tensor([max(len(s), 1) for s in seqs], dtype=torch.long)
    out = torch.full((len(seqs), int(lengths.max())), PAD, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = torch.tensor(s, dtype=torch.long)
    return out, lengths


def pairs():
    def split(lengths, ids):
        out, at = [], 0
        for n in unpack_ids(lengths).tolist():
            out.append(ids[at:at + n])
            at += n
        return out

    return list(zip(split(SRC_LENGTHS, unpack_ids(SRC_IDS).tolist()),
                    split(TGT_LENGTHS, unpack_ids(TGT_IDS).tolist())))


{clip_gradients}

@torch.no_grad()
def greedy(model, text):
    """The model's argmax output for one input (unknown tokens read as <unk>, id 1)."""
    stoi = {{t: i for i, t in enumerate(SRC_VOCAB)}}
    tokens = list(text) if LEVEL == "char" else text.split()
    src = torch.tensor([[stoi.get(t, 1) for t in tokens]])
    outputs, mask, summary = model.encode(src, torch.tensor([len(tokens)]))
    state, prev, out = model.init_state(summary), torch.tensor([[BOS]]), []
    for _ in range(MAX_OUTPUT):
        logits, state = model.decode(prev, state, outputs, mask, summary)
        prev = logits[:, -1].argmax(dim=-1, keepdim=True)  # (1, 1)
        if int(prev) == EOS:
            break
        if int(prev) > EOS:  # <pad>, <unk> and <s> are not printed
            out.append(TGT_VOCAB[int(prev)])
    return ("" if LEVEL == "char" else " ").join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--init", help="start from a seqviz checkpoint's weights")
    args = parser.parse_args()
    torch.manual_seed(SEED)
    model = Seq2Seq()  # same construction order as seqviz: same initial weights
    if args.init:
        weights = torch.load(args.init, map_location="cpu", weights_only=True)["state_dict"]
        model.load_state_dict({{k: v.float() for k, v in weights.items()}})
    train = pairs()
    rng = np.random.default_rng(SEED)  # the page's batches
    optimizer = (torch.optim.Adam if OPTIMIZER == "adam" else torch.optim.SGD)(
        model.parameters(), lr=LR)
    model.train()
    for step in range(1, args.steps + 1):
        batch = [train[i] for i in rng.integers(0, len(train), BATCH_SIZE)]
        src, lengths = pad([s for s, _t in batch])
        tgt_in, _n = pad([[BOS] + t for _s, t in batch])
        tgt_out, _n = pad([t + [EOS] for _s, t in batch])
        optimizer.zero_grad(set_to_none=True)
        logits = model(src, lengths, tgt_in)  # teacher forcing: (B, T, V)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1),
                               ignore_index=PAD)
        loss.backward()
        norm = clip_gradients(list(model.parameters()), CLIP, CLIP_THRESHOLD)
        optimizer.step()
        print(f"step {{step}} loss {{loss.item():.6f}} grad_norm {{norm:.4f}}", flush=True)
    model.eval()
    print(f"probe {{PROBE}} -> {{greedy(model, PROBE)}}", flush=True)


if __name__ == "__main__":
    main()
'''


def attention_script(exp: S2SExperiment, steps: int | None = None) -> str:
    """The standalone script of ``exp`` (see the module docstring)."""
    cfg, data, spec, tr = exp.cfg, exp.data, exp.model.spec, exp.trainer
    src = [data.encode_src(s) for s, _t in data.train]
    tgt = [data.encode_tgt(t) for _s, t in data.train]
    note = "" if cfg.pretrained == "none" else (
        f"Note: the page started from the bundled {cfg.pretrained!r} model (after "
        f"{int(exp.meta.get('steps', 0)):,} steps); run with --init and that model's file "
        f"(seqviz/pretrained/seq2seq_{cfg.pretrained}.pt) to start where the page did.\n")
    probe = data.probe[0]
    text = TEMPLATE.format(
        clip_gradients=SCRIPT_CLIP_GRADIENTS,
        what=f"{spec.cell.upper()}, {spec.attention} attention", seed=cfg.seed,
        config=", ".join(f"{k}={v}" for k, v in asdict(cfg).items()), note=note,
        steps=int(tr.steps if steps is None else steps), batch_size=cfg.batch_size,
        lr=float(tr.lr), optimizer=tr.optimizer_name, clip=tr.clip,
        clip_threshold=float(tr.clip_threshold), cell=spec.cell, E=spec.embed_size,
        H=spec.hidden_size, L=spec.num_layers, bidirectional=bool(spec.bidirectional),
        attention=spec.attention, level=data.level, src_vocab=list(data.src_vocab.itos),
        tgt_vocab=list(data.tgt_vocab.itos),
        src_lengths=wrap(pack_ids([len(s) for s in src])), src_ids=wrap(pack_ids(
            [i for s in src for i in s])),
        tgt_lengths=wrap(pack_ids([len(t) for t in tgt])), tgt_ids=wrap(pack_ids(
            [i for t in tgt for i in t])),
        probe=probe, max_output=max_output_len(data, len(tokenize(probe, data.level))),
        unpack=UNPACK_IDS)
    if len(text.encode("utf-8")) > MAX_SCRIPT_BYTES:  # cannot happen with the page's limits
        raise ValueError("script too large")
    return text


EXPORT = LessonExport(LESSON, save=save_run, read=read_run, check=fits, script=True)
