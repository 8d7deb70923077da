"""Plain text in a monospace box (``seqviz.ui.layout.text_block``) instead of ``st.code``.

``st.code`` makes the front end fetch and evaluate its 1.5 MB syntax highlighter before anything
below a page's title is shown: 0.3 s of the Language model page's first chart (README, "First
chart"). The box must show a model's text exactly, markup included."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def _page() -> None:
    import streamlit as st

    from seqviz.ui.layout import text_block

    text_block(st.session_state.get("text", ""), wrap=st.session_state.get("wrap", True))


def test_the_text_is_shown_escaped_in_a_styled_box():
    at = AppTest.from_function(_page)
    at.session_state["text"] = "<unk> & <script>alert(1)</script>\n  two"
    at.run()
    assert not at.exception
    (box,) = at.get("html")
    assert box.proto.body == ('<pre class="seqviz-mono wrap">&lt;unk&gt; &amp; &lt;script&gt;'
                              'alert(1)&lt;/script&gt;\n  two</pre>')
    at.session_state["wrap"] = False
    at.run()
    assert at.get("html")[0].proto.body.startswith('<pre class="seqviz-mono">')


def test_the_house_css_styles_the_box_both_ways():
    from seqviz.ui import setup

    assert re.search(r"pre\.seqviz-mono \{[^}]*font-family[^}]*white-space: pre;", setup._CSS)
    assert re.search(r"pre\.seqviz-mono\.wrap \{[^}]*white-space: pre-wrap", setup._CSS)


def test_no_page_uses_st_code():
    """Except the share panel's link, for its copy button (shown only once a lecturer shares)."""
    used = [str(p.relative_to(ROOT)) for p in [*ROOT.glob("pages/*.py"), ROOT / "app.py",
                                                *ROOT.glob("seqviz/ui/**/*.py")]
            if re.search(r"\.code\(", p.read_text(encoding="utf-8"))
            and p.name != "share.py"]
    assert not used, f"st.code loads the syntax highlighter before the first chart: {used}"
