"""Page helpers for the hidden-states page: choosing the model, the probe text, fitting the
URL's settings to the model, and keeping the live model training while it is watched.

The language-model page trains only while it is shown (a ``run_every`` fragment stops off-page),
so when the live model is selected this page offers its own refresh: a fragment that trains the
same ``LMExperiment`` for a short budget, then retraces the probe under the trainer's lock.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from seqviz.checkpoint import CheckpointError, list_pretrained
from seqviz.config import check
from seqviz.hidden_config import LIVE, MAX_TEXT_CHARS, UPLOAD, HiddenConfig
from seqviz.neurons import default_span
from seqviz.probes import MAX_TOKENS, Probe, ProbeError, encode_probe, passages, probe_from_ids
from seqviz.ui.hidden_sources import Source, live_source, pretrained_source, upload_source
from seqviz.ui.state import store_config, widget_key, widget_values

REFRESH_SECONDS = 2.0  # retrace period while the live model trains on this page
TRAIN_BUDGET = 0.8  # seconds of training per refresh
FALLBACK = "lm_python"
LABELS = {LIVE: "Live model from the Language model page",
          UPLOAD: "Upload a checkpoint (.pt)",
          "lm_python": "Bundled: LSTM on Python source code",
          "lm_prose": "Bundled: GRU on English prose"}


def source_label(name: str) -> str:
    return LABELS.get(name, f"Bundled: {name}")


def _w(K: str, name: str):
    return st.session_state.get(widget_key(K, name))


def _fallback() -> Source | None:
    names = list_pretrained("lm")
    name = FALLBACK if FALLBACK in names else (names[0] if names else None)
    if name is None:
        st.error("No bundled checkpoint is installed (run scripts/train_pretrained.py), and no "
                 "live model exists: open the Language model page to train one.")
        return None
    return pretrained_source(name)


def resolve_source(K: str) -> Source | None:
    """The chosen model; a clear message and the bundled Python LSTM when it is unavailable."""
    name = _w(K, "source")
    if name == LIVE:
        src = live_source()
        if src is not None:
            return src
        st.info("No language model has been trained in this browser session yet. Open the "
                "Language model page and press Play, then come back; meanwhile this page shows "
                "the bundled LSTM trained on Python source code.")
        st.page_link("pages/1_Language_Model.py", label="✍️ Go to the Language model page")
        return _fallback()
    if name == UPLOAD:
        up = st.sidebar.file_uploader("A language-model checkpoint saved by seqviz (.pt)",
                                      type=["pt"], key="hs.upload")
        if up is None:
            st.info("Choose a .pt checkpoint in the sidebar. Meanwhile: the bundled Python LSTM.")
            return _fallback()
        try:
            return upload_source(up.getvalue())
        except Exception as err:  # an untrusted file: load_lm's CheckpointError, or a spec
            # torch cannot build (e.g. an unknown cell), which load_lm does not wrap
            st.error(f"This checkpoint cannot be used: {err} Showing the bundled Python LSTM.")
            return _fallback()
    try:
        return pretrained_source(name)
    except CheckpointError as err:
        st.error(f"The bundled checkpoint {name!r} cannot be loaded: {err}")
        return _fallback() if name != FALLBACK else None


def training_here(src: Source) -> bool:
    return src.exp is not None and bool(st.session_state.get("hs.train", False))


def live_controls(src: Source) -> None:
    if src.exp is None:
        return
    ss = st.session_state
    if "hs.train" not in ss:  # carry on if the LM page was playing
        ss["hs.train"] = bool(ss.get("lm.playing", False))
    if ss.pop("hs.diverged", False):  # set by the fragment; the toggle is outside it
        ss["hs.train"] = False
        st.error("Training diverged; the trainer restored the last good weights and training "
                 "here stopped. Lower the learning rate on the Language model page.", icon="💥")
    st.sidebar.toggle("Keep training while I watch", key="hs.train",
                      help=f"The Language model page trains only while it is shown. With this "
                           f"on, the same model trains here and every view is retraced every "
                           f"{REFRESH_SECONDS:g} s.")


def live_tick(src: Source) -> Source:
    """In the fragment: for the live model, train for a short budget when asked, then return
    the source at its current step and say which step is shown."""
    if src.exp is None:
        return src
    if training_here(src):
        stats = src.exp.trainer.train_for(TRAIN_BUDGET)
        if stats and stats[-1].diverged:
            st.session_state["hs.diverged"] = True
            st.rerun(scope="app")  # stop ticking and switch the toggle off
    fresh = live_source() or src
    ppl = fresh.meta.get("val_perplexity")
    st.caption(f"Live model at training step {fresh.exp.trainer.steps:,}"
               + (f", validation perplexity {ppl:.2f}" if ppl else "")
               + (f"; training here and retracing every {REFRESH_SECONDS:g} s."
                  if training_here(src) else "."))
    return fresh


def clamp_settings(K: str, src: Source) -> None:
    """Fit layer, state and unit to this model, saying what changed."""
    ss, spec = st.session_state, src.spec
    layer = _w(K, "layer")
    if not 0 <= layer < spec.num_layers:
        st.warning(f"Layer {layer + 1} does not exist: this model has {spec.num_layers} "
                   f"layer(s). Showing layer {spec.num_layers}.")
        ss[widget_key(K, "layer")] = spec.num_layers - 1
    if _w(K, "state") == "cell" and spec.cell != "lstm":
        st.warning(f"A {spec.cell.upper()} has no cell state: showing the hidden state.")
        ss[widget_key(K, "state")] = "hidden"
    unit = _w(K, "unit")
    if unit >= spec.hidden_size:
        st.warning(f"Unit {unit} does not exist: this model has {spec.hidden_size} units per "
                   f"layer (0–{spec.hidden_size - 1}).")
        ss[widget_key(K, "unit")] = -1


def _edited(K: str, example: str) -> None:
    text = st.session_state["hs.text_area"]
    user = text != example
    st.session_state[widget_key(K, "text")] = text[:MAX_TEXT_CHARS] if user else ""
    st.session_state["hs.text_user"] = user


def _typed(K: str, src: Source) -> str:
    ss, example = st.session_state, src.example()
    wanted = _w(K, "text") or ""
    if "hs.text_area" not in ss:
        ss["hs.text_area"] = wanted or example
    elif wanted and wanted != ss["hs.text_area"]:  # a link asked for this text
        ss["hs.text_area"] = wanted
    elif not wanted and not ss.get("hs.text_user") and ss["hs.text_area"] != example:
        ss["hs.text_area"] = example  # another model: its own example
    return st.text_area("Probe text (edit it; Ctrl+Enter to apply)", key="hs.text_area",
                        height=160, max_chars=MAX_TEXT_CHARS, on_change=_edited, args=(K, example))


def _passage(K: str, src: Source) -> Probe:
    count, length = passages(len(src.data.val), src.level)
    key = widget_key(K, "passage")
    if st.session_state[key] >= count:
        st.warning(f"Passage {st.session_state[key]} does not exist; there are {count}.")
        st.session_state[key] = count - 1
    if count > 1:
        st.slider("Validation passage", 0, count - 1, key=key,
                  help=f"{count} passages of {length} tokens from the held-out text.")
    start = st.session_state[key] * length
    return probe_from_ids(src.data.val[start: start + length].numpy(), src.vocab, src.level)


def probe_input(K: str, src: Source) -> Probe | None:
    """The probe from the text box or a validation passage; None (with a message) if unusable."""
    kind = _w(K, "probe")
    if kind == "validation" and src.data is None:
        st.warning("This model's training corpus is unknown, so it has no validation passages: "
                   "type a probe text instead.")
        kind = "typed"
    try:
        if kind == "validation":
            probe = _passage(K, src)
        else:
            probe = encode_probe(_typed(K, src), src.vocab, src.level)
    except ProbeError as err:
        st.warning(str(err))
        return None
    if probe.truncated:
        st.info(f"The text has {probe.total_tokens:,} tokens; the views show the first "
                f"{MAX_TOKENS} (the display limit).")
    if probe.unknown.any():
        st.info(f"{int(probe.unknown.sum())} token(s) are not in the model's vocabulary (dashed "
                f"boxes below): the model reads each of them as <unk>.")
    _fit_span(K, probe)
    return probe


def _fit_span(K: str, probe: Probe) -> None:
    """A new text resets the span and position to automatic; a span that does not fit it is
    replaced by the default one (the first quoted string, or the first tenth)."""
    ss, sig = st.session_state, (probe.level, probe.ids.tobytes())
    if ss.get("hs.probe_sig") not in (None, sig):
        for name in ("start", "end", "position"):
            ss[widget_key(K, name)] = -1
    ss["hs.probe_sig"] = sig
    start, end = _w(K, "start"), _w(K, "end")
    if not 0 <= start < end <= len(probe):
        if start != -1 or end != -1:
            st.warning(f"The span {start}–{end} does not fit this {len(probe)}-token text: "
                       f"selecting the default span instead.")
        ss[widget_key(K, "start")], ss[widget_key(K, "end")] = default_span(probe.tokens)


def sync_config(K: str, cfg: HiddenConfig) -> None:
    """Store the widgets' config in session state and the URL (skipping invalid values)."""
    new = dataclasses.replace(cfg, **widget_values(K, cfg))
    if not check(new):
        store_config(K, new)
