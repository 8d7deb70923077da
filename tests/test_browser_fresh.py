"""Browser: every live page as a student first sees it, at step 0 before Play. Its charts over
training steps start at step 0 and tick at whole steps (one point at step 0 alone autoranges
to -1..1, ticks at -0.5 and 0.5: ``seqviz.figures.style.styled(steps=True)``), and no chart
draws text a reader cannot read whole (``tests.chart_geometry``)."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser import no_exception, wait_js, wait_ready
from tests.chart_geometry import GEOMETRY_JS, chart_problems, step_titles

pytestmark = pytest.mark.browser

PAGES = [  # (path, language, how many charts have a training-step axis at step 0); Chinese
    # in presenter mode at 1024x768 (narrower charts: a tick every step, -1 included if there)
    ("/Language_Model?seed=0", "en", 3),
    ("/Gradient_Flow?seed=0", "zh", 2),
    ("/Clipping?seed=0", "en", 2),
    ("/Attention?seed=0", "zh", 2),
    ("/Embeddings?seed=0", "en", 2),
    ("/Embeddings?seed=0", "zh", 2),
    ("/Sequence_Tasks?seed=0", "en", 2),
    ("/CTC?seed=0", "zh", 1),
]

_STEP_CHARTS_JS = """(titles) => [...document.querySelectorAll('.js-plotly-plot')].filter(
  (p) => [...p.querySelectorAll('.xtitle')].some((t) => titles.includes(t.textContent.trim()))
         && p.querySelector('.xtick text')).length"""


@pytest.mark.parametrize("path,lang,charts", PAGES, ids=[
    p[0].split("?")[0].strip("/") + "-" + p[1] for p in PAGES])
def test_a_fresh_page_draws_whole_steps_from_zero(server, page, path, lang, charts):
    present = lang == "zh"
    if present:
        page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{server}{path}&lang={lang}&present={int(present)}")
    wait_ready(page)
    wait_js(page, f"(titles) => ({_STEP_CHARTS_JS})(titles) >= {charts}", arg=step_titles(),
            timeout=120)
    wait_ready(page)
    try:  # charts redraw while the page settles: wait for a clean frame, else say what is wrong
        wait_js(page, f"(titles) => ({GEOMETRY_JS})(titles).length === 0", arg=step_titles(),
                timeout=30)
    except PlaywrightTimeout:
        pass  # the assertion below names the problems
    assert chart_problems(page) == []
    no_exception(page)


# Installed before the page's scripts: how many placeholders (``seqviz.ui.charts``) were in the
# page in the frame that first showed a drawn chart, and that chart's plot.
_LATER_AT_FIRST_JS = """() => {
  const ob = new MutationObserver(() => {
    if (document.querySelector('[data-testid="stPlotlyChart"] .main-svg')) {
      window.__laterAtFirst = document.querySelectorAll('.seqviz-later').length;
      window.__firstPlot = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
      ob.disconnect();
    }
  });
  ob.observe(document, {childList: true, subtree: true});
}"""


def test_a_first_look_paints_one_chart_then_the_rest(server, page):
    """A fresh session's first run draws one chart and placeholders; the probe sees it
    painted and the rerun draws the other five, the placeholders gone, the probe hidden."""
    from playwright.sync_api import expect

    page.add_init_script(f"({_LATER_AT_FIRST_JS})()")
    page.goto(f"{server}/Gradient_Flow?seed=0")
    expect(page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot')).to_have_count(
        6, timeout=120_000)
    expect(page.locator(".seqviz-later")).to_have_count(0)
    assert page.evaluate("window.__laterAtFirst") == 5  # the first chart came alone
    # the probe answered because a chart was painted, not on its fallback timer
    assert page.evaluate("document.documentElement.dataset.seqvizFirstLook") == "chart"
    expect(page.locator(".st-key-seqviz_first_look")).to_have_count(0)  # gone after the rerun
    # the chart painted first stayed: the rerun did not take it down to draw it again (a probe
    # that left no element in its place moved every element after it, and Streamlit redrew them)
    assert page.evaluate("document.contains(window.__firstPlot)")
    no_exception(page)
