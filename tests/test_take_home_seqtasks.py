"""Take it home on the sequence-tasks page: a checkpoint of the run round-trips (same weights,
same next losses), bad files and checkpoints of another task, model or vocabulary are refused
with a clear message in English and Chinese. The page test (re-opening on the page) is in
tests/test_app_export.py."""

from __future__ import annotations

import io

import numpy as np
import pytest

SMALL = dict(train_size=200, hidden_size=8, embed_size=8, batch_size=8)


def _run(**kw):
    from seqviz.seqtasks.config import SeqTaskConfig
    from seqviz.seqtasks.live import build_run

    cfg = SeqTaskConfig(**{**SMALL, **kw})
    return cfg, build_run(cfg)


def _same_weights(a, b) -> None:
    import torch

    for (k, x), (_k, y) in zip(a.state_dict().items(), b.state_dict().items()):
        torch.testing.assert_close(x, y, rtol=0, atol=0, msg=k)


@pytest.mark.parametrize("kw", [dict(dropout=0.3, weight_decay=1e-3, seed=3),
                                dict(task="tagging", cell="gru", bidirectional=True,
                                     num_layers=2, dropout=0.2, lr=0.01),
                                dict(reviews="zh", cell="rnn", seed=5)])
def test_seqtasks_checkpoint_round_trip_gives_identical_weights_and_next_steps(kw):
    from seqviz.seqtasks.export import read_run, save_run

    cfg, run = _run(**kw)
    run.step(6)
    run.analyse()
    raw = save_run(run.checkpoint_state(), run.exp.cfg)
    reopened = read_run(raw)
    assert reopened.step == 6 and reopened.cfg == cfg
    _cfg, other = _run(**kw)
    other.step(2)  # a run elsewhere: its weights, optimiser and batch stream are replaced
    assert other.restore(reopened.state, reopened.step) == 6
    _same_weights(run.exp.model, other.exp.model)
    saved, view = run.view(), other.view()  # the saved curve and evaluations, as drawn
    np.testing.assert_array_equal(view.steps, np.arange(1, 7))
    np.testing.assert_array_equal(view.loss, saved.loss)
    np.testing.assert_array_equal(view.eval_steps, saved.eval_steps)
    np.testing.assert_array_equal(view.val_acc, saved.val_acc)
    assert view.analysed_step == 6
    run.step(3)  # dropout masks, batches and Adam's moments alike: the same next losses
    other.step(3)
    assert [h.loss for h in other.exp.trainer.history][-3:] == \
        [h.loss for h in run.exp.trainer.history][-3:]
    assert other.steps == 9


def test_a_run_from_a_bundled_model_saves_as_the_model_it_now_is():
    from seqviz.seqtasks.config import SeqTaskConfig
    from seqviz.seqtasks.export import read_run, save_run
    from seqviz.seqtasks.live import build_run

    run = build_run(SeqTaskConfig(pretrained="tagging"))
    reopened = read_run(save_run(run.checkpoint_state(), run.exp.cfg))
    assert reopened.cfg.pretrained == "none" and reopened.cfg.task == "tagging"
    assert reopened.cfg.bidirectional and reopened.step == run.steps > 0
    fresh = build_run(reopened.cfg)
    assert fresh.restore(reopened.state, reopened.step) == run.steps
    _same_weights(run.exp.model, fresh.exp.model)


class Live:
    def __init__(self, cfg):
        self.cfg = cfg


@pytest.mark.parametrize("other,en,zh", [
    (dict(task="tagging"), "holds a sentiment model; the page's run is a tagging model",
     "序列标注"),
    (dict(hidden_size=16), "is not the page's", "不是"),
    (dict(reviews="zh"), "another vocabulary", "词表"),
])
def test_a_checkpoint_of_another_task_model_or_data_does_not_fit(other, en, zh):
    import dataclasses

    from seqviz.checkpoint import CheckpointError
    from seqviz.i18n import use_language
    from seqviz.seqtasks.export import fits, read_run, save_run

    cfg, run = _run()
    reopened = read_run(save_run(run.checkpoint_state(), cfg))
    fits(Live(cfg), reopened)
    live = Live(dataclasses.replace(cfg, **other))
    with pytest.raises(CheckpointError, match=en):
        fits(live, reopened)
    with use_language("zh"), pytest.raises(CheckpointError) as err:
        fits(live, reopened)
    assert zh in str(err.value)
    _cfg, elsewhere = _run(**other)  # the worker refuses it all the same
    with pytest.raises(ValueError, match="differs from the run's"):
        elsewhere.restore(reopened.state, reopened.step)


def _state():
    from seqviz.seqtasks.export import run_state

    cfg, run = _run()
    return cfg, run_state(run.exp)


def _saved(edit) -> bytes:
    from seqviz.seqtasks.export import save_run

    cfg, state = _state()
    edit(state)
    return save_run(state, cfg)


def _tagger_as_sentiment() -> bytes:
    return _saved(lambda s: s["spec"].update(tagger=True))


def _too_wide() -> bytes:
    return _saved(lambda s: s["spec"].update(hidden_size=512))  # within the server's
    # limits, above the page's


def _missing_weight() -> bytes:
    return _saved(lambda s: s["state_dict"].pop("head.bias"))


def _no_vocabulary() -> bytes:
    return _saved(lambda s: s.update(vocab=s["vocab"][:-1]))


def _no_cell() -> bytes:
    return _saved(lambda s: s["spec"].pop("cell"))


def _bad_spec() -> bytes:
    from seqviz.checkpoint import save_checkpoint

    buf = io.BytesIO()
    save_checkpoint(buf, "seqtasks", {"vocab_size": 50, "num_classes": 2, "hidden_size": 8000,
                                      "embed_size": 8, "num_layers": 1}, {}, {})
    return buf.getvalue()


def _lm_checkpoint() -> bytes:
    from seqviz.checkpoint import save_checkpoint

    buf = io.BytesIO()
    save_checkpoint(buf, "lm", {"vocab_size": 5, "hidden_size": 8, "embed_size": 4}, {}, {})
    return buf.getvalue()


@pytest.mark.parametrize("make,en,zh", [
    (lambda: b"PK\x03\x04 not a checkpoint" * 10, "not a seqviz checkpoint", "不是"),
    (lambda: b"x" * 20_000_001, "limited to", "最大为"),
    (lambda: b"", "The file is empty", "空"),
    (_bad_spec, "out of bounds", "超出"),
    (_no_cell, "description is incomplete", "不完整"),
    (_lm_checkpoint, "saved on the “Language model” page", "语言模型"),
    (_tagger_as_sentiment, "is a tagging model but its settings are for the sentiment task",
     "情感"),
    (_too_wide, "cannot be trained on this page", "无法"),
    (_missing_weight, "1 missing", "缺失"),
    (_no_vocabulary, "vocabulary is missing or damaged", "词表"),
])
def test_bad_seqtasks_checkpoints_get_a_clear_translated_message(make, en, zh):
    from seqviz.checkpoint import CheckpointError
    from seqviz.i18n import use_language
    from seqviz.seqtasks.export import read_run

    raw = make()
    with pytest.raises(CheckpointError, match=en):
        read_run(raw)
    with use_language("zh"), pytest.raises(CheckpointError) as err:
        read_run(raw)
    assert zh in str(err.value) and "Traceback" not in str(err.value)
