"""Browser: the beam-search page draws a readable, bounded tree, a click inspects a node, and the
page looks right in English and Chinese, normal and presenter mode."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import SHOTS, check_looks, no_exception, shot, wait_ready

pytestmark = pytest.mark.browser

# Per chart: the title's and the legend's boxes (they must not overlap) and the chart's height;
# per table: whether its content is wider than its box (a cut column).
_BOXES_JS = """() => {
  const box = (e) => { const r = e.getBoundingClientRect();
                       return [r.left, r.top, r.right, r.bottom]; };
  const charts = [...document.querySelectorAll('.sv-chart')]
    .filter(c => c.checkVisibility()).map(c => {
      const t = c.querySelector('.gtitle'), l = c.querySelector('g.legend');
      return {title: t ? box(t) : null, legend: l ? box(l) : null,
              height: c.getBoundingClientRect().height,
              text: t ? t.textContent : ''};
    });
  const tables = [...document.querySelectorAll(
      '[data-testid="stTable"], [data-testid="stMarkdownContainer"]:has(table)')]
    .filter(e => e.checkVisibility())
    .map(e => Math.max(0, e.scrollWidth - e.clientWidth,
                       ...[...e.querySelectorAll('table')].map(t =>
                          t.getBoundingClientRect().right - e.getBoundingClientRect().right)));
  return {charts, tables};
}"""


def _overlap(a, b) -> bool:
    return bool(a and b) and a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def layout_problems(page, where: str, max_tree_px: float = 1600) -> list[str]:
    """Legend over a title, a tree taller than ``max_tree_px``, a table whose columns are cut."""
    found = page.evaluate(_BOXES_JS)
    out = []
    for chart in found["charts"]:
        if _overlap(chart["title"], chart["legend"]):
            out.append(f"{where}: legend overlaps the title of {chart['text'][:40]!r}")
    tree = found["charts"][0] if found["charts"] else None
    if tree and tree["height"] > max_tree_px:
        out.append(f"{where}: tree chart {tree['height']:.0f} px tall")
    if len(found["tables"]) < 2:  # the finals; greedy and sampling
        out.append(f"{where}: {len(found['tables'])} tables found, expected at least 2")
    out += [f"{where}: table {i} is {cut:.0f} px wider than its box"
            for i, cut in enumerate(found["tables"]) if cut > 1]
    return out


def _ready(pg):
    wait_ready(pg)
    chart = pg.locator('.sv-chart').first
    expect(chart.locator("g.trace.scatter path.point").first).to_be_attached()
    expect(pg.locator('[data-testid="stMarkdownContainer"] table').first).to_be_visible()
    wait_ready(pg)


def test_beam_tree_and_node_click(server, page):
    page.set_viewport_size({"width": 1500, "height": 3000})
    page.goto(server + "/Beam_Search?source=seq2seq_dates&beam_width=4&expand=3"
                       "&text=Thursday%2C+May+3rd+1979")
    _ready(page)
    no_exception(page)
    chart = page.locator('.sv-chart').first
    expect(page.get_by_text("Final hypotheses", exact=True)).to_be_visible()
    expect(page.get_by_text("Click a node in the tree")).to_be_visible()
    # click one of the "kept" markers: the inspector then shows that node's prefix
    points = chart.locator("g.trace.scatter path.point")
    assert points.count() > 10
    points.nth(3).click(force=True)
    expect(page.get_by_text("Click a node in the tree")).to_have_count(0, timeout=30_000)
    wait_ready(page)
    expect(page.get_by_text("Prefix:")).to_be_visible()
    no_exception(page)
    shot(page, "beam_search")


def test_lm_tree_is_bounded_and_nothing_overlaps(server, page):
    """A language model decoding 30 characters with a wide beam: the tree stays under 1,600 px
    (it was 15,000 px at B = 5 with five children drawn), the legend stays off the title,
    and no table cuts a column."""
    problems = []
    for query, name in (("source=lm_prose&beam_width=5&expand=5", "beam_lm_b5"),
                        ("source=lm_python&beam_width=10&expand=10", "beam_lm_b10")):
        page.set_viewport_size({"width": 1500, "height": 2400})
        page.goto(f"{server}/Beam_Search?{query}")
        _ready(page)
        no_exception(page)
        shot(page, name)
        problems += layout_problems(page, name)
    assert problems == []


def test_beam_page_looks_right_in_both_languages_and_presenter_mode(server, page):
    """The default page (the reversal demo): no overflow, presenter fonts large enough, nothing
    cut, no legend over a title, no cut table, in en/zh x normal/presenter."""
    problems = check_looks(page, server + "/Beam_Search", "beam_search", _ready)
    for lang in ("en", "zh"):
        for present, size in ((0, (1500, 2400)), (1, (1024, 768))):
            page.set_viewport_size({"width": size[0], "height": size[1]})
            page.goto(f"{server}/Beam_Search?lang={lang}&present={present}")
            _ready(page)
            problems += layout_problems(page, f"{lang} present={present}")
    assert problems == []


def test_tally_charts_in_both_languages(server, page):
    """Run the tally (20 held-out examples) and look at its two charts: stacked bars that add
    up, legends clear of titles and axis titles, large type in presenter mode."""
    problems = []
    for lang, present, size, source, run, titles in (
            ("en", 0, (1500, 2400), "lm_prose", "Run the tally",
             ("Outcomes over", "Shrinking vs refilled")),
            ("zh", 1, (1024, 768), "seq2seq_dates", "运行统计",
             ("个留出样例的结果", "收缩的束与补满的束"))):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.goto(f"{server}/Beam_Search?source={source}&beam_width=2&lang={lang}"
                  f"&present={present}")
        _ready(page)
        page.get_by_role("button", name=run).click()
        for title, name in zip(titles, ("outcomes", "conventions")):
            chart = page.locator('.sv-chart').filter(has_text=title)
            expect(chart.locator("g.barlayer path").first).to_be_attached(timeout=180_000)
            wait_ready(page)
            chart.scroll_into_view_if_needed()
            SHOTS.mkdir(parents=True, exist_ok=True)
            chart.screenshot(path=str(SHOTS / f"beam_tally_{name}_{lang}_{present}.png"))
        no_exception(page)
        problems += layout_problems(page, f"tally {lang} present={present}")
    assert problems == []


def test_a_lecture_step_on_the_projector(server, page):
    """Step 2's link in Chinese presenter mode: the step's box above the tree, the answer behind
    a click, nothing cut or overflowing at 1024 x 768."""
    from urllib.parse import urlencode

    from seqviz.decoding.lecture import STEPS
    from tests.browser import layout_report

    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{server}/Beam_Search?{urlencode({**STEPS[1].params, 'lang': 'zh'})}&present=1")
    _ready(page)
    expect(page.get_by_text("第 2 步（共 4 步）")).to_be_visible()
    # bold that ends in a full-width colon before a letter is not bold in Markdown: it is not
    expect(page.locator("strong:visible", has_text="先预测").first).to_be_visible()
    assert page.get_by_text("**先预测").count() == 0
    answer = page.get_by_text("答案（全班预测之后再看）")
    answer.click()
    expect(page.get_by_text("不能。贪心搜索一直写到长度上限")).to_be_visible()
    no_exception(page)
    shot(page, "beam_lecture_step2_zh_present_1024x768")
    report = layout_report(page)
    assert report["overflow"] <= 2 and not report["cut"], report
