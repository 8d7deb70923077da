"""AppTest for the embeddings page: training in the engine, the map, queries, sources, bad input."""

import numpy as np
import pytest

from seqviz.embeddings.livemap import SETTLE_CHUNK
from seqviz.lm.config import LMConfig
from tests.apptest_utils import (figures, run_page, run_until, texts, trace_len,
                                 trace_values)
from tests.live_helpers import live_lm as open_live_lm

PAGE = "pages/7_Embeddings.py"


def _exp(at):
    return at.session_state["emb.exp"]


def _view(at):
    return _exp(at).view


def _maps(at):
    """The map: the figure with equal axis scales."""
    return [f for f in figures(at) if f["layout"].get("yaxis", {}).get("scaleanchor") == "x"]


def _map(at):
    return _maps(at)[0]


def _points(fig):
    return sum(len(t["customdata"]) for t in fig["data"] if t.get("customdata") is not None
               and not t.get("name", "").startswith("search"))


def _drawn(at, charts: int = 3):
    """Wait until the worker's first snapshot is drawn (the engine may still be starting)."""
    return run_until(at, lambda a: len(figures(a)) >= charts and _maps(a), timeout=120,
                     what="the first snapshot drawn")


def _metrics(at):
    return {x.label: x.value for x in at.metric}


def test_page_runs_with_labelled_map_and_training_charts():
    at = _drawn(run_page(PAGE))
    assert _exp(at).steps == 0
    figs = figures(at)
    for fig in figs:
        assert fig["layout"]["title"]["text"]
        assert fig["layout"]["xaxis"]["title"]["text"] and fig["layout"]["yaxis"]["title"]["text"]
    m = _map(at)
    assert _points(m) == len(_exp(at).corpus.words) == 174
    assert m["layout"]["xaxis"]["title"]["text"] == "t-SNE 1"
    assert any(t.get("mode") == "markers+text" for t in m["data"])
    legend = {t.get("name") for t in m["data"]}
    assert {"royalty", "animal", "colour"} <= legend
    assert any(str(name).startswith("king − man + woman ≈") for name in legend)  # parallelogram
    metrics = _metrics(at)
    assert metrics["Step"] == "0" and int(metrics["t-SNE iteration"].replace(",", "")) > 0
    run_until(at, lambda a: "(settled)" in texts(a), what="the paused map settling")
    assert "Nearest neighbours of the probe words" in texts(at)
    exports = [b for b in at.get("download_button") if not b.key.startswith("emb.export.")]
    assert len(exports) == 4  # the Projector's files
    assert len(at.get("download_button")) == 4  # Take it home's are drawn once it is opened
    at.session_state["emb.export.open"] = True
    at.run()
    assert len(at.get("download_button")) == 7  # ... its card, script and model


def test_step_play_pause_reset():
    at = _drawn(run_page(PAGE))
    at.button(key="emb.step").click().run()
    assert not at.exception and _exp(at).steps == 1 and _metrics(at)["Step"] == "1"
    # the queries say whose vectors answered them (they answer on full reruns only)
    assert "Answered with the vectors of step 1." in texts(at)
    at.button(key="emb.play").click().run()
    assert not at.exception and at.session_state["emb.playing"]
    # wait on what the page drew (the run's own counter may be a snapshot ahead of it)
    run_until(at, lambda a: int(_metrics(a)["Step"].replace(",", "")) > 50,
              what="training after Play")
    shown = int(_metrics(at)["Step"].replace(",", ""))
    loss = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("word2vec loss"))
    assert trace_len(loss["data"][0]) == shown > 1  # the chart is the snapshot the metric shows
    at.button(key="emb.play").click().run()  # now labelled Pause
    assert not at.session_state["emb.playing"]
    exp = _exp(at)
    paused = exp.snapshot()
    assert not paused.playing  # Pause waited for the worker, and one more frame for the map
    run_until(at, lambda a: _view(a).map.settled, what="the paused map settling")
    assert f"Answered with the vectors of step {paused.step:,}." in texts(at)
    # the map sent to the browser is the settled one, moved in place since the first frame (its
    # figure is kept and its JSON cached until resealed: a stale one would show an earlier step)
    at.run()
    drawn, coords = _map(at), np.asarray(_view(at).map.coords)
    assert drawn["layout"]["title"]["text"].endswith(f"step {paused.step:,}")
    xs = np.concatenate([trace_values(t, "x") for t in drawn["data"]
                         if t.get("customdata") is not None and not t["name"].startswith("search")])
    assert np.allclose(np.sort(xs), np.sort(coords[:, 0]))
    assert exp.handle.wait_acked(exp.handle.apply_live(exp.cfg), timeout=30).step == paused.step
    before = paused.payload.map.build
    at.button(key="emb.rerun_btn").click().run()  # a fresh t-SNE of the current vectors
    assert _view(at).map.build == before + 1 and _view(at).map.source == ("word2vec",)
    at.button(key="emb.reset").click().run()
    assert not at.exception and _exp(at) is not exp and _exp(at).steps == 0
    # it replaces a drawn run: its map is drawn after one t-SNE chunk, not once settled ...
    assert _exp(at).handle.kwargs.get("soon") is True  # (on any machine: the page asked so)
    assert _metrics(at)["t-SNE iteration"] == str(SETTLE_CHUNK) and "(settled)" not in texts(at)
    run_until(at, lambda a: "(settled)" in texts(a), what="the new run's map settling")  # ... then


def test_live_settings_keep_the_run_and_model_settings_rebuild():
    at = _drawn(run_page(PAGE))
    at.button(key="emb.step").click().run()
    exp = _exp(at)
    at.select_slider(key="emb.w.lr").set_value(0.01).run()
    at.radio(key="emb.w.projection").set_value("pca").run()
    assert not at.exception and _exp(at) is exp and exp.steps == 1 and exp.cfg.lr == 0.01
    run_until(at, lambda a: _map(a)["layout"]["xaxis"]["title"]["text"].startswith("PC 1 ("),
              what="the PCA map")
    assert at.query_params["projection"] in (["pca"], "pca")
    at.button(key="emb.step").click().run()
    assert _view(at).cfg.lr == 0.01 and exp.steps == 2  # the worker's run took it, same run
    at.select_slider(key="emb.w.embed_size").set_value(8).run()
    assert not at.exception and _exp(at) is not exp and _exp(at).steps == 0
    assert _exp(at).vectors().shape == (174, 8)


def test_a_rebuild_draws_its_new_map_before_it_has_settled():
    """A first visit's map settles before it is drawn; a rebuild's (a new model size here) is
    drawn after one chunk of t-SNE, sooner, and settles on the page (issue 13: a rebuild is
    drawn within 300 ms)."""
    at = _drawn(run_page(PAGE))
    exp = _exp(at)
    assert "soon" not in exp.handle.kwargs  # a first visit: settled before it is drawn
    at.select_slider(key="emb.w.embed_size").set_value(8).run()
    assert not at.exception and _exp(at) is not exp
    assert _exp(at).handle.kwargs.get("soon") is True  # the page asked, whatever the machine
    assert _metrics(at)["t-SNE iteration"] == str(SETTLE_CHUNK) and "(settled)" not in texts(at)
    run_until(at, lambda a: "(settled)" in texts(a), what="the rebuilt run's map settling")


def _sidebar_sliders(at) -> set:
    return {s.key for s in at.sidebar.select_slider}


def test_the_finer_settings_wait_in_collapsed_sidebar_groups():
    """Subsampling, passes, seed and the like, and t-SNE's perplexity, rate and iterations, are
    in two collapsed sidebar groups whose widgets are sent only when opened (nine fewer widgets
    for the browser to lay out before the first chart). A value set in a group survives its
    closing; a link that sets one opens its group."""
    at = _drawn(run_page(PAGE))
    assert {"emb.w.embed_size", "emb.w.window", "emb.w.lr", "emb.w.points"} <= _sidebar_sliders(at)
    assert not {"emb.w.subsample", "emb.w.epochs", "emb.w.perplexity"} & _sidebar_sliders(at)
    assert {"More training settings", "More t-SNE settings"} <= {e.label for e in at.expander}
    at.session_state["emb.details.more"] = True
    at.run()
    assert {"emb.w.subsample", "emb.w.epochs"} <= _sidebar_sliders(at)
    at.select_slider(key="emb.w.epochs").set_value(10).run()
    exp = _exp(at)
    assert not at.exception and exp.cfg.epochs == 10
    at.session_state["emb.details.more"] = False
    at.run()
    at.run()
    assert "emb.w.epochs" not in _sidebar_sliders(at)
    assert _exp(at) is exp and at.session_state["emb.config"].epochs == 10
    assert at.query_params["epochs"] in (["10"], "10")

    linked = _drawn(run_page(PAGE, query={"perplexity": "30"}))
    assert linked.select_slider(key="emb.w.perplexity").value == 30.0
    assert "emb.w.epochs" not in _sidebar_sliders(linked)


def test_too_few_points_for_the_perplexity_gives_a_message():
    at = _drawn(run_page(PAGE, query={"points": "20", "perplexity": "100"}))
    warnings = " ".join(w.value for w in at.warning)
    assert "Perplexity 100 needs at least 301 points" in warnings
    assert _points(_map(at)) == 20


def test_queries_with_bad_words_show_messages():
    at = _drawn(run_page(PAGE))
    at.text_input(key="emb.nb.word").input("zebra").run()
    at.text_input(key="emb.an.b").input("king").run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "'zebra' is not in the vocabulary" in warnings
    assert "'king' appears twice" in warnings
    at.text_input(key="emb.an.b").input("man").run()
    at.toggle(key="emb.an.show").set_value(True).run()
    analogy_table = next(m.value for m in at.markdown if "| query word |" in m.value)
    assert "| king | " in analogy_table and "✔" in analogy_table  # the query word a is listed
    assert not at.table  # markdown tables: the first view loads no Arrow code (seqviz.ui.tables)


def test_search_highlights_matches():
    at = _drawn(run_page(PAGE))
    at.text_input(key="emb.search").input("^(king|queen)$").run()
    names = [t.get("name", "") for t in _map(at)["data"]]
    assert "search: 2 match(es)" in names


def test_upload_with_one_distinct_word_keeps_the_run():
    at = _drawn(run_page(PAGE))
    at.button(key="emb.step").click().run()
    exp = _exp(at)
    at.selectbox(key="emb.w.corpus").set_value("upload").run()
    at.file_uploader(key="emb.upload").set_value(("one.txt", b"hello hello hello\n" * 20,
                                                  "text/plain")).run()
    assert not at.exception
    assert "1 distinct word" in texts(at)
    assert _exp(at) is exp and exp.steps == 1
    story = "the old sailor mended the blue net while the young sailor watched the sea .\n" * 30
    at.file_uploader(key="emb.upload").set_value(("story.txt", story.encode(), "text/plain")).run()
    assert not at.exception
    new = _exp(at)
    assert new is not exp and new.cfg.corpus == "upload" and "sailor" in new.corpus.words
    run_until(at, lambda a: "Analogy accuracy is scored on the toy grammars" in texts(a),
              what="the upload's first snapshot")
    at.button(key="emb.step").click().run()
    assert new.steps == 1 and not at.exception
    assert str(_view(at).name) == "word2vec skip-gram · your own text"


def test_bad_url_parameters_fall_back_with_a_notice():
    at = run_page(PAGE, query={"window": "banana", "projection": "umap", "lm": "nope"})
    text = " ".join(w.value for w in at.warning)
    assert "window" in text and "projection" in text
    assert _exp(at).cfg.window == 3


@pytest.fixture(scope="module")
def live_lm():
    cfg = LMConfig(corpus="grammar", level="word", hidden_size=16, embed_size=8, seq_len=8,
                   batch_size=4)
    return open_live_lm(cfg, steps=3)


def test_language_model_sources(live_lm):
    at = run_page(PAGE, query={"source": "lm_embed", "projection": "pca"},
                  session={"lm.exp": live_lm})
    run_until(at, lambda a: _maps(a) and _map(a)["layout"]["title"]["text"].startswith(
        "live LSTM LM (words), step 3"), timeout=120, what="the LM's embedding map")
    assert not at.exception
    assert _points(_map(at)) == len(live_lm.data.vocab)
    assert "Play" not in " ".join(b.proto.label for b in at.button)  # nothing trains here
    at.selectbox(key="emb.w.source").set_value("lm_hidden").run()
    run_until(at, lambda a: any(str(t.get("name", "")).startswith("next ")
                                for t in _map(a)["data"]), what="the hidden-state map")
    assert "Hidden states are points in context" in texts(at)


def test_language_model_source_without_a_model_says_so():
    at = _drawn(run_page(PAGE, query={"source": "lm_hidden"}))
    assert "no language model in this session yet" in texts(at)
    assert _points(_map(at)) == 174  # word2vec meanwhile


def test_divergence_is_caught_and_explained():
    at = _drawn(run_page(PAGE, query={"optimizer": "sgd", "lr": "100"}))
    at.button(key="emb.play").click().run()
    run_until(at, lambda a: not a.session_state["emb.playing"], what="the divergence pause")
    assert not at.exception
    view = _view(at)
    assert view.divergence is not None and view.diverged_steps
    assert "Training diverged" in " ".join(e.value for e in at.error)
    assert np.isfinite(_exp(at).vectors()).all()
