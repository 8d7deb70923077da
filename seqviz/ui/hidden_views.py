"""The hidden-states page's sections: heatmap and unit picker, neuron view, gates, trajectory.

Each section reads the page's widget values from session state (keys ``hs.w.<field>``), draws
its figures with stable keys and never raises on user input. The neuron finder and the
predictions live in ``seqviz.ui.hidden_finder``.
"""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from seqviz.figures.hidden import gates_figure, heatmap_figure, trajectory_figure
from seqviz.figures.text import coloured_text_html
from seqviz.neurons import UnitRanking, rank_units, unit_order
from seqviz.probes import HiddenTrace, Probe, trace_lm
from seqviz.project import fit_pca
from seqviz.ui.hidden_sources import Source, corpus_view
from seqviz.ui.state import widget_key

K = "hs"
GATE_TEXT = {
    "lstm": [
        ("i", r"i_t = \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi})",
         "Input gate: how much of the candidate is written into the cell."),
        ("f", r"f_t = \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf})",
         "Forget gate: how much of the old cell survives (1 = keep, 0 = erase)."),
        ("g", r"g_t = \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg})",
         "Candidate: new content proposed from this token and the previous state."),
        ("o", r"o_t = \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho})",
         "Output gate: how much of the cell is shown as the hidden state."),
        ("c", r"c_t = f_t \odot c_{t-1} + i_t \odot g_t",
         "Cell: keep part of the old memory, add part of the candidate."),
        ("h", r"h_t = o_t \odot \tanh(c_t)", "Hidden state: the gated view of the cell."),
    ],
    "gru": [
        ("r", r"r_t = \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr})",
         "Reset gate: how much of the previous state the candidate may use."),
        ("z", r"z_t = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz})",
         "Update gate: 1 = keep the previous state, 0 = take the candidate."),
        ("n", r"n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))",
         "Candidate: new content, with the past filtered by the reset gate."),
        ("h", r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}",
         "Hidden state: a blend of the old state and the candidate."),
    ],
    "rnn": [
        ("h", r"h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})",
         "No gates: the whole state is rewritten at every step, so a plain RNN forgets fast."),
    ],
}


def value(name: str, default=None):
    return st.session_state.get(widget_key(K, name), default)


def get_trace(src: Source, probe: Probe) -> HiddenTrace:
    """The probe's trace, recomputed only when the model's weights or the text change."""
    key = (src.key, probe.ids.tobytes())
    held = st.session_state.get("hs.trace")
    if held is None or held[0] != key:
        with src.lock:  # the live model may be training in another script thread
            held = (key, trace_lm(src.model, probe.ids))
        st.session_state["hs.trace"] = held
    return held[1]


def showing_cell(trace: HiddenTrace) -> bool:
    return value("state") == "cell" and trace.layers[value("layer", 0)].cell is not None


def states_of(trace: HiddenTrace) -> np.ndarray:
    """(T, H) the layer's h_t, or tanh(c_t) for the cell: the cell state is unbounded and a few
    large units would wash out the rest; tanh(c_t) is what the output gate reads (and what
    Karpathy et al. 2015 coloured)."""
    layer = trace.layers[value("layer", 0)]
    return np.tanh(layer.cell) if showing_cell(trace) else layer.hidden


def current_span(n_tokens: int) -> tuple[int, int]:
    start, end = value("start", 0), value("end", 1)
    return (start, end) if 0 <= start < end <= n_tokens else (0, max(1, n_tokens // 10))


def _pick_unit() -> None:
    """Bar (or cell) click on the heatmap: take the unit named on the clicked row."""
    event = st.session_state.get("hs.chart.heatmap")
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    for point in points:
        label = str(point.get("y", ""))
        if label.startswith("unit "):
            st.session_state[widget_key(K, "unit")] = int(label.split()[1])
            return


def heatmap_section(src: Source, trace: HiddenTrace, probe: Probe) -> tuple[int, UnitRanking]:
    """Units x time, ordered as chosen; returns the selected unit and the span ranking."""
    states = states_of(trace)
    span = current_span(len(probe))
    ranking = rank_units(states, *span)
    order = unit_order(states, value("order", "variance"), ranking)
    if value("order") == "relevance":
        scores, label = np.empty(len(order)), "relevance"
        scores[ranking.units] = ranking.scores
    else:
        scores, label = states.var(axis=0), "variance"
    unit_key = widget_key(K, "unit")
    if not 0 <= st.session_state.get(unit_key, -1) < states.shape[1]:
        st.session_state[unit_key] = int(order[0])
    unit = int(st.session_state[unit_key])
    which = "cell state tanh(c_t)" if showing_cell(trace) else "hidden state h_t"
    fig = heatmap_figure(states, probe.tokens, order, scores=scores, score_label=label,
                         selected_unit=unit, span=span,
                         title=f"Layer {value('layer', 0) + 1}: {which}, units ordered by "
                               f"{value('order')}", value_label=which.split()[-1])
    st.plotly_chart(fig, key="hs.chart.heatmap", on_select=_pick_unit,
                    selection_mode="points")
    cols = st.columns([1, 3])
    cols[0].number_input("Unit", min_value=0, max_value=states.shape[1] - 1, step=1, key=unit_key,
                         help="Or click the unit's bar to the right of the heatmap.")
    cols[1].caption("Red = positive, blue = negative, white = 0. The dotted box is the span "
                    "selected in the neuron finder; the black box is the selected unit.")
    return int(st.session_state[unit_key]), ranking


def neuron_view(src: Source, trace: HiddenTrace, probe: Probe, unit: int) -> None:
    """The probe text with each token's background coloured by the unit's activation."""
    acts = states_of(trace)[:, unit]  # in [-1, 1]: coloured on the true range
    st.subheader(f"Neuron view: unit {unit}, layer {value('layer', 0) + 1}")
    st.html(coloured_text_html(probe.tokens, acts, level=probe.level, unknown=probe.unknown,
                               scale=1.0, span=current_span(len(probe)),
                               label=f"unit {unit} {'tanh(c)' if showing_cell(trace) else 'h'}"))
    notable = notable_units(src)
    if notable:
        st.caption("Units that scripts/train_pretrained.py measured to correlate best with a "
                   "text feature on the validation text (Pearson r):")
        cols = st.columns(len(notable))
        for col, n in zip(cols, notable):
            state = "c" if n["state"] == "cell" else "h"
            col.button(f"{n['feature']}: {state}{n['unit']}, layer {n['layer'] + 1}, "
                       f"r = {n['r']:+.2f}", key=f"hs.notable.{n['feature']}",
                       on_click=_jump, args=(n,), width="stretch",
                       help=f"Layer {n['layer'] + 1}, {n['state']} state, unit {n['unit']}: "
                            f"Pearson r = {n['r']:+.3f} with “{n['feature']}”.")


def notable_units(src: Source) -> list[dict]:
    """The checkpoint's recorded units that exist in this model (an uploaded file's metadata
    is not trusted: malformed entries are skipped)."""
    spec, out = src.spec, []
    entries = src.meta.get("neurons")
    for n in entries if isinstance(entries, list) else []:
        try:
            ok = (0 <= int(n["layer"]) < spec.num_layers and 0 <= int(n["unit"]) < spec.hidden_size
                  and (n["state"] == "hidden" or (n["state"] == "cell" and spec.cell == "lstm")))
            entry = {"feature": str(n["feature"])[:40], "layer": int(n["layer"]),
                     "state": n["state"], "unit": int(n["unit"]), "r": float(n["r"])}
        except (KeyError, TypeError, ValueError):
            continue
        if ok:
            out.append(entry)
    return out[:4]


def _jump(n: dict) -> None:
    """Show a notable unit; the sidebar's layer and state widgets are outside the fragment, so
    the page asks for a full rerun (``rerun_if_asked``)."""
    ss = st.session_state
    ss[widget_key(K, "layer")] = int(n["layer"])
    ss[widget_key(K, "state")] = n["state"]
    ss[widget_key(K, "unit")] = int(n["unit"])
    ss["hs.full_rerun"] = True


def rerun_if_asked() -> None:
    """Called first in the fragment: a callback changed widgets outside it."""
    if st.session_state.pop("hs.full_rerun", False):
        st.rerun(scope="app")


def _reading(name: str, series: np.ndarray) -> str:
    """One computed line about the selected unit's gate on this text."""
    mean = float(np.mean(series))
    if name == "f":
        life = math.log(0.5) / math.log(mean) if 0 < mean < 1 else math.inf
        return f"mean {mean:.2f}: memory half-life ≈ {life:.1f} steps" if math.isfinite(life) \
            else f"mean {mean:.2f}"
    if name == "z":
        return f"mean {mean:.2f}: keeps {mean:.0%} of its previous state per step"
    if name in ("i", "o", "r"):
        return f"mean {mean:.2f}; open (> 0.5) at {np.mean(series > 0.5):.0%} of the steps"
    return f"range {series.min():+.2f} … {series.max():+.2f}"


def gates_section(trace: HiddenTrace, probe: Probe, unit: int) -> None:
    layer = trace.layers[value("layer", 0)]
    series = {name: gate[:, unit] for name, gate in layer.gates.items() if name != "pre"}
    means = {name: gate.mean(axis=1) for name, gate in layer.gates.items() if name != "pre"}
    if layer.cell is not None:
        series["c"], means["c"] = layer.cell[:, unit], layer.cell.mean(axis=1)
    series["h"], means["h"] = layer.hidden[:, unit], layer.hidden.mean(axis=1)
    st.subheader(f"Gates of unit {unit} ({trace.cell_name.upper()}, layer "
                 f"{value('layer', 0) + 1})")
    for name, latex, reading in GATE_TEXT[trace.cell_name]:
        left, right = st.columns([3, 2])
        left.latex(latex)
        right.markdown(f"{reading}  \nUnit {unit}: {_reading(name, series[name])}.")
    st.plotly_chart(gates_figure(series, means, probe.tokens, unit=unit), key="hs.chart.gates")


def trajectory_section(src: Source, trace: HiddenTrace, probe: Probe) -> None:
    layer = value("layer", 0)
    hidden = trace.layers[layer].hidden
    view = corpus_view(src)
    if view is not None and layer in view.pca:
        pca, background = view.pca[layer], view.pca[layer].transform(view.states.hidden[layer])
        note = f"PCA fitted on {len(background):,} states of the validation text."
    elif min(hidden.shape) >= 2:
        pca, background = fit_pca(hidden), None
        note = "This model's corpus is unknown, so the PCA is fitted on the probe text alone."
    else:
        st.info("The trajectory needs at least two tokens and two units.")
        return
    st.plotly_chart(trajectory_figure(pca.transform(hidden), probe.tokens,
                                      explained=pca.explained, background=background[::4]
                                      if background is not None else None,
                                      title=f"Trajectory of h_t, layer {layer + 1}"),
                    key="hs.chart.trajectory")
    st.caption(note + " Each point is the state after reading the token next to it.")

