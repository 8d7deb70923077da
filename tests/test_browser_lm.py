"""Browser end-to-end: home page and the language-model page in headless Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import no_exception, play_until, shot, step_count, wait_ready

pytestmark = pytest.mark.browser


def test_home_page(server, page):
    page.goto(server)
    wait_ready(page)
    expect(page.get_by_text("a lab for recurrent neural networks")).to_be_visible()
    expect(page.get_by_role("link", name="✍️ Language model").first).to_be_visible()
    no_exception(page)
    shot(page, "home")


def test_language_model_play(server, page):
    page.goto(server + "/Language_Model?corpus=grammar&level=word&seed=3")
    wait_ready(page)
    no_exception(page)
    assert step_count(page) == 0
    steps, seconds = play_until(page, 30, timeout=60)
    assert steps >= 30, "the step counter did not rise while playing"
    print(f"browser: {steps / seconds:.1f} steps/s while playing")
    # the loss chart has a drawn line (plotly renders traces as SVG paths)
    loss_chart = page.locator('[data-testid="stPlotlyChart"]').first
    expect(loss_chart.locator("path.js-line").first).to_be_visible()
    assert "seed=3" in page.url and "corpus=grammar" in page.url
    no_exception(page)
    shot(page, "language_model")
