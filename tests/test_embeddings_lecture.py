"""The embeddings lecture: valid steps in both languages, and every answer's numbers measured
again with the step's own setup (seed 0; the same numbers the page shows, since the engine's
runs equal direct stepping) and found in the answer's text."""

from __future__ import annotations

import dataclasses

import pytest

from seqviz.config import from_query
from seqviz.embeddings.debias import analogy_before_after, debias, definitional_pairs
from seqviz.embeddings.experiment import EmbConfig, W2VExperiment
from seqviz.embeddings.glovelive import build_run as glove_run
from seqviz.embeddings.grammars import TEACHING
from seqviz.embeddings.lecture import lecture_steps
from seqviz.embeddings.live import corpus_for, text_of
from seqviz.embeddings.queries import neighbours
from seqviz.lecture import check_steps

TOLERANCE = 3  # analogies: another CPU's float rounding may flip a borderline one or two


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_steps_are_valid_links(lang):
    steps = lecture_steps(lang)
    assert check_steps(steps, EmbConfig) == []
    corpus = {"en": "grammar", "zh": "grammar_zh"}[lang]
    assert all(s.params["corpus"] == corpus for s in steps)


def _run(params: dict, steps: int) -> W2VExperiment:
    cfg, notices = from_query(EmbConfig, params)
    assert notices == []
    exp = W2VExperiment.build(cfg, corpus=corpus_for(text_of(cfg, None), cfg.min_count),
                              eval_every=10**9)
    exp.step(steps)
    exp.trainer.evaluate_now()
    return exp


def _correct(exp: W2VExperiment) -> int:
    return exp.evals[-1].analogy.correct


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_answers_say_what_happens(lang):
    s1, s2, s3, s4, _s5 = lecture_steps(lang)
    # 1: the nearest neighbour after 300 steps; 4's skip-gram count is this run's
    exp = _run(s1.params, s1.after_steps)
    claim = s1.extra["claim"]
    word, expected = claim["neighbour"]
    (first, cos1), (_second, cos2) = neighbours(exp.index(), word, 2)
    assert first == expected and cos1 == pytest.approx(claim["cosine"], abs=0.015)
    assert cos2 == pytest.approx(claim["second"], abs=0.015)
    assert expected in s1.answer and f"{claim['cosine']:.2f}" in s1.answer
    skipgram = _correct(exp)
    assert abs(skipgram - s4.extra["claim"]["skipgram"]) <= TOLERANCE
    # 2: accuracy after 500 steps (same training: the projection only changes the map)
    exp.step(s2.after_steps - s1.after_steps)
    exp.trainer.evaluate_now()
    assert abs(_correct(exp) - s2.extra["claim"]["correct"]) <= TOLERANCE
    # 3: two dimensions; 4: CBOW
    for step in (s3, s4):
        got = _correct(_run(step.params, step.after_steps))
        assert abs(got - step.extra["claim"]["correct"]) <= TOLERANCE, (step.title, got)
    for step in (s2, s3, s4):
        assert f"{step.extra['claim']['correct']} of 162" in step.answer
    assert f"skip-gram {s4.extra['claim']['skipgram']}" in s4.answer
    more = s4.extra["claim"]["correct"] > s4.extra["claim"]["skipgram"]
    assert s4.answer.startswith("More" if more else "Fewer")


def test_a_step_link_sets_up_the_page_config():
    step = lecture_steps("en")[2]
    cfg, _notices = from_query(EmbConfig, dict(step.params))
    assert cfg == dataclasses.replace(EmbConfig(), embed_size=2, projection="pca")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_glove_and_debiasing_answer(lang):
    """Step 5: GloVe as the page opens it (300 steps) against step 2's skip-gram count, and its
    gender analogies before and after hard debiasing with every pair of the grammar."""
    step = lecture_steps(lang)[4]
    claim = step.extra["claim"]
    cfg, _notices = from_query(EmbConfig, dict(step.params))
    run = glove_run(cfg)
    assert run.steps == step.after_steps
    t = TEACHING[cfg.corpus]
    result = debias(run.model.vectors(), run.corpus.words,
                    definitional_pairs(cfg.corpus, run.corpus.words))
    before, after = analogy_before_after(result, t.analogies, t.relation_of)
    assert abs(before.correct - claim["correct"]) <= TOLERANCE
    assert abs(before.by_relation["gender"][0] - claim["gender"]) <= TOLERANCE
    assert abs(after.by_relation["gender"][0] - claim["gender_after"]) <= TOLERANCE
    assert len(result.pairs) == 11
    assert (f"word2vec: {claim['skipgram']} of 162 at step 200 (step 2) against GloVe's "
            f"{claim['correct']}") in step.answer
    assert f"from {claim['gender']} to {claim['gender_after']} of 72" in step.answer
    assert claim["skipgram"] == lecture_steps(lang)[1].extra["claim"]["correct"]
