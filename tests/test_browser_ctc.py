"""Browser end-to-end: the CTC page trains live, the collapse rule answers a typed path, and the
page looks right in English and Chinese, normal and presenter mode (1024 x 768)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import (SHOTS, check_looks, no_exception, play_until, shot, step_count,
                           wait_ready)

pytestmark = pytest.mark.browser
CHARTS = '.sv-chart'
LOOKS = [("en", False, (1500, 3800)), ("zh", False, (1500, 3800)),
         ("en", True, (1024, 768)), ("zh", True, (1024, 768)),
         ("en", True, (1280, 720)), ("zh", True, (1280, 720))]


def _every_chart_drawn(page) -> None:
    """Four charts, each with a title, both axis titles and something drawn."""
    charts = page.locator(CHARTS)
    expect(charts).to_have_count(4)
    for i in range(4):
        chart = charts.nth(i)
        expect(chart.locator(".gtitle")).not_to_have_text("")
        expect(chart.locator(".xtitle")).not_to_have_text("")
        expect(chart.locator(".ytitle")).not_to_have_text("")
        expect(chart.locator(".heatmaplayer image, .scatterlayer .trace").first).to_be_attached()


def _drawn(page) -> None:
    wait_ready(page)
    expect(page.locator(f"{CHARTS} .heatmaplayer image")).to_have_count(2, timeout=90_000)
    expect(page.locator(f"{CHARTS} .scatterlayer .trace").first).to_be_attached()
    wait_ready(page)


def test_ctc_trains_live_and_collapses_a_typed_path(server, page):
    page.set_viewport_size({"width": 1500, "height": 2600})
    page.goto(server + "/CTC?seed=0")
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible(timeout=90_000)
    _drawn(page)
    no_exception(page)
    assert step_count(page, timeout=90) == 0
    steps, elapsed = play_until(page, 150)
    assert steps >= 150
    no_exception(page)
    _drawn(page)
    _every_chart_drawn(page)
    # the paused page shows the model as it is: the decoding names the step's example
    expect(page.get_by_text("Decoding example 0")).to_be_visible()
    expect(page.get_by_text("alignments collapse to it")).to_be_visible()
    box = page.get_by_label("Path")
    box.fill("aa-a--bb")
    box.press("Enter")
    expect(page.get_by_text("drop blanks: aab")).to_be_visible()
    box.fill("ab?z")
    box.press("Enter")
    expect(page.locator('[data-testid="stAlert"]').filter(has_text="cannot be on a path")
           ).to_be_visible()
    shot(page, "ctc_live")
    print(f"CTC in Chromium: {steps} steps in {elapsed:.1f} s of Play")


def test_ctc_page_looks_right_in_both_languages_and_presenter_mode(server, page):
    problems = check_looks(page, server + "/CTC?seed=0", "ctc", _drawn, looks=LOOKS)
    assert problems == []
    # presenter mode scrolls inside the page: a full-page shot shows one screen, so each chart
    # (one per row) is also shot on its own, as the class sees it when scrolled to
    page.set_viewport_size({"width": 1024, "height": 768})
    for lang in ("zh", "en"):
        page.goto(server + f"/CTC?seed=0&lang={lang}&present=1")
        _drawn(page)
        first = page.locator(CHARTS).first
        box = first.bounding_box()
        assert box is not None and box["y"] < 768, "the first chart starts below the screen"
        for i, name in enumerate(("posteriors", "trellis", "ler", "loss")):
            chart = page.locator(CHARTS).nth(i)
            chart.scroll_into_view_if_needed()
            assert chart.bounding_box()["width"] <= 1024
            chart.screenshot(path=str(SHOTS / f"ctc_{lang}_present_chart_{name}.png"))
