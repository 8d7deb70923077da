"""The sequence-tasks lesson on the engine: same seed, same numbers as stepping directly (live
changes included); typed sentences answered by the worker; views carry what the page draws."""

from __future__ import annotations

import dataclasses

import numpy as np

from seqviz.engine.pool import shared_engine
from seqviz.seqtasks.config import SeqTaskConfig
from seqviz.seqtasks.experiment import SeqTaskExperiment
from seqviz.seqtasks.live import LiveSeqTask

TINY = SeqTaskConfig(task="sentiment", hidden_size=8, embed_size=8, train_size=200, seed=3)


def _open(cfg: SeqTaskConfig = TINY) -> LiveSeqTask:
    live = LiveSeqTask.open(shared_engine(), cfg)
    live.handle.wait(timeout=120)
    return live


def test_engine_run_equals_stepping_directly_with_live_changes():
    changed = dataclasses.replace(TINY, dropout=0.3, weight_decay=1e-3, lr=0.01)
    live = _open()
    try:
        live.step(4)
        live.play()
        live.handle.wait(lambda s: s.step >= 30, timeout=60)
        live.pause()
        k = live.steps
        live.apply_live(changed)
        view = live.step(5).payload
        assert view.cfg == changed and view.steps[-1] == k + 5
        assert view.eval_steps[-1] == k + 5  # a Step is analysed at once

        plain = SeqTaskExperiment.build(TINY)
        plain.step(k)
        plain.apply_live(changed)
        plain.step(5)
        np.testing.assert_array_equal(view.loss, [h.loss for h in plain.trainer.history])
        e = plain.evaluate()
        assert (view.train_acc[-1], view.val_acc[-1]) == (e.train_acc, e.val_acc)
        assert view.states.shape == (300, 2) and set(view.per_kind) == {
            "plain", "negated", "although-first", "although-second", "but"}

        step, out = live.explain("the food was not bad")
        assert step == k + 5 and out.error is None and len(out.grad_x_input) == 5
        _step, bad = live.explain("")
        assert bad.error is not None
    finally:
        live.close()


def test_tagging_view_has_confusion_and_per_tag():
    live = _open(dataclasses.replace(TINY, task="tagging", bidirectional=True))
    try:
        view = live.step(3).payload
        C = len(view.classes)
        assert view.confusion.shape == (C, C) and view.per_tag.shape == (C,)
        assert view.confusion.sum() > 2000  # every held-out token
        assert view.baseline_per_tag.shape == (C,) and 0.9 < view.baseline < 1.0
        assert len(view.probe.tags) == len(view.probe.tokens) == 8
    finally:
        live.close()


def test_bundled_models_open_trained_and_keep_training():
    from seqviz.seqtasks.bundled import BUNDLED, STEPS, effective

    for name in BUNDLED:
        cfg = SeqTaskConfig(pretrained=name, lr=0.01, hidden_size=4)  # hidden_size: ignored
        assert effective(cfg).hidden_size == 32 and effective(cfg).lr == 0.01
        live = _open(cfg)
        try:
            view = live.view
            assert live.steps == STEPS and view.val_acc[-1] == 1.0
            assert view.eval_steps[0] == 0 and len(view.eval_steps) >= 12  # its history
            view = live.step(2).payload
            assert view.eval_steps[-1] == STEPS + 2 and view.cfg.lr == 0.01
        finally:
            live.close()
