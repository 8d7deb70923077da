"""AppTest for the clipping page."""

from tests.apptest_utils import figures, run_page, texts

PAGE = "pages/4_Clipping.py"
SMALL = {"seq_len": "20", "hidden_size": "8", "seed": "0"}


def _comp(at):
    return at.session_state["clip.exp"]


def test_page_runs_with_both_runs_and_the_cliff():
    at = run_page(PAGE, query=SMALL)
    figs = figures(at)
    assert len(figs) == 3
    loss, norm, cliff = figs
    assert {t["name"] for t in loss["data"]} >= {"without clipping", "with clipping"}
    assert any(t.get("name", "").startswith("threshold") for t in norm["data"])
    assert cliff["data"][0]["type"] == "contour"
    names = " ".join(t.get("name", "") for t in cliff["data"])
    assert "without clipping" in names and "with clipping" in names
    assert _comp(at).steps == 0


def test_play_tick_advances_both_runs_together():
    at = run_page(PAGE, query=SMALL)
    at.button(key="clip.play").click().run()
    assert not at.exception
    comp = _comp(at)
    assert comp.steps > 0
    assert len({t.steps for t in comp.trainers.values()}) == 1
    assert "%" in at.metric[1].value  # share of steps clipped


def test_threshold_and_lr_act_live_and_cliff_follows():
    at = run_page(PAGE, query=SMALL)
    at.button(key="clip.step").click().run()
    comp = _comp(at)
    before = figures(at)[2]
    at.select_slider(key="clip.w.clip_threshold").set_value(5.0).run()
    at.select_slider(key="clip.w.lr").set_value(0.01).run()
    at.radio(key="clip.w.clip").set_value("value").run()
    at.select_slider(key="clip.w.cliff_threshold").set_value(2.0).run()
    assert not at.exception and _comp(at) is comp and comp.steps == 1
    clipped = comp.trainers["with clipping"]
    assert (clipped.clip, clipped.clip_threshold, clipped.lr) == ("value", 5.0, 0.01)
    assert comp.trainers["without clipping"].clip == "none"
    assert figures(at)[2]["data"] != before["data"]  # new clipped path on the cliff
    at.select_slider(key="clip.w.hidden_size").set_value(16).run()
    assert _comp(at) is not comp and _comp(at).steps == 0


def test_divergence_is_marked_and_reset_restarts():
    at = run_page(PAGE, query={"seq_len": "50", "seed": "0"})  # the default: it explodes
    for _ in range(3):
        at.button(key="clip.play").click().run()  # a few ticks (Play / Pause / Play)
    comp = _comp(at)
    assert comp.trainers["without clipping"].divergences
    assert "diverged" in texts(at)
    at.button(key="clip.reset").click().run()
    assert not at.exception and _comp(at) is not comp and _comp(at).steps == 0
