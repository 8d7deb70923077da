"""A sequence-to-sequence experiment: config -> task -> model -> trainer, snapshots, evaluation.

What the attention page drives, free of Streamlit: ``exp = S2SExperiment.build(S2SConfig());
exp.trainer.step(100); exp.evals[-1]``. After every step the trainer's evaluate hook records,
on their own (live) schedules, a snapshot of the probe input's attention (teacher-forced on its
reference, so every snapshot has the same rows and columns and a timeline replays the alignment
forming) and, less often, held-out exact match, corpus BLEU (sacrebleu) and the mean row
entropy of the attention ("sharpness": log S is uniform, 0 is one-hot). Bahdanau, Cho and
Bengio (2015) and Luong, Pham and Manning (2015) for the models. Loading checkpoints lives in
``seqviz.attention.checkpoint``; the long-input study (with vs without attention) in
``seqviz.attention.study``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import BinaryIO, Sequence

import numpy as np
import torch

from seqviz.attention.bleu import corpus_bleu, exact_match
from seqviz.attention.tasks import (ALPHABETS, TASK_NAMES, TASKS, S2SBatches, S2SData, S2SVocab,
                                    TaskSpec, build_task, make_batch, pad, tokenize)
from seqviz.checkpoint import CheckpointError, load_weights, save_checkpoint, spec_from_dict
from seqviz.config import live_fields, setting
from seqviz.i18n import N_, _
from seqviz.models.attention import row_entropy
from seqviz.models.seq2seq import ATTENTIONS, Seq2Seq, Seq2SeqSpec, build_seq2seq
from seqviz.train import CLIP_MODES, StepStats, Trainer

PRETRAINED = ("dates", "reverse", "translate", "zh_digits", "digits_zh")  # seq2seq_<name>.pt
TASK_LENGTHS = {"dates": (8, 30), "reverse": (3, 10), "sort": (3, 10), "translate": (5, 15),
                "zh_digits": (1, 23), "digits_zh": (1, 12)}
MAX_OUTPUT = {"dates": 12, "zh_digits": 13, "digits_zh": 24}  # output tokens + </s>; else S + 6
EVAL_SIZE = 200  # held-out pairs decoded at each evaluation
EVAL_EVERY = 25
MAX_SNAPSHOTS = 120  # beyond this, every other snapshot is dropped (the timeline gets coarser)
DIVERGED_FACTOR = 10.0


TABS = ("input", "long", "models")  # the tabs under the charts: own input, long inputs, models


@dataclass(frozen=True)
class S2SConfig:
    """The attention page: task, model, optimiser and live knobs (page key "att")."""

    pretrained: str = setting("none", choices=("none",) + PRETRAINED)
    task: str = setting("dates", choices=TASKS)
    alphabet: str = setting("digits", choices=tuple(ALPHABETS))
    min_len: int = setting(8, lo=1, hi=40)
    max_len: int = setting(30, lo=1, hi=40)
    cell: str = setting("gru", choices=("rnn", "gru", "lstm"))
    bidirectional: bool = setting(True)
    num_layers: int = setting(1, lo=1, hi=2)
    attention: str = setting("additive", choices=ATTENTIONS)
    hidden_size: int = setting(64, lo=8, hi=256)
    embed_size: int = setting(32, lo=4, hi=128)
    batch_size: int = setting(64, lo=1, hi=256)
    optimizer: str = setting("adam", choices=("adam", "sgd"))
    lr: float = setting(0.003, live=True, lo=1e-5, hi=10.0)
    clip: str = setting("norm", live=True, choices=CLIP_MODES)
    clip_threshold: float = setting(1.0, live=True, lo=0.01, hi=100.0)
    snapshot_every: int = setting(10, live=True, lo=1, hi=1000)
    seed: int = setting(0, lo=0, hi=2**31 - 1)
    tab: str = setting("input", live=True, choices=TABS)  # the open tab under the charts


def task_spec(cfg: S2SConfig) -> TaskSpec:
    """The data of a config; its seed is fixed, so every run is scored on the same test set."""
    return TaskSpec(cfg.task, cfg.min_len, cfg.max_len, cfg.alphabet, seed=0)


def model_spec(cfg: S2SConfig, data: S2SData) -> Seq2SeqSpec:
    return Seq2SeqSpec(len(data.src_vocab), len(data.tgt_vocab), cfg.embed_size,
                       cfg.hidden_size, cfg.num_layers, cfg.cell, cfg.bidirectional,
                       cfg.attention)


def max_output_len(data: S2SData, src_len: int) -> int:
    return MAX_OUTPUT.get(data.spec.name, src_len + 6)


# ---- decoding and evaluation --------------------------------------------------------------------
@dataclass(frozen=True)
class EvalPoint:
    step: int
    exact: float  # fraction of held-out outputs exactly right (0-1)
    bleu: float  # sacrebleu corpus BLEU (0-100)
    entropy: float  # mean attention row entropy in nats (nan without attention)
    uniform: float  # the same for uniform attention: mean log S


@dataclass(frozen=True)
class Snapshot:
    step: int
    weights: np.ndarray  # (T, S): probe reference tokens + </s> x probe input tokens
    output: str  # the model's own greedy output for the probe at this step


@dataclass(frozen=True)
class InputResult:
    src_tokens: list[str]
    out_tokens: list[str]  # ends with "</s>" when the model stopped by itself
    weights: np.ndarray  # (len(out_tokens), len(src_tokens))
    output: str
    unknown: list[str]  # input tokens outside the source vocabulary (read as <unk>)


EVAL_CHUNK = 50  # inputs batched together in an evaluation, of similar lengths


def by_length(lengths: Sequence[int], chunk: int = EVAL_CHUNK) -> list[list[int]]:
    """Indices in chunks of ``chunk`` inputs of similar length (shortest first): a batch pads
    every input to its longest, and the attention's cost grows with the padded length (the
    teacher-forced pass over the 200 held-out inputs cost 1.3-1.7x as much in one batch as in
    sorted chunks of 50 on the dates task, 1.8x on reverse)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[i: i + chunk] for i in range(0, len(order), chunk)]


def decode_texts(model: Seq2Seq, data: S2SData, sources: Sequence[str], chunk: int = EVAL_CHUNK
                 ) -> list[str]:
    """Greedy outputs for many inputs, batched by length, in the order of ``sources``; every
    output may be as long as the longest input allows (``max_output_len``)."""
    encoded = [data.encode_src(s) for s in sources]
    if not encoded:
        return []
    cap = max_output_len(data, max(1, max(len(e) for e in encoded)))  # as pad() pads
    out: list[str] = [""] * len(encoded)
    for idx in by_length([len(e) for e in encoded], chunk):
        src, lengths = pad([encoded[i] for i in idx])
        dec = model.greedy_decode(src, lengths, cap)
        for i, ids in zip(idx, dec.ids):
            out[i] = data.decode_tgt(ids)
    return out


@torch.no_grad()
def attention_entropy(model: Seq2Seq, data: S2SData, pairs: Sequence[tuple[str, str]],
                      chunk: int = EVAL_CHUNK) -> tuple[float, float]:
    """(mean row entropy, mean log S) of the teacher-forced attention over real target rows."""
    if model.spec.attention == "none" or not pairs:
        return math.nan, math.nan
    total = uniform = 0.0
    rows_seen = 0
    for idx in by_length([len(s) for s, _ in pairs], chunk):  # text length: only the order
        b = make_batch(data, [pairs[i] for i in idx])
        _, weights = model(b.src, b.src_lengths, b.tgt_in)  # (B, T, S)
        rows = b.tgt_out != 0  # (B, T) real target positions
        total += float(row_entropy(weights)[rows].sum(dtype=torch.float64))
        uniform += float((torch.log(b.src_lengths.double()).unsqueeze(1) * rows).sum())
        rows_seen += int(rows.sum())
    return total / rows_seen, uniform / rows_seen


def evaluate(model: Seq2Seq, data: S2SData, pairs: Sequence[tuple[str, str]], step: int
             ) -> EvalPoint:
    hyps = decode_texts(model, data, [s for s, _ in pairs])
    refs = [t for _, t in pairs]
    entropy, uniform = attention_entropy(model, data, pairs)
    return EvalPoint(step, exact_match(hyps, refs), corpus_bleu(hyps, refs, data.bleu_level),
                     entropy, uniform)


@torch.no_grad()
def run_input(model: Seq2Seq, data: S2SData, text: str) -> InputResult:
    """Greedy output and attention for any typed input (unknown tokens are read as <unk>)."""
    src_tokens = tokenize(text, data.level)
    if not src_tokens:
        raise ValueError("The input is empty.")
    ids = data.src_vocab.encode(src_tokens)
    dec = model.greedy_decode(torch.tensor([ids]), torch.tensor([len(ids)]),
                              max_output_len(data, len(ids)))
    out = data.tgt_vocab.decode(dec.ids[0], strip=False) + (["</s>"] if dec.finished[0] else [])
    return InputResult(src_tokens, out, dec.weights[0], data.decode_tgt(dec.ids[0]),
                       data.unknown_tokens(text))


@torch.no_grad()
def probe_snapshot(model: Seq2Seq, data: S2SData, probe: tuple[str, str], step: int) -> Snapshot:
    b = make_batch(data, [probe])
    _, weights = model(b.src, b.src_lengths, b.tgt_in)  # (1, T, S)
    output = decode_texts(model, data, [probe[0]])[0]
    return Snapshot(step, weights[0].float().cpu().numpy(), output)


def thin(snapshots: list[Snapshot], cap: int = MAX_SNAPSHOTS) -> list[Snapshot]:
    """Keep at most ``cap``: drop every other one but always keep the first and the last."""
    while len(snapshots) > cap:
        snapshots = snapshots[:-1:2] + [snapshots[-1]]
    return snapshots


# ---- the experiment -----------------------------------------------------------------------------
class S2SExperiment:
    """One model, its trainer, held-out evaluations and probe snapshots for one config."""

    def __init__(self, cfg: S2SConfig, data: S2SData, model: Seq2Seq):
        self.cfg, self.data, self.model = cfg, data, model
        self.eval_pairs = data.test[:EVAL_SIZE]
        self.probe = data.probe
        self.evals: list[EvalPoint] = []
        self.snapshots: list[Snapshot] = []
        self.eval_every = EVAL_EVERY
        self.meta: dict = {}  # a checkpoint's metadata (steps, seconds, scores) when loaded
        device = model.device

        def loss_fn(m: Seq2Seq, b) -> torch.Tensor:
            return m.loss(b.src.to(device), b.src_lengths.to(device), b.tgt_in.to(device),
                          b.tgt_out.to(device))

        self.trainer = Trainer(model, S2SBatches(data, cfg.batch_size, seed=cfg.seed), loss_fn,
                               optimizer=cfg.optimizer, lr=cfg.lr, clip=cfg.clip,
                               clip_threshold=cfg.clip_threshold, evaluate=self._after_step,
                               eval_every=1,
                               max_loss=DIVERGED_FACTOR * math.log(max(len(data.tgt_vocab), 2)))

    @classmethod
    def build(cls, cfg: S2SConfig, data: S2SData | None = None) -> "S2SExperiment":
        data = data if data is not None else build_task(task_spec(cfg))
        exp = cls(cfg, data, build_seq2seq(model_spec(cfg, data), seed=cfg.seed))
        exp.record(snapshot=True, evaluation=True)
        return exp

    def record_by_hand(self) -> None:
        """Stop recording after every step: the caller calls ``record`` when it wants (an
        engine run records at the pace the page draws, not at fixed steps)."""
        self.trainer.evaluate_fn = None

    def _after_step(self, model: Seq2Seq) -> float:
        """The trainer's hook after every step (model in eval mode, no grad, lock held)."""
        step = self.trainer.steps
        self.record(snapshot=step % self.cfg.snapshot_every == 0,
                    evaluation=step % self.eval_every == 0)
        return self.evals[-1].exact if self.evals else math.nan

    def record(self, snapshot: bool = True, evaluation: bool = True) -> None:
        was_training = self.model.training
        self.model.eval()
        step = self.trainer.steps
        if snapshot and (not self.snapshots or self.snapshots[-1].step != step):
            self.snapshots = thin(self.snapshots + [probe_snapshot(self.model, self.data,
                                                                   self.probe, step)])
        if evaluation and (not self.evals or self.evals[-1].step != step):
            self.evals.append(evaluate(self.model, self.data, self.eval_pairs, step))
        self.model.train(was_training)

    def apply_live(self, cfg: S2SConfig) -> None:
        with self.trainer.lock:
            self.trainer.set_lr(cfg.lr)
            self.trainer.set_clip(cfg.clip, cfg.clip_threshold)
            self.cfg = replace(self.cfg, **{k: getattr(cfg, k) for k in live_fields(S2SConfig)})

    def step(self, n: int = 1) -> None:
        self.trainer.step(n)

    def run_input(self, text: str) -> InputResult:
        with self.trainer.lock:
            return run_input(self.model, self.data, text)

    def current_snapshot(self) -> Snapshot:
        with self.trainer.lock:
            last = self.snapshots[-1] if self.snapshots else None
            if last is not None and last.step == self.trainer.steps:
                return last
            return probe_snapshot(self.model, self.data, self.probe, self.trainer.steps)

    # -- checkpoints ------------------------------------------------------------------------------
    def save(self, dest: str | Path | BinaryIO, meta: dict | None = None, half: bool = True
             ) -> None:
        """A checkpoint with vocabularies, config, task, curves and the probe timeline."""
        hist = list(self.trainer.history)[:: max(1, len(self.trainer.history) // 500)]
        weights = torch.tensor(np.stack([s.weights for s in self.snapshots]))
        state = {k: (v.half() if half and v.is_floating_point() else v)
                 for k, v in self.model.state_dict().items()}
        save_checkpoint(dest, "seq2seq", asdict(self.model.spec), state, meta,
                        config=asdict(self.cfg), task=asdict(self.data.spec),
                        src_vocab=self.data.src_vocab.to_dict(),
                        tgt_vocab=self.data.tgt_vocab.to_dict(),
                        history={f: [getattr(h, f) for h in hist] for f in
                                 ("step", "loss", "grad_norm", "grad_norm_clipped")},
                        evals=[[e.step, e.exact, e.bleu, e.entropy, e.uniform]
                               for e in self.evals],
                        snapshots={"steps": [s.step for s in self.snapshots],
                                   "outputs": [s.output for s in self.snapshots],
                                   "weights": weights.half()})

    @classmethod
    def from_checkpoint(cls, payload: dict, live: S2SConfig | None = None,
                        data: S2SData | None = None) -> "S2SExperiment":
        """Rebuild model, data and history from ``load_s2s_payload``; live fields from ``live``."""
        try:
            cfg = spec_from_dict(S2SConfig, payload["config"])
            spec = spec_from_dict(Seq2SeqSpec, payload["spec"])
            if data is None:
                data = build_task(spec_from_dict(TaskSpec, payload["task"]))
            src_vocab = S2SVocab.from_dict(payload["src_vocab"])
            tgt_vocab = S2SVocab.from_dict(payload["tgt_vocab"])
        except (KeyError, TypeError, ValueError) as err:
            raise CheckpointError(f"The checkpoint's description is damaged: {err}") from err
        if src_vocab != data.src_vocab or tgt_vocab != data.tgt_vocab:
            raise CheckpointError("The checkpoint's vocabularies do not match its task.")
        if live is not None:
            cfg = replace(cfg, pretrained=live.pretrained,
                          **{k: getattr(live, k) for k in live_fields(S2SConfig)})
        model = Seq2Seq(spec)
        load_weights(model, payload["state_dict"])
        exp = cls(cfg, data, model)
        exp.meta = dict(payload.get("meta") or {})
        exp._restore_history(payload)
        if not exp.evals or exp.evals[-1].step != exp.trainer.steps:
            exp.record(snapshot=True, evaluation=True)
        return exp

    def _restore_history(self, payload: dict) -> None:
        hist, snaps = payload.get("history") or {}, payload.get("snapshots") or {}
        rows = zip(*(hist.get(f, []) for f in ("step", "loss", "grad_norm", "grad_norm_clipped")))
        for step, loss, before, after in rows:
            self.trainer.history.append(StepStats(int(step), float(loss), float(before),
                                                  float(after), after < before, self.cfg.lr,
                                                  False, 0.0))
        self.trainer.resume_at(int(payload.get("meta", {}).get("steps", 0)))
        self.evals = [EvalPoint(int(r[0]), *map(float, r[1:])) for r in payload.get("evals", [])]
        weights = snaps.get("weights")
        if weights is not None:
            self.snapshots = [Snapshot(int(s), w.float().numpy(), str(o)) for s, w, o in
                              zip(snaps["steps"], weights, snaps["outputs"])]


ATTENTION_NAMES = {"none": N_("no attention"), "dot": N_("dot attention"),
                   "general": N_("general attention"), "additive": N_("additive attention")}


def describe(cfg: S2SConfig, attention: bool = True, task: bool = True) -> str:
    """One line in the current language: "dates · bidirectional GRU 64 · additive attention"."""
    model = (_("bidirectional {cell} {size}") if cfg.bidirectional else "{cell} {size}").format(
        cell=cfg.cell.upper(), size=cfg.hidden_size)
    if cfg.num_layers > 1:
        model += f" ×{cfg.num_layers}"
    parts = ([_(TASK_NAMES.get(cfg.task, cfg.task))] if task else []) + [model]
    if attention:
        parts.append(_(ATTENTION_NAMES[cfg.attention]))
    return " · ".join(parts)
