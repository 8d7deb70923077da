"""AppTest for the time-series page: six charts, Play / Pause, Step, Reset, a live learning
rate, a CSV column as the series, links with good and bad values, English and Chinese."""

from __future__ import annotations

import numpy as np

from seqviz.i18n import use_language
from tests.apptest_utils import figures, run_page, run_until, texts, trace_len, trace_values

PAGE = "pages/9_Time_Series.py"
SMALL = {"hidden_size": "16", "batch_size": "16", "length": "500"}


def _shown_step(at) -> int:
    return int(at.metric[0].value.replace(",", "")) if at.metric else -1


def _charts(at) -> bool:
    return len(figures(at)) == 6


def test_page_draws_six_charts_with_titles():
    at = run_until(run_page(PAGE, query=SMALL), _charts, what="the first charts")
    assert _shown_step(at) == 0
    figs = figures(at)
    for fig in figs:
        assert fig["layout"]["title"]["text"]
        assert fig["layout"]["xaxis"]["title"]["text"]
        assert fig["layout"]["yaxis"]["title"]["text"]
    signal, k_mlp, k_rnn, horizon, tau, loss = figs
    assert trace_len(signal["data"][0]) == 500 and len(signal["data"]) == 3
    assert [t["name"] for t in k_mlp["data"]][1:] == ["1-step", "4-step", "16-step", "64-step"]
    assert "GRU" in k_rnn["layout"]["title"]["text"]
    assert trace_len(horizon["data"][0]) == 64
    assert trace_len(tau["data"][0]) == 12
    assert "MLP, τ = 16" in texts(at) or any("MLP" in t["name"] for t in loss["data"])


def test_step_then_reset():
    at = run_page(PAGE, query=SMALL)
    at.button(key="ts.step").click().run()
    assert not at.exception
    assert at.session_state["ts.exp"].steps == 1 and _shown_step(at) == 1
    at.button(key="ts.reset").click().run()
    assert not at.exception
    run_until(at, lambda a: _shown_step(a) == 0, what="the reset run's first snapshot")


def test_play_trains_and_pause_stops():
    at = run_page(PAGE, query=SMALL)
    at.button(key="ts.play").click().run()
    assert not at.exception and at.session_state["ts.playing"]
    run_until(at, lambda a: _shown_step(a) >= 30, what="thirty training steps after Play")
    at.button(key="ts.play").click().run()  # now labelled Pause
    assert not at.session_state["ts.playing"]
    exp = at.session_state["ts.exp"]
    exp.handle.wait(lambda s: not s.playing, timeout=30)
    run_until(at, lambda a: trace_len(figures(a)[5]["data"][0]) >= 30, what="the loss curve")


def test_the_evaluations_charts_are_built_once_per_evaluation():
    """Five of the six charts come from the latest evaluation (at steps 1, 10, 25, ...): a
    snapshot between two evaluations redraws the loss only, and the next evaluation redraws
    them all."""
    at = run_page(PAGE, query=SMALL)
    exp = at.session_state["ts.exp"]
    at.button(key="ts.step").click().run()
    run_until(at, lambda a: _shown_step(a) == 1, what="step 1")
    held = at.session_state["memo.ts.evaluation"][1]
    signal = trace_values(figures(at)[0]["data"][1])
    at.button(key="ts.step").click().run()
    run_until(at, lambda a: _shown_step(a) == 2, what="step 2")
    assert at.session_state["memo.ts.evaluation"][1] is held  # not built again
    assert trace_len(figures(at)[5]["data"][0]) == 2  # the loss moved on
    exp.step(8)  # to step 10: an evaluation
    run_until(at, lambda a: _shown_step(a) == 10, what="step 10")
    assert at.session_state["memo.ts.evaluation"][1] is not held
    assert not np.allclose(trace_values(figures(at)[0]["data"][1]), signal)


def test_learning_rate_applies_live_and_tau_rebuilds():
    at = run_page(PAGE, query=SMALL)
    at.button(key="ts.step").click().run()
    exp = at.session_state["ts.exp"]
    at.select_slider(key="ts.w.lr").set_value(0.003).run()
    assert not at.exception and at.session_state["ts.exp"] is exp and exp.steps == 1
    at.select_slider(key="ts.w.tau").set_value(32).run()
    assert not at.exception and at.session_state["ts.exp"] is not exp
    run_until(at, lambda a: _charts(a) and "32" in figures(a)[1]["layout"]["title"]["text"],
              what="the rebuilt MLP with tau 32")
    q = at.query_params["tau"]
    assert q == ["32"] or q == "32"


def test_an_uploaded_csv_column_is_the_series():
    rows = "\n".join(f"d{i},{np.sin(i / 4):.4f},{i % 9}" for i in range(400))
    text = "day,wave,count\n" + rows
    at = run_page(PAGE, query={**SMALL, "signal": "upload", "column": "count"},
                  session={"ts.upload_text": text})
    at = run_until(at, _charts, what="charts of the uploaded series")
    cfg = at.session_state["ts.config"]
    assert cfg.signal == "upload" and cfg.column == "count" and len(cfg.upload) == 16
    np.testing.assert_allclose(trace_values(figures(at)[0]["data"][0]),
                               [i % 9 for i in range(400)], atol=1e-9)
    at.selectbox(key="ts.w.column").set_value("wave").run()
    assert not at.exception and at.session_state["ts.config"].column == "wave"


def test_upload_without_a_file_and_a_lost_upload_link_keep_training_the_signal():
    at = run_page(PAGE, query={**SMALL, "signal": "upload"})
    assert "Choose a .csv file" in texts(at)
    assert at.session_state["ts.config"].signal == "sines"
    at = run_page(PAGE, query={"signal": "upload", "upload": "0123456789abcdef",
                               "column": "x"})
    assert any("no longer has" in w.value for w in at.warning)
    assert at.session_state["ts.config"].signal == "sines"


def test_link_opens_the_same_config_and_bad_values_fall_back():
    from seqviz.config import to_query
    from seqviz.timeseries.config import TimeSeriesConfig

    query = {**SMALL, "signal": "walk", "tau": "7", "cell": "lstm", "seed": "5"}
    at = run_page(PAGE, query=query)
    cfg = at.session_state["ts.config"]
    assert (cfg.signal, cfg.tau, cfg.cell, cfg.seed, cfg.hidden_size) == ("walk", 7, "lstm", 5,
                                                                          16)
    written = {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert {k: v for k, v in written.items() if k in to_query(cfg)} == to_query(cfg)
    at = run_page(PAGE, query={"tau": "500", "noise": "loud"})
    assert at.session_state["ts.config"] == TimeSeriesConfig()
    assert sum("Ignored URL parameter" in w.value for w in at.warning) == 2


def test_page_in_chinese():
    with use_language("zh"):
        at = run_until(run_page(PAGE, query={**SMALL, "lang": "zh"}), _charts,
                       what="the charts in Chinese")
        titles = [f["layout"]["title"]["text"] for f in figures(at)]
    assert "时间序列" in at.title[0].value
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in titles), titles
