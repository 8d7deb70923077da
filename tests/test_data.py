"""Data layer: corpora, uploads, grammar, tokenisation, vocabulary, batching."""

from __future__ import annotations

import codecs
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from seqviz.data import (
    ANALOGIES,
    CATEGORIES,
    CORPORA,
    GENDER_PAIRS,
    BatchSampler,
    CorpusError,
    Vocab,
    build_text_data,
    decode_upload,
    detokenize,
    eval_batches,
    generate_grammar_corpus,
    load_corpus,
    min_tokens,
    split_ids,
    tokenize,
    word_category,
)
from seqviz.data import corpora

CHINESE = "我爱自然语言处理。\n循环神经网络很有趣！"
MIXED = "Привет, мир! 😀 café\tnaïve\n" + CHINESE + " 👨‍👩‍👧 नमस्ते"


# ---- corpora --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CORPORA))
def test_corpus_deterministic_and_sized(name):
    text = load_corpus(name, max_chars=50_000)
    corpora._load_cached.cache_clear()  # really rebuild, not just return the cached string
    assert load_corpus(name, max_chars=50_000) == text
    assert 45_000 < len(text) <= 50_000  # cut at a line break, so slightly under the limit
    assert "\r" not in text
    assert len(load_corpus(name, max_chars=1_000)) <= 1_000


def test_corpus_contents():
    code = load_corpus("python", max_chars=100_000)
    assert "def " in code and "\n    " in code and "import " in code
    prose = load_corpus("prose", max_chars=100_000)
    assert all(f" {w} " in prose for w in ("the", "and", "is", "function"))


def test_unknown_corpus_lists_valid_names():
    with pytest.raises(CorpusError) as err:
        load_corpus("shakespeare")
    assert all(name in str(err.value) for name in CORPORA)


# ---- uploads --------------------------------------------------------------------------------


def test_upload_round_trips_any_language():
    assert decode_upload(CHINESE.encode("utf-8")) == CHINESE
    assert decode_upload(MIXED.encode("utf-8")) == MIXED
    assert decode_upload(codecs.BOM_UTF8 + CHINESE.encode("utf-8")) == CHINESE
    assert decode_upload("line one\r\nline two\rthree".encode()) == "line one\nline two\nthree"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_upload_utf16_with_bom(codec):
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(codec, b"")
    data = bom + MIXED.encode(codec)
    assert decode_upload(data) == MIXED


ZH = ("循环神经网络（RNN）是一类以序列数据为输入，在序列的演进方向进行递归的神经网络。\n"
      "长短期记忆网络是一种时间循环神经网络。\n") * 3
TW = "循環神經網路是一類以序列資料為輸入的神經網路。長短期記憶網路是一種時間循環神經網路。\n" * 3
JA = "再帰型ニューラルネットワークは、時系列データを扱うニューラルネットワークです。\n" * 3
FR = "Le café est très bon. Les élèves étudient les réseaux de neurones récurrents.\n" * 3


@pytest.mark.parametrize("text, encoding", [(ZH, "gbk"), (ZH, "gb18030"), (TW, "big5"),
                                            (JA, "shift_jis"), (FR, "latin-1"),
                                            (FR, "cp1252"), (ZH, "utf-16")])
def test_uploads_in_other_encodings_are_read(text, encoding):
    """Not only UTF-8: the encoding is detected (charset-normalizer), the text comes back."""
    assert decode_upload(text.encode(encoding)) == text


def test_upload_errors_are_helpful():
    with pytest.raises(CorpusError, match="empty"):
        decode_upload(b"")
    with pytest.raises(CorpusError, match="empty"):
        decode_upload(b" \n\t ")
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 4
    with pytest.raises(CorpusError, match="binary"):
        decode_upload(png)
    with pytest.raises(CorpusError, match="binary"):
        decode_upload(bytes([1, 2, 3, 4, 5, 6, 7, 8]) * 20)  # control characters, no NUL
    for magic in (b"PK\x03\x04", b"%PDF-1.7\n", b"\x80\x04\x95", b"\x7fELF\x02"):
        with pytest.raises(CorpusError, match="binary"):  # zip, pdf, pickle, executable
            decode_upload(magic + b"abc def ghi " * 50)
    with pytest.raises(CorpusError) as err:
        decode_upload(b"a" * 2_000, max_bytes=1_000)
    assert "2,000" in str(err.value) and "1,000" in str(err.value)


# ---- grammar --------------------------------------------------------------------------------


def test_grammar_format_and_categories():
    text = generate_grammar_corpus(2_000, seed=0)
    lines = text.splitlines()
    assert len(lines) == 2_000
    for line in lines:
        assert line == line.lower() and line.endswith(" .") and "  " not in line
    words = set(text.split())
    assert all(word_category(w) is not None for w in words), words - set(
        w for ws in CATEGORIES.values() for w in ws
    )
    assert {"royalty", "person", "animal", "colour", "number", "function"} <= set(CATEGORIES)
    assert set(CATEGORIES["royalty"]) >= {"king", "queen", "prince", "princess"}
    assert word_category("king") == "royalty" and word_category("zebra") is None


def test_grammar_seeds():
    assert generate_grammar_corpus(500, seed=3) == generate_grammar_corpus(500, seed=3)
    assert generate_grammar_corpus(500, seed=3) != generate_grammar_corpus(500, seed=4)


def test_analogies_are_well_formed_and_in_corpus():
    assert ("king", "man", "woman", "queen") in ANALOGIES
    assert ("king", "queen") in GENDER_PAIRS and ("man", "woman") in GENDER_PAIRS
    assert len(ANALOGIES) >= len(GENDER_PAIRS) * (len(GENDER_PAIRS) - 1)
    words = set(load_corpus("grammar").split())
    assert {w for a in ANALOGIES for w in a} <= words


def _ppmi_embeddings(tokens: list[str], window: int = 2, dim: int = 50):
    """Count-based word vectors (PPMI + SVD), which approximate skip-gram (Levy & Goldberg 2014)."""
    vocab = sorted(set(tokens))
    index = {w: i for i, w in enumerate(vocab)}
    ids, V = np.array([index[w] for w in tokens]), len(vocab)
    counts = np.zeros((V, V))
    for d in range(1, window + 1):
        np.add.at(counts, (ids[:-d], ids[d:]), 1)
        np.add.at(counts, (ids[d:], ids[:-d]), 1)
    total = counts.sum()
    ctx = counts.sum(0) ** 0.75
    pmi = np.log(np.maximum(counts * total / (counts.sum(1, keepdims=True) * ctx / ctx.sum()
                                              * total), 1e-12))
    u, s, _ = np.linalg.svd(np.maximum(pmi, 0.0))
    emb = u[:, :dim] * np.sqrt(s[:dim])
    return emb / np.linalg.norm(emb, axis=1, keepdims=True), index


def test_grammar_makes_analogies_learnable():
    emb, index = _ppmi_embeddings(generate_grammar_corpus(20_000, seed=0).split())
    words = list(index)
    correct = 0
    for a, b, c, d in ANALOGIES:
        scores = emb @ (emb[index[a]] - emb[index[b]] + emb[index[c]])
        scores[[index[a], index[b], index[c]]] = -np.inf
        correct += words[int(scores.argmax())] == d
    assert correct / len(ANALOGIES) > 0.9


# ---- tokenisation ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "hello world", CHINESE, MIXED, "a\r\nb\ttab  two"])
def test_char_round_trip_is_exact(text):
    assert detokenize(tokenize(text, "char"), "char") == text


def test_word_tokens():
    text = "Don't panic (really): it costs 3.14 or 1,000 coins, max_len=5!\nNext line."
    assert tokenize(text, "word") == [
        "Don't", "panic", "(", "really", ")", ":", "it", "costs", "3.14", "or", "1,000",
        "coins", ",", "max_len", "=", "5", "!", "\n", "Next", "line", ".",
    ]
    assert detokenize(tokenize(text, "word"), "word") == (
        "Don't panic (really): it costs 3.14 or 1,000 coins, max_len = 5!\nNext line."
    )


def test_word_level_other_scripts():
    tokens = tokenize(CHINESE, "word")  # Chinese: words by jieba, not characters
    assert tokens[:4] == ["我", "爱", "自然语言", "处理"] and "\n" in tokens
    assert "神经网络" in tokens
    assert detokenize(tokens, "word") == CHINESE
    assert tokenize("Привет, мир! नमस्ते", "word") == ["Привет", ",", "мир", "!", "नमस्ते"]


def test_bad_level():
    with pytest.raises(ValueError, match="level"):
        tokenize("abc", "byte")
    with pytest.raises(ValueError, match="level"):
        detokenize(["a"], "sentence")


# ---- vocabulary -----------------------------------------------------------------------------


def test_vocab_order_unk_and_round_trip():
    v = Vocab.build(list("abracadabra"))
    assert v.itos == ["<unk>", "a", "b", "r", "c", "d"]  # by count, ties by first occurrence
    assert v.unk_id == 0 and v.stoi["<unk>"] == 0 and len(v) == 6
    assert v.encode(list("abz")) == [1, 2, 0] and "z" not in v and "a" in v
    assert v.decode([1, 2, 0]) == ["a", "b", "<unk>"]
    assert v.encode_text("cab", "char") == [4, 1, 2]
    restored = Vocab.from_dict(json.loads(json.dumps(v.to_dict())))
    assert restored == v and restored.stoi == v.stoi
    assert Vocab.build(list("abracadabra")).itos == v.itos
    assert Vocab.build(list("abracadabra"), max_size=3).itos == ["<unk>", "a", "b"]
    assert Vocab.build(list("abracadabra"), min_freq=2).itos == ["<unk>", "a", "b", "r"]
    with pytest.raises(ValueError):
        Vocab.from_dict({"itos": ["a", "<unk>"]})


# ---- splitting and batching -----------------------------------------------------------------


def test_split_is_contiguous_tail():
    train, val = split_ids(list(range(100)), val_fraction=0.1)
    assert train.tolist() == list(range(90)) and val.tolist() == list(range(90, 100))
    assert train.dtype == torch.long


def test_build_text_data_vocab_from_train_only():
    data = build_text_data("aaaaaaaaab" * 9 + "zzzzzzzzzz", "char", val_fraction=0.1)
    assert data.level == "char" and "z" not in data.vocab
    assert data.val.tolist() == [0] * 10 and len(data.train) == 90
    words = build_text_data(load_corpus("grammar", 20_000), "word")
    assert len(words.vocab) < 200 and words.train.dtype == torch.long
    with pytest.raises(CorpusError, match="too short"):
        build_text_data("hi", "char")


def test_sampler_shapes_shift_and_determinism():
    ids = torch.arange(1000)
    s1, s2 = BatchSampler(ids, 8, 16, seed=1), BatchSampler(ids, 8, 16, seed=1)
    x, y = s1.next()
    assert x.shape == y.shape == (8, 16) and x.dtype == torch.long
    assert torch.equal(y[:, :-1], x[:, 1:]) and torch.equal(y[:, 0], x[:, 0] + 1)
    assert torch.equal(x, s2.next()[0])
    assert not torch.equal(x, BatchSampler(ids, 8, 16, seed=2).next()[0])


def test_sampler_state_dict_restores_next_batch(tmp_path):
    s = BatchSampler(torch.arange(500), 4, 10, seed=0)
    s.next()
    path = tmp_path / "sampler.pt"
    torch.save(s.state_dict(), path)
    expected = [s.next()[0] for _ in range(3)]
    fresh = BatchSampler(torch.arange(500), 4, 10, seed=99)
    fresh.load_state_dict(torch.load(path, weights_only=True))
    assert all(torch.equal(e, fresh.next()[0]) for e in expected)
    assert fresh.steps == s.steps


def test_sampler_short_text():
    assert min_tokens(10) == 11
    BatchSampler(torch.arange(11), batch_size=64, seq_len=10, seed=0).next()  # one window
    with pytest.raises(CorpusError) as err:
        BatchSampler(torch.arange(7), batch_size=2, seq_len=10, seed=0)
    assert "11" in str(err.value) and "7" in str(err.value)


@pytest.mark.parametrize("n,batch,seq,cap", [(1000, 4, 16, None), (97, 3, 10, None),
                                             (50, 8, 5, 23), (2, 4, 8, None), (1, 2, 3, None)])
def test_eval_batches_cover_each_target_once(n, batch, seq, cap):
    ids = torch.arange(n)
    targets = []
    for x, y in eval_batches(ids, batch, seq, max_tokens=cap):
        assert x.shape == y.shape and x.shape[0] <= batch and x.shape[1] <= seq
        assert torch.equal(y, x + 1)  # y is x shifted by one, since ids[i] == i
        targets += y.flatten().tolist()
    expected = n - 1 if cap is None else min(cap, n - 1)
    assert targets == list(range(1, expected + 1))


def test_core_does_not_import_ui_libraries():
    code = ("import sys, seqviz.data, seqviz.models.ngram; "
            "sys.exit(any(m in sys.modules for m in ('streamlit', 'plotly')))")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
