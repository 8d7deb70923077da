"""Browser: the charts of a page are drawn one per browser task (``seqviz.ui.chart``'s
``queueDraw``), so the browser can paint the first chart before it draws the others."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import start_server, wait_ready

pytestmark = pytest.mark.browser

# Before the page's scripts run: wrap Plotly.react when the bundle defines window.Plotly. Each
# call records whether a timer set at the previous call (a task queued behind the current one)
# has run by then: draws in one task would find it not run yet.
WRAP_REACT = """
(() => {
  window.__svReacts = [];
  let plotly;
  Object.defineProperty(window, 'Plotly', {configurable: true, get: () => plotly, set(value) {
    plotly = value;
    const react = value.react;
    let timerRan = true;
    value.react = function (...args) {
      window.__svReacts.push({timerRan});
      timerRan = false;
      setTimeout(() => { timerRan = true; }, 0);
      return react.apply(this, args);
    };
  }});
})();
"""


def test_a_page_draws_its_charts_one_per_task(chromium):
    proc, url = start_server(script="tests/apps/four_charts.py")
    try:
        page = chromium.new_page()
        page.add_init_script(WRAP_REACT)
        page.goto(url)
        wait_ready(page)
        expect(page.locator(".sv-chart[data-version]")).to_have_count(4, timeout=60_000)
        reacts = page.evaluate("() => window.__svReacts")
        assert len(reacts) == 4, reacts
        assert all(r["timerRan"] for r in reacts), reacts  # each draw in a task of its own
        page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
