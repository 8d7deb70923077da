"""Browser: the beam-search page draws a readable tree and a click inspects a node."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import no_exception, shot, wait_ready

pytestmark = pytest.mark.browser


def test_beam_tree_and_node_click(server, page):
    page.set_viewport_size({"width": 1500, "height": 3600})
    page.goto(server + "/Beam_Search?source=seq2seq_dates&beam_width=4&expand=3"
                       "&text=Thursday%2C+May+3rd+1979")
    wait_ready(page)
    no_exception(page)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    expect(chart.locator("g.trace.scatter").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Final hypotheses")).to_be_visible()
    expect(page.get_by_text("Click a node in the tree")).to_be_visible()
    # click one of the "kept" markers: the inspector then shows that node's prefix
    points = chart.locator("g.trace.scatter path.point")
    assert points.count() > 10
    points.nth(3).click(force=True)
    expect(page.get_by_text("Click a node in the tree")).to_have_count(0, timeout=30_000)
    wait_ready(page)
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    expect(page.get_by_text("Prefix:")).to_be_visible()
    no_exception(page)
    shot(page, "beam_search")
