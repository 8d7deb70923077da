"""AppTest for the beam-search page."""

import pytest

from seqviz.config import LMConfig
from seqviz.data import build_text_data, load_corpus
from seqviz.lm_experiment import LMExperiment
from tests.apptest_utils import figures, run_page, texts

PAGE = "pages/6_Beam_Search.py"


@pytest.fixture(scope="module")
def live_lm():
    exp = LMExperiment.build(LMConfig(corpus="grammar", level="word", hidden_size=32,
                                      embed_size=16), build_text_data(load_corpus("grammar"), "word"))
    exp.trainer.step(60)
    return exp


def test_live_lm_tree_and_tables(live_lm):
    at = run_page(PAGE, query={"source": "live_lm", "text": "the king", "beam_width": "4"},
                  session={"lm.exp": live_lm})
    fig = figures(at)[0]
    names = {t.get("name") for t in fig["data"]}
    assert {"kept in the beam", "pruned", "greedy path"} <= names
    assert "B = 4" in fig["layout"]["title"]["text"]
    assert "Final hypotheses" in texts(at)
    assert len(at.dataframe) >= 3


def test_width_one_tree_has_greedy_equal_best(live_lm):
    at = run_page(PAGE, query={"source": "live_lm", "beam_width": "1"},
                  session={"lm.exp": live_lm})
    df = at.dataframe[2].value  # greedy and sample
    best = at.dataframe[0].value
    assert df.iloc[0]["output"] == best.iloc[0]["output"]


def test_error_analysis_and_tally(live_lm):
    at = run_page(PAGE, query={"source": "live_lm", "text": "the queen",
                               "reference": "rules the castle ."}, session={"lm.exp": live_lm})
    verdict = next(m for m in at.metric if m.label == "Verdict").value
    assert verdict in ("correct", "search error", "model error")
    at.selectbox(key="beam.tally_n").set_value(20)
    at.button(key="beam.tally_go").click().run()
    assert not at.exception
    tally = figures(at)[-1]
    totals = [sum(v for v in col) for col in zip(*[t["y"] for t in tally["data"]])]
    assert totals and all(t == 20 for t in totals)


def test_extremes_and_bad_params(live_lm):
    at = run_page(PAGE, query={"source": "nonexistent", "beam_width": "99", "max_len": "1",
                               "text": "zzzz qqqq"}, session={"lm.exp": live_lm})
    warn = " ".join(w.value for w in at.warning)
    assert "beam_width" in warn and "not available" in warn and "<unk>" in warn
    fig = figures(at)[0]
    xs = [x for t in fig["data"] for x in (t.get("x") or []) if x is not None]
    assert max(xs) <= 1  # max_len 1: one output position


def test_no_model_at_all_says_so(monkeypatch):
    import seqviz.ui.beam_sources as sources

    monkeypatch.setattr(sources, "list_pretrained", lambda kind: [])
    at = run_page(PAGE)
    assert "No model to decode with" in texts(at)


def test_bundled_seq2seq_decodes_a_test_example():
    at = run_page(PAGE, query={"source": "seq2seq_reverse", "beam_width": "5"})
    src, ref = [t.value for t in at.text_input]
    assert src and ref
    verdict = next(m for m in at.metric if m.label == "Verdict").value
    assert verdict == "correct"  # the bundled reversal model gets its own test example right
    fig = figures(at)[0]
    assert any(t.get("name") == "finished (end token)" for t in fig["data"])


def test_seq2seq_unknown_characters_and_empty_input():
    at = run_page(PAGE, query={"source": "seq2seq_dates", "text": "☃☃ May 1979"})
    assert "<unk>" in " ".join(w.value for w in at.warning)
    at.text_input[0].set_value("").run()
    assert not at.exception
    assert "empty" in texts(at)


def test_live_seq2seq_from_the_attention_page():
    from seqviz.s2s_experiment import S2SConfig, S2SExperiment

    exp = S2SExperiment.build(S2SConfig(task="reverse", min_len=3, max_len=6, hidden_size=16,
                                        embed_size=8))
    exp.trainer.step(20)
    at = run_page(PAGE, query={"source": "live_s2s", "beam_width": "3"},
                  session={"att.exp": exp})
    assert at.session_state["beam.config"].source == "live_s2s"
    src, _ = [t.value for t in at.text_input]
    assert src in [s for s, _ in exp.data.test]  # a held-out example of the live task
    assert figures(at)[0]["layout"]["title"]["text"].startswith("Search tree")
