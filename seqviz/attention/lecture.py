"""The attention page's lecture: four steps, each a page setup (URL parameters), what to watch, a
question to answer before running it, and the answer as measured (``seqviz.lecture``).

The numbers in the answers were measured by running each setup in the core with its seed (the
page trains the same numbers: same seed, same batches); ``tests/test_attention_lecture.py``
checks the setups and, for the bundled models, the claims themselves.
"""

from __future__ import annotations

from seqviz.i18n import N_
from seqviz.lecture import LectureStep

REVERSAL = {"pretrained": "none", "task": "reverse", "min_len": "3", "max_len": "16",
            "seed": "0"}

STEPS = [
    LectureStep(
        title=N_("Reversal through one vector"),
        params={**REVERSAL, "attention": "none"},
        watch=N_("The held-out exact match: the decoder sees only the encoder's final vector."),
        question=N_("After 600 steps, what share of held-out strings of 3-16 digits will this "
                    "model reverse exactly right?"),
        answer=N_("Fewer than half: 42 % exact (BLEU 57) at step 600, and still 45 % at step "
                  "900. The long-input study below shows why: the longer the string, the worse."),
        after_steps=600),
    LectureStep(
        title=N_("The same model with attention"),
        params={**REVERSAL, "attention": "additive"},
        watch=N_("The heatmap: which input digit each output digit looks at."),
        question=N_("Same data, same steps, now with additive attention: how much better, and "
                    "what shape will the heatmap take?"),
        answer=N_("90 % exact (BLEU 98) at step 600, against 42 % without attention. The "
                  "heatmap is an anti-diagonal, one column to the right: 79 % of the rows peak "
                  "on the input digit just written, 21 % on the mirrored digit itself, and 83 % "
                  "of the weight lies within one place of it (the bidirectional encoder's state "
                  "there also knows its neighbour)."),
        after_steps=600),
    LectureStep(
        title=N_("Reading Chinese numerals"),
        params={"pretrained": "zh_digits", "tab": "input"},
        watch=N_("The heatmap for your own input 两千零二十四万三千零五 (20243005)."),
        question=N_("The output has zeros that no character spells out. Where does the model "
                    "look when it writes them?"),
        answer=N_("Mostly at 千, the unit that fixes how many digits must follow, hardly at 零: "
                  "the three zeros of 20243005 put 49-62 % of their weight on a 千 and at most "
                  "21 % on 零. The bundled model reads 92 % of its held-out numerals exactly "
                  "right."),
        after_steps=0),
    LectureStep(
        title=N_("Dates: reading a month name"),
        params={"pretrained": "dates", "tab": "input"},
        watch=N_("The heatmap for your own input Thursday, May 3rd 1979."),
        question=N_("When the model writes the month 05, which input characters does it look "
                    "at?"),
        answer=N_("At the month name: the 5 puts 90 % of its weight on the a of May, the 0 "
                  "before it 43 %. The year digits 7 and 9 look at the 7 and 9 of 1979 (98 % "
                  "and 99 %)."),
        after_steps=0),
]
