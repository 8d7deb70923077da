"""The time-series lesson's engine run (seqviz.timeseries.live): the same numbers as stepping
the experiment directly, a live learning rate included, and an uploaded series reaches it."""

from __future__ import annotations

import dataclasses

import numpy as np

from seqviz.engine.pool import shared_engine
from seqviz.timeseries.config import TimeSeriesConfig
from seqviz.timeseries.experiment import TimeSeriesExperiment
from seqviz.timeseries.live import LiveTimeSeries

TINY = TimeSeriesConfig(length=300, tau=8, hidden_size=16, seq_len=16, batch_size=16, seed=3)


def test_same_seed_same_numbers_as_stepping_directly():
    changed = dataclasses.replace(TINY, lr=0.003)
    live = LiveTimeSeries.open(shared_engine(), TINY)
    live.handle.wait(timeout=120)
    live.step(3)
    live.play()  # time slices must not change the numbers
    live.handle.wait(lambda s: s.step >= 30, timeout=60)
    live.pause()
    k = live.steps
    live.apply_live(changed)
    view = live.step(5).payload
    assert view.cfg == changed and len(view.steps) == k + 5

    plain = TimeSeriesExperiment.build(TINY)
    plain.step(k)
    plain.apply_live(changed)
    plain.step(5)
    steps, ar, rnn = plain.train_loss()
    np.testing.assert_array_equal(view.steps, steps)
    np.testing.assert_array_equal(view.loss[0], ar)
    np.testing.assert_array_equal(view.loss[1], rnn)
    assert [e.step for e in view.evals] == [e.step for e in plain.evals]
    np.testing.assert_array_equal(view.predictions.forecasts[1], plain.predictions.forecasts[1])
    live.close()


def test_uploaded_values_reach_the_worker():
    values = np.sin(np.arange(400) / 3.0) * 5 + 20
    cfg = dataclasses.replace(TINY, signal="upload", upload="0123456789abcdef", column="v")
    live = LiveTimeSeries.open(shared_engine(), cfg, values)
    s = live.handle.wait(timeout=120).payload.series
    np.testing.assert_allclose(s.x * s.std + s.mean, values)
    live.close()
