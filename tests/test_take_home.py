"""Take it home: the experiment card, the LM page's standalone script and checkpoint round trip."""

import io
import json
import re

import numpy as np
import pytest
import torch

from seqviz.checkpoint import CheckpointError, save_checkpoint
from seqviz.data import build_text_data, load_corpus
from seqviz.engine.export import experiment_card, card_json, pack_ids, summarise, unpack_ids
from seqviz.i18n import use_language
from seqviz.limits import MAX_CHECKPOINT_BYTES
from seqviz.lm import export as lm_export
from seqviz.lm.config import LMConfig
from seqviz.lm.experiment import LMExperiment
from seqviz.lm.live import LMTrainingRun
from tests.scripts import exported_output

SMALL = dict(hidden_size=16, embed_size=8, seq_len=12, batch_size=4, seed=5)


@pytest.fixture(scope="module")
def data():
    return build_text_data(load_corpus("prose")[:20_000], "char")


def _exp(data, **kw) -> LMExperiment:
    return LMExperiment.build(LMConfig(**{**SMALL, **kw}), data)


def test_card_is_json_with_config_seed_step_metrics_and_versions(data):
    run = LMTrainingRun(_exp(data))
    run.step(3)
    run.exp.trainer.evaluate_now()
    card = json.loads(card_json(experiment_card("lm", "Language model", run.exp.cfg, 3,
                                                run.view())))
    assert card["lesson"] == "lm" and card["step"] == 3 and card["seed"] == 5
    assert card["config"]["hidden_size"] == "16" and card["config"]["seed"] == "5"
    assert card["metrics"]["loss"]["length"] == 3
    assert card["metrics"]["loss"]["latest"] == pytest.approx(run.exp.trainer.last_loss)
    assert card["metrics"]["eval_values"]["latest"] > 1
    assert set(card["versions"]) == {"seqviz", "python", "torch", "numpy"}
    assert re.match(r"\d{4}-\d\d-\d\dT", card["date"])


def test_summarise_keeps_numbers_and_curves_and_drops_nan():
    from dataclasses import dataclass

    @dataclass
    class V:
        step: int
        acc: float
        curve: np.ndarray
        name: str

    out = summarise(V(4, float("nan"), np.array([3.0, np.nan, 1.0]), "x"))
    assert out == {"step": 4, "acc": None, "curve": {"latest": 1.0, "length": 3, "min": 1.0,
                                                     "max": 3.0}}


def test_ids_pack_round_trip():
    ids = np.array([0, 5, 65535, 70000, 3], dtype=np.int64)
    np.testing.assert_array_equal(unpack_ids(pack_ids(ids)), ids)


def _script_losses(text: str, tmp_path, steps: int) -> list[float]:
    stdout = exported_output(text, tmp_path, steps)
    return [float(m) for m in re.findall(r"^step \d+ loss ([0-9.]+)", stdout, re.M)]


@pytest.mark.parametrize("cell,layers", [("rnn", 1), ("gru", 2), ("lstm", 1)])
def test_lm_script_reproduces_the_page_losses(data, tmp_path, cell, layers):
    exp = _exp(data, cell=cell, num_layers=layers, clip="norm", clip_threshold=0.05)
    stats = exp.trainer.step(6)
    losses = _script_losses(lm_export.lm_script(exp), tmp_path, 6)
    assert len(losses) == 6
    np.testing.assert_allclose(losses, [s.loss for s in stats], rtol=1e-5, atol=1e-6)


def test_checkpoint_round_trip_gives_identical_weights_and_next_steps(data):
    exp = _exp(data, cell="gru")
    exp.trainer.step(4)
    raw = lm_export.save_run(lm_export.run_state(exp), exp.cfg)
    reopened = lm_export.read_run(raw)
    assert reopened.step == 4 and reopened.cfg == exp.cfg
    other = LMExperiment.build(reopened.cfg, data)  # fresh weights, same shape
    lm_export.restore(other, reopened.state, reopened.step)
    for (k, a), (_k, b) in zip(exp.model.state_dict().items(), other.model.state_dict().items()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=k)
    assert other.trainer.steps == 4
    a, b = exp.trainer.step(3), other.trainer.step(3)
    assert [s.step for s in b] == [5, 6, 7]
    assert [s.loss for s in a] == [s.loss for s in b]  # weights, optimiser and batches alike


def test_a_reopened_run_keeps_playing_views(data):
    run = LMTrainingRun(_exp(data))
    run.exp.trainer.evaluate_now()  # as build_run does: the step-0 validation point
    run.step(2)
    state = lm_export.read_run(lm_export.save_run(run.checkpoint_state(), run.exp.cfg))
    fresh = LMTrainingRun(_exp(data))
    fresh.step(5)
    saved = run.view()
    assert fresh.restore(state.state, state.step) == 2
    view = fresh.view()  # the saved curves, as the page drew them
    np.testing.assert_array_equal(view.steps, [1, 2])
    np.testing.assert_array_equal(view.loss, saved.loss)
    np.testing.assert_array_equal(view.eval_steps, [0, 2])  # + the re-opened model's
    np.testing.assert_array_equal(view.eval_values[:1], saved.eval_values)
    fresh.step(1)
    assert list(fresh.view().steps) == [1, 2, 3]


def test_a_hand_edited_history_is_ignored(data):
    exp = _exp(data)
    exp.trainer.step(2)
    state = lm_export.run_state(exp)
    state["history"]["loss"] = ["x", 1.0]
    state["evals"] = {"step": [0]}
    other = _exp(data)
    lm_export.restore(other, state, 2)
    assert len(other.trainer.history) == 0 and [s for s, _v in other.trainer.evals] == [2]


def test_a_checkpoint_of_another_corpus_does_not_fit(data):
    exp = _exp(data)
    reopened = lm_export.read_run(lm_export.save_run(lm_export.run_state(exp), exp.cfg))

    class Live:
        pass

    live = Live()
    live.data = build_text_data(load_corpus("python")[:20_000], "char")
    with pytest.raises(CheckpointError, match="vocabulary differs"):
        lm_export.fits(live, reopened)
    live.data = data
    lm_export.fits(live, reopened)


def _bad_spec(data) -> bytes:
    exp = _exp(data)
    state = lm_export.run_state(exp)
    buf = io.BytesIO()
    save_checkpoint(buf, "lm", {"vocab_size": len(data.vocab), "hidden_size": 8000,
                                "embed_size": 8}, state["state_dict"], {},
                    vocab=state["vocab"], level="char")
    return buf.getvalue()


@pytest.mark.parametrize("make,en,zh", [
    (lambda d: b"PK\x03\x04 not a checkpoint" * 10, "not a seqviz checkpoint", "不是"),
    (lambda d: b"x" * (MAX_CHECKPOINT_BYTES + 1), "limited to", "最大为"),
    (_bad_spec, "out of bounds", "超出"),
])
def test_bad_checkpoints_get_a_clear_translated_message(data, make, en, zh):
    raw = make(data)
    with pytest.raises(CheckpointError, match=en):
        lm_export.read_run(raw)
    with use_language("zh"), pytest.raises(CheckpointError) as err:
        lm_export.read_run(raw)
    assert zh in str(err.value) and "Traceback" not in str(err.value)


def test_a_pickle_is_never_executed(tmp_path):
    import pickle

    class Boom:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))

    with pytest.raises(CheckpointError, match="not a seqviz checkpoint"):
        lm_export.read_run(pickle.dumps({"format": "seqviz/1", "x": Boom()}))
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("kw", [
    dict(task="sentiment", cell="gru", bidirectional=True, dropout=0.3, weight_decay=1e-3),
    dict(task="tagging", cell="lstm", num_layers=2, dropout=0.2),
])
def test_seqtasks_script_reproduces_the_page_losses(tmp_path, kw):
    from seqviz.seqtasks.config import SeqTaskConfig
    from seqviz.seqtasks.experiment import SeqTaskExperiment
    from seqviz.seqtasks.export import seqtasks_script

    exp = SeqTaskExperiment.build(SeqTaskConfig(train_size=200, hidden_size=16, embed_size=8,
                                                batch_size=16, seed=2, **kw))
    stats = exp.step(5)
    losses = _script_losses(seqtasks_script(exp), tmp_path, 5)
    np.testing.assert_allclose(losses, [s.loss for s in stats], rtol=1e-5, atol=1e-6)
