"""Datasets of the sequence-tasks lesson: vocabulary, padding, batches, typed sentences."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import torch

from seqviz.i18n import N_, Msg
from seqviz.seqtasks.corpora import LABELS, TAGS, Example, reviews, tagged_sentences
from seqviz.seqtasks.models import PAD

UNK = 1
MAX_TYPED_CHARS = 300  # a typed sentence is cut before it costs anything
MAX_TYPED_TOKENS = 40
VAL_SIZE = 500
_TOKEN = re.compile(r"[\w']+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class TaskData:
    task: str  # "sentiment" | "tagging"
    itos: tuple[str, ...]  # id -> word; 0 <pad>, 1 <unk>
    classes: tuple[str, ...]  # LABELS or TAGS
    train: tuple[Example, ...]
    val: tuple[Example, ...]

    @property
    def stoi(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.itos)}

    def ids(self, tokens) -> list[int]:
        stoi = self.stoi
        return [stoi.get(t, UNK) for t in tokens]


def build_data(task: str, train_size: int, seed: int, lang: str = "en") -> TaskData:
    """Training examples from ``seed``, validation from another stream of the same generator
    (so they are the same kind of text, never the same draws). ``lang`` picks the reviews'
    language (the tagging grammar is English)."""
    if task not in ("sentiment", "tagging"):
        raise ValueError(f"unknown task {task!r}")
    if task == "sentiment":
        train, val = reviews(train_size, 1000 + seed, lang), reviews(VAL_SIZE, 999_983, lang)
    else:
        train, val = tagged_sentences(train_size, 1000 + seed), tagged_sentences(VAL_SIZE,
                                                                                  999_983)
    words = sorted({t for ex in train + val for t in ex.tokens})
    return TaskData(task, ("<pad>", "<unk>", *words), LABELS if task == "sentiment" else TAGS,
                    tuple(train), tuple(val))


def pad(batch: list[list[int]], fill: int = PAD) -> torch.Tensor:
    T = max(len(x) for x in batch)
    return torch.tensor([x + [fill] * (T - len(x)) for x in batch], dtype=torch.long)


def encode(data: TaskData, examples) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(ids (B, T), lengths (B,), labels (B,) or tags (B, T) with -100 at padding)."""
    ids = pad([data.ids(ex.tokens) for ex in examples])
    lengths = torch.tensor([len(ex.tokens) for ex in examples], dtype=torch.long)
    if data.task == "sentiment":
        labels = torch.tensor([ex.label for ex in examples], dtype=torch.long)
    else:
        labels = pad([list(ex.label) for ex in examples], fill=-100)
    return ids, lengths, labels


class Batches:
    """Random mini-batches of the training set; ``state_dict`` lets a divergence rewind it."""

    def __init__(self, data: TaskData, batch_size: int, seed: int):
        self.data, self.batch_size = data, int(batch_size)
        self.rng = random.Random(seed)

    def next(self):
        n = len(self.data.train)
        picks = [self.data.train[self.rng.randrange(n)] for _ in range(min(self.batch_size, n))]
        return encode(self.data, picks)

    def state_dict(self):
        return self.rng.getstate()

    def load_state_dict(self, state) -> None:
        self.rng.setstate(state)


_CJK = re.compile(r"[\u3400-\u9fff]")
_LONGEST = 4  # the longest Chinese word of the reviews, in characters


def _cut_chinese(run: str, vocab: frozenset[str]) -> list[str]:
    """Greedy longest match against the vocabulary (the reviews' words are at most four
    characters); a character no word starts with stays a token of its own."""
    out, i = [], 0
    while i < len(run):
        for n in range(min(_LONGEST, len(run) - i), 0, -1):
            if n == 1 or run[i:i + n] in vocab:
                out.append(run[i:i + n])
                i += n
                break
    return out


def typed_tokens(text: str, vocab: frozenset[str] = frozenset()) -> tuple[list[str], list[Msg]]:
    """Tokens of a typed sentence (lower-cased, words and punctuation; Chinese cut into the
    vocabulary's words), and notices: cut to ``MAX_TYPED_TOKENS``; an empty result is the
    caller's to refuse."""
    notices = []
    text = str(text)
    if len(text) > MAX_TYPED_CHARS:
        text = text[:MAX_TYPED_CHARS]
        notices.append(Msg(N_("Only the first {n} characters are used."), n=MAX_TYPED_CHARS))
    tokens = []
    for t in _TOKEN.findall(text.lower().replace(",", " , ").replace("，", " ， ")):
        if t in (".", "。"):
            continue
        tokens += _cut_chinese(t, vocab) if _CJK.search(t) else [t]
    if len(tokens) > MAX_TYPED_TOKENS:
        tokens = tokens[:MAX_TYPED_TOKENS]
        notices.append(Msg(N_("Only the first {n} words are used."), n=MAX_TYPED_TOKENS))
    return tokens, notices
