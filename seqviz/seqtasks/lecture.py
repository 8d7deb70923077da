"""The sequence-tasks page's lecture: many-to-one against a bag of words, a tagger that reads
left to right and one that reads both ways, over-fitting a small training set and dropout as
its cure. Every number was measured with ``SeqTaskExperiment`` on the step's setup (seed 0);
each step's ``extra`` holds what ``tests/test_seqtasks_lecture.py`` measures again."""

from __future__ import annotations

from seqviz.i18n import N_
from seqviz.lecture import LectureStep

BASE = {"cell": "lstm", "num_layers": "1", "hidden_size": "32", "embed_size": "16",
        "batch_size": "32", "lr": "0.003", "weight_decay": "0.0", "seed": "0"}
REVIEWS = {**BASE, "task": "sentiment", "reviews": "en", "bidirectional": "0",
           "train_size": "2000", "dropout": "0.0"}  # the answers are measured on these reviews
TAGGING = {**BASE, "task": "tagging", "train_size": "2000", "dropout": "0.0"}
SMALL = {**REVIEWS, "train_size": "200", "hidden_size": "64"}

STEPS = [
    LectureStep(
        title=N_("Many-to-one: reviews that need memory"),
        params=REVIEWS,
        watch=N_("The validation accuracy against the grey bag-of-words line, and the probe "
                 "review's bars: which words decide?"),
        question=N_("A bag of words (word counts, no order) gets 54.8 % of held-out reviews "
                    "right. Where will the LSTM be after 600 steps?"),
        answer=N_("At 100 % of the held-out reviews, negations and “although” clauses "
                  "included. Every two-clause review has one good and one bad clause, so "
                  "counting words is barely better than a coin; only the order says which "
                  "clause counts, and “not” flips the word after it."),
        after_steps=600, extra={"steps": 600, "val_acc": 1.0, "bag_of_words": 0.548}),
    LectureStep(
        title=N_("Tagging, reading left to right"),
        params={**TAGGING, "bidirectional": "0"},
        watch=N_("The per-tag bars of the two determiner tags, and the probe sentence “the "
                 "brown dogs …”."),
        question=N_("Which tags can a left-to-right tagger not get right, however long it "
                    "trains?"),
        answer=N_("“det (plural)”: 0 % after 600 steps. When it tags “the”, it has not yet "
                  "seen the noun that decides singular or plural, so it always says singular "
                  "(right on 88.6 % of determiners). All tokens: 97.6 %, exactly the "
                  "most-frequent-tag baseline."),
        after_steps=600, extra={"steps": 600, "val_acc": 0.976, "det_pl": 0.0,
                                "right_context": 0.886}),
    LectureStep(
        title=N_("Tagging in both directions"),
        params={**TAGGING, "bidirectional": "1"},
        watch=N_("The same two bars, and the confusion matrix's two determiner rows."),
        question=N_("With a second RNN reading right to left, how many determiners will it "
                    "tag correctly?"),
        answer=N_("All of them: 100 % on both determiner tags and on every token by step 600. "
                  "The backward RNN has read the noun before it reaches “the”."),
        after_steps=600, extra={"steps": 600, "val_acc": 1.0, "det_pl": 1.0,
                                "right_context": 1.0}),
    LectureStep(
        title=N_("Over-fitting 200 reviews"),
        params={**SMALL, "dropout": "0.0"},
        watch=N_("The gap between the training and validation curves, accuracy and loss."),
        question=N_("With only 200 training reviews and 64 hidden units, where will training "
                    "and validation accuracy be at step 1,200?"),
        answer=N_("Training 100 %, validation 77.8 %, and the validation loss (1.56) far "
                  "above the training loss: the model has memorised its 200 reviews."),
        after_steps=1200, extra={"steps": 1200, "train_acc": 1.0, "val_acc": 0.778}),
    LectureStep(
        title=N_("Dropout as the cure"),
        params={**SMALL, "dropout": "0.5"},
        watch=N_("The same two curves; move the weight-decay slider too."),
        question=N_("Same 200 reviews, dropout 0.5. Validation accuracy at step 1,200?"),
        answer=N_("100 %, with a validation loss of 0.001: dropping half the units at random "
                  "in every step stops it relying on any one memorised detail. Weight decay "
                  "10⁻³ alone (no dropout) also helps: 99.4 % at step 1,600."),
        after_steps=1200, extra={"steps": 1200, "train_acc": 1.0, "val_acc": 1.0}),
]
