"""What a person sees wrong in a drawn Plotly chart, measured in the browser.

``chart_problems(page)`` reads the SVG every Plotly chart on the page has drawn and returns, per
chart, the texts that a reader cannot read whole:

- a title or subtitle running past the chart's edge (cut: "…69% of steps clippe"), or over
  the plot area or a tick label;
- a legend that overlaps the x-axis title or tick labels, or runs out of the chart;
- an axis title cut by the chart's edge (a rotated y title longer than the plot is tall);
- tick labels that overlap each other (slanted ones by their centres), or read like "0.999999995" (more than 7 significant
  characters: a float printed instead of a tick);
- a training-step axis (titled "training step" in either language) with a tick at a fraction
  of a step or below 0 (a chart at step 0 autoranged to -1..1).

It works on any page with Plotly charts (a Streamlit page or a saved ``fig.write_html``).
"""

from __future__ import annotations

GEOMETRY_JS = r"""(stepTitles) => {
  const out = [];
  const box = (e) => e.getBoundingClientRect();
  const hit = (a, b, pad = 1) => a.width > 0 && b.width > 0 && a.left < b.right - pad &&
    b.left < a.right - pad && a.top < b.bottom - pad && b.top < a.bottom - pad;
  const visible = (e) => e.checkVisibility({visibilityProperty: true}) &&
    e.textContent.trim() && box(e).width > 0;
  const plots = [...document.querySelectorAll('.js-plotly-plot')].filter(
    (p) => p.checkVisibility({visibilityProperty: true}));
  plots.forEach((plot, i) => {
    const svg = plot.querySelector('svg.main-svg');
    if (!svg) return;
    const frame = box(svg);
    const titleEl = plot.querySelector('.gtitle');
    const name = titleEl ? titleEl.textContent.trim().slice(0, 50) : `chart ${i}`;
    const say = (what) => out.push(`chart ${i} (${name}): ${what}`);
    const inside = (r) => r.left >= frame.left - 1 && r.right <= frame.right + 1 &&
      r.top >= frame.top - 1 && r.bottom <= frame.bottom + 1;
    const texts = (sel) => [...plot.querySelectorAll(sel)].filter(visible);
    const xticks = texts('.xtick text'), yticks = texts('[class^="y"][class$="tick"] text');
    const area = plot.querySelector('.bglayer rect, .draglayer .nsewdrag');
    for (const sel of ['.gtitle', '.gtitle-subtitle']) {
      for (const t of plot.querySelectorAll(sel)) {
        if (!visible(t)) continue;
        const what = `${sel.slice(1)} "${t.textContent.trim().slice(-40)}"`;
        if (!inside(box(t))) say(`${what} cut`);
        if (area && hit(box(t), box(area))) say(`${what} on the plot`);
        const tick = yticks.find((k) => hit(box(t), box(k)));
        if (tick) say(`${what} on the tick "${tick.textContent.trim()}"`);
      }
    }
    const xtitles = texts('.xtitle'), ytitles = texts('[class^="y"][class$="title"]');
    if (xtitles.some((t) => stepTitles.includes(t.textContent.trim()))) {
      const odd = xticks.map((t) => t.textContent.trim()).find((s) => /\.\d|^[−-]/.test(s));
      if (odd !== undefined) say(`a training-step tick at "${odd}"`);
    }
    for (const t of [...xtitles, ...ytitles]) {
      if (!inside(box(t))) say(`axis title cut: "${t.textContent.trim()}"`);
    }
    const legend = plot.querySelector('.legend');
    if (legend && visible(legend)) {
      const lb = plot.querySelector('.legend .bg') || legend;
      const l = box(lb);
      if (!inside(l)) say('legend runs out of the chart');
      for (const t of [...xtitles, ...xticks]) {
        if (hit(l, box(t))) { say(`legend overlaps "${t.textContent.trim()}"`); break; }
      }
    }
    // Slanted tick labels: their bounding boxes overlap long before the words do; two
    // neighbours at 45 degrees touch only when their centres are closer than about a line.
    const angled = (e) => /rotate\(\s*-?[1-9]/.test(e.getAttribute('transform') || '');
    const centre = (r) => (r.left + r.right) / 2;
    const clash = (a, b) => {
      const ra = box(a), rb = box(b);
      if (!hit(ra, rb, 2)) return false;
      if (!angled(a) && !angled(b)) return true;
      return Math.abs(centre(ra) - centre(rb)) < 1.2 * parseFloat(getComputedStyle(a).fontSize);
    };
    for (const ticks of [xticks, yticks]) {
      for (let k = 0; k < ticks.length; k++) {
        const s = ticks[k].textContent.trim();
        if (s.replace(/[^0-9]/g, '').length > 7) say(`unreadable tick "${s}"`);
        for (let j = k + 1; j < ticks.length; j++) {
          if (clash(ticks[k], ticks[j])) {
            say(`ticks "${s}" and "${ticks[j].textContent.trim()}" overlap`);
          }
        }
      }
    }
  });
  return out;
}"""


def chart_problems(page) -> list[str]:
    """Every chart on ``page`` that draws text a reader cannot read whole (see the module)."""
    return page.evaluate(GEOMETRY_JS, step_titles())


def step_titles() -> list[str]:
    """The x title of every training-step axis, in each language."""
    from seqviz.i18n import LANGUAGES, _, use_language

    out = []
    for lang in LANGUAGES:
        with use_language(lang):
            out.append(_("training step"))
    return out
