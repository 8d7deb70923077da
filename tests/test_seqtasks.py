"""The sequence-tasks lesson's core: the corpora need memory and context (measured against
memoryless baselines and a one-directional tagger), contributions equal a hand computation,
determinism, typed input, overfitting a tiny set. (Over-fitting 200 reviews and dropout's cure
are measured by tests/test_seqtasks_lecture.py.)"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from seqviz.config import from_query, to_query
from seqviz.seqtasks import analysis
from seqviz.seqtasks.config import SeqTaskConfig
from seqviz.seqtasks.corpora import RIGHT_CONTEXT_TAGS, TAGS, review, tag_sentence
from seqviz.seqtasks.data import MAX_TYPED_TOKENS, build_data, typed_tokens
from seqviz.seqtasks.experiment import SeqTaskExperiment, tag_report
from seqviz.seqtasks.live import explain
from seqviz.seqtasks.models import SeqModel


def test_reviews_need_order_and_scope():
    import random
    rng = random.Random(3)
    seen = set()
    for _ in range(300):
        tokens, label, kind = review(rng)
        seen.add(kind)
        text = " ".join(tokens)
        if kind in ("although-first", "although-second", "but"):
            # two clauses of opposite meaning: the words alone cannot decide
            assert text.count("was") == 2
    assert seen == {"plain", "negated", "although-first", "although-second", "but"}


def test_determiner_tags_come_from_the_right():
    assert tag_sentence("the brown dogs eat bones".split())[0] == "det-pl"
    assert tag_sentence("the brown dog eats bones".split())[0] == "det-sg"
    assert tag_sentence("the king rules in the castle".split()) == [
        "det-sg", "royalty", "verb", "other", "det-sg", "place"]


def test_bag_of_words_is_clearly_worse_than_an_lstm_on_reviews():
    """Measured (seed 0, 2,000 reviews): bag of words 54.8 % held out; LSTM 32 after 600 steps
    100 %."""
    exp = SeqTaskExperiment.build(SeqTaskConfig(task="sentiment"))
    bow = analysis.bag_of_words_accuracy(exp.data)
    lstm = exp.train_to(600, 200).val_acc
    assert bow < 0.62, bow
    assert lstm > 0.95, lstm
    assert lstm - bow > 0.3


def _right_context_accuracy(exp: SeqTaskExperiment) -> float:
    y = analysis.gold(exp.data, exp.data.val)
    pred = analysis.predict(exp.model, exp.data, exp.data.val)
    sel = np.isin(y, [TAGS.index(t) for t in RIGHT_CONTEXT_TAGS])
    return float((pred[sel] == y[sel]).mean())


def test_bidirectional_tagger_beats_one_directional_on_right_context_tags():
    """Measured (seed 0, LSTM 32, 600 steps): on determiners, whose tag depends on the noun to
    their right, the one-directional tagger is right 88.6 % of the time (it can only learn the
    prior: it never tags det-pl correctly; 97.6 % of all tokens) and the bidirectional one
    100 % (100 % of all tokens)."""
    results = {}
    for bi in (False, True):
        exp = SeqTaskExperiment.build(SeqTaskConfig(task="tagging", bidirectional=bi))
        exp.train_to(600, 200)
        _m, per_tag = tag_report(exp.model, exp.data)
        results[bi] = (_right_context_accuracy(exp), per_tag[TAGS.index("det-pl")],
                       exp.evals[-1].val_acc)
    (uni, uni_pl, uni_all), (bi, bi_pl, bi_all) = results[False], results[True]
    assert bi > 0.98 and bi_pl > 0.95, results
    assert uni < 0.9 and uni_pl < 0.2, results
    assert bi - uni > 0.1 and bi_all > uni_all, results
    # the most frequent tag of each word is as good as the one-directional tagger
    base = analysis.most_frequent_tag(exp.data)
    assert base.per_tag[TAGS.index("det-pl")] == 0.0


def test_grad_x_input_equals_a_hand_computation():
    """A one-unit Elman RNN, E = 1: h_t = tanh(a x_t + u h_{t-1} + b), margin = (v1 - v0) h_T
    (+ const). d margin / d x_t = (v1 - v0) (1 - h_t^2) a prod_{k>t} (1 - h_k^2) u."""
    torch.manual_seed(0)
    model = SeqModel(5, 2, cell="rnn", embed_size=1, hidden_size=1).double()
    emb = np.array([0.0, 0.3, -0.7, 1.1, 0.5])
    a, u, b, v = 0.8, -0.6, 0.1, np.array([0.4, -1.3])
    with torch.no_grad():
        model.embed.weight.copy_(torch.tensor(emb).view(5, 1))
        model.rnn.weight_ih_l0.fill_(a)
        model.rnn.weight_hh_l0.fill_(u)
        model.rnn.bias_ih_l0.fill_(b)
        model.rnn.bias_hh_l0.fill_(0.0)
        model.head.weight.copy_(torch.tensor(v).view(2, 1))
        model.head.bias.fill_(0.2)
    ids = [2, 3, 1, 4]
    x = emb[ids]
    h, hs = 0.0, []
    for xt in x:
        h = math.tanh(a * xt + u * h + b)
        hs.append(h)
    want = []
    for t in range(len(x)):
        d = (v[1] - v[0]) * (1 - hs[t] ** 2) * a
        for k in range(t + 1, len(x)):
            d *= (1 - hs[k] ** 2) * u
        want.append(d * x[t])
    got, p = analysis.grad_x_input(model, ids)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    logit = v * hs[-1] + 0.2
    assert p == pytest.approx(1 / (1 + math.exp(logit[0] - logit[1])), rel=1e-10)
    # occlusion: P(positive) with each token replaced by <unk> (id 1), by the same recurrence
    occ, p0 = analysis.occlusion(model, ids)

    def prob(seq):
        h = 0.0
        for xt in emb[seq]:
            h = math.tanh(a * xt + u * h + b)
        lg = v * h + 0.2
        return 1 / (1 + math.exp(lg[0] - lg[1]))

    want_occ = [prob(ids) - prob(ids[:t] + [1] + ids[t + 1:]) for t in range(len(ids))]
    np.testing.assert_allclose(occ, want_occ, rtol=1e-9, atol=1e-12)


def test_bidirectional_classifier_reads_both_ends():
    torch.manual_seed(1)
    model = SeqModel(6, 2, cell="gru", embed_size=3, hidden_size=4, bidirectional=True).eval()
    ids = torch.tensor([[2, 3, 4, 0, 0], [5, 2, 3, 4, 5]])
    lengths = torch.tensor([3, 5])
    feats = model.features(ids, lengths)
    alone = model.features(ids[:1, :3], lengths[:1])
    # the forward half ignores the padding after the last token
    torch.testing.assert_close(feats[0, :4], alone[0, :4])
    assert feats.shape == (2, 8)


def test_step_in_pieces_equals_step_at_once_with_dropout():
    cfg = SeqTaskConfig(task="sentiment", hidden_size=8, embed_size=4, train_size=200,
                        dropout=0.3, weight_decay=1e-3, seed=4)
    a, b = SeqTaskExperiment.build(cfg), SeqTaskExperiment.build(cfg)
    torch.manual_seed(123)  # the global RNG must not matter
    a.step(5)
    a.step(5)
    torch.manual_seed(999)
    b.step(10)
    assert [h.loss for h in a.trainer.history] == [h.loss for h in b.trainer.history]


def test_live_settings_reach_the_model_and_optimiser():
    cfg = SeqTaskConfig(task="tagging", num_layers=2, hidden_size=8, train_size=100)
    exp = SeqTaskExperiment.build(cfg)
    exp.apply_live(dataclasses.replace(cfg, dropout=0.4, weight_decay=0.01, lr=0.01))
    assert exp.model.drop_in.p == 0.4 and exp.model.rnn.dropout == 0.4
    assert all(g["weight_decay"] == 0.01 and g["lr"] == 0.01
               for g in exp.trainer.optimizer.param_groups)


@pytest.mark.parametrize("task", ["sentiment", "tagging"])
def test_overfits_a_tiny_training_set(task):
    # (bidirectional: from the left alone a determiner's tag is a guess, even in training)
    exp = SeqTaskExperiment.build(SeqTaskConfig(task=task, train_size=50, hidden_size=64,
                                                bidirectional=True, lr=0.01, seed=2))
    assert exp.train_to(300, 100).train_acc == 1.0


def test_config_round_trips_and_refuses_bad_values():
    cfg = SeqTaskConfig(task="tagging", cell="gru", bidirectional=True, num_layers=3,
                        dropout=0.3, weight_decay=1e-3, seed=9)
    assert from_query(SeqTaskConfig, to_query(cfg)) == (cfg, [])
    back, notices = from_query(SeqTaskConfig, {"num_layers": "7", "task": "poetry",
                                               "dropout": "nan"})
    assert back == SeqTaskConfig() and len(notices) == 3


def test_typed_sentences_are_bounded_and_explained():
    tokens, notices = typed_tokens("The food was NOT bad, really.")
    assert tokens == ["the", "food", "was", "not", "bad", ",", "really"] and not notices
    tokens, notices = typed_tokens("good " * 500)
    assert len(tokens) == MAX_TYPED_TOKENS and len(notices) == 2
    exp = SeqTaskExperiment.build(SeqTaskConfig(hidden_size=8, train_size=100))
    assert explain(exp, "   ").error is not None
    assert explain(exp, "zzz qqq").error is not None
    out = explain(exp, "the food was great xyzzy")
    assert out.error is None and out.known == (True, True, True, True, False)
    assert out.grad_x_input.shape == (5,) and 0 <= out.p_positive <= 1
    tagger = SeqTaskExperiment.build(SeqTaskConfig(task="tagging", hidden_size=8,
                                                   train_size=100))
    out = explain(tagger, "the dogs eat bones")
    assert len(out.tags) == 4 and out.confidence.shape == (4,)
    # the tag names come with the tags (the page may have no view of this build yet)
    assert out.classes == tuple(tagger.data.classes) and max(out.tags) < len(out.classes)


def test_validation_is_never_the_training_data():
    data = build_data("sentiment", 200, 0)
    assert len(data.val) == 500 and data.train[:5] != data.val[:5]



def test_chinese_reviews_need_memory_too():
    """The Chinese reviews (the page in Chinese): bag of words 54.6 %, LSTM 100 % at step 600."""
    exp = SeqTaskExperiment.build(SeqTaskConfig(task="sentiment", reviews="zh"))
    assert analysis.bag_of_words_accuracy(exp.data) < 0.62
    assert exp.train_to(600, 200).val_acc > 0.95
    tokens, _notices = typed_tokens("虽然菜很好吃，但是服务员不热情", frozenset(exp.data.itos))
    assert tokens == ["虽然", "菜", "很", "好吃", "，", "但是", "服务员", "不", "热情"]
    out = explain(exp, "咖啡不差，虽然服务员很冷淡")
    assert out.error is None and all(out.known) and out.p_positive > 0.5


def test_the_per_tag_chart_shows_its_legend_and_the_confusion_tags_stand_upright():
    """The per-tag bars' legend (model vs the most-frequent-tag baseline) was set above the
    plot in the figure's own coordinates, which put it outside the figure: never drawn. The
    confusion matrix's fourteen slanted Chinese tag names ran into each other."""
    from seqviz.i18n import use_language
    from seqviz.seqtasks.figures import confusion_figure, per_class_figure

    tags = ["det-sg", "det-pl", "royalty", "person", "animal", "colour", "number", "food",
            "place", "object", "verb", "adjective", "pronoun", "other"]
    with use_language("zh"):
        bars = per_class_figure(tags, np.full(14, 0.5), baseline=np.full(14, 0.4),
                                baseline_name="baseline")
        confusion = confusion_figure(np.ones((14, 14)), tags)
    legend = bars.layout.legend
    assert bars.layout.showlegend is not False and len(bars.data) == 2
    assert legend.yref == "container" and legend.y == 0 and legend.yanchor == "bottom"
    assert confusion.layout.xaxis.tickangle == -90
