"""Browser end-to-end: the time-series page trains live, a CSV upload becomes the series, and
the page looks right in English and Chinese, normal and presenter mode (1024 x 768)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import (SHOTS, check_looks, no_exception, play_until, shot, step_count,
                           wait_ready)

pytestmark = pytest.mark.browser
CHARTS = '.sv-chart'
URL = "/Time_Series?seed=0"
LOOKS = [("en", False, (1500, 4200)), ("zh", False, (1500, 4200)),
         ("en", True, (1024, 768)), ("zh", True, (1024, 768))]


def _drawn(page) -> None:
    """Six charts, each with a title, both axis titles and a drawn line."""
    wait_ready(page)
    charts = page.locator(CHARTS)
    expect(charts).to_have_count(6, timeout=90_000)
    for i in range(6):
        chart = charts.nth(i)
        expect(chart.locator(".gtitle")).not_to_have_text("")
        expect(chart.locator(".xtitle")).not_to_have_text("")
        expect(chart.locator(".ytitle")).not_to_have_text("")
        expect(chart.locator(".scatterlayer .trace path.js-line").first).to_be_attached()
    wait_ready(page)


def test_time_series_trains_live_and_reads_a_csv(server, page, tmp_path):
    page.set_viewport_size({"width": 1500, "height": 2600})
    page.goto(server + URL)
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible(timeout=90_000)
    _drawn(page)
    no_exception(page)
    assert step_count(page, timeout=90) == 0
    steps, elapsed = play_until(page, 200)
    assert steps >= 200
    no_exception(page)
    _drawn(page)
    shot(page, "timeseries_live")
    print(f"Time series in Chromium: {steps} steps in {elapsed:.1f} s of Play")
    # a CSV with a text column and a numeric one: the numeric one becomes the series
    csv = tmp_path / "levels.csv"
    csv.write_text("day,level\n" + "\n".join(f"d{i},{(i % 37) / 7:.3f}" for i in range(400)))
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has_text="Signal").click()
    page.get_by_role("option", name="my CSV file").click()
    expect(page.get_by_text("Choose a .csv file in the sidebar")).to_be_visible()
    page.get_by_test_id("stSidebar").locator(
        '[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(csv))
    expect(page.locator('[data-testid="stSelectbox"]').filter(has_text="Column")
           ).to_be_visible(timeout=60_000)
    _drawn(page)
    no_exception(page)
    assert "column=level" in page.url and "signal=upload" in page.url
    bad = tmp_path / "words.csv"
    bad.write_text("a,b\nx,y\n" * 10)
    page.get_by_test_id("stSidebar").locator(
        '[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    expect(page.locator('[data-testid="stAlert"]').filter(
        has_text="No column of this file")).to_be_visible(timeout=60_000)
    shot(page, "timeseries_csv")


def test_time_series_looks_right_in_both_languages_and_presenter_mode(server, page):
    problems = check_looks(page, server + URL, "timeseries", _drawn, looks=LOOKS)
    assert problems == []
    page.set_viewport_size({"width": 1024, "height": 768})
    for lang in ("zh", "en"):
        page.goto(server + f"{URL}&lang={lang}&present=1")
        _drawn(page)
        box = page.locator(CHARTS).first.bounding_box()
        assert box is not None and box["y"] < 768, "the first chart starts below the screen"
        for i, name in enumerate(("signal", "k_mlp", "k_rnn", "horizon", "tau", "loss")):
            chart = page.locator(CHARTS).nth(i)
            chart.scroll_into_view_if_needed()
            assert chart.bounding_box()["width"] <= 1024
            chart.screenshot(path=str(SHOTS / f"timeseries_{lang}_present_chart_{name}.png"))
