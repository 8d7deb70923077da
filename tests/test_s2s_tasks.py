"""Generated seq2seq tasks: right targets, true weekdays, vocabularies, held-out split, padding."""

import datetime as dt
import re

import pytest
import torch

from seqviz.attention.generators import (ADJECTIVES, DATE_FORMATS, NOUNS, PREPOSITIONS, VERBS,
                                         format_date, ordinal)
from seqviz.attention.tasks import (BOS, EOS, PAD, SPECIALS, UNK, S2SBatches, S2SVocab, TaskSpec,
                                    build_task, examples_by_length, make_batch, pad, tokenize)

SMALL = dict(n_train=400, n_test=60)


def _weekday_of(text: str) -> str | None:
    m = re.match(r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tue|Wed|Thu|"
                 r"Fri|Sat|Sun)\b", text)
    return m.group(1) if m else None


def test_the_issue_examples():
    d = dt.date(1979, 5, 3)
    made = {format_date(d, f) for f in DATE_FORMATS}
    assert {"3 May 1979", "Thursday, May 3rd 1979", "03/05/79"} <= made
    assert ordinal(1) == "1st" and ordinal(2) == "2nd" and ordinal(11) == "11th"
    assert ordinal(22) == "22nd" and ordinal(13) == "13th" and ordinal(31) == "31st"


def test_dates_targets_and_weekdays_are_true():
    data = build_task(TaskSpec("dates", 1, 40, n_train=2000, n_test=100))
    assert len({f for f in DATE_FORMATS}) == len(DATE_FORMATS) >= 10
    with_weekday = 0
    for src, iso in data.train + data.test:
        day = dt.date.fromisoformat(iso)
        assert dt.date(1950, 1, 1) <= day <= dt.date(2049, 12, 31)
        wd = _weekday_of(src)
        if wd:
            with_weekday += 1
            assert day.strftime("%A").startswith(wd), (src, iso)
        assert str(day.year) in src or f"{day.year % 100:02d}" in src
    assert with_weekday > 100


def test_reverse_and_sort_targets():
    for name, fn in (("reverse", lambda s: s[::-1]), ("sort", lambda s: "".join(sorted(s)))):
        for alphabet, chars in (("digits", set("0123456789")), ("letters", set("abcxyz"))):
            data = build_task(TaskSpec(name, 3, 9, alphabet, **SMALL))
            for src, tgt in data.train + data.test:
                assert tgt == fn(src) and 3 <= len(src) <= 9
            if alphabet == "digits":
                assert set("".join(s for s, _ in data.train)) <= chars


def test_translation_word_order_crosses():
    data = build_task(TaskSpec("translate", 5, 12, **SMALL))
    inverse = {v: k for table in (NOUNS, ADJECTIVES, VERBS, PREPOSITIONS) for k, v in table.items()}
    for src, tgt in data.train[:200]:
        s, t = src.split(), tgt.split()
        assert len(s) == len(t) and 5 <= len(s) <= 12
        assert t[-1] in VERBS.values() and inverse[t[-1]] in s  # verb final
        verb_pos = next(i for i, w in enumerate(s) if w in VERBS)
        assert 0 < verb_pos < len(s) - 1  # the source verb is in the middle (SVO)
        for i, w in enumerate(s[:-1]):  # adjective before the noun -> after it
            if w in ADJECTIVES and s[i + 1] in NOUNS:
                ti = t.index(NOUNS[s[i + 1]])
                assert ADJECTIVES[w] in t[ti + 1:]
    assert any(len(t.split()) >= 10 for _, t in data.train)


def test_held_out_inputs_are_unseen_and_seeded():
    spec = TaskSpec("reverse", 4, 8, **SMALL)
    a, b = build_task(spec), build_task(spec)
    assert a.train == b.train and a.test == b.test
    assert not {s for s, _ in a.test} & {s for s, _ in a.train}
    assert len({s for s, _ in a.test}) == len(a.test)
    assert build_task(TaskSpec("reverse", 4, 8, seed=1, **SMALL)).test != a.test
    by_len = examples_by_length(a, [4, 6, 12], per_length=10)
    assert all(len(s) == n for n in (4, 6, 12) for s, _ in by_len[n])
    assert not {s for p in by_len.values() for s, _ in p} & {s for s, _ in a.train}


def test_vocabularies_and_batches():
    data = build_task(TaskSpec("dates", 8, 30, **SMALL))
    for vocab in (data.src_vocab, data.tgt_vocab):
        assert tuple(vocab.itos[:4]) == SPECIALS and vocab.stoi["<pad>"] == PAD == 0
        assert S2SVocab.from_dict(vocab.to_dict()) == vocab
    assert (PAD, UNK, BOS, EOS) == (0, 1, 2, 3)
    assert set(data.tgt_vocab.itos[4:]) == set("0123456789-")
    assert data.unknown_tokens("3 May 1979 ❤ ❤ Q") == ["❤", "Q"]
    assert data.encode_src("❤")[0] == UNK
    pairs = data.train[:5]
    b = make_batch(data, pairs)
    assert b.src.shape == (5, max(len(s) for s, _ in pairs))
    for i, (s, t) in enumerate(pairs):
        n = len(s)
        assert b.src_lengths[i] == n and (b.src[i, n:] == PAD).all() and (b.src[i, :n] != PAD).all()
        assert data.decode_tgt(b.tgt_out[i].tolist()) == t
        assert b.tgt_in[i, 0] == BOS and b.tgt_out[i, len(t)] == EOS
        assert torch.equal(b.tgt_in[i, 1: len(t) + 1], b.tgt_out[i, : len(t)])
    ids, lengths = pad([[5, 6, 7], [8]])
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]] and lengths.tolist() == [3, 1]
    one, two = S2SBatches(data, 8, seed=3), S2SBatches(data, 8, seed=3)
    assert torch.equal(one.next().src, two.next().src)


@pytest.mark.parametrize("spec,message", [
    (TaskSpec("dates", 1, 5), "8 to 30"),
    (TaskSpec("reverse", 6, 3), "shortest input"),
    (TaskSpec("poems"), "unknown task"),
    (TaskSpec("sort", alphabet="emoji"), "alphabet"),
])
def test_impossible_settings_raise_clear_errors(spec, message):
    with pytest.raises(ValueError, match=message):
        build_task(spec)


def test_word_level_tokens():
    assert tokenize("the big dog", "word") == ["the", "big", "dog"]
    assert tokenize("3 May", "char") == ["3", " ", "M", "a", "y"]
    src, tgt = build_task(TaskSpec("translate", **SMALL)).probe
    assert len(src.split()) == len(tgt.split()) >= 5


# ---- Chinese numerals ------------------------------------------------------------------------
def test_chinese_numeral_readings():
    from seqviz.attention.numerals import canonical, colloquial, digit_by_digit

    known = {3005: "三千零五", 3000: "三千", 3050: "三千零五十", 15: "十五", 110: "一百一十",
             30500: "三万零五百", 150000: "十五万", 100010: "十万零一十", 120000: "十二万",
             100010000: "一亿零一万", 2005: "二千零五", 0: "零"}
    assert {n: canonical(n) for n in known} == known
    assert colloquial("二千零五") == "两千零五" and colloquial("二万") == "两万"
    assert colloquial("一千二百二十二") == "一千两百二十二"
    assert colloquial("十二万") == "十二万" and colloquial("一百零二万") == "一百零二万"
    assert digit_by_digit(2024) == "二〇二四"
    with pytest.raises(ValueError, match="0 to 999999999999"):
        canonical(10**12)


def test_reading_chinese_numerals_targets_are_true():
    import cn2an

    data = build_task(TaskSpec("zh_digits", 1, 23, n_train=3000, n_test=200))
    styles = {"两": 0, "〇": 0, "零": 0}
    for src, digits in data.train + data.test:
        assert digits.isdigit() and not digits.startswith("0") and len(digits) <= 12
        assert cn2an.cn2an(src, "smart") == int(digits), src  # the library reads it back
        assert 1 <= len(src) <= 23
        for ch in styles:
            styles[ch] += ch in src
    assert min(styles.values()) > 100, styles  # every style is well represented
    assert set(data.tgt_vocab.itos[4:]) == set("0123456789")
    assert set("零一二三四五六七八九十百千万亿两〇") == set(data.src_vocab.itos[4:])
    assert data.spec.bleu_level == "char"


def test_writing_chinese_numerals_targets_are_canonical():
    import cn2an

    from seqviz.attention.numerals import canonical

    data = build_task(TaskSpec("digits_zh", 1, 12, **SMALL))
    for digits, reading in data.train + data.test:
        assert reading == canonical(int(digits)) and cn2an.cn2an(reading, "strict") == int(digits)
    assert data.spec.bleu_level == "zh"  # Chinese outputs: BLEU on characters
    with pytest.raises(ValueError, match="1 to 12"):
        build_task(TaskSpec("digits_zh", 13, 20))
