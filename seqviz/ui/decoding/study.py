"""The beam-search page's measurements: this input at every width, its error analysis, the
two conventions for finished hypotheses, and the tallies over held-out examples."""

from __future__ import annotations

from typing import Hashable

import streamlit as st

from seqviz.decoding.beam import BeamTree
from seqviz.decoding.config import BeamConfig
from seqviz.decoding.outcomes import KIND_NAMES, WidthResult
from seqviz.decoding.problem import SearchProblem
from seqviz.decoding.problem import verdict as judge
from seqviz.decoding.sources import Source
from seqviz.decoding.study import SWEEP_WIDTHS, first_best, tally, width_sweep
from seqviz.decoding.study_figures import conventions_figure, error_tally_figure, sweep_figure
from seqviz.i18n import _, ngettext
from seqviz.ui.decoding.panel import code_text
from seqviz.ui.chart import chart
from seqviz.ui.layout import columns
from seqviz.ui.live import memo

TALLY_SIZES = (20, 50, 100, 200)
TALLY_WIDTHS = (1, 2, 3, 5, 10)


def _summary(problem: SearchProblem, results: list[WidthResult]) -> str:
    """One paragraph: is there a search error at a small width, and which width fixes it."""
    narrow, top = results[0], first_best(results)
    say = problem.join
    if top.width == narrow.width:
        if all(r.tokens == narrow.tokens for r in results):
            return _("Every width from 1 to 10 returns {out}. At each step this model gives one "
                     "token nearly all the probability, so greedy search already finds the best "
                     "output and a wider beam has nothing to fix. Search errors need a model "
                     "that hesitates between tokens: try a language model, or the reversal "
                     "model on an input longer than those it was trained on."
                     ).format(out=code_text(say(list(narrow.tokens))))
        return _("Greedy search (B = 1) already finds the best-scoring output here, {out}; some "
                 "wider beams return a lower-scoring one: a wider beam is not guaranteed to do "
                 "better.").format(out=code_text(say(list(narrow.tokens))))
    text = _("Greedy search (B = 1) returns {narrow} (log P {lp1}, score {s1}). B = {b} is the "
             "narrowest beam that finds {best} (log P {lpb}, score {sb}), the best any width "
             "finds: narrower beams miss an output the model itself scores higher, a search "
             "error whatever the reference says.").format(
        narrow=code_text(say(list(narrow.tokens))), lp1=f"{narrow.logp:.3f}",
        s1=f"{narrow.score:.3f}", b=top.width, best=code_text(say(list(top.tokens))),
        lpb=f"{top.logp:.3f}", sb=f"{top.score:.3f}")
    if narrow.kind and top.kind:
        text += " " + _("Judged against the reference (as in the error analysis below): {k1} "
                        "at B = 1, {kb} at B = {b}.").format(
            k1=_(KIND_NAMES[narrow.kind]), kb=_(KIND_NAMES[top.kind]), b=top.width)
    return text


def sweep_view(key: str, problem: SearchProblem, reference: str, cfg: BeamConfig,
               tag: Hashable) -> None:
    """This input decoded with B = 1 .. 10 (computed once per ``tag`` and reference)."""
    st.subheader(_("This input at every beam width"))
    ref = problem.encode_target(reference) if reference.strip() else None
    results = memo(f"{key}.sweep", (tag, reference), lambda: width_sweep(
        problem, SWEEP_WIDTHS, cfg.max_len, cfg.alpha, cfg.finished, ref))
    outputs = [problem.join(list(r.tokens)) for r in results]
    fig = memo(f"{key}.sweep_fig", (tag, reference), lambda: sweep_figure(results, outputs))
    left, right = columns([3, 2])
    chart(fig, key=f"{key}.sweep_chart", where=left)
    right.markdown(_summary(problem, results))


def error_analysis(problem: SearchProblem, tree: BeamTree, reference: str, cfg: BeamConfig
                   ) -> None:
    """Judges the tree already drawn (its best output), so no second search runs."""
    st.subheader(_("Error analysis: search error or model error?"))
    if not reference.strip():
        st.caption(_("Type a reference output above to compare it with the beam's answer."))
        return
    ref = problem.encode_target(reference)
    verdict = judge(problem, ref, tree, cfg.alpha)
    missing = problem.unknown_target(reference)
    if missing:
        st.warning(ngettext(
            "{n} reference token is not in this model's output vocabulary and is read as "
            "<unk>: the model can hardly produce this reference, so the verdict below says "
            "more about the reference than about the search.",
            "{n} reference tokens are not in this model's output vocabulary and are read as "
            "<unk>: the model can hardly produce this reference, so the verdict below says "
            "more about the reference than about the search.", missing).format(n=missing))
    cols = st.columns(3)
    cols[0].metric(_("log P(y* | x), reference"), f"{verdict.ref_logp:.3f}",
                   help=_("normalised: {score}").format(score=f"{verdict.ref_score:.3f}"))
    cols[1].metric(_("log P(ŷ | x), beam output"), f"{verdict.hyp_logp:.3f}",
                   help=_("normalised: {score}").format(score=f"{verdict.hyp_score:.3f}"))
    cols[2].metric(_("Verdict"), _(KIND_NAMES[verdict.kind]))
    st.markdown(_("Beam output: {hyp} · reference: {ref}. {why}").format(
        hyp=code_text(problem.join(list(tree.best.tokens))) or _("(empty)"),
        ref=code_text(reference), why=verdict.explanation))


def conventions_note() -> None:
    """What the "When a hypothesis ends" control switches between."""
    with st.expander(_("When a hypothesis ends: two conventions"), expanded=False):
        st.markdown(_(
            "A hypothesis that produces the end token is finished: it is set aside with its "
            "score, and the search goes on with the others. Implementations differ in what "
            "happens to its place in the beam.\n\n"
            "- **The beam shrinks** (a common textbook version, e.g. Stanford CS224n's NMT "
            "assignment): after f hypotheses have finished, only the best B − f continuations "
            "stay live.\n"
            "- **The beam is refilled** (fairseq; Hugging Face `generate` with early "
            "stopping): the next-best continuations take the free places, so B hypotheses stay "
            "live.\n\n"
            "Both stop once B hypotheses have finished, or at the maximum length. The refilled "
            "beam looks at more continuations per step, so it can find a better final; it also "
            "collects its B finished hypotheses sooner and stops earlier, so it can miss a "
            "longer output that length normalisation would prefer. Neither wins every time: "
            "the tally below counts how often each finds the better final."))


def tally_view(key: str, source: Source, cfg: BeamConfig) -> None:
    st.subheader(_("Over many examples"))
    st.caption(_("Decodes held-out examples at several beam widths (this α, both conventions) "
                 "and counts correct outputs, search errors and model errors, and which "
                 "convention for finished hypotheses finds the better final."))
    cols = st.columns([1, 1, 2])
    n = cols[0].selectbox(_("Examples"), TALLY_SIZES, index=0, key=f"{key}.tally_n")
    widths = sorted(set(TALLY_WIDTHS) | {cfg.beam_width})
    if cols[1].button(_("Run the tally"), key=f"{key}.tally_go"):
        examples = source.examples(n, cfg.seed)
        if not examples:
            st.warning(_("This model has no held-out examples to analyse."))
            return
        bar = st.progress(0.0, text=_("Decoding…"))
        pairs = ((p, p.encode_target(ref)) for p, ref in
                 ((source.problem(text), ref) for text, ref in examples))
        result = tally(pairs, widths, cfg.max_len, cfg.alpha, cfg.finished, progress=lambda i:
                       bar.progress(i / len(examples),
                                    text=_("Decoded {i} of {n}").format(i=i, n=len(examples))))
        bar.empty()
        st.session_state[f"{key}.tally"] = (source.name, result)
    saved = st.session_state.get(f"{key}.tally")
    if saved and saved[0] == source.name:
        _tally_charts(key, saved[1], cfg.beam_width)


def _tally_charts(key: str, result, width: int) -> None:
    left, right = columns(2)
    chart(error_tally_figure(result), key=f"{key}.tally_chart", where=left)
    chart(conventions_figure(result), key=f"{key}.conv_chart", where=right)
    b = width if width in result.conventions else max(result.widths)
    c = result.conventions[b]
    st.markdown(_("At B = {b}, over {n} examples: the refilled beam found the better final "
                  "{keep} times, the shrinking beam {shrink} times; {same} times they scored "
                  "the same.").format(b=b, n=result.n, keep=c["keep better"],
                                      shrink=c["shrink better"], same=c["same"]))
