"""The language-model page's timeline: the model's sample and next-token guesses at a past
step, or at two steps side by side (``seqviz.lm.rewind``), from the weights the run kept. The
prompt, temperature and seed are the page's, so a past step's sample is the one the page
showed at that step."""

from __future__ import annotations

import streamlit as st

from seqviz.i18n import _
from seqviz.lm.live import SAMPLE_LENGTH, LiveLM
from seqviz.lm.rewind import next_tokens, sample_text
from seqviz.ui.layout import columns, text_block
from seqviz.ui.live import memo
from seqviz.ui.timeline import COMPARE, shown_step_note, timeline


def _at(key: str, exp: LiveLM, step: int, name: str, where) -> None:
    model = exp.model_at(step)
    shown = int(exp.weights_at(step)["step"])
    prompt = st.session_state.get(f"{key}.prompt", "") or ""
    cfg = exp.cfg
    tag = (exp.handle.run_id, exp.handle.generation, shown, prompt, cfg.temperature, cfg.seed)
    text, unknown = memo(f"{key}.rw.sample.{name}", tag, lambda: sample_text(
        model, exp.data, prompt, SAMPLE_LENGTH[exp.data.level], cfg.temperature, cfg.seed))
    top = memo(f"{key}.rw.next.{name}", tag, lambda: next_tokens(model, exp.data, prompt))
    where.markdown(_("**Step {step}** · temperature {t}").format(step=f"{shown:,}",
                                                                 t=f"{cfg.temperature:g}"))
    text_block(prompt + text, where=where)
    if top:
        where.caption(_("Most likely next tokens after the prompt: {tokens}").format(
            tokens=", ".join(f"{tok!r} {p:.0%}" for tok, p in top)))
    elif unknown == 0:
        where.caption(_("Type a prompt in the sidebar to see the model's next-token guesses."))


def rewind_section(key: str, exp: LiveLM) -> None:
    st.subheader("⏪ " + _("Rewind: the model at past steps"))
    rw = timeline(key, exp, compare=True)
    if rw.live:
        st.caption(_("Choose a past step to see what the model wrote then, or compare two "
                     "steps."))
        return
    if rw.mode != COMPARE:
        st.caption(shown_step_note(rw.a, int(exp.weights_at(rw.a)["step"]), exp.steps))
        _at(key, exp, rw.a, "a", st.container())
        return
    left, right = columns(2)
    _at(key, exp, rw.a, "a", left)
    _at(key, exp, rw.b, "b", right)
