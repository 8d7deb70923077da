"""AppTest for the attention page, with a live model and with a bundled checkpoint; training
runs in the engine's worker processes (seqviz.attention.live)."""

import pytest

from seqviz.attention.checkpoint import pretrained_path
from seqviz.attention.study import load_studies
from seqviz.engine.pool import shared_engine
from tests.apptest_utils import figures, run_page, run_until, texts, trace_values

PAGE = "pages/5_Attention.py"
SMALL = {"task": "reverse", "min_len": "3", "max_len": "6", "hidden_size": "16",
         "embed_size": "8", "batch_size": "16", "snapshot_every": "2"}


@pytest.fixture(scope="module", autouse=True)
def workers_ready():
    """The first page run finds the workers up (they import torch once per test process)."""
    assert shared_engine().wait_ready(120)


def _exp(at):
    return at.session_state["att.exp"]


def _heatmaps(at):
    return [f for f in figures(at) if f["data"] and f["data"][0]["type"] == "heatmap"]


def _probe_title(at) -> str:
    return _heatmaps(at)[0]["layout"]["title"]["text"]


def _input(at):
    """The typed-input box (one per task: its key names the task)."""
    found = [t for t in at.text_input if str(t.key).startswith("att.input.")]
    assert len(found) == 1, [t.key for t in at.text_input]
    return found[0]


def _open(at, tab: str):
    """Open a tab under the charts (the page draws only the open one), as a click would."""
    at.session_state["att.tab"] = tab
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _length_charts(at) -> list:
    return [f for f in figures(at) if "input length" in f["layout"]["xaxis"]["title"]["text"]]


def _timeline(at):
    """The replay slider (each timeline has a slider of its own: its key names the timeline)."""
    found = [s for s in at.select_slider if str(s.key).startswith("att.timeline.")]
    assert len(found) == 1, [s.key for s in at.select_slider]
    return found[0]


def test_live_model_step_play_and_pause():
    at = run_page(PAGE, query=SMALL)
    exp = _exp(at)
    assert exp.steps == 0 and exp.cfg.task == "reverse" and exp.cfg.hidden_size == 16
    run_until(at, lambda a: len(_heatmaps(a)) == 2, what="the first snapshot's heatmaps")
    heat = _heatmaps(at)
    assert len(heat) == 2  # the probe and the typed input (the probe by default)
    src, ref = exp.probe
    assert heat[0]["layout"]["xaxis"]["ticktext"] == list(src)
    assert heat[0]["layout"]["yaxis"]["ticktext"] == list(ref) + ["&lt;/s&gt;"]
    for fig in figures(at):
        assert fig["layout"]["title"]["text"] and fig["layout"]["xaxis"]["title"]["text"]
        assert fig["layout"]["yaxis"]["title"]["text"]
    at.button(key="att.step").click().run()
    assert not at.exception and exp.steps == 1 and at.metric[0].value == "1"
    assert "step 1" in _probe_title(at)  # a Step shows the model as it is now
    at.button(key="att.play").click().run()
    assert not at.exception and at.session_state["att.playing"]
    run_until(at, lambda a: _exp(a).steps > 20 and int(a.metric[0].value.replace(",", "")) > 1,
              what="training steps after Play")
    at.button(key="att.play").click().run()  # now labelled Pause
    assert not at.session_state["att.playing"]
    paused = exp.handle.wait(lambda s: not s.playing, timeout=30)
    later = exp.handle.wait_acked(exp.handle.apply_live(exp.cfg), timeout=30)
    assert later.step == paused.step > 20  # nothing moves after a pause
    at.run()
    view = later.payload
    assert view.eval_steps[-1] == later.step  # analysed at once after the pause
    steps = _timeline(at).options
    assert len(steps) >= 2 and steps[-1] == f"{later.step:,}"  # the timeline ends "now"
    assert f"step {later.step:,}" in _probe_title(at)
    # the loss curve (refreshed for each snapshot, not built) reaches the paused step
    loss = next(f for f in figures(at) if f["layout"]["title"]["text"] == "Training loss")
    assert trace_values(loss["data"][0], "x")[-1] == later.step


def test_settings_live_and_rebuild():
    at = run_page(PAGE, query=SMALL)
    at.button(key="att.step").click().run()
    exp = _exp(at)
    at.select_slider(key="att.w.lr").set_value(0.01).run()
    assert _exp(at) is exp and exp.cfg.lr == 0.01 and exp.steps == 1
    at.button(key="att.step").click().run()
    assert exp.view.cfg.lr == 0.01 and exp.steps == 2  # the worker's run took it, same run
    at.selectbox(key="att.w.attention").set_value("dot").run()
    assert not at.exception and _exp(at) is not exp and _exp(at).cfg.attention == "dot"
    assert _exp(at).steps == 0 and _exp(at).view.cfg.attention == "dot"
    at.selectbox(key="att.w.attention").set_value("none").run()
    assert "no attention" in texts(at)
    at.number_input(key="att.w.min_len").set_value(9).run()  # longer than max_len 6
    assert not at.exception and "shortest input" in texts(at)
    assert _exp(at).data.spec.min_len == 3


def test_bad_url_and_typed_input_with_unknown_characters():
    at = run_page(PAGE, query={**SMALL, "lr": "banana", "attention": "magic", "max_len": "999"})
    warnings = " ".join(w.value for w in at.warning)
    assert "lr" in warnings and "attention" in warnings and "max_len" in warnings
    assert _exp(at).cfg.attention == "additive"
    _input(at).set_value("12x4é").run()
    assert not at.exception
    run_until(at, lambda a: "'x', 'é'" in texts(a), what="the model's answer")
    _input(at).set_value("   ").run()
    assert "Type an input" in texts(at)


def test_typed_input_follows_the_paused_model():
    at = run_page(PAGE, query=SMALL)
    _input(at).set_value("1234").run()
    run_until(at, lambda a: "Output at step 0" in texts(a), what="the model's answer")
    titles = [f["layout"]["title"]["text"] for f in _heatmaps(at)]
    assert "Attention for your input at step 0" in titles
    at.button(key="att.step").click().run()
    assert "Output at step 1" in texts(at)


def test_impossible_task_lengths_show_a_message():
    at = run_page(PAGE, query={**SMALL, "task": "dates", "min_len": "1", "max_len": "4"})
    assert "Cannot use these settings" in texts(at) and "8 to 30" in texts(at)
    assert _exp(at).cfg == _exp(at).cfg.__class__()  # fell back to the defaults


def test_a_link_with_the_shortest_input_above_the_longest_gets_one_message():
    """One message for one mistake (the build used to add a second), and the link's task runs
    with the task's own input lengths."""
    at = run_page(PAGE, query={**SMALL, "min_len": "30", "max_len": "8"})
    assert [e.value for e in at.error] == [
        "Invalid setting: the shortest input (30) is longer than the longest (8)"]
    cfg = _exp(at).cfg
    assert (cfg.task, cfg.min_len, cfg.max_len, cfg.hidden_size) == ("reverse", 3, 10, 16)


@pytest.mark.skipif(not pretrained_path("reverse").exists(), reason="run scripts/train_seq2seq.py")
def test_a_bundled_model_link_says_which_of_its_settings_are_not_used_and_links_what_runs():
    """``?pretrained=reverse&task=dates`` opened the reversal model and dropped the task
    without a word; the page's own link for a bundled model carried the hidden fresh-model
    settings (task=dates beside pretrained=reverse), so it would have said so too."""
    at = run_page(PAGE, query={"pretrained": "reverse", "task": "dates", "hidden_size": "16",
                               "lr": "0.01"})
    (note,) = [w.value for w in at.warning]
    assert "task=dates" in note and "hidden_size=16" in note and "lr" not in note
    assert _exp(at).cfg.task == "reverse" and _exp(at).cfg.lr == 0.01
    stored = at.session_state["att.config"]
    assert (stored.task, stored.hidden_size, stored.lr) == ("reverse", 64, 0.01)
    assert at.query_params["task"] == "reverse"  # the link the page writes: what runs
    quiet = run_page(PAGE, query=dict(at.query_params.items()))
    assert not quiet.warning  # the page's own link opens without a note
    assert not run_page(PAGE, query={"pretrained": "reverse"}).warning


@pytest.mark.skipif(not pretrained_path("reverse").exists(), reason="run scripts/train_seq2seq.py")
def test_pretrained_checkpoint_opens_at_once_with_timeline():
    at = run_page(PAGE, query={"pretrained": "reverse"})
    exp = _exp(at)
    assert exp.cfg.pretrained == "reverse" and exp.steps > 100
    assert exp.view.exact[-1] > 0.9  # trained already: no waiting on training
    assert "trained" in " ".join(c.value for c in at.caption)
    timeline = _timeline(at)
    assert timeline.options[0] == "0" and len(timeline.options) > 20
    late = _probe_title(at)
    timeline.set_value(0).run()
    assert not at.exception
    assert "step 0" in _probe_title(at) != late
    assert not _length_charts(at)  # only the open tab (the typed input) is drawn
    if any(s["task"] == "reverse" for s in load_studies()):  # the shipped long-input study
        assert _length_charts(_open(at, "The long-input problem"))
        assert at.query_params["tab"] in (["long"], "long")  # a link copied now reopens it
    before = exp.steps
    at.button(key="att.step").click().run()  # training continues from the checkpoint
    assert _exp(at) is exp and exp.steps == before + 1


def test_live_long_input_study(monkeypatch):
    import seqviz.ui.attention.sections as sections

    monkeypatch.setattr(sections, "STUDY_STEPS", 2)
    at = run_page(PAGE, query={**SMALL, "task": "sort", "tab": "long"})  # the tab by its link
    at.button(key="att.study_run").click().run()
    assert not at.exception
    run_until(at, lambda a: a.session_state["att.study"].done, what="the study to finish")
    at.run()
    assert not at.exception
    lengths = [f for f in figures(at) if "input length" in f["layout"]["xaxis"]["title"]["text"]]
    assert lengths and {t["name"] for t in lengths[-1]["data"]} == {"additive attention",
                                                                   "no attention"}


def test_damaged_checkpoint_shows_a_message(monkeypatch, tmp_path):
    import seqviz.ui.attention.panel as panel

    bad = tmp_path / "seq2seq_dates.pt"
    bad.write_bytes(b"this is not a checkpoint")
    monkeypatch.setattr(panel, "pretrained_path", lambda name: bad)
    at = run_page(PAGE, query={**SMALL, "pretrained": "dates"})
    assert "Cannot use these settings" in texts(at) and "not a seqviz checkpoint" in texts(at)
    assert _exp(at).cfg.pretrained == "none"
    at.button(key="att.step").click().run()
    assert not at.exception and _exp(at).steps == 1


def test_timeline_follows_new_steps_until_the_user_picks_one():
    at = run_page(PAGE, query=SMALL)
    for _ in range(4):
        at.button(key="att.step").click().run()
    timeline = _timeline(at)
    assert timeline.value == 4 and "step 4" in _probe_title(at)
    assert 2 in [int(s) for s in timeline.options]
    timeline.set_value(2).run()
    assert "step 2" in _probe_title(at)
    at.button(key="att.step").click().run()  # the user's choice stays
    assert _timeline(at).value == 2 and "step 2" in _probe_title(at)
    assert _timeline(at).options[-1] == "5"


def _shown_step(at) -> int:
    return int(at.metric[0].value.replace(",", ""))


def test_a_late_pause_snapshot_keeps_the_paused_page_polling(monkeypatch):
    """Pause waits (STEP_WAIT) for the snapshot of the paused step; on a busy machine it comes
    later, and a paused page is not redrawn by itself. So the page must keep polling until the
    run has answered (``att.settling``), or else already show the paused step everywhere; once
    settled, the step counter, the heatmap title and the replay slider agree."""
    import seqviz.attention.live as live

    monkeypatch.setattr(live, "STEP_WAIT", 0.0)  # the Pause click never waits for its snapshot
    at = run_page(PAGE, query=SMALL)
    at.button(key="att.play").click().run()
    run_until(at, lambda a: _exp(a).steps > 10, what="training steps after Play")
    at.button(key="att.play").click().run()  # Pause
    exp = _exp(at)
    final = exp.handle.wait(lambda s: not s.playing and exp.settled(), timeout=30).step
    drawn = _shown_step(at)
    assert at.session_state["att.settling"] or (
        drawn == final and f"step {final:,}" in _probe_title(at)), (drawn, final)
    run_until(at, lambda a: not a.session_state["att.settling"], what="the paused snapshot")
    assert _shown_step(at) == final and f"step {final:,}" in _probe_title(at)
    assert _timeline(at).value == final == int(_timeline(at).options[-1].replace(",", ""))


def test_tabs_draw_one_section_each_and_keep_the_typed_input():
    """The sections under the charts are tabs, of which the page draws only the open one; a
    typed input survives a visit to another tab, and the open tab is in the link."""
    at = run_page(PAGE, query=SMALL)
    _input(at).set_value("4321").run()
    assert not at.exception and not at.table
    _open(at, "Bundled models")
    assert not [t for t in at.text_input if str(t.key).startswith("att.input.")]
    assert at.query_params["tab"] in (["models"], "models")
    if any(pretrained_path(name).exists() for name in ("dates", "reverse")):
        assert at.table and "exact match" in at.table[0].value.columns
    _open(at, "Try your own input")
    assert _input(at).value == "4321"
    at.query_params["lang"] = "zh"  # a language switch keeps the open tab
    at.run()
    assert not at.exception and _input(at).value == "4321"
