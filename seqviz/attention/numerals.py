"""Chinese numerals for two character-level tasks: reading them (三千零五 -> 3005) and writing them
(3005 -> 三千零五).

The canonical reading follows the usual rules: a run of zeros inside the number is read as one
零 (三千零五 = 3005), trailing zeros are not read (三千 = 3000), a 零 joins a group of 万 or 亿
to a following group under 1000 or across an empty group (三万零五百 = 30500, 八亿零九千 =
800009000), and 10-19 at the start of a number are 十X (十五万 = 150000, but 一百一十 = 110).
It is written here because ``cn2an.an2cn`` (0.5.24) drops that last kind of 零 (800009643 ->
八亿九千六百四十三, which its own parser then refuses); the tests read every generated numeral
back with ``cn2an.cn2an``.
Sources of the reading task also come in two everyday variants the model must learn as well:
两 for a 2 before 百 or 千 and at the start before 万 or 亿 (两千零五 = 2005, 两万 = 20000), and
digit-by-digit readings with 〇 as years and codes are read (二〇二四 = 2024). Targets of the
writing task are always the canonical reading, so every input has one right answer.

The alignment is not monotone in characters: the digits of 3005 come from 三, 千 (which fixes the
length) and 零 and 五, so an attention heatmap shows which character each digit is read from.
Numbers have 1 to 12 digits (under 一万亿); zeros are drawn more often than other digits, so
零 appears often. Pure Python; ``cn2an`` is imported when a task is built, not with the app.
"""

from __future__ import annotations

import random
import re

DIGITS = "零一二三四五六七八九"
UNITS = "十百千万亿"
MAX_DIGITS = 12  # numbers below 10**12: up to 23 characters (九千九百九十九亿九千…九百九十九)
ZERO_SHARE = 0.35  # chance that a digit after the first is 0
COLLOQUIAL_SHARE = 0.5  # readings that say 两 where it fits
DIGIT_BY_DIGIT_SHARE = 0.15  # readings digit by digit (二〇二四)

_LIANG = (re.compile("二(?=[百千])"), re.compile("^二(?=[万亿])"))


def draw_number(rng: random.Random) -> int:
    """1 to 12 digits (uniformly many), the first 1-9, later ones 0 with ``ZERO_SHARE``."""
    n_digits = rng.randint(1, MAX_DIGITS)
    digits = [rng.randint(1, 9)] + [0 if rng.random() < ZERO_SHARE else rng.randint(1, 9)
                                    for _unused in range(n_digits - 1)]
    return int("".join(map(str, digits)))


def _group(g: int, leading: bool) -> str:
    """One group of four digits (1-9999): 3005 -> 三千零五; ``leading``: 15 -> 十五, else 一十五."""
    out, zero = "", False
    for d, unit in zip((g // 1000, g // 100 % 10, g // 10 % 10, g % 10), ("千", "百", "十", "")):
        if d == 0:
            zero = zero or bool(out)  # a zero after a digit: 零 before the next digit, if any
            continue
        if zero:
            out, zero = out + "零", False
        out += unit if (unit == "十" and d == 1 and leading and not out) else DIGITS[d] + unit
    return out


def canonical(n: int) -> str:
    """The standard reading of ``n`` (0 <= n < 10**12): 3005 -> 三千零五."""
    if not 0 <= n < 10**MAX_DIGITS:
        raise ValueError(f"numbers must be 0 to {10**MAX_DIGITS - 1}, got {n}")
    if n == 0:
        return DIGITS[0]
    out, gap = "", False
    for g, unit in ((n // 10**8, "亿"), (n // 10**4 % 10**4, "万"), (n % 10**4, "")):
        if g == 0:
            gap = gap or bool(out)  # an empty group inside the number
            continue
        if out and (gap or g < 1000):
            out += "零"
        out, gap = out + _group(g, leading=not out) + unit, False
    return out


def colloquial(reading: str) -> str:
    """The same reading with 两 where speakers say it: 二千 -> 两千, 二百 -> 两百, and 二万 /
    二亿 at the start (not in 十二万, where the 二 is a units digit)."""
    for pattern in _LIANG:
        reading = pattern.sub("两", reading)
    return reading


def digit_by_digit(n: int) -> str:
    """2024 -> 二〇二四 (how years and codes are read)."""
    return "".join("〇" if d == "0" else DIGITS[int(d)] for d in str(n))


def read_pair(rng: random.Random) -> tuple[str, str]:
    """(Chinese reading, Arabic digits): canonical, colloquial (两) or digit by digit."""
    n = draw_number(rng)
    style = rng.random()
    if style < DIGIT_BY_DIGIT_SHARE and n >= 10:
        return digit_by_digit(n), str(n)
    reading = canonical(n)
    if style < DIGIT_BY_DIGIT_SHARE + COLLOQUIAL_SHARE:
        reading = colloquial(reading)
    return reading, str(n)


def write_pair(rng: random.Random) -> tuple[str, str]:
    """(Arabic digits, canonical Chinese reading)."""
    n = draw_number(rng)
    return str(n), canonical(n)


def numeral_tokens() -> set[str]:
    return set(DIGITS + UNITS + "两〇")


def arabic_tokens() -> set[str]:
    return set("0123456789")
