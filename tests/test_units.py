"""Text features and the units named after them: a hand-planted quote unit is found and its r
measured on another stretch; features read the context before a stretch; Chinese features
follow the grammar's words."""

from __future__ import annotations

import numpy as np
import pytest

from seqviz.hidden.features import (FEATURES, animal_age, bracket_mask, sentence_gender,
                                    string_mask)
from seqviz.hidden.units import best_units, correlations, feature_values, unit_r
from tests.test_neurons import CORPUS, K, _quote_model


def _bits(mask) -> str:
    return "".join("1" if m else "0" for m in mask)


def test_bracket_mask_nests_and_a_blank_line_closes_everything():
    assert _bits(bracket_mask("f(a[b]) c")) == "011111000"
    assert _bits(bracket_mask("f(a[b]) c", "()")) == "011111000"
    assert _bits(bracket_mask("x[a] (b)", "()")) == "00000110"
    assert _bits(bracket_mask("(a\n\nb)")) == "111000"
    assert _bits(bracket_mask("a)b(c")) == "00011"  # a stray closing bracket is ignored


def test_chinese_gender_and_age_follow_the_grammar_words():
    text = "国王说他在宫殿里休息。\n她是一个聪明的王后。\n狗在农场里喜欢吃骨头。\n"
    g = sentence_gender(text)
    assert g[0] == 0 and (g[1:12] == -1).all()  # known once 国王 is read, to the line's end
    assert (g[12:23] == 1).all() and (g[23:] == 0).all()  # 她 ...; an animal sentence: 0
    a = animal_age("那只刚出生的小狗学着吃骨头。\n小狗还很小。\n狗在农场里。\n小镇里。\n")
    assert (a[:5] == 0).all() and (a[5:15] == 1).all()  # 刚出生的 marks it young
    assert a[15] == 0 and (a[16:22] == 1).all()  # 小狗 is one word: young
    assert (a[22:29] == -1).all()  # 狗: adult
    assert (a[29:] == 0).all()  # 小镇 (a town) is not 小 + a young animal


def _stream(model, vocab, repeats: int = 6) -> np.ndarray:
    return np.asarray(vocab.encode(list(CORPUS * repeats)), dtype=np.int64)


def test_best_units_finds_the_planted_quote_unit_and_reports_its_r_elsewhere():
    model, vocab = _quote_model()
    ids = _stream(model, vocab)
    n = len(CORPUS)
    found = best_units(model, vocab, ids, (n, 3 * n), (3 * n + 5, 6 * n),
                       ["inside a string", "position in the line"])
    quote = found[0]
    assert (quote["layer"], quote["state"], quote["unit"]) == (0, "hidden", K)
    assert quote["r"] > 0.95 and quote["r_tokens"] == 3 * n - 5
    assert unit_r(model, vocab, ids, (3 * n + 5, 6 * n), "inside a string", 0, "hidden",
                  K) == pytest.approx(quote["r"], abs=1e-3)
    assert found[1]["feature"] == "position in the line"


def test_features_read_the_text_before_a_stretch():
    """A stretch that starts inside a string: the string feature knows (it reads from the
    start of the stream); a per-line feature counts from the start of the line."""
    model, vocab = _quote_model()
    ids = _stream(model, vocab, 2)
    text = CORPUS * 2
    start = text.index('"barbaz') + 3  # inside the string
    inside = feature_values("inside a string", vocab, ids, (start, start + 20))
    np.testing.assert_array_equal(inside, string_mask(text)[start: start + 20])
    assert inside[0]
    col = feature_values("position in the line", vocab, ids, (start, start + 3))
    assert col.tolist() == [len('name = "ba'), len('name = "bar'), len('name = "barb')]
    with pytest.raises(ValueError, match="does not fit"):
        correlations(model, vocab, ids, (5, len(ids) + 1), ["inside a string"])


def test_every_feature_has_an_english_name_and_runs_on_any_text():
    for name, feature in FEATURES.items():
        values = feature.fn("x = f('a')\n  他在家。\n")
        assert len(values) == 18 and np.isfinite(values).all(), name
