"""The gradient lessons as engine runs (seqviz.gradients.live): same numbers as stepping
directly, captures at their own cadence and at once when paused, divergence behaviour."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np

from seqviz.gradients.clipping import RUNS, ClipComparison, ClipConfig
from seqviz.gradients.live import (ANALYSIS_EVERY, CLIP_FACTORY, ClipRun, FlowRun,
                                   LiveClipping, LiveFlow)
from seqviz.gradients.tasks import CELL_NAMES, GFConfig, GradientLab

SMALL = GFConfig(seq_len=10, hidden_size=8, seed=2)
CLIP = ClipConfig(seq_len=20, hidden_size=8, seed=0)


def _play_pause_live_step(exp, live_cfg, k_min: int = 6):
    """Step 4, play to at least ``k_min``, pause at k, a live change, 5 steps: returns (k, snap)."""
    exp.handle.wait_acked(exp.handle.step(4), timeout=60)
    exp.play()
    exp.handle.wait(lambda s: s.step >= k_min, timeout=60)
    k = exp.handle.wait_acked(exp.handle.pause(), timeout=30).step
    exp.apply_live(live_cfg)
    return k, exp.step(5)


def test_flow_same_seed_same_numbers_as_stepping_directly(engine):
    live_cfg = dataclasses.replace(SMALL, lr=0.01, cell="gru", scale="log")
    k, snap = _play_pause_live_step(LiveFlow.open(engine, SMALL), live_cfg)
    view = snap.payload
    assert snap.step == k + 5 and view.cell_steps == (k + 5,) * 3

    lab = GradientLab(SMALL)
    lab.step(k)
    lab.apply_live(live_cfg)
    lab.step(5)
    direct = lab.refresh()  # the capture of the step Step stopped on
    for cell, trainer in lab.runs.trainers.items():
        steps, acc = view.accuracy[cell]
        assert steps.tolist() == [s for s, _ in trainer.evals]
        np.testing.assert_array_equal(acc, [v for _, v in trainer.evals])
        np.testing.assert_array_equal(view.capture.norms[cell], direct.norms[cell])
    cap = view.capture
    assert cap.step == k + 5 and cap.detail.cell == "gru" and view.lrs == (0.01,) * 3
    np.testing.assert_array_equal(cap.detail.dh_hist.counts, direct.detail.dh_hist.counts)
    np.testing.assert_array_equal(cap.detail.dw_hist.counts, direct.detail.dw_hist.counts)
    assert cap.detail.dh_hist.scale == "log"
    assert view.why.step == k + 5 and view.why.cell == "gru"
    np.testing.assert_array_equal(view.why.why.carry, direct.detail.why.carry)


def test_clipping_same_seed_same_numbers_as_stepping_directly(engine):
    live_cfg = dataclasses.replace(CLIP, lr=0.03, clip="value", clip_threshold=0.5)
    k, snap = _play_pause_live_step(LiveClipping.open(engine, CLIP), live_cfg)
    view = snap.payload
    comp = ClipComparison(CLIP)
    comp.step(k)
    comp.apply_live(live_cfg)
    comp.step(5)
    for name in RUNS:
        mine, theirs = view.series[name], comp.series(name)
        assert mine.steps.tolist() == theirs.steps.tolist() == list(range(1, k + 6))
        for field in ("loss", "grad_norm", "clipped", "divergences"):
            np.testing.assert_array_equal(getattr(mine, field), getattr(theirs, field))
    assert view.settings == {"without clipping": ("none", 0.5, 0.03),
                             "with clipping": ("value", 0.5, 0.03)}


def test_pause_and_step_capture_the_step_they_stop_on(engine):
    exp = LiveFlow.open(engine, SMALL)
    exp.play()
    exp.handle.wait(lambda s: s.step >= 30, timeout=60)
    exp.pause()  # returns once the worker has stopped and captured that step
    snap = exp.snapshot()
    assert not snap.playing and snap.payload.capture.step == snap.step
    assert snap.payload.why.step == snap.step  # the slow charts too
    snap = exp.step(1)
    assert snap.step == snap.payload.capture.step == snap.payload.why.step
    snap = exp.handle.wait_acked(exp.handle.apply_live(dataclasses.replace(SMALL, cell="lstm")))
    view = snap.payload
    assert view.capture.detail.cell == view.why.cell == "lstm" and view.capture.step == snap.step
    assert set(view.why.radii) == {"W_hi", "W_hf", "W_hg", "W_ho"}


def test_captures_keep_their_cadence_and_share_while_playing(engine):
    """Default sizes (T 50, H 64): at most about one capture a second of play, and captures
    plus views well under 15 % of the worker's time."""
    exp = LiveFlow.open(engine, GFConfig())
    exp.play()
    first = exp.handle.wait(lambda s: s.step >= 5, timeout=60)
    last = exp.handle.wait(lambda s: s.wall - first.wall >= 4.0, timeout=60)  # the cadence is
    # a matter of wall time: play for a while
    exp.pause()
    train, view = last.train_s - first.train_s, last.view_s - first.view_s
    share = view / (train + view)
    seconds = last.wall - first.wall
    captures = last.payload.capture.version - first.payload.capture.version
    print(f"\nplaying {seconds:.1f} s: {last.step - first.step} steps, {captures} captures, "
          f"train {train:.2f} s, views {view:.3f} s, analysis share {100 * share:.1f} %")
    assert share < 0.15, f"captures and views took {100 * share:.0f}% of the worker's time"
    assert 1 <= captures <= seconds / ANALYSIS_EVERY + 2


def test_flow_pauses_only_when_all_three_runs_diverge(engine):
    # relu, radius 2, T 200: the RNN diverges at every step, the gated cells train on
    exp = LiveFlow.open(engine, GFConfig(activation="relu", radius=2.0, seq_len=200,
                                         hidden_size=8, seed=0))
    exp.play()
    snap = exp.handle.wait(lambda s: s.step >= 5, timeout=60)
    assert snap.halted is None and snap.payload.diverged["rnn"].count > 0
    assert snap.payload.diverged["lstm"].count == 0
    exp.pause()
    # SGD at lr 10 on the adding problem: all three blow up at step 3, nothing can train
    exp = LiveFlow.open(engine, GFConfig(task="adding", optimizer="sgd", lr=10.0, radius=2.0,
                                         hidden_size=8))
    exp.play()
    snap = exp.handle.wait(lambda s: s.halted is not None, timeout=60)
    assert snap.step == 3 and not snap.playing and "all three runs diverged" in str(snap.halted)
    assert snap.payload.capture.step == 3  # the halt is drawn at the step it happened


def test_clipping_goes_on_while_the_unclipped_run_diverges(engine):
    exp = LiveClipping.open(engine, ClipConfig(seq_len=50, seed=0))  # the default: it explodes
    exp.play()
    snap = exp.handle.wait(lambda s: s.payload.diverged["without clipping"].count > 0, 60)
    snap = exp.handle.wait(lambda s: s.step >= snap.step + 10, timeout=60)
    assert snap.playing and snap.halted is None
    assert snap.payload.diverged["with clipping"].count == 0
    exp.pause()  # returns once the worker has stopped
    paused = exp.snapshot()
    assert not paused.playing
    assert exp.handle.wait_acked(exp.handle.apply_live(exp.cfg), timeout=30).step == paused.step


def test_views_are_small_and_pickle():
    flow, clip = FlowRun(SMALL), ClipRun(CLIP)
    flow.step(3)
    clip.step(3)
    for run in (flow, clip):
        assert len(pickle.dumps(run.view())) < 100_000
    assert flow.view().capture.step == 3  # the first view captures at once
    assert CLIP_FACTORY.endswith(":build_clipping")
    assert set(flow.view().accuracy) == set(CELL_NAMES)
