"""The language-model page's config: one frozen dataclass that round-trips to the URL."""

from __future__ import annotations

from dataclasses import dataclass

from seqviz.config import setting


@dataclass(frozen=True)
class LMConfig:
    """The language-model page: corpus, model shape, optimiser and live knobs."""

    corpus: str = setting("prose", choices=("prose", "python", "grammar", "grammar_zh", "upload"))
    level: str = setting("char", choices=("char", "word"))
    cell: str = setting("lstm", choices=("rnn", "gru", "lstm", "ff"))  # ff: Bengio et al. 2003
    window: int = setting(4, lo=1, hi=8)  # ff only: the n-1 previous tokens it reads
    hidden_size: int = setting(128, lo=8, hi=512)
    num_layers: int = setting(1, lo=1, hi=3)
    embed_size: int = setting(64, lo=4, hi=256)
    seq_len: int = setting(64, lo=4, hi=256)
    batch_size: int = setting(32, lo=1, hi=128)
    optimizer: str = setting("adam", choices=("adam", "sgd"))
    lr: float = setting(0.003, live=True, lo=1e-5, hi=10.0)
    clip: str = setting("norm", live=True, choices=("none", "norm", "value"))
    clip_threshold: float = setting(1.0, live=True, lo=0.01, hi=100.0)
    temperature: float = setting(0.8, live=True, lo=0.0, hi=2.0)
    seed: int = setting(0, lo=0, hi=2**31 - 1)
    upload: str = setting("", pattern=r"[0-9a-f]{16}")  # id of the uploaded text (corpus=upload)

    @property
    def feed_forward(self) -> bool:
        return self.cell == "ff"

    @property
    def order(self) -> int | None:
        """The n of the feed-forward LM (window + 1); None for a recurrent one."""
        return self.window + 1 if self.feed_forward else None
