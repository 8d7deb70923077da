"""Neuron finder: a hand-planted "inside a quoted string" unit is ranked first for a quoted
span and its other strings are found in a corpus; orderings, spans and text features."""

import numpy as np
import pytest
import torch

from seqviz.data import Vocab
from seqviz.hidden.features import indent_depth, line_position, string_mask, unit_correlations
from seqviz.hidden.neurons import (UnitRanking, default_span, find_matches, find_span, rank_units,
                                   token_offsets, unit_order)
from seqviz.hidden.probes import encode_probe, trace_corpus, trace_lm
from seqviz.models.lm import LMSpec, build_lm

PROBE = 'x = "hello world" + y\nprint(z, "abc")\n'
CORPUS = ('a = 1\nb = "foo"\nc = d + 2\nname = "barbaz qux"\n'
          'if a:\n    print("ok then")\nz = b\n') * 2
K, H = 5, 16


def _quote_model():
    """An LSTM LM whose unit K is wired by hand to be high inside "..." and low outside.

    On a quote character the input gate opens and the forget gate closes, and the candidate is
    tanh(-A h_prev + A/2): from outside (h <= 0) it writes +1 (inside), from inside (h ~ 0.76)
    it writes -1 (outside). Elsewhere the cell is kept unchanged (f ~ 1, i ~ 0).
    """
    text = PROBE + CORPUS
    vocab = Vocab(["<unk>"] + sorted(set(text)))
    model = build_lm(LMSpec(vocab_size=len(vocab), embed_size=8, hidden_size=H, num_layers=1,
                            cell="lstm"), seed=0).double().eval()
    q, big, A = vocab.stoi['"'], 20.0, 20.0
    rnn = model.rnn
    with torch.no_grad():
        model.embed.weight[:, 0] = 0.0  # embedding dimension 0 = "this is a quote"
        model.embed.weight[q, 0] = 1.0
        for gate in range(4):  # rows of unit K in the i, f, g, o blocks
            row = gate * H + K
            rnn.weight_ih_l0[row] = 0.0
            rnn.weight_hh_l0[row] = 0.0
            rnn.bias_hh_l0[row] = 0.0
        rnn.weight_ih_l0[K, 0], rnn.bias_ih_l0[K] = big, -big / 2  # i: open on a quote
        rnn.weight_ih_l0[H + K, 0], rnn.bias_ih_l0[H + K] = -big, big / 2  # f: close on a quote
        rnn.weight_hh_l0[2 * H + K, K], rnn.bias_ih_l0[2 * H + K] = -A, A / 2  # g: toggle
        rnn.bias_ih_l0[3 * H + K] = big  # o: always open
    return model, vocab


def test_planted_unit_tracks_quotes():
    model, vocab = _quote_model()
    probe = encode_probe(CORPUS, vocab, "char")
    h = trace_lm(model, probe.ids).layers[0].hidden[:, K]
    inside = string_mask(CORPUS)
    assert h[inside].min() > 0.7 and h[~inside].max() < 0.05


def test_finder_ranks_the_planted_unit_first_for_a_quoted_span():
    model, vocab = _quote_model()
    probe = encode_probe(PROBE, vocab, "char")
    states = trace_lm(model, probe.ids).layers[0].hidden
    for span in (find_span(probe.tokens, '"hello world"', "char"), default_span(probe.tokens),
                 find_span(probe.tokens, '"abc"', "char")):
        ranking = rank_units(states, *span)
        assert ranking.units[0] == K, span
        assert ranking.signs[0] == 1 and ranking.scores[0] > 0.5
        assert ranking.scores[0] > 2 * ranking.scores[1]
        np.testing.assert_array_equal(unit_order(states, "relevance", ranking), ranking.units)


def test_matches_are_the_other_strings_of_the_corpus():
    model, vocab = _quote_model()
    probe = encode_probe(PROBE, vocab, "char")
    ranking = rank_units(trace_lm(model, probe.ids).layers[0].hidden,
                         *find_span(probe.tokens, '"hello world"', "char"))
    corpus = trace_corpus(model, np.asarray(vocab.encode(list(CORPUS))), rows=1)
    matches = find_matches(corpus.hidden[0], ranking, n_units=1, top=50)
    inside = string_mask(CORPUS)
    padded = np.concatenate([[False], inside, [False]]).astype(int)
    edges = np.flatnonzero(np.diff(padded))
    strings = set(zip(edges[0::2].tolist(), edges[1::2].tolist()))  # every "..." in the corpus
    assert {(m.start, m.end) for m in matches} == strings
    want = ranking.span[1] - ranking.span[0]  # ranked by closeness in length to the selection
    diffs = [abs(m.length - want) for m in matches]
    assert diffs == sorted(diffs)
    assert all(CORPUS[m.start] == '"' for m in matches)


def test_signed_ranking_flips_a_unit_that_is_low_on_the_span():
    states = np.zeros((10, 3))
    states[2:5, 1] = -0.9  # low on the span
    states[2:5, 2] = 0.5  # high, but less
    ranking = rank_units(states, 2, 5)
    assert ranking.units[:2].tolist() == [1, 2] and ranking.signs[0] == -1
    assert ranking.on_mean[0] == pytest.approx(0.9) and ranking.off_mean[0] == pytest.approx(0)
    unsigned = rank_units(states, 2, 5, signed=False)
    assert unsigned.units[0] == 2
    matches = find_matches(np.vstack([states, states]), ranking, n_units=2)
    assert [(m.start, m.end) for m in matches] == [(2, 5), (12, 15)]


def test_bad_spans_and_shapes():
    states = np.zeros((5, 2))
    for span in ((3, 3), (-1, 2), (0, 6)):
        with pytest.raises(ValueError, match="span"):
            rank_units(states, *span)
    with pytest.raises(ValueError, match=r"\(T, H\)"):
        rank_units(np.zeros(5), 0, 1)
    ranking = rank_units(states, 0, 2)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        find_matches(np.zeros((4, 3)), ranking)


def test_unit_orders():
    states = np.random.default_rng(0).normal(size=(30, 6)) * np.array([1, 5, 2, 4, 3, 0.5])
    np.testing.assert_array_equal(unit_order(states, "index"), np.arange(6))
    np.testing.assert_array_equal(unit_order(states, "variance"),
                                  np.argsort(-states.var(axis=0)))
    with pytest.raises(ValueError, match="span"):
        unit_order(states, "relevance")
    with pytest.raises(ValueError, match="one of"):
        unit_order(states, "random")
    assert isinstance(rank_units(states, 0, 3), UnitRanking)


def test_find_span_char_and_word_level():
    toks = list('x = "hi" + y')
    assert find_span(toks, '"hi"', "char") == (4, 8)
    assert find_span(toks, "zz", "char") is None and find_span(toks, "", "char") is None
    words = ["the", "cat", "\n", "sat", "."]
    assert token_offsets(words, "word") == [0, 4, 7, 8, 12]
    assert find_span(words, "cat", "word") == (1, 2)
    assert find_span(words, "at\nsa", "word") == (1, 4)
    assert default_span(toks) == (4, 7)  # from the opening quote to before the closing one
    assert default_span(list("no quotes here at all")) == (0, 2)


def test_text_features():
    text = "x = 'a#b' # it's\n  y"
    assert "".join("1" if m else "0" for m in string_mask(text)) == \
        "0000111100000000000000"[:len(text)]
    assert indent_depth(text).tolist() == [0] * 17 + [2] * 3
    assert line_position(text)[:3].tolist() == [0, 1, 2] and line_position(text)[17] == 0
    prose = 'He said "don\'t" loudly'
    assert string_mask(prose, quotes='"', comment=None).sum() == len('"don\'t')


def test_unit_correlations_equal_numpy():
    rng = np.random.default_rng(0)
    states = rng.normal(size=(50, 4))
    feature = states[:, 2] * 2 + rng.normal(size=50) * 0.1
    r = unit_correlations(states, feature)
    ref = [np.corrcoef(states[:, j], feature)[0, 1] for j in range(4)]
    np.testing.assert_allclose(r, ref)
    assert unit_correlations(np.ones((5, 2)), np.arange(5)).tolist() == [0, 0]
