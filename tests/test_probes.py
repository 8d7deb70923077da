"""Probes: traced states and gates equal the layers' forward pass and the gate equations
recomputed from the weights; surprisal equals the model's cross-entropy; bad probe texts."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqviz.data import Vocab
from seqviz.hidden.pca import fit_pca
from seqviz.hidden.probes import (ProbeError, encode_probe, ngram_surprisal, passages,
                                  probe_from_ids, trace_corpus, trace_lm)
from seqviz.models.lm import LMSpec, build_lm
from seqviz.models.ngram import NGramLM

TORCH = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}


def _model(cell: str, layers: int = 2, hidden: int = 12, vocab: int = 11, seed: int = 0):
    spec = LMSpec(vocab_size=vocab, embed_size=7, hidden_size=hidden, num_layers=layers, cell=cell)
    return build_lm(spec, seed=seed).double().eval()


def _ids(n: int = 23, vocab: int = 11, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, vocab, n)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_states_equal_torch_layers_with_copied_weights(cell):
    """Each traced layer's h_t equals torch.nn's one-layer module run on that layer's input."""
    model = _model(cell)
    ids = _ids()
    trace = trace_lm(model, ids)
    x = model.embed(torch.as_tensor(ids)[None])  # (1, T, E)
    for layer, traced in enumerate(trace.layers):
        ref = TORCH[cell](x.size(-1), model.spec.hidden_size, batch_first=True).double()
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(ref, f"{name}_l0").copy_(getattr(model.rnn, f"{name}_l{layer}"))
            x, _ = ref(x)
        np.testing.assert_allclose(traced.hidden, x[0].numpy(), atol=1e-12)
    # the top layer is also what the model's own fused forward pass returns
    with torch.no_grad():
        fused, _ = model.rnn(model.embed(torch.as_tensor(ids)[None]))
    np.testing.assert_allclose(trace.layers[-1].hidden, fused[0].numpy(), atol=1e-12)


def _weights(model, layer):
    get = lambda n: getattr(model.rnn, f"{n}_l{layer}").detach().numpy()  # noqa: E731
    return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")


def test_lstm_gates_equal_equations_from_weights():
    model = _model("lstm")
    ids = _ids()
    trace = trace_lm(model, ids)
    x = model.embed.weight.detach().numpy()[ids]  # (T, E)
    H = model.spec.hidden_size
    for layer, tr in enumerate(trace.layers):
        w_ih, w_hh, b_ih, b_hh = _weights(model, layer)
        h, c = np.zeros(H), np.zeros(H)
        for t in range(len(ids)):
            pre = w_ih @ x[t] + b_ih + w_hh @ h + b_hh  # (4H,) in i, f, g, o order
            i, f, g, o = sigmoid(pre[:H]), sigmoid(pre[H:2 * H]), np.tanh(pre[2 * H:3 * H]), \
                sigmoid(pre[3 * H:])
            c = f * c + i * g
            h = o * np.tanh(c)
            for name, ref in zip("ifgo", (i, f, g, o)):
                np.testing.assert_allclose(tr.gates[name][t], ref, atol=1e-12)
            np.testing.assert_allclose(tr.cell[t], c, atol=1e-12)
            np.testing.assert_allclose(tr.hidden[t], h, atol=1e-12)
        x = tr.hidden  # the next layer reads this layer's states


def test_gru_gates_equal_equations_from_weights():
    model = _model("gru")
    ids = _ids()
    trace = trace_lm(model, ids)
    x = model.embed.weight.detach().numpy()[ids]
    H = model.spec.hidden_size
    for layer, tr in enumerate(trace.layers):
        w_ih, w_hh, b_ih, b_hh = _weights(model, layer)
        h = np.zeros(H)
        for t in range(len(ids)):
            gi, gh = w_ih @ x[t] + b_ih, w_hh @ h + b_hh  # (3H,) each in r, z, n order
            r = sigmoid(gi[:H] + gh[:H])
            z = sigmoid(gi[H:2 * H] + gh[H:2 * H])
            n = np.tanh(gi[2 * H:] + r * gh[2 * H:])
            h = (1 - z) * n + z * h
            for name, ref in zip("rzn", (r, z, n)):
                np.testing.assert_allclose(tr.gates[name][t], ref, atol=1e-12)
            np.testing.assert_allclose(tr.hidden[t], h, atol=1e-12)
        assert tr.cell is None
        x = tr.hidden


def test_surprisal_and_topk_match_the_model():
    model = _model("lstm", layers=1)
    ids = _ids(40)
    trace = trace_lm(model, ids, top_k=3)
    idx = torch.as_tensor(ids)[None]
    with torch.no_grad():
        _, loss = model(idx[:, :-1], idx[:, 1:])
        probs = torch.softmax(model(idx)[0][0], dim=-1).numpy()  # (T, V)
    assert np.isnan(trace.surprisal[0]) and np.isnan(trace.next_prob[-1])
    assert trace.surprisal[1:].mean() == pytest.approx(float(loss), rel=1e-6)
    np.testing.assert_allclose(trace.next_prob[:-1], probs[np.arange(39), ids[1:]], rtol=1e-6)
    assert trace.top_ids.shape == (40, 3)
    np.testing.assert_array_equal(trace.top_ids[:, 0], probs.argmax(axis=1))
    np.testing.assert_allclose(trace.top_probs, np.sort(probs, axis=1)[:, ::-1][:, :3], rtol=1e-6)


def test_trace_restores_training_mode_and_keeps_no_graph():
    model = _model("gru", layers=1).train()
    trace = trace_lm(model, _ids())
    assert model.training
    assert isinstance(trace.layers[0].hidden, np.ndarray)
    assert isinstance(trace.layers[0].gates["z"], np.ndarray)


def test_corpus_rows_equal_separate_traces():
    model = _model("lstm")
    ids = _ids(64)
    states = trace_corpus(model, ids, rows=4, max_tokens=64)
    for r in range(4):
        alone = trace_lm(model, ids[r * 16:(r + 1) * 16])
        for layer in range(2):
            np.testing.assert_allclose(states.hidden[layer][r * 16:(r + 1) * 16],
                                       alone.layers[layer].hidden, atol=1e-12)
            np.testing.assert_allclose(states.states(layer, "cell")[r * 16:(r + 1) * 16],
                                       alone.layers[layer].cell, atol=1e-12)
    np.testing.assert_array_equal(states.ids, ids)


VOCAB = Vocab(["<unk>", "a", "b", " ", "\n"])


def test_unknown_characters_are_marked_and_read_as_unk():
    probe = encode_probe("ab zq\n", VOCAB, "char")
    assert probe.tokens == list("ab zq\n")
    np.testing.assert_array_equal(probe.unknown, [False, False, False, True, True, False])
    np.testing.assert_array_equal(probe.ids, [1, 2, 3, 0, 0, 4])


def test_empty_and_too_long_probe_texts():
    for empty in ("", None):
        with pytest.raises(ProbeError, match="empty"):
            encode_probe(empty, VOCAB, "char")
    probe = encode_probe("ab" * 400, VOCAB, "char", max_tokens=500)
    assert len(probe) == 500 and probe.truncated and probe.total_tokens == 800
    assert not encode_probe("ab", VOCAB, "char").truncated
    words = encode_probe("the cat\nsat", Vocab(["<unk>", "the", "cat"]), "word")
    assert words.tokens == ["the", "cat", "\n", "sat"]
    np.testing.assert_array_equal(words.unknown, [False, False, True, True])


def test_passage_from_ids_and_passage_count():
    probe = probe_from_ids(np.array([1, 0, 2]), VOCAB, "char")
    assert probe.tokens == ["a", "<unk>", "b"] and probe.unknown.tolist() == [False, True, False]
    assert passages(1000, "char") == (2, 400)
    assert passages(10, "char") == (1, 400)


def test_ngram_surprisal_matches_log_probs():
    train = _ids(500, vocab=5, seed=3)
    ngram = NGramLM(3).fit(train, 5)
    ids = _ids(30, vocab=5, seed=4)
    out = ngram_surprisal(ngram, ids)
    assert np.isnan(out[0])
    np.testing.assert_allclose(out[1:], -ngram.log_probs(ids)[1:])


def test_pca_projection_equals_svd_up_to_sign():
    X = np.random.default_rng(0).normal(size=(200, 6)) * np.arange(1, 7)
    proj = fit_pca(X)
    centred = X - X.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    ref = centred @ vt[:2].T
    got = proj.transform(X)
    for k in range(2):
        assert np.allclose(got[:, k], ref[:, k], atol=1e-8) or \
            np.allclose(got[:, k], -ref[:, k], atol=1e-8)
    np.testing.assert_allclose(proj.explained, (s**2 / (s**2).sum())[:2])
    with pytest.raises(ValueError, match="width 6"):
        proj.transform(X[:, :3])
    with pytest.raises(ValueError, match="at least 2"):
        fit_pca(X[:1])


def test_cross_entropy_reference_for_surprisal_word_level():
    model = _model("rnn", layers=1, vocab=5)
    ids = np.array([1, 2, 3, 4, 0, 1])
    trace = trace_lm(model, ids)
    logits = model(torch.as_tensor(ids)[None])[0][0]
    ref = F.cross_entropy(logits[:-1], torch.as_tensor(ids[1:]), reduction="none")
    np.testing.assert_allclose(trace.surprisal[1:], ref.detach().numpy(), rtol=1e-9)
