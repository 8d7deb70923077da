"""seqviz.ui.chart: one element per chart, whatever figure it is given (issue 13, item 4)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from streamlit.testing.v1 import AppTest

from seqviz.ui.chart import PLOTLY_DIR, PLOTLY_FILE, TRACES
from tests.apptest_utils import chart_figure

SCRIPT = """
import plotly.graph_objects as go
import streamlit as st
from seqviz.ui.chart import chart

n = st.session_state.get("n", 1)
left, right = st.columns(2)
chart(go.Figure(go.Scatter(x=list(range(n)), y=[v * v for v in range(n)])), key="live",
      where=left)
st.session_state.n = n + 1
"""


def _charts(at: AppTest) -> list:
    return [el.proto for el in at.get("bidi_component") if chart_figure(el.proto) is not None]


def test_a_new_figure_reaches_the_same_element():
    """The element's id comes from its key, not its figure: the browser keeps the element and
    redraws it in place (st.plotly_chart in Streamlit 1.67 gave each figure a new id, and the
    browser mounted a new chart beside the old one)."""
    at = AppTest.from_string(SCRIPT).run()
    assert not at.exception
    first = _charts(at)
    at.run()
    second = _charts(at)
    assert len(first) == len(second) == 1
    assert chart_figure(first[0])["data"][0]["x"] != chart_figure(second[0])["data"][0]["x"]
    assert first[0].id == second[0].id


def test_the_chart_loads_the_bundled_plotly_js():
    """Nothing is fetched from elsewhere: the file exists, and the chart names its route."""
    at = AppTest.from_string(SCRIPT).run()
    data = json.loads(_charts(at)[0].json)
    assert os.path.getsize(os.path.join(PLOTLY_DIR, PLOTLY_FILE)) > 1_000_000
    assert data["src"].startswith("component/") and data["src"].endswith("/" + PLOTLY_FILE)
    assert "{address}" in data["failed"]


def test_only_a_chart_with_on_select_listens_for_clicks():
    """What a click returns is checked in the browser (test_browser_hidden, test_browser_beam)."""
    script = SCRIPT + """
from seqviz.ui.chart import chart as c2
event = c2(go.Figure(go.Bar(x=[1, 2], y=[3, 4])), key="pick", on_select="rerun")
st.write(event)
"""
    at = AppTest.from_string(script).run()
    assert not at.exception
    assert json.loads(_charts(at)[1].json)["select"] is True
    assert json.loads(_charts(at)[0].json)["select"] is False


def test_the_house_template_stays_the_default_whichever_was_imported_first():
    """Streamlit's import makes its own template (placeholder colours only st.plotly_chart
    fills in) Plotly's default; a process that imported the house style first (a test run, a
    script) kept it until seqviz.ui.chart put the house template back."""
    code = ("import seqviz.figures.style, seqviz.ui.chart, plotly.io as pio, "
            "plotly.graph_objects as go; "
            "print(pio.templates.default, go.Figure().layout.template.layout.paper_bgcolor)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         timeout=120, check=True).stdout.split()
    assert out == ["plotly_white", "white"]


def _version(path: str) -> tuple[int, ...]:
    with open(path, encoding="utf-8") as f:
        head = f.read(300)
    found = re.search(r"plotly\.js[^\n]* v(\d+)\.(\d+)\.(\d+)", head)
    assert found, head
    return tuple(int(v) for v in found.groups())


def test_the_bundle_is_the_plotly_js_the_plotly_package_writes_figures_for():
    """The cartesian bundle's major version is that of the full bundle the installed ``plotly``
    package ships (its figures' schema), and it registers every trace type of ``TRACES``."""
    import plotly

    ours = _version(os.path.join(PLOTLY_DIR, PLOTLY_FILE))
    theirs = _version(os.path.join(os.path.dirname(plotly.__file__), "package_data",
                                   "plotly.min.js"))
    assert ours[0] == theirs[0], (ours, theirs)
    with open(os.path.join(PLOTLY_DIR, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    assert f"version {'.'.join(map(str, ours))}" in readme
    assert all(f"`{t}`" in readme for t in TRACES)
    assert os.path.exists(os.path.join(PLOTLY_DIR, "LICENSE-plotly.js.txt"))


def test_a_figure_of_a_trace_type_outside_the_bundle_is_caught_by_the_test_helpers():
    import pytest

    at = AppTest.from_string("""
import plotly.graph_objects as go
from seqviz.ui.chart import chart
chart(go.Figure(go.Scatter3d(x=[0], y=[0], z=[0])), key="3d")
""").run()
    with pytest.raises(AssertionError, match="scatter3d"):
        _charts(at)


def test_a_sealed_figure_is_serialised_once_until_it_is_sealed_again(monkeypatch):
    """``figure_json`` keeps a sealed figure's JSON (a plain rerun draws memoised figures
    again); sealing again, as ``memo`` does after a build that moved a figure's data in place,
    makes it serialise the changed figure; an unsealed figure is serialised every time."""
    import plotly.graph_objects as go
    import plotly.io as pio

    from seqviz.ui import chart as chart_module

    calls = []
    real = pio.to_json
    monkeypatch.setattr(chart_module.pio, "to_json",
                        lambda fig, **kw: calls.append(fig) or real(fig, **kw))
    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))
    other = go.Figure(go.Bar(x=[1], y=[2]))
    held = chart_module.seal({"a": [fig], "b": "not a figure"})
    assert held["a"][0] is fig
    first = chart_module.figure_json(fig)
    assert chart_module.figure_json(fig) == first == real(fig, validate=False)
    assert calls == [fig]
    fig.data[0].y = [5, 6]  # changed in place, then sealed again
    chart_module.seal(fig)
    assert json.loads(chart_module.figure_json(fig))["data"][0]["y"] == [5, 6]
    assert calls == [fig, fig]
    chart_module.figure_json(other)
    chart_module.figure_json(other)
    assert calls == [fig, fig, other, other]


MEMO_SCRIPT = """
import plotly.graph_objects as go
import streamlit as st
from seqviz.ui.chart import chart
from seqviz.ui.live import memo

tag = st.session_state.get("tag", 0)
kept = st.session_state.setdefault("kept", go.Figure(go.Scatter(x=[0, 1, 2], y=[0, 0, 0])))
figs = memo("t", tag, lambda: {"f": go.Figure(go.Scatter(x=[0, 1], y=[tag, tag])), "k": kept})
chart(figs["f"], key="memoised")
chart(go.Figure(go.Scatter(x=[0], y=[tag])), key="fresh")
chart(figs["k"], key="kept")
"""


def test_a_rerun_that_changed_nothing_serialises_only_the_figures_built_in_it(monkeypatch):
    """``memo`` seals what it builds: its figures are serialised on the run that built them,
    not on the reruns that draw them again; a new tag builds and serialises anew, but a figure
    the build kept from an earlier build (sealed then) is not serialised again."""
    import plotly.io as pio

    from seqviz.ui import chart as chart_module

    calls = []
    real = pio.to_json
    monkeypatch.setattr(chart_module.pio, "to_json",
                        lambda fig, **kw: calls.append(fig.data[0].x) or real(fig, **kw))
    at = AppTest.from_string(MEMO_SCRIPT).run()
    assert not at.exception
    assert sorted(map(len, calls)) == [1, 2, 3]  # every chart, serialised on the first run
    calls.clear()
    at.run()
    assert [len(x) for x in calls] == [1]  # only the figure built in this run
    calls.clear()
    at.session_state["tag"] = 1
    at.run()
    assert sorted(map(len, calls)) == [1, 2]  # the new build's figure; the kept one is not
    assert [chart_figure(el)["data"][0]["y"] for el in _charts(at)] == [[1, 1], [1], [0, 0, 0]]
