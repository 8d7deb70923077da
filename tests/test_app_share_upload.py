"""AppTest: a follower forks a lecturer's LM run on an uploaded text (issue 19). The follower's
session never saw the upload: the fork brings the text along, so its next steps equal the
lecturer's and its link reopens the text on this server; a fork whose text the server no longer
has says so plainly."""

from __future__ import annotations

import torch

from seqviz.data.uploads import text_id
from seqviz.engine.pool import shared_engine
from tests.apptest_utils import figures, fork_by_link, run_page, run_until, texts

LM = "pages/1_Language_Model.py"
FOLLOW = "pages/99_Follow.py"
SMALL = {"corpus": "grammar", "level": "word", "cell": "gru", "hidden_size": "16",
         "embed_size": "8", "seq_len": "8", "batch_size": "4"}
TEXT = ("The sailor rowed the small boat across the grey harbour at dawn. "
        "A gull followed him, crying over the cold water, and the town slept. ") * 40


def _lecturer_on_upload():
    lecturer = run_page(LM, query=SMALL)
    lecturer.selectbox(key="lm.w.corpus").set_value("upload").run()
    lecturer.file_uploader(key="lm.upload").set_value(
        ("sailor.txt", TEXT.encode(), "text/plain")).run()
    assert not lecturer.exception, [e.value for e in lecturer.exception]
    exp = lecturer.session_state["lm.exp"]
    assert exp.cfg.corpus == "upload" and exp.cfg.upload == text_id(TEXT)
    lecturer.toggle(key="lm.share.on").set_value(True).run()
    for _ in range(2):
        lecturer.button(key="lm.step").click().run()
    assert not lecturer.exception, [e.value for e in lecturer.exception]
    return lecturer, lecturer.session_state["lm.share"]


def _weights(exp) -> dict:
    return exp.handle.call("fork_state")["trainer"]["model"]


def _forget_uploads():
    """The server's store of uploads forgets every text (as it does its oldest ones)."""
    from seqviz.ui.data import upload_store

    upload_store.clear()


def _fork(code: str, page: str, charts: int):
    follower = run_page(FOLLOW, query={"follow": code}, clear_caches=False)
    run_until(follower, lambda a: len(figures(a)) >= charts, what="the shared charts")
    return fork_by_link(follower, page)


def test_a_fork_of_a_run_on_an_uploaded_text_trains_on_that_text():
    assert shared_engine().wait_ready(120)
    lecturer, share = _lecturer_on_upload()
    theirs = lecturer.session_state["lm.exp"]
    _forget_uploads()  # the follower's session never saw the text, and the store lost it too
    follower = _fork(share.code, LM, 3)
    run_until(follower, lambda a: len(figures(a)) == 3, what="the fork on the LM page")
    shown = texts(follower)
    assert "no longer has" not in shown and "Choose a .txt file" not in shown, shown[:2000]
    mine = follower.session_state["lm.exp"]
    assert follower.session_state["lm.exp"] is mine and mine.handle is not theirs.handle
    assert mine.steps == 2 and mine.cfg.corpus == "upload" and mine.cfg.upload == text_id(TEXT)
    assert "sailor" in mine.data.vocab and mine.data.vocab == theirs.data.vocab

    # nothing changed: the fork's next steps are the lecturer's (same text, same batches)
    follower.run()
    assert not follower.exception and follower.session_state["lm.exp"] is mine
    for _ in range(2):
        follower.button(key="lm.step").click().run()
        lecturer.button(key="lm.step").click().run()
    assert mine.steps == 4 and theirs.steps == 4
    a, b = _weights(mine), _weights(theirs)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert not follower.exception and follower.session_state["lm.exp"] is mine

    # the fork's link reopens the same text in another session on this server
    link = {k: follower.query_params[k] for k in follower.query_params}
    link = {k: v[0] if isinstance(v, list) else v for k, v in link.items()}
    assert link.get("corpus") == "upload" and link.get("upload") == text_id(TEXT), link
    other = run_page(LM, query=link, clear_caches=False)
    assert "no longer has" not in texts(other)
    assert other.session_state["lm.exp"].data.vocab == theirs.data.vocab

    # once the server has forgotten the text, the link says so plainly and trains on the default
    _forget_uploads()
    late = run_page(LM, query=link, clear_caches=False)
    assert not late.exception
    assert "no longer has" in texts(late) and text_id(TEXT) in texts(late)
    assert late.session_state["lm.exp"].cfg.corpus != "upload"


def test_a_fork_whose_uploaded_file_the_server_no_longer_has_says_so():
    """The time-series run keeps the CSV column's values, not the file: when the server's store
    has lost the file, a fork could not show or change its column, so it is refused plainly."""
    import numpy as np

    assert shared_engine().wait_ready(120)
    text = "day,wave\n" + "\n".join(f"d{i},{np.sin(i / 4):.4f}" for i in range(300))
    lecturer = run_page("pages/9_Time_Series.py",
                        query={"hidden_size": "16", "batch_size": "16", "signal": "upload"},
                        session={"ts.upload_text": text})
    assert lecturer.session_state["ts.config"].signal == "upload"
    lecturer.toggle(key="ts.share.on").set_value(True).run()
    lecturer.button(key="ts.step").click().run()
    code = lecturer.session_state["ts.share"].code
    _forget_uploads()
    follower = _fork(code, "pages/9_Time_Series.py", 1)
    shown = texts(follower)
    assert "no longer has" in shown and "cannot be copied" in shown, shown[:2000]
    assert follower.session_state["ts.exp"].cfg.signal != "upload"  # the page's own default
    back = [link.proto for link in follower.get("page_link") if link.proto.label.startswith("Back")]
    assert len(back) == 1 and f"follow={code}" in back[0].query_string  # follow again, retry


def test_a_fork_of_word2vec_on_an_uploaded_text_keeps_the_text():
    assert shared_engine().wait_ready(120)
    story = "the old sailor mended the blue net while the young sailor watched the sea .\n" * 30
    lecturer = run_page("pages/7_Embeddings.py",
                        query={"embed_size": "8", "batch_size": "256", "points": "50",
                               "projection": "pca"})
    lecturer.selectbox(key="emb.w.corpus").set_value("upload").run()
    lecturer.file_uploader(key="emb.upload").set_value(
        ("story.txt", story.encode(), "text/plain")).run()
    theirs = lecturer.session_state["emb.exp"]
    assert theirs.cfg.corpus == "upload" and "sailor" in theirs.corpus.words
    lecturer.toggle(key="emb.share.on").set_value(True).run()
    lecturer.button(key="emb.step").click().run()
    assert not lecturer.exception, [e.value for e in lecturer.exception]
    code = lecturer.session_state["emb.share"].code
    _forget_uploads()
    follower = _fork(code, "pages/7_Embeddings.py", 1)
    mine = follower.session_state["emb.exp"]
    follower.switch_page("pages/7_Embeddings.py").run()
    assert not follower.exception, [e.value for e in follower.exception]
    assert follower.session_state["emb.exp"] is mine  # kept: not rebuilt on another corpus
    assert "Choose a .txt file" not in texts(follower)
    assert mine.cfg.corpus == "upload" and "sailor" in mine.corpus.words and mine.steps == 1
