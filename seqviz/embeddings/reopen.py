"""The embeddings page's checkpoint: a word2vec run saved and re-opened where it stopped.

The file is ``seqviz.checkpoint``'s weights-only format, kind ``"word2vec"``: the input and
output vectors, a model description checked against ``seqviz.limits`` before anything is built,
the vocabulary (the words, most frequent first), and in meta the page config and step plus
the optimiser state, the batch stream's state (its generator and the current pass's subsampled
stream, shuffled centres and pending pairs) and the loss history, so a re-opened run trains on
exactly as it would have. The optimiser and batch state are left out when they would make the
file too large to upload again (a big uploaded corpus); the run then goes on from the weights
with a fresh optimiser and stream. The analogy curve starts again at the re-opened step.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch

from seqviz.checkpoint import (CheckpointError, check_size, load_checkpoint, load_weights,
                               save_checkpoint)
from seqviz.config import check
from seqviz.embeddings.experiment import EmbConfig, W2VExperiment
from seqviz.engine.export import Reopened, config_from_meta, run_meta, table_rows, to_bytes
from seqviz.i18n import _
from seqviz.limits import MAX_CHECKPOINT_BYTES
from seqviz.models.word2vec import Word2Vec, Word2VecBatches, Word2VecSpec
from seqviz.train import LastGood, StepStats, make_optimizer

KIND = "word2vec"
HISTORY = ("step", "loss", "grad_norm", "lr")
# the batch stream's state: (attribute, dtype) of its tensors, then its plain numbers
SAMPLER_TENSORS = (("keep", torch.float32), ("_ids", torch.long), ("_start", torch.long),
                   ("_end", torch.long), ("_order", torch.long))
SAMPLER_NUMBERS = ("epoch", "steps", "_cursor", "_reps", "_buf_at")


def _nbytes(x: Any) -> int:
    if isinstance(x, torch.Tensor):
        return x.numel() * x.element_size()
    if isinstance(x, dict):
        return sum(_nbytes(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return sum(_nbytes(v) for v in x)
    return 8


def sampler_state(b: Word2VecBatches) -> dict:
    state = {name: getattr(b, name).clone() for name, _dtype in SAMPLER_TENSORS}
    state.update({name: int(getattr(b, name)) for name in SAMPLER_NUMBERS})
    state["buf"] = [t.clone() for t in b._buf]
    state["generator"] = b.generator.get_state()
    return state


def load_sampler_state(b: Word2VecBatches, state: Any) -> bool:
    """Put a saved stream state in ``b``; False (and ``b`` untouched) when it does not fit."""
    if not isinstance(state, dict):
        return False
    tensors = {n: state.get(n) for n, _d in SAMPLER_TENSORS}
    buf, numbers = state.get("buf"), {n: state.get(n) for n in SAMPLER_NUMBERS}
    V, tokens = b.corpus.vocab_size, len(b.corpus.ids)
    ok = (all(isinstance(t, torch.Tensor) and t.dtype == d and t.dim() == 1
              for (n, d), t in zip(SAMPLER_TENSORS, tensors.values()))
          and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0
                  for x in numbers.values())
          and isinstance(buf, list) and len(buf) in (2, 3)
          and all(isinstance(t, torch.Tensor) and t.dim() == 1 and len(t) == len(buf[0])
                  for t in buf)
          and all(t.dtype == torch.long for t in buf[:2])
          and (len(buf) == 2 or buf[2].dtype == torch.float64
               and bool(torch.isfinite(buf[2]).all()) and bool((buf[2] >= 0).all())))
    if not ok:
        return False
    n = len(tensors["_ids"])
    if len(tensors["keep"]) != V or n > tokens or len(tensors["_start"]) != n \
            or len(tensors["_end"]) != n or numbers["_reps"] < 1 \
            or numbers["_cursor"] > len(tensors["_order"]) or numbers["_buf_at"] > len(buf[0]):
        return False
    ids_ok = n == 0 or (int(tensors["_ids"].min()) >= 0 and int(tensors["_ids"].max()) < V)
    pos_ok = all(len(t) == 0 or (int(t.min()) >= 0 and int(t.max()) < max(n, 1))
                 for t in (tensors["_start"], tensors["_end"], tensors["_order"]))
    buf_ok = all(len(t) == 0 or (int(t.min()) >= 0 and int(t.max()) < V) for t in buf[:2])
    if not (ids_ok and pos_ok and buf_ok):
        return False
    saved_gen = b.generator.get_state()
    try:
        b.generator.set_state(state["generator"])
    except (RuntimeError, TypeError, ValueError, KeyError):
        b.generator.set_state(saved_gen)
        return False
    for name, value in {**tensors, **numbers}.items():
        setattr(b, name, value.clone() if isinstance(value, torch.Tensor) else value)
    if len(buf) == 2:  # saved before pairs kept their progress: the one the stream had then
        b._buf = (buf[0], buf[1], torch.zeros(0, dtype=torch.float64))  # progress from cursor
        buf = [*buf, torch.full((len(buf[0]),), b.progress, dtype=torch.float64)]
    b._buf = (buf[0].clone(), buf[1].clone(), buf[2].clone())
    return True


def run_state(exp: W2VExperiment) -> dict:
    """Worker side: vectors, vocabulary, step, optimiser and stream state, history."""
    tr = exp.trainer
    weights = {k: v.detach().cpu().clone() for k, v in exp.model.state_dict().items()}
    spec = exp.model.spec
    state = {"state_dict": weights, "step": tr.steps, "words": list(exp.corpus.words),
             "spec": {"vocab_size": spec.vocab_size, "embed_size": spec.embed_size,
                      "algorithm": spec.algorithm, "objective": spec.objective}}
    optimizer, sampler = tr.optimizer.state_dict(), sampler_state(exp.batches)
    if 2 * (_nbytes(weights) + _nbytes(optimizer) + _nbytes(sampler)) < MAX_CHECKPOINT_BYTES:
        state["optimizer"], state["sampler"] = optimizer, sampler  # still re-opens here
    kept = [h for h in tr.history if not h.diverged]
    state["history"] = {n: [getattr(h, n) for h in kept] for n in HISTORY}
    return state


def save_run(state: dict, cfg: EmbConfig) -> bytes:
    extra = {k: state[k] for k in ("optimizer", "sampler", "history") if k in state}
    meta = {**run_meta(KIND, cfg, state["step"]), "train_state": extra}
    return to_bytes(lambda buf: save_checkpoint(buf, KIND, state["spec"], state["state_dict"],
                                                meta, words=state["words"]))


def read_run(data: bytes) -> Reopened:
    """A checkpoint (bytes) read back for the embeddings page; ``CheckpointError`` with a clear
    message for anything else (the model is counted on the meta device, then the weights are
    checked against it, before the page does anything)."""
    payload = load_checkpoint(data, KIND)
    spec, meta, words = payload["spec"], payload["meta"], payload.get("words")
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words) \
            or len(words) != spec.get("vocab_size"):
        raise CheckpointError(_("The checkpoint is incomplete: it has no model description or "
                                "no weights."))
    cfg = config_from_meta(EmbConfig, meta)
    cfg = replace(cfg, **{k: spec[k] for k in ("embed_size", "algorithm", "objective")
                          if k in spec})
    problems = check(cfg)
    if problems:
        raise CheckpointError(_("This checkpoint's model cannot be trained on this page: "
                                "{problems}.").format(problems="; ".join(problems)))
    model_spec = Word2VecSpec(len(words), cfg.embed_size, cfg.algorithm, objective=cfg.objective)
    check_size(lambda: Word2Vec(model_spec))
    load_weights(Word2Vec(model_spec), payload["state_dict"])
    step = meta.get("step", 0)
    step = step if isinstance(step, int) and not isinstance(step, bool) and step >= 0 else 0
    train = meta.get("train_state") if isinstance(meta.get("train_state"), dict) else {}
    state = {"state_dict": payload["state_dict"], "words": words,
             **{k: train.get(k) for k in ("optimizer", "sampler", "history")}}
    return Reopened(cfg, state, step)


def fits(live, reopened: Reopened) -> None:
    """Server side: the checkpoint's vocabulary must be that of the page's corpus (``live``:
    the page's ``LiveEmbeddings``, which holds its ``W2VCorpus``)."""
    if reopened.state.get("words") != list(live.corpus.words):
        raise CheckpointError(_("The checkpoint was trained on another text or tokenisation: "
                                "its vocabulary differs from this corpus's. Choose the corpus "
                                "it was trained on (for your own text, upload the same file "
                                "first), then open the checkpoint again."))


def restore(exp: W2VExperiment, state: dict, step: int) -> None:
    """Worker side: the re-opened vectors (and optimiser and stream state when the file has
    them) in the running experiment, counting on from ``step``."""
    if state.get("words") != list(exp.corpus.words):
        raise ValueError("the checkpoint's vocabulary differs from the run's")
    tr = exp.trainer
    with tr.lock:
        exp.model.load_state_dict(state["state_dict"])
        try:
            tr.optimizer.load_state_dict(state["optimizer"])
        except (ValueError, KeyError, TypeError, RuntimeError, AttributeError):
            tr.optimizer = make_optimizer(tr.optimizer_name, exp.model.parameters(), tr.lr)
        load_sampler_state(exp.batches, state.get("sampler"))
        tr.history.clear()
        tr.evals.clear()
        tr.divergences.clear()
        rows = table_rows(state.get("history"), HISTORY, tr.history.maxlen)
        for s, loss, norm, lr in rows:
            if s <= step:
                tr.history.append(StepStats(int(s), loss, norm, norm, False, lr, False, 0.0))
        tr.resume_at(step)
        tr._good = LastGood()  # no roll-back past the re-opened weights
        exp.evals.clear()
        tr.set_lr(exp.step_lr())
    tr.evaluate_now()  # the analogy curve starts again here
