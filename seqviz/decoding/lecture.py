"""The beam-search lecture: four steps on bundled models, so nothing waits on training.

Every answer states what the bundled models really do with the step's settings (measured; the
numbers are checked by tests/test_search_demos.py).
"""

from __future__ import annotations

from seqviz.i18n import N_
from seqviz.lecture import LectureStep

PROMPT = "execution of "  # a line of the Python manual's held-out text, cut after 13 characters
MANUAL = 'the "finally" clause.'  # how the manual goes on
# Steps 3 and 4: "execution of " no longer shows them on the retrained lm_prose (B = 5 gives the
# same final at alpha 0.6 and 1; B = 2 refilled and shrinking beams agree on "the"). This prompt
# is one of the 50 held-out lines of the tally (seed 0), found by trying each of them for three
# different finals at alpha 0 / 0.6 / 1 and a refilled beam that beats the shrinking one at B = 2.
PROMPT_2 = "(see section "

STEPS = [
    LectureStep(
        N_("Greedy search misses; a beam of two finds it"),
        {"source": "seq2seq_reverse", "beam_width": "1", "alpha": "0.6", "finished": "shrink",
         "max_len": "30"},
        N_("The input has 11 digits, one more than any the model saw in training. Read greedy "
           "search's output and its log P, then move B to 2."),
        N_("Greedy search (B = 1) gets this reversal wrong. Will a beam of two find the right "
           "answer, and will the model score it higher or lower than greedy's output?"),
        N_("Greedy search writes 43594726836 (log P −0.811): at position 10 the model gives the "
           "3 a probability of 0.505 and the right 6 only 0.485, and greedy takes the 3. A beam "
           "of two keeps the 6 as well and returns the true reversal 43594726863, which the "
           "model scores higher (log P −0.774): greedy made a search error, and every width "
           "from 2 to 10 fixes it."),
        after_steps=0),
    LectureStep(
        N_("Search error or model error?"),
        {"source": "lm_prose", "text": PROMPT, "reference": MANUAL, "beam_width": "1",
         "alpha": "0.6", "finished": "shrink", "max_len": "30"},
        N_("The verdict in the error analysis, and the chart of this prompt at every beam "
           "width."),
        N_("At B = 1 the model scores the manual's own continuation higher than greedy's "
           "output: a search error. Will a wider beam find the manual's words?"),
        N_("No. Greedy search runs to the length limit without ending (“the same name is a "
           "string of t”, score −2.215), below the manual's −1.722: a search error. From B = 2 "
           "on, the beam finds outputs the model itself scores above the manual's (“the” at "
           "B = 2, score −1.385; “the function definition of the” from B = 6, score −1.205, "
           "cut off by the length limit), so the verdict becomes a model error: the model "
           "prefers its own sentences, and no search can fix that."),
        after_steps=0),
    LectureStep(
        N_("Length normalisation"),
        {"source": "lm_prose", "text": PROMPT_2, "beam_width": "5", "alpha": "0.0",
         "finished": "shrink", "max_len": "30"},
        N_("The length of the best final in the table of final hypotheses; then move α to 0.6 "
           "and to 1."),
        N_("With α = 0 the beam ranks its finals by raw log P. Will short or long outputs win, "
           "and what changes as α grows to 1?"),
        N_("A new prompt, a held-out line of the manual (“execution of ” no longer shows this "
           "with the retrained model: α = 0.6 and α = 1 pick the same final there). With α = 0 "
           "the winner is “The” (4 tokens with the end token, log P −3.34): every extra token "
           "lowers log P. At α = 0.6 “These methods.” wins (15 tokens, log P −7.08); at α = 1 "
           "“These methods are not defined ” (30 tokens, log P −11.80), which never ends: the "
           "length limit cuts it off."),
        after_steps=0),
    LectureStep(
        N_("When a hypothesis ends: shrink or refill?"),
        {"source": "lm_prose", "text": PROMPT_2, "beam_width": "2", "alpha": "0.6",
         "finished": "keep", "max_len": "30"},
        N_("The best final; then set “When a hypothesis ends” to “the beam shrinks”, and run "
           "the tally over 50 examples."),
        N_("With B = 2 the hypothesis “The” ends early. Does it matter whether its place in the "
           "beam is refilled or stays empty?"),
        N_("Yes (step 3's prompt: with “execution of ” both beams now return “the”). Refilled, "
           "two hypotheses stay live and the beam returns “These methods are” "
           "(score −1.422); shrinking, one stays live after “The” ends, and the best final is "
           "“The” itself (score −1.454). Over 50 held-out lines at B = 2 the refilled beam found "
           "the better final 12 times and the shrinking one once (the same final 37 times); at "
           "B = 10 it is the other way round (0 and 17 times): the refilled beam collects its 10 "
           "finished hypotheses sooner and stops earlier."),
        after_steps=0),
]
