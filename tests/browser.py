"""Shared browser-test machinery: one ``streamlit run app.py`` per test session, Debian's
headless Chromium driven by Playwright, screenshots to ``artifacts/screenshots/``."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.chart_geometry import chart_problems

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "screenshots"
SERVER_LOGS = ROOT / "artifacts" / "server-logs"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
START_TIMEOUT = 300  # seconds for the server to warm up and answer (see start_server)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(prefix: tuple[str, ...] = (), quiet: bool = False, env: dict | None = None,
                 script: str = "app.py") -> tuple[subprocess.Popen, str]:
    """``streamlit run app.py`` (or another ``script``, from the project root) on 127.0.0.1 and
    a free port, once it answers its health check; ``prefix`` goes before the command (e.g.
    ``("taskset", "-c", "0")``), ``env`` adds to the environment (e.g.
    ``SEQVIZ_ENGINE_STATS``). The server
    answers only once its start-up warm-up is done (``seqviz.ui.startup``): seconds on a quiet
    machine, minutes on one whose cores are busy elsewhere, hence the long deadline.

    The server's output (and its engine workers', which inherit it) goes to a file,
    ``artifacts/server-logs/server-<port>.log`` (``proc.log``), so that a failed test can show
    it (tests/conftest.py adds its end to the failure's report)."""
    port = free_port()
    log = None
    if not quiet:
        SERVER_LOGS.mkdir(parents=True, exist_ok=True)
        log = SERVER_LOGS / f"server-{port}.log"
    with open(log if log else os.devnull, "wb") as out:
        proc = subprocess.Popen(
            [*prefix, sys.executable, "-m", "streamlit", "run", script, "--server.address",
             "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdout=out, stderr=subprocess.STDOUT)
    proc.log = log
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + START_TIMEOUT
    while time.time() < deadline and proc.poll() is None:  # a server that exited: say why
        if answers(url):
            return proc, url
        time.sleep(0.5)
    proc.kill()
    said = log.read_bytes().decode(errors="replace")[-2000:] if log else ""
    raise RuntimeError("streamlit did not start: " + said)


def answers(url: str) -> bool:
    """The Streamlit server at ``url`` answers its health check."""
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
            return True
    except OSError:
        return False


def child_pids(pid: int) -> list[int]:
    """The processes ``pid`` started that are still there (Linux /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry))
        except (OSError, ValueError, IndexError):  # gone meanwhile
            continue
    return out


def wait_ready(page, timeout: int = 90_000) -> None:
    """The app has finished a script run: Streamlit marks ``stApp`` with its script state.
    Playwright's ``expect`` retries until it holds, so a busy machine only makes it slower."""
    from playwright.sync_api import expect

    expect(page.locator('[data-testid="stApp"]')).to_be_visible(timeout=timeout)
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')
           ).to_be_attached(timeout=timeout)


POLL_MS = 250  # how often wait_js re-checks its condition in the page


def wait_js(page, expression: str, arg=None, timeout: float = 90):
    """Wait until ``expression`` (a JS function of ``arg``) returns something truthy in the
    page, and return its handle. It re-checks on a timer every ``POLL_MS``, not on
    Playwright's default of every animation frame: on a busy machine a page's animation
    frames can be starved, and a frame-driven wait then does not run its check. A CI run
    waited 90 s for a "Step" of at least 0 while the page showed "Step 0"; another waited
    120 s for any "Step" value on a page that had just drawn its "Play" button.

    On a timeout, the error says what the condition gives when checked once more right then:
    a condition that holds by then was not being checked, one that does not never held."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return page.wait_for_function(expression, arg=arg, timeout=timeout * 1000,
                                      polling=POLL_MS)
    except PlaywrightTimeout as exc:
        try:
            now = repr(page.evaluate(expression, arg))[:300]
        except Exception as again:  # noqa: BLE001 - the page may be gone: say so
            now = f"(could not check again: {again})"
        raise PlaywrightTimeout(f"{exc.message}\nthe condition, checked once more after the "
                                f"timeout, gives: {now}") from exc


_METRIC_JS = """([label, n]) => {
  for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
    const l = m.querySelector('[data-testid="stMetricLabel"]');
    const v = m.querySelector('[data-testid="stMetricValue"]');
    if (!l || !v || l.innerText.trim().split('\\n')[0].trim() !== label) continue;
    const x = parseFloat(v.innerText.replace(/,/g, ''));
    if (!Number.isNaN(x) && x >= n) return [x];  // an array: 0 is falsy, [0] is not
  }
  return false;
}"""


def page_language(page) -> str:
    """The page's language, from its address (``lang=``, which the app keeps there). Not from
    which buttons are on the page at this instant: a page caught between two runs of its
    script may show none, and a Chinese page then passed for an English one (a CI run waited
    90 s for an English "Step" on a page that showed "步数 0")."""
    from urllib.parse import parse_qs, urlparse

    return parse_qs(urlparse(page.url).query).get("lang", ["en"])[0]


def wait_metric_at_least(page, label: str, n: float, timeout: float = 90) -> float:
    """Wait (polling in the page) until the metric labelled exactly ``label`` shows >= n."""
    handle = wait_js(page, _METRIC_JS, arg=[label, n], timeout=timeout)
    return float(handle.json_value()[0])


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, \
        page.locator('[data-testid="stException"]').first.inner_text()


def metric(page, label: str) -> str:
    """The shown value of the first ``st.metric`` whose label contains ``label``."""
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text()


_VALUE_JS = """(label) => {
  for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
    const l = m.querySelector('[data-testid="stMetricLabel"]');
    const v = m.querySelector('[data-testid="stMetricValue"]');
    if (!l || !v || l.innerText.trim().split('\\n')[0].trim() !== label) continue;
    const x = parseFloat(v.innerText.replace(/,/g, ''));
    if (!Number.isNaN(x)) return [x];  // an array: 0 is falsy, [0] is not
  }
  return false;
}"""


def step_count(page, timeout: float = 30) -> int:
    """The "Step" metric as a number. A live fragment redraws the metric every tick and a read
    can land mid-redraw: wait (polling in the page) until it reads as a number."""
    handle = wait_js(page, _VALUE_JS, arg="Step", timeout=timeout)
    return int(handle.json_value()[0])


# per chart: [has a box, number of drawn data elements (lines, points, bars, heatmap images)]
# per chart the browser renders: [has a box, number of drawn data elements (lines, points,
# bars, heatmap images)]. Streamlit keeps hidden copies of replaced elements (display: none)
# for a moment; they are not on screen and not counted.
CHARTS_JS = """() => [...document.querySelectorAll('.sv-chart')]
  .filter(c => c.checkVisibility({visibilityProperty: true})).map(c => {
  const r = c.getBoundingClientRect();
  const drawn = c.querySelectorAll(
    'path.js-line, .heatmaplayer image, g.points path.point, .barlayer path, .contourlayer path'
  ).length;
  return [r.width > 0 && r.height > 0 ? 1 : 0, drawn];
})"""


_AFTER_FRAMES_JS = f"""async () => {{
  for (let i = 0; i < 3; i++) await new Promise(r => requestAnimationFrame(r));
  return ({CHARTS_JS})();
}}"""


def sample_charts(page) -> list[list[int]]:
    """``CHARTS_JS`` once; if a chart is empty (caught mid-swap?), looked at again three frames
    later, and only a chart still empty then counts as empty."""
    frame = page.evaluate(CHARTS_JS)
    if any(not box or not n for box, n in frame):
        again = page.evaluate(_AFTER_FRAMES_JS)
        if len(again) == len(frame):
            frame = [[max(a[0], b[0]), max(a[1], b[1])] for a, b in zip(frame, again)]
    return frame


def play_until(page, steps: int, timeout: float = 90) -> tuple[int, float]:
    """Press Play, wait until the step counter shows ``steps``, press Pause and wait until the
    page shows Play again; returns (steps shown after the pause, seconds to reach ``steps``)."""
    import time

    from playwright.sync_api import expect

    wait_ready(page)
    page.get_by_role("button", name="▶ Play").click()
    start = time.time()
    wait_metric_at_least(page, "Step", steps, timeout)
    elapsed = time.time() - start
    page.get_by_role("button", name="⏸ Pause").click()
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible(timeout=60_000)
    wait_ready(page)
    return step_count(page), elapsed


# ---- how a page looks: both languages, presenter mode, projector sizes -------------------------
LOOKS = [  # (lang, presenter, viewport): what a lecture and a student see
    ("en", False, (1500, 2400)), ("zh", False, (1500, 2400)),
    ("en", True, (1024, 768)), ("zh", True, (1024, 768)),
    ("en", True, (1280, 720)), ("zh", True, (1280, 720)),
]

# Horizontal overflow of the page, and the smallest font of chart ticks, legends and titles
# (plotly draws text as SVG <text> with an inline font-size).
_LAYOUT_JS = """() => {
  const doc = document.documentElement;
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  const sizes = (sel) => [...document.querySelectorAll(sel)]
    .filter(e => e.checkVisibility() && e.textContent.trim())
    .map(e => parseFloat(getComputedStyle(e).fontSize));
  const min = (a) => a.length ? Math.min(...a) : null;
  const cut = [...document.querySelectorAll('[data-testid="stMain"] button p, ' +
                                            '[data-testid="stMain"] .stMarkdownEllipsis, ' +
                                            '[data-testid="stMain"] :is(h1, h2, h3), ' +
                                            '[data-testid="stMain"] ' +
                                            '[data-testid="stSelectbox"] input')]
    .filter(e => e.checkVisibility() && e.scrollWidth > e.clientWidth + 1)
    .map(e => (e.value || e.textContent).trim().slice(0, 40));
  return {
    overflow: Math.max(doc.scrollWidth - doc.clientWidth, main.scrollWidth - main.clientWidth),
    ticks: min(sizes('.sv-chart .xtick text, ' +
                     '.sv-chart .ytick text')),
    legend: min(sizes('.sv-chart .legendtext')),
    titles: min(sizes('.sv-chart .gtitle')),
    charts: document.querySelectorAll('.sv-chart').length,
    cut: cut,
  };
}"""


def layout_report(page) -> dict:
    """Overflow (px), smallest tick / legend / title font (px) of the drawn charts, texts cut."""
    return page.evaluate(_LAYOUT_JS)


def check_looks(page, url: str, name: str, ready, looks=LOOKS) -> list[str]:
    """Open ``url`` in every language / mode / size of ``looks``, wait with ``ready(page)``,
    save a screenshot ``<name>_<lang>_<normal|present>_<w>x<h>.png`` and return the problems:
    horizontal overflow, chart text a reader cannot read whole (``chart_geometry``: a title
    cut or on the plot, a legend on an axis title or ticks, ticks on each other), and in
    presenter mode chart ticks or legends under 20 px, titles under 26 px, or button / metric /
    heading text or a select box's value (the key controls above the charts) cut off."""
    problems = []
    sep = "&" if "?" in url else "?"
    for lang, present, (w, h) in looks:
        page.set_viewport_size({"width": w, "height": h})
        page.goto(f"{url}{sep}lang={lang}&present={1 if present else 0}")
        ready(page)
        no_exception(page)
        mode = "present" if present else "normal"
        shot(page, f"{name}_{lang}_{mode}_{w}x{h}")
        r = layout_report(page)
        where = f"{name} {lang} {mode} {w}x{h}"
        if r["overflow"] > 2:
            problems.append(f"{where}: {r['overflow']} px of horizontal overflow")
        problems += [f"{where}: {c}" for c in chart_problems(page)]
        if present:
            for key, least in (("ticks", 20), ("legend", 20), ("titles", 26)):
                if r[key] is not None and r[key] < least - 0.5:
                    problems.append(f"{where}: chart {key} at {r[key]} px (< {least})")
            if r["cut"]:
                problems.append(f"{where}: text cut off: {r['cut']}")
    return problems


_BOXES_JS = """(chart) => [...chart.querySelectorAll('g.textpoint text')]
  .filter(t => t.textContent.trim())
  .map(t => { const r = t.getBoundingClientRect();
              return [t.textContent, r.left, r.right, r.top, r.bottom]; })"""


def overlapping_labels(chart) -> list:
    """Pairs of labels of ``chart`` (a locator of one Plotly chart) whose drawn boxes overlap
    by more than 2 px each way."""
    boxes = chart.evaluate(_BOXES_JS)
    out = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if min(a[2], b[2]) - max(a[1], b[1]) > 2 and min(a[4], b[4]) - max(a[3], b[3]) > 2:
                out.append((a[0], b[0]))
    return out


# [word labels drawn, word labels in the chart's figure] of a chart (non-blank texts of its
# scatter traces drawn as text): Plotly.react draws no label for a point whose text was empty
# before (seqviz.ui.chart keeps a space there), so the two must match.
_LABELS_JS = """(chart) => {
  const drawn = [...chart.querySelectorAll('g.textpoint text')]
    .filter(t => t.textContent.trim()).length;
  const given = (chart.data || []).filter(t => String(t.mode || '').includes('text'))
    .map(t => (t.text || []).filter(x => String(x ?? '').trim()).length)
    .reduce((a, b) => a + b, 0);
  return [drawn, given];
}"""


def wait_labels_drawn(chart, at_least: int, timeout: float = 90) -> int:
    """Wait until ``chart`` (a locator of one chart) draws every word label its figure has,
    and at least ``at_least`` of them; returns how many."""
    import time

    deadline, counts = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        counts = chart.evaluate(_LABELS_JS)
        if counts[0] == counts[1] >= at_least:
            return counts[0]
        time.sleep(POLL_MS / 1000)
    raise AssertionError(f"labels drawn / in the figure: {counts}, wanted all and >= {at_least}")
