"""Charts that update in place: every Plotly chart of the app goes through ``chart()``.

Streamlit 1.67's ``st.plotly_chart`` makes each new figure a new element (its id is derived from
the figure's content even with a ``key``), so the browser mounts a new chart beside the old one,
Plotly draws it from scratch and the old one goes when the run ends: on a busy machine a live
chart is caught blank or the page one chart taller for a moment. ``chart()`` is an
``st.components.v2`` component whose identity is its ``key``: a new figure reaches the same
element, and ``Plotly.react`` redraws it in place.

Plotly.js is Plotly's own "cartesian" bundle (``seqviz/ui/static``, see its README.md): the
trace types the app draws (``TRACES``) in 1.5 MB, against 4.8 MB for the full bundle the
``plotly`` package ships, which took 1.4-1.6 s of the browser's main thread to load and
evaluate on the project's 2-core machine (0.6-0.7 s for this one), before any chart could draw.
It is served by Streamlit's component route (``st.components.v1.declare_component(path=...)``,
whose files are served at ``component/<name>/``); nothing is downloaded from elsewhere. The
browser loads it once per page and caches it (the route answers ``Cache-Control: public``).

Charts are drawn one per browser task (``queueDraw``), so each is painted as soon as it is
drawn.
"""

from __future__ import annotations

import os
from typing import Any, Callable

import plotly.io as pio
from plotly.basedatatypes import BaseFigure
import streamlit as st
import streamlit.components.v1 as components_v1

from seqviz.figures.style import TEMPLATE
from seqviz.i18n import _

# Importing Streamlit makes its own template Plotly's default: colours that are placeholders
# ("#000011") which only st.plotly_chart fills in. Whichever of Streamlit and the house style
# was imported first, the charts drawn here keep the house template.
pio.templates.default = TEMPLATE

PLOTLY_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
PLOTLY_FILE = "plotly-cartesian.min.js"
# the trace types in that bundle (its README.md); a figure with another type would not draw
TRACES = frozenset({"bar", "box", "contour", "heatmap", "histogram", "histogram2d",
                    "histogram2dcontour", "image", "pie", "scatter", "scatterternary", "violin"})
COMPONENT = "seqviz.chart"  # the component's name (AppTest finds charts by it)
PRELOAD_KEY = "seqviz.chart.preload"
SELECTOR = ".sv-chart"  # the element a chart is drawn in (tests and page CSS find charts by it)

_JS = r"""
function loadPlotly(src) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__seqvizPlotly) {
    window.__seqvizPlotly = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = new URL(src, document.baseURI).href;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => { window.__seqvizPlotly = null; reject(new Error(src)); };
      document.head.appendChild(script);
    });
  }
  return window.__seqvizPlotly;
}

// One chart drawn per task, the charts in the order they came: the browser paints each as it
// is drawn, so a page's first chart shows after its own draw, not after every chart's (a page
// of four charts: 0.1-0.2 s each on a slow machine), and a playing page's tick never holds the
// page for all its charts at once. A chart waiting for its turn is drawn once, with its newest
// figure.
function queueDraw(div, draw) {
  const draws = window.__svDraws || (window.__svDraws = new Map());
  draws.set(div, draw);
  if (draws.size === 1) setTimeout(drawNext, 0);
}

function drawNext() {
  const draws = window.__svDraws;
  const [div, draw] = draws.entries().next().value;
  draws.delete(div);
  try { draw(); } catch (error) { console.error(error); }
  if (draws.size) setTimeout(drawNext, 0);
}

function points(event) {
  return (event && event.points || []).map((p) => ({
    curve_number: p.curveNumber, point_number: p.pointNumber, point_index: p.pointIndex,
    x: p.x, y: p.y, z: p.z, customdata: p.customdata, text: p.text,
  }));
}

// Plotly draws no <text> for a point whose text is empty, and Plotly.react never adds one when
// that point's text later becomes a word (the point's group is kept, its text is not made
// again): a map whose labels move to other words would lose them. An empty label is drawn as
// a space instead.
function keepTextSlots(traces) {
  for (const trace of traces) {
    if ((trace.type || 'scatter') === 'scatter' && String(trace.mode || '').includes('text')
        && Array.isArray(trace.text)) {
      trace.text = trace.text.map((t) => (t === '' || t === null || t === undefined ? ' ' : t));
    }
  }
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  if (!data.figure) {  // preload(): start loading Plotly.js while the server builds the page
    loadPlotly(data.src).catch(() => {});
    return;
  }
  let div = parentElement.querySelector(':scope > .sv-chart');
  if (!div) {
    div = document.createElement('div');
    div.className = 'sv-chart';
    parentElement.appendChild(div);
    div._svResize = new ResizeObserver(() => { if (div._svDrawn) window.Plotly.Plots.resize(div); });
  }
  if (!div._svObserved) { div._svResize.observe(div); div._svObserved = true; }
  const version = (div._svVersion || 0) + 1;
  div._svVersion = version;
  div._svSetState = setStateValue;
  loadPlotly(data.src).then((Plotly) => queueDraw(div, () => {
    if (div._svVersion !== version || !div.isConnected) return;  // a newer figure came
    const fig = JSON.parse(data.figure);
    keepTextSlots(fig.data || []);
    const layout = fig.layout || {};
    const page = getComputedStyle(parentElement);  // the app's type and text colour
    layout.font = Object.assign({family: page.fontFamily, color: page.color}, layout.font || {});
    const config = Object.assign({displaylogo: false, responsive: true}, data.config || {});
    Plotly.react(div, fig.data || [], layout, config).then(() => {
      div._svDrawn = true;
      div.dataset.version = String(version);
    });
    if (data.select && !div._svSelect) {
      div._svSelect = true;
      div.on('plotly_click', (event) => div._svSetState('selection', {points: points(event)}));
    }
  })).catch((error) => {
    div.textContent = data.failed.replace('{address}', error.message);
  });
  return () => {  // the element leaves the page: free Plotly's listeners and the observer
    div._svResize.disconnect();
    div._svObserved = false;
    if (window.__svDraws) window.__svDraws.delete(div);
    if (div._svDrawn && window.Plotly) window.Plotly.purge(div);
    div._svDrawn = div._svSelect = false;
  };
}
"""

_CSS = """
.sv-chart { width: 100%; }
"""

_mount = st.components.v2.component(COMPONENT, js=_JS, css=_CSS, isolate_styles=False)


def _plotly_src() -> str:
    """The address (relative to the page) the browser loads Plotly.js from. Declared on every
    call: Streamlit registers the directory only inside a script run, per runtime."""
    served = components_v1.declare_component("plotlyjs", path=PLOTLY_DIR)
    return f"component/{served.name}/{PLOTLY_FILE}"


def figure_json(fig: Any) -> str:
    """A figure as the JSON Plotly.js draws (numpy arrays as typed arrays), not validated
    again: a ``PreparedFigure`` costs only its serialisation.

    A figure ``seal``-ed (``seqviz.ui.live.memo`` seals what it builds) is serialised once per
    seal: a page's plain rerun draws its memoised figures again, and their JSON cost 8-12 ms
    of the 40-50 ms rerun on most pages (README "Reruns")."""
    version = getattr(fig, "_sv_version", None)
    if version is None:
        return pio.to_json(fig, validate=False)
    held = getattr(fig, "_sv_json", None)
    if held is None or held[0] is not version:
        held = (version, pio.to_json(fig, validate=False))
        object.__setattr__(fig, "_sv_json", held)  # plotly's __setattr__ checks its properties
    return held[1]


def seal(result: Any, depth: int = 2, *, new_only: bool = False) -> Any:
    """Mark the plotly figures in ``result`` (a figure, or a dict, list or tuple holding
    figures, ``depth`` levels down) as finished: ``figure_json`` serialises each once until it
    is sealed again. Whoever changes a sealed figure in place must seal it again (the live
    pages give each snapshot a new ``PreparedFigure`` instead, sealed once). ``new_only``: leave figures sealed before as they
    are (``memo``: a build may hand back figures it kept from an earlier build, unchanged)."""
    if isinstance(result, BaseFigure):
        if not (new_only and getattr(result, "_sv_version", None) is not None):
            object.__setattr__(result, "_sv_version", object())
    elif depth > 0 and isinstance(result, dict):
        for value in result.values():
            seal(value, depth - 1, new_only=new_only)
    elif depth > 0 and isinstance(result, (list, tuple)):
        for value in result:
            seal(value, depth - 1, new_only=new_only)
    return result


def chart(fig: Any, *, key: str, where: Any = None, config: dict | None = None,
          on_select: Callable[[], None] | str | None = None) -> dict:
    """Draw ``fig`` (a plotly Figure, or a ``PreparedFigure``) at this place of the page, in
    ``where`` (a column or container; the page itself by default), updating the chart of the
    same ``key`` in place. ``on_select``: a click on a point selects it, and the selection is
    returned as ``{"selection": {"points": [...]}}`` (each point's ``x``, ``y``,
    ``customdata``, ``curve_number``, ``point_index``), and kept in ``st.session_state[key]``
    as st.plotly_chart kept it; a callable is called when it changes, ``"rerun"`` only reruns
    the page."""
    data = {"figure": figure_json(fig), "src": _plotly_src(),
            "config": config or {}, "select": on_select is not None,
            "failed": _("This chart cannot be drawn: the browser could not load Plotly.js from "
                        "this server ({address}). Reload the page; if it stays, the server's "
                        "plotly package is incomplete.")}
    callbacks = {}
    if on_select is not None:
        callbacks["on_selection_change"] = on_select if callable(on_select) else (lambda: None)
    if where is None:
        result = _mount(key=key, data=data, **callbacks)
    else:
        with where:
            result = _mount(key=key, data=data, **callbacks)
    return {"selection": (result.get("selection") if on_select is not None else None)
            or {"points": []}}


def preload() -> None:
    """Start loading Plotly.js in the browser now (an element of no height), so that it loads
    and compiles while the server builds the page instead of after the first chart arrives.
    Once loaded it stays for the browser tab: the app's pages share one document."""
    with st.sidebar:
        _mount(key=PRELOAD_KEY, data={"src": _plotly_src()}, height=0)

