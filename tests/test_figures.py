import math

import pytest

from seqviz.figures.training import ema, grad_norm_figure, loss_figure, perplexity_figure


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
