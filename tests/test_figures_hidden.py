"""Hidden-state figures and the coloured-text HTML: shapes, labels, escaping, colours."""

import re

import numpy as np
import pytest

from seqviz.hidden.coloured_text import colour_for, coloured_text_html, display_token
from seqviz.hidden.figures import (gates_figure, heatmap_figure, step_labels, surprisal_figure,
                                   topk_figure, trajectory_figure)

TOKENS = list('if x:\n    s = "a<b>&c"\n')
T = len(TOKENS)


def _states(h: int = 6) -> np.ndarray:
    return np.tanh(np.random.default_rng(0).normal(size=(T, h)))


def test_heatmap_units_by_time_centred_at_zero_with_token_ticks():
    states = _states()
    order = np.array([3, 0, 1, 2, 4, 5])
    fig = heatmap_figure(states, TOKENS, order, selected_unit=0, span=(7, 12))
    heat, bars = fig.data
    z = np.asarray(heat.z)
    assert z.shape == (6, T)  # units x time
    np.testing.assert_allclose(z[0], states[:, 3])
    assert heat.zmid == 0 and heat.zmin == -heat.zmax
    assert list(heat.y) == [f"unit {u}" for u in order]
    assert list(heat.x) == step_labels(TOKENS) and len(set(heat.x)) == T
    ticks = fig.layout.xaxis.ticktext
    assert "↵" in ticks and "␣" in ticks and "i" in ticks
    assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    np.testing.assert_allclose(bars.x, states.var(axis=0)[order])
    assert bars.marker.color[1] != bars.marker.color[0]  # the selected unit 0 is highlighted
    kinds = {s.type for s in fig.layout.shapes}
    assert kinds == {"rect"} and len(fig.layout.shapes) == 2


def test_heatmap_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=f"have {T - 1} time steps but there are {T} tokens"):
        heatmap_figure(_states()[:-1], TOKENS)
    with pytest.raises(ValueError, match="order must index the 6 units"):
        heatmap_figure(_states(), TOKENS, [0, 7])
    with pytest.raises(ValueError, match="scores have 2 entries but there are 6 units"):
        heatmap_figure(_states(), TOKENS, scores=[1, 2])


def test_long_texts_thin_out_the_tick_labels():
    tokens = list("abcde" * 100)
    fig = heatmap_figure(np.zeros((500, 3)), tokens)
    assert len(fig.layout.xaxis.tickvals) == 20 and fig.layout.xaxis.ticktext[1] == "25"
    assert "hover" in fig.layout.xaxis.title.text


def test_gates_figure_lstm_and_rnn():
    g = np.linspace(0, 1, T)
    series = {"i": g, "f": 1 - g, "o": g, "g": g - 0.5, "c": g * 2, "h": g / 2}
    fig = gates_figure(series, {k: v * 0.5 for k, v in series.items()}, TOKENS, unit=3)
    names = [t.name for t in fig.data]
    assert "forget gate f (unit 3)" in names and "forget gate f, mean of all units" in names
    assert len(fig.data) == 12
    assert fig.layout.yaxis.range == (-0.05, 1.05)  # gates panel
    assert "unit 3" in fig.layout.title.text
    rnn = gates_figure({"h": g}, {"h": g}, TOKENS, unit=0)
    assert len(rnn.data) == 2
    with pytest.raises(ValueError, match="unknown gate"):
        gates_figure({"q": g}, {}, TOKENS, unit=0)
    with pytest.raises(ValueError, match=f"tokens has {T}, i has 3"):
        gates_figure({"i": g[:3]}, {}, TOKENS, unit=0)


def test_trajectory_path_labelled_by_tokens():
    pts = np.random.default_rng(1).normal(size=(T, 2))
    fig = trajectory_figure(pts, TOKENS, explained=[0.4, 0.2], background=pts * 2)
    path = fig.data[-1]
    assert list(path.text) == [display_token(t) for t in TOKENS]
    assert "40%" in fig.layout.xaxis.title.text and "PC 2" in fig.layout.yaxis.title.text
    assert {a.text for a in fig.layout.annotations} == {"start", "end"}
    with pytest.raises(ValueError, match=r"\(T, 2\)"):
        trajectory_figure(np.zeros((T, 3)), TOKENS)


def test_topk_marks_the_actual_next_token():
    fig = topk_figure(["e", " ", "a"], [0.5, 0.3, 0.1], actual=" ", context="th")
    bar = fig.data[0]
    assert list(bar.y) == ["e", "␣", "a"]
    assert bar.marker.color[1] != bar.marker.color[0]
    assert "th" in fig.layout.title.text and fig.layout.xaxis.title.text == "probability"


def test_surprisal_figure_means_in_legend():
    s = np.array([np.nan, 1.0, 3.0])
    fig = surprisal_figure(list("abc"), s, np.array([np.nan, 2.0, 2.0]), model_name="LSTM",
                           baseline_name="5-gram")
    assert fig.data[0].name == "LSTM: mean 2.00 nats"
    assert fig.data[1].name == "5-gram: mean 2.00 nats"
    with pytest.raises(ValueError, match="baseline has 2"):
        surprisal_figure(list("abc"), s, s[:2])


def test_coloured_text_escapes_and_keeps_layout():
    values = np.linspace(-1, 1, T)
    unknown = np.zeros(T, bool)
    unknown[TOKENS.index("&")] = True
    out = coloured_text_html(TOKENS, values, unknown=unknown, scale=1.0, span=(2, 4))
    assert "<b>" not in out and "&lt;" in out and "&amp;" in out  # escaped text
    assert "white-space:pre-wrap" in out  # spaces and indentation keep their width
    assert out.count("↵</span>\n") == 2  # line breaks marked and kept
    assert "\n    s" in re.sub(r"<[^>]+>", "", out)  # the indentation is still there
    assert out.count("outline:2px dashed") == 2  # the unknown token, and its legend entry
    assert "read as &lt;unk&gt;" in out
    assert out.count("border-bottom:3px solid") == 2  # the selected span
    spans = re.findall(r'<span title="([^"]*)" style="([^"]*)">', out)
    assert len(spans) == T
    assert "rgb(178, 24, 43)" in spans[-1][1] and "rgb(33, 102, 172)" in spans[0][1]
    assert '#0 &#x27;i&#x27;: activation -1.00' in spans[0][0]


def test_coloured_text_colours_and_word_level():
    assert colour_for(0.0, 1.0) == (255, 255, 255)
    assert colour_for(2.0, 1.0) == (178, 24, 43)  # clipped to full red
    assert colour_for(float("nan"), 1.0) is None
    assert colour_for(0.5, 1.0, diverging=False) != colour_for(0.5, 1.0)
    out = coloured_text_html(["the", "cat", "\n", "sat"], [np.nan, 1, 2, 3], level="word",
                             diverging=False, notes=["a", "b", "c", "d"], legend=False)
    text = re.sub(r"<[^>]+>", "", out)
    assert text == "the cat↵\nsat"
    assert "activation —" in out and "&#10;" not in out and "\nd" in out
    with pytest.raises(ValueError, match="tokens has 2, values has 3"):
        coloured_text_html(["a", "b"], [1, 2, 3])


def test_script_tags_cannot_escape():
    out = coloured_text_html(["<script>", '"', "'"], [0, 0, 0], level="word")
    assert "<script>" not in out and "&lt;script&gt;" in out
