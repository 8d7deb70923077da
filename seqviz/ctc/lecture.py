"""The CTC page's lecture: the outputs become peaky, best path against beam search, noise, and
repeated symbols. Every answer states what this configuration does on this code (seed 0);
``tests/test_ctc_lecture.py`` measures the numbers again."""

from __future__ import annotations

from seqviz.i18n import N_
from seqviz.lecture import LectureStep

STEPS = [
    LectureStep(
        title=N_("The outputs become peaky"),
        params={"noise": "0.4", "lr": "0.01", "beam": "4", "example": "0", "seed": "0"},
        watch=N_("Watch the per-frame heatmap and the share of blank frames."),
        question=N_("Before training every output is about equally likely. After 150 steps, "
                    "what share of the frames will the model label blank?"),
        answer=N_("About 63 % at step 150 (0 % at step 0). First the model says blank on every "
                  "frame (100 % from step 1 to step 25: the cheapest way to lower the loss "
                  "before it can tell the symbols apart); then each spoken symbol becomes a "
                  "spike of one or two frames between blanks, and the label error rate falls "
                  "from 84 % to 18 %."),
        after_steps=150),
    LectureStep(
        title=N_("Best path against prefix beam search"),
        params={"noise": "1.0", "lr": "0.01", "beam": "8", "seed": "0"},
        watch=N_("Compare the two label error rate curves, and the ranked labels of the "
                 "example."),
        question=N_("With heavy noise, will beam search (width 8) make fewer errors than the "
                    "best path after 300 steps?"),
        answer=N_("Yes: 52 % against 60 % on the same 30 held-out utterances at step 300. "
                  "With this much noise a symbol's probability is spread over several frames "
                  "that are each below the blank's; the best path then drops it, while beam "
                  "search adds up all the paths of a label."),
        after_steps=300),
    LectureStep(
        title=N_("The trellis of one example"),
        params={"noise": "0.4", "lr": "0.01", "beam": "4", "example": "1", "seed": "0"},
        watch=N_("Read the count of alignments under the decoding, and follow the best "
                 "alignment through the trellis."),
        question=N_("How many paths of the example's frames collapse to its label: tens, "
                    "thousands or millions?"),
        answer=N_("Millions: 131,128,140 paths of 31 frames collapse to “dddac”. The forward "
                  "variables add them all up in 31 × 11 cells instead of enumerating them; the "
                  "best alignment is one of them, and the trained model puts most of the "
                  "probability on a few."),
        after_steps=100),
    LectureStep(
        title=N_("A learning rate that is too high"),
        params={"noise": "0.4", "lr": "0.3", "beam": "4", "seed": "0"},
        watch=N_("Watch the loss and the label error rate."),
        question=N_("With a learning rate 30 times larger, will the model learn faster?"),
        answer=N_("No. Within its first 25 steps it outputs so many symbols that the label "
                  "error rate goes above 100 %, and at step 150 it is still far above the 18 % "
                  "it reaches with 0.01. Clipping at 1.0 keeps it from diverging, but each step "
                  "overshoots."),
        after_steps=150),
]
