"""A language-model experiment: config -> data -> model -> trainer, plus n-gram baselines.

This is what the language-model page drives, kept free of Streamlit so a notebook can do the
same: ``exp = LMExperiment.build(LMConfig(), build_text_data(text, "char")); exp.trainer.step(10)``.
Validation perplexity and the n-gram baselines are computed on the same validation tokens, so
the chart answers "is the RNN better than a trigram yet?" like for like.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from seqviz.data import BatchSampler, TextData, eval_batches
from seqviz.i18n import _
from seqviz.lm.config import LMConfig
from seqviz.lm.rewind import sample_text
from seqviz.models.lm import LanguageModel, LMSpec, build_lm
from seqviz.models.ngram import NGramLM
from seqviz.train import Trainer

VAL_TOKENS = 8192  # validation tokens scored by the RNN and the n-grams alike
EVAL_BATCH = 32
EVAL_EARLY = (5, 10)  # validation also after these steps: the curve moves within seconds
EVAL_EVERY = 25  # then every 25 steps while the curve falls fast ...
EVAL_LATER = (200, 50)  # ... and every 50 after step 200: one costs about a training step
DIVERGED_FACTOR = 10.0  # a loss 10x that of guessing uniformly over the vocabulary has blown up


@dataclass(frozen=True)
class Baseline:
    order: int
    perplexity: float

    @property
    def name(self) -> str:
        """E.g. "3-gram (Kneser-Ney)", in the current language."""
        return _("{n}-gram (Kneser-Ney)").format(n=self.order)


def model_name(cfg: LMConfig) -> str:
    """The curve's name: the cell (RNN, GRU, LSTM) or "feed-forward, n = 5"."""
    if cfg.feed_forward:
        return _("feed-forward, n = {n}").format(n=cfg.order)
    return cfg.cell.upper()


def val_slice(data: TextData, max_tokens: int = VAL_TOKENS) -> torch.Tensor:
    """The first ``max_tokens`` + 1 validation ids (inputs and their next-token targets)."""
    return data.val[: max_tokens + 1]


@torch.no_grad()
def lm_perplexity(model: LanguageModel, ids: torch.Tensor, seq_len: int) -> float:
    """exp(mean cross-entropy) over every target in ``ids[1:]``, each scored exactly once.

    A recurrent LM reads each chunk of ``seq_len`` tokens from a zero state. The feed-forward
    LM (it has a ``window``) gets the n-1 true tokens before each chunk as its state, so every
    target is predicted from the same n-1 tokens the n-gram of its order sees."""
    if hasattr(model, "window"):
        return _windowed_perplexity(model, ids, EVAL_BATCH * seq_len)
    total, count = 0.0, 0
    for x, y in eval_batches(ids, EVAL_BATCH, seq_len):
        logits, _ = model(x.to(model.device))
        total += float(F.cross_entropy(logits.reshape(-1, logits.size(-1)),
                                       y.to(model.device).reshape(-1), reduction="sum"))
        count += y.numel()
    return _exp(total / max(count, 1))


def _windowed_perplexity(model, ids: torch.Tensor, chunk: int) -> float:
    """The feed-forward LM over ``ids`` in chunks of ``chunk`` targets, each chunk's state the
    ``window`` tokens before it (``-1``, "before the text", only at the very start)."""
    ids, W, total = torch.as_tensor(ids), model.window, 0.0
    n = max(len(ids) - 1, 0)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        before = ids[max(start - W, 0):start]
        state = torch.cat([torch.full((W - len(before),), -1, dtype=ids.dtype), before])
        logits = model.run(ids[None, start:stop].to(model.device), state[None]).logits[0]
        total += float(F.cross_entropy(logits, ids[start + 1:stop + 1].to(model.device),
                                       reduction="sum"))
    return _exp(total / max(n, 1))


def _exp(mean: float) -> float:
    return math.exp(mean) if mean < 700 else math.inf  # a diverged model: say inf, not crash


def baseline_orders(level: str, extra: int | None = None) -> tuple[int, ...]:
    """The n-gram orders drawn: 1, 2, 3 (and 5 for characters), plus ``extra`` (the order of a
    feed-forward LM, so its own n-gram is on the chart)."""
    orders = {1, 2, 3, 5} if level == "char" else {1, 2, 3}
    return tuple(sorted(orders | ({extra} if extra else set())))


def fit_baselines(data: TextData, orders: tuple[int, ...] | None = None) -> list[Baseline]:
    """Interpolated Kneser-Ney n-grams fitted on the training ids, scored on ``val_slice``."""
    if orders is None:
        orders = baseline_orders(data.level)
    ids = val_slice(data).tolist()
    out = []
    for order in orders:
        ngram = NGramLM(order, smoothing="kn").fit(data.train.tolist(), len(data.vocab))
        nll = -np.asarray(ngram.log_probs(ids))[1:]  # same targets as the RNN: ids[1:]
        out.append(Baseline(order, float(np.exp(nll.mean()))))
    return out


class LMExperiment:
    """Holds the model and trainer for one ``LMConfig`` on one ``TextData``."""

    def __init__(self, cfg: LMConfig, data: TextData, model: LanguageModel, trainer: Trainer):
        self.cfg, self.data, self.model, self.trainer = cfg, data, model, trainer

    @classmethod
    def build(cls, cfg: LMConfig, data: TextData, eval_every: int = EVAL_EVERY,
              eval_later: tuple[int, int] | None = EVAL_LATER) -> "LMExperiment":
        spec = LMSpec(vocab_size=len(data.vocab), embed_size=cfg.embed_size,
                      hidden_size=cfg.hidden_size, num_layers=cfg.num_layers, cell=cfg.cell,
                      window=cfg.window if cfg.feed_forward else 0)
        model = build_lm(spec, seed=cfg.seed)
        sampler = BatchSampler(data.train, cfg.batch_size, cfg.seq_len, seed=cfg.seed)
        device = model.device
        val_ids = val_slice(data)

        def loss_fn(m: LanguageModel, batch) -> torch.Tensor:
            x, y = batch
            return m(x.to(device), y.to(device))[1]

        trainer = Trainer(model, sampler, loss_fn, optimizer=cfg.optimizer, lr=cfg.lr,
                          clip=cfg.clip, clip_threshold=cfg.clip_threshold,
                          evaluate=lambda m: lm_perplexity(m, val_ids, cfg.seq_len),
                          eval_every=eval_every, eval_early=EVAL_EARLY,
                          eval_later=eval_later,
                          max_loss=DIVERGED_FACTOR * math.log(max(len(data.vocab), 2)))
        return cls(cfg, data, model, trainer)

    def apply_live(self, cfg: LMConfig) -> None:
        """Learning rate and clipping act on the next step; nothing else changes."""
        with self.trainer.lock:
            self.trainer.set_lr(cfg.lr)
            self.trainer.set_clip(cfg.clip, cfg.clip_threshold)
            self.cfg = cfg

    def step(self, n: int = 1) -> None:
        self.trainer.step(n)

    def sample(self, prompt: str, length: int = 200, temperature: float | None = None,
               top_k: int = 0, seed: int | None = None) -> tuple[str, int]:
        """Continue a typed prompt; returns (text, number of prompt tokens not in the vocab)."""
        temp = self.cfg.temperature if temperature is None else temperature
        with self.trainer.lock:
            return sample_text(self.model, self.data, prompt, length, temp,
                               self.cfg.seed if seed is None else seed, top_k)
