"""Browser end-to-end: home page and the language-model page in headless Chromium."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser import no_exception, play_until, shot, step_count, wait_js, wait_ready

pytestmark = pytest.mark.browser


def test_home_page(server, page):
    page.goto(server)
    wait_ready(page)
    expect(page.get_by_text("a lab for recurrent neural networks")).to_be_visible()
    expect(page.get_by_role("link", name="✍️ Language model").first).to_be_visible()
    # Plotly.js is loaded on a page without charts too (seqviz.ui.chart.preload), from this
    # server, for the next page of the tab; its element takes no room in the sidebar
    wait_js(page, "() => typeof window.Plotly === 'object' && !!window.Plotly.react")
    assert page.evaluate("""() => [...document.scripts].filter(s => s.src.includes('plotly'))
        .map(s => new URL(s.src).host)""") == [server.split("//")[1]]
    preload = page.locator(".st-key-seqviz-chart-preload")
    expect(preload).to_be_attached()
    expect(preload).to_be_hidden()
    no_exception(page)
    shot(page, "home")


def test_language_model_play(server, page):
    page.goto(server + "/Language_Model?corpus=grammar&level=word&seed=3")
    wait_ready(page)
    no_exception(page)
    assert step_count(page) == 0
    steps, seconds = play_until(page, 30, timeout=60)
    assert steps >= 30, "the step counter did not rise while playing"
    print(f"browser: {steps / seconds:.1f} steps/s while playing")
    # the loss chart has a drawn line (plotly renders traces as SVG paths)
    loss_chart = page.locator('.sv-chart').first
    expect(loss_chart.locator("path.js-line").first).to_be_visible()
    assert "seed=3" in page.url and "corpus=grammar" in page.url
    no_exception(page)
    shot(page, "language_model")


def test_language_model_looks_right_in_both_languages_and_presenter_mode(server, page):
    """Screenshots in English and Chinese, normal and presenter mode (1024x768, 1280x720):
    no horizontal overflow, presenter fonts >= 20 px (ticks, legends) and >= 26 px (titles),
    nothing cut."""
    from tests.browser import check_looks

    def ready(pg):
        wait_ready(pg)
        expect(pg.locator('.sv-chart path.js-line').first).to_be_attached()
        wait_ready(pg)

    assert check_looks(page, server + "/Language_Model?corpus=grammar&level=word",
                       "language_model", ready) == []


def test_feed_forward_lm_trains_with_its_n_gram_highlighted(server, page):
    """The feed-forward LM (n = 5): Play trains it, its curve is drawn beside the dash-dotted
    5-gram line; screenshots in English, Chinese and presenter mode (1024x768)."""
    from tests.browser import check_looks

    url = server + "/Language_Model?corpus=grammar&level=word&cell=ff&window=4&hidden_size=64"
    page.goto(url)
    wait_ready(page)
    no_exception(page)
    steps, _seconds = play_until(page, 20, timeout=60)
    assert steps >= 20
    ppl = page.locator('.sv-chart').nth(1)
    expect(ppl.locator("path.js-line").first).to_be_visible()
    expect(ppl.get_by_text("feed-forward, n = 5", exact=False).first).to_be_attached()
    expect(ppl.get_by_text("← same n", exact=False).first).to_be_attached()
    assert "cell=ff" in page.url and "window=4" in page.url
    shot(page, "language_model_ff_trained")

    def ready(pg):
        wait_ready(pg)
        expect(pg.locator('.sv-chart path.js-line').first).to_be_attached()
        wait_ready(pg)

    looks = [("en", False, (1500, 2400)), ("zh", False, (1500, 2400)), ("en", True, (1024, 768)),
             ("zh", True, (1024, 768))]
    assert check_looks(page, url, "language_model_ff", ready, looks) == []


def test_upload_controls_read_in_chinese(server, page):
    """Streamlit draws an uploader's "Upload" button and "5MB per file" limit in English; on a
    Chinese page both read in Chinese (seqviz.ui.controls.translated_dropzone)."""
    page.goto(server + "/Language_Model?corpus=upload&lang=zh")
    zone = page.locator('.st-key-lm-upload [data-testid="stFileUploaderDropzone"]')
    expect(zone).to_be_visible(timeout=90_000)
    wait_ready(page)
    want = ['"每个文件不超过 5 MB • TXT"', '"上传"']
    read = """() => {
      const z = document.querySelector('.st-key-lm-upload [data-testid="stFileUploaderDropzone"]');
      const i = z && z.querySelector('[data-testid=stFileUploaderDropzoneInstructions]');
      const b = z && z.querySelector('button');
      return i && b ? [getComputedStyle(i, '::after').content,
                       getComputedStyle(b, '::after').content] : null;
    }"""
    try:  # the page's reruns (its link is rewritten once) may be drawing it: wait for the text
        # JSON.stringify's form (no spaces), as a JS string literal
        expected = json.dumps(json.dumps(want, ensure_ascii=False, separators=(",", ":")))
        wait_js(page, f"() => JSON.stringify(({read})()) === {expected}", timeout=60)
    except Exception:  # noqa: BLE001 - say what it shows instead
        pass
    assert page.evaluate(read) == want, page.url
    expect(zone.get_by_text("per file")).to_be_hidden()
    expect(zone.locator('button [data-testid="stMarkdownContainer"]')).to_be_hidden()
    # with a file chosen, its ✕ and the "+" to add another are icons: they read "上传" too
    zone.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "mine.txt", "mimeType": "text/plain",
                "buffer": ("你好世界。" * 200).encode()}])
    chip = zone.locator('[data-testid="stFileChip"]')
    expect(chip).to_be_visible()
    icons = """() => [...document.querySelectorAll(
        '.st-key-lm-upload [data-testid="stFileUploaderDropzone"] button')]
        .filter(b => b.getAttribute('data-testid') !== 'stBaseButton-secondary')
        .map(b => getComputedStyle(b, '::after').content)"""
    wait_js(page, f"() => ({icons})().length >= 2")
    assert all(c in ("none", "normal", '""') for c in page.evaluate(icons)), page.evaluate(icons)
    no_exception(page)
