"""A recurrent classifier (many-to-one) and tagger (aligned many-to-many) with dropout.

embedding (E) -> dropout -> RNN / GRU / LSTM (H per direction, 1-3 layers, uni- or
bidirectional, dropout between layers) -> dropout -> linear. The classifier reads the final
state: the forward direction's output at the last real token and, when bidirectional, the
backward direction's output at the first (Schuster & Paliwal 1997); the tagger reads every
position. Id 0 is padding (a zero embedding); sentences are right-padded.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from seqviz.models.recurrent import build_recurrent

PAD = 0


class SeqModel(nn.Module):
    def __init__(self, vocab_size: int, num_classes: int, *, cell: str = "lstm",
                 embed_size: int = 16, hidden_size: int = 32, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0, tagger: bool = False):
        super().__init__()
        self.spec = dict(vocab_size=vocab_size, num_classes=num_classes, cell=cell,
                         embed_size=embed_size, hidden_size=hidden_size, num_layers=num_layers,
                         bidirectional=bidirectional, dropout=dropout, tagger=tagger)
        self.tagger = tagger
        self.embed = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)
        self.drop_in, self.drop_out = nn.Dropout(dropout), nn.Dropout(dropout)
        self.rnn = build_recurrent(cell, embed_size, hidden_size, num_layers,
                                   dropout=dropout if num_layers > 1 else 0.0,
                                   bidirectional=bidirectional)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def set_dropout(self, p: float) -> None:
        """Live: acts from the next forward pass (inputs, outputs and between layers)."""
        self.drop_in.p = self.drop_out.p = float(p)
        if self.rnn.num_layers > 1:
            self.rnn.dropout = float(p)

    def features(self, ids: Tensor, lengths: Tensor, emb: Tensor | None = None) -> Tensor:
        """ids (B, T), lengths (B,) -> (B, D*H) final states, or (B, T, D*H) for the tagger.
        ``emb`` (B, T, E) replaces the embedding lookup (for gradient x input)."""
        x = self.embed(ids) if emb is None else emb  # (B, T, E)
        out, _state = self.rnn(self.drop_in(x))  # (B, T, D*H)
        if self.tagger:
            return out
        H = self.rnn.hidden_size
        last = (lengths - 1).clamp(min=0).view(-1, 1, 1).expand(-1, 1, out.size(2))
        fwd = out.gather(1, last).squeeze(1)[:, :H]  # (B, H): forward state after the last token
        if not self.rnn.bidirectional:
            return fwd
        return torch.cat([fwd, out[:, 0, H:]], dim=1)  # backward state after the first token

    def forward(self, ids: Tensor, lengths: Tensor, emb: Tensor | None = None) -> Tensor:
        """Logits: (B, C) for the classifier, (B, T, C) for the tagger."""
        return self.head(self.drop_out(self.features(ids, lengths, emb)))
