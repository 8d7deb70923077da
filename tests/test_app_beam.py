"""AppTest for the beam-search page."""

import re

import pytest

from seqviz.lm.config import LMConfig
from tests.apptest_utils import figures, markdown_tables, run_page, texts
from tests.live_helpers import live_lm as open_live_lm

PAGE = "pages/6_Beam_Search.py"


@pytest.fixture(scope="module")
def live_lm():
    return open_live_lm(LMConfig(corpus="grammar", level="word", hidden_size=32,
                                 embed_size=16), steps=60)


def test_live_lm_tree_and_tables(live_lm):
    at = run_page(PAGE, query={"source": "live_lm", "text": "the king", "beam_width": "4"},
                  session={"lm.exp": live_lm})
    fig = figures(at)[0]
    names = {t.get("name") for t in fig["data"]}
    assert {"kept in the beam", "pruned", "greedy path"} <= names
    assert "B = 4" in fig["layout"]["title"]["text"]
    assert "Final hypotheses" in texts(at)
    tables = markdown_tables(at)
    assert len(tables) == 2  # the finals; greedy and sampling
    assert len(tables[0]) == 4  # B = 4 finals
    assert [r["rank"] for r in tables[0]] == ["1", "2", "3", "4"]
    assert all(re.fullmatch(r"-\d+\.\d{3}", r["log P"]) for r in tables[0])  # 3 decimals


def test_width_one_tree_has_greedy_equal_best(live_lm):
    at = run_page(PAGE, query={"source": "live_lm", "beam_width": "1"},
                  session={"lm.exp": live_lm})
    best, others = markdown_tables(at)  # the finals; greedy and sample
    assert others[0]["output"] == best[0]["output"]


def test_error_analysis_and_tally(live_lm):
    at = run_page(PAGE, query={"source": "live_lm", "text": "the queen",
                               "reference": "rules the castle ."}, session={"lm.exp": live_lm})
    verdict = next(m for m in at.metric if m.label == "Verdict").value
    assert verdict in ("correct", "search error", "model error")
    at.selectbox(key="beam.tally_n").set_value(20)
    at.button(key="beam.tally_go").click().run()
    assert not at.exception
    outcomes, conventions = figures(at)[-2:]
    for chart in (outcomes, conventions):
        totals = [sum(v for v in col) for col in zip(*[t["y"] for t in chart["data"]])]
        assert totals and all(t == 20 for t in totals)
    assert "over 20 examples: the refilled beam" in texts(at)


def test_extremes_and_bad_params(live_lm):
    at = run_page(PAGE, query={"source": "nonexistent", "beam_width": "99", "max_len": "1",
                               "text": "zzzz qqqq"}, session={"lm.exp": live_lm})
    warn = " ".join(w.value for w in at.warning)
    assert "beam_width" in warn and "not available" in warn and "<unk>" in warn
    fig = figures(at)[0]
    xs = [x for t in fig["data"] for x in (t.get("x") or []) if x is not None]
    assert max(xs) <= 1  # max_len 1: one output position


def test_no_model_at_all_says_so(monkeypatch):
    import seqviz.ui.decoding.sources as sources

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


def test_a_reference_the_model_cannot_spell_is_flagged():
    """A reference of tokens outside the output vocabulary is read as <unk>: the page says so
    above the verdict (it was scored and called a model error without a word), for the live LM
    and a bundled seq2seq model alike."""
    for query in ({"source": "seq2seq_dates", "text": "1 May 1979", "reference": "☃☃"},
                  {"text": "abc", "reference": "☃☃☃"}):
        at = run_page(PAGE, query=query)
        said = " ".join(w.value for w in at.warning)
        assert "reference token" in said and "<unk>" in said, (query, said)
        at.text_input[1].set_value("").run()
        assert "reference token" not in " ".join(w.value for w in at.warning)


def test_live_seq2seq_from_the_attention_page():
    from seqviz.attention.experiment import S2SConfig, task_spec
    from seqviz.attention.live import LiveS2S, task_data
    from seqviz.engine.pool import shared_engine

    cfg = S2SConfig(task="reverse", min_len=3, max_len=6, hidden_size=16, embed_size=8)
    live = LiveS2S.open(shared_engine(), cfg, task_data(task_spec(cfg)))
    live.handle.wait(timeout=120)
    live.step(20)  # what the Attention page keeps in "att.exp"
    # step() waits STEP_WAIT (5 s) at most and then returns the snapshot it has: on a loaded
    # machine (load average 16-19 on 2 cores here) that can still be step 0, so wait for step 20
    assert live.handle.wait(lambda s: s.step == 20, timeout=120).step == 20
    at = run_page(PAGE, query={"source": "live_s2s", "beam_width": "3"},
                  session={"att.exp": live})
    assert at.session_state["beam.config"].source == "live_s2s"
    src, _ = [t.value for t in at.text_input]
    assert src in [s for s, _ in live.data.test]  # a held-out example of the live task
    assert figures(at)[0]["layout"]["title"]["text"].startswith("Search tree")
    model = live.model()  # a weights copy of step 20, fetched once and kept while paused
    assert live.model() is model and not model.training


def test_default_page_shows_a_search_error_that_b2_fixes():
    """Opened without a link: the reversal demo. The chart of every width shows greedy search's
    search error and B = 2 fixing it; the tree (B = 3) returns the true reversal."""
    at = run_page(PAGE)
    assert at.session_state["beam.config"].source == "seq2seq_reverse"
    sweep = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("Best final"))
    by_name = {t.get("name"): t["x"] for t in sweep["data"] if t.get("name")}
    assert by_name["search error"] == [1] and by_name["correct"] == list(range(2, 11))
    assert "B = 2 is the narrowest beam" in texts(at)
    assert markdown_tables(at)[0][0]["output"] == "43594726863"
    assert markdown_tables(at)[1][0]["output"] == "43594726836"  # greedy's wrong reversal


def test_the_finished_convention_control():
    # the prompt of lecture step 4, where the two conventions differ on the retrained lm_prose
    query = {"source": "lm_prose", "text": "(see section ", "beam_width": "2",
             "finished": "keep"}
    at = run_page(PAGE, query=query)
    assert "the beam refills" in figures(at)[0]["layout"]["title"]["text"]
    assert markdown_tables(at)[0][0]["output"] == "These methods are"
    at.selectbox(key="beam.w.finished").set_value("shrink").run()
    assert not at.exception
    assert "the beam shrinks" in figures(at)[0]["layout"]["title"]["text"]
    assert markdown_tables(at)[0][0]["output"] == "The"
    assert at.query_params["finished"] == "shrink"


def test_a_bad_convention_in_the_link_falls_back_with_a_notice():
    at = run_page(PAGE, query={"finished": "sometimes"})
    assert "Ignored URL parameter finished='sometimes'" in " ".join(w.value for w in at.warning)
    assert at.session_state["beam.config"].finished == "shrink"


def test_each_lecture_step_sets_up_its_page():
    from seqviz.decoding.lecture import STEPS

    for i, step in enumerate(STEPS, 1):
        at = run_page(PAGE, query=dict(step.params))
        assert f"Step {i} of {len(STEPS)}" in texts(at)
        answer = next(e for e in at.expander if e.label.startswith("Answer"))
        assert step.answer in " ".join(m.value for m in answer.markdown)
        cfg = at.session_state["beam.config"]
        assert all(str(getattr(cfg, k)) == v for k, v in step.params.items())


def test_a_lecture_step_stays_on_while_the_class_moves_its_slider():
    from seqviz.decoding.lecture import STEPS

    at = run_page(PAGE, query=dict(STEPS[0].params))  # B = 1; "then move B to 2"
    assert "Step 1 of 4" in texts(at)
    at.select_slider(key="beam.w.beam_width").set_value(2).run()
    assert not at.exception
    assert "Step 1 of 4" in texts(at)  # still step 1 at B = 2
    assert markdown_tables(at)[0][0]["output"] == "43594726863"
    at.selectbox(key="beam.w.source").set_value("lm_prose").run()
    assert "Step 1 of 4" not in texts(at)  # another model: the step is over


def test_the_sample_is_drawn_once_per_setting_not_on_every_rerun(live_lm, monkeypatch):
    """Sampling decodes up to the maximum length token by token (~10 ms); a rerun that changes
    nothing it depends on shows the same sample without decoding it again."""
    from seqviz.decoding.problem import SearchProblem

    calls = []
    real = SearchProblem.sample
    monkeypatch.setattr(SearchProblem, "sample",
                        lambda self, *a, **k: calls.append(a) or real(self, *a, **k))
    at = run_page(PAGE, query={"source": "live_lm", "text": "the king"},
                  session={"lm.exp": live_lm})
    shown = markdown_tables(at)[1][1]["output"]
    assert len(calls) == 1
    at.run()
    at.slider(key="beam.w.temperature").set_value(0.5).run()
    assert not at.exception
    assert len(calls) == 2 and calls[-1][1] == 0.5  # a new temperature: drawn again
    at.slider(key="beam.w.temperature").set_value(1.0).run()
    assert len(calls) == 3
    assert markdown_tables(at)[1][1]["output"] == shown  # the same seed, the same sample
