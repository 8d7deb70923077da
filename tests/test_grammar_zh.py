"""The Chinese grammar and jieba segmentation: categories, analogy pairs, exact segmentation."""

from __future__ import annotations

import numpy as np

from seqviz.data import build_text_data, detokenize, load_corpus, tokenize
from seqviz.data import grammar_zh as zh
from tests.test_data import _ppmi_embeddings


def test_sentences_are_chinese_without_spaces_and_every_word_has_a_category():
    text = zh.generate_grammar_zh(2_000, seed=0)
    lines = text.splitlines()
    assert len(lines) == 2_000
    assert all(line.endswith("。") and " " not in line for line in lines)
    words = {w for s in zh.generate_sentences(2_000, seed=0) for w in s}
    assert all(zh.word_category(w) is not None for w in words)
    assert zh.word_category("国王") == "royalty" and zh.word_category("小狗") == "animal"
    assert zh.word_category("斑马") is None
    assert zh.generate_grammar_zh(300, seed=3) == zh.generate_grammar_zh(300, seed=3)
    assert zh.generate_grammar_zh(300, seed=3) != zh.generate_grammar_zh(300, seed=4)


def test_jieba_recovers_the_grammars_words_exactly():
    """Segmenting the text written without spaces gives back the words the grammar chose (the
    dictionary words that would join two grammar words, like 两匹马, are removed)."""
    for seed in (0, 1):
        sentences = zh.generate_sentences(30_000, seed=seed)
        tokens = tokenize(zh.generate_grammar_zh(30_000, seed=seed), "word")
        assert tokens == [w for s in sentences for w in s + ["\n"]]


def test_segmentation_of_ordinary_chinese_uses_words_not_characters():
    tokens = tokenize("我们今天在北京大学学习深度学习。", "word")
    assert "北京大学" in tokens and "我们" in tokens and "学习" in tokens
    assert len(tokens) < len("我们今天在北京大学学习深度学习。") - 5
    mixed = tokenize("LSTM 的遗忘门 forget gate 很重要", "word")
    assert mixed[:2] == ["LSTM", "的"] and "forget" in mixed
    assert detokenize(tokenize("国王在宫殿里休息。", "word"), "word") == "国王在宫殿里休息。"


def test_chinese_grammar_is_a_corpus_at_both_levels():
    text = load_corpus("grammar_zh")
    assert len(text) > 100_000 and text == load_corpus("grammar_zh")
    words = build_text_data(text[:50_000], "word")
    chars = build_text_data(text[:50_000], "char")
    assert "国王" in words.vocab.itos and "王后" in words.vocab.itos
    assert len(words.vocab) < 300 and len(chars.vocab) < 300


def test_chinese_analogies_are_learnable_from_the_text():
    """国王 - 男人 + 女人 ≈ 王后 and 狗 - 猫 + 小猫 ≈ 小狗 from co-occurrence alone (PPMI + SVD)."""
    tokens = [w for s in zh.generate_sentences(20_000, seed=0) for w in s]
    emb, index = _ppmi_embeddings(tokens)
    words = list(index)
    correct = {"gender": 0, "young": 0}
    n_gender = len(zh.GENDER_PAIRS) * (len(zh.GENDER_PAIRS) - 1)
    for i, (a, b, c, d) in enumerate(zh.ANALOGIES):
        scores = emb @ (emb[index[a]] - emb[index[b]] + emb[index[c]])
        scores[[index[a], index[b], index[c]]] = -np.inf
        correct["gender" if i < n_gender else "young"] += words[int(scores.argmax())] == d
    assert correct["gender"] / n_gender > 0.9, correct
    assert correct["young"] / (len(zh.ANALOGIES) - n_gender) > 0.9, correct
    assert ("国王", "男人", "女人", "王后") in zh.ANALOGIES
    assert ("狗", "猫", "小猫", "小狗") in zh.ANALOGIES  # 狗 - 猫 + 小猫 ≈ 小狗
