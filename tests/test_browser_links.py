"""The link is always the experiment on screen: after any change, by the time the page has
answered the click, the address bar holds the new settings, and opening that address in a fresh
browser context reproduces them (issue 14)."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser import no_exception, step_count, wait_ready

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
    expect(page.locator('.sv-chart').first).to_be_attached()
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
    expect(other.locator('.sv-chart').first).to_be_attached()
    wait_ready(other)
    assert _params(other.url) == _params(link)  # the page parsed and re-published it unchanged
    assert other.locator('[data-testid="stAlert"]').filter(has_text="Ignored").count() == 0
    expect(_sidebar(other).get_by_role("radio", name="GRU")).to_be_checked()
    fresh.close()


class _HeldReplies:
    """Holds the server's messages to the page while ``holding``, so that the page goes on
    showing (and sending) the address it had: what a busy machine or a slow network does
    between a change and its address reaching the browser. Counts the runs that finished."""

    def __init__(self, page):
        self.holding, self.held, self.finished = False, [], 0
        page.route_web_socket(re.compile(r".*/_stcore/stream$"), self._route)

    def _route(self, ws):
        server = ws.connect_to_server()
        ws.on_message(server.send)

        def reply(message):
            if isinstance(message, bytes):
                from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

                msg = ForwardMsg()
                msg.ParseFromString(message)
                self.finished += msg.WhichOneof("type") == "script_finished"
            if self.holding:
                self.held.append(message)
            else:
                ws.send(message)
        server.on_message(reply)
        self.ws = ws

    def release(self):
        self.holding = False
        for message in self.held:
            self.ws.send(message)
        self.held = []


def _until(page, done, what: str, timeout: float = 60) -> None:
    """Let Playwright deliver the socket's messages until ``done()`` holds (a retrying wait on
    a condition in this process, which ``expect`` cannot watch)."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        page.wait_for_timeout(50)


def test_a_click_sent_with_the_old_address_keeps_the_change(server, browser):
    """A click sent after a change but before the change's address reached the browser
    carries the old address. The page must take it for what it is, not for a link the user
    opened: before, the click on Step undid the change (the optimiser went back to Adam)."""
    ctx = browser.new_context(viewport={"width": 1500, "height": 2600})
    page = ctx.new_page()
    replies = _HeldReplies(page)
    page.goto(server + START)
    wait_ready(page)
    expect(page.locator('.sv-chart').first).to_be_attached()
    assert _params(page.url)["optimizer"] == "adam" and step_count(page) == 0
    replies.holding = True
    runs = replies.finished
    _radio("SGD")(page)
    _until(page, lambda: replies.finished > runs, "the change's run to finish")
    page.get_by_role("button", name="⏭ Step").click()  # sent with the old address
    runs = replies.finished
    _until(page, lambda: replies.finished > runs, "the Step run to finish")
    assert _params(page.url)["optimizer"] == "adam"  # the page never saw the change's address
    replies.release()
    expect(page).to_have_url(re.compile(r"[?&]optimizer=sgd(&|$)"), timeout=30_000)
    wait_ready(page)
    expect(_sidebar(page).get_by_role("radio", name="SGD")).to_be_checked()
    assert _params(page.url).get("optimizer") == "sgd"
    assert step_count(page) == 1
    no_exception(page)
    ctx.close()


def test_back_and_a_lecture_step_open_in_the_same_session(server, browser):
    """The links that do change the settings in a session that has them: the browser's Back
    (it undoes the last change) and a lecture step's link, whose mark leaves the address."""
    ctx = browser.new_context(viewport={"width": 1500, "height": 2600})
    page = ctx.new_page()
    page.goto(server + START)
    wait_ready(page)
    _radio("SGD")(page)
    expect(page).to_have_url(re.compile(r"[?&]optimizer=sgd(&|$)"), timeout=30_000)
    wait_ready(page)
    page.go_back()
    expect(_sidebar(page).get_by_role("radio", name="Adam")).to_be_checked(timeout=30_000)
    wait_ready(page)
    assert _params(page.url)["optimizer"] == "adam"

    page.get_by_text("Lecture:", exact=False).first.click()
    step = page.get_by_role("link", name=re.compile("Set up step 2"))
    expect(step).to_be_visible(timeout=30_000)
    want = {k: v[-1] for k, v in parse_qs(urlsplit(step.get_attribute("href")).query).items()}
    assert want.pop("link") == "1"
    step.click()
    for k, v in want.items():
        expect(page).to_have_url(re.compile(rf"[?&]{k}={re.escape(v)}(&|$)"), timeout=30_000)
    wait_ready(page)
    now = _params(page.url)
    assert {k: now.get(k) for k in want} == want and "link" not in now, now
    no_exception(page)
    ctx.close()
