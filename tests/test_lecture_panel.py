"""AppTest: the lecture panel opens on a lecture link, not on a first visit (whose settings are
every page's step 1), so a student opening a page sees its charts before five steps of text."""

from __future__ import annotations

import glob

import pytest

from seqviz.lm.lecture import STEPS as LM_STEPS
from tests.apptest_utils import run_page, run_until

PAGES = sorted(p for p in glob.glob("pages/*.py") if "Follow" not in p)


def _lecture(at):
    found = [e for e in at.expander if "🎓" in e.label]
    assert len(found) == 1, [e.label for e in at.expander]
    return found[0]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", PAGES, ids=[p.split("/")[-1] for p in PAGES])
def test_a_first_visit_keeps_the_lecture_closed(page, lang):
    # in Chinese too: Embeddings then starts on the Chinese grammar, its step 1 (it opened)
    lecture = _lecture(run_page(page, query={"lang": lang}))
    assert not lecture.proto.expanded
    assert not lecture.children  # closed, its steps are not drawn (nor sent to the browser)


def test_a_lecture_link_opens_it_on_its_step_and_presenter_mode_always():
    at = run_page("pages/1_Language_Model.py", query=dict(LM_STEPS[1].params))  # step 2
    lecture = _lecture(at)
    assert lecture.proto.expanded
    assert any(m.value.startswith("**2.") and m.value.endswith("⬅") for m in lecture.markdown)
    at = run_page("pages/1_Language_Model.py", query={"present": "1"})
    assert _lecture(at).proto.expanded and len(_lecture(at).get("page_link")) == len(LM_STEPS)
    at.session_state["lm.lecture.open"] = False  # the lecturer closes it: it stays closed
    at.run()
    assert not _lecture(at).proto.expanded and not _lecture(at).children


def test_a_step_link_marks_its_own_step_not_an_earlier_one_its_setup_includes():
    """Embeddings' step 1 only picks the corpus, so it matched every later step's setup: a link
    to step 3 marked step 1, showed step 1's answer, kept step 3's hidden however long it
    trained, and did not open the lecture (browser walk, 2026-12-06)."""
    from seqviz.embeddings.lecture import lecture_steps

    step3 = lecture_steps("en")[2]
    at = run_page("pages/7_Embeddings.py", query=dict(step3.params))
    lecture = _lecture(at)
    assert lecture.proto.expanded
    marked = [m.value for m in lecture.markdown if m.value.endswith("⬅")]
    assert len(marked) == 1 and marked[0].startswith("**3.")


def test_a_bundled_models_step_does_not_ask_to_train_0_more_steps():
    at = run_page("pages/5_Attention.py", query={"present": "1"})
    notes = " ".join(c.value for c in _lecture(at).caption)
    assert "train 0 more" not in notes and "Set it up (the link above)" in notes


def test_the_divergence_steps_answer_appears_once_the_run_has_diverged():
    """LM step 4 (SGD at 10): the run diverges at step 4 and is restored to step 2 (the update
    that produced the bad weights is undone too), so with the trained-steps count the answer,
    due after 4 steps, never appeared (walk, 2026-12-06). The step that diverged counts."""
    step4 = LM_STEPS[3]
    assert "explodes at step 4" in step4.answer and step4.after_steps == 4
    at = run_page("pages/1_Language_Model.py", query=dict(step4.params))
    answers = [s.value for s in _lecture(at).success]
    assert answers == []
    at.button(key="lm.play").click().run()
    run_until(at, lambda a: not a.session_state["lm.playing"], what="the divergence pause")
    assert at.session_state["lm.exp"].steps < step4.after_steps  # restored to a good step
    answers = [s.value for s in _lecture(at).success]
    assert len(answers) == 1 and "explodes at step 4" in answers[0]
