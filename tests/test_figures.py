import math

import numpy as np
import pytest

from seqviz.figures.training import (ema, grad_norm_figure, loss_figure, perplexity_figure,
                                     refresh_grad_norm, refresh_loss, refresh_perplexity)


def test_loss_figure_has_labelled_axes_and_baselines():
    fig = loss_figure([1, 2, 3], [3.0, 2.5, 2.0], baselines=[("3-gram", 8.0)], divergences=[2])
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    names = [t.name for t in fig.data]
    assert any(n.startswith("3-gram") for n in names)
    base = next(t for t in fig.data if t.name.startswith("3-gram"))
    assert base.y[0] == pytest.approx(math.log(8.0))
    assert "divergence (restored)" in names


def test_perplexity_figure_log_axis():
    fig = perplexity_figure([0, 100], [80.0, 12.0], baselines=[("5-gram", 6.0)])
    assert fig.layout.yaxis.type == "log"
    assert list(fig.data[0].y) == [80.0, 12.0]


def test_mismatched_lengths_name_both():
    with pytest.raises(ValueError, match="steps has 2.*losses has 3"):
        loss_figure([1, 2], [1.0, 2.0, 3.0])


def test_grad_norm_threshold_line():
    fig = grad_norm_figure([1, 2], [5.0, 0.5], [1.0, 0.5], threshold=1.0)
    assert any(t.name == "threshold 1" for t in fig.data)


def test_ema_skips_nan():
    out = ema([1.0, math.nan, 1.0])
    assert out[0] == pytest.approx(1.0) and out[2] == pytest.approx(1.0)


@pytest.mark.parametrize("n1,n2", [(5, 2000), (2000, 37), (1, 3), (0, 4)])
def test_refreshing_a_built_figure_equals_building_it(n1, n2):
    rng = np.random.default_rng(0)
    base = [("3-gram", 8.0), ("5-gram", 6.5)]

    def data(n):
        steps = np.arange(1, n + 1)
        return steps, rng.uniform(1, 5, n), rng.uniform(0.1, 10, n), rng.uniform(0.1, 1, n)

    s1, l1, b1, a1 = data(n1)
    s2, l2, b2, a2 = data(n2)
    old = loss_figure(s1, l1, baselines=base, divergences=[1]).to_dict()
    assert refresh_loss(old, s2, l2) == loss_figure(s2, l2, baselines=base,
                                                    divergences=[1]).to_dict()
    old = perplexity_figure(s1, l1 * 10, baselines=base).to_dict()
    assert refresh_perplexity(old, s2, l2 * 10) == perplexity_figure(s2, l2 * 10,
                                                                     baselines=base).to_dict()
    for threshold in (None, 1.0):
        old = grad_norm_figure(s1, b1, a1, threshold=threshold).to_dict()
        assert refresh_grad_norm(old, s2, b2, a2) == grad_norm_figure(
            s2, b2, a2, threshold=threshold).to_dict()


def test_an_empty_training_curve_says_press_play_and_loses_the_note_with_data():
    from seqviz.timeseries.figures import losses_figure

    def notes(fig):
        return [a.text for a in fig.layout.annotations if a.name == "waiting"]

    assert notes(loss_figure([], [])) == ["No training step yet: press ▶ Play or ⏭ Step."]
    assert notes(loss_figure([1, 2], [3.0, 2.0])) == []
    # the gradient-norm chart beside it (LM page) says the same, and loses it with data
    assert notes(grad_norm_figure([], [], [], threshold=1.0)) == [
        "No training step yet: press ▶ Play or ⏭ Step."]
    assert notes(grad_norm_figure([1], [2.0], [1.0], threshold=1.0)) == []
    grad = refresh_grad_norm(grad_norm_figure([], [], [], threshold=1.0).to_dict(), [1], [2.0],
                             [1.0])
    assert "annotations" not in grad["layout"]
    empty = losses_figure([], [("MLP", np.array([])), ("RNN", np.array([]))], [],
                          [np.array([]), np.array([])])
    assert len(notes(empty)) == 1
    assert notes(losses_figure([1], [("MLP", np.array([1.0])), ("RNN", np.array([2.0]))],
                               [1], [np.array([1.0]), np.array([2.0])])) == []
    spec = refresh_loss(loss_figure([], []).to_dict(), np.arange(1, 4), np.ones(3))
    assert "annotations" not in spec["layout"]
    # back to no steps (a Reset refreshes the same figure): the note comes back, once
    spec = refresh_loss(refresh_loss(spec, [], []), [], [])
    assert [a["text"] for a in spec["layout"]["annotations"]] == [
        "No training step yet: press ▶ Play or ⏭ Step."]


def test_the_press_play_note_sits_between_the_baselines_not_on_one():
    """LM at step 0: the note in the middle of the axis covered the 2-gram line."""
    base = [("1-gram", 28.12), ("2-gram", 9.96), ("3-gram", 5.25), ("5-gram", 3.11)]
    levels = sorted(math.log(v) for _n, v in base)
    for fig in (loss_figure([], [], baselines=base).to_dict(),
                refresh_loss(loss_figure([1, 2], [3.0, 2.0], baselines=base).to_dict(), [], [])):
        (note,) = fig["layout"]["annotations"]
        assert note["yref"] == "y"
        gap = min(abs(note["y"] - v) for v in levels)
        assert gap >= 0.45 * max(b - a for a, b in zip(levels, levels[1:]))
    (lone,) = loss_figure([], [], baselines=base[:1]).layout.annotations
    assert lone.yref == "paper" and lone.y > 0.7  # a lone line is in the middle of its axis
    (plain,) = loss_figure([], []).layout.annotations
    assert (plain.yref, plain.y) == ("paper", 0.5)


@pytest.mark.parametrize("values", [[0.9], [1.0], [0.071, 0.075], [13.0, 13.2], [2.1, 2.4]])
def test_a_narrow_log_axis_still_shows_two_labelled_ticks(values):
    """A curve's first point (or a flat stretch) spans less than one 1-2-5 step: plotly would
    fit the axis to it and every tick would fall outside, leaving the axis without a number."""
    from seqviz.timeseries.figures import losses_figure

    for fig in (perplexity_figure(list(range(len(values))), values),
                losses_figure(np.arange(len(values)), [("GRU", np.asarray(values))], [], [[]])):
        axis = fig.layout.yaxis
        lo, hi = (10 ** v for v in axis.range)
        shown = [t for t in axis.tickvals if lo <= t <= hi]
        assert len(shown) >= 2 and axis.autorange is False, (axis.range, axis.tickvals)
        assert lo <= min(values) and max(values) <= hi  # the data stay in view
        assert list(axis.ticktext) == [f"{t:g}" for t in axis.tickvals]


def test_a_wide_log_axis_is_left_to_plotly_and_a_refresh_drops_the_narrow_range():
    wide = perplexity_figure([0, 100], [80.0, 12.0])
    assert wide.layout.yaxis.range is None and len(wide.layout.yaxis.tickvals) >= 2
    narrow = perplexity_figure([0], [40.0]).to_dict()
    assert "range" in narrow["layout"]["yaxis"]
    assert refresh_perplexity(narrow, [0, 100], [80.0, 12.0]) == wide.to_dict()
    assert refresh_perplexity(wide.to_dict(), [0], [40.0]) == narrow


@pytest.mark.parametrize("mlp", [(0.9, 1.0), (1.0, 0.9)])
def test_the_tau_charts_mlp_points_are_told_apart_in_the_legend_and_its_long_title_wraps(mlp):
    """Drawn half width, the English title would be cut on one line; the MLP's two errors had
    labels beside the points, which sat on the AR's dashed line: the legend names them now."""
    from seqviz.timeseries.figures import tau_figure

    fig = tau_figure([1, 2, 4, 8, 16], [0.5, 0.4, 0.3, 0.2, 0.1], [1, 1, 1, 1, 1], 16, 8, mlp)
    points = [t for t in fig.data if t.name.startswith("MLP")]
    assert [t.name for t in points] == ["MLP at τ = 8, 1 step", "MLP at τ = 8, 16 steps"]
    assert [(t.x[0], t.y[0]) for t in points] == [(8, mlp[0]), (8, mlp[1])]
    assert points[0].marker.symbol != points[1].marker.symbol
    assert not any("text" in (t.mode or "") for t in fig.data)
    assert fig.layout.title.text == "The Markov assumption:<br>error against the window τ"
    assert fig.layout.margin.t > 60  # room for the second line


def test_the_clipping_charts_say_press_play_before_the_first_step():
    """At step 0 the Clipping page's loss and norm charts held no curve and said nothing."""
    from seqviz.gradients.clipping_figures import clip_norm_figure, two_loss_figure

    def notes(fig):
        return [a.text for a in fig.layout.annotations if a.name == "waiting"]

    empty = {"no clipping": ([], []), "clipped": ([], [])}
    drawn = {"no clipping": ([1, 2], [3.0, 2.0]), "clipped": ([1, 2], [1.0, 1.0])}
    say = ["No training step yet: press ▶ Play or ⏭ Step."]
    assert notes(two_loss_figure(empty)) == say
    assert notes(clip_norm_figure(empty, threshold=1.0)) == say
    assert notes(two_loss_figure(drawn)) == [] and notes(clip_norm_figure(drawn, threshold=1.0)) == []


@pytest.mark.parametrize("profile", ["normal", "present"])
def test_the_legend_sits_under_the_axis_title_and_the_plot_keeps_its_height(profile):
    """The legend is anchored to the figure's bottom edge (not at a share of the plot, where a
    legend of two rows climbed onto the x-axis title) and the figure grows by its rows."""
    from seqviz.figures import style

    previous = style.set_profile_resolver(lambda: profile)
    try:
        baselines = [(f"{n}-gram (Kneser-Ney)", 10.0 / n) for n in (1, 2, 3, 5)]
        one = perplexity_figure([0, 25], [90.0, 40.0])  # a single trace: Plotly shows no legend
        many = perplexity_figure([0, 25], [90.0, 40.0], baselines=baselines)
        legend = many.layout.legend
        assert (legend.yref, legend.y, legend.yanchor) == ("container", 0, "bottom")
        assert many.layout.height > one.layout.height  # the rows of five entries
        rows = style.legend_px(many) / (style.profile().font * 1.45)
        assert many.layout.height - one.layout.height == style.legend_px(many) and rows >= 1
        beside = style.styled(perplexity_figure([0], [9.0], baselines=baselines), title="t",
                              x="x", y="y", legend_below=False)
        assert beside.layout.legend.yref == "paper"  # the caller places it
    finally:
        style.set_profile_resolver(previous)


def test_divergence_lines_are_set_at_once_one_per_step():
    """The loss chart's dotted verticals are what ``add_vline`` draws, one per step where the
    run diverged, set in one layout update: one ``add_vline`` each re-validated every shape so
    far, and 300 divergences took 18 s to draw (about 50 ms now)."""
    import time

    import plotly.graph_objects as go

    fig = loss_figure([1, 2, 3, 4, 5, 6], [3.0] * 6, divergences=[5, 2, 5])
    ref = go.Figure()
    for s in (2, 5):
        ref.add_vline(x=s, line=dict(color="red", width=1, dash="dot"))
    assert [s.to_plotly_json() for s in fig.layout.shapes] == [
        s.to_plotly_json() for s in ref.layout.shapes]
    start = time.perf_counter()
    many = loss_figure(list(range(3000)), [1.0] * 3000, divergences=list(range(0, 3000, 10)))
    assert len(many.layout.shapes) == 300 and time.perf_counter() - start < 3.0


def test_typed_array_is_plotlys_encoding():
    """Refreshed figure dicts encode their arrays with ``style.typed_array`` (fast for 1-D
    float64): it must give what plotly's ``to_dict()`` gives, for every kind of array."""
    import plotly.graph_objects as go
    from _plotly_utils.utils import to_typed_array_spec

    from seqviz.figures.style import typed_array

    rng = np.random.default_rng(0)
    for values in (rng.normal(size=15), rng.normal(size=(40, 3))[:, 1], np.array([]),
                   np.arange(5), np.arange(3) * 10**12, rng.normal(size=(3, 2)),
                   rng.normal(size=7).astype(np.float32)):
        got, want = typed_array(values), to_typed_array_spec(values)
        assert got == want if isinstance(want, dict) else np.array_equal(got, want)
    x = rng.normal(size=9)
    assert go.Figure(go.Scatter(x=x, y=x)).to_dict()["data"][0]["x"] == typed_array(x)
