"""Browser end-to-end for the sequence-tasks page: both tasks train live in the engine, every
chart is drawn, and the page looks right in both languages and in presenter mode."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import (CHARTS_JS, check_looks, no_exception, play_until, shot, step_count,
                           wait_js, wait_metric_at_least, wait_ready)

pytestmark = pytest.mark.browser
URL = "/Sequence_Tasks?seed=0"


def _all_charts_drawn(pg, least: int) -> None:
    """At least ``least`` charts on screen with a box and data drawn in them (the shapes
    diagram is drawn with layout shapes, not data: it is checked by its boxes)."""
    wait_js(pg, f"() => {{ const c = ({CHARTS_JS})(); return c.every(([box, n]) => box) && "
               f"c.filter(([box, n]) => n > 0).length >= {least}; }}")
    shapes = pg.locator('.sv-chart').first
    expect(shapes.locator("path[style*='fill: rgb(198, 219, 239)']").first).to_be_attached()


def test_sentiment_trains_live_and_every_chart_is_drawn(server, page):
    page.goto(server + URL)
    wait_ready(page)
    wait_metric_at_least(page, "Step", 0)
    no_exception(page)
    assert step_count(page) == 0
    shown, seconds = play_until(page, 300, timeout=120)
    assert shown >= 300
    print(f"sentiment: 300 steps in {seconds:.1f} s of Play ({300 / seconds:.0f} steps/s)")
    assert wait_metric_at_least(page, "Validation accuracy", 80, timeout=60) >= 80
    wait_ready(page)
    _all_charts_drawn(page, 4)  # accuracy, loss, probe, state map, typed review
    no_exception(page)
    shot(page, "seqtasks_sentiment")


def test_bidirectional_tagger_trains_live(server, page):
    page.goto(server + "/Sequence_Tasks?seed=0&task=tagging&bidirectional=1")
    wait_ready(page)
    wait_metric_at_least(page, "Step", 0)
    shown, seconds = play_until(page, 300, timeout=120)
    print(f"bi-LSTM tagger: 300 steps in {seconds:.1f} s of Play ({300 / seconds:.0f} steps/s)")
    assert wait_metric_at_least(page, "Validation accuracy", 95, timeout=60) >= 95
    wait_ready(page)
    _all_charts_drawn(page, 4)  # accuracy, loss, per tag, confusion
    expect(page.get_by_text("Probe sentence, tagged")).to_be_visible()
    no_exception(page)
    shot(page, "seqtasks_tagging")


LOOKS = [("en", False, (1500, 2400)), ("zh", False, (1500, 2400)),
         ("en", True, (1024, 768)), ("zh", True, (1024, 768))]


def test_looks_right_in_both_languages_and_presenter_mode(server, page):
    from seqviz.i18n import pgettext, use_language

    def ready(pg):
        wait_ready(pg)
        lang = "zh" if "lang=zh" in pg.url else "en"
        with use_language(lang):
            step = pgettext("metric", "Step")
        wait_metric_at_least(pg, step, 0)
        wait_ready(pg)
        _all_charts_drawn(pg, 2)

    assert check_looks(page, server + URL, "seqtasks", ready, looks=LOOKS) == []
