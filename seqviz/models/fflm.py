"""A feed-forward neural language model (Bengio, Ducharme, Vincent and Jauvin 2003).

The n-gram's question, P(x_{t+1} | the previous n-1 tokens), answered not by counting but by a
network: the n-1 = W context tokens are looked up in an embedding table, concatenated and passed
through one tanh hidden layer, and a linear head gives logits over the vocabulary:

    x = [C(x_{t-W+1}); ...; C(x_t)]        # (B, T, W*E), oldest first
    h = tanh(H x + d)                      # (B, T, H)
    logits = U h + b                       # (B, T, V)

(Bengio et al.'s optional direct connections W x are left out.) Similar tokens get similar
embeddings, so a context never seen in training still gets a sensible distribution: smoothing
comes from the shared parameters, not from discounting counts. It still sees only W tokens.

The interface is ``LanguageModel``'s: ``run(idx, state)`` where the state is the last W token
ids read so far (B, W), ``-1`` before the text starts (read as a learned "start" vector), so
sampling one token at a time and scoring a text in chunks work as for the RNNs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seqviz.models.lm_spec import LMRun, LMSpec

MAX_WINDOW = 8
BEFORE_START = -1  # a state position before the first token


class FeedForwardLM(nn.Module):
    def __init__(self, spec: LMSpec):
        super().__init__()
        if spec.vocab_size < 1:
            raise ValueError(f"vocab_size must be >= 1, got {spec.vocab_size}")
        if not 1 <= spec.window <= MAX_WINDOW:
            raise ValueError(f"window must be in 1..{MAX_WINDOW}, got {spec.window}")
        self.spec = spec
        self.embed = nn.Embedding(spec.vocab_size, spec.embed_size)  # C: (V, E)
        self.start = nn.Parameter(torch.zeros(spec.embed_size))  # before the text: (E,)
        self.hidden = nn.Linear(spec.window * spec.embed_size, spec.hidden_size)  # H, d
        self.head = nn.Linear(spec.hidden_size, spec.vocab_size)  # U, b

    @property
    def window(self) -> int:
        return self.spec.window

    def empty_state(self, batch: int) -> torch.Tensor:
        return torch.full((batch, self.window), BEFORE_START, dtype=torch.long,
                          device=self.device)

    def run(self, idx: torch.Tensor, state: torch.Tensor | None = None,
            return_internals: bool = False) -> LMRun:
        """idx (B, T) -> logits (B, T, V); ``state`` (B, W) holds the W tokens before idx."""
        B, T = idx.shape
        W = self.window
        state = self.empty_state(B) if state is None else state.to(self.device)
        full = torch.cat([state, idx], dim=1)  # (B, W + T)
        e = self.embed(full.clamp(min=0))  # (B, W + T, E)
        e = torch.where((full < 0)[..., None], self.start.to(e.dtype), e)
        # the context of target t is full[t+1 .. t+W]: the W tokens ending with idx[t]
        ctx = e.unfold(1, W, 1)[:, 1:]  # (B, T, E, W)
        x = ctx.transpose(2, 3).reshape(B, T, W * e.size(-1))  # (B, T, W*E), oldest first
        h = torch.tanh(self.hidden(x))  # (B, T, H)
        return LMRun(self.head(h), full[:, -W:], h if return_internals else None)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None,
                state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Returns (logits (B, T, V), mean cross-entropy in nats or None without targets)."""
        logits = self.run(idx, state).logits
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss

    @staticmethod
    def reorder_state(state: torch.Tensor | None, index: torch.Tensor) -> torch.Tensor | None:
        """Beam search: keep the contexts of the chosen hypotheses (state (N, W))."""
        return None if state is None else state[index.to(state.device)]

    @property
    def device(self) -> torch.device:
        return self.head.weight.device
