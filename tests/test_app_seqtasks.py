"""AppTest for the sequence-tasks page: training in the engine, both tasks, live settings,
the shapes diagram, typed sentences and bad input."""

from __future__ import annotations

from tests.apptest_utils import figures, run_page, run_until, texts, trace_len

PAGE = "pages/8_Sequence_Tasks.py"


def _exp(at):
    return at.session_state["seq.exp"]


def _titles(at):
    return [f["layout"].get("title", {}).get("text", "") for f in figures(at)]


def _metrics(at):
    return {x.label: x.value for x in at.metric}


def _drawn(at, title: str = "Accuracy"):
    return run_until(at, lambda a: any(t == title for t in _titles(a)), timeout=120,
                     what="the first snapshot drawn")


def test_sentiment_page_trains_and_explains():
    at = _drawn(run_page(PAGE))
    titles = _titles(at)
    assert "Final hidden state of held-out reviews (PCA)" in titles
    assert any(t.startswith("Probe review") for t in titles)
    assert any(t.startswith("Contribution of each word") for t in titles)  # typed review
    for fig in figures(at)[1:]:  # the shapes diagram has no axes
        assert fig["layout"]["xaxis"]["title"]["text"] and fig["layout"]["yaxis"]["title"]["text"]
    shapes = figures(at)[0]
    assert any("<b>" in a["text"] and "many-to-one" in a["text"]
               for a in shapes["layout"]["annotations"])
    assert _metrics(at)["Step"] == "0"
    at.button(key="seq.step").click().run()
    assert not at.exception and _exp(at).steps == 1 and _metrics(at)["Step"] == "1"
    at.button(key="seq.play").click().run()
    run_until(at, lambda a: int(_metrics(a)["Step"].replace(",", "")) > 30,
              what="training after Play")
    at.button(key="seq.play").click().run()  # Pause
    assert not at.session_state["seq.playing"]
    acc = next(f for f in figures(at) if f["layout"].get("title", {}).get("text") == "Accuracy")
    assert trace_len(acc["data"][1]) >= 2  # validation accuracy at step 0 and later
    # a live setting reaches the run without a rebuild
    run = _exp(at)
    at.select_slider(key="seq.w.dropout").set_value(0.5).run()
    assert _exp(at) is run and run.cfg.dropout == 0.5


def test_typed_review_bad_input_is_a_message():
    at = _drawn(run_page(PAGE))
    at.text_input(key="seq.typed.sentiment").set_value("   ").run()
    assert not at.exception and "at least one word" in texts(at)
    at.text_input(key="seq.typed.sentiment").set_value("zzz qqq").run()
    assert "vocabulary" in texts(at)
    at.text_input(key="seq.typed.sentiment").set_value("the food was not bad " * 20).run()
    assert "Only the first 40 words are used." in texts(at)
    at.radio(key="seq.typed.method").set_value("occlusion").run()
    assert any(t.startswith("Change in P(positive)") for t in _titles(at))


def test_tagging_page_rebuilds_and_tags():
    at = _drawn(run_page(PAGE, query={"task": "tagging", "bidirectional": "1",
                                      "hidden_size": "16"}))
    titles = _titles(at)
    assert "Held-out accuracy per tag" in titles and "Confusion matrix (held out)" in titles
    shapes = figures(at)[0]
    assert any("<b>" in a["text"] and "aligned many-to-many" in a["text"]
               for a in shapes["layout"]["annotations"])
    assert "Probe sentence, tagged" in texts(at)
    table = at.table[0]
    assert table is not None
    at.checkbox(key="seq.w.bidirectional").uncheck().run()
    assert not at.exception and not _exp(at).cfg.bidirectional  # rebuilt


def test_bad_link_falls_back_with_a_notice():
    at = run_page(PAGE, query={"num_layers": "9", "dropout": "abc"})
    assert not at.exception
    notices = [w.value for w in at.warning]
    assert any("num_layers" in n for n in notices) and any("dropout" in n for n in notices)


def test_chinese_page_starts_on_chinese_reviews():
    from seqviz.i18n import use_language

    with use_language("zh"):
        at = run_until(run_page(PAGE, query={"lang": "zh"}),
                       lambda a: any(t.startswith("探针评论") for t in _titles(a)), 120,
                       "the probe review drawn")
    assert at.session_state["seq.config"].reviews == "zh"
    assert "服务员" in _exp(at).view.probe.tokens
    # a link that names the reviews' language keeps it
    at = run_page(PAGE, query={"lang": "zh", "reviews": "en"})
    assert at.session_state["seq.config"].reviews == "en"


def test_bundled_tagger_opens_trained_from_the_home_page_link():
    at = run_until(run_page(PAGE, query={"pretrained": "tagging"}),
                   lambda a: "Confusion matrix (held out)" in _titles(a), 120, "the bundled run")
    assert _metrics(at)["Step"] == "600" and _metrics(at)["Validation accuracy"] == "100.0 %"
    assert _exp(at).cfg.bidirectional and not at.get("checkbox")  # model controls hidden
    at.select_slider(key="seq.w.dropout").set_value(0.2).run()
    assert _exp(at).cfg.dropout == 0.2 and _exp(at).cfg.pretrained == "tagging"


def test_the_charts_are_built_once_per_analysis_not_per_snapshot():
    """Every chart comes from the held-out analysis (at most every second of play): a snapshot
    that only brings new steps keeps the figures (``drawn_tag`` leaves out ``NOT_DRAWN``), a
    new analysis builds them again. And no chart draws a field left out of the tag."""
    import dataclasses
    import json

    import numpy as np
    import plotly.io as pio

    from seqviz.ui.live import drawn_tag
    from seqviz.ui.seqtasks.panel import NOT_DRAWN, _figures

    at = _drawn(run_page(PAGE))
    at.button(key="seq.step").click().run()
    snap = _exp(at).snapshot()
    view = snap.payload
    more = dataclasses.replace(view, steps=np.arange(1, 40), loss=np.ones(39), train_s=9.0,
                               analysis_s=1.0)
    assert drawn_tag(snap, more, NOT_DRAWN) == drawn_tag(snap, view, NOT_DRAWN)
    analysed = dataclasses.replace(view, val_acc=view.val_acc + 0.1, analysed_step=40)
    assert drawn_tag(snap, analysed, NOT_DRAWN) != drawn_tag(snap, view, NOT_DRAWN)

    def sent(figs):
        return {k: json.loads(pio.to_json(f, validate=False)) for k, f in figs.items()}

    blind = dataclasses.replace(view, **{name: None for name in NOT_DRAWN})
    assert sent(_figures(blind)) == sent(_figures(view))
