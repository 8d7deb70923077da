"""Uploaded texts shared by content id: the store, and a link that reopens an upload (AppTest)."""

from __future__ import annotations

from seqviz.data.uploads import TextStore, text_id, valid_id
from tests.apptest_utils import run_page, texts

LM = "pages/1_Language_Model.py"
TEXT = "the cat sat on the mat . the dog sat on the log .\n" * 200


def test_store_keeps_recent_texts_within_its_bounds():
    store = TextStore(max_texts=2, max_chars=10_000)
    a, b, c = (store.put(t) for t in ("a" * 10, "b" * 10, "c" * 10))
    assert store.get(a) is None and store.get(b) == "b" * 10 and store.get(c) == "c" * 10
    assert a == text_id("a" * 10) and valid_id(a) and not valid_id("xyz")
    big = TextStore(max_texts=10, max_chars=100)
    big.put("x" * 60)
    big.put("y" * 60)  # over the character budget: the older text goes
    assert len(big) == 1 and big.get(text_id("y" * 60))


def test_a_link_to_an_uploaded_text_reopens_it_in_another_session():
    from seqviz.ui.data import upload_store

    at = run_page(LM, query={"corpus": "grammar"})
    upload_store().put(TEXT)  # what text_upload does when a student uploads the file
    key = text_id(TEXT)
    other = run_page(LM, query={"corpus": "upload", "upload": key, "level": "word"},
                     clear_caches=False)
    exp = other.session_state["lm.exp"]
    assert exp.cfg.corpus == "upload" and exp.cfg.upload == key
    assert other.query_params["upload"] == [key] or other.query_params["upload"] == key
    assert "no longer has" not in texts(other)
    del at


def test_a_link_to_a_forgotten_upload_says_so_and_trains_on_the_default():
    other = run_page(LM, query={"corpus": "upload", "upload": "0123456789abcdef"})
    assert "no longer has" in texts(other)
    assert other.session_state["lm.config"].corpus == "prose"
    other.run()  # a later rerun (the first snapshot's, a click) still says it: a student who
    assert "no longer has" in texts(other)  # looks a moment later must see why
    other.selectbox(key="lm.w.corpus").set_value("grammar").run()  # another corpus: it goes
    assert "no longer has" not in texts(other)


def test_a_malformed_upload_id_is_ignored_with_a_notice():
    at = run_page(LM, query={"corpus": "upload", "upload": "../../etc/passwd"})
    assert "Ignored URL parameter upload" in texts(at)
