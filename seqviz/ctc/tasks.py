"""A generated "speech" task for CTC: short label strings spoken as runs of noisy feature frames.

Each symbol of a label (``a``, ``b``, ... ) becomes a run of ``min_frames``-``max_frames``
frames of a 16-band "spectrum": the symbol's two formant bumps (a fixed pair of bands per
symbol, like a vowel's F1 and F2) under an attack-decay envelope (loud at the onset, fading
towards the end of the run), so two identical symbols in a row ("aa") still show where one ends
and the next begins. Silence (noise only) pads both ends and, with probability ``silence``,
falls between two symbols. Every utterance gets a random loudness and Gaussian noise of
standard deviation ``noise`` on every band. The frame-level truth (which symbol made each frame)
is kept for the figures; the model never sees it: CTC trains on (frames, label) pairs with no
alignment, as a speech recogniser trains on (audio, transcript).

Ids: 0 is the CTC blank, symbols are 1..K (``SYMBOLS[k - 1]``). Training batches are drawn from
a seeded generator (an endless stream; ``state_dict`` lets the trainer roll back a diverged
step), the held-out set from a fixed seed, so every run is scored on the same utterances.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from seqviz.ctc.symbols import SYMBOLS

BANDS = 16  # feature frames are (BANDS,) "spectra"
# (F1, F2) band of each symbol's two formants: every pair differs from every other in at least
# one band by 2 or more, so the symbols are separable by ear -- until the noise is turned up.
FORMANTS = ((2, 9), (4, 13), (6, 10), (3, 14), (8, 12), (1, 6), (5, 15), (7, 3), (10, 14),
            (12, 5))
WIDTH = 1.0  # formant bump width in bands
EDGE_SILENCE = (1, 4)  # silent frames before the first and after the last symbol (inclusive)
TEST_SIZE = 200  # held-out utterances
TEST_SEED = 12345


@dataclass(frozen=True)
class SpeechSpec:
    """What the task generates (every field is a setting of the page)."""

    symbols: int = 5  # alphabet size K (2-10)
    min_len: int = 2  # label length range
    max_len: int = 6
    min_frames: int = 3  # frames per spoken symbol
    max_frames: int = 8
    noise: float = 0.5  # standard deviation of the noise on every band
    silence: float = 0.3  # probability of a pause between two symbols

    def check(self) -> list[str]:
        """Problems that make the spec impossible (English; the page's config check names the
        fields first)."""
        out = []
        if not 2 <= self.symbols <= len(SYMBOLS):
            out.append(f"symbols must be 2-{len(SYMBOLS)}, got {self.symbols}")
        if not 1 <= self.min_len <= self.max_len:
            out.append(f"label lengths {self.min_len}-{self.max_len} are not a range")
        if not 2 <= self.min_frames <= self.max_frames:
            out.append(f"frames per symbol {self.min_frames}-{self.max_frames} are not a range "
                       "from 2")
        return out

    @property
    def alphabet(self) -> str:
        return SYMBOLS[: self.symbols]

    @property
    def max_frames_total(self) -> int:
        """The longest utterance this spec can make (frames)."""
        gap = max(1, self.max_frames // 2)
        return self.max_len * self.max_frames + (self.max_len - 1) * gap + 2 * EDGE_SILENCE[1]


def prototypes(symbols: int) -> np.ndarray:
    """(K + 1, BANDS): row 0 is silence (zeros), row k the spectrum of symbol k."""
    bands = np.arange(BANDS)
    out = np.zeros((symbols + 1, BANDS))
    for k, (f1, f2) in enumerate(FORMANTS[:symbols], start=1):
        out[k] = (np.exp(-0.5 * ((bands - f1) / WIDTH) ** 2)
                  + 0.8 * np.exp(-0.5 * ((bands - f2) / WIDTH) ** 2))
    return out


@dataclass(frozen=True)
class Utterance:
    frames: np.ndarray  # (T, BANDS) float32
    label: tuple[int, ...]  # (L,) symbol ids 1..K
    truth: np.ndarray  # (T,) int: the symbol id that made each frame (0 = silence)
    onsets: tuple[int, ...]  # (L,) the first frame of each spoken symbol


def speak(label: tuple[int, ...], spec: SpeechSpec, rng: np.random.Generator,
          protos: np.ndarray | None = None) -> Utterance:
    """One utterance of ``label``: runs of frames with pauses, loudness and noise."""
    protos = prototypes(spec.symbols) if protos is None else protos
    gain = rng.uniform(0.7, 1.3)  # speaker loudness
    parts, truth, onsets, t = [], [], [], 0

    def silence(n: int) -> None:
        nonlocal t
        parts.append(np.zeros((n, BANDS)))
        truth.extend([0] * n)
        t += n

    silence(int(rng.integers(EDGE_SILENCE[0], EDGE_SILENCE[1] + 1)))
    for i, k in enumerate(label):
        if i and rng.random() < spec.silence:
            silence(int(rng.integers(1, max(1, spec.max_frames // 2) + 1)))
        n = int(rng.integers(spec.min_frames, spec.max_frames + 1))
        envelope = 1.0 - 0.6 * np.arange(n) / max(n - 1, 1)  # (n,) attack, then decay to 0.4
        parts.append(gain * envelope[:, None] * protos[k][None, :])
        truth.extend([k] * n)
        onsets.append(t)
        t += n
    silence(int(rng.integers(EDGE_SILENCE[0], EDGE_SILENCE[1] + 1)))
    clean = np.concatenate(parts)  # (T, BANDS)
    noisy = clean + spec.noise * rng.standard_normal(clean.shape)
    return Utterance(noisy.astype(np.float32), tuple(label), np.array(truth), tuple(onsets))


def random_label(spec: SpeechSpec, rng: np.random.Generator) -> tuple[int, ...]:
    n = int(rng.integers(spec.min_len, spec.max_len + 1))
    return tuple(int(k) for k in rng.integers(1, spec.symbols + 1, n))


def generate(spec: SpeechSpec, n: int, rng: np.random.Generator) -> list[Utterance]:
    protos = prototypes(spec.symbols)
    return [speak(random_label(spec, rng), spec, rng, protos) for _unused in range(n)]


def test_set(spec: SpeechSpec, n: int = TEST_SIZE) -> list[Utterance]:
    """The held-out utterances of a spec: the same for every run and seed."""
    return generate(spec, n, np.random.default_rng(TEST_SEED))


@dataclass(frozen=True)
class Batch:
    frames: torch.Tensor  # (B, T_max, BANDS) float32, padded with zeros (silence) at the end
    frame_lengths: torch.Tensor  # (B,) int64
    targets: torch.Tensor  # (B, L_max) int64, padded with 0
    target_lengths: torch.Tensor  # (B,) int64


def make_batch(utterances: list[Utterance]) -> Batch:
    """Pad a list of utterances into one batch. The padding is silence: the backward direction
    of a bidirectional layer reads it first, as it would read a longer pause; the loss and the
    decoders only look at each utterance's own frames (``frame_lengths``)."""
    lengths = [len(u.frames) for u in utterances]
    frames = np.zeros((len(utterances), max(lengths), BANDS), dtype=np.float32)
    labels = np.zeros((len(utterances), max(len(u.label) for u in utterances)), dtype=np.int64)
    for i, u in enumerate(utterances):
        frames[i, : len(u.frames)] = u.frames
        labels[i, : len(u.label)] = u.label
    return Batch(torch.from_numpy(frames), torch.tensor(lengths),
                 torch.from_numpy(labels), torch.tensor([len(u.label) for u in utterances]))


class SpeechBatches:
    """Fresh random utterances for every step from a seeded generator: ``next() -> Batch``."""

    def __init__(self, spec: SpeechSpec, batch_size: int, seed: int = 0):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.spec, self.batch_size = spec, int(batch_size)
        self.rng = np.random.default_rng(seed)
        self.protos = prototypes(spec.symbols)

    def next(self) -> Batch:
        return make_batch([speak(random_label(self.spec, self.rng), self.spec, self.rng,
                                 self.protos) for _unused in range(self.batch_size)])

    def state_dict(self) -> dict:
        return self.rng.bit_generator.state

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state
