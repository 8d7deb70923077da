"""Neighbours, analogies and accuracy against brute force; search; the embedding figures."""

import math
from collections import Counter

import numpy as np
import pytest
from sklearn.manifold import trustworthiness as sk_trustworthiness

from seqviz.data import ANALOGIES
from seqviz.embeddings import figures as figs
from seqviz.embeddings.grammars import TEACHING
from seqviz.figures.style import MAX_CURVE
from seqviz.i18n import use_language
from seqviz.embeddings.queries import (Index, QueryError, analogy, analogy_accuracy, neighbours,
                                       relation_of, search_labels, trustworthiness)


@pytest.fixture
def random_index():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(60)]
    return Index.build(rng.normal(size=(60, 7)), words), words


def _cos(u, v):
    dot = sum(a * b for a, b in zip(u, v))
    return dot / math.sqrt(sum(a * a for a in u) * sum(b * b for b in v))


def test_neighbours_equal_brute_force_cosine(random_index):
    index, words = random_index
    vecs = index.unit * 3.0  # any scale: cosine ignores it
    for q in ("w0", "w17", "w59"):
        qi = words.index(q)
        brute = sorted(((w, _cos(vecs[qi], vecs[i])) for i, w in enumerate(words) if i != qi),
                       key=lambda t: -t[1])[:8]
        got = neighbours(index, q, 8)
        assert [w for w, _ in got] == [w for w, _ in brute]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in brute], rtol=1e-12)


def test_neighbours_of_self_first_when_asked(random_index):
    index, _ = random_index
    res = neighbours(index, "w3", 3, include_self=True)
    assert res[0][0] == "w3" and res[0][1] == pytest.approx(1.0)


def test_analogy_equals_brute_force_3cosadd(random_index):
    index, words = random_index
    u = index.unit
    a, b, c = words.index("w1"), words.index("w2"), words.index("w3")
    target = u[a] - u[b] + u[c]
    brute = sorted(((w, _cos(u[i], target)) for i, w in enumerate(words) if i not in (a, b, c)),
                   key=lambda t: -t[1])[:5]
    got = analogy(index, "w1", "w2", "w3", k=5)
    assert [w for w, _ in got] == [w for w, _ in brute]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in brute], rtol=1e-9)


def _planted():
    """king/queen/man/woman... where e(x) = base(x) + gender: analogies hold exactly-ish."""
    rng = np.random.default_rng(1)
    words, vecs = [], []
    gender = rng.normal(size=16) * 2
    for name in ("king", "man", "boy", "prince"):
        base = rng.normal(size=16) * 3
        female = {"king": "queen", "man": "woman", "boy": "girl", "prince": "princess"}[name]
        words += [name, female]
        vecs += [base, base + gender]
    return Index.build(np.array(vecs), words)


def test_analogy_excludes_query_words_unless_asked():
    index = _planted()
    res = analogy(index, "king", "man", "woman", k=8)
    assert res[0][0] == "queen"
    assert not {"king", "man", "woman"} & {w for w, _ in res}
    shown = analogy(index, "king", "man", "woman", k=8, include_query=True)
    assert {"king", "woman"} & {w for w, _ in shown[:3]}  # a query word ranks high
    assert len(shown) == 8


@pytest.mark.parametrize("a,b,c,needle", [
    ("king", "mann", "woman", "'mann' is not in the vocabulary"),
    ("kingdom", "man", "woman", "not in the vocabulary"),
    ("king", "king", "woman", "'king' appears twice"),
    ("king", "man", "King", "'king' appears twice"),  # same word after lower-casing
    ("", "man", "woman", "Type a word"),
])
def test_bad_analogy_queries_raise_clear_messages(a, b, c, needle):
    with pytest.raises(QueryError, match=needle):
        analogy(_planted(), a, b, c)


def test_unknown_word_suggests_close_matches():
    with pytest.raises(QueryError, match="Did you mean 'queen'"):
        neighbours(_planted(), "queeen")


def test_analogy_accuracy_equals_a_loop_over_the_queries():
    rng = np.random.default_rng(2)
    words = sorted({w for q in ANALOGIES for w in q}) + ["extra"]
    index = Index.build(rng.normal(size=(len(words), 5)), words)
    # plant some answers: d := a - b + c for the first 40 analogies' d words (no conflicts)
    used = set()
    vec = index.unit.copy()
    for a, b, c, d in ANALOGIES[:40]:
        if d in used or {a, b, c} & used:
            continue
        used.add(d)
        pos = index.pos
        vec[pos[d]] = vec[pos[a]] - vec[pos[b]] + vec[pos[c]]
    index = Index.build(vec, words)
    score = analogy_accuracy(index)
    correct, by = 0, {}
    for quad in ANALOGIES:
        best = analogy(index, *quad[:3], k=1)[0][0]
        correct += best == quad[3]
        t = by.setdefault(relation_of(quad), [0, 0])
        t[0] += best == quad[3]
        t[1] += 1
    assert score.correct == correct and score.total == len(ANALOGIES) and score.skipped == 0
    assert score.by_relation == {k: tuple(v) for k, v in by.items()}
    assert 0 < score.accuracy < 1


def test_chinese_grammar_relations_and_labels():
    t = TEACHING["grammar_zh"]
    assert relation_of(("国王", "男人", "女人", "王后"), "grammar_zh") == "gender"
    assert relation_of(("狗", "猫", "小猫", "小狗"), "grammar_zh") == "young"
    assert Counter(t.relation_of(q) for q in t.analogies) == {"gender": 72, "young": 90}
    assert t.label("young") == "adult → young (小狗 − 狗 + 猫)"
    with use_language("zh"):
        assert t.label("young") == "成年 → 幼崽（小狗 − 狗 + 猫）"
        assert TEACHING["grammar"].label("plural") == "单复数（dogs − dog + cat）"
    rng = np.random.default_rng(0)
    words = sorted({w for q in t.analogies for w in q})
    score = analogy_accuracy(Index.build(rng.normal(size=(len(words), 8)), words),
                             t.analogies, t.relation_of)
    assert {k: v[1] for k, v in score.by_relation.items()} == {"gender": 72, "young": 90}


def test_analogy_accuracy_skips_missing_words():
    index = _planted()
    score = analogy_accuracy(index, [("king", "man", "woman", "queen"),
                                     ("dog", "cat", "cats", "dogs")])
    assert (score.correct, score.total, score.skipped) == (1, 1, 1)
    assert math.isnan(analogy_accuracy(index, [("x", "y", "z", "w")]).accuracy)


def test_trustworthiness_is_sklearns():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 6))
    Y = X[:, :2] + 0.1 * rng.normal(size=(50, 2))
    assert trustworthiness(X, Y, 5) == pytest.approx(sk_trustworthiness(X, Y, n_neighbors=5))
    assert trustworthiness(X[:5], Y[:5], 5) == pytest.approx(  # k lowered to fit 5 points
        sk_trustworthiness(X[:5], Y[:5], n_neighbors=2))
    with pytest.raises(QueryError, match="at least 3 points"):
        trustworthiness(X[:2], Y[:2])


def test_search_by_word_or_regex():
    labels = ["king", "queen", "kingdom", "Cat", "f(x)"]
    mask, note = search_labels(labels, "^(king|queen)$")
    assert mask.tolist() == [True, True, False, False, False] and note is None
    assert search_labels(labels, "cat")[0].tolist() == [False, False, False, True, False]
    mask, note = search_labels(labels, "f(x")
    assert mask.tolist() == [False, False, False, False, True] and "not a valid regular" in note
    assert not search_labels(labels, "  ")[0].any()


# ---- figures (the map: test_embeddings_map.py) -----------------------------------------------
def test_training_figures():
    loss = figs.w2v_loss_figure(list(range(1, 5001)), list(np.linspace(4, 2, 5000)), negatives=5)
    assert len(loss.data[0].x) <= MAX_CURVE  # long histories are thinned
    assert loss.data[2].y[0] == pytest.approx(6 * math.log(2))
    assert loss.layout.yaxis.title.text == "loss per pair (nats)"
    acc = figs.analogy_accuracy_figure([0, 10], {"all": [0.0, 0.5], "gender": [0.0, 1.0]})
    assert list(acc.data[1].y) == [0.0, 100.0] and acc.layout.yaxis.title.text == "correct (%)"
    with pytest.raises(ValueError, match="steps has 2, all has 1"):
        figs.analogy_accuracy_figure([0, 10], {"all": [0.0]})
    assert figs.neighbour_rows([("queen", 0.91234)]) == [{"rank": 1, "word": "queen",
                                                          "cosine": 0.912}]


@pytest.mark.parametrize("negatives", [None, 5])
def test_refreshing_the_training_curves_equals_building_them(negatives):
    """The page draws each snapshot's curves by writing its data into the dicts of figures
    built earlier in the run (``refresh_curves``): the result must be what a build sends,
    through thinning (more than MAX_CURVE points), the first data (the empty figure's fixed x
    range goes) and the loss figure's dashed level reaching the last step; no data: build."""
    rng = np.random.default_rng(0)
    for n1, n2 in [(0, 1), (1, 5), (5, 2500), (2500, 4000), (3, 3)]:
        s1, s2 = np.arange(1, n1 + 1), np.arange(1, n2 + 1)
        l1, m1, l2, m2 = (rng.uniform(1, 4, n) for n in (n1, n1, n2, n2))
        old = figs.w2v_loss_figure(s1, l1, smooth=m1, negatives=negatives).to_dict()
        assert figs.refresh_curves(old, s2, l2, m2) == figs.w2v_loss_figure(
            s2, l2, smooth=m2, negatives=negatives).to_dict()
        a1, a2 = rng.uniform(0, 1, (n1, 2)), rng.uniform(0, 1, (n2, 2))
        old = figs.analogy_accuracy_figure(s1, {"all": a1[:, 0], "plural": a1[:, 1]}).to_dict()
        assert figs.refresh_curves(old, s2, a2[:, 0], a2[:, 1], scale=100.0) == \
            figs.analogy_accuracy_figure(s2, {"all": a2[:, 0], "plural": a2[:, 1]}).to_dict()
    built = figs.w2v_loss_figure([1, 2], [4.0, 3.0], negatives=negatives).to_dict()
    assert figs.refresh_curves(built, [], [], []) is None


def test_training_figures_in_chinese():
    with use_language("zh"):
        loss = figs.w2v_loss_figure([1, 2], [4.0, 3.0], negatives=5)
        acc = figs.analogy_accuracy_figure([0, 10], {"all": [0.0, 0.5]})
        rows = figs.neighbour_rows([("王后", 0.9)])
    assert loss.layout.title.text == "word2vec 损失（负采样）"
    assert loss.layout.xaxis.title.text == "训练步数" and [t.name for t in loss.data][:2] == [
        "每步损失", "平滑后"]
    assert acc.layout.yaxis.title.text == "正确率（%）"
    assert rows == [{"排名": 1, "词": "王后", "余弦相似度": 0.9}]
