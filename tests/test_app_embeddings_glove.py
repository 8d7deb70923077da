"""AppTest for the embeddings page's GloVe section and debiasing panel, in English and Chinese."""

from __future__ import annotations

from seqviz.i18n import use_language
from tests.apptest_utils import figures, run_page, run_until, texts, trace_len

PAGE = "pages/7_Embeddings.py"


def _titled(at, start):
    return [f for f in figures(at) if f["layout"]["title"]["text"].startswith(start)]


def _open(at, tab: str):
    """Open a tab under the map (the page draws only the open one), as a click would."""
    at.session_state["emb.tab"] = tab
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _drawn(at):
    """The GloVe tab drawn (its three charts beside the map's three), then the debiasing tab
    on GloVe's vectors."""
    assert "emb.glove.exp" not in at.session_state  # not opened before its tab is
    run_until(_open(at, "GloVe beside word2vec"), lambda a: len(figures(a)) >= 6, timeout=180,
              what="the GloVe tab")
    return run_until(_open(at, "Debiasing"), lambda a: _titled(a, "Projection on the bias "
                                                                 "direction"),
                     timeout=180, what="the debiasing tab")


def _glove(at):
    return at.session_state["emb.glove.exp"]


def test_glove_trains_beside_word2vec_and_debiasing_runs_on_its_vectors():
    at = _open(run_page(PAGE), "GloVe beside word2vec")
    assert at.query_params["tab"] in (["glove"], "glove")  # the run that opened it: a link
    run_until(at, lambda a: len(figures(a)) >= 6, timeout=180, what="the GloVe tab")
    for fig in figures(at):
        assert fig["layout"]["title"]["text"] and fig["layout"]["xaxis"]["title"]["text"]
    assert _glove(at).steps == 300 and _glove(at).corpus is at.session_state["emb.exp"].corpus
    loss = _titled(at, "GloVe loss")[0]
    assert trace_len(loss["data"][0]) == 300
    acc = _titled(at, "Analogy accuracy: word2vec and GloVe")[0]
    assert [t["name"] for t in acc["data"]] == ["word2vec", "GloVe"]
    weighting = _titled(at, "GloVe's weighting")[0]
    assert [t["name"] for t in weighting["data"]][1:] == ["x_max = 100", "slope α = 0.75 (log-log)"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Nonzero counts"] == "5,408" and metrics["GloVe analogy accuracy"] != "–"
    text = texts(at)
    assert "| GloVe |" in text and "| word2vec |" in text  # neighbours of both
    run_until(_open(at, "Debiasing"), lambda a: _titled(a, "Projection on the bias direction"),
              timeout=180, what="the debiasing tab")
    text = texts(at)
    assert "| analogies | before | after |" in text and not at.table  # markdown, not Arrow
    # debiasing: GloVe's vectors at step 300 by default; neutral words end at 0
    proj = _titled(at, "Projection on the bias direction")[0]
    before, after = proj["data"]
    assert after["name"] == "after neutralise and equalise"
    assert "he ⚥" in before["y"] and "she ⚥" in before["y"]
    assert "Analogy he : x :: she : ? before and after" in text
    at.button(key="emb.play").click().run()  # GloVe plays with word2vec (any tab open)
    run_until(at, lambda a: _glove(a).steps > 400, what="GloVe training with word2vec")
    at.button(key="emb.play").click().run()
    assert not at.session_state["emb.playing"]
    run_until(at, lambda a: not _glove(a).handle.playing, what="GloVe pausing with word2vec")
    old = _glove(at)
    _open(at, "GloVe beside word2vec")
    at.button(key="emb.glove.reset").click().run()
    assert not at.exception and _glove(at) is not old
    run_until(at, lambda a: _glove(a).steps == 300, what="the reset GloVe run")
    _open(at, "Debiasing")
    at.radio(key="emb.db.vectors").set_value("word2vec").run()
    assert not at.exception and "word2vec at step " in texts(at)
    at.multiselect(key="emb.db.pairs.grammar").set_value([]).run()
    assert "Choose at least one definitional pair." in [w.value for w in at.warning]


def test_glove_rebuilds_with_the_model_settings():
    at = _drawn(run_page(PAGE))
    old = _glove(at)
    at.select_slider(key="emb.w.embed_size").set_value(8).run()
    assert not at.exception and _glove(at) is not old
    run_until(at, lambda a: _glove(a).snapshot() is not None, what="the new GloVe run")
    assert _glove(at).vectors().shape == (174, 8)


def test_chinese_glove_and_debiasing():
    with use_language("zh"):
        at = run_page(PAGE, query={"lang": "zh"})
        # the debiasing tab first: it opens the GloVe run it works on
        run_until(_open(at, "去偏见"), lambda a: _titled(a, "在偏见方向 g 上的投影"),
                  timeout=180, what="the debiasing tab")
        assert _glove(at).cfg.corpus == "grammar_zh"
        proj = _titled(at, "在偏见方向 g 上的投影")[0]
        assert "他 ⚥" in proj["data"][0]["y"] and "去偏见" in texts(at)
        run_until(_open(at, "GloVe 与 word2vec 并排"), lambda a: _titled(a, "GloVe 损失"),
                  timeout=180, what="the GloVe tab")
        # (this read the lecture's step 5, open on a Chinese first visit until that was fixed)
        assert "最近邻：word2vec 与 GloVe" in texts(at)


def test_the_queries_are_kept_while_another_tab_is_open():
    """A closed tab's widgets are not drawn; the typed query words must outlive a visit to the
    GloVe and debiasing tabs, and the map keeps drawing the analogy meanwhile."""
    at = run_page(PAGE)
    at.text_input(key="emb.nb.word").set_value("dog").run()
    at.text_input(key="emb.an.c").set_value("girl").run()
    _open(at, "GloVe beside word2vec")
    at.run()  # a second run with the queries tab closed
    the_map = figures(at)[0]
    assert "girl" in str(the_map["data"]) and the_map["layout"]["annotations"]  # parallelogram
    _open(at, "Neighbours and analogies")
    assert at.text_input(key="emb.nb.word").value == "dog"
    assert at.text_input(key="emb.an.c").value == "girl"
    assert "emb.glove.exp" in at.session_state  # the GloVe tab opened the run
