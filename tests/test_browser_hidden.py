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


def _hidden_ready(pg) -> None:
    """The page drew its heatmap (an image in plotly's heatmap layer) and the neuron view. The
    first visit on a fresh server loads the corpus, fits the n-gram and traces 8192 validation
    tokens: on a machine whose cores are busy elsewhere that takes minutes, not seconds."""
    wait_ready(pg, timeout=300_000)
    expect(pg.locator('.sv-chart .heatmaplayer image').first).to_be_attached(
        timeout=300_000)
    expect(pg.locator(".seqviz-text").first).to_be_visible()
    wait_ready(pg, timeout=300_000)


def _neuron_header(page) -> str:
    return page.get_by_text(re.compile(r"^Neuron view: unit \d+")).first.inner_text()


def test_hidden_states_pick_a_unit_and_see_coloured_text(server, page):
    page.set_viewport_size({"width": 1500, "height": 2600})
    page.goto(server + "/Hidden_States?source=lm_python")
    _hidden_ready(page)
    expect(page.get_by_text(re.compile(r"^Neuron view: unit \d+")).first).to_be_visible()
    no_exception(page)
    before = _neuron_header(page)

    # click the bar of another unit beside the heatmap: the neuron view follows it
    heatmap = page.locator('.sv-chart').first
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
        found = re.search(r"[ch](\d+), layer (\d+)", notable.first.inner_text())
        notable.first.click()
        expect(page.get_by_text(f"Neuron view: unit {found.group(1)}, layer {found.group(2)}")
               .first).to_be_visible()
        wait_ready(page)
        no_exception(page)
    expect(page.locator(".seqviz-text").first).to_be_visible()
    shot(page, "hidden_states")


def test_hidden_states_look_right_in_both_languages_and_presenter_mode(server, page):
    """No source in the link: each language opens its own bundled model (the Python LSTM in
    English, the Chinese LSTM in Chinese). Screenshots of every language, mode and size; no
    horizontal overflow, presenter fonts >= 20 px (ticks, legends) and >= 26 px (titles)."""
    from tests.browser import check_looks

    assert check_looks(page, server + "/Hidden_States", "hidden_states", _hidden_ready) == []


TABS = {"en": ["Heatmap and neuron", "Gates", "Neuron finder", "Trajectory", "Predictions"],
        "zh": ["热力图与神经元", "门控", "神经元查找器", "轨迹", "预测"]}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_tab_fits_a_projector(server, page, lang):
    """Presenter mode at 1024 x 768: every tab's charts drawn with readable type, nothing cut
    and no horizontal overflow (the charts of a tab are measured once it is open); a screenshot
    of each chart scrolled into view (the page scrolls inside the app, so a full-page shot of a
    presenter page is one screen)."""
    from tests.browser import layout_report

    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(server + f"/Hidden_States?lang={lang}&present=1")
    _hidden_ready(page)
    # the first chart starts on the projector's screen; the notice that no live model has
    # been trained yet (this test's session trained none) comes after the charts
    first = page.locator('.sv-chart').first
    expect(first.locator(".main-svg").first).to_be_visible()
    top = first.bounding_box()["y"]
    assert top < 700, f"the first chart starts at {top:.0f} px, off a 768 px screen"
    notice = page.locator('[data-testid="stAlert"]').first
    expect(notice).to_be_attached()
    assert notice.bounding_box()["y"] > top, "the notice came before the first chart"
    for k, tab in enumerate(TABS[lang], 1):
        page.get_by_role("tab", name=tab).click()
        panel = page.locator('[role="tabpanel"]:visible')
        charts = panel.locator('.sv-chart')
        if k != 3:  # the neuron finder draws coloured text and a table, not charts
            expect(charts.first.locator(".main-svg").first).to_be_visible()
        else:  # only the open tab is drawn: its content comes with the rerun the click asks for
            expect(panel.locator('[data-testid="stDataFrame"]').first).to_be_visible()
        wait_ready(page)
        no_exception(page)
        for i in range(max(charts.count(), 1)):
            (charts.nth(i) if charts.count() else panel).scroll_into_view_if_needed()
            shot(page, f"hidden_states_{lang}_present_tab{k}_{i + 1}")
        r = layout_report(page)
        assert r["overflow"] <= 2, (tab, r)
        assert r["ticks"] is None or r["ticks"] >= 19.5, (tab, r)
        assert r["legend"] is None or r["legend"] >= 19.5, (tab, r)
        assert r["titles"] is None or r["titles"] >= 25.5, (tab, r)
        assert not r["cut"], (tab, r)
