"""The hidden-states page's neuron finder (LSTMVis select-and-match) and prediction views."""

from __future__ import annotations

import numpy as np
import streamlit as st

from seqviz.figures.hidden import surprisal_figure, topk_figure
from seqviz.figures.text import coloured_text_html, display_token
from seqviz.neurons import UnitRanking, find_matches, find_span
from seqviz.probes import HiddenTrace, Probe, ngram_surprisal
from seqviz.ui.hidden_sources import Source, corpus_view, ngram_for
from seqviz.ui.hidden_views import K, states_of, value
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
        st.slider("Selected span (token positions)", 0, n, key="hs.span", on_change=_set_span,
                  args=(n,), help="Drag the ends; the span is underlined in the neuron view.")
    st.text_input("…or type a piece of the probe text to select it", key="hs.find",
                  on_change=_find, args=(probe.tokens, probe.level))
    if st.session_state.get("hs.find_missing"):
        st.warning(f"“{st.session_state.get('hs.find', '')}” does not occur in the probe text.")
    shown = "".join(display_token(t) + (" " if probe.level == "word" else "")
                    for t in probe.tokens[start:end])
    st.markdown(f"Selected tokens {start}–{end - 1}:")
    st.code(shown[:200], language=None)
    return start, end


def finder_section(src: Source, trace: HiddenTrace, probe: Probe, ranking: UnitRanking) -> None:
    st.subheader("Neuron finder: which units switch on for a span?")
    st.caption("Select a span of the probe text. Units are ranked by their mean activation on "
               "the span minus their mean elsewhere (a unit that is strongly negative on the "
               "span counts too, flipped); the corpus is then searched for other places where "
               "the top units are all on together (LSTMVis's select-and-match).")
    span_controls(probe)
    states = states_of(trace)
    st.number_input("Units that must be on together in a match", 1, 8, step=1,
                    key=widget_key(K, "match_units"),
                    help="LSTMVis matches places where all of the top units are on at once.")
    n = int(value("match_units", 2))
    rows = [{"unit": int(u), "score": float(s), "sign": "+" if g > 0 else "−",
             "mean on span": float(g * on), "mean elsewhere": float(g * off)}
            for u, s, g, on, off in zip(ranking.units[:max(n, TOP_UNITS)], ranking.scores,
                                        ranking.signs, ranking.on_mean, ranking.off_mean)]
    st.dataframe(rows, hide_index=True, width="stretch")
    for u, sign in zip(ranking.units[:n], ranking.signs[:n]):
        st.caption(f"unit {u} ({'high' if sign > 0 else 'low'} on the span)")
        st.html(coloured_text_html(probe.tokens, states[:, u], level=probe.level,
                                   unknown=probe.unknown, span=ranking.span, legend=False,
                                   scale=1.0, label=f"unit {u}"))
    _matches(src, ranking, n)


def _matches(src: Source, ranking: UnitRanking, n: int) -> None:
    view = corpus_view(src)
    layer, which = value("layer", 0), value("state", "hidden")  # the states the page shows
    if view is None:
        st.info("This model's training corpus is unknown, so there is no corpus to search.")
        return
    cell = which == "cell" and view.states.cell[layer] is not None
    corpus = np.tanh(view.states.cell[layer]) if cell else view.states.hidden[layer]  # as shown
    matches = find_matches(corpus, ranking, n_units=n, top=12,
                           min_length=max(1, (ranking.span[1] - ranking.span[0]) // 3))
    st.markdown(f"**Other places in the validation text** ({len(corpus):,} tokens searched) "
                f"where units {', '.join(map(str, ranking.units[:n]))} are all on "
                f"(underlined; colour = their mean, signed):")
    if not matches:
        st.info("No place in the searched text has all of them on together. Try a shorter span "
                "or fewer units.")
    ids = view.states.ids
    mean = (corpus[:, ranking.units[:n]] * ranking.signs[:n]).mean(axis=1)
    shown: list[tuple[int, int]] = []
    for m in matches:
        lo, hi = max(0, m.start - CONTEXT // 2), min(len(ids), m.end + CONTEXT // 2)
        if any(lo < b and a < hi for a, b in shown) or len(shown) == 4:
            continue  # one excerpt per stretch of text
        shown.append((lo, hi))
        st.caption(f"validation tokens {m.start:,}–{m.end - 1:,}")
        st.html(coloured_text_html(src.vocab.decode(ids[lo:hi]), mean[lo:hi], level=src.level,
                                   unknown=ids[lo:hi] == 0, span=(m.start - lo, m.end - lo),
                                   legend=False, scale=1.0, label="mean of the top units"))


def predictions_section(src: Source, trace: HiddenTrace, probe: Probe) -> None:
    st.subheader("Predictions and surprisal")
    n = len(probe)
    model_s = trace.surprisal
    ngram = ngram_for(src)
    base = ngram_surprisal(ngram, probe.ids) if ngram is not None else None
    scale = float(np.log(len(src.vocab)))  # full colour = as surprised as a uniform guess
    hints = _hints(src, trace, probe)
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{trace.cell_name.upper()}**: mean surprisal "
                    f"{np.nanmean(model_s) if n > 1 else float('nan'):.2f} nats")
        st.html(coloured_text_html(probe.tokens, model_s, level=probe.level, diverging=False,
                                   unknown=probe.unknown, scale=scale, fmt="{:.1f}",
                                   label="surprisal −ln p (nats)", notes=hints))
    with right:
        if base is None:
            st.info("No n-gram baseline: this model's training corpus is unknown.")
        else:
            st.markdown(f"**{ngram.name}** on the same corpus: mean surprisal "
                        f"{np.nanmean(base) if n > 1 else float('nan'):.2f} nats")
            st.html(coloured_text_html(probe.tokens, base, level=probe.level, diverging=False,
                                       unknown=probe.unknown, scale=scale, fmt="{:.1f}",
                                       label="surprisal −ln p (nats)"))
    st.caption(f"Darker = more surprising; full colour = ln V = {scale:.1f} nats, the surprisal "
               f"of a uniform guess over the {len(src.vocab)} tokens. Hover a token to see the "
               f"model's top 5 guesses for the token after it.")
    if n > 1:
        st.plotly_chart(surprisal_figure(probe.tokens, model_s, base,
                                         model_name=trace.cell_name.upper(),
                                         baseline_name=ngram.name if ngram else "n-gram"),
                        key="hs.chart.surprisal")
    _position_picker(src, trace, probe)


def _hints(src: Source, trace: HiddenTrace, probe: Probe) -> list[str]:
    """Per token: the model's top-5 guesses for the next token (hover text)."""
    out = []
    for t in range(len(probe)):
        guesses = ", ".join(f"{display_token(src.vocab.itos[i])!s} {p:.0%}"
                            for i, p in zip(trace.top_ids[t], trace.top_probs[t]))
        out.append(f"next: {guesses}")
    return out


def _position_picker(src: Source, trace: HiddenTrace, probe: Probe) -> None:
    n = len(probe)
    pos_key = widget_key(K, "position")
    if not 0 <= st.session_state.get(pos_key, -1) <= n - 1:
        worst = int(np.nanargmax(trace.surprisal)) - 1 if n > 1 else 0
        st.session_state[pos_key] = max(worst, 0)  # just before the most surprising token
    if n > 1:
        st.slider("Position t (the model has read tokens 0…t)", 0, n - 1, key=pos_key)
    t = int(st.session_state[pos_key])
    candidates = [src.vocab.itos[i] for i in trace.top_ids[t]]
    actual = probe.tokens[t + 1] if t + 1 < n else None
    context = "".join(probe.tokens[max(0, t - 11): t + 1]) if probe.level == "char" \
        else " ".join(probe.tokens[max(0, t - 5): t + 1])
    fig = topk_figure(candidates, trace.top_probs[t], actual=actual, context=context)
    left, right = st.columns([3, 2])
    left.plotly_chart(fig, key="hs.chart.topk")
    if actual is None:
        right.markdown("This is the last token: nothing follows it in the probe text.")
    else:
        p = trace.next_prob[t]
        prob = f"{p:.1%}" if p >= 0.001 else f"{p:.1e}"
        right.markdown(f"Actually next: `{display_token(actual)}` with probability **{prob}** "
                       f"(surprisal {trace.surprisal[t + 1]:.2f} nats). A red bar marks it "
                       f"when it is among the model's top {len(candidates)}.")
