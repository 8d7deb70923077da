"""A recurrent language model: embedding -> recurrent stack -> linear head.

The classic char-RNN / word-RNN (Mikolov et al. 2010; Karpathy 2015): at every position t the
model reads token x_t and predicts a distribution over x_{t+1}. Training minimises the mean
cross-entropy, whose exponential is the perplexity.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from seqviz.models import build_recurrent
from seqviz.models.fflm import FeedForwardLM
from seqviz.models.lm_spec import LMRun, LMSpec
from seqviz.models.seeding import seeded

__all__ = ["FEED_FORWARD", "FeedForwardLM", "LMRun", "LMSpec", "LanguageModel", "build_lm",
           "default_device", "make_lm", "spec_dict"]


class LanguageModel(nn.Module):
    def __init__(self, spec: LMSpec):
        super().__init__()
        if spec.vocab_size < 1:
            raise ValueError(f"vocab_size must be >= 1, got {spec.vocab_size}")
        self.spec = spec
        self.embed = nn.Embedding(spec.vocab_size, spec.embed_size)
        self.rnn = build_recurrent(spec.cell, spec.embed_size, spec.hidden_size,
                                   num_layers=spec.num_layers, nonlinearity=spec.nonlinearity,
                                   dropout=spec.dropout)
        self.head = nn.Linear(spec.hidden_size, spec.vocab_size)

    def run(self, idx: torch.Tensor, state: Any = None, return_internals: bool = False) -> LMRun:
        """idx (B, T) token ids -> logits (B, T, V), carrying the recurrent state."""
        x = self.embed(idx)  # (B, T, E)
        if return_internals:
            out, state, internals = self.rnn(x, state, return_internals=True)
        else:
            (out, state), internals = self.rnn(x, state), None
        return LMRun(self.head(out), state, internals)  # head: (B, T, H) -> (B, T, V)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None,
                state: Any = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Returns (logits (B, T, V), mean cross-entropy in nats or None without targets)."""
        logits = self.run(idx, state).logits
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss

    @property
    def device(self) -> torch.device:
        return self.head.weight.device


FEED_FORWARD = "ff"  # LMSpec.cell of the feed-forward LM (seqviz.models.fflm)


def make_lm(spec: LMSpec) -> nn.Module:
    """The module a spec describes: a recurrent ``LanguageModel`` or, for cell "ff", the
    feed-forward ``FeedForwardLM`` (same ``run`` / ``forward`` interface)."""
    if spec.cell == FEED_FORWARD:
        return FeedForwardLM(spec)
    return LanguageModel(spec)


def build_lm(spec: LMSpec, seed: int = 0, device: str | torch.device | None = None) -> LanguageModel:
    """Seeded construction: the same spec and seed give the same initial weights."""
    with seeded(seed):
        model = make_lm(spec)
    return model.to(device or default_device())


def default_device() -> torch.device:
    """CUDA when the user's machine has it, otherwise the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def spec_dict(spec: LMSpec) -> dict:
    return asdict(spec)
