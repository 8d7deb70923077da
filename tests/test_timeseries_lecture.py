"""The time-series lecture's answers, measured again (seed 0, the steps' own URL parameters)."""

from __future__ import annotations

import numpy as np
import pytest

from seqviz.config import from_query
from seqviz.lecture import check_steps, matches
from seqviz.timeseries.config import TimeSeriesConfig
from seqviz.timeseries.lecture import STEPS


def _run(i: int):
    from seqviz.timeseries.experiment import TimeSeriesExperiment

    cfg, notices = from_query(TimeSeriesConfig, dict(STEPS[i].params))
    assert notices == []
    exp = TimeSeriesExperiment.build(cfg)
    exp.step(STEPS[i].after_steps)
    return exp


def test_lecture_is_well_formed():
    assert check_steps(STEPS, TimeSeriesConfig) == []
    for i, step in enumerate(STEPS):  # each step's own setup is recognised as that step
        cfg, _n = from_query(TimeSeriesConfig, dict(step.params))
        assert [matches(s, cfg) for s in STEPS].index(True) == i


@pytest.fixture(scope="module")
def default_run():
    return _run(0)


def test_step1_errors_pile_up(default_run):
    ev = default_run.evals[-1]
    assert ev.step == 200
    assert np.round(ev.val, 2).tolist() == [0.08, 0.07]
    assert default_run.series.noise_var == pytest.approx(0.036, abs=0.0005)
    assert ev.by_k[0][15] == pytest.approx(1.87, abs=0.005)
    assert ev.by_k[1][15] == pytest.approx(0.78, abs=0.005)


def test_step2_a_longer_window(default_run):
    exp = _run(1)
    ev = exp.evals[-1]
    assert round(float(ev.by_k[0][15]), 2) == 0.05 and round(ev.val[0], 2) == 0.04
    m = exp.markov
    taus = m.taus.tolist()
    assert all(0.85 < m.k_step[taus.index(t)] < 1.4 for t in (1, 2, 4, 8, 16))
    assert all(round(m.k_step[taus.index(t)], 2) <= 0.05 for t in (24, 32, 64))


def test_step3_random_walk():
    exp = _run(2)
    ev = exp.evals[-1]
    p = exp.persistence
    assert (round(p[0], 3), round(p[15], 2)) == (0.013, 0.20)
    assert (round(ev.by_k[0][0], 3), round(ev.by_k[1][0], 3)) == (0.020, 0.032)
    assert (round(ev.by_k[0][15], 2), round(ev.by_k[1][15], 2)) == (0.84, 0.43)
    assert round(ev.val[1], 2) == 0.34
    m = exp.markov
    assert m.one_step.max() - m.one_step.min() < 0.002 and round(m.one_step[0], 3) == 0.014


def test_step4_no_noise():
    exp = _run(3)
    ev = exp.evals[-1]
    assert ev.step == 300
    assert (round(ev.val[0], 3), round(ev.val[1], 4)) == (0.002, 0.0004)
    assert (round(ev.by_k[0][15], 2), round(ev.by_k[1][15], 2)) == (0.43, 1.41)
    m = exp.markov
    assert all(m.one_step[i] < 1e-4 for i, t in enumerate(m.taus) if t >= 6)
    assert all(m.k_step[i] < 1e-3 for i, t in enumerate(m.taus) if t >= 8)
