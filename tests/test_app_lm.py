"""AppTest for the home page and the language-model page."""

import pytest

from tests.apptest_utils import figures, run_page, texts, trace_len

PAGE = "pages/1_Language_Model.py"
SMALL = {"corpus": "grammar", "level": "word", "hidden_size": "32", "embed_size": "16",
         "seq_len": "16", "batch_size": "8"}


def _steps(at):
    return at.session_state["lm.exp"].trainer.steps


def test_home_page_links_every_existing_page():
    at = run_page("app.py")
    labels = [el.proto.label for el in at.get("page_link")]
    assert any("Language model" in label for label in labels)
    assert any("Quick start" in h.value for h in at.header)


def test_page_runs_with_charts_and_sample():
    at = run_page(PAGE, query=SMALL)
    assert _steps(at) == 0
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


def test_play_tick_trains_and_pause_stops():
    at = run_page(PAGE, query=SMALL)
    at.button(key="lm.play").click().run()
    assert not at.exception
    after_one_tick = _steps(at)
    assert after_one_tick > 0
    assert at.session_state["lm.playing"]
    loss = figures(at)[0]
    assert trace_len(loss["data"][0]) == after_one_tick
    at.button(key="lm.play").click().run()  # now labelled Pause
    assert not at.session_state["lm.playing"]


def test_learning_rate_change_applies_live_without_reset():
    at = run_page(PAGE, query=SMALL)
    at.button(key="lm.step").click().run()
    at.button(key="lm.step").click().run()
    exp = at.session_state["lm.exp"]
    at.select_slider(key="lm.w.lr").set_value(0.01).run()
    assert not at.exception
    assert at.session_state["lm.exp"] is exp and _steps(at) == 2
    assert exp.trainer.lr == 0.01
    at.button(key="lm.step").click().run()
    assert exp.trainer.history[-1].lr == 0.01 and _steps(at) == 3
    assert at.query_params["lr"] == ["0.01"] or at.query_params["lr"] == "0.01"


def test_hidden_size_change_rebuilds():
    at = run_page(PAGE, query=SMALL)
    at.button(key="lm.step").click().run()
    at.select_slider(key="lm.w.hidden_size").set_value(64).run()
    assert not at.exception
    assert _steps(at) == 0 and at.session_state["lm.exp"].model.spec.hidden_size == 64


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
    for _ in range(15):  # ticks until the loss blows past the limit
        if not at.session_state["lm.playing"]:
            break
        at.run()
    assert not at.exception
    assert not at.session_state["lm.playing"]  # paused by the divergence
    assert "Training diverged" in " ".join(e.value for e in at.error)
    exp = at.session_state["lm.exp"]
    assert all(bool(p.isfinite().all()) for p in exp.model.parameters())
    at.select_slider(key="lm.w.lr").set_value(0.01).run()  # the remedy: lower lr, keep going
    at.button(key="lm.step").click().run()
    assert not exp.trainer.history[-1].diverged
