"""Browser end-to-end: the gradient-flow and clipping pages in headless Chromium.

Every wait is a Playwright ``expect`` or a ``tests.browser`` helper that polls the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import (no_exception, play_until, shot, wait_js, wait_metric_at_least,
                           wait_ready)

pytestmark = pytest.mark.browser


def _heatmaps_drawn(page, n: int) -> None:
    """Plotly draws a heatmap as an <image> inside its heatmap layer."""
    images = page.locator('.sv-chart .heatmaplayer image')
    expect(images.nth(n - 1)).to_be_attached(timeout=30_000)


def _lines_drawn(charts, indices) -> None:
    for i in indices:
        expect(charts.nth(i).locator("path.js-line").first).to_be_visible(timeout=30_000)


def test_gradient_flow_page(server, page):
    page.set_viewport_size({"width": 1500, "height": 3200})
    page.goto(server + "/Gradient_Flow?seq_len=50&hidden_size=64&seed=1")
    wait_ready(page)
    no_exception(page)
    expect(page.get_by_text("Per-timestep gradients of the RNN")).to_be_visible(timeout=60_000)
    _heatmaps_drawn(page, 2)
    # past step 10: the accuracy curve's second evaluation (every 10 steps from step 0), so it
    # is a line; at step 5-9 it is one point, which draws no visible path (failed in CI on a
    # slow run that paused at step 6)
    shown, _ = play_until(page, 11)
    assert shown >= 11, "the step counter did not rise while playing"
    expect(page.get_by_text(f"Per-timestep gradients of the RNN at step {shown:,}")
           ).to_be_visible(timeout=30_000)  # a paused page draws the step it stopped on
    page.get_by_role("button", name="⏭ Step").click()
    wait_metric_at_least(page, "Step", shown + 1)
    expect(page.get_by_text(f"Per-timestep gradients of the RNN at step {shown + 1:,}")
           ).to_be_visible(timeout=30_000)  # a Step draws the gradients of its own step
    charts = page.locator('.sv-chart')
    expect(charts).to_have_count(6)
    _heatmaps_drawn(page, 2)
    _lines_drawn(charts, [2, 3, 4, 5])  # distance, accuracy, why, spectral radius
    assert "seed=1" in page.url and "seq_len=50" in page.url
    wait_ready(page)
    no_exception(page)
    page.get_by_role("heading", name="Gradient flow through time").hover()
    page.evaluate("document.activeElement && document.activeElement.blur()")
    expect(page.get_by_text("One training step (pauses first).")).to_be_hidden()  # no tooltip
    shot(page, "gradient_flow")


@pytest.mark.slow
def test_gradient_flow_lstm_exploding(server, page):
    """Slider extremes: relu RNN, radius 2.0, T = 200 explodes; the page marks it and lives.
    (AppTest covers the same quickly; this one is for the screenshot.)"""
    page.set_viewport_size({"width": 1500, "height": 3200})
    page.goto(server + "/Gradient_Flow?activation=relu&radius=2.0&seq_len=200&hidden_size=16"
              "&cell=lstm&scale=log")
    wait_ready(page)
    shown, _ = play_until(page, 3)
    expect(page.get_by_text("Exploding").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text(f"Per-timestep gradients of the LSTM at step {shown:,}")
           ).to_be_visible(timeout=30_000)
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
    charts = page.locator('.sv-chart')
    expect(charts).to_have_count(3)
    _lines_drawn(charts, [0, 1])
    expect(page.get_by_text("diverged").first).to_be_visible()
    expect(charts.nth(2).locator(".contourlayer path").first).to_be_attached()  # the surface
    no_exception(page)
    shot(page, "clipping")


# ---- how the pages look: both languages, presenter mode, every chart readable ---------------------
_FIRST_METRIC_JS = """(n) => {
  const v = document.querySelector('[data-testid="stMetricValue"]');
  const x = v ? parseFloat(v.innerText.replace(/,/g, '')) : NaN;
  return !Number.isNaN(x) && x >= n ? [x] : false;
}"""


def _played(key: str, steps: int, charts: int):
    """A ``ready`` for ``check_looks``: the page's charts drawn, then Play until the step counter
    (the first metric, in any language) shows ``steps``, then Pause and wait for the redraw."""

    def ready(pg) -> None:
        wait_ready(pg)
        expect(pg.locator('.sv-chart')).to_have_count(charts)
        play = pg.locator(f".st-key-{key}-play button")
        play.click()
        wait_js(pg, _FIRST_METRIC_JS, arg=steps, timeout=180)
        play.click()
        expect(play).to_contain_text("▶")
        wait_ready(pg)
        expect(pg.locator('.sv-chart path.js-line').first).to_be_attached()
        wait_ready(pg)

    return ready


def _whole_page_too(ready, name: str):
    """``ready``, then in presenter mode also a screenshot of the whole page (``…_whole.png``:
    the page scrolls inside its own container, so ``check_looks`` sees the first screen only;
    ``check_looks`` checks the charts' own text, ``tests.chart_geometry``)."""

    def check(pg) -> None:
        ready(pg)
        if "present=1" in pg.url:
            size = pg.viewport_size
            lang = "zh" if "lang=zh" in pg.url else "en"
            pg.set_viewport_size({"width": size["width"], "height": 4200})
            wait_ready(pg)
            expect(pg.locator('.sv-chart path.js-line').first
                   ).to_be_visible()
            shot(pg, f"{name}_{lang}_present_{size['width']}x{size['height']}_whole")
            pg.set_viewport_size(size)
            wait_ready(pg)

    return check


LOOKS_ZH = [("zh", False, (1500, 2400)), ("zh", True, (1024, 768))]


@pytest.mark.parametrize("name, path, key, steps, charts, looks", [
    ("gradient_flow", "/Gradient_Flow?seq_len=50&seed=0", "gf", 10, 6, None),
    ("clipping", "/Clipping?seed=0", "clip", 150, 3, None),
    ("gradient_flow_exploding", "/Gradient_Flow?activation=relu&radius=2.0&seq_len=50"
     "&scale=log&seed=0", "gf", 3, 6, LOOKS_ZH),
    ("clipping_by_value", "/Clipping?clip=value&clip_threshold=0.1&cliff_threshold=5.0"
     "&seed=0", "clip", 100, 3, LOOKS_ZH),
])
def test_gradient_pages_look_right_in_both_languages_and_presenter_mode(
        server, page, name, path, key, steps, charts, looks):
    """Screenshots in English and Chinese, normal and presenter mode (1024x768, 1280x720),
    after some training: no horizontal overflow, presenter type large enough, nothing cut, and
    in every chart no title cut, no legend on the axis title, no unreadable tick. Two more
    setups (exploding gradients, clipping by value and a loose cliff threshold) in Chinese."""
    from tests.browser import LOOKS, check_looks

    problems = check_looks(page, server + path, name,
                           _whole_page_too(_played(key, steps, charts), name),
                           looks=looks or LOOKS)
    assert problems == [], "\n".join(problems)
