"""Example generators for the sequence-to-sequence tasks of ``seqviz.attention.tasks``.

Each generator draws one (source, target) string pair from a ``random.Random``; the tables
here also give each task's token sets. Every task has a known alignment, so an attention
heatmap can be checked by eye (Bahdanau, Cho and Bengio 2015, Fig. 3):

- dates: a human-written date ("Thursday, May 3rd 1979") and its ISO form ``1979-05-03``.
- strings: a random string and its reversal (anti-diagonal) or sorted copy (a permutation).
- translation: one synchronous grammar, two word orders (adjectives mirrored after the noun,
  postpositions, verb final), so the alignment crosses.

Pure Python: no torch, no streamlit; ``seqviz.attention.tasks`` builds the data sets from these.
"""

from __future__ import annotations

import datetime as dt
import random

# ---- dates ------------------------------------------------------------------------------------
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FIRST_DAY, LAST_DAY = dt.date(1950, 1, 1), dt.date(2049, 12, 31)


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st, 22nd, 23rd, 31st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _date_parts(d: dt.date) -> dict:
    m, w = MONTHS[d.month - 1], WEEKDAYS[d.weekday()]
    return dict(d=d.day, dd=f"{d.day:02d}", o=ordinal(d.day), m=d.month, mm=f"{d.month:02d}",
                M=m, Mon=m[:3], W=w, Wk=w[:3], Y=d.year, yy=f"{d.year % 100:02d}")


DATE_FORMATS = (
    "{d} {M} {Y}", "{W}, {M} {o} {Y}", "{dd}/{mm}/{yy}", "{M} {d}, {Y}", "{o} of {M} {Y}",
    "{dd}.{mm}.{Y}", "{Wk} {d} {Mon} {Y}", "{d} {Mon} {yy}", "{W} {d} {M} {Y}",
    "{dd}-{Mon}-{yy}", "{M} {o}, {Y}", "{d}/{m}/{Y}", "{W}, {d} {M} {Y}", "{Mon} {d} {Y}",
)


def format_date(d: dt.date, fmt: str) -> str:
    text = fmt.format(**_date_parts(d))
    return text.upper() if fmt == "{Mon} {d} {Y}" else text  # one all-caps style: "MAY 3 1979"


def date_pair(rng: random.Random) -> tuple[str, str]:
    day = FIRST_DAY + dt.timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
    return format_date(day, rng.choice(DATE_FORMATS)), day.isoformat()


def date_tokens() -> tuple[set[str], set[str]]:
    src = set("0123456789 ,./-")
    for word in MONTHS + WEEKDAYS + ("st", "nd", "rd", "th", "of"):
        src |= set(word) | set(word.upper())
    return src, set("0123456789-")


# ---- reverse and sort ---------------------------------------------------------------------------
def string_pair(rng: random.Random, task: str, alphabet: str, length: int) -> tuple[str, str]:
    s = "".join(rng.choice(alphabet) for _ in range(length))
    return s, s[::-1] if task == "reverse" else "".join(sorted(s))


# ---- toy translation: one synchronous grammar, two word orders ----------------------------------
DETERMINERS = {"the": "ka", "a": "na"}
NOUNS = {"dog": "wulu", "cat": "miso", "bird": "tipi", "fish": "nako", "man": "jono",
         "woman": "sela", "child": "pimu", "house": "dara", "tree": "ulo", "river": "mena",
         "ball": "boko", "book": "lema"}
ADJECTIVES = {"big": "mava", "small": "tiki", "red": "rusa", "green": "vedi", "old": "kolo",
              "happy": "hapi", "quick": "vizo", "black": "nera"}
VERBS = {"sees": "mira", "likes": "ama", "chases": "kura", "finds": "tova", "eats": "manja",
         "carries": "porta", "follows": "sega", "hears": "oda"}
PREPOSITIONS = {"in": "ni", "near": "pe", "with": "kon", "under": "su"}


def _noun_phrase(rng: random.Random, depth: int) -> tuple[list[str], list[str]]:
    """Det Adj* N (PP) in the source; Det N Adj*(mirrored) (PP') in the target."""
    det, noun = rng.choice(list(DETERMINERS)), rng.choice(list(NOUNS))
    adjs = rng.sample(list(ADJECTIVES), rng.choice((0, 0, 1, 1, 2)))
    src = [det] + adjs + [noun]
    tgt = [DETERMINERS[det], NOUNS[noun]] + [ADJECTIVES[a] for a in reversed(adjs)]
    if depth > 0 and rng.random() < 0.35:  # PP: "near the tree" -> "ka ulo pe"
        prep = rng.choice(list(PREPOSITIONS))
        inner_src, inner_tgt = _noun_phrase(rng, depth - 1)
        src += [prep] + inner_src
        tgt += inner_tgt + [PREPOSITIONS[prep]]
    return src, tgt


def sentence_pair(rng: random.Random) -> tuple[str, str]:
    """S -> NP V NP (source, SVO) ; NP NP V (target, verb final)."""
    subj_s, subj_t = _noun_phrase(rng, depth=2)
    obj_s, obj_t = _noun_phrase(rng, depth=2)
    verb = rng.choice(list(VERBS))
    return " ".join(subj_s + [verb] + obj_s), " ".join(subj_t + obj_t + [VERBS[verb]])


def translate_tokens() -> tuple[set[str], set[str]]:
    tables = (DETERMINERS, NOUNS, ADJECTIVES, VERBS, PREPOSITIONS)
    return {w for t in tables for w in t}, {w for t in tables for w in t.values()}
