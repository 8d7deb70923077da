"""The attention lecture: its setups are valid page configs, its text is translated, and the
answers say what the setups do (bundled models: checked here in seconds; the two live-trained
setups: a slow test that trains them as the page would)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from seqviz.attention.checkpoint import load_s2s_payload, pretrained_path
from seqviz.attention.experiment import S2SConfig, S2SExperiment, evaluate, run_input
from seqviz.attention.lecture import STEPS
from seqviz.config import from_query
from seqviz.i18n import is_translated
from seqviz.lecture import check_steps


def test_steps_are_valid_setups_in_both_languages():
    assert check_steps(STEPS, S2SConfig) == []
    for step in STEPS:
        for text in (step.title, step.watch, step.question, step.answer):
            assert is_translated(text), text
        cfg, notices = from_query(S2SConfig, dict(step.params))
        assert notices == []
        if cfg.pretrained != "none":
            assert pretrained_path(cfg.pretrained).exists()


def _typed(name: str, text: str):
    exp = S2SExperiment.from_checkpoint(load_s2s_payload(pretrained_path(name)))
    return run_input(exp.model.eval(), exp.data, text), exp.meta


def _percents(text: str) -> list[int]:
    """The numbers of "49-62 % ... 21 %" in order: [49, 62, 21]."""
    return [int(x) for pair in re.findall(r"(\d+)(?:-(\d+))? %", text) for x in pair if x]


def test_reading_chinese_numerals_answer():
    """Step 3: the zeros of 20243005 look at 千 (49-62 %), hardly at 零 (<= 21 %)."""
    r, meta = _typed("zh_digits", "两千零二十四万三千零五")
    assert r.output == "20243005"
    qian = [j for j, t in enumerate(r.src_tokens) if t == "千"]
    ling = [j for j, t in enumerate(r.src_tokens) if t == "零"]
    zeros = [i for i, t in enumerate(r.out_tokens) if t == "0"]
    on_qian = [r.weights[i, qian].max() for i in zeros]
    on_ling = [r.weights[i, ling].max() for i in zeros]
    assert len(zeros) == 3
    assert round(100 * min(on_qian)) == 49 and round(100 * max(on_qian)) == 62
    assert round(100 * max(on_ling)) == 21
    assert round(100 * meta["exact_match"]) == 92
    assert _percents(STEPS[2].answer) == [49, 62, 21, 92]


def test_dates_answer():
    """Step 4: the month's 5 looks at the a of May (90 %), its 0 43 %; 7 and 9 at 1979."""
    r, _meta = _typed("dates", "Thursday, May 3rd 1979")
    assert r.output == "1979-05-03"
    a_of_may = r.src_tokens.index("M") + 1
    month = [5, 6]  # 1979-05-03: the 0 and 5 after "1979-"
    assert [r.out_tokens[i] for i in month] == ["0", "5"]
    w = [round(100 * r.weights[i, a_of_may]) for i in month]
    year = [round(100 * r.weights[i, j]) for i, j in ((2, 20), (3, 21))]  # 7, 9 of 1979
    assert r.src_tokens[20:22] == ["7", "9"] and r.out_tokens[2:4] == ["7", "9"]
    assert int(np.argmax(r.weights[month[1]])) == a_of_may
    assert _percents(STEPS[3].answer) == [w[1], w[0], *year]


@pytest.mark.slow
@pytest.mark.parametrize("i", [0, 1])
def test_reversal_answers_train_as_claimed(i):
    """Steps 1 and 2: the setup trained 600 steps (seed 0, as the page would) scores what the
    answer says on the page's held-out set."""
    cfg, _notices = from_query(S2SConfig, dict(STEPS[i].params))
    exp = S2SExperiment.build(cfg)
    exp.record_by_hand()
    exp.trainer.step(STEPS[i].after_steps)
    e = evaluate(exp.model.eval(), exp.data, exp.eval_pairs, exp.trainer.steps)
    assert f"{100 * e.exact:.0f} %" in STEPS[i].answer
