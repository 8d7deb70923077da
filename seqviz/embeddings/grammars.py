"""What the two toy grammars teach on the embeddings page: their analogies (two relations each),
default probe words, the analogy drawn on the map, and the word categories the map is coloured
by (``category_of``; their names and colours are in ``categories``).

English (``seqviz.data.grammar``): gender (king − man + woman ≈ queen) and plural (dogs − dog +
cat ≈ cats). Chinese (``seqviz.data.grammar_zh``): gender (国王 − 男人 + 女人 ≈ 王后) and adult /
young (小狗 − 狗 + 猫 ≈ 小猫): Chinese marks no plural. Accuracy is top-1 3CosAdd (Mikolov, Yih
and Zweig 2013) over every ordered pair of pairs of a relation (72 + 90 analogies per grammar).
"""

from __future__ import annotations

from dataclasses import dataclass

from seqviz.data import grammar, grammar_zh
from seqviz.i18n import N_, _

Quad = tuple[str, str, str, str]

CORPUS_CHARS = {"grammar_zh": 160_000}  # ~20k sentences, ~80k words: the English grammar's size
#   (its 400k default characters are 50k Chinese sentences: 2.7x the words to segment)


@dataclass(frozen=True)
class Relation:
    key: str  # "gender", "plural", "young"
    name: str  # N_-marked, translated where shown
    pairs: tuple[tuple[str, str], ...]  # (x, y): x − x' + y' ≈ y
    example: str  # an analogy of the relation, in the corpus's own words (data, not translated)


@dataclass(frozen=True)
class Teaching:
    """One grammar's analogies and defaults."""

    analogies: tuple[Quad, ...]
    relations: tuple[Relation, Relation]
    probes: tuple[str, ...]  # default probe words (nearest neighbours while it trains)
    query: tuple[str, str, str]  # the analogy a − b + c drawn on the map by default

    def relation_of(self, quad: Quad) -> str:
        """The key of the relation whose pairs hold (a, d), or "other"."""
        for r in self.relations:
            if (quad[0], quad[3]) in r.pairs:
                return r.key
        return "other"

    def label(self, key: str) -> str:
        """A relation's line label, e.g. "gender (king − man + woman)", translated."""
        r = next(r for r in self.relations if r.key == key)
        return _("{relation} ({example})").format(relation=_(r.name), example=r.example)


TEACHING: dict[str, Teaching] = {
    "grammar": Teaching(
        tuple(grammar.ANALOGIES),
        (Relation("gender", N_("gender"), tuple(grammar.GENDER_PAIRS), "king − man + woman"),
         Relation("plural", N_("plural"), tuple(grammar.PLURAL_PAIRS), "dogs − dog + cat")),
        ("king", "dog", "red", "three"), ("king", "man", "woman")),
    "grammar_zh": Teaching(
        tuple(grammar_zh.ANALOGIES),
        (Relation("gender", N_("gender"), tuple(grammar_zh.GENDER_PAIRS), "国王 − 男人 + 女人"),
         Relation("young", N_("adult → young"), tuple(grammar_zh.YOUNG_PAIRS), "小狗 − 狗 + 猫")),
        ("国王", "狗", "红色", "三"), ("国王", "男人", "女人")),
}

def category_of(word: str) -> str | None:
    """The category of a word of either grammar (``"royalty"``, ``"animal"`` …), or None."""
    return grammar.word_category(word) or grammar_zh.word_category(word)
