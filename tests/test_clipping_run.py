"""The two-run clipping harness: torch's clipping, identical runs until the first clip."""

import copy
import dataclasses
import math

import numpy as np
import pytest
import torch

from seqviz.config import from_query, rebuild_changes, to_query
from seqviz.gradients.clipping import RUNS, ClipComparison, ClipConfig

SMALL = ClipConfig(seq_len=12, hidden_size=8)


def _params(trainer):
    return [p.detach().clone() for p in trainer.model.parameters()]


def test_runs_start_identical_and_see_the_same_batches():
    comp = ClipComparison(SMALL)
    a, b = (comp.trainers[n] for n in RUNS)
    for p, q in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(p, q) and p is not q
    assert a.clip == "none" and b.clip == "norm"
    assert torch.equal(a.batches.next()[0], b.batches.next()[0])


@pytest.mark.parametrize("mode,threshold", [("norm", 5.0), ("value", 2.0)])
def test_identical_until_the_first_step_above_the_threshold(mode, threshold):
    # with this seed the gradient norm is 4.8, 3.0, 1.1, 0.4, 0.3, then 11 at step 6
    cfg = ClipConfig(seq_len=20, hidden_size=8, clip=mode, clip_threshold=threshold)
    comp = ClipComparison(cfg)
    plain, clipped = (comp.trainers[n] for n in RUNS)
    first = None
    for k in range(1, 41):
        comp.step(1)
        s = clipped.history[-1]
        same = all(torch.equal(p, q) for p, q in zip(plain.model.parameters(),
                                                     clipped.model.parameters()))
        if first is None and s.clipped:
            first = k
        if first is None:
            assert same and plain.history[-1].loss == s.loss, f"runs parted at step {k}"
        else:
            assert not same, f"clipping at step {first} left no trace at step {k}"
    assert first is not None and first > 3, f"first clip at step {first}: the test proves little"


@pytest.mark.parametrize("mode,threshold", [("norm", 0.3), ("value", 0.02)])
def test_clipped_update_equals_torch_clipping(mode, threshold):
    """One step of the clipped run equals SGD after torch.nn.utils.clip_grad_*_."""
    cfg = dataclasses.replace(SMALL, clip=mode, clip_threshold=threshold, lr=0.1)
    comp = ClipComparison(cfg)
    comp.step(2)
    trainer = comp.trainers["with clipping"]
    model, task = copy.deepcopy(trainer.model), copy.deepcopy(trainer.batches)
    x, y = task.next()  # the batch the trainer will draw next
    loss = task.loss(model(x), y)
    loss.backward()
    if mode == "norm":
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), threshold)
    else:
        norm = torch.nn.utils.get_total_norm([p.grad for p in model.parameters()])
        torch.nn.utils.clip_grad_value_(model.parameters(), threshold)
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    comp.step(1)
    stats = trainer.history[-1]
    assert stats.clipped and stats.grad_norm == pytest.approx(float(norm), rel=1e-5)
    for p, q in zip(trainer.model.parameters(), model.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-7)


def test_live_settings_reach_the_right_run():
    comp = ClipComparison(SMALL)
    comp.apply_live(dataclasses.replace(SMALL, lr=0.01, clip="value", clip_threshold=0.5))
    plain, clipped = (comp.trainers[n] for n in RUNS)
    assert plain.lr == clipped.lr == 0.01
    assert plain.clip == "none" and (clipped.clip, clipped.clip_threshold) == ("value", 0.5)


def test_default_config_unclipped_run_diverges_and_clipped_does_not():
    comp = ClipComparison(ClipConfig(seq_len=50))
    comp.step(40)
    plain, clipped = comp.series("without clipping"), comp.series("with clipping")
    assert len(plain.divergences) > 0 and len(clipped.divergences) == 0
    assert 0 < clipped.share_clipped <= 1 and plain.share_clipped == 0
    assert math.isnan(plain.loss[plain.steps == plain.divergences[0]][0])
    assert comp.train_for(0.0) is not None and comp.steps == 41


def test_clip_config_round_trip():
    cfg = ClipConfig(clip="value", clip_threshold=0.25, cliff_lr=1.0, seed=3)
    assert from_query(ClipConfig, to_query(cfg)) == (cfg, [])
    live = dataclasses.replace(cfg, lr=1.0, clip="norm", clip_threshold=5.0, cliff_lr=0.1,
                               cliff_threshold=2.0)
    assert rebuild_changes(cfg, live) == []
    assert rebuild_changes(cfg, dataclasses.replace(cfg, optimizer="adam")) == ["optimizer"]


def test_legend_and_banner_give_the_same_divergence_counts_and_the_marks_span_the_run(
        monkeypatch):
    """The issue: '×7' in the legend vs '9×' in the banner. The legend counted the divergences
    in the kept history (the last steps only), the banner all of them. And the marks came from
    the history's newest steps, so after 150 s they covered only the last 1,000 steps of a
    run that had diverged 3,860 times: now every divergence is marked, evenly thinned past
    ``MARKS``."""
    from seqviz.gradients import clipping
    from seqviz.gradients.live import ClipRun
    from seqviz.train import StepLog
    from seqviz.ui.gradients.clipping import divergence_lines, figures

    monkeypatch.setattr(clipping, "MARKS", 10)
    run = ClipRun(ClipConfig())  # the page default: the unclipped run explodes at step 8
    for trainer in run.comp.trainers.values():
        trainer.history = StepLog(20)  # keep 20 steps, as the page keeps 2,000
    run.step(60)
    view = run.view()
    total = view.diverged["without clipping"].count
    every = [d.step for d in run.comp.trainers["without clipping"].divergences]
    marks = view.series["without clipping"].divergences
    assert total == len(every) > 10 and len(marks) <= 10  # thinned ...
    assert marks[0] == every[0] and marks[-1] == every[-1]  # ... over the whole run
    banner = " ".join(divergence_lines(view))
    assert f"**without clipping** diverged {total}×" in banner
    for fig in figures(view).values():
        names = [t["name"] for t in fig.to_dict()["data"] if "diverged" in t.get("name", "")]
        assert names == [f"without clipping: diverged {total}× (weights restored)"]


def test_the_curves_start_at_the_first_step_after_thousands_of_steps():
    """The trainers keep their last 2,000 steps; the page trains ~300 steps a second, so after
    7 s the charts showed steps 1,050-3,090 on an axis from 0 (two thirds blank, no word why).
    The curves keep the whole run, older steps thinned, in at most 2,000 rows."""
    comp = ClipComparison(SMALL)
    for _ in range(25):  # the worker views the run as it trains (every tick)
        comp.step(100)
        comp.series(RUNS[0]), comp.series(RUNS[1])
    for name in RUNS:
        s = comp.series(name)
        assert s.steps[0] == 1 and s.steps[-1] == 2500 and len(s.steps) <= 2000
        assert (s.steps[1:] > s.steps[:-1]).all()
        gaps = np.diff(s.steps)
        assert gaps.max() == 2 and (gaps[:-1] == 2).all()  # evenly thinned to the newest step
        assert len(s.loss) == len(s.grad_norm) == len(s.clipped) == len(s.steps)
    comp.step(10)
    s = comp.series(RUNS[0])
    assert s.steps[0] == 1 and s.steps[-1] == 2510 and len(s.steps) <= 2000
