"""What describes a language model (saved in checkpoints) and what one pass of it returns;
shared by the recurrent ``LanguageModel`` and the feed-forward ``FeedForwardLM``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class LMSpec:
    """Everything needed to rebuild the architecture (saved in checkpoints)."""

    vocab_size: int
    embed_size: int = 64
    hidden_size: int = 128
    num_layers: int = 1
    cell: str = "lstm"
    nonlinearity: str = "tanh"
    dropout: float = 0.0
    window: int = 0  # cell "ff" only: the n-1 tokens the feed-forward LM reads


@dataclass
class LMRun:
    """One pass of the model: logits (B, T, V), final state, and optional per-step internals."""

    logits: torch.Tensor
    state: Any
    internals: Any = None
