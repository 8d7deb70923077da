"""AppTest: a lecturer shares the LM page's run, a follower watches it, forks it, sees it end."""

from __future__ import annotations

from tests.apptest_utils import figures, fork_by_link, run_page, run_until, texts, trace_len

LM = "pages/1_Language_Model.py"
FOLLOW = "pages/99_Follow.py"
SMALL = {"corpus": "grammar", "level": "word", "cell": "gru", "hidden_size": "16",
         "embed_size": "8", "seq_len": "8", "batch_size": "4"}


def _shown_step(at) -> int:
    return int(at.metric[0].value.replace(",", "")) if at.metric else -1


def _lecturer():
    at = run_page(LM, query=SMALL)
    at.toggle(key="lm.share.on").set_value(True).run()
    assert not at.exception
    share = at.session_state["lm.share"]
    assert share.code and share.code in texts(at)
    assert at.get("image")  # the QR code
    return at, share


def test_follow_shows_the_lecturers_run_live_then_its_end():
    lecturer, share = _lecturer()
    follower = run_page(FOLLOW, query={"follow": share.code}, clear_caches=False)
    run_until(follower, lambda a: len(figures(a)) == 3, what="the shared charts")
    assert _shown_step(follower) == 0
    assert "Following the lecturer" in texts(follower) and "Learning rate" in texts(follower)
    for _ in range(3):
        lecturer.button(key="lm.step").click().run()
    run_until(follower, lambda a: _shown_step(a) == 3, what="the lecturer's steps")
    assert trace_len(figures(follower)[0]["data"][0]) == 3  # the loss curve moved
    lecturer.select_slider(key="lm.w.lr").set_value(0.01).run()
    lecturer.button(key="lm.step").click().run()
    run_until(follower, lambda a: "changed from 0.003 to 0.01" in texts(a),
              what="the lecturer's change")
    assert lecturer.session_state["lm.exp"].steps == 4  # the follower changed nothing
    # the lecturer stops sharing: the follower is told and keeps the last view
    lecturer.toggle(key="lm.share.on").set_value(False).run()
    run_until(follower, lambda a: "lecturer stopped sharing" in texts(a), what="the end")
    assert len(figures(follower)) == 3 and _shown_step(follower) == 4
    assert not [link for link in follower.get("page_link") if "Fork" in link.proto.label]


def test_fork_gives_the_follower_a_paused_copy_on_the_lesson_page():
    lecturer, share = _lecturer()
    for _ in range(2):
        lecturer.button(key="lm.step").click().run()
    follower = run_page(FOLLOW, query={"follow": share.code}, clear_caches=False)
    run_until(follower, lambda a: _shown_step(a) == 2, what="the shared step")
    assert not follower.exception and "lm.exp" not in follower.session_state
    fork_by_link(follower, LM)
    assert "fork" not in follower.query_params  # the link's parameter is used up
    mine = follower.session_state["lm.exp"]
    theirs = lecturer.session_state["lm.exp"]
    assert mine.handle is not theirs.handle and mine.steps == 2
    run_until(follower, lambda a: len(figures(a)) == 3 and _shown_step(a) == 2,
              what="the fork on the LM page")
    assert follower.button(key="lm.play")  # the follower's own controls
    follower.button(key="lm.step").click().run()
    assert mine.steps == 3 and theirs.steps == 2  # independent


def test_a_bad_or_unknown_code_says_so():
    at = run_page(FOLLOW, query={"follow": "<script>"})
    assert "is not a share code" in texts(at)
    at = run_page(FOLLOW, query={"follow": "r9-2222222222"})
    assert "No shared run has the code" in texts(at)
    at = run_page(FOLLOW)
    assert at.text_input  # a box to type the code


def test_a_fork_link_with_a_bad_code_or_for_another_page_says_so_and_the_page_works():
    lecturer, share = _lecturer()
    lecturer.button(key="lm.step").click().run()
    bad = [({"fork": "<script>"}, LM, "lm"), ({"fork": "r9-2222222222"}, LM, "lm"),
           ({"fork": share.code}, "pages/4_Clipping.py", "clip")]  # an LM run on Clipping
    for query, page, key in bad:
        at = run_page(page, query=query, clear_caches=False)
        assert "could not be copied" in texts(at), (query, page)
        top = [type(e).__name__ for e in at.main.children.values()]
        assert top.index("Title") < top.index("Error"), top  # the message under the title
        assert "fork" not in at.query_params  # used up: a reload does not try again
        assert at.session_state[f"{key}.exp"].steps == 0  # the page's own run, not a copy
        assert figures(at)
    assert lecturer.session_state["lm.exp"].steps == 1  # nothing touched the lecturer's run


def test_the_bad_code_message_shows_a_code_of_this_servers_form(monkeypatch):
    """The example had a replica prefix (r1-…) on a server whose codes have none."""
    from seqviz.engine.share import CODE_RE
    from seqviz.ui.share import registry as share_registry

    registry = share_registry()
    monkeypatch.setattr(registry, "replica", "")
    at = run_page(FOLLOW, query={"follow": "nope"})
    message = " ".join(e.value for e in at.error)
    example = message.split("a code looks like ")[1].split(" ")[0]
    assert CODE_RE.match(example) and "-" not in example
    monkeypatch.setattr(registry, "replica", "r2")
    at = run_page(FOLLOW, query={"follow": "nope"})
    message = " ".join(e.value for e in at.error)
    assert "a code looks like r2-" in message
