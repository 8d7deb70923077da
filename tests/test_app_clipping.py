"""AppTest for the clipping page (its two runs train in an engine worker)."""

from tests.apptest_utils import chart_places, figures, run_page, run_until, texts

PAGE = "pages/4_Clipping.py"
SMALL = {"seq_len": "20", "hidden_size": "8", "seed": "0"}


def _exp(at):
    return at.session_state["clip.exp"]


def test_page_runs_with_both_runs_and_the_cliff():
    at = run_page(PAGE, query=SMALL)
    run_until(at, lambda a: len(figures(a)) == 3, what="the first snapshot's charts")
    figs = figures(at)
    loss, norm, cliff = figs
    assert {t["name"] for t in loss["data"]} >= {"without clipping", "with clipping"}
    assert any(t.get("name", "").startswith("threshold") for t in norm["data"])
    assert cliff["data"][0]["type"] == "contour"
    names = " ".join(t.get("name", "") for t in cliff["data"])
    assert "without clipping" in names and "with clipping" in names
    for fig in figs:
        assert fig["layout"]["xaxis"]["title"]["text"] and fig["layout"]["yaxis"]["title"]["text"]
    assert _exp(at).steps == 0


def test_play_advances_both_runs_together_and_pause_stops():
    at = run_page(PAGE, query=SMALL)
    at.button(key="clip.play").click().run()
    assert not at.exception
    run_until(at, lambda a: _exp(a).steps > 0 and a.metric[0].value != "0",
              what="a training step after Play")
    view = _exp(at).view
    assert [len(s.steps) for s in view.series.values()] == [_exp(at).steps] * 2  # lockstep
    assert "%" in at.metric[1].value  # share of steps clipped
    at.button(key="clip.play").click().run()  # now labelled Pause
    assert not at.session_state["clip.playing"]
    exp = _exp(at)
    paused = exp.handle.wait(lambda s: not s.playing, timeout=30)
    assert at.metric[0].value == f"{paused.step:,}"  # the rerun after the click draws it
    assert exp.handle.wait_acked(exp.handle.apply_live(exp.cfg), timeout=30).step == paused.step
    at.button(key="clip.step").click().run()
    assert _exp(at).steps == paused.step + 1


def test_threshold_and_lr_act_live_and_cliff_follows():
    at = run_page(PAGE, query=SMALL)
    at.button(key="clip.step").click().run()
    exp = _exp(at)
    before = figures(at)[2]
    at.select_slider(key="clip.w.clip_threshold").set_value(5.0).run()
    at.select_slider(key="clip.w.lr").set_value(0.01).run()
    at.radio(key="clip.w.clip").set_value("value").run()
    at.select_slider(key="clip.w.cliff_threshold").set_value(2.0).run()
    assert not at.exception and _exp(at) is exp
    view = exp.handle.wait_acked(exp.handle.apply_live(exp.cfg), timeout=30).payload
    assert exp.steps == 1
    assert view.settings["with clipping"] == ("value", 5.0, 0.01)
    assert view.settings["without clipping"][0] == "none"
    assert figures(at)[2]["data"] != before["data"]  # new clipped path on the cliff
    at.select_slider(key="clip.w.hidden_size").set_value(16).run()
    assert _exp(at) is not exp and _exp(at).steps == 0 and _exp(at).view.cfg.hidden_size == 16


def test_divergence_is_marked_play_goes_on_and_reset_restarts():
    at = run_page(PAGE, query={"seq_len": "50", "seed": "0"})  # the default: it explodes
    run_until(at, lambda a: len(figures(a)) == 3, what="the first snapshot's charts")
    places = chart_places(at)
    at.button(key="clip.play").click().run()
    run_until(at, lambda a: "diverged" in texts(a), what="the unclipped run's divergence")
    # the banner came above the charts, which stayed where they were (else: blank while they
    # are drawn again, in the middle of playing)
    assert chart_places(at) == places and len(places) == 3
    exp = _exp(at)
    assert exp.view.diverged["without clipping"].count > 0
    assert exp.view.diverged["with clipping"].count == 0
    shown = exp.steps
    run_until(at, lambda a: _exp(a).steps > shown + 5, what="training after the divergence")
    assert at.session_state["clip.playing"]  # a divergence here is the lesson, not a stop
    at.button(key="clip.reset").click().run()
    assert not at.exception and _exp(at) is not exp and _exp(at).steps == 0
    assert not at.session_state["clip.playing"]


def test_lecture_panel_marks_the_step_on_screen_and_answers_once_it_has_run():
    from seqviz.gradients.lecture import CLIP_STEPS

    cliff = CLIP_STEPS[3]  # nothing to train: its answer shows as soon as it is set up
    at = run_page(PAGE, query={**SMALL, **cliff.params})
    run_until(at, lambda a: len(figures(a)) == 3, what="the charts")
    panel = at.expander[0]
    assert panel.label == f"🎓 Lecture: {len(CLIP_STEPS)} steps"
    marked = [m.value for m in panel.markdown if m.value.endswith("⬅")]
    assert marked == [f"**4. {cliff.title}** ⬅"]
    answers = [s.value for s in panel.success]
    assert answers == [f"**Answer:** {cliff.answer}"]  # only the step on screen
    links = [el.proto for el in panel.get("page_link")]
    assert len(links) == len(CLIP_STEPS) and all("Clipping" in ln.page for ln in links)
    at = run_page(PAGE, query=dict(CLIP_STEPS[0].params))  # needs 200 steps first
    assert not at.expander[0].markdown  # the defaults' link: the lecture stays closed, undrawn
    at.session_state["clip.lecture.open"] = True  # what a click on its header does
    at.run()
    assert not at.expander[0].success
    assert "train 200 more steps" in " ".join(c.value for c in at.expander[0].caption)
