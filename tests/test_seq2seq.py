"""The seq2seq model: encoder against torch.nn, padding, the decoding API, learning reversal."""

import time

import pytest
import torch
from torch import nn

from seqviz.attention.tasks import TaskSpec, build_task, make_batch
from seqviz.models.seq2seq import (ATTENTIONS, BOS, EOS, PAD, Seq2Seq, Seq2SeqSpec, build_seq2seq,
                                   reverse_padded)


def _model(attention="additive", cell="gru", bidirectional=True, num_layers=1, seed=0):
    spec = Seq2SeqSpec(11, 9, embed_size=6, hidden_size=5, num_layers=num_layers, cell=cell,
                       bidirectional=bidirectional, attention=attention)
    return build_seq2seq(spec, seed).double().eval()


def _batch(gen, B=4, S=7, V=11):
    lengths = torch.tensor([S, 3, 1, 5][:B])
    src = torch.randint(4, V, (B, S), generator=gen)
    src[torch.arange(S) >= lengths.unsqueeze(1)] = PAD
    return src, lengths


def test_reverse_padded_is_an_involution_that_keeps_padding():
    x = torch.arange(12.0).view(2, 6, 1)
    lengths = torch.tensor([6, 3])
    r = reverse_padded(x, lengths)
    assert r[1, :, 0].tolist() == [8.0, 7.0, 6.0, 9.0, 10.0, 11.0]
    assert torch.equal(reverse_padded(r, lengths), x)


@pytest.mark.parametrize("cell,num_layers", [("gru", 1), ("lstm", 2), ("rnn", 2)])
def test_bidirectional_encoder_equals_torch(cell, num_layers):
    model = _model(cell=cell, num_layers=num_layers)
    ref = getattr(nn, cell.upper())(6, 5, num_layers, batch_first=True,
                                    bidirectional=True).double()
    with torch.no_grad():
        for layer in range(num_layers):
            for suffix, own in (("", model.enc_fwd[layer]), ("_reverse", model.enc_bwd[layer])):
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    getattr(ref, f"{name}_l{layer}{suffix}").copy_(getattr(own, f"{name}_l0"))
    gen = torch.Generator().manual_seed(0)
    src, lengths = _batch(gen)
    enc = model.encode(src, lengths)
    for b in range(src.size(0)):  # torch on each unpadded sequence alone
        n = int(lengths[b])
        out, _ = ref(model.src_embed(src[b: b + 1, :n]))
        assert torch.allclose(enc.outputs[b, :n], out[0], atol=1e-10)
        assert (enc.outputs[b, n:] == 0).all()
        assert torch.allclose(enc.summary[b], torch.cat([out[0, n - 1, :5], out[0, 0, 5:]]))


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_padding_changes_nothing_and_gets_exactly_zero_weight(attention):
    model = _model(attention, cell="lstm", num_layers=2)
    gen = torch.Generator().manual_seed(1)
    src, lengths = _batch(gen)
    tgt_in = torch.cat([torch.full((4, 1), BOS), torch.randint(4, 9, (4, 5), generator=gen)], 1)
    logits, weights = model(src, lengths, tgt_in)
    for b in range(4):
        n = int(lengths[b])
        alone_logits, alone_w = model(src[b: b + 1, :n], lengths[b: b + 1], tgt_in[b: b + 1])
        assert torch.allclose(logits[b], alone_logits[0], atol=1e-10)
        assert torch.allclose(weights[b, :, :n], alone_w[0], atol=1e-12)
        assert (weights[b, :, n:] == 0).all()
    if attention == "none":
        assert (weights == 0).all()
    else:
        assert (weights >= 0).all()
        assert torch.allclose(weights.sum(-1), torch.ones(4, 6, dtype=torch.float64))


@pytest.mark.parametrize("attention,cell", [("additive", "gru"), ("general", "lstm"),
                                            ("dot", "rnn"), ("none", "lstm")])
def test_decode_step_batch_equals_per_hypothesis_and_teacher_forcing(attention, cell):
    model = _model(attention, cell=cell, num_layers=2)
    gen = torch.Generator().manual_seed(2)
    src, lengths = _batch(gen)
    tgt = torch.randint(4, 9, (4, 4), generator=gen)
    tgt_out = torch.cat([tgt, torch.full((4, 1), EOS)], 1)
    tgt_in = torch.cat([torch.full((4, 1), BOS), tgt], 1)
    ref_logits, ref_w = model(src, lengths, tgt_in)
    # beam-style: every source twice, hypotheses advanced as one batch of N = 8
    enc = model.encode(src, lengths).repeat_interleave(2)
    state = model.init_state(model.encode(src, lengths)).index_select(
        torch.arange(4).repeat_interleave(2))
    prev = tgt_in.repeat_interleave(2, 0)
    for t in range(5):
        logp, state, w = model.decode_step(prev[:, t], state, enc)
        assert logp.shape == (8, 9) and w.shape == (8, 7)
        ref = torch.log_softmax(ref_logits[:, t], -1).repeat_interleave(2, 0)
        assert torch.allclose(logp, ref, atol=1e-10)
        assert torch.allclose(w, ref_w[:, t].repeat_interleave(2, 0), atol=1e-12)
        for i in (0, 5):  # one hypothesis alone equals its row of the batch
            alone = _state_row(model, src, lengths, prev, i, t)
            one_logp, _, one_w = model.decode_step(prev[i: i + 1, t], alone,
                                                   enc.index_select(torch.tensor([i])))
            assert torch.allclose(one_logp[0], logp[i], atol=1e-10)
            assert torch.allclose(one_w[0], w[i], atol=1e-12)
    scores = model.score(src, lengths, tgt_out)
    per_step = torch.log_softmax(ref_logits, -1).gather(2, tgt_out.unsqueeze(-1)).squeeze(-1)
    assert torch.allclose(scores, per_step)


def _state_row(model, src, lengths, prev, i, t):
    """Decoder state of hypothesis i before step t, rebuilt from scratch for one sequence."""
    b = i // 2
    enc = model.encode(src[b: b + 1], lengths[b: b + 1])
    state = model.init_state(enc)
    for s in range(t):
        _, state, _ = model.decode_step(prev[i: i + 1, s], state, enc)
    return state


def test_score_masks_padding_and_greedy_matches_stepwise_argmax():
    model = _model("general", cell="gru")
    gen = torch.Generator().manual_seed(3)
    src, lengths = _batch(gen)
    tgt_out = torch.tensor([[5, 6, EOS, PAD], [7, EOS, PAD, PAD], [5, 5, 5, EOS], [EOS, 0, 0, 0]])
    scores = model.score(src, lengths, tgt_out)
    assert (scores[tgt_out == PAD] == 0).all() and (scores[tgt_out != PAD] < 0).all()
    dec = model.greedy_decode(src, lengths, max_len=6)
    for b in range(4):
        enc = model.encode(src[b: b + 1], lengths[b: b + 1])
        state, prev, ids = model.init_state(enc), torch.tensor([BOS]), []
        for _ in range(6):
            logp, state, _ = model.decode_step(prev, state, enc)
            prev = logp.argmax(-1)
            if int(prev) == EOS:
                break
            ids.append(int(prev))
        assert dec.ids[b] == ids
        assert dec.weights[b].shape == (len(ids) + dec.finished[b], int(lengths[b]))


def test_bad_specs():
    with pytest.raises(ValueError, match="unknown attention"):
        Seq2Seq(Seq2SeqSpec(5, 5, attention="cosine"))
    with pytest.raises(ValueError, match="num_layers"):
        Seq2Seq(Seq2SeqSpec(5, 5, num_layers=3))
    with pytest.raises(ValueError, match=r"\(N, S\)"):
        _model().encode(torch.zeros(3, dtype=torch.long), torch.tensor([3]))


def test_learns_reversal_with_mirrored_attention():
    """Trained briefly, >= 95 % exact match on held-out reversals; attention on the mirror."""
    torch.manual_seed(0)
    data = build_task(TaskSpec("reverse", 3, 7, "digits", n_train=5000, n_test=300))
    spec = Seq2SeqSpec(len(data.src_vocab), len(data.tgt_vocab), embed_size=16, hidden_size=32,
                       attention="additive")
    model = build_seq2seq(spec, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    gen = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    for _ in range(STEPS):
        idx = torch.randint(0, len(data.train), (64,), generator=gen)
        b = make_batch(data, [data.train[i] for i in idx])
        loss = model.loss(b.src, b.src_lengths, b.tgt_in, b.tgt_out)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    seconds = time.perf_counter() - start
    test = make_batch(data, data.test)
    dec = model.greedy_decode(test.src, test.src_lengths, max_len=12)
    hyps = [data.decode_tgt(ids) for ids in dec.ids]
    exact = sum(h == t for h, (_, t) in zip(hyps, data.test)) / len(hyps)
    assert exact >= 0.95, f"exact match {exact:.3f} after {STEPS} steps ({seconds:.1f} s)"
    with torch.no_grad():
        _, weights = model.eval()(test.src, test.src_lengths, test.tgt_in)  # teacher forced
    on_mirror, argmax_ok, rows = 0.0, 0, 0
    for b, n in enumerate(test.src_lengths.tolist()):
        for t in range(n):  # output t copies input n-1-t
            on_mirror += float(weights[b, t, n - 1 - t])
            argmax_ok += int(weights[b, t].argmax()) == n - 1 - t
            rows += 1
    assert on_mirror / rows > 0.5, f"mean weight on the mirrored position {on_mirror / rows:.2f}"
    assert argmax_ok / rows > 0.9, f"argmax on the mirror in {argmax_ok / rows:.2%} of rows"


STEPS = 250


# ---- the experiment: snapshots, evaluations, checkpoints, the long-input study ------------------
import io  # noqa: E402
from dataclasses import replace  # noqa: E402

import numpy as np  # noqa: E402

from seqviz.attention.checkpoint import effective_config, load_s2s_payload  # noqa: E402
from seqviz.attention.experiment import S2SConfig, S2SExperiment, thin  # noqa: E402
from seqviz.attention.study import LongInputStudy  # noqa: E402
from seqviz.checkpoint import CheckpointError, save_checkpoint  # noqa: E402

TINY = S2SConfig(task="reverse", min_len=3, max_len=5, hidden_size=16, embed_size=8,
                 batch_size=16, snapshot_every=2)


def test_experiment_records_snapshots_and_evaluations():
    exp = S2SExperiment.build(TINY)
    exp.eval_every = 3
    exp.trainer.step(7)
    assert [s.step for s in exp.snapshots] == [0, 2, 4, 6]
    assert [e.step for e in exp.evals] == [0, 3, 6]
    src, ref = exp.probe
    snap = exp.snapshots[-1]
    assert snap.weights.shape == (len(ref) + 1, len(src))
    assert np.allclose(snap.weights.sum(1), 1, atol=1e-5) and (snap.weights >= 0).all()
    e = exp.evals[-1]
    assert 0 <= e.exact <= 1 and 0 <= e.bleu <= 100 and 0 <= e.entropy <= e.uniform + 1e-6
    exp.apply_live(replace(TINY, snapshot_every=5, lr=0.01, hidden_size=999))
    assert exp.cfg.snapshot_every == 5 and exp.trainer.lr == 0.01 and exp.cfg.hidden_size == 16
    exp.trainer.step(3)
    assert [s.step for s in exp.snapshots][-1] == 10
    assert exp.current_snapshot().step == 10


def test_thinning_keeps_first_and_last():
    snaps = [replace(s, step=i) for i, s in enumerate([S2SExperiment.build(TINY).snapshots[0]] * 9)]
    kept = thin(snaps, cap=4)
    assert len(kept) <= 4 and kept[0].step == 0 and kept[-1].step == 8


def test_experiment_is_deterministic_across_step_splits():
    a, b = S2SExperiment.build(TINY), S2SExperiment.build(TINY)
    a.trainer.step(3)
    a.trainer.step(3)
    b.trainer.step(6)
    for (name, x), y in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert torch.equal(x, y), name


def test_checkpoint_round_trip_and_bad_files():
    exp = S2SExperiment.build(TINY)
    exp.trainer.step(4)
    buf = io.BytesIO()
    exp.save(buf, meta={"steps": exp.trainer.steps}, half=False)
    payload = load_s2s_payload(buf.getvalue())
    again = S2SExperiment.from_checkpoint(payload, replace(TINY, pretrained="reverse", lr=0.02))
    assert again.trainer.steps == 4 and again.cfg.pretrained == "reverse"
    assert again.trainer.lr == 0.02 and again.cfg.hidden_size == 16
    assert [s.step for s in again.snapshots] == [0, 2, 4]
    assert [h.loss for h in again.trainer.history] == [h.loss for h in exp.trainer.history]
    text = exp.probe[0]
    assert again.run_input(text).output == exp.run_input(text).output
    assert effective_config(replace(S2SConfig(), pretrained="reverse", lr=0.5), payload) == \
        replace(TINY, pretrained="reverse", lr=0.5, snapshot_every=10)
    for bad in (b"not a checkpoint", b""):
        with pytest.raises(CheckpointError):
            load_s2s_payload(bad)
    other = io.BytesIO()
    save_checkpoint(other, "lm", {}, {})
    with pytest.raises(CheckpointError, match="saved on the “Language model” page"):
        load_s2s_payload(other.getvalue())
    damaged = dict(payload, src_vocab={"itos": ["<pad>", "<unk>", "<s>", "</s>", "x"]})
    with pytest.raises(CheckpointError, match="vocabularies"):
        S2SExperiment.from_checkpoint(damaged)


def test_typed_input_reports_unknown_tokens():
    exp = S2SExperiment.build(TINY)
    result = exp.run_input("12a4é")
    assert result.unknown == ["a", "é"] and result.weights.shape[1] == 5
    assert len(result.out_tokens) == result.weights.shape[0]
    with pytest.raises(ValueError, match="empty"):
        exp.run_input("")


def test_long_input_study_trains_both_with_the_same_budget():
    study = LongInputStudy(replace(TINY, attention="dot"), steps=4, per_length=5)
    while not study.advance(0.05):
        pass
    assert {r.trainer.steps for r in study.runs.values()} == {4}
    result = study.result()
    assert set(result["models"]) == {"dot attention", "no attention"}
    assert result["lengths"] == [3, 4, 5] and result["counts"] == [5, 5, 5]
    for scores in result["models"].values():
        assert len(scores["exact"]) == len(scores["bleu"]) == 3


def test_config_round_trips_through_the_url():
    from seqviz.config import from_query, to_query

    cfg = replace(S2SConfig(), task="translate", bidirectional=False, attention="dot", lr=0.01,
                  pretrained="reverse", seed=7)
    assert from_query(S2SConfig, to_query(cfg)) == (cfg, [])
    bad, notices = from_query(S2SConfig, {"attention": "magic", "min_len": "0", "x": "1"})
    assert bad == S2SConfig() and len(notices) == 2


def test_inference_loader_for_beam_search():
    from seqviz.attention.checkpoint import load_seq2seq

    exp = S2SExperiment.build(TINY)
    exp.trainer.step(2)
    buf = io.BytesIO()
    exp.save(buf, meta={"steps": 2})
    model, src_vocab, tgt_vocab, level, payload = load_seq2seq(buf.getvalue())
    assert not model.training and level == "char" and src_vocab == exp.data.src_vocab
    assert tgt_vocab == exp.data.tgt_vocab and payload["meta"]["steps"] == 2
    ids = torch.tensor([src_vocab.encode(list("1234"))])
    enc = model.encode(ids, torch.tensor([4]))
    logp, state, w = model.decode_step(torch.tensor([BOS]), model.init_state(enc), enc)
    assert logp.shape == (1, len(tgt_vocab)) and w.shape == (1, 4)


def test_the_long_input_section_opens_on_a_study_where_attention_matters():
    """The dates study is flat at 100 % for both models, so a page on dates (the default task)
    opens on the study where attention matters most; a task whose own study shows the problem
    opens on its own."""
    from seqviz.attention.study import attention_gap, default_study, load_studies

    studies = {s["task"]: s for s in load_studies()}
    assert attention_gap(studies["dates"]) < 0.05  # why dates cannot be the default
    first = default_study(list(studies.values()), "dates")
    assert first["task"] != "dates" and attention_gap(first) >= 0.5
    base = first["models"]["no attention"]["exact"]
    att = first["models"]["additive attention"]["exact"]
    assert base[0] >= 0.9 and base[-1] <= 0.1 and min(att) >= 0.7  # visibly apart at length
    assert default_study(list(studies.values()), "reverse")["task"] == "reverse"
    assert default_study([], "dates") is None
