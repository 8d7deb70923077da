"""Hidden states and gates, neuron by neuron: heatmap, neuron view, gates, finder, predictions."""

from __future__ import annotations

import streamlit as st

from seqviz.hidden_config import PROBES, SOURCES, HiddenConfig
from seqviz.neurons import ORDERS
from seqviz.ui import hidden_finder as finder
from seqviz.ui import hidden_panel as hp
from seqviz.ui import hidden_views as views
from seqviz.ui.controls import select
from seqviz.ui.setup import setup_page
from seqviz.ui.state import open_config

K = "hs"
setup_page("Hidden states and gates", "🔬")
st.title("🔬 Hidden states and gates, neuron by neuron")
st.caption("An RNN carries a hidden state h_t that summarises everything it has read. Here it "
           "is, unit by unit, on a text you choose: which units light up inside a string, how "
           "the gates open and close, where the state travels, and what the model expects next.")
cfg = open_config(HiddenConfig, K)

sb = st.sidebar
sb.header("Model")
select(K, "source", "Model", list(SOURCES), fmt=hp.source_label)
src = hp.resolve_source(K)
if src is None:
    st.stop()
st.markdown(src.describe())
hp.live_controls(src)

sb.header("Probe text")
select(K, "probe", "Probe text", list(PROBES), horizontal=True,
       fmt=lambda p: {"typed": "type it", "validation": "validation passage"}[p])
sb.header("What to show")
hp.clamp_settings(K, src)
select(K, "layer", "Layer", list(range(src.spec.num_layers)), fmt=lambda v: f"layer {v + 1}")
states = ["hidden", "cell"] if src.spec.cell == "lstm" else ["hidden"]
select(K, "state", "State", states, horizontal=True,
       fmt=lambda v: {"hidden": "hidden h_t", "cell": "cell c_t"}[v])
select(K, "order", "Order units by", list(ORDERS), horizontal=True,
       help="Relevance = high on the span selected in the neuron finder, low elsewhere.")

probe = hp.probe_input(K, src)
hp.sync_config(K, cfg)
if probe is None:
    st.stop()


@st.fragment(run_every=hp.REFRESH_SECONDS if hp.training_here(src) else None)
def analysis() -> None:
    """Everything drawn from the trace; ticks (train + retrace) while the live model trains."""
    views.rerun_if_asked()
    here = hp.live_tick(src)
    trace = views.get_trace(here, probe)
    tabs = st.tabs(["Heatmap and neuron", "Gates", "Neuron finder", "Trajectory",
                    "Predictions"])
    with tabs[0]:
        unit, ranking = views.heatmap_section(here, trace, probe)
        views.neuron_view(here, trace, probe, unit)
    with tabs[1]:
        views.gates_section(trace, probe, unit)
    with tabs[2]:
        finder.finder_section(here, trace, probe, ranking)
    with tabs[3]:
        views.trajectory_section(here, trace, probe)
    with tabs[4]:
        finder.predictions_section(here, trace, probe)
    hp.sync_config(K, cfg)


analysis()
