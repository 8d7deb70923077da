"""Hidden states and gates, neuron by neuron: heatmap, neuron view, gates, finder, predictions."""

from __future__ import annotations

import streamlit as st

from seqviz.hidden.config import PROBES, SOURCES, HiddenConfig
from seqviz.hidden.lecture import STEPS
from seqviz.hidden.neurons import ORDERS
from seqviz.i18n import N_, _
from seqviz.ui.controls import select
from seqviz.ui.hidden import finder
from seqviz.ui.hidden import panel as hp
from seqviz.ui.hidden import rewind, views
from seqviz.ui.layout import page_header
from seqviz.ui.lecture import lecture_panel
from seqviz.ui.setup import setup_page
from seqviz.ui.timeline import timeline
from seqviz.ui.state import open_config
from seqviz.ui.tabs import config_tabs

K = "hs"
setup_page(N_("Hidden states and gates"), "🔬")
page_header("🔬 " + _("Hidden states and gates, neuron by neuron"),
            _("An RNN carries a hidden state h_t that summarises everything it has read. Here it "
              "is, unit by unit, on a text you choose: which units follow a feature of the "
              "text, how the gates open and close, where the state travels, and what the model "
              "expects next."))
cfg = open_config(HiddenConfig, K)

sb = st.sidebar
sb.header(_("Model"))
select(K, "source", _("Model"), list(SOURCES), fmt=hp.source_label, main=True)
src = hp.resolve_source(K)
if src is None:
    hp.later()
    st.stop()
st.markdown(src.describe())
hp.live_controls(src)

sb.header(_("Probe text"))
select(K, "probe", _("Probe text"), list(PROBES), horizontal=True,
       fmt=lambda p: {"typed": _("type it"), "validation": _("validation passage")}[p])
sb.header(_("What to show"))
hp.clamp_settings(K, src)
select(K, "layer", _("Layer"), list(range(src.spec.num_layers)), main=True,
       fmt=lambda v: _("layer {n}").format(n=v + 1))
states = ["hidden", "cell"] if src.spec.cell == "lstm" else ["hidden"]
select(K, "state", _("State"), states, horizontal=True, main=True,
       fmt=lambda v: {"hidden": _("hidden h_t"), "cell": _("cell c_t")}[v])
select(K, "order", _("Order units by"), list(ORDERS), horizontal=True,
       fmt=lambda v: _(views.ORDER_LABELS[v]),
       help=_("Relevance = high on the span selected in the neuron finder, low elsewhere."))


def lecture() -> None:
    """After the charts: in presenter mode the lecture is open, and above them it pushed the
    first chart off a 1024 x 768 screen; so did the notice saying which model is shown."""
    hp.later()
    lecture_panel(K, "pages/2_Hidden_States.py", STEPS, cfg, hp.trained_steps(src),
                  pending=_("Ask the class first, then open the step's link: its answer "
                            "appears here."))


probe = hp.probe_input(K, src)
hp.sync_config(K, cfg)
if probe is None:
    lecture()
    st.stop()


@st.fragment(run_every=hp.REFRESH_SECONDS if hp.training_here(src) else None)
def analysis() -> None:
    """Everything drawn from the trace; ticks (train + retrace) while the live model trains."""
    views.rerun_if_asked()
    here, earlier = rewind.sources(hp.live_tick(src), timeline(K, src.exp, compare=True))
    trace = views.get_trace(here, probe)
    # Only the open tab is drawn (a tab click reruns this fragment): the page's first chart
    # comes ~0.8 s sooner than with all five tabs' charts, and a tick redraws one tab.
    tabs, tab = config_tabs(K, "tab", views.TAB_LABELS, keep=views.TAB_WIDGETS)
    unit, ranking, _order = views.selection(trace, probe)

    def heatmap_and_neuron() -> None:
        shown, _ranking = views.heatmap_section(here, trace, probe) if earlier is None \
            else rewind.compare_section(earlier, here, trace, probe)
        views.neuron_view(here, trace, probe, shown)

    draw = [heatmap_and_neuron, lambda: views.gates_section(trace, probe, unit),
            lambda: finder.finder_section(here, trace, probe, ranking),
            lambda: views.trajectory_section(here, trace, probe),
            lambda: finder.predictions_section(here, trace, probe)]
    with tabs[tab]:
        draw[tab]()
    hp.sync_config(K, cfg)


analysis()
lecture()
