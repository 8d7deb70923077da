"""AppTest for the gradient-flow page (its three runs train in an engine worker)."""

from tests.apptest_utils import figures, run_page, run_until, texts

PAGE = "pages/3_Gradient_Flow.py"
SMALL = {"seq_len": "10", "hidden_size": "8", "seed": "2"}


def _title(fig: dict) -> str:
    """A figure's title with its subtitle (the notes under it)."""
    title = fig["layout"]["title"]
    return title["text"] + "\n" + title.get("subtitle", {}).get("text", "")


def _exp(at):
    return at.session_state["gf.exp"]


def _view(at):
    return _exp(at).view


def test_page_runs_with_histograms_and_every_chart():
    at = run_page(PAGE, query=SMALL)
    run_until(at, lambda a: len(figures(a)) == 6, what="the first snapshot's charts")
    figs = figures(at)
    heat = figs[0]["data"][0]
    assert heat["type"] == "heatmap"
    assert "bins over ±" in _title(figs[0])  # the scale is printed
    assert "dW_hh" in figs[1]["layout"]["title"]["text"]
    for fig in figs:
        assert fig["layout"]["xaxis"]["title"]["text"] and fig["layout"]["yaxis"]["title"]["text"]
    assert len([t for t in figs[2]["data"] if t.get("mode") == "lines"]) == 3  # RNN, GRU, LSTM
    assert "Per-timestep gradients of the RNN" in texts(at)
    assert _exp(at).steps == 0 and at.metric[0].value == "0"


def test_play_trains_all_three_pause_stops_and_step_button():
    at = run_page(PAGE, query=SMALL)
    at.button(key="gf.play").click().run()
    assert not at.exception and at.session_state["gf.playing"]
    run_until(at, lambda a: _exp(a).steps > 0 and int(a.metric[0].value.replace(",", "")) > 0,
              what="a training step after Play")
    assert len(set(_view(at).cell_steps)) == 1  # in lockstep
    assert len(figures(at)) == 6  # nothing goes blank while playing
    at.button(key="gf.play").click().run()  # now labelled Pause
    assert not at.session_state["gf.playing"]
    exp = _exp(at)
    paused = exp.handle.wait(lambda s: not s.playing, timeout=30)
    shown = int(at.metric[0].value.replace(",", ""))  # the rerun after the click draws the
    assert shown == paused.step and f"at step {shown:,}" in texts(at)  # step it stopped on
    again = exp.handle.wait_acked(exp.handle.apply_live(exp.cfg), timeout=30)
    assert again.step == paused.step  # nothing moved after the pause
    at.button(key="gf.step").click().run()
    assert _exp(at).steps == paused.step + 1 and not at.session_state["gf.playing"]
    assert f"at step {paused.step + 1:,}" in texts(at)  # Step draws the gradients of its step


def test_live_controls_keep_progress_and_rebuild_controls_restart():
    at = run_page(PAGE, query=SMALL)
    at.button(key="gf.step").click().run()
    exp = _exp(at)
    at.radio(key="gf.w.cell").set_value("lstm").run()
    at.select_slider(key="gf.w.lr").set_value(0.01).run()
    at.radio(key="gf.w.scale").set_value("log").run()
    assert not at.exception and _exp(at) is exp
    view = exp.handle.wait_acked(exp.handle.apply_live(exp.cfg), timeout=30).payload
    assert exp.steps == 1 and view.lrs == (0.01, 0.01, 0.01)  # the worker's trainers took it
    at.run()  # draws the snapshot that answered
    assert "Per-timestep gradients of the LSTM" in texts(at)
    assert "log10|g|" in _title(figures(at)[0])
    at.select_slider(key="gf.w.radius").set_value(0.5).run()
    assert not at.exception and _exp(at) is not exp and _exp(at).steps == 0
    assert _view(at).cfg.radius == 0.5
    assert at.query_params["radius"] in (["0.5"], "0.5")


def test_exploding_extremes_mark_divergence_and_reset_works():
    at = run_page(PAGE, query={"activation": "relu", "radius": "2.0", "seq_len": "200",
                               "hidden_size": "8", "seed": "0"})
    for _ in range(2):
        at.button(key="gf.step").click().run()
    assert not at.exception
    exp = _exp(at)
    assert exp.view.diverged["rnn"].count == 2  # the relu RNN blew up ...
    assert "Exploding" in texts(at) and "diverged" in texts(at)
    assert len(figures(at)) == 6  # ... and the page still draws everything
    at.button(key="gf.reset").click().run()
    assert not at.exception and _exp(at) is not exp and _exp(at).steps == 0


def test_all_three_diverging_pauses_the_page():
    at = run_page(PAGE, query={"task": "adding", "optimizer": "sgd", "lr": "10.0",
                               "radius": "2.0", "hidden_size": "8"})
    at.button(key="gf.play").click().run()
    run_until(at, lambda a: not a.session_state["gf.playing"], what="the divergence pause")
    assert "all three runs diverged" in texts(at) and _exp(at).steps == 3
    assert at.button(key="gf.play").label == "▶ Play"


def test_bad_url_parameters_fall_back_with_a_notice():
    at = run_page(PAGE, query={**SMALL, "radius": "9", "cell": "transformer"})
    warnings = " ".join(w.value for w in at.warning)
    assert "radius" in warnings and "cell" in warnings
    assert _exp(at).cfg.radius == 1.0 and _exp(at).cfg.cell == "rnn"
