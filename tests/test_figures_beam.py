"""The beam-search figures: the tree (traces, bounded height, a layout without crossings, the
legend off the title), the lesson's charts, Chinese tokens, and Chinese interface text."""

from __future__ import annotations

import re

import pytest

from seqviz.decoding.figures import COMPACT, MAX_PLOT_PX, beam_tree_figure, tree_rows
from seqviz.decoding.outcomes import Tally, WidthResult
from seqviz.decoding.study_figures import (conventions_figure, error_tally_figure,
                                           next_token_figure, sweep_figure)
from seqviz.decoding.tree_layout import layered_layout
from seqviz.figures import style
from seqviz.i18n import use_language


def test_tree_figure_traces_and_layout():
    parents = [-1, -1, 0, 0, 1]
    fig = beam_tree_figure(parents, [1, 1, 2, 2, 2], ["a", "b", "c", "</s>", "d"],
                           [-0.1, -2.0, -0.5, -0.3, -2.2], [-0.1, -2.0, -0.25, -0.15, -1.1],
                           ["kept", "kept", "pruned", "finished", "kept"],
                           greedy=[0, 3], finals=[3, 4], best=3)
    names = {t.name for t in fig.data}
    assert {"kept in the beam", "pruned", "finished (end token)", "greedy path",
            "final beams", "start"} <= names
    pruned = next(t for t in fig.data if t.name == "pruned")
    assert list(pruned.text) == ["c"]
    assert fig.layout.xaxis.title.text == "output position"
    assert fig.layout.legend.y < 0  # under the plot, never over the title


def test_tree_figure_validates():
    with pytest.raises(ValueError, match="parents has 2"):
        beam_tree_figure([-1, 0], [1], ["a"], [0.0], [0.0], ["kept"])
    with pytest.raises(ValueError, match="unknown node status"):
        beam_tree_figure([-1], [1], ["a"], [0.0], [0.0], ["weird"])


def wide_tree(width: int, children: int, length: int):
    """A synthetic search tree: ``width`` live hypotheses, each showing ``children`` children
    for ``length`` steps (the first ``width`` children of the first parents stay live)."""
    parents, steps, logps, statuses = [], [], [], []
    live = [-1]
    for step in range(1, length + 1):
        nxt = []
        for p in live:
            for c in range(children):
                parents.append(p)
                steps.append(step)
                logps.append(-step - 0.1 * c - 0.01 * len(parents))
                keep = len(nxt) < width and c < width
                statuses.append("kept" if keep else "pruned")
                if keep:
                    nxt.append(len(parents) - 1)
        live = nxt
    return parents, steps, logps, statuses


@pytest.mark.parametrize("width, children", [(3, 3), (5, 5), (10, 10)])
def test_tree_height_is_bounded_by_the_beam_not_the_output_length(width, children):
    """30 output steps: the old one-row-per-leaf layout made these 2,500-66,000 px tall."""
    parents, steps, logps, statuses = wide_tree(width, children, 30)
    labels = ["x"] * len(parents)
    fig = beam_tree_figure(parents, steps, labels, logps, logps, statuses)
    leaves = len(parents) - len(set(parents))
    assert 26 * leaves + 160 > 2000  # what the old layout would have drawn
    assert fig.layout.height <= MAX_PLOT_PX + 300
    p3, s3, lp3, st3 = wide_tree(width, children, 3)
    short = beam_tree_figure(p3, s3, ["x"] * len(p3), lp3, lp3, st3)
    assert fig.layout.height <= 1.1 * short.layout.height  # 30 steps, as tall as 3


@pytest.mark.parametrize("width, children", [(4, 4), (10, 10)])
def test_layout_keeps_order_gaps_and_no_crossing_edges(width, children):
    parents, steps, logps, statuses = wide_tree(width, children, 12)
    ys, compact, row_px = tree_rows(parents, steps, logps, statuses, 23, MAX_PLOT_PX)
    assert compact == (width == 10)
    for step in set(steps):
        column = sorted((ys[i], i) for i in range(len(ys)) if steps[i] == step)
        for (y0, i0), (y1, i1) in zip(column, column[1:]):
            need = [COMPACT if compact and statuses[i] == "pruned" else 1.0 for i in (i0, i1)]
            assert y1 - y0 >= sum(need) / 2 - 1e-9  # labels never collide
            p0, p1 = parents[i0], parents[i1]
            if p0 != p1 and p0 >= 0:  # children in their parents' order: edges never cross
                assert ys[p0] < ys[p1]
            elif p0 == p1:  # siblings by rank, the most likely on top
                assert logps[i0] > logps[i1]
    assert row_px * (max(ys) - min(ys)) <= MAX_PLOT_PX


def test_the_most_likely_child_runs_level_with_its_parent():
    # a single path of kept nodes with one pruned sibling each: the path is a straight line
    parents, steps, logps = [-1, -1], [1, 1], [-0.1, -2.0]
    for step in range(2, 8):
        parent = len(parents) - 2
        parents += [parent, parent]
        steps += [step, step]
        logps += [-0.1 * step, -2.0 * step]
    ys = layered_layout(parents, steps, [-lp for lp in logps], [1.0] * len(parents),
                        [4.0, 1.0] * (len(parents) // 2))
    assert all(ys[i] == pytest.approx(0.0) for i in range(0, len(parents), 2))


def test_chinese_tokens_are_drawn_as_given():
    """A Chinese seq2seq model (e.g. 二〇二四年 -> digits, or digits -> Chinese) must show its
    tokens unchanged in the tree, the next-token chart and the sweep's hover text."""
    tokens = ["二", "〇", "二", "四", "年", "⏎"]
    parents = [-1, 0, 1, 2, 3, 4]
    fig = beam_tree_figure(parents, [1, 2, 3, 4, 5, 6], tokens, [-0.1 * i for i in range(6)],
                           [-0.1] * 6, ["kept"] * 5 + ["finished"], finals=[5], best=5,
                           start_label="<s>")
    drawn = [t for tr in fig.data if tr.text is not None for t in tr.text]
    assert drawn[:5] == tokens[:5] and "⏎" in drawn
    bars = next_token_figure(["月", "年", "日", "年"], [0.6, 0.2, 0.1, 0.1])
    assert list(bars.layout.yaxis.ticktext) == ["月", "年", "日", "年"]
    assert len(bars.data[0].y) == 4  # the same token twice stays two bars
    sweep = sweep_figure([WidthResult(1, (1,), -1.0, -1.0, "search error"),
                          WidthResult(2, (2,), -0.5, -0.5, "correct")], ["二〇二三", "二〇二四"])
    assert sorted(c[0] for tr in sweep.data[1:] for c in tr.customdata) == ["二〇二三", "二〇二四"]
    assert sweep.layout.yaxis.range is None  # results that differ: plotly fits the axis


def test_a_flat_beam_sweep_does_not_blow_rounding_up_into_jumps():
    """Every width returns the same output, scored -0.4384502 to -0.4384505 (batches of
    different sizes round differently): the axis must not span 3e-7 from top to bottom."""
    scores = [-0.4384502, -0.4384503, -0.4384505, -0.4384504]
    sweep = sweep_figure([WidthResult(b, (1, 2), s, s, None) for b, s in enumerate(scores, 1)],
                         ["38"] * 4)
    lo, hi = sweep.layout.yaxis.range
    assert hi - lo >= 0.2 - 1e-9 and lo < min(scores) and max(scores) < hi
    assert sweep.layout.yaxis.autorange is False


def _tally() -> Tally:
    t = Tally([1, 2], 0.6, "shrink", n=3)
    t.outcomes = {1: {"correct": 1, "search error": 2, "model error": 0},
                  2: {"correct": 3, "search error": 0, "model error": 0}}
    t.conventions = {1: {"keep better": 0, "same": 3, "shrink better": 0},
                     2: {"keep better": 1, "same": 1, "shrink better": 1}}
    return t


def test_tally_charts_stack_to_the_number_of_examples():
    for fig in (error_tally_figure(_tally()), conventions_figure(_tally())):
        totals = [sum(tr.y[i] for tr in fig.data) for i in range(2)]
        assert totals == [3, 3]
        legend = fig.layout.legend  # under the plot, anchored to the figure's bottom edge
        assert (legend.yref, legend.y, legend.yanchor) == ("container", 0, "bottom")


ENGLISH = re.compile(r"[A-Za-z]{2,}")
ALLOWED = {"log", "seq2seq"}


def _interface_strings(fig) -> list[str]:
    out = [fig.layout.title.text, fig.layout.xaxis.title.text, fig.layout.yaxis.title.text]
    for tr in fig.data:
        if tr.showlegend is not False:
            out.append(tr.name)
        if tr.hovertemplate:
            out.append(re.sub(r"%\{[^}]*\}|<[^>]+>", " ", tr.hovertemplate))
    return [s for s in out if s]


def test_every_figure_speaks_chinese_and_presenter_type_is_large():
    parents, steps, logps, statuses = wide_tree(3, 3, 6)
    with use_language("zh"):
        previous = style.set_profile_resolver(lambda: "present")
        try:
            figs = [beam_tree_figure(parents, steps, ["字"] * len(parents), logps, logps,
                                     statuses, greedy=[0], finals=[len(parents) - 1], best=0),
                    error_tally_figure(_tally()), conventions_figure(_tally()),
                    next_token_figure(["月"], [0.9]),
                    sweep_figure([WidthResult(1, (1,), -1.0, -1.0, None)], ["x"])]
        finally:
            style.set_profile_resolver(previous)  # the UI's, if an AppTest registered it
    for fig in figs:
        for text in _interface_strings(fig):
            words = {w.lower() for w in ENGLISH.findall(text)} - ALLOWED
            assert not words, (text, words)
        assert fig.layout.font.size >= 20 and fig.layout.title.font.size >= 26
    tree_text = [tr.textfont.size for tr in figs[0].data if tr.textfont and tr.textfont.size]
    assert tree_text and min(tree_text) >= 20


def test_tokens_that_look_like_tags_stay_visible():
    """Plotly reads text as pseudo-HTML: "<s>" would strike through nothing and vanish."""
    fig = beam_tree_figure([-1, 0], [1, 2], ["<unk>", "a&b"], [-0.1, -0.2], [-0.1, -0.1],
                           ["kept", "finished"], finals=[1], best=1, start_label="<s>")
    drawn = {t for tr in fig.data if tr.text is not None for t in tr.text}
    assert {"&lt;unk&gt;", "a&amp;b", "&lt;s&gt;"} <= drawn
    bars = next_token_figure(["<pad>"], [1.0])
    assert list(bars.layout.yaxis.ticktext) == ["&lt;pad&gt;"]
