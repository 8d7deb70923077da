"""Encoder-decoder with optional attention, built from seqviz's own recurrent layers.

Encoder (Cho et al. 2014; Sutskever, Vinyals and Le 2014): embedding -> RNN / GRU / LSTM, 1-2
layers, optionally bidirectional (Schuster and Paliwal 1997). Padded batches run without
PackedSequence: the backward direction reads each sequence reversed *within its own length*, so
padding never leaks into a real position. The fixed "summary" vector is the forward state at the
last real position and the backward state at position 0.

Decoder (Luong, Pham and Manning 2015): an RNN over the target embeddings, initialised from
tanh(W_init summary); at step t its top state h_t queries the encoder outputs
(``seqviz.models.attention``: dot, general or Bahdanau's additive score), and
h~_t = tanh(W_c [c_t; h_t]) gives logits W_o h~_t. With ``attention="none"`` the context c_t
is the summary vector at every step: the fixed-vector baseline whose quality falls with input
length (Cho et al. 2014, Bahdanau et al. 2015). Training uses teacher forcing; the whole target
runs in one fused RNN call, and ``decode_step`` advances N hypotheses by one token with the same
numbers (for greedy and beam search).

Shape letters: B or N batch / hypotheses, S source length, T target length, E embedding,
H hidden per direction, C = D*H encoder output and decoder size, L layers, V vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqviz.models import build_recurrent
from seqviz.models.attention import SCORES, Attention
from seqviz.models.seeding import seeded

ATTENTIONS = ("none",) + SCORES
PAD, BOS, EOS = 0, 2, 3  # as in seqviz.attention.tasks


@dataclass(frozen=True)
class Seq2SeqSpec:
    """Everything needed to rebuild the architecture (saved in checkpoints)."""

    src_vocab_size: int
    tgt_vocab_size: int
    embed_size: int = 32
    hidden_size: int = 64
    num_layers: int = 1
    cell: str = "gru"
    bidirectional: bool = True
    attention: str = "additive"

    @property
    def context_size(self) -> int:
        return self.hidden_size * (2 if self.bidirectional else 1)


@dataclass
class EncoderState:
    """The encoded source of N sequences; index it to follow hypotheses (beam search)."""

    outputs: Tensor  # (N, S, C) top-layer outputs, zero at padded positions
    mask: Tensor  # (N, S) bool, True at real positions
    summary: Tensor  # (N, C) the fixed vector of the no-attention baseline
    # (N, S, ·) the attention's key projection (``Attention.project_keys``), computed once
    # for every decoder step; None without attention
    projected: Tensor | None = None

    def index_select(self, idx: Tensor) -> "EncoderState":
        """Rows ``idx`` (K,) of every field, e.g. ``torch.arange(B).repeat_interleave(k)``."""
        idx = torch.as_tensor(idx, dtype=torch.long, device=self.outputs.device)
        return EncoderState(self.outputs[idx], self.mask[idx], self.summary[idx],
                            None if self.projected is None else self.projected[idx])

    def repeat_interleave(self, k: int) -> "EncoderState":
        """Each sequence k times in a row: (N, ...) -> (N*k, ...)."""
        return self.index_select(torch.arange(self.mask.size(0)).repeat_interleave(int(k)))

    @property
    def lengths(self) -> Tensor:
        return self.mask.sum(dim=1)  # (N,)


@dataclass
class DecoderState:
    """The decoder RNN state of N hypotheses."""

    h: Tensor  # (L, N, C)
    c: Tensor | None = None  # (L, N, C) for an LSTM decoder, else None

    def index_select(self, idx: Tensor) -> "DecoderState":
        idx = torch.as_tensor(idx, dtype=torch.long, device=self.h.device)
        return DecoderState(self.h[:, idx], None if self.c is None else self.c[:, idx])

    def rnn_state(self):
        return self.h if self.c is None else (self.h, self.c)


@dataclass
class Decoded:
    """Greedy output per sequence: ids without </s>, and one attention row per emitted token
    (including the </s> step when it was reached)."""

    ids: list[list[int]]
    weights: list[np.ndarray]  # each (T_i, S_i)
    finished: list[bool]


def reverse_padded(x: Tensor, lengths: Tensor) -> Tensor:
    """Reverse each sequence of x (B, S, F) within its length; padding stays where it is."""
    S = x.size(1)
    t = torch.arange(S, device=x.device).unsqueeze(0)  # (1, S)
    lengths = lengths.to(x.device).unsqueeze(1)  # (B, 1)
    idx = torch.where(t < lengths, lengths - 1 - t, t)  # (B, S)
    return x.gather(1, idx.unsqueeze(-1).expand_as(x))


class Seq2Seq(nn.Module):
    """Decoding API (greedy, beam search)::

        enc = model.encode(src_ids, src_lengths)            # B sources
        enc_k = enc.repeat_interleave(k)                    # B*k hypotheses, source-major
        state = model.init_state(enc).index_select(torch.arange(B).repeat_interleave(k))
        logp, state, attn = model.decode_step(prev_tokens, state, enc_k)  # (B*k, V), (B*k, S)
        state = state.index_select(parent_rows)             # reorder after pruning beams

    Call it under ``torch.no_grad()`` and ``model.eval()``; ids: <pad> 0, <s> 2, </s> 3.
    """

    def __init__(self, spec: Seq2SeqSpec):
        super().__init__()
        if spec.attention not in ATTENTIONS:
            raise ValueError(f"unknown attention {spec.attention!r}; choose one of "
                             f"{', '.join(ATTENTIONS)}")
        if not 1 <= spec.num_layers <= 2:
            raise ValueError(f"num_layers must be 1 or 2, got {spec.num_layers}")
        self.spec = spec
        E, H, C, L = spec.embed_size, spec.hidden_size, spec.context_size, spec.num_layers
        self.src_embed = nn.Embedding(spec.src_vocab_size, E, padding_idx=PAD)
        self.tgt_embed = nn.Embedding(spec.tgt_vocab_size, E, padding_idx=PAD)
        self.enc_fwd = nn.ModuleList(
            [build_recurrent(spec.cell, E if i == 0 else C, H) for i in range(L)])
        self.enc_bwd = nn.ModuleList(
            [build_recurrent(spec.cell, E if i == 0 else C, H) for i in range(L)]
            if spec.bidirectional else [])
        self.init_proj = nn.Linear(C, L * C)  # summary -> h_0 of every decoder layer
        self.decoder = build_recurrent(spec.cell, E, C, num_layers=L)
        self.attn = None if spec.attention == "none" else Attention(spec.attention, C, C, H)
        self.combine = nn.Linear(2 * C, C)  # [c_t; h_t] -> h~_t
        self.out = nn.Linear(C, spec.tgt_vocab_size)

    @property
    def device(self) -> torch.device:
        return self.out.weight.device

    # -- encoder -------------------------------------------------------------------------------
    def encode(self, src_ids: Tensor, src_lengths: Tensor) -> EncoderState:
        """src_ids (N, S) right-padded, src_lengths (N,) >= 1 -> EncoderState."""
        if src_ids.dim() != 2 or src_lengths.shape != (src_ids.size(0),):
            raise ValueError(f"src_ids must be (N, S) and src_lengths (N,), got "
                             f"{tuple(src_ids.shape)} and {tuple(src_lengths.shape)}")
        lengths = src_lengths.to(src_ids.device).clamp(1, src_ids.size(1))
        mask = torch.arange(src_ids.size(1), device=src_ids.device) < lengths.unsqueeze(1)
        x = self.src_embed(src_ids)  # (N, S, E)
        for i, fwd in enumerate(self.enc_fwd):
            out = fwd(x)[0]  # (N, S, H): exact at real positions (padding comes after them)
            if self.spec.bidirectional:
                back = self.enc_bwd[i](reverse_padded(x, lengths))[0]
                out = torch.cat([out, reverse_padded(back, lengths)], dim=-1)  # (N, S, 2H)
            x = out
        outputs = x * mask.unsqueeze(-1)  # (N, S, C), zero at padding
        H = self.spec.hidden_size
        last = outputs.gather(1, (lengths - 1).view(-1, 1, 1).expand(-1, 1, outputs.size(2)))
        summary = last[:, 0, :H]  # forward direction at the last real position (N, H)
        if self.spec.bidirectional:
            summary = torch.cat([summary, outputs[:, 0, H:]], dim=-1)  # + backward at t=0
        return EncoderState(outputs, mask, summary,
                            None if self.attn is None else self.attn.project_keys(outputs))

    def init_state(self, enc: EncoderState) -> DecoderState:
        N, L, C = enc.summary.size(0), self.spec.num_layers, self.spec.context_size
        h0 = torch.tanh(self.init_proj(enc.summary)).view(N, L, C).transpose(0, 1).contiguous()
        return DecoderState(h0, torch.zeros_like(h0) if self.spec.cell == "lstm" else None)

    # -- decoder -------------------------------------------------------------------------------
    def _decode(self, tgt_in: Tensor, state: DecoderState, enc: EncoderState
                ) -> tuple[Tensor, DecoderState, Tensor]:
        """tgt_in (N, T) -> logits (N, T, V), new state, attention weights (N, T, S)."""
        h, final = self.decoder(self.tgt_embed(tgt_in), state.rnn_state())  # h: (N, T, C)
        new_state = DecoderState(*final) if isinstance(final, tuple) else DecoderState(final)
        if self.attn is None:
            context = enc.summary.unsqueeze(1).expand_as(h)  # the same vector at every step
            weights = h.new_zeros(h.size(0), h.size(1), enc.mask.size(1))
        else:
            # context (N, T, C), weights (N, T, S)
            context, weights = self.attn(h, enc.outputs, enc.mask, enc.projected)
        h_tilde = torch.tanh(self.combine(torch.cat([context, h], dim=-1)))  # (N, T, C)
        return self.out(h_tilde), new_state, weights

    def decode_step(self, prev_tokens: Tensor, dec_state: DecoderState, enc: EncoderState
                    ) -> tuple[Tensor, DecoderState, Tensor]:
        """One step for N hypotheses: prev_tokens (N,) -> log-probs (N, V), state, weights (N, S).

        ``enc`` must have N rows too (``enc.index_select`` / ``repeat_interleave``). With
        attention "none" the weights are all zero: the decoder reads only the summary vector.
        """
        logits, state, weights = self._decode(prev_tokens.view(-1, 1), dec_state, enc)
        return F.log_softmax(logits[:, 0], dim=-1), state, weights[:, 0]

    def forward(self, src_ids: Tensor, src_lengths: Tensor, tgt_in: Tensor
                ) -> tuple[Tensor, Tensor]:
        """Teacher forcing: logits (B, T, V) and attention weights (B, T, S)."""
        enc = self.encode(src_ids, src_lengths)
        logits, _, weights = self._decode(tgt_in, self.init_state(enc), enc)
        return logits, weights

    def loss(self, src_ids: Tensor, src_lengths: Tensor, tgt_in: Tensor, tgt_out: Tensor
             ) -> Tensor:
        """Mean cross-entropy (nats) over the real target tokens (</s> included, padding not)."""
        logits, _ = self(src_ids, src_lengths, tgt_in)
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1),
                               ignore_index=PAD)

    def score(self, src_ids: Tensor, src_lengths: Tensor, tgt_out: Tensor) -> Tensor:
        """Teacher-forced log p(y_t | y_<t, x) for tgt_out (B, T) = y_1..y_n </s> (padded).

        Returns (B, T), 0 at padded positions; ``.sum(1)`` is the sequence log-probability.
        """
        tgt_in = torch.cat([torch.full_like(tgt_out[:, :1], BOS), tgt_out[:, :-1]], dim=1)
        logits, _ = self(src_ids, src_lengths, tgt_in)
        logp = F.log_softmax(logits, dim=-1).gather(2, tgt_out.unsqueeze(-1)).squeeze(-1)
        return logp.masked_fill(tgt_out == PAD, 0.0)

    @torch.no_grad()
    def greedy_decode(self, src_ids: Tensor, src_lengths: Tensor, max_len: int = 60) -> Decoded:
        """Argmax decoding of a batch until every sequence emitted </s> or max_len tokens."""
        was_training = self.training
        self.eval()
        enc = self.encode(src_ids.to(self.device), src_lengths.to(self.device))
        state, N = self.init_state(enc), src_ids.size(0)
        prev = torch.full((N,), BOS, dtype=torch.long, device=self.device)
        done = torch.zeros(N, dtype=torch.bool, device=self.device)
        steps, rows = [], []
        for _ in range(int(max_len)):
            logp, state, w = self.decode_step(prev, state, enc)
            prev = logp.argmax(dim=-1)  # (N,)
            steps.append(prev.masked_fill(done, PAD))
            rows.append(w)
            done = done | (prev == EOS)
            if bool(done.all()):
                break
        self.train(was_training)
        ids = torch.stack(steps, 1).cpu().tolist() if steps else [[] for _ in range(N)]
        weights = torch.stack(rows, 1).cpu().numpy() if rows else np.zeros((N, 0, 0))
        lengths = enc.lengths.cpu().tolist()
        out_ids, out_w, finished = [], [], []
        for i, seq in enumerate(ids):
            n = seq.index(EOS) if EOS in seq else len(seq)
            out_ids.append(seq[:n])
            finished.append(EOS in seq)
            out_w.append(weights[i, : n + (EOS in seq), : lengths[i]])
        return Decoded(out_ids, out_w, finished)


def build_seq2seq(spec: Seq2SeqSpec, seed: int = 0) -> Seq2Seq:
    """Seeded construction: the same spec and seed give the same initial weights."""
    with seeded(seed):
        return Seq2Seq(spec)
