"""The CTC lesson's engine run (seqviz.ctc.live): the same numbers as stepping the experiment
directly, live changes included; the probe follows the example and beam width."""

from __future__ import annotations

import dataclasses

import numpy as np

from seqviz.ctc.config import CTCConfig
from seqviz.ctc.experiment import CTCExperiment
from seqviz.ctc.live import LiveCTC
from seqviz.engine.pool import shared_engine

TINY = CTCConfig(hidden_size=16, batch_size=8, seed=3)


def _open(cfg: CTCConfig = TINY) -> LiveCTC:
    live = LiveCTC.open(shared_engine(), cfg)
    live.handle.wait(timeout=120)
    return live


def test_same_seed_same_numbers_as_stepping_directly():
    changed = dataclasses.replace(TINY, lr=0.003, beam=7, example=4)
    live = _open()
    live.step(3)
    live.play()  # time slices must not change the numbers
    live.handle.wait(lambda s: s.step >= 30, timeout=60)
    live.pause()
    k = live.steps
    live.apply_live(changed)
    view = live.step(5).payload
    assert view.cfg == changed and view.probe.step == k + 5
    assert (view.probe.index, view.probe.beam_width) == (4, 7)

    plain = CTCExperiment.build(TINY)
    plain.step(k)
    plain.apply_live(changed)
    plain.step(5)
    ok = [h for h in plain.trainer.history if not h.diverged]
    assert view.steps.tolist() == [h.step for h in ok] and len(ok) == k + 5
    np.testing.assert_array_equal(view.loss, [h.loss for h in ok])
    assert view.evals == tuple(plain.evals)
    p = plain.probe()
    np.testing.assert_array_equal(view.probe.log_probs, p.log_probs)
    assert view.probe.beams == p.beams
    live.close()
