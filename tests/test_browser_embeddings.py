"""Browser end-to-end: word2vec trains live, the labelled map organises, search highlights."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser import metric, no_exception, play_until, shot, step_count, wait_ready

pytestmark = pytest.mark.browser


def test_embeddings_train_and_labelled_map(server, page):
    page.goto(server + "/Embeddings?seed=0&steps_per_tick=100&projection=pca&tsne_iters=50")
    wait_ready(page)
    no_exception(page)
    assert step_count(page) == 0
    assert play_until(page, 300, timeout=60)[0] >= 300, "the step counter did not rise"
    assert int(metric(page, "Analogy accuracy").rstrip("%")) >= 50  # 98% by step 400
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    assert chart.locator("g.textpoint text").count() >= 30, "the map needs readable word labels"
    no_exception(page)
    shot(page, "embeddings_pca")
    search = page.get_by_label("Search the map")
    search.fill("^(king|queen|man|woman)$")
    search.press("Enter")
    wait_ready(page)
    page.wait_for_timeout(1500)
    expect(chart.get_by_text("search: 4 match(es)")).to_be_visible()
    assert "seed=0" in page.url and "projection=pca" in page.url
    # t-SNE animates: the iteration counter rises tick by tick without pressing Play
    page.get_by_text("t-SNE", exact=True).click()
    seen, deadline = [], time.time() + 30
    while time.time() < deadline and not (seen and seen[-1] == "500 / 500"):
        try:
            value = metric(page, "t-SNE iteration")
        except Exception:  # the metric is being redrawn
            value = None
        if value and (not seen or seen[-1] != value):
            seen.append(value)
        page.wait_for_timeout(200)
    assert len(seen) >= 3 and seen[-1] == "500 / 500", seen
    wait_ready(page)
    page.wait_for_timeout(1000)
    no_exception(page)
    shot(page, "embeddings_tsne")
