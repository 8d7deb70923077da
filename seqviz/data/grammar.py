"""A small probabilistic grammar with known word categories, built so analogies are learnable.

Word2vec (Mikolov et al. 2013) learns ``king - man + woman ≈ queen`` when a word's contexts are
(approximately) the union of independent "feature" contexts. The grammar encodes exactly that:

- every gendered person word belongs to a (male, female) pair; both members share the pair's
  own profile (places, verbs, objects, adjectives: a king and a queen rule in the castle and
  keep a crown, a man and a woman work in the village and carry tools), and differ only in the
  gender-marked words around them (``he``/``his`` versus ``she``/``her``);
- every animal has a singular and a plural form that share the animal's colours, foods and
  places, and differ only in number marking (``a``/``one``/``eats`` versus
  ``three``/``many``/``eat``).

So ``vec(king) - vec(man) ≈ vec(queen) - vec(woman)`` (royal profile minus common profile) and
``vec(dogs) - vec(dog) ≈ vec(cats) - vec(cat)`` (plural minus singular). Choices are weighted
(Zipf-like, not uniform) so word frequencies vary as in real text. Output: one sentence per
line, lowercase, words separated by single spaces, ending in ``" ."``.
"""

from __future__ import annotations

import itertools
import random

# (male, female, places, intransitive verbs, objects, adjectives): both members share a profile.
_PAIRS = [
    ("king", "queen", ["castle", "palace", "kingdom"], ["rules", "reigns", "sits"],
     ["crown", "throne", "jewels"], ["wise", "proud", "old"]),
    ("prince", "princess", ["castle", "palace", "forest"], ["rides", "dances", "hunts"],
     ["sword", "crown", "shield"], ["young", "brave", "proud"]),
    ("man", "woman", ["village", "market", "town"], ["works", "walks", "waits"],
     ["tools", "cart", "coat"], ["strong", "tired", "busy"]),
    ("boy", "girl", ["school", "village", "field"], ["plays", "runs", "laughs"],
     ["ball", "kite", "toy"], ["small", "young", "happy"]),
    ("father", "mother", ["house", "kitchen", "garden"], ["cooks", "works", "rests"],
     ["children", "house", "keys"], ["kind", "tired", "gentle"]),
    ("brother", "sister", ["house", "school", "garden"], ["reads", "plays", "sings"],
     ["book", "ball", "bike"], ["clever", "young", "funny"]),
    ("uncle", "aunt", ["town", "market", "farm"], ["visits", "travels", "sells"],
     ["hat", "letter", "cart"], ["old", "funny", "kind"]),
    ("son", "daughter", ["farm", "field", "house"], ["helps", "works", "grows"],
     ["shovel", "book", "tools"], ["young", "strong", "quiet"]),
    ("husband", "wife", ["house", "market", "church"], ["sings", "cooks", "prays"],
     ["ring", "house", "letter"], ["happy", "quiet", "kind"]),
]

# (singular, plural, colours, foods, places): both forms share the animal's profile.
_ANIMALS = [
    ("dog", "dogs", ["brown", "black", "white"], ["meat", "bones", "bread"], ["house", "farm"]),
    ("cat", "cats", ["black", "white", "grey"], ["fish", "milk", "meat"], ["house", "garden"]),
    ("fox", "foxes", ["red", "brown"], ["berries", "eggs", "insects"], ["forest", "field"]),
    ("wolf", "wolves", ["grey", "black"], ["meat", "bones"], ["forest", "mountain"]),
    ("horse", "horses", ["brown", "white", "black"], ["hay", "apples", "carrots"],
     ["field", "farm"]),
    ("cow", "cows", ["black", "white", "brown"], ["grass", "hay"], ["field", "farm"]),
    ("rabbit", "rabbits", ["white", "grey", "brown"], ["carrots", "grass", "lettuce"],
     ["garden", "field"]),
    ("bird", "birds", ["blue", "yellow", "red"], ["seeds", "berries", "worms"],
     ["tree", "garden"]),
    ("bear", "bears", ["brown", "black"], ["honey", "fish", "berries"], ["forest", "mountain"]),
    ("mouse", "mice", ["grey", "brown", "white"], ["cheese", "seeds", "bread"],
     ["house", "kitchen"]),
]

_NUMBERS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
_PEOPLE_FOODS = ["bread", "soup", "cheese", "apples", "cake", "fish", "eggs", "honey"]
_TRANSITIVE = ["has", "carries", "finds", "keeps", "loves", "loses"]
_ANIMAL_VERBS = [("sleeps", "sleep"), ("lives", "live"), ("runs", "run"), ("hides", "hide")]
_FUNCTION = ["the", "a", "in", "is", "are", "he", "she", "his", "her", "that", "many", "some",
             "."]

GENDER_PAIRS: list[tuple[str, str]] = [(p[0], p[1]) for p in _PAIRS]
PLURAL_PAIRS: list[tuple[str, str]] = [(a[0], a[1]) for a in _ANIMALS]


def _analogies(pairs: list[tuple[str, str]]) -> list[tuple[str, str, str, str]]:
    # (x1, y1), (x2, y2) -> x1 - x2 + y2 ≈ y1, e.g. king - man + woman ≈ queen.
    return [(p[0], q[0], q[1], p[1]) for p, q in itertools.permutations(pairs, 2)]


# a - b + c ≈ d; gender analogies first, then singular/plural ones.
ANALOGIES: list[tuple[str, str, str, str]] = _analogies(GENDER_PAIRS) + _analogies(PLURAL_PAIRS)


def _unique(words) -> list[str]:
    return list(dict.fromkeys(words))


CATEGORIES: dict[str, list[str]] = {
    "royalty": _unique(w for p in _PAIRS[:2] for w in p[:2]),
    "person": _unique(w for p in _PAIRS[2:] for w in p[:2]),
    "animal": _unique(w for a in _ANIMALS for w in a[:2]),
    "colour": _unique(c for a in _ANIMALS for c in a[2]),
    "number": list(_NUMBERS),
    "food": _unique([f for a in _ANIMALS for f in a[3]] + _PEOPLE_FOODS),
    "place": _unique([pl for p in _PAIRS for pl in p[2]] + [pl for a in _ANIMALS for pl in a[4]]),
    "object": _unique(o for p in _PAIRS for o in p[4]),
    "verb": _unique([v for p in _PAIRS for v in p[3]] + _TRANSITIVE + ["eats", "eat", "said"]
                    + [v for pair in _ANIMAL_VERBS for v in pair]),
    "adjective": _unique(a for p in _PAIRS for a in p[5]),
    "function": list(_FUNCTION),
}

# A word can appear in two lists (e.g. "mice" is an animal and a food, "dog" an object);
# word_category reports the first category in CATEGORIES order.
_CATEGORY_OF: dict[str, str] = {}
for _cat, _words in CATEGORIES.items():
    for _w in _words:
        _CATEGORY_OF.setdefault(_w, _cat)


def word_category(word: str) -> str | None:
    """The category of a grammar word (``"royalty"``, ``"animal"``, ...), or ``None``."""
    return _CATEGORY_OF.get(word)


class _Picker:
    """Zipf-weighted choices: the i-th item of a list has weight 1 / (i + 1)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self._cum: dict[int, list[float]] = {}

    def __call__(self, items):
        n = len(items)
        if n not in self._cum:
            self._cum[n] = list(itertools.accumulate(1.0 / (i + 1) for i in range(n)))
        return self.rng.choices(items, cum_weights=self._cum[n])[0]


def _person_sentence(pick: _Picker, rng: random.Random) -> list[str]:
    male, female, places, verbs, objects, adjs = pick(_PAIRS)
    is_male = rng.random() < 0.5
    who, pron, poss = (male, "he", "his") if is_male else (female, "she", "her")
    kind = rng.choices(range(6), weights=[3, 2, 3, 1.5, 1, 1.5])[0]
    if kind == 0:
        return ["the", who, pick(verbs), "in", "the", pick(places)]
    if kind == 1:
        return [pron, "is", "a", pick(adjs), who]
    if kind == 2:
        return ["the", who, pick(_TRANSITIVE), poss, pick(objects)]
    if kind == 3:
        animal = pick(_ANIMALS)
        number = pick(_NUMBERS)
        owned = [number, animal[1]] if number != "one" else ["a", animal[0]]
        return ["the", pick(adjs), who, "has"] + owned
    if kind == 4:
        return ["the", who, "eats", pick(_PEOPLE_FOODS), "in", "the", pick(places)]
    return ["the", who, "said", "that", pron, pick(verbs), "in", "the", pick(places)]


def _animal_sentence(pick: _Picker, rng: random.Random) -> list[str]:
    sing, plur, colours, foods, places = pick(_ANIMALS)
    verb_sg, verb_pl = pick(_ANIMAL_VERBS)
    plural = rng.random() < 0.5
    kind = rng.randrange(4)
    if not plural:
        det = pick(["the", "a", "one"])
        if kind == 0:
            return [det, pick(colours), sing, verb_sg, "in", "the", pick(places)]
        if kind == 1:
            return [det, sing, "eats", pick(foods)]
        if kind == 2:
            return ["the", sing, "eats", pick(foods), "in", "the", pick(places)]
        return ["the", sing, "is", pick(colours)]
    det = pick(_NUMBERS[1:] + ["many", "some", "the"])
    if kind == 0:
        return [det, pick(colours), plur, verb_pl, "in", "the", pick(places)]
    if kind == 1:
        return [det, plur, "eat", pick(foods)]
    if kind == 2:
        return ["the", plur, "eat", pick(foods), "in", "the", pick(places)]
    return ["the", plur, "are", pick(colours)]


def generate_grammar_corpus(n_sentences: int = 20_000, seed: int = 0) -> str:
    """``n_sentences`` sentences, one per line; the same ``seed`` gives the same text."""
    if n_sentences < 0:
        raise ValueError(f"n_sentences must be >= 0, got {n_sentences}")
    rng = random.Random(seed)
    pick = _Picker(rng)
    lines = []
    for _ in range(n_sentences):
        make = _person_sentence if rng.random() < 0.55 else _animal_sentence
        lines.append(" ".join(make(pick, rng) + ["."]))
    return "\n".join(lines) + ("\n" if lines else "")
