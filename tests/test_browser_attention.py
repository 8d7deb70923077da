"""Browser end-to-end: the attention page with a bundled checkpoint and with live training."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from seqviz.attention.checkpoint import pretrained_path
from tests.browser import (no_exception, play_until, shot, step_count, wait_metric_at_least,
                           wait_ready)

pytestmark = pytest.mark.browser
CHARTS = '.sv-chart'


def _heatmaps(page):
    """Plotly draws a heatmap as an <image> in the plot area: one per heatmap chart."""
    return page.locator(f"{CHARTS} .heatmaplayer image")


def _every_chart_drawn(page) -> None:
    """Every chart has a title, both axis titles and at least one drawn trace."""
    charts = page.locator(CHARTS)
    expect(charts.first).to_be_visible()
    for i in range(charts.count()):
        chart = charts.nth(i)
        expect(chart.locator(".gtitle")).not_to_have_text("")
        expect(chart.locator(".xtitle")).not_to_have_text("")
        expect(chart.locator(".ytitle")).not_to_have_text("")
        expect(chart.locator(".heatmaplayer image, .scatterlayer .trace").first).to_be_attached()


@pytest.mark.skipif(not pretrained_path("dates").exists(), reason="run scripts/train_seq2seq.py")
def test_pretrained_dates_heatmap(server, page):
    page.set_viewport_size({"width": 1500, "height": 3300})
    page.goto(server + "/Attention?pretrained=dates")
    # the first visit in a fresh server imports torch: allow time for the first render
    expect(page.get_by_text("Attention on the probe input at step").first).to_be_visible(
        timeout=90_000)
    wait_ready(page)
    no_exception(page)
    wait_metric_at_least(page, "Exact match", 90)  # trained at once: nothing to wait for
    expect(_heatmaps(page)).to_have_count(2)  # the probe and the typed input
    ticks = page.locator(CHARTS).first.locator(".xtick text")
    expect(ticks.first).to_be_visible()
    text = ticks.all_text_contents()  # SVG text
    assert "M" in text and "9" in text, text  # readable input characters on the x axis
    expect(page.get_by_role("tab", name="Try your own input", selected=True)).to_be_visible()
    _every_chart_drawn(page)
    shot(page, "attention_pretrained")
    page.get_by_role("tab", name="The long-input problem").click()  # the shipped study
    expect(page.get_by_text("against input length").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]tab=long(&|$)"))
    wait_ready(page)
    _every_chart_drawn(page)


def test_live_training_draws_heatmap(server, page):
    page.set_viewport_size({"width": 1500, "height": 3300})
    page.goto(server + "/Attention?task=reverse&min_len=3&max_len=8&seed=1&snapshot_every=5")
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible(timeout=90_000)
    wait_ready(page)
    no_exception(page)
    # the run's first snapshot is drawn (until then the page polls for it: a busy page that
    # a click on Play can wait on for long)
    assert step_count(page, timeout=90) == 0
    wait_ready(page)
    steps, _ = play_until(page, 60)
    assert steps >= 60, "the step counter did not rise while playing"
    no_exception(page)
    expect(_heatmaps(page).first).to_be_attached()
    expect(page.get_by_text("Replay the heatmap at training step")).to_be_visible()
    # after the pause the heatmap shows the model as it is now, and the slider says the same step
    expect(page.get_by_text(f"Attention on the probe input at step {steps:,}")).to_have_count(1)
    thumb = page.locator('[data-testid="stMain"] [data-testid="stSliderThumbValue"]')
    expect(thumb).to_have_text(f"{steps:,}")
    wait_metric_at_least(page, "BLEU", 0)  # the held-out scores of the paused step are drawn
    assert "task=reverse" in page.url and "seed=1" in page.url
    _every_chart_drawn(page)
    shot(page, "attention_live")


def _drawn(pg) -> None:
    """Ready to judge: the script finished and the probe heatmap and the length chart are drawn."""
    wait_ready(pg)
    expect(_heatmaps(pg).first).to_be_attached(timeout=90_000)
    expect(pg.locator(f"{CHARTS} .scatterlayer .trace").first).to_be_attached(timeout=90_000)
    wait_ready(pg)


@pytest.mark.skipif(not pretrained_path("zh_digits").exists(),
                    reason="run scripts/train_seq2seq.py zh_digits")
def test_chinese_numerals_model_looks_right_in_both_languages_and_presenter_mode(server, page):
    """The bundled Chinese-numerals model in English and Chinese, normal and presenter mode
    (1024x768, 1280x720): Chinese characters on the heatmap's input axis, no horizontal
    overflow, presenter fonts >= 20 px (ticks, legends) and >= 26 px (titles), nothing cut,
    and the bundled-models table shows its last column whole."""
    from tests.browser import check_looks

    problems = check_looks(page, server + "/Attention?pretrained=zh_digits",
                           "attention_zh_digits", _drawn)
    assert problems == []
    # the last look is Chinese: the probe's Chinese source characters label the x axis
    ticks = page.locator(CHARTS).first.locator(".xtick text").all_text_contents()
    assert sum("\u4e00" <= t <= "\u9fff" for t in ticks) >= 3, ticks
    page.get_by_role("tab", name="随附模型").click()  # the bundled models' tab
    table = page.locator('[data-testid="stTable"]').first
    expect(table).to_be_visible()
    cut = table.evaluate("t => { const s = t.querySelector('table') || t;"
                         " return s.scrollWidth - t.clientWidth; }")
    assert cut <= 1, f"the table is {cut} px wider than its box: its last column is cut"
    shot(page, "attention_zh_digits_table")
