"""What the page opens with and what its lecture claims, checked against the bundled models.

The default example must show a search error at a small width that a wider beam fixes, and every
number a lecture answer states must be what the model really does (decoding bundled models
takes well under a second per search)."""

from __future__ import annotations

import pytest

from seqviz.decoding.config import BeamConfig
from seqviz.decoding.lecture import MANUAL, PROMPT, PROMPT_2, STEPS
from seqviz.decoding.sources import DEMO_SOURCE, DEMOS, bundled_source
from seqviz.decoding.study import SWEEP_WIDTHS, first_best, tally, width_sweep
from seqviz.lecture import check_steps


@pytest.fixture(scope="module")
def reverse():
    return bundled_source("seq2seq_reverse")


@pytest.fixture(scope="module")
def prose():
    return bundled_source("lm_prose")


def _answer_has(step, *facts: str) -> None:
    """The English answer states each fact (numbers with a true minus sign, as written)."""
    text = step.answer.replace("−", "-")
    for fact in facts:
        assert fact in text, (fact, step.answer)


def test_the_default_example_has_a_search_error_a_wider_beam_fixes(reverse):
    cfg = BeamConfig()
    assert DEMO_SOURCE == "seq2seq_reverse" and reverse.example(cfg.seed) == DEMOS[DEMO_SOURCE]
    src, ref = reverse.example(cfg.seed)
    problem = reverse.problem(src)
    results = width_sweep(problem, SWEEP_WIDTHS, cfg.max_len, cfg.alpha, cfg.finished,
                          problem.encode_target(ref))
    assert results[0].kind == "search error"  # greedy: the model prefers the reference
    fixed = first_best(results)
    assert fixed.width == 2 and fixed.kind == "correct"
    assert all(r.kind == "correct" for r in results[1:])  # no wider beam loses it again
    assert cfg.beam_width >= fixed.width  # the page's own tree shows the fixed output


def test_the_lecture_steps_are_valid_links():
    assert check_steps(STEPS, BeamConfig) == []
    assert all(step.after_steps == 0 for step in STEPS)  # nothing to train on this page


def test_step_1_greedy_misses_the_reversal(reverse):
    step = STEPS[0]
    problem = reverse.problem(DEMOS["seq2seq_reverse"][0])
    greedy = problem.best(1, 30, 0.6, "shrink").best
    beam = problem.best(2, 30, 0.6, "shrink").best
    assert problem.join(list(greedy.tokens)) == "43594726836"
    assert problem.join(list(beam.tokens)) == "43594726863" == DEMOS["seq2seq_reverse"][1]
    assert beam.logp > greedy.logp
    prefix = problem.encode_target("435947268")[:-1]  # the nine digits both agree on
    probs = {problem.label(t): p for t, p in problem.next_tokens(prefix, 3)}
    assert probs["3"] > probs["6"]  # greedy's local choice at position 10
    _answer_has(step, "43594726836", f"{greedy.logp:.3f}", f"{beam.logp:.3f}",
                f"{probs['3']:.3f}", f"{probs['6']:.3f}")


def test_step_2_search_error_then_model_error(prose):
    step = STEPS[1]
    problem = prose.problem(PROMPT)
    ref = problem.encode_target(MANUAL)
    results = width_sweep(problem, SWEEP_WIDTHS, 30, 0.6, "shrink", ref)
    assert results[0].kind == "search error" and not results[0].tokens[-1] == problem.eos
    assert all(r.kind == "model error" for r in results[1:])
    ref_score = problem.logp(ref) / len(ref) ** 0.6
    b2, b6 = results[1], results[5]
    assert problem.join(list(b2.tokens)) == "the"
    assert problem.join(list(b6.tokens)) == "the function definition of the"
    assert not b6.tokens[-1] == problem.eos and len(b6.tokens) == 30  # cut by the length limit
    assert first_best(results).width == 6
    assert all(r.tokens == b6.tokens for r in results[5:])  # B = 6 .. 10 agree
    _answer_has(step, problem.join(list(results[0].tokens)), f"{results[0].score:.3f}",
                f"{ref_score:.3f}", f"{b2.score:.3f}", "the function definition of the",
                f"{b6.score:.3f}", "from B = 6")


def test_step_3_length_normalisation(prose):
    step = STEPS[2]
    assert step.params["text"] == PROMPT_2
    assert PROMPT_2 in [text for text, _ in prose.examples(50, 0)]  # a held-out line's start
    old = prose.problem(PROMPT)  # why the step left "execution of ": 0.6 and 1 agree there
    assert (old.best(5, 30, 0.6, "shrink").best.tokens
            == old.best(5, 30, 1.0, "shrink").best.tokens)
    problem = prose.problem(PROMPT_2)
    facts = []
    for alpha, text in ((0.0, "The"), (0.6, "These methods."),
                        (1.0, "These methods are not defined ")):
        best = problem.best(5, 30, alpha, "shrink").best
        assert problem.join(list(best.tokens)) == text
        facts += [text, f"{len(best.tokens)} tokens", f"{best.logp:.2f}"]
        if alpha == 1.0:
            assert not best.finished and len(best.tokens) == 30  # cut by the length limit
    _answer_has(step, *facts)


def test_step_4_refilled_and_shrinking_beams(prose):
    step = STEPS[3]
    assert step.params["text"] == PROMPT_2
    old = prose.problem(PROMPT)  # why the step left "execution of ": both beams return "the"
    for finished in ("keep", "shrink"):
        assert old.join(list(old.best(2, 30, 0.6, finished).best.tokens)) == "the"
    problem = prose.problem(PROMPT_2)
    keep = problem.best(2, 30, 0.6, "keep").best
    shrink = problem.best(2, 30, 0.6, "shrink").best
    assert problem.join(list(keep.tokens)) == "These methods are"
    assert problem.join(list(shrink.tokens)) == "The" and shrink.finished
    assert keep.score > shrink.score
    _answer_has(step, "“These methods are”", f"{keep.score:.3f}", "“The” itself",
                f"{shrink.score:.3f}", "“the”")


def test_step_4_counts_over_50_held_out_lines(prose):
    """The tally the step asks the class to run (50 lines, B = 2 and 10, alpha 0.6)."""
    pairs = ((p, p.encode_target(ref)) for p, ref in
             ((prose.problem(text), ref) for text, ref in prose.examples(50, 0)))
    result = tally(pairs, [2, 10], 30, 0.6, "keep")
    b2, b10 = result.conventions[2], result.conventions[10]
    assert (b2["keep better"], b2["shrink better"], b2["same"]) == (12, 1, 37)
    assert (b10["keep better"], b10["shrink better"]) == (0, 17)
    _answer_has(STEPS[3], "50 held-out lines", "12 times", "shrinking one once",
                "same final 37 times", "(0 and 17 times)")


def test_the_chinese_answers_state_the_same_numbers():
    """A translated answer keeps every number of the English one; measured (decimal) numbers are
    exactly the same (the Chinese may write "two" as 2, so small integers may be added)."""
    import re
    from collections import Counter

    from seqviz.i18n import _, use_language

    def numbers(text: str) -> Counter:
        return Counter(re.findall(r"-?\d+(?:\.\d+)?", text.replace("−", "-")))

    for step in STEPS:
        with use_language("zh"):
            chinese = _(step.answer)
        assert chinese != step.answer, step.answer  # translated
        en, zh = numbers(step.answer), numbers(chinese)
        assert not en - zh, (en - zh, chinese)  # nothing lost
        assert {n for n in zh if "." in n} == {n for n in en if "." in n}, chinese
