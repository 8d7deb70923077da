"""AppTest of the "Take it home" panel: downloads on the LM, CTC, time-series, attention and
sequence-tasks pages, re-opening a checkpoint on them (the browser test uploads a real file)."""

from __future__ import annotations

import json

from seqviz.lm.export import EXPORT, read_run
from seqviz.ui import export as ui_export
from tests.apptest_utils import run_page as _run_page
from tests.apptest_utils import run_until, texts

LM = "pages/1_Language_Model.py"
SMALL = {"corpus": "grammar", "level": "word", "hidden_size": "32", "embed_size": "16",
         "seq_len": "16", "batch_size": "8"}


KEYS = {"pages/1_Language_Model.py": "lm", "pages/3_Gradient_Flow.py": "gf",
        "pages/4_Clipping.py": "clip", "pages/5_Attention.py": "att",
        "pages/7_Embeddings.py": "emb", "pages/8_Sequence_Tasks.py": "seq",
        "pages/9_Time_Series.py": "ts", "pages/10_CTC.py": "ctc"}


def run_page(path: str, **kwargs):
    """The page with its "Take it home" panel open (closed, it draws nothing inside)."""
    return _run_page(path, session={f"{KEYS[path]}.export.open": True}, **kwargs)


def test_a_closed_panel_draws_nothing_until_it_is_opened():
    at = _run_page(LM, query=SMALL)
    assert not at.get("download_button") and not at.get("file_uploader")
    at.session_state["lm.export.open"] = True  # what a click on its header does
    at.run()
    assert len(at.get("download_button")) == 3 and at.get("file_uploader")
    at.session_state["lm.export.open"] = False
    at.run()
    assert not at.get("download_button")


def _labels(at) -> list[str]:
    return [el.proto.label for el in at.get("download_button")]


def test_lm_page_offers_card_script_and_model_and_they_are_right():
    at = run_page(LM, query=SMALL)
    labels = _labels(at)
    assert any("Experiment card" in x for x in labels)
    assert any("PyTorch script" in x for x in labels)
    assert any("Trained model" in x for x in labels)
    assert at.get("file_uploader")
    at.button(key="lm.step").click().run()
    exp = at.session_state["lm.exp"]
    run_until(at, lambda a: exp.steps == 1, what="the step's snapshot")
    card = json.loads(ui_export._card(exp, EXPORT, "Language model"))
    assert card["step"] == 1 and card["config"]["hidden_size"] == "32"
    assert card["metrics"]["loss"]["length"] == 1
    script = ui_export._script(exp)
    assert "nn.LSTM(16, 32, num_layers=1, batch_first=True)" in script
    assert "STEPS = 1" in script
    reopened = read_run(ui_export._checkpoint(exp, EXPORT))
    assert reopened.step == 1


def test_reopening_a_checkpoint_restores_its_step_paused_and_rebuilds_for_its_shape():
    at = run_page(LM, query=SMALL)
    at.button(key="lm.step").click().run()
    at.button(key="lm.step").click().run()
    run_until(at, lambda a: a.session_state["lm.exp"].steps == 2, what="two steps")
    raw = ui_export._checkpoint(at.session_state["lm.exp"], EXPORT)
    at.button(key="lm.reset").click().run()
    at.session_state["lm.w.hidden_size"] = 64  # another model: the checkpoint's comes back
    at.run()
    assert at.session_state["lm.exp"].cfg.hidden_size == 64
    at.file_uploader(key="lm.reopen.file").set_value(
        ("seqviz-lm.pt", raw, "application/octet-stream"))
    at.run()
    assert not at.exception
    run_until(at, lambda a: a.session_state["lm.exp"].steps == 2, what="the re-opened step")
    exp = at.session_state["lm.exp"]
    assert exp.cfg.hidden_size == 32 and exp.steps == 2
    assert "Opened the checkpoint: the model is at step 2, paused" in texts(at)
    assert not at.session_state["lm.playing"]


def test_a_damaged_checkpoint_gets_a_message_and_the_run_is_untouched():
    at = run_page(LM, query=SMALL)
    at.button(key="lm.step").click().run()
    run_until(at, lambda a: a.session_state["lm.exp"].steps == 1, what="one step")
    at.file_uploader(key="lm.reopen.file").set_value(
        ("broken.pt", b"PK\x03\x04" + b"\x00" * 300, "application/octet-stream")).run()
    assert not at.exception
    assert "This is not a seqviz checkpoint" in texts(at)
    exp = at.session_state["lm.exp"]
    assert exp.steps == 1 and exp.cfg.hidden_size == 32


def test_ctc_page_offers_the_card_script_and_model():
    at = run_page("pages/10_CTC.py", query={"hidden_size": "16", "batch_size": "8"})
    assert [x for x in _labels(at) if "Experiment card" in x]
    assert [x for x in _labels(at) if "PyTorch script" in x]
    assert [x for x in _labels(at) if "Trained model" in x]
    assert at.get("file_uploader")
    card = json.loads(ui_export._card(at.session_state["ctc.exp"],
                                      ui_export.LessonExport("ctc"), "CTC"))
    assert card["lesson"] == "ctc" and card["config"]["hidden_size"] == "16"
    script = ui_export._script(at.session_state["ctc.exp"])
    assert "nn.LSTM(BANDS, HIDDEN_SIZE, NUM_LAYERS" in script
    assert "HIDDEN_SIZE, NUM_LAYERS = 16, 1" in script and "import seqviz" not in script


def test_reopening_a_ctc_checkpoint_restores_its_model_and_step_paused():
    from seqviz.ctc.export import EXPORT as CTC_EXPORT

    at = run_page("pages/10_CTC.py", query={"hidden_size": "16", "batch_size": "4",
                                            "symbols": "3"})
    at.button(key="ctc.step").click().run()
    at.button(key="ctc.step").click().run()
    run_until(at, lambda a: a.session_state["ctc.exp"].steps == 2, what="two steps")
    raw = ui_export._checkpoint(at.session_state["ctc.exp"], CTC_EXPORT)
    at.button(key="ctc.reset").click().run()
    at.session_state["ctc.w.hidden_size"] = 32  # another model: the checkpoint's comes back
    at.run()
    assert at.session_state["ctc.exp"].cfg.hidden_size == 32
    at.file_uploader(key="ctc.reopen.file").set_value(
        ("seqviz-ctc.pt", raw, "application/octet-stream"))
    at.run()
    assert not at.exception
    run_until(at, lambda a: a.session_state["ctc.exp"].steps == 2, what="the re-opened step")
    exp = at.session_state["ctc.exp"]
    assert exp.cfg.hidden_size == 16 and exp.cfg.symbols == 3 and exp.steps == 2
    assert "Opened the checkpoint: the model is at step 2, paused" in texts(at)
    assert not at.session_state["ctc.playing"]


def test_sequence_tasks_page_offers_the_card_script_and_model():
    at = run_page("pages/8_Sequence_Tasks.py",
                  query={"train_size": "200", "hidden_size": "16", "embed_size": "8"})
    labels = _labels(at)
    assert any("Experiment card" in x for x in labels)
    assert any("PyTorch script" in x for x in labels)
    assert any("Trained model" in x for x in labels) and at.get("file_uploader")
    script = ui_export._script(at.session_state["seq.exp"])
    assert "nn.LSTM(8, 16" in script and "import seqviz" not in script


def test_reopening_a_sequence_tasks_checkpoint_restores_its_task_model_and_step_paused():
    from seqviz.seqtasks.export import EXPORT as SEQ_EXPORT

    at = run_page("pages/8_Sequence_Tasks.py",
                  query={"task": "tagging", "train_size": "200", "hidden_size": "16",
                         "embed_size": "8", "bidirectional": "1", "batch_size": "8"})
    at.button(key="seq.step").click().run()
    at.button(key="seq.step").click().run()
    run_until(at, lambda a: a.session_state["seq.exp"].steps == 2, what="two steps")
    raw = ui_export._checkpoint(at.session_state["seq.exp"], SEQ_EXPORT)
    at.button(key="seq.reset").click().run()
    at.session_state["seq.w.task"] = "sentiment"  # another task: the checkpoint's comes back
    at.session_state["seq.w.hidden_size"] = 32
    at.run()
    assert at.session_state["seq.exp"].cfg.task == "sentiment"
    at.file_uploader(key="seq.reopen.file").set_value(
        ("seqviz-seqtasks.pt", raw, "application/octet-stream"))
    at.run()
    assert not at.exception
    run_until(at, lambda a: a.session_state["seq.exp"].steps == 2, what="the re-opened step")
    exp = at.session_state["seq.exp"]
    assert exp.cfg.task == "tagging" and exp.cfg.hidden_size == 16 and exp.cfg.bidirectional
    assert "Opened the checkpoint: the model is at step 2, paused" in texts(at)
    assert not at.session_state["seq.playing"]
    at.file_uploader(key="seq.reopen.file").set_value(
        ("other.pt", b"PK\x03\x04" + b"\x00" * 300, "application/octet-stream")).run()
    assert "This is not a seqviz checkpoint" in texts(at)
    assert at.session_state["seq.exp"].steps == 2


def test_time_series_page_offers_the_card_script_and_model():
    at = run_page("pages/9_Time_Series.py",
                  query={"length": "300", "hidden_size": "8", "cell": "lstm"})
    labels = _labels(at)
    assert any("Experiment card" in x for x in labels)
    assert any("PyTorch script" in x for x in labels)
    assert any("Trained model" in x for x in labels)
    exp = at.session_state["ts.exp"]
    card = json.loads(ui_export._card(exp, ui_export.LessonExport("timeseries"), "Time series"))
    assert card["lesson"] == "timeseries" and card["config"]["cell"] == "lstm"
    script = ui_export._script(exp)
    assert "nn.LSTM(1, 8, batch_first=True)" in script and "import seqviz" not in script


def test_attention_page_offers_the_card_script_and_model():
    at = run_page("pages/5_Attention.py",
                  query={"hidden_size": "16", "embed_size": "8", "batch_size": "8"})
    labels = _labels(at)
    assert any("Experiment card" in x for x in labels)
    assert any("PyTorch script" in x for x in labels)
    assert any("Trained model" in x for x in labels)
    exp = at.session_state["att.exp"]
    card = json.loads(ui_export._card(exp, ui_export.LessonExport("attention"), "Attention"))
    assert card["lesson"] == "attention" and card["config"]["hidden_size"] == "16"
    script = ui_export._script(exp)
    assert "CELL, EMBED_SIZE, HIDDEN_SIZE, NUM_LAYERS = 'gru', 8, 16, 1" in script
    assert "import seqviz" not in script


def test_reopening_a_time_series_checkpoint_restores_its_models_and_step_paused():
    from seqviz.timeseries.export import EXPORT as TS_EXPORT

    at = run_page("pages/9_Time_Series.py", query={"length": "300", "hidden_size": "8"})
    at.button(key="ts.step").click().run()
    run_until(at, lambda a: a.session_state["ts.exp"].steps == 1, what="one step")
    raw = ui_export._checkpoint(at.session_state["ts.exp"], TS_EXPORT)
    at.button(key="ts.reset").click().run()
    at.session_state["ts.w.hidden_size"] = 16  # another model: the checkpoint's comes back
    at.run()
    at.file_uploader(key="ts.reopen.file").set_value(
        ("seqviz-timeseries.pt", raw, "application/octet-stream"))
    at.run()
    assert not at.exception
    run_until(at, lambda a: a.session_state["ts.exp"].steps == 1, what="the re-opened step")
    assert at.session_state["ts.exp"].cfg.hidden_size == 8
    assert "Opened the checkpoint: the model is at step 1, paused" in texts(at)


def test_reopening_an_attention_checkpoint_restores_its_model_and_step_paused():
    from seqviz.attention.export import EXPORT as ATT_EXPORT

    at = run_page("pages/5_Attention.py",
                  query={"hidden_size": "16", "embed_size": "8", "batch_size": "8"})
    at.button(key="att.step").click().run()
    run_until(at, lambda a: a.session_state["att.exp"].steps == 1, what="one step")
    raw = ui_export._checkpoint(at.session_state["att.exp"], ATT_EXPORT)
    at.button(key="att.reset").click().run()
    at.session_state["att.w.hidden_size"] = 32  # another model: the checkpoint's comes back
    at.run()
    assert at.session_state["att.exp"].cfg.hidden_size == 32
    at.file_uploader(key="att.reopen.file").set_value(
        ("seqviz-attention.pt", raw, "application/octet-stream"))
    at.run()
    assert not at.exception
    run_until(at, lambda a: a.session_state["att.exp"].steps == 1, what="the re-opened step")
    assert at.session_state["att.exp"].cfg.hidden_size == 16
    assert "Opened the checkpoint: the model is at step 1, paused" in texts(at)
    assert not at.session_state["att.playing"]


def test_gradient_pages_offer_the_script_and_model_of_their_runs():
    at = run_page("pages/3_Gradient_Flow.py", query={"seq_len": "10", "hidden_size": "8"})
    labels = _labels(at)
    assert any("PyTorch script" in x for x in labels)
    assert any("Trained model" in x for x in labels) and at.get("file_uploader")
    at.button(key="gf.step").click().run()
    run_until(at, lambda a: a.session_state["gf.exp"].steps == 1, what="one step")
    script = ui_export._script(at.session_state["gf.exp"])
    assert "'lstm': ('lstm', 0.003, 'none', 1.0)" in script
    assert "SEED, STEPS = 0, 1" in script
    at = run_page("pages/4_Clipping.py", query={"seq_len": "20", "hidden_size": "8"})
    assert any("PyTorch script" in x for x in _labels(at))
    script = ui_export._script(at.session_state["clip.exp"])
    assert "'with_clipping': ('rnn', 0.1, 'norm', 1.0)" in script
    assert "import seqviz" not in script


def test_embeddings_page_offers_the_word2vec_script_and_reopens_its_model():
    from seqviz.embeddings.script import EXPORT as EMB_EXPORT

    at = run_page("pages/7_Embeddings.py", query={"algorithm": "cbow", "points": "20"})
    labels = _labels(at)
    assert any("PyTorch script" in x for x in labels)
    assert any("Trained model" in x for x in labels)
    at.button(key="emb.step").click().run()
    run_until(at, lambda a: a.session_state["emb.exp"].steps == 1, what="one step")
    script = ui_export._script(at.session_state["emb.exp"])
    assert "ALGORITHM, OBJECTIVE = 'cbow', 'negative'" in script
    assert "SEED, STEPS = 0, 1" in script and "import seqviz" not in script
    raw = ui_export._checkpoint(at.session_state["emb.exp"], EMB_EXPORT)
    at.button(key="emb.step").click().run()
    run_until(at, lambda a: a.session_state["emb.exp"].steps == 2, what="two steps")
    at.file_uploader(key="emb.reopen.file").set_value(
        ("seqviz-embeddings.pt", raw, "application/octet-stream"))
    at.run()
    assert not at.exception
    run_until(at, lambda a: a.session_state["emb.exp"].steps == 1, what="the re-opened step")
    assert "Opened the checkpoint: the model is at step 1, paused" in texts(at)


def test_clipping_page_reopens_its_checkpoint_paused_at_its_step():
    from seqviz.gradients.export import CLIP_EXPORT

    query = {"seq_len": "20", "hidden_size": "8"}
    at = run_page("pages/4_Clipping.py", query=query)
    assert any("Trained model" in x for x in _labels(at))
    for _ in range(2):
        at.button(key="clip.step").click().run()
    run_until(at, lambda a: a.session_state["clip.exp"].steps == 2, what="two steps")
    raw = ui_export._checkpoint(at.session_state["clip.exp"], CLIP_EXPORT)
    at.button(key="clip.reset").click().run()
    at.session_state["clip.w.hidden_size"] = 16  # another model: the checkpoint's comes back
    at.run()
    assert at.session_state["clip.exp"].cfg.hidden_size == 16
    at.file_uploader(key="clip.reopen.file").set_value(
        ("seqviz-clipping.pt", raw, "application/octet-stream"))
    at.run()
    assert not at.exception
    run_until(at, lambda a: a.session_state["clip.exp"].steps == 2, what="the re-opened step")
    assert at.session_state["clip.exp"].cfg.hidden_size == 8
    assert "Opened the checkpoint: the model is at step 2, paused" in texts(at)
    at.file_uploader(key="clip.reopen.file").set_value(
        ("other.pt", b"PK\x03\x04" + b"\x00" * 300, "application/octet-stream")).run()
    assert "This is not a seqviz checkpoint" in texts(at)


def test_a_reopened_model_keeps_its_settings_against_the_browsers_stale_widget_values(
        monkeypatch):
    """While a fragment ticks (Embeddings' map settles after the re-open), the browser's rerun
    requests carry the widget values from before the re-open. They overwrote the checkpoint's
    settings, and the page rebuilt its old model at step 0 (browser test, 2026-12-06)."""
    from seqviz.embeddings.script import EXPORT as EMB_EXPORT

    at = run_page("pages/7_Embeddings.py", query={"points": "20", "embed_size": "16"})
    at.button(key="emb.step").click().run()
    run_until(at, lambda a: a.session_state["emb.exp"].steps == 1, what="one step")
    raw = ui_export._checkpoint(at.session_state["emb.exp"], EMB_EXPORT)
    at = run_page("pages/7_Embeddings.py", query={"points": "20", "embed_size": "8"})
    at.file_uploader(key="emb.reopen.file").set_value(
        ("seqviz-embeddings.pt", raw, "application/octet-stream"))
    at.run()
    run_until(at, lambda a: a.session_state["emb.exp"].steps == 1, what="the re-opened step")
    assert at.session_state["emb.exp"].cfg.embed_size == 16
    at.session_state["emb.w.embed_size"] = 8  # what the browser still shows, sent by a tick
    at.run()
    assert not at.exception
    assert at.session_state["emb.exp"].cfg.embed_size == 16
    assert at.session_state["emb.exp"].steps == 1
    assert "Opened the checkpoint: the model is at step 1, paused" in texts(at)
    # the user's own move within the hold is the user's: only the old value is stale
    at.select_slider(key="emb.w.embed_size").set_value(32).run()
    assert at.session_state["emb.exp"].cfg.embed_size == 32
    monkeypatch.setattr("seqviz.ui.state.FORCED_HOLD_S", 0.0)  # the hold has passed
    at.run()
    assert "emb.forced" not in at.session_state
    at.select_slider(key="emb.w.embed_size").set_value(8).run()  # now 8 is a choice too
    assert at.session_state["emb.exp"].cfg.embed_size == 8
