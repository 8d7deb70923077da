"""The link is always the experiment on screen: after any change, by the time the page has
answered the click, the address bar holds the new settings, and opening that address in a fresh
browser context reproduces them (issue 14)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser import no_exception, wait_ready

pytestmark = pytest.mark.browser

START = "/Language_Model?corpus=grammar&level=word&hidden_size=32&embed_size=16&seq_len=16" \
        "&batch_size=8"


def _params(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def _sidebar(page):
    return page.locator('[data-testid="stSidebar"]')


def _radio(label):
    def act(page):
        _sidebar(page).get_by_text(label, exact=True).click()
    return act


def _slider(name, steps=1):
    def act(page):
        box = _sidebar(page).locator('[data-testid="stSlider"]').filter(has_text=name)
        box.get_by_role("slider").focus()
        for _unused in range(abs(steps)):
            page.keyboard.press("ArrowRight" if steps > 0 else "ArrowLeft")
    return act


def _number(name, value):
    def act(page):
        box = _sidebar(page).locator('[data-testid="stNumberInput"]').filter(has_text=name)
        field = box.locator("input")
        field.fill(str(value))
        field.press("Enter")
    return act


def _select(name, option):
    def act(page):
        box = _sidebar(page).locator('[data-testid="stSelectbox"]').filter(has_text=name)
        box.click()
        page.get_by_role("option", name=option).click()
    return act


CHANGES = [  # (what the user does, parameter, value the link must then hold)
    (_radio("GRU"), "cell", "gru"),                      # rebuild fields
    (_slider("Hidden size H"), "hidden_size", "64"),
    (_number("Layers", 2), "num_layers", "2"),
    (_slider("Embedding size E", -1), "embed_size", "8"),
    (_slider("Sequence length T (BPTT)"), "seq_len", "32"),
    (_slider("Batch size B"), "batch_size", "16"),
    (_radio("SGD"), "optimizer", "sgd"),
    (_radio("characters"), "level", "char"),
    (_select("Corpus", "Python source code"), "corpus", "python"),
    (_number("Seed", 7), "seed", "7"),
    (_slider("Learning rate (live)"), "lr", "0.01"),     # live fields
    (_radio("by value"), "clip", "value"),
    (_slider("Clip threshold (live)"), "clip_threshold", "2.0"),
    (_slider("Temperature (live)"), "temperature", "0.85"),
]


def test_address_bar_follows_every_change_and_reopens_the_same_experiment(server, browser):
    ctx = browser.new_context(viewport={"width": 1500, "height": 2600})
    page = ctx.new_page()
    page.goto(server + START)
    wait_ready(page)
    expect(page.locator('[data-testid="stPlotlyChart"]').first).to_be_attached()
    page.get_by_role("button", name="▶ Play").click()  # changes land while it trains
    for act, name, value in CHANGES:
        before = _params(page.url)
        act(page)
        # within moments of the change (before a person can reach for the address bar), and
        # without another interaction: the bug was an address bar one change behind
        expect(page).to_have_url(re.compile(rf"[?&]{name}={re.escape(value)}(&|$)"),
                                 timeout=10_000)
        wait_ready(page)
        now = _params(page.url)
        assert now.get(name) == value, (name, before.get(name), now.get(name))
        assert {k: v for k, v in now.items() if k != name} == \
            {k: v for k, v in before.items() if k != name}, name
        no_exception(page)
    link = page.url
    ctx.close()

    fresh = browser.new_context(viewport={"width": 1500, "height": 2600})
    other = fresh.new_page()
    other.goto(link)
    wait_ready(other)
    expect(other.locator('[data-testid="stPlotlyChart"]').first).to_be_attached()
    wait_ready(other)
    assert _params(other.url) == _params(link)  # the page parsed and re-published it unchanged
    assert other.locator('[data-testid="stAlert"]').filter(has_text="Ignored").count() == 0
    expect(_sidebar(other).get_by_role("radio", name="GRU")).to_be_checked()
    fresh.close()
