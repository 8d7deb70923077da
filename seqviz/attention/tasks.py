"""Generated sequence-to-sequence tasks: dates, reversal, sorting and a toy translation.

Small enough to learn in a minute on a CPU, and each with a known alignment, so an attention
heatmap can be checked by eye (Bahdanau, Cho and Bengio 2015, Fig. 3):

- ``dates``: human-written dates ("3 May 1979", "Thursday, May 3rd 1979", "03/05/79", ...) to
  ISO ``1979-05-03``, character level. Weekdays are the true ones (``datetime``); two-digit years
  are 1950-2049, so ``79`` is 1979 and ``05`` is 2005; numeric dates are day first.
- ``reverse`` / ``sort``: a digit or letter string reversed (an anti-diagonal alignment) or
  sorted (a permutation), character level.
- ``translate``: two word-level languages from one synchronous grammar. The source puts
  adjectives before the noun, prepositions before their noun phrase and the verb before its
  object; the target puts adjectives after the noun (in mirrored order), uses postpositions and
  ends with the verb, so the alignment crosses.
- ``zh_digits`` / ``digits_zh``: Chinese numerals read as Arabic digits (三千零五 -> 3005) and
  written from them (3005 -> 三千零五), character level (``seqviz.attention.numerals``).

Vocabularies put ``<pad>`` at id 0, then ``<unk>``, ``<s>`` and ``</s>``. The held-out test
inputs never occur in the training set. Everything is seeded. The example generators live in
``seqviz.attention.generators``; this module holds the vocabularies, building and batching.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from seqviz.attention import numerals
from seqviz.attention.generators import (DATE_FORMATS, date_pair, date_tokens, format_date,
                                         sentence_pair, string_pair, translate_tokens)
from seqviz.i18n import N_, _

PAD, UNK, BOS, EOS = 0, 1, 2, 3
SPECIALS = ("<pad>", "<unk>", "<s>", "</s>")
TASKS = ("dates", "reverse", "sort", "translate", "zh_digits", "digits_zh")
ALPHABETS = {"digits": "0123456789", "letters": "abcdefghijklmnopqrstuvwxyz"}
LEVEL = {"dates": "char", "reverse": "char", "sort": "char", "translate": "word",
         "zh_digits": "char", "digits_zh": "char"}
TASK_TITLES = {  # what each task does, for menus (translated where shown)
    "dates": N_("dates → ISO (3 May 1979 → 1979-05-03)"),
    "reverse": N_("reverse a string"),
    "sort": N_("sort a string"),
    "translate": N_("toy translation (verb-final, adj after noun)"),
    "zh_digits": N_("read Chinese numerals (三千零五 → 3005)"),
    "digits_zh": N_("write Chinese numerals (3005 → 三千零五)"),
}
TASK_NAMES = {"dates": N_("dates"), "reverse": N_("reversal"), "sort": N_("sorting"),
              "translate": N_("toy translation"), "zh_digits": N_("reading Chinese numerals"),
              "digits_zh": N_("writing Chinese numerals")}  # short names for sentences
UNITS = {"char": N_("characters"), "word": N_("words")}  # what an input length counts
CHINESE_OUTPUT = {"digits_zh"}  # tasks whose outputs are Chinese: BLEU on sacrebleu's "zh" tokens


class S2SVocab:
    """Token <-> id with the four specials first (``<pad>`` = 0, ``<unk>`` = 1, ...)."""

    def __init__(self, itos: Sequence[str]):
        itos = list(itos)
        if tuple(itos[:4]) != SPECIALS or len(set(itos)) != len(itos):
            raise ValueError(f"a vocabulary must start with {SPECIALS} and have no duplicates")
        self.itos, self.stoi = itos, {t: i for i, t in enumerate(itos)}

    @classmethod
    def build(cls, tokens: Sequence[str]) -> "S2SVocab":
        return cls(list(SPECIALS) + sorted(set(tokens) - set(SPECIALS)))

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __eq__(self, other: object) -> bool:
        return isinstance(other, S2SVocab) and self.itos == other.itos

    def encode(self, tokens: Sequence[str]) -> list[int]:
        return [self.stoi.get(t, UNK) for t in tokens]

    def decode(self, ids: Sequence[int], strip: bool = True) -> list[str]:
        """Tokens of ``ids``; with ``strip`` stops at ``</s>`` and drops the other specials."""
        out = []
        for i in ids:
            i = int(i)
            if strip and i == EOS:
                break
            if strip and i in (PAD, BOS):
                continue
            out.append(self.itos[i] if 0 <= i < len(self.itos) else SPECIALS[UNK])
        return out

    def to_dict(self) -> dict:
        return {"itos": list(self.itos)}

    @classmethod
    def from_dict(cls, d: dict) -> "S2SVocab":
        if not isinstance(d, dict) or not isinstance(d.get("itos"), list):
            raise ValueError("a vocabulary dict needs an 'itos' list")
        return cls([str(t) for t in d["itos"]])


def tokenize(text: str, level: str) -> list[str]:
    return list(text) if level == "char" else text.split()


def detokenize(tokens: Sequence[str], level: str) -> str:
    return "".join(tokens) if level == "char" else " ".join(tokens)


# ---- the task -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TaskSpec:
    """Which task, which input lengths (characters, or words for ``translate``), how much data."""

    name: str = "dates"
    min_len: int = 1
    max_len: int = 40
    alphabet: str = "digits"
    n_train: int = 20000
    n_test: int = 500
    seed: int = 0

    def check(self) -> None:
        if self.name not in TASKS:
            raise ValueError(f"unknown task {self.name!r}; choose one of {', '.join(TASKS)}")
        if self.alphabet not in ALPHABETS:
            raise ValueError(f"unknown alphabet {self.alphabet!r}; choose one of "
                             f"{', '.join(ALPHABETS)}")
        if not 1 <= self.min_len <= self.max_len:
            raise ValueError(_("the shortest input ({lo}) must be at least 1 and at most the "
                               "longest ({hi})").format(lo=self.min_len, hi=self.max_len))
        if self.n_train < 1 or self.n_test < 1:
            raise ValueError(f"n_train and n_test must be >= 1, got {self.n_train}, {self.n_test}")

    @property
    def level(self) -> str:
        return LEVEL[self.name]

    @property
    def bleu_level(self) -> str:
        """How BLEU tokenises outputs (``seqviz.attention.bleu``): "zh" for Chinese outputs
        (one token per Chinese character), else the task's level."""
        return "zh" if self.name in CHINESE_OUTPUT else self.level

    def sampler(self, length: int | None = None) -> Callable[[random.Random], tuple[str, str]]:
        """A function rng -> (source, target); ``length`` fixes the input length if possible."""
        if self.name in ("reverse", "sort"):
            chars = ALPHABETS[self.alphabet]
            if length is not None:
                return lambda rng: string_pair(rng, self.name, chars, length)
            return lambda rng: string_pair(rng, self.name, chars,
                                           rng.randint(self.min_len, self.max_len))
        return {"dates": date_pair, "translate": sentence_pair, "zh_digits": numerals.read_pair,
                "digits_zh": numerals.write_pair}[self.name]

    def tokens(self) -> tuple[set[str], set[str]]:
        if self.name == "dates":
            return date_tokens()
        if self.name == "translate":
            return translate_tokens()
        if self.name == "zh_digits":
            return numerals.numeral_tokens(), numerals.arabic_tokens()
        if self.name == "digits_zh":
            return numerals.arabic_tokens(), numerals.numeral_tokens()
        chars = set(ALPHABETS[self.alphabet])
        return chars, chars


@dataclass
class S2SData:
    """A built task: vocabularies and (source, target) string pairs; test inputs are unseen."""

    spec: TaskSpec
    src_vocab: S2SVocab
    tgt_vocab: S2SVocab
    train: list[tuple[str, str]]
    test: list[tuple[str, str]]

    @property
    def level(self) -> str:
        return self.spec.level

    @property
    def bleu_level(self) -> str:
        return self.spec.bleu_level

    @property
    def probe(self) -> tuple[str, str]:
        """A fixed, readable example from the held-out set (the longest of the first ten)."""
        return max(self.test[:10], key=lambda p: (len(tokenize(p[0], self.level)), p[0]))

    def encode_src(self, text: str) -> list[int]:
        return self.src_vocab.encode(tokenize(text, self.level))

    def encode_tgt(self, text: str) -> list[int]:
        return self.tgt_vocab.encode(tokenize(text, self.level))

    def decode_tgt(self, ids: Sequence[int]) -> str:
        return detokenize(self.tgt_vocab.decode(ids), self.level)

    def unknown_tokens(self, text: str) -> list[str]:
        """Input tokens the source vocabulary lacks (each once, in order)."""
        seen: list[str] = []
        for tok in tokenize(text, self.level):
            if tok not in self.src_vocab and tok not in seen:
                seen.append(tok)
        return seen


def _draw(sample: Callable, rng: random.Random, spec: TaskSpec, n: int, exclude: set[str],
          unique: bool, length: int | None = None) -> list[tuple[str, str]]:
    """Up to n pairs whose input length fits and whose source is not in ``exclude``."""
    out, seen, attempts = [], set(), 0
    lo, hi = (length, length) if length is not None else (spec.min_len, spec.max_len)
    while len(out) < n and attempts < 50 * n + 1000:
        attempts += 1
        src, tgt = sample(rng)
        if not lo <= len(tokenize(src, spec.level)) <= hi or src in exclude:
            continue
        if unique and src in seen:
            continue
        seen.add(src)
        out.append((src, tgt))
    return out


def length_range(name: str) -> tuple[int, int]:
    """The input lengths a task can produce at all (characters or words)."""
    if name == "dates":
        day = dt.date(2023, 9, 27)  # lengths hardly vary with the date; measure a long one
        lengths = [len(format_date(d, f)) for f in DATE_FORMATS
                   for d in (dt.date(2001, 5, 1), day)]
        return min(lengths), max(lengths)
    if name == "zh_digits":
        return 1, 2 * numerals.MAX_DIGITS - 1
    if name == "digits_zh":
        return 1, numerals.MAX_DIGITS
    return (5, 29) if name == "translate" else (1, 10_000)


def build_task(spec: TaskSpec) -> S2SData:
    """Generate the training and held-out pairs; raises ValueError for impossible settings."""
    spec.check()
    lo, hi = length_range(spec.name)
    if spec.max_len < lo or spec.min_len > hi:
        raise ValueError(_("{task} inputs are {lo} to {hi} {unit} long; the range {min}-{max} "
                           "contains none of them").format(
            task=_(TASK_NAMES[spec.name]), lo=lo, hi=hi, unit=_(UNITS[spec.level]),
            min=spec.min_len, max=spec.max_len))
    rng = random.Random(f"{spec.name}-{spec.alphabet}-{spec.seed}")
    sample = spec.sampler()
    test = _draw(sample, rng, spec, spec.n_test, set(), unique=True)
    train = _draw(sample, rng, spec, spec.n_train, {s for s, _ in test}, unique=False)
    if not test or not train:
        raise ValueError(_("too few distinct {task} inputs of length {min}-{max} for a "
                           "training and a held-out set; widen the range").format(
            task=_(TASK_NAMES[spec.name]), min=spec.min_len, max=spec.max_len))
    src_tokens, tgt_tokens = spec.tokens()
    return S2SData(spec, S2SVocab.build(src_tokens), S2SVocab.build(tgt_tokens), train, test)


def examples_by_length(data: S2SData, lengths: Sequence[int], per_length: int,
                       seed: int = 1) -> dict[int, list[tuple[str, str]]]:
    """Fresh held-out pairs per input length (none of them in the training set)."""
    rng = random.Random(f"by-length-{seed}")
    exclude = {s for s, _ in data.train}
    spec = data.spec
    return {n: _draw(spec.sampler(n), rng, spec, per_length, exclude, unique=True, length=n)
            for n in lengths}


# ---- batches ------------------------------------------------------------------------------------
@dataclass
class Batch:
    src: torch.Tensor  # (B, S) source ids, right-padded with <pad>
    src_lengths: torch.Tensor  # (B,) true source lengths
    tgt_in: torch.Tensor  # (B, T) <s> y_1 ... y_n, padded: the decoder's teacher-forced input
    tgt_out: torch.Tensor  # (B, T) y_1 ... y_n </s>, padded: what it must predict


def pad(seqs: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad id lists with <pad>; returns (ids (B, S_max), lengths (B,))."""
    lengths = torch.tensor([max(len(s), 1) for s in seqs], dtype=torch.long)
    out = torch.full((len(seqs), int(lengths.max())), PAD, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.as_tensor(list(s), dtype=torch.long)
    return out, lengths


def make_batch(data: S2SData, pairs: Sequence[tuple[str, str]]) -> Batch:
    src, lengths = pad([data.encode_src(s) for s, _ in pairs])
    tgt = [data.encode_tgt(t) for _, t in pairs]
    tgt_in, _ = pad([[BOS] + y for y in tgt])
    tgt_out, _ = pad([y + [EOS] for y in tgt])
    return Batch(src, lengths, tgt_in, tgt_out)


class S2SBatches:
    """Random training batches (with replacement) from a seeded generator: ``next() -> Batch``."""

    def __init__(self, data: S2SData, batch_size: int, seed: int = 0):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.data, self.batch_size = data, int(batch_size)
        self.rng = np.random.default_rng(seed)

    def next(self) -> Batch:
        idx = self.rng.integers(0, len(self.data.train), self.batch_size)
        return make_batch(self.data, [self.data.train[i] for i in idx])

    def state_dict(self) -> dict:
        return self.rng.bit_generator.state

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state
