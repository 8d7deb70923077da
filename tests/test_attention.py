"""Attention scores and masked softmax against brute force; the attention figures."""

import math

import numpy as np
import pytest
import torch

from seqviz.attention.figures import (attention_figure, length_figure, metrics_figure,
                                      sharpness_figure, token_label)
from seqviz.models.attention import SCORES, Attention, masked_softmax, row_entropy


def _mask(B, S, gen):
    lengths = torch.randint(1, S + 1, (B,), generator=gen)
    lengths[0] = S
    return torch.arange(S) < lengths.unsqueeze(1)  # (B, S)


def test_masked_softmax_invariants_and_reference():
    gen = torch.Generator().manual_seed(0)
    scores = torch.randn(6, 4, 9, generator=gen, dtype=torch.float64) * 5
    mask = _mask(6, 9, gen).unsqueeze(1)  # (B, 1, S)
    w = masked_softmax(scores, mask)
    assert (w >= 0).all()
    assert torch.allclose(w.sum(-1), torch.ones(6, 4, dtype=torch.float64))
    assert (w.masked_select(~mask.expand_as(w)) == 0).all()  # exactly zero, not tiny
    for b in range(6):  # reference: torch.softmax on the real positions only
        n = int(mask[b, 0].sum())
        assert torch.allclose(w[b, :, :n], torch.softmax(scores[b, :, :n], -1))


def test_all_masked_rows_are_zero_without_nan():
    scores = torch.randn(2, 3, 5, requires_grad=True)
    mask = torch.tensor([[True, True, False, False, False], [False] * 5]).unsqueeze(1)
    w = masked_softmax(scores, mask)
    assert (w[1] == 0).all() and torch.allclose(w[0].sum(-1), torch.ones(3))
    (w * torch.randn_like(w)).sum().backward()
    assert torch.isfinite(scores.grad).all() and (scores.grad[1] == 0).all()


@pytest.mark.parametrize("kind", SCORES)
def test_scores_equal_brute_force(kind):
    torch.manual_seed(1)
    B, T, S, H = 3, 4, 6, 5
    att = Attention(kind, H, H, attn_size=7).double()
    q = torch.randn(B, T, H, dtype=torch.float64)
    k = torch.randn(B, S, H, dtype=torch.float64)
    mask = _mask(B, S, torch.Generator().manual_seed(2))
    context, weights = att(q, k, mask)
    ref_e = torch.empty(B, T, S, dtype=torch.float64)
    for b in range(B):
        for t in range(T):
            for s in range(S):
                if kind == "dot":
                    ref_e[b, t, s] = q[b, t] @ k[b, s]
                elif kind == "general":
                    ref_e[b, t, s] = q[b, t] @ (att.W_a.weight @ k[b, s])
                else:
                    hidden = att.W_q.weight @ q[b, t] + att.W_k.weight @ k[b, s] + att.W_k.bias
                    ref_e[b, t, s] = att.v_a.weight[0] @ torch.tanh(hidden)
    assert torch.allclose(att.scores(q, k), ref_e)
    # a decoder hands every step the keys' projection, computed once: the same scores
    assert torch.allclose(att.scores(q, k, att.project_keys(k)), ref_e)
    for b in range(B):
        n = int(mask[b].sum())
        ref_w = torch.softmax(ref_e[b, :, :n], -1)
        assert torch.allclose(weights[b, :, :n], ref_w) and (weights[b, :, n:] == 0).all()
        assert torch.allclose(context[b], ref_w @ k[b, :n])


def test_bad_attention_settings():
    with pytest.raises(ValueError, match="equal query and key sizes, got 4 and 6"):
        Attention("dot", 4, 6)
    with pytest.raises(ValueError, match="unknown attention"):
        Attention("cosine", 4, 4)


def test_row_entropy():
    uniform = torch.full((1, 8), 1 / 8)
    one_hot = torch.zeros(1, 8)
    one_hot[0, 3] = 1
    assert math.isclose(float(row_entropy(uniform)), math.log(8), rel_tol=1e-6)
    assert float(row_entropy(one_hot)) == 0.0


# ---- figures ------------------------------------------------------------------------------------
def test_attention_figure_keeps_repeated_tokens_and_shows_spaces():
    src, out = list("3 May 1999"), list("1999-05-03") + ["</s>"]
    w = np.random.default_rng(0).dirichlet(np.ones(len(src)), size=len(out))
    fig = attention_figure(w, src, out, title="probe")
    heat = fig.data[0]
    assert np.asarray(heat.z).shape == (11, 10)
    assert list(fig.layout.xaxis.ticktext) == ["3", "␣", "M", "a", "y", "␣", "1", "9", "9", "9"]
    assert list(fig.layout.yaxis.ticktext)[-1] == "&lt;/s&gt;"  # plotly reads labels as HTML
    assert fig.layout.yaxis.autorange == "reversed"
    assert heat.zmin == 0 and heat.zmax == 1 and "%{z" in heat.hovertemplate
    assert heat.customdata[0][1] == "1 ← ␣"
    assert fig.layout.title.text == "probe" and fig.layout.xaxis.title.text
    assert fig.layout.yaxis.title.text and fig.layout.font.size >= 16
    assert token_label("kolo") == "kolo" and token_label(" ") == "␣"


def test_attention_figure_rejects_wrong_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\), got shape \(3, 2\)"):
        attention_figure(np.zeros((3, 2)), ["a", "b", "c"], ["x", "y"])


def test_curve_figures():
    fig = metrics_figure([0, 25, 50], [0.0, 0.5, 1.0], [10.0, 60.0, 100.0])
    assert list(fig.data[0].y) == [0.0, 50.0, 100.0] and fig.layout.yaxis.title.text
    fig = sharpness_figure([0, 25], [2.5, 1.0], uniform=2.6)
    assert len(fig.data) == 2 and "2.60" in fig.data[1].name
    assert len(sharpness_figure([0], [float("nan")], uniform=float("nan")).data) == 1
    fig = length_figure([3, 4, 5], {"additive attention": [100, 99, 98], "no attention": [90, 50,
                                                                                          10]})
    assert [t.name for t in fig.data] == ["additive attention", "no attention"]
    assert "input length" in fig.layout.xaxis.title.text
    with pytest.raises(ValueError, match="lengths has 3"):
        length_figure([3, 4, 5], {"x": [1, 2]})
    with pytest.raises(ValueError, match="steps has 2"):
        metrics_figure([0, 1], [0.5], [1.0])


def test_held_out_evaluation_in_length_chunks_equals_one_batch_in_input_order():
    """``decode_texts`` and ``attention_entropy`` batch the held-out inputs by length (less
    padding); the outputs come back in the inputs' order and equal decoding each input alone,
    and the mean entropy equals the one-batch mean. A beam over the encoder's rows carries the
    key projection: decoding with it equals decoding from keys projected at every step."""
    from seqviz.attention.experiment import (S2SConfig, attention_entropy, decode_texts,
                                             max_output_len, model_spec, task_spec)
    from seqviz.attention.live import task_data
    from seqviz.attention.tasks import make_batch, pad
    from seqviz.models.seq2seq import build_seq2seq

    cfg = S2SConfig(task="reverse")
    data = task_data(task_spec(cfg))
    model = build_seq2seq(model_spec(cfg, data), seed=3).eval()
    with torch.no_grad():  # larger weights: outputs that differ from input to input
        for p in model.parameters():
            p.mul_(4)
    pairs = data.test[:23]
    sources = [s for s, _ in pairs]
    cap = max_output_len(data, max(len(data.encode_src(s)) for s in sources))
    alone = []
    for s in sources:
        src, lengths = pad([data.encode_src(s)])
        alone.append(data.decode_tgt(model.greedy_decode(src, lengths, cap).ids[0]))
    assert len(set(alone)) > 5
    assert decode_texts(model, data, sources, chunk=4) == alone
    with torch.no_grad():
        b = make_batch(data, pairs)
        _, weights = model(b.src, b.src_lengths, b.tgt_in)
        rows = b.tgt_out != 0
        one_batch = float(row_entropy(weights)[rows].mean())
        uniform = float(torch.log(b.src_lengths.double()).unsqueeze(1).expand_as(rows)[rows].mean())
    entropy, uni = attention_entropy(model, data, pairs, chunk=4)
    assert entropy == pytest.approx(one_batch, rel=1e-5) and uni == pytest.approx(uniform)
    with torch.no_grad():
        enc = model.encode(b.src, b.src_lengths).index_select(torch.tensor([2, 0, 2]))
        plain = type(enc)(enc.outputs, enc.mask, enc.summary)  # no projection: per step
        state = model.init_state(enc)
        prev = torch.full((3,), 2, dtype=torch.long)  # <s>
        with_proj = model.decode_step(prev, state, enc)
        without = model.decode_step(prev, state, plain)
    for a, b_ in zip((with_proj[0], with_proj[2]), (without[0], without[2])):
        assert torch.allclose(a, b_, atol=1e-6)
