"""The CTC page's config: one frozen dataclass that round-trips to the URL."""

from __future__ import annotations

from dataclasses import dataclass

from seqviz.config import setting
from seqviz.ctc.tasks import SpeechSpec


@dataclass(frozen=True)
class CTCConfig:
    """The CTC page: the generated speech task, the bidirectional LSTM, optimiser, live knobs."""

    symbols: int = setting(5, lo=2, hi=10)  # alphabet size K
    max_len: int = setting(5, lo=1, hi=8)  # labels have 1..max_len symbols
    max_frames: int = setting(7, lo=2, hi=12)  # frames per spoken symbol: 2..max_frames
    noise: float = setting(0.4, lo=0.0, hi=2.0)
    silence: float = setting(0.3, lo=0.0, hi=1.0)  # chance of a pause between two symbols
    hidden_size: int = setting(48, lo=8, hi=128)  # per direction
    num_layers: int = setting(1, lo=1, hi=2)
    batch_size: int = setting(16, lo=1, hi=64)
    lr: float = setting(0.01, live=True, lo=1e-5, hi=1.0)
    clip_threshold: float = setting(1.0, live=True, lo=0.01, hi=100.0)
    beam: int = setting(4, live=True, lo=1, hi=16)  # prefix beam search width
    example: int = setting(0, live=True, lo=0, hi=19)  # which held-out utterance is drawn
    seed: int = setting(0, lo=0, hi=2**31 - 1)

    def spec(self) -> SpeechSpec:
        return SpeechSpec(symbols=self.symbols, min_len=1, max_len=self.max_len, min_frames=2,
                          max_frames=self.max_frames, noise=self.noise, silence=self.silence)
