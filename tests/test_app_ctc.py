"""AppTest for the CTC page: charts, Play / Pause, Step, Reset, a live beam-width change, the
collapse rule with good and bad paths, and the config's URL round trip."""

from __future__ import annotations

from tests.apptest_utils import figures, run_page, run_until, texts, trace_len

PAGE = "pages/10_CTC.py"
SMALL = {"hidden_size": "16", "batch_size": "8"}


def _shown_step(at) -> int:
    return int(at.metric[0].value.replace(",", "")) if at.metric else -1


def _charts(at) -> bool:
    return len(figures(at)) == 4


def test_page_draws_its_four_charts_with_titles():
    at = run_page(PAGE, query=SMALL)
    run_until(at, _charts, what="the first charts")
    assert _shown_step(at) == 0
    post, trellis, ler, loss = figures(at)
    for fig in (post, trellis, ler, loss):
        assert fig["layout"]["title"]["text"]
        assert fig["layout"]["xaxis"]["title"]["text"]
        assert fig["layout"]["yaxis"]["title"]["text"]
    assert post["data"][0]["type"] == "heatmap"
    assert trellis["data"][0]["type"] == "heatmap" and len(trellis["data"]) == 4  # 3 paths
    assert trace_len(ler["data"][0]) == 1  # the step-0 evaluation
    assert "Prefix beam search" in texts(at) and "alignments collapse to it" in texts(at)
    # the beams are a markdown table: no st.dataframe, whose Arrow and grid code (~1.5 MB)
    # would load beside Plotly's on a first visit and delay the first chart
    beams = at.session_state["ctc.exp"].snapshot().payload.probe.beams
    assert len(at.dataframe) == 0 and len(beams) >= 1
    assert ("| rank | label | beam's score | p(label \\| frames) | correct |" in texts(at)
            and "a wider beam closes the gap" in texts(at))


def test_step_then_reset():
    at = run_page(PAGE, query=SMALL)
    at.button(key="ctc.step").click().run()
    assert not at.exception
    assert at.session_state["ctc.exp"].steps == 1 and _shown_step(at) == 1
    at.button(key="ctc.reset").click().run()
    assert not at.exception
    run_until(at, lambda a: _shown_step(a) == 0, what="the reset run's first snapshot")
    assert at.session_state["ctc.exp"].steps == 0


def test_play_trains_and_pause_stops():
    at = run_page(PAGE, query=SMALL)
    at.button(key="ctc.play").click().run()
    assert not at.exception and at.session_state["ctc.playing"]
    run_until(at, lambda a: _shown_step(a) >= 10, what="ten training steps after Play")
    at.button(key="ctc.play").click().run()  # now labelled Pause
    assert not at.session_state["ctc.playing"]
    exp = at.session_state["ctc.exp"]
    paused_at = exp.handle.wait(lambda s: not s.playing, timeout=30).step
    assert exp.handle.wait_acked(exp.handle.apply_live(exp.cfg), timeout=30).step == paused_at
    assert trace_len(figures(at)[3]["data"][0]) > 0  # the loss curve


def test_beam_width_applies_live_without_a_rebuild():
    at = run_page(PAGE, query=SMALL)
    at.button(key="ctc.step").click().run()
    exp = at.session_state["ctc.exp"]
    at.select_slider(key="ctc.w.beam").set_value(8).run()
    assert not at.exception
    assert at.session_state["ctc.exp"] is exp and exp.steps == 1
    run_until(at, lambda a: "width 8" in texts(a), what="the probe with beam width 8")
    q = at.query_params["beam"]
    assert q == ["8"] or q == "8"


def test_a_live_slider_on_a_paused_run_keeps_the_figures_and_a_step_renews_them():
    """The learning rate moved on a paused run: a new snapshot, the same figures (not built
    again); a Step: the loss and the probe's figures of the new step, built again. Each group
    of figures is kept by what it draws (``memo.ctc.probe``, ``.ler``, ``.loss``)."""
    at = run_page(PAGE, query=SMALL)
    run_until(at, _charts, what="the first charts")
    exp = at.session_state["ctc.exp"]

    def held():
        return {name: at.session_state[f"memo.ctc.{name}"][1] for name in ("probe", "ler", "loss")}

    before = held()
    version = exp.snapshot().version
    at.select_slider(key="ctc.w.lr").set_value(0.003).run()
    assert not at.exception and at.session_state["ctc.exp"] is exp
    exp.handle.wait(lambda s: s.version > version, timeout=30)
    at.run()
    assert exp.snapshot().version > version
    assert all(held()[name] is fig for name, fig in before.items())
    at.button(key="ctc.step").click().run()
    run_until(at, lambda a: _shown_step(a) == 1, what="the step's snapshot")
    after = held()
    assert after["loss"] is not before["loss"] and after["probe"] is not before["probe"]
    assert trace_len(figures(at)[3]["data"][0]) == 1  # the loss curve has the step
    snap = exp.snapshot()
    assert snap.payload.probe.step == 1


def test_collapse_rule_good_and_bad_paths():
    at = run_page(PAGE, query=SMALL)
    at.text_input(key="ctc.path").input("aa-a--bb").run()
    assert not at.exception
    assert "**aab**" in texts(at) and "a-a-b" in texts(at)
    at.text_input(key="ctc.path").input("ab?z").run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("'?'" in e and "'z'" in e and "blank" in e for e in errors), errors


def test_link_opens_the_same_config_and_bad_values_fall_back():
    from seqviz.config import to_query
    from seqviz.ctc.config import CTCConfig

    query = {**SMALL, "symbols": "6", "noise": "0.8", "beam": "7", "seed": "5"}
    at = run_page(PAGE, query=query)
    cfg = at.session_state["ctc.config"]
    assert (cfg.symbols, cfg.noise, cfg.beam, cfg.seed, cfg.hidden_size) == (6, 0.8, 7, 5, 16)
    written = {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert {k: v for k, v in written.items() if k in to_query(cfg)} == to_query(cfg)
    at = run_page(PAGE, query={"beam": "500", "noise": "loud"})
    assert at.session_state["ctc.config"] == CTCConfig()
    assert sum("Ignored URL parameter" in w.value for w in at.warning) == 2
