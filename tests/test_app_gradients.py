"""AppTest for the gradient-flow page."""

from tests.apptest_utils import figures, run_page, texts

PAGE = "pages/3_Gradient_Flow.py"
SMALL = {"seq_len": "10", "hidden_size": "8", "seed": "2"}


def _lab(at):
    return at.session_state["gf.exp"]


def test_page_runs_with_histograms_and_every_chart():
    at = run_page(PAGE, query=SMALL)
    figs = figures(at)
    assert len(figs) == 6
    heat = figs[0]["data"][0]
    assert heat["type"] == "heatmap"
    assert "bins over ±" in figs[0]["layout"]["title"]["text"]  # the scale is printed
    assert "dW_hh" in figs[1]["layout"]["title"]["text"]
    for fig in figs:
        assert fig["layout"]["xaxis"]["title"]["text"] and fig["layout"]["yaxis"]["title"]["text"]
    assert len([t for t in figs[2]["data"] if t.get("mode") == "lines"]) == 3  # RNN, GRU, LSTM
    assert "Per-timestep gradients of the RNN" in texts(at)
    assert _lab(at).runs.steps == 0


def test_play_tick_trains_all_three_and_step_button():
    at = run_page(PAGE, query=SMALL)
    at.button(key="gf.play").click().run()
    assert not at.exception and at.session_state["gf.playing"]
    lab = _lab(at)
    assert lab.runs.steps > 0
    assert len({t.steps for t in lab.runs.trainers.values()}) == 1  # in lockstep
    at.button(key="gf.play").click().run()  # pause
    steps = lab.runs.steps
    at.button(key="gf.step").click().run()
    assert lab.runs.steps == steps + 1 and not at.session_state["gf.playing"]


def test_live_controls_keep_progress_and_rebuild_controls_restart():
    at = run_page(PAGE, query=SMALL)
    at.button(key="gf.step").click().run()
    lab = _lab(at)
    at.radio(key="gf.w.cell").set_value("lstm").run()
    at.select_slider(key="gf.w.lr").set_value(0.01).run()
    at.radio(key="gf.w.scale").set_value("log").run()
    assert not at.exception and _lab(at) is lab and lab.runs.steps == 1
    assert all(t.lr == 0.01 for t in lab.runs.trainers.values())
    assert "Per-timestep gradients of the LSTM" in texts(at)
    assert "log10|g|" in figures(at)[0]["layout"]["title"]["text"]
    at.select_slider(key="gf.w.radius").set_value(0.5).run()
    assert not at.exception and _lab(at) is not lab and _lab(at).runs.steps == 0
    assert at.query_params["radius"] in (["0.5"], "0.5")


def test_exploding_extremes_mark_divergence_and_reset_works():
    at = run_page(PAGE, query={"activation": "relu", "radius": "2.0", "seq_len": "200",
                               "hidden_size": "8", "seed": "0"})
    for _ in range(2):
        at.button(key="gf.step").click().run()
    assert not at.exception
    lab = _lab(at)
    assert lab.runs.trainers["rnn"].divergences  # the relu RNN blew up ...
    assert "Exploding" in texts(at) and "diverged" in texts(at)
    assert len(figures(at)) == 6  # ... and the page still draws everything
    at.button(key="gf.reset").click().run()
    assert not at.exception and _lab(at) is not lab and _lab(at).runs.steps == 0


def test_bad_url_parameters_fall_back_with_a_notice():
    at = run_page(PAGE, query={**SMALL, "radius": "9", "cell": "transformer"})
    warnings = " ".join(w.value for w in at.warning)
    assert "radius" in warnings and "cell" in warnings
    assert _lab(at).cfg.radius == 1.0 and _lab(at).cfg.cell == "rnn"
