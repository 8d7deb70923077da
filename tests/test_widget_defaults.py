"""Every widget that holds state has its current value as its default (``seqviz.ui.controls``).

The browser falls back on a widget's default when it first draws it from a rerun that does not
send its value again: a user who acts before the browser has drawn the whole page (a busy
machine) gets such a rerun. With Streamlit's own default (the first option: every slider's
minimum) a lecturer's Language model fell to hidden size 8, batch 1 and learning rate 0.0001
after a click on "Share this run live" (seen 3 times in 22 tries on a loaded machine).
"""

from __future__ import annotations

import glob

import pytest

from tests.apptest_utils import run_page

PAGES = sorted(p for p in glob.glob("pages/*.py") if "Follow" not in p)
KINDS = ("select_slider", "slider", "radio", "selectbox", "number_input", "checkbox", "toggle",
         "text_input")


def _default_and_current(kind: str, w) -> tuple:
    """(what the browser would fall back on, what the widget shows), both as the browser
    holds them: option indices for choices, numbers for sliders and number boxes."""
    p = w.proto
    if kind == "select_slider":
        return [int(i) for i in p.default], [w.options.index(w.format_func(w.value))]
    if kind == "slider":
        value = w.value if isinstance(w.value, (list, tuple)) else [w.value]
        return [float(v) for v in p.default], [float(v) for v in value]
    if kind in ("radio", "selectbox"):
        return p.default, w.index
    return p.default, w.value


def _config_widgets(at) -> list:
    """Every keyed widget but the language and presenter switches (set on every run)."""
    return [(kind, w) for kind in KINDS for w in getattr(at, kind)
            if w.key and not w.key.startswith("display.")]


@pytest.mark.parametrize("page", PAGES)
def test_every_config_widget_defaults_to_its_current_value(page):
    at = run_page(page)
    found = _config_widgets(at)
    assert len(found) >= 3, (page, [w.key for _k, w in found])
    wrong = {w.key: _default_and_current(kind, w) for kind, w in found
             if _default_and_current(kind, w)[0] != _default_and_current(kind, w)[1]}
    assert wrong == {}, page


def test_a_link_s_values_are_the_defaults_too():
    """A link's settings, far from the first options, and after a rerun."""
    at = run_page("pages/1_Language_Model.py",
                  query={"hidden_size": "32", "lr": "0.01", "cell": "lstm", "num_layers": "2",
                         "temperature": "1.2", "batch_size": "32"})
    at.run()
    shown = {w.key: _default_and_current(kind, w) for kind, w in _config_widgets(at)}
    assert shown["lm.w.hidden_size"] == ([2], [2]) and shown["lm.w.lr"] == ([4], [4])
    assert shown["lm.w.cell"] == (2, 2) and shown["lm.w.num_layers"] == (2, 2)
    assert shown["lm.w.temperature"] == ([1.2], [1.2])


def test_a_lecturer_s_share_switch_defaults_to_on_while_sharing():
    """Else a click before the sidebar is drawn would switch sharing off for every follower."""
    at = run_page("pages/1_Language_Model.py", query={"corpus": "grammar", "level": "word"})
    at.toggle(key="lm.share.on").set_value(True).run()
    at.run()
    assert at.toggle(key="lm.share.on").proto.default is True
    at.toggle(key="lm.share.on").set_value(False).run()
    assert at.toggle(key="lm.share.on").proto.default is False
