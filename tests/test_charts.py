"""A session's first look draws a page's first chart and placeholders for the rest, until the
browser's probe says a chart is painted (``seqviz.ui.charts``; the browser side is in
``test_browser_fresh.py``)."""

from __future__ import annotations

import re

import plotly.graph_objects as go

from seqviz.ui import charts
from seqviz.ui.live import PreparedFigure
from tests.apptest_utils import figures, run_page

PAGE = "pages/3_Gradient_Flow.py"
SMALL = {"seq_len": "10", "hidden_size": "8", "seed": "2"}
_LATER = re.compile(r'<div class="seqviz-later" style="height:(\d+)px"></div>')


def _probes(at) -> list:
    return [e for e in at.main if getattr(e, "type", "") == "bidi_component"
            and e.proto.component_name == "seqviz.first_look"]


def _placeholders(at) -> list[int]:
    return [int(m.group(1)) for md in at.markdown for m in [_LATER.fullmatch(md.value)] if m]


def test_a_first_look_draws_the_first_chart_then_all_once_painted():
    at = run_page(PAGE, query=SMALL, session={charts.PAINTED: False})
    assert len(figures(at)) == 1 and len(_probes(at)) == 1
    held = _placeholders(at)
    at.session_state[charts.PAINTED] = True  # what the probe's trigger callback sets
    at.run()
    figs = figures(at)
    assert len(figs) == 6 and _probes(at) == [] and _placeholders(at) == []
    # each placeholder was as tall as the chart that replaced it: nothing below them moves
    assert held == [f["layout"].get("height", 450) for f in figs[1:]]


def test_a_later_run_and_the_home_page_draw_no_first_look():
    at = run_page(PAGE, query=SMALL)  # a session whose probe has answered
    assert len(figures(at)) == 6 and _probes(at) == [] and _placeholders(at) == []
    home = run_page("app.py", session={charts.PAINTED: False})  # draws no chart: no probe
    assert _probes(home) == []


def test_a_placeholder_takes_the_height_of_either_kind_of_figure():
    assert charts._height(go.Figure(layout={"height": 320})) == 320
    assert charts._height(go.Figure()) == 450  # plotly's default
    assert charts._height(PreparedFigure({"data": [], "layout": {"height": 275}})) == 275
    assert charts._height(PreparedFigure({"data": []})) == 450
