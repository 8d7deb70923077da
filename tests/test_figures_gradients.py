"""Gradient-flow and clipping figures: shapes checked, titles and axes present, no torch."""

import math

import numpy as np
import pytest

from seqviz.gradients.clipping_figures import (cliff_figure, clip_norm_figure, refresh_clip_norm,
                                              refresh_two_loss, two_loss_figure)
from seqviz.gradients.figures import (accuracy_figure, gate_figure, jacobian_figure,
                                      norm_distance_figure, radius_figure, step_histogram_figure,
                                      wide_log_axis)


def _title(fig) -> str:
    """The title with its notes (the subtitle)."""
    text = fig.layout.title.text + "\n" + (fig.layout.title.subtitle.text or "")
    return text.replace("<br>", " ")  # wrapped to the chart's width


def _axes_titled(fig):
    layout = fig.to_plotly_json()["layout"]
    assert layout["title"]["text"]
    assert layout["xaxis"]["title"]["text"] and layout["yaxis"]["title"]["text"]


def test_histogram_figure_log_counts_scale_text_and_nonfinite_marks():
    counts = np.array([[0, 5, 100], [1, 0, 1000]])  # (T=2, bins=3)
    fig = step_histogram_figure(counts, [-1.5, -0.5, 0.5, 1.5], title="dL/dh_t",
                                bins_text="3 bins over ±1.5, width 1", value_label="g",
                                nonfinite=[0, 7])
    _axes_titled(fig)
    heat = fig.data[0]
    z = np.array(heat.z, dtype=float)  # (bins, T)
    assert z.shape == (3, 2)
    assert math.isnan(z[0, 0]) and z[2, 1] == pytest.approx(3.0)  # log10 counts, 0 blank
    assert list(heat.colorbar.ticktext) == ["1", "10", "100", "1,000"]
    title = _title(fig)
    assert "3 bins over ±1.5" in title and "7 NaN/inf entries" in title
    marks = fig.data[1]
    assert list(marks.x) == [2] and marks.marker.symbol == "x"  # 1-based step of the NaN
    assert list(heat.x) == [1, 2]


def test_histogram_figure_rejects_mismatched_edges():
    with pytest.raises(ValueError, match="edges has 3 entries but counts has 3 bins"):
        step_histogram_figure(np.ones((4, 3)), [0, 1, 2], title="t", bins_text="",
                              value_label="g")
    with pytest.raises(ValueError, match="nonfinite has 2 steps but counts has 4"):
        step_histogram_figure(np.ones((4, 3)), [0, 1, 2, 3], title="t", bins_text="",
                              value_label="g", nonfinite=[0, 0])


def test_norm_distance_marks_the_cut_and_names_the_reach():
    norms = 0.5 ** np.arange(30)
    fig = norm_distance_figure({"rnn": norms, "lstm": np.ones(30)}, cuts={"rnn": 10, "lstm": None})
    _axes_titled(fig)
    names = [t.name for t in fig.data if t.name]
    assert "RNN: reaches back 9 steps" in names and "LSTM: reaches all 29 steps" in names
    diamond = [t for t in fig.data if t.mode == "markers"][0]
    assert list(diamond.x) == [10]
    assert fig.layout.yaxis.type == "log"
    with pytest.raises(ValueError, match="same length"):
        norm_distance_figure({"a": [1, 2], "b": [1, 2, 3]})


def test_norm_distance_survives_inf_and_nan():
    fig = norm_distance_figure({"rnn": np.array([1.0, math.inf, math.nan, 1e-30])})
    assert fig.data[0].y == (1.0, None, None, 1e-30)
    assert "2 steps inf/NaN" in fig.data[0].name


def test_wide_log_axis_uses_decades_over_many_decades():
    import plotly.graph_objects as go

    fig = wide_log_axis(go.Figure(), [1e-18, 1e-2])
    ticks = list(fig.layout.yaxis.tickvals)
    assert len(ticks) <= 9 and ticks[0] <= 1e-18 and ticks[-1] >= 1e-2
    assert fig.layout.yaxis.ticktext[0] == "1e-18"


def test_why_figures():
    _axes_titled(jacobian_figure([0, 5, 9], [1.2, 1.1, math.nan]))
    fig = gate_figure([0.5, 0.6, 0.7], [0.42, 0.7, 1.0], gate_name="f")
    _axes_titled(fig)
    assert fig.layout.yaxis.type == "log"  # the product, over many decades
    assert fig.data[1].yaxis == "y2" and list(fig.layout.yaxis2.range) == [0, 1.02]
    assert fig.layout.yaxis2.type == "linear" and list(fig.layout.yaxis2.tickvals) == [0, 0.25, 0.5, 0.75, 1]
    assert fig.layout.yaxis2.title.text == "mean f_t"  # the gate itself, readable as 0.5
    assert "mean f over the steps: 0.60" in _title(fig)
    assert "from step 1 to step 3 keeps 0.42" in _title(fig)
    fig = radius_figure([0, 10], {"W_hi": [1.0, 1.1], "W_hf": [1.0, 0.9]})
    assert len(fig.data) == 3
    with pytest.raises(ValueError, match="steps has 2, W_hi has 1"):
        radius_figure([0, 10], {"W_hi": [1.0]})
    fig = accuracy_figure({"rnn": ([0, 10], [0.25, 0.5])}, chance=0.25)
    assert list(fig.data[0].y) == [25, 50] and "chance 25%" in fig.data[1].name


def test_clipping_figures():
    runs = {"without clipping": ([1, 2, 3], [1.0, math.nan, 5.0]),
            "with clipping": ([1, 2, 3], [1.0, 0.5, 0.4])}
    fig = two_loss_figure(runs, divergences={"without clipping": [2], "with clipping": []})
    _axes_titled(fig)
    assert fig.data[0].y == (1.0, None, 5.0)
    assert any(t.name == "without clipping: diverged 1× (weights restored)" for t in fig.data)
    many = two_loss_figure(runs, divergences={"without clipping": list(range(1, 40))})
    assert any(t.mode == "markers" and len(t.x) == 39 for t in many.data)  # not 39 lines
    fig = clip_norm_figure(runs, threshold=1.0, clipped=([3], [5.0]))
    names = [t.name for t in fig.data]
    assert "threshold ‖g‖ = 1" in names and "clipped steps" in names
    value = clip_norm_figure(runs, threshold=0.5, mode="value")
    assert "threshold ‖g‖ = 0.5" not in [t.name for t in value.data]
    assert "clamped to ±0.5" in _title(value)


def _clip_runs(n: int, seed: int, spread: float):
    """Two runs of n steps: losses and norms over ``spread`` decades, a NaN and an inf, as
    the unclipped run's divergences leave them."""
    rng = np.random.default_rng(seed)
    steps = np.arange(1, n + 1)
    out = {}
    for name in ("without clipping", "with clipping"):
        loss, norm = 10 ** rng.uniform(-1, spread - 1, n), 10 ** rng.uniform(-2, spread - 2, n)
        if n > 5 and name == "without clipping":
            loss[3], norm[4] = math.nan, math.inf
        out[name] = (steps, loss, norm)
    return out


@pytest.mark.parametrize("n1,n2,spread", [(3, 250, 2), (250, 2000, 6), (2000, 40, 9), (0, 4, 1),
                                          (7, 0, 2), (1, 1, 0.5)])
@pytest.mark.parametrize("many", [False, True])
@pytest.mark.parametrize("mode", ["norm", "value"])
def test_refreshing_a_built_clipping_figure_equals_building_it(n1, n2, spread, many, mode):
    """The live page refreshes the built figures' arrays (``refresh_*``) instead of building
    them for every snapshot: what it sends must be what a build would have sent."""
    import json

    import plotly.io as pio

    def sent(spec) -> dict:
        return json.loads(pio.to_json(spec, validate=False))

    old, new = _clip_runs(n1, 1, spread), _clip_runs(n2, 2, spread)
    # many: the unclipped run diverges every few steps (the page's default), its marks along
    # the top and its count in the legend move with every snapshot
    marks = {1: list(range(1, 40)), 2: list(range(3, 90, 2))} if many else {1: [2, 5], 2: [2, 5]}
    divergences = {seed: {"without clipping": marks[seed], "with clipping": []} for seed in marks}
    counts = {seed: {"without clipping": len(marks[seed]) + (7 if many else 0)} for seed in marks}

    def loss(runs, seed):
        return two_loss_figure({k: (s, l) for k, (s, l, _n) in runs.items()},
                               divergences=divergences[seed], counts=counts[seed])

    refreshed = refresh_two_loss(loss(old, 1).to_dict(),
                                 {k: (s, l) for k, (s, l, _n) in new.items()},
                                 divergences=divergences[2], counts=counts[2])
    if many and (n1 == 0) != (n2 == 0):
        # many divergences are marked along the top of the values drawn, or, with none,
        # as verticals: a build
        assert refreshed is None
    else:
        assert refreshed is not None and sent(refreshed) == sent(loss(new, 2))

    def clipped(runs):
        s, _l, n = runs["with clipping"]
        keep = np.asarray(n) > 0.3
        return np.asarray(s)[keep], np.asarray(n)[keep]

    def norm(runs, seed):
        return clip_norm_figure({k: (s, n) for k, (s, _l, n) in runs.items()}, threshold=0.3,
                                mode=mode, clipped=clipped(runs), divergences=divergences[seed],
                                counts=counts[seed],
                                title=f"Gradient norm · {len(clipped(runs)[0])}%")

    refreshed = refresh_clip_norm(norm(old, 1).to_dict(),
                                  {k: (s, n) for k, (s, _l, n) in new.items()}, threshold=0.3,
                                  clipped=clipped(new), divergences=divergences[2],
                                  counts=counts[2], title=f"Gradient norm · {len(clipped(new)[0])}%")
    if (len(clipped(old)[0]) > 0) != (len(clipped(new)[0]) > 0):
        assert refreshed is None  # the clipped steps' trace comes or goes: a build
    else:
        assert refreshed is not None and sent(refreshed) == sent(norm(new, 2))


def test_a_clipping_figure_whose_title_or_legend_takes_another_line_is_built_again(
        monkeypatch):
    from seqviz.gradients import clipping_figures

    runs = {"without clipping": ([1, 2], [1.0, 2.0]), "with clipping": ([1, 2], [1.0, 0.5])}
    spec = clip_norm_figure(runs, threshold=1.0, title="short").to_dict()
    assert refresh_clip_norm(spec, runs, threshold=1.0, title="short too") is not None
    assert refresh_clip_norm(spec, runs, threshold=1.0, title="long " * 40) is None
    divergences = {"without clipping": list(range(1, 40))}
    spec = two_loss_figure(runs, divergences=divergences, counts={"without clipping": 39})
    assert refresh_two_loss(spec.to_dict(), runs, divergences=divergences,
                            counts={"without clipping": 41}) is not None
    # a legend whose entries (the count is in one) would take another height: a build
    monkeypatch.setattr(clipping_figures, "legend_names_px",
                        lambda names: 30 * (len("".join(names)) // 60))
    assert refresh_two_loss(spec.to_dict(), runs, divergences=divergences,
                            counts={"without clipping": 10 ** 40}) is None


def test_cliff_figure_cuts_paths_that_leave_the_plot():
    ws, bs = np.linspace(0, 4, 5), np.linspace(-2, 1, 4)
    loss = np.ones((4, 5))
    paths = {"without clipping": ([3.0, 2.5, 1e5], [-0.5, -0.6, 3e5]),
             "with clipping": ([3.0, 2.9, 2.8], [-0.5, -0.55, -0.6])}
    fig = cliff_figure(ws, bs, loss, paths=paths, wall=([1, 4], [0.05, -1.45]),
                       labels={"with clipping": "with clipping (‖g‖ ≤ 0.5)"})
    _axes_titled(fig)
    thrown = [t for t in fig.data if t.name and t.name.startswith("without clipping")][0]
    assert len(thrown.x) == 3 and "off the plot" in thrown.name
    kept = [t for t in fig.data if t.name and t.name.startswith("with clipping")][0]
    assert len(kept.x) == 3 and kept.line.color != thrown.line.color
    with pytest.raises(ValueError, match=r"loss has shape \(5, 4\)"):
        cliff_figure(ws, bs, loss.T, paths={})


# ---- text that fits: wrapped titles, legends under the axis title, readable ticks ---------------
from seqviz.figures import style  # noqa: E402
from seqviz.figures.chart_text import wrap  # noqa: E402
from seqviz.figures.text_width import legend_rows, text_px  # noqa: E402


def test_wrap_keeps_every_line_within_the_width_in_english_and_chinese():
    english = "Gradient norm before clipping · 69% of steps clipped and a few more words here"
    chinese = "裁剪前的梯度范数 · 69% 的步被裁剪，还有一些更长的说明文字，直到超过图表的宽度为止"
    for text in (english, chinese):
        lines = wrap(text, 20, 300).split("<br>")
        assert len(lines) >= 2 and all(text_px(line, 20) <= 300 for line in lines)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost
    assert all(not line.startswith(("，", "。", "）")) for line in wrap(chinese, 20, 300).split(
        "<br>"))
    assert wrap("short<br>kept", 20, 300) == "short<br>kept"  # lines already broken stay
    assert text_px("<span style='color:red'>ab</span>", 10) == text_px("ab", 10)  # tags: 0 px
    assert text_px("梯度", 20) > text_px("ab", 20) * 1.5  # a CJK character is one em


def test_legend_rows_follow_plotlys_columns():
    assert legend_rows([], 16, 400) == 0
    assert legend_rows(["a", "b"], 16, 400) == 1
    long = ["without clipping: diverged 386× (weights restored)", "a", "b", "c"]
    assert legend_rows(long, 16, 400) == 4  # one column as wide as the widest entry


def _all_figures():
    ws, bs = np.linspace(0, 4, 5), np.linspace(-2, 1, 4)
    runs = {"without clipping": ([1, 2, 3], [1.0, math.nan, 5.0]),
            "with clipping": ([1, 2, 3], [1.0, 0.5, 0.4])}
    return [
        step_histogram_figure(np.ones((4, 3)), [0, 1, 2, 3], title="t", bins_text="b",
                              value_label="g"),
        norm_distance_figure({"rnn": 0.5 ** np.arange(30)}, cuts={"rnn": 10}),
        accuracy_figure({"rnn": ([0, 10], [0.25, 0.5])}, chance=0.25),
        jacobian_figure([0, 5, 9], [1.2, 1.1, 1.3]),
        gate_figure([0.5, 0.6, 0.7], [0.42, 0.7, 1.0], gate_name="f"),
        radius_figure([0, 10], {"W_hh": [1.0, 1.1]}),
        two_loss_figure(runs, divergences={"without clipping": [2]}),
        clip_norm_figure(runs, threshold=1.0),
        cliff_figure(ws, bs, np.ones((4, 5)), paths={"with clipping": ([3.0, 2.9], [0, 0])}),
    ]


@pytest.mark.parametrize("profile", ["normal", "present"])
def test_every_figure_has_its_legend_under_the_axis_title_and_large_enough_type(profile):
    previous = style.set_profile_resolver(lambda: profile)
    try:
        p = style.profile()
        for fig in _all_figures():
            lay = fig.layout
            assert (lay.legend.yref, lay.legend.y, lay.legend.yanchor) == ("container", 0,
                                                                           "bottom")
            assert lay.legend.font.size >= p.font and lay.title.font.size >= p.title
            if lay.title.subtitle.text:
                assert lay.title.subtitle.font.size >= p.font
            assert lay.xaxis.tickfont.size >= p.font and lay.yaxis.tickfont.size >= p.font
            # the title's first line sits inside the figure, under its top edge
            assert lay.title.yanchor == "middle" and 0.8 < lay.title.y < 1
        if profile == "present":
            assert p.font >= 20 and p.title >= 26
    finally:
        style.set_profile_resolver(previous)  # the UI's, if an AppTest registered it


def test_radius_and_jacobian_axes_never_zoom_into_nine_digit_ticks():
    fig = radius_figure([0, 5, 10], {"W_hf": [1.0, 1.0000000001, 0.99999999]})
    lo, hi = fig.layout.yaxis.range
    assert hi - lo >= 0.1 and lo < 0.99999999 and hi > 1.0000000001
    assert fig.layout.yaxis.tickformat == ".3~g"
    fig = jacobian_figure([0, 1], [1.5, 1.5])
    lo, hi = fig.layout.yaxis.range
    assert hi - lo >= 0.1 and lo < 1 < 1.5 < hi  # the gain-1 line is in view too
