"""Browser end-to-end: word2vec trains live in the engine, the labelled map organises and
follows training, search highlights, a paused map settles."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import (metric, no_exception, overlapping_labels, page_language, play_until,
                           shot, step_count, wait_labels_drawn, wait_metric_at_least, wait_ready)

pytestmark = pytest.mark.browser

SETTLED = re.compile(r"t-SNE iteration [\d,]+ \(settled\)")


def test_embeddings_train_and_labelled_map(server, page):
    page.goto(server + "/Embeddings?seed=0&projection=pca")
    wait_ready(page)
    wait_metric_at_least(page, "Step", 0)  # the worker's first snapshot is drawn
    no_exception(page)
    assert step_count(page) == 0
    assert play_until(page, 300, timeout=60)[0] >= 300, "the step counter did not rise"
    assert wait_metric_at_least(page, "Analogy accuracy", 50, timeout=30) >= 50  # ~95 % by 300
    chart = page.locator('.sv-chart').first
    wait_labels_drawn(chart, 30)  # >= 30 word labels, every one of the figure's drawn
    no_exception(page)
    shot(page, "embeddings_pca")
    search = page.get_by_label("Search the map")
    search.fill("^(king|queen|man|woman)$")
    search.press("Enter")
    wait_ready(page)
    expect(chart.get_by_text("search: 4 match(es)")).to_be_visible()
    assert "seed=0" in page.url and "projection=pca" in page.url
    search.fill("")
    search.press("Enter")
    wait_ready(page)
    # t-SNE: the paused map settles at once; while training it follows the vectors
    page.get_by_text("t-SNE", exact=True).click()
    wait_ready(page)
    expect(page.get_by_text(SETTLED)).to_be_visible(timeout=30_000)
    expect(chart.locator(".xtitle")).to_have_text("t-SNE 1")
    start = int(metric(page, "t-SNE iteration").replace(",", ""))
    page.get_by_role("button", name="▶ Play").click()
    wait_metric_at_least(page, "t-SNE iteration", start + 100, timeout=60)
    page.get_by_role("button", name="⏸ Pause").click()
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible(timeout=60_000)
    wait_ready(page)
    expect(page.get_by_text(SETTLED)).to_be_visible(timeout=30_000)
    wait_labels_drawn(chart, 30)  # the labels of moved points too
    no_exception(page)
    shot(page, "embeddings_tsne")


def _trained_and_settled(pg, lang: str, steps: int = 300) -> None:
    """Play until the step counter shows ``steps``, pause, and wait for the settled map."""
    from seqviz.i18n import _, pgettext, use_language

    with use_language(lang):
        step, play, pause = pgettext("metric", "Step"), "▶ " + _("Play"), "⏸ " + _("Pause")
        settled = re.compile(r"[(（]" + re.escape(_("settled")) + r"[)）]")
    wait_ready(pg)
    wait_metric_at_least(pg, step, 0)
    # the fresh map settles first (the page redraws meanwhile); then the buttons hold still
    # a loaded machine: minutes (two busy loops beside the test run: 450 of 500 iterations
    # in 180 s; alone the map settles in seconds)
    expect(pg.get_by_text(settled)).to_be_visible(timeout=300_000)
    pg.get_by_role("button", name=play).click(timeout=90_000, force=True)
    wait_metric_at_least(pg, step, steps, timeout=120)
    either = pg.get_by_role("button", name=pause).or_(pg.get_by_role("button", name=play))
    expect(either).to_be_visible(timeout=90_000)
    if pg.get_by_role("button", name=pause).count():  # else a busy machine's idle pause came first
        pg.get_by_role("button", name=pause).click(timeout=90_000, force=True)
    expect(pg.get_by_role("button", name=play)).to_be_visible(timeout=90_000)
    wait_ready(pg)
    expect(pg.get_by_text(settled)).to_be_visible(timeout=180_000)
    chart = pg.locator('.sv-chart').first
    # labels that would overlap are left to hover (seqviz.embeddings.labels), so how many are
    # drawn depends on where t-SNE put the 20 words: at least half of them
    wait_labels_drawn(chart, 10)
    wait_ready(pg)


def test_embeddings_look_right_in_both_languages_and_presenter_mode(server, page):
    """Trained 300 steps, in English and Chinese, normal and presenter mode: nothing cut or
    overflowing, presenter fonts large enough, and no two labels of the map drawn on top of
    each other (king / queen, 国王 / 王后 included: they are the analogy's corners)."""
    from tests.browser import check_looks

    overlaps = []

    def ready(pg):
        wait_ready(pg)
        lang = page_language(pg)
        _trained_and_settled(pg, lang)
        overlaps.extend((pg.url, pair) for pair in overlapping_labels(
            pg.locator('.sv-chart').first))

    assert check_looks(page, server + "/Embeddings?seed=0", "embeddings", ready) == []
    assert overlaps == []


def test_glove_and_debiasing_panels_look_right(server, page):
    """The GloVe tab (opened trained 300 steps) and the debiasing tab, each opened by its link
    (``tab=``), in English, Chinese and presenter mode at 1024x768: drawn, nothing overflowing
    or cut, presenter type large."""
    from seqviz.i18n import _, pgettext, use_language
    from tests.browser import check_looks

    def ready_for(tab: str, charts: int):
        def ready(pg):
            wait_ready(pg)
            lang = page_language(pg)
            with use_language(lang):
                step = pgettext("metric", "GloVe step")
                header = {"glove": _("GloVe beside word2vec"),
                          "debias": _("Debiasing (Bolukbasi et al. 2016)")}[tab]
            if tab == "glove":
                wait_metric_at_least(pg, step, 300, timeout=180)
            expect(pg.get_by_role("heading", name=header)).to_be_visible(timeout=180_000)
            expect(pg.locator('.sv-chart')).to_have_count(charts,
                                                                               timeout=120_000)
            # every chart drawn with its title; retried as a whole, not chart by chart: a rerun
            # (GloVe reaching its steps, the map settling) re-sends the page meanwhile
            untitled = pg.locator('.sv-chart:not(:has(.gtitle))')
            expect(untitled).to_have_count(0, timeout=60_000)
            wait_ready(pg)
            pg.get_by_role("heading", name=header).scroll_into_view_if_needed()
            size = pg.viewport_size
            mode = "present" if "present=1" in pg.url else "normal"
            shot(pg, f"embeddings_{tab}_tab_{lang}_{mode}_{size['width']}x{size['height']}")
        return ready

    looks = [("en", False, (1500, 2400)), ("zh", False, (1500, 2400)), ("en", True, (1024, 768)),
             ("zh", True, (1024, 768))]
    # the map's three charts, and the tab's: GloVe's three, or the debiasing projection
    assert check_looks(page, server + "/Embeddings?seed=0&tab=glove", "embeddings_glove",
                       ready_for("glove", 6), looks=looks) == []
    assert check_looks(page, server + "/Embeddings?seed=0&tab=debias", "embeddings_debias",
                       ready_for("debias", 4), looks=looks) == []
