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
