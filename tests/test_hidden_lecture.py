"""The hidden-states lecture: well-formed steps whose answers say what the bundled models do.

Each claim of ``seqviz.hidden.lecture`` is measured again on the checkpoint the step opens, with
the rounding the answer uses; a retrained checkpoint that changes a number fails here until the
answer is updated. The units the page names are checked too: the r recorded in each bundled
checkpoint is what its unit shows on held-out text, and is at least ``MIN_R``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqviz.checkpoint import list_pretrained, load_lm, pretrained_path
from seqviz.data import build_text_data, load_corpus
from seqviz.hidden.config import HiddenConfig
from seqviz.hidden.features import bracket_mask, line_position
from seqviz.hidden.lecture import GENDER_TEXT, PARENS_TEXT, STEPS
from seqviz.hidden.probes import EXAMPLES, encode_probe, fit_ngram, trace_lm
from seqviz.hidden.units import MIN_R, correlations
from seqviz.lecture import check_steps

pytestmark = pytest.mark.skipif(
    not {"lm_python", "lm_prose", "lm_grammar_zh"} <= set(list_pretrained("lm")),
    reason="bundled checkpoints missing")


def _step(title_start: str):
    return next(s for s in STEPS if s.title.startswith(title_start))


def _trace(name: str, text: str):
    model, vocab, level, meta = load_lm(pretrained_path(name))
    probe = encode_probe(text, vocab, level)
    assert not probe.unknown.any()
    return model, vocab, meta, probe, trace_lm(model, probe.ids)


def _recorded(meta: dict, feature: str) -> dict:
    return next(n for n in meta["neurons"] if n["feature"] == feature)


def test_steps_are_well_formed_and_open_existing_models():
    assert check_steps(STEPS, HiddenConfig) == []
    for step in STEPS:
        assert step.params["source"] in list_pretrained("lm")
        assert step.after_steps == 0  # bundled models: the answer shows once set up


def test_line_position_unit_counts_characters():
    step = _step("A unit that counts")
    model, vocab, meta, probe, trace = _trace("lm_python", EXAMPLES["python"])
    unit = _recorded(meta, "position in the line")
    assert (unit["layer"], unit["state"], unit["unit"]) == (1, "cell", 80)
    assert (step.params["layer"], step.params["unit"]) == ("1", "80")
    assert f"+{unit['r']:.2f} on 8,192 held-out" in step.answer
    text = EXAMPLES["python"]
    c = np.tanh(trace.layers[1].cell[:, 80])  # (T,) what the neuron view colours
    starts = [t for t in range(len(text)) if t == 0 or text[t - 1] == "\n"]
    ends = [t - 1 for t in range(len(text)) if text[t] == "\n"]  # last character of a line
    assert -0.955 <= c[starts].min() and c[starts].max() <= -0.445  # "between −0.95 and −0.45"
    assert (c[ends] > c[starts]).all()  # "climbs as the line goes on"
    assert f"r = +{np.corrcoef(c, line_position(text))[0, 1]:.2f}" in step.answer


def test_parenthesis_unit():
    step = _step("A parenthesis detector")
    model, vocab, meta, probe, trace = _trace("lm_python", PARENS_TEXT)
    unit = _recorded(meta, "inside parentheses")
    assert (unit["layer"], unit["state"], unit["unit"]) == (0, "cell", 90)
    assert f"{unit['r']:.2f}".replace("-", "−") + " on 8,192 held-out" in step.answer
    c = np.tanh(trace.layers[0].cell[:, 90])
    parens, square = bracket_mask(PARENS_TEXT, "()"), bracket_mask(PARENS_TEXT, "[]")
    said = [f"{c[parens].mean():.2f} on average inside", f"+{c[~parens & ~square].mean():.2f} "
            "elsewhere", f"(+{c[square].mean():.2f})",
            f"r = {np.corrcoef(c, parens)[0, 1]:.2f} with"]
    for claim in said:
        assert claim.replace("-", "−") in step.answer, claim


def test_chinese_lstm_remembers_the_pronoun_and_the_5gram_cannot():
    step = _step("Memory that a 5-gram")
    model, vocab, meta, probe, trace = _trace("lm_grammar_zh", GENDER_TEXT)
    pos = int(step.params["position"])
    assert GENDER_TEXT[pos - 6: pos + 1] == "她是一个聪明的" and GENDER_TEXT[6] == "的"

    def top(t: int) -> dict[str, float]:
        return {vocab.itos[i]: float(p) for i, p in zip(trace.top_ids[t], trace.top_probs[t])}

    after_she, after_he = top(pos), top(6)
    for ch, p in (("王", after_she["王"]), ("姐", after_she["姐"])):
        assert f"{ch} (of 王后) {p:.0%}" in step.answer or f"{ch} {p:.0%}" in step.answer
    assert f"国 {after_he['国']:.0%} and 哥 {after_he['哥']:.0%}" in step.answer
    data = build_text_data(load_corpus("grammar_zh"), "char")
    ngram = fit_ngram(data.train.numpy(), len(vocab), 5)
    she = ngram.prob_dist(probe.ids[: pos + 1])
    he = ngram.prob_dist(probe.ids[:7])
    np.testing.assert_allclose(she, he)  # its window cannot reach the pronoun
    assert (f"王 {she[vocab.stoi['王']]:.0%}, 国 {she[vocab.stoi['国']]:.0%}"
            in step.answer)
    gender = _recorded(meta, "a woman (+) or a man (−)")
    assert f"r = +{gender['r']:.2f}" in step.answer and abs(gender["r"]) < MIN_R


def test_recorded_units_show_their_r_on_held_out_text():
    """The r a button on the page shows is the unit's r on validation tokens 0..8192."""
    model, vocab, level, meta = load_lm(pretrained_path("lm_python"))
    data = build_text_data(load_corpus("python"), level)
    ids = torch.cat([data.train, data.val]).numpy()
    n = len(data.train)
    named = [u for u in meta["neurons"] if abs(u["r"]) >= MIN_R]
    assert {u["feature"] for u in named} == {"inside parentheses", "position in the line"}
    found = correlations(model, vocab, ids, (n, n + 8192), [u["feature"] for u in named])
    for u in named:
        r = found[u["feature"]][(u["layer"], u["state"])][u["unit"]]
        assert r == pytest.approx(u["r"], abs=2e-3), u


def test_chinese_sentences_end_in_the_same_state():
    from scipy.spatial.distance import pdist

    from seqviz.hidden.pca import fit_pca
    from seqviz.hidden.probes import trace_corpus

    step = _step("Where a sentence ends")
    text = EXAMPLES["grammar_zh"]
    model, vocab, meta, probe, trace = _trace("lm_grammar_zh", text)
    h = trace.layers[0].hidden  # (T, 128)
    breaks = [t for t, ch in enumerate(text) if ch == "\n"]
    assert len(breaks) == 4
    assert f"{pdist(h[breaks]).mean():.2f} apart on average" in step.answer
    assert f"are {pdist(h).mean():.2f} apart" in step.answer
    data = build_text_data(load_corpus("grammar_zh"), "char")  # the page's corpus view and PCA
    corpus = trace_corpus(model, data.val.numpy(), rows=32, max_tokens=8192)
    pc1 = fit_pca(corpus.hidden[0]).transform(h)[breaks, 0]
    assert f"PC 1 ≈ {pc1.mean():.1f}" in step.answer and np.ptp(pc1) < 0.3
