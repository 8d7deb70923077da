"""Two languages: complete catalogs, a language that follows the session, every page in Chinese."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest

from seqviz import i18n
from seqviz.i18n import Msg, N_, _, use_language
from tests.i18n_utils import english_leftovers, visible_strings

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def test_every_message_is_translated_and_compiled():
    """Every _()/N_()/ngettext() string in the code has a Chinese translation with the same
    placeholders, and the compiled .mo files say what the .po files say."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import i18n as tool  # scripts/i18n.py
    finally:
        sys.path.pop(0)
    templates = tool.templates()
    assert sum(len(t) for t in templates.values()) > 100, "extraction found almost nothing"
    assert tool.problems() == []


def test_check_command_fails_on_an_untranslated_string(tmp_path):
    """The checker itself would notice a new English string (guards the test above)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import i18n as tool
    finally:
        sys.path.pop(0)
    from babel.messages.catalog import Catalog

    fake = Catalog(domain="core")
    fake.add("A brand-new sentence nobody translated.", None, [("app.py", 1)])
    real = tool.templates

    try:
        tool.templates = lambda: {**real(), "core": _with(real()["core"], fake)}
        assert any("brand-new sentence" in p for p in tool.problems())
    finally:
        tool.templates = real


def _with(cat, extra):
    for msg in extra:
        if msg.id:
            cat.add(msg.id, None, msg.locations)
    return cat


def test_language_switches_and_defaults_to_english():
    assert _("Play") == "Play"
    with use_language("zh"):
        assert _("Play") == "播放"
        assert _("{n}-gram (Kneser-Ney)").format(n=3) == "3 元语法（Kneser-Ney）"
    assert _("Play") == "Play"
    with pytest.raises(ValueError, match="unknown language"):
        with use_language("fr"):
            pass


def test_resolver_decides_when_a_session_does():
    # put back whatever was registered: the UI's session resolver, once seqviz.ui.setup is
    # imported, serves every later AppTest in this process (tests run in any order)
    previous = i18n.set_resolver(lambda: "zh")
    try:
        assert _("Pause") == "暂停"
        assert i18n.language() == "zh"
        i18n.set_resolver(lambda: None)  # no session: the default
        assert _("Pause") == "Pause"
    finally:
        i18n.set_resolver(previous)


def test_the_ui_resolver_survives_the_resolver_test():
    """Tests run in any order (two workers): after the test above, a Chinese AppTest session
    must still read its language from its session."""
    import seqviz.ui.setup  # noqa: F401 - registers the session resolver

    ui = i18n.set_resolver(None)
    i18n.set_resolver(ui)
    test_resolver_decides_when_a_session_does()
    assert i18n.set_resolver(ui) is ui


def test_msg_is_translated_where_it_is_shown_and_survives_pickle():
    made = Msg(N_("gradient norm is {value}"), value="inf")  # made in a worker
    back = pickle.loads(pickle.dumps(made))
    assert back == made
    assert str(back) == "gradient norm is inf"
    with use_language("zh"):
        assert str(back) == "梯度范数为 inf"
        assert f"({back})" == "(梯度范数为 inf)"


def test_english_detector_flags_english_and_keeps_chinese_and_names():
    assert english_leftovers(["Training loss", "训练损失", "LSTM（验证集）", "t-SNE", "RNN",
                              "3 元语法（Kneser-Ney）: 5.25"]) == ["Training loss"]
    assert english_leftovers(["按下 Play and watch the loss fall"])  # 5 English words inside


def test_the_core_imports_no_streamlit_for_translations():
    code = "import seqviz.i18n, seqviz.config, seqviz.figures.training, sys; " \
           "print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


def test_chinese_bold_closes_where_markdown_can_see_it():
    """'**观察：**文字' does not render bold (CommonMark: a closing ** after punctuation must be
    followed by space or punctuation); translations put the colon outside: '**观察**：'."""
    import re

    bad = []
    for po in (ROOT / "seqviz" / "locale" / "zh_CN" / "LC_MESSAGES").glob("*.po"):
        for line in po.read_text(encoding="utf-8").splitlines():
            if line.startswith("msgstr") and re.search(
                    r"[\u3000-\u303f\uff00-\uffef]\*\*(?=[^\s*\u3000-\u303f\uff00-\uffef\"])",
                    line):
                bad.append(f"{po.name}: {line}")
    assert bad == []


def test_a_message_means_the_same_in_every_domain():
    """All domains are one lookup: a msgid translated two ways would show one of them on every
    page. A word with two meanings gets a context (pgettext) instead."""
    from babel.messages.pofile import read_po

    seen: dict[tuple, tuple[str, str]] = {}
    clashes = []
    for po in sorted((ROOT / "seqviz" / "locale" / "zh_CN" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            for msg in read_po(fh):
                if not msg.id or not msg.string:
                    continue
                key = (msg.context, msg.id if isinstance(msg.id, str) else tuple(msg.id))
                text = msg.string if isinstance(msg.string, str) else tuple(msg.string)
                if key in seen and seen[key][1] != text:
                    clashes.append(f"{key[1]!r}: {seen[key][0]} {seen[key][1]!r} vs "
                                   f"{po.stem} {text!r}")
                seen.setdefault(key, (po.stem, text))
    assert clashes == []


GLOSSARY = {  # a formula or term the English spells one way, written one way in Chinese
    "p(label | frames)": "p(标签 | 帧)",
}


def test_a_formula_reads_the_same_in_every_chinese_message():
    """The CTC table header read "p(标签 | 帧)" while the caption under it kept "p(label |
    frames)" (walk, 2026-12-06)."""
    from babel.messages.pofile import read_po

    odd = []
    for po in sorted((ROOT / "seqviz" / "locale" / "zh_CN" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            for msg in read_po(fh):
                ids = [msg.id] if isinstance(msg.id, str) else list(msg.id)
                texts = [msg.string] if isinstance(msg.string, str) else list(msg.string)
                for term, zh in GLOSSARY.items():
                    if any(term in i for i in ids) and not all(zh in t for t in texts if t):
                        odd.append((po.stem, ids[0]))
    assert odd == []
