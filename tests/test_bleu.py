"""BLEU equals sacrebleu's corpus BLEU on the same strings; exact match."""

import random

import pytest
import sacrebleu

from seqviz.attention.bleu import corpus_bleu, exact_match


def _corrupt(rng: random.Random, tokens: list[str], alphabet: list[str]) -> list[str]:
    out = list(tokens)
    for _ in range(rng.randint(0, 3)):
        op = rng.random()
        i = rng.randrange(len(out) + 1)
        if op < 0.4 and out:
            out[min(i, len(out) - 1)] = rng.choice(alphabet)
        elif op < 0.7 and out:
            del out[min(i, len(out) - 1)]
        else:
            out.insert(i, rng.choice(alphabet))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_word_level_equals_sacrebleu(seed):
    rng = random.Random(seed)
    words = "ka na wulu miso tipi mava tiki rusa mira ama kura , .".split()
    refs = [" ".join(rng.choice(words) for _ in range(rng.randint(3, 12))) for _ in range(40)]
    hyps = [" ".join(_corrupt(rng, r.split(), words)) for r in refs]
    expected = sacrebleu.corpus_bleu(hyps, [refs]).score
    assert corpus_bleu(hyps, refs, "word") == pytest.approx(expected, abs=1e-12)
    assert 0 < expected < 100


@pytest.mark.parametrize("seed", [0, 1])
def test_char_level_equals_sacrebleu_char_tokenizer(seed):
    rng = random.Random(seed)
    refs = [f"{rng.randint(1950, 2049)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            for _ in range(50)]
    hyps = ["".join(_corrupt(rng, list(r), list("0123456789-"))) for r in refs]
    expected = sacrebleu.corpus_bleu(hyps, [refs], tokenize="char").score
    assert corpus_bleu(hyps, refs, "char") == pytest.approx(expected, abs=1e-12)
    # character n-grams differ from word n-grams on the same strings
    words = sacrebleu.corpus_bleu(hyps, [refs]).score
    assert corpus_bleu(hyps, refs, "char") != pytest.approx(words)


def test_edge_cases():
    assert corpus_bleu(["a b c d"], ["a b c d"]) == pytest.approx(100.0)
    assert corpus_bleu([], []) == 0.0
    assert corpus_bleu([""], ["12345"], "char") == 0.0
    with pytest.raises(ValueError, match="2 hypotheses, 1 references"):
        corpus_bleu(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="level"):
        corpus_bleu(["a"], ["a"], "byte")


def test_exact_match():
    assert exact_match(["1979-05-03", "2001-01-01", "x"], ["1979-05-03", "2001-01-02", "x"]) == \
        pytest.approx(2 / 3)
    assert exact_match([], []) == 0.0
    assert exact_match(["a "], ["a"]) == 0.0  # exact means exact
    with pytest.raises(ValueError):
        exact_match(["a"], [])


@pytest.mark.parametrize("seed", [0, 1])
def test_chinese_outputs_equal_sacrebleu_zh_tokenizer(seed):
    """Chinese outputs (writing Chinese numerals) are scored on sacrebleu's "zh" tokens: one
    token per Chinese character, so n-grams are character n-grams."""
    from seqviz.attention.numerals import canonical, draw_number

    rng = random.Random(seed)
    refs = [canonical(draw_number(rng)) for _unused in range(60)]
    hyps = ["".join(_corrupt(rng, list(r), list("零一二三四五六七八九十百千万亿"))) for r in refs]
    expected = sacrebleu.corpus_bleu(hyps, [refs], tokenize="zh").score
    assert corpus_bleu(hyps, refs, "zh") == pytest.approx(expected, abs=1e-12)
    assert 0 < expected < 100
    # character n-grams: the same as sacrebleu's char tokenizer on these all-Chinese strings,
    # and unlike 13a, which would read each whole numeral as one word
    assert expected == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs], tokenize="char").score)
    assert expected != pytest.approx(sacrebleu.corpus_bleu(hyps, [refs]).score)
