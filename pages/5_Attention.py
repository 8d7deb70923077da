"""Attention: train a sequence-to-sequence model live and watch its alignment heatmap form."""

from __future__ import annotations

import dataclasses

import streamlit as st

from seqviz.config import check
from seqviz.s2s_experiment import PRETRAINED, S2SConfig, describe
from seqviz.s2s_tasks import ALPHABETS, TASKS
from seqviz.ui import attention_panel as panel
from seqviz.ui.controls import integer, ladder, select
from seqviz.ui.player import player_bar, step_and_reset
from seqviz.ui.setup import setup_page
from seqviz.ui.state import open_config, store_config, widget_key
from seqviz.ui.state import widget_values

K = "att"
TASK_NAMES = {"dates": "dates → ISO (3 May 1979 → 1979-05-03)", "reverse": "reverse a string",
              "sort": "sort a string", "translate": "toy translation (verb-final, adj after noun)"}
setup_page("Attention", "🎯")
st.title("🎯 Attention")
st.caption("An encoder reads the input; at every output step the decoder's attention weights say "
           "where it looks (each row sums to 1). Press **Play** and watch the alignment appear.")
cfg = open_config(S2SConfig, K)
ss = st.session_state

# ---- controls ------------------------------------------------------------------------------------
sb = st.sidebar
select(K, "pretrained", "Start from", ["none", *PRETRAINED],
       fmt=lambda v: "a fresh model (train it live)" if v == "none" else f"pretrained: {v}",
       help="Bundled checkpoints show trained heatmaps at once; their training timeline is "
            "included. Play continues training them.")
fresh = ss[widget_key(K, "pretrained")] == "none"
if fresh:
    sb.header("Task")
    sb.selectbox("Task", list(TASKS), key=widget_key(K, "task"), format_func=TASK_NAMES.get,
                 on_change=panel.on_task_change, args=(K,))
    if ss[widget_key(K, "task")] in ("reverse", "sort"):
        select(K, "alphabet", "Alphabet", list(ALPHABETS), horizontal=True)
    integer(K, "min_len", "Shortest input", 1, 40, help="Characters (words for translation).")
    integer(K, "max_len", "Longest input", 1, 40)
    sb.header("Model")
    select(K, "attention", "Attention", ["none", "dot", "general", "additive"], horizontal=True,
           help="none = the fixed-vector baseline; dot / general = Luong et al. 2015; "
                "additive = Bahdanau et al. 2015.")
    select(K, "cell", "Cell", ["rnn", "gru", "lstm"], horizontal=True, fmt=str.upper)
    sb.checkbox("Bidirectional encoder", key=widget_key(K, "bidirectional"))
    integer(K, "num_layers", "Layers", 1, 2)
    ladder(K, "hidden_size", "Hidden size H (per direction)", [8, 16, 32, 64, 128, 256])
    ladder(K, "embed_size", "Embedding size E", [4, 8, 16, 32, 64, 128])
    sb.header("Training")
    ladder(K, "batch_size", "Batch size B", [1, 4, 16, 32, 64, 128, 256])
    select(K, "optimizer", "Optimiser", ["adam", "sgd"], horizontal=True, fmt=str.capitalize)
else:
    sb.header("Training")
ladder(K, "lr", "Learning rate (live)", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0])
select(K, "clip", "Gradient clipping (live)", ["none", "norm", "value"], horizontal=True,
       fmt=lambda v: {"none": "off", "norm": "by norm", "value": "by value"}[v])
ladder(K, "clip_threshold", "Clip threshold (live)", [0.01, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 100.0])
ladder(K, "snapshot_every", "Heatmap snapshot every k steps (live)", [1, 2, 5, 10, 20, 50, 100])
if fresh:
    integer(K, "seed", "Seed", 0, 2**31 - 1, help="Same seed, same starting weights and batches.")

# ---- resolve the config the widgets describe ----------------------------------------------------
new = dataclasses.replace(cfg, **widget_values(K, cfg))
problems = check(new) + ([f"the shortest input ({new.min_len}) is longer than the longest "
                          f"({new.max_len})"] if new.min_len > new.max_len else [])
if problems:
    st.error("Invalid setting: " + "; ".join(problems), icon="🚫")
    new = cfg
new = panel.resolve(K, cfg, new)
store_config(K, new)
exp = ss[f"{K}.exp"]
if exp.cfg.pretrained != "none":
    meta = exp.meta
    sb.caption(f"**{describe(exp.cfg)}**, lengths {exp.cfg.min_len}-{exp.cfg.max_len}; trained "
               f"{meta.get('steps', 0):,} steps in {meta.get('seconds', 0):.0f} s.")


# ---- player, live panel, typed input, long inputs -----------------------------------------------
def _fresh():
    ss.pop(f"{K}.timeline", None)  # the attention timeline belongs to the old model
    return panel.build(ss[f"{K}.config"])


_step, _reset = step_and_reset(K, _fresh)
playing = player_bar(K, _step, _reset)
panel.live_panel(K, playing)
panel.input_section(K)
panel.long_input_section(K, playing)
