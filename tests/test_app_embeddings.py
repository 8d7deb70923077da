"""AppTest for the embeddings page: training, projection, queries, sources, bad input."""

import numpy as np
import pytest

from seqviz.config import LMConfig
from seqviz.data import build_text_data, load_corpus
from seqviz.lm_experiment import LMExperiment
from tests.apptest_utils import figures, run_page, texts, trace_len

PAGE = "pages/7_Embeddings.py"


def _exp(at):
    return at.session_state["emb.exp"]


def _map(at):
    return next(f for f in figures(at) if "points" in f["layout"]["title"]["text"])


def _points(fig):
    return sum(len(t["customdata"]) for t in fig["data"] if t.get("customdata") is not None
               and not t.get("name", "").startswith("search"))


def test_page_runs_with_labelled_map_and_training_charts():
    at = run_page(PAGE)
    assert _exp(at).trainer.steps == 0
    figs = figures(at)
    assert len(figs) == 3
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
    metrics = {x.label: x.value for x in at.metric}
    assert metrics["Step"] == "0" and metrics["t-SNE iteration"].startswith("10 / ")
    assert "Nearest neighbours of the probe words" in texts(at)
    assert len(at.get("download_button")) == 4


def test_step_and_play_advance_training_and_tsne():
    at = run_page(PAGE, query={"steps_per_tick": "5"})
    at.button(key="emb.step").click().run()
    assert not at.exception and _exp(at).trainer.steps == 1
    at.button(key="emb.play").click().run()
    assert not at.exception and at.session_state["emb.playing"]
    assert _exp(at).trainer.steps == 6  # one tick = steps_per_tick steps
    assert at.session_state["emb.view"].proj.tsne.iteration >= 20
    loss = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("word2vec loss"))
    assert len(_exp(at).trainer.history) == 6 and trace_len(loss["data"][0]) >= 1
    at.button(key="emb.play").click().run()
    assert not at.session_state["emb.playing"]
    before = at.session_state["emb.view"].proj.tsne.iteration
    at.button(key="emb.rerun_btn").click().run()  # a fresh t-SNE of the current vectors
    assert at.session_state["emb.view"].proj.tsne.iteration < before
    at.button(key="emb.reset").click().run()
    assert not at.exception and _exp(at).trainer.steps == 0


def test_live_settings_keep_the_run_and_model_settings_rebuild():
    at = run_page(PAGE)
    at.button(key="emb.step").click().run()
    exp = _exp(at)
    at.select_slider(key="emb.w.lr").set_value(0.01).run()
    at.radio(key="emb.w.projection").set_value("pca").run()
    assert not at.exception and _exp(at) is exp and exp.trainer.steps == 1
    assert exp.trainer.lr == 0.01
    assert _map(at)["layout"]["xaxis"]["title"]["text"].startswith("PC 1 (")
    assert at.query_params["projection"] in (["pca"], "pca")
    at.select_slider(key="emb.w.embed_size").set_value(8).run()
    assert not at.exception and _exp(at) is not exp and _exp(at).model.spec.embed_size == 8


def test_too_few_points_for_the_perplexity_gives_a_message():
    at = run_page(PAGE, query={"points": "20", "perplexity": "100"})
    warnings = " ".join(w.value for w in at.warning)
    assert "Perplexity 100 needs at least 301 points" in warnings
    assert _points(_map(at)) == 20


def test_queries_with_bad_words_show_messages():
    at = run_page(PAGE)
    at.text_input(key="emb.nb.word").input("zebra").run()
    at.text_input(key="emb.an.b").input("king").run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "'zebra' is not in the vocabulary" in warnings
    assert "'king' appears twice" in warnings
    at.text_input(key="emb.an.b").input("man").run()
    at.toggle(key="emb.an.show").set_value(True).run()
    tables = [df.value for df in at.dataframe]
    analogy_table = tables[-1]
    assert "query word" in analogy_table.columns


def test_search_highlights_matches():
    at = run_page(PAGE)
    at.text_input(key="emb.search").input("^(king|queen)$").run()
    names = [t.get("name", "") for t in _map(at)["data"]]
    assert "search: 2 match(es)" in names


def test_upload_with_one_distinct_word_keeps_the_run():
    at = run_page(PAGE)
    at.button(key="emb.step").click().run()
    exp = _exp(at)
    at.selectbox(key="emb.w.corpus").set_value("upload").run()
    at.file_uploader(key="emb.upload").set_value(("one.txt", b"hello hello hello\n" * 20,
                                                  "text/plain")).run()
    assert not at.exception
    assert "1 distinct word" in texts(at)
    assert _exp(at) is exp and exp.trainer.steps == 1
    story = "the old sailor mended the blue net while the young sailor watched the sea .\n" * 30
    at.file_uploader(key="emb.upload").set_value(("story.txt", story.encode(), "text/plain")).run()
    assert not at.exception
    new = _exp(at)
    assert new is not exp and new.cfg.corpus == "upload" and "sailor" in new.corpus.words
    assert "Analogy accuracy is scored on the grammar corpus" in texts(at)
    at.button(key="emb.step").click().run()
    assert new.trainer.steps == 1 and not at.exception


def test_bad_url_parameters_fall_back_with_a_notice():
    at = run_page(PAGE, query={"window": "banana", "projection": "umap", "lm": "nope"})
    text = " ".join(w.value for w in at.warning)
    assert "window" in text and "projection" in text
    assert _exp(at).cfg.window == 3


@pytest.fixture(scope="module")
def live_lm():
    cfg = LMConfig(corpus="grammar", level="word", hidden_size=16, embed_size=8, seq_len=8,
                   batch_size=4)
    exp = LMExperiment.build(cfg, build_text_data(load_corpus("grammar", 20_000), "word"))
    exp.trainer.step(3)
    return exp


def test_language_model_sources(live_lm):
    at = run_page(PAGE, query={"source": "lm_embed", "projection": "pca"},
                  session={"lm.exp": live_lm})
    assert not at.exception
    m = _map(at)
    assert m["layout"]["title"]["text"].startswith("live LSTM LM (words), step 3")
    assert _points(m) == len(live_lm.data.vocab)
    at.selectbox(key="emb.w.source").set_value("lm_hidden").run()
    assert not at.exception
    m = _map(at)
    assert any(str(t.get("name", "")).startswith("next ") for t in m["data"])
    assert "Hidden states are points in context" in texts(at)


def test_language_model_source_without_a_model_says_so():
    at = run_page(PAGE, query={"source": "lm_hidden"})
    assert "no language model in this session yet" in texts(at)
    assert _points(_map(at)) == 174  # word2vec meanwhile


def test_divergence_is_caught_and_explained():
    at = run_page(PAGE, query={"optimizer": "sgd", "lr": "100", "steps_per_tick": "50"})
    at.button(key="emb.play").click().run()
    assert not at.exception
    exp = _exp(at)
    assert exp.trainer.divergences, [h.loss for h in exp.trainer.history][-5:]
    assert not at.session_state["emb.playing"]
    assert "Training diverged" in " ".join(e.value for e in at.error)
    assert np.isfinite(exp.vectors()).all()
