"""Generated corpora for the sequence-tasks lesson: reviews to classify, sentences to tag.

**Reviews (many-to-one).** A review is one or two clauses ``the <aspect> was [not] <adjective>``
joined so that only order and scope decide the label: ``not`` flips a clause, ``although A , B``
and ``A but B`` are decided by B, ``A , although B`` by A (the deciding word far from the end),
and a neutral tail (``… when we visited on a rainy day``) may push it further away. Two-clause
reviews always pair a positive and a negative clause, so the words of a review say little about
its label: a bag-of-words classifier stays far below a recurrent one (measured in the tests).

The Chinese reviews (``lang="zh"``, for the page in Chinese) are built the same way: ``不``
negates, ``虽然 A ， 但是 B`` and ``A ， 但是 B`` are decided by B, ``A ， 虽然 B`` by A; a
neutral phrase (``我们 去 的 时候 …``) may come first, so the deciding word is never the first.

**Tags (aligned many-to-many).** The toy grammar (``seqviz.data.grammar``) tags each word with
its category (royalty, person, animal, colour, …). Determiners are tagged with the number of
the noun they introduce: ``the`` is ``det-sg`` in ``the brown dog`` and ``det-pl`` in ``the
brown dogs``. That tag depends on words to the *right*, so a left-to-right tagger can only
guess it from the prior, while a bidirectional one sees the noun.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from seqviz.data.grammar import CATEGORIES, PLURAL_PAIRS, generate_grammar_corpus, word_category

# ---- reviews -------------------------------------------------------------------------------
ASPECTS = ["food", "service", "staff", "room", "music", "coffee", "view", "price", "bed",
           "waiter"]
POSITIVE = ["good", "great", "excellent", "lovely", "friendly", "superb", "fine", "nice"]
NEGATIVE = ["bad", "terrible", "awful", "rude", "slow", "poor", "dirty", "bland"]
TAILS = [["when", "we", "visited"], ["on", "a", "rainy", "day"], ["last", "week"],
         ["for", "my", "birthday"], ["with", "my", "family", "on", "a", "sunday"],
         ["during", "our", "short", "trip"], ["as", "far", "as", "i", "remember"]]
LABELS = ("negative", "positive")  # label index 0 / 1
KINDS = ("plain", "negated", "although-first", "although-second", "but")


def _clause(rng: random.Random, value: int, negate: bool) -> list[str]:
    """``the <aspect> was [not] <adjective>`` whose meaning is ``value`` (1 good, 0 bad)."""
    word_good = value != negate  # "not bad" is good
    adj = rng.choice(POSITIVE if word_good else NEGATIVE)
    return ["the", rng.choice(ASPECTS), "was"] + (["not"] if negate else []) + [adj]


def review(rng: random.Random) -> tuple[list[str], int, str]:
    """(tokens, label, kind): one generated review."""
    kind = rng.choice(KINDS)
    label = rng.randrange(2)
    if kind in ("plain", "negated"):
        tokens = _clause(rng, label, kind == "negated" or rng.random() < 0.3)
    else:
        decide = _clause(rng, label, rng.random() < 0.3)
        other = _clause(rng, 1 - label, rng.random() < 0.3)
        if kind == "although-first":  # although <other> , <decide>
            tokens = ["although"] + other + [","] + decide
        elif kind == "although-second":  # <decide> , although <other>
            tokens = decide + [",", "although"] + other
        else:  # <other> but <decide>
            tokens = other + ["but"] + decide
    if rng.random() < 0.5:
        tokens = tokens + rng.choice(TAILS)
    return tokens, label, kind


@dataclass(frozen=True)
class Example:
    tokens: tuple[str, ...]
    label: int | tuple[int, ...]  # a class (reviews) or one tag per token (tagging)
    kind: str = ""


# Chinese reviews, already cut into words: the same constructions (不 negates, 虽然 A ， 但是 B
# and A ， 但是 B are decided by B, A ， 虽然 B by A), the same balance of good and bad clauses.
ASPECTS_ZH = ["菜", "服务", "服务员", "房间", "音乐", "咖啡", "风景", "价格", "床", "环境"]
POSITIVE_ZH = ["好", "好吃", "热情", "干净", "舒服", "便宜", "漂亮", "安静"]
NEGATIVE_ZH = ["差", "难吃", "冷淡", "脏", "吵", "贵", "慢", "糟糕"]
TAILS_ZH = [["那天", "晚上"], ["我们", "去", "的", "时候"], ["上", "个", "星期"],
            ["我", "过", "生日", "那天"], ["和", "家人", "一起", "去", "的", "那次"],
            ["这次", "短", "途", "旅行", "中"], ["据", "我", "所", "记得"]]


def _clause_zh(rng: random.Random, value: int, negate: bool) -> list[str]:
    """``<aspect> 很 <adjective>`` or ``<aspect> 不 <adjective>`` meaning ``value``."""
    word_good = value != negate  # 不差 is good
    adj = rng.choice(POSITIVE_ZH if word_good else NEGATIVE_ZH)
    return [rng.choice(ASPECTS_ZH), "不" if negate else "很", adj]


def review_zh(rng: random.Random) -> tuple[list[str], int, str]:
    """(words, label, kind): one generated Chinese review."""
    kind = rng.choice(KINDS)
    label = rng.randrange(2)
    if kind in ("plain", "negated"):
        tokens = _clause_zh(rng, label, kind == "negated" or rng.random() < 0.3)
    else:
        decide = _clause_zh(rng, label, rng.random() < 0.3)
        other = _clause_zh(rng, 1 - label, rng.random() < 0.3)
        if kind == "although-first":
            tokens = ["虽然"] + other + ["，", "但是"] + decide
        elif kind == "although-second":
            tokens = decide + ["，", "虽然"] + other
        else:
            tokens = other + ["，", "但是"] + decide
    if rng.random() < 0.5:
        tokens = rng.choice(TAILS_ZH) + tokens
    return tokens, label, kind


def reviews(n: int, seed: int, lang: str = "en") -> list[Example]:
    """``n`` reviews in English or (``lang="zh"``) Chinese."""
    make = review_zh if lang == "zh" else review
    rng = random.Random(seed)
    out = []
    for _ in range(int(n)):
        tokens, label, kind = make(rng)
        out.append(Example(tuple(tokens), label, kind))
    return out


# ---- tagging -------------------------------------------------------------------------------
TAGS = ("det-sg", "det-pl", "royalty", "person", "animal", "colour", "number", "food", "place",
        "object", "verb", "adjective", "pronoun", "other")
RIGHT_CONTEXT_TAGS = ("det-sg", "det-pl")  # decided by the noun to the right
_PLURAL_NOUNS = {p for _s, p in PLURAL_PAIRS}
_DETERMINERS = {"the"}
_PRONOUNS = {"he", "she", "his", "her"}


def _noun_number(words: list[str], i: int) -> str:
    """The number of the first noun at or after position i ("sg" / "pl")."""
    for w in words[i:]:
        cat = word_category(w)
        if cat in ("royalty", "person", "animal", "place", "object", "food"):
            return "pl" if w in _PLURAL_NOUNS or (cat == "food" and w.endswith("s")) else "sg"
    return "sg"


def tag_sentence(words: list[str]) -> list[str]:
    """The tag of every word (see the module docstring)."""
    tags = []
    for i, w in enumerate(words):
        if w in _DETERMINERS:
            tags.append("det-" + _noun_number(words, i + 1))
        elif w in _PRONOUNS:
            tags.append("pronoun")
        else:
            cat = word_category(w)
            tags.append(cat if cat in TAGS else "other")
    return tags


def tagged_sentences(n: int, seed: int) -> list[Example]:
    """``n`` grammar sentences (without the final full stop) with their tags."""
    lines = generate_grammar_corpus(int(n), seed=seed).splitlines()
    out = []
    for line in lines:
        words = [w for w in line.split() if w != "."]
        out.append(Example(tuple(words), tuple(TAGS.index(t) for t in tag_sentence(words))))
    return out


GRAMMAR_WORDS = sorted({w for ws in CATEGORIES.values() for w in ws if w != "."})
