"""The hidden-states page's lecture: steps on the bundled models, each a link that sets the
page up, what to watch, a question to ask before opening it, and the answer as measured.

Every number in an answer was measured on the bundled checkpoint the step opens (the probe text
is the step's ``text``, or the model's example; held-out r values are the checkpoint's recorded
ones, see ``seqviz.hidden.units``); ``tests/test_hidden_lecture.py`` measures them again, so a
retrained checkpoint that changes them fails the test until the text is updated.
"""

from __future__ import annotations

from seqviz.hidden.probes import EXAMPLES
from seqviz.i18n import N_
from seqviz.lecture import LectureStep

PARENS_TEXT = "def f(name, size=10):\n    return g(name)\nitems = [n for n in data]\n"
GENDER_TEXT = "他是一个聪明的国王。\n她是一个聪明的王后。\n"

STEPS: list[LectureStep] = [
    LectureStep(
        title=N_("A unit that counts characters"),
        params={"source": "lm_python", "probe": "typed", "text": EXAMPLES["python"],
                "layer": "1", "state": "cell", "unit": "80", "tab": "heatmap"},
        watch=N_("The neuron view: the colour of unit 80 (layer 2, cell state) along each line "
                 "of code."),
        question=N_("Nobody told the network what a line is. What will this unit do along a "
                    "line, and where a new line starts?"),
        answer=N_("It counts. tanh(c) is between −0.95 and −0.45 at the first character of "
                  "every line and climbs as the line goes on (r = +0.70 with the position in "
                  "the line on this text, +0.66 on 8,192 held-out characters); every new line "
                  "starts it low again. Knowing how long the line is helps to predict where it "
                  "ends."),
        after_steps=0),
    LectureStep(
        title=N_("A parenthesis detector"),
        params={"source": "lm_python", "probe": "typed", "text": PARENS_TEXT, "layer": "0",
                "state": "cell", "unit": "90", "tab": "heatmap"},
        watch=N_("Unit 90 (layer 1, cell state) while the code opens and closes brackets."),
        question=N_("What does this unit do between ( and ), and between [ and ]?"),
        answer=N_("It turns blue at every ( and back at the ): −0.65 on average inside the "
                  "parentheses, +0.79 elsewhere. Inside [ ] it stays red (+0.85): it learned "
                  "parentheses, not brackets in general. r = −0.95 with “inside parentheses” on "
                  "this text, −0.70 on 8,192 held-out characters."),
        after_steps=0),
    LectureStep(
        title=N_("Memory that a 5-gram does not have"),
        params={"source": "lm_grammar_zh", "probe": "typed", "text": GENDER_TEXT,
                "position": "17", "tab": "predictions"},
        watch=N_("The Predictions tab at position 17, right after “她是一个聪明的”: the model's "
                 "guesses for the next character."),
        question=N_("Which noun comes next, 国王 or 王后? And what does the 5-gram guess, whose "
                    "window holds only the last four characters?"),
        answer=N_("The LSTM remembers the 她 seven characters back: 王 (of 王后) 84% and 姐 "
                  "15%; after 他 on the first line it says 国 78% and 哥 19%. The 5-gram sees "
                  "only “个聪明的” and guesses the same after both: 王 44%, 国 42%. No single "
                  "unit holds this memory: the one that follows “a woman or a man” best has "
                  "r = +0.20. It is spread over many units."),
        after_steps=0),
    LectureStep(
        title=N_("Where a sentence ends"),
        params={"source": "lm_grammar_zh", "probe": "typed", "text": EXAMPLES["grammar_zh"],
                "layer": "0", "state": "hidden", "tab": "trajectory"},
        watch=N_("The Trajectory tab: where the state goes after each 。 and each line break of "
                 "four different sentences."),
        question=N_("Four different sentences: do their ends land in four different places, or "
                    "in one?"),
        answer=N_("In one. After each of the four line breaks the hidden state is almost the "
                  "same: 0.48 apart on average over all 128 units, while the states of the whole "
                  "text are 9.37 apart. In the plot the four sit on one point at the right "
                  "(PC 1 ≈ 5.5). Nothing in the next sentence depends on the last one, so the "
                  "model carries nothing over."),
        after_steps=0),
]
