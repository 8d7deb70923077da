"""The hidden-states page's sections: heatmap and unit picker, neuron view, gates, trajectory.

Each section reads the page's widget values from session state (keys ``hs.w.<field>``), draws
its figures with stable keys and never raises on user input. The neuron finder and the
predictions live in ``seqviz.ui.hidden.finder``.
"""

from __future__ import annotations

import math
import re

import numpy as np
import streamlit as st

from seqviz.hidden.coloured_text import coloured_text_html
from seqviz.hidden.features import FEATURES
from seqviz.hidden.figures import gates_figure, heatmap_figure, trajectory_figure
from seqviz.hidden.neurons import UnitRanking, rank_units, unit_order
from seqviz.hidden.pca import fit_pca
from seqviz.hidden.probes import HiddenTrace, Probe, trace_lm
from seqviz.hidden.units import MIN_R
from seqviz.i18n import N_, _
from seqviz.ui.controls import held
from seqviz.ui.chart import chart
from seqviz.ui.hidden.sources import Source, corpus_view
from seqviz.ui.layout import columns
from seqviz.ui.live import memo
from seqviz.ui.state import widget_key

K = "hs"
GATE_TEXT = {  # (series, equation, what it does: an English source string)
    "lstm": [
        ("i", r"i_t = \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi})",
         N_("Input gate: how much of the candidate is written into the cell.")),
        ("f", r"f_t = \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf})",
         N_("Forget gate: how much of the old cell survives (1 = keep, 0 = erase).")),
        ("g", r"g_t = \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg})",
         N_("Candidate: new content proposed from this token and the previous state.")),
        ("o", r"o_t = \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho})",
         N_("Output gate: how much of the cell is shown as the hidden state.")),
        ("c", r"c_t = f_t \odot c_{t-1} + i_t \odot g_t",
         N_("Cell: keep part of the old memory, add part of the candidate.")),
        ("h", r"h_t = o_t \odot \tanh(c_t)", N_("Hidden state: the gated view of the cell.")),
    ],
    "gru": [
        ("r", r"r_t = \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr})",
         N_("Reset gate: how much of the previous state the candidate may use.")),
        ("z", r"z_t = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz})",
         N_("Update gate: 1 = keep the previous state, 0 = take the candidate.")),
        ("n", r"n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))",
         N_("Candidate: new content, with the past filtered by the reset gate.")),
        ("h", r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}",
         N_("Hidden state: a blend of the old state and the candidate.")),
    ],
    "rnn": [
        ("h", r"h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})",
         N_("No gates: the whole state is rewritten at every step, so a plain RNN forgets "
            "fast.")),
    ],
}
ORDER_LABELS = {"index": N_("unit number"), "variance": N_("variance"),
                "relevance": N_("relevance to the span")}


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
    """Bar (or cell) click on the heatmap: take the unit named on the clicked row ("unit 12",
    "单元 12": the number ends the label in every language)."""
    event = st.session_state.get("hs.chart.heatmap")
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    for point in points:
        found = re.search(r"(\d+)\s*$", str(point.get("y", "")))
        if found:
            st.session_state[widget_key(K, "unit")] = int(found.group(1))
            return


def trace_tag() -> tuple:
    """What the current trace depends on (model weights and text), for memoised views."""
    held = st.session_state.get("hs.trace")
    return held[0] if held is not None else ()


def _ordering(states: np.ndarray, span: tuple[int, int]) -> tuple:
    ranking = rank_units(states, *span)
    order = unit_order(states, value("order", "variance"), ranking)
    if value("order") == "relevance":
        scores, label = np.empty(len(order)), _("relevance")
        scores[ranking.units] = ranking.scores
    else:
        scores, label = states.var(axis=0), _("variance")
    return ranking, order, scores, label


TAB_LABELS = {"heatmap": N_("Heatmap and neuron"), "gates": N_("Gates"),
              "finder": N_("Neuron finder"), "trajectory": N_("Trajectory"),
              "predictions": N_("Predictions")}  # in ``seqviz.hidden.config.TABS`` order
TAB_WIDGETS = (*(widget_key(K, name) for name in ("unit", "match_units", "position")),
               "hs.find")  # widgets that live in one tab (kept while another is open)


def selection(trace: HiddenTrace, probe: Probe) -> tuple[int, UnitRanking, tuple]:
    """The selected unit (the first in the display order until one is chosen), the span's unit
    ranking, and the display order (its tag, the order, its scores and their label): what the
    heatmap draws and the gates and finder tabs read, whichever tab is open."""
    states = states_of(trace)
    span = current_span(len(probe))
    base = (trace_tag(), value("layer", 0), value("state"), value("order", "variance"), span)
    ranking, order, scores, label = memo("hs.order", base, lambda: _ordering(states, span))
    unit_key = widget_key(K, "unit")
    if not 0 <= st.session_state.get(unit_key, -1) < states.shape[1]:
        st.session_state[unit_key] = int(order[0])
    return int(st.session_state[unit_key]), ranking, (base, order, scores, label)


def heatmap_section(src: Source, trace: HiddenTrace, probe: Probe) -> tuple[int, UnitRanking]:
    """Units x time, ordered as chosen; returns the selected unit and the span ranking."""
    states = states_of(trace)
    span = current_span(len(probe))
    unit, ranking, (base, order, scores, label) = selection(trace, probe)
    unit_key = widget_key(K, "unit")
    cell = showing_cell(trace)
    which = _("cell state tanh(c_t)") if cell else _("hidden state h_t")
    title = _("Layer {layer}: {which}, units ordered by {order}").format(
        layer=value("layer", 0) + 1, which=which,
        order=_(ORDER_LABELS[value("order", "variance")]))
    fig = memo("hs.heatmap", base + (unit,), lambda: heatmap_figure(
        states, probe.tokens, order, scores=scores, score_label=label, selected_unit=unit,
        span=span, title=title, value_label="tanh(c_t)" if cell else "h_t"))
    chart(fig, key="hs.chart.heatmap", on_select=_pick_unit)
    cols = columns([1, 3])
    top = states.shape[1] - 1
    cols[0].number_input(_("Unit"), min_value=0, max_value=top,
                         value=held(unit_key, 0, 0, top), step=1,
                         key=unit_key, help=_("Or click the unit's bar to the right of the "
                                              "heatmap."))
    cols[1].caption(_("Red = positive, blue = negative, white = 0. The dotted box is the span "
                      "selected in the neuron finder; the black box is the selected unit."))
    return int(st.session_state[unit_key]), ranking


def neuron_view(src: Source, trace: HiddenTrace, probe: Probe, unit: int) -> None:
    """The probe text with each token's background coloured by the unit's activation."""
    acts = states_of(trace)[:, unit]  # in [-1, 1]: coloured on the true range
    st.subheader(_("Neuron view: unit {unit}, layer {layer}").format(
        unit=unit, layer=value("layer", 0) + 1))
    span = current_span(len(probe))
    label = _("unit {unit}, {state}").format(
        unit=unit, state="tanh(c_t)" if showing_cell(trace) else "h_t")
    st.html(memo("hs.neuron_html", (trace_tag(), value("layer", 0), value("state"), unit, span),
                 lambda: coloured_text_html(probe.tokens, acts, level=probe.level,
                                            unknown=probe.unknown, scale=1.0, span=span,
                                            label=label)))
    notable = notable_units(src)
    if notable:
        tokens = max(n["tokens"] for n in notable)
        st.caption(_("Units that follow a feature of the text: Pearson r between the unit and "
                     "the feature on {n} tokens of held-out text, measured when the model was "
                     "trained. Click one to show it.").format(n=f"{tokens:,}" if tokens else "—"))
        for col, n in zip(columns(len(notable)), notable):
            state = "c" if n["state"] == "cell" else "h"
            feature = _(n["feature"]) if n["feature"] in FEATURES else n["feature"]
            col.button(_("{feature}: {state}{unit}, layer {layer}, r = {r}").format(
                           feature=feature, state=state, unit=n["unit"], layer=n["layer"] + 1,
                           r=f"{n['r']:+.2f}".replace("-", "−")),
                       key=f"hs.notable.{n['feature']}", on_click=_jump, args=(n,),
                       width="stretch",
                       help=_("Layer {layer}, {state}, unit {unit}: Pearson r = {r} with "
                              "“{feature}”.").format(
                                  layer=n["layer"] + 1, unit=n["unit"],
                                  r=f"{n['r']:+.3f}".replace("-", "−"),
                                  feature=feature,
                                  state=_("cell state") if state == "c" else _("hidden state")))


def notable_units(src: Source) -> list[dict]:
    """The checkpoint's recorded units that exist in this model and follow their feature well
    (|r| >= MIN_R; a weaker unit is not offered as "the unit that tracks X"). An uploaded
    file's metadata is not trusted: malformed entries are skipped."""
    spec, out = src.spec, []
    entries = src.meta.get("neurons")
    for n in entries if isinstance(entries, list) else []:
        try:
            ok = (0 <= int(n["layer"]) < spec.num_layers and 0 <= int(n["unit"]) < spec.hidden_size
                  and (n["state"] == "hidden" or (n["state"] == "cell" and spec.cell == "lstm"))
                  and abs(float(n["r"])) >= MIN_R)
            entry = {"feature": str(n["feature"])[:40], "layer": int(n["layer"]),
                     "state": n["state"], "unit": int(n["unit"]), "r": float(n["r"]),
                     "tokens": int(n.get("r_tokens", 0))}
        except (KeyError, TypeError, ValueError, AttributeError):
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
        return _("mean {mean}: memory half-life ≈ {life} steps").format(
            mean=f"{mean:.2f}", life=f"{life:.1f}") if math.isfinite(life) \
            else _("mean {mean}").format(mean=f"{mean:.2f}")
    if name == "z":
        return _("mean {mean}: keeps {share} of its previous state per step").format(
            mean=f"{mean:.2f}", share=f"{mean:.0%}")
    if name in ("i", "o", "r"):
        return _("mean {mean}; open (> 0.5) at {share} of the steps").format(
            mean=f"{mean:.2f}", share=f"{np.mean(series > 0.5):.0%}")
    return _("range {low} … {high}").format(low=f"{series.min():+.2f}",
                                            high=f"{series.max():+.2f}")


def gates_section(trace: HiddenTrace, probe: Probe, unit: int) -> None:
    layer = trace.layers[value("layer", 0)]
    series = {name: gate[:, unit] for name, gate in layer.gates.items() if name != "pre"}
    means = {name: gate.mean(axis=1) for name, gate in layer.gates.items() if name != "pre"}
    if layer.cell is not None:
        series["c"], means["c"] = layer.cell[:, unit], layer.cell.mean(axis=1)
    series["h"], means["h"] = layer.hidden[:, unit], layer.hidden.mean(axis=1)
    st.subheader(_("Gates of unit {unit} ({cell}, layer {layer})").format(
        unit=unit, cell=trace.cell_name.upper(), layer=value("layer", 0) + 1))
    for name, latex, reading in GATE_TEXT[trace.cell_name]:
        left, right = columns([3, 2])
        left.latex(latex)
        right.markdown(_(reading) + "  \n" + _("Unit {unit}: {reading}.").format(
            unit=unit, reading=_reading(name, series[name])))
    fig = memo("hs.gates", (trace_tag(), value("layer", 0), unit),
               lambda: gates_figure(series, means, probe.tokens, unit=unit))
    chart(fig, key="hs.chart.gates")


def trajectory_section(src: Source, trace: HiddenTrace, probe: Probe) -> None:
    layer = value("layer", 0)
    hidden = trace.layers[layer].hidden
    view = corpus_view(src)
    if view is not None and layer in view.pca:
        note = _("PCA fitted on {n} states of the validation text.").format(
            n=f"{len(view.states.hidden[layer]):,}")
    elif min(hidden.shape) >= 2:
        note = _("This model's corpus is unknown, so the PCA is fitted on the probe text alone.")
    else:
        st.info(_("The trajectory needs at least two tokens and two units."))
        return

    def build():
        if view is not None and layer in view.pca:
            pca = view.pca[layer]
            background = pca.transform(view.states.hidden[layer])[::4]
        else:
            pca, background = fit_pca(hidden), None
        return trajectory_figure(pca.transform(hidden), probe.tokens, explained=pca.explained,
                                 background=background,
                                 title=_("Trajectory of h_t, layer {layer}").format(
                                     layer=layer + 1))

    fig = memo("hs.trajectory", (trace_tag(), src.key, layer), build)
    chart(fig, key="hs.chart.trajectory")
    st.caption(note + " " + _("Each point is the state after reading the token next to it."))
