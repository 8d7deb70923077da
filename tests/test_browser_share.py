"""Browser end-to-end: a lecturer shares the LM page's run, a student follows it in another
browser context (charts move while the lecturer trains), forks it, and sees the share end."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import (check_looks, no_exception, shot, step_count, wait_metric_at_least,
                           wait_ready)

pytestmark = pytest.mark.browser
SMALL = "corpus=grammar&level=word&cell=gru&hidden_size=16&embed_size=8&seq_len=8&batch_size=4"


def test_share_follow_fork_and_end(server, browser, request):
    lecturer = browser.new_context(viewport={"width": 1400, "height": 1400})
    student = browser.new_context(viewport={"width": 1400, "height": 1600})
    for ctx in (lecturer, student):  # two browsers and a server on a busy machine: patience
        ctx.set_default_timeout(120_000)
        request.addfinalizer(ctx.close)  # after the report, which shows what they showed
    page = lecturer.new_page()
    page.goto(f"{server}/Language_Model?{SMALL}")
    wait_ready(page)
    share_switch = page.locator('[data-testid="stSidebar"] label').filter(
        has_text="Share this run live")
    share_switch.click()
    code_box = page.get_by_text(re.compile(r"^Code: [a-z0-9-]{10,}$"))
    expect(code_box).to_be_visible()
    code = code_box.inner_text().split()[-1]
    expect(page.locator('[data-testid="stSidebar"] [data-testid="stImage"] img')
           ).to_be_visible()  # the QR code
    wait_ready(page)
    shot(page, "share_lecturer")
    page.get_by_role("button", name="▶ Play").click()

    watch = student.new_page()

    def ready(pg):  # the Follow page polls the share all the time: wait for what it draws
        expect(pg.locator('[data-testid="stApp"]')).to_be_visible()
        expect(pg.get_by_text(re.compile("Following the lecturer|正在跟随讲师"))
               ).to_be_visible()
        charts = pg.locator('.sv-chart').filter(
            has=pg.locator("path.js-line"))
        expect(charts.nth(2)).to_be_visible()  # all three curves drawn

    assert check_looks(watch, f"{server}/Follow?follow={code}", "follow", ready) == []
    watch = student.new_page()  # English, not presenting (check_looks ended in zh)
    watch.set_viewport_size({"width": 1400, "height": 1600})
    watch.goto(f"{server}/Follow?follow={code}&lang=en&present=0")
    ready(watch)
    expect(watch.get_by_text("Following the lecturer")).to_be_visible()
    seen = step_count(watch)
    wait_metric_at_least(watch, "Step", seen + 5)  # the charts move with the lecturer
    no_exception(watch)

    watch.get_by_role("link", name="🍴 Fork").click()  # a paused copy of one's own
    expect(watch).to_have_url(re.compile(r"/Language_Model\?(?!.*fork=)"))  # fork= used up
    expect(watch.get_by_role("button", name="▶ Play")).to_be_visible()
    forked = step_count(watch, timeout=120)  # the fork is built in a worker first
    assert forked > 0
    watch.get_by_role("button", name="⏭ Step").click()
    wait_metric_at_least(watch, "Step", forked + 1)
    no_exception(watch)
    shot(watch, "share_fork")

    ended = student.new_page()
    ended.goto(f"{server}/Follow?follow={code}&lang=en")
    ready(ended)
    wait_metric_at_least(ended, "Step", 1)
    share_switch.click()  # the lecturer stops sharing
    expect(ended.get_by_text("the lecturer stopped sharing")).to_be_visible()
    expect(ended.locator('.sv-chart').first).to_be_visible()  # kept
    shot(ended, "follow_ended")
