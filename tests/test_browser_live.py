"""Browser: while a page plays, no chart that was drawn ever goes blank (issue 13).

Every 0.25 s for 15 s the test reads, for every Plotly chart on the page, whether it has a box
and how many data elements it draws (lines, points, bars, heatmap images); a chart that had
data must keep it in every later sample. It also saves a screenshot every 2.5 s to look at.

Plotly swaps a chart's drawing in less than one 16 ms frame when new data arrives (sampled every
10 ms: about 4 such instants in 15 s, each seen once). A sample that finds a chart empty looks
again once the browser has drawn three more frames, and only a chart still empty then (a blank
a person or a screenshot would see) counts. Frames, not milliseconds: on a machine whose cores
are busy elsewhere the browser draws less often, and a swap caught in the middle can last longer
than 50 ms of wall time without a single frame showing it.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser import no_exception, sample_charts, shot, step_count, \
    wait_metric_at_least, wait_ready

pytestmark = pytest.mark.browser

SECONDS, EVERY = 15.0, 0.25
MIN_SAMPLES = int(SECONDS / EVERY * 0.5)

# Each chart element is marked before Play; afterwards every chart must be the same element
# (redrawn in place by Plotly.react, seqviz.ui.chart), with the number of figures it was given
# (``data-version``). With st.plotly_chart, Streamlit 1.67 mounted a new element per figure.
MARK_JS = """() => [...document.querySelectorAll('.sv-chart')].map((c, i) => {
  c.__svMark = i; return Number(c.dataset.version || 0); })"""
KEPT_JS = """() => [...document.querySelectorAll('.sv-chart')].map(
  c => [c.__svMark === undefined ? null : c.__svMark, Number(c.dataset.version || 0)])"""


def _watch(page, name: str) -> list[list[list[int]]]:
    """Sample the charts every EVERY s for SECONDS s, and on a loaded machine (where a sample
    and a screenshot take longer) on until MIN_SAMPLES are taken, for at most 8 x SECONDS."""
    frames, start, next_shot = [], time.monotonic(), 0.0
    while (now := time.monotonic() - start) < SECONDS or (
            len(frames) < MIN_SAMPLES and now < 8 * SECONDS):
        frames.append(sample_charts(page))
        if now >= next_shot:
            shot(page, f"{name}_playing_{int(now):02d}s")
            next_shot += 2.5
        time.sleep(max(0.0, EVERY - (time.monotonic() - start - now)))
    return frames


def _blank_frames(frames: list[list[list[int]]], charts: int | None = None) -> list[str]:
    problems, drawn = [], set()
    for i, frame in enumerate(frames):
        if charts is not None and len(frame) > charts:
            problems.append(f"sample {i}: {len(frame)} charts shown, the page has {charts}")
        for c, (box, n) in enumerate(frame):
            if c in drawn and (not box or n == 0):
                problems.append(f"sample {i} ({i * EVERY:.2f} s): chart {c} is empty")
            if box and n:
                drawn.add(c)
        missing = [c for c in drawn if c >= len(frame)]
        problems += [f"sample {i}: chart {c} is gone" for c in missing]
    return problems


@pytest.mark.parametrize("name,url,charts", [
    ("language_model", "/Language_Model?corpus=grammar&level=word&seed=3", 3),
    ("gradient_flow", "/Gradient_Flow?seq_len=50&hidden_size=64&seed=1", 6),
])
def test_charts_never_go_blank_while_playing(server, page, name, url, charts):
    page.set_viewport_size({"width": 1500, "height": 3200})
    page.goto(server + url)
    wait_ready(page)
    expect(page.locator('.sv-chart')).to_have_count(charts)
    start = step_count(page)
    before = page.evaluate(MARK_JS)
    page.get_by_role("button", name="▶ Play").click()
    wait_metric_at_least(page, "Step", start + 1)
    frames = _watch(page, name)
    page.get_by_role("button", name="⏸ Pause").click()
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible()
    assert len(frames) >= MIN_SAMPLES, f"only {len(frames)} samples were taken"
    problems = _blank_frames(frames, charts)
    assert not problems, "\n".join(problems[:10])
    after = page.evaluate(KEPT_JS)
    assert [mark for mark, _v in after] == list(range(charts)), after  # the same elements
    assert after[0][1] >= before[0] + 3, (before, after)  # the loss curve redrawn in place
    no_exception(page)


def test_the_blank_frame_check_sees_a_blank_frame():
    frames = [[[1, 3], [1, 0]], [[1, 3], [1, 2]], [[1, 0], [1, 2]], [[1, 3]]]
    problems = _blank_frames(frames, charts=2)
    assert problems == ["sample 2 (0.50 s): chart 0 is empty", "sample 3: chart 1 is gone"]
    assert _blank_frames([[[1, 3], [1, 3], [1, 3]]], charts=2) == [
        "sample 0: 3 charts shown, the page has 2"]
