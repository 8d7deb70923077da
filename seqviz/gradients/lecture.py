"""Lecture scripts for the gradient-flow page (``FLOW_STEPS``) and the clipping page
(``CLIP_STEPS``): each step sets the page up, says what to watch, asks for a prediction, and
answers with what that setup does, as measured (same seed, same numbers; the measurements are
redone by ``tests/test_gradients_lecture.py``).

Every step names all the settings its outcome depends on, so the link reproduces it whatever
the page showed before; steps of one page differ in at least one of them, so the panel knows
which one is on screen.
"""

from __future__ import annotations

from seqviz.i18n import N_
from seqviz.lecture import LectureStep

_FLOW = {"task": "recall", "cell": "rnn", "activation": "tanh", "radius": "1.0",
         "seq_len": "50", "hidden_size": "64", "optimizer": "adam", "lr": "0.003", "seed": "0"}

FLOW_STEPS = [
    LectureStep(
        title=N_("Vanishing: a plain RNN at T = 100"),
        params={**_FLOW, "radius": "0.5", "seq_len": "100", "scale": "linear"},
        watch=N_("The histogram of dL/dh_t (where is there anything but zero?) and the chart of "
                 "the gradient norm against the distance back from the loss."),
        question=N_("The recurrent weights have spectral radius 0.5 and the answer depends on "
                    "the first of 100 steps. How many steps back does the RNN's gradient "
                    "reach before it falls below 1/1000 of its largest value? And the LSTM's?"),
        answer=N_("At step 1 the RNN's gradient reaches back only 8 steps: at t = 1 it is "
                  "10⁻³¹ of its largest value, so the first symbol gets no learning signal. "
                  "The gated cells reach further, but not to the start either: the LSTM 22 "
                  "steps, the GRU 28."),
        after_steps=1),
    LectureStep(
        title=N_("Why the LSTM reaches further, and why not all the way"),
        params={**_FLOW, "radius": "0.5", "seq_len": "100", "cell": "lstm", "scale": "linear"},
        watch=N_("The “why” chart: the mean forget gate f_t (right axis) and the product of the "
                 "forget gates from each step to the end (left axis, log)."),
        question=N_("The cell state is carried as c_t = f_t · c_(t−1) + …, so its gradient is "
                    "multiplied by the forget gate at every step. With forget gates around "
                    "0.7, what is left of the path from step 1 to step 100?"),
        answer=N_("Almost nothing: at step 1 the mean forget gate is 0.73 and the carry path "
                  "from step 1 to step 100 keeps 2.6 × 10⁻¹¹ (0.73⁹⁹ would be 3 × 10⁻¹⁴; "
                  "some units keep more). Gates do not hold memory by themselves: training has "
                  "to push f towards 1 first."),
        after_steps=1),
    LectureStep(
        title=N_("Exploding: ReLU and a spectral radius of 2"),
        params={**_FLOW, "activation": "relu", "radius": "2.0", "seq_len": "50",
                "scale": "log"},
        watch=N_("The gradient norm against the distance, the red banner, and the RNN's "
                 "accuracy while the GRU and LSTM train."),
        question=N_("With ReLU there is no saturation to damp the product of Jacobians. What "
                    "happens to the RNN's gradient going back 50 steps, and to its training?"),
        answer=N_("It grows instead of shrinking: ‖dL/dh_1‖ is 4.6 × 10⁴ times ‖dL/dh_50‖. "
                  "The RNN diverges at step 1 (loss 106, above the limit of 13.9) and at every "
                  "step after it: its weights are restored to the same starting point each "
                  "time. The GRU's and LSTM's gradients shrink going back (at step 3 to 0.11 "
                  "and 0.08 of their value at the loss) and they train normally."),
        after_steps=3),
    LectureStep(
        title=N_("A short distance can be learned: T = 10"),
        params={**_FLOW, "seq_len": "10", "scale": "linear"},
        watch=N_("The task accuracy of the three cells (chance is 25%)."),
        question=N_("After 100 training steps, which of the three cells recall the first "
                    "symbol of a 10-step sequence?"),
        answer=N_("All three: 100% of the held-out sequences at step 100. The RNN passes 90% "
                  "at step 30, the LSTM at step 60, the GRU at step 70. With T = 100 instead "
                  "(nothing else changed) all three are still at chance, 22–25%, after 200 "
                  "steps: the gradient does not reach back far enough."),
        after_steps=100),
]

_CLIP = {"task": "adding", "cell": "rnn", "activation": "tanh", "radius": "1.5",
         "seq_len": "50", "hidden_size": "32", "optimizer": "sgd", "lr": "0.1", "seed": "0",
         "clip": "norm", "clip_threshold": "1.0", "cliff_lr": "0.3", "cliff_threshold": "0.5"}

CLIP_STEPS = [
    LectureStep(
        title=N_("Clipping by norm keeps an exploding run alive"),
        params=_CLIP,
        watch=N_("Both loss curves, the gradient norm against the dashed threshold, and the "
                 "red banner."),
        question=N_("Both runs start from the same weights and see the same batches, with SGD "
                    "at learning rate 0.1; one rescales its gradient to norm 1 when it is "
                    "longer. Which one is still training after 200 steps?"),
        answer=N_("Only the clipped one. The run without clipping diverges within its first 10 "
                  "steps and then again and again, dozens of times in 200 steps: each time its "
                  "last good weights are put back and the next update blows up again, so its "
                  "loss stays in the thousands. The clipped run (about half of its steps "
                  "clipped) never diverges and its loss falls to about 0.1–0.25 over the last 20 "
                  "steps: about 1/6, the error of always answering 1 — alive, though not yet "
                  "solving the task. (The exact steps and counts depend on the processor: "
                  "a diverging run amplifies the last digit of every sum.)"),
        after_steps=200),
    LectureStep(
        title=N_("A threshold far above the gradient's size"),
        params={**_CLIP, "clip_threshold": "100.0"},
        watch=N_("The clipped run's loss and its gradient norm against the threshold."),
        question=N_("Now the gradient is rescaled only when its norm exceeds 100. Does that "
                    "still help?"),
        answer=N_("It still prevents every divergence (more than 90% of steps are clipped: "
                  "the gradient's norm climbs above 10⁴), but a step of learning rate × 100 = 10 "
                  "is far too long: after 200 steps the clipped run's loss is still above 100 over "
                  "the last 20 steps (hundreds, up to about a thousand). At threshold 10 it falls "
                  "to about 1–10, at 1 below 0.25."),
        after_steps=200),
    LectureStep(
        title=N_("Clipping each entry instead: by value"),
        params={**_CLIP, "clip": "value", "clip_threshold": "0.1"},
        watch=N_("The clipped run's loss and the share of steps clipped."),
        question=N_("Clamping every entry of the gradient to ±0.1 changes its direction, not "
                    "only its length. Does the run still train?"),
        answer=N_("Yes, about as well as clipping the norm at 1: no divergence, about 80% of "
                  "steps clamped, a largest gradient norm of about 30, and a loss of about "
                  "0.1–0.25 over the last 20 of 200 steps."),
        after_steps=200),
    LectureStep(
        title=N_("The cliff: one step on the wall"),
        params={"cliff_lr": "0.3", "cliff_threshold": "1.0"},
        watch=N_("The two descent paths on the loss surface, and the largest step of each."),
        question=N_("Both paths start at the star and walk downhill with learning rate 0.3. "
                    "What happens when the unclipped path reaches the wall?"),
        answer=N_("At step 55 it meets a gradient of norm 1.1 × 10⁶: one step of length "
                  "3.4 × 10⁵ throws it to (w, b) ≈ (1.5 × 10⁵, 3.0 × 10⁵), off the plot. The "
                  "clipped path is clipped at that step only (1 of 60); its longest step is "
                  "0.3 = learning rate × threshold, and it ends at loss 0.0714, below the "
                  "start's 0.0815."),
        after_steps=0),
    LectureStep(
        title=N_("The cliff with a loose threshold"),
        params={"cliff_lr": "0.3", "cliff_threshold": "5.0"},
        watch=N_("Where the clipped path goes at the wall."),
        question=N_("The threshold is now 5. Is a clipped step still short enough at the "
                    "wall?"),
        answer=N_("No: its step at the wall is 0.3 × 5 = 1.5, enough to jump across it. The "
                  "clipped path ends at (3.2, 0.6) with loss 0.0895, worse than the start's "
                  "0.0815. What bounds a step is learning rate × threshold, and it must be "
                  "small next to the wall."),
        after_steps=0),
]
