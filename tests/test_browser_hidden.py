"""Browser end-to-end: the hidden-states page opens, a unit is picked by clicking its bar next
to the heatmap (and by number), and the coloured neuron text is visible."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from seqviz.checkpoint import list_pretrained
from tests.browser import no_exception, shot, wait_ready

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif("lm_python" not in list_pretrained("lm"),
                                 reason="bundled checkpoints missing")]


def _neuron_header(page) -> str:
    return page.get_by_text(re.compile(r"^Neuron view: unit \d+")).first.inner_text()


def test_hidden_states_pick_a_unit_and_see_coloured_text(server, page):
    page.set_viewport_size({"width": 1500, "height": 2600})
    page.goto(server + "/Hidden_States?source=lm_python")
    wait_ready(page)
    expect(page.get_by_text(re.compile(r"^Neuron view: unit \d+")).first).to_be_visible(
        timeout=90_000)
    wait_ready(page)
    no_exception(page)
    before = _neuron_header(page)

    # click the bar of another unit beside the heatmap: the neuron view follows it
    heatmap = page.locator('[data-testid="stPlotlyChart"]').first
    bars = heatmap.locator("g.barlayer g.point path")
    expect(bars.first).to_be_visible()
    bars.nth(3).click(force=True)
    expect(page.get_by_text(re.compile(r"^Neuron view: unit \d+")).first).not_to_have_text(
        before, timeout=30_000)
    wait_ready(page)
    picked = _neuron_header(page)
    unit = int(re.search(r"unit (\d+)", picked).group(1))
    assert page.locator('input[type="number"]').first.input_value() == str(unit)
    assert f"unit={unit}" in page.url

    # and by number
    box = page.locator('input[type="number"]').first
    box.fill("5")
    box.press("Enter")
    expect(page.get_by_text("Neuron view: unit 5, layer 1").first).to_be_visible(timeout=30_000)
    wait_ready(page)

    # the coloured text: one span per character, most with a coloured background
    text = page.locator(".seqviz-text").first
    expect(text).to_be_visible()
    spans = text.locator("span[title]")
    assert spans.count() > 50
    styles = [spans.nth(i).get_attribute("style") for i in range(20)]
    assert sum("background:rgb" in s for s in styles) >= 15
    no_exception(page)

    # a unit the training script found (e.g. Karpathy's line-position cell): one click away
    notable = page.get_by_role("button", name=re.compile(r"^position in the line"))
    if notable.count():
        notable.first.click()
        expect(page.get_by_text("Neuron view: unit 5, layer 1")).to_have_count(0, timeout=30_000)
        wait_ready(page)
        page.wait_for_timeout(1000)
        no_exception(page)
    expect(page.locator(".seqviz-text").first).to_be_visible()
    shot(page, "hidden_states")
