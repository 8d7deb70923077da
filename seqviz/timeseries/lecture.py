"""The time-series page's lecture: one step against k steps ahead, the Markov assumption's
window, a random walk, and a series without noise. Every answer states what this configuration
does on this code (seed 0); ``tests/test_timeseries_lecture.py`` measures the numbers again."""

from __future__ import annotations

from seqviz.i18n import N_
from seqviz.lecture import LectureStep

BASE = {"signal": "sines", "noise": "0.2", "tau": "16", "cell": "gru", "lr": "0.01",
        "seed": "0"}

STEPS = [
    LectureStep(
        title=N_("One step ahead against k steps ahead"),
        params=BASE,
        watch=N_("Watch the one-step predictions on the series, then the k-step charts and "
                 "the error against k."),
        question=N_("After 200 steps both models predict the next value with a small error. "
                    "How large will their error be 16 steps ahead, with their own predictions "
                    "fed back?"),
        answer=N_("Many times larger. One step ahead the validation errors are 0.08 (MLP) and "
                  "0.07 (GRU), about twice the noise's variance of 0.036; 16 steps ahead they "
                  "are 1.87 and 0.78, and 1 is what always predicting the mean costs. Each fed-"
                  "back prediction carries its error into the next input, so the MLP's 16-step "
                  "forecasts swing wildly and the GRU's flatten out."),
        after_steps=200),
    LectureStep(
        title=N_("The Markov assumption's window"),
        params={**BASE, "tau": "64"},
        watch=N_("Watch the MLP's k-step chart and its point on the error-against-τ chart."),
        question=N_("Give the MLP the last 64 values instead of 16. Will its 16-step error "
                    "fall?"),
        answer=N_("Yes, from 1.87 to 0.05 at step 200 (one step ahead: 0.08 to 0.04). The "
                  "least-squares chart shows why: a linear model that sees 16 values or fewer "
                  "has a 16-step error near 1, with 24 or more it is 0.05. The sum of sines has "
                  "a period of 60 steps; a window shorter than that cannot tell where in the "
                  "period the series is, once the noise is in."),
        after_steps=200),
    LectureStep(
        title=N_("A random walk"),
        params={**BASE, "signal": "walk", "noise": "0.0"},
        watch=N_("Compare both models with the dashed line (repeat the last value) on the "
                 "error-against-k chart."),
        question=N_("On a random walk, will either model beat simply repeating the last "
                    "value?"),
        answer=N_("No. At step 200, one step ahead: repeating 0.013, MLP 0.020, GRU 0.032; 16 "
                  "steps ahead: 0.20, 0.84 and 0.43. The next step of a walk is x_{t-1} plus "
                  "fresh noise: it is Markov with τ = 1, and the least-squares line is flat "
                  "from τ = 1. The walk also wanders outside the values it trained on, where "
                  "the GRU's one-step validation error is 0.34."),
        after_steps=200),
    LectureStep(
        title=N_("No noise at all"),
        params={**BASE, "noise": "0.0"},
        watch=N_("Watch the one-step errors fall, and the error against k."),
        question=N_("Without noise the one-step errors become tiny. Will the 16-step error "
                    "become tiny as well?"),
        answer=N_("No. At step 300 the one-step errors are 0.002 (MLP) and 0.0004 (GRU), yet "
                  "16 steps ahead they are 0.43 and 1.41: a small error fed back sixteen times "
                  "grows, and the models were only trained to predict one step from true "
                  "values. The least-squares linear model with τ ≥ 8 is exact even 16 steps "
                  "ahead: a sum of three sines obeys a linear recurrence of order 6."),
        after_steps=300),
]
