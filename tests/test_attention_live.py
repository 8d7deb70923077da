"""The attention lesson's engine runs (seqviz.attention.live): same numbers as stepping the
experiment directly, analysis at its own pace, typed inputs, weights, bundled models, the study."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from seqviz.attention.checkpoint import pretrained_path
from seqviz.attention.experiment import S2SConfig, S2SExperiment, task_spec
from seqviz.attention.live import ANALYSE_EVERY, LiveS2S, LiveStudy, task_data
from seqviz.engine.pool import shared_engine

TINY = S2SConfig(task="reverse", min_len=3, max_len=6, hidden_size=16, embed_size=8,
                 batch_size=16, snapshot_every=3, seed=5)


def _open(cfg: S2SConfig = TINY, **kwargs) -> LiveS2S:
    live = LiveS2S.open(shared_engine(), cfg, task_data(task_spec(cfg)), **kwargs)
    live.handle.wait(timeout=120)
    return live


def test_same_seed_same_numbers_as_stepping_directly():
    lr_cfg = dataclasses.replace(TINY, lr=0.01)
    live = _open()
    live.step(4)
    live.play()  # stepping in time slices must not change the numbers: play, pause at k
    live.handle.wait(lambda s: s.step >= 30, timeout=60)
    live.pause()
    k = live.steps
    live.apply_live(lr_cfg)  # then a live change, then 5 more steps
    view = live.step(5).payload
    assert view.eval_steps[-1] == k + 5 and view.cfg.lr == 0.01

    # the ordinary way: the experiment records on its own after every step
    plain = S2SExperiment.build(TINY, task_data(task_spec(TINY)))
    plain.step(k)
    plain.apply_live(lr_cfg)
    plain.step(5)
    ok = [h for h in plain.trainer.history if not h.diverged]
    assert view.steps.tolist() == [h.step for h in ok] and len(ok) == k + 5
    np.testing.assert_array_equal(view.loss, [h.loss for h in ok])

    # the same analysis, by hand at the steps the run chose
    direct = S2SExperiment.build(TINY, task_data(task_spec(TINY)))
    direct.record_by_hand()
    kept, evaluated = set(view.timeline.steps.tolist()), set(view.eval_steps.tolist())
    for step in range(1, k + 6):
        if step == k + 1:
            direct.apply_live(lr_cfg)
        direct.step(1)
        direct.record(snapshot=step in kept, evaluation=step in evaluated)
    assert [e.step for e in direct.evals] == view.eval_steps.tolist()
    np.testing.assert_array_equal(view.exact, [e.exact for e in direct.evals])
    np.testing.assert_array_equal(view.bleu, [e.bleu for e in direct.evals])
    np.testing.assert_array_equal(view.entropy, [e.entropy for e in direct.evals])
    assert [s.step for s in direct.snapshots] == view.timeline.steps.tolist()
    np.testing.assert_array_equal(view.timeline.weights,
                                  np.stack([s.weights for s in direct.snapshots]))
    assert view.timeline.outputs == tuple(s.output for s in direct.snapshots)
    live.close()


def test_analysis_keeps_its_own_pace_while_playing():
    live = _open(dataclasses.replace(TINY, snapshot_every=1))
    live.play()
    start = live.handle.wait(lambda s: s.step > 0, timeout=60)
    snap = live.handle.wait(lambda s: s.wall - start.wall >= 3.0, timeout=60)
    live.pause()
    view = snap.payload
    playing_evals = int((view.eval_steps > start.step).sum())
    assert playing_evals <= (snap.wall - start.wall) / ANALYSE_EVERY + 2
    assert snap.step > 10 * playing_evals  # evaluations are not per step
    # every step asked for a snapshot: the timeline takes what PROBE_SHARE affords, and the
    # held-out evaluation runs once a second (ANALYSE_EVERY): about 6 % of training time on a
    # quiet machine, 16 % measured at a load average of 6; evaluating at every step would cost
    # more than the training itself
    assert view.analysis_s < 0.25 * view.train_s
    assert snap.view_s < 0.15 * snap.train_s
    live.close()


def test_evaluations_are_paced_by_the_runs_own_training_time(monkeypatch):
    """A run that gets little training per second of wall time (its worker steps other runs
    too, or the cores are busy elsewhere) is not evaluated more: the wall-clock pace alone
    would evaluate it every ANALYSE_EVERY seconds however little it trained meanwhile."""
    import time

    from seqviz.attention import live as attention_live

    monkeypatch.setattr(attention_live, "ANALYSE_EVERY", 0.01)
    run = attention_live.S2STrainingRun(S2SExperiment.build(TINY, task_data(task_spec(TINY))))
    run.step(1)
    run.view()  # the first view evaluates
    evaluated, cost, trained = len(run.exp.evals), run.eval_s, run.train_s
    time.sleep(1.2 * cost / attention_live.ANALYSIS_SHARE)  # wall time passes, no training
    run.step(1)
    run.view()
    assert run.train_s - trained < cost / attention_live.ANALYSIS_SHARE  # too little to pay
    assert len(run.exp.evals) == evaluated
    while run.train_s - trained < cost / attention_live.ANALYSIS_SHARE:
        run.step(1)
    time.sleep(0.02)
    run.step(1)
    run.view()  # trained enough: evaluated again
    assert len(run.exp.evals) == evaluated + 1


def test_typed_input_and_weights_come_from_the_worker():
    live = _open()
    live.step(3)
    step, result = live.run_input("1234")
    assert step == 3 and result.src_tokens == list("1234")
    assert result.weights.shape == (len(result.out_tokens), 4)
    model = live.model()
    assert live.model() is model  # not fetched again while the run has not moved
    live.step(1)
    assert live.model() is not model
    live.close()


@pytest.mark.skipif(not pretrained_path("dates").exists(), reason="run scripts/train_seq2seq.py")
def test_a_bundled_model_opens_trained_with_its_timeline():
    cfg = S2SConfig(pretrained="dates")
    live = _open(cfg, checkpoint=str(pretrained_path("dates")))
    view = live.view
    assert live.steps >= 1000 and view.exact[-1] > 0.9 and len(view.timeline.steps) > 20
    assert view.timeline.steps[0] == 0 and view.timeline.steps[-1] == live.steps
    assert live.step(1).payload.eval_steps[-1] == live.steps  # and trains on
    live.close()


def test_the_long_input_study_trains_in_a_worker_and_stops_when_done():
    study = LiveStudy.open(shared_engine(), TINY, task_spec(TINY), steps=3, per_length=4)
    snap = study.handle.wait(lambda s: s.payload is not None and s.payload.result is not None,
                             timeout=120)
    assert study.done and not snap.playing and snap.step == 6
    assert set(snap.payload.result["models"]) == {"additive attention", "no attention"}
    study.close()
