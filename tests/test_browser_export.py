"""Browser end-to-end of "Take it home" on the LM page: the three downloads (card, script,
trained model) arrive as files, the model re-opens through the uploader at its step, a damaged
file gets a clear message; screenshots in English, Chinese and presenter mode."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from seqviz.lm.export import read_run
from tests.browser import (no_exception, shot, step_count, wait_js, wait_metric_at_least,
                           wait_ready)

pytestmark = pytest.mark.browser
QUERY = "corpus=grammar&level=word&hidden_size=32&embed_size=16&seq_len=16&batch_size=8&seed=0"
EXPANDER = '[data-testid="stExpander"]'


def _open(page, server, extra: str = "") -> None:
    page.goto(f"{server}/Language_Model?{QUERY}{extra}")
    wait_ready(page)
    expect(page.locator('[data-testid="stMetric"]').first).to_be_visible()


def _panel(page, title: str):
    panel = page.locator(EXPANDER).filter(has_text=title)
    panel.locator("summary").click()
    return panel


def _download(page, panel, label: str, tmp_path):
    with page.expect_download(timeout=120_000) as info:
        panel.get_by_role("button", name=label).click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path


def _step_is(page, n: int) -> None:
    wait_js(page, """(n) => [...document.querySelectorAll('[data-testid="stMetric"]')]
        .some(m => m.innerText.split('\\n')[0].trim() === 'Step'
              && m.querySelector('[data-testid="stMetricValue"]').innerText.trim() === String(n))
        """, arg=n)


def _reopen(page, panel, model, step: int) -> None:
    """Re-open ``model`` in the panel: it says so, and the run is at its step, paused."""
    panel.locator('input[type="file"]').set_input_files(str(model))
    expect(page.get_by_text(f"Opened the checkpoint: the model is at step {step}, paused")
           ).to_be_visible()
    _step_is(page, step)
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible()
    no_exception(page)


def test_downloads_and_reopening_a_checkpoint(server, page, tmp_path):
    page.set_viewport_size({"width": 1400, "height": 2400})
    _open(page, server)
    for n in (1, 2):
        page.get_by_role("button", name="⏭ Step").click()
        _step_is(page, n)
    panel = _panel(page, "Take it home")
    card = json.loads(_download(page, panel, "📄 Experiment card (JSON)", tmp_path).read_text())
    assert card["step"] == 2 and card["config"]["hidden_size"] == "32"
    script = _download(page, panel, "🐍 PyTorch script (.py)", tmp_path)
    assert script.name == "seqviz-lm.py" and "nn.LSTM(16, 32" in script.read_text()
    model = _download(page, panel, "💾 Trained model (.pt)", tmp_path)
    assert read_run(model.read_bytes()).step == 2
    # a damaged file: a clear message, the run untouched
    bad = tmp_path / "broken.pt"
    bad.write_bytes(model.read_bytes()[:200])
    panel.locator('input[type="file"]').set_input_files(str(bad))
    expect(page.locator('[data-testid="stAlert"]').filter(has_text="not a seqviz checkpoint")
           ).to_be_visible()
    no_exception(page)
    # Reset, then re-open the downloaded model: step 2 again, paused
    page.get_by_role("button", name="↺ Reset").click()
    _step_is(page, 0)
    panel = page.locator(EXPANDER).filter(has_text="Take it home")
    _reopen(page, panel, model, 2)
    assert step_count(page) == 2
    page.mouse.move(1, 1)  # no button tooltip over the shot
    shot(page, "export_lm_en")


@pytest.mark.parametrize("lang,present,size,title", [
    ("zh", False, (1400, 2400), "带回家"),
    ("en", True, (1024, 768), "Take it home"),
    ("zh", True, (1024, 768), "带回家"),
])
def test_the_panel_reads_in_chinese_and_presenter_mode(server, page, lang, present, size,
                                                       title):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _open(page, server, f"&lang={lang}" + ("&present=1" if present else ""))
    panel = _panel(page, title)
    buttons = panel.locator('[data-testid="stDownloadButton"]')
    expect(buttons).to_have_count(3)
    for i in range(3):
        box = buttons.nth(i).bounding_box()
        assert box is not None and box["x"] + box["width"] <= size[0]
    expect(panel.locator('[data-testid="stFileUploader"]')).to_be_visible()
    panel.scroll_into_view_if_needed()
    no_exception(page)
    name = f"export_lm_{lang}" + ("_present" if present else "")
    if present:
        page.screenshot(path=str(shot(page, name)), full_page=False)
    else:
        shot(page, name)


def test_reopening_an_embeddings_checkpoint_says_so(server, page, tmp_path):
    """Every page confirmed a re-opened checkpoint but Embeddings, whose step came back without
    a word (walk, 2026-12-06)."""
    page.set_viewport_size({"width": 1400, "height": 2400})
    page.goto(f"{server}/Embeddings?points=20&seed=0&embed_size=16")
    wait_ready(page)
    expect(page.locator('[data-testid="stMetric"]').first).to_be_visible()
    page.get_by_role("button", name="⏭ Step").click()
    _step_is(page, 1)
    panel = _panel(page, "Take it home")
    model = _download(page, panel, "💾 Trained model (.pt)", tmp_path)
    # re-opened in a new session whose model has another shape, while it trains
    page.goto(f"{server}/Embeddings?points=20&seed=0&embed_size=8")
    wait_ready(page)
    page.get_by_role("button", name="▶ Play").click()
    wait_metric_at_least(page, "Step", 3)
    panel = _panel(page, "Take it home")
    _reopen(page, panel, model, 1)
