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

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("streamlit did not start: " + proc.stdout.read().decode()[-2000:])


def wait_ready(page, timeout: int = 90_000) -> None:
    """The app is done when stApp is present and the running-status widget is gone."""
    from playwright.sync_api import expect

    expect(page.locator('[data-testid="stApp"]')).to_be_visible(timeout=timeout)
    page.wait_for_timeout(500)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=timeout)


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


def step_count(page, tries: int = 20) -> int:
    """The "Step" metric as a number. A live fragment redraws the metric every tick, and a read
    that lands mid-redraw can see an empty or half-replaced element: read again shortly."""
    for _ in range(tries - 1):
        text = metric(page, "Step").replace(",", "").strip()
        if text.isdigit():
            return int(text)
        page.wait_for_timeout(100)
    return int(metric(page, "Step").replace(",", ""))


def play_until(page, steps: int, timeout: float = 90) -> tuple[int, float]:
    """Press Play, wait until the step counter reaches ``steps`` (or time runs out), press
    Pause and wait for the page to settle; returns (steps reached, seconds it took)."""
    import time

    wait_ready(page)
    page.get_by_role("button", name="▶ Play").click()
    start = time.time()
    count = 0
    while time.time() - start < timeout:
        page.wait_for_timeout(500)
        count = step_count(page)
        if count >= steps:
            break
    elapsed = time.time() - start
    page.get_by_role("button", name="⏸ Pause").click()
    wait_ready(page)
    page.wait_for_timeout(1500)
    return count, elapsed
