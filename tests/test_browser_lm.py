"""Browser end-to-end: home page and the language-model page in headless Chromium."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser import no_exception, shot, step_count, wait_ready

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
    page.get_by_role("button", name="▶ Play").click()
    start, deadline = time.time(), time.time() + 60
    while time.time() < deadline and step_count(page) < 30:
        page.wait_for_timeout(500)
    assert step_count(page) >= 30, "the step counter did not rise while playing"
    print(f"browser: {step_count(page) / (time.time() - start):.1f} steps/s while playing")
    # the loss chart has a drawn line (plotly renders traces as SVG paths)
    loss_chart = page.locator('[data-testid="stPlotlyChart"]').first
    expect(loss_chart.locator("path.js-line").first).to_be_visible()
    assert "seed=3" in page.url and "corpus=grammar" in page.url
    page.get_by_role("button", name="⏸ Pause").click()
    wait_ready(page)
    page.wait_for_timeout(1500)
    no_exception(page)
    shot(page, "language_model")
