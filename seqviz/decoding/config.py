"""The beam-search page's config: one frozen dataclass that round-trips to the URL."""

from __future__ import annotations

from dataclasses import dataclass

from seqviz.config import setting
from seqviz.decoding.beam import FINISHED


@dataclass(frozen=True)
class BeamConfig:
    """The beam-search page. ``source`` names a model: a bundled checkpoint's file name
    (``lm_*`` / ``seq2seq_*``), ``live_lm`` or ``live_s2s``; "auto" opens the demo model
    (``seqviz.decoding.sources.DEMO_SOURCE``) or else the first available."""

    source: str = setting("auto")
    text: str = setting("")  # the input (seq2seq) or prompt (LM); "" = a ready-made example
    reference: str = setting("")  # y* for the error analysis; "" = the example's own target
    beam_width: int = setting(3, live=True, lo=1, hi=10)
    max_len: int = setting(30, live=True, lo=1, hi=60)
    alpha: float = setting(0.6, live=True, lo=0.0, hi=1.0)
    expand: int = setting(3, live=True, lo=1, hi=10)
    finished: str = setting("shrink", live=True, choices=FINISHED)  # a finished hypothesis's slot
    temperature: float = setting(1.0, live=True, lo=0.05, hi=2.0)
    seed: int = setting(0, lo=0, hi=2**31 - 1)
