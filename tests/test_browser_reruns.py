"""One script run at a time per session (``runner.fastReruns = false``), and no element sent
by reference to the browser's message cache (``global.minCachedMessageSize``).

With Streamlit's default, a widget change stopped the running script and started the new run
on a second thread at once; the stopped run went on until its next Streamlit call. On a
playing page the stopped run was often the live panel's tick, sent with the widget values of
a moment before: when its thread applied them after the new run had applied the change, the
change was lost (the LM page's address bar showed "clip=value", then went back to "norm").

With Streamlit's cache, an element the browser said it kept was sent as a reference; a rerun
that waited for the run before it, or came from st.rerun(), could name one the browser had
dropped meanwhile, and the page stopped with "Cached ForwardMsg MISS" (once in CI)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

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


def test_a_rerun_sends_a_large_element_again_in_full_not_by_reference(chromium):
    """With Streamlit's default (``minCachedMessageSize = 10000``) the second run's 20 kB
    element comes as a ``ref_hash`` and this test fails; the project's config sends it in
    full."""
    proc, url = start_server(script="tests/apps/same_element_twice.py")
    try:
        page = chromium.new_page()
        received = []
        page.on("websocket", lambda ws: ws.on(
            "framereceived", lambda f: received.append(ForwardMsg.FromString(f))
            if isinstance(f, bytes) else None))
        page.goto(url)
        wait_ready(page)
        expect(page.get_by_text("Runs: 1.")).to_be_visible()
        page.get_by_role("button", name="Again").click()
        expect(page.get_by_text("Runs: 2.")).to_be_visible()
        kinds = [m.WhichOneof("type") for m in received]
        assert "ref_hash" not in kinds
        code = [m for m in received if m.WhichOneof("type") == "delta"
                and m.delta.new_element.WhichOneof("type") == "code"]
        assert len(code) == 2 and not any(m.metadata.cacheable for m in code)
        page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
