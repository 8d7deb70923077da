"""One script run at a time per session (``runner.fastReruns = false``).

With Streamlit's default, a widget change stopped the running script and started the new run
on a second thread at once; the stopped run went on until its next Streamlit call. On a
playing page the stopped run was often the live panel's tick, sent with the widget values of
a moment before: when its thread applied them after the new run had applied the change, the
change was lost (the LM page's address bar showed "clip=value", then went back to "norm")."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import start_server, wait_ready

pytestmark = pytest.mark.browser


def test_a_change_during_a_run_waits_for_it_instead_of_running_beside_it(chromium):
    proc, url = start_server(script="tests/apps/one_run_at_a_time.py")
    try:
        page = chromium.new_page()
        page.goto(url)
        wait_ready(page)
        again = page.get_by_role("button", name="Again")
        again.click()
        again.click()  # while the run the first click started is still working (1 s)
        counts = page.get_by_text(re.compile(r"^Runs: 3\."))
        expect(counts).to_be_visible(timeout=60_000)
        expect(counts).to_have_text("Runs: 3. At once, at most: 1.")
        page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
