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
