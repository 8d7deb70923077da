"""AppTest for the attention page, with a live model and with a bundled checkpoint."""

import pytest

from seqviz.s2s_checkpoint import pretrained_path
from seqviz.s2s_study import load_studies
from tests.apptest_utils import figures, run_page, texts

PAGE = "pages/5_Attention.py"
SMALL = {"task": "reverse", "min_len": "3", "max_len": "6", "hidden_size": "16",
         "embed_size": "8", "batch_size": "16", "snapshot_every": "2"}


def _exp(at):
    return at.session_state["att.exp"]


def _heatmaps(at):
    return [f for f in figures(at) if f["data"] and f["data"][0]["type"] == "heatmap"]


def test_live_model_step_and_play():
    at = run_page(PAGE, query=SMALL)
    exp = _exp(at)
    assert exp.trainer.steps == 0 and exp.cfg.task == "reverse" and exp.cfg.hidden_size == 16
    heat = _heatmaps(at)
    assert len(heat) == 2  # the probe and the typed input (the probe by default)
    src, ref = exp.probe
    assert heat[0]["layout"]["xaxis"]["ticktext"] == list(src)
    assert heat[0]["layout"]["yaxis"]["ticktext"] == list(ref) + ["&lt;/s&gt;"]
    for fig in figures(at):
        assert fig["layout"]["title"]["text"] and fig["layout"]["xaxis"]["title"]["text"]
    at.button(key="att.step").click().run()
    assert not at.exception and _exp(at).trainer.steps == 1 and at.metric[0].value == "1"
    at.button(key="att.play").click().run()
    assert not at.exception and at.session_state["att.playing"]
    assert _exp(at).trainer.steps > 1 and len(_exp(at).snapshots) >= 2
    at.button(key="att.play").click().run()
    assert not at.session_state["att.playing"]
    steps = at.select_slider(key="att.timeline").options
    assert len(steps) >= 2  # pause -> the timeline is live


def test_settings_live_and_rebuild():
    at = run_page(PAGE, query=SMALL)
    at.button(key="att.step").click().run()
    exp = _exp(at)
    at.select_slider(key="att.w.lr").set_value(0.01).run()
    assert _exp(at) is exp and exp.trainer.lr == 0.01 and exp.trainer.steps == 1
    at.radio(key="att.w.attention").set_value("dot").run()
    assert not at.exception and _exp(at) is not exp and _exp(at).cfg.attention == "dot"
    at.radio(key="att.w.attention").set_value("none").run()
    assert "no attention" in texts(at)
    at.number_input(key="att.w.min_len").set_value(9).run()  # longer than max_len 6
    assert not at.exception and "shortest input" in texts(at)
    assert _exp(at).data.spec.min_len == 3


def test_bad_url_and_typed_input_with_unknown_characters():
    at = run_page(PAGE, query={**SMALL, "lr": "banana", "attention": "magic", "max_len": "999"})
    warnings = " ".join(w.value for w in at.warning)
    assert "lr" in warnings and "attention" in warnings and "max_len" in warnings
    assert _exp(at).cfg.attention == "additive"
    at.text_input(key="att.input").set_value("12x4é").run()
    assert not at.exception
    assert "'x', 'é'" in texts(at)
    at.text_input(key="att.input").set_value("   ").run()
    assert "Type an input" in texts(at)


def test_impossible_task_lengths_show_a_message():
    at = run_page(PAGE, query={**SMALL, "task": "dates", "min_len": "1", "max_len": "4"})
    assert "Cannot use these settings" in texts(at) and "8 to 30" in texts(at)
    assert _exp(at).cfg == _exp(at).cfg.__class__()  # fell back to the defaults


@pytest.mark.skipif(not pretrained_path("reverse").exists(), reason="run scripts/train_seq2seq.py")
def test_pretrained_checkpoint_with_timeline():
    at = run_page(PAGE, query={"pretrained": "reverse"})
    exp = _exp(at)
    assert exp.cfg.pretrained == "reverse" and exp.trainer.steps > 100
    assert exp.evals[-1].exact > 0.9
    assert "trained" in " ".join(c.value for c in at.caption)
    timeline = at.select_slider(key="att.timeline")
    assert timeline.options[0] == "0" and len(timeline.options) > 20
    late = _heatmaps(at)[0]["layout"]["title"]["text"]
    timeline.set_value(0).run()
    assert not at.exception
    assert "step 0" in _heatmaps(at)[0]["layout"]["title"]["text"] != late
    if any(s["task"] == "reverse" for s in load_studies()):  # the shipped long-input study
        assert any("input length" in f["layout"]["xaxis"]["title"]["text"] for f in figures(at))
    before = exp.trainer.steps
    at.button(key="att.step").click().run()  # training continues from the checkpoint
    assert _exp(at) is exp and exp.trainer.steps == before + 1


def test_live_long_input_study(monkeypatch):
    import seqviz.ui.attention_panel as panel

    monkeypatch.setattr(panel, "STUDY_STEPS", 2)
    at = run_page(PAGE, query={**SMALL, "task": "sort"})
    at.button(key="att.study_run").click().run()
    for _ in range(6):
        if at.session_state["att.study"].done:
            break
        at.run()
    assert not at.exception and at.session_state["att.study"].done
    at.run()
    lengths = [f for f in figures(at) if "input length" in f["layout"]["xaxis"]["title"]["text"]]
    assert lengths and {t["name"] for t in lengths[-1]["data"]} == {"additive attention",
                                                                   "no attention"}


def test_damaged_checkpoint_shows_a_message(monkeypatch, tmp_path):
    import seqviz.ui.attention_panel as panel

    bad = tmp_path / "seq2seq_dates.pt"
    bad.write_bytes(b"this is not a checkpoint")
    monkeypatch.setattr(panel, "pretrained_path", lambda name: bad)
    at = run_page(PAGE, query={**SMALL, "pretrained": "dates"})
    assert "Cannot use these settings" in texts(at) and "not a seqviz checkpoint" in texts(at)
    assert _exp(at).cfg.pretrained == "none"
    at.button(key="att.step").click().run()
    assert not at.exception and _exp(at).trainer.steps == 1


def test_timeline_follows_new_steps_until_the_user_picks_one():
    at = run_page(PAGE, query=SMALL)
    for _ in range(4):
        at.button(key="att.step").click().run()
    timeline = at.select_slider(key="att.timeline")
    assert timeline.value == 4 and "step 4" in _heatmaps(at)[0]["layout"]["title"]["text"]
    timeline.set_value(2).run()
    assert "step 2" in _heatmaps(at)[0]["layout"]["title"]["text"]
    at.button(key="att.step").click().run()  # the user's choice stays
    assert at.select_slider(key="att.timeline").value == 2
