"""Take it home on the CTC, time-series and attention pages: each standalone script, run for N
steps in a subprocess (plain PyTorch, no seqviz), prints the page's training losses."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.scripts import exported_output


def run_script(text: str, tmp_path, steps: int, *args: str) -> tuple[list[float], str]:
    """(the losses the script prints, its whole output); ``args``: more options."""
    stdout = exported_output(text, tmp_path, steps, *args)
    return [float(m) for m in re.findall(r"^step \d+ loss ([0-9.e+-]+)", stdout, re.M)], stdout


def _number(label: str, stdout: str) -> float:
    return float(re.search(rf"^{label} ([0-9.e+-]+)", stdout, re.M).group(1))


# ---- CTC ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [dict(), dict(num_layers=2, hidden_size=8, symbols=3, noise=1.0,
                                             silence=0.8, batch_size=3, lr=0.03,
                                             clip_threshold=0.1, seed=7)])
def test_ctc_script_reproduces_the_page_losses(tmp_path, kw):
    from seqviz.ctc.config import CTCConfig
    from seqviz.ctc.live import build_run

    run = build_run(CTCConfig(**{"hidden_size": 16, "batch_size": 8, **kw}))
    run.step(5)  # step 5 is one of the page's held-out evaluations
    text = run.export_script()
    assert re.search(r"^SEED, STEPS = \d+, 5$", text, re.M)
    losses, stdout = run_script(text, tmp_path, 5)
    np.testing.assert_allclose(losses, [h.loss for h in run.exp.trainer.history],
                               rtol=1e-5, atol=1e-6)
    assert run.exp.evals[-1].step == 5
    assert _number("held-out loss", stdout) == pytest.approx(run.exp.evals[-1].loss, rel=1e-4)


def test_ctc_script_uses_the_live_settings_at_export_time(tmp_path):
    import dataclasses

    from seqviz.ctc.config import CTCConfig
    from seqviz.ctc.live import build_run

    run = build_run(CTCConfig(hidden_size=8, batch_size=4))
    run.apply_live(dataclasses.replace(run.exp.cfg, lr=0.1, clip_threshold=0.05))
    run.step(3)
    losses, _out = run_script(run.export_script(), tmp_path, 3)
    np.testing.assert_allclose(losses, [h.loss for h in run.exp.trainer.history],
                               rtol=1e-5, atol=1e-6)


# ---- time series --------------------------------------------------------------------------
def _ts_losses(stdout: str) -> np.ndarray:
    rows = re.findall(r"^step \d+ mlp_loss ([0-9.e+-]+) rnn_loss ([0-9.e+-]+)", stdout, re.M)
    return np.array(rows, dtype=np.float64).reshape(-1, 2)


@pytest.mark.parametrize("kw", [dict(cell="gru"),
                                dict(cell="lstm", signal="walk", tau=3, seed=4),
                                dict(cell="rnn", signal="plucked", seq_len=8, train_share=0.8,
                                     batch_size=8, lr=0.1)])
def test_timeseries_script_reproduces_both_models_losses(tmp_path, kw):
    from seqviz.timeseries.config import TimeSeriesConfig
    from seqviz.timeseries.live import build_run

    run = build_run(TimeSeriesConfig(**{"length": 300, "hidden_size": 16, **kw}))
    run.step(10)  # step 10 is one of the page's evaluations
    text = run.export_script()
    assert re.search(r"^SEED, STEPS = \d+, 10$", text, re.M)
    _unused, stdout = run_script(text, tmp_path, 10)
    _steps, mlp, rnn = run.exp.train_loss()
    np.testing.assert_allclose(_ts_losses(stdout), np.stack([mlp, rnn], axis=1), rtol=1e-5,
                               atol=1e-6)
    ev = run.exp.evals[-1]
    assert ev.step == 10
    got = re.search(r"^validation mlp_mse ([0-9.e+-]+) rnn_mse ([0-9.e+-]+)", stdout, re.M)
    np.testing.assert_allclose([float(got[1]), float(got[2])], ev.val, rtol=1e-4, atol=1e-6)


def test_timeseries_script_embeds_an_uploaded_column(tmp_path):
    from seqviz.timeseries.config import TimeSeriesConfig
    from seqviz.timeseries.live import build_run

    values = np.cumsum(np.random.default_rng(3).normal(size=400)) * 7 + 100
    run = build_run(TimeSeriesConfig(signal="upload", upload="0123456789abcdef", column="y",
                                     hidden_size=8), values)
    run.step(3)
    _unused, stdout = run_script(run.export_script(), tmp_path, 3)
    _steps, mlp, rnn = run.exp.train_loss()
    np.testing.assert_allclose(_ts_losses(stdout), np.stack([mlp, rnn], axis=1), rtol=1e-5,
                               atol=1e-6)


# ---- attention ----------------------------------------------------------------------------
ATT_SMALL = dict(hidden_size=16, embed_size=8, batch_size=8, seed=3)


@pytest.mark.parametrize("kw", [
    dict(),  # dates, bidirectional GRU, additive attention, Adam, norm clipping
    dict(task="translate", min_len=5, max_len=9, cell="lstm", bidirectional=False,
         num_layers=2, attention="general", optimizer="sgd", lr=0.5, clip="value",
         clip_threshold=0.05),
    dict(task="reverse", min_len=3, max_len=8, cell="rnn", attention="dot", clip="none"),
    dict(task="sort", min_len=3, max_len=8, attention="none", num_layers=2),
])
def test_attention_script_reproduces_the_page_losses(tmp_path, kw):
    from seqviz.attention.experiment import S2SConfig
    from seqviz.attention.live import build_run

    run = build_run(S2SConfig(**{**ATT_SMALL, **kw}))
    run.step(4)
    text = run.export_script()
    assert re.search(r"^SEED, STEPS = \d+, 4$", text, re.M)
    losses, stdout = run_script(text, tmp_path, 4)
    np.testing.assert_allclose(losses, [h.loss for h in run.exp.trainer.history],
                               rtol=1e-5, atol=1e-6)
    assert re.search(rf"^probe {re.escape(run.exp.probe[0])} -> ", stdout, re.M)


def test_attention_script_continues_a_bundled_model_with_init(tmp_path):
    from seqviz.attention.checkpoint import pretrained_path
    from seqviz.attention.experiment import S2SConfig
    from seqviz.attention.live import build_run

    path = pretrained_path("dates")
    run = build_run(S2SConfig(pretrained="dates", batch_size=8), checkpoint=str(path))
    start = run.steps
    run.step(3)
    text = run.export_script()
    assert "--init" in text and "bundled 'dates' model" in text
    (tmp_path / "dates.pt").write_bytes(path.read_bytes())
    losses, stdout = run_script(text, tmp_path, 3, "--init", "dates.pt")
    page = [h for h in run.exp.trainer.history if h.step > start]
    assert [h.step for h in page] == [start + 1, start + 2, start + 3]
    np.testing.assert_allclose(losses, [h.loss for h in page], rtol=1e-4, atol=1e-6)
    probe, output = run.exp.probe[0], run.exp.current_snapshot().output
    assert f"probe {probe} -> {output}\n" in stdout  # a trained model: a clear argmax


# ---- checkpoints ---------------------------------------------------------------------------
def _same_weights(a, b) -> None:
    import torch

    for (k, x), (_k, y) in zip(a.state_dict().items(), b.state_dict().items()):
        torch.testing.assert_close(x, y, rtol=0, atol=0, msg=k)


def test_ctc_checkpoint_round_trip_gives_identical_weights_and_next_steps():
    from seqviz.ctc.config import CTCConfig
    from seqviz.ctc.export import read_run, save_run
    from seqviz.ctc.live import build_run

    cfg = CTCConfig(hidden_size=8, batch_size=4, symbols=3, seed=2)
    run = build_run(cfg)
    run.step(6)
    raw = save_run(run.checkpoint_state(), run.exp.cfg)
    reopened = read_run(raw)
    assert reopened.step == 6 and reopened.cfg == cfg
    other = build_run(cfg)
    other.step(2)  # a run elsewhere: its weights, optimiser and stream are replaced
    assert other.restore(reopened.state, reopened.step) == 6
    _same_weights(run.exp.model, other.exp.model)
    view = other.view()  # the saved curve and evaluations, as the page drew them
    np.testing.assert_array_equal(view.steps, np.arange(1, 7))
    np.testing.assert_array_equal(view.loss, run.view().loss)
    assert [e.step for e in run.exp.evals] == [0, 1, 5]
    assert [e.step for e in view.evals] == [0, 1, 5, 6]  # + the re-opened model's
    assert view.evals[:3] == tuple(run.exp.evals)
    run.step(3)
    other.step(3)
    assert [h.loss for h in other.exp.trainer.history][-3:] == \
        [h.loss for h in run.exp.trainer.history][-3:]  # weights, optimiser, stream alike
    assert other.steps == 9


def _ctc_bad_spec() -> bytes:
    import io

    from seqviz.checkpoint import save_checkpoint

    buf = io.BytesIO()
    save_checkpoint(buf, "ctc", {"symbols": 5, "hidden_size": 8000, "num_layers": 1}, {}, {})
    return buf.getvalue()


def _ctc_too_wide() -> bytes:
    from seqviz.ctc.config import CTCConfig
    from seqviz.ctc.export import run_state, save_run
    from seqviz.ctc.live import build_run

    run = build_run(CTCConfig(hidden_size=8, batch_size=2))
    state = run_state(run.exp)
    state["spec"]["hidden_size"] = 512  # within the server's limits, above the page's
    return save_run(state, run.exp.cfg)


def _lm_checkpoint() -> bytes:
    import io

    from seqviz.checkpoint import save_checkpoint

    buf = io.BytesIO()
    save_checkpoint(buf, "lm", {"vocab_size": 5, "hidden_size": 8, "embed_size": 4}, {}, {})
    return buf.getvalue()


@pytest.mark.parametrize("make,en,zh", [
    (lambda: b"PK\x03\x04 not a checkpoint" * 10, "not a seqviz checkpoint", "不是"),
    (lambda: b"x" * 20_000_001, "limited to", "最大为"),
    (_ctc_bad_spec, "out of bounds", "超出"),
    (_ctc_too_wide, "cannot be trained on this page", "无法"),
    (_lm_checkpoint, "saved on the “Language model” page", "语言模型"),
])
def test_bad_ctc_checkpoints_get_a_clear_translated_message(make, en, zh):
    from seqviz.checkpoint import CheckpointError
    from seqviz.ctc.export import read_run
    from seqviz.i18n import use_language

    raw = make()
    with pytest.raises(CheckpointError, match=en):
        read_run(raw)
    with use_language("zh"), pytest.raises(CheckpointError) as err:
        read_run(raw)
    assert zh in str(err.value) and "Traceback" not in str(err.value)


def test_timeseries_checkpoint_round_trip_gives_identical_weights_and_next_steps():
    from seqviz.timeseries.config import TimeSeriesConfig
    from seqviz.timeseries.export import read_run, save_run
    from seqviz.timeseries.live import build_run

    cfg = TimeSeriesConfig(length=300, hidden_size=8, cell="lstm", tau=4, seed=3)
    run = build_run(cfg)
    run.step(12)
    reopened = read_run(save_run(run.checkpoint_state(), run.exp.cfg))
    assert reopened.step == 12 and reopened.cfg == cfg
    other = build_run(cfg)
    other.step(1)
    assert other.restore(reopened.state, reopened.step) == 12
    for a, b in zip(run.exp.models, other.exp.models):
        _same_weights(a, b)
    saved, view = run.view(), other.view()
    np.testing.assert_array_equal(view.steps, saved.steps)
    np.testing.assert_array_equal(view.loss[1], saved.loss[1])
    assert [e.step for e in saved.evals] == [0, 1, 10]
    assert [e.step for e in view.evals] == [0, 1, 10, 12]  # + the re-opened models'
    assert [e.val for e in view.evals[:3]] == [e.val for e in saved.evals]
    assert view.evals[-1].val == run.exp.evaluate_now().val
    run.step(3)
    other.step(3)
    for a, b in zip(run.exp.trainers, other.exp.trainers):
        assert [h.loss for h in a.history][-3:] == [h.loss for h in b.history][-3:]


def test_a_timeseries_checkpoint_of_another_series_does_not_fit():
    from seqviz.checkpoint import CheckpointError
    from seqviz.timeseries.config import TimeSeriesConfig
    from seqviz.timeseries.export import fits, read_run, save_run
    from seqviz.timeseries.live import build_run

    cfg = TimeSeriesConfig(length=300, hidden_size=8)
    run = build_run(cfg)
    reopened = read_run(save_run(run.checkpoint_state(), cfg))

    class Live:
        values = None

    live = Live()
    live.cfg = cfg
    fits(live, reopened)
    live.cfg = TimeSeriesConfig(length=300, hidden_size=8, noise=0.4)  # same model, new data
    with pytest.raises(CheckpointError, match="another series"):
        fits(live, reopened)
    with pytest.raises(ValueError, match="series differs"):
        build_run(live.cfg).restore(reopened.state, reopened.step)


def test_bad_timeseries_checkpoints_get_a_clear_message():
    from seqviz.checkpoint import CheckpointError
    from seqviz.timeseries.config import TimeSeriesConfig
    from seqviz.timeseries.export import read_run, run_state, save_run
    from seqviz.timeseries.live import build_run

    run = build_run(TimeSeriesConfig(length=300, hidden_size=8))
    state = run_state(run.exp)
    state["spec"]["tau"] = 500
    with pytest.raises(CheckpointError, match="cannot be trained on this page"):
        read_run(save_run(state, run.exp.cfg))
    state = run_state(run.exp)
    del state["state_dict"]["rnn.out.bias"]
    with pytest.raises(CheckpointError, match="1 missing"):
        read_run(save_run(state, run.exp.cfg))
    with pytest.raises(CheckpointError, match="saved on the “Language model” page"):
        read_run(_lm_checkpoint())


def test_attention_checkpoint_round_trip_gives_identical_weights_and_next_steps():
    from seqviz.attention.experiment import S2SConfig
    from seqviz.attention.export import read_run, save_run
    from seqviz.attention.live import build_run

    cfg = S2SConfig(**ATT_SMALL, snapshot_every=2)
    run = build_run(cfg)
    run.step(4)
    run.view()
    reopened = read_run(save_run(run.checkpoint_state(), run.exp.cfg))
    assert reopened.step == 4 and reopened.cfg == cfg
    other = build_run(cfg)
    other.step(1)
    assert other.restore(reopened.state, reopened.step) == 4
    _same_weights(run.exp.model, other.exp.model)
    view = other.view()
    np.testing.assert_array_equal(view.loss, run.view().loss)
    assert list(view.timeline.steps) == [0, 2, 4]
    assert list(view.eval_steps)[-1] == 4
    run.step(3)
    other.step(3)
    assert [h.loss for h in other.exp.trainer.history][-3:] == \
        [h.loss for h in run.exp.trainer.history][-3:]


def test_a_bundled_attention_model_reads_and_another_task_does_not_fit():
    from seqviz.attention.checkpoint import pretrained_path
    from seqviz.attention.export import fits, read_run
    from seqviz.attention.live import task_data
    from seqviz.attention.experiment import S2SConfig, task_spec
    from seqviz.checkpoint import CheckpointError

    reopened = read_run(pretrained_path("reverse").read_bytes())
    assert reopened.cfg.task == "reverse" and reopened.cfg.pretrained == "none"
    assert reopened.step > 0

    class Live:
        pass

    live = Live()
    live.data = task_data(task_spec(reopened.cfg))
    fits(live, reopened)
    live.data = task_data(task_spec(S2SConfig(task="dates")))
    with pytest.raises(CheckpointError, match="another task"):
        fits(live, reopened)


def test_bad_attention_checkpoints_get_a_clear_message():
    import io

    from seqviz.attention.checkpoint import load_s2s_payload, pretrained_path
    from seqviz.attention.export import read_run
    from seqviz.checkpoint import CheckpointError

    payload = load_s2s_payload(pretrained_path("reverse").read_bytes())
    payload["config"]["hidden_size"] = 999
    buf = io.BytesIO()
    torch_save(payload, buf)
    with pytest.raises(CheckpointError, match="cannot be trained on this page"):
        read_run(buf.getvalue())
    with pytest.raises(CheckpointError, match="saved on the “Language model” page"):
        read_run(_lm_checkpoint())


def torch_save(obj, buf) -> None:
    import torch

    torch.save(obj, buf)


def test_the_largest_attention_model_still_fits_the_upload_limit():
    from seqviz.attention.experiment import S2SConfig
    from seqviz.attention.export import read_run, run_state
    from seqviz.attention.live import build_run
    from seqviz.limits import MAX_CHECKPOINT_BYTES

    cfg = S2SConfig(task="reverse", min_len=3, max_len=5, cell="lstm", num_layers=2,
                    hidden_size=256, embed_size=128, batch_size=2)
    run = build_run(cfg)
    run.step(1)
    raw = run_state(run.exp)["bytes"]
    assert len(raw) <= MAX_CHECKPOINT_BYTES
    reopened = read_run(raw)
    assert reopened.step == 1 and "optimizer" not in reopened.state["trainer"]
    assert run.restore(reopened.state, reopened.step) == 1  # a fresh Adam, the same model
