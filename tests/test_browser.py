"""Browser end-to-end: a real ``streamlit run app.py`` and Debian's headless Chromium.

Screenshots go to ``artifacts/screenshots/`` so a person can look at them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not Path(CHROMIUM).exists():  # .ci/run installs it; say so locally instead of failing
    pytest.skip("Debian chromium is not installed (apt-get install -y chromium)",
                allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + proc.stdout.read().decode()[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1500, "height": 2000})
    pg = ctx.new_page()
    yield pg
    ctx.close()


def wait_ready(page, timeout=90_000):
    expect = playwright.expect
    expect(page.locator('[data-testid="stApp"]')).to_be_visible(timeout=timeout)
    page.wait_for_timeout(500)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=timeout)


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def no_exception(page):
    assert page.locator('[data-testid="stException"]').count() == 0


def test_home_page(server, page):
    page.goto(server)
    wait_ready(page)
    playwright.expect(page.get_by_text("a lab for recurrent neural networks")).to_be_visible()
    playwright.expect(page.get_by_role("link", name="✍️ Language model").first).to_be_visible()
    no_exception(page)
    shot(page, "home")


def _step_count(page) -> int:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Step").first
    value = metric.locator('[data-testid="stMetricValue"]').inner_text()
    return int(value.replace(",", ""))


def test_language_model_play(server, page):
    page.goto(server + "/Language_Model?corpus=grammar&level=word&seed=3")
    wait_ready(page)
    no_exception(page)
    assert _step_count(page) == 0
    page.get_by_role("button", name="▶ Play").click()
    deadline = time.time() + 60
    while time.time() < deadline and _step_count(page) < 30:
        page.wait_for_timeout(500)
    assert _step_count(page) >= 30, "the step counter did not rise while playing"
    # the loss chart has a drawn line (plotly renders traces as SVG paths)
    loss_chart = page.locator('[data-testid="stPlotlyChart"]').first
    playwright.expect(loss_chart.locator("path.js-line").first).to_be_visible()
    assert "seed=3" in page.url and "corpus=grammar" in page.url
    page.get_by_role("button", name="⏸ Pause").click()
    wait_ready(page)
    no_exception(page)
    shot(page, "language_model")
