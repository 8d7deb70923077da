"""The hidden-states page's neuron finder (LSTMVis select-and-match) and prediction views."""

from __future__ import annotations

import numpy as np
import streamlit as st

from seqviz.data import detokenize
from seqviz.hidden.coloured_text import coloured_text_html, display_token
from seqviz.hidden.figures import surprisal_figure, topk_figure
from seqviz.hidden.neurons import UnitRanking, find_matches, find_span
from seqviz.hidden.probes import HiddenTrace, Probe, ngram_surprisal
from seqviz.i18n import _
from seqviz.ui.controls import held
from seqviz.ui.chart import chart
from seqviz.ui.hidden.sources import Source, corpus_view, ngram_for
from seqviz.ui.hidden.views import K, states_of, trace_tag, value
from seqviz.ui.layout import columns, text_block
from seqviz.ui.live import memo
from seqviz.ui.state import widget_key

TOP_UNITS = 5  # units listed in the ranking table
CONTEXT = 60  # tokens of corpus shown around a match


def _set_span(n_tokens: int) -> None:
    """Slider moved: copy the range into the config fields."""
    start, end = st.session_state["hs.span"]
    end = max(end, start + 1)
    if end > n_tokens:
        start, end = n_tokens - 1, n_tokens
    st.session_state[widget_key(K, "start")], st.session_state[widget_key(K, "end")] = start, end


def _find(tokens: list[str], level: str) -> None:
    """Substring typed: select the tokens of its first occurrence (or say it is absent)."""
    found = find_span(tokens, st.session_state.get("hs.find", ""), level)
    st.session_state["hs.find_missing"] = found is None
    if found is not None:
        st.session_state[widget_key(K, "start")], st.session_state[widget_key(K, "end")] = found


def span_controls(probe: Probe) -> tuple[int, int]:
    n = len(probe)
    start, end = value("start", 0), value("end", 1)
    if n < 2:
        st.session_state["hs.span"] = (0, 1)
    else:
        st.session_state["hs.span"] = (start, end)
        st.slider(_("Selected span (token positions)"), 0, n, key="hs.span",
                  on_change=_set_span, args=(n,),
                  help=_("Drag the ends; the span is underlined in the neuron view."))
    st.text_input(_("…or type a piece of the probe text to select it"),
                  value=held("hs.find", ""), key="hs.find",
                  on_change=_find, args=(probe.tokens, probe.level))
    if st.session_state.get("hs.find_missing"):
        st.warning(_("“{text}” does not occur in the probe text.").format(
            text=st.session_state.get("hs.find", "")))
    shown = "".join(display_token(t) + (" " if probe.level == "word" else "")
                    for t in probe.tokens[start:end])
    st.markdown(_("Selected tokens {start}–{last}:").format(start=start, last=end - 1))
    text_block(shown[:200], wrap=False)
    return start, end


def finder_section(src: Source, trace: HiddenTrace, probe: Probe, ranking: UnitRanking) -> None:
    st.subheader(_("Neuron finder: which units switch on for a span?"))
    st.caption(_("Select a span of the probe text. Units are ranked by their mean activation "
                 "on the span minus their mean elsewhere (a unit that is strongly negative on "
                 "the span counts too, flipped); the corpus is then searched for other places "
                 "where the top units are all on together (LSTMVis's select-and-match)."))
    span_controls(probe)
    states = states_of(trace)
    st.number_input(_("Units that must be on together in a match"), 1, 8,
                    value=held(widget_key(K, "match_units"), 2, 1, 8), step=1,
                    key=widget_key(K, "match_units"),
                    help=_("LSTMVis matches places where all of the top units are on at once."))
    n = int(value("match_units", 2))
    head = [_("unit"), _("score"), _("sign"), _("mean on the span"), _("mean elsewhere")]
    rows = [dict(zip(head, (int(u), float(s), "+" if g > 0 else "−", float(g * on),
                            float(g * off))))
            for u, s, g, on, off in zip(ranking.units[:max(n, TOP_UNITS)], ranking.scores,
                                        ranking.signs, ranking.on_mean, ranking.off_mean)]
    st.dataframe(rows, hide_index=True, width="stretch")
    for u, sign in zip(ranking.units[:n], ranking.signs[:n]):
        st.caption(_("unit {unit} (high on the span)").format(unit=u) if sign > 0
                   else _("unit {unit} (low on the span)").format(unit=u))
        st.html(coloured_text_html(probe.tokens, states[:, u], level=probe.level,
                                   unknown=probe.unknown, span=ranking.span, legend=False,
                                   scale=1.0, label=_("unit {unit}").format(unit=u)))
    _matches(src, ranking, n)


def _matches(src: Source, ranking: UnitRanking, n: int) -> None:
    view = corpus_view(src)
    layer, which = value("layer", 0), value("state", "hidden")  # the states the page shows
    if view is None:
        st.info(_("This model's training corpus is unknown, so there is no corpus to search."))
        return
    cell = which == "cell" and view.states.cell[layer] is not None
    corpus = np.tanh(view.states.cell[layer]) if cell else view.states.hidden[layer]  # as shown
    matches = find_matches(corpus, ranking, n_units=n, top=12,
                           min_length=max(1, (ranking.span[1] - ranking.span[0]) // 3))
    st.markdown(_("**Other places in the validation text** ({n} tokens searched) where units "
                  "{units} are all on (underlined; colour = their mean, signed):").format(
                      n=f"{len(corpus):,}", units=", ".join(map(str, ranking.units[:n]))))
    if not matches:
        st.info(_("No place in the searched text has all of them on together. Try a shorter "
                  "span or fewer units."))
    ids = view.states.ids
    mean = (corpus[:, ranking.units[:n]] * ranking.signs[:n]).mean(axis=1)
    shown: list[tuple[int, int]] = []
    for m in matches:
        lo, hi = max(0, m.start - CONTEXT // 2), min(len(ids), m.end + CONTEXT // 2)
        if any(lo < b and a < hi for a, b in shown) or len(shown) == 4:
            continue  # one excerpt per stretch of text
        shown.append((lo, hi))
        st.caption(_("validation tokens {start}–{last}").format(start=f"{m.start:,}",
                                                               last=f"{m.end - 1:,}"))
        st.html(coloured_text_html(src.vocab.decode(ids[lo:hi]), mean[lo:hi], level=src.level,
                                   unknown=ids[lo:hi] == 0, span=(m.start - lo, m.end - lo),
                                   legend=False, scale=1.0, label=_("mean of the top units")))


def predictions_section(src: Source, trace: HiddenTrace, probe: Probe) -> None:
    st.subheader(_("Predictions and surprisal"))
    n = len(probe)
    model_s = trace.surprisal
    ngram = ngram_for(src)
    tag = trace_tag()
    base = memo("hs.ngram_s", (tag, src.key), lambda: ngram_surprisal(ngram, probe.ids)) \
        if ngram is not None else None
    scale = float(np.log(len(src.vocab)))  # full colour = as surprised as a uniform guess
    label = _("surprisal −ln p (nats)")
    left, right = columns(2)
    with left:
        st.markdown(_("**{model}**: mean surprisal {mean} nats").format(
            model=trace.cell_name.upper(),
            mean=f"{np.nanmean(model_s) if n > 1 else float('nan'):.2f}"))
        st.html(memo("hs.surprisal_html", tag, lambda: coloured_text_html(
            probe.tokens, model_s, level=probe.level, diverging=False, unknown=probe.unknown,
            scale=scale, fmt="{:.1f}", label=label, notes=_hints(src, trace, probe))))
    with right:
        if base is None:
            st.info(_("No n-gram baseline: this model's training corpus is unknown."))
        else:
            st.markdown(_("**{baseline}** on the same corpus: mean surprisal {mean} nats").format(
                baseline=_ngram_name(ngram),
                mean=f"{np.nanmean(base) if n > 1 else float('nan'):.2f}"))
            st.html(memo("hs.ngram_html", (tag, src.key), lambda: coloured_text_html(
                probe.tokens, base, level=probe.level, diverging=False, unknown=probe.unknown,
                scale=scale, fmt="{:.1f}", label=label)))
    st.caption(_("Darker = more surprising; full colour = ln V = {scale} nats, the surprisal of "
                 "a uniform guess over the {v} tokens. Hover a token to see the model's top 5 "
                 "guesses for the token after it.").format(scale=f"{scale:.1f}",
                                                           v=len(src.vocab)))
    if n > 1:
        fig = memo("hs.surprisal", (tag, src.key), lambda: surprisal_figure(
            probe.tokens, model_s, base, model_name=trace.cell_name.upper(),
            baseline_name=_ngram_name(ngram) if ngram else _("n-gram")))
        chart(fig, key="hs.chart.surprisal")
    _position_picker(src, trace, probe)


def _ngram_name(ngram) -> str:
    return _("{n}-gram (Kneser-Ney)").format(n=ngram.order)


def _hints(src: Source, trace: HiddenTrace, probe: Probe) -> list[str]:
    """Per token: the model's top-5 guesses for the next token (hover text)."""
    out = []
    for t in range(len(probe)):
        guesses = ", ".join(f"{display_token(src.vocab.itos[i])!s} {p:.0%}"
                            for i, p in zip(trace.top_ids[t], trace.top_probs[t]))
        out.append(_("next: {guesses}").format(guesses=guesses))
    return out


def _position_picker(src: Source, trace: HiddenTrace, probe: Probe) -> None:
    n = len(probe)
    pos_key = widget_key(K, "position")
    if not 0 <= st.session_state.get(pos_key, -1) <= n - 1:
        worst = int(np.nanargmax(trace.surprisal)) - 1 if n > 1 else 0
        st.session_state[pos_key] = max(worst, 0)  # just before the most surprising token
    if n > 1:
        st.slider(_("Position t (the model has read tokens 0…t)"), 0, n - 1,
                  value=st.session_state[pos_key], key=pos_key)
    t = int(st.session_state[pos_key])
    candidates = [src.vocab.itos[i] for i in trace.top_ids[t]]
    actual = probe.tokens[t + 1] if t + 1 < n else None
    context = "".join(probe.tokens[max(0, t - 11): t + 1]) if probe.level == "char" \
        else detokenize(probe.tokens[max(0, t - 5): t + 1], "word")
    fig = memo("hs.topk", (trace_tag(), t),
               lambda: topk_figure(candidates, trace.top_probs[t], actual=actual, context=context))
    left, right = columns([3, 2])
    chart(fig, key="hs.chart.topk", where=left)
    if actual is None:
        right.markdown(_("This is the last token: nothing follows it in the probe text."))
    else:
        p = trace.next_prob[t]
        prob = f"{p:.1%}" if p >= 0.001 else f"{p:.1e}"
        right.markdown(_("Actually next: `{token}` with probability **{prob}** (surprisal "
                         "{surprisal} nats). A red bar marks it when it is among the model's "
                         "top {k}.").format(token=display_token(actual), prob=prob,
                                            surprisal=f"{trace.surprisal[t + 1]:.2f}",
                                            k=len(candidates)))
