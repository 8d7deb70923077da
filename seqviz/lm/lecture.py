"""The language-model page's lecture: n-grams vs an RNN, gating, the feed-forward LM (Bengio et
al. 2003) against the n-gram of its order, a learning rate that is too high, clipping,
temperature. Every answer states what this configuration does on this code
(seed 0, measured with ``LMExperiment``; ``tests/test_lecture_lm.py`` checks the claims that
take seconds to reproduce)."""

from __future__ import annotations

from seqviz.i18n import N_
from seqviz.lecture import LectureStep

STEPS = [
    LectureStep(
        title=N_("An LSTM against the n-gram baselines"),
        params={"corpus": "prose", "level": "char", "cell": "lstm", "optimizer": "adam",
                "lr": "0.003", "clip": "norm", "seed": "0"},
        watch=N_("Watch the red validation curve cross the dashed n-gram lines."),
        question=N_("After 300 steps, which of the n-gram baselines will the LSTM have "
                    "passed?"),
        answer=N_("The 1-gram (28.1) and the 2-gram (10.0), and it is level with the 3-gram "
                  "(5.25): about 5.3 at step 300. The 5-gram (3.11) is a hard target: at step "
                  "2,000 the LSTM is at 3.45, still above it. Counting five-character contexts "
                  "is a strong baseline on text this size."),
        after_steps=300),
    LectureStep(
        title=N_("A plain RNN on the same text"),
        params={"corpus": "prose", "level": "char", "cell": "rnn", "optimizer": "adam",
                "lr": "0.003", "clip": "norm", "seed": "0"},
        watch=N_("Compare the validation perplexity with the LSTM's at the same step."),
        question=N_("Will the plain RNN be ahead of or behind the LSTM at step 300? And at "
                    "step 1,000?"),
        answer=N_("Ahead at step 300 (5.1 against 5.3), and each step is faster; behind at "
                  "step 1,000 (4.0 against 3.8). Early on both learn short patterns; gating "
                  "pays off once longer dependencies matter."),
        after_steps=300),
    LectureStep(
        title=N_("A feed-forward LM: the n-gram estimated by a network"),
        params={"corpus": "prose", "level": "char", "cell": "ff", "window": "4",
                "optimizer": "adam", "lr": "0.003", "clip": "norm", "seed": "0"},
        watch=N_("Compare the red curve with the thick dash-dotted 5-gram line: both see "
                 "exactly the previous four characters."),
        question=N_("At step 300, will the feed-forward LM (n = 5) be below the 5-gram (3.11)? "
                    "Ahead of or behind the LSTM of step 1 (5.3 at step 300)?"),
        answer=N_("Ahead of the LSTM (4.7 against 5.3) but far above the 5-gram, and still "
                  "above it at step 1,000 (4.0 against 3.11), where a GRU on the same text is at "
                  "3.55. It estimates the next character not from counts but with a network over "
                  "the previous n−1 characters: similar contexts get similar inputs and "
                  "smoothing happens by itself. That pays where counts are sparse, not with 104 "
                  "distinct characters and 360,000 of training text. And it still sees only n−1 "
                  "characters: with a window of 8 it is at 3.9 at step 1,000 (the 9-gram: 3.00)."),
        after_steps=300),
    LectureStep(
        title=N_("A learning rate that is far too high"),
        params={"corpus": "prose", "level": "char", "cell": "rnn", "optimizer": "sgd",
                "lr": "10.0", "clip": "none", "seed": "0"},
        watch=N_("Watch the training loss and the gradient norm in the first steps."),
        question=N_("What will happen to the loss in the first ten steps?"),
        answer=N_("It explodes at step 4: the loss passes ten times that of a uniform guess. "
                  "The page skips that update, restores the last good weights and pauses, so "
                  "nothing is lost."),
        after_steps=4),
    LectureStep(
        title=N_("The same learning rate, with gradient clipping"),
        params={"corpus": "prose", "level": "char", "cell": "rnn", "optimizer": "sgd",
                "lr": "10.0", "clip": "norm", "clip_threshold": "1.0", "seed": "0"},
        watch=N_("Compare the gradient norm before and after clipping with the threshold."),
        question=N_("Does clipping by norm stop the explosion? Does the model then learn "
                    "well?"),
        answer=N_("It stops the explosion: no divergence in 100 steps. But it learns badly: "
                  "validation perplexity is still about 59 at step 100, where Adam at 0.003 is "
                  "near 8. Clipping bounds the size of a step, not its direction."),
        after_steps=100),
    LectureStep(
        title=N_("Temperature: sampling from the model"),
        params={"corpus": "grammar", "level": "word", "cell": "lstm", "optimizer": "adam",
                "lr": "0.003", "clip": "norm", "temperature": "0.1", "seed": "0"},
        watch=N_("Read the sample, then move the temperature slider to 1.0 and to 2.0."),
        question=N_("At temperature 0.1, will the samples be varied or repetitive? At 2.0?"),
        answer=N_("At 0.1 the sample repeats the likeliest sentences (\"the queen rules in "
                  "the castle.\" again and again); at 1.0 it is varied and mostly grammatical; "
                  "at 2.0 it is word salad (\"ten wolves eat live. plays two mice\"). "
                  "Temperature divides the logits before the softmax."),
        after_steps=400),
]
