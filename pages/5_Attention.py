"""Attention: train a sequence-to-sequence model live and watch its alignment heatmap form."""

from __future__ import annotations

import dataclasses

import streamlit as st

from seqviz.attention.experiment import (ATTENTION_NAMES, PRETRAINED, TASK_LENGTHS, S2SConfig,
                                        describe)
from seqviz.attention.export import EXPORT
from seqviz.attention.lecture import STEPS
from seqviz.attention.tasks import ALPHABETS, TASK_TITLES, TASKS
from seqviz.config import check
from seqviz.i18n import N_, _
from seqviz.ui.attention import panel, sections
from seqviz.ui.controls import held, integer, ladder, select
from seqviz.ui.export import export_panel
from seqviz.ui.layout import control_area, page_header, widest
from seqviz.ui.lecture import lecture_panel
from seqviz.ui.player import is_playing, player_bar, step_and_reset
from seqviz.ui.setup import relabel, setup_page
from seqviz.ui.share import claim_fork, share_panel
from seqviz.ui.state import open_config, store_config, widget_key, widget_values
from seqviz.ui.tabs import config_tabs

K = "att"
setup_page(N_("Attention"), "🎯")
page_header("🎯 " + _("Attention"),
            _("An encoder reads the input; at every output step the decoder's attention weights "
              "say where it looks (each row sums to 1). Press **Play** and watch the alignment "
              "appear."))
claim_fork(K)  # a Fork link from the Follow page: says why, if it fails
cfg = open_config(S2SConfig, K, notes=panel.link_notes)
ss = st.session_state

# ---- controls ------------------------------------------------------------------------------------
sb = st.sidebar
SHORT = {"dates": N_("dates"), "reverse": N_("reversal"), "sort": N_("sorting"),
         "translate": N_("toy translation")}
EXAMPLE = {"zh_digits": "三千零五 → 3005", "digits_zh": "3005 → 三千零五"}  # data: not translated


def _task(t: str) -> str:
    """Short menu labels (a key control is a quarter of a projector's width); help says more."""
    return EXAMPLE.get(t) or _(SHORT[t])


def _start(v: str) -> str:
    return "🆕 " + _("fresh model") if v == "none" else "📦 " + _task(v)


select(K, "pretrained", _("Start from"), ["none", *PRETRAINED], main=True, fmt=_start,
       help=_("🆕 a fresh model, trained live. 📦 a bundled checkpoint: trained heatmaps at "
              "once, with its training timeline; Play continues training it.") + "\n\n" +
       "\n".join(f"- 📦 {_(TASK_TITLES[v])}" for v in PRETRAINED))
fresh = ss[widget_key(K, "pretrained")] == "none"
if fresh:
    sb.header(_("Task"))
    tasks = list(TASKS)
    control_area(main=True, text=widest(map(_task, tasks))).selectbox(
        _("Task"), tasks, index=tasks.index(held(widget_key(K, "task"), tasks[0])),
        key=relabel(widget_key(K, "task")), format_func=_task,
        on_change=panel.on_task_change, args=(K,),
        help="\n".join(f"- **{_task(t)}**: {_(TASK_TITLES[t])}" for t in TASKS))
    if ss[widget_key(K, "task")] in ("reverse", "sort"):
        select(K, "alphabet", _("Alphabet"), list(ALPHABETS), horizontal=True,
               fmt=lambda a: {"digits": _("digits"), "letters": _("letters")}[a])
    integer(K, "min_len", _("Shortest input"), 1, 40,
            help=_("Characters (words for the toy translation)."))
    integer(K, "max_len", _("Longest input"), 1, 40)
    sb.header(_("Model"))
    select(K, "attention", _("Attention"), ["none", "dot", "general", "additive"], main=True,
           fmt=lambda a: _(ATTENTION_NAMES[a]),
           help=_("none = the fixed-vector baseline; dot / general = Luong et al. 2015; "
                  "additive = Bahdanau et al. 2015."))
    select(K, "cell", _("Cell"), ["rnn", "gru", "lstm"], horizontal=True, fmt=str.upper)
    sb.checkbox(_("Bidirectional encoder"), value=held(widget_key(K, "bidirectional"), False),
                key=widget_key(K, "bidirectional"))
    integer(K, "num_layers", _("Layers"), 1, 2)
    ladder(K, "hidden_size", _("Hidden size H (per direction)"), [8, 16, 32, 64, 128, 256])
    ladder(K, "embed_size", _("Embedding size E"), [4, 8, 16, 32, 64, 128])
    sb.header(_("Training"))
    ladder(K, "batch_size", _("Batch size B"), [1, 4, 16, 32, 64, 128, 256])
    select(K, "optimizer", _("Optimiser"), ["adam", "sgd"], horizontal=True,
           fmt={"adam": "Adam", "sgd": "SGD"}.get)
else:
    sb.header(_("Training"))
ladder(K, "lr", _("Learning rate (live)"),
       [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0], main=True)
select(K, "clip", _("Gradient clipping (live)"), ["none", "norm", "value"], horizontal=True,
       fmt=lambda v: {"none": _("off"), "norm": _("by norm"), "value": _("by value")}[v])
ladder(K, "clip_threshold", _("Clip threshold (live)"),
       [0.01, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 100.0])
ladder(K, "snapshot_every", _("Heatmap snapshot every k steps (live)"),
       [1, 2, 5, 10, 20, 50, 100])
if fresh:
    integer(K, "seed", _("Seed"), 0, 2**31 - 1,
            help=_("Same seed, same starting weights and batches."))

# ---- resolve the config the widgets describe ----------------------------------------------------
def _problems(c: S2SConfig) -> list[str]:
    out = check(c)
    if c.min_len > c.max_len:
        out.append(_("the shortest input ({lo}) is longer than the longest ({hi})").format(
            lo=c.min_len, hi=c.max_len))
    return out


new = dataclasses.replace(cfg, **widget_values(K, cfg))
problems = _problems(new)
if problems:
    st.error(_("Invalid setting: {problems}").format(problems="; ".join(problems)), icon="🚫")
    # The running settings; a link whose input lengths are impossible opens its task with the
    # task's own lengths (one message for one mistake, not a second one from the build).
    new = cfg if not _problems(cfg) else dataclasses.replace(
        cfg, **dict(zip(("min_len", "max_len"), TASK_LENGTHS[cfg.task])))
new = panel.resolve(K, cfg, new, is_playing(K))
# A bundled model's run is stored (and linked) with its own task and shape, not the hidden
# fresh-model settings, so a shared link says what it opens.
store_config(K, panel.resolved(new))
exp = ss[f"{K}.exp"]
if exp.cfg.pretrained != "none":
    meta = exp.meta
    sb.caption(_("**{model}**, lengths {lo}-{hi}; trained {steps} steps in {seconds} s.").format(
        model=describe(exp.cfg), lo=exp.cfg.min_len, hi=exp.cfg.max_len,
        steps=f"{meta.get('steps', 0):,}", seconds=f"{meta.get('seconds', 0):.0f}"))


# ---- player, live panel, lecture, typed input, long inputs ---------------------------------------
def _fresh():
    return panel.build(ss[f"{K}.config"])


_step, _reset = step_and_reset(K, _fresh)
playing = player_bar(K, _step, _reset)
share_panel(K, "pages/5_Attention.py", panel.render, settings=panel.settings)
panel.live_panel(K, playing)
lecture_panel(K, "pages/5_Attention.py", STEPS, new, exp.steps)
# Only the open tab is drawn (a click reruns the page): the page's first chart comes sooner
# (drawing all three sections cost the browser ~0.6 s before it drew the first chart).
tabs, tab = config_tabs(K, "tab", sections.TAB_LABELS, keep=sections.kept_widgets(K, exp))
with tabs[tab]:
    [lambda: sections.input_section(K), lambda: sections.long_input_section(K),
     sections.bundled_models][tab]()
export_panel(K, EXPORT, _("Attention"))
