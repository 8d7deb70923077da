import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # AppTest and the browser tests resolve page paths from the repo root
torch.set_num_threads(1)


@pytest.fixture
def tiny_text() -> str:
    return ("the cat sat on the mat. the dog sat on the log. " * 40).strip()


# ---- browser tests: one server and one Chromium for the whole session ----------------------
@pytest.fixture(scope="session")
def server():
    from tests.browser import chromium_available, start_server

    if not chromium_available():  # .ci/run installs it; locally, say so instead of failing
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    proc, url = start_server()
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="session")
def browser(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.browser import ARGS, CHROMIUM

    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1500, "height": 2000})
    pg = ctx.new_page()
    yield pg
    ctx.close()
