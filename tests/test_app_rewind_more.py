"""AppTest of the timeline on the pages whose past views are drawn in the worker (gradient
flow, clipping, sequence tasks, CTC, time series): after some steps, a past step redraws the
view as it was then (not as it is now), and the kept steps stay bounded."""

from __future__ import annotations

import numpy as np
import pytest

from seqviz.engine.rewind import MAX_KEPT
from seqviz.i18n import _, use_language
from tests.apptest_utils import figures, run_page, texts, trace_values


def _lines(fig: dict) -> list[np.ndarray]:
    return [np.asarray(trace_values(t, "y"), dtype=float) for t in fig["data"]
            if t.get("mode") == "lines"]


def _to_past(at, key: str, step: int) -> None:
    at.radio(key=f"{key}.tl.mode").set_value("past").run()
    assert not at.exception, [e.value for e in at.exception]
    sliders = [s.key for s in at.select_slider]
    assert f"{key}.tl.a.0" in sliders, (sliders, texts(at)[-800:])
    at.select_slider(key=f"{key}.tl.a.0").set_value(step).run()
    assert not at.exception, [e.value for e in at.exception]


def _opened(at, key: str):
    """The page's run, once its worker has built it (the machine may be busy)."""
    exp = at.session_state[f"{key}.exp"]
    exp.handle.wait(timeout=120)
    return exp


def _bounded(exp, more: int) -> None:
    """``more`` steps on: the run keeps at most MAX_KEPT steps, the first and the newest."""
    exp.step(more)
    kept = exp.kept_steps()
    assert kept[0] == 0 and kept[-1] == exp.steps and len(kept) <= MAX_KEPT


GF = "pages/3_Gradient_Flow.py"
GF_SMALL = {"seq_len": "10", "hidden_size": "8", "seed": "2"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_gradient_flow_norms_at_a_past_step(lang):
    with use_language(lang):
        at = run_page(GF, query=dict(GF_SMALL, lang=lang))
        exp = _opened(at, "gf")
        exp.step(3)  # Step asks for a capture of the step it stops on
        then = exp.view.capture
        assert then.step == 3
        exp.step(20)
        at.run()
        now = exp.view.capture.norms
        assert exp.kept_steps()[0] == 0 and 3 in exp.kept_steps()
        assert at.radio(key="gf.tl.mode").value == "live" and len(figures(at)) == 6
        _to_past(at, "gf", 3)
        figs = figures(at)
        assert len(figs) == 7  # the live charts and the past one
        past = figs[-1]
        assert "3" in past["layout"]["title"]["text"]
        curves = _lines(past)
        assert len(curves) == 3  # RNN, GRU, LSTM
        for got, cell in zip(curves, ("rnn", "gru", "lstm")):
            np.testing.assert_allclose(got, then.norms[cell][::-1], rtol=1e-9)  # as shown then
        assert not np.allclose(curves[0], now["rnn"][::-1])  # not as it is now
        assert ("as it was at step 3;" if lang == "en" else "在第 3 步时的样子") in texts(at)
        at.radio(key="gf.tl.mode").set_value("live").run()
        assert len(figures(at)) == 6
        _bounded(exp, 150)


CLIP = "pages/4_Clipping.py"
CLIP_SMALL = {"seq_len": "20", "hidden_size": "8", "seed": "0"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_clipping_runs_at_a_past_step(lang):
    from seqviz.gradients.clipping import RUNS
    from seqviz.gradients.live import ClipRun

    with use_language(lang):
        at = run_page(CLIP, query=dict(CLIP_SMALL, lang=lang))
        exp = _opened(at, "clip")
        exp.step(30)
        at.run()
        assert at.radio(key="clip.tl.mode").value == "live"
        live_figs = len(figures(at))
        _to_past(at, "clip", 5)
        ref = ClipRun(exp.cfg)  # the same experiment, stepped to 5 here
        ref.step(5)
        then = ref.past(5)[1]
        now = exp.analysis_at("past", exp.steps)[1]
        metrics = list(at.metric)
        note = _("Before clipping, on one held-out batch.")
        first = [i for i, m in enumerate(metrics) if m.help == note][0] - 1
        values = [m.value for m in metrics[first:first + 4]]
        assert values == [f"{then.loss[RUNS[0]]:.4g}", f"{then.grad_norm[RUNS[0]]:.4g}",
                          f"{then.loss[RUNS[1]]:.4g}", f"{then.grad_norm[RUNS[1]]:.4g}"]
        assert then.loss[RUNS[1]] != now.loss[RUNS[1]]  # not as it is now
        figs = figures(at)
        assert len(figs) == live_figs + 1
        past = [f for f in figs if "5" in f["layout"]["title"]["text"]
                and len(_lines(f)) == 2][0]
        np.testing.assert_allclose(_lines(past)[1], then.dh_norm[RUNS[1]][::-1], rtol=1e-6)
        assert ("as it was at step 5;" if lang == "en" else "在第 5 步时的样子") in texts(at)
        _bounded(exp, 100)


SEQ = "pages/8_Sequence_Tasks.py"


def _titles(at) -> list[str]:
    return [f["layout"].get("title", {}).get("text", "") for f in figures(at)]


def _bars(fig: dict) -> np.ndarray:
    return np.concatenate([np.asarray(trace_values(t, "y"), dtype=float)
                           for t in fig["data"] if t.get("type") == "bar"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sequence_task_probe_at_a_past_step(lang):
    with use_language(lang):
        at = run_page(SEQ, query={"lang": lang})
        exp = _opened(at, "seq")
        exp.step(3)  # Step waits for the analysed snapshot of its step
        then = exp.view
        assert then.analysed_step == 3
        exp.step(25)
        now = exp.view.probe
        at.run()
        title = _("Probe review at step {step}: contribution of each word (gradient × "
                  "input)").format(step=3)
        assert title not in _titles(at)
        _to_past(at, "seq", 3)
        past = [f for f in figures(at) if f["layout"].get("title", {}).get("text") == title]
        assert len(past) == 1
        got = _bars(past[0])
        np.testing.assert_allclose(got, then.probe.grad_x_input, rtol=1e-6, atol=1e-12)
        assert not np.allclose(got, now.grad_x_input)  # not as it is now
        assert f"{then.probe.p_positive:.2f}" in texts(at)
        _bounded(exp, 100)



def test_sequence_tagging_probe_at_a_past_step():
    from seqviz.seqtasks.figures import class_name

    at = run_page(SEQ, query={"task": "tagging"})
    exp = _opened(at, "seq")
    exp.step(3)
    then = exp.view
    assert then.analysed_step == 3 and then.probe.tags
    exp.step(40)
    at.run()
    _to_past(at, "seq", 3)
    line = [m.value for m in at.markdown if m.value.startswith("Probe sentence at step 3,")]
    assert len(line) == 1
    want = "  ".join(f"`{t}`→**{class_name(then.classes[g])}** ({c:.0%})" for t, g, c in zip(
        then.probe.tokens, then.probe.tags, then.probe.confidence))
    assert line[0].endswith(want)

CTC = "pages/10_CTC.py"


def _z(fig: dict) -> np.ndarray:
    heat = [t for t in fig["data"] if t.get("type") == "heatmap"][0]
    return np.asarray(trace_values(heat, "z"), dtype=float)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_ctc_posteriors_at_a_past_step(lang):
    from seqviz.ctc.figures import posterior_figure

    with use_language(lang):
        at = run_page(CTC, query={"hidden_size": "16", "batch_size": "8", "lang": lang})
        exp = _opened(at, "ctc")
        exp.step(3)
        then = exp.view.probe
        assert then.step == 3
        exp.step(20)
        now = exp.view.probe
        at.run()
        _to_past(at, "ctc", 3)
        past = [f for f in figures(at)
                if f["layout"]["title"]["text"].startswith(_(
                    "Per-frame output probabilities at step {step}: example {i}, label "
                    "“{label}”").split("{step}")[0] + "3")]
        assert len(past) == 1
        got = _z(past[0])
        np.testing.assert_allclose(got, _z(posterior_figure(then.log_probs, then.truth)
                                           .to_plotly_json()), rtol=1e-6)
        assert not np.allclose(got, _z(posterior_figure(now.log_probs, now.truth)
                                       .to_plotly_json()))  # not as it is now
        _bounded(exp, 80)


TS = "pages/9_Time_Series.py"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_time_series_predictions_at_a_past_step(lang):
    from seqviz.timeseries.live import build_run

    with use_language(lang):
        at = run_page(TS, query={"hidden_size": "16", "batch_size": "16", "length": "500",
                                 "lang": lang})
        exp = _opened(at, "ts")
        exp.step(30)
        at.run()
        _to_past(at, "ts", 4)
        title = _("One-step predictions at step {step}").format(step=4)
        past = [f for f in figures(at) if f["layout"].get("title", {}).get("text") == title]
        assert len(past) == 1
        ref = build_run(exp.cfg)  # the same experiment, stepped to 4 and evaluated here
        ref.step(4)
        then = ref.exp.evaluate_now() and ref.exp.predictions
        s = ref.exp.series
        got = _lines(past[0])[1:]  # the data, then the MLP's and the RNN's predictions
        for g, want in zip(got, then.one_step):
            np.testing.assert_allclose(g, want * s.std + s.mean, rtol=1e-5)
        latest = exp.analysis_at("predictions_at", exp.steps)[1]
        assert not np.allclose(got[1], latest[1] * s.std + s.mean)  # not as it is now
        _bounded(exp, 100)
