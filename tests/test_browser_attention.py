"""Browser end-to-end: the attention page with a bundled checkpoint and with live training."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from seqviz.s2s_checkpoint import pretrained_path
from tests.browser import no_exception, play_until, shot, step_count, wait_ready

pytestmark = pytest.mark.browser


def _heatmap_cells(page) -> int:
    """Plotly draws a heatmap as an <image> in the plot area; count charts that have one."""
    return page.locator('[data-testid="stPlotlyChart"] .heatmaplayer image').count()


@pytest.mark.skipif(not pretrained_path("dates").exists(), reason="run scripts/train_seq2seq.py")
def test_pretrained_dates_heatmap(server, page):
    page.set_viewport_size({"width": 1500, "height": 3300})
    page.goto(server + "/Attention?pretrained=dates")
    wait_ready(page)
    no_exception(page)
    # the first visit in a fresh server imports torch: allow time for the first render
    expect(page.get_by_text("Attention on the probe input at step").first).to_be_visible(
        timeout=90_000)
    wait_ready(page)
    assert _heatmap_cells(page) >= 2  # the probe and the typed input
    heat = page.locator('[data-testid="stPlotlyChart"]').first
    ticks = heat.locator(".xtick text").all_text_contents()  # SVG text
    assert "M" in ticks and "9" in ticks, ticks  # readable input characters on the x axis
    assert "accuracy" in page.content().lower() or "input length" in page.content()
    shot(page, "attention_pretrained")


def test_live_training_draws_heatmap(server, page):
    page.set_viewport_size({"width": 1500, "height": 3300})
    page.goto(server + "/Attention?task=reverse&min_len=3&max_len=8&seed=1&snapshot_every=5")
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible(timeout=90_000)
    wait_ready(page)
    no_exception(page)
    assert play_until(page, 60)[0] >= 60, "the step counter did not rise while playing"
    no_exception(page)
    assert _heatmap_cells(page) >= 1
    expect(page.get_by_text("Replay the heatmap at training step")).to_be_visible()
    # after the pause the heatmap shows the model as it is now, not the last tick's snapshot
    expect(page.get_by_text(f"Attention on the probe input at step {step_count(page)}")
           ).to_have_count(1)
    assert "task=reverse" in page.url and "seed=1" in page.url
    shot(page, "attention_live")
