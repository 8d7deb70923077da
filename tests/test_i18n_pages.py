"""Every page, opened with lang=zh, shows no English interface text (AppTest).

Model tokens and user text are data, not interface: code blocks and tick labels are not read
(``tests/i18n_utils.py``). Pages still being translated are marked ``xfail(strict=True)``, so
the mark must go the moment a page passes.
"""

from __future__ import annotations

import pytest

from seqviz.i18n import _, use_language
from tests.apptest_utils import figures, run_page, run_until
from tests.i18n_utils import english_leftovers, visible_strings

PAGES = {  # page -> (query, strings allowed to stay English on it)
    "app.py": ({}, ()),
    "pages/1_Language_Model.py": ({}, ()),
    "pages/2_Hidden_States.py": ({}, ("odot",)),  # LaTeX \\odot: math, not interface
    "pages/3_Gradient_Flow.py": ({}, ()),
    "pages/4_Clipping.py": ({}, ()),
    "pages/5_Attention.py": ({}, ()),
    "pages/6_Beam_Search.py": ({}, ()),
    "pages/7_Embeddings.py": ({}, ()),
    "pages/8_Sequence_Tasks.py": ({}, ()),
    "pages/9_Time_Series.py": ({}, ()),
    "pages/10_CTC.py": ({}, ()),
}
NOT_YET: set[str] = set()  # pages whose interface is not translated yet
TABS = {  # pages that draw only the open tab: the tab's state key and the tabs' English labels
    "pages/2_Hidden_States.py": ("hs.tab", ("Gates", "Neuron finder", "Trajectory",
                                            "Predictions")),
    "pages/7_Embeddings.py": ("emb.tab", ("GloVe beside word2vec", "Debiasing")),
    "pages/5_Attention.py": ("att.tab", ("The long-input problem", "Bundled models")),
}


def _params():
    for page, (query, allow) in PAGES.items():
        marks = [pytest.mark.xfail(strict=True, reason="not translated yet")] \
            if page in NOT_YET else []
        yield pytest.param(page, query, allow, marks=marks, id=page.split("/")[-1])


@pytest.mark.parametrize("page, query, allow", list(_params()))
def test_page_in_chinese_has_no_english_interface_text(page, query, allow):
    with use_language("zh"):  # AppTest calls format_func outside the script thread
        at = run_page(page, query={**query, "lang": "zh"})
        if page != "app.py":
            at = run_until(at, lambda a: len(figures(a)) > 0, 90, "a chart")
        strings = visible_strings(at)
        state, tabs = TABS.get(page, ("", ()))
        for tab in tabs:  # each of the other tabs, opened as a click would
            at.session_state[state] = _(tab)
            at.run()
            assert not at.exception, (tab, [e.value for e in at.exception])
            strings += visible_strings(at)
    assert len(strings) > 20, strings  # the walker found the page
    assert english_leftovers(strings, allow) == []


def test_english_page_has_no_chinese():
    at = run_page("pages/1_Language_Model.py", query={"lang": "en"})
    at = run_until(at, lambda a: len(figures(a)) > 0, 90, "a chart")
    strings = visible_strings(at)
    # Chinese allowed in English: the language switch, and Chinese data shown as examples
    data = ("Language · 语言", "简体中文", "国王/王后", "狗/小狗")
    left = []
    for s in strings:
        for d in data:
            s = s.replace(d, "")
        left += [s] if any("\u4e00" <= ch <= "\u9fff" for ch in s) else []
    assert not left
