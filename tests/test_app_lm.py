"""AppTest for the home page and the language-model page."""

import pytest

from tests.apptest_utils import (chart_places, figures, run_page, run_until, texts,
                                 trace_len)

PAGE = "pages/1_Language_Model.py"
SMALL = {"corpus": "grammar", "level": "word", "hidden_size": "32", "embed_size": "16",
         "seq_len": "16", "batch_size": "8"}


def _steps(at):
    return at.session_state["lm.exp"].steps


def test_home_page_links_every_existing_page():
    at = run_page("app.py")
    labels = [el.proto.label for el in at.get("page_link")]
    assert any("Language model" in label for label in labels)
    # the follower's page too: a student told "follow the lecturer" finds it on the home page
    assert any("Follow the lecturer" in label for label in labels)
    assert any("Quick start" in h.value for h in at.header)


def _shown_step(at) -> int:
    return int(at.metric[0].value.replace(",", "")) if at.metric else -1


def test_page_runs_with_charts_and_sample():
    at = run_page(PAGE, query=SMALL)
    run_until(at, lambda a: len(figures(a)) == 3, what="the first charts")  # a busy machine
    assert _steps(at) == 0 and _shown_step(at) == 0
    figs = figures(at)
    assert len(figs) == 3
    for fig in figs:
        assert fig["layout"]["xaxis"]["title"]["text"]
        assert fig["layout"]["yaxis"]["title"]["text"]
    ppl = figs[1]
    assert trace_len(ppl["data"][0]) == 1  # the step-0 validation point
    assert any("gram" in t.get("name", "") for t in ppl["data"])
    assert "Sample at step 0" in texts(at)


def test_step_button_advances_one_step():
    at = run_page(PAGE, query=SMALL)
    at.button(key="lm.step").click().run()
    assert not at.exception
    assert _steps(at) == 1
    assert at.metric[0].value == "1"


def test_play_trains_and_pause_stops():
    at = run_page(PAGE, query=SMALL)
    at.button(key="lm.play").click().run()
    assert not at.exception
    run_until(at, lambda a: _shown_step(a) > 0, what="a training step after Play")
    assert at.session_state["lm.playing"]
    shown = _shown_step(at)
    loss = figures(at)[0]
    assert trace_len(loss["data"][0]) == shown > 0  # the chart is the snapshot the metric shows
    at.button(key="lm.play").click().run()  # now labelled Pause
    assert not at.session_state["lm.playing"]
    exp = at.session_state["lm.exp"]
    paused_at = exp.handle.wait(lambda s: not s.playing, timeout=30).step
    assert exp.handle.wait_acked(exp.handle.apply_live(exp.cfg), timeout=30).step == paused_at


def test_a_run_paused_for_a_silent_page_plays_on_when_the_page_polls_again():
    """The watchdog pauses a run whose page stopped polling; a page that was only slow (a
    crowded server) polls again and its run plays on: its user never pressed Pause."""
    at = run_page(PAGE, query=SMALL)
    at.button(key="lm.play").click().run()
    exp = at.session_state["lm.exp"]
    exp.handle.wait(lambda s: s.playing, timeout=30)
    exp.handle.last_poll -= 100  # no poll for 100 s: the watchdog pauses it
    assert exp.handle.pause_if_idle(30.0) and exp.handle.idle_paused
    exp.handle.wait(lambda s: not s.playing, timeout=30)
    at.run()
    assert at.session_state["lm.playing"] and not exp.handle.idle_paused
    exp.handle.wait(lambda s: s.playing, timeout=30)
    assert at.button(key="lm.play").label.endswith("Pause")
    at.button(key="lm.play").click().run()  # a real Pause still pauses
    assert not at.session_state["lm.playing"]


def test_learning_rate_change_applies_live_without_reset():
    at = run_page(PAGE, query=SMALL)
    at.button(key="lm.step").click().run()
    at.button(key="lm.step").click().run()
    exp = at.session_state["lm.exp"]
    at.select_slider(key="lm.w.lr").set_value(0.01).run()
    assert not at.exception
    assert at.session_state["lm.exp"] is exp and _steps(at) == 2
    assert exp.cfg.lr == 0.01
    at.button(key="lm.step").click().run()
    assert exp.view.cfg.lr == 0.01 and _steps(at) == 3  # the worker's run took it, same run
    assert at.query_params["lr"] == ["0.01"] or at.query_params["lr"] == "0.01"


def test_hidden_size_change_rebuilds():
    at = run_page(PAGE, query=SMALL)
    at.button(key="lm.step").click().run()
    at.select_slider(key="lm.w.hidden_size").set_value(64).run()
    assert not at.exception
    exp = at.session_state["lm.exp"]
    assert _steps(at) == 0 and exp.model().spec.hidden_size == 64


def test_bad_url_parameter_shows_notice_and_runs():
    at = run_page(PAGE, query={**SMALL, "lr": "banana", "cell": "transformer"})
    warnings = " ".join(w.value for w in at.warning)
    assert "lr" in warnings and "cell" in warnings
    assert at.session_state["lm.exp"].cfg.cell == "lstm"


@pytest.mark.parametrize("payload,message", [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00" * 50, "binary"),
    ("短".encode(), "short"),
])
def test_bad_uploads_keep_the_session_working(payload, message):
    at = run_page(PAGE, query=SMALL)
    at.button(key="lm.step").click().run()
    exp = at.session_state["lm.exp"]
    at.selectbox(key="lm.w.corpus").set_value("upload").run()
    at.file_uploader(key="lm.upload").set_value(("mine.txt", payload, "text/plain")).run()
    assert not at.exception
    assert message in texts(at).lower()
    assert at.session_state["lm.exp"] is exp and _steps(at) == 1  # the run is not lost
    if message != "short":  # a file refused as it is read: the page trains on meanwhile on
        # the corpus before, named as the corpus menu names it (not its id)
        assert "keeps training on **Toy grammar (English)**" in texts(at)


def test_chinese_upload_trains_at_character_level():
    text = "床前明月光，疑是地上霜。举头望明月，低头思故乡。" * 30
    at = run_page(PAGE, query=SMALL)
    at.selectbox(key="lm.w.corpus").set_value("upload").run()
    at.file_uploader(key="lm.upload").set_value(("poem.txt", text.encode(), "text/plain")).run()
    at.radio(key="lm.w.level").set_value("char").run()
    assert not at.exception
    exp = at.session_state["lm.exp"]
    assert exp.cfg.corpus == "upload" and "月" in exp.data.vocab
    at.button(key="lm.step").click().run()
    assert _steps(at) == 1


def test_divergence_is_shown_paused_and_recoverable():
    # H 128, T 64, lr 10 without clipping: the loss passes 10x the uniform guess at step 4 (seed
    # 0), so the test does not depend on how many steps a loaded machine fits into a tick
    at = run_page(PAGE, query={**SMALL, "cell": "rnn", "optimizer": "sgd", "lr": "10.0",
                               "clip": "none", "corpus": "prose", "level": "char",
                               "hidden_size": "128", "seq_len": "64"})
    at.button(key="lm.play").click().run()
    run_until(at, lambda a: not a.session_state["lm.playing"], what="the divergence pause")
    assert "Training diverged" in " ".join(e.value for e in at.error)
    exp = at.session_state["lm.exp"]
    assert all(bool(p.isfinite().all()) for p in exp.model().parameters())
    at.select_slider(key="lm.w.lr").set_value(0.01).run()  # the remedy: lower lr, keep going
    at.button(key="lm.step").click().run()
    view = exp.view
    assert view.steps[-1] == _steps(at)  # the last step was a real, finite update


def test_live_curves_refreshed_equal_a_fresh_build():
    """The panel refreshes its built figures with each snapshot's arrays; whatever the sequence
    of snapshots (growing history, a divergence, a new clip threshold), what it draws equals
    building the three figures from scratch."""
    from types import SimpleNamespace

    import numpy as np

    from seqviz.lm.config import LMConfig
    from seqviz.lm.experiment import Baseline
    from seqviz.lm.live import LMView
    from seqviz.ui.lm import panel

    exp = SimpleNamespace(baselines=[Baseline(3, 9.5), Baseline(5, 7.25)])
    rng = np.random.default_rng(0)

    def view(n: int, cfg: LMConfig, diverged: tuple[int, ...] = ()) -> LMView:
        steps = np.arange(1, n + 1)
        evals = steps[::25]
        return LMView(cfg=cfg, steps=steps, loss=rng.uniform(1, 4, n),
                      grad_norm=rng.uniform(0.1, 9, n), grad_norm_clipped=rng.uniform(0.1, 1, n),
                      diverged_steps=diverged, eval_steps=evals,
                      eval_values=rng.uniform(3, 30, len(evals)), divergence=None, sample=None,
                      level="char")

    cache: dict = {}
    clipped = LMConfig(clip="norm", clip_threshold=2.0)
    sequence = [view(1, LMConfig()), view(40, LMConfig()), view(90, LMConfig(), (50,)),
                view(120, LMConfig(), (50,)), view(130, clipped, (50,)), view(2000, clipped, (50,))]
    refreshed = 0
    for v in sequence:
        had = {k: c.get("extras") for k, c in cache.items()}
        drawn = {k: f.to_dict() for k, f in panel._figures(exp, v, cache).items()}
        built = {k: f.to_dict() for k, f in panel._figures(exp, v, {}).items()}
        assert drawn == built and set(cache) == {"loss", "ppl", "grad"}
        kept = [had.get(k) == c["extras"] for k, c in cache.items()]
        assert len(set(kept)) == 1  # the three figures are rebuilt together
        refreshed += kept[0]
    assert refreshed == 3  # the others rebuilt: first draw, a divergence, a new threshold


def test_a_prepared_figure_is_drawn_as_its_spec_without_building_a_figure(monkeypatch):
    """The chart serialises a PreparedFigure as the dict it holds; making one builds no
    go.Figure (an empty one deep-copies plotly's template: more than a refresh costs)."""
    import json

    import plotly.graph_objects as go
    import plotly.io as pio

    from seqviz.ui.chart import figure_json
    from seqviz.ui.live import PreparedFigure

    spec = go.Figure(go.Scatter(x=[1, 2], y=[3, 4])).to_dict()
    built = []
    monkeypatch.setattr(go.Figure, "__init__", lambda *a, **k: built.append(1))
    expected = json.loads(pio.to_json(spec, validate=False))
    fig = PreparedFigure(spec)
    assert json.loads(figure_json(fig)) == expected
    assert not built


def test_a_play_beyond_the_servers_cap_waits_and_says_how_many_are_ahead():
    """With the server full, Play queues: the page shows Pause, says its place (in English and
    Chinese), trains nothing, and starts by itself when the session ahead pauses."""
    from seqviz.engine.pool import shared_engine
    from seqviz.i18n import use_language

    first = run_page(PAGE, query=SMALL)
    second = run_page(PAGE, query=SMALL, clear_caches=False)
    with use_language("zh"):
        third = run_page(PAGE, query={**SMALL, "lang": "zh"}, clear_caches=False)
    engine = shared_engine()
    before = engine.max_playing
    engine.max_playing = engine.playing() + 1  # room for one more run: the first one's
    try:
        first.button(key="lm.play").click().run()
        second.button(key="lm.play").click().run()
        with use_language("zh"):
            third.button(key="lm.play").click().run()
        run_until(first, lambda a: _shown_step(a) > 0, what="the first session training")
        assert second.session_state["lm.playing"] and third.session_state["lm.playing"]
        run_until(second, lambda a: any("Yours is next" in i.value for i in a.info),
                  what="the queue notice")
        with use_language("zh"):
            run_until(third, lambda a: any("前面还有 1 个会话" in i.value for i in a.info),
                      what="the Chinese queue notice")
        assert second.session_state["lm.exp"].steps == 0  # waiting, not training slowly
        first.button(key="lm.play").click().run()  # the first pauses: the second's turn
        run_until(second, lambda a: _shown_step(a) > 0, what="the queued session starting")
        assert not any("Yours" in i.value for i in second.info)
        second.button(key="lm.play").click().run()
        with use_language("zh"):
            run_until(third, lambda a: _shown_step(a) > 0, what="the third session starting")
            third.button(key="lm.play").click().run()
    finally:
        engine.max_playing = before


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_feed_forward_lm_trains_beside_its_n_gram(lang):
    """cell=ff: the window slider shows, Layers does not, a Step trains, and the perplexity
    chart highlights the n-gram of the same order (n = window + 1)."""
    at = run_page(PAGE, query={**SMALL, "cell": "ff", "window": "2", "lang": lang})
    run_until(at, lambda a: len(figures(a)) == 3, what="the first charts")
    assert not at.exception
    assert at.session_state["lm.exp"].cfg.window == 2
    assert at.select_slider(key="lm.w.window").value == 2
    assert not [w for w in at.number_input if w.key == "lm.w.num_layers"]
    at.button(key="lm.step").click().run()
    assert not at.exception and _steps(at) == 1
    ppl = figures(at)[1]
    same = [t for t in ppl["data"] if t.get("line", {}).get("dash") == "dashdot"]
    assert len(same) == 1 and same[0]["name"].startswith("3-gram" if lang == "en" else "3")
    assert "n = 3" in ppl["data"][0]["name"]
    caption = " ".join(c.value for c in at.caption)
    assert ("Bengio" in caption) and ("n−1 = 2" in caption)
    at.select_slider(key="lm.w.window").set_value(5).run()  # rebuilds with the 6-gram drawn
    run_until(at, lambda a: a.session_state["lm.exp"].cfg.window == 5, what="the rebuild")
    run_until(at, lambda a: len(figures(a)) == 3 and any(
        t.get("line", {}).get("dash") == "dashdot" and "6" in t["name"]
        for t in figures(a)[1]["data"]),
              what="the 6-gram highlighted")
    assert not at.exception


def test_pause_shows_a_sample_of_the_paused_model():
    """While playing, samples are taken at most every few seconds; after Pause the sample under
    the charts is of the step the run stopped at (and Step's likewise), in one click."""
    import time

    from seqviz.lm.config import LMConfig
    from tests.live_helpers import live_lm

    live = live_lm(LMConfig(corpus="grammar", level="word", hidden_size=32, embed_size=16,
                            seq_len=16, batch_size=8))
    try:
        live.play()
        live.handle.wait(lambda s: s.step >= 40 and s.payload is not None
                         and s.payload.sample is not None, timeout=60)
        start = time.perf_counter()
        snap = live.pause()
        took = time.perf_counter() - start
        assert not snap.playing and snap.step >= 40
        assert snap.payload.sample.step == snap.step, (snap.payload.sample.step, snap.step)
        assert took < 5.0  # the sample's wait (STEP_SAMPLE_WAIT) did not run out
        assert live.snapshot().step == snap.step  # nothing trained after the pause
        snap = live.step(3)
        assert snap.payload.sample.step == snap.step
    finally:
        live.handle.close()


@pytest.mark.parametrize("lang,label", [("en", "Architecture"), ("zh", "网络结构")])
def test_a_rebuild_toast_names_the_setting_as_the_page_does(lang, label):
    """Not the config field's code name ("cell 已改变" on a Chinese page)."""
    from seqviz.i18n import use_language

    with use_language(lang):
        at = run_page(PAGE, query={**SMALL, "lang": lang})
        at.radio(key="lm.w.cell").set_value("gru").run()
    said = " ".join(t.value for t in at.toast)
    assert label in said and "cell" not in said, said


def test_a_slow_step_says_it_is_training_and_the_page_shows_it_when_done(monkeypatch):
    """A large model's step takes seconds (13 s at sequence length 256, batch 128, H 512, three
    layers): while the worker is on it (``stepping``, tested in test_engine) the page says so
    and keeps looking; once it answers, the page shows the step and the note goes."""
    import seqviz.engine.live as live

    at = run_page(PAGE, query=SMALL)
    run_until(at, lambda a: len(figures(a)) >= 3, what="the first charts")
    places = chart_places(at)
    monkeypatch.setattr(live.LiveExperiment, "stepping", lambda self: True)
    at.button(key="lm.step").click().run()
    assert any("Training one step" in i.value for i in at.info)
    assert chart_places(at) == places  # the note does not move the charts (no blank redraw)
    monkeypatch.undo()
    exp = at.session_state["lm.exp"]
    exp.handle.wait(lambda s: s.step == 1, timeout=60)
    at.run()
    assert not any("Training one step" in i.value for i in at.info)
    assert at.metric[0].value == "1" and not exp.stepping()


def test_a_lecture_step_opened_in_the_same_session_rebuilds_the_model():
    """A step link (or a home preset) opened where an LSTM had trained: the address and the
    sidebar said RNN, the charts and the step counter were the LSTM's, and Play went on
    training it (browser walk, 2026-12-06)."""
    at = run_page(PAGE, query=SMALL)
    at.button(key="lm.step").click().run()
    at.button(key="lm.step").click().run()
    old = at.session_state["lm.exp"]
    assert old.steps == 2 and old.cfg.cell != "rnn"
    at.query_params["cell"] = "rnn"
    at.query_params["link"] = "1"  # the app's own link (seqviz.ui.setup.LINK)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    exp = at.session_state["lm.exp"]
    assert exp is not old and exp.cfg.cell == "rnn" and exp.steps == 0
    assert at.session_state["lm.w.cell"] == "rnn"
    at.run()  # and only once: the next rerun keeps it
    assert at.session_state["lm.exp"] is exp
    # a playing page's tick sent before the link came carries the old sidebar's values: the
    # link's settings hold against it (else the page went back to the LSTM at step 0)
    at.session_state["lm.w.cell"] = old.cfg.cell
    at.run()
    assert at.session_state["lm.exp"] is exp and at.session_state["lm.w.cell"] == "rnn"
