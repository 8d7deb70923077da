"""The sequence-tasks page's sections outside the live panel: the five shapes with the active
one highlighted, and a typed sentence through the current model."""

from __future__ import annotations

import streamlit as st

from seqviz.i18n import _
from seqviz.seqtasks.config import TASK_SHAPE
from seqviz.seqtasks.data import MAX_TYPED_CHARS
from seqviz.seqtasks.figures import class_name, contributions_figure, shapes_figure
from seqviz.seqtasks.live import LiveSeqTask
from seqviz.ui.controls import held
from seqviz.ui.chart import chart
from seqviz.ui.live import memo
from seqviz.ui.setup import relabel

EXAMPLES = {("sentiment", "en"): "the coffee was not bad , although the waiter was rude",
            ("sentiment", "zh"): "咖啡不差，虽然服务员很冷淡",
            ("tagging", "en"): "the proud king has three black horses"}  # data: not translated


def shapes(task: str) -> None:
    fig = memo("seq.shapes", task, lambda: shapes_figure(TASK_SHAPE[task]))
    chart(fig, key="seq.chart.shapes", config={"displayModeBar": False})


def typed_sentence(key: str, task: str, lang: str = "en") -> None:
    ss = st.session_state
    exp: LiveSeqTask = ss[f"{key}.exp"]
    st.subheader(_("Your own review") if task == "sentiment" else _("Your own sentence"))
    lang = lang if task == "sentiment" else "en"
    wk = f"{key}.typed.{task}" + ("" if lang == "en" else f".{lang}")
    ss.setdefault(wk, EXAMPLES[task, lang])
    text = st.text_input(_("Sentence (words of the examples; unknown words are marked ?)"),
                         value=ss[wk], key=wk, max_chars=MAX_TYPED_CHARS)
    method = "grad"
    if task == "sentiment":
        methods = ["grad", "occlusion"]
        method = st.radio(_("Contribution"), methods, horizontal=True,
                          index=methods.index(held(f"{key}.typed.method", "grad")),
                          key=relabel(f"{key}.typed.method"),
                          format_func=lambda m: _("gradient × input") if m == "grad"
                          else _("occlusion (word → <unk>)"))
    try:
        step, out = exp.explain(text)
    except Exception as err:  # noqa: BLE001 - the run is busy or was lost: say so, keep the page
        st.warning(_("The model could not read this sentence now: {reason}").format(
            reason=err))
        return
    for note in out.notices:
        st.info(str(note))
    if out.error is not None:
        st.warning(str(out.error))
        return
    if task == "sentiment":
        values = out.grad_x_input if method == "grad" else out.occlusion
        title = (_("Contribution of each word (gradient × input), step {step}") if method ==
                 "grad" else _("Change in P(positive) when the word is hidden, step {step}")
                 ).format(step=f"{step:,}")
        axis = _("↑ towards positive · ↓ towards negative")
        fig = memo(f"{key}.typed", (text, method, step, task),
                   lambda: contributions_figure(out.tokens, values, known=out.known,
                                                title=title, y=axis))
        label = _("positive") if out.p_positive >= 0.5 else _("negative")
        st.markdown(_("The model says **{label}** (P(positive) = {p:.2f}).").format(
            label=label, p=out.p_positive))
        chart(fig, key=f"{key}.chart.typed")
        return
    # the names come with the tags: the page's view may not have arrived yet (a rebuilt or
    # re-opened run under load) or be an earlier build's, with other classes
    rows = [{_("word"): t + ("" if k else " ?"), _("predicted tag"): class_name(out.classes[g]),
             _("confidence"): f"{100 * c:.0f} %"}
            for t, k, g, c in zip(out.tokens, out.known, out.tags, out.confidence)]
    st.table(rows)
