"""AppTest for the hidden-states page: bundled checkpoints, a live model, bad input."""

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from seqviz.checkpoint import list_pretrained
from seqviz.i18n import use_language
from seqviz.lm.config import LMConfig
from tests.apptest_utils import TIMEOUT, figures, run_page, run_until, texts
from tests.live_helpers import live_lm

PAGE = "pages/2_Hidden_States.py"
pytestmark = pytest.mark.skipif(
    not {"lm_python", "lm_prose"} <= set(list_pretrained("lm")),
    reason="bundled checkpoints missing: run scripts/train_pretrained.py")


def _heatmap(at) -> dict:
    return next(f for f in figures(at) if f["data"][0]["type"] == "heatmap")


def _open(at, tab: str):
    """Open a tab (the page draws only the open one; a click sets its label, like this)."""
    at.session_state["hs.tab"] = tab
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _array(data) -> np.ndarray:
    """A figure array, stored as a list or as base64 numpy {"dtype", "bdata", "shape"}."""
    if isinstance(data, dict):
        import base64

        flat = np.frombuffer(base64.b64decode(data["bdata"]), dtype=np.dtype(data["dtype"]))
        return flat.reshape([int(v) for v in str(data["shape"]).split(",")])
    return np.asarray(data)


def _z_shape(trace: dict) -> tuple[int, int]:
    return _array(trace["z"]).shape


def _html(at) -> list[str]:
    return [el.proto.body for el in at.get("html")]


def test_bundled_python_lstm_by_default_without_a_live_model():
    at = run_page(PAGE)
    text = texts(at)
    assert "No language model has been trained in this browser session" in text
    assert any("Language model" in el.proto.label for el in at.get("page_link"))
    assert "LSTM, 2 layers × 128 units" in text and "trained on **Python source code**" in text
    heat = _heatmap(at)
    trace = at.session_state["hs.trace"][1]
    hidden = trace.layers[0].hidden  # (T, H)
    z = _array(heat["data"][0]["z"])
    assert z.shape == (128, trace.num_steps) and trace.num_steps > 20
    order = np.argsort(-hidden.var(axis=0), kind="stable")  # ordered by variance
    np.testing.assert_allclose(z, hidden[:, order].T, rtol=1e-6)
    assert heat["data"][0]["zmid"] == 0
    assert [f["data"][0]["type"] for f in figures(at)] == ["heatmap"]  # only the open tab
    html = _html(at)
    assert any("seqviz-text" in h and "background:rgb" in h for h in html)
    assert "Gates of unit" not in text and len(at.get("latex")) == 0
    kinds = {"heatmap"}
    for tab, count in (("Gates", 1), ("Neuron finder", 0), ("Trajectory", 1),
                       ("Predictions", 2)):
        shown = figures(_open(at, tab))
        assert len(shown) == count, (tab, len(shown))
        kinds |= {f["data"][0]["type"] for f in shown}
        if tab == "Gates":
            assert "Gates of unit" in texts(at) and "Forget gate" in texts(at)
            assert len(at.get("latex")) == 6  # i, f, g, o, c, h
        if tab == "Predictions":
            assert "5-gram (Kneser-Ney)" in texts(at) and "mean surprisal" in texts(at)
    assert {"heatmap", "scatter", "bar"} <= kinds
    assert at.query_params["source"] in (["live"], "live")


def test_a_unit_chosen_on_the_first_tab_is_kept_while_other_tabs_are_open():
    """A closed tab's widgets are not drawn; their values must outlive a visit elsewhere."""
    at = run_page(PAGE, query={"source": "lm_python"})
    at.number_input(key="hs.w.unit").set_value(7).run()
    _open(at, "Neuron finder")
    at.number_input(key="hs.w.match_units").set_value(3).run()
    _open(at, "Gates")
    assert "Gates of unit 7 (LSTM, layer 1)" in texts(at)
    _open(at, "Trajectory")
    at.run()  # a second run with neither widget drawn
    _open(at, "Neuron finder")
    assert at.number_input(key="hs.w.match_units").value == 3
    _open(at, "Heatmap and neuron")
    assert at.number_input(key="hs.w.unit").value == 7
    assert "Neuron view: unit 7, layer 1" in texts(at)
    assert at.query_params["unit"] in (["7"], "7")


def _drawn_tab(at) -> str:
    return at.session_state["hs.tab.drawn"][0]


def test_a_link_opens_its_tab_and_the_language_switch_keeps_the_open_tab():
    """``tab=`` in a link (a lecture step's) opens that tab; a click is written to the URL (share
    links reopen it); switching language keeps it, though its label changes."""
    at = run_page(PAGE, query={"source": "lm_python", "tab": "trajectory"})
    assert _drawn_tab(at) == "trajectory" and at.session_state["hs.tab"] == "Trajectory"
    assert any("trajectory" in f["layout"]["title"]["text"].lower() for f in figures(at))
    _open(at, "Gates")
    assert _drawn_tab(at) == "gates" and at.query_params["tab"] in (["gates"], "gates")
    at.radio(key="display.w.lang").set_value("zh").run()
    assert not at.exception and _drawn_tab(at) == "gates"
    assert at.session_state["hs.tab"] == "门控"
    assert at.query_params["tab"] in (["gates"], "gates")
    with use_language("zh"):  # the test's widgets format their values as the page now does
        _open(at, "预测")  # a click in Chinese
        assert _drawn_tab(at) == "predictions"
        at.radio(key="display.w.lang").set_value("en").run()
    assert not at.exception
    assert _drawn_tab(at) == "predictions" and at.session_state["hs.tab"] == "Predictions"


def test_pick_a_unit_layer_cell_state_and_a_notable_unit():
    at = run_page(PAGE, query={"source": "lm_python"})
    at.number_input(key="hs.w.unit").set_value(7).run()
    assert not at.exception
    assert "Neuron view: unit 7, layer 1" in texts(at)
    at.selectbox(key="hs.w.layer").set_value(1).run()
    at.radio(key="hs.w.state").set_value("cell").run()
    assert not at.exception
    assert "Neuron view: unit 7, layer 2" in texts(at)
    heat = _heatmap(at)
    assert "cell state tanh(c_t)" in heat["layout"]["title"]["text"]
    assert at.query_params["unit"] in (["7"], "7")
    assert at.query_params["state"] in (["cell"], "cell")
    trace = at.session_state["hs.trace"][1]
    shown = np.tanh(trace.layers[1].cell)  # (T, H), what the heatmap and neuron view colour
    assert "unit 7, tanh(c_t)" in "".join(_html(at))
    assert heat["data"][0]["zmax"] == pytest.approx(float(np.percentile(np.abs(shown), 99.5)))
    # a unit recorded by scripts/train_pretrained.py: its button jumps to layer, state, unit
    from seqviz.checkpoint import load_lm, pretrained_path

    from seqviz.hidden.units import MIN_R

    recorded = load_lm(pretrained_path("lm_python"))[3]["neurons"]
    notable = next(n for n in recorded if abs(n["r"]) >= MIN_R)  # weaker ones are not offered
    assert all(f"hs.notable.{n['feature']}" not in [b.key for b in at.button]
               for n in recorded if abs(n["r"]) < MIN_R)
    at.button(key=f"hs.notable.{notable['feature']}").click().run()
    assert not at.exception
    assert at.session_state["hs.w.unit"] == notable["unit"]
    assert at.session_state["hs.w.layer"] == notable["layer"]
    assert f"Neuron view: unit {notable['unit']}, layer {notable['layer'] + 1}" in texts(at)


def test_prose_gru_with_relevance_order_and_typed_span():
    at = run_page(PAGE, query={"source": "lm_prose", "order": "relevance"})
    _open(at, "Gates")
    assert "GRU" in texts(at) and "Update gate" in texts(at)
    assert len(at.get("latex")) == 4
    _open(at, "Neuron finder")
    at.text_input(key="hs.find").input("while").run()
    assert not at.exception
    assert at.session_state["hs.w.start"] == 5 and at.session_state["hs.w.end"] == 10
    assert "Selected tokens 5–9" in texts(at)
    at.text_input(key="hs.find").input("zebra").run()
    assert "does not occur in the probe text" in texts(at)


def test_validation_passage_and_settings_that_do_not_fit():
    at = run_page(PAGE, query={"source": "lm_prose", "probe": "validation", "passage": "100000",
                               "layer": "5", "state": "cell", "unit": "4000"})
    text = texts(at)
    assert "Layer 6 does not exist" in text and "has no cell state" in text
    assert "Unit 4000 does not exist" in text and "does not exist; there are" in text
    assert _z_shape(_heatmap(at)["data"][0]) == (256, 400)  # lm_prose: 2 layers of 256 units


def test_unknown_characters_long_and_empty_text():
    at = run_page(PAGE, query={"source": "lm_python"})
    at.text_area(key="hs.text_area").input("x = '€' " * 80).run()
    assert not at.exception
    text = texts(at)
    assert "not in the model's vocabulary" in text
    assert "the views show the first 500" in text
    assert any("dashed" in h and "read as &lt;unk&gt;" in h for h in _html(at))
    at.text_area(key="hs.text_area").input("d").run()  # one token: no span to drag, no next token
    assert not at.exception and "Neuron view" in texts(at)
    for tab in ("Gates", "Neuron finder", "Trajectory"):  # every tab copes with one token
        assert figures(_open(at, tab)) or tab == "Neuron finder"
    assert "last token: nothing follows it" in texts(_open(at, "Predictions"))
    at.text_area(key="hs.text_area").input("").run()
    assert not at.exception
    assert "The probe text is empty" in texts(at)
    assert not figures(at)


def test_bad_url_values_fall_back_with_a_notice():
    at = run_page(PAGE, query={"source": "nonsense", "order": "random", "start": "9", "end": "3"})
    text = texts(at)
    assert "Ignored URL parameter source" in text and "Ignored URL parameter order" in text
    assert "does not fit this" in text


def test_a_model_whose_corpus_is_unknown(monkeypatch):
    """An uploaded checkpoint without a built-in corpus: no passages, n-gram or corpus search,
    each said on the page; the probe text still works."""
    import seqviz.ui.hidden.sources as sources

    monkeypatch.setattr(sources, "corpus_data", lambda corpus, vocab, level: None)
    at = run_page(PAGE, query={"source": "lm_prose", "probe": "validation"})
    assert "it has no validation passages" in texts(at)
    count = len(figures(at))
    for tab, said in (("Neuron finder", "no corpus to search"),
                      ("Predictions", "No n-gram baseline"),
                      ("Trajectory", "fitted on the probe text alone"), ("Gates", "")):
        assert said in texts(_open(at, tab)), tab
        count += len(figures(at))
    assert count == 5


@pytest.fixture(scope="module")
def live_exp():
    cfg = LMConfig(corpus="grammar", level="word", cell="gru", hidden_size=24, embed_size=8,
                   seq_len=16, batch_size=8)
    return live_lm(cfg)


def _shown_step(at) -> int:
    found = re.search(r"Live model at training step ([\d,]+)", texts(at))
    return int(found.group(1).replace(",", "")) if found else -1


def test_live_model_is_traced_and_keeps_training_here(live_exp):
    at = run_page(PAGE, session={"lm.exp": live_exp})
    text = texts(at)
    assert "No language model" not in text and "GRU, 1 layer × 24 units, word-level" in text
    assert _shown_step(at) == 0
    assert _z_shape(_heatmap(at)["data"][0])[0] == 24
    at.toggle(key="hs.train").set_value(True).run()
    assert not at.exception
    run_until(at, lambda a: _shown_step(a) > 0, what="the live model training while watched")
    shown = _shown_step(at)
    assert "training and retracing" in texts(at)
    assert at.session_state["hs.trace"][0][0].endswith(f":{shown}")  # traced at that step
    at.toggle(key="hs.train").set_value(False).run()
    assert not at.session_state["lm.playing"]


def test_a_live_feed_forward_lm_says_there_is_no_state_and_shows_a_bundled_model():
    cfg = LMConfig(corpus="grammar", level="word", cell="ff", window=2, hidden_size=16,
                   embed_size=8, seq_len=16, batch_size=8)
    at = run_page(PAGE, session={"lm.exp": live_lm(cfg)})
    assert not at.exception
    text = texts(at)
    assert "training a feed-forward LM" in text and "nothing here to trace" in text
    assert figures(at)  # the bundled model instead


def test_live_divergence_stops_training_here_with_a_message():
    cfg = LMConfig(corpus="grammar", level="word", cell="rnn", hidden_size=16, embed_size=8,
                   seq_len=16, batch_size=8, optimizer="sgd", lr=1000.0, clip="none")
    exp = live_lm(cfg)
    at = run_page(PAGE, session={"lm.exp": exp, "hs.train": True})
    run_until(at, lambda a: a.session_state["hs.train"] is False, what="the divergence stop")
    assert exp.view.divergence is not None, "the absurd learning rate should blow up at once"
    assert "Training diverged" in texts(at)
    assert "Neuron view" in texts(at)  # the restored weights are still traced


def test_uploaded_garbage_checkpoint_gives_a_message():
    def app():
        import streamlit as st

        from seqviz.checkpoint import CheckpointError
        from seqviz.ui.hidden.sources import upload_source

        try:
            upload_source(b"definitely not a checkpoint")
        except CheckpointError as err:
            st.error(str(err))

    at = AppTest.from_function(app, default_timeout=TIMEOUT).run()
    assert not at.exception and "not a seqviz checkpoint" in at.error[0].value


def test_uploaded_checkpoint_is_usable():
    def app():
        import streamlit as st

        from seqviz.checkpoint import pretrained_path
        from seqviz.ui.hidden.sources import upload_source

        src = upload_source(pretrained_path("lm_prose").read_bytes())
        st.write(src.describe())
        st.write(f"has corpus: {src.data is not None}")

    at = AppTest.from_function(app, default_timeout=TIMEOUT).run()
    assert not at.exception and "GRU" in at.markdown[0].value
    assert at.markdown[1].value == "has corpus: True"  # prose: passages, n-gram, finder


def test_untrusted_metadata_of_an_upload_is_ignored():
    def app():
        import io

        import streamlit as st

        from seqviz.checkpoint import load_lm, pretrained_path, save_lm
        from seqviz.ui.hidden.sources import ngram_for, upload_source
        from seqviz.ui.hidden.views import notable_units

        model, vocab, level, meta = load_lm(pretrained_path("lm_prose"))
        meta.update(steps="many", val_perplexity=float("nan"), ngram_order=99,
                    ngram_perplexity={"x": "y"},
                    neurons=[{"feature": "ok", "layer": 0, "state": "hidden", "unit": 3, "r": 0.7},
                             {"feature": "weak", "layer": 0, "state": "hidden", "unit": 3,
                              "r": -0.3},
                             {"feature": "no unit"}, {"feature": "too big", "layer": 7,
                                                      "state": "hidden", "unit": 0, "r": 1}, 5])
        buf = io.BytesIO()
        save_lm(buf, model, vocab, level, meta)
        src = upload_source(buf.getvalue())
        st.write(src.describe())
        st.write(str([n["feature"] for n in notable_units(src)]))
        st.write(f"order {ngram_for(src).order}")

    at = AppTest.from_function(app, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "GRU" in at.markdown[0].value and "steps" not in at.markdown[0].value
    assert at.markdown[1].value == "['ok']" and at.markdown[2].value == "order 5"


def test_upload_that_torch_cannot_build_is_reported_not_raised():
    """A checkpoint whose spec names an unknown cell is refused by the spec bounds, before any
    model is built; the page says which cell and which are known, and falls back to the bundled
    model."""
    def app():
        import io
        from types import SimpleNamespace

        import streamlit as st
        import torch

        from seqviz.checkpoint import load_checkpoint, pretrained_path
        from seqviz.ui.hidden import panel

        payload = load_checkpoint(pretrained_path("lm_prose"), "lm")
        payload["spec"]["cell"] = "transformer"
        buf = io.BytesIO()
        torch.save(payload, buf)
        upload = SimpleNamespace(getvalue=buf.getvalue)
        st.session_state["hs.w.source"] = "upload"
        st.sidebar.file_uploader = lambda *a, **k: upload  # what the user picked
        try:
            src = panel.resolve_source("hs")
        finally:  # st.sidebar is a process-wide object: never leak the stub to other tests
            del st.sidebar.file_uploader
        st.write(f"showing {src.key}")

    at = AppTest.from_function(app, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    error = at.error[0].value
    assert "cannot be used" in error and "cell 'transformer' is not one of rnn, gru, lstm" in error
    assert at.markdown[0].value == "showing ckpt:lm_python"


def test_a_chinese_model_is_probed_with_chinese_text():
    """The live model trained on the Chinese grammar gets a Chinese probe text, every token in
    its vocabulary (not the English example read as 70 <unk>)."""
    from seqviz.hidden.probes import EXAMPLES

    exp = live_lm(LMConfig(corpus="grammar_zh", level="char", cell="gru", hidden_size=16,
                           embed_size=8, seq_len=16, batch_size=8))
    at = run_page(PAGE, session={"lm.exp": exp})
    assert at.text_area(key="hs.text_area").value == EXAMPLES["grammar_zh"]
    assert "not in the model's vocabulary" not in texts(at)
    assert not at.session_state["hs.trace"] is None


def test_chinese_page_opens_the_chinese_model():
    from seqviz.i18n import use_language

    with use_language("zh"):
        at = run_page(PAGE, query={"lang": "zh"})
        text = texts(at)
    assert "在中文句子上训练的 LSTM" in text and "玩具文法（中文）" in text
    assert "国王" in at.text_area(key="hs.text_area").value
    assert "不在模型的词表中" not in text


def test_an_unknown_corpus_model_is_probed_with_its_own_text():
    """No built-in example for its corpus and no probe in its metadata: the start of its own
    validation text; without even that, the built-in example its vocabulary covers best."""
    import torch

    from seqviz.data import TextData, Vocab
    from seqviz.models.lm import LMSpec, build_lm
    from seqviz.ui.hidden.sources import Source

    vocab = Vocab(["<unk>"] + list("她是一个聪明的王后。\n"))
    model = build_lm(LMSpec(vocab_size=len(vocab), hidden_size=4, embed_size=2), seed=0)
    ids = torch.tensor(vocab.encode(list("她是一个聪明的王后。\n" * 30)))
    data = TextData("char", vocab, ids[:200], ids[200:])
    assert Source("x", "x", model, vocab, "char", data, {}).example().startswith(
        "她是一个聪明的王后。")
    english = Source("x", "x", model, vocab, "char", None, {"probe": "an English probe"})
    assert "国王" in english.example()  # the checkpoint's probe is English: not used


def test_a_lecture_step_link_sets_the_page_up_and_shows_its_answer():
    """Opening step 3's link: the Chinese model, the step's text, the prediction at position 17
    (right after 她是一个聪明的), and the step's answer in the lecture panel."""
    from seqviz.hidden.lecture import STEPS

    step = STEPS[2]
    at = run_page(PAGE, query=dict(step.params))
    assert at.text_area(key="hs.text_area").value == step.params["text"]
    assert any(step.answer in el.value for el in at.success)
    assert sum(step.answer in el.value for el in at.success) == 1  # only the current step's
    assert _drawn_tab(at) == "predictions"  # the step's link opens the tab it talks about
    topk = next(f for f in figures(at)
                if "Next-token prediction" in f["layout"]["title"]["text"])
    assert "她是一个聪明的" in topk["layout"]["title"]["text"]
    assert [el.value for el in at.caption if "Ask the class first" in el.value]  # other steps
