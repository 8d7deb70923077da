"""From text to training windows and exact validation batches.

The token stream is split once: validation is the *last* ``val_fraction`` of the stream, one
contiguous piece, so no training window overlaps it and the split never changes with the seed.
The vocabulary is built from the training part only (the validation text may contain ``<unk>``,
as real unseen text does).

Training draws random contiguous windows (``BatchSampler``) from a seeded ``torch.Generator``
whose state can be saved and restored, so a paused or snapshotted run continues with exactly
the batches it would have seen. Validation (``eval_batches``) walks the stream in
non-overlapping chunks so every target token is scored exactly once: the mean loss is the exact
per-token cross-entropy and ``exp`` of it the exact perplexity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import torch

from seqviz.data.corpora import CorpusError
from seqviz.data.tokenize import LEVELS, tokenize
from seqviz.data.vocab import Vocab
from seqviz.i18n import _
from seqviz.limits import MAX_CHAR_VOCAB, MAX_WORD_VOCAB

_MIN_PART_TOKENS = 2  # train and validation each need at least one (input, target) pair
# A vocabulary is capped before it costs anything: 30,000 distinct CJK characters would make a
# 30,001-way softmax (15 s a step, 1 GB); rare tokens beyond the cap read as <unk>.
_DEFAULT_MAX_VOCAB = {"char": MAX_CHAR_VOCAB, "word": MAX_WORD_VOCAB}


def _as_ids(ids: Sequence[int] | torch.Tensor) -> torch.Tensor:
    """A 1-D LongTensor view of ``ids`` (list, array or tensor)."""
    t = torch.as_tensor(ids, dtype=torch.long)
    if t.dim() != 1:
        raise ValueError(f"Expected a 1-D sequence of token ids, got shape {tuple(t.shape)}")
    return t


def _n_val(n: int, val_fraction: float) -> int:
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    return int(round(n * val_fraction))


def split_ids(
    ids: Sequence[int] | torch.Tensor, val_fraction: float = 0.1
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(train, val)``: validation is the last ``round(n * val_fraction)`` tokens."""
    t = _as_ids(ids)
    cut = len(t) - _n_val(len(t), val_fraction)
    return t[:cut].clone(), t[cut:].clone()


@dataclass
class TextData:
    """A tokenised corpus: train/val id streams (1-D LongTensors) and the vocabulary."""

    level: str
    vocab: Vocab
    train: torch.Tensor  # (N_train,) int64
    val: torch.Tensor  # (N_val,) int64
    dropped_types: int = 0  # distinct training tokens beyond the vocabulary cap (now <unk>)
    dropped_share: float = 0.0  # share of training tokens they made up

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)


def build_text_data(
    text: str,
    level: str,
    val_fraction: float = 0.1,
    max_vocab: int | None = None,
    min_freq: int = 1,
) -> TextData:
    """Tokenise, split, build the vocabulary on the training part, encode both parts.

    ``max_vocab`` defaults to ``seqviz.limits.MAX_CHAR_VOCAB`` / ``MAX_WORD_VOCAB``; the
    rarest tokens beyond it map to ``<unk>`` and are counted in ``dropped_types`` /
    ``dropped_share`` (for a notice on the page).
    Raises :class:`CorpusError` if either part would have fewer than 2 tokens.
    """
    if level not in LEVELS:
        raise ValueError(f"Unknown tokenisation level {level!r}; use one of {LEVELS}.")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    if max_vocab is None:
        max_vocab = _DEFAULT_MAX_VOCAB[level]
    tokens = tokenize(text, level)
    n = len(tokens)
    n_val = _n_val(n, val_fraction)
    if n_val < _MIN_PART_TOKENS or n - n_val < _MIN_PART_TOKENS:
        need = _min_total_tokens(val_fraction)
        raise CorpusError(_(
            "The text is too short: it has {n} tokens at this level, but at least {need} are "
            "needed so that training and validation ({share}) each get {each}. Use a longer "
            "text.").format(n=n, need=need, share=f"{val_fraction:.0%}", each=_MIN_PART_TOKENS))
    train_tokens, val_tokens = tokens[: n - n_val], tokens[n - n_val :]
    vocab = Vocab.build(train_tokens, max_size=max_vocab, min_freq=min_freq)
    train = torch.tensor(vocab.encode(train_tokens), dtype=torch.long)
    distinct = len(set(train_tokens) - {Vocab.UNK})
    dropped = max(distinct - (len(vocab) - 1), 0)
    share = float((train == vocab.unk_id).float().mean()) if dropped else 0.0
    return TextData(level=level, vocab=vocab, train=train,
                    val=torch.tensor(vocab.encode(val_tokens), dtype=torch.long),
                    dropped_types=dropped, dropped_share=share)


def _min_total_tokens(val_fraction: float) -> int:
    """Smallest stream length whose split leaves ``_MIN_PART_TOKENS`` on each side."""
    n = 2 * _MIN_PART_TOKENS
    while not (_MIN_PART_TOKENS <= _n_val(n, val_fraction) <= n - _MIN_PART_TOKENS):
        n += 1
    return n


def min_tokens(seq_len: int) -> int:
    """Tokens a stream needs for one training window of ``seq_len`` inputs (+1 target)."""
    return seq_len + 1


class BatchSampler:
    """Random contiguous windows: ``next()`` -> ``(x, y)``, both (B, T), ``y`` = ``x`` shifted.

    Offsets come from a private ``torch.Generator`` seeded with ``seed``; ``state_dict()`` /
    ``load_state_dict()`` snapshot and restore it. With few windows, rows may repeat.
    """

    def __init__(self, ids: Sequence[int] | torch.Tensor, batch_size: int, seq_len: int, seed: int):
        if batch_size < 1 or seq_len < 1:
            raise ValueError(
                f"batch_size and seq_len must be >= 1, got batch_size={batch_size}, "
                f"seq_len={seq_len}"
            )
        self.ids = _as_ids(ids)
        need = min_tokens(seq_len)
        if len(self.ids) < need:
            raise CorpusError(_(
                "The text is too short for sequences of length {t}: {need} tokens are needed, "
                "but the training text has {n}. Use a longer text or a shorter sequence "
                "length.").format(t=seq_len, need=need, n=len(self.ids)))
        self.batch_size, self.seq_len, self.seed = int(batch_size), int(seq_len), int(seed)
        self.n_windows = len(self.ids) - seq_len  # valid start offsets 0 .. n - T - 1
        self.generator = torch.Generator().manual_seed(self.seed)
        self.steps = 0  # batches drawn so far
        self._arange = torch.arange(seq_len + 1)  # (T+1,)

    def next(self) -> tuple[torch.Tensor, torch.Tensor]:
        """One batch ``(x, y)`` of shape (B, T); ``y[:, t] == x[:, t + 1]`` within a row."""
        starts = torch.randint(
            0, self.n_windows, (self.batch_size,), generator=self.generator
        )  # (B,)
        windows = self.ids[starts[:, None] + self._arange]  # (B, T+1)
        self.steps += 1
        return windows[:, :-1].contiguous(), windows[:, 1:].contiguous()

    __next__ = next

    def __iter__(self) -> "BatchSampler":
        return self

    def state_dict(self) -> dict:
        """Generator state and counters; ``torch.save``-able and ``weights_only`` loadable."""
        return {
            "generator": self.generator.get_state(),
            "steps": self.steps,
            "seed": self.seed,
            "batch_size": self.batch_size,
            "seq_len": self.seq_len,
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue exactly where the snapshot ``state`` was taken (same ids assumed)."""
        self.generator.set_state(state["generator"])
        self.steps = int(state.get("steps", 0))


def eval_batches(
    ids: Sequence[int] | torch.Tensor,
    batch_size: int,
    seq_len: int,
    max_tokens: int | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Non-overlapping chunks covering every target ``ids[1:]`` exactly once.

    Chunk ``j`` is ``x = ids[jT : jT+T]``, ``y = ids[jT+1 : jT+T+1]``, in stream order;
    ``batch_size`` chunks form a (B, T) batch. The last full chunks may form a smaller
    (B' < B, T) batch, and a final partial chunk a (1, T') batch with T' < T, so summing the
    per-token loss over all batches and dividing by ``len(ids) - 1`` is exact.
    ``max_tokens`` limits evaluation to the first ``max_tokens`` targets (a cheaper estimate).
    """
    if batch_size < 1 or seq_len < 1:
        raise ValueError(
            f"batch_size and seq_len must be >= 1, got batch_size={batch_size}, seq_len={seq_len}"
        )
    t = _as_ids(ids)
    n_targets = max(len(t) - 1, 0)
    if max_tokens is not None:
        n_targets = min(n_targets, max(int(max_tokens), 0))
    n_full = n_targets // seq_len
    for first in range(0, n_full, batch_size):
        rows = min(batch_size, n_full - first)
        window = t[first * seq_len : (first + rows) * seq_len + 1]  # ((rows*T) + 1,)
        x = window[:-1].reshape(rows, seq_len).clone()  # (B', T)
        y = window[1:].reshape(rows, seq_len).clone()  # (B', T), shifted by one
        yield x, y
    rest = n_targets - n_full * seq_len
    if rest > 0:
        start = n_full * seq_len
        x = t[start : start + rest].reshape(1, rest).clone()  # (1, T')
        y = t[start + 1 : start + rest + 1].reshape(1, rest).clone()  # (1, T')
        yield x, y
