"""Neighbours, analogies and accuracy against brute force; search; the embedding figures."""

import math

import numpy as np
import plotly.graph_objects as go
import pytest
from sklearn.manifold import trustworthiness as sk_trustworthiness

from seqviz.data import ANALOGIES
from seqviz.embeddings import (Index, QueryError, analogy, analogy_accuracy, neighbours,
                               relation_of, search_labels, trustworthiness)
from seqviz.figures import embeddings as figs


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


# ---- figures --------------------------------------------------------------------------------
def _map_data(n=40):
    rng = np.random.default_rng(4)
    return rng.normal(size=(n, 2)), [f"w{i}" for i in range(n)], \
        ["animal" if i % 2 else "colour" for i in range(n)], np.arange(n, 0, -1) * 10


def test_scatter_by_category_has_a_trace_per_group_and_hover_labels():
    xy, labels, groups, _ = _map_data()
    fig = figs.scatter_figure(xy, labels, groups=groups, axes=("t-SNE 1", "t-SNE 2"))
    assert isinstance(fig, go.Figure)
    names = [t.name for t in fig.data]
    assert names == ["colour", "animal"]
    assert sum(len(t.x) for t in fig.data) == 40
    assert sorted(sum((list(t.customdata) for t in fig.data), [])) == sorted(labels)
    assert fig.layout.xaxis.title.text == "t-SNE 1" and fig.layout.yaxis.title.text == "t-SNE 2"
    assert fig.layout.title.text and fig.layout.yaxis.scaleanchor == "x"
    assert any(s for t in fig.data for s in t.text)  # some points carry text labels


def test_scatter_by_frequency_uses_a_log_colour_scale():
    xy, labels, _, counts = _map_data()
    fig = figs.scatter_figure(xy, labels, counts=counts, colour="frequency")
    (trace,) = fig.data
    np.testing.assert_allclose(trace.marker.color, np.log10(counts))
    assert trace.marker.colorbar.title.text == "log10 count"


def test_search_matches_are_drawn_on_top():
    xy, labels, groups, _ = _map_data()
    mask = np.array([w in ("w3", "w5") for w in labels])
    fig = figs.scatter_figure(xy, labels, groups=groups, highlight=mask)
    top = fig.data[-1]
    assert top.name == "search: 2 match(es)" and list(top.text) == ["w3", "w5"]
    assert all(t.marker.opacity < 0.5 for t in fig.data[:-1])


def test_parallelogram_corners_and_ideal_point():
    xy, labels, groups, _ = _map_data()
    para = figs.parallelogram(xy, labels, "w1", "w2", "w3", "w4")
    fig = figs.scatter_figure(xy, labels, groups=groups, parallelogram=para)
    ideal = [t for t in fig.data if t.marker and t.marker.symbol == "star-open"][0]
    np.testing.assert_allclose([ideal.x[0], ideal.y[0]], xy[1] - xy[2] + xy[3])
    corners = [t for t in fig.data if t.name == "w1 − w2 + w3 ≈ w4"][0]
    assert list(corners.text) == ["w1", "w2", "w3", "w4"]
    assert len(fig.layout.annotations) == 4  # four arrows
    with pytest.raises(KeyError, match="zebra"):
        figs.parallelogram(xy, labels, "w1", "w2", "w3", "zebra")


def test_label_mask_never_overlaps_and_prefers_frequent_words():
    xy = np.array([[0.0, 0.0], [0.001, 0.0], [10.0, 10.0], [0.0, 0.0005]])
    mask = figs.label_mask(xy, ["alpha", "beta", "gamma", "delta"])
    assert mask.tolist() == [True, False, True, False]
    assert figs.label_mask(np.random.default_rng(0).normal(size=(500, 2)),
                           [f"w{i}" for i in range(500)], max_text=30).sum() <= 30


@pytest.mark.parametrize("kwargs,needle", [
    (dict(coords=np.zeros((3, 2)), labels=["a", "b"]), "coords has 3, labels has 2"),
    (dict(coords=np.zeros((3, 3)), labels=["a", "b", "c"]), "shape (N, 2)"),
    (dict(coords=np.zeros((2, 2)), labels=["a", "b"], groups=["x"]), "groups has 1"),
    (dict(coords=np.zeros((2, 2)), labels=["a", "b"], colour="frequency"), "needs counts"),
])
def test_scatter_validates_shapes(kwargs, needle):
    kwargs.setdefault("groups", ["g"] * len(kwargs["labels"]))
    if kwargs.get("colour") == "frequency":
        kwargs.pop("groups")
    with pytest.raises(ValueError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        figs.scatter_figure(**kwargs)


def test_training_figures():
    loss = figs.w2v_loss_figure(list(range(1, 5001)), list(np.linspace(4, 2, 5000)), negatives=5)
    assert len(loss.data[0].x) <= figs.MAX_CURVE  # long histories are thinned
    assert loss.data[2].y[0] == pytest.approx(6 * math.log(2))
    assert loss.layout.yaxis.title.text == "loss per pair (nats)"
    acc = figs.analogy_accuracy_figure([0, 10], {"all": [0.0, 0.5], "gender": [0.0, 1.0]})
    assert list(acc.data[1].y) == [0.0, 100.0] and acc.layout.yaxis.title.text == "correct (%)"
    with pytest.raises(ValueError, match="steps has 2, all has 1"):
        figs.analogy_accuracy_figure([0, 10], {"all": [0.0]})
    assert figs.neighbour_rows([("queen", 0.91234)]) == [{"rank": 1, "word": "queen",
                                                          "cosine": 0.912}]
