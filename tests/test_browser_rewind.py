"""Browser end-to-end: the timeline ("view step") on the hidden-states and embeddings pages, in
English, Chinese and presenter mode at 1024 x 768: a past step redraws the views, two steps
compare side by side, Live returns; screenshots of each."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from seqviz.i18n import _, pgettext, use_language
from tests.browser import (no_exception, overlapping_labels, shot, wait_metric_at_least,
                           wait_ready)

pytestmark = pytest.mark.browser

LOOKS = [("en", False), ("zh", False), ("en", True)]  # (lang, presenter mode)


def _words(lang: str) -> dict:
    with use_language(lang):
        return {"step": pgettext("metric", "Step"), "play": "▶ " + _("Play"),
                "pause": "⏸ " + _("Pause"), "past": _("Past step"),
                "compare": _("Compare two steps"), "live": _("Live"),
                "shown": _("Training step shown"), "a": _("Step A"),
                "as_was": _("Showing the model as it was at step {shown}; training is at step "
                            "{now}.").split("{shown}")[0]}


def _train(pg, w: dict, steps: int) -> None:
    wait_ready(pg, timeout=300_000)
    wait_metric_at_least(pg, w["step"], 0, timeout=300)
    pg.get_by_role("button", name=w["play"]).click(timeout=90_000)
    wait_metric_at_least(pg, w["step"], steps, timeout=180)
    either = pg.get_by_role("button", name=w["pause"]).or_(pg.get_by_role("button",
                                                                          name=w["play"]))
    expect(either.first).to_be_visible(timeout=90_000)
    if pg.get_by_role("button", name=w["pause"]).count():  # else the idle pause came first
        pg.get_by_role("button", name=w["pause"]).click(timeout=90_000)
    expect(pg.get_by_role("button", name=w["play"])).to_be_visible(timeout=90_000)
    wait_ready(pg)


def _pick(pg, label: str) -> None:
    """Click a radio option and see it checked. A click can land where the option was a moment
    before (the sidebar folding away moves the page under the pointer): then click again."""
    option = pg.locator('[data-testid="stRadio"] label').filter(has_text=re.compile(
        "^" + re.escape(label) + "$")).first
    for attempt in range(3):
        option.click()
        try:
            expect(option.locator("input")).to_be_checked(timeout=15_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
    wait_ready(pg)


def _slide(pg, label: str, key: str, times: int) -> None:
    """Move a select slider by the keyboard (as a user's arrow keys do) and wait for the run."""
    thumb = pg.locator('[data-testid="stSlider"]').filter(has_text=label).get_by_role(
        "slider").first
    thumb.focus()
    for _i in range(times):
        thumb.press(key)
    wait_ready(pg)


def _scroll(chart) -> None:
    """Bring a chart into view (the page scrolls inside the app) without Playwright's wait for
    it to stand still: a plotly chart may redraw for a while on a busy machine."""
    expect(chart).to_be_visible()
    chart.evaluate("e => e.scrollIntoView({block: 'start'})")


def _open(pg, server: str, path: str, lang: str, present: bool) -> None:
    pg.set_viewport_size({"width": 1024, "height": 768} if present
                         else {"width": 1500, "height": 2400})
    query = [f"lang={lang}"] + (["present=1"] if present else [])
    pg.goto(server + path + ("&" if "?" in path else "?") + "&".join(query))


def _name(page_name: str, lang: str, present: bool, what: str) -> str:
    return f"rewind_{page_name}_{lang}_{'present_1024x768' if present else 'normal'}_{what}"


@pytest.mark.parametrize("lang,present", LOOKS)
def test_hidden_states_timeline(server, page, lang, present):
    """Train the LM page's model, open the hidden-states page in the same session (the
    sidebar's link), view a past step, then compare two."""
    w = _words(lang)
    _open(page, server, "/Language_Model?corpus=grammar&level=word&seed=3", lang, present)
    _train(page, w, 40)
    if present:  # the sidebar is collapsed: open it for its link
        page.locator('[data-testid="stExpandSidebarButton"]').click()
    page.locator('a[data-testid="stPageLink-NavLink"][href="Hidden_States"]').first.click()
    if present:
        wait_ready(page)
        collapse = page.locator('[data-testid="stSidebarCollapseButton"] button')
        if collapse.count():
            collapse.first.click(force=True)
            expect(page.locator('[data-testid="stSidebar"]')).to_have_attribute(
                "data-collapsed", "true")
    expect(page.locator('.sv-chart .heatmaplayer image').first
           ).to_be_attached(timeout=300_000)
    wait_ready(page, timeout=300_000)
    _pick(page, w["past"])
    _slide(page, w["shown"], "Home", 1)  # step 0: the untrained model
    _slide(page, w["shown"], "ArrowRight", 3)
    expect(page.get_by_text(re.compile(re.escape(w["as_was"]))).first).to_be_visible(
        timeout=60_000)
    expect(page.locator('.sv-chart .heatmaplayer image').first
           ).to_be_attached()
    no_exception(page)
    shot(page, _name("hidden", lang, present, "past"))
    _pick(page, w["compare"])
    _slide(page, w["a"], "Home", 1)
    heat = page.locator('.sv-chart').filter(
        has=page.locator(".heatmaplayer image"))
    expect(heat).to_have_count(3, timeout=60_000)  # A, B and B − A
    no_exception(page)
    _scroll(heat.nth(0))
    shot(page, _name("hidden", lang, present, "compare"))
    if present:
        _scroll(heat.nth(2))
        shot(page, _name("hidden", lang, present, "compare_difference"))
    _pick(page, w["live"])
    expect(heat).to_have_count(1, timeout=60_000)
    no_exception(page)


@pytest.mark.parametrize("lang,present", LOOKS)
def test_embeddings_timeline(server, page, lang, present):
    w = _words(lang)
    _open(page, server, "/Embeddings?seed=0&projection=pca", lang, present)
    _train(page, w, 100)
    maps = page.locator('.sv-chart').filter(
        has=page.locator("g.textpoint text"))
    expect(maps.first).to_be_visible(timeout=60_000)
    base = maps.count()  # the live map, and any other labelled chart of the page (GloVe's f(x))
    _pick(page, w["past"])
    _slide(page, w["shown"], "Home", 1)
    _slide(page, w["shown"], "ArrowRight", 5)
    expect(page.get_by_text(re.compile(re.escape(w["as_was"]))).first).to_be_visible(
        timeout=60_000)
    expect(maps).to_have_count(base + 1, timeout=60_000)  # and the past map
    no_exception(page)
    _scroll(maps.nth(1))
    shot(page, _name("embeddings", lang, present, "past"))
    _pick(page, w["compare"])
    _slide(page, w["a"], "Home", 1)
    expect(maps).to_have_count(base + 2, timeout=60_000)  # maps A and B
    no_exception(page)
    # each half-width map places its labels for its own size: none on top of another
    assert [overlapping_labels(maps.nth(base + i)) for i in range(2)] == [[], []]
    _scroll(maps.nth(1))
    shot(page, _name("embeddings", lang, present, "compare"))
    _pick(page, w["live"])
    expect(maps).to_have_count(base, timeout=60_000)
