"""Token <-> id mapping with a reserved unknown token.

``<unk>`` is always id 0, so every token outside the vocabulary (a character only in the
validation text, a rare word cut by ``max_size``) still has an id and a probability. The order
is most frequent first, ties broken by first occurrence, so the same text always gives the same
ids. ``to_dict`` / ``from_dict`` are plain JSON, stored next to a checkpoint's state dict.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

from seqviz.data.tokenize import tokenize


class Vocab:
    """A fixed vocabulary: ``itos[i]`` is the token with id ``i``; ``stoi`` the inverse."""

    UNK = "<unk>"

    def __init__(self, itos: Sequence[str]):
        itos = list(itos)
        if not itos or itos[0] != self.UNK:
            raise ValueError(f"A vocabulary must start with {self.UNK!r} at id 0.")
        if len(set(itos)) != len(itos):
            raise ValueError("A vocabulary must not contain the same token twice.")
        if not all(isinstance(t, str) for t in itos):
            raise ValueError("Vocabulary tokens must be strings.")
        self.itos: list[str] = itos
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(itos)}

    @classmethod
    def build(
        cls, tokens: Iterable[str], max_size: int | None = None, min_freq: int = 1
    ) -> "Vocab":
        """Vocabulary of ``tokens``: most frequent first, at most ``max_size`` entries.

        ``max_size`` counts ``<unk>`` too (``len(vocab) <= max_size``); tokens seen fewer than
        ``min_freq`` times map to ``<unk>``.
        """
        if max_size is not None and max_size < 1:
            raise ValueError(f"max_size must be at least 1 (room for {cls.UNK!r}), got {max_size}")
        counts = Counter(tokens)  # insertion order = first occurrence
        counts.pop(cls.UNK, None)
        # sorted() is stable, so equal counts keep first-occurrence order.
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])
        kept = [tok for tok, c in ranked if c >= min_freq]
        if max_size is not None:
            kept = kept[: max_size - 1]
        return cls([cls.UNK] + kept)

    @property
    def unk_id(self) -> int:
        return 0

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.itos == other.itos

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self.itos[:8])
        return f"Vocab(size={len(self)}, [{head}{', ...' if len(self) > 8 else ''}])"

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Ids of ``tokens``; unknown tokens become ``unk_id`` (0)."""
        get = self.stoi.get
        return [get(t, 0) for t in tokens]

    def encode_text(self, text: str, level: str) -> list[int]:
        """Tokenise ``text`` at ``level`` (``"char"`` / ``"word"``) and encode it."""
        return self.encode(tokenize(text, level))

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of ``ids`` (ints or a 1-D tensor/array); out-of-range ids raise ``IndexError``."""
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self.itos):
                raise IndexError(f"Token id {i} is outside the vocabulary (size {len(self)}).")
            out.append(self.itos[i])
        return out

    def to_dict(self) -> dict:
        """JSON-serialisable form; ``Vocab.from_dict(v.to_dict()) == v``."""
        return {"itos": list(self.itos)}

    @classmethod
    def from_dict(cls, d: dict) -> "Vocab":
        """Inverse of :meth:`to_dict`; raises ``ValueError`` on a malformed dict."""
        if not isinstance(d, dict) or not isinstance(d.get("itos"), list):
            raise ValueError("A vocabulary dict needs an 'itos' list of tokens.")
        return cls(d["itos"])
