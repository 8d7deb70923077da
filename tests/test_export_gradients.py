"""Take it home on the gradient pages: the standalone script reproduces every run's losses."""

import math
import re

import numpy as np
import pytest

from seqviz.gradients.clipping import ClipConfig
from seqviz.gradients.live import ClipRun, FlowRun
from seqviz.gradients.tasks import GFConfig
from tests.scripts import exported_output


def run_script(text: str, tmp_path, steps: int) -> dict[str, list[float]]:
    """Run an exported script in a clean interpreter; run name -> its losses, step by step."""
    stdout = exported_output(text, tmp_path, steps)
    losses: dict[str, list[float]] = {}
    for step, name, loss in re.findall(r"^step (\d+) (\S+) loss (\S+)", stdout, re.M):
        losses.setdefault(name, []).append(float(loss))
        assert len(losses[name]) == int(step)
    return losses


def page_losses(trainer) -> list[float]:
    return [h.loss for h in trainer.history]


@pytest.mark.parametrize("kw", [
    dict(task="recall", seq_len=10, hidden_size=16, seed=3),
    dict(task="adding", seq_len=20, hidden_size=8, activation="relu", radius=1.2,
         optimizer="sgd", lr=0.3, seed=1),
])
def test_flow_script_reproduces_the_three_runs(tmp_path, kw):
    run = FlowRun(GFConfig(**kw))
    run.step(4)
    run.view()  # a gradient capture between steps changes nothing
    run.step(4)
    losses = run_script(run.export_script(), tmp_path, 8)
    assert set(losses) == {"rnn", "gru", "lstm"}
    for cell, trainer in run.lab.runs.trainers.items():
        np.testing.assert_allclose(losses[cell], page_losses(trainer), rtol=1e-5, atol=1e-7,
                                   err_msg=cell)


def test_clipping_script_reproduces_both_runs_through_divergences(tmp_path):
    run = ClipRun(ClipConfig(seq_len=20, hidden_size=16, radius=2.0, lr=3.0, seed=0))
    run.step(12)
    unclipped = run.comp.trainers["without clipping"]
    assert unclipped.divergences, "the settings are meant to make the unclipped run diverge"
    losses = run_script(run.export_script(), tmp_path, 12)
    for name, trainer in run.comp.trainers.items():
        page = page_losses(trainer)
        script = losses[name.replace(" ", "_")]
        np.testing.assert_allclose(script, page, rtol=1e-5, atol=1e-7, equal_nan=True,
                                   err_msg=name)


def test_clipping_by_value_with_the_live_settings(tmp_path):
    run = ClipRun(ClipConfig(task="recall", cell="lstm", seq_len=10, hidden_size=8,
                             optimizer="adam", seed=4))
    run.apply_live(ClipConfig(task="recall", cell="lstm", seq_len=10, hidden_size=8,
                              optimizer="adam", seed=4, clip="value", clip_threshold=0.01,
                              lr=0.01))
    run.step(6)
    assert all(h.clipped for h in run.comp.trainers["with clipping"].history)
    script = run.export_script(6)
    assert "'with_clipping': ('lstm', 0.01, 'value', 0.01)" in script
    losses = run_script(script, tmp_path, 6)
    for name, trainer in run.comp.trainers.items():
        np.testing.assert_allclose(losses[name.replace(" ", "_")], page_losses(trainer),
                                   rtol=1e-5, atol=1e-7)
    assert not math.isnan(losses["with_clipping"][-1])


# ---- checkpoints ------------------------------------------------------------------------------
import io  # noqa: E402

import torch  # noqa: E402

from seqviz.checkpoint import CheckpointError, save_checkpoint  # noqa: E402
from seqviz.gradients import export  # noqa: E402
from seqviz.i18n import use_language  # noqa: E402


def _weights(trainers) -> dict:
    return {(n, k): v for n, t in trainers.items() for k, v in t.model.state_dict().items()}


def _same_weights(a, b) -> None:
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        torch.testing.assert_close(wa[key], wb[key], rtol=0, atol=0, msg=str(key))


def test_flow_checkpoint_reopens_the_three_runs_exactly():
    cfg = GFConfig(seq_len=10, hidden_size=16, lr=0.01, seed=5)
    run = FlowRun(cfg)
    run.step(5)
    run.view()
    reopened = export.read_flow(export.save_flow(run.checkpoint_state(), cfg))
    assert reopened.step == 5 and reopened.cfg == cfg
    other = FlowRun(reopened.cfg)
    other.step(2)  # elsewhere: the checkpoint replaces all of it
    assert other.restore(reopened.state, reopened.step) == 5
    _same_weights(run.lab.runs.trainers, other.lab.runs.trainers)
    view = other.view()
    assert view.capture.step == 5 and view.cell_steps == (5, 5, 5)
    np.testing.assert_array_equal(view.accuracy["gru"][0], run.view().accuracy["gru"][0])
    run.step(3)
    other.step(3)  # optimiser moments and batch generators came back too
    for cell in run.lab.runs.trainers:
        a, b = run.lab.runs.trainers[cell], other.lab.runs.trainers[cell]
        assert [h.step for h in b.history] == list(range(1, 9))
        assert [h.loss for h in a.history] == [h.loss for h in b.history], cell


def test_clipping_checkpoint_keeps_divergences_curves_and_continues_alike():
    cfg = ClipConfig(seq_len=20, hidden_size=16, radius=2.0, lr=3.0, seed=0)
    run = ClipRun(cfg)
    run.step(6)
    raw = export.save_clipping(run.checkpoint_state(), cfg)
    reopened = export.read_clipping(raw)
    other = ClipRun(reopened.cfg)
    other.restore(reopened.state, reopened.step)
    _same_weights(run.comp.trainers, other.comp.trainers)
    before = run.view().series["without clipping"]
    after = other.view().series["without clipping"]
    np.testing.assert_array_equal(after.loss, before.loss)  # the gaps where it diverged too
    np.testing.assert_array_equal(after.clipped, before.clipped)
    run.step(4)
    other.step(4)
    name = "with clipping"  # continues exactly; the unclipped run diverges at once, and the
    # checkpoint keeps no roll-back point before its step, so that run goes on differently
    np.testing.assert_array_equal(other.comp.series(name).loss, run.comp.series(name).loss)
    assert len(other.comp.series("without clipping").loss) == 10


def _file(kind: str, spec: dict, weights: dict, meta: dict | None = None) -> bytes:
    buf = io.BytesIO()
    save_checkpoint(buf, kind, spec, weights, meta or {})
    return buf.getvalue()


def test_bad_gradient_checkpoints_get_clear_translated_messages():
    run = ClipRun(ClipConfig(seq_len=5, hidden_size=8))
    state = run.checkpoint_state()
    good = export.save_clipping(state, run.comp.cfg)
    cases = [
        (good, export.read_flow, "saved on the “Gradient clipping” page", "梯度裁剪"),
        (_file("clipping", {"hidden_size": 8000}, {}), export.read_clipping, "out of bounds",
         "超出"),
        (_file("clipping", {"hidden_size": 16}, state["state_dict"]), export.read_clipping,
         "do not fit", "不"),
        (b"not a checkpoint" * 10, export.read_clipping, "not a seqviz checkpoint", "不是"),
    ]
    for raw, read, en, zh in cases:
        with pytest.raises(CheckpointError, match=en):
            read(raw)
        with use_language("zh"), pytest.raises(CheckpointError) as err:
            read(raw)
        assert zh in str(err.value)


def test_a_hand_edited_training_state_starts_afresh_instead_of_failing():
    cfg = GFConfig(seq_len=5, hidden_size=8)
    run = FlowRun(cfg)
    run.step(2)
    state = run.checkpoint_state()
    state["runs"]["rnn"]["history"]["loss"] = ["x", 1.0]
    state["runs"]["rnn"]["optimizer"] = {"state": "junk"}
    state["runs"]["gru"]["generator"] = torch.zeros(3, dtype=torch.uint8)
    reopened = export.read_flow(export.save_flow(state, cfg))
    other = FlowRun(cfg)
    assert other.restore(reopened.state, reopened.step) == 2
    assert len(other.lab.runs.trainers["rnn"].history) == 0
    other.step(1)
    assert other.steps == 3
