"""The embedding map: traces, search, the analogy parallelogram, translated names, and text
labels that never pile up (the issue: king / man / woman / queen printed on top of each other)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from seqviz.embeddings.labels import (LABEL_GAP_PX, PLOT_PX, POSITIONS, _offsets, place_labels,
                                      text_em)
from seqviz.embeddings.mapfigures import CORNER_MARKER, MARKER, map_figure, moved_spec
from seqviz.i18n import use_language


def _map_data(n=40):
    rng = np.random.default_rng(4)
    return rng.normal(size=(n, 2)), [f"w{i}" for i in range(n)], \
        ["animal" if i % 2 else "colour" for i in range(n)], np.arange(n, 0, -1) * 10


def test_map_by_category_has_a_trace_per_group_and_hover_labels():
    xy, labels, groups, _ = _map_data()
    fig = map_figure(xy, labels, groups=groups, axes=("t-SNE 1", "t-SNE 2")).fig
    assert [t.name for t in fig.data] == ["animal", "colour"]
    assert sum(len(t.x) for t in fig.data) == 40
    assert sorted(sum((list(t.customdata) for t in fig.data), [])) == sorted(labels)
    assert fig.layout.xaxis.title.text == "t-SNE 1" and fig.layout.yaxis.title.text == "t-SNE 2"
    assert fig.layout.title.text and fig.layout.yaxis.scaleanchor == "x"
    assert any(s for t in fig.data for s in t.text)  # some points carry text labels


def test_categories_have_the_same_colour_and_legend_order_in_both_grammars():
    from seqviz.embeddings.grammars import category_of

    def legend(words):
        groups = [category_of(w) for w in words]
        fig = map_figure(np.random.default_rng(0).normal(size=(len(words), 2)), words,
                         groups=groups).fig
        return [(t.name, t.marker.color) for t in fig.data]

    en = legend(["the", "king", "dog", "red", "castle", "queen"])
    with use_language("zh"):
        zh = legend(["王后", "红色", "的", "狗", "国王", "城堡"])  # another frequency order
    assert [c for _n, c in en] == [c for _n, c in zh] and len(en) == 5
    assert [n for n, _c in zh] == ["王室", "动物", "颜色", "地点", "虚词"]


def test_map_names_in_chinese():
    xy, labels, groups, counts = _map_data()
    with use_language("zh"):
        fig = map_figure(xy, labels, groups=groups).fig
        freq = map_figure(xy, labels, counts=counts, colour="frequency").fig
    assert [t.name for t in fig.data] == ["动物", "颜色"]  # the categories' fixed order
    assert fig.layout.title.text == "词嵌入图" and fig.layout.xaxis.title.text == "维度 1"
    assert freq.data[0].marker.colorbar.title.text == "log10 词频"


def test_map_by_frequency_uses_a_log_colour_scale():
    xy, labels, _, counts = _map_data()
    (trace,) = map_figure(xy, labels, counts=counts, colour="frequency").fig.data
    np.testing.assert_allclose(trace.marker.color, np.log10(counts))
    assert trace.marker.colorbar.title.text == "log10 count"


def test_search_matches_are_drawn_on_top_and_labelled():
    xy, labels, groups, _ = _map_data()
    mask = np.array([w in ("w3", "w5") for w in labels])
    fig = map_figure(xy, labels, groups=groups, highlight=mask).fig
    top = fig.data[-1]
    assert top.name == "search: 2 match(es)" and sorted(t for t in top.text if t) == ["w3", "w5"]
    assert all(t.marker.opacity < 0.5 for t in fig.data[:-1])
    assert not any(s for t in fig.data[:-1] for s in t.text)  # only the matches are labelled


def test_parallelogram_corners_ideal_point_and_no_double_labels():
    xy, labels, groups, _ = _map_data()
    m = map_figure(xy, labels, groups=groups, quad=("w1", "w2", "w3", "w4"))
    fig = m.fig
    ideal = [t for t in fig.data if t.marker and t.marker.symbol == "star-open"][0]
    np.testing.assert_allclose([ideal.x[0], ideal.y[0]], xy[1] - xy[2] + xy[3])
    corners = fig.data[m.para_at + 4]
    assert list(corners.text) == ["w1", "w2", "w3", "w4"]
    assert len(fig.layout.annotations) == 4  # four arrows
    point_texts = {s for t in fig.data[:m.para_at] for s in t.text}
    assert not point_texts & {"w1", "w2", "w3", "w4"}  # each corner word printed once
    with pytest.raises(KeyError, match="zebra"):
        map_figure(xy, labels, groups=groups, quad=("w1", "w2", "w3", "zebra"))


@pytest.mark.parametrize("kwargs,needle", [
    (dict(coords=np.zeros((3, 2)), labels=["a", "b"]), "coords has 3, labels has 2"),
    (dict(coords=np.zeros((3, 3)), labels=["a", "b", "c"]), "shape (N, 2)"),
    (dict(coords=np.zeros((2, 2)), labels=["a", "b"], groups=["x"]), "groups has 1"),
    (dict(coords=np.zeros((2, 2)), labels=["a", "b"], colour="frequency"), "needs counts"),
])
def test_map_validates_shapes(kwargs, needle):
    kwargs.setdefault("groups", ["g"] * len(kwargs["labels"]))
    if kwargs.get("colour") == "frequency":
        kwargs.pop("groups")
    with pytest.raises(ValueError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        map_figure(**kwargs)


# ---- labels ----------------------------------------------------------------------------------
def test_text_width_counts_chinese_characters_as_wide():
    assert text_em("king") == pytest.approx(0.56 + 0.34 + 0.56 + 0.56)
    assert text_em("国王") == pytest.approx(2.0)  # two characters, as wide as 3.5 Latin ones
    assert text_em("小狗 dog") == pytest.approx(2.0 + 0.34 + 3 * 0.56)
    assert text_em("mw") > text_em("il") * 2


def _boxes(xy, texts, placement, font_px, marker_px=MARKER, plot_px=PLOT_PX):
    """Each shown label's box in data units, from its side and the module's box geometry."""
    span = np.ptp(xy, axis=0)
    u = max(span[0] / (0.9 * plot_px[0] - MARKER), span[1] / (0.9 * plot_px[1] - MARKER))
    radius = np.broadcast_to(np.asarray(marker_px, float), (len(xy),)) / 2
    font = np.asarray(font_px, float)
    widths = np.array([text_em(t) for t in texts]) * font
    rel = _offsets(widths, font, radius)  # (N, positions, 4), px
    out = {}
    for i in np.flatnonzero(placement.shown):
        x0, x1, y0, y1 = rel[i, POSITIONS.index(placement.position[i])]
        x, y = xy[i] / u
        out[i] = (x + x0, x + x1, y + y0, y + y1)
    return out


def _overlaps(boxes: dict) -> list:
    return [(i, j) for (i, a), (j, b) in itertools.combinations(boxes.items(), 2)
            if a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]]


@pytest.mark.parametrize("lang_words", [
    [f"word{i}" for i in range(300)],
    [["国王", "王后", "男人", "女人", "小狗", "狗", "刚出生的", "红色"][i % 8] + str(i)
     for i in range(300)],
])
def test_placed_labels_never_overlap(lang_words):
    rng = np.random.default_rng(1)
    xy = rng.normal(size=(300, 2))
    font = np.full(300, 14.0)
    p = place_labels(xy, lang_words, font_px=font, max_text=80)
    assert 10 <= p.shown.sum() <= 80
    assert set(p.position) <= set(POSITIONS)
    boxes = _boxes(xy, lang_words, p, font)
    assert _overlaps(boxes) == []
    # and LABEL_GAP_PX apart: each box grown by half of it on every side still overlaps none
    half = LABEL_GAP_PX / 2 - 1e-9
    assert _overlaps({i: (b[0] - half, b[1] + half, b[2] - half, b[3] + half)
                      for i, b in boxes.items()}) == []


def test_chinese_labels_take_more_room_than_latin_ones_of_as_many_characters():
    xy = np.array([[0.0, 0.0], [0.0, 0.1], [5.0, 5.0]])  # two points close together
    latin = place_labels(xy, ["abc", "def", "x"], font_px=14, plot_px=(600, 600))
    wide = place_labels(xy, ["国王国", "王后王", "x"], font_px=14, plot_px=(600, 600))
    assert latin.shown[:2].all()  # side by side, both fit
    assert latin.position[0] != latin.position[1]
    assert wide.shown.sum() < latin.shown.sum() or wide.position[:2] != latin.position[:2]
    font = np.full(3, 14.0)
    assert _overlaps(_boxes(xy, ["国王国", "王后王", "x"], wide, font, plot_px=(600, 600))) == []


def test_analogy_words_on_top_of_each_other_are_all_labelled_apart():
    """The issue's picture: after training, king and queen (and man and woman) sit at almost
    the same point. All four corner labels are shown, on different sides, not overlapping."""
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(174, 2))
    xy[0], xy[1], xy[2], xy[3] = [0.0, 0.0], [0.01, 0.005], [0.02, -0.01], [0.005, 0.01]
    words = ["king", "man", "woman", "queen"] + [f"w{i}" for i in range(170)]
    m = map_figure(xy, words, groups=["royalty"] * 174, quad=("king", "man", "woman", "queen"))
    corners = m.fig.data[m.para_at + 4]
    assert list(corners.text) == ["king", "man", "woman", "queen"]
    assert len(set(corners.textposition)) == 4  # four sides: none on top of another
    font = np.full(174, 14.0)
    font[:4] = 18.0
    marker = np.full(174, float(MARKER))
    marker[:4] = CORNER_MARKER
    texts = [w if i < 4 else (s or "") for i, (w, s) in enumerate(zip(words, _point_texts(m)))]
    fake = type("P", (), {"shown": np.array([bool(t) for t in texts]),
                          "position": list(corners.textposition) + _point_sides(m)[4:]})
    assert _overlaps(_boxes(xy, texts, fake, font, marker)) == []
    for cn in ("国王", "男人", "女人", "王后"):
        words[words.index({"国王": "king", "男人": "man", "女人": "woman", "王后": "queen"}[cn])] = cn
    zh = map_figure(xy, words, groups=["royalty"] * 174, quad=("国王", "男人", "女人", "王后"))
    assert len(set(zh.fig.data[zh.para_at + 4].textposition)) == 4


def _point_texts(m) -> list[str]:
    """The on-map text of every row, from the figure's point traces."""
    out = [""] * len(m.labels)
    for idx, t in zip(m.rows, m.fig.data):
        for j, s in zip(idx, t.text):
            out[j] = s
    return out


def _point_sides(m) -> list[str]:
    out = ["top center"] * len(m.labels)
    for idx, t in zip(m.rows, m.fig.data):
        for j, s in zip(idx, t.textposition):
            out[j] = s
    return out


def test_moving_the_map_places_the_labels_again():
    xy, labels, groups, _ = _map_data(120)
    m = map_figure(xy, labels, groups=groups, quad=("w0", "w1", "w2", "w3"))
    squeezed = xy * np.array([1.0, 0.02])  # everything on one line: far fewer labels fit
    data = moved_spec(m, m.fig.to_dict(), squeezed)["data"]
    shown = [(s, p) for t in data[:m.para_at] for s, p in zip(t["text"], t["textposition"]) if s]
    texts = {s for s, _p in shown}
    assert 0 < len(texts) < sum(bool(s) for t in map_figure(xy, labels, groups=groups).fig.data
                                for s in t.text)
    order = {s: i for i, s in enumerate(labels)}
    font = np.full(len(labels), 14.0)
    pos = {order[s]: p for s, p in shown}
    marker = np.full(len(labels), float(MARKER))
    for i, w in enumerate(("w0", "w1", "w2", "w3")):
        pos[i] = data[m.para_at + 4]["textposition"][i]
        font[i], marker[i] = 18.0, CORNER_MARKER
    fake = type("P", (), {"shown": np.isin(np.arange(len(labels)), list(pos)),
                          "position": [pos.get(i, "") for i in range(len(labels))]})
    texts_all = list(labels)
    boxes = _boxes(np.vstack([squeezed, squeezed[1] - squeezed[2] + squeezed[3]])[:len(labels)],
                   texts_all, fake, font, marker)
    assert _overlaps(boxes) == []


@pytest.mark.parametrize("style", ["category", "frequency", "analogy", "search",
                                   "analogy and search"])
def test_a_moved_map_is_the_map_built_at_its_new_coordinates(style):
    """The page moves its map for each snapshot by writing the new coordinates into the built
    figure's dict (``moved_spec``): points, labels placed again, the parallelogram's lines,
    arrows, corners and ideal point, the title and axis names. Two moves later it must be what
    ``map_figure`` builds at those coordinates, as sent to the browser."""
    xy, labels, groups, counts = _map_data(60)
    kw = {"category": dict(groups=groups), "frequency": dict(counts=counts, colour="frequency"),
          "analogy": dict(groups=groups, quad=("w0", "w1", "w2", "w3")),
          "search": dict(groups=groups, highlight=[i % 7 == 0 for i in range(60)]),
          "analogy and search": dict(groups=groups, quad=("w0", "w1", "w2", "w3"),
                                     highlight=[i % 7 == 0 for i in range(60)])}[style]
    rng = np.random.default_rng(1)
    m = map_figure(xy, labels, title="step 1", axes=("a 1", "a 2"), **kw)
    spec = m.fig.to_dict()
    for step in (2, 3):
        xy = rng.normal(size=xy.shape) * step
        spec = moved_spec(m, spec, xy, title=f"step {step}", axes=(f"b {step}", f"c {step}"))
    assert spec == map_figure(xy, labels, title="step 3", axes=("b 3", "c 3"), **kw).fig.to_dict()
