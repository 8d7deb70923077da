"""Browser end-to-end: the gradient-flow and clipping pages in headless Chromium."""

from __future__ import annotations


import pytest
from playwright.sync_api import expect

from tests.browser import no_exception, play_until, shot, wait_ready

pytestmark = pytest.mark.browser


def _heatmaps_drawn(page, n: int) -> None:
    """Plotly draws a heatmap as an <image> inside its heatmap layer."""
    images = page.locator('[data-testid="stPlotlyChart"] .heatmaplayer image')
    expect(images.nth(n - 1)).to_be_attached(timeout=30_000)


def test_gradient_flow_page(server, page):
    page.set_viewport_size({"width": 1500, "height": 3200})
    page.goto(server + "/Gradient_Flow?seq_len=50&hidden_size=64&seed=1")
    wait_ready(page)
    no_exception(page)
    expect(page.get_by_text("Per-timestep gradients of the RNN")).to_be_visible(timeout=60_000)
    _heatmaps_drawn(page, 2)
    assert play_until(page, 5)[0] >= 5, "the step counter did not rise while playing"
    _heatmaps_drawn(page, 2)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    expect(charts).to_have_count(6)
    expect(charts.nth(2).locator("path.js-line").first).to_be_visible()  # norm vs distance
    assert "seed=1" in page.url and "seq_len=50" in page.url
    no_exception(page)
    shot(page, "gradient_flow")


@pytest.mark.slow
def test_gradient_flow_lstm_exploding(server, page):
    """Slider extremes: relu RNN, radius 2.0, T = 200 explodes; the page marks it and lives.
    (AppTest covers the same quickly; this one is for the screenshot.)"""
    page.set_viewport_size({"width": 1500, "height": 3200})
    page.goto(server + "/Gradient_Flow?activation=relu&radius=2.0&seq_len=200&hidden_size=16"
              "&cell=lstm&scale=log")
    wait_ready(page)
    play_until(page, 3)
    expect(page.get_by_text("Exploding").first).to_be_visible(timeout=30_000)
    _heatmaps_drawn(page, 2)
    no_exception(page)
    shot(page, "gradient_flow_exploding")


def test_clipping_page(server, page):
    page.set_viewport_size({"width": 1500, "height": 2600})
    page.goto(server + "/Clipping?seed=0")
    wait_ready(page)
    no_exception(page)
    expect(page.get_by_text("The cliff", exact=True)).to_be_visible(timeout=60_000)
    assert play_until(page, 25)[0] >= 25
    charts = page.locator('[data-testid="stPlotlyChart"]')
    expect(charts).to_have_count(3)
    expect(charts.nth(0).locator("path.js-line").first).to_be_visible()
    expect(page.get_by_text("diverged").first).to_be_visible()
    expect(charts.nth(2).locator(".contourlayer path").first).to_be_attached()  # the surface
    no_exception(page)
    shot(page, "clipping")
